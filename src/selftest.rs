//! Self-test: runs the cases against the reference server with each fault, and
//! without, to show what the suite catches. A fault is "killed" when at least
//! one case fails against it; the faithful server and every harmless variation
//! must pass every case (no false alarms).

use std::time::Duration;

use crate::exec::load::Suite;
use crate::exec::patience::Patience;
use crate::exec::plan::Selection;
use crate::exec::spec::RunSpec;
use crate::exec::target::{AuthChoice, EMBEDDED_TOKEN, TargetSettings};
use crate::exec::{self, RunError};
use crate::secrets::Secret;
use crate::server::{self, faults::Fault, fixture::Fixture};

/// What one server did to the suite: the names of the cases that failed.
#[derive(Debug)]
pub struct Verdict {
    pub fault: Option<Fault>,
    pub failed: Vec<String>,
    pub total: usize,
}

impl Verdict {
    pub fn label(&self) -> &'static str {
        self.fault.map_or("(faithful)", Fault::name)
    }
}

/// Why the self-test could not run.
#[derive(Debug, thiserror::Error)]
pub enum SelftestError {
    #[error("could not start a reference server: {0}")]
    Server(std::io::Error),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Runs every case, all at once, against a fresh reference server with
/// `fault`, started on `servers`.
pub fn run_against(
    servers: &tokio::runtime::Runtime,
    fault: Option<Fault>,
    suite: &Suite,
    timeout: Duration,
) -> Result<Verdict, SelftestError> {
    let addr = servers.block_on(server::start_embedded(Fixture::builtin(), fault)).map_err(SelftestError::Server)?;
    let target = TargetSettings {
        base_url: Some(format!("http://{addr}")),
        auth: AuthChoice::Token(Secret::new(EMBEDDED_TOKEN)),
        timeout,
        // An agent that stays busy counts as a failure here: a harmless server
        // that keeps agents busy must be passed outright, not left unverified.
        patience: Patience { strict_busy: true, ..Patience::default() },
        ..TargetSettings::default()
    };
    let mut spec = RunSpec::new(target, suite.clone(), Selection::default());
    spec.width = suite.cases.len().max(1);
    spec.preflight = false;
    let outcome = exec::run(&spec, &())?;
    let mut failed: Vec<String> = outcome.failed().map(|r| r.case.name.clone()).collect();
    failed.sort();
    Ok(Verdict { fault, failed, total: suite.cases.len() })
}

/// The faithful server, then every fault.
pub fn run_all(suite: &Suite, timeout: Duration) -> Result<Vec<Verdict>, SelftestError> {
    run_some(suite, timeout, Fault::ALL)
}

/// The faithful server, then each of `faults`.
pub fn run_some(suite: &Suite, timeout: Duration, faults: &[Fault]) -> Result<Vec<Verdict>, SelftestError> {
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| SelftestError::Run(RunError::Runtime(e)))?;
    let mut verdicts = vec![run_against(&servers, None, suite, timeout)?];
    for fault in faults {
        verdicts.push(run_against(&servers, Some(*fault), suite, timeout)?);
    }
    servers.shutdown_background();
    Ok(verdicts)
}

impl Verdict {
    /// A fault that no case caught.
    pub fn survived(&self) -> bool {
        self.fault.is_some_and(|f| !f.is_harmless()) && self.failed.is_empty()
    }

    /// A faithful or harmless server that a case failed.
    pub fn false_alarm(&self) -> bool {
        self.fault.is_none_or(Fault::is_harmless) && !self.failed.is_empty()
    }
}

/// Whether every fault was caught, and no faithful or harmless server was flagged.
pub fn passed(verdicts: &[Verdict]) -> bool {
    !verdicts.iter().any(|v| v.survived() || v.false_alarm())
}

/// The score table: one row per server, then the mutation score.
pub fn table(verdicts: &[Verdict]) -> String {
    let width = verdicts.iter().map(|v| v.label().len()).max().unwrap_or(0).max(6);
    let mut out = format!("{:<width$} {:>7}  failing cases\n", "server", "failed");
    for v in verdicts {
        let shown: Vec<&str> = v.failed.iter().take(3).map(String::as_str).collect();
        let more = if v.failed.len() > 3 { format!(" (+{} more)", v.failed.len() - 3) } else { String::new() };
        let row = format!("{:<width$} {:>3}/{:<3}  {}{more}", v.label(), v.failed.len(), v.total, shown.join(", "));
        out.push_str(row.trim_end());
        out.push('\n');
    }
    let faults: Vec<&Verdict> = verdicts.iter().filter(|v| v.fault.is_some_and(|f| !f.is_harmless())).collect();
    let killed = faults.iter().filter(|v| !v.failed.is_empty()).count();
    out.push_str(&format!("mutation score: {killed}/{} faults killed\n", faults.len()));
    let harmless: Vec<&Verdict> = verdicts.iter().filter(|v| v.fault.is_none_or(Fault::is_harmless)).collect();
    let alarms = harmless.iter().filter(|v| v.false_alarm()).count();
    out.push_str(&format!("false alarms: {alarms}/{} faithful or harmless servers flagged\n", harmless.len()));
    out
}
