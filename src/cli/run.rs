//! `run`: the suite against a target, reported like `cargo test`. Parses the
//! options, checks everything that can be checked before a request (the
//! environment, the report paths, the record, the case files, the variables),
//! builds the [`RunSpec`], runs it with the console watching, then writes the
//! record and the reports and returns the status.
//!
//! Exit status: 0 every selected case passed; 101 a case failed (or, with
//! `--require-complete`, a documented item went unverified); 2 the run could
//! not start; 130 interrupted.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, Args, Parser};
use libtest_mimic::{Arguments, ColorSetting, FormatSetting};

use crate::cli::options::{ReportArgs, SettingsError, SuiteArgs, TargetArgs, given_as_flag};
use crate::cli::{COULD_NOT_RUN, fail};
use crate::exec::load::{LoadError, Suite};
use crate::exec::plan::Selection;
use crate::exec::record::{self, RecordError, Rerun};
use crate::exec::spec::{self, RunSpec};
use crate::exec::{self, RunError};
use crate::report::libtest::{self, Console};
use crate::report::text::Style;
use crate::report::verdict::{Contract, Overall};
use crate::report::{self, ReportError, matrix};
use crate::result::RunOutcome;
use crate::report::out;

pub const AFTER_HELP: &str = "\
Every option can also come from its VCC_* environment variable (flags win); a variable that is set
but empty is an error. Under cargo nextest, use nextest's own JUnit output (the `ci` profile in
.config/nextest.toml) rather than --junit.

Exit status: 0 all passed, 101 a case failed (or --require-complete and a documented item was not
verified), 2 the run could not start, 130 interrupted.";

/// The status of a run with a failed case (libtest's).
pub const FAILED: u8 = 101;

/// The status of a run stopped by Ctrl-C or SIGTERM.
pub const INTERRUPTED: u8 = 130;

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
    /// Only the cases with this tag (repeatable: any of them), e.g. boundary, example, places-call, undocumented
    #[arg(long = "tag", env = "VCC_TAG", value_name = "TAG", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Leave out the cases with this tag (repeatable; wins over --tag)
    #[arg(long = "skip-tag", env = "VCC_SKIP_TAG", value_name = "TAG", value_delimiter = ',')]
    pub skip_tags: Vec<String>,
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

/// Why `run` could not run (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--test-threads must be at least 1")]
    ZeroWidth,
    #[error("vcc-conformance has no benchmarks (--bench): the speed targets are measured by benches/run")]
    Bench,
    #[error(
        "--ignored and --include-ignored would run the cases held back because they may place a real call: \
         give --allow-real-calls (VCC_ALLOW_REAL_CALLS) to run them"
    )]
    Ignored,
    #[error("--logfile is not supported: redirect the output, or write a report file (--junit, --tap, --html)")]
    Logfile,
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("under cargo nextest every case runs in its own process, so --require-complete \
             (VCC_REQUIRE_COMPLETE) cannot see the whole contract: gate the release with the `run` command")]
    CompleteUnderNextest,
    #[error("under cargo nextest every case runs in its own process, so report files (--junit, --html, --tap, --har, \
             --github-summary; their VCC_* variables) would be overwritten case by case: use nextest's JUnit output instead \
             (`cargo nextest run --profile ci --test conformance`, see .config/nextest.toml)")]
    ReportsUnderNextest,
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Export(#[from] report::export::ExportError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("no case matches {} (try --list)", described(.0))]
    NothingSelected(Selection),
    #[error("no case the record of the last run names is in this suite or left by --skip: nothing to re-run")]
    NothingToRerun,
    #[error("no case has the tag `{tag}`{}; the tags are: {}", did_you_mean(.suggestion), .known.join(", "))]
    UnknownTag { tag: String, suggestion: Option<String>, known: Vec<String> },
}

impl RunArgs {
    /// The selection: the positional filters, `--exact`, `--skip`.
    pub fn selection(&self) -> Selection {
        Selection::from_args(&self.libtest, &self.filters).with_tags(&self.tags, &self.skip_tags)
    }

    /// The selection this run makes: from the filters, or with `--rerun-failed`
    /// from the last run's record (`None`: it failed nothing, nothing to re-run).
    fn chosen(&self) -> Result<Option<Selection>, RecordError> {
        if !self.rerun_failed {
            return Ok(Some(self.selection()));
        }
        let path = record::path(self.record.as_deref());
        match record::rerun(&path, &self.selection().filters, &self.libtest.skip)? {
            Rerun::Cases(selection) => Ok(Some(selection.with_tags(&self.tags, &self.skip_tags))),
            Rerun::Nothing => {
                out::line(&format!("note: the last run (recorded in {}) failed no case: nothing to re-run", path.display()));
                Ok(None)
            }
        }
    }

    fn verbose(&self) -> bool {
        self.libtest.nocapture || self.libtest.show_output
    }

    fn json(&self) -> bool {
        self.libtest.format == Some(FormatSetting::Json)
    }

    /// How failures are shown: `--color always` colors the diffs, `never` does
    /// not, `auto` (the default) only on a terminal; JSON lines are never colored.
    fn style(&self) -> Style {
        let color = match self.libtest.color {
            Some(ColorSetting::Always) => true,
            Some(ColorSetting::Never) => false,
            Some(ColorSetting::Auto) | None => std::io::stdout().is_terminal(),
        };
        if color && !self.json() { Style::Color } else { Style::Plain }
    }

    /// How many cases are in flight at once: `--test-threads`, at least 1.
    /// Refuses libtest's options that mean nothing here, or something dangerous.
    fn refuse_libtest_leftovers(&self) -> Result<(), Error> {
        match &self.libtest {
            a if a.bench => Err(Error::Bench),
            // Listing them is harmless, and how nextest lists a target's ignored tests.
            a if (a.ignored || a.include_ignored) && !a.list => Err(Error::Ignored),
            a if a.logfile.is_some() => Err(Error::Logfile),
            _ => Ok(()),
        }
    }

    fn width(&self) -> Result<usize, Error> {
        spec::width(&self.libtest).ok_or(Error::ZeroWidth)
    }

    /// Refuses, under nextest, what one process per case cannot honour: report
    /// files (each process would overwrite the last) and `--require-complete`.
    fn refuse_under_nextest(&self) -> Result<(), Error> {
        if !record::under_nextest() {
            return Ok(());
        }
        if self.require_complete {
            return Err(Error::CompleteUnderNextest);
        }
        if !self.reports.outputs().is_empty() {
            return Err(Error::ReportsUnderNextest);
        }
        Ok(())
    }

    /// Checks every report path (and a record named with `--record`) before anything is sent.
    fn check_paths(&self) -> Result<(), Error> {
        for output in self.reports.outputs() {
            output.check()?;
        }
        if let Some(path) = &self.reports.export_hurl {
            report::check_path("--export-hurl", path)?;
        }
        if let Some(path) = self.record.as_ref().filter(|_| !record::under_nextest()) {
            report::check_path("--record", path)?;
        }
        Ok(())
    }
}

/// Runs the suite with these options; `matches` tells which came from flags.
pub fn run(args: &RunArgs, matches: &ArgMatches, empty: EmptySelection) -> ExitCode {
    match try_run(args, matches, empty) {
        Ok(code) => code,
        Err(Error::Run(RunError::Interrupted)) => {
            eprintln!("interrupted before the first case was sent");
            ExitCode::from(INTERRUPTED)
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn try_run(args: &RunArgs, matches: &ArgMatches, empty: EmptySelection) -> Result<ExitCode, Error> {
    args.refuse_libtest_leftovers()?;
    let width = args.width()?;
    let target = args.target.settings(|id| given_as_flag(matches, id))?;
    args.refuse_under_nextest()?;
    let Some(selection) = args.chosen()? else { return Ok(ExitCode::SUCCESS) };
    args.check_paths()?;
    let suite = exec::load(&args.suite.settings())?;
    if args.reports.dry_run || args.reports.export_hurl.is_some() {
        let (redactor, hurl) = (target.auth.redactor(), args.reports.export_hurl.as_deref());
        let spec = RunSpec::new(target, suite, selection);
        report::export::export(&spec.plan(), spec.target.base_url.as_deref(), &redactor, args.reports.dry_run, hurl)?;
        return Ok(ExitCode::SUCCESS);
    }
    check_selection(args, &suite, &selection, empty)?;
    let mut spec = RunSpec::new(target, suite, selection);
    spec.width = width;
    spec.keep_passing = args.verbose() || args.reports.outputs().iter().any(report::Output::keeps_passing);
    spec.stop_on_signal = true;
    if args.libtest.list {
        return Ok(libtest::list(&args.libtest, &spec.plan()).exit_code());
    }
    let console = Console::new(&args.libtest, args.style());
    let outcome = exec::run(&spec, &console)?;
    let conclusion = console.finish();
    if args.rerun_failed {
        warn_of_vanished(&outcome, &spec.selection);
    }
    if outcome.sent_any()
        && !record::under_nextest()
        && let Err(e) = record::write_outcome(&record::path(args.record.as_deref()), &outcome)
    {
        eprintln!("warning: {e}");
    }
    let failed = conclusion.is_some_and(|c| c.num_failed > 0) || outcome.failed().next().is_some();
    Ok(conclude(args, &outcome, failed))
}

/// A selection as the error that it selects nothing names it.
fn described(selection: &Selection) -> String {
    let mut parts = vec![format!("the filter `{}`", selection.filters.join(" "))];
    if !selection.tags.is_empty() {
        parts.push(format!("the tags {}", selection.tags.join(", ")));
    }
    if !selection.skip_tags.is_empty() {
        parts.push(format!("none of the tags {}", selection.skip_tags.join(", ")));
    }
    parts.join(" with ")
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}

/// A tag no case has is a typo; a filter that selects no case is an error for
/// `run`, a warning for the `cargo test` target.
fn check_selection(args: &RunArgs, suite: &Suite, selection: &Selection, empty: EmptySelection) -> Result<(), Error> {
    let mut known: Vec<String> = suite.cases.iter().flat_map(|c| c.tags.iter().cloned()).collect();
    known.sort_unstable();
    known.dedup();
    if let Some(tag) = selection.tags.iter().chain(&selection.skip_tags).find(|t| !known.contains(t)) {
        let suggestion = crate::suggest::closest(tag, known.iter().map(String::as_str)).map(str::to_owned);
        return Err(Error::UnknownTag { tag: tag.clone(), suggestion, known });
    }
    if args.libtest.list || suite.cases.iter().any(|c| selection.selects_case(c)) {
        return Ok(());
    }
    let error = if args.rerun_failed { Error::NothingToRerun } else { Error::NothingSelected(selection.clone()) };
    match empty {
        EmptySelection::Fail => Err(error),
        EmptySelection::Warn => {
            eprintln!("warning: {error}");
            Ok(())
        }
    }
}

/// After the cases: the console's tail, the report files, GitHub's
/// annotations, and the exit status. Every report is attempted; one that cannot
/// be written is an error (status 2) unless the run already failed, whose
/// status it does not hide.
fn conclude(args: &RunArgs, outcome: &RunOutcome, failed: bool) -> ExitCode {
    let items = crate::coverage::items().unwrap_or_default();
    let rows = matrix::rows(&items, outcome);
    let contract = Contract::new(&rows, args.require_complete);
    libtest::tail(outcome, &rows, args.verbose(), args.json());
    let errors = report::write_all(&args.reports.outputs(), outcome, &contract);
    for e in &errors {
        eprintln!("error: {e}");
    }
    if args.reports.github.on() {
        // GitHub reads workflow commands on both streams: JSON lines stay JSON.
        let annotations = report::github::annotations(outcome, &contract);
        if args.json() { eprint!("{annotations}") } else { report::out::write(&annotations) }
    }
    // The status reads the verdict every report shows (libtest's own count of
    // failures too), so that no view disagrees with it.
    match Overall::of(outcome, &contract) {
        Overall::Interrupted => {
            eprintln!("interrupted: the reports hold what ran before");
            return ExitCode::from(INTERRUPTED);
        }
        Overall::Failed { .. } => return ExitCode::from(FAILED),
        _ if failed => return ExitCode::from(FAILED),
        Overall::Incomplete { gate: true, .. } => {
            let ids: Vec<&str> = contract.unverified().iter().map(|r| r.id.as_str()).collect();
            eprintln!("error: --require-complete: {} documented items were not verified (see the `contract:` lines): {}", ids.len(), ids.join(", "));
            return ExitCode::from(FAILED);
        }
        Overall::Incomplete { gate: false, .. } | Overall::Passed => {}
    }
    if !errors.is_empty() {
        return ExitCode::from(COULD_NOT_RUN);
    }
    ExitCode::SUCCESS
}

/// `--rerun-failed`: warns of recorded cases the suite no longer has.
fn warn_of_vanished(outcome: &RunOutcome, selection: &Selection) {
    let gone: Vec<&str> = selection
        .filters
        .iter()
        .filter(|name| !outcome.results.iter().any(|r| r.case.name == **name))
        .map(String::as_str)
        .collect();
    if !gone.is_empty() {
        eprintln!("warning: the record names cases this suite does not have (renamed or removed?): {}", gone.join(", "));
    }
}
