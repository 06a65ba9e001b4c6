//! `diff`: every selected case at two deployments, A (`--base-url`) and B
//! (`--against`), compared answer by answer; or at A alone, compared with a
//! recorded run (`--against-record FILE`, the HAR of `run --record-answers`;
//! A may then be the embedded server). Every output names both sides with
//! their URLs, the record with its date and file (as text, `-q`, or JSON
//! lines: [`crate::diff`]). A case counts as "same" only when both sides
//! answered; a side that cannot be reached, two sides that refuse every
//! request, or a record that is not one of this suite stop the run with
//! status 2 rather than agree on nothing.
//!
//! Exit status: 0 they answer alike, 1 some case differs, changed, breaks the
//! contract or was not compared (or A is slower than the record), 2 the run
//! could not start.

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{ArgMatches, Args};
use libtest_mimic::{Arguments, FormatSetting};

use crate::cli::fail;
use crate::cli::values::{parse_milliseconds, parse_ratio};
use crate::cli::options::{SettingsError, SuiteArgs, TargetArgs, given_as_flag};
use crate::diff::latency::Threshold;
use crate::diff::record::Record;
use crate::diff::{self, Row, Sides, Summary, against_record};
use crate::exec::load::{LoadError, Suite};
use crate::exec::plan::Selection;
use crate::exec::spec::{self, RunSpec};
use crate::exec::target::{AuthChoice, TargetSettings};
use crate::exec::{self, RunError};
use crate::located::LocatedError;
use crate::secrets::{Redactor, SecretError};
use crate::report::out;

pub const AFTER_HELP: &str = "\
Every option can also come from its VCC_* environment variable (flags win). Static tokens only
with --against; with --against-record, A may also use client credentials, or be the embedded server.

Exit status: 0 both sides answered every case alike, 1 a case differs, changed, breaks the contract
or was not compared (or A is slower than the record), 2 the run could not start (a side
unreachable, both refusing every request, a record that cannot be read or is of another suite).";

/// The options of `diff`.
#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// Side A is --base-url (with --token); side B:
    #[command(flatten)]
    pub target: TargetArgs,
    /// Side B: the deployment to compare A with
    #[arg(long, env = "VCC_AGAINST", value_name = "URL", required_unless_present = "against_record")]
    pub against: Option<String>,
    /// Side B's bearer token (default: A's)
    #[arg(long, env = "VCC_AGAINST_TOKEN", value_name = "TOKEN", hide_env_values = true, conflicts_with = "against_record")]
    pub against_token: Option<String>,
    /// Or side B: a run recorded with `run --record-answers FILE` (A: --base-url, or the embedded server)
    #[arg(long, env = "VCC_AGAINST_RECORD", value_name = "FILE", conflicts_with = "against")]
    pub against_record: Option<PathBuf>,
    /// With --against-record: A is slower than the record when its median time is over RATIO times the record's, and over --latency-floor more
    #[arg(long, env = "VCC_LATENCY_RATIO", value_name = "RATIO", default_value = "2", value_parser = parse_ratio)]
    pub latency_ratio: f64,
    /// With --against-record: how many milliseconds more A's median time must be to count as slower
    #[arg(long, env = "VCC_LATENCY_FLOOR", value_name = "MS", default_value = "50", value_parser = parse_milliseconds)]
    pub latency_floor: f64,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Selection and output, as with `run` (--list, --exact, --skip, -q, --format json, --test-threads)
    #[command(flatten)]
    pub libtest: Arguments,
    /// More filters: a case runs when its name contains any of them (with --exact: equals one)
    #[arg(value_name = "FILTERS", num_args = 0..)]
    pub filters: Vec<String>,
}

/// Why `diff` could not compare (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(
        "diff takes static tokens only (--token or VCC_TOKEN, --against-token), not client credentials \
         (--client-id/--client-secret or VCC_CLIENT_ID/VCC_CLIENT_SECRET)"
    )]
    ClientCredentials,
    #[error("diff needs --base-url A (or VCC_BASE_URL) and --against B")]
    NoSideA,
    #[error(transparent)]
    AgainstToken(#[from] SecretError),
    #[error("--test-threads must be at least 1")]
    ZeroWidth,
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("no case matches the filter `{}`", .0.join(" "))]
    NothingSelected(Vec<String>),
    #[error("side {side}: {error}")]
    Side { side: char, error: RunError },
    #[error(
        "both sides answered 401 or 403 to every case: nothing of the contract was compared; give each side a \
         token (--token for A = {a}, --against-token for B = {b})"
    )]
    BothRefused { a: String, b: String },
    #[error("--against-record: {0}")]
    Record(#[from] LocatedError),
    #[error(
        "--against-record: {path} is a record of another suite: none of the {selected} cases selected here is among \
         its {recorded} (record it again with this suite, the same --cases and --depth)"
    )]
    OtherSuite { path: String, selected: usize, recorded: usize },
}

/// Runs the comparison.
pub fn diff(args: &DiffArgs, matches: &ArgMatches) -> ExitCode {
    match try_diff(args, matches) {
        Ok(code) => code,
        Err(e) => fail(&e.to_string()),
    }
}

/// What both sides share: the suite, the selection, how many cases in flight.
struct Common {
    suite: Suite,
    selection: Selection,
    width: usize,
}

impl Common {
    fn of(args: &DiffArgs) -> Result<Common, Error> {
        let suite = exec::load(&args.suite.settings())?;
        let selection = Selection::from_args(&args.libtest, &args.filters);
        if !suite.cases.iter().any(|c| selection.selects(&c.test_name())) {
            return Err(Error::NothingSelected(selection.filters));
        }
        let width = spec::width(&args.libtest).ok_or(Error::ZeroWidth)?;
        Ok(Common { suite, selection, width })
    }

    /// A side's spec: every passing exchange kept, to be compared.
    fn spec(&self, target: TargetSettings) -> RunSpec {
        let mut spec = RunSpec::new(target, self.suite.clone(), self.selection.clone());
        spec.width = self.width;
        spec.keep_passing = true;
        spec
    }
}

/// The two specs: A as `run` would test it, B the same at `--against`; both
/// guarded when either side is off loopback, and sharing one redactor.
fn specs(args: &DiffArgs, matches: &ArgMatches, against: &str) -> Result<(RunSpec, RunSpec), Error> {
    let a = args.target.settings(|id| given_as_flag(matches, id))?;
    if matches!(a.auth, AuthChoice::ClientCredentials { .. }) {
        return Err(Error::ClientCredentials);
    }
    if a.base_url.is_none() {
        return Err(Error::NoSideA);
    }
    let mut b = a.clone();
    b.base_url = Some(against.to_owned());
    if let Some(token) = &args.against_token {
        b.auth = AuthChoice::Token(crate::cli::options::accept(token, "--against-token")?);
    }
    let guard = a.guards_real_calls() || b.guards_real_calls();
    let common = Common::of(args)?;
    // One redactor hides both sides' tokens from everything either side echoes.
    let redactor = Redactor::new();
    let spec = |target| {
        let mut spec = common.spec(target);
        spec.hold_real_calls = Some(guard);
        spec.shared_redactor = Some(redactor.clone());
        spec
    };
    Ok((spec(a), spec(b)))
}

/// `--list`: the selected cases, nothing sent.
fn list(spec: &RunSpec) -> ExitCode {
    for p in spec.plan().selected() {
        out::line(&format!("{}: test", p.case.test_name()));
    }
    ExitCode::SUCCESS
}

fn try_diff(args: &DiffArgs, matches: &ArgMatches) -> Result<ExitCode, Error> {
    let against = match (&args.against, &args.against_record) {
        (_, Some(record)) => return against_a_record(args, matches, record),
        (Some(against), None) => against,
        (None, None) => return Err(Error::NoSideA),
    };
    let (spec_a, spec_b) = specs(args, matches, against)?;
    if args.libtest.list {
        return Ok(list(&spec_a));
    }
    let side = |side: char| move |error: RunError| Error::Side { side, error };
    let opened_a = exec::open(&spec_a).map_err(side('A'))?;
    let opened_b = exec::open(&spec_b).map_err(side('B'))?;
    let (label_a, label_b) = (opened_a.describe(), opened_b.describe());
    let held = opened_a.plan().held().count();
    let (a, b) = std::thread::scope(|scope| {
        let b = scope.spawn(|| opened_b.run(&()));
        (opened_a.run(&()), b.join())
    });
    let Ok(b) = b else { return Ok(fail("side B stopped unexpectedly")) };
    let sides = Sides::deployments(label_a, label_b);
    let rows = diff::rows(&a.results, &b.results, &sides);
    report(args, &rows, &sides, Summary::of(&rows, held), &a.redactor)
}

/// `--against-record FILE`: the record read and checked before anything is
/// sent, then A run alone and compared with it.
fn against_a_record(args: &DiffArgs, matches: &ArgMatches, path: &std::path::Path) -> Result<ExitCode, Error> {
    let target = args.target.settings(|id| given_as_flag(matches, id))?;
    let common = Common::of(args)?;
    let record = Record::read(path)?;
    let spec = common.spec(target);
    if args.libtest.list {
        return Ok(list(&spec));
    }
    let plan = spec.plan();
    let selected: Vec<String> = plan.selected().map(|p| p.case.test_name()).collect();
    if !selected.iter().any(|name| record.entry(name).is_some()) {
        return Err(Error::OtherSuite { path: record.path.clone(), selected: selected.len(), recorded: record.len() });
    }
    if record.interrupted {
        eprintln!("note: the record is of an interrupted run: the cases it did not reach are not compared");
    }
    let opened = exec::open(&spec).map_err(|error| Error::Side { side: 'A', error })?;
    let label = opened.describe();
    let held = opened.plan().held().count();
    let live = opened.run(&());
    let sides = Sides::record(label, record.label(&live.redactor));
    let threshold = Threshold { ratio: args.latency_ratio, floor_ms: args.latency_floor };
    let (rows, latency) = against_record::compare(&live, &record, &sides, threshold);
    report(args, &rows, &sides, Summary { latency, ..Summary::of(&rows, held) }, &live.redactor)
}

/// Writes the comparison (a table, or JSON lines) and gives the status.
fn report(args: &DiffArgs, rows: &[Row], sides: &Sides, summary: Summary, redactor: &Redactor) -> Result<ExitCode, Error> {
    if !rows.is_empty() && rows.iter().all(|r| r.both_refused) {
        return Err(Error::BothRefused { a: sides.a.clone(), b: sides.b.clone() });
    }
    if args.libtest.format == Some(FormatSetting::Json) {
        out::write(&diff::json_lines(rows, sides, &summary, redactor));
    } else {
        out::write(&diff::table(rows, sides, &summary, args.libtest.quiet, redactor));
    }
    Ok(if summary.alike() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
