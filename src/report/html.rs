//! HTML: the run as one self-contained page (no external assets, no script) for
//! people who would rather look than read: the overall verdict and how many
//! documented items were verified, a summary (passed, failed, ignored, time),
//! the contract matrix (each item's cases marked passed, failed or not run),
//! then each case with its documented item, the request (token redacted), the
//! response, and the diff where it failed. Failed cases come first and open.

use std::fmt::Write as _;

use std::collections::HashMap;

use crate::secrets::Redactor;
use crate::report::json::verdict_name;
use crate::report::text;
use crate::report::matrix::ItemVerdict;
use crate::report::lines::{self, Mark};
use crate::report::verdict::{Contract, Overall, item_text};
use crate::result::{CaseResult, Finding, RunInfo, RunOutcome, Verdict};

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

/// One finding: the lines every output shows ([`lines`]), a diff's removed and
/// added lines marked.
fn finding(f: &Finding, redactor: &Redactor, out: &mut String) {
    for (mark, line) in lines::finding(f, redactor).lines() {
        let class = match mark {
            Mark::Plain => "",
            Mark::Removed => "del",
            Mark::Added => "ins",
        };
        let _ = writeln!(out, "<span class=\"{class}\">{}</span>", escape(line));
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}\
h1{font-size:1.4rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;text-align:left}\
#summary td{font-size:1.2rem;font-weight:600}.passed{color:#17692e}.failed{color:#b3261e}.ignored{color:#7a5b00}\
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}\
summary{cursor:pointer}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}\
.del{background:#fde2e1}.ins{background:#dcf5e3}.covers{color:#555}\
#verdict{font-size:1.3rem;font-weight:700;padding:.5rem .8rem;border-radius:6px;display:inline-block}\
#verdict.failed{background:#fde2e1}#verdict.passed{background:#dcf5e3}#verdict.ignored{background:#fff4ce}\
a.case-failed{color:#b3261e;font-weight:600}a.case-passed{color:#17692e}span.case-unsent{color:#7a5b00}";

/// A case's mark in the matrix: a symbol and a class, so that the reader sees
/// which of an item's cases failed.
fn mark(result: Option<&CaseResult>) -> (&'static str, &'static str) {
    match result.map(|r| &r.verdict) {
        Some(Verdict::Passed) => ("✓", "case-passed"),
        Some(Verdict::Failed(_) | Verdict::Broken(_)) => ("✗", "case-failed"),
        _ => ("–", "case-unsent"),
    }
}

/// The contract matrix: each documented item, its verdict, its cases, each
/// marked with its own verdict (a link to it where the page shows it).
fn contract_matrix(outcome: &RunOutcome, contract: &Contract<'_>, page: &mut String) {
    if contract.rows.is_empty() {
        return;
    }
    let by_name: HashMap<&str, &CaseResult> = outcome.results.iter().map(|r| (r.case.name.as_str(), r)).collect();
    page.push_str("<h2>The contract in this run</h2>\n<table id=\"contract\"><tr><th>item</th><th>verdict</th><th>cases</th></tr>\n");
    for row in contract.rows {
        let class = match &row.verdict {
            ItemVerdict::Verified | ItemVerdict::VerifiedInPart(_) => "passed",
            ItemVerdict::Failed => "failed",
            ItemVerdict::NotVerified(_) => "ignored",
        };
        let verdict = item_text(row);
        let cases: Vec<String> = row
            .cases
            .iter()
            .map(|c| {
                let result = by_name.get(c.as_str()).copied();
                let (symbol, class) = mark(result);
                let title = result.map_or("not planned", |r| verdict_name(&r.verdict));
                match result.filter(|r| r.is_selected()) {
                    Some(_) => format!("<a class=\"{class}\" href=\"#{}\" title=\"{title}\">{symbol} {}</a>", escape(c), escape(c)),
                    None => format!("<span class=\"{class}\" title=\"{title}\">{symbol} {}</span>", escape(c)),
                }
            })
            .collect();
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

/// The overall verdict and the contract line, at the top of the page.
fn verdict(outcome: &RunOutcome, contract: &Contract<'_>) -> String {
    let overall = Overall::of(outcome, contract);
    let class = match overall {
        Overall::Passed => "passed",
        Overall::Incomplete { gate: false, .. } => "ignored",
        _ => "failed",
    };
    let mut out = format!("<p id=\"verdict\" class=\"{class}\">{}</p>\n", escape(&overall.text()));
    if !contract.rows.is_empty() {
        let unverified = contract.unverified();
        let mut line = contract.counts();
        if !unverified.is_empty() {
            let ids: Vec<&str> = unverified.iter().map(|r| r.id.as_str()).collect();
            line.push_str(&format!("; not verified: {}", ids.join(", ")));
        }
        let _ = writeln!(out, "<p id=\"contract-line\">{}</p>", escape(&line));
    }
    out
}

/// The page.
pub fn render(outcome: &RunOutcome, contract: &Contract<'_>) -> String {
    let (run, redactor) = (&outcome.run, &outcome.redactor);
    let results: Vec<&CaseResult> = outcome.selected().collect();
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
<h1>Conformance of POST v0/{{accountKey}}/calls/</h1>\n{}\
<p id=\"target\">target: {}</p>\n<p class=\"covers\" id=\"when\">{} · {}</p>\n{interrupted}\
<table id=\"summary\"><tr><th>passed</th><th>failed</th><th>ignored</th><th>time</th></tr>\
<tr><td class=\"passed\" id=\"passed\">{passed}</td><td class=\"failed\" id=\"failed\">{failed}</td>\
<td class=\"ignored\" id=\"ignored\">{ignored}</td><td id=\"time\">{:.3} s</td></tr></table>\n",
        verdict(outcome, contract),
        escape(&run.target),
        run.started.format("%Y-%m-%d %H:%M:%S UTC"),
        RunInfo::TOOL,
        run.total.as_secs_f64()
    );
    contract_matrix(outcome, contract, &mut page);
    let mut ordered = results;
    ordered.sort_by_key(|r| (!r.failed(), r.case.name.clone()));
    for r in ordered {
        let (class, label, open) = match &r.verdict {
            Verdict::Passed => ("passed", "passed".to_owned(), ""),
            Verdict::Failed(_) | Verdict::Broken(_) => ("failed", "FAILED".to_owned(), " open"),
            _ => ("ignored", format!("ignored: {}", r.ignored_reason().unwrap_or_default()), ""),
        };
        let documented = if r.case.documented { "" } else { " (not documented on the page)" };
        let _ = writeln!(
            page,
            "<details class=\"case case-{class}\" id=\"{}\"{open}><summary><span class=\"{class}\">{}</span> <b>{}</b> \
<span class=\"covers\">covers {}{documented} · {}:{} · {} ms</span></summary>",
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
            let _ = writeln!(page, "<pre>{}</pre>", escape(&exchange));
        }
        if let Verdict::Failed(found) = &r.verdict {
            let mut shown = String::from("findings:\n");
            for f in found {
                finding(f, redactor, &mut shown);
            }
            let _ = writeln!(page, "<pre class=\"findings\">{shown}</pre>");
        }
        page.push_str("</details>\n");
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{HoldReason, test_support};
    use std::time::Duration;

    fn result(name: &str, verdict: Verdict) -> CaseResult {
        let mut result = test_support::result(name, verdict);
        result.case.covers = vec!["400: <x>".into()];
        if let Some(request) = &mut result.request {
            request.body = br#"{"a":"<script>"}"#.to_vec();
        }
        result.response = Some(crate::exchange::Response { status: 400, headers: vec![], body: vec![] });
        result
    }

    #[test]
    fn the_page_is_self_contained_escaped_and_summarised() {
        let outcome = RunOutcome {
            results: vec![
                result("f::a", Verdict::Passed),
                result("f::b", Verdict::Failed(vec![Finding::Message { expected: "old".into(), actual: "new".into() }])),
                result("f::c", Verdict::Held(HoldReason::PlacesCall)),
                result("f::d", Verdict::FilteredOut),
            ],
            run: RunInfo {
                target: "http://h (deployment)".into(),
                started: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                total: Duration::from_millis(1500),
                interrupted: false,
            },
            redactor: Redactor::new(),
        };
        let page = render(&outcome, &Contract::new(&[], false));
        assert!(page.contains("<td class=\"passed\" id=\"passed\">1</td>"));
        assert!(page.contains("<td class=\"failed\" id=\"failed\">1</td>"));
        assert!(page.contains("<td class=\"ignored\" id=\"ignored\">1</td>"));
        assert!(page.contains("1.500 s"));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("<span class=\"del\">-old</span>") && page.contains("<span class=\"ins\">+new</span>"), "{page}");
        assert!(page.contains("target: http://h (deployment)") && page.contains(RunInfo::TOOL));
        assert!(!page.contains("src=") && !page.contains("href=\"http"), "no external assets");
        assert!(page.find("f::b").unwrap() < page.find("f::a").unwrap(), "failures first");
        assert!(!page.contains("f::d"), "filtered out cases are not shown");
    }

    #[test]
    fn the_page_opens_with_the_verdict_and_marks_each_item_s_failed_cases() {
        use crate::report::matrix::{Gap, Row};
        let outcome = RunOutcome {
            results: vec![
                result("f::ok", Verdict::Passed),
                result("f::bad", Verdict::Failed(vec![Finding::NoId])),
                result("f::held", Verdict::Held(HoldReason::PlacesCall)),
            ],
            run: RunInfo { target: "t".into(), started: chrono::Utc::now(), total: Duration::ZERO, interrupted: false },
            redactor: Redactor::new(),
        };
        let rows = [
            Row { id: "400: x".into(), what: String::new(), verdict: ItemVerdict::Failed, cases: vec!["f::ok".into(), "f::bad".into()] },
            Row {
                id: "example-1".into(),
                what: String::new(),
                verdict: ItemVerdict::NotVerified(vec![Gap::HeldBack("f::held".into())]),
                cases: vec!["f::held".into()],
            },
        ];
        let page = render(&outcome, &Contract::new(&rows, true));
        let top = &page[..page.find("id=\"target\"").unwrap()];
        assert!(top.contains("<p id=\"verdict\" class=\"failed\">FAILED: 1 case failed</p>"), "{top}");
        assert!(top.contains("<p id=\"contract-line\">0 of 2 documented items verified, 1 failed; not verified: example-1</p>"), "{top}");
        assert!(page.contains("<a class=\"case-passed\" href=\"#f::ok\" title=\"passed\">✓ f::ok</a> <a class=\"case-failed\" href=\"#f::bad\" title=\"failed\">✗ f::bad</a>"), "{page}");
        assert!(page.contains("<a class=\"case-unsent\" href=\"#f::held\" title=\"held back\">– f::held</a>"), "{page}");
        let passing = RunOutcome { results: vec![result("f::ok", Verdict::Passed)], ..outcome };
        let page = render(&passing, &Contract::new(&rows[1..], false));
        assert!(page.contains("<p id=\"verdict\" class=\"ignored\">PASSED, incomplete: 1 documented item not verified</p>"), "{page}");
        assert!(page.contains("<span class=\"case-unsent\" title=\"not planned\">– f::held</span>"), "{page}");
    }
}
