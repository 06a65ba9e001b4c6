//! What a held connection costs `serve` in memory, read from its own process
//! (`/proc/PID/status`): a request body that stops coming keeps what was sent
//! of it and a bounded overhead, never a buffer grown past what was sent.
//! Everything on 127.0.0.1; every wait bounded.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::Served;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// How many connections stall their body at once.
const CONNECTIONS: usize = 800;

/// How much of its 65,536-byte body each sends before it stalls.
const SENT: usize = 64_000;

/// What a stalled connection may cost beyond the body bytes it sent (the head
/// buffer, the connection's own state): the bound docs/reference-server.md states.
const OVERHEAD: usize = 48 * 1024;

/// The resident memory of process `pid`, in bytes.
fn resident(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let kib: usize = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).expect("VmRSS");
    kib * 1024
}

/// The resident memory once it has stopped growing for half a second (at most 20 s).
fn settled(pid: u32) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut last, mut since) = (resident(pid), Instant::now());
    while Instant::now() < deadline && since.elapsed() < Duration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(50));
        let now = resident(pid);
        if now > last {
            (last, since) = (now, Instant::now());
        }
    }
    last
}

#[test]
fn a_stalled_body_costs_what_was_sent_of_it_and_a_bounded_overhead() {
    vcc_conformance::server::limits::raise_open_file_limit();
    let served = Served::start(BIN, &["--body-timeout", "120", "--idle-timeout", "120", "--max-connections", "2000", "--max-connections-per-client", "2000"]);
    let addr = served.base().trim_start_matches("http://").to_owned();
    let pid = served.0.id();
    // Warm up: a few answered calls, so that the runtime's own buffers exist.
    let body = r#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}"#;
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).unwrap();
        let call = format!("POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        s.write_all(call.as_bytes()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
    }
    let before = settled(pid);
    let head = "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n";
    let mut stalled = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&[b' '; SENT]).unwrap();
        stalled.push(s);
    }
    let during = settled(pid);
    let each = during.saturating_sub(before) / CONNECTIONS;
    eprintln!("{CONNECTIONS} bodies stalled {SENT} bytes in: {each} bytes each ({before} -> {during} resident)");
    assert!(
        each <= SENT + OVERHEAD,
        "{CONNECTIONS} bodies stalled {SENT} bytes in cost {each} bytes each ({before} -> {during} resident), over {SENT} + {OVERHEAD}"
    );
    assert!(each >= SENT / 2, "the bodies were read ({each} bytes each): the measure measures something");
    drop(stalled);
}
