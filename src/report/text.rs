//! Text: a case's result as a person reads it under its name (`cargo test`
//! style): where the case comes from, the request as sent (the bearer token
//! redacted), the response as received, then each finding with its diff. The
//! other reports reuse these pieces. Every text is redacted first and shortened
//! after, so a cut never leaves half a secret showing; bodies and findings are
//! capped, with a note of what was cut.

use crate::client::Response;
use crate::secrets::Redactor;
use crate::result::{CaseResult, Finding, SentRequest, TransportError, Verdict, preview};

/// How much of a body is shown.
pub const BODY_SHOWN: usize = 2000;
/// How much of one rendered finding is shown (a message diff of two huge texts).
pub const FINDING_SHOWN: usize = 4000;

/// At most `max` characters of `text`, with a note of how much was cut.
pub fn capped(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((at, _)) => {
            let cut = text[at..].chars().count();
            format!("{}… ({cut} more characters cut)", &text[..at])
        }
    }
}

/// A body as shown in a report: redactor scrubbed first, then shortened (the other
/// way round could cut a secret in two and leave its start showing).
pub fn body_text(body: &[u8], redactor: &Redactor) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    match std::str::from_utf8(body) {
        Ok(text) => {
            let text = redactor.redact(text).into_owned();
            if text.chars().count() <= BODY_SHOWN {
                return text;
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

/// The request as sent, redacted.
pub fn request_text(req: &SentRequest, redactor: &Redactor) -> String {
    let mut request = format!("{} {}\n", req.method, req.url);
    for (name, value) in &req.headers {
        request.push_str(&format!("{name}: {value}\n"));
    }
    if req.auth && !redactor.is_empty() {
        request.push_str("Authorization: Bearer [redacted]\n");
    }
    request.push('\n');
    request.push_str(&body_text(&req.body, redactor));
    redactor.redact(&request).into_owned()
}

/// The response as received, redacted.
pub fn response_text(resp: &Response, redactor: &Redactor) -> String {
    let mut response = format!("{}\n", resp.status);
    for (name, value) in &resp.headers {
        response.push_str(&format!("{name}: {value}\n"));
    }
    response.push('\n');
    response.push_str(&body_text(&resp.body, redactor));
    redactor.redact(&response).into_owned()
}

/// The exchange: the request, then the response or why there was none.
pub fn exchange(req: &SentRequest, answer: Result<&Response, &TransportError>, redactor: &Redactor) -> String {
    let mut out = String::from("request:\n");
    out.push_str(&indent(&request_text(req, redactor)));
    match answer {
        Err(e) => out.push_str(&format!("no usable response: {}\n", finding_text_of(&e.to_string(), redactor))),
        Ok(resp) => {
            out.push_str("response:\n");
            out.push_str(&indent(&response_text(resp, redactor)));
        }
    }
    out
}

fn finding_text_of(text: &str, redactor: &Redactor) -> String {
    capped(redactor.redact(text).into_owned(), FINDING_SHOWN)
}

/// One finding as text, redacted and capped.
pub fn finding_text(finding: &Finding, redactor: &Redactor) -> String {
    finding_text_of(&finding.to_string(), redactor)
}

/// The findings as a list.
pub fn findings(findings: &[Finding], redactor: &Redactor) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut out = String::from("findings:\n");
    for finding in findings {
        let text = finding_text(finding, redactor);
        let mut lines = text.lines();
        out.push_str(&format!("  - {}\n", lines.next().unwrap_or("")));
        for line in lines {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// The head line: the case, where it is defined, what it covers.
pub fn heading(result: &CaseResult) -> String {
    let case = &result.case;
    let mut out = format!("{} ({}:{}) covers: {}\n", case.name, case.source, case.line, case.covers.join("; "));
    if !case.documented {
        out.push_str("note: this behaviour is not documented on the page\n");
    }
    out
}

/// The exchange of a sent case (empty for one that was not sent).
pub fn exchange_of(result: &CaseResult, redactor: &Redactor) -> String {
    let Some(req) = &result.request else { return String::new() };
    match (&result.verdict, &result.response) {
        (Verdict::Broken(e), _) => exchange(req, Err(e), redactor),
        (_, Some(resp)) => exchange(req, Ok(resp), redactor),
        (_, None) => String::new(),
    }
}

/// What a case prints: heading, exchange, findings.
pub fn case_text(result: &CaseResult, redactor: &Redactor) -> String {
    let mut out = heading(result);
    out.push_str(&exchange_of(result, redactor));
    if let Verdict::Failed(found) = &result.verdict {
        out.push_str(&findings(found, redactor));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{CaseInfo, TransportKind};
    use crate::secrets::Secret;
    use std::time::Duration;

    fn result(verdict: Verdict, response: Option<Response>) -> CaseResult {
        CaseResult {
            case: CaseInfo {
                name: "examples::one".into(),
                file: "examples".into(),
                source: "cases/examples.yaml".into(),
                line: 4,
                covers: vec!["example-1".into()],
                documented: true,
                note: None,
            },
            request: Some(SentRequest {
                method: "POST".into(),
                url: "http://h/v0/a/calls/".into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                auth: true,
                body: b"{}".to_vec(),
            }),
            response,
            verdict,
            time: Duration::ZERO,
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
        let failed = Verdict::Failed(vec![Finding::Status { expected: vec![201], actual: 400 }]);
        let text = case_text(&result(failed, Some(resp)), &Redactor::of([&token]));
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("Authorization: Bearer [redacted]"), "{text}");
        assert!(text.contains("examples::one (cases/examples.yaml:4)"), "{text}");
        assert!(text.contains("findings:\n  - status: expected 201, got 400\n"), "{text}");
    }

    #[test]
    fn transport_errors_and_binary_bodies_are_shown() {
        let broken = Verdict::Broken(TransportError::new(TransportKind::Refused, "could not connect"));
        let text = case_text(&result(broken, None), &Redactor::of([&Secret::new("a-token-123")]));
        assert!(text.contains("no usable response: could not connect"), "{text}");
        assert!(text.contains("Authorization: Bearer [redacted]"), "{text}");
        assert!(body_text(&[0xff, 0x00], &Redactor::new()).starts_with("(not UTF-8)"));
        assert!(body_text(&vec![b'a'; 5000], &Redactor::new()).ends_with("(5000 bytes in all)"));
    }

    #[test]
    fn huge_findings_are_capped_with_a_note() {
        let huge = Finding::Message { expected: "x".into(), actual: "y".repeat(800_000) };
        let text = finding_text(&huge, &Redactor::new());
        assert!(text.chars().count() < FINDING_SHOWN + 100, "{}", text.len());
        assert!(text.ends_with("more characters cut)"), "{}", &text[text.len() - 80..]);
        assert_eq!(capped("short".into(), 10), "short");
    }

    #[test]
    fn a_secret_across_the_cut_leaves_no_trace() {
        let token = Secret::new("straddling-token-7Qx");
        let redactor = &Redactor::of([&token]);
        for at in [BODY_SHOWN - 10, BODY_SHOWN - 1, BODY_SHOWN] {
            let body = "a".repeat(at) + token.expose() + &"b".repeat(3000);
            let text = body_text(body.as_bytes(), redactor);
            assert!(!text.contains("straddl") && text.ends_with(&format!("({} bytes in all)", body.len())), "{at}: …{}", &text[text.len() - 60..]);
        }
        assert!(body_text(("a".repeat(BODY_SHOWN - 30) + token.expose()).as_bytes(), redactor).ends_with("[redacted]"));
        for at in [FINDING_SHOWN - 10, FINDING_SHOWN - 1] {
            let finding = Finding::RuledOutMessage { message: "a".repeat(at) + token.expose() };
            assert!(!finding_text(&finding, redactor).contains("straddl"), "{at}");
        }
        // Not UTF-8: the preview shows the first 200 bytes.
        for at in [190, 199] {
            let mut bytes = ("a".repeat(at) + token.expose()).into_bytes();
            bytes.push(0xff);
            let text = body_text(&bytes, redactor);
            assert!(text.starts_with("(not UTF-8)") && !text.contains("straddl"), "{at}: {text}");
        }
    }
}
