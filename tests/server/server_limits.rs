//! The reference server as a shared mock that one client cannot lock up, probed
//! over raw TCP on 127.0.0.1 as a hostile peer would: idle and slow clients are
//! cut off, a connection past the limit gets a JSON 503, half-closed clients get
//! their answer, every answer is JSON with a message, and expired tokens stay
//! expired, across servers sharing a key. Every wait is bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vcc_conformance::server::log::LogSink;
use vcc_conformance::server::tokens::TokenKey;
use vcc_conformance::server::{self, Limits, Settings, fixture::Fixture};

/// How long any one answer (or close) may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(5);

/// The header that ends a connection after its answer.
const CLOSING: &str = "Connection: close\r\n";

const BODY: &str = r#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}"#;

fn call(extra_headers: &str) -> String {
    format!(
        "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{extra_headers}\r\n{BODY}",
        BODY.len()
    )
}

fn limits(max_connections: usize, idle_ms: u64, body_ms: u64) -> Limits {
    Limits {
        max_connections,
        max_per_client: max_connections,
        idle_timeout: Duration::from_millis(idle_ms),
        body_timeout: Duration::from_millis(body_ms),
    }
}

async fn start(limits: Limits) -> SocketAddr {
    server::start_with(Fixture::builtin(), Settings { limits, ..Settings::default() }).await.unwrap()
}

/// An answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn message(&self) -> &str {
        self.json.get("message").and_then(Value::as_str).unwrap_or("")
    }

    /// A JSON answer with a non-empty message.
    fn assert_json_message(&self) {
        let ct = self.header("content-type").unwrap_or("");
        assert_eq!(ct, "application/json; charset=utf-8", "{self:?}");
        assert!(!self.message().is_empty(), "{self:?}");
    }
}

/// Reads one answer (head, then `content-length` bytes), within [`PATIENCE`].
async fn read_answer(stream: &mut TcpStream) -> Option<Answer> {
    let read = async {
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
            data.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        let mut answer = Answer { status, head, json: Value::Null };
        let length: usize = answer.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while data.len() < head_end + length {
            let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
            data.extend_from_slice(&buf[..n]);
        }
        answer.json = serde_json::from_slice(&data[head_end..head_end + length]).unwrap_or(Value::Null);
        Some(answer)
    };
    tokio::time::timeout(PATIENCE, read).await.ok().flatten()
}

/// Sends `request` on a new connection and reads the answer.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_answer(&mut stream).await.unwrap_or_else(|| panic!("no answer to {:?}", String::from_utf8_lossy(request)))
}

/// Whether the server closes `stream` within `within` (reading whatever it sends first).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_after_the_idle_timeout_before_and_between_requests() {
    let addr = start(limits(64, 600, 5_000)).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(closed_within(&mut silent, PATIENCE).await, "a connection that never speaks is closed");

    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(call("").as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut kept).await.unwrap().status, 201);
    let idle = Instant::now();
    assert!(closed_within(&mut kept, PATIENCE).await, "an idle kept-alive connection is closed");
    assert!(idle.elapsed() >= Duration::from_millis(300), "not long before the idle timeout: {:?}", idle.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowly_sent_head_is_cut_off_by_the_header_timeout() {
    let addr = start(limits(64, 500, 5_000)).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\n").await.unwrap();
    let started = Instant::now();
    let mut cut = false;
    // One header byte every 100 ms, for at most 5 s.
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"X").await.is_err() || closed_within(&mut slow, Duration::from_millis(1)).await {
            cut = true;
            break;
        }
    }
    assert!(cut, "a head dripped a byte at a time is still open after {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_answers_is_cut_off() {
    let addr = start(limits(64, 500, 5_000)).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let batch = call("").repeat(100);
    // Pipelined calls, never reading: at most 200,000 (40 MB), for at most 20 s.
    let cut = tokio::time::timeout(Duration::from_secs(20), async {
        for _ in 0..2_000 {
            if stream.write_all(batch.as_bytes()).await.is_err() {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(cut, Ok(true), "the server still holds a connection whose answers nobody reads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_longer_than_the_buffer_is_refused_not_held() {
    let addr = start(limits(64, 10_000, 10_000)).await;
    let mut big = TcpStream::connect(addr).await.unwrap();
    big.write_all(b"POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nX-Pad: ").await.unwrap();
    let pad = vec![b'a'; 64 * 1024];
    let _ = big.write_all(&pad).await; // the server may close before it all goes
    assert!(closed_within(&mut big, PATIENCE).await, "64 KiB of unfinished head is not buffered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_body_gets_a_json_408_and_the_connection_closes() {
    let addr = start(limits(64, 10_000, 300)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"from\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await.expect("an answer to a body that stops halfway");
    assert_eq!(answer.status, 408);
    answer.assert_json_message();
    assert_eq!(answer.header("connection"), Some("close"));
    assert!(closed_within(&mut stream, PATIENCE).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_a_json_503_one_log_line_then_room_again() {
    let (log, lines) = LogSink::memory();
    let settings = Settings { limits: limits(3, 30_000, 30_000), log, ..Settings::default() };
    let addr = server::start_with(Fixture::builtin(), settings).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(call("").as_bytes()).await.unwrap();
        assert_eq!(read_answer(&mut s).await.unwrap().status, 201, "served while under the limit");
        held.push(s);
    }
    for _ in 0..4 {
        let refused = exchange(addr, call("").as_bytes()).await;
        assert_eq!(refused.status, 503);
        refused.assert_json_message();
        assert!(refused.message().contains('3'), "the message names the limit: {}", refused.message());
        assert_eq!(refused.header("connection"), Some("close"));
    }
    let logged = lines.lock().unwrap().clone();
    assert_eq!(logged.len(), 1, "one line for four refusals: {logged:?}");
    assert!(logged[0].contains("3 connections") && logged[0].contains("--max-connections"), "{logged:?}");

    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = exchange(addr, call(CLOSING).as_bytes()).await;
        if answer.status == 201 {
            break;
        }
        assert!(Instant::now() < deadline, "no room again after a held connection closed: {answer:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A connection to `addr` from `from` (another 127/8 address: another client).
async fn connect_from(from: [u8; 4], addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(addr).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_holding_and_reopening_hundreds_of_connections_does_not_lock_out_another() {
    vcc_conformance::server::limits::raise_open_file_limit();
    let limits = Limits { max_per_client: 16, ..limits(128, 30_000, 30_000) };
    let addr = start(limits).await;
    let noisy = [127, 0, 0, 2];
    // The noisy client opens 300 idle connections (more than the server's 128) and holds them.
    let mut held = Vec::new();
    for _ in 0..300 {
        held.push(connect_from(noisy, addr).await.unwrap());
    }
    // Then it keeps opening more, as fast as it can, while the honest client calls.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reopening = {
        let stop = std::sync::Arc::clone(&stop);
        tokio::spawn(async move {
            let mut opened = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && opened < 20_000 {
                if let Ok(s) = connect_from(noisy, addr).await {
                    drop(s);
                }
                opened += 1;
            }
            opened
        })
    };
    let started = Instant::now();
    for i in 0..50 {
        let answer = exchange(addr, call(CLOSING).as_bytes()).await;
        assert_eq!(answer.status, 201, "honest call {i} while another client holds 300 connections: {answer:?}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reopened = reopening.await.unwrap();
    assert!(reopened > 0 && started.elapsed() < Duration::from_secs(30), "{reopened} reopened in {:?}", started.elapsed());
    // The noisy client's connections past its share were each refused with the JSON 503.
    let mut refused = 0;
    for stream in held.iter_mut().skip(16).take(20) {
        stream.write_all(call("").as_bytes()).await.unwrap_or(());
        if let Some(answer) = read_answer(stream).await {
            assert_eq!(answer.status, 503, "{answer:?}");
            answer.assert_json_message();
            assert!(answer.message().contains("share of 16"), "{}", answer.message());
            refused += 1;
        }
    }
    assert!(refused > 0, "past its share, the noisy client reads 503s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_refused_in_a_flood_reads_the_json_503_not_a_reset() {
    vcc_conformance::server::limits::raise_open_file_limit();
    let addr = start(Limits { max_per_client: 8, ..limits(64, 30_000, 30_000) }).await;
    // 300 connections at once from one client, each with its call: 8 served,
    // the others refused, most of them past the places for unhurried refusals.
    let mut streams = Vec::new();
    for _ in 0..300 {
        let mut s = connect_from([127, 0, 0, 3], addr).await.unwrap();
        let _ = s.write_all(call("").as_bytes()).await;
        streams.push(s);
    }
    let (mut served, mut refused) = (0, 0);
    for (i, stream) in streams.iter_mut().enumerate() {
        let answer = read_answer(stream).await.unwrap_or_else(|| panic!("connection {i} got no answer (served {served}, refused {refused})"));
        match answer.status {
            201 => served += 1,
            503 => {
                answer.assert_json_message();
                assert_eq!(answer.header("connection"), Some("close"));
                refused += 1;
            }
            other => panic!("connection {i}: {other}: {answer:?}"),
        }
    }
    assert_eq!((served, refused), (8, 292));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_closed_clients_get_their_answer() {
    let addr = start(Limits::default()).await;
    let mut lost = 0;
    for _ in 0..4 {
        let clients: Vec<_> = (0..50)
            .map(|_| {
                tokio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.ok()?;
                    s.write_all(call("").as_bytes()).await.ok()?;
                    s.shutdown().await.ok()?;
                    read_answer(&mut s).await.map(|a| a.status)
                })
            })
            .collect();
        for client in clients {
            if client.await.unwrap() != Some(201) {
                lost += 1;
            }
        }
    }
    assert_eq!(lost, 0, "{lost} of 200 half-closed clients lost their answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let addr = start(Limits::default()).await;
    for path in ["/v0/a1b2c3d4e5/calls/", "/v0/a1b2c3d4e5/calls", "/Auth/connect/token"] {
        let get = exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: t\r\n{CLOSING}\r\n").as_bytes()).await;
        assert_eq!(get.status, 405, "{path}");
        get.assert_json_message();
        assert_eq!(get.header("allow"), Some("POST"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_that_is_not_percent_encoded_utf8_is_a_json_400() {
    let addr = start(Limits::default()).await;
    let encoded = call(CLOSING).replace("/v0/a1b2c3d4e5/", "/v0/%ff/");
    let bad_path = exchange(addr, encoded.as_bytes()).await;
    assert_eq!(bad_path.status, 400);
    bad_path.assert_json_message();
    assert!(bad_path.message().contains("path"), "{}", bad_path.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_cannot_parse_get_a_json_answer_too_and_the_connection_closes() {
    let addr = start(Limits::default()).await;
    let head = "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\n";
    let unparsable: Vec<(&str, Vec<u8>, u16)> = vec![
        ("a raw 0xff in the path", b"POST /v0/\xff/calls/ HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(), 400),
        ("a Content-Length that is not a number", format!("{head}Content-Length: abc\r\n\r\n").into_bytes(), 400),
        ("two Content-Lengths that differ", format!("{head}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab").into_bytes(), 400),
        ("an unknown Transfer-Encoding", format!("{head}Transfer-Encoding: gzip\r\n\r\n").into_bytes(), 400),
        ("a header name with a space", format!("{head}Ho st: t\r\n\r\n").into_bytes(), 400),
        ("no HTTP at all", b"GARBAGE\r\n\r\n".to_vec(), 400),
        ("an HTTP version that does not exist", b"POST / HTTP/9.9\r\nHost: t\r\n\r\n".to_vec(), 400),
        ("a head over 16 KiB", format!("{head}X-Pad: {}\r\n\r\n", "a".repeat(20_000)).into_bytes(), 431),
        ("a path over 16 KiB", format!("POST /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a/".repeat(9_000)).into_bytes(), 431),
    ];
    for (what, request, status) in unparsable {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(&request).await; // the server may answer before it has read it all
        let answer = read_answer(&mut stream).await.unwrap_or_else(|| panic!("{what}: no answer"));
        assert_eq!(answer.status, status, "{what}: {answer:?}");
        answer.assert_json_message();
        assert_eq!(answer.header("connection"), Some("close"), "{what}");
        assert!(closed_within(&mut stream, PATIENCE).await, "{what}: the connection closes after the answer");
        let says = if status == 431 { "over 16384 bytes" } else { "Content-Length, Transfer-Encoding" };
        assert!(answer.message().contains(says), "{what}: the message says what could not be read: {answer:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_chunk_size_is_a_json_400_not_a_413() {
    let addr = start(Limits::default()).await;
    let chunk = "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    let bad_chunk = exchange(addr, chunk.as_bytes()).await;
    assert_eq!(bad_chunk.status, 400, "a malformed chunk size is bad framing, not a large body");
    bad_chunk.assert_json_message();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_type_that_is_not_utf8_is_named_in_the_415() {
    let addr = start(Limits::default()).await;
    let mut latin1 = call(CLOSING).replace("Content-Type: application/json", "Content-Type: text/pl\u{0}in").into_bytes();
    let at = latin1.windows(3).position(|w| w == b"l\x00i").unwrap() + 1;
    latin1[at] = 0xe4; // "text/pläin" in Latin-1: not UTF-8
    let unsupported = exchange(addr, &latin1).await;
    assert_eq!(unsupported.status, 415);
    unsupported.assert_json_message();
    let message = unsupported.message();
    assert!(message.contains("'text/pl\u{fffd}in'") && !message.contains("no Content-Type"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_and_a_body_too_large_are_json_too() {
    let addr = start(Limits::default()).await;
    let missing = exchange(addr, format!("POST /v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n{CLOSING}\r\n").as_bytes()).await;
    assert_eq!(missing.status, 404);
    missing.assert_json_message();
    let huge = format!(
        "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{CLOSING}\r\n",
        10 << 20
    );
    let too_large = exchange(addr, huge.as_bytes()).await;
    assert_eq!(too_large.status, 413);
    too_large.assert_json_message();
}

/// A fixture whose tokens live one second.
fn short_lived() -> Fixture {
    let mut f = Fixture::builtin();
    f.token_lifetime_seconds = 1;
    f
}

async fn token(http: &reqwest::Client, addr: SocketAddr) -> String {
    let form = "grant_type=client_credentials&client_id=vcc-conformance&client_secret=reference-client-secret";
    let answer = http
        .post(format!("http://{addr}/Auth/connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    answer["access_token"].as_str().expect("a token").to_owned()
}

/// The status and message of a call placed with `token`.
async fn place(http: &reqwest::Client, addr: SocketAddr, token: &str) -> (u16, String) {
    let answer = http
        .post(format!("http://{addr}/v0/a1b2c3d4e5/calls/"))
        .header("content-type", "application/json")
        .bearer_auth(token)
        .body(BODY)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let json: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    (status, json["message"].as_str().unwrap_or("").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_sharing_a_key_honour_each_others_tokens_and_expiries_and_another_key_is_refused() {
    vcc_conformance::client::install_crypto();
    let shared = std::sync::Arc::new(TokenKey::from_secret(b"one key for the whole team's mocks").unwrap());
    let with_key = |key| Settings { token_key: key, ..Settings::default() };
    let a = server::start_with(short_lived(), with_key(std::sync::Arc::clone(&shared))).await.unwrap();
    let b = server::start_with(short_lived(), with_key(std::sync::Arc::clone(&shared))).await.unwrap();
    let other = server::start_with(short_lived(), Settings::default()).await.unwrap();
    let http = reqwest::Client::new();

    let from_a = token(&http, a).await;
    assert_eq!(place(&http, a, &from_a).await.0, 201);
    assert_eq!(place(&http, b, &from_a).await.0, 201, "b honours a's token");
    let (status, message) = place(&http, other, &from_a).await;
    assert_eq!((status, message.as_str()), (401, "The access token is not valid."), "signed with another key");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    for (name, server) in [("a", a), ("b", b)] {
        let (status, message) = place(&http, server, &from_a).await;
        assert_eq!((status, message.as_str()), (401, "The access token has expired."), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_stays_expired_after_ten_thousand_more_are_issued() {
    vcc_conformance::client::install_crypto();
    let addr = server::start_with(short_lived(), Settings::default()).await.unwrap();
    let http = reqwest::Client::new();
    let first = token(&http, addr).await;
    let started = Instant::now();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move {
                for _ in 0..1_251 {
                    token(&http, addr).await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    if let Some(left) = Duration::from_millis(1100).checked_sub(started.elapsed()) {
        tokio::time::sleep(left).await;
    }
    let (status, message) = place(&http, addr, &first).await;
    assert_eq!((status, message.as_str()), (401, "The access token has expired."));
}
