//! The command line as issue 9 found it drifting, each fix pinned: one clap
//! definition, so `diff` takes exactly the options it honours, every `--help`
//! is generated, an unknown option is one clear line, and a flag wins over the
//! environment for every option, the credentials included.

use std::process::Output;

use crate::common::{Served, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn diff_refuses_what_it_would_ignore_and_takes_the_selection_options() {
    let (one, two) = (Served::start(BIN, &[]), Served::start(BIN, &[]));
    let sides = ["diff", "--base-url", one.base(), "--against", two.base(), "--token", "command-line-token"];
    // Options diff does not honour are refused, not silently dropped.
    for ignored in [&["--junit", "r.xml"][..], &["--html", "r.html"], &["--export-hurl", "r.hurl"], &["--dry-run"]] {
        let out = vcc_command(BIN).args(sides).args(ignored).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{ignored:?}: {}", text(&out));
        assert!(text(&out).contains(&format!("unknown option `{}`", ignored[0])), "{}", text(&out));
    }
    // The selection and output options of run work.
    let out = vcc_command(BIN).args(sides).args(["--list", "examples::"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8, "{}", text(&out));
    let out = vcc_command(BIN).args(sides).args(["-q", "--exact", "examples::example-1-agent-to-number", "examples::example-2-agent-to-agent"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // -q: the sides with their URLs, no row for a case answered alike, the summary.
    let quiet = format!("differential run:\n  A = {} (deployment)\n  B = {} (deployment)\n\n0 of 2 cases answered differently", one.base(), two.base());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), quiet, "{}", text(&out));
    let out = vcc_command(BIN).args(sides).args(["--format", "json", "examples::example-1"]).output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["type"], "sides", "{lines:?}");
    assert_eq!(lines[0]["a"], format!("{} (deployment)", one.base()), "{lines:?}");
    assert_eq!(lines[1]["verdict"], "same", "{lines:?}");
    let summary = lines.last().unwrap();
    assert_eq!((summary["type"].as_str(), summary["compared"].as_u64(), summary["same"].as_u64()), (Some("summary"), Some(1), Some(1)), "{summary}");
    assert_eq!(summary["b"], format!("{} (deployment)", two.base()), "{summary}");
}

#[test]
fn every_help_is_generated_and_an_unknown_option_is_one_line() {
    for args in [&["diff", "--help"][..], &["help", "run"], &["run", "--help"]] {
        let out = vcc_command(BIN).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("--base-url <URL>") && text(&out).contains("[env: VCC_BASE_URL"), "{args:?}: {}", text(&out));
    }
    let out = vcc_command(BIN).args(["run", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out).trim().lines().count(), 1, "{}", text(&out));
    assert!(text(&out).contains("unknown option `--bogus`"), "{}", text(&out));
}

#[test]
fn a_flag_wins_over_the_environment_for_the_credentials_too() {
    // VCC_TOKEN in the environment, client credentials as flags: the flags win
    // (the embedded server's token endpoint knows this client).
    let out = vcc_command(BIN)
        .args(["run", "-q", "--client-id", "vcc-conformance", "--client-secret", "reference-client-secret", "--scope", "calls", "examples::"])
        .env("VCC_TOKEN", "environment-token-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // And the other way round: a token flag wins over credentials from the environment.
    let out = vcc_command(BIN)
        .args(["run", "-q", "--token", "flag-token-12345", "examples::"])
        .env("VCC_CLIENT_ID", "someone")
        .env("VCC_CLIENT_SECRET", "some-secret-123")
        .env("VCC_SCOPE", "calls")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // Both from the same place is a mistake to report.
    let out = vcc_command(BIN).args(["run", "--token", "flag-token-12345", "--client-id", "x", "--client-secret", "some-secret-123"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("either a token or client credentials"), "{}", text(&out));
}
