//! The suite must pass against the faithful reference server and every harmless
//! variation, and fail against each single deviation of it (each fault), naming
//! the cases that caught it. The faults written for the classes of issue 16
//! (`faults::FOR_THE_DERIVED_SUITE`) are caught by the derived cases alone.

use std::time::Duration;

use vcc_conformance::exec::load_shipped;
use vcc_conformance::selftest::{self, Verdict};
use vcc_conformance::server::faults::{FOR_THE_DERIVED_SUITE, Fault};

fn verdicts() -> Vec<Verdict> {
    let suite = load_shipped().expect("the shipped cases load");
    // A short timeout: one fault never answers.
    selftest::run_all(&suite, Duration::from_secs(2)).expect("the self-test runs")
}

fn labels(verdicts: &[Verdict], which: impl Fn(&Verdict) -> bool) -> Vec<&str> {
    verdicts.iter().filter(|v| which(v)).map(Verdict::label).collect()
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
    let survivors = labels(&verdicts, Verdict::survived);
    assert!(survivors.is_empty(), "faults the suite did not catch: {survivors:?}\n{table}");
    let false_alarms = labels(&verdicts, Verdict::false_alarm);
    assert!(false_alarms.is_empty(), "faithful or harmless servers flagged: {false_alarms:?}\n{table}");
    assert!(selftest::passed(&verdicts));

    assert!(verdicts.iter().filter(|v| v.fault.is_some_and(Fault::is_harmless)).count() >= 16, "{table}");
    let harmful = Fault::ALL.iter().filter(|f| !f.is_harmless()).count();
    assert!(harmful >= 80, "{harmful}");
    assert!(table.contains(&format!("mutation score: {harmful}/{harmful} faults killed\n")), "{table}");
}

#[test]
fn the_derived_suite_s_faults_are_named_once_each_with_a_class_of_the_issue() {
    for (at, (fault, class)) in FOR_THE_DERIVED_SUITE.iter().enumerate() {
        assert!(!fault.is_harmless(), "{}", fault.name());
        assert!((1..=6).contains(class), "{}: class {class}", fault.name());
        assert!(!FOR_THE_DERIVED_SUITE[..at].iter().any(|(f, _)| f == fault), "{} twice", fault.name());
    }
}
