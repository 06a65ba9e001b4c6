//! What a user reads, pinned: `--help` of every command, a failing run's pretty
//! output, `--dry-run`, `--export-hurl`, and the JUnit, HTML and JSON reports of a
//! run against a faulted server. A change to any of them shows up here as a diff
//! to review (`cargo insta review`, or delete the `.snap` and look at the new one).
//!
//! What varies from run to run (ports, dates, durations) is filtered out.

use std::process::Output;

use crate::common::{temp_dir, vcc_command};
use crate::common::Served;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// The binary with `args`, with no `VCC_*` setting of the caller's shell.
fn vcc(args: &[&str]) -> Output {
    vcc_command(BIN).args(args).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn both(out: &Output) -> String {
    format!("status: {:?}\n--- stdout\n{}--- stderr\n{}", out.status.code(), stdout(out), String::from_utf8_lossy(&out.stderr))
}

/// Filters what changes between runs of the same thing.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"(?i)date: [A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT", "date: [date]"),
        (r#"time="[0-9.]+""#, r#"time="[t]""#),
        (r#"timestamp="[^"]+""#, r#"timestamp="[ts]""#),
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "[date] UTC"),
        (r"finished in [0-9.]+s", "finished in [t]s"),
        (r#""exec_time": [0-9.e-]+"#, r#""exec_time": [t]"#),
        (r#""duration":[0-9.e-]+"#, r#""duration":[t]"#),
        (r"\b\d+\.\d{3} s\b", "[t] s"),
        (r"\b\d+(\.\d+)? ms\b", "[t] ms"),
        // Our test helper names a record file of its own.
        (r"\[env: VCC_RECORD=[^\]]*\]", "[env: VCC_RECORD=]"),
        (r"vcc-[a-z]+-\d+-", "vcc-[pid]-"),
    ] {
        s.add_filter(pattern, replacement);
    }
    s
}

#[test]
fn help_of_every_command() {
    let _guard = settings().bind_to_scope();
    for (name, args) in [
        ("help", &["--help"][..]),
        ("help-run", &["run", "--help"]),
        ("help-diff", &["diff", "--help"]),
        ("help-selftest", &["selftest", "--help"]),
        ("help-coverage", &["coverage", "--help"]),
        ("help-serve", &["serve", "--help"]),
    ] {
        insta::assert_snapshot!(name, both(&vcc(args)));
    }
}

#[test]
fn dry_run_and_hurl_export() {
    let _guard = settings().bind_to_scope();
    let out = vcc(&["run", "--dry-run", "--base-url", "https://emea.example.com", "examples::"]);
    insta::assert_snapshot!("dry-run-examples", both(&out));
    let dir = temp_dir("snap-hurl");
    let file = dir.join("examples.hurl");
    let out = vcc(&["run", "--export-hurl", file.to_str().unwrap(), "--base-url", "https://emea.example.com", "examples::"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    insta::assert_snapshot!("export-hurl-examples", std::fs::read_to_string(&file).unwrap());
}

/// The agent-id cases against a server whose "exceeds 11 digits" message lost
/// its last letter: two fail, two pass.
const FAILING: &[&str] = &["--token", "snapshot-token-0123", "errors-request::agent-id"];

#[test]
fn a_failing_run_in_every_format() {
    let _guard = settings().bind_to_scope();
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["run", "--base-url", typo.base()].into_iter().chain(FAILING.iter().copied()).chain(extra.iter().copied()).collect();
        vcc(&args)
    };
    let pretty = run(&["--test-threads", "1"]);
    assert_eq!(pretty.status.code(), Some(101), "{}", both(&pretty));
    insta::assert_snapshot!("failing-pretty", both(&pretty));
    insta::assert_snapshot!("failing-terse", both(&run(&["--format", "terse", "--test-threads", "1"])));
    insta::assert_snapshot!("failing-json", both(&run(&["--format", "json", "-Z", "unstable-options", "--test-threads", "1"])));

    let dir = temp_dir("snap-reports");
    let (junit, html) = (dir.join("r.xml"), dir.join("r.html"));
    let out = run(&["--junit", junit.to_str().unwrap(), "--html", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(101), "{}", both(&out));
    insta::assert_snapshot!("failing-junit", std::fs::read_to_string(&junit).unwrap());
    insta::assert_snapshot!("failing-html", std::fs::read_to_string(&html).unwrap());
}
