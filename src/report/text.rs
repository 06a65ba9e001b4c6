//! Text: a case's result as a person reads it under its name (`cargo test`
//! style): where the case comes from, the request as sent (the bearer token
//! redacted), the response as received, then each finding with its diff. The
//! other reports reuse these pieces. Every text is redacted first and shortened
//! after, so a cut never leaves half a secret showing; bodies and findings are
//! capped, with a note of what was cut. With [`Style::Color`] (`--color`), the
//! lines of a message or echo diff are colored, as marked from the finding's
//! values (removed red, added green); the text is otherwise the same.

use crate::exchange::{Response, SentRequest, TransportError};
use crate::peer_text;
use crate::report::lines;
use crate::peer_text::visible;
use crate::result::{CaseResult, Finding, Verdict};
use crate::secrets::Redactor;

/// How much of a body is shown.
pub const BODY_SHOWN: usize = 2000;
/// How much of a header value is shown.
pub const HEADER_SHOWN: usize = 500;
/// How many headers of a response are shown.
pub const HEADERS_SHOWN: usize = 50;

/// The first bytes of a body that is not UTF-8, printable.
pub fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let more = if body.len() > MAX { format!("… ({} bytes)", body.len()) } else { String::new() };
    format!("{text:?}{more}")
}

/// A body as shown in a report: redactor scrubbed first, then shortened (the other
/// way round could cut a secret in two and leave its start showing).
pub fn body_text(body: &[u8], redactor: &Redactor) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    match std::str::from_utf8(body) {
        Ok(text) => {
            let text = visible(&redactor.redact(text)).into_owned();
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
        request.push_str(&format!("Authorization: {} [redacted]\n", req.auth_scheme));
    }
    request.push('\n');
    request.push_str(&body_text(&req.body, redactor));
    redactor.redact(&request).into_owned()
}

/// The response as received: redacted, made visible, each header value capped
/// at [`HEADER_SHOWN`] characters and at most [`HEADERS_SHOWN`] headers shown.
pub fn response_text(resp: &Response, redactor: &Redactor) -> String {
    let mut response = format!("{}\n", resp.status);
    for (name, value) in resp.headers.iter().take(HEADERS_SHOWN) {
        let line = peer_text::shown(&format!("{name}: {value}"), redactor, HEADER_SHOWN);
        response.push_str(&line.replace('\n', " "));
        response.push('\n');
    }
    if resp.headers.len() > HEADERS_SHOWN {
        response.push_str(&format!("… ({} more headers not shown)\n", resp.headers.len() - HEADERS_SHOWN));
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
        Err(e) => out.push_str(&format!("no usable response: {}\n", peer_text::shown(&e.to_string(), redactor, lines::FINDING_SHOWN))),
        Ok(resp) => {
            out.push_str("response:\n");
            out.push_str(&indent(&response_text(resp, redactor)));
        }
    }
    out
}

/// One finding as text, redacted and capped.
pub fn finding_text(finding: &Finding, redactor: &Redactor) -> String {
    lines::finding(finding, redactor).plain()
}

/// How a text is shown: plain, or colored for a terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    #[default]
    Plain,
    /// A diff's removed lines red, its added lines green (ANSI colors).
    Color,
}

/// One finding as text in `style`: the same lines, redacted and capped alike,
/// with [`Style::Color`] its diff lines colored.
pub fn finding_text_styled(finding: &Finding, redactor: &Redactor, style: Style) -> String {
    let marked = lines::finding(finding, redactor);
    match style {
        Style::Plain => marked.plain(),
        Style::Color => marked.colored(),
    }
}

/// The findings as a list.
pub fn findings(findings: &[Finding], redactor: &Redactor) -> String {
    findings_styled(findings, redactor, Style::Plain)
}

/// The findings as a list, in `style`.
pub fn findings_styled(findings: &[Finding], redactor: &Redactor, style: Style) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut out = String::from("findings:\n");
    for finding in findings {
        let text = finding_text_styled(finding, redactor, style);
        let mut lines = text.lines();
        out.push_str(&format!("  - {}\n", lines.next().unwrap_or("")));
        for line in lines {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// The head line: the case, where it is defined, what it covers; then how
/// the run sent it, where that was out of the ordinary (retries, a spare agent
/// or number, a wait for its agent).
pub fn heading(result: &CaseResult) -> String {
    let case = &result.case;
    let mut out = format!("{} ({}:{}) covers: {}\n", case.name, case.source, case.line, case.covers.join("; "));
    if !case.documented {
        out.push_str("note: this behaviour is not documented on the page\n");
    }
    if let Some(retries) = result.retries_text() {
        out.push_str(&format!("sent again: {retries}\n"));
    }
    if let Some(scheduling) = &result.scheduling {
        for spread in &scheduling.spread {
            out.push_str(&format!(
                "spread: {} {} in place of {} {}\n",
                spread.pointer,
                visible(&spread.sent),
                spread.variable,
                visible(&spread.instead_of)
            ));
        }
        if scheduling.waited >= std::time::Duration::from_millis(1) {
            out.push_str(&format!(
                "spaced: waited {:.1} s for agent {} to be free after its last call (--agent-spacing, or what busy answers showed)\n",
                scheduling.waited.as_secs_f64(),
                visible(&scheduling.agents.join(", "))
            ));
        }
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
    case_text_styled(result, redactor, Style::Plain)
}

/// What a case prints, in `style` (colored diffs for a terminal).
pub fn case_text_styled(result: &CaseResult, redactor: &Redactor, style: Style) -> String {
    let mut out = heading(result);
    out.push_str(&exchange_of(result, redactor));
    if let Verdict::Failed(found) = &result.verdict {
        out.push_str(&findings_styled(found, redactor, style));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::report::lines::FINDING_SHOWN;
    use super::*;
    use crate::exchange::TransportKind;
    use crate::result::test_support;
    use crate::secrets::Secret;

    fn result(verdict: Verdict, response: Option<Response>) -> CaseResult {
        let mut result = test_support::result("examples::one", verdict);
        result.case.source = "cases/examples.yaml".into();
        result.case.line = 4;
        result.request = Some(SentRequest {
            method: "POST".into(),
            url: "http://h/v0/a/calls/".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            auth: true,
            auth_scheme: "Bearer".into(),
            body: b"{}".to_vec(),
            sent_at: chrono::Utc::now(),
        });
        result.response = response;
        result
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
        assert_eq!(peer_text::capped("short".into(), 10), "short");
    }

    /// The text without its ANSI color sequences.
    fn uncolored(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\x1b') {
            out.push_str(&rest[..at]);
            rest = rest[at..].split_once('m').map_or("", |(_, after)| after);
        }
        out + rest
    }

    #[test]
    fn color_marks_the_diff_lines_and_changes_nothing_else() {
        let message = Finding::Message { expected: "Agent Id exceeds 11 digits".into(), actual: "Agent Id exceeds 11 digit".into() };
        let echo = Finding::Echo {
            expected: serde_json::json!({"/from/agentId": "1234", "/to/telephoneNumber": "02072068888"}),
            actual: serde_json::json!({"/from/agentId": "1234", "/to/telephoneNumber": null}),
        };
        let nested = Finding::NoAlternative {
            alternatives: vec![
                ("201".into(), vec![Finding::Status { expected: vec![201], actual: 400 }]),
                ("400 Agent Id exceeds 11 digits".into(), vec![message.clone(), echo.clone()]),
            ],
        };
        let redactor = Redactor::new();
        for finding in [&message, &echo, &nested, &Finding::NoSelfLink] {
            let plain = finding_text(finding, &redactor);
            let colored = finding_text_styled(finding, &redactor, Style::Color);
            assert_eq!(uncolored(&colored), plain.trim_end_matches('\n'), "{finding:?}");
            assert_eq!(finding_text_styled(finding, &redactor, Style::Plain), plain);
        }
        let colored = finding_text_styled(&message, &redactor, Style::Color);
        assert!(colored.contains("\n\x1b[31m-Agent Id exceeds 11 digits\x1b[0m\n\x1b[32m+Agent Id exceeds 11 digit\x1b[0m"), "{colored:?}");
        assert!(colored.starts_with("message: expected \"Agent Id exceeds 11 digits\", got \"Agent Id exceeds 11 digit\"\n--- expected\n+++ actual\n@@ -1 +1 @@\n"), "{colored:?}");
        let nested = finding_text_styled(&nested, &redactor, Style::Color);
        assert!(nested.contains("\x1b[31m    -Agent Id exceeds 11 digits\x1b[0m"), "{nested:?}");
        assert!(nested.contains("\x1b[32m    +  \"/to/telephoneNumber\": null\x1b[0m"), "{nested:?}");
        assert!(!finding_text_styled(&Finding::NoSelfLink, &redactor, Style::Color).contains('\x1b'));
        assert!(!findings(std::slice::from_ref(&message), &redactor).contains('\x1b'));
    }

    #[test]
    fn colored_text_is_redacted_and_capped_as_the_plain_one() {
        let token = Secret::new("colored-secret-9Kq");
        let redactor = Redactor::of([&token]);
        let leaky = Finding::Message { expected: "x".into(), actual: format!("bad token {}", token.expose()) };
        let colored = finding_text_styled(&leaky, &redactor, Style::Color);
        assert!(!colored.contains("colored-secret") && colored.contains("\x1b[32m+bad token [redacted]\x1b[0m"), "{colored:?}");
        let huge = Finding::Message { expected: "x".into(), actual: "y".repeat(800_000) };
        let colored = finding_text_styled(&huge, &redactor, Style::Color);
        assert!(colored.chars().count() < FINDING_SHOWN + 100, "{}", colored.len());
        assert!(colored.ends_with("more characters cut)\x1b[0m"), "the color ends with the cut: {:?}", &colored[colored.len() - 60..]);
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
