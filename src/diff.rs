//! Differential run: fires every case at two deployments and reports, case by
//! case, where they answer differently (status, message, body), ignoring what
//! differs by nature: the call `id` and the host of the self link.

use std::sync::Arc;

use serde_json::Value;

use crate::cases::Case;
use crate::checks::diff as text_diff;
use crate::client::{Client, Response};

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

/// The answer as compared.
pub fn answer(outcome: &Result<Response, String>) -> Answer {
    match outcome {
        Err(reason) => Answer::NoResponse(reason.split(':').next().unwrap_or(reason).to_owned()),
        Ok(resp) => {
            let body = serde_json::from_slice(&resp.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&resp.body).into_owned()));
            Answer::Http { status: resp.status, body: normalise(&body) }
        }
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

/// `None` when both answered alike; otherwise what differs.
pub fn compare(a: &Answer, b: &Answer) -> Option<String> {
    if a == b {
        return None;
    }
    let headline = match (a, b) {
        (Answer::Http { status: sa, .. }, Answer::Http { status: sb, .. }) if sa != sb => {
            format!("status {sa} vs {sb}")
        }
        (Answer::Http { body: ba, .. }, Answer::Http { body: bb, .. }) if ba.get("message") != bb.get("message") => {
            "message differs".to_owned()
        }
        (Answer::Http { .. }, Answer::Http { .. }) => "body differs".to_owned(),
        _ => "one of them gave no response".to_owned(),
    };
    Some(format!("{headline}\n{}", text_diff(&shown(a), &shown(b))))
}

/// One case's comparison.
pub struct Row {
    pub name: String,
    pub difference: Option<String>,
}

/// Sends every case to both deployments, concurrently, and compares.
pub async fn run(cases: Arc<Vec<Case>>, a: Arc<Client>, b: Arc<Client>) -> Result<Vec<Row>, String> {
    let mut tasks = Vec::with_capacity(cases.len());
    for i in 0..cases.len() {
        let (cases, a, b) = (Arc::clone(&cases), Arc::clone(&a), Arc::clone(&b));
        tasks.push(tokio::spawn(async move {
            let case = &cases[i];
            let (ra, rb) = tokio::join!(a.send(&case.request), b.send(&case.request));
            let redact = |d: String| b.redactor().redact(&a.redactor().redact(&d)).into_owned();
            let difference = compare(&answer(&ra), &answer(&rb)).map(redact);
            Row { name: case.test_name(), difference }
        }));
    }
    let mut rows = Vec::with_capacity(tasks.len());
    for task in tasks {
        rows.push(task.await.map_err(|e| format!("a case task failed: {e}"))?);
    }
    Ok(rows)
}

/// The report: one line per case, the differences in full after.
pub fn table(rows: &[Row], a: &str, b: &str) -> String {
    let mut out = format!("differential run: A = {a}, B = {b}\n");
    for row in rows {
        let verdict = match &row.difference {
            None => "same".to_owned(),
            Some(d) => format!("DIFFERS: {}", d.lines().next().unwrap_or("")),
        };
        out.push_str(&format!("{:<58} {verdict}\n", row.name));
    }
    for row in rows.iter().filter(|r| r.difference.is_some()) {
        out.push_str(&format!("\n---- {} (A then B) ----\n{}", row.name, row.difference.as_deref().unwrap_or("")));
    }
    let differing = rows.iter().filter(|r| r.difference.is_some()).count();
    out.push_str(&format!("\n{differing} of {} cases answered differently\n", rows.len()));
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
        assert_eq!(compare(&created("1111", "a:1"), &created("2222", "b:2")), None);
    }

    #[test]
    fn status_message_and_shape_differences_are_reported() {
        let err = |m: &str| Answer::Http { status: 400, body: json!({"message": m}) };
        assert!(compare(&err("x"), &err("y")).unwrap().starts_with("message differs"));
        assert!(compare(&created("1", "h"), &err("x")).unwrap().starts_with("status 201 vs 400"));
        let mut lower = created("1", "h");
        if let Answer::Http { body, .. } = &mut lower {
            body["links"][0]["href"] = json!("/v0/a/calls/<id>");
        }
        assert!(compare(&created("1", "h"), &lower).unwrap().starts_with("body differs"));
        assert!(compare(&created("1", "h"), &Answer::NoResponse("timeout".into())).is_some());
    }
}
