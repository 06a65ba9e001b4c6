//! HAR: every exchange of the run as an HTTP Archive 1.2, which browsers'
//! developer tools and many proxies open, and which a later run can be compared
//! with. One entry per case that was sent, in plan order: the request as sent
//! (the token as `Bearer [redacted]`), the response as received (status,
//! headers, body), when it started and how long it took; the case in `comment`
//! and in `_case` (its name, file, line, what it covers, its verdict); a case
//! that got no usable response has status 0 and `_error` (its kind and detail);
//! the run in `log._run` (its target, when it started, whether it was
//! interrupted). This is also the record that `diff --against-record` compares
//! a later run with (`run --record-answers FILE` is `--har FILE`).
//!
//! Values are kept as they came, secrets hidden, so that a comparison sees what
//! the peer sent; the file holds no raw control or reordering character all the
//! same (each is written as a JSON `\u` escape, which a reader decodes back),
//! and what a hostile peer can make it hold is bounded: each header value, the
//! headers of one message, and each body are capped, with a note of the cut.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::exchange::{Response, SentRequest, TransportError};
use crate::report::json::verdict_name;
use crate::peer_text::capped;
use crate::peer_text::hidden;
use crate::result::{CaseResult, RunInfo, RunOutcome, Verdict};
use crate::secrets::Redactor;

/// How many characters of one header value an entry keeps.
const HEADER_KEPT: usize = 2000;
/// How many characters of one message's headers (names and values) an entry keeps.
const HEADERS_KEPT: usize = 16 * 1024;
/// How many characters of one body an entry keeps.
const BODY_KEPT: usize = 64 * 1024;

/// A text from the run or a peer, as kept: secrets hidden, at most `max` characters.
fn kept(text: &str, redactor: &Redactor, max: usize) -> String {
    capped(redactor.redact(text).into_owned(), max)
}

/// Headers as HAR name/value pairs, kept within [`HEADER_KEPT`] each and
/// [`HEADERS_KEPT`] in all; a note in the last pair's `comment` when some were cut.
fn headers<'a>(pairs: impl ExactSizeIterator<Item = (&'a str, &'a str)>, redactor: &Redactor) -> Value {
    let pairs: Vec<(&str, &str)> = pairs.collect();
    let total = pairs.len();
    let (mut out, mut budget) = (Vec::new(), HEADERS_KEPT);
    for (name, value) in redactor.redact_pairs(&pairs) {
        let (name, value) = (capped(name, HEADER_KEPT), capped(value, HEADER_KEPT));
        let size = name.chars().count() + value.chars().count();
        if size > budget {
            break;
        }
        budget -= size;
        out.push(json!({"name": name, "value": value}));
    }
    if out.len() < total {
        let note = format!("{} more headers cut (at most {HEADERS_KEPT} characters of headers are kept)", total - out.len());
        out.push(json!({"name": "", "value": "", "comment": note}));
    }
    Value::Array(out)
}

/// A body as text (secrets hidden, capped) and a comment when it was not
/// UTF-8 or was cut.
fn body(bytes: &[u8], redactor: &Redactor) -> (String, Option<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut notes = Vec::new();
    if matches!(text, std::borrow::Cow::Owned(_)) {
        notes.push("not UTF-8: shown with replacement characters".to_owned());
    }
    let hidden = redactor.redact(&text).into_owned();
    let cut = hidden.chars().nth(BODY_KEPT).is_some();
    let text = capped(hidden, BODY_KEPT);
    if cut {
        notes.push(format!("cut at {BODY_KEPT} characters of {} bytes", bytes.len()));
    }
    (text, (!notes.is_empty()).then(|| notes.join("; ")))
}

fn with_comment(mut value: Value, comment: Option<String>) -> Value {
    if let (Some(comment), Some(map)) = (comment, value.as_object_mut()) {
        map.insert("comment".into(), json!(comment));
    }
    value
}

fn request(req: &SentRequest, redactor: &Redactor) -> Value {
    let auth = format!("{} [redacted]", req.auth_scheme);
    let mut pairs: Vec<(&str, &str)> = req.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    if req.auth {
        pairs.push(("Authorization", &auth));
    }
    let url = kept(&req.url, redactor, HEADER_KEPT);
    let query: Vec<Value> = url::Url::parse(&url)
        .map(|u| u.query_pairs().map(|(n, v)| json!({"name": n, "value": v})).collect())
        .unwrap_or_default();
    let mut value = json!({
        "method": req.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(pairs.into_iter(), redactor),
        "queryString": query,
        "headersSize": -1,
        "bodySize": req.body.len(),
    });
    if !req.body.is_empty() {
        let content_type = req.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map_or("", |(_, v)| v.as_str());
        let (text, comment) = body(&req.body, redactor);
        value["postData"] = with_comment(json!({"mimeType": kept(content_type, redactor, HEADER_KEPT), "text": text}), comment);
    }
    value
}

fn response(resp: &Response, redactor: &Redactor) -> Value {
    let status_text = reqwest::StatusCode::from_u16(resp.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let (text, comment) = body(&resp.body, redactor);
    let header = |name| resp.header(name).map_or(String::new(), |v| kept(v, redactor, HEADER_KEPT));
    json!({
        "status": resp.status,
        "statusText": status_text,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(resp.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), redactor),
        "content": with_comment(json!({"size": resp.body.len(), "mimeType": header("content-type"), "text": text}), comment),
        "redirectURL": header("location"),
        "headersSize": -1,
        "bodySize": resp.body.len(),
    })
}

/// No response: status 0, as browsers record a request that got none.
fn no_response() -> Value {
    json!({
        "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
        "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
    })
}

/// The entry of a case that was sent (`None` for one that was not).
pub fn entry_of(result: &CaseResult, redactor: &Redactor) -> Option<Value> {
    result.request.as_ref().map(|req| entry(result, req, redactor))
}

fn entry(result: &CaseResult, req: &SentRequest, redactor: &Redactor) -> Value {
    let millis = result.time.as_secs_f64() * 1000.0;
    let case = &result.case;
    let mut entry = json!({
        "startedDateTime": req.sent_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "time": millis,
        "request": request(req, redactor),
        "response": result.response.as_ref().map_or_else(no_response, |r| response(r, redactor)),
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0, "comment": "the whole exchange is counted as wait"},
        "comment": case.name,
        "_case": {"name": case.name, "file": case.source, "line": case.line, "covers": case.covers, "verdict": verdict_name(&result.verdict)},
    });
    if let Verdict::Broken(TransportError { kind, detail }) = &result.verdict {
        entry["_error"] = json!({"kind": kind.label(), "detail": kept(detail, redactor, HEADER_KEPT)});
    }
    entry
}

/// Writes every character JSON leaves raw that a terminal or an editor could
/// act on (DEL, C1 controls, bidirectional overrides) as a `\u` escape: they
/// can only stand inside strings, where the escape reads back the same.
fn escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if hidden(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How many bytes of entries one archive keeps whole (48 MiB): the rest keep
/// their case, status and timing, without headers or bodies, so that an
/// exhaustive run against a server with large answers stays readable (a
/// record is read back within 64 MiB).
const ARCHIVE_KEPT: usize = 48 << 20;

/// `entry` without what a peer sent in bulk (headers, bodies), with a note,
/// and marked `_thinned` (a comparison with it compares nothing).
fn thinned(mut entry: Value) -> Value {
    entry["_thinned"] = json!(true);
    for side in ["request", "response"] {
        if let Some(message) = entry.get_mut(side).and_then(Value::as_object_mut) {
            message.insert("headers".into(), json!([]));
            for part in ["postData", "content"] {
                if let Some(text) = message.get_mut(part).and_then(|c| c.get_mut("text")) {
                    *text = json!("");
                }
            }
            message.insert("comment".into(), json!(format!("headers and body not kept: the archive keeps {} MiB of entries whole", ARCHIVE_KEPT >> 20)));
        }
    }
    entry
}

/// The archive.
pub fn render(outcome: &RunOutcome) -> String {
    let redactor = &outcome.redactor;
    let mut kept_bytes = 0usize;
    let entries: Vec<Value> = outcome
        .results
        .iter()
        .filter_map(|r| entry_of(r, redactor))
        .map(|entry| {
            kept_bytes += serde_json::to_string(&entry).map_or(0, |text| text.len());
            if kept_bytes > ARCHIVE_KEPT { thinned(entry) } else { entry }
        })
        .collect();
    let (name, version) = RunInfo::TOOL.split_once(' ').unwrap_or((RunInfo::TOOL, ""));
    let har = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": name, "version": version},
            "entries": entries,
            "comment": format!("target: {}{}", outcome.run.target, if outcome.run.interrupted { " (interrupted)" } else { "" }),
            "_run": {
                "target": kept(&outcome.run.target, redactor, HEADER_KEPT),
                "started": outcome.run.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "interrupted": outcome.run.interrupted,
            },
        }
    });
    escaped(&serde_json::to_string_pretty(&har).unwrap_or_default()) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{Finding, test_support::result};
    use crate::secrets::Secret;

    fn outcome(results: Vec<CaseResult>, redactor: Redactor) -> RunOutcome {
        let run = RunInfo { target: "http://h (deployment)".into(), started: chrono::Utc::now(), total: Default::default(), interrupted: false };
        RunOutcome { results, run, redactor }
    }

    #[test]
    fn each_exchange_is_an_entry_with_its_case() {
        let mut sent = result("f::a", Verdict::Failed(vec![Finding::NoId]));
        let token = Secret::new("har-secret-3Pz");
        if let Some(req) = &mut sent.request {
            req.url = "http://h/v0/a/calls/?x=1".into();
            req.auth = true;
            req.body = br#"{"from":{}}"#.to_vec();
            req.headers = vec![("Content-Type".into(), "application/json".into())];
        }
        sent.response = Some(Response {
            status: 400,
            headers: vec![("content-type".into(), "application/json".into()), ("x-echo".into(), format!("Bearer {}", token.expose()))],
            body: b"{\"message\":\"\x1b[2K\xc2\x9b \\u001b\"}".to_vec(),
        });
        let unsent = result("f::held", Verdict::FilteredOut);
        let mut unsent = unsent;
        unsent.request = None;
        let text = render(&outcome(vec![sent, unsent], Redactor::of([&token])));
        let har: Value = serde_json::from_str(&text).unwrap();
        let entries = har["log"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{text}");
        let e = &entries[0];
        assert_eq!(e["comment"], "f::a");
        assert_eq!(e["_case"]["verdict"], "failed");
        assert_eq!(e["request"]["queryString"], json!([{"name": "x", "value": "1"}]));
        assert_eq!(e["request"]["headers"][1], json!({"name": "Authorization", "value": "Bearer [redacted]"}));
        assert_eq!(e["request"]["postData"]["mimeType"], "application/json");
        assert_eq!(e["response"]["statusText"], "Bad Request");
        assert_eq!(e["response"]["headers"][1]["value"], "Bearer [redacted]");
        assert_eq!(e["response"]["content"]["text"], "{\"message\":\"\x1b[2K\u{9b} \\u001b\"}", "kept as it came");
        assert!(!text.contains("har-secret") && !text.contains('\x1b') && !text.contains('\u{9b}'), "{text}");
        assert!(e["startedDateTime"].as_str().unwrap().ends_with('Z'));
        assert_eq!((har["log"]["_run"]["target"].as_str(), har["log"]["_run"]["interrupted"].as_bool()), (Some("http://h (deployment)"), Some(false)));
        assert!(har["log"]["_run"]["started"].as_str().unwrap().ends_with('Z'), "{text}");
    }

    #[test]
    fn a_body_is_noted_as_cut_only_when_it_was() {
        // Over 64 KiB in bytes, under 64 Ki characters, and ending as a cut text does: kept whole.
        let whole = format!("{} (1 more characters cut)", "é".repeat(40_000));
        assert_eq!(body(whole.as_bytes(), &Redactor::new()), (whole.clone(), None));
        let long = "a".repeat(BODY_KEPT + 1);
        let (text, note) = body(long.as_bytes(), &Redactor::new());
        assert!(text.ends_with("(1 more characters cut)"), "{}", &text[text.len() - 40..]);
        assert_eq!(note.as_deref(), Some(format!("cut at {BODY_KEPT} characters of {} bytes", BODY_KEPT + 1).as_str()));
    }

    #[test]
    fn the_authorization_header_keeps_the_scheme_the_case_sent() {
        let mut sent = result("f::a", Verdict::Passed);
        if let Some(req) = &mut sent.request {
            req.auth = true;
            req.auth_scheme = "bearer".into();
        }
        let har: Value = serde_json::from_str(&render(&outcome(vec![sent], Redactor::new()))).unwrap();
        let headers = har["log"]["entries"][0]["request"]["headers"].as_array().unwrap().clone();
        assert!(headers.contains(&json!({"name": "Authorization", "value": "bearer [redacted]"})), "{headers:?}");
    }

    #[test]
    fn a_hostile_peer_cannot_make_an_entry_large() {
        let mut huge = result("f::huge", Verdict::Failed(vec![Finding::NoId]));
        huge.response = Some(Response {
            status: 400,
            headers: (0..2000).map(|i| (format!("x-{i}"), "v".repeat(5000))).collect(),
            body: vec![b'y'; 5 << 20],
        });
        let text = render(&outcome(vec![huge], Redactor::new()));
        assert!(text.len() < 200_000, "{}", text.len());
        let har: Value = serde_json::from_str(&text).unwrap();
        let response = &har["log"]["entries"][0]["response"];
        assert!(response["headers"].as_array().unwrap().last().unwrap()["comment"].as_str().unwrap().contains("more headers cut"));
        assert!(response["content"]["comment"].as_str().unwrap().starts_with("cut at 65536 characters"));
        assert_eq!(response["content"]["size"], 5 << 20);
    }

    #[test]
    fn past_its_budget_an_entry_keeps_its_case_and_status_but_not_its_bulk() {
        let entry = json!({
            "request": {"method": "POST", "headers": [{"name": "a", "value": "b"}], "postData": {"mimeType": "x", "text": "big"}},
            "response": {"status": 400, "headers": [{"name": "c", "value": "d"}], "content": {"mimeType": "x", "text": "bigger"}},
            "_case": {"name": "f::a"},
        });
        let thin = thinned(entry);
        assert_eq!(thin["response"]["status"], 400);
        assert_eq!(thin["_case"]["name"], "f::a");
        assert_eq!((thin["request"]["postData"]["text"].as_str(), thin["response"]["content"]["text"].as_str()), (Some(""), Some("")));
        assert!(thin["response"]["headers"].as_array().unwrap().is_empty());
        assert!(thin["response"]["comment"].as_str().unwrap().contains("not kept"));
        assert_eq!(thin["_thinned"], true);
    }
}
