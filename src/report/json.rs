//! JSON: a case's result as one structured event for `--format json`, printed
//! beside libtest's own lines, so that a pipeline reads what failed without
//! parsing text. Its shape is stable (docs/reports.md documents it; a test pins it):
//!
//! ```json
//! {"type":"case","name":"errors-request::agent-id-too-long-from","file":"cases/errors-request.yaml",
//!  "line":12,"covers":["400: Agent Id exceeds 11 digits"],"documented":true,"verdict":"failed",
//!  "duration":0.004,"findings":[{"kind":"message","expected":"…","actual":"…","path":"/message",
//!  "headline":"message: expected \"…\", got \"…\""}]}
//! ```
//!
//! `verdict` is `passed`, `failed` (with `findings`), `broken` (with `error`:
//! its `kind` and `detail`), `held back` or `not run` (with `reason`). Every
//! finding has `kind`, `expected`, `actual`, `path` (a JSON pointer into the
//! response body, or null) and `headline`; some kinds add a field (`header`,
//! `schema`, `detail`, `earlier`, `alternatives`). What a peer sent is hidden
//! (secrets), made visible and capped as in every other output.

use serde_json::{Value, json};

use crate::report::lines;
use crate::result::{CaseResult, Finding, Verdict};
use crate::secrets::Redactor;
use crate::peer_text;

/// How much of one value a finding holds.
const VALUE_SHOWN: usize = 2000;

/// A value from a peer (or a case), as shown: hidden, visible, capped.
fn shown(text: &str, redactor: &Redactor) -> Value {
    Value::String(peer_text::shown(text, redactor, VALUE_SHOWN))
}

/// A JSON value with every string in it shown as [`shown`] shows text.
fn shown_value(value: &Value, redactor: &Redactor) -> Value {
    match value {
        Value::String(s) => shown(s, redactor),
        Value::Array(items) => Value::Array(items.iter().map(|v| shown_value(v, redactor)).collect()),
        Value::Object(map) => Value::Object(
            map.iter().map(|(k, v)| (peer_text::shown(k, redactor, VALUE_SHOWN), shown_value(v, redactor))).collect(),
        ),
        other => other.clone(),
    }
}

/// The name of a finding's kind, as `kind` gives it.
pub fn kind(finding: &Finding) -> &'static str {
    match finding {
        Finding::Status { .. } => "status",
        Finding::MediaType { .. } => "media-type",
        Finding::Header { .. } => "header",
        Finding::NotJson { .. } => "not-json",
        Finding::Schema { .. } => "schema",
        Finding::NoMessage { .. } => "no-message",
        Finding::Message { .. } => "message",
        Finding::RuledOutMessage { .. } => "ruled-out-message",
        Finding::NothingToEcho => "nothing-to-echo",
        Finding::Echo { .. } => "echo",
        Finding::NoId => "no-id",
        Finding::NoSelfLink => "no-self-link",
        Finding::SelfLink { .. } => "self-link",
        Finding::ReusedId { .. } => "reused-id",
        Finding::SelfLinkNotId { .. } => "self-link-not-id",
        Finding::Challenge { .. } => "challenge",
        Finding::DuplicateKey { .. } => "duplicate-key",
        Finding::NoAlternative { .. } => "no-alternative",
    }
}

/// One finding as structured data.
pub fn finding(finding: &Finding, redactor: &Redactor) -> Value {
    let text = |t: &str| shown(t, redactor);
    let maybe = |t: &Option<String>| t.as_deref().map_or(Value::Null, |t| shown(t, redactor));
    let (expected, actual, path) = match finding {
        Finding::Status { expected, actual } => (json!(expected), json!(actual), Value::Null),
        Finding::MediaType { expected, actual } => (text(expected), maybe(actual), Value::Null),
        Finding::Header { expected, actual, .. } => (text(expected), maybe(actual), Value::Null),
        Finding::NotJson { .. } => (json!("a JSON body"), Value::Null, Value::Null),
        Finding::Schema { schema, path, .. } => (text(schema), Value::Null, text(path)),
        Finding::NoMessage { expected } => (text(expected), Value::Null, json!("/message")),
        Finding::Message { expected, actual } => (text(expected), text(actual), json!("/message")),
        Finding::RuledOutMessage { message } => (Value::Null, text(message), json!("/message")),
        Finding::NothingToEcho => (Value::Null, Value::Null, Value::Null),
        Finding::Echo { expected, actual } => {
            let first = expected.as_object().and_then(|sent| {
                sent.iter().find(|(pointer, value)| actual.get(pointer.as_str()) != Some(*value)).map(|(p, _)| p.clone())
            });
            (shown_value(expected, redactor), shown_value(actual, redactor), first.map_or(Value::Null, |p| text(&p)))
        }
        Finding::NoId => (Value::Null, Value::Null, json!("/id")),
        Finding::NoSelfLink => (Value::Null, Value::Null, json!("/links")),
        Finding::SelfLink { href, expected_end } => (text(expected_end), text(href), json!("/links")),
        Finding::ReusedId { id, .. } => (Value::Null, text(id), json!("/id")),
        Finding::SelfLinkNotId { href, id } => (text(id), text(href), json!("/links")),
        Finding::Challenge { scheme, actual } => (text(scheme), json!(actual.iter().map(|a| text(a)).collect::<Vec<_>>()), Value::Null),
        Finding::DuplicateKey { object, key } => (Value::Null, text(key), text(object)),
        Finding::NoAlternative { .. } => (Value::Null, Value::Null, Value::Null),
    };
    let mut event = json!({
        "kind": kind(finding),
        "expected": expected,
        "actual": actual,
        "path": path,
        "headline": peer_text::shown(&finding.headline(), redactor, lines::FINDING_SHOWN),
    });
    let extra = match finding {
        Finding::MediaType { .. } => Some(("header", json!("Content-Type"))),
        Finding::Header { name, .. } => Some(("header", text(name))),
        Finding::NotJson { error } => Some(("detail", text(error))),
        Finding::Schema { message, .. } => Some(("detail", text(message))),
        Finding::ReusedId { earlier, .. } => Some(("earlier", text(earlier))),
        Finding::NoAlternative { alternatives } => Some((
            "alternatives",
            alternatives
                .iter()
                .map(|(answer, inner)| {
                    json!({"answer": text(answer), "findings": inner.iter().map(|f| self::finding(f, redactor)).collect::<Vec<_>>()})
                })
                .collect(),
        )),
        _ => None,
    };
    if let (Some((key, value)), Some(map)) = (extra, event.as_object_mut()) {
        map.insert(key.into(), value);
    }
    event
}

/// The verdict's name, as `verdict` gives it.
pub fn verdict_name(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "passed",
        Verdict::Failed(_) => "failed",
        Verdict::Broken(_) => "broken",
        Verdict::Held(_) => "held back",
        Verdict::FilteredOut => "filtered out",
        Verdict::NotRun(_) => "not run",
    }
}

/// The `{"type":"case",…}` event of one case.
pub fn case_event(result: &CaseResult, redactor: &Redactor) -> Value {
    let case = &result.case;
    let mut event = json!({
        "type": "case",
        "name": case.name,
        "file": case.source,
        "line": case.line,
        "covers": case.covers,
        "documented": case.documented,
        "verdict": verdict_name(&result.verdict),
        "duration": result.time.as_secs_f64(),
    });
    let extra = match &result.verdict {
        Verdict::Failed(findings) => Some(("findings", findings.iter().map(|f| finding(f, redactor)).collect())),
        Verdict::Broken(e) => Some((
            "error",
            json!({"kind": e.kind.label(), "detail": peer_text::shown(&e.detail, redactor, VALUE_SHOWN)}),
        )),
        _ => result.ignored_reason().map(|reason| ("reason", json!(reason))),
    };
    if let (Some((key, value)), Some(map)) = (extra, event.as_object_mut()) {
        map.insert(key.into(), value);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{TransportError, TransportKind};
    use crate::result::{HoldReason, test_support::result};
    use crate::secrets::Secret;

    #[test]
    fn a_failed_case_is_one_structured_event() {
        let mut failed = result(
            "errors-request::agent-id-too-long-from",
            Verdict::Failed(vec![
                Finding::Message { expected: "Agent Id exceeds 11 digits".into(), actual: "Agent Id exceeds 11 digit".into() },
                Finding::Status { expected: vec![400], actual: 500 },
            ]),
        );
        failed.time = std::time::Duration::from_millis(4);
        let event = case_event(&failed, &Redactor::new());
        assert_eq!(
            event.to_string(),
            r#"{"covers":["example-1"],"documented":true,"duration":0.004,"file":"cases/f.yaml","findings":[{"actual":"Agent Id exceeds 11 digit","expected":"Agent Id exceeds 11 digits","headline":"message: expected \"Agent Id exceeds 11 digits\", got \"Agent Id exceeds 11 digit\"","kind":"message","path":"/message"},{"actual":500,"expected":[400],"headline":"status: expected 400, got 500","kind":"status","path":null}],"line":3,"name":"errors-request::agent-id-too-long-from","type":"case","verdict":"failed"}"#
        );
    }

    #[test]
    fn every_verdict_and_kind_has_its_fields() {
        let redactor = Redactor::new();
        let broken = case_event(&result("f::b", Verdict::Broken(TransportError::new(TransportKind::Timeout, "late"))), &redactor);
        assert_eq!(broken["verdict"], "broken");
        assert_eq!(broken["error"], json!({"kind": "timeout", "detail": "late"}));
        let held = case_event(&result("f::h", Verdict::Held(HoldReason::PlacesCall)), &redactor);
        assert_eq!((held["verdict"].as_str(), held["reason"].as_str()), (Some("held back"), Some(HoldReason::PlacesCall.text())));
        assert_eq!(case_event(&result("f::p", Verdict::Passed), &redactor)["verdict"], "passed");

        let header = finding(&Finding::Header { name: "X-A".into(), expected: "1".into(), actual: None }, &redactor);
        assert_eq!((header["header"].as_str(), header["actual"].is_null()), (Some("X-A"), true));
        let echo = finding(
            &Finding::Echo { expected: json!({"/from/agentId": "1234", "/to/agentId": "4567"}), actual: json!({"/from/agentId": "1234"}) },
            &redactor,
        );
        assert_eq!(echo["path"], "/to/agentId");
        let nested = Finding::NoAlternative { alternatives: vec![("201".into(), vec![Finding::NoId])] };
        let nested = finding(&nested, &redactor);
        assert_eq!(nested["alternatives"][0]["findings"][0]["kind"], "no-id");
        let schema = finding(&Finding::Schema { schema: "error".into(), path: "/message".into(), message: "not a string".into() }, &redactor);
        assert_eq!((schema["path"].as_str(), schema["detail"].as_str()), (Some("/message"), Some("not a string")));
    }

    #[test]
    fn peer_text_is_hidden_visible_and_capped() {
        let token = Secret::new("json-secret-4Rt");
        let redactor = Redactor::of([&token]);
        let hostile = Finding::Message { expected: "x".into(), actual: format!("{} \x1b]0;t\x07\n::error::x {}", token.expose(), "y".repeat(50_000)) };
        let event = finding(&hostile, &redactor);
        let actual = event["actual"].as_str().unwrap();
        assert!(actual.starts_with("[redacted] \\u{1b}]0;t\\u{7}\n\\u{3a}:error::x"), "{actual:.80}");
        assert!(actual.chars().count() < VALUE_SHOWN + 50, "{}", actual.len());
        assert!(!event.to_string().contains("json-secret"));
    }
}
