//! `run`: the suite against a target, reported like `cargo test`. Everything
//! that can be checked before a request is (the environment, the report paths,
//! the case files, the variables); then the target is opened and proven by a
//! pre-flight request; then the cases run; then the reports are written, also
//! when the run is interrupted.
//!
//! Exit status: 0 every selected case passed; 101 a case failed (or, with
//! `--require-complete`, a documented item went unverified); 2 the run could
//! not start; 130 interrupted.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{ArgMatches, Args, Parser};
use libtest_mimic::{Arguments, ColorSetting, FormatSetting};

use crate::cli::fail;
use crate::secrets::Redactor;
use crate::cli::options::{ReportArgs, SuiteArgs, TargetArgs, given_as_flag};
use crate::exec::executor::{Executor, Stop};
use crate::exec::libtest::{self, Collected};
use crate::exec::plan::{Plan, Selection};
use crate::exec::record::{self, Rerun};
use crate::exec::target::Target;
use crate::exec;
use crate::report::text::Style;
use crate::report::{self, matrix};
use crate::exchange::TransportKind;
use crate::result::{CaseResult, RunInfo, Verdict};

pub const AFTER_HELP: &str = "\
Every option can also come from its VCC_* environment variable (flags win); a variable that is set
but empty is an error. Under cargo nextest, use nextest's own JUnit output (the `ci` profile in
.config/nextest.toml) rather than --junit.

Exit status: 0 all passed, 101 a case failed (or --require-complete and a documented item was not
verified), 2 the run could not start, 130 interrupted.";

/// libtest-mimic calls `--nocapture` and `--show-output` no-ops; here they
/// print the exchange of each passing case, so their help says so.
pub fn verbose_help(cmd: clap::Command) -> clap::Command {
    let help = "Also print the exchange of each passing case after the run, as cargo prints a passing test's output";
    cmd.mut_arg("nocapture", |a| a.help(help)).mut_arg("show_output", |a| a.help("The same as --nocapture"))
}

/// The options of `run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Fail the run when a documented item of the contract was not verified (held back or filtered out)
    #[arg(long, env = "VCC_REQUIRE_COMPLETE", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub require_complete: bool,
    /// Run exactly the cases the last run failed, as its record (--record) lists them
    #[arg(long, env = "VCC_RERUN_FAILED", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub rerun_failed: bool,
    /// The record of a run's failed cases, written by every run that sends cases and read by --rerun-failed [default: target/vcc-conformance/last-failed]
    #[arg(long, env = "VCC_RECORD", value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// libtest's options, as with `cargo test`
    #[command(flatten)]
    pub libtest: Arguments,
    /// More filters: a case runs when its name contains any of them (with --exact: equals one)
    #[arg(value_name = "FILTERS", num_args = 0..)]
    pub filters: Vec<String>,
}

/// The `cargo test` target's command line: `run`'s options alone.
#[derive(Parser, Debug)]
#[command(name = "conformance", args_override_self = true)]
pub struct TestTarget {
    #[command(flatten)]
    pub run: RunArgs,
}

/// What to do when the filter selects no case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptySelection {
    /// Fail with status 2 (the `run` command: a typo in a filter must not pass).
    Fail,
    /// Warn and pass (the `cargo test` target: `cargo test NAME` hands NAME to
    /// every test target, and most of them will not have it).
    Warn,
}

impl RunArgs {
    /// The selection: the positional filters, `--exact`, `--skip`.
    pub fn selection(&self) -> Selection {
        Selection::from_args(&self.libtest, &self.filters)
    }

    /// The selection this run makes: from the filters, or with `--rerun-failed`
    /// from the last run's record (`None`: it failed nothing, nothing to re-run).
    fn chosen(&self) -> Result<Option<Selection>, String> {
        if !self.rerun_failed {
            return Ok(Some(self.selection()));
        }
        if record::under_nextest() {
            return Err("--rerun-failed (VCC_RERUN_FAILED) does not work under cargo nextest, where every case runs \
                        in its own process and no record is kept"
                .into());
        }
        let path = record::path(self.record.as_deref());
        match record::rerun(&path, &self.selection().filters, &self.libtest.skip)? {
            Rerun::Cases(selection) => Ok(Some(selection)),
            Rerun::Nothing => {
                println!("note: the last run (recorded in {}) failed no case: nothing to re-run", path.display());
                Ok(None)
            }
        }
    }

    fn verbose(&self) -> bool {
        self.libtest.nocapture || self.libtest.show_output
    }

    /// How failures are shown: `--color always` colors the diffs, `never` does
    /// not, `auto` (the default) only on a terminal; JSON lines are never colored.
    fn style(&self) -> Style {
        let color = match self.libtest.color {
            Some(ColorSetting::Always) => true,
            Some(ColorSetting::Never) => false,
            Some(ColorSetting::Auto) | None => std::io::stdout().is_terminal(),
        };
        if color && self.libtest.format != Some(FormatSetting::Json) { Style::Color } else { Style::Plain }
    }
}

/// Report files are refused under nextest: each test process would overwrite
/// the file of the one before. So is `--require-complete`: each process runs
/// one case, and would find every other item unverified.
fn refuse_under_nextest(reports: &ReportArgs, require_complete: bool) -> Result<(), String> {
    if !record::under_nextest() {
        return Ok(());
    }
    if require_complete {
        return Err("under cargo nextest every case runs in its own process, so --require-complete \
                    (VCC_REQUIRE_COMPLETE) cannot see the whole contract: gate the release with the `run` command"
            .into());
    }
    if reports.junit.is_some() || reports.html.is_some() {
        return Err("under cargo nextest every case runs in its own process, so --junit/--html (VCC_JUNIT, \
                    VCC_HTML) would be overwritten case by case: use nextest's JUnit output instead \
                    (`cargo nextest run --profile ci --test conformance`, see .config/nextest.toml)"
            .into());
    }
    Ok(())
}

/// Checks every report path (and a record named with `--record`) before anything is sent.
fn check_report_paths(reports: &ReportArgs, record: &Option<PathBuf>) -> Result<(), String> {
    let record = if record::under_nextest() { &None } else { record };
    let files = [("--junit", &reports.junit), ("--html", &reports.html), ("--export-hurl", &reports.export_hurl), ("--record", record)];
    for (flag, path) in files {
        if let Some(path) = path {
            report::check_writable(path).map_err(|e| format!("{flag} {}: cannot write there: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Runs the suite with these options; `matches` tells which came from flags.
pub fn run(args: &RunArgs, matches: &ArgMatches, empty: EmptySelection) -> ExitCode {
    let width = match libtest::width(&args.libtest) {
        Ok(w) => w,
        Err(e) => return fail(&e),
    };
    let settings = match args.target.settings(|id| given_as_flag(matches, id)) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Err(e) = refuse_under_nextest(&args.reports, args.require_complete)
        .and_then(|()| check_report_paths(&args.reports, &args.record))
    {
        return fail(&e);
    }
    let selection = match args.chosen() {
        Ok(Some(selection)) => selection,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return fail(&e),
    };
    let (cases, schemas) = match exec::load(&args.suite.settings()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    if args.reports.dry_run || args.reports.export_hurl.is_some() {
        return export(args, &cases, &selection, settings.base_url.as_deref(), &settings.auth.redactor());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("could not start the async runtime: {e}")),
    };
    let listing = args.libtest.list;
    let target = match runtime.block_on(Target::open(&settings)) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let plan = Plan::new(cases, &selection, target.guard_real_calls);
    if args.rerun_failed {
        warn_of_vanished(&plan, &selection);
    }
    if plan.selected().next().is_none() && !listing {
        let message = if args.rerun_failed {
            "no case the record of the last run names is in this suite or left by --skip: nothing to re-run".into()
        } else {
            format!("no case matches the filter `{}` (try --list)", selection.filters.join(" "))
        };
        if empty == EmptySelection::Fail {
            return fail(&message);
        }
        eprintln!("warning: {message}");
    }
    let sends = !listing && !args.libtest.ignored && plan.to_send().next().is_some();
    if sends {
        if let Err(e) = runtime.block_on(target.preflight(&plan.account_key())) {
            return fail(&target.client.redactor().redact(&e));
        }
    }
    let describe = target.describe();
    let json = args.libtest.format == Some(FormatSetting::Json);
    if !listing {
        if json {
            println!("{}", serde_json::json!({"type": "target", "target": describe, "tool": RunInfo::TOOL}));
        } else {
            println!("target: {describe}");
        }
    }
    let stop = Stop::default();
    let executor = Arc::new(Executor {
        client: Arc::new(target.client),
        schemas: Arc::new(schemas),
        keep_passing: args.reports.html.is_some() || args.verbose(),
        stop: stop.clone(),
        seen: Default::default(),
    });
    runtime.spawn(stop_on_signal(stop.clone()));
    let collected = Collected::default();
    let started = chrono::Utc::now();
    let clock = std::time::Instant::now();
    let trials = libtest::trials(&plan, &executor, runtime.handle(), width, &collected, sends, args.style());
    let conclusion = libtest_mimic::run(&libtest::libtest_arguments(&args.libtest, &plan), trials);
    if listing {
        runtime.shutdown_background();
        return conclusion.exit_code();
    }
    let mut results: Vec<CaseResult> = collected.lock().map(|r| r.clone()).unwrap_or_default();
    // Back in plan order (the trials finished in their own).
    let order: std::collections::HashMap<String, usize> =
        plan.items.iter().enumerate().map(|(i, p)| (p.case.test_name(), i)).collect();
    results.sort_by_key(|r| order.get(&r.case.name).copied());
    let run = RunInfo { target: describe, started, total: clock.elapsed(), interrupted: stop.is_stopped() };
    let redactor = executor.client.redactor();
    runtime.shutdown_background();
    if sends && !record::under_nextest() {
        let failed: Vec<&str> = results.iter().filter(|r| r.failed()).map(|r| r.case.name.as_str()).collect();
        if let Err(e) = record::write(&record::path(args.record.as_deref()), &failed, &run.target) {
            eprintln!("warning: {e}");
        }
    }
    conclude(args, &plan, &results, &run, redactor, conclusion.num_failed > 0)
}

/// After the cases: the verbose output, the grouped transport errors, the
/// contract line, the report files, and the exit status.
fn conclude(args: &RunArgs, plan: &Plan, results: &[CaseResult], run: &RunInfo, redactor: &Redactor, failed: bool) -> ExitCode {
    if args.verbose() {
        print_successes(results, redactor);
    }
    print_transport_groups(results);
    let items = crate::coverage::items().unwrap_or_default();
    let rows = matrix::rows(&items, plan, results);
    if args.libtest.format == Some(FormatSetting::Json) {
        println!("{}", serde_json::json!({"type": "contract", "items": matrix::to_json(&rows)}));
    } else {
        println!("{}", matrix::summary(&rows));
    }
    let _ = std::io::stdout().flush();
    if let Some(path) = &args.reports.junit {
        if let Err(e) = report::junit::write(path, results, run, redactor) {
            return fail(&format!("could not write the JUnit report {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.reports.html {
        if let Err(e) = report::write_whole(path, &report::html::render(results, run, &rows, redactor)) {
            return fail(&format!("could not write the HTML report {}: {e}", path.display()));
        }
    }
    if run.interrupted {
        eprintln!("interrupted: the reports hold what ran before");
        return ExitCode::from(130);
    }
    if failed {
        return ExitCode::from(101);
    }
    if args.require_complete && !matrix::unverified(&rows).is_empty() {
        eprintln!("error: --require-complete: documented items were not verified (see the `contract:` line)");
        return ExitCode::from(101);
    }
    ExitCode::SUCCESS
}

/// `--rerun-failed`: warns of recorded cases the suite no longer has.
fn warn_of_vanished(plan: &Plan, selection: &Selection) {
    let gone: Vec<&str> = selection
        .filters
        .iter()
        .filter(|name| !plan.items.iter().any(|p| p.case.test_name() == **name))
        .map(String::as_str)
        .collect();
    if !gone.is_empty() {
        eprintln!("warning: the record names cases this suite does not have (renamed or removed?): {}", gone.join(", "));
    }
}

/// Stops the run on Ctrl-C or SIGTERM.
async fn stop_on_signal(stop: Stop) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else { return };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    stop.stop();
}

/// `--nocapture`/`--show-output`: the exchange of each passing case, as cargo
/// prints a passing test's output.
fn print_successes(results: &[CaseResult], redactor: &Redactor) {
    let passed: Vec<&CaseResult> = results.iter().filter(|r| r.passed()).collect();
    if passed.is_empty() {
        return;
    }
    println!("successes:\n");
    for r in &passed {
        println!("---- {} stdout ----\n{}", r.case.name, report::text::case_text(r, redactor));
    }
}

/// Many cases that got no answer for the same reason say so once.
fn print_transport_groups(results: &[CaseResult]) {
    let mut groups: Vec<(TransportKind, Vec<&str>)> = Vec::new();
    for r in results {
        if let Verdict::Broken(e) = &r.verdict {
            match groups.iter_mut().find(|(k, _)| *k == e.kind) {
                Some((_, names)) => names.push(&r.case.name),
                None => groups.push((e.kind, vec![&r.case.name])),
            }
        }
    }
    for (kind, names) in groups.iter().filter(|(_, n)| n.len() > 1) {
        let hint = kind.hint().map(|h| format!(" ({h})")).unwrap_or_default();
        println!("{} cases got no usable response: {}{hint}", names.len(), kind.label());
    }
}

/// `--dry-run` and `--export-hurl`: the selected cases for another tool; nothing sent.
fn export(
    args: &RunArgs,
    cases: &[crate::suite::Case],
    selection: &Selection,
    base: Option<&str>,
    redactor: &Redactor,
) -> ExitCode {
    let base = match crate::client::parse_base_url(base.unwrap_or("http://127.0.0.1:8080")) {
        Ok(b) => b,
        Err(e) => return fail(&e),
    };
    let selected: Vec<&crate::suite::Case> = cases.iter().filter(|c| selection.selects(&c.test_name())).collect();
    if let Some(path) = &args.reports.export_hurl {
        let hurl: String = selected.iter().map(|c| report::export::hurl(c, &base)).collect();
        if let Err(e) = report::write_whole(path, &redactor.redact(&hurl)) {
            return fail(&format!("could not write {}: {e}", path.display()));
        }
    }
    if args.reports.dry_run {
        for case in selected {
            let curl = report::export::curl(case, &base);
            println!("# {} ({}:{})\n{}\n", case.test_name(), case.source, case.line, redactor.redact(&curl));
        }
    }
    ExitCode::SUCCESS
}
