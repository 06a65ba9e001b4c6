//! `selftest`: the suite against the reference server with each fault and each
//! harmless variation; the score table.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::cli::fail;
use crate::cli::options::{SuiteArgs, parse_timeout};
use crate::exec;

/// The options of `selftest`.
#[derive(Args, Debug)]
pub struct SelftestArgs {
    /// Per-request timeout in seconds (one fault never answers)
    #[arg(long, value_name = "SECS", value_parser = parse_timeout, default_value = "2")]
    pub timeout: Duration,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Prints the table; exit 1 when a fault survives or a harmless server is flagged.
pub fn selftest(args: &SelftestArgs) -> ExitCode {
    let settings = args.suite.settings();
    let (cases, schemas) = match exec::load(&settings) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("could not start the async runtime: {e}")),
    };
    match runtime.block_on(crate::selftest::run_all(cases, schemas, args.timeout)) {
        Ok(verdicts) => {
            print!("{}", crate::selftest::table(&verdicts));
            if crate::selftest::passed(&verdicts) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => fail(&e),
    }
}
