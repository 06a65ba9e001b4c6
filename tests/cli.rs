//! The binary as a user meets it: exit statuses, load errors that name the place,
//! a token that never shows, and hostile servers that fail cases with a reason
//! instead of hanging or panicking.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const ONE_CASE: &[&str] = &["--exact", "examples::example-1-agent-to-number"];

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("run")
        .args(args)
        .env_remove("VCC_BASE_URL")
        .env_remove("VCC_TOKEN")
        .output()
        .expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vcc-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `vcc-conformance serve` on an ephemeral port; killed on drop.
struct Served(Child, String);

impl Served {
    fn start(extra: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = Vec::new();
        let mut stdout = child.stdout.take().unwrap();
        let mut byte = [0u8];
        while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let line = String::from_utf8(line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("serve prints its URL");
        let base = url.split("/v0/").next().unwrap().to_owned();
        Served(child, base)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_suite_passes_against_the_embedded_server() {
    let out = run(&["-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(" 0 failed"), "{}", text(&out));
}

#[test]
fn a_served_faithful_server_passes_and_a_faulty_one_fails_without_leaking_the_token() {
    let faithful = Served::start(&[]);
    let out = run(&["--base-url", &faithful.1, "--token", "canary-Zx81-secret", "-q"]);
    assert!(out.status.success(), "{}", text(&out));

    let typo = Served::start(&["--fault", "message-typo"]);
    let out = run(&["--base-url", &typo.1, "--token", "canary-Zx81-secret"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(101), "{all}");
    assert!(all.contains("-Agent Id exceeds 11 digits\n") && all.contains("+Agent Id exceeds 11 digit\n"), "{all}");
    assert!(all.contains("Authorization: Bearer [redacted]"), "{all}");
    assert!(!all.contains("canary-Zx81-secret"), "the token leaked:\n{all}");
}

#[test]
fn a_broken_case_file_stops_the_run_with_its_place_and_status_2() {
    let dir = temp_dir("broken");
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
    let dir = temp_dir("mine");
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    format!("http://{addr}")
}

fn read_request(stream: &mut std::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = stream.read(&mut buf);
}

#[test]
fn hostile_servers_fail_cases_with_a_reason_within_the_timeout() {
    let servers: [(&str, fn(std::net::TcpStream), &str); 5] = [
        ("hangs", |s| { std::thread::sleep(Duration::from_secs(30)); drop(s) }, "timeout"),
        ("drops", |mut s| { read_request(&mut s); drop(s) }, "connection dropped"),
        ("garbage", |mut s| { read_request(&mut s); let _ = s.write_all(b"HELLO THERE\r\n\r\n"); }, "not HTTP"),
        ("invalid-utf8", |mut s| {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 4\r\n\r\n\xff\xfe{}");
        }, "not JSON"),
        ("huge", |mut s| {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\n\r\n");
            let chunk = vec![b' '; 65536];
            for _ in 0..160 { if s.write_all(&chunk).is_err() { break; } }
        }, "over 1048576 bytes"),
    ];
    for (name, answer, reason) in servers {
        let base = hostile(answer);
        let started = Instant::now();
        let out = run(&[&["--base-url", &base, "--token", "t", "--timeout", "2"][..], ONE_CASE].concat());
        let all = text(&out);
        assert_eq!(out.status.code(), Some(101), "{name}: {all}");
        assert!(all.contains(reason), "{name}: expected {reason:?} in\n{all}");
        assert!(!all.contains("panicked"), "{name}: {all}");
        assert!(started.elapsed() < Duration::from_secs(10), "{name} took {:?}", started.elapsed());
    }
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
    let redirecting = hostile(|mut s| {
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
    let dir = temp_dir("fixture");
    let fixture = dir.join("f.yaml");
    std::fs::write(&fixture, "accounts: {}\nagents: {'1': sleeping}\n").unwrap();
    let out = Command::new(BIN).args(["serve", "--fixture", fixture.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("f.yaml:2"), "{}", text(&out));
    let out = Command::new(BIN).args(["serve", "--fault", "nope"]).output().unwrap();
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
    assert_eq!(all.matches("curl -sS -i -X POST").count(), 50, "{all}");
    assert!(all.contains("Bearer $VCC_TOKEN") && !all.contains("canary-dry-run-token"), "{all}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!DRY_RUN_CONNECTED.load(std::sync::atomic::Ordering::SeqCst), "--dry-run connected to the server");
}

#[test]
fn cases_that_place_calls_are_ignored_off_loopback_unless_allowed() {
    // Nothing is sent: the only selected case is ignored before any request.
    let out = run(&["--base-url", "http://deployment.invalid", "--token", "abcdefghij", "--exact", "examples::example-1-agent-to-number"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("1 ignored") && all.contains("--allow-real-calls"), "{all}");
    // On loopback they run.
    let out = run(ONE_CASE);
    assert!(text(&out).contains("1 passed"), "{}", text(&out));
}

#[test]
fn json_lines_and_junit_are_written_also_when_cases_fail() {
    let faulty = Served::start(&["--fault", "message-typo"]);
    let dir = temp_dir("reports");
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

#[test]
fn no_secret_or_token_appears_in_any_output_of_a_failing_run() {
    let dir = temp_dir("canary");
    let fixture = dir.join("fixture.yaml");
    let builtin = vcc_conformance::server::fixture::BUILTIN.replace("vcc-conformance: reference-client-secret", "qa: canary-Secret-7Hq2");
    std::fs::write(&fixture, builtin).unwrap();
    let faulty = Served::start(&["--fixture", fixture.to_str().unwrap(), "--fault", "message-typo"]);
    let junit = dir.join("junit.xml");
    let creds = ["--client-id", "qa", "--client-secret", "canary-Secret-7Hq2"];
    let mut produced = Vec::new();
    for extra in [&["--junit", junit.to_str().unwrap()][..], &["--format", "json"], &["--dry-run"], &["--bogus-flag"]] {
        let out = run(&[&["--base-url", &faulty.1][..], &creds, extra].concat());
        produced.extend_from_slice(&out.stdout);
        produced.extend_from_slice(&out.stderr);
    }
    produced.extend(std::fs::read(&junit).unwrap());
    let all = String::from_utf8_lossy(&produced);
    assert!(all.contains("-Agent Id exceeds 11 digits"), "the cases failed on purpose:\n{all}");
    assert!(!all.contains("canary-Secret-7Hq2"), "the client secret leaked");
    assert!(!all.contains("vcc-ref-"), "an issued token leaked");
    // A static token, too, through every output.
    let out = run(&["--base-url", &faulty.1, "--token", "canary-static-Tk9", "--format", "json"]);
    assert!(!text(&out).contains("canary-static-Tk9"));
}

#[test]
fn diff_reports_where_two_deployments_answer_differently() {
    let one = Served::start(&[]);
    let two = Served::start(&[]);
    let out = Command::new(BIN).args(["diff", "--base-url", &one.1, "--against", &two.1, "--token", "t0k3n-abcdefgh"]).output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "ids and hosts differ by nature:\n{all}");
    assert!(all.contains("0 of 50 cases answered differently"), "{all}");

    let swapped = Served::start(&["--fault", "swapped-to-messages"]);
    let out = Command::new(BIN).args(["diff", "--base-url", &one.1, "--against", &swapped.1, "--token", "t0k3n-abcdefgh"]).output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("2 of 50 cases answered differently"), "{all}");
    assert!(all.contains("errors-request::to-names-both") && all.contains("DIFFERS: message differs"), "{all}");
    assert!(all.contains("-  \"message\": \"Either telephone number or agent id required, not both\""), "{all}");
    assert!(!all.contains("t0k3n-abcdefgh"));

    let out = Command::new(BIN).args(["diff", "--base-url", &one.1]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
