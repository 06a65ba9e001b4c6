//! Observer: what a run tells as it goes, for whoever shows it (the libtest
//! console in [`crate::report::libtest`]; `diff` and `selftest` watch nothing).
//! The run calls it from one thread at a time, in plan order.

use crate::exec::plan::Plan;
use crate::result::CaseResult;
use crate::secrets::Redactor;

/// The run is about to send: what is tested, and the plan.
#[derive(Debug)]
pub struct Started<'a> {
    /// What is tested, as every output names it.
    pub target: &'a str,
    pub plan: &'a Plan,
    /// Hides the run's secrets from what is shown.
    pub redactor: &'a Redactor,
    /// The least time between two requests, when paced.
    pub pacing: Option<std::time::Duration>,
    /// The least time between two calls with one agent (`--agent-spacing`; zero: none).
    pub spacing: std::time::Duration,
}

/// The pre-flight found no answer and keeps trying (`--wait`).
#[derive(Debug)]
pub struct Waiting<'a> {
    /// The target, as every output names it.
    pub target: &'a str,
    /// Why the last attempt failed (redacted).
    pub why: &'a str,
    /// How much longer it keeps trying.
    pub left: std::time::Duration,
}

/// Watches a run. Every method has a default that does nothing.
pub trait Observer: Send + Sync {
    /// The pre-flight got no answer and tries again (`--wait`); told once.
    fn waiting(&self, _wait: &Waiting<'_>) {}
    /// Before the first case is sent (after the pre-flight).
    fn started(&self, _run: &Started<'_>) {}
    /// A planned case's result, `index` its place in the plan; called for every
    /// planned case, in plan order (filtered out and held back ones too).
    fn finished(&self, _index: usize, _result: &CaseResult) {}
}

/// Watching nothing.
impl Observer for () {}
