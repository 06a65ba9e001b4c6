//! Cargo and libtest habits, as a user of `cargo test` expects them: the
//! `cargo conformance` alias, several named cases, re-running the last run's
//! failures, the verbose mode, colored diffs, `--test-threads 0` refused, and
//! the README's commands (one build profile for both; the forms that work).
//! Every process starts with no `VCC_*` variable of the caller's environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::Served;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const EXAMPLE_1: &str = "examples::example-1-agent-to-number";
const EXAMPLE_2: &str = "examples::example-2-agent-to-agent";

/// `vcc-conformance ARGS` with every `VCC_*` variable removed.
fn vcc() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VCC_") {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("NEXTEST").env_remove("NEXTEST_RUN_ID");
    cmd
}

fn run(args: &[&str]) -> Output {
    vcc().arg("run").args(args).output().expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vcc-habits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the tests a libtest run reports as `test NAME ... ok|FAILED|ignored`.
fn ran(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.split_once(" ... ").map(|(name, _)| name.trim_end().to_owned()))
        .collect()
}

/// The value of `key = "..."` in the `[table]` of a TOML file (flat tables only).
fn toml_string(text: &str, table: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line.trim_matches(|c| c == '[' || c == ']').to_owned();
        } else if current == table
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().trim_matches('"').to_owned());
        }
    }
    None
}

#[test]
fn cargo_conformance_is_an_alias_for_the_conformance_test_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(root.join(".cargo/config.toml")).expect(".cargo/config.toml exists");
    assert_eq!(toml_string(&config, "alias", "conformance").as_deref(), Some("test --test conformance --"), "{config}");
    // The target it names is the suite, built without libtest's harness (which would refuse our options).
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("[[test]]\nname = \"conformance\"\nharness = false"), "{manifest}");
    assert!(root.join("tests/conformance.rs").is_file());
}

#[test]
fn several_filters_select_several_cases_as_cargo_test_does() {
    let out = run(&[EXAMPLE_1, EXAMPLE_2]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ran(&out), [EXAMPLE_1, EXAMPLE_2], "{}", text(&out));

    // `--exact` given twice, each with its name: both, and nothing that merely contains them.
    let out = run(&["--exact", EXAMPLE_1, "--exact", EXAMPLE_2]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ran(&out), [EXAMPLE_1, EXAMPLE_2], "{}", text(&out));
    let out = run(&["--exact", "examples::example-1", "--exact", EXAMPLE_2]);
    assert_eq!(ran(&out), [EXAMPLE_2], "{}", text(&out));
}

#[test]
fn rerun_failed_runs_exactly_the_last_run_s_failures() {
    let dir = temp_dir("rerun");
    let record = dir.join("last-failed");
    let record = record.to_str().unwrap();
    let faulty = Served::start(BIN, &["--fault", "agent-limit-10"]);
    let against = |base: &str, extra: &[&str]| {
        let mut args = vec!["--base-url", base, "--token", "test-token-123", "--record", record];
        args.extend_from_slice(extra);
        run(&args)
    };

    // No record yet: could not run, and the message names the record.
    let out = against(faulty.base(), &["--rerun-failed"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no record of a last run at") && text(&out).contains(record), "{}", text(&out));

    let out = against(faulty.base(), &["-q"]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let recorded = std::fs::read_to_string(record).expect("the run wrote its record");
    let failed: Vec<&str> = recorded.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(!failed.is_empty() && failed.iter().all(|n| n.starts_with("derived::agent-id-too-long.")), "{recorded}");

    let out = against(faulty.base(), &["--rerun-failed"]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    assert_eq!(ran(&out), failed, "{}", text(&out));
    // A filter besides is refused: the record already says which cases.
    let out = against(faulty.base(), &["--rerun-failed", "examples::"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // Fixed: the same cases pass, and the record is then empty.
    let faithful = Served::start(BIN, &[]);
    let out = against(faithful.base(), &["--rerun-failed"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ran(&out), failed, "{}", text(&out));
    let out = against(faithful.base(), &["--rerun-failed"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(ran(&out).is_empty() && text(&out).contains("nothing to re-run"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_record_is_kept_under_target_by_default_and_never_under_nextest() {
    let dir = temp_dir("record-default");
    let out = vcc().args(["run", "--exact", EXAMPLE_1]).current_dir(&dir).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let recorded = std::fs::read_to_string(dir.join("target/vcc-conformance/last-failed")).expect("the default record");
    assert!(recorded.lines().all(|l| l.starts_with('#')), "nothing failed, nothing recorded: {recorded}");
    // Taken from the environment too, as every option.
    let out = vcc().arg("run").env("VCC_RERUN_FAILED", "1").current_dir(&dir).output().unwrap();
    assert!(out.status.success() && text(&out).contains("nothing to re-run"), "{}", text(&out));

    let nextest = temp_dir("record-nextest");
    let out = vcc().args(["run", "--exact", EXAMPLE_1]).env("NEXTEST", "1").current_dir(&nextest).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!nextest.join("target").exists(), "a record was written under nextest");
    let out = vcc().args(["run", "--rerun-failed"]).env("NEXTEST", "1").current_dir(&nextest).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nextest"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&nextest);
}

#[test]
fn nocapture_and_show_output_print_the_exchange_of_passing_cases() {
    for flag in ["--nocapture", "--show-output"] {
        let out = run(&["--exact", EXAMPLE_1, flag]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", text(&out));
        let shown = stdout.split_once("successes:\n").map(|(_, after)| after).unwrap_or_else(|| panic!("{flag}: {stdout}"));
        assert!(shown.contains(&format!("---- {EXAMPLE_1} stdout ----\n{EXAMPLE_1} (cases/examples.yaml:")), "{flag}: {stdout}");
        assert!(shown.contains("request:\n  POST http://127.0.0.1:") && shown.contains("response:\n  201\n"), "{flag}: {stdout}");
    }
    let quiet = run(&["--exact", EXAMPLE_1]);
    assert!(quiet.status.success() && !String::from_utf8_lossy(&quiet.stdout).contains("successes:"), "{}", text(&quiet));
}

#[test]
fn color_always_colors_the_message_diff_and_never_leaves_it_plain() {
    const TOO_LONG: &str = "errors-request::agent-id-too-long-from";
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let failing = |extra: &[&str]| {
        let mut args = vec!["--base-url", typo.base(), "--token", "test-token-123", "--exact", TOO_LONG];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(101), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let colored = failing(&["--color", "always"]);
    assert!(colored.contains("    \x1b[31m-Agent Id exceeds 11 digits\x1b[0m\n"), "{colored:?}");
    assert!(colored.contains("    \x1b[32m+Agent Id exceeds 11 digit\x1b[0m\n"), "{colored:?}");
    // `never`, and `auto` when stdout is no terminal (here a pipe): plain.
    for plain in [failing(&["--color", "never"]), failing(&["--color", "auto"]), failing(&[])] {
        assert!(!plain.contains('\x1b'), "{plain:?}");
        assert!(plain.contains("    -Agent Id exceeds 11 digits\n    +Agent Id exceeds 11 digit\n"), "{plain}");
    }
}

#[test]
fn zero_test_threads_is_refused() {
    let out = run(&["--test-threads", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--test-threads must be at least 1"), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("running "), "nothing ran: {}", text(&out));
}

/// nextest lists a target's tests with `--list --format terse` and its ignored
/// ones with `--list --format terse --ignored`: both must answer (listing sends
/// nothing), though `--ignored` alone, which would run the held-back cases, is
/// refused.
#[test]
fn nextest_s_list_calls_are_answered_and_running_the_ignored_is_refused() {
    let all = run(&["--list", "--format", "terse"]);
    assert_eq!(all.status.code(), Some(0), "{}", text(&all));
    assert!(String::from_utf8_lossy(&all.stdout).lines().any(|l| l == format!("{EXAMPLE_1}: test")), "{}", text(&all));
    let ignored = run(&["--list", "--format", "terse", "--ignored"]);
    assert_eq!(ignored.status.code(), Some(0), "{}", text(&ignored));
    for refused in [&["--ignored"][..], &["--include-ignored"][..]] {
        let out = run(refused);
        assert_eq!(out.status.code(), Some(2), "{refused:?}: {}", text(&out));
        assert!(text(&out).contains("--allow-real-calls"), "{}", text(&out));
    }
}

/// The first code block of the README's section `heading`.
fn readme_block(heading: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split_once(&format!("\n## {heading}\n")).map(|(_, s)| s).unwrap_or_else(|| panic!("no section {heading}"));
    let block = section.split_once("```sh\n").map(|(_, b)| b).unwrap_or_else(|| panic!("no sh block in {heading}"));
    block.split_once("```").map(|(b, _)| b.to_owned()).unwrap()
}

#[test]
fn the_readme_s_two_commands_share_one_build_and_its_deployment_forms_work() {
    // One profile for both: the test command reuses the first command's build.
    let first = readme_block("The two commands");
    let commands: Vec<&str> =
        first.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|c| !c.is_empty()).collect();
    assert_eq!(commands, ["cargo run -- run", "scripts/test"], "{first}");
    // The test command is `cargo test` (same dev profile) after its set-up.
    let script = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test")).unwrap();
    assert!(script.lines().any(|l| l.trim() == "exec cargo test \"$@\""), "{script}");
    // The deployment section leads with the forms that work, the alias among them.
    let deployment = readme_block("Testing a deployment");
    for form in ["cargo run -- run --base-url", "cargo conformance --base-url", "cargo test --test conformance -- --base-url"] {
        assert!(deployment.contains(form), "{form}: {deployment}");
    }
    assert!(!deployment.contains("cargo test -- --base-url"), "{deployment}");
}
