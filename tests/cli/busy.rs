//! A live platform's busy agents, and a deployment that is still starting: the
//! default suite passes a reference server that keeps each calling agent busy
//! after its calls (spread over agents or retried, and said so); a busy answer
//! for an agent the run did not call with still fails; `--retries` sends again
//! only after a transport error; `--wait` waits for a target that starts late,
//! and gives up with status 2. Everything on 127.0.0.1, every wait bounded.

use std::collections::HashSet;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Served, read_whole_request, temp_dir, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const TOKEN: &str = "busy-test-token";

/// `run` with `args` against `base`: the exit status and everything printed.
fn run_against(base: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = vcc_command(BIN).args(["run", "--base-url", base, "--token", TOKEN]).args(args).output().expect("the binary runs");
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The line of `all` that starts with `start`, or "".
fn line<'a>(all: &'a str, start: &str) -> &'a str {
    all.lines().find(|l| l.starts_with(start)).unwrap_or("")
}

/// A fixture with four more available agents than the built-in one.
fn roomy_fixture() -> String {
    let path = temp_dir("busy-fixture").join("fixture.yaml");
    let text = "accounts: {a1b2c3d4e5: {ccxml: true}, f6g7h8i9j0: {ccxml: false}}\n\
                agents: {'1234': available, '4567': available, '5464': available, '5465': available, '5466': available, \
                '5467': available, '7001': busy, '7002': unreachable}\n\
                groups: ['030', '200', '400']\n\
                callbackNumbers: ['08008888888', '01256636451']\n\
                invalidNumbers: ['00000000000']\n";
    std::fs::write(&path, text).expect("the fixture is written");
    path.to_string_lossy().into_owned()
}

#[test]
fn the_default_suite_passes_a_server_that_keeps_the_calling_agent_busy_for_half_a_second() {
    let served = Served::start(BIN, &["--busy-after-call", "0.5"]);
    let started = Instant::now();
    let (status, all) = run_against(served.base(), &["-q"]);
    assert_eq!(status, Some(0), "{all}");
    assert!(all.contains(" 0 failed; 0 ignored"), "{all}");
    assert!(line(&all, "contract:").starts_with("contract: 32 of 32 documented items verified, 0 failed"), "{all}");
    // The calls from agentId went one at a time, the later ones once the
    // agent had been free as long as the busy answers showed it needed.
    let agents = line(&all, "agents: ");
    assert!(agents.contains("one at a time per agent (1234 "), "{all}");
    // At least one call found the agent still busy from the one before and was sent again.
    let retried = line(&all, "sent again: ");
    assert!(retried.contains("(calling agent 1234 busy"), "{all}");
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
}

#[test]
fn the_default_suite_passes_a_server_that_keeps_agents_busy_for_two_seconds_spread_over_spare_agents() {
    let fixture = roomy_fixture();
    let served = Served::start(BIN, &["--busy-after-call", "2", "--fixture", &fixture]);
    let started = Instant::now();
    let (status, all) = run_against(served.base(), &["--var", "spareAgentIds=5464, 5465,5466 5467", "--nocapture"]);
    assert_eq!(status, Some(0), "{all}");
    assert!(line(&all, "contract:").starts_with("contract: 32 of 32 documented items verified, 0 failed"), "{all}");
    assert!(line(&all, "agents: ").contains("spread over spare agents or numbers"), "{all}");
    for spare in ["5464", "5465", "5466", "5467"] {
        assert!(all.contains(&format!("spread: /from/agentId {spare} in place of agentId 1234")), "{spare}: {all}");
    }
    // Each case says in its heading how it was sent (--nocapture prints the passing ones).
    assert!(all.contains("sent again: ") && all.contains("busy (sent again after "), "{all}");
    assert!(started.elapsed() < Duration::from_secs(90), "{:?}", started.elapsed());
}

/// Places one call from agent `agent` on `base` by hand, as someone else on the platform would.
fn place_call_by_hand(base: &str, agent: &str) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("the server is up");
    let body = format!(r#"{{"from":{{"agentId":"{agent}"}},"to":{{"telephoneNumber":"02072068888"}}}}"#);
    let head = format!(
        "POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {TOKEN}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all((head + &body).as_bytes()).expect("the request is sent");
    let (answer, _) = read_whole_request(&mut stream).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

#[test]
fn a_busy_answer_for_an_agent_the_run_did_not_call_with_fails_as_before() {
    let served = Served::start(BIN, &["--busy-after-call", "60"]);
    place_call_by_hand(served.base(), "1234");
    // The run's first call from 1234 finds it busy: the run did not make it so.
    let (status, all) = run_against(served.base(), &["--exact", "examples::example-1-agent-to-number", "examples::example-7-consent"]);
    assert_eq!(status, Some(101), "{all}");
    assert!(all.contains(r#"{"message":"Unable to place call - Agent number busy"}"#), "{all}");
    assert!(line(&all, "test examples::example-1-agent-to-number").ends_with("FAILED"), "{all}");
    // The second call found it busy from the first failure, which placed no
    // call: the run did not use the agent either.
    assert!(line(&all, "test examples::example-7-consent").ends_with("FAILED"), "{all}");
    assert!(!all.contains("sent again"), "{all}");
    assert!(line(&all, "note: 2 failed cases were answered that an agent is busy").contains("--agent-spacing"), "{all}");
    // So does a case that expects another answer, sent while the agent is busy.
    let (status, all) = run_against(served.base(), &["--exact", "derived::invalid-number.from-agent.to-number"]);
    assert_eq!(status, Some(101), "{all}");
    assert!(all.contains("got \"Unable to place call - Agent number busy\""), "{all}");
}

#[test]
fn an_agent_that_stays_busy_after_the_run_s_own_call_is_not_verified_or_with_strict_busy_failed() {
    let two_calls = ["--exact", "examples::example-1-agent-to-number", "examples::example-7-consent", "--busy-retries", "2", "--busy-wait", "1"];
    let served = Served::start(BIN, &["--busy-after-call", "60"]);
    let (status, all) = run_against(served.base(), &[&two_calls[..], &["--format", "json"]].concat());
    assert_eq!(status, Some(0), "not a contract failure: {all}");
    let events: Vec<serde_json::Value> = all.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let event = |name: &str| events.iter().find(|e| e["type"] == "test" && e["name"] == name && e["event"] != "started").map(|e| e["event"].as_str().unwrap_or(""));
    let (first, second) = (event("examples::example-1-agent-to-number"), event("examples::example-7-consent"));
    assert!(matches!((first, second), (Some("ok"), Some("ignored")) | (Some("ignored"), Some("ok"))), "one passes, the other is not verified: {all}");
    let ignored = events.iter().find(|e| e["type"] == "test" && e["event"] == "ignored").unwrap_or_else(|| panic!("{all}"));
    assert!(line(&all, "sent again: ").contains("calling agent 1234 busy ×2; not verified: it stayed busy"), "{all}");
    // In the contract matrix: a gap with its reason, not a failure.
    let contract = events.iter().find(|e| e["type"] == "contract").unwrap_or_else(|| panic!("{all}"));
    let items = contract["items"].as_array().unwrap_or_else(|| panic!("{all}"));
    assert!(items.iter().all(|i| i["verdict"] != "failed"), "{all}");
    let gap = format!("{}: its agent stayed busy after this run's calls", ignored["name"].as_str().unwrap_or(""));
    assert!(items.iter().any(|i| i["verdict"] == "not verified" && i["why"].as_array().is_some_and(|w| w.iter().any(|w| *w == gap.as_str()))), "{all}");
    let strict = Served::start(BIN, &["--busy-after-call", "60"]);
    let (status, all) = run_against(strict.base(), &[&two_calls[..], &["--strict-busy"]].concat());
    assert_eq!(status, Some(101), "{all}");
    assert!(all.contains("sent again: 2 retries: calling agent 1234 busy"), "the heading says so: {all}");
    assert!(!all.contains("agent spacing:"), "none on loopback: {all}");
    // A spacing is announced, as pacing is.
    let spaced = Served::start(BIN, &["--busy-after-call", "60"]);
    let (status, all) = run_against(spaced.base(), &["--exact", "examples::example-1-agent-to-number", "--agent-spacing", "0.2"]);
    assert_eq!(status, Some(0), "{all}");
    assert!(all.contains("agent spacing: at least 0.2 s between two calls with one agent"), "{all}");
}

/// A proxy on 127.0.0.1 in front of `upstream` that cuts the connection,
/// unanswered, the first time it sees each request body (but the pre-flight's
/// `{}`), and relays every other request.
fn drops_first_of_each_case(upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let seen = Arc::new(Mutex::new(HashSet::new()));
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let (seen, upstream) = (Arc::clone(&seen), upstream.clone());
            std::thread::spawn(move || {
                while let Some((head, body)) = read_whole_request(&mut client) {
                    if body != "{}" && seen.lock().unwrap().insert(body.clone()) {
                        return;
                    }
                    let Ok(mut server) = TcpStream::connect(upstream.trim_start_matches("http://")) else { return };
                    let Some((answer_head, answer_body)) =
                        server.write_all(format!("{head}{body}").as_bytes()).ok().and_then(|()| read_whole_request(&mut server))
                    else {
                        return;
                    };
                    if client.write_all(format!("{answer_head}{answer_body}").as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn retries_send_a_case_again_after_a_dropped_connection_and_never_after_a_wrong_answer() {
    let served = Served::start(BIN, &[]);
    let flaky = drops_first_of_each_case(served.base().to_owned());
    let (status, all) = run_against(&flaky, &["examples::", "--retries", "1"]);
    assert_eq!(status, Some(0), "{all}");
    let retried = line(&all, "sent again: ");
    assert!(retried.starts_with("sent again: 8 cases needed a retry: examples::example-1-agent-to-number (connection broken or not HTTP)"), "{all}");
    // Without --retries the same server fails them.
    let (status, all) = run_against(&drops_first_of_each_case(served.base().to_owned()), &["examples::"]);
    assert_eq!(status, Some(101), "{all}");
    assert!(!all.contains("sent again"), "{all}");
    // A wrong status is an answer: never sent again.
    let wrong = Served::start(BIN, &["--fault", "created-200"]);
    let (status, all) = run_against(wrong.base(), &["--exact", "examples::example-1-agent-to-number", "--retries", "3"]);
    assert_eq!(status, Some(101), "{all}");
    assert!(all.contains("status: expected 201, got 200") && !all.contains("sent again"), "{all}");
}

#[test]
fn wait_keeps_the_pre_flight_trying_until_the_target_answers_or_the_time_runs_out() {
    // A port that starts listening after a second.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        Served::start_on(BIN, &format!("127.0.0.1:{port}"), &[])
    });
    let base = format!("http://127.0.0.1:{port}");
    let (status, all) = run_against(&base, &["--exact", "examples::example-1-agent-to-number", "--wait", "20"]);
    let _served = late.join().expect("the late server starts");
    assert_eq!(status, Some(0), "{all}");
    assert!(all.contains("does not answer yet (") && all.contains("trying again for up to 20 s (--wait)"), "{all}");
    assert_eq!(all.matches("does not answer yet").count(), 1, "one note: {all}");
    // A port that never listens: status 2 once the time is up, not before.
    let dead = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let started = Instant::now();
    let (status, all) = run_against(&format!("http://127.0.0.1:{dead}"), &["--wait", "1.5"]);
    let took = started.elapsed();
    assert_eq!(status, Some(2), "{all}");
    assert!(all.contains("cannot be tested: connection refused"), "{all}");
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_secs(15), "{took:?}");
}
