//! The `serve` subcommand as a user meets it: `--listen` as a port or a host and
//! port, `--log` lines, `--fault list`, and a token key that never shows.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::vcc_command;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// `serve` running, its address, and its stderr lines; killed on drop.
struct Served {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = vcc_command(BIN)
            .arg("serve")
            .args(args)
            .env_remove("VCC_TOKEN_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let url = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no URL in {first:?}"));
        let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
        let (send, stderr) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Served { child, addr, stderr }
    }

    /// Sends one request (closing the connection) and returns the answer's status line.
    fn request(&self, method: &str, path: &str) -> String {
        self.answer(method, path, "application/json").lines().next().unwrap_or("").to_owned()
    }

    /// The whole answer, head and body, to `method path` with a call's body labelled `content_type`.
    fn answer(&self, method: &str, path: &str, content_type: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let body = r#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}"#;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    /// The next line on stderr, waiting at most five seconds.
    fn log_line(&self) -> String {
        self.stderr.recv_timeout(Duration::from_secs(5)).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn listen_takes_a_bare_port_and_a_host_name() {
    let port_only = Served::start(&["--listen", "0"]);
    assert!(port_only.addr.starts_with("127.0.0.1:"), "a bare port listens on 127.0.0.1: {}", port_only.addr);
    assert!(port_only.request("POST", "/v0/a1b2c3d4e5/calls/").contains(" 201 "));

    let named = Served::start(&["--listen", "localhost:0"]);
    assert!(named.addr.starts_with("127.0.0.1:") || named.addr.starts_with("[::1]:"), "{}", named.addr);
    assert!(named.request("POST", "/v0/a1b2c3d4e5/calls/").contains(" 201 "));

    let out = vcc_command(BIN).args(["serve", "--listen", "localhost"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("localhost:8080"), "the error shows the forms that work");
}

#[test]
fn log_writes_one_line_per_request_with_time_status_method_path_latency_and_refusal() {
    let served = Served::start(&["--listen", "127.0.0.1:0", "--log"]);
    served.request("POST", "/v0/a1b2c3d4e5/calls/");
    served.request("GET", "/v0/a1b2c3d4e5/calls/");
    served.request("POST", "/nowhere");
    let lines = [served.log_line(), served.log_line(), served.log_line()];
    // `2026-12-07T19:30:01.123Z 127.0.0.1 400 POST /path 0.31 ms "message"`: the time, the client, then as
    // before, then a refusal's message.
    let shape = |line: &str, start: &str, message: bool| {
        let (at, rest) = line.split_once(' ').unwrap_or_default();
        let Some(rest) = rest.strip_prefix("127.0.0.1 ") else { return false };
        chrono::DateTime::parse_from_rfc3339(at).is_ok()
            && rest.starts_with(start)
            && rest.split_whitespace().nth(3).is_some_and(|ms| ms.parse::<f64>().is_ok_and(|ms| ms >= 0.0))
            && (if message { rest.contains(" ms \"") && rest.ends_with('"') } else { rest.ends_with(" ms") })
    };
    assert!(shape(&lines[0], "201 POST /v0/a1b2c3d4e5/calls/ ", false), "{lines:?}");
    assert!(shape(&lines[1], "405 GET /v0/a1b2c3d4e5/calls/ ", true), "{lines:?}");
    assert!(shape(&lines[2], "404 POST /nowhere ", true), "{lines:?}");

    let quiet = Served::start(&["--listen", "127.0.0.1:0"]);
    quiet.request("POST", "/v0/a1b2c3d4e5/calls/");
    assert!(quiet.stderr.recv_timeout(Duration::from_millis(300)).is_err(), "no log without --log");
}

#[test]
fn the_log_leaves_answers_as_the_server_sends_them() {
    // A refusal sent in chunks (a harmless variation) stays chunked under --log; its line has no message.
    let served = Served::start(&["--listen", "127.0.0.1:0", "--log", "--fault", "harmless-chunked"]);
    let answer = served.answer("POST", "/v0/a1b2c3d4e5/calls/", "text/plain").to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 415") && answer.contains("transfer-encoding: chunked"), "{answer}");
    assert!(answer.contains("{\"message\":\"the requested resource does") && answer.contains("'text/plain'.\"}"), "the body is sent whole: {answer}");
    let line = served.log_line();
    assert!(line.contains(" 415 POST /v0/a1b2c3d4e5/calls/ ") && line.ends_with(" ms"), "{line}");
}

#[test]
fn fault_list_prints_each_fault_with_a_description() {
    let out = vcc_command(BIN).args(["serve", "--fault", "list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let faults = vcc_conformance::server::faults::Fault::ALL;
    assert_eq!(text.lines().count(), faults.len(), "{text}");
    let typo = text.lines().find(|l| l.starts_with("message-typo ")).expect("message-typo is listed");
    assert!(typo.contains("400 messages lose their last character"), "{typo}");
    assert!(text.lines().all(|l| l.split_once("  ").is_some_and(|(_, d)| !d.trim().is_empty())), "{text}");
}

#[test]
fn the_token_key_never_shows_and_a_short_one_is_refused() {
    let canary = "canary-token-key-Zq81-long-enough";
    let help = vcc_command(BIN).args(["serve", "--help"]).env("VCC_TOKEN_KEY", canary).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("VCC_TOKEN_KEY") && !help.contains(canary), "{help}");

    let short = vcc_command(BIN).args(["serve", "--listen", "0"]).env("VCC_TOKEN_KEY", "canary-Sh0rt").output().unwrap();
    assert_eq!(short.status.code(), Some(2));
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(err.contains("--token-key") && err.contains("16 bytes") && !err.contains("canary-Sh0rt"), "{err}");
}

/// The soft and hard open-file limits of process `pid`.
fn open_files(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap().to_owned();
    let mut fields = line["Max open files".len()..].split_whitespace().map(str::to_owned);
    (fields.next().unwrap(), fields.next().unwrap())
}

#[test]
fn serve_raises_its_open_file_limit_to_the_hard_limit() {
    let (_, hard) = open_files(std::process::id());
    let mut child = Command::new("bash")
        .args(["-c", &format!("ulimit -Sn 256 && exec {BIN} serve --listen 127.0.0.1:0")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let (soft, served_hard) = open_files(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    assert_eq!(served_hard, hard);
    let expected = hard.parse::<u64>().map_or(65_536, |h| h.min(65_536)).to_string();
    assert_eq!(soft, expected, "the soft limit, 256 when it started, is raised to the hard one ({hard}) or 65536");
}
