//! `diff`: every selected case at two deployments, A (`--base-url`) and B
//! (`--against`), compared answer by answer. A case counts as "same" only when
//! both sides answered; a side that cannot be reached, or two sides that refuse
//! every request, stop the run with status 2 rather than agree on nothing.
//!
//! Exit status: 0 they answer alike, 1 some case differs or was not compared,
//! 2 the run could not start.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{ArgMatches, Args};
use libtest_mimic::{Arguments, FormatSetting};

use crate::cli::fail;
use crate::cli::options::{SuiteArgs, TargetArgs, given_as_flag};
use crate::secrets::Redactor;
use crate::diff::{self, Comparison};
use crate::exec::executor::{Executor, Stop};
use crate::exec::plan::{Plan, Selection, is_loopback};
use crate::exec::target::{AuthChoice, Target};
use crate::exec;

pub const AFTER_HELP: &str = "\
Every option can also come from its VCC_* environment variable (flags win). Static tokens only.

Exit status: 0 both sides answered every case alike, 1 a case differs or a side gave no answer,
2 the run could not start (a side unreachable, or both refusing every request).";

/// The options of `diff`.
#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// Side A is --base-url (with --token); side B:
    #[command(flatten)]
    pub target: TargetArgs,
    /// Side B: the deployment to compare A with
    #[arg(long, env = "VCC_AGAINST", value_name = "URL")]
    pub against: String,
    /// Side B's bearer token (default: A's)
    #[arg(long, env = "VCC_AGAINST_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub against_token: Option<String>,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Selection and output, as with `run` (--list, --exact, --skip, -q, --format json, --test-threads)
    #[command(flatten)]
    pub libtest: Arguments,
    /// More filters: a case runs when its name contains any of them (with --exact: equals one)
    #[arg(value_name = "FILTERS", num_args = 0..)]
    pub filters: Vec<String>,
}

/// Runs the comparison.
pub fn diff(args: &DiffArgs, matches: &ArgMatches) -> ExitCode {
    let mut a = match args.target.settings(|id| given_as_flag(matches, id)) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if matches!(a.auth, AuthChoice::ClientCredentials { .. }) {
        return fail(
            "diff takes static tokens only (--token or VCC_TOKEN, --against-token), not client credentials \
             (--client-id/--client-secret or VCC_CLIENT_ID/VCC_CLIENT_SECRET)",
        );
    }
    let Some(base_a) = a.base_url.clone() else {
        return fail("diff needs --base-url A (or VCC_BASE_URL) and --against B");
    };
    let mut b = a.clone();
    b.base_url = Some(args.against.clone());
    if let Some(token) = &args.against_token {
        b.auth = match crate::cli::options::accept(token, "--against-token") {
            Ok(secret) => AuthChoice::Token(secret),
            Err(e) => return fail(&e),
        };
    }
    let guard = !a.allow_real_calls && (!is_loopback(&base_a) || !is_loopback(&args.against));
    a.allow_real_calls = !guard;
    b.allow_real_calls = !guard;
    let width = match crate::exec::libtest::width(&args.libtest) {
        Ok(w) => w,
        Err(e) => return fail(&e),
    };
    let (cases, schemas) = match exec::load(&args.suite.settings()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    let selection = Selection::from_args(&args.libtest, &args.filters);
    let plan = Plan::new(cases, &selection, guard);
    if plan.selected().next().is_none() {
        return fail(&format!("no case matches the filter `{}`", selection.filters.join(" ")));
    }
    if args.libtest.list {
        for p in plan.selected() {
            println!("{}: test", p.case.test_name());
        }
        return ExitCode::SUCCESS;
    }
    let account_key = plan.account_key();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("could not start the async runtime: {e}")),
    };
    let opened = runtime.block_on(async {
        let side_a = Target::open(&a).await.map_err(|e| format!("side A: {e}"))?;
        let side_b = Target::open(&b).await.map_err(|e| format!("side B: {e}"))?;
        side_a.preflight(&account_key).await.map_err(|e| format!("side A: {e}"))?;
        side_b.preflight(&account_key).await.map_err(|e| format!("side B: {e}"))?;
        Ok::<_, String>((side_a, side_b))
    });
    let (side_a, side_b) = match opened {
        Ok(sides) => sides,
        Err(e) => return fail(&e),
    };
    let (label_a, label_b) = (side_a.describe(), side_b.describe());
    // One redactor hides both sides' tokens from everything either side echoes.
    let redactor = Redactor::new();
    let schemas = Arc::new(schemas);
    let executor = |target: Target| {
        Arc::new(Executor { client: Arc::new(target.client.sharing(&redactor)), schemas: Arc::clone(&schemas), keep_passing: true, stop: Stop::default(), seen: Default::default() })
    };
    let (ea, eb) = (executor(side_a), executor(side_b));
    let (ra, rb) = runtime.block_on(async { tokio::join!(ea.run_all(&plan, width), eb.run_all(&plan, width)) });
    runtime.shutdown_background();
    let rows = diff::rows(&ra, &rb);
    if !rows.is_empty() && rows.iter().all(|r| r.both_refused) {
        return fail(&format!(
            "both sides answered 401 or 403 to every case: nothing of the contract was compared; give each side a \
             token (--token for A = {label_a}, --against-token for B = {label_b})"
        ));
    }
    if args.libtest.format == Some(FormatSetting::Json) {
        for row in &rows {
            let (verdict, headline) = match &row.comparison {
                Comparison::Same => ("same", String::new()),
                Comparison::Differs { headline, .. } => ("differs", headline.clone()),
                Comparison::Unanswered { .. } => ("not compared", String::new()),
            };
            println!("{}", serde_json::json!({"type": "diff", "name": row.name, "verdict": verdict, "headline": headline}));
        }
    } else {
        let table = diff::table(&rows, &label_a, &label_b, &redactor);
        if args.libtest.quiet {
            print!("{}", table.lines().last().map(|l| format!("{l}\n")).unwrap_or_default());
        } else {
            print!("{table}");
        }
    }
    let held = plan.held().count();
    if held > 0 {
        println!("{held} cases that may place real calls were not sent (pass --allow-real-calls)");
    }
    if rows.iter().all(|r| r.comparison == Comparison::Same) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
