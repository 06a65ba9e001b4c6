//! Cargo and libtest habits, as a user of `cargo test` expects them: the
//! `cargo conformance` alias, several named cases, re-running the last run's
//! failures, the verbose mode, colored diffs, and `--test-threads 0` refused.
//! Every process starts with no `VCC_*` variable of the caller's environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::Served;

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
        .filter_map(|l| l.strip_prefix("test ")?.split_once(" ... ").map(|(name, _)| name.to_owned()))
        .collect()
}

/// The value of `key = "..."` in the `[table]` of a TOML file (flat tables only).
fn toml_string(text: &str, table: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line.trim_matches(|c| c == '[' || c == ']').to_owned();
        } else if current == table {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().trim_matches('"').to_owned());
                }
            }
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
