//! The suite must pass against the faithful reference server and fail against
//! each single deviation of it (each fault), naming the cases that caught it.

use std::time::Duration;

use vcc_conformance::exec::load_shipped;
use vcc_conformance::selftest::{self, Verdict};

fn verdicts() -> Vec<Verdict> {
    let (cases, schemas) = load_shipped().expect("the shipped cases load");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // A short timeout: one fault never answers.
    runtime.block_on(selftest::run_all(cases, schemas, Duration::from_secs(2))).expect("the self-test runs")
}

#[test]
fn faithful_server_passes_and_every_fault_is_killed() {
    let verdicts = verdicts();
    let table = selftest::table(&verdicts);
    println!("{table}");
    let faithful = &verdicts[0];
    assert!(faithful.fault.is_none());
    assert!(faithful.total >= 90, "{table}");
    assert!(faithful.failed.is_empty(), "the faithful server failed cases:\n{table}");
    let survivors: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.fault.is_some_and(|f| !f.is_harmless()) && v.failed.is_empty())
        .map(Verdict::label)
        .collect();
    assert!(survivors.is_empty(), "faults the suite did not catch: {survivors:?}\n{table}");
    let false_alarms: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.fault.is_some_and(|f| f.is_harmless()) && !v.failed.is_empty())
        .map(Verdict::label)
        .collect();
    assert!(false_alarms.len() < 1, "harmless variations flagged: {false_alarms:?}\n{table}");
    assert!(verdicts.iter().filter(|v| v.fault.is_some_and(|f| f.is_harmless())).count() >= 16, "{table}");
    assert!(selftest::passed(&verdicts));
    let harmful = vcc_conformance::server::faults::Fault::ALL.iter().filter(|f| !f.is_harmless()).count();
    assert!(harmful >= 50, "{harmful}");
    assert!(table.contains(&format!("mutation score: {harmful}/{harmful} faults killed")), "{table}");
}
