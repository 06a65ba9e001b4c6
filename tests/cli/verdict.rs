//! A verdict a release can trust: never green without having tested the target,
//! never red for a dead network. Each test here failed on 93dc564: an empty
//! setting tested our own server, the target went unnamed, a bad report path
//! was found after every request, Ctrl-C wrote no report, examples held back
//! off loopback went unmentioned, a mistyped variable was dropped, nextest
//! overwrote the reports, and `diff` agreed when nothing was compared.

use std::io::Read;
use std::process::{Output, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::common::{Served, counting, hostile_from, temp_dir, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const TOKEN: &str = "verdict-token-123";

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn run(args: &[&str]) -> Output {
    vcc_command(BIN).arg("run").args(args).output().expect("the binary runs")
}

/// A deployment's host name for a served reference server, and the
/// `--resolve` that sends it to 127.0.0.1: off loopback as the harness sees it.
pub(crate) fn off_loopback(served: &Served) -> (String, String) {
    let port = served.base().rsplit(':').next().unwrap().to_owned();
    (format!("http://deployment.test:{port}"), format!("deployment.test:{port}:127.0.0.1"))
}

#[test]
fn a_setting_that_is_set_but_empty_stops_the_run_and_is_named() {
    for name in ["VCC_BASE_URL", "VCC_TOKEN", "VCC_VARS", "VCC_JUNIT"] {
        let out = vcc_command(BIN).args(["run", "-q"]).env(name, "").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        assert!(text(&out).contains(&format!("{name} is set but empty")), "{name}: {}", text(&out));
        assert!(!text(&out).contains("test result"), "nothing ran: {}", text(&out));
    }
    // A misspelt setting is pointed out.
    let out = vcc_command(BIN).args(["run", "-q", "--exact", "examples::example-1-agent-to-number"]).env("VCC_BASEURL", "x").output().unwrap();
    assert!(text(&out).contains("VCC_BASEURL is not a setting") && text(&out).contains("did you mean VCC_BASE_URL?"), "{}", text(&out));
}

#[test]
fn every_output_names_the_target_first() {
    let out = run(&["-q", "--exact", "examples::example-1-agent-to-number"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("target: embedded reference server (http://127.0.0.1:"), "{stdout}");
    let served = Served::start(BIN, &[]);
    let dir = temp_dir("verdict-target");
    let junit = dir.join("r.xml");
    let out = run(&["--base-url", served.base(), "--token", TOKEN, "--junit", junit.to_str().unwrap(), "--format", "json", "-Z", "unstable-options", "examples::"]);
    assert!(out.status.success(), "{}", text(&out));
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned();
    let first: serde_json::Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(first["type"], "target");
    assert_eq!(first["target"], format!("{} (deployment)", served.base()));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&format!("<property name=\"target\" value=\"{} (deployment)\"/>", served.base())), "{xml}");
    assert!(xml.contains("timestamp="), "{xml}");
}

#[test]
fn report_paths_are_checked_before_anything_is_sent() {
    let (base, count) = counting();
    for flag in ["--html", "--junit", "--export-hurl"] {
        let out = run(&["--base-url", &base, "--token", TOKEN, flag, "/nonexistent/dir/r.out"]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out));
        assert!(text(&out).contains(&format!("{flag} /nonexistent/dir/r.out: cannot write there")), "{}", text(&out));
    }
    assert_eq!(count.load(Ordering::SeqCst), 0, "a request was sent");
}

#[test]
fn a_mistyped_variable_stops_the_run_with_a_suggestion() {
    let out = run(&["--var", "busyAgentID=3141"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no case uses a variable named `busyAgentID`; did you mean `busyAgentId`?"), "{}", text(&out));
    let dir = temp_dir("verdict-vars");
    let file = dir.join("mine.yaml");
    std::fs::write(&file, "unreachableAgentID: '7002'\n").unwrap();
    let out = run(&["--vars", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("did you mean `unreachableAgentId`?"), "{}", text(&out));
}

#[test]
fn the_summary_names_what_was_held_back_and_require_complete_fails_on_it() {
    let served = Served::start(BIN, &[]);
    let (base, resolve) = off_loopback(&served);
    let args = ["--base-url", &base, "--resolve", &resolve, "--token", TOKEN, "--max-rps", "0"];
    let out = run(&args);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let held = all.lines().find(|l| l.starts_with("not verified, held back")).unwrap_or_else(|| panic!("{all}"));
    for example in 1..=7 {
        assert!(held.contains(&format!("example-{example}")), "example-{example}: {held}");
    }
    assert!(all.contains("contract: ") && all.contains(" not verified"), "{all}");
    // The release-gate setting turns that into a failure, from a flag or the environment.
    let out = run(&[&args[..], &["--require-complete"]].concat());
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    assert!(text(&out).contains("--require-complete"), "{}", text(&out));
    let out = vcc_command(BIN).arg("run").args(args).env("VCC_REQUIRE_COMPLETE", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    // Every item verified: the gate passes.
    let out = run(&["--require-complete", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("contract: 32 of 32 documented items verified, 0 failed"), "{}", text(&out));
}

/// The `contract:` line and the lists after it: verified + failed + not
/// verified = every documented item; the reasons add up to the not verified;
/// every item not verified is named once, under one reason.
fn check_contract_lines(all: &str) -> (usize, usize, usize) {
    let line = all.lines().find(|l| l.starts_with("contract: ")).unwrap_or_else(|| panic!("{all}"));
    let number = |text: &str| text.trim().split(' ').next().unwrap().parse::<usize>().unwrap_or_else(|_| panic!("{line}"));
    let (verified, rest) = line["contract: ".len()..].split_once(" of ").unwrap();
    let total = number(rest);
    let failed = number(line.split(", ").find(|p| p.ends_with(" failed")).unwrap());
    let (not_verified, reasons) = match line.split_once(" not verified (") {
        Some((head, reasons)) => (number(head.rsplit(", ").next().unwrap()), reasons.trim_end_matches(')')),
        None => (0, ""),
    };
    assert_eq!(number(verified) + failed + not_verified, total, "{line}");
    let by_reason: usize = reasons.split(", ").filter(|r| !r.is_empty()).map(number).sum();
    assert_eq!(by_reason, not_verified, "{line}");
    let named: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("not verified, "))
        .flat_map(|l| l.split_once(": ").unwrap().1.split("; "))
        .collect();
    assert_eq!(named.len(), not_verified, "each item not verified is named once: {all}");
    let mut unique = named.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), named.len(), "{all}");
    (number(verified), failed, not_verified)
}

#[test]
fn the_contract_line_adds_up_and_names_every_item_it_did_not_verify() {
    // A filter: the example's item is verified (in part: other cases cover it too), the rest named as filtered out.
    let out = run(&["example-1"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(check_contract_lines(&all), (1, 0, 31), "{all}");
    assert!(all.contains("verified in part, some of their cases filtered out: example-1\n"), "{all}");
    assert!(all.contains("not verified, filtered out: example-2; example-3;"), "{all}");
    // --exact beside held-back cases, off loopback: each item under one reason.
    let served = Served::start(BIN, &[]);
    let (base, resolve) = off_loopback(&served);
    let off = ["--base-url", &base, "--resolve", &resolve, "--token", TOKEN, "--max-rps", "0"];
    let exact = [&off[..], &["--exact", "examples::example-1-agent-to-number", "--exact", "examples::example-8-all-parameters-is-rejected"]].concat();
    let all = text(&run(&exact));
    let (verified, failed, missing) = check_contract_lines(&all);
    assert_eq!((verified, failed, missing), (1, 0, 31), "{all}");
    assert!(all.lines().any(|l| l == "not verified, held back because they may place a real call: example-1"), "{all}");
    // The whole suite off loopback.
    let all = text(&run(&off));
    let (verified, _, missing) = check_contract_lines(&all);
    assert!(verified > 0 && missing > 0, "{all}");
    let gate = run(&[&off[..], &["--require-complete"]].concat());
    assert!(text(&gate).contains(&format!("--require-complete: {missing} documented items were not verified")), "{}", text(&gate));
}

/// A target that redirects every request is not tested case by case ("expected
/// 201, got 307" ninety times): the pre-flight stops the run, naming where it
/// redirects (shown escaped: it is the peer's text). An empty base URL says so.
#[test]
fn a_redirecting_target_or_an_empty_base_url_stops_the_run_with_a_hint() {
    fn redirect(mut s: std::net::TcpStream) {
        let _ = crate::common::read_whole_request(&mut s);
        let _ = std::io::Write::write_all(
            &mut s,
            b"HTTP/1.1 307 Temporary Redirect\r\nlocation: https://login.example/\xc2\x9b2Ksso\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
    }
    let base = hostile_from(0, redirect);
    let out = run(&["--base-url", &base, "--token", TOKEN]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    // A C1 control (CSI, U+009B) is all a header can carry of a terminal sequence.
    assert!(all.contains("answered 307 to the pre-flight request, redirecting to https://login.example/\\u{9b}2Ksso"), "{all}");
    assert!(!all.contains('\u{9b}'), "{all:?}");
    let out = run(&["--base-url", ""]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("the base URL is empty"), "{}", text(&out));
}

/// `run | head -1`: the reader goes away after the first line; the run goes on,
/// writes its record and JUnit report, and exits with its own verdict, with no
/// panic.
#[test]
fn a_reader_that_goes_away_ends_the_printing_not_the_run() {
    // The second run also prints a line after the cases (the calls spread over a spare agent).
    for extra in [&[][..], &["--var", "spareAgentIds=5464"]] {
        let dir = temp_dir("broken-pipe");
        let (junit, record) = (dir.join("junit.xml"), dir.join("last-failed"));
        let mut child = vcc_command(BIN)
            .args(["run", "--junit", junit.to_str().unwrap(), "--record", record.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the run did not end");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "{extra:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{extra:?}: {stderr}");
        assert!(std::fs::read_to_string(&junit).unwrap().contains("<testsuites"), "{extra:?}: the JUnit report is written");
        assert!(std::fs::read_to_string(&record).unwrap().starts_with("# vcc-conformance"), "{extra:?}: the record is written");
    }
}

#[test]
fn an_interrupted_run_writes_its_reports_and_exits_130() {
    // The pre-flight is answered; every case then waits for an answer that never comes.
    let base = hostile_from(1, |mut s| {
        let _ = crate::common::read_whole_request(&mut s);
        std::thread::sleep(Duration::from_secs(20));
    });
    let dir = temp_dir("verdict-interrupted");
    let (junit, record) = (dir.join("r.xml"), dir.join("last-failed"));
    let mut child = vcc_command(BIN)
        .args(["run", "--base-url", &base, "--token", TOKEN, "--timeout", "30", "--junit", junit.to_str().unwrap(), "errors-request::"])
        .args(["--record", record.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it has started the cases (its header is out), then interrupt it.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8];
    while !String::from_utf8_lossy(&seen).contains("running ") && stdout.read(&mut byte).unwrap_or(0) == 1 {
        seen.push(byte[0]);
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    assert_eq!(status.code(), Some(130), "{}{rest}", String::from_utf8_lossy(&seen));
    assert!(started.elapsed() < Duration::from_secs(10), "it stopped in {:?}", started.elapsed());
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    assert!(xml.contains(r#"<property name="interrupted" value="true"/>"#), "{xml}");
    assert!(xml.contains("errors-request::"), "{xml}");
    // The cases that never got their answer were not run, not failed: in the
    // console, the contract line, the JUnit report and the record (issue 17, 3).
    let out = format!("{}{rest}", String::from_utf8_lossy(&seen));
    assert!(out.contains(" 0 failed;") && out.contains("ignored (not run: the run was interrupted)"), "{out}");
    assert!(out.contains("not verified, not run (the run was interrupted): "), "{out}");
    assert!(!xml.contains("<failure") && !xml.contains("<error") && xml.contains(r#"<skipped message="not run: the run was interrupted">"#), "{xml}");
    let recorded = std::fs::read_to_string(&record).unwrap_or_default();
    assert!(recorded.lines().all(|l| l.starts_with('#')), "no case is recorded as failed: {recorded}");
}

/// Ctrl-C while the pre-flight waits on a target that never answers stops the
/// run at once (status 130), and a second one stops it whatever it is doing.
#[test]
fn an_interrupt_during_the_pre_flight_stops_at_once() {
    let base = hostile_from(0, |mut s| {
        let _ = crate::common::read_whole_request(&mut s);
        std::thread::sleep(Duration::from_secs(30));
    });
    for signals in [1, 2] {
        let mut child = vcc_command(BIN)
            .args(["run", "--base-url", &base, "--token", TOKEN, "--timeout", "60"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let started = Instant::now();
        for _ in 0..signals {
            assert!(std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{signals} interrupt(s): still running");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(status.code(), Some(130), "{signals}: {stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
    }
}

#[test]
fn reports_are_refused_under_nextest_where_each_case_would_overwrite_them() {
    for (name, flag) in [("VCC_JUNIT", "--junit"), ("VCC_HTML", "--html")] {
        let dir = temp_dir(name);
        let path = dir.join("r.out");
        let out = vcc_command(BIN)
            .args(["run", "--exact", "examples::example-1-agent-to-number"])
            .env(name, &path)
            .env("NEXTEST", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out));
        assert!(text(&out).contains("--profile ci") && text(&out).contains(".config/nextest.toml"), "{}", text(&out));
        assert!(!path.exists(), "{flag}: a report was written");
    }
    let out = vcc_command(BIN).args(["run", "--require-complete"]).env("NEXTEST", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--require-complete"), "{}", text(&out));
    let config = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".config/nextest.toml")).unwrap();
    assert!(config.contains("[profile.ci.junit]"), "{config}");
}

#[test]
fn diff_agrees_only_when_both_sides_answered() {
    // Two ports where nothing listens: no comparison at all, status 2.
    let dead = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = vcc_command(BIN).args(["diff", "--base-url", &dead(), "--against", &dead(), "--token", TOKEN]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("side A") && text(&out).contains("connection refused"), "{}", text(&out));
    // Two servers that refuse every request without a token: status 2, not "same".
    let (one, two) = (Served::start(BIN, &[]), Served::start(BIN, &[]));
    let out = vcc_command(BIN).args(["diff", "--base-url", one.base(), "--against", two.base()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("without a token"), "{}", text(&out));
    // Both answering: the sides are labelled with their URLs.
    let out = vcc_command(BIN).args(["diff", "--base-url", one.base(), "--against", two.base(), "--token", TOKEN, "examples::"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains(&format!("A = {} (deployment)", one.base())) && all.contains(&format!("B = {} (deployment)", two.base())), "{all}");
}

#[test]
fn cases_that_fail_mid_run_for_one_transport_reason_are_grouped() {
    // The pre-flight is answered; every later connection is dropped unanswered.
    let base = hostile_from(1, |mut s| {
        let _ = crate::common::read_whole_request(&mut s);
    });
    let out = run(&["--base-url", &base, "--token", TOKEN, "--timeout", "5", "errors-request::agent-id"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(101), "{all}");
    assert!(all.contains("4 cases got no usable response: connection broken or not HTTP"), "{all}");
}

#[test]
fn huge_messages_give_bounded_reports() {
    // A server that answers every case with a 0.8 MB message, one line and many.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().flatten().enumerate() {
            std::thread::spawn(move || {
                let mut stream = stream;
                while crate::common::read_whole_request(&mut stream).is_some() {
                    let message = if i % 2 == 0 { "x".repeat(800_000) } else { "line\\n".repeat(100_000) };
                    let body = format!(r#"{{"message":"{message}"}}"#);
                    let head = format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
                    if std::io::Write::write_all(&mut stream, (head + &body).as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let dir = temp_dir("verdict-huge");
    let (junit, html) = (dir.join("r.xml"), dir.join("r.html"));
    let out = run(&["--base-url", &base, "--token", TOKEN, "--junit", junit.to_str().unwrap(), "--html", html.to_str().unwrap(), "errors-request::agent-id"]);
    assert_eq!(out.status.code(), Some(101), "{}", String::from_utf8_lossy(&out.stderr));
    let failed = String::from_utf8_lossy(&out.stdout).matches("... FAILED").count();
    assert_eq!(failed, 4, "{}", String::from_utf8_lossy(&out.stdout));
    // Each case shows at most a few KB of the message: well under 1 MB for the run.
    let per_case = |bytes: usize| bytes / failed;
    // The HTML page's contract matrix names every case of the suite (filtered out
    // here): it grows with the suite, not with the messages, so it is not counted.
    let page = std::fs::read_to_string(&html).unwrap();
    let matrix = page.find("<table id=\"contract\"").and_then(|at| page[at..].find("</table>")).unwrap_or(0);
    for (what, bytes) in [
        ("stdout", out.stdout.len()),
        ("JUnit", std::fs::metadata(&junit).unwrap().len() as usize),
        ("HTML", page.len() - matrix),
    ] {
        assert!(per_case(bytes) < 40_000, "{what}: {bytes} bytes for {failed} cases");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("more characters cut)"));
}

/// A deployment with fixture IDs of its own (other accounts, agents of other
/// lengths, groups, numbers), given to the run as variables, as the page's
/// contract allows any: every case passes, at both depths. A case or probe
/// that wrote one of the built-in fixture's IDs instead of its variable fails
/// here, and would fail a faithful deployment.
#[test]
fn a_deployment_with_ids_of_its_own_passes_at_both_depths() {
    let dir = temp_dir("verdict-own-ids");
    let fixture = dir.join("fixture.yaml");
    std::fs::write(
        &fixture,
        "accounts: {zz99yy88xx: {ccxml: true}, qq11ww22: {ccxml: false}}\n\
         agents: {'3141': available, '27182818': available, '1618': busy, '1414': unreachable}\n\
         groups: ['911', '12', '5']\n\
         callbackNumbers: ['01632960001', '+441632960002']\n\
         invalidNumbers: ['01632960000']\n",
    )
    .unwrap();
    let vars = dir.join("vars.yaml");
    std::fs::write(
        &vars,
        "accountKey: zz99yy88xx\nccxmlDisabledAccountKey: qq11ww22\nagentId: '3141'\notherAgentId: '27182818'\n\
         busyAgentId: '1618'\nunreachableAgentId: '1414'\nunknownAgentId: '8675309'\ngroupId: '911'\n\
         otherGroupId: '12'\nthirdGroupId: '5'\ncallbackNumber: '01632960001'\notherCallbackNumber: '+441632960002'\n\
         telephoneNumber: '01632960983'\ninvalidNumber: '01632960000'\n",
    )
    .unwrap();
    let served = Served::start(BIN, &["--fixture", fixture.to_str().unwrap()]);
    for depth in ["default", "exhaustive"] {
        let out = run(&["--base-url", served.base(), "--token", TOKEN, "--vars", vars.to_str().unwrap(), "--depth", depth, "--format", "terse"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "--depth {depth}:\n{}", all.lines().filter(|l| !l.starts_with("....")).collect::<Vec<_>>().join("\n"));
        assert!(all.contains(" 0 failed") && all.contains("32 of 32 documented items verified"), "--depth {depth}:\n{all}");
    }
}
