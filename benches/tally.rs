//! The consumer coverage's cost on the server's hot path: what
//! `Tally::record` adds to each answer of the calls endpoint (reading the body
//! again, mapping it to the items it exercised, counting under one lock), and
//! what a report of a full table costs. Prints one row per kind of answer
//! (median of 7 runs of 200,000 answers, spread over 100 clients) and exits 1
//! when one takes over its target: the server answers a call in about 25 us
//! (40,000 a second on this machine), and counting may add a tenth of that.
//!
//! ```text
//! cargo bench --bench tally
//! ```

use std::net::IpAddr;
use std::time::Instant;

use vcc_conformance::server::exercised::Catalog;
use vcc_conformance::server::rules::Rejection;
use vcc_conformance::server::tally::{Client, Tally};

/// The most counting one answer may take (release build), in microseconds: a
/// tenth of an answer.
const TARGET_US: f64 = 2.5;

/// The most a report of a table of 100 clients may take, in milliseconds.
const REPORT_TARGET_MS: f64 = 5.0;

const ANSWERS: usize = 200_000;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let tally = Tally::new(Catalog::shipped().expect("the shipped contract"), 100);
    let clients: Vec<Client> = (0..100u8).map(|i| Client::Address(IpAddr::from([127, 0, 1, i]))).collect();
    let refused = |status, message: &str| Rejection { status, message: message.to_owned() };
    let too_long = refused(400, "Telephone number exceeds 30 characters");
    let (unsupported, undocumented) = (refused(415, "x"), refused(400, "Use either from.agentId or from.groups, not both"));
    let reference = format!(
        r#"{{"from":{{"agentId":"1234"}},"to":{{"telephoneNumber":"02072068888"}},"regarding":{{"reference":"{}"}}}}"#,
        "a".repeat(2000)
    );
    let kinds: [(&str, &[u8], Result<(), &Rejection>); 5] = [
        ("201, example 1", br#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}"#, Ok(())),
        ("201, 2000-char reference", reference.as_bytes(), Ok(())),
        ("400, a limit's message", br#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"7777777777777777777777777777777"}}"#, Err(&too_long)),
        ("400, undocumented", br#"{"from":{"agentId":"1234","groups":["030"]},"to":{"telephoneNumber":"1"}}"#, Err(&undocumented)),
        ("415", b"--x--", Err(&unsupported)),
    ];
    let mut missed = 0;
    println!("{:<28} {:>10}  target <= {TARGET_US} us", "counting one answer", "us");
    for (name, body, answer) in kinds {
        let times = (0..7)
            .map(|_| {
                let started = Instant::now();
                for i in 0..ANSWERS {
                    tally.record(clients[i % clients.len()].clone(), std::hint::black_box(body), answer);
                }
                started.elapsed().as_secs_f64() * 1e6 / ANSWERS as f64
            })
            .collect();
        let us = median(times);
        let met = us <= TARGET_US;
        missed += usize::from(!met);
        println!("{name:<28} {us:>10.3}  {}", if met { "yes" } else { "NO" });
    }
    let report_ms = median(
        (0..7)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(tally.report().to_json());
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    let met = report_ms <= REPORT_TARGET_MS;
    missed += usize::from(!met);
    println!("{:<28} {report_ms:>10.3}  ms, target <= {REPORT_TARGET_MS} ms: {}", "report of 100 clients", if met { "yes" } else { "NO" });
    std::process::exit(i32::from(missed > 0));
}
