//! Consumer coverage, as a team pointing its client's tests at `serve` meets it:
//! a client that exercises a known subset of the documented items is told
//! exactly the rest, at `GET /_vcc/coverage` and in the file `serve
//! --coverage-report` writes on SIGTERM; clients are counted apart by address
//! and by token subject, past the cap in one "others" row; and `coverage
//! --consumer` fails a consumer's CI naming what its tests left unexercised.
//! Every request goes to loopback (127.0.0.1 to 127.0.0.3).

use std::net::IpAddr;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vcc_conformance::coverage::consumer::{ClientKind, ConsumerReport};
use vcc_conformance::server::exercised::Catalog;
use vcc_conformance::server::fixture::Fixture;
use vcc_conformance::server::tally::Tally;
use vcc_conformance::server::{self, Settings};
use vcc_conformance::suite::Source;

use crate::common::{Served, temp_dir, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const CALLS: &str = "/v0/a1b2c3d4e5/calls/";

/// The subset the tests exercise: examples 1 and 3, two documented 400
/// messages and the 415, each request with its content type.
fn known_subset() -> Vec<(&'static str, String)> {
    let json = "application/json";
    vec![
        (json, json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "02072068888"}}).to_string()),
        (json, json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": "02072068888"}}).to_string()),
        (json, json!({"from": {"agentId": "12a4"}, "to": {"telephoneNumber": "02072068888"}}).to_string()),
        (json, json!({"from": {"agentId": "1234"}, "to": {}}).to_string()),
        ("multipart/form-data; boundary=x", "--x--".to_owned()),
    ]
}

const EXERCISED: [&str; 5] = [
    "example-1",
    "example-3",
    "400: Agent Id must contain digits only",
    "400: Either telephone number or agent id required",
    "415: unsupported content type",
];

/// Every documented item but those named, in the order `coverage` lists them.
fn all_but(exercised: &[&str]) -> Vec<String> {
    let items = vcc_conformance::coverage::items().unwrap();
    items.into_iter().filter(|i| i.documented && !exercised.contains(&i.id.as_str())).map(|i| i.id).collect()
}

/// A client whose connections leave from `from`.
fn client(from: [u8; 4]) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().local_address(IpAddr::from(from)).timeout(Duration::from_secs(5)).build().unwrap()
}

async fn post(http: &reqwest::Client, base: &str, token: &str, content_type: &str, body: &str) -> u16 {
    let response = http
        .post(format!("{base}{CALLS}"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn send_subset(http: &reqwest::Client, base: &str, token: &str) {
    let mut statuses = Vec::new();
    for (content_type, body) in known_subset() {
        statuses.push(post(http, base, token, content_type, &body).await);
    }
    assert_eq!(statuses, [201, 201, 400, 400, 415]);
}

async fn report(http: &reqwest::Client, base: &str) -> ConsumerReport {
    let response = http.get(format!("{base}/_vcc/coverage")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

/// A reference server in this process, keeping consumer coverage with this cap.
async fn start(fixture: Fixture, max_clients: usize) -> String {
    let tally = Tally::new(Catalog::shipped().unwrap(), max_clients);
    let settings = Settings { coverage: Some(Arc::new(tally)), ..Settings::default() };
    format!("http://{}", server::start_with(fixture, settings).await.unwrap())
}

fn exercised_items(row: &vcc_conformance::coverage::consumer::Row) -> Vec<&str> {
    row.counts.iter().filter(|c| c.exercised()).map(|c| c.item.as_str()).collect()
}

#[tokio::test]
async fn a_client_that_exercises_a_known_subset_is_told_exactly_the_rest() {
    let base = start(Fixture::builtin(), 10).await;
    let http = client([127, 0, 0, 1]);
    send_subset(&http, &base, "any-token-1").await;
    let report = report(&http, &base).await;
    assert_eq!(report.all.unexercised, all_but(&EXERCISED));
    assert_eq!(exercised_items(&report.all), EXERCISED);
    assert_eq!(report.all.requests, 5);
    assert_eq!(report.clients.len(), 1);
    let row = &report.clients[0];
    assert_eq!((row.client.as_str(), row.kind), ("127.0.0.1", ClientKind::Address), "a token not ours: the address");
    assert_eq!(row.unexercised, report.all.unexercised);
    let verdict = report.verdict(&report.all);
    assert!(verdict.starts_with("consumer coverage (all clients, 5 requests): 5 of 32 documented items exercised; 27 never"), "{verdict}");
    assert!(verdict.contains("\n  example-2 — agent 1234 to agent 4567\n"), "{verdict}");
}

#[tokio::test]
async fn two_addresses_are_counted_apart_and_past_the_cap_share_the_others_row() {
    let base = start(Fixture::builtin(), 2).await;
    let example_1 = &known_subset()[0];
    let unsupported = &known_subset()[4];
    post(&client([127, 0, 0, 1]), &base, "token-one-1", example_1.0, &example_1.1).await;
    post(&client([127, 0, 0, 2]), &base, "token-two-2", unsupported.0, &unsupported.1).await;
    post(&client([127, 0, 0, 3]), &base, "token-three", example_1.0, &example_1.1).await;
    post(&client([127, 0, 0, 3]), &base, "token-three", unsupported.0, &unsupported.1).await;
    let report = report(&client([127, 0, 0, 1]), &base).await;
    let rows: Vec<(&str, Vec<&str>)> = report.clients.iter().map(|r| (r.client.as_str(), exercised_items(r))).collect();
    assert_eq!(rows, [("127.0.0.1", vec!["example-1"]), ("127.0.0.2", vec!["415: unsupported content type"])]);
    let others = report.others.as_ref().expect("a third address past the cap of 2");
    assert_eq!((others.kind, others.requests), (ClientKind::Others, 2));
    assert_eq!(exercised_items(others), ["example-1", "415: unsupported content type"]);
    assert_eq!(report.all.requests, 4);
    assert!(report.title(others).contains("past the first 2"), "{}", report.title(others));
}

/// A token from the server's token endpoint for client `id` (its secret `secret-of-{id}`).
async fn token(http: &reqwest::Client, base: &str, id: &str) -> String {
    let form = format!("grant_type=client_credentials&client_id={id}&client_secret=secret-of-{id}");
    let answer = http
        .post(format!("{base}/Auth/connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_subject_of_a_token_the_server_issued_is_the_client() {
    let mut fixture = Fixture::builtin();
    fixture.clients.insert("team-a".into(), "secret-of-team-a".into());
    fixture.clients.insert("team-b".into(), "secret-of-team-b".into());
    let base = start(fixture, 10).await;
    let http = client([127, 0, 0, 1]);
    let (a, b) = (token(&http, &base, "team-a").await, token(&http, &base, "team-b").await);
    let subset = known_subset();
    post(&http, &base, &a, subset[0].0, &subset[0].1).await;
    post(&http, &base, &b, subset[1].0, &subset[1].1).await;
    post(&http, &base, &a, subset[4].0, &subset[4].1).await;
    post(&http, &base, "not-one-of-ours", subset[2].0, &subset[2].1).await;
    let report = report(&http, &base).await;
    let rows: Vec<(&str, ClientKind, Vec<&str>)> =
        report.clients.iter().map(|r| (r.client.as_str(), r.kind, exercised_items(r))).collect();
    assert_eq!(
        rows,
        [
            ("team-a", ClientKind::Token, vec!["example-1", "415: unsupported content type"]),
            ("team-b", ClientKind::Token, vec!["example-3"]),
            ("127.0.0.1", ClientKind::Address, vec!["400: Agent Id must contain digits only"]),
        ]
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(&a) && !json.contains(&b), "no token in the report");
}

#[tokio::test]
async fn the_report_path_takes_get_only_and_a_server_without_coverage_has_none() {
    let base = start(Fixture::builtin(), 10).await;
    let http = client([127, 0, 0, 1]);
    let posted = http.post(format!("{base}/_vcc/coverage")).send().await.unwrap();
    assert_eq!((posted.status().as_u16(), posted.headers()["allow"].to_str().unwrap()), (405, "GET"));
    let embedded = format!("http://{}", server::start_embedded(Fixture::builtin(), None).await.unwrap());
    assert_eq!(http.get(format!("{embedded}/_vcc/coverage")).send().await.unwrap().status(), 404);
}

/// Sends SIGTERM to `served` and waits (at most ten seconds) for it to exit.
fn terminate(served: &mut Served) -> std::process::ExitStatus {
    let pid = i32::try_from(served.0.id()).unwrap();
    // SAFETY: kill(2) with a pid this test spawned and still holds.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = served.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn consumer(report: &std::path::Path, extra: &[&str]) -> Output {
    let mut command = vcc_command(BIN);
    command.arg("coverage").arg("--consumer").arg(report).args(extra).stdin(Stdio::null());
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn serve_writes_the_report_on_sigterm_and_coverage_consumer_fails_naming_the_rest() {
    let dir = temp_dir("consumer-coverage");
    let (json_file, markdown_file) = (dir.join("coverage.json"), dir.join("coverage.md"));
    for file in [&json_file, &markdown_file] {
        let mut served = Served::start(BIN, &["--coverage-report", file.to_str().unwrap()]);
        let base = served.base().to_owned();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(send_subset(&client([127, 0, 0, 1]), &base, "any-token-1"));
        assert!(terminate(&mut served).success());
    }
    let rest = all_but(&EXERCISED);
    let written = ConsumerReport::read(&Source::read(&json_file).unwrap()).unwrap();
    assert_eq!(written.all.unexercised, rest);
    let markdown = std::fs::read_to_string(&markdown_file).unwrap();
    assert!(markdown.starts_with("# Consumer coverage of `POST v0/{accountKey}/calls/`\n"), "{markdown}");
    assert!(markdown.contains("\n## address 127.0.0.1\n\n5 requests; 5 of 32 documented items exercised.\n"), "{markdown}");
    for id in &rest {
        assert!(markdown.contains(&format!("\n- {id} — ")), "{id} in {markdown}");
    }

    let failed = consumer(&json_file, &[]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    let stdout = text(&failed.stdout);
    let named: Vec<&str> = stdout.lines().skip(1).map(|l| l.trim_start().split(" — ").next().unwrap()).collect();
    assert_eq!(named, rest, "{stdout}");
    let one = consumer(&json_file, &["--client", "127.0.0.1"]);
    assert_eq!((one.status.code(), text(&one.stdout).lines().count()), (Some(1), rest.len() + 1));
    let unknown = consumer(&json_file, &["--client", "127.0.0.9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no client `127.0.0.9`; the clients are: 127.0.0.1"), "{}", text(&unknown.stderr));
    let missing = consumer(&dir.join("none.json"), &[]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_consumer_that_runs_the_whole_suite_exercises_every_documented_item() {
    let dir = temp_dir("consumer-suite");
    let file = dir.join("coverage.json");
    let mut served = Served::start(BIN, &["--coverage-report", file.to_str().unwrap()]);
    let run = vcc_command(BIN)
        .args(["run", "-q", "--base-url", served.base(), "--token", "suite-token-1"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(run.success());
    assert!(terminate(&mut served).success());
    let passed = consumer(&file, &[]);
    assert_eq!(passed.status.code(), Some(0), "{}", text(&passed.stdout));
    assert!(text(&passed.stdout).contains(": 32 of 32 documented items exercised\n"), "{}", text(&passed.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_report_path_stops_serve_before_it_listens() {
    let output = vcc_command(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--coverage-report", "/nonexistent-folder/c.json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--coverage-report /nonexistent-folder/c.json: cannot write there"), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "it never listened");
}
