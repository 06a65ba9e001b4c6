//! `coverage --page FILE` through the binary: the shipped page agrees with
//! `contract/items.yaml` (exit 0), an edited copy does not (exit 1), a page
//! that cannot be read is exit 2; `coverage` ends with its summary line and
//! takes `--cases`.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::vcc_command;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

fn shipped_page() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contract/seed-calls-endpoint-doc.txt")
}

/// Runs `vcc-conformance coverage ARGS` with no `VCC_*` variable.
fn coverage(args: &[&Path]) -> Output {
    let mut cmd = vcc_command(BIN);
    cmd.arg("coverage").args(args);
    cmd.output().expect("the binary runs")
}

fn flag(name: &str) -> &Path {
    Path::new(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vcc-coverage-page-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_owned()
}

#[test]
fn the_shipped_page_agrees_and_the_summary_closes_the_output() {
    let out = coverage(&[flag("--page"), &shipped_page()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("page: it states the 32 documented items: 31 as its messages, limits and request examples, 1 in words"), "{stdout}");
    let summary = last_line(&out);
    let words: Vec<&str> = summary.split(' ').collect();
    assert!(summary.starts_with("coverage: ") && summary.ends_with(" cases"), "{summary}");
    assert_eq!(words[1], words[3], "every documented item is covered: {summary}");
}

#[test]
fn an_edited_page_exits_1_and_names_the_difference() {
    let dir = scratch("edited");
    let page = dir.join("page.txt");
    let text = std::fs::read_to_string(shipped_page()).unwrap();
    std::fs::write(&page, text.replace("  • Agent Id must contain digits only\n", "")).unwrap();
    let out = coverage(&[flag("--page"), &page]);
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("lists what the page no longer states:\n  400: Agent Id must contain digits only"), "{stdout}");
    assert!(last_line(&out).starts_with("coverage: "), "{stdout}");
}

#[test]
fn a_page_that_cannot_be_read_exits_2() {
    let dir = scratch("unreadable");
    for page in [dir.join("missing.txt"), PathBuf::from("/dev/zero"), dir.clone()] {
        let out = coverage(&[flag("--page"), &page]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", page.display());
        assert!(stderr.starts_with(&format!("error: {}: ", page.display())), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn more_cases_are_counted_and_their_claims_checked() {
    let dir = scratch("cases");
    let mine = dir.join("mine.yaml");
    std::fs::write(&mine, "cases:\n  - name: again\n    covers: example-1\n    request: {json: {}}\n    expect: {status: 400}\n").unwrap();
    let base = last_line(&coverage(&[]));
    let more = coverage(&[flag("--cases"), &mine]);
    assert_eq!(more.status.code(), Some(0));
    let count = |line: &str| line.rsplit(' ').nth(1).and_then(|n| n.parse::<usize>().ok()).unwrap();
    assert_eq!(count(&last_line(&more)), count(&base) + 1, "{base} / {}", last_line(&more));
    std::fs::write(&mine, "cases:\n  - name: again\n    covers: example-9\n    request: {json: {}}\n    expect: {status: 400}\n").unwrap();
    let wrong = coverage(&[flag("--cases"), &mine]);
    let _ = std::fs::remove_dir_all(&dir);
    // A claim of an item the contract does not have is refused where it is written (issue 17, 5).
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("mine.yaml:3:") && stderr.contains("`example-9` is not an item of the contract"), "{stderr}");
    assert!(stderr.contains("did you mean `example-1`?"), "{stderr}");
}
