//! Report: what a case's result says. The request as sent (with the bearer
//! token redacted), the response as received, then each finding with its diff.
//! libtest-mimic prints a failure's text under the case's name and does the
//! `cargo test` style summary; [`Record`]s feed the file reports (`junit`, `html`).

use crate::cases::Case;
use crate::checks::preview;
use crate::client::Response;
use crate::secrets::Redactor;

/// How much of a body is shown.
const BODY_SHOWN: usize = 2000;

/// A body as shown in a report: secrets redacted first, then shortened (the other
/// way round could cut a secret in two and leave its start showing).
fn body_text(body: &[u8], redactor: &Redactor) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    match std::str::from_utf8(body) {
        Ok(text) => {
            let text = redactor.redact(text);
            if text.chars().count() <= BODY_SHOWN {
                return text.into_owned();
            }
            let shown: String = text.chars().take(BODY_SHOWN).collect();
            format!("{shown}… ({} bytes in all)", body.len())
        }
        Err(_) => {
            let text = redactor.redact(&String::from_utf8_lossy(body)).into_owned();
            format!("(not UTF-8) {}", preview(text.as_bytes()))
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Ignored(String),
}

/// One case's result, for the reports that outlive the run (JUnit, HTML).
/// Every text in it is already redacted.
#[derive(Clone, Debug)]
pub struct Record {
    pub name: String,
    pub file: String,
    pub source: String,
    pub line: usize,
    pub covers: Vec<String>,
    pub documented: bool,
    pub status: Status,
    pub time: std::time::Duration,
    /// The request and the response (or why there was none).
    pub exchange: String,
    /// What differed, with diffs; empty when it passed.
    pub findings: String,
}

impl Record {
    /// A case that was not sent.
    pub fn ignored(case: &Case, reason: &str) -> Record {
        Record {
            name: case.test_name(),
            file: case.file.clone(),
            source: case.source.clone(),
            line: case.line,
            covers: case.covers.clone(),
            documented: case.documented,
            status: Status::Ignored(reason.to_owned()),
            time: std::time::Duration::ZERO,
            exchange: String::new(),
            findings: String::new(),
        }
    }

    /// The text a failed case prints.
    pub fn failure_text(&self) -> String {
        let mut out = format!("{} ({}:{}) covers: {}\n", self.name, self.source, self.line, self.covers.join("; "));
        if !self.documented {
            out.push_str("note: this behaviour is not documented on the page\n");
        }
        out.push_str(&self.exchange);
        out.push_str(&self.findings);
        out
    }
}

/// The request as sent and the response as received, redacted.
pub fn exchange(case: &Case, url: &str, redactor: &Redactor, outcome: &Result<Response, String>) -> String {
    let mut out = String::from("request:\n");
    let mut request = format!("{} {url}\n", case.request.method);
    for (name, value) in &case.request.headers {
        request.push_str(&format!("{name}: {value}\n"));
    }
    if case.request.auth && !redactor.is_empty() {
        request.push_str("Authorization: Bearer [redacted]\n");
    }
    request.push('\n');
    request.push_str(&body_text(&case.request.body, redactor));
    out.push_str(&indent(&request));
    match outcome {
        Err(reason) => out.push_str(&format!("no usable response: {reason}\n")),
        Ok(resp) => {
            let mut response = format!("{}\n", resp.status);
            for (name, value) in &resp.headers {
                response.push_str(&format!("{name}: {value}\n"));
            }
            response.push('\n');
            response.push_str(&body_text(&resp.body, redactor));
            out.push_str("response:\n");
            out.push_str(&indent(&response));
        }
    }
    redactor.redact(&out).into_owned()
}

/// The findings as a list, redacted.
pub fn findings(findings: &[String], redactor: &Redactor) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut out = String::from("findings:\n");
    for finding in findings {
        let mut lines = finding.lines();
        out.push_str(&format!("  - {}\n", lines.next().unwrap_or("")));
        for line in lines {
            out.push_str(&format!("    {line}\n"));
        }
    }
    redactor.redact(&out).into_owned()
}

/// The record of a case that was sent.
pub fn record(
    case: &Case,
    url: &str,
    redactor: &Redactor,
    outcome: &Result<Response, String>,
    found: &[String],
    time: std::time::Duration,
    keep_passing: bool,
) -> Record {
    let passed = outcome.is_ok() && found.is_empty();
    Record {
        status: if passed { Status::Passed } else { Status::Failed },
        time,
        // Written out for a failure, or when a report shows passing cases too.
        exchange: if passed && !keep_passing { String::new() } else { exchange(case, url, redactor, outcome) },
        findings: findings(found, redactor),
        ..Record::ignored(case, "")
    }
}

/// The text of a failed case.
pub fn failure(
    case: &Case,
    url: &str,
    redactor: &Redactor,
    outcome: &Result<Response, String>,
    found: &[String],
) -> String {
    record(case, url, redactor, outcome, found, std::time::Duration::ZERO, true).failure_text()
}

/// Writes a report file whole: a temporary file beside it, then a rename, so
/// that a reader never sees half a report.
pub fn write_whole(path: &std::path::Path, text: &str) -> Result<(), String> {
    let name = path.file_name().ok_or("the path names no file")?.to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temp, text).map_err(|e| e.to_string())?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        e.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Expect, Request};
    use crate::secrets::Secret;

    fn none() -> Redactor {
        Redactor::new()
    }

    fn case() -> Case {
        Case {
            file: "examples".into(),
            source: "cases/examples.yaml".into(),
            line: 4,
            name: "one".into(),
            covers: vec!["example-1".into()],
            documented: true,
            note: None,
            tags: vec![],
            request: Request {
                method: "POST".into(),
                path: "/v0/a/calls/".into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                auth: true,
                body: b"{}".to_vec(),
                json: None,
            },
            expect: Expect::default(),
        }
    }

    #[test]
    fn the_token_never_appears_even_when_echoed() {
        let token = Secret::new("s3cr3t-token");
        let resp = Response {
            status: 400,
            headers: vec![("x-echo".into(), "Bearer s3cr3t-token".into())],
            body: b"{\"message\": \"bad token s3cr3t-token\"}".to_vec(),
        };
        let text = failure(&case(), "http://h/v0/a/calls/", &Redactor::of([&token]), &Ok(resp), &["status: x".into()]);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("Authorization: Bearer [redacted]"), "{text}");
        assert!(text.contains("examples::one (cases/examples.yaml:4)"), "{text}");
    }

    #[test]
    fn the_authorization_line_shows_only_when_a_token_is_sent() {
        let sent = failure(&case(), "http://h/t", &Redactor::of([&Secret::new("a-token-12")]), &Err("timeout".into()), &[]);
        assert!(sent.contains("no usable response: timeout") && sent.contains("Authorization: Bearer [redacted]"), "{sent}");
        let unsent = failure(&case(), "http://h/t", &none(), &Err("timeout".into()), &[]);
        assert!(!unsent.contains("Authorization"), "{unsent}");
    }

    #[test]
    fn transport_errors_and_binary_bodies_are_shown() {
        let text = failure(&case(), "u", &none(), &Err("could not connect".into()), &[]);
        assert!(text.contains("no usable response: could not connect"), "{text}");
        assert!(body_text(&[0xff, 0x00], &none()).starts_with("(not UTF-8)"));
        assert!(body_text(&vec![b'a'; 5000], &none()).ends_with("(5000 bytes in all)"));
    }

    #[test]
    fn a_secret_across_the_cut_leaves_no_trace() {
        let token = Secret::new("straddling/token-7Qx");
        let secrets = &Redactor::of([&token]);
        // As sent, and encoded as an echo would give it back: each as long as the cut.
        for shown in ["straddling/token-7Qx", "straddling\\/token-7Qx", "straddling%2Ftoken-7Qx", "STRADDLING\\u002ftoken-7qx"] {
            for at in [BODY_SHOWN - 10, BODY_SHOWN - 1, BODY_SHOWN] {
                let body = "a".repeat(at) + shown + &"b".repeat(3000);
                let text = body_text(body.as_bytes(), secrets);
                let tail = &text[text.len() - 60..];
                assert!(!text.to_lowercase().contains("straddl") && text.ends_with(&format!("({} bytes in all)", body.len())), "{at}: …{tail}");
            }
        }
        assert!(body_text(("a".repeat(BODY_SHOWN - 30) + token.expose()).as_bytes(), secrets).ends_with("[redacted]"));
        // Not UTF-8: the preview shows the first 200 bytes.
        for at in [190, 199] {
            let mut bytes = ("a".repeat(at) + token.expose()).into_bytes();
            bytes.push(0xff);
            let text = body_text(&bytes, secrets);
            assert!(text.starts_with("(not UTF-8)") && !text.contains("straddl"), "{at}: {text}");
        }
    }

    #[test]
    fn passing_exchanges_are_written_only_when_kept() {
        let resp = Response { status: 201, headers: vec![], body: b"{}".to_vec() };
        let kept = record(&case(), "u", &none(), &Ok(resp.clone()), &[], std::time::Duration::ZERO, true);
        let dropped = record(&case(), "u", &none(), &Ok(resp.clone()), &[], std::time::Duration::ZERO, false);
        let failed = record(&case(), "u", &none(), &Ok(resp), &["status: x".into()], std::time::Duration::ZERO, false);
        assert!(kept.exchange.contains("POST u") && dropped.exchange.is_empty() && failed.exchange.contains("201"));
    }
}
