//! What a hostile peer can do to the reports (issue 19, points 1, 3, 8, 12):
//! escape sequences, carriage returns and CI workflow commands in its messages
//! and headers reach no output raw; headers of several MB leave every report
//! bounded; a report that cannot be written (a full disk) keeps neither the
//! other reports nor the run's own verdict from being written; and special
//! files are written through, never replaced. Every server here is on 127.0.0.1.

use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::process::Output;

use crate::common::{read_whole_request, temp_dir, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const TOKEN: &str = "hostile-outputs-token-6Jd";
/// Four cases, all answered 400 by the servers here; two of them pass against
/// an honest 400 of the right message, none against these.
const CASES: &str = "errors-request::agent-id";

/// A loopback server that answers every request with `reply(n, body)`, `n`
/// counting the requests and `body` the request's (the pre-flight's is `{}`),
/// on kept-alive connections.
fn serving(reply: fn(usize, &str) -> Vec<u8>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = std::sync::Arc::clone(&count);
            std::thread::spawn(move || {
                let mut stream: TcpStream = stream;
                while let Some((_, body)) = read_whole_request(&mut stream) {
                    let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if stream.write_all(&reply(n, &body)).is_err() {
                        break;
                    }
                }
            });
        }
    });
    base
}

/// A 400 with these extra header lines and this body.
fn answer(headers: &str, body: &[u8]) -> Vec<u8> {
    let head = format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\n\r\n", body.len());
    [head.as_bytes(), body].concat()
}

/// What a hostile peer writes: terminal sequences (OSC, CSI), a carriage
/// return, CI commands (GitHub's, Azure's, indented or not), a C1 control and
/// a bidirectional override.
const HOSTILE: &str = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\rtest x ... ok\n::error::injected\n    ::warning file=a::indented\n\
                       ##[error]azure\n  ##vso[task.setvariable variable=x]1\n\u{9b}31m\u{202e}txt.exe";

/// Every other answer carries [`HOSTILE`] as its JSON message (the findings
/// show it decoded), the others raw in the body (the response shows it); the
/// headers carry C1 controls, an override and a command (a header value cannot
/// hold a raw ESC, CR or LF).
fn hostile(n: usize, _: &str) -> Vec<u8> {
    let body = if n.is_multiple_of(2) { serde_json::json!({ "message": HOSTILE }).to_string() } else { format!("{{\"message\": \"{HOSTILE}\"}}") };
    answer("x-c1: a\u{9b}2Jb\u{202e}c\r\nx-ci: ::error::from-a-header\r\n", body.as_bytes())
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A character no output may hold raw: a control character (but a line break
/// or tab) or one that reorders text.
fn raw(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A line a CI system reads as a command.
fn command(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("::") || line.starts_with("##[") || line.starts_with("##vso[")
}

#[test]
fn what_a_hostile_peer_writes_reaches_no_output_raw() {
    let base = serving(hostile);
    let dir = temp_dir("hostile-outputs");
    let file = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let summary = file("summary.md");
    let github = [("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", summary.as_str())];
    let reports = ["--junit", &file("r.xml"), "--html", &file("r.html"), "--tap", &file("r.tap"), "--har", &file("r.har")];
    let run = |extra: &[&str]| {
        let out = vcc_command(BIN)
            .args(["run", "--base-url", &base, "--token", TOKEN, CASES])
            .args(extra)
            .envs(github)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(101), "{}", text(&out));
        out
    };
    let pretty = run(&reports);
    let mut outputs: Vec<(String, String)> = vec![
        ("stdout".into(), String::from_utf8_lossy(&pretty.stdout).into_owned()),
        ("stderr".into(), String::from_utf8_lossy(&pretty.stderr).into_owned()),
    ];
    for name in ["r.xml", "r.html", "r.tap", "r.har", "summary.md"] {
        outputs.push((name.into(), std::fs::read_to_string(dir.join(name)).unwrap()));
    }
    let json = run(&["--format", "json", "-Z", "unstable-options"]);
    outputs.push(("JSON lines".into(), String::from_utf8_lossy(&json.stdout).into_owned()));
    outputs.push(("JSON stderr".into(), String::from_utf8_lossy(&json.stderr).into_owned()));

    // Not vacuous: the peer's text reached the outputs, shown as escapes.
    let stdout = &outputs[0].1;
    assert!(stdout.contains("\\u{1b}]0;owned\\u{7}") && stdout.contains("  \\u{3a}:error::injected"), "{stdout}");
    assert!(stdout.contains("\\u{23}#[error]azure") && stdout.contains("+    ::warning file=a::indented"), "{stdout}");
    assert!(stdout.contains("x-ci: ::error::from-a-header"), "{stdout}");
    for (what, output) in &outputs {
        if let Some(c) = output.chars().find(|c| raw(*c)) {
            panic!("{what} holds a raw {c:?}:\n{output}");
        }
        for line in output.lines().filter(|l| command(l)) {
            // Ours, and only ours: one annotation per failed case, at its place
            // (on stderr beside JSON lines, which stay JSON).
            let ours = what == "stdout" || what == "JSON stderr";
            assert!(ours && line.starts_with("::error file=cases/errors-request.yaml,line="), "{what}: {line:?}");
        }
    }
    assert_eq!(stdout.lines().filter(|l| command(l)).count(), 4, "{stdout}");
    assert_eq!(outputs[8].1.lines().filter(|l| command(l)).count(), 4, "{}", outputs[8].1);
    let har: serde_json::Value = serde_json::from_str(&outputs[5].1).unwrap();
    let kept = |e: &serde_json::Value| e["response"]["content"]["text"].as_str().unwrap().contains("\x1b]0;owned");
    assert!(har["log"]["entries"].as_array().unwrap().iter().any(kept), "the HAR keeps the peer's bytes, written as JSON escapes");
}

/// 90 headers of 4 KB: as much as the client takes (it refuses a head over
/// about 400 KB, or over 100 headers).
fn many_headers(_: usize, _: &str) -> Vec<u8> {
    let headers: String = (0..90).map(|i| format!("x-big-{i}: {}\r\n", "h".repeat(4000))).collect();
    answer(&headers, br#"{"message":"big"}"#)
}

/// 3 MB of headers, but to the pre-flight.
fn megabytes_of_headers(_: usize, body: &str) -> Vec<u8> {
    if body == "{}" {
        return answer("", br#"{"message":"fine"}"#);
    }
    let headers: String = (0..60).map(|i| format!("x-huge-{i}: {}\r\n", "H".repeat(50_000))).collect();
    answer(&headers, br#"{"message":"huge"}"#)
}

#[test]
fn headers_of_several_megabytes_leave_every_report_bounded() {
    for (reply, shown) in [(many_headers as fn(usize, &str) -> Vec<u8>, "x-big-0: hhh"), (megabytes_of_headers, "no usable response")] {
        let base = serving(reply);
        let dir = temp_dir("hostile-headers");
        let summary = dir.join("summary.md");
        let reports = ["r.xml", "r.html", "r.tap", "r.har"].map(|n| dir.join(n));
        let out = vcc_command(BIN)
            .args(["run", "--base-url", &base, "--token", TOKEN, "--nocapture", CASES])
            .args(["--junit", reports[0].to_str().unwrap(), "--html", reports[1].to_str().unwrap()])
            .args(["--tap", reports[2].to_str().unwrap(), "--har", reports[3].to_str().unwrap()])
            .args(["--github", "always", "--github-summary", summary.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(101), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains(shown), "{shown}: {}", text(&out));
        let json = vcc_command(BIN).args(["run", "--base-url", &base, "--token", TOKEN, "--format", "json", "-Z", "unstable-options", CASES]).output().unwrap();
        assert_eq!(json.status.code(), Some(101), "{}", text(&json));
        let mut sizes = vec![("stdout", out.stdout.len()), ("stderr", out.stderr.len()), ("JSON lines", json.stdout.len())];
        for path in reports.iter().chain([&summary]) {
            sizes.push((path.file_name().unwrap().to_str().unwrap(), std::fs::metadata(path).unwrap().len() as usize));
        }
        // Four cases, each answered with 360 KB to 3 MB of headers: a few hundred KB at most.
        for (what, size) in sizes {
            assert!(size < 250_000, "{shown}: {what} is {size} bytes");
        }
    }
}

/// What `dir` holds, by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_for_one_report_keeps_the_others_and_the_verdict() {
    let failing = serving(|_, _| answer("", br#"{"message":"wrong"}"#));
    let cases = [(Some(failing.as_str()), "errors-request::agent-id-too-long-from", 101), (None, "examples::example-1-agent-to-number", 2)];
    for (base, selection, status) in cases {
        let dir = temp_dir("hostile-full");
        let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
        let mut cmd = vcc_command(BIN);
        cmd.args(["run", "--exact", selection, "--junit", "/dev/full"]);
        cmd.args(["--html", &path("r.html"), "--tap", &path("r.tap"), "--har", &path("r.har"), "--github-summary", &path("s.md")]);
        if let Some(base) = base {
            cmd.args(["--base-url", base, "--token", TOKEN]);
        }
        let out = cmd.output().unwrap();
        // 101 when a case failed, whatever became of the reports; 2 only when
        // everything passed and a report could not be written.
        assert_eq!(out.status.code(), Some(status), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("could not write the JUnit report /dev/full"), "{stderr}");
        assert_eq!(listing(&dir), ["r.har", "r.html", "r.tap", "s.md"], "every other report, and no temporary file");
        assert!(std::fs::read_to_string(dir.join("r.html")).unwrap().ends_with("</html>\n"));
        assert!(std::fs::read_to_string(dir.join("r.tap")).unwrap().starts_with("TAP version 14\n"));
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.join("r.har")).unwrap()).expect("a whole HAR");
    }
}

#[cfg(unix)]
#[test]
fn special_files_are_written_through_never_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let one = ["run", "--exact", "examples::example-1-agent-to-number"];
    let out = vcc_command(BIN).args(one).args(["--junit", "/dev/null", "--har", "/dev/null"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device(), "/dev/null is still a device");

    let out = vcc_command(BIN).args(one).args(["-q", "--junit", "/dev/stdout"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let xml = &stdout[stdout.find("<?xml").unwrap_or_else(|| panic!("the report is not on stdout:\n{stdout}"))..];
    assert!(xml.contains("<testcase name=\"examples::example-1-agent-to-number\"") && xml.contains("</testsuites>"), "{xml}");
}
