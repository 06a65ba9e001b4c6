//! Differential run: fires every case at two deployments and reports, case by
//! case, where they answer differently (status, message, body), ignoring what
//! differs by nature: the call `id` and the host of the self link. Every output
//! names the two [`Sides`], A and B, with their URLs: the table's heading, each
//! diff's `---`/`+++` lines, the JSON lines (a `sides` line first, a `summary`
//! line last), and the quiet form (`-q`: the heading, the cases that differ,
//! the summary).
//!
//! Side B may also be a recorded run ([`record`], compared by [`against_record`]):
//! then each case is `same`, `CHANGED, within the contract` or `BREAKS THE
//! CONTRACT`, headers count too ([`exchange`]), and so does the latency ([`latency`]).

pub mod against_record;
pub mod exchange;
pub mod latency;
pub mod record;

use serde_json::Value;

use serde_json::json;

use crate::secrets::Redactor;

use crate::report::lines::{self, text_diff};
use latency::Latency;
use crate::result::{CaseResult, Verdict};
use crate::peer_text;

/// How one deployment answered, reduced to what is compared.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Http { status: u16, body: Value },
    NoResponse(String),
}

/// A text with what differs by nature replaced: with `url`, an absolute URL
/// keeps only its path (the host is the deployment's); the call `id` becomes `<id>`.
pub fn natural(text: &str, id: Option<&str>, url: bool) -> String {
    let mut s = text.to_owned();
    if url && let Some(path) = reqwest::Url::parse(&s).ok().filter(reqwest::Url::has_host).map(|u| u.path().to_owned()) {
        s = path;
    }
    if let Some(id) = id.filter(|id| !id.is_empty()) {
        s = s.replace(id, "<id>");
    }
    s
}

/// The call id of a body, if it has one.
pub fn call_id(body: &Value) -> Option<&str> {
    body.get("id").and_then(Value::as_str)
}

/// Replaces the values that differ by nature: the `id` (and any string equal
/// to it) becomes `<id>`, and an `href` keeps only its path.
pub fn normalise(body: &Value) -> Value {
    fn walk(v: &Value, id: Option<&str>, key: Option<&str>) -> Value {
        match v {
            Value::String(s) => Value::String(natural(s, id, key == Some("href"))),
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, id, None)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), walk(v, id, Some(k)))).collect())
            }
            other => other.clone(),
        }
    }
    walk(body, call_id(body), None)
}

/// The answer as compared: what came back, or the kind of failure.
pub fn answer(result: &CaseResult) -> Answer {
    match (&result.response, &result.verdict) {
        (Some(resp), _) => {
            let body = serde_json::from_slice(&resp.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&resp.body).into_owned()));
            Answer::Http { status: resp.status, body: normalise(&body) }
        }
        (None, Verdict::Broken(e)) => Answer::NoResponse(e.kind.label().to_owned()),
        (None, _) => Answer::NoResponse("not sent".into()),
    }
}

fn shown(answer: &Answer) -> String {
    match answer {
        Answer::NoResponse(why) => format!("no response: {why}"),
        Answer::Http { status, body } => {
            format!("{status}\n{}", serde_json::to_string_pretty(body).unwrap_or_default())
        }
    }
}

/// How one case compared.
#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    /// Both answered, alike.
    Same,
    /// Both deployments answered, differently: the headline and the diff (A then B).
    Differs { headline: String, diff: String },
    /// Against a record: A passes the case, but answers otherwise than the
    /// record did (the headline and the diff, A then B).
    Changed { headline: String, diff: String },
    /// Against a record: A fails the case. The first finding, then every
    /// finding and, where the record answered the same request, the diff.
    Breaks { headline: String, detail: String },
    /// A side gave no answer, so nothing was compared.
    Unanswered { a: Option<String>, b: Option<String> },
    /// Against a record: the case cannot be compared with it, and why.
    NotCompared(String),
}

impl Comparison {
    /// The headline and the text shown in full after the table, if any.
    fn detail(&self) -> Option<(&str, &str)> {
        match self {
            Comparison::Differs { headline, diff } | Comparison::Changed { headline, diff } => Some((headline, diff)),
            Comparison::Breaks { headline, detail } => Some((headline, detail)),
            _ => None,
        }
    }
}

/// What side B is: another deployment, or a recorded run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    Deployment,
    Record,
}

/// The two sides compared, each as every output names it
/// (`http://… (deployment)`; a record with its target, date and file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sides {
    pub a: String,
    pub b: String,
    pub against: Against,
}

impl Sides {
    /// Two deployments.
    pub fn deployments(a: String, b: String) -> Sides {
        Sides { a, b, against: Against::Deployment }
    }

    /// A live deployment and a record.
    pub fn record(a: String, b: String) -> Sides {
        Sides { a, b, against: Against::Record }
    }

    /// The heading of a diff's sides: `A = URL` and `B = URL`.
    fn labels(&self) -> (String, String) {
        (format!("A = {}", self.a), format!("B = {}", self.b))
    }

    /// A diff of two texts, `---` A, `+++` B.
    pub fn text_diff(&self, a: &str, b: &str) -> String {
        let (label_a, label_b) = self.labels();
        text_diff(a, b, (&label_a, &label_b))
    }
}

/// When one side gave no answer: what each side's failure was.
pub fn unanswered(a: &Answer, b: &Answer) -> Option<Comparison> {
    let why = |x: &Answer| match x {
        Answer::NoResponse(why) => Some(why.clone()),
        Answer::Http { .. } => None,
    };
    (matches!(a, Answer::NoResponse(_)) || matches!(b, Answer::NoResponse(_))).then(|| Comparison::Unanswered { a: why(a), b: why(b) })
}

/// How two answers differ, in a few words; `None` when they are alike.
pub fn difference(a: &Answer, b: &Answer) -> Option<String> {
    if a == b {
        return None;
    }
    Some(match (a, b) {
        (Answer::Http { status: sa, .. }, Answer::Http { status: sb, .. }) if sa != sb => format!("status {sa} vs {sb}"),
        (Answer::Http { body: ba, .. }, Answer::Http { body: bb, .. }) if ba.get("message") != bb.get("message") => {
            "message differs".to_owned()
        }
        _ => "body differs".to_owned(),
    })
}

/// How two answers compare.
pub fn compare(a: &Answer, b: &Answer, sides: &Sides) -> Comparison {
    if let Some(unanswered) = unanswered(a, b) {
        return unanswered;
    }
    match difference(a, b) {
        None => Comparison::Same,
        Some(headline) => Comparison::Differs { headline, diff: sides.text_diff(&shown(a), &shown(b)) },
    }
}

/// One case's comparison.
pub struct Row {
    pub name: String,
    pub comparison: Comparison,
    /// Both sides answered 401 (or 403): what was compared is the auth, not the contract.
    pub both_refused: bool,
}

/// Whether a status is a refusal of the token.
pub fn refused(status: u16) -> bool {
    status == 401 || status == 403
}

/// Compares the two sides' results, case by case (both in plan order).
pub fn rows(a: &[CaseResult], b: &[CaseResult], sides: &Sides) -> Vec<Row> {
    a.iter()
        .zip(b)
        .filter(|(ra, _)| compared(ra))
        .map(|(ra, rb)| {
            let refused = |r: &CaseResult| r.response.as_ref().is_some_and(|x| refused(x.status));
            Row {
                name: ra.case.name.clone(),
                comparison: compare(&answer(ra), &answer(rb), sides),
                both_refused: refused(ra) && refused(rb),
            }
        })
        .collect()
}

/// Whether side A's result is one the comparison lists: selected and not held back.
pub fn compared(result: &CaseResult) -> bool {
    result.is_selected() && !matches!(result.verdict, Verdict::Held(_))
}

/// What a differential run found, in numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub compared: usize,
    pub same: usize,
    /// Answered differently (two deployments), or changed within the contract (against a record).
    pub differing: usize,
    /// Against a record: the cases A fails.
    pub breaking: usize,
    /// A side gave no answer, or the case could not be compared with the record.
    pub unanswered: usize,
    /// Cases not sent to either side: they may place a real call.
    pub held: usize,
    /// Against a record: the latency of both sides.
    pub latency: Option<Latency>,
}

impl Summary {
    pub fn of(rows: &[Row], held: usize) -> Summary {
        let count = |f: fn(&Comparison) -> bool| rows.iter().filter(|r| f(&r.comparison)).count();
        Summary {
            compared: rows.len(),
            same: count(|c| *c == Comparison::Same),
            differing: count(|c| matches!(c, Comparison::Differs { .. } | Comparison::Changed { .. })),
            breaking: count(|c| matches!(c, Comparison::Breaks { .. })),
            unanswered: count(|c| matches!(c, Comparison::Unanswered { .. } | Comparison::NotCompared(_))),
            held,
            latency: None,
        }
    }

    /// Whether both sides answered every case alike (and, against a record,
    /// A is not slower than the threshold allows).
    pub fn alike(&self) -> bool {
        self.same == self.compared && !self.latency.is_some_and(|l| l.slower())
    }

    /// The closing lines of the text report.
    fn text(&self, against: Against) -> String {
        let mut out = match against {
            Against::Deployment => format!("{} of {} cases answered differently", self.differing, self.compared),
            Against::Record => format!(
                "{} of {} cases break the contract; {} changed within the contract",
                self.breaking, self.compared, self.differing
            ),
        };
        if self.unanswered > 0 {
            match against {
                Against::Deployment => out.push_str(&format!("; {} not compared (a side gave no answer)", self.unanswered)),
                Against::Record => out.push_str(&format!("; {} not compared", self.unanswered)),
            }
        }
        out.push('\n');
        if let Some(latency) = &self.latency {
            out.push_str(&latency.text());
            out.push('\n');
        }
        if self.held > 0 {
            out.push_str(&format!("{} cases that may place real calls were not sent (pass --allow-real-calls)\n", self.held));
        }
        out
    }
}

/// A row's verdict in the table.
fn verdict(row: &Row) -> String {
    match &row.comparison {
        Comparison::Same => "same".to_owned(),
        Comparison::Differs { headline, .. } => format!("DIFFERS: {headline}"),
        Comparison::Changed { headline, .. } => format!("CHANGED, within the contract: {headline}"),
        Comparison::Breaks { headline, .. } => format!("BREAKS THE CONTRACT: {headline}"),
        Comparison::Unanswered { a, b } => {
            let side = |label: &str, why: &Option<String>| why.as_ref().map(|w| format!("{label}: {w}"));
            let whys: Vec<String> = [side("A", a), side("B", b)].into_iter().flatten().collect();
            format!("NOT COMPARED (no answer from {})", whys.join(", "))
        }
        Comparison::NotCompared(why) => format!("NOT COMPARED ({why})"),
    }
}

/// The report as text: the sides, one line per case (with `quiet`, only the
/// cases that did not answer alike, and no diffs), the differences in full
/// after, and the summary. What a peer wrote is shown escaped and capped.
pub fn table(rows: &[Row], sides: &Sides, summary: &Summary, quiet: bool, redactor: &Redactor) -> String {
    let shown = |text: &str, max: usize| peer_text::shown(text, redactor, max);
    let mut out = shown(&format!("differential run:\n  A = {}\n  B = {}\n", sides.a, sides.b), lines::FINDING_SHOWN);
    for row in rows.iter().filter(|r| !quiet || r.comparison != Comparison::Same) {
        out.push_str(&shown(&format!("{:<58} {}", row.name, verdict(row)), lines::FINDING_SHOWN));
        out.push('\n');
    }
    for row in rows.iter().filter(|_| !quiet) {
        if let Some((headline, detail)) = row.comparison.detail() {
            let text = format!("\n---- {} (A then B) ----\n{headline}\n{detail}", row.name);
            out.push_str(&shown(&text, 20 * lines::FINDING_SHOWN));
        }
    }
    out.push('\n');
    out.push_str(&summary.text(sides.against));
    out
}

/// The report as JSON lines: `{"type":"sides"}` first, a `{"type":"diff"}`
/// line per case, `{"type":"summary"}` last.
pub fn json_lines(rows: &[Row], sides: &Sides, summary: &Summary, redactor: &Redactor) -> String {
    let shown = |text: &str, max: usize| json!(peer_text::shown(text, redactor, max));
    let mut out = json!({"type": "sides", "a": sides.a, "b": sides.b}).to_string() + "\n";
    for row in rows {
        let mut line = json!({"type": "diff", "name": row.name});
        match &row.comparison {
            Comparison::Same => line["verdict"] = json!("same"),
            Comparison::Differs { headline, diff } | Comparison::Changed { headline, diff } => {
                let changed = matches!(row.comparison, Comparison::Changed { .. });
                line["verdict"] = json!(if changed { "changed" } else { "differs" });
                line["headline"] = shown(headline, lines::FINDING_SHOWN);
                line["diff"] = shown(diff, 4 * lines::FINDING_SHOWN);
            }
            Comparison::Breaks { headline, detail } => {
                line["verdict"] = json!("breaks the contract");
                line["headline"] = shown(headline, lines::FINDING_SHOWN);
                line["detail"] = shown(detail, 4 * lines::FINDING_SHOWN);
            }
            Comparison::Unanswered { a, b } => {
                line["verdict"] = json!("not compared");
                line["a"] = json!(a.as_deref().map(|w| peer_text::shown(w, redactor, lines::FINDING_SHOWN)));
                line["b"] = json!(b.as_deref().map(|w| peer_text::shown(w, redactor, lines::FINDING_SHOWN)));
            }
            Comparison::NotCompared(why) => {
                line["verdict"] = json!("not compared");
                line["why"] = shown(why, lines::FINDING_SHOWN);
            }
        }
        out.push_str(&format!("{line}\n"));
    }
    let mut last = json!({
        "type": "summary", "a": sides.a, "b": sides.b, "compared": summary.compared, "same": summary.same,
        "differing": summary.differing, "not_compared": summary.unanswered, "held_back": summary.held,
    });
    if sides.against == Against::Record {
        last["breaking"] = json!(summary.breaking);
        last["latency"] = summary.latency.map_or(Value::Null, |l| l.json());
    }
    out + &last.to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn created(id: &str, host: &str) -> Answer {
        let body = json!({"id": id, "links": [{"href": format!("http://{host}/V0/a/Calls/{id}"), "rel": "_self"}], "status": "Active"});
        Answer::Http { status: 201, body: normalise(&body) }
    }

    fn sides() -> Sides {
        Sides::deployments("http://a:1 (deployment)".into(), "http://b:2 (deployment)".into())
    }

    fn compare(a: &Answer, b: &Answer) -> Comparison {
        super::compare(a, b, &sides())
    }

    #[test]
    fn ids_and_hosts_differ_by_nature() {
        assert_eq!(compare(&created("1111", "a:1"), &created("2222", "b:2")), Comparison::Same);
    }

    #[test]
    fn status_message_and_shape_differences_are_reported() {
        let err = |m: &str| Answer::Http { status: 400, body: json!({"message": m}) };
        let headline = |c: Comparison| match c {
            Comparison::Differs { headline, .. } => headline,
            other => panic!("{other:?}"),
        };
        assert_eq!(headline(compare(&err("x"), &err("y"))), "message differs");
        assert_eq!(headline(compare(&created("1", "h"), &err("x"))), "status 201 vs 400");
        let mut lower = created("1", "h");
        if let Answer::Http { body, .. } = &mut lower {
            body["links"][0]["href"] = json!("/v0/a/calls/<id>");
        }
        assert_eq!(headline(compare(&created("1", "h"), &lower)), "body differs");
        let none = Answer::NoResponse("timeout".into());
        assert_eq!(compare(&created("1", "h"), &none), Comparison::Unanswered { a: None, b: Some("timeout".into()) });
        assert!(matches!(compare(&none, &none), Comparison::Unanswered { .. }), "two dead sides are not the same");
    }

    #[test]
    fn every_output_names_both_sides_and_ends_with_the_summary() {
        let err = |m: &str| Answer::Http { status: 400, body: json!({"message": m}) };
        let rows = vec![
            Row { name: "f::same".into(), comparison: compare(&err("x"), &err("x")), both_refused: false },
            Row { name: "f::differs".into(), comparison: compare(&err("x"), &err("y")), both_refused: false },
            Row { name: "f::dead".into(), comparison: compare(&err("x"), &Answer::NoResponse("timeout".into())), both_refused: false },
        ];
        let summary = Summary::of(&rows, 2);
        assert_eq!(summary, Summary { compared: 3, same: 1, differing: 1, breaking: 0, unanswered: 1, held: 2, latency: None });
        assert!(!summary.alike());
        let redactor = Redactor::new();
        let heading = "differential run:\n  A = http://a:1 (deployment)\n  B = http://b:2 (deployment)\n";
        let end = "1 of 3 cases answered differently; 1 not compared (a side gave no answer)\n\
                   2 cases that may place real calls were not sent (pass --allow-real-calls)\n";

        let full = table(&rows, &sides(), &summary, false, &redactor);
        assert!(full.starts_with(heading) && full.ends_with(end), "{full}");
        assert!(full.contains("--- A = http://a:1 (deployment)\n+++ B = http://b:2 (deployment)\n"), "{full}");
        assert!(full.contains("f::same") && full.contains("f::dead") && full.contains("NOT COMPARED (no answer from B: timeout)"));

        let quiet = table(&rows, &sides(), &summary, true, &redactor);
        assert!(quiet.starts_with(heading) && quiet.ends_with(end), "{quiet}");
        assert!(!quiet.contains("f::same") && quiet.contains("f::differs") && quiet.contains("f::dead") && !quiet.contains("+++"), "{quiet}");

        let lines: Vec<serde_json::Value> =
            json_lines(&rows, &sides(), &summary, &redactor).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0], json!({"type": "sides", "a": "http://a:1 (deployment)", "b": "http://b:2 (deployment)"}));
        assert_eq!(lines[2]["verdict"], "differs");
        assert!(lines[2]["diff"].as_str().unwrap().starts_with("--- A = http://a:1 (deployment)\n+++ B = http://b:2 (deployment)\n"));
        assert_eq!(lines[3]["b"], "timeout");
        assert_eq!(
            lines[4],
            json!({"type": "summary", "a": "http://a:1 (deployment)", "b": "http://b:2 (deployment)", "compared": 3, "same": 1,
                   "differing": 1, "not_compared": 1, "held_back": 2})
        );
    }
}
