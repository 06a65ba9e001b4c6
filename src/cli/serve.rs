//! The `serve` subcommand: its options ([`ServeArgs`]) and [`run`], which loads
//! the fixture, picks the fault, and serves until interrupted (Ctrl-C or
//! SIGTERM), then writes the consumer coverage report if asked. Exit status 2
//! when it cannot start, or cannot write that report.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::suite::Source;

use crate::cli::values::parse_positive_seconds;
use crate::located::LocatedError;
use crate::server::exercised::Catalog;
use crate::server::faults::Fault;
use crate::server::fixture::Fixture;
use crate::server::limits::{self, Limits};
use crate::server::tally::{self, Tally};
use crate::server::tokens::TokenKey;
use crate::server::{Settings, serve_with};

/// Where to listen: a port (on 127.0.0.1), `host:port`, or an address and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listen {
    Addr(SocketAddr),
    Host(String, u16),
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(text: &str) -> Result<Listen, String> {
        let port = |p: &str| {
            p.parse::<u16>().map_err(|_| format!("`{p}` is not a port (0 to 65535); try 8080, localhost:8080 or 127.0.0.1:8080"))
        };
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Listen::Addr(SocketAddr::from(([127, 0, 0, 1], port(text)?))));
        }
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(Listen::Addr(addr));
        }
        match text.rsplit_once(':') {
            Some((host, p)) if !host.is_empty() && !host.contains([':', '[', ']', '/']) => {
                Ok(Listen::Host(host.to_owned(), port(p)?))
            }
            _ => Err(format!("`{text}` is not an address to listen on; try 8080, localhost:8080, 127.0.0.1:8080 or [::1]:8080")),
        }
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Addr(addr) => write!(f, "{addr}"),
            Listen::Host(host, port) => write!(f, "{host}:{port}"),
        }
    }
}

/// Serve the reference server.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on: a port (8080, on 127.0.0.1), host:port (localhost:8080), or an address
    /// and port (127.0.0.1:8080, [::1]:8080)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: Listen,
    /// Account state to serve (YAML or JSON) instead of the built-in fixture
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    /// Deviate from the contract on purpose, for self-tests (`--fault list` names and describes them);
    /// one at a time
    #[arg(long, value_name = "NAME", action = clap::ArgAction::Append)]
    pub fault: Vec<String>,
    /// Threads serving requests (1: a single-threaded runtime)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,
    /// Write one line per request to stderr: status, method, path and latency
    #[arg(long)]
    pub log: bool,
    /// Connections served at once; past it, a connection gets a JSON 503 and is closed
    /// [default: what the open-file limit leaves room for (its soft limit raised to the hard one), at
    /// most 10000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: Option<u32>,
    /// Connections one client may hold of them (a client: an IPv4 address, or an IPv6 /64); past
    /// it, that client's new connections get a JSON 503 while others are served. Clients behind one
    /// proxy share one address: set it to --max-connections to turn shares off [default: a tenth of
    /// --max-connections, at least 64]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections_per_client: Option<u32>,
    /// Seconds a connection may take to send a request's headers, from when it opens or its last
    /// answer (so also how long it may stay idle), or leave an answer unread
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0, value_parser = parse_positive_seconds)]
    pub idle_timeout: f64,
    /// Seconds a request's body may take to arrive (408 after)
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0, value_parser = parse_positive_seconds)]
    pub body_timeout: f64,
    /// Key signing the OAuth2 tokens this server issues (at least 16 bytes); servers sharing a key
    /// honour each other's tokens and expiries [default: random, per process]
    #[arg(long, value_name = "KEY", env = "VCC_TOKEN_KEY", hide_env_values = true)]
    pub token_key: Option<String>,
    /// Keep the calling agent busy for SECONDS after each call it places, answering the page's "Agent
    /// number busy" meanwhile, as a live platform does [default: never busy]
    #[arg(long, value_name = "SECONDS", value_parser = parse_positive_seconds)]
    pub busy_after_call: Option<f64>,
    /// When the server stops (Ctrl-C or SIGTERM), write the consumer coverage report to FILE: which
    /// documented items each client's requests exercised, and which they never did (JSON when FILE
    /// ends in .json, else Markdown). GET /_vcc/coverage answers the same JSON at any time
    #[arg(long, value_name = "FILE")]
    pub coverage_report: Option<PathBuf>,
    /// Clients the consumer coverage counts apart (a client: the subject of a token this server
    /// issued, else an address); the clients past them share one row, "others"
    #[arg(long, value_name = "N", default_value_t = tally::DEFAULT_MAX_CLIENTS as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub coverage_clients: u32,
}

fn fail(message: impl fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Why `serve` cannot start with these options.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown fault `{name}`; the faults are: {}{}", names(), did_you_mean(.name))]
    UnknownFault { name: String },
    #[error(
        "serve takes one --fault at a time (a server with several deviations could not tell which one a case \
         caught), not {}",
        .0.join(" and ")
    )]
    SeveralFaults(Vec<String>),
    #[error("--token-key: {0}")]
    TokenKey(String),
    #[error("the contract the consumer coverage counts by: {0}")]
    Contract(#[from] LocatedError),
}

fn names() -> String {
    Fault::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

fn did_you_mean(name: &str) -> String {
    crate::suggest::closest(name, Fault::ALL.iter().map(|f| f.name())).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

/// The settings the options describe, or why they cannot be used.
fn settings(args: &ServeArgs) -> Result<Settings, Error> {
    let fault = match args.fault.as_slice() {
        [] => None,
        [name] => Some(Fault::from_name(name).ok_or_else(|| Error::UnknownFault { name: name.clone() })?),
        several => return Err(Error::SeveralFaults(several.to_vec())),
    };
    let token_key = match &args.token_key {
        Some(secret) => TokenKey::from_secret(secret.as_bytes()).map_err(Error::TokenKey)?,
        None => TokenKey::random(),
    };
    let max_connections = args.max_connections.map_or_else(limits::default_max_connections, |n| n as usize);
    let limits = Limits {
        max_connections,
        max_per_client: args
            .max_connections_per_client
            .map_or_else(|| limits::default_per_client(max_connections), |n| n as usize)
            .min(max_connections),
        idle_timeout: Duration::from_secs_f64(args.idle_timeout),
        body_timeout: Duration::from_secs_f64(args.body_timeout),
    };
    Ok(Settings {
        fault,
        limits,
        token_key: Arc::new(token_key),
        log_requests: args.log,
        log: Default::default(),
        busy_after_call: args.busy_after_call.map(Duration::from_secs_f64),
        coverage: Some(Arc::new(Tally::new(Catalog::shipped()?, args.coverage_clients as usize))),
    })
}

/// Writes the consumer coverage report where `--coverage-report` asked, and
/// says on stderr what it holds; exit status 2 when it cannot be written.
fn write_coverage(tally: Option<&Tally>, path: Option<&std::path::Path>) -> ExitCode {
    let Some(tally) = tally else { return ExitCode::SUCCESS };
    let report = tally.report();
    let headline = report.headline(&report.all);
    let Some(path) = path else {
        eprintln!("{headline}");
        return ExitCode::SUCCESS;
    };
    match crate::files::write_whole(path, report.render_for(path).as_bytes()) {
        Ok(()) => {
            eprintln!("{headline}; the report: {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(format_args!("could not write the consumer coverage report {}: {e}", path.display())),
    }
}

/// Runs `serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    if args.fault.iter().any(|f| f == "list") {
        print!("{}", Fault::list());
        return ExitCode::SUCCESS;
    }
    limits::raise_open_file_limit();
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.coverage_report
        && let Err(e) = crate::report::check_path("--coverage-report", path)
    {
        return fail(e);
    }
    let tally = settings.coverage.clone();
    let fixture = match &args.fixture {
        None => Fixture::builtin(),
        Some(path) => match Source::read(path).and_then(|s| Fixture::parse(&s)) {
            Ok(f) => f,
            Err(e) => return fail(e),
        },
    };
    // One thread serves best where the clients share the machine's few cores
    // (measured with wrk on 2 cores: a lower p99 than two workers).
    let runtime = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        n => tokio::runtime::Builder::new_multi_thread().worker_threads(usize::from(n)).enable_all().build(),
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => return fail(format_args!("could not start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let stop = crate::exec::signals::signal();
        let bound = match &args.listen {
            Listen::Addr(addr) => tokio::net::TcpListener::bind(addr).await,
            Listen::Host(host, port) => tokio::net::TcpListener::bind((host.as_str(), *port)).await,
        };
        let listener = match bound {
            Ok(l) => l,
            Err(e) => return fail(format_args!("cannot listen on {}: {e}", args.listen)),
        };
        let addr = listener.local_addr().map_or(args.listen.to_string(), |a| a.to_string());
        println!("reference server listening on http://{addr}/v0/{{accountKey}}/calls/");
        tokio::select! {
            result = serve_with(listener, fixture, settings) => match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => { eprintln!("error: {e}"); ExitCode::FAILURE }
            },
            () = stop => write_coverage(tally.as_deref(), args.coverage_report.as_deref()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_takes_a_port_a_host_and_port_or_an_address() {
        let addr = |s: &str| Listen::Addr(s.parse().unwrap());
        assert_eq!("8080".parse(), Ok(addr("127.0.0.1:8080")));
        assert_eq!("127.0.0.1:8080".parse(), Ok(addr("127.0.0.1:8080")));
        assert_eq!("[::1]:8080".parse(), Ok(addr("[::1]:8080")));
        assert_eq!("localhost:8080".parse(), Ok(Listen::Host("localhost".into(), 8080)));
        for bad in ["", "80800", "localhost", "localhost:", ":8080", "::1:8080", "http://localhost:8080", "a b:x"] {
            let e = bad.parse::<Listen>().unwrap_err();
            assert!(e.contains("8080"), "{bad}: {e}");
        }
    }

    #[test]
    fn fault_list_has_one_described_line_per_fault() {
        let list = Fault::list();
        assert_eq!(list.lines().count(), Fault::ALL.len());
        for (line, fault) in list.lines().zip(Fault::ALL) {
            let (name, description) = line.split_once("  ").unwrap();
            assert_eq!(name, fault.name());
            assert_eq!(description.trim(), fault.description());
            assert!(!fault.description().is_empty());
        }
    }

    #[test]
    fn a_short_token_key_or_an_unknown_fault_is_refused() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied())).map(|c| c.serve);
        let e = settings(&parse(&["--token-key", "short"]).unwrap()).err().unwrap().to_string();
        assert!(e.contains("--token-key") && e.contains("16 bytes") && !e.contains("short"), "{e}");
        let e = settings(&parse(&["--fault", "nope"]).unwrap()).err().unwrap().to_string();
        assert!(e.contains("message-typo"), "{e}");
        let e = settings(&parse(&["--fault", "message-typo", "--fault", "created-200"]).unwrap()).err().unwrap();
        assert!(matches!(&e, Error::SeveralFaults(both) if both.len() == 2), "{e}");
        assert!(e.to_string().contains("one --fault at a time") && e.to_string().contains("message-typo and created-200"), "{e}");
        let e = settings(&parse(&["--fault", "mesage-typo"]).unwrap()).err().unwrap().to_string();
        assert!(e.ends_with("(did you mean `message-typo`?)"), "{e}");
        let s = settings(&parse(&["--max-connections", "7", "--idle-timeout", "0.5", "--log"]).unwrap()).ok().unwrap();
        assert_eq!((s.limits.max_connections, s.limits.idle_timeout, s.log_requests), (7, Duration::from_millis(500), true));
        assert_eq!(s.limits.max_per_client, 7, "a share is never more than the cap");
        let s = settings(&parse(&["--max-connections", "5000", "--max-connections-per-client", "20"]).unwrap()).ok().unwrap();
        assert_eq!((s.limits.max_connections, s.limits.max_per_client), (5000, 20));
        let s = settings(&parse(&["--max-connections", "5000"]).unwrap()).ok().unwrap();
        assert_eq!(s.limits.max_per_client, 500, "a tenth by default");
        assert!(parse(&["--max-connections-per-client", "0"]).is_err());
        assert_eq!(s.busy_after(), None, "no agent is kept busy unless asked");
        let s = settings(&parse(&["--busy-after-call", "2"]).unwrap()).ok().unwrap();
        assert_eq!(s.busy_after(), Some(Duration::from_secs(2)));
        let s = settings(&parse(&["--fault", "harmless-busy-after-call"]).unwrap()).ok().unwrap();
        assert_eq!(s.busy_after(), Some(Duration::from_millis(500)));
        assert!(parse(&["--busy-after-call", "0"]).is_err());
        assert!(parse(&["--idle-timeout", "0"]).is_err());
        assert!(parse(&["--max-connections", "0"]).is_err());
    }
}
