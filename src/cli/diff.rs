//! `diff`: every selected case at two deployments, A (`--base-url`) and B
//! (`--against`), compared answer by answer; every output names both sides
//! with their URLs (as text, `-q`, or JSON lines: [`crate::diff`]). A case counts as "same" only when
//! both sides answered; a side that cannot be reached, or two sides that refuse
//! every request, stop the run with status 2 rather than agree on nothing.
//!
//! Exit status: 0 they answer alike, 1 some case differs or was not compared,
//! 2 the run could not start.

use std::process::ExitCode;

use clap::{ArgMatches, Args};
use libtest_mimic::{Arguments, FormatSetting};

use crate::cli::fail;
use crate::cli::options::{SettingsError, SuiteArgs, TargetArgs, given_as_flag};
use crate::diff::{self, Sides, Summary};
use crate::exec::load::LoadError;
use crate::exec::plan::Selection;
use crate::exec::spec::{DEFAULT_WIDTH, RunSpec};
use crate::exec::target::AuthChoice;
use crate::exec::{self, RunError};
use crate::secrets::{Redactor, SecretError};
use crate::report::out;

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
}

/// Runs the comparison.
pub fn diff(args: &DiffArgs, matches: &ArgMatches) -> ExitCode {
    match try_diff(args, matches) {
        Ok(code) => code,
        Err(e) => fail(&e.to_string()),
    }
}

/// The two specs: A as `run` would test it, B the same at `--against`; both
/// guarded when either side is off loopback, and sharing one redactor.
fn specs(args: &DiffArgs, matches: &ArgMatches) -> Result<(RunSpec, RunSpec), Error> {
    let a = args.target.settings(|id| given_as_flag(matches, id))?;
    if matches!(a.auth, AuthChoice::ClientCredentials { .. }) {
        return Err(Error::ClientCredentials);
    }
    if a.base_url.is_none() {
        return Err(Error::NoSideA);
    }
    let mut b = a.clone();
    b.base_url = Some(args.against.clone());
    if let Some(token) = &args.against_token {
        b.auth = AuthChoice::Token(crate::cli::options::accept(token, "--against-token")?);
    }
    let guard = a.guards_real_calls() || b.guards_real_calls();
    let suite = exec::load(&args.suite.settings())?;
    let selection = Selection::from_args(&args.libtest, &args.filters);
    if !suite.cases.iter().any(|c| selection.selects(&c.test_name())) {
        return Err(Error::NothingSelected(selection.filters));
    }
    let width = match args.libtest.test_threads {
        Some(0) => return Err(Error::ZeroWidth),
        Some(n) => n,
        None => DEFAULT_WIDTH,
    };
    // One redactor hides both sides' tokens from everything either side echoes.
    let redactor = Redactor::new();
    let spec = |target| {
        let mut spec = RunSpec::new(target, suite.clone(), selection.clone());
        spec.hold_real_calls = Some(guard);
        spec.width = width;
        spec.keep_passing = true;
        spec.shared_redactor = Some(redactor.clone());
        spec
    };
    Ok((spec(a), spec(b)))
}

fn try_diff(args: &DiffArgs, matches: &ArgMatches) -> Result<ExitCode, Error> {
    let (spec_a, spec_b) = specs(args, matches)?;
    if args.libtest.list {
        for p in spec_a.plan().selected() {
            out::line(&format!("{}: test", p.case.test_name()));
        }
        return Ok(ExitCode::SUCCESS);
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
    let redactor = &a.redactor;
    let sides = Sides { a: label_a, b: label_b };
    let rows = diff::rows(&a.results, &b.results, &sides);
    if !rows.is_empty() && rows.iter().all(|r| r.both_refused) {
        return Err(Error::BothRefused { a: sides.a, b: sides.b });
    }
    let summary = Summary::of(&rows, held);
    if args.libtest.format == Some(FormatSetting::Json) {
        out::write(&diff::json_lines(&rows, &sides, &summary, redactor));
    } else {
        out::write(&diff::table(&rows, &sides, &summary, args.libtest.quiet, redactor));
    }
    Ok(if summary.alike() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
