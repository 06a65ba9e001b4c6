//! Spec: a run described once, before anything is opened or sent. What is
//! tested (the target settings), the loaded suite, which cases are selected,
//! how many are in flight at once, and what the run keeps. `run`, `diff` and
//! `selftest` each build one and hand it to [`crate::exec::run`].

use crate::exec::load::Suite;
use crate::exec::plan::{Plan, Selection};
use crate::exec::target::TargetSettings;
use crate::secrets::Redactor;

/// Cases in flight at once unless `--test-threads` says otherwise. A case mostly
/// waits on the network, so more than the cores; pacing (`--max-rps`) still
/// bounds what a deployment sees.
pub const DEFAULT_WIDTH: usize = 8;

/// Cases in flight at once as `--test-threads` says (`None`: it says 0, which
/// would run nothing), else [`DEFAULT_WIDTH`].
pub fn width(libtest: &libtest_mimic::Arguments) -> Option<usize> {
    match libtest.test_threads {
        Some(0) => None,
        Some(n) => Some(n),
        None => Some(DEFAULT_WIDTH),
    }
}

/// One run, described whole.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub target: TargetSettings,
    pub suite: Suite,
    pub selection: Selection,
    /// Cases in flight at once (at least 1).
    pub width: usize,
    /// Keep the exchange of passing cases too (the HTML report, the verbose mode).
    pub keep_passing: bool,
    /// Stop on Ctrl-C or SIGTERM (the commands do; a library caller may not want
    /// its process's signals taken).
    pub stop_on_signal: bool,
    /// Prove the target with a pre-flight request before the first case (the
    /// self-test does not: a server that never answers is a fault to catch).
    pub preflight: bool,
    /// Hold back the cases that may place a call whatever the target (`diff`,
    /// when either side is off loopback); `None`: as the target decides.
    pub hold_real_calls: Option<bool>,
    /// A redactor shared with another run (both sides of `diff`), so that every
    /// secret of either is hidden from what both show.
    pub shared_redactor: Option<Redactor>,
}

impl RunSpec {
    /// A spec that sends every selected case, `DEFAULT_WIDTH` at a time.
    pub fn new(target: TargetSettings, suite: Suite, selection: Selection) -> RunSpec {
        RunSpec {
            target,
            suite,
            selection,
            width: DEFAULT_WIDTH,
            keep_passing: false,
            stop_on_signal: false,
            preflight: true,
            hold_real_calls: None,
            shared_redactor: None,
        }
    }

    /// The plan this spec makes, without opening anything: the selection, and
    /// the real-call guard as the target settings decide it.
    pub fn plan(&self) -> Plan {
        Plan::new(self.suite.cases.to_vec(), &self.selection, self.hold_real_calls.unwrap_or(self.target.guards_real_calls()))
    }
}
