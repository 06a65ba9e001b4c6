//! JUnit: the run as JUnit XML (quick-junit), one test suite per case file and
//! one test case per case, then a `contract` suite whose one test case,
//! `contract: no documented item left unverified`, carries the release gate
//! (no case name has a space, so it cannot clash with one): it fails when
//! `--require-complete` fails the run (naming the items not verified), is
//! skipped with the reason when items went unverified and the gate was not
//! asked for, and passes otherwise; so that a CI test view agrees with the exit
//! status. A failure carries its first finding as the message and, as the body
//! (which GitLab shows; it ignores the message), that headline then the whole
//! case text (request, response, diff); a skipped case its reason in both. Each
//! test case names its case file and line (`file`, `line`), each suite its time
//! and timestamp; the report names the target in its properties.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::peer_text;
use crate::report::text;
use crate::report::verdict::{Contract, item_text};
use crate::result::{CaseResult, RunInfo, RunOutcome, Verdict};

/// How much of a failure's headline the message attribute holds.
const HEADLINE_SHOWN: usize = 500;

/// The name of the suite, and of the test case, that carry the contract.
pub const CONTRACT_SUITE: &str = "contract";
pub const CONTRACT_CASE: &str = "contract: no documented item left unverified";

/// A suite with the run's properties.
fn suite(name: &str, run: &RunInfo) -> TestSuite {
    let mut suite = TestSuite::new(name);
    suite.set_timestamp(run.started);
    suite.add_property(Property::new("target", run.target.clone()));
    suite.add_property(Property::new("tool", RunInfo::TOOL));
    if run.interrupted {
        suite.add_property(Property::new("interrupted", "true"));
    }
    suite
}

/// A case's status: passed, failed (or broken: an error), or skipped.
fn status(result: &CaseResult, outcome: &RunOutcome) -> TestCaseStatus {
    let redactor = &outcome.redactor;
    match &result.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Failed(_) | Verdict::Broken(_) => {
            let kind = if matches!(result.verdict, Verdict::Broken(_)) { NonSuccessKind::Error } else { NonSuccessKind::Failure };
            let mut status = TestCaseStatus::non_success(kind);
            let headline = peer_text::shown(&result.headline().unwrap_or_else(|| "failed".into()), redactor, HEADLINE_SHOWN);
            status.set_description(format!("{headline}\n\n{}", text::case_text(result, redactor)));
            status.set_message(headline);
            status
        }
        _ => {
            let mut status = TestCaseStatus::skipped();
            let reason = result.ignored_reason().unwrap_or_default();
            status.set_message(reason);
            status.set_description(reason);
            status
        }
    }
}

/// The contract's test case: the gate's verdict, the matrix as its output.
fn contract_case(contract: &Contract<'_>) -> TestCase {
    let unverified = contract.unverified();
    let ids: Vec<&str> = unverified.iter().map(|r| r.id.as_str()).collect();
    let mut matrix = String::new();
    for row in contract.rows {
        matrix.push_str(&format!("{}: {}\n", row.id, item_text(row)));
    }
    let summary = contract.counts();
    let status = if unverified.is_empty() {
        TestCaseStatus::success()
    } else {
        let (mut status, lead) = if contract.required {
            (TestCaseStatus::non_success(NonSuccessKind::Failure), "--require-complete")
        } else {
            (TestCaseStatus::skipped(), "not required (no --require-complete)")
        };
        let count = format!("{lead}: {} of {} documented items not verified", ids.len(), contract.rows.len());
        status.set_description(format!("{count}:\n{}\n", contract.unverified_text().join("\n")));
        status.set_message(peer_text::capped(format!("{count}: {}", ids.join(", ")), HEADLINE_SHOWN));
        status
    };
    let mut case = TestCase::new(CONTRACT_CASE, status);
    case.set_classname(CONTRACT_SUITE);
    case.set_system_out(format!("contract: {summary}\n{matrix}"));
    case
}

/// The report as XML.
pub fn render(outcome: &RunOutcome, contract: &Contract<'_>) -> Result<String, quick_junit::SerializeError> {
    let run = &outcome.run;
    let results: Vec<&CaseResult> = outcome.selected().collect();
    let mut report = Report::new("vcc-conformance");
    report.set_time(run.total);
    report.set_timestamp(run.started);
    let mut files: Vec<&str> = results.iter().map(|r| r.case.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    for file in files {
        let mut suite = suite(file, run);
        let mut in_file: Vec<&CaseResult> = results.iter().copied().filter(|r| r.case.file == file).collect();
        in_file.sort_by(|a, b| a.case.name.cmp(&b.case.name));
        suite.set_time(in_file.iter().map(|r| r.time).sum());
        for result in in_file {
            let mut case = TestCase::new(result.case.name.clone(), status(result, outcome));
            case.set_classname(result.case.file.clone());
            case.set_time(result.time);
            case.extra.insert("file".into(), result.case.source.clone().into());
            case.extra.insert("line".into(), result.case.line.to_string().into());
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    if !contract.rows.is_empty() {
        let mut suite = suite(CONTRACT_SUITE, run);
        suite.add_test_case(contract_case(contract));
        report.add_test_suite(suite);
    }
    report.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::ItemVerdict;
    use crate::exchange::{TransportError, TransportKind};
    use crate::result::{Finding, HoldReason, test_support};
    use crate::secrets::Redactor;
    use std::time::Duration;

    fn result(name: &str, verdict: Verdict) -> CaseResult {
        let mut result = test_support::result(&format!("f::{name}"), verdict);
        result.time = Duration::from_millis(5);
        result
    }

    fn run() -> RunInfo {
        RunInfo {
            target: "https://emea.example (deployment)".into(),
            started: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            total: Duration::from_millis(20),
            interrupted: false,
        }
    }

    fn outcome(results: Vec<CaseResult>) -> RunOutcome {
        RunOutcome { results, run: run(), redactor: Redactor::new() }
    }

    #[test]
    fn passes_failures_errors_and_skips_are_all_there() {
        let results = vec![
            result("a", Verdict::Passed),
            result("b", Verdict::Failed(vec![Finding::Status { expected: vec![201], actual: 400 }])),
            result("c", Verdict::Held(HoldReason::PlacesCall)),
            result("d", Verdict::Broken(TransportError::new(TransportKind::Refused, "could not connect"))),
            result("e", Verdict::FilteredOut),
        ];
        let xml = render(&outcome(results), &Contract::new(&[], false)).unwrap();
        assert!(xml.contains("<failure message=\"status: expected 201, got 400\">status: expected 201, got 400\n\nf::b (cases/f.yaml:3)"), "{xml}");
        assert!(xml.contains(r#"<error message="no usable response: connection refused""#), "{xml}");
        assert!(xml.contains("POST u"), "{xml}");
        let held = HoldReason::PlacesCall.text();
        assert!(xml.contains(&format!(r#"<skipped message="{held}">{held}</skipped>"#)), "GitLab shows the body: {xml}");
        assert!(!xml.contains("f::e"), "filtered out cases are not in the report: {xml}");
        assert!(xml.contains(r#"<testcase name="f::a" classname="f" time="0.005" file="cases/f.yaml" line="3"/>"#), "{xml}");
        assert!(xml.contains(r#"time="0.020""#), "the run's time: {xml}");
        assert!(!xml.contains(CONTRACT_SUITE), "no matrix, no contract suite: {xml}");

        assert!(xml.contains(r#"<property name="target" value="https://emea.example (deployment)"/>"#), "{xml}");
    }

    #[test]
    fn the_contract_case_fails_with_the_gate_and_is_skipped_without_it() {
        use crate::report::matrix::{Gap, Row};
        let row = |id: &str, verdict| Row { id: id.into(), what: String::new(), verdict, cases: vec![] };
        let rows = [
            row("example-1", ItemVerdict::NotVerified(vec![Gap::HeldBack("f::c".into())])),
            row("example-2", ItemVerdict::Verified),
            row("example-3", ItemVerdict::Failed),
        ];
        let results = || vec![result("a", Verdict::Passed), result("c", Verdict::Held(HoldReason::PlacesCall))];
        let case = |xml: &str| xml[xml.find(&format!(r#"<testcase name="{CONTRACT_CASE}""#)).unwrap_or_else(|| panic!("{xml}"))..].to_owned();

        let gated = render(&outcome(results()), &Contract::new(&rows, true)).unwrap();
        let contract = case(&gated);
        assert!(contract.starts_with(&format!(r#"<testcase name="{CONTRACT_CASE}" classname="contract">"#)), "{contract}");
        assert!(contract.contains(r#"<failure message="--require-complete: 1 of 3 documented items not verified: example-1">"#), "{contract}");
        assert!(contract.contains(">--require-complete: 1 of 3 documented items not verified:\nexample-1 (f::c: held back (may place a real call))\n</failure>"), "{contract}");
        assert!(contract.contains("<system-out>contract: 1 of 3 documented items verified, 1 failed\nexample-1: not verified"), "{contract}");
        assert!(gated.contains(r#"<testsuite name="contract" tests="1" skipped="0" errors="0" failures="1""#), "{gated}");

        let open = case(&render(&outcome(results()), &Contract::new(&rows, false)).unwrap());
        assert!(open.contains(r#"<skipped message="not required (no --require-complete): 1 of 3 documented items not verified: example-1">"#), "{open}");

        let complete = [row("example-2", ItemVerdict::Verified)];
        let passed = case(&render(&outcome(results()), &Contract::new(&complete, true)).unwrap());
        assert!(!passed.contains("<failure") && !passed.contains("<skipped"), "{passed}");
        assert!(passed.contains("<system-out>contract: 1 of 1 documented items verified, 0 failed\nexample-2: verified\n"), "{passed}");
    }
}
