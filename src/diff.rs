//! Differential run: fires every case at two deployments and reports, case by
//! case, where they answer differently (status, message, body), ignoring what
//! differs by nature: the call `id` and the host of the self link. Every output
//! names the two [`Sides`], A and B, with their URLs: the table's heading, each
//! diff's `---`/`+++` lines, the JSON lines (a `sides` line first, a `summary`
//! line last), and the quiet form (`-q`: the heading, the cases that differ,
//! the summary).

use serde_json::Value;

use serde_json::json;

use crate::secrets::Redactor;

use crate::report::lines::{self, text_diff};
use crate::result::{CaseResult, Verdict};
use crate::peer_text;

/// How one deployment answered, reduced to what is compared.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Http { status: u16, body: Value },
    NoResponse(String),
}

/// Replaces the values that differ by nature: the `id` (and any string equal
/// to it) becomes `<id>`, and an `href` keeps only its path.
pub fn normalise(body: &Value) -> Value {
    let id = body.get("id").and_then(Value::as_str).map(str::to_owned);
    fn walk(v: &Value, id: Option<&str>, key: Option<&str>) -> Value {
        match v {
            Value::String(s) => {
                let mut s = s.clone();
                if key == Some("href")
                    && let Ok(url) = reqwest::Url::parse(&s) {
                        s = url.path().to_owned();
                    }
                if let Some(id) = id.filter(|id| !id.is_empty()) {
                    s = s.replace(id, "<id>");
                }
                Value::String(s)
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, id, None)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), walk(v, id, Some(k)))).collect())
            }
            other => other.clone(),
        }
    }
    walk(body, id.as_deref(), None)
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
    /// Both answered, differently: the headline and the diff (A then B).
    Differs { headline: String, diff: String },
    /// A side gave no answer, so nothing was compared.
    Unanswered { a: Option<String>, b: Option<String> },
}

/// The two deployments compared, each as every output names it
/// (`http://… (deployment)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sides {
    pub a: String,
    pub b: String,
}

impl Sides {
    /// The heading of a diff's sides: `A = URL` and `B = URL`.
    fn labels(&self) -> (String, String) {
        (format!("A = {}", self.a), format!("B = {}", self.b))
    }
}

/// How two answers compare.
pub fn compare(a: &Answer, b: &Answer, sides: &Sides) -> Comparison {
    let why = |x: &Answer| match x {
        Answer::NoResponse(why) => Some(why.clone()),
        Answer::Http { .. } => None,
    };
    if matches!(a, Answer::NoResponse(_)) || matches!(b, Answer::NoResponse(_)) {
        return Comparison::Unanswered { a: why(a), b: why(b) };
    }
    if a == b {
        return Comparison::Same;
    }
    let headline = match (a, b) {
        (Answer::Http { status: sa, .. }, Answer::Http { status: sb, .. }) if sa != sb => {
            format!("status {sa} vs {sb}")
        }
        (Answer::Http { body: ba, .. }, Answer::Http { body: bb, .. }) if ba.get("message") != bb.get("message") => {
            "message differs".to_owned()
        }
        _ => "body differs".to_owned(),
    };
    let (label_a, label_b) = sides.labels();
    Comparison::Differs { headline, diff: text_diff(&shown(a), &shown(b), (&label_a, &label_b)) }
}

/// One case's comparison.
pub struct Row {
    pub name: String,
    pub comparison: Comparison,
    /// Both sides answered 401 (or 403): what was compared is the auth, not the contract.
    pub both_refused: bool,
}

/// Compares the two sides' results, case by case (both in plan order).
pub fn rows(a: &[CaseResult], b: &[CaseResult], sides: &Sides) -> Vec<Row> {
    a.iter()
        .zip(b)
        .filter(|(ra, _)| ra.is_selected() && !matches!(ra.verdict, Verdict::Held(_)))
        .map(|(ra, rb)| {
            let refused = |r: &CaseResult| r.response.as_ref().is_some_and(|x| x.status == 401 || x.status == 403);
            Row {
                name: ra.case.name.clone(),
                comparison: compare(&answer(ra), &answer(rb), sides),
                both_refused: refused(ra) && refused(rb),
            }
        })
        .collect()
}

/// What a differential run found, in numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub compared: usize,
    pub same: usize,
    pub differing: usize,
    pub unanswered: usize,
    /// Cases not sent to either side: they may place a real call.
    pub held: usize,
}

impl Summary {
    pub fn of(rows: &[Row], held: usize) -> Summary {
        let count = |f: fn(&Comparison) -> bool| rows.iter().filter(|r| f(&r.comparison)).count();
        Summary {
            compared: rows.len(),
            same: count(|c| *c == Comparison::Same),
            differing: count(|c| matches!(c, Comparison::Differs { .. })),
            unanswered: count(|c| matches!(c, Comparison::Unanswered { .. })),
            held,
        }
    }

    /// Whether both sides answered every case alike.
    pub fn alike(&self) -> bool {
        self.same == self.compared
    }

    /// The closing lines of the text report.
    fn text(&self) -> String {
        let mut out = format!("{} of {} cases answered differently", self.differing, self.compared);
        if self.unanswered > 0 {
            out.push_str(&format!("; {} not compared (a side gave no answer)", self.unanswered));
        }
        out.push('\n');
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
        Comparison::Unanswered { a, b } => {
            let side = |label: &str, why: &Option<String>| why.as_ref().map(|w| format!("{label}: {w}"));
            let whys: Vec<String> = [side("A", a), side("B", b)].into_iter().flatten().collect();
            format!("NOT COMPARED (no answer from {})", whys.join(", "))
        }
    }
}

/// The report as text: the sides, one line per case (with `quiet`, only the
/// cases that did not answer alike, and no diffs), the differences in full
/// after, and the summary.
pub fn table(rows: &[Row], sides: &Sides, summary: &Summary, quiet: bool, redactor: &Redactor) -> String {
    let mut out = format!("differential run:\n  A = {}\n  B = {}\n", sides.a, sides.b);
    for row in rows.iter().filter(|r| !quiet || r.comparison != Comparison::Same) {
        out.push_str(&format!("{:<58} {}\n", row.name, verdict(row)));
    }
    for row in rows.iter().filter(|_| !quiet) {
        if let Comparison::Differs { headline, diff } = &row.comparison {
            let text = format!("\n---- {} (A then B) ----\n{headline}\n{diff}", row.name);
            out.push_str(&peer_text::shown(&text, redactor, 20 * lines::FINDING_SHOWN));
        }
    }
    out.push('\n');
    out.push_str(&summary.text());
    out
}

/// The report as JSON lines: `{"type":"sides"}` first, a `{"type":"diff"}`
/// line per case, `{"type":"summary"}` last.
pub fn json_lines(rows: &[Row], sides: &Sides, summary: &Summary, redactor: &Redactor) -> String {
    let mut out = json!({"type": "sides", "a": sides.a, "b": sides.b}).to_string() + "\n";
    for row in rows {
        let mut line = json!({"type": "diff", "name": row.name});
        match &row.comparison {
            Comparison::Same => line["verdict"] = json!("same"),
            Comparison::Differs { headline, diff } => {
                line["verdict"] = json!("differs");
                line["headline"] = json!(headline);
                line["diff"] = json!(peer_text::shown(diff, redactor, 4 * lines::FINDING_SHOWN));
            }
            Comparison::Unanswered { a, b } => {
                line["verdict"] = json!("not compared");
                line["a"] = json!(a.as_deref().map(|w| peer_text::shown(w, redactor, lines::FINDING_SHOWN)));
                line["b"] = json!(b.as_deref().map(|w| peer_text::shown(w, redactor, lines::FINDING_SHOWN)));
            }
        }
        out.push_str(&format!("{line}\n"));
    }
    let summary = json!({
        "type": "summary", "a": sides.a, "b": sides.b, "compared": summary.compared, "same": summary.same,
        "differing": summary.differing, "not_compared": summary.unanswered, "held_back": summary.held,
    });
    out + &summary.to_string() + "\n"
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
        Sides { a: "http://a:1 (deployment)".into(), b: "http://b:2 (deployment)".into() }
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
        assert_eq!(summary, Summary { compared: 3, same: 1, differing: 1, unanswered: 1, held: 2 });
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
