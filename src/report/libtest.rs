//! The console: the run as `cargo test` prints it, through libtest-mimic. One
//! trial per planned case, so that the run counts as `cargo test` does (and
//! nextest can list and run single cases); the [`Console`] is the run's
//! [`Observer`]: it names the target first, then hands each case's result to
//! the trial that waits for it, as text for a person ([`text`]). After the run,
//! [`tail`] prints what `cargo test` has no place for: the passing exchanges in
//! verbose mode, transport failures grouped, and the contract line.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, FormatSetting, Trial};

use crate::exchange::TransportKind;
use crate::exec::observer::{Observer, Started};
use crate::exec::plan::{Action, Plan};
use crate::report::json;
use crate::report::matrix::{self, Row};
use crate::report::text::{self, Style};
use crate::result::{CaseResult, NotRun, RunInfo, RunOutcome, Verdict};
use crate::secrets::Redactor;
use crate::report::out;

/// What a trial reports, and the line it prints first: the case's JSON event
/// under `--format json` ([`json::case_event`]), so that it sits beside
/// libtest's own lines for the case.
type Reported = (Result<Completion, Failed>, Option<String>);

/// The arguments libtest-mimic gets: our selection is already in the plan, so
/// it filters out exactly the cases the plan did (and counts them so), and runs
/// the trials on one thread (the run has them in flight already).
fn libtest_arguments(args: &Arguments, plan: &Plan) -> Arguments {
    let skip = plan.items.iter().filter(|p| p.action == Action::FilteredOut).map(|p| p.case.test_name()).collect();
    Arguments { filter: None, exact: true, skip, test_threads: Some(1), ..args.clone() }
}

/// A trial per planned case; each waiting for what `receivers` brings it.
fn trials(plan: &Plan, mut receivers: Vec<Option<Receiver<Reported>>>) -> Vec<Trial> {
    plan.items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let rx = receivers.get_mut(index).and_then(Option::take);
            let otherwise = match item.action {
                Action::Hold(reason) => reason.text(),
                _ => NotRun::Interrupted.text(),
            };
            Trial::ignorable_test(item.case.test_name(), move || {
                let (reported, event) = rx.and_then(|rx| rx.recv().ok()).unwrap_or((Ok(Completion::ignored_with(otherwise)), None));
                if let Some(event) = event {
                    out::line(&event);
                }
                reported
            })
        })
        .collect()
}

/// Lists the plan's cases as libtest does (`--list`); nothing is sent.
pub fn list(args: &Arguments, plan: &Plan) -> Conclusion {
    libtest_mimic::run(&libtest_arguments(args, plan), trials(plan, Vec::new()))
}

#[derive(Default)]
struct State {
    senders: Vec<Option<Sender<Reported>>>,
    libtest: Option<JoinHandle<Conclusion>>,
    redactor: Redactor,
}

/// The console observer: libtest-mimic on a thread of its own, fed the results.
pub struct Console {
    args: Arguments,
    style: Style,
    state: Mutex<State>,
}

impl Console {
    /// A console for libtest's options `args`, failures shown in `style`.
    pub fn new(args: &Arguments, style: Style) -> Console {
        Console { args: args.clone(), style, state: Mutex::default() }
    }

    fn json(&self) -> bool {
        self.args.format == Some(FormatSetting::Json)
    }

    /// Waits for libtest to print its summary; its conclusion, if it ran.
    pub fn finish(&self) -> Option<Conclusion> {
        let handle = {
            let mut state = self.state.lock().ok()?;
            state.senders.clear();
            state.libtest.take()
        };
        handle.and_then(|h| h.join().ok())
    }
}

impl Observer for Console {
    fn started(&self, run: &Started<'_>) {
        if self.json() {
            out::line(&serde_json::json!({"type": "target", "target": run.target, "tool": RunInfo::TOOL}).to_string());
        } else {
            out::line(&format!("target: {}", run.target));
        }
        if let Some(interval) = run.pacing {
            let rate = 1.0 / interval.as_secs_f64();
            let note = format!("pacing: at most {rate:.3} requests a second (--max-rps)");
            if self.json() { eprintln!("{note}") } else { println!("{note}") }
        }
        let (senders, receivers): (Vec<_>, Vec<_>) = run
            .plan
            .items
            .iter()
            .map(|item| match item.action {
                Action::Send | Action::Hold(_) => {
                    let (tx, rx) = channel();
                    (Some(tx), Some(rx))
                }
                Action::FilteredOut => (None, None),
            })
            .unzip();
        let args = libtest_arguments(&self.args, run.plan);
        let trials = trials(run.plan, receivers);
        if let Ok(mut state) = self.state.lock() {
            state.senders = senders;
            state.redactor = run.redactor.clone();
            state.libtest = Some(std::thread::spawn(move || libtest_mimic::run(&args, trials)));
        }
    }

    fn finished(&self, index: usize, result: &CaseResult) {
        let Ok(mut state) = self.state.lock() else { return };
        let Some(tx) = state.senders.get_mut(index).and_then(Option::take) else { return };
        let reported = match &result.verdict {
            Verdict::Failed(_) | Verdict::Broken(_) => Err(Failed::from(text::case_text_styled(result, &state.redactor, self.style))),
            Verdict::Passed | Verdict::FilteredOut => Ok(Completion::Completed),
            Verdict::Held(_) | Verdict::NotRun(_) => Ok(Completion::ignored_with(result.ignored_reason().unwrap_or_default())),
        };
        let event = self.json().then(|| json::case_event(result, &state.redactor).to_string());
        let _ = tx.send((reported, event));
    }
}

/// After the cases: the exchange of each passing case (`verbose`), the cases
/// that got no answer for one reason, grouped, and the contract line (or, in
/// JSON, the whole contract matrix).
pub fn tail(outcome: &RunOutcome, rows: &[Row], verbose: bool, json: bool) {
    if verbose {
        print_successes(outcome);
    }
    print_transport_groups(outcome);
    if json {
        out::line(&serde_json::json!({"type": "contract", "items": matrix::to_json(rows)}).to_string());
    } else {
        out::line(&matrix::summary(rows));
    }
}

/// `--nocapture`/`--show-output`: the exchange of each passing case, as cargo
/// prints a passing test's output.
fn print_successes(outcome: &RunOutcome) {
    let passed: Vec<&CaseResult> = outcome.results.iter().filter(|r| r.passed()).collect();
    if passed.is_empty() {
        return;
    }
    out::line("successes:\n");
    for r in &passed {
        out::line(&format!("---- {} stdout ----\n{}", r.case.name, text::case_text(r, &outcome.redactor)));
    }
}

/// Many cases that got no answer for the same reason say so once.
fn print_transport_groups(outcome: &RunOutcome) {
    let mut groups: Vec<(TransportKind, Vec<&str>)> = Vec::new();
    for r in &outcome.results {
        if let Verdict::Broken(e) = &r.verdict {
            match groups.iter_mut().find(|(k, _)| *k == e.kind) {
                Some((_, names)) => names.push(&r.case.name),
                None => groups.push((e.kind, vec![&r.case.name])),
            }
        }
    }
    for (kind, names) in groups.iter().filter(|(_, n)| n.len() > 1) {
        let hint = kind.hint().map(|h| format!(" ({h})")).unwrap_or_default();
        out::line(&format!("{} cases got no usable response: {}{hint}", names.len(), kind.label()));
    }
}
