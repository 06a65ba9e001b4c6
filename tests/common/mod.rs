//! Helpers shared by the integration tests: an HTTP server played by hand, and
//! the reference server run as a process. (Each test file uses some of them.)
#![allow(dead_code)]

use std::io::Read;
use std::time::Duration;

/// One HTTP request read whole: the head (request line and headers) and the
/// body (`content-length` bytes); `None` when it does not come.
pub fn read_whole_request(stream: &mut std::net::TcpStream) -> Option<(String, String)> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
        if data.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0);
    while data.len() < head_end + length.min(1 << 20) {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    }
    Some((head, String::from_utf8_lossy(&data[head_end..]).into_owned()))
}

/// `vcc-conformance serve` (the binary at `bin`) on an ephemeral loopback port;
/// killed on drop.
pub struct Served(pub std::process::Child, pub String);

impl Served {
    pub fn start(bin: &str, extra: &[&str]) -> Served {
        Served::start_on(bin, "127.0.0.1:0", extra)
    }

    /// The same, listening on `listen` (a loopback address).
    pub fn start_on(bin: &str, listen: &str, extra: &[&str]) -> Served {
        let mut child = vcc_command(bin)
            .args(["serve", "--listen", listen])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut line = Vec::new();
        let mut stdout = child.stdout.take().expect("piped");
        let mut byte = [0u8];
        while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&line).into_owned();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("serve prints its URL");
        let base = url.split("/v0/").next().unwrap_or(url).to_owned();
        Served(child, base)
    }

    /// The server's base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.1
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary at `bin` as a command with none of the caller's `VCC_*`
/// settings: a user's shell (or CI job) must not change what our tests see.
pub fn vcc_command(bin: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        // Under nextest, `run` refuses report files: our tests are not its cases.
        // Nor a proxy of the machine's (tests/cli/proxy.rs sets its own); under
        // GitHub Actions, `run` annotates and appends to the job's summary: our
        // tests' runs are not the job's.
        let proxy = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"].iter().any(|p| name_text.eq_ignore_ascii_case(p));
        if name_text.starts_with("VCC_") || name_text.starts_with("NEXTEST") || name_text.starts_with("GITHUB_") || proxy {
            cmd.env_remove(name);
        }
    }
    // The record of failed cases goes beside the test, not over the developer's.
    cmd.env("VCC_RECORD", std::env::temp_dir().join(format!("vcc-test-{}-last-failed", std::process::id())));
    cmd
}

/// A server that answers every request with a 400 on kept-alive connections,
/// counting the requests it was sent.
pub fn counting() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&count);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let counted = std::sync::Arc::clone(&counted);
            std::thread::spawn(move || {
                while read_whole_request(&mut stream).is_some() {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"message":"counted"}"#;
                    let head = format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
                    if std::io::Write::write_all(&mut stream, (head + body).as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), count)
}


/// A new empty folder of this test process, under the system's temporary folder.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vcc-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// A TCP server on 127.0.0.1 that answers its first `honest` connections with one
/// plain JSON 400 (and closes them: a pre-flight passes), then treats every
/// later connection with `answer`; serves until the test process ends.
pub fn hostile_from(honest: usize, answer: fn(std::net::TcpStream)) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().flatten().enumerate() {
            if i < honest {
                let mut stream = stream;
                let _ = read_whole_request(&mut stream);
                let body = r#"{"message":"fine"}"#;
                let head = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = std::io::Write::write_all(&mut stream, (head + body).as_bytes());
                continue;
            }
            std::thread::spawn(move || answer(stream));
        }
    });
    format!("http://{addr}")
}

/// Waits for `child` to end, at most `limit`: its exit status, or `None` when
/// it ran longer (it is then killed, and reaped).
pub fn wait_within(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
