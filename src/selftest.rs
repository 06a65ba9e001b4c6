//! Self-test: runs the cases against the reference server with each fault, and
//! without, to show what the suite catches. A fault is "killed" when at least
//! one case fails against it; the faithful server and every harmless variation
//! must pass every case (no false alarms). The faults listed as awaiting the
//! derived suite ([`crate::server::faults::AWAITING_DERIVED`]) may survive, and
//! are counted apart.

use std::sync::Arc;
use std::time::Duration;

use crate::suite::Case;
use crate::client::Client;
use crate::secrets::Secret;
use crate::exec::executor::{Executor, Stop};
use crate::exec::plan::{Plan, Selection};
use crate::exec::target::EMBEDDED_TOKEN;
use crate::suite::Schemas;
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

/// Runs every case, concurrently, against a fresh embedded server with `fault`.
pub async fn run_against(
    fault: Option<Fault>,
    cases: Arc<Vec<Case>>,
    schemas: Arc<Schemas>,
    timeout: Duration,
) -> Result<Verdict, String> {
    let addr = server::start_embedded(Fixture::builtin(), fault).await.map_err(|e| e.to_string())?;
    let client = Client::new(&format!("http://{addr}"), Some(Secret::new(EMBEDDED_TOKEN)), timeout)?;
    let executor = Arc::new(Executor { client: Arc::new(client), schemas, keep_passing: false, stop: Stop::default(), seen: Default::default() });
    let plan = Plan::new(cases.to_vec(), &Selection::default(), false);
    let results = executor.run_all(&plan, cases.len()).await;
    let mut failed: Vec<String> = results.iter().filter(|r| r.failed()).map(|r| r.case.name.clone()).collect();
    failed.sort();
    Ok(Verdict { fault, failed, total: cases.len() })
}

/// The faithful server, then every fault.
pub async fn run_all(cases: Vec<Case>, schemas: Schemas, timeout: Duration) -> Result<Vec<Verdict>, String> {
    run_some(cases, schemas, timeout, Fault::ALL).await
}

/// The faithful server, then each of `faults`.
pub async fn run_some(cases: Vec<Case>, schemas: Schemas, timeout: Duration, faults: &[Fault]) -> Result<Vec<Verdict>, String> {
    let (cases, schemas) = (Arc::new(cases), Arc::new(schemas));
    let mut verdicts = vec![run_against(None, Arc::clone(&cases), Arc::clone(&schemas), timeout).await?];
    for fault in faults {
        verdicts.push(run_against(Some(*fault), Arc::clone(&cases), Arc::clone(&schemas), timeout).await?);
    }
    Ok(verdicts)
}

impl Verdict {
    /// A fault that no case caught, and that is not awaiting the derived suite.
    pub fn survived(&self) -> bool {
        self.fault.is_some_and(|f| !f.is_harmless() && f.awaiting_derived().is_none()) && self.failed.is_empty()
    }

    /// A faithful or harmless server that a case failed.
    pub fn false_alarm(&self) -> bool {
        self.fault.is_none_or(Fault::is_harmless) && !self.failed.is_empty()
    }
}

/// Whether every fault but those awaiting the derived suite was caught, and no
/// faithful or harmless server was flagged.
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
        let awaiting = match v.fault.and_then(Fault::awaiting_derived) {
            Some(class) if v.failed.is_empty() => format!("(awaiting the derived suite: issue 16, class {class})"),
            Some(_) => "(caught: take it off the awaiting list)".to_owned(),
            None => String::new(),
        };
        let row = format!("{:<width$} {:>3}/{:<3}  {}{more}{awaiting}", v.label(), v.failed.len(), v.total, shown.join(", "));
        out.push_str(row.trim_end());
        out.push('\n');
    }
    let faults: Vec<&Verdict> = verdicts.iter().filter(|v| v.fault.is_some_and(|f| !f.is_harmless())).collect();
    let killed = faults.iter().filter(|v| !v.failed.is_empty()).count();
    let awaiting = faults.iter().filter(|v| v.fault.and_then(Fault::awaiting_derived).is_some() && v.failed.is_empty()).count();
    let apart = if awaiting > 0 { format!(" ({awaiting} surviving faults await the derived suite)") } else { String::new() };
    out.push_str(&format!("mutation score: {killed}/{} faults killed{apart}\n", faults.len()));
    let harmless: Vec<&Verdict> = verdicts.iter().filter(|v| v.fault.is_none_or(Fault::is_harmless)).collect();
    let alarms = harmless.iter().filter(|v| v.false_alarm()).count();
    out.push_str(&format!("false alarms: {alarms}/{} faithful or harmless servers flagged\n", harmless.len()));
    out
}
