//! `selftest`: the suite against the reference server with each fault and each
//! harmless variation; the score table.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::cli::fail;
use crate::cli::options::SuiteArgs;
use crate::cli::values::parse_timeout;
use crate::exec;
use crate::server::faults::Fault;
use crate::report::out;

/// The options of `selftest`.
#[derive(Args, Debug)]
pub struct SelftestArgs {
    /// Per-request timeout in seconds (one fault never answers)
    #[arg(long, value_name = "SECS", value_parser = parse_timeout, default_value = "2")]
    pub timeout: Duration,
    /// Only these faults and variations (repeatable; `serve --fault list` names them); default: all
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Prints the table; exit 1 when a fault survives or a harmless server is flagged.
pub fn selftest(args: &SelftestArgs) -> ExitCode {
    let suite = match exec::load(&args.suite.settings()) {
        Ok(suite) => suite,
        Err(e) => return fail(&e.to_string()),
    };
    let mut faults = Vec::new();
    for name in &args.faults {
        match Fault::from_name(name) {
            Some(f) => faults.push(f),
            None => return fail(&format!("unknown fault `{name}` (`vcc-conformance serve --fault list` names them)")),
        }
    }
    let faults = if faults.is_empty() { Fault::ALL.to_vec() } else { faults };
    match crate::selftest::run_some(&suite, args.timeout, &faults) {
        Ok(verdicts) => {
            out::write(&crate::selftest::table(&verdicts));
            if crate::selftest::passed(&verdicts) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => fail(&e.to_string()),
    }
}
