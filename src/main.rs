//! The `vcc-conformance` command: `run` the suite, `serve` the reference server,
//! or `selftest` the suite against deliberate deviations of it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use vcc_conformance::located::Source;
use vcc_conformance::{runner, selftest};
use vcc_conformance::server::{self, faults::Fault, fixture::Fixture};

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
    /// (exit 1 if an item has no case or a case claims an unknown item, or if
    /// --page states what the items do not list or no longer states an item)
    Coverage {
        /// An export of the endpoint's documentation page to check against
        /// contract/items.yaml (as contract/seed-calls-endpoint-doc.txt)
        #[arg(long, value_name = "FILE")]
        page: Option<PathBuf>,
        /// More case files: a file, or a folder of them (repeatable)
        #[arg(long, value_name = "PATH")]
        cases: Vec<PathBuf>,
    },
    /// Serve the reference server
    Serve {
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Account state to serve (YAML or JSON) instead of the built-in fixture
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// Deviate from the contract on purpose, for self-tests (`--fault list` names them)
        #[arg(long)]
        fault: Option<String>,
        /// Threads serving requests (1: a single-threaded runtime)
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
    },
}

fn serve(listen: SocketAddr, fixture: Option<PathBuf>, fault: Option<String>, threads: u16) -> ExitCode {
    let threads = usize::from(threads);
    let fault = match fault.as_deref() {
        None => None,
        Some(name) => match Fault::from_name(name) {
            Some(f) => Some(f),
            None => {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                if name == "list" {
                    println!("{}", names.join("\n"));
                    return ExitCode::SUCCESS;
                }
                eprintln!("error: unknown fault `{name}`; the faults are: {}", names.join(", "));
                return ExitCode::from(2);
            }
        },
    };
    let fixture = match fixture {
        None => Fixture::builtin(),
        Some(path) => match Source::read(&path).and_then(|s| Fixture::parse(&s)) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    // One thread serves best where the clients share the machine's few cores
    // (measured with wrk on 2 cores: a lower p99 than two workers).
    let runtime = match threads {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        n => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build(),
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {listen}: {e}");
                return ExitCode::from(2);
            }
        };
        let addr = listener.local_addr().map_or(listen.to_string(), |a| a.to_string());
        println!("reference server listening on http://{addr}/v0/{{accountKey}}/calls/");
        tokio::select! {
            result = server::serve(listener, fixture, fault) => match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => { eprintln!("error: {e}"); ExitCode::FAILURE }
            },
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
        }
    })
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

fn coverage(page: Option<PathBuf>, cases: Vec<PathBuf>) -> ExitCode {
    use vcc_conformance::coverage;
    let loaded = runner::load(&runner::Options { cases, ..runner::Options::default() });
    let page = page.map(|path| Source::read(&path));
    let (cases, items, page) = match (loaded, coverage::items(), page.transpose()) {
        (Ok((cases, _)), Ok(items), Ok(page)) => (cases, items, page),
        (Err(e), _, _) => return fail(&e),
        (_, Err(e), _) | (_, _, Err(e)) => return fail(&e.to_string()),
    };
    print!("{}", coverage::table(&items, &cases));
    let problems = coverage::problems(&items, &cases);
    for p in &problems {
        eprintln!("error: {p}");
    }
    let page = page.map(|page| coverage::check_page(&page.text, &items));
    if let Some(report) = &page {
        print!("{report}");
    }
    println!("{}", coverage::summary(&items, &cases));
    let page_agrees = page.is_none_or(|r| r.agrees());
    if problems.is_empty() && page_agrees { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    match Cli::parse() {
        Cli::Run { args } => runner::run(&args, runner::EmptySelection::Fail),
        Cli::Selftest { timeout } => selftest(timeout),
        Cli::Coverage { page, cases } => coverage(page, cases),
        Cli::Diff { args } => runner::diff(&args),
        Cli::Serve { listen, fixture, fault, threads } => serve(listen, fixture, fault, threads),
    }
}
