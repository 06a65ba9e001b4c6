//! Differential run: fires every case at two deployments and reports, case by
//! case, where they answer differently (status, message, body), ignoring what
//! differs by nature: the call `id` and the host of the self link.

use serde_json::Value;

use crate::secrets::Redactor;

use crate::report::lines::text_diff;
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
                if key == Some("href") {
                    if let Ok(url) = reqwest::Url::parse(&s) {
                        s = url.path().to_owned();
                    }
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

/// How two answers compare.
pub fn compare(a: &Answer, b: &Answer) -> Comparison {
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
    Comparison::Differs { headline, diff: text_diff(&shown(a), &shown(b), ("A", "B")) }
}

/// One case's comparison.
pub struct Row {
    pub name: String,
    pub comparison: Comparison,
    /// Both sides answered 401 (or 403): what was compared is the auth, not the contract.
    pub both_refused: bool,
}

/// Compares the two sides' results, case by case (both in plan order).
pub fn rows(a: &[CaseResult], b: &[CaseResult]) -> Vec<Row> {
    a.iter()
        .zip(b)
        .filter(|(ra, _)| ra.is_selected() && !matches!(ra.verdict, Verdict::Held(_)))
        .map(|(ra, rb)| {
            let refused = |r: &CaseResult| r.response.as_ref().is_some_and(|x| x.status == 401 || x.status == 403);
            Row {
                name: ra.case.name.clone(),
                comparison: compare(&answer(ra), &answer(rb)),
                both_refused: refused(ra) && refused(rb),
            }
        })
        .collect()
}

/// The report: one line per case, the differences in full after.
pub fn table(rows: &[Row], a: &str, b: &str, redactor: &Redactor) -> String {
    let mut out = format!("differential run:\n  A = {a}\n  B = {b}\n");
    for row in rows {
        let verdict = match &row.comparison {
            Comparison::Same => "same".to_owned(),
            Comparison::Differs { headline, .. } => format!("DIFFERS: {headline}"),
            Comparison::Unanswered { a, b } => {
                let side = |label: &str, why: &Option<String>| why.as_ref().map(|w| format!("{label}: {w}"));
                let whys: Vec<String> = [side("A", a), side("B", b)].into_iter().flatten().collect();
                format!("NOT COMPARED (no answer from {})", whys.join(", "))
            }
        };
        out.push_str(&format!("{:<58} {verdict}\n", row.name));
    }
    for row in rows {
        if let Comparison::Differs { headline, diff } = &row.comparison {
            let text = format!("\n---- {} (A then B) ----\n{headline}\n{diff}", row.name);
            out.push_str(&peer_text::shown(&text, redactor, 20 * crate::report::lines::FINDING_SHOWN));
        }
    }
    let count = |f: fn(&Comparison) -> bool| rows.iter().filter(|r| f(&r.comparison)).count();
    let differing = count(|c| matches!(c, Comparison::Differs { .. }));
    let unanswered = count(|c| matches!(c, Comparison::Unanswered { .. }));
    out.push_str(&format!("\n{differing} of {} cases answered differently", rows.len()));
    if unanswered > 0 {
        out.push_str(&format!("; {unanswered} not compared (a side gave no answer)"));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn created(id: &str, host: &str) -> Answer {
        let body = json!({"id": id, "links": [{"href": format!("http://{host}/V0/a/Calls/{id}"), "rel": "_self"}], "status": "Active"});
        Answer::Http { status: 201, body: normalise(&body) }
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
}
