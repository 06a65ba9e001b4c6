//! Report: what a case's result says. The request as sent (with the bearer
//! token redacted), the response as received, then each finding with its diff.
//! libtest-mimic prints a failure's text under the case's name and does the
//! `cargo test` style summary; [`Record`]s feed the file reports (`junit`, `html`).

use crate::suite::Case;
use crate::checks::preview;
use crate::client::{Response, Secret};

/// How much of a body is shown.
const BODY_SHOWN: usize = 2000;

/// A body as shown in a report: secrets scrubbed first, then shortened (the other
/// way round could cut a secret in two and leave its start showing).
fn body_text(body: &[u8], secrets: &[Secret]) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    match std::str::from_utf8(body) {
        Ok(text) => {
            let text = redact(text.to_owned(), secrets);
            if text.chars().count() <= BODY_SHOWN {
                return text;
            }
            let shown: String = text.chars().take(BODY_SHOWN).collect();
            format!("{shown}… ({} bytes in all)", body.len())
        }
        Err(_) => {
            let text = redact(String::from_utf8_lossy(body).into_owned(), secrets);
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
pub fn exchange(case: &Case, url: &str, secrets: &[Secret], outcome: &Result<Response, String>) -> String {
    let mut out = String::from("request:\n");
    let mut request = format!("{} {url}\n", case.request.method);
    for (name, value) in &case.request.headers {
        request.push_str(&format!("{name}: {value}\n"));
    }
    if case.request.auth && !secrets.is_empty() {
        request.push_str("Authorization: Bearer [redacted]\n");
    }
    request.push('\n');
    request.push_str(&body_text(&case.request.body, secrets));
    out.push_str(&indent(&request));
    match outcome {
        Err(reason) => out.push_str(&format!("no usable response: {reason}\n")),
        Ok(resp) => {
            let mut response = format!("{}\n", resp.status);
            for (name, value) in &resp.headers {
                response.push_str(&format!("{name}: {value}\n"));
            }
            response.push('\n');
            response.push_str(&body_text(&resp.body, secrets));
            out.push_str("response:\n");
            out.push_str(&indent(&response));
        }
    }
    redact(out, secrets)
}

/// The findings as a list, redacted.
pub fn findings(findings: &[String], secrets: &[Secret]) -> String {
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
    redact(out, secrets)
}

/// The record of a case that was sent.
pub fn record(
    case: &Case,
    url: &str,
    secrets: &[Secret],
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
        exchange: if passed && !keep_passing { String::new() } else { exchange(case, url, secrets, outcome) },
        findings: findings(found, secrets),
        ..Record::ignored(case, "")
    }
}

/// The text of a failed case.
pub fn failure(
    case: &Case,
    url: &str,
    secrets: &[Secret],
    outcome: &Result<Response, String>,
    found: &[String],
) -> String {
    record(case, url, secrets, outcome, found, std::time::Duration::ZERO, true).failure_text()
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

/// Tokens shorter than this are not scrubbed from the text: a real bearer token
/// is far longer, and scrubbing `t` would mangle every word.
pub const MIN_SCRUBBED: usize = 8;

/// Removes every secret wherever it appears (a server may echo one back). The
/// request's own `Authorization` line is never printed with the token at all.
pub fn redact(mut text: String, secrets: &[Secret]) -> String {
    for secret in secrets.iter().filter(|s| s.expose().len() >= MIN_SCRUBBED) {
        text = text.replace(secret.expose(), "[redacted]");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Expectation, Request};

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
            expect: Expectation::new(201).into(),
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
        let text = failure(&case(), "http://h/v0/a/calls/", &[token], &Ok(resp), &["status: x".into()]);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("Authorization: Bearer [redacted]"), "{text}");
        assert!(text.contains("examples::one (cases/examples.yaml:4)"), "{text}");
    }

    #[test]
    fn short_tokens_do_not_mangle_the_report() {
        let text = failure(&case(), "http://h/t", &[Secret::new("t")], &Err("timeout".into()), &[]);
        assert!(text.contains("no usable response: timeout"), "{text}");
        assert!(text.contains("Authorization: Bearer [redacted]"), "{text}");
    }

    #[test]
    fn transport_errors_and_binary_bodies_are_shown() {
        let text = failure(&case(), "u", &[], &Err("could not connect".into()), &[]);
        assert!(text.contains("no usable response: could not connect"), "{text}");
        assert!(body_text(&[0xff, 0x00], &[]).starts_with("(not UTF-8)"));
        assert!(body_text(&vec![b'a'; 5000], &[]).ends_with("(5000 bytes in all)"));
    }

    #[test]
    fn a_secret_across_the_cut_leaves_no_trace() {
        let token = Secret::new("straddling-token-7Qx");
        let secrets = std::slice::from_ref(&token);
        for at in [BODY_SHOWN - 10, BODY_SHOWN - 1, BODY_SHOWN] {
            let body = "a".repeat(at) + token.expose() + &"b".repeat(3000);
            let text = body_text(body.as_bytes(), secrets);
            assert!(!text.contains("straddl") && text.ends_with(&format!("({} bytes in all)", body.len())), "{at}: …{}", &text[text.len() - 60..]);
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
        let kept = record(&case(), "u", &[], &Ok(resp.clone()), &[], std::time::Duration::ZERO, true);
        let dropped = record(&case(), "u", &[], &Ok(resp.clone()), &[], std::time::Duration::ZERO, false);
        let failed = record(&case(), "u", &[], &Ok(resp), &["status: x".into()], std::time::Duration::ZERO, false);
        assert!(kept.exchange.contains("POST u") && dropped.exchange.is_empty() && failed.exchange.contains("201"));
    }
}
