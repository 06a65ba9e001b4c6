//! The console: the run as `cargo test` prints it, through libtest-mimic. One
//! trial per planned case, so that the run counts as `cargo test` does (and
//! nextest can list and run single cases); the [`Console`] is the run's
//! [`Observer`]: it names the target first, then hands each case's result to
//! the trial that waits for it, as text for a person ([`text`]). After the run,
//! [`tail`] prints what `cargo test` has no place for: the passing exchanges in
//! verbose mode, transport failures grouped, the cases sent again, how the
//! calls were kept apart per agent, and the contract line.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, FormatSetting, Trial};

use crate::exchange::TransportKind;
use crate::exec::observer::{Observer, Started, Waiting};
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
    fn waiting(&self, wait: &Waiting<'_>) {
        eprintln!(
            "note: {} does not answer yet ({}); trying again for up to {:.0} s (--wait)",
            wait.target,
            wait.why,
            wait.left.as_secs_f64().ceil()
        );
    }

    fn started(&self, run: &Started<'_>) {
        if self.json() {
            out::line(&serde_json::json!({"type": "target", "target": run.target, "tool": RunInfo::TOOL}).to_string());
        } else {
            out::line(&format!("target: {}", run.target));
        }
        if let Some(interval) = run.pacing {
            let rate = 1.0 / interval.as_secs_f64();
            let note = format!("pacing: at most {rate:.3} requests a second (--max-rps)");
            aside(self.json(), &note);
        }
        if !run.spacing.is_zero() && run.plan.to_send().any(crate::suite::Case::may_place_call) {
            let note = format!(
                "agent spacing: at least {:.1} s between two calls with one agent, the cases that cannot place one first (--agent-spacing)",
                run.spacing.as_secs_f64()
            );
            aside(self.json(), &note);
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

/// A note beside the cases: on stderr when stdout carries JSON lines, else on
/// stdout, through [`out::line`] (a reader gone away ends the printing, not the run).
fn aside(json: bool, text: &str) {
    if json { eprintln!("{text}") } else { out::line(text) }
}

/// After the cases: the exchange of each passing case (`verbose`), the cases
/// that got no answer for one reason, grouped, and the contract line (or, in
/// JSON, the whole contract matrix).
pub fn tail(outcome: &RunOutcome, rows: &[Row], verbose: bool, json: bool) {
    if verbose {
        print_successes(outcome);
    }
    print_transport_groups(outcome);
    for line in retried_line(outcome).into_iter().chain(agents_line(outcome)).chain(busy_hint(outcome)) {
        aside(json, &line);
    }
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

/// The cases that were sent more than once, in one line: `sent again: 2 cases
/// needed a retry: a (calling agent 1234 busy), b (connection refused ×2)`.
fn retried_line(outcome: &RunOutcome) -> Option<String> {
    let retried: Vec<String> = outcome
        .results
        .iter()
        .filter(|r| !r.retries.is_empty())
        .map(|r| {
            let mut whys: Vec<(String, usize)> = Vec::new();
            for why in r.retries.iter().map(crate::result::Retry::why) {
                match whys.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, n)) => *n += 1,
                    None => whys.push((why, 1)),
                }
            }
            let whys: Vec<String> = whys.into_iter().map(|(w, n)| if n > 1 { format!("{w} ×{n}") } else { w }).collect();
            let end = if r.verdict == Verdict::NotRun(NotRun::AgentStayedBusy) { "; not verified: it stayed busy" } else { "" };
            format!("{} ({}{end})", r.case.name, crate::peer_text::visible(&whys.join(", ")))
        })
        .collect();
    match retried.len() {
        0 => None,
        1 => Some(format!("sent again: 1 case needed a retry: {}", retried[0])),
        n => Some(format!("sent again: {n} cases needed a retry: {}", retried.join(", "))),
    }
}

/// How the calls were kept apart, when it showed: per agent, the calls that
/// held it and the widest spacing they went by; the waiting in all; the
/// calls spread over spare agents or numbers.
fn agents_line(outcome: &RunOutcome) -> Option<String> {
    let scheduled: Vec<&crate::result::Scheduling> = outcome.results.iter().filter_map(|r| r.scheduling.as_ref()).collect();
    let waited: std::time::Duration = scheduled.iter().map(|s| s.waited).sum();
    let spread = scheduled.iter().filter(|s| !s.spread.is_empty()).count();
    if waited.is_zero() && spread == 0 {
        return None;
    }
    let mut agents: Vec<(&str, usize, std::time::Duration)> = Vec::new();
    for s in &scheduled {
        for agent in &s.agents {
            match agents.iter_mut().find(|(a, _, _)| a == agent) {
                Some((_, calls, spacing)) => {
                    *calls += 1;
                    *spacing = (*spacing).max(s.spacing);
                }
                None => agents.push((agent, 1, s.spacing)),
            }
        }
    }
    let each: Vec<String> = agents
        .iter()
        .map(|(agent, calls, spacing)| format!("{} {calls} at least {:.1} s apart", crate::peer_text::visible(agent), spacing.as_secs_f64()))
        .collect();
    let spread = if spread > 0 { format!("; {spread} spread over spare agents or numbers") } else { String::new() };
    Some(format!(
        "agents: {} calls, one at a time per agent ({}); {:.1} s waited in all for an agent to be free{spread}",
        scheduled.len(),
        each.join(", "),
        waited.as_secs_f64()
    ))
}

/// Cases that failed on the page's busy message without being sent again:
/// the run had placed no call with that agent, so something else keeps it
/// busy (an earlier run's last calls, a person): said once, as a hint.
fn busy_hint(outcome: &RunOutcome) -> Option<String> {
    let busy = outcome
        .failed()
        .filter(|r| r.retries.is_empty() && r.response.as_ref().is_some_and(|resp| crate::exec::patience::busy_side(resp).is_some()))
        .count();
    (busy > 0).then(|| {
        format!(
            "note: {busy} failed {} answered that an agent is busy, an agent this run had placed no call with: if an \
             earlier run or a person keeps it busy, wait a while (--agent-spacing) before running again",
            if busy == 1 { "case was" } else { "cases were" }
        )
    })
}
