//! JUnit: the run as JUnit XML (quick-junit), one test suite per case file and
//! one test case per case. A failure carries its first finding as the message
//! and the whole case text (request, response, diff) as the body; each suite
//! its time and timestamp; the report names the target in its properties.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::peer_text;
use crate::report::text;

/// How much of a failure's headline the message attribute holds.
const HEADLINE_SHOWN: usize = 500;
use crate::result::{CaseResult, RunInfo, RunOutcome, Verdict};

/// The report as XML.
pub fn render(outcome: &RunOutcome) -> Result<String, quick_junit::SerializeError> {
    let (run, redactor) = (&outcome.run, &outcome.redactor);
    let results: Vec<&CaseResult> = outcome.selected().collect();
    let mut report = Report::new("vcc-conformance");
    report.set_time(run.total);
    report.set_timestamp(run.started);
    let mut files: Vec<&str> = results.iter().map(|r| r.case.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    for file in files {
        let mut suite = TestSuite::new(file);
        suite.set_timestamp(run.started);
        suite.add_property(Property::new("target", run.target.clone()));
        suite.add_property(Property::new("tool", RunInfo::TOOL));
        if run.interrupted {
            suite.add_property(Property::new("interrupted", "true"));
        }
        let mut in_file: Vec<&CaseResult> = results.iter().copied().filter(|r| r.case.file == file).collect();
        in_file.sort_by(|a, b| a.case.name.cmp(&b.case.name));
        suite.set_time(in_file.iter().map(|r| r.time).sum());
        for result in in_file {
            let status = match &result.verdict {
                Verdict::Passed => TestCaseStatus::success(),
                Verdict::Failed(_) | Verdict::Broken(_) => {
                    let kind = if matches!(result.verdict, Verdict::Broken(_)) {
                        NonSuccessKind::Error
                    } else {
                        NonSuccessKind::Failure
                    };
                    let mut status = TestCaseStatus::non_success(kind);
                    let headline = result.headline().unwrap_or_else(|| "failed".into());
                    status.set_message(peer_text::shown(&headline, redactor, HEADLINE_SHOWN));
                    status.set_description(text::case_text(result, redactor));
                    status
                }
                _ => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(result.ignored_reason().unwrap_or_default());
                    status
                }
            };
            let mut case = TestCase::new(result.case.name.clone(), status);
            case.set_classname(result.case.file.clone());
            case.set_time(result.time);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn passes_failures_errors_and_skips_are_all_there() {
        let results = vec![
            result("a", Verdict::Passed),
            result("b", Verdict::Failed(vec![Finding::Status { expected: vec![201], actual: 400 }])),
            result("c", Verdict::Held(HoldReason::PlacesCall)),
            result("d", Verdict::Broken(TransportError::new(TransportKind::Refused, "could not connect"))),
            result("e", Verdict::FilteredOut),
        ];
        let xml = render(&RunOutcome { results, run: run(), redactor: Redactor::new() }).unwrap();
        assert!(xml.contains(r#"<failure message="status: expected 201, got 400""#), "{xml}");
        assert!(xml.contains(r#"<error message="no usable response: connection refused""#), "{xml}");
        assert!(xml.contains("POST u"), "{xml}");
        assert!(xml.contains(&format!(r#"<skipped message="{}"/>"#, HoldReason::PlacesCall.text())), "{xml}");
        assert!(!xml.contains("f::e"), "filtered out cases are not in the report: {xml}");
        assert!(xml.contains(r#"<testcase name="f::a" classname="f" time="0.005""#), "{xml}");
        assert!(xml.contains(r#"time="0.020""#), "the run's time: {xml}");

        assert!(xml.contains(r#"<property name="target" value="https://emea.example (deployment)"/>"#), "{xml}");
    }
}
