//! A bounded load on the reference server: 32 concurrent clients place 64,000
//! calls in rounds, counted and timed (the time is printed, not asserted: speed
//! targets live in `benches/`); every one must succeed and resident memory must
//! stay flat after warm-up. Alone in its process so that the memory reading is
//! its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use vcc_conformance::server::{self, fixture::Fixture};

fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_load_gives_no_errors_and_flat_memory() {
    vcc_conformance::client::install_crypto();
    let addr = server::start_embedded(Fixture::builtin(), None).await.unwrap();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let url = format!("http://{addr}/v0/a1b2c3d4e5/calls/");
    let body = r#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}"#;
    let errors = Arc::new(AtomicUsize::new(0));
    let load = |count: usize| {
        let (http, url, errors) = (http.clone(), url.clone(), Arc::clone(&errors));
        async move {
            let mut workers = Vec::new();
            for _ in 0..32 {
                let (http, url, errors) = (http.clone(), url.clone(), Arc::clone(&errors));
                workers.push(tokio::spawn(async move {
                    for _ in 0..count / 32 {
                        let sent = http
                            .post(&url)
                            .header("authorization", "Bearer load")
                            .header("content-type", "application/json")
                            .body(body)
                            .timeout(Duration::from_secs(10))
                            .send()
                            .await;
                        let ok = match sent {
                            Ok(r) => r.status() == 201 && r.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            for w in workers {
                w.await.unwrap();
            }
        }
    };
    let started = std::time::Instant::now();
    load(8_000).await;
    let warm = resident_kib();
    for _ in 0..7 {
        load(8_000).await;
    }
    let after = resident_kib();
    let took = started.elapsed();
    println!("64000 calls in {took:.2?} ({:.0} a second)", 64_000.0 / took.as_secs_f64());
    assert_eq!(errors.load(Ordering::Relaxed), 0, "requests failed under load");
    if let (Some(warm), Some(after)) = (warm, after) {
        println!("resident memory: {warm} KiB after 8000 calls, {after} KiB after 64000");
        assert!(after < warm + 4 * 1024, "memory grew by {} KiB over 56000 placed calls", after - warm);
    }
}
