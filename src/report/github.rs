//! GitHub Actions: the run as a job's page shows it. The step summary
//! ([`summary`]) is Markdown appended to `$GITHUB_STEP_SUMMARY` (or
//! `--github-summary FILE`): the verdict, the contract line, the failures and
//! the contract matrix. The annotations ([`annotations`]) are `::error`
//! workflow commands printed after the run, one at each failed case's line in
//! its case file, and one for the gate when `--require-complete` fails the run.
//!
//! Both carry what a peer wrote, so both escape it twice: as every output does
//! ([`lines::shown`]: secrets hidden, control characters and CI commands made
//! visible, capped), then as the format needs. An annotation escapes as
//! GitHub's toolkit does (`%`, CR and LF in the message; also `:` and `,` in a
//! property), so that it stays one line that no peer text can end or extend;
//! the summary writes every ASCII character but letters, digits and spaces as
//! a character reference, which Markdown shows as the character and never
//! reads as markup (no link, table cell, HTML or heading from a peer).

use std::fmt::Write as _;

use crate::report::matrix::ItemVerdict;
use crate::report::verdict::{Contract, Overall, why};
use crate::result::{CaseResult, RunOutcome};
use crate::peer_text;

/// How much of a headline a summary row or an annotation holds.
const HEADLINE_SHOWN: usize = 300;
/// How many failures the summary lists (GitHub takes at most 1 MiB a step).
const FAILURES_LISTED: usize = 50;

/// When to write for GitHub Actions (`--github`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Under GitHub Actions (`GITHUB_ACTIONS=true`), not under cargo nextest.
    #[default]
    Auto,
    /// Wherever the run is (the step summary: --github-summary, or $GITHUB_STEP_SUMMARY)
    Always,
    /// Not at all (--github-summary still writes its file)
    Never,
}

impl Mode {
    /// Whether annotations are printed and the step summary written.
    pub fn on(self) -> bool {
        match self {
            Mode::Always => true,
            Mode::Never => false,
            Mode::Auto => {
                std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") && !crate::exec::record::under_nextest()
            }
        }
    }
}

/// The step summary GitHub Actions names, when it names one.
pub fn step_summary() -> Option<std::path::PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()).map(Into::into)
}

/// Escapes a workflow command's message, as GitHub's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property, as GitHub's toolkit does.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text for a Markdown table cell: shown as every output shows it, then every
/// ASCII character but letters, digits and spaces as a character reference.
fn md(text: &str, redactor: &crate::secrets::Redactor) -> String {
    let mut out = String::new();
    for c in peer_text::shown(text, redactor, HEADLINE_SHOWN).chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_ascii_alphanumeric() || c == ' ' || !c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
        }
    }
    out
}

/// The annotations: one `::error` line per failed case, at its line in its
/// case file, titled with its name; and one for the gate when it fails.
pub fn annotations(outcome: &RunOutcome, contract: &Contract<'_>) -> String {
    let redactor = &outcome.redactor;
    let mut out = String::new();
    for result in outcome.failed() {
        let headline = result.headline().unwrap_or_default();
        let _ = writeln!(
            out,
            "::error file={},line={},title={}::{}",
            escape_property(&result.case.source),
            result.case.line,
            escape_property(&result.case.name),
            escape_data(&peer_text::shown(&headline, redactor, HEADLINE_SHOWN))
        );
    }
    if contract.gate_fails() {
        let ids: Vec<&str> = contract.unverified().iter().map(|r| r.id.as_str()).collect();
        let message = format!("{} documented items not verified: {}", ids.len(), ids.join(", "));
        let _ = writeln!(out, "::error title={}::{}", escape_property("contract (--require-complete)"), escape_data(&message));
    }
    out
}

/// The step summary, in Markdown.
pub fn summary(outcome: &RunOutcome, contract: &Contract<'_>) -> String {
    let redactor = &outcome.redactor;
    let overall = Overall::of(outcome, contract);
    let icon = if overall.fails() { "❌" } else { "✅" };
    let mut out = format!("## {icon} vcc-conformance: {}\n\n", md(&overall.text(), redactor));
    let _ = writeln!(out, "target: {}\n", md(&outcome.run.target, redactor));
    if !contract.rows.is_empty() {
        let _ = write!(out, "**{}**, {} failed", md(&contract.headline(), redactor), contract.failed().len());
        let unverified = contract.unverified();
        if !unverified.is_empty() {
            let ids: Vec<String> = unverified.iter().map(|r| md(&r.id, redactor)).collect();
            let _ = write!(out, "; not verified: {}", ids.join(", "));
        }
        out.push_str("\n\n");
    }
    let selected: Vec<&CaseResult> = outcome.selected().collect();
    let count = |want: fn(&CaseResult) -> bool| selected.iter().filter(|r| want(r)).count();
    let _ = writeln!(
        out,
        "| passed | failed | ignored | time |\n| ---: | ---: | ---: | ---: |\n| {} | {} | {} | {:.1} s |\n",
        count(CaseResult::passed),
        count(CaseResult::failed),
        count(CaseResult::is_ignored),
        outcome.run.total.as_secs_f64()
    );
    let failed: Vec<&CaseResult> = outcome.failed().collect();
    if !failed.is_empty() {
        out.push_str("### Failures\n\n| case | where | finding |\n| --- | --- | --- |\n");
        for result in failed.iter().take(FAILURES_LISTED) {
            let place = format!("{}:{}", result.case.source, result.case.line);
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md(&result.case.name, redactor),
                md(&place, redactor),
                md(&result.headline().unwrap_or_default(), redactor)
            );
        }
        if failed.len() > FAILURES_LISTED {
            let _ = writeln!(out, "\nand {} more failures (see the job's log or the JUnit report)", failed.len() - FAILURES_LISTED);
        }
        out.push('\n');
    }
    if !contract.rows.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>The contract in this run: {} items</summary>\n\n| item | verdict | cases not passed |\n| --- | --- | --- |",
            contract.rows.len()
        );
        let failed: std::collections::HashSet<&str> = outcome.failed().map(|r| r.case.name.as_str()).collect();
        for row in contract.rows {
            let verdict = match row.verdict {
                ItemVerdict::Verified => "verified".to_owned(),
                ItemVerdict::Failed => "**FAILED**".to_owned(),
                ItemVerdict::NotVerified(_) => format!("not verified: {}", md(&why(row), redactor)),
                ItemVerdict::VerifiedInPart(_) => md(&why(row), redactor),
            };
            let failing: Vec<String> = row
                .cases
                .iter()
                .filter(|name| failed.contains(name.as_str()))
                .map(|name| md(name, redactor))
                .collect();
            let _ = writeln!(out, "| {} | {verdict} | {} |", md(&row.id, redactor), failing.join(", "));
        }
        out.push_str("\n</details>\n");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::{Gap, Row};
    use crate::result::{Finding, RunInfo, Verdict, test_support::result};
    use crate::secrets::{Redactor, Secret};

    fn outcome(results: Vec<CaseResult>, redactor: Redactor) -> RunOutcome {
        let run = RunInfo { target: "http://h (deployment)".into(), started: chrono::Utc::now(), total: Default::default(), interrupted: false };
        RunOutcome { results, run, redactor }
    }

    fn hostile() -> Finding {
        Finding::Message { expected: "x".into(), actual: "a%b\r\n::error::owned, | <img src=x> [l](http://e) \x1b[2K".into() }
    }

    #[test]
    fn an_annotation_is_one_line_at_the_case_s_place_whatever_the_peer_wrote() {
        let mut failed = result("errors-request::a,b", Verdict::Failed(vec![hostile()]));
        failed.case.source = "cases/my:file.yaml".into();
        let out = outcome(vec![failed, result("f::ok", Verdict::Passed)], Redactor::new());
        let text = annotations(&out, &Contract::new(&[], false));
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.starts_with("::error file=cases/my%3Afile.yaml,line=3,title=errors-request%3A%3Aa%2Cb::message: expected \"x\", got "),
            "{text}"
        );
        assert!(text.contains(r#""a%25b\r\n::error::owned, | <img src=x> [l](http://e) \u{1b}[2K""#), "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    }

    #[test]
    fn the_gate_is_annotated_when_it_fails() {
        let rows = [Row { id: "example-1".into(), what: String::new(), verdict: ItemVerdict::NotVerified(vec![Gap::NoCase]), cases: vec![] }];
        let out = outcome(vec![], Redactor::new());
        assert_eq!(annotations(&out, &Contract::new(&rows, false)), "");
        assert_eq!(
            annotations(&out, &Contract::new(&rows, true)),
            "::error title=contract (--require-complete)::1 documented items not verified: example-1\n"
        );
    }

    #[test]
    fn the_summary_tells_the_story_and_no_peer_text_is_markup() {
        let token = Secret::new("summary-secret-7Yb");
        let redactor = Redactor::of([&token]);
        let leaky = Finding::Message { expected: "x".into(), actual: format!("{} | <b>bold</b>", token.expose()) };
        let rows = [
            Row { id: "400: x".into(), what: String::new(), verdict: ItemVerdict::Failed, cases: vec!["f::bad".into()] },
            Row { id: "example-1".into(), what: String::new(), verdict: ItemVerdict::Verified, cases: vec!["f::ok".into()] },
        ];
        let out = outcome(vec![result("f::bad", Verdict::Failed(vec![leaky, hostile()])), result("f::ok", Verdict::Passed)], redactor);
        let md = summary(&out, &Contract::new(&rows, true));
        assert!(md.starts_with("## ❌ vcc-conformance: FAILED&#58; 1 case failed\n"), "{md}");
        assert!(md.contains("**1 of 2 documented items verified**, 1 failed\n"), "{md}");
        assert!(md.contains("| 1 | 1 | 0 | 0.0 s |"), "{md}");
        assert!(md.contains("| f&#58;&#58;bad | cases&#47;f&#46;yaml&#58;3 | message&#58; expected"), "{md}");
        assert!(md.contains("| 400&#58; x | **FAILED** | f&#58;&#58;bad |"), "{md}");
        assert!(!md.contains("summary-secret") && md.contains("&#91;redacted&#93;"), "{md}");
        for line in md.lines().filter(|l| l.starts_with("| f")) {
            assert_eq!(line.matches('|').count(), 4, "a peer's | makes no cell: {line}");
            assert!(!line.contains('<') && !line.contains('['), "{line}");
        }
    }
}
