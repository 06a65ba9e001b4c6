//! JUnit: the run as JUnit XML (quick-junit), one test suite per case file and
//! one test case per case. A failure carries its first finding as the message
//! and the whole case text (request, response, diff) as the body; each suite
//! its time and timestamp; the report names the target in its properties.

use std::path::Path;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::secrets::Redactor;
use crate::report::text;
use crate::result::{CaseResult, RunInfo, Verdict};

/// The report as XML.
pub fn render(results: &[CaseResult], run: &RunInfo, redactor: &Redactor) -> Result<String, String> {
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
        let mut in_file: Vec<&CaseResult> = results.iter().filter(|r| r.case.file == file).collect();
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
                    status.set_message(redactor.redact(&headline).into_owned());
                    status.set_description(text::case_text(result, redactor));
                    status
                }
                Verdict::Ignored(reason) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(reason.clone());
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
    report.to_string().map_err(|e| e.to_string())
}

/// Writes the report to `path` whole: a temporary file, then a rename.
pub fn write(path: &Path, results: &[CaseResult], run: &RunInfo, redactor: &Redactor) -> Result<(), String> {
    crate::report::write_whole(path, &render(results, run, redactor)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{SentRequest, TransportError, TransportKind};
    use crate::result::{CaseInfo, Finding};
    use std::time::Duration;

    pub(crate) fn result(name: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            case: CaseInfo {
                name: format!("f::{name}"),
                file: "f".into(),
                source: "cases/f.yaml".into(),
                line: 3,
                covers: vec!["example-1".into()],
                documented: true,
                note: None,
            },
            request: Some(SentRequest { method: "POST".into(), url: "u".into(), headers: vec![], auth: false, auth_scheme: "Bearer".into(), body: vec![] }),
            response: None,
            verdict,
            time: Duration::from_millis(5),
        }
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
        let results = [
            result("a", Verdict::Passed),
            result("b", Verdict::Failed(vec![Finding::Status { expected: vec![201], actual: 400 }])),
            result("c", Verdict::Ignored("places a real call".into())),
            result("d", Verdict::Broken(TransportError::new(TransportKind::Refused, "could not connect"))),
        ];
        let xml = render(&results, &run(), &Redactor::new()).unwrap();
        assert!(xml.contains(r#"<failure message="status: expected 201, got 400""#), "{xml}");
        assert!(xml.contains(r#"<error message="no usable response: connection refused""#), "{xml}");
        assert!(xml.contains("POST u"), "{xml}");
        assert!(xml.contains(r#"<skipped message="places a real call"/>"#), "{xml}");
        assert!(xml.contains(r#"<testcase name="f::a" classname="f" time="0.005""#), "{xml}");
        assert!(xml.contains(r#"time="0.020""#), "the run's time: {xml}");

        assert!(xml.contains(r#"<property name="target" value="https://emea.example (deployment)"/>"#), "{xml}");
    }

    #[test]
    fn writing_replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("vcc-junit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.xml");
        std::fs::write(&path, "old").unwrap();
        write(&path, &[result("a", Verdict::Passed)], &run(), &Redactor::new()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("<?xml"), "{text}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        assert!(write(&dir.join("missing-dir").join("r.xml"), &[], &run(), &Redactor::new()).is_err());
    }
}
