//! The libtest adapter: one libtest-mimic trial per planned case, so that the
//! run prints and counts as `cargo test` does (and nextest can list and run
//! single cases). The trials only wait for results the executor already sent
//! for; each result is kept for the reports.

use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::exec::executor::Executor;
use crate::exec::plan::{Action, Plan};
use crate::report::text;
use crate::result::{CaseResult, Verdict};

/// The results the trials collected, in the order they finished.
pub type Collected = Arc<Mutex<Vec<CaseResult>>>;

/// Cases in flight at once unless `--test-threads` says otherwise. A case mostly
/// waits on the network, so more than the cores; pacing (`--max-rps`) still
/// bounds what a deployment sees.
pub const DEFAULT_TEST_THREADS: usize = 8;

/// How many cases are in flight at once: `--test-threads`, at least 1.
pub fn width(args: &Arguments) -> Result<usize, String> {
    match args.test_threads {
        Some(0) => Err("--test-threads must be at least 1".into()),
        Some(n) => Ok(n),
        None => Ok(DEFAULT_TEST_THREADS),
    }
}

/// The arguments libtest-mimic gets: our selection is already in the plan, so
/// it filters out exactly the cases the plan did (and counts them so), and runs
/// the trials on one thread (the executor has them in flight already).
pub fn libtest_arguments(args: &Arguments, plan: &Plan) -> Arguments {
    let skip = plan.items.iter().filter(|p| p.action == Action::FilteredOut).map(|p| p.case.test_name()).collect();
    Arguments { filter: None, exact: true, skip, test_threads: Some(1), ..args.clone() }
}

/// The trials of `plan`, fed by the executor; a failure's text in `style`,
/// through the executor's redactor. With `send` false (`--list`, `--ignored`)
/// nothing is sent ahead.
pub fn trials(
    plan: &Plan,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Handle,
    width: usize,
    collected: &Collected,
    send: bool,
    style: text::Style,
) -> Vec<Trial> {
    let pending = if send {
        executor.send_ahead(plan, width, runtime)
    } else {
        plan.items.iter().map(|_| None).collect()
    };
    let redactor = Arc::new(executor.client.redactor().clone());
    plan.items
        .iter()
        .zip(pending)
        .map(|(item, rx)| {
            let (case, collected) = (item.case.clone(), Arc::clone(collected));
            match item.action {
                Action::Hold(reason) => Trial::ignorable_test(case.test_name(), move || {
                    push(&collected, CaseResult::ignored(&case, reason));
                    Ok(Completion::ignored_with(reason))
                }),
                _ => {
                    let (executor, redactor, runtime) = (Arc::clone(executor), Arc::clone(&redactor), runtime.clone());
                    Trial::ignorable_test(case.test_name(), move || {
                        // Sent ahead; should that task have died, sent now.
                        let result = match rx.and_then(|rx| rx.blocking_recv().ok()) {
                            Some(result) => result,
                            None => runtime.block_on(executor.run_case(&case)),
                        };
                        let outcome = match result.verdict {
                            Verdict::Passed | Verdict::Ignored(_) => Ok(Completion::Completed),
                            _ => Err(Failed::from(text::case_text_styled(&result, &redactor, style))),
                        };
                        push(&collected, result);
                        outcome
                    })
                }
            }
        })
        .collect()
}

fn push(collected: &Collected, result: CaseResult) {
    if let Ok(mut all) = collected.lock() {
        all.push(result);
    }
}
