//! JUnit: the run as JUnit XML (quick-junit), one test suite per case file and
//! one test case per case, with the failure text (request, response, diff) in the
//! failure body. Written to a temporary file beside the target, then renamed, so
//! a reader never sees half a report.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::report::{Record, Status};

/// The report as XML.
pub fn render(records: &[Record], total: Duration) -> Result<String, String> {
    let mut report = Report::new("vcc-conformance");
    report.set_time(total);
    let mut files: Vec<&str> = records.iter().map(|r| r.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    for file in files {
        let mut suite = TestSuite::new(file);
        let mut in_file: Vec<&Record> = records.iter().filter(|r| r.file == file).collect();
        in_file.sort_by(|a, b| a.name.cmp(&b.name));
        for record in in_file {
            let status = match &record.status {
                Status::Passed => TestCaseStatus::success(),
                Status::Failed => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let first = record.findings.lines().nth(1).unwrap_or("no usable response").trim_start_matches("  - ");
                    status.set_message(first.to_owned());
                    status.set_description(record.failure_text());
                    status
                }
                Status::Ignored(reason) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(reason.clone());
                    status
                }
            };
            let mut case = TestCase::new(record.name.clone(), status);
            case.set_classname(record.file.clone());
            case.set_time(record.time);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| e.to_string())
}

/// Writes the report to `path` whole: a temporary file, then a rename.
pub fn write(path: &Path, records: &[Record], total: Duration) -> Result<(), String> {
    crate::report::write_whole(path, &render(records, total)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, status: Status) -> Record {
        Record {
            name: format!("f::{name}"),
            file: "f".into(),
            source: "cases/f.yaml".into(),
            line: 3,
            covers: vec!["example-1".into()],
            documented: true,
            status,
            time: Duration::from_millis(5),
            exchange: "request:\n  POST u\n".into(),
            findings: "findings:\n  - status: expected 201, got 400\n".into(),
        }
    }

    #[test]
    fn passes_failures_and_skips_are_all_there() {
        let records = [
            record("a", Status::Passed),
            record("b", Status::Failed),
            record("c", Status::Ignored("places a real call".into())),
        ];
        let xml = render(&records, Duration::from_millis(20)).unwrap();
        assert!(xml.contains(r#"<testsuite name="f" tests="3" skipped="1" errors="0" failures="1">"#), "{xml}");
        assert!(xml.contains(r#"<failure message="status: expected 201, got 400""#), "{xml}");
        assert!(xml.contains("POST u"), "{xml}");
        assert!(xml.contains(r#"<skipped message="places a real call"/>"#), "{xml}");
        assert!(xml.contains(r#"<testcase name="f::a" classname="f" time="0.005""#), "{xml}");
        assert!(xml.contains(r#"time="0.020""#), "the run's time: {xml}");
    }

    #[test]
    fn writing_replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("vcc-junit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.xml");
        std::fs::write(&path, "old").unwrap();
        write(&path, &[record("a", Status::Passed)], Duration::ZERO).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("<?xml"), "{text}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        assert!(write(&dir.join("missing-dir").join("r.xml"), &[], Duration::ZERO).is_err());
    }
}
