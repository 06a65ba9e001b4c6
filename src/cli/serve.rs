//! `serve`: the reference server as a process, for other teams to test against.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::suite::Source;
use crate::server::{self, faults::Fault, fixture::Fixture};

/// The options of `serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Account state to serve (YAML or JSON) instead of the built-in fixture
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Deviate from the contract on purpose, for self-tests (`--fault list` names them)
    #[arg(long)]
    pub fault: Option<String>,
    /// Threads serving requests (1: a single-threaded runtime)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,
}

pub fn serve(args: ServeArgs) -> ExitCode {
    let ServeArgs { listen, fixture, fault, threads } = args;
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

