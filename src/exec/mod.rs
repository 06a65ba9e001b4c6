//! Execution: a run described once ([`spec::RunSpec`]) and executed once
//! ([`run`]), telling an [`observer::Observer`] as it goes and returning the one
//! [`RunOutcome`] that every report reads. [`load`] reads the suite, [`plan`]
//! decides which cases are sent, [`target`] opens what is tested (and proves it
//! answers), [`executor`] sends and checks, [`agents`] keeps the calls of one
//! agent apart, [`spread`] shares them out over spare agents and numbers,
//! [`patience`] says when a case is sent again, [`record`] keeps the failed
//! cases for `--rerun-failed`, [`signals`] stops a run on Ctrl-C. `run`, `diff`
//! and `selftest` all go through here; nothing here prints.

pub mod agents;
pub mod executor;
pub mod load;
pub mod observer;
pub mod patience;
pub mod plan;
pub mod record;
pub mod signals;
pub mod spec;
pub mod spread;
pub mod target;

use std::sync::Arc;
use std::time::Instant;

use crate::result::{CaseResult, NotRun, RunInfo, RunOutcome, Verdict};
use executor::{Executor, Stop};
use observer::{Observer, Started};
use plan::{Action, Plan};
use target::{Target, TargetError};

pub use load::{LoadError, Suite, SuiteSettings, load, load_shipped};
pub use spec::RunSpec;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Ctrl-C or SIGTERM before the first case was sent.
    #[error("interrupted before the first case was sent")]
    Interrupted,
}

/// Runs `spec`: opens the target, proves it, sends the cases and returns what
/// became of every planned case. `observer` is told as it goes.
pub fn run(spec: &RunSpec, observer: &dyn Observer) -> Result<RunOutcome, RunError> {
    Ok(open_watched(spec, observer)?.run(observer))
}

/// `work`, unless the run is stopped first.
async fn until_stopped<T>(stop: &Stop, work: impl Future<Output = Result<T, RunError>>) -> Result<T, RunError> {
    tokio::select! {
        biased;
        () = stop.stopped() => Err(RunError::Interrupted),
        result = work => result,
    }
}

/// A run whose target is open and proven, ready to send.
pub struct Opened<'s> {
    spec: &'s RunSpec,
    runtime: tokio::runtime::Runtime,
    target: Target,
    plan: Plan,
    stop: Stop,
}

/// Opens `spec`'s target (starting the embedded server if there is no base
/// URL) and, when cases are to be sent, proves it with the pre-flight request.
/// Everything that can stop a run before its first case stops it here.
pub fn open(spec: &RunSpec) -> Result<Opened<'_>, RunError> {
    open_watched(spec, &())
}

/// [`open`], telling `observer` while the pre-flight waits for the target (`--wait`).
pub fn open_watched<'s>(spec: &'s RunSpec, observer: &dyn Observer) -> Result<Opened<'s>, RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let stop = Stop::default();
    if spec.stop_on_signal {
        signals::watch_in_background(stop.clone());
    }
    let mut target = runtime.block_on(until_stopped(&stop, async { Ok(Target::open(&spec.target).await?) }))?;
    if let Some(shared) = &spec.shared_redactor {
        target = target.sharing(shared);
    }
    let plan = spec.plan();
    if spec.preflight && plan.to_send().next().is_some() {
        let account_key = plan.account_key();
        let preflight = target.preflight_waiting(&account_key, spec.target.patience.wait, observer);
        runtime.block_on(until_stopped(&stop, async { Ok(preflight.await?) }))?;
    }
    Ok(Opened { spec, runtime, target, plan, stop })
}

impl Opened<'_> {
    /// The plan this run follows.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// What is tested, as every output names it.
    pub fn describe(&self) -> String {
        self.target.describe()
    }

    /// Sends the plan's cases, at most `width` in flight, and returns what
    /// became of each planned case, in plan order.
    pub fn run(self, observer: &dyn Observer) -> RunOutcome {
        let Opened { spec, runtime, target, plan, stop } = self;
        let started = chrono::Utc::now();
        let clock = Instant::now();
        let describe = target.describe();
        let pacing = target.client.pacing();
        let sendings = spec.suite.spares.sendings(&plan);
        let everyone = sendings.iter().flatten().filter(|s| s.case.may_place_call()).flat_map(|s| {
            let named = agents::Named::of(&s.case.request);
            named.agents().map(str::to_owned).collect::<Vec<_>>()
        });
        let executor = Arc::new(Executor {
            client: Arc::new(target.client),
            schemas: Arc::clone(&spec.suite.schemas),
            keep_passing: spec.keep_passing,
            stop: stop.clone(),
            seen: Default::default(),
            agents: agents::Agents::new(target.agent_spacing, everyone),
            patience: spec.target.patience.clone(),
        });
        let redactor = executor.client.redactor().clone();
        let spacing = target.agent_spacing;
        observer.started(&Started { target: &describe, plan: &plan, redactor: &redactor, pacing, spacing });
        let pending = executor.send_ahead(sendings, spec.width, runtime.handle());
        let results = runtime.block_on(async {
            let mut results = Vec::with_capacity(plan.items.len());
            for (index, (item, pending)) in plan.items.iter().zip(pending).enumerate() {
                let result = match (&item.action, pending) {
                    (Action::FilteredOut, _) => CaseResult::unsent(&item.case, Verdict::FilteredOut),
                    (Action::Hold(reason), _) => CaseResult::unsent(&item.case, Verdict::Held(*reason)),
                    // A case due to be sent has its receiver; without one, or an answer, it was stopped.
                    (Action::Send, pending) => {
                        let answer = match pending {
                            Some(rx) => rx.await.ok(),
                            None => None,
                        };
                        answer.unwrap_or_else(|| CaseResult::unsent(&item.case, Verdict::NotRun(NotRun::Interrupted)))
                    }
                };
                observer.finished(index, &result);
                results.push(result);
            }
            results
        });
        runtime.shutdown_background();
        let run = RunInfo { target: describe, started, total: clock.elapsed(), interrupted: stop.is_stopped() };
        RunOutcome { run, results, redactor }
    }
}
