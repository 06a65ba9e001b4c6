//! The binary as a user meets it: exit statuses, load errors that name the place,
//! a token that never shows, and hostile servers that fail cases with a reason
//! instead of hanging or panicking.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::vcc_command;
use crate::common::{Served, counting, hostile_from, read_whole_request, temp_dir};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const ONE_CASE: &[&str] = &["--exact", "examples::example-1-agent-to-number"];

fn run(args: &[&str]) -> Output {
    vcc_command(BIN)
        .arg("run")
        .args(args)
        .output()
        .expect("the binary runs")
}

/// How many cases ship (every selected case of a full run).
fn shipped_count() -> usize {
    let cases = vcc_conformance::exec::load_shipped().unwrap().cases;
    assert!(cases.len() >= 40, "{}", cases.len());
    cases.len()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_suite_passes_against_the_embedded_server() {
    let out = run(&["-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(" 0 failed"), "{}", text(&out));
}

#[test]
fn a_served_faithful_server_passes_and_a_faulty_one_fails_without_leaking_the_token() {
    let faithful = Served::start(BIN, &[]);
    let out = run(&["--base-url", &faithful.1, "--token", "canary-Zx81-secret", "-q"]);
    assert!(out.status.success(), "{}", text(&out));

    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let out = run(&["--base-url", &typo.1, "--token", "canary-Zx81-secret"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(101), "{all}");
    assert!(all.contains("-Agent Id exceeds 11 digits\n") && all.contains("+Agent Id exceeds 11 digit\n"), "{all}");
    assert!(all.contains("Authorization: Bearer [redacted]"), "{all}");
    assert!(!all.contains("canary-Zx81-secret"), "the token leaked:\n{all}");
}

#[test]
fn the_server_passes_on_several_threads_and_refuses_zero() {
    let threaded = Served::start(BIN, &["--threads", "3"]);
    let out = run(&["--base-url", &threaded.1, "--token", "test-token-1", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = vcc_command(BIN).args(["serve", "--threads", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--threads"), "{}", text(&out));
}

#[test]
fn a_broken_case_file_stops_the_run_with_its_place_and_status_2() {
    let dir = temp_dir("cli-broken");
    std::fs::write(
        dir.join("mine.yaml"),
        "cases:\n  - name: mine\n    covers: example-1\n    request: {json: {}}\n    expect:\n      status: 201\n      mesage: x\n",
    )
    .unwrap();
    let out = run(&["--cases", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mine.yaml:7:7"), "{err}");
    assert!(err.contains("cases[0].expect.mesage") && err.contains("unknown field"), "{err}");

    std::fs::write(
        dir.join("mine.yaml"),
        "cases:\n  - name: mine\n    covers: example-1\n    request: {json: {a: \"${agentid}\"}}\n    expect: {status: 201}\n",
    )
    .unwrap();
    let out = run(&["--cases", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("mine.yaml:4:26: unknown variable `${agentid}`"), "{}", text(&out));
}

#[test]
fn users_add_their_own_cases_and_variables() {
    let dir = temp_dir("cli-mine");
    std::fs::write(
        dir.join("extra.json"),
        r#"{"cases": [{"name": "to-other-agent", "covers": "example-2", "tags": ["places-call"],
            "request": {"json": {"from": {"agentId": "${agentId}"}, "to": {"agentId": "${otherAgentId}"}}},
            "expect": {"status": 201, "schema": "call-created", "echo": true}}]}"#,
    )
    .unwrap();
    let out = run(&["--cases", dir.to_str().unwrap(), "--list"]);
    assert!(text(&out).contains("extra::to-other-agent: test"), "{}", text(&out));
    let out = run(&["--cases", dir.to_str().unwrap(), "--exact", "extra::to-other-agent"]);
    assert!(out.status.success(), "{}", text(&out));
    // The busy agent as the caller: example 1 must now fail with that message.
    let out = run(&[&["--var", "agentId=7001"][..], ONE_CASE].concat());
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    assert!(text(&out).contains("Unable to place call - Agent number busy"), "{}", text(&out));
    let vars = dir.join("v.yaml");
    std::fs::write(&vars, "agentId: '7001'\n").unwrap();
    let out = run(&[&["--vars", vars.to_str().unwrap()][..], ONE_CASE].concat());
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
}

#[test]
fn a_filter_that_selects_nothing_fails_loudly() {
    let out = run(&["no-such-case"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no case matches"), "{}", text(&out));
    let out = run(&["--timeout", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--help"]);
    assert!(out.status.success() && text(&out).contains("--base-url"), "{}", text(&out));
}

/// A TCP server that treats every connection with `answer`; serves until dropped.
fn hostile(answer: fn(std::net::TcpStream)) -> String {
    hostile_from(0, answer)
}

fn read_request(stream: &mut std::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = stream.read(&mut buf);
}

#[test]
fn only_the_selected_cases_are_sent() {
    use std::sync::atomic::Ordering;
    let listed = run(&["--list"]);
    let in_file = text(&listed).lines().filter(|l| l.starts_with("errors-request::")).count();
    assert!(in_file > 5, "{}", text(&listed));
    for (args, sent) in [
        (&["--list"][..], 0),
        (&["--ignored"][..], 0),
        // One pre-flight request, then the cases.
        (ONE_CASE, 1 + 1),
        (&["errors-request::"][..], 1 + in_file),
        (&["--skip", "::"][..], 0),
    ] {
        let (base, count) = counting();
        let out = run(&[&["--base-url", &base, "--token", "test-token-1", "--timeout", "2"][..], args].concat());
        assert!(!text(&out).contains("panicked"), "{args:?}: {}", text(&out));
        assert_eq!(count.load(Ordering::SeqCst), sent, "{args:?}: {}", text(&out));
    }
}

#[test]
fn hostile_servers_fail_cases_with_a_reason_within_the_timeout() {
    let servers: [(&str, fn(std::net::TcpStream), &str); 5] = [
        ("hangs", |s| { std::thread::sleep(Duration::from_secs(30)); drop(s) }, "timeout"),
        ("drops", |mut s| { read_request(&mut s); drop(s) }, "connection dropped"),
        ("garbage", |mut s| { read_request(&mut s); let _ = s.write_all(b"HELLO THERE\r\n\r\n"); }, "not HTTP"),
        ("invalid-utf8", |mut s| {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 4\r\n\r\n\xff\xfe{}");
        }, "not JSON"),
        ("huge", |mut s| {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\n\r\n");
            let chunk = vec![b' '; 65536];
            for _ in 0..160 { if s.write_all(&chunk).is_err() { break; } }
        }, "over 1048576 bytes"),
    ];
    for (name, answer, reason) in servers {
        let base = hostile_from(1, answer);
        let started = Instant::now();
        let out = run(&[&["--base-url", &base, "--token", "test-token-1", "--timeout", "2"][..], ONE_CASE].concat());
        let all = text(&out);
        assert_eq!(out.status.code(), Some(101), "{name}: {all}");
        assert!(all.contains(reason), "{name}: expected {reason:?} in\n{all}");
        assert!(!all.contains("panicked"), "{name}: {all}");
        assert!(started.elapsed() < Duration::from_secs(10), "{name} took {:?}", started.elapsed());
    }
}

#[test]
fn a_target_that_cannot_be_tested_stops_the_run_with_its_cause() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let plain = Served::start(BIN, &[]);
    let tls_to_plain = plain.base().replace("http://", "https://");
    let cases: [(&str, String, &str); 5] = [
        ("refused", refused, "connection refused"),
        ("unknown host", "http://deployment.invalid:9".into(), "host not found (DNS)"),
        ("https to plain http", tls_to_plain, "try http://"),
        ("not HTTP", hostile(|mut s| { read_request(&mut s); let _ = s.write_all(b"SSH-2.0-OpenSSH\r\n"); }), "not HTTP"),
        ("hangs", hostile(|s| { std::thread::sleep(Duration::from_secs(30)); drop(s) }), "timeout"),
    ];
    for (name, base, cause) in cases {
        let started = Instant::now();
        let out = run(&["--base-url", &base, "--token", "abcdefghij", "--timeout", "2", "--allow-real-calls"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {all}");
        assert!(all.contains("cannot be tested") && all.contains(cause), "{name}: expected {cause:?} in\n{all}");
        assert!(!all.contains("test result"), "{name}: no case ran: {all}");
        assert!(started.elapsed() < Duration::from_secs(10), "{name} took {:?}", started.elapsed());
    }
    // A refused token, and no token at all, against a server that wants one.
    let wants_token = hostile(|mut s| {
        read_request(&mut s);
        let body = r#"{"message":"Authorization has been denied for this request."}"#;
        let head = format!("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
        let _ = s.write_all((head + body).as_bytes());
    });
    let out = run(&["--base-url", &wants_token, "--token", "abcdefghij"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("refused the token"), "{}", text(&out));
    let out = run(&["--base-url", &wants_token]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("without a token"), "{}", text(&out));
}

static SAW_TOKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static SAW_ANYTHING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[test]
fn a_redirect_to_another_host_is_not_followed_and_the_token_stays_home() {
    let elsewhere = hostile(|mut s| {
        let mut buf = vec![0u8; 8192];
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let n = s.read(&mut buf).unwrap_or(0);
        SAW_ANYTHING.store(true, std::sync::atomic::Ordering::SeqCst);
        if String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase().contains("authorization") {
            SAW_TOKEN.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let _ = s.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n");
    });
    let port = elsewhere.rsplit(':').next().unwrap().to_owned();
    static TARGET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TARGET.set(format!("http://localhost:{port}/v0/a1b2c3d4e5/calls/")).unwrap();
    // The pre-flight is answered (a redirect there stops the run: tests/cli/verdict.rs); the case is redirected.
    let redirecting = hostile_from(1, |mut s| {
        read_request(&mut s);
        let reply = format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n", TARGET.get().unwrap());
        let _ = s.write_all(reply.as_bytes());
    });
    let out = run(&[&["--base-url", &redirecting, "--token", "canary-redirect-token"][..], ONE_CASE].concat());
    let all = text(&out);
    assert_eq!(out.status.code(), Some(101), "{all}");
    assert!(all.contains("status: expected 201, got 307"), "{all}");
    assert!(!SAW_ANYTHING.load(std::sync::atomic::Ordering::SeqCst), "the redirect was followed");
    assert!(!SAW_TOKEN.load(std::sync::atomic::Ordering::SeqCst), "the token followed the redirect");
    assert!(!all.contains("canary-redirect-token"), "{all}");
}

#[test]
fn serve_rejects_a_bad_fixture_and_an_unknown_fault() {
    let dir = temp_dir("cli-fixture");
    let fixture = dir.join("f.yaml");
    std::fs::write(&fixture, "accounts: {}\nagents: {'1': sleeping}\n").unwrap();
    let out = vcc_command(BIN).args(["serve", "--fixture", fixture.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("f.yaml:2"), "{}", text(&out));
    let out = vcc_command(BIN).args(["serve", "--fault", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

static DRY_RUN_CONNECTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[test]
fn dry_run_prints_curl_and_sends_nothing() {
    let base = hostile(|s| {
        DRY_RUN_CONNECTED.store(true, std::sync::atomic::Ordering::SeqCst);
        drop(s)
    });
    let out = run(&["--base-url", &base, "--token", "canary-dry-run-token", "--dry-run"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(all.matches("curl -sS -i -X POST").count(), shipped_count(), "{all}");
    assert!(all.contains("Bearer $VCC_TOKEN") && !all.contains("canary-dry-run-token"), "{all}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!DRY_RUN_CONNECTED.load(std::sync::atomic::Ordering::SeqCst), "--dry-run connected to the server");
}

/// `--dry-run` against a deployment off loopback prints what `run` would do:
/// each command says what its case expects, and the cases `run` would hold
/// back (they may place a real call) are commented out with the reason, so
/// that running the whole output places no call.
#[test]
fn dry_run_says_what_each_case_expects_and_comments_out_what_run_would_hold_back() {
    let shipped = vcc_conformance::exec::load_shipped().unwrap().cases;
    let calls = shipped.iter().filter(|c| c.may_place_call()).count();
    assert!(calls > 0);
    let out = run(&["--base-url", "https://deployment.test", "--token", "canary-dry-run-token", "--dry-run"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let live = all.lines().filter(|l| l.starts_with("curl ")).count();
    let commented = all.lines().filter(|l| l.starts_with("# curl ")).count();
    assert_eq!((live, commented), (shipped.len() - calls, calls), "{all}");
    assert_eq!(all.matches("# held back: ").count(), calls, "{all}");
    let headings = all.lines().filter(|l| l.starts_with("# ") && l.contains(" expects ")).count();
    assert_eq!(headings, shipped.len(), "every case says what it expects: {all}");
    assert!(all.contains(") expects 400 \"Agent Id exceeds 11 digits\"\n"), "{all}");
    let allowed = run(&["--base-url", "https://deployment.test", "--token", "canary-dry-run-token", "--dry-run", "--allow-real-calls"]);
    assert_eq!(text(&allowed).lines().filter(|l| l.starts_with("curl ")).count(), shipped.len());
}

/// Cases are selected by tag as by name: `--tag` any of several, `--skip-tag`
/// wins; a tag no case has is a typo, refused with a suggestion.
#[test]
fn tags_select_cases_and_a_mistyped_tag_is_refused() {
    let shipped = vcc_conformance::exec::load_shipped().unwrap().cases;
    let listed = |args: &[&str]| -> Vec<String> {
        let out = run(&[&["--list"][..], args].concat());
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.strip_suffix(": test")).map(str::to_owned).collect()
    };
    let examples: Vec<String> = shipped.iter().filter(|c| c.has_tag("example")).map(|c| c.test_name()).collect();
    assert_eq!(listed(&["--tag", "example"]), examples);
    let gentle = listed(&["--skip-tag", "places-call"]);
    assert_eq!(gentle.len(), shipped.iter().filter(|c| !c.has_tag("places-call")).count());
    assert!(listed(&["--tag", "example", "--skip-tag", "places-call"]).iter().all(|n| n == "examples::example-8-all-parameters-is-rejected"));
    let out = run(&["--tag", "bondary"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no case has the tag `bondary` (did you mean `boundary`?)"), "{}", text(&out));
}

/// A loopback name that `--resolve` sends off loopback is a deployment: the
/// cases that may place a call are held back (seen through `--dry-run`, so
/// that nothing is sent to that address).
#[test]
fn a_loopback_name_resolved_elsewhere_is_guarded() {
    let shipped = vcc_conformance::exec::load_shipped().unwrap().cases;
    let calls = shipped.iter().filter(|c| c.may_place_call()).count();
    for resolve in ["localhost:8080:192.0.2.7", "localhost:8080:[2001:db8::7]"] {
        let out = run(&["--base-url", "http://localhost:8080", "--resolve", resolve, "--token", "resolved-token-123", "--dry-run"]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(text(&out).matches("# held back: ").count(), calls, "{resolve}: {}", text(&out));
    }
    let home = run(&["--base-url", "http://localhost:8080", "--resolve", "localhost:8080:127.0.0.2", "--dry-run"]);
    assert_eq!(text(&home).matches("# held back: ").count(), 0, "{}", text(&home));
}

/// The record `--rerun-failed` reads is a file like any other: a device or a
/// named pipe is refused at once, not read until memory runs out or forever.
#[cfg(unix)]
#[test]
fn a_record_that_is_not_a_file_is_refused_at_once() {
    let dir = temp_dir("record-special");
    let fifo = dir.join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for record in [std::path::PathBuf::from("/dev/zero"), fifo] {
        let started = Instant::now();
        let out = run(&["--rerun-failed", "--record", record.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("not a regular file"), "{}", text(&out));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

/// A deployment's base URL and the `--resolve` that sends it to loopback.
struct Remote(String, String);

/// Cases of a user's own file: three that allow a 201 without the `places-call`
/// tag (directly, in a list, in an alternative), one that cannot place a call.
const UNTAGGED_CALLS: &str = r#"cases:
  - name: untagged-201
    covers: example-1
    request: {json: {from: {agentId: "${agentId}"}, to: {telephoneNumber: "${telephoneNumber}"}}}
    expect: {status: 201, schema: call-created}
  - name: untagged-in-a-list
    covers: example-1
    request: {json: {from: {agentId: "${agentId}"}, to: {telephoneNumber: "${telephoneNumber}"}}}
    expect: {status: [400, 201]}
  - name: untagged-any-of
    covers: example-1
    tags: [boundary]
    request: {json: {from: {agentId: "${agentId}"}, to: {telephoneNumber: "${telephoneNumber}"}}}
    expect: {any_of: [{status: 400, schema: error}, {status: 201, schema: call-created}]}
  - name: cannot-place
    covers: "400: Agent Id exceeds 11 digits"
    request: {json: {from: {agentId: "111111111111"}, to: {telephoneNumber: "${telephoneNumber}"}}}
    expect: {status: 400, schema: error, message: Agent Id exceeds 11 digits}
"#;

/// The `test result:` line's counts: passed, failed, ignored.
fn counts(out: &Output) -> (usize, usize, usize) {
    let all = text(out);
    let line = all.lines().find(|l| l.starts_with("test result:")).unwrap_or_else(|| panic!("no summary in\n{all}"));
    let count = |what: &str| -> usize {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| w.trim_end_matches([';', ',']) == what).unwrap_or_else(|| panic!("{line}"));
        words[at - 1].parse().unwrap_or_else(|_| panic!("{line}"))
    };
    (count("passed"), count("failed"), count("ignored"))
}

/// What libtest printed for one test (`ok`, `FAILED`, `ignored (reason)`); empty
/// when it printed nothing for it.
fn verdict<'a>(all: &'a str, name: &str) -> &'a str {
    let prefix = format!("test {name} ");
    all.lines()
        .find(|l| l.starts_with(&prefix) && l[prefix.len()..].trim_start().starts_with("..."))
        .and_then(|l| l.split_once("... "))
        .map_or("", |(_, v)| v.trim())
}

#[test]
fn cases_that_place_calls_are_ignored_off_loopback_unless_allowed() {
    // Nothing is sent: the only selected case is ignored before any request.
    let out = run(&["--base-url", "http://deployment.invalid", "--token", "abcdefghij", "--exact", "examples::example-1-agent-to-number"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("1 ignored") && all.contains("--allow-real-calls"), "{all}");
    // A user's cases that allow a 201 are ignored too, without the tag.
    let dir = temp_dir("cli-untagged-calls");
    std::fs::write(dir.join("mine.yaml"), UNTAGGED_CALLS).unwrap();
    let mine = dir.to_str().unwrap();
    let out = run(&["--base-url", "http://deployment.invalid", "--token", "abcdefghij", "--cases", mine, "mine::untagged"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(counts(&out), (0, 0, 3), "{all}");
    assert!(verdict(&all, "mine::untagged-any-of").starts_with("ignored (its expectation accepts a 201"), "{all}");
    // On loopback they run.
    let out = run(ONE_CASE);
    assert!(text(&out).contains("1 passed"), "{}", text(&out));
    let out = run(&["--cases", mine, "mine::"]);
    assert_eq!(counts(&out), (4, 0, 0), "{}", text(&out));

    // Off loopback as the harness sees it: a deployment's host name, which
    // --resolve sends to a server on 127.0.0.1 (no traffic leaves loopback).
    let shipped = vcc_conformance::exec::load_shipped().unwrap().cases;
    let tagged = shipped.iter().filter(|c| c.has_tag("places-call")).count();
    assert!(tagged >= 8 && tagged < shipped.len(), "{tagged} of {}", shipped.len());
    let served = Served::start(BIN, &[]);
    let port = served.base().rsplit(':').next().unwrap().to_owned();
    let resolve = format!("deployment.test:{port}:127.0.0.1");
    let remote = Remote(format!("http://deployment.test:{port}"), resolve.clone());
    assert!(!vcc_conformance::exec::plan::is_loopback(&remote.0), "{}", remote.0);
    // (b) Without --allow-real-calls, every case that cannot place a call runs there
    // and passes; every one that may is ignored.
    let out = run(&["--base-url", &remote.0, "--resolve", &remote.1, "--token", "abcdefghij", "--cases", mine, "--max-rps", "0"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(counts(&out), (shipped.len() - tagged + 1, 0, tagged + 3), "{all}");
    for ran in ["mine::cannot-place", "errors-request::agent-id-too-long-from", "media-type::text-plain"] {
        assert_eq!(verdict(&all, ran), "ok", "{ran}: {all}");
    }
    assert!(verdict(&all, "examples::example-1-agent-to-number").starts_with("ignored (places a real call"), "{all}");
    assert!(verdict(&all, "mine::untagged-201").starts_with("ignored (its expectation"), "{all}");
    // (a) With it, they really run there, and pass.
    let out = run(&["--base-url", &remote.0, "--resolve", &remote.1, "--token", "abcdefghij", "--cases", mine, "--max-rps", "0", "--agent-spacing", "0", "--allow-real-calls"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(counts(&out), (shipped.len() + 4, 0, 0), "{all}");
    assert_eq!(verdict(&all, "examples::example-1-agent-to-number"), "ok", "{all}");
    assert_eq!(verdict(&all, "mine::untagged-201"), "ok", "{all}");
    // And the environment's switch does the same.
    let out = vcc_command(BIN)
        .args(["run", "--base-url", &remote.0, "--resolve", &remote.1, "--token", "abcdefghij", "--cases", mine, "--max-rps", "0", "--agent-spacing", "0", "mine::"])
        .env("VCC_ALLOW_REAL_CALLS", "1")
        .output()
        .unwrap();
    assert_eq!(counts(&out), (4, 0, 0), "{}", text(&out));

    // The differential run keeps the same guard when either side is off loopback.
    let home = Served::start(BIN, &[]);
    let diff = |extra: &[&str]| {
        vcc_command(BIN)
            .args(["diff", "--base-url", &home.1, "--against", &remote.0, "--resolve", &remote.1, "--token", "abcdefghij"])
            .args(["--cases", mine])
            .args(["--max-rps", "0", "--agent-spacing", "0"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = diff(&[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains(&format!("0 of {} cases answered differently", shipped.len() - tagged + 1)), "{all}");
    assert!(all.contains(&format!("{} cases that may place real calls were not sent", tagged + 3)), "{all}");
    assert!(!all.contains("mine::untagged-201") && !all.contains("examples::example-1-agent-to-number"), "{all}");
    assert!(all.contains("mine::cannot-place") && all.contains("errors-request::agent-id-too-long-from"), "{all}");
    let out = diff(&["--allow-real-calls"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains(&format!("0 of {} cases answered differently", shipped.len() + 4)), "{all}");
    assert!(!all.contains("were not sent"), "{all}");
}

#[test]
fn json_lines_and_junit_are_written_also_when_cases_fail() {
    let faulty = Served::start(BIN, &["--fault", "message-typo"]);
    let dir = temp_dir("cli-reports");
    let junit = dir.join("junit.xml");
    let out = run(&["--base-url", &faulty.1, "--token", "canary-json-token", "--format", "json", "--junit", junit.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut failed = 0;
    let mut diff_shown = false;
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if event["event"] == "failed" && event["type"] == "test" {
            failed += 1;
            diff_shown |= event["stdout"].as_str().unwrap_or_default().contains("+Agent Id exceeds 11 digit\n");
        }
    }
    assert!(failed >= 20 && diff_shown, "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    assert!(xml.contains(&format!(r#"failures="{failed}""#)), "{xml}");
    assert!(xml.contains("-Agent Id exceeds 11 digits"), "{xml}");
    assert!(!xml.contains("canary-json-token") && !stdout.contains("canary-json-token"));
}

/// The token the echoing server issues to the canary client.
const ECHO_ISSUED: &str = "canary-issued-Echo-77tok";

/// A server that gives back whatever it is sent: each call gets a 400 whose
/// `message` is the whole request, `Authorization` header included; the token
/// endpoint issues [`ECHO_ISSUED`] for the canary client secret, and otherwise
/// refuses, echoing the form (secret included).
fn echoing(mut stream: std::net::TcpStream) {
    let Some((head, body)) = read_whole_request(&mut stream) else { return };
    let (status, answer) = if head.starts_with("POST /Auth/connect/token ") {
        if body.contains("client_secret=canary-Secret-7Hq2") {
            (200, serde_json::json!({"access_token": ECHO_ISSUED, "token_type": "Bearer", "expires_in": 3600}))
        } else {
            (401, serde_json::json!({"error": "invalid_client", "you_sent": body}))
        }
    } else {
        (400, serde_json::json!({"message": format!("{head}{body}")}))
    };
    let answer = answer.to_string();
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}

fn diff_cmd(args: &[&str]) -> Output {
    vcc_command(BIN).arg("diff").args(args).output().expect("the binary runs")
}

/// Every canary secret and token these runs use, and the reference server's
/// token prefix.
const CANARIES: &[&str] =
    &["canary-Secret-7Hq2", "canary-Wrong-Secret-5x", "vcc-ref-", "canary-static-Tk9", "canary-against-Tk8", ECHO_ISSUED];

fn assert_no_canary(all: &str, what: &str) {
    for canary in CANARIES {
        assert!(!all.contains(canary), "{canary} leaked in {what}:\n{all}");
    }
}

#[test]
fn no_secret_or_token_appears_in_any_output_of_a_failing_run() {
    let dir = temp_dir("cli-canary");
    let fixture = dir.join("fixture.yaml");
    let builtin = vcc_conformance::server::fixture::BUILTIN.replace("vcc-conformance: reference-client-secret", "qa: canary-Secret-7Hq2");
    std::fs::write(&fixture, builtin).unwrap();
    let faulty = Served::start(BIN, &["--fixture", fixture.to_str().unwrap(), "--fault", "message-typo"]);
    let faithful = Served::start(BIN, &[]);
    let (junit, html, hurl) = (dir.join("junit.xml"), dir.join("report.html"), dir.join("cases.hurl"));
    let files = |produced: &mut Vec<u8>| {
        for file in [&junit, &html, &hurl] {
            produced.extend(std::fs::read(file).unwrap_or_else(|e| panic!("{} was not written: {e}", file.display())));
            std::fs::remove_file(file).unwrap();
        }
    };
    let keep = |produced: &mut Vec<u8>, out: &Output| {
        produced.extend_from_slice(&out.stdout);
        produced.extend_from_slice(&out.stderr);
    };
    let reports = [
        "--junit", junit.to_str().unwrap(), "--html", html.to_str().unwrap(),
    ];
    let export = ["--export-hurl", hurl.to_str().unwrap()];

    // Client credentials: the secret and every token fetched with it, through
    // stdout, stderr, JUnit, JSON lines, the HTML page, the Hurl file, --dry-run,
    // a usage error.
    let creds = ["--client-id", "qa", "--client-secret", "canary-Secret-7Hq2", "--scope", "calls"];
    let mut produced = Vec::new();
    for extra in [&reports[..], &["--format", "json"], &export, &["--dry-run"], &["--bogus-flag"]] {
        let out = run(&[&["--base-url", &faulty.1][..], &creds, extra].concat());
        keep(&mut produced, &out);
    }
    files(&mut produced);
    let all = String::from_utf8_lossy(&produced);
    assert!(all.contains("-Agent Id exceeds 11 digits"), "the cases failed on purpose:\n{all}");
    assert!(all.contains("<!DOCTYPE html") || all.contains("<html"), "the HTML page was scanned:\n{all}");
    assert!(all.contains("{{token}}"), "the Hurl file was scanned:\n{all}");
    assert_no_canary(&all, "a client-credentials run against a faulty server");

    // A static token, too, through every output, and both tokens of a diff.
    let mut produced = Vec::new();
    let static_token = ["--token", "canary-static-Tk9"];
    for extra in [&reports[..], &["--format", "json"], &export] {
        let out = run(&[&["--base-url", &faulty.1][..], &static_token, extra].concat());
        keep(&mut produced, &out);
    }
    files(&mut produced);
    let out = diff_cmd(&["--base-url", &faulty.1, "--against", &faithful.1, "--token", "canary-static-Tk9", "--against-token", "canary-against-Tk8"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("DIFFERS: message differs"), "{}", text(&out));
    keep(&mut produced, &out);
    // diff takes static tokens only: client credentials are refused, unprinted.
    let out = diff_cmd(&[&["--base-url", &faulty.1, "--against", &faithful.1][..], &creds].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("static tokens only"), "{}", text(&out));
    keep(&mut produced, &out);
    let all = String::from_utf8_lossy(&produced);
    assert!(all.contains("-Agent Id exceeds 11 digits") && all.contains("Authorization: Bearer [redacted]"), "{all}");
    assert_no_canary(&all, "a static-token run and a diff against a faulty server");

    // Servers that echo every request back, Authorization header and all: what
    // they send back is scrubbed in every output.
    let echo = hostile(echoing);
    let echo_too = hostile(echoing);
    let mut produced = Vec::new();
    for auth in [&static_token[..], &creds] {
        for extra in [&reports[..], &["--format", "json"]] {
            let out = run(&[&["--base-url", &echo][..], auth, extra].concat());
            assert_eq!(out.status.code(), Some(101), "{}", text(&out));
            keep(&mut produced, &out);
        }
        for file in [&junit, &html] {
            produced.extend(std::fs::read(file).unwrap());
        }
    }
    let out = run(&["--base-url", &echo, "--client-id", "qa", "--client-secret", "canary-Wrong-Secret-5x", "--scope", "calls"]);
    assert_eq!(out.status.code(), Some(2), "a refused secret stops the run: {}", text(&out));
    assert!(text(&out).contains("invalid_client") && text(&out).contains("you_sent"), "{}", text(&out));
    keep(&mut produced, &out);
    let out = diff_cmd(&["--base-url", &echo, "--against", &echo_too, "--token", "canary-static-Tk9", "--against-token", "canary-against-Tk8"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let diffed = text(&out);
    keep(&mut produced, &out);
    let all = String::from_utf8_lossy(&produced);
    let echoed = "authorization: Bearer [redacted]";
    assert!(all.contains(echoed), "the servers' echo of the token is shown, scrubbed:\n{all}");
    assert!(diffed.contains(echoed) && diffed.contains("DIFFERS"), "{diffed}");
    assert_no_canary(&all, "runs and a diff against servers that echo the request");
}

#[test]
fn diff_reports_where_two_deployments_answer_differently() {
    let one = Served::start(BIN, &[]);
    let two = Served::start(BIN, &[]);
    let out = vcc_command(BIN).args(["diff", "--base-url", &one.1, "--against", &two.1, "--token", "t0k3n-abcdefgh"]).output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "ids and hosts differ by nature:\n{all}");
    assert!(all.contains(&format!("0 of {} cases answered differently", shipped_count())), "{all}");

    let swapped = Served::start(BIN, &["--fault", "swapped-to-messages"]);
    let out = vcc_command(BIN).args(["diff", "--base-url", &one.1, "--against", &swapped.1, "--token", "t0k3n-abcdefgh"]).output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    // Every case whose answer is one of the two messages (hand-written and derived).
    let cases = vcc_conformance::exec::load_shipped().unwrap().cases;
    let to_messages = [vcc_conformance::server::rules::msg::TO_MISSING, vcc_conformance::server::rules::msg::TO_BOTH];
    let swapped_cases = cases.iter().filter(|c| c.expect.alternatives().iter().any(|a| a.message.as_deref().is_some_and(|m| to_messages.contains(&m)))).count();
    assert!(swapped_cases >= 2, "{swapped_cases}");
    assert!(all.contains(&format!("{swapped_cases} of {} cases answered differently", shipped_count())), "{all}");
    assert!(all.contains("errors-request::to-names-both") && all.contains("DIFFERS: message differs"), "{all}");
    assert!(all.contains("-  \"message\": \"Either telephone number or agent id required, not both\""), "{all}");
    assert!(!all.contains("t0k3n-abcdefgh"));

    let out = vcc_command(BIN).args(["diff", "--base-url", &one.1]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn selftest_prints_a_row_per_server_and_the_score() {
    // The whole self-test runs once, in tests/server/selftest.rs; here the command's
    // options and table, on two servers.
    let out = vcc_command(BIN).args(["selftest", "--fault", "message-typo", "--fault", "harmless-chunked"]).output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains('/') && !l.starts_with("mutation") && !l.starts_with("false")).collect();
    assert_eq!(rows.len(), 3, "the faithful server and the two asked for:\n{all}");
    assert!(rows[1].starts_with("message-typo ") && rows[2].starts_with("harmless-chunked "), "{all}");
    assert!(stdout.contains("mutation score: 1/1 faults killed") && stdout.contains("false alarms: 0/2"), "{all}");
    let out = vcc_command(BIN).args(["selftest", "--fault", "no-such-fault"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown fault `no-such-fault`"), "{}", text(&out));
}

#[test]
fn coverage_lists_each_documented_item_with_its_cases() {
    let out = vcc_command(BIN).arg("coverage").output().expect("the binary runs");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // An item row, then the rows of the cases that cover it.
    let covered_by = |item: &str| -> Vec<&str> {
        let at = lines.iter().position(|l| l.starts_with(&format!("{item} — "))).unwrap_or_else(|| panic!("no row for {item}:\n{all}"));
        lines[at + 1..].iter().take_while(|l| l.starts_with("    ")).map(|l| l.trim()).collect()
    };
    assert!(covered_by("example-1").contains(&"examples::example-1-agent-to-number"), "{all}");
    assert!(covered_by("400: Agent Id exceeds 11 digits").contains(&"errors-request::agent-id-too-long-from"), "{all}");
    assert!(covered_by("415: unsupported content type").contains(&"media-type::multipart-form-data"), "{all}");
    assert!(!stdout.contains("(no case)"), "a documented item has no case:\n{all}");
}
