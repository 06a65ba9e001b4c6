//! A release compared with the last one (issue 20, part 2): `run
//! --record-answers FILE` keeps a run, `diff --against-record FILE` compares a
//! live run with it. Against reference servers on loopback: the same release
//! (nothing changed), harmless variations (changed within the contract, or the
//! same where the answers are equivalent), a fault (a contract failure),
//! latency over the threshold; and the records refused with status 2.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{Served, temp_dir, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const TOKEN: &str = "compare-token-7Qe";
/// Loopback on a CPU shared with builds is too noisy to judge latency by
/// default: the tests that are not about it leave it out of the verdict.
const ANY_LATENCY: [&str; 2] = ["--latency-ratio", "1000"];

fn vcc(args: &[&str]) -> Output {
    vcc_command(BIN).args(args).output().expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Records `filters` of the suite against `base` (the embedded server when
/// `None`) into `file`.
fn record(base: Option<&str>, file: &Path, filters: &[&str]) -> Value {
    let mut args = vec!["run", "--token", TOKEN, "--record-answers", file.to_str().unwrap(), "-q"];
    if let Some(base) = base {
        args.extend(["--base-url", base]);
    }
    let out = vcc(&[&args[..], filters].concat());
    assert!(out.status.success(), "{}", text(&out));
    let written = std::fs::read_to_string(file).unwrap();
    assert!(!written.contains(TOKEN), "the token leaked into the record");
    serde_json::from_str(&written).unwrap()
}

/// `diff --against-record FILE` with A at `base` (the embedded server when `None`).
fn against(base: Option<&str>, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["diff", "--token", TOKEN, "--against-record", file.to_str().unwrap()];
    if let Some(base) = base {
        args.extend(["--base-url", base]);
    }
    vcc(&[&args[..], extra].concat())
}

/// The case rows of a `-q` table: the lines between the heading and the summary.
fn rows(stdout: &str) -> Vec<&str> {
    stdout.lines().skip(3).take_while(|l| !l.is_empty()).collect()
}

#[test]
fn a_release_is_compared_with_the_record_of_the_last() {
    let dir = temp_dir("compare-releases");
    let file = dir.join("last.har");
    let last = Served::start(BIN, &[]);
    let har = record(Some(last.base()), &file, &[]);
    let cases = har["log"]["entries"].as_array().unwrap().len();
    assert_eq!(cases, vcc_conformance::exec::load_shipped().unwrap().cases.len(), "every case's exchange is kept");
    assert_eq!(har["log"]["_run"]["target"], format!("{} (deployment)", last.base()));
    let started = har["log"]["_run"]["started"].as_str().unwrap().to_owned();
    let heading = |a: &Served| {
        format!("differential run:\n  A = {} (deployment)\n  B = record of {} (deployment), {started} ({})\n", a.base(), last.base(), file.display())
    };
    let mut produced = String::new();

    // The same release on another server: other ids and another host, nothing changed.
    let same = Served::start(BIN, &[]);
    let out = against(Some(same.base()), &file, &ANY_LATENCY);
    produced += &text(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout.starts_with(&heading(&same)), "{stdout}");
    assert!(stdout.contains(&format!("0 of {cases} cases break the contract; 0 changed within the contract\nlatency over the {cases} cases")), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.ends_with(" same")).count(), cases, "{stdout}");

    // A harmless variation: every answer carries more headers; changed, within the contract.
    let extra = Served::start(BIN, &["--fault", "harmless-extra-headers"]);
    let out = against(Some(extra.base()), &file, &[&ANY_LATENCY[..], &["-q"]].concat());
    produced += &text(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout.starts_with(&heading(&extra)), "{stdout}");
    let changed = rows(&stdout);
    assert_eq!(changed.len(), cases, "{stdout}");
    assert!(changed.iter().all(|l| l.ends_with("CHANGED, within the contract: headers added: cache-control, x-powered-by, x-request-id")), "{stdout}");
    assert!(stdout.contains(&format!("0 of {cases} cases break the contract; {cases} changed within the contract\n")), "{stdout}");

    // Another harmless variation whose answers are equivalent (keys reversed): no change.
    let reversed = Served::start(BIN, &["--fault", "harmless-reversed-keys"]);
    let out = against(Some(reversed.base()), &file, &ANY_LATENCY);
    produced += &text(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Another reading of a rule the page leaves open: a message changed, within the contract.
    let reading = Served::start(BIN, &["--fault", "harmless-empty-agent-id-not-digits"]);
    let out = against(Some(reading.base()), &file, &[&ANY_LATENCY[..], &["-q"]].concat());
    produced += &text(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let changed = rows(&stdout);
    assert!(!changed.is_empty() && changed.iter().all(|l| l.ends_with("CHANGED, within the contract: message differs")), "{stdout}");
    assert!(!stdout.contains("BREAKS"), "{stdout}");

    // A fault: every case the deployment now fails breaks the contract, as `run` says.
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let out = vcc(&["run", "--base-url", typo.base(), "--token", TOKEN, "--format", "json"]);
    let events = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect::<Vec<_>>();
    let failed = events.iter().filter(|e| e["type"] == "test" && e["event"] == "failed").count();
    assert!(failed >= 20, "{}", text(&out));
    let out = against(Some(typo.base()), &file, &[&ANY_LATENCY[..], &["--format", "json"]].concat());
    produced += &text(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["b"], format!("record of {} (deployment), {started} ({})", last.base(), file.display()));
    let verdict = |v: &str| lines.iter().filter(|l| l["verdict"] == v).collect::<Vec<_>>();
    let breaks = verdict("breaks the contract");
    assert_eq!(breaks.len(), failed, "each case `run` fails, and no other");
    let headlines: Vec<&str> = breaks.iter().map(|l| l["headline"].as_str().unwrap()).collect();
    let odd = headlines.iter().find(|h| !h.starts_with("message: expected ") && !h.contains("answers (answer 1: message: expected "));
    assert_eq!(odd, None, "a message typo is what breaks");
    assert!(breaks[0]["detail"].as_str().unwrap().contains("the answer against the record's:\n--- A = "), "{:?}", breaks[0]);
    // The undocumented messages changed too, which the contract allows.
    assert!(verdict("changed").iter().all(|l| l["headline"] == "message differs"));
    let summary = lines.last().unwrap();
    assert_eq!((summary["type"].as_str(), summary["breaking"].as_u64()), (Some("summary"), Some(failed as u64)), "{summary}");
    assert_eq!(summary["latency"]["slower"], false, "{summary}");
    assert!(!produced.contains(TOKEN), "the token leaked");
}

#[test]
fn a_slower_release_is_a_change() {
    let dir = temp_dir("compare-latency");
    let file = dir.join("fast.har");
    let mut har = record(None, &file, &["examples::"]);
    // The record's release answered in no time at all: the live one is slower by any ratio.
    for entry in har["log"]["entries"].as_array_mut().unwrap() {
        entry["time"] = Value::from(0.0);
    }
    std::fs::write(&file, serde_json::to_string(&har).unwrap()).unwrap();
    let out = against(None, &file, &["examples::", "-q", "--latency-floor", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(rows(&stdout).is_empty(), "every answer is the same: {stdout}");
    assert!(stdout.contains("B 0.0 ms") && stdout.contains(": CHANGED: A is slower, over 2× and 0 ms (--latency-ratio, --latency-floor)"), "{stdout}");
    // Within the floor (a minute), the same times are no change.
    let out = against(None, &file, &["examples::", "-q", "--latency-floor", "60000"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("within 2× or 60000 ms"), "{}", text(&out));
}

#[test]
fn records_that_cannot_be_compared_are_refused_with_status_2() {
    let dir = temp_dir("compare-refused");
    let file = dir.join("good.har");
    let har = record(None, &file, &["examples::"]);
    let written = std::fs::read_to_string(&file).unwrap();
    let refused = |path: &Path, says: &str| {
        let out = against(None, path, &["examples::"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(says), "{says}:\n{}", text(&out));
        assert!(!text(&out).contains("differential run"), "nothing is compared:\n{}", text(&out));
    };
    let other = dir.join("other.har");
    std::fs::write(&other, written.replace("\"examples::", "\"elsewhere::")).unwrap();
    refused(&other, &format!("{} is a record of another suite: none of the", other.display()));
    let damaged = dir.join("damaged.har");
    std::fs::write(&damaged, &written[..written.len() / 2]).unwrap();
    refused(&damaged, &format!("--against-record: {}:", damaged.display()));
    let browser = dir.join("browser.har");
    let mut from_a_browser = har.clone();
    from_a_browser["log"]["creator"]["name"] = Value::from("Firefox");
    std::fs::write(&browser, from_a_browser.to_string()).unwrap();
    refused(&browser, "field `log.creator.name`: written by `Firefox`, not by vcc-conformance");
    refused(&dir, "a folder, not a regular file");
    refused(&dir.join("missing.har"), "missing.har");
    let out = vcc(&["diff", "--against-record", file.to_str().unwrap(), "--against", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // What the record says is a peer's text: shown escaped.
    let hostile = dir.join("hostile.har");
    let mut said = har;
    said["log"]["_run"]["target"] = Value::from("\u{1b}[2J\n::error::forged");
    std::fs::write(&hostile, said.to_string()).unwrap();
    let out = against(None, &hostile, &["examples::", "--latency-ratio", "1000"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\n  B = record of \\u{1b}[2J\\u{a}::error::forged, "), "{stdout}");
    assert!(!stdout.contains('\u{1b}') && !stdout.lines().any(|l| l.starts_with("::")), "{stdout}");
}

#[test]
fn a_live_side_with_client_credentials_is_compared_and_its_secret_hidden() {
    let dir = temp_dir("compare-credentials");
    let file = dir.join("last.har");
    record(None, &file, &["examples::"]);
    let served = Served::start(BIN, &[]);
    let secret = "reference-client-secret";
    let out = vcc(&[
        "diff", "--base-url", served.base(), "--client-id", "vcc-conformance", "--client-secret", secret, "--scope", "calls",
        "--against-record", file.to_str().unwrap(), "--latency-ratio", "1000", "examples::",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 of 8 cases break the contract; 0 changed within the contract"), "{}", text(&out));
    assert!(!text(&out).contains(secret), "{}", text(&out));
}
