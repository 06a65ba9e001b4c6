//! The `vcc-conformance` command: `run` the suite, `serve` the reference server,
//! or `selftest` the suite against deliberate deviations of it.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use vcc_conformance::{runner, selftest};
use vcc_conformance::server;

/// Conformance harness and reference server for POST v0/{accountKey}/calls/.
#[derive(Parser)]
#[command(name = "vcc-conformance", version)]
enum Cli {
    /// Run the cases against --base-url, or against the embedded reference server
    /// (`run --help` lists the options)
    #[command(disable_help_flag = true)]
    Run {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Run the suite against the reference server with each fault and each harmless
    /// variation, and print the score table (exit 1 if a fault survives or a harmless
    /// server is flagged)
    Selftest {
        /// Per-request timeout in seconds (one fault never answers)
        #[arg(long, default_value_t = 2.0)]
        timeout: f64,
    },
    /// Fire every case at two deployments and report where they answer differently
    /// (`diff --base-url A --against B [--against-token T] [run options]`)
    #[command(disable_help_flag = true)]
    Diff {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Print each documented item of the contract and the cases that cover it
    /// (exit 1 if an item has no case or a case claims an unknown item)
    Coverage,
    /// Serve the reference server
    Serve(server::command::ServeArgs),
}

fn selftest(timeout: f64) -> ExitCode {
    if !(timeout > 0.0 && timeout <= 3600.0) {
        eprintln!("error: --timeout must be more than 0 and at most 3600 seconds");
        return ExitCode::from(2);
    }
    let loaded = runner::load(&runner::Options::default());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let (Ok((cases, schemas)), Ok(runtime)) = (loaded, runtime) else {
        eprintln!("error: could not load the shipped cases or start the runtime");
        return ExitCode::from(2);
    };
    match runtime.block_on(selftest::run_all(cases, schemas, Duration::from_secs_f64(timeout))) {
        Ok(verdicts) => {
            print!("{}", selftest::table(&verdicts));
            if selftest::passed(&verdicts) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn coverage() -> ExitCode {
    let loaded = runner::load(&runner::Options::default());
    let (Ok((cases, _)), Ok(items)) = (loaded, vcc_conformance::coverage::items()) else {
        eprintln!("error: could not load the shipped cases or contract/items.yaml");
        return ExitCode::from(2);
    };
    print!("{}", vcc_conformance::coverage::table(&items, &cases));
    let problems = vcc_conformance::coverage::problems(&items, &cases);
    for p in &problems {
        eprintln!("error: {p}");
    }
    if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn main() -> ExitCode {
    match Cli::parse() {
        Cli::Run { args } => runner::run(&args, runner::EmptySelection::Fail),
        Cli::Selftest { timeout } => selftest(timeout),
        Cli::Coverage => coverage(),
        Cli::Diff { args } => runner::diff(&args),
        Cli::Serve(args) => server::command::run(args),
    }
}
