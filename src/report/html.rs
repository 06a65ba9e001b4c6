//! HTML: the run as one self-contained page (no external assets, no script) for
//! people who would rather look than read: a summary (passed, failed, ignored,
//! time), then each case with its documented item, the request (token
//! redacted), the response, and the diff where it failed. Failed cases come
//! first and open.

use std::fmt::Write as _;

use crate::secrets::Redactor;
use crate::report::text;
use crate::report::matrix::{ItemVerdict, Row};
use crate::result::{CaseResult, Finding, RunInfo, Verdict, diffed_part};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The lines of a diff of two texts, each marked as removed, added or kept.
/// At most [`text::FINDING_SHOWN`] characters in all, with a note of what was cut.
fn diff_lines(expected: &str, actual: &str, out: &mut String) {
    let (expected, actual) = (format!("{}\n", diffed_part(expected)), format!("{}\n", diffed_part(actual)));
    let mut budget = text::FINDING_SHOWN;
    let diff = similar::TextDiff::from_lines(&expected, &actual);
    let changes: Vec<_> = diff.iter_all_changes().collect();
    for (shown, change) in changes.iter().enumerate() {
        if budget == 0 {
            let _ = writeln!(out, "<span>… ({} more lines cut)</span>", changes.len() - shown);
            break;
        }
        let (class, sign) = match change.tag() {
            similar::ChangeTag::Delete => ("del", '-'),
            similar::ChangeTag::Insert => ("ins", '+'),
            similar::ChangeTag::Equal => ("", ' '),
        };
        let line = text::capped(change.value().trim_end_matches('\n').to_owned(), budget);
        budget = budget.saturating_sub(line.chars().count().max(1));
        let _ = writeln!(out, "<span class=\"{class}\">{sign}{}</span>", escape(&line));
    }
}

/// One finding: its headline, then the diff where it has one, its lines marked.
fn finding(f: &Finding, redactor: &Redactor, out: &mut String) {
    let hide = |t: &str| redactor.redact(t).into_owned();
    match f {
        Finding::Message { expected, actual } => {
            out.push_str("message differs:\n");
            diff_lines(&hide(expected), &hide(actual), out);
        }
        Finding::Echo { expected, actual } => {
            out.push_str("echo: the 201 body does not echo what was sent (pointer: value):\n");
            let pretty = |v: &serde_json::Value| hide(&serde_json::to_string_pretty(v).unwrap_or_default());
            diff_lines(&pretty(expected), &pretty(actual), out);
        }
        Finding::NoAlternative { alternatives } => {
            let _ = writeln!(out, "matched none of the {} allowed answers:", alternatives.len());
            for (i, (summary, findings)) in alternatives.iter().enumerate() {
                let _ = writeln!(out, "answer {} ({}):", i + 1, escape(&hide(summary)));
                for inner in findings {
                    finding(inner, redactor, out);
                }
            }
        }
        other => {
            let _ = writeln!(out, "{}", escape(&text::finding_text(other, redactor)));
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}\
h1{font-size:1.4rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;text-align:left}\
#summary td{font-size:1.2rem;font-weight:600}.passed{color:#17692e}.failed{color:#b3261e}.ignored{color:#7a5b00}\
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}\
summary{cursor:pointer}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}\
.del{background:#fde2e1}.ins{background:#dcf5e3}.covers{color:#555}";

/// The contract matrix: each documented item, its verdict, links to its cases.
fn contract_matrix(matrix: &[Row], page: &mut String) {
    if matrix.is_empty() {
        return;
    }
    page.push_str("<h2>The contract in this run</h2>\n<table id=\"contract\"><tr><th>item</th><th>verdict</th><th>cases</th></tr>\n");
    for row in matrix {
        let (class, verdict) = match &row.verdict {
            ItemVerdict::Verified => ("passed", "verified".to_owned()),
            ItemVerdict::Failed => ("failed", "FAILED".to_owned()),
            ItemVerdict::NotVerified(why) => ("ignored", format!("not verified: {}", why.join("; "))),
        };
        let cases: Vec<String> =
            row.cases.iter().map(|c| format!("<a href=\"#{}\">{}</a>", escape(c), escape(c))).collect();
        let _ = writeln!(
            page,
            "<tr class=\"item\"><td title=\"{}\">{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            escape(&row.what),
            escape(&row.id),
            escape(&verdict),
            cases.join(" ")
        );
    }
    page.push_str("</table>\n");
}

/// The page.
pub fn render(results: &[CaseResult], run: &RunInfo, matrix: &[Row], redactor: &Redactor) -> String {
    let count = |want: fn(&CaseResult) -> bool| results.iter().filter(|r| want(r)).count();
    let passed = count(CaseResult::passed);
    let failed = count(CaseResult::failed);
    let ignored = count(CaseResult::is_ignored);
    let mut page = String::new();
    let interrupted = if run.interrupted { "<p class=\"failed\" id=\"interrupted\">The run was interrupted: not every case ran.</p>\n" } else { "" };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>vcc-conformance: {failed} failed, {passed} passed</title><style>{STYLE}</style></head><body>\n\
<h1>Conformance of POST v0/{{accountKey}}/calls/</h1>\n\
<p id=\"target\">target: {}</p>\n<p class=\"covers\" id=\"when\">{} · {}</p>\n{interrupted}\
<table id=\"summary\"><tr><th>passed</th><th>failed</th><th>ignored</th><th>time</th></tr>\
<tr><td class=\"passed\" id=\"passed\">{passed}</td><td class=\"failed\" id=\"failed\">{failed}</td>\
<td class=\"ignored\" id=\"ignored\">{ignored}</td><td id=\"time\">{:.3} s</td></tr></table>\n",
        escape(&run.target),
        run.started.format("%Y-%m-%d %H:%M:%S UTC"),
        RunInfo::TOOL,
        run.total.as_secs_f64()
    );
    contract_matrix(matrix, &mut page);
    let mut ordered: Vec<&CaseResult> = results.iter().collect();
    ordered.sort_by_key(|r| (!r.failed(), r.case.name.clone()));
    for r in ordered {
        let (class, label, open) = match &r.verdict {
            Verdict::Passed => ("passed", "passed".to_owned(), ""),
            Verdict::Failed(_) | Verdict::Broken(_) => ("failed", "FAILED".to_owned(), " open"),
            Verdict::Ignored(why) => ("ignored", format!("ignored: {why}"), ""),
        };
        let documented = if r.case.documented { "" } else { " (not documented on the page)" };
        let _ = write!(
            page,
            "<details class=\"case case-{class}\" id=\"{}\"{open}><summary><span class=\"{class}\">{}</span> <b>{}</b> \
<span class=\"covers\">covers {}{documented} · {}:{} · {} ms</span></summary>\n",
            escape(&r.case.name),
            escape(&label),
            escape(&r.case.name),
            escape(&r.case.covers.join("; ")),
            escape(&r.case.source),
            r.case.line,
            r.time.as_millis()
        );
        let exchange = text::exchange_of(r, redactor);
        if !exchange.is_empty() {
            let _ = write!(page, "<pre>{}</pre>\n", escape(&exchange));
        }
        if let Verdict::Failed(found) = &r.verdict {
            let mut shown = String::from("findings:\n");
            for f in found {
                finding(f, redactor, &mut shown);
            }
            let _ = write!(page, "<pre class=\"findings\">{shown}</pre>\n");
        }
        page.push_str("</details>\n");
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::SentRequest;
    use crate::result::CaseInfo;
    use std::time::Duration;

    fn result(name: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            case: CaseInfo {
                name: name.into(),
                file: "f".into(),
                source: "cases/f.yaml".into(),
                line: 1,
                covers: vec!["400: <x>".into()],
                documented: true,
                note: None,
            },
            request: Some(SentRequest {
                method: "POST".into(),
                url: "u".into(),
                headers: vec![],
                auth: false,
                auth_scheme: "Bearer".into(),
                body: br#"{"a":"<script>"}"#.to_vec(),
            }),
            response: Some(crate::exchange::Response { status: 400, headers: vec![], body: vec![] }),
            verdict,
            time: Duration::from_millis(3),
        }
    }

    #[test]
    fn the_page_is_self_contained_escaped_and_summarised() {
        let page = render(
            &[
                result("f::a", Verdict::Passed),
                result("f::b", Verdict::Failed(vec![Finding::Message { expected: "old".into(), actual: "new".into() }])),
                result("f::c", Verdict::Ignored("real call".into())),
            ],
            &RunInfo {
                target: "http://h (deployment)".into(),
                started: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                total: Duration::from_millis(1500),
                interrupted: false,
            },
            &[],
            &Redactor::new(),
        );
        assert!(page.contains("<td class=\"passed\" id=\"passed\">1</td>"));
        assert!(page.contains("<td class=\"failed\" id=\"failed\">1</td>"));
        assert!(page.contains("<td class=\"ignored\" id=\"ignored\">1</td>"));
        assert!(page.contains("1.500 s"));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("<span class=\"del\">-old</span>") && page.contains("<span class=\"ins\">+new</span>"), "{page}");
        assert!(page.contains("target: http://h (deployment)") && page.contains(RunInfo::TOOL));
        assert!(!page.contains("src=") && !page.contains("href=\"http"), "no external assets");
        assert!(page.find("f::b").unwrap() < page.find("f::a").unwrap(), "failures first");
    }
}
