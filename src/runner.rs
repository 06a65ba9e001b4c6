//! Runner: turns the command line into a run. It splits our options from
//! libtest's, loads variables and cases, starts the embedded reference server
//! when no base URL is given, and hands one trial per case to libtest-mimic.
//!
//! Exit status: 0 when every selected case passes, 101 when one fails (as
//! `cargo test`), 2 when the run cannot start (a broken case file, a bad flag,
//! a filter that selects no case).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use tokio::sync::oneshot;

use crate::cases::{self, Case, Source};
use crate::checks;
use crate::client::Client;
use crate::secrets::Secret;
use crate::report::{self, Record, Status};
use crate::schemas::Schemas;
use crate::server::{self, fixture::Fixture};
use crate::vars::Vars;

/// The token sent to the embedded server when none is given.
pub const EMBEDDED_TOKEN: &str = "embedded-reference-token";

/// Our options; everything else goes to libtest-mimic.
#[derive(Debug, Default)]
pub struct Options {
    pub base_url: Option<String>,
    /// Names the base URL and the token URL (`--region`, `VCC_REGION`).
    pub region: Option<crate::auth::Region>,
    pub token: Option<Secret>,
    pub vars: Vec<(String, String)>,
    pub vars_files: Vec<PathBuf>,
    pub cases: Vec<PathBuf>,
    pub timeout: Option<Duration>,
    pub allow_real_calls: bool,
    pub dry_run: bool,
    pub export_hurl: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub token_url: Option<String>,
    pub scope: Option<String>,
    /// Requests per second at most; 0 = no pacing. Default: none on loopback, 5 elsewhere.
    pub max_rps: Option<f64>,
    pub help: bool,
}

/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

pub const USAGE: &str = "\
usage: vcc-conformance run [OPTIONS] [LIBTEST OPTIONS] [FILTER]

Runs every case against BASE_URL, or against the embedded reference server when
no base URL is given.

options:
  --base-url URL     the deployment to test (env VCC_BASE_URL)
  --region R         or a Vonage region, emea, nam or apac: its base URL and
                     token URL (env VCC_REGION)
  --token TOKEN      bearer token (env VCC_TOKEN; the environment keeps it out
                     of the process list); never printed
  --client-id ID     or fetch tokens with OAuth2 client credentials (env
  --client-secret S  VCC_CLIENT_ID, VCC_CLIENT_SECRET): fetched once, reused,
  --token-url URL    refreshed before expiry; the token URL defaults to the
  --scope SCOPE      base URL's host + /Auth/connect/token (env VCC_TOKEN_URL,
                     VCC_SCOPE); the scope is required
  --var NAME=VALUE   set a variable (repeatable); wins over --vars
  --vars FILE        a YAML or JSON map of variables (repeatable)
  --cases PATH       also run the case files in PATH, a folder or a file (repeatable)
  --timeout SECS     per-request timeout, default 10
  --allow-real-calls run the cases that may place a call (tagged places-call,
                     or whose expectation accepts a 201) against a deployment
                     that is not on loopback (they place real phone calls);
                     without it they are reported as ignored
  --max-rps N        send at most N requests a second (0: no pacing); default
                     no pacing on loopback, 5 a second elsewhere
  --junit FILE       also write a JUnit XML report there (written whole, also
                     when cases fail)
  --html FILE        also write a self-contained HTML report there
  --dry-run          print each selected case as a curl command (the token as
                     $VCC_TOKEN) and send nothing
  --export-hurl FILE write the selected cases as a Hurl file (the token as
                     {{token}}; status checks only) and send nothing
  -h, --help         this text

libtest options (as with cargo test): --list, --exact, --skip PATTERN,
--ignored, --include-ignored, --test-threads N (default 8), --format pretty|terse|json,
-q/--quiet, --color auto|always|never, and a FILTER that test names must contain.

environment (for runners that cannot pass flags, such as cargo nextest):
  VCC_BASE_URL or VCC_REGION, VCC_TOKEN, VCC_VARS and VCC_CASES (paths separated by :),
  VCC_VAR (NAME=VALUE;NAME=VALUE), VCC_TIMEOUT, VCC_MAX_RPS, VCC_JUNIT,
  VCC_HTML, VCC_ALLOW_REAL_CALLS=1. Flags win over the environment.

exit status: 0 all passed, 101 a case failed, 2 the run could not start.
";

fn parse_timeout(value: &str) -> Result<Duration, String> {
    let secs: f64 = value.parse().map_err(|_| format!("--timeout takes seconds, not `{value}`"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!("--timeout must be more than 0 and at most 3600 seconds, not {value}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_rps(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(rps) if (0.0..=100_000.0).contains(&rps) => Ok(rps),
        _ => Err(format!("--max-rps takes a number of requests per second from 0 (no pacing) to 100000, not `{value}`")),
    }
}

/// The pacing for a run: the given rate, or none on loopback and a gentle 5
/// requests per second elsewhere.
pub fn pacing(max_rps: Option<f64>, base: &str) -> Option<Duration> {
    let rps = max_rps.unwrap_or(if is_loopback(base) { 0.0 } else { 5.0 });
    (rps > 0.0).then(|| Duration::from_secs_f64(1.0 / rps))
}

/// Splits `args` (without the program name) into our options and libtest's.
/// Accepts `--flag value` and `--flag=value`.
pub fn split_args(args: &[String]) -> Result<(Options, Vec<String>), String> {
    let mut opts = Options::default();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let ours = [
            "--base-url", "--token", "--var", "--vars", "--cases", "--timeout", "--junit", "--max-rps", "--html", "--export-hurl",
            "--client-id", "--client-secret", "--token-url", "--scope", "--region",
        ];
        let switch = match arg.as_str() {
            "-h" | "--help" => Some(&mut opts.help),
            "--allow-real-calls" => Some(&mut opts.allow_real_calls),
            "--dry-run" => Some(&mut opts.dry_run),
            _ => None,
        };
        if let Some(flag) = switch {
            *flag = true;
            i += 1;
            continue;
        }
        if !ours.contains(&flag) {
            rest.push(arg.clone());
            i += 1;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i).cloned().ok_or_else(|| format!("{flag} needs a value"))?
            }
        };
        match flag {
            "--base-url" => opts.base_url = Some(value),
            "--token" => opts.token = Some(Secret::new(value)),
            "--var" => {
                let (name, v) = value.split_once('=').ok_or_else(|| format!("--var takes NAME=VALUE, not `{value}`"))?;
                opts.vars.push((name.to_owned(), v.to_owned()));
            }
            "--vars" => opts.vars_files.push(PathBuf::from(value)),
            "--cases" => opts.cases.push(PathBuf::from(value)),
            "--junit" => opts.junit = Some(PathBuf::from(value)),
            "--html" => opts.html = Some(PathBuf::from(value)),
            "--export-hurl" => opts.export_hurl = Some(PathBuf::from(value)),
            "--client-id" => opts.client_id = Some(value),
            "--client-secret" => opts.client_secret = Some(Secret::new(value)),
            "--token-url" => opts.token_url = Some(value),
            "--scope" => opts.scope = Some(value),
            "--region" => opts.region = Some(value.parse().map_err(|e| format!("--region: {e}"))?),
            "--max-rps" => opts.max_rps = Some(parse_rps(&value)?),
            "--timeout" => opts.timeout = Some(parse_timeout(&value)?),
            _ => unreachable!("every flag in `ours` is handled"),
        }
        i += 1;
    }
    Ok((opts, rest))
}

impl Options {
    /// Fills what the flags left unset from the environment, for runners (such as
    /// nextest) that cannot pass flags: `VCC_BASE_URL`, `VCC_TOKEN`, `VCC_VARS`
    /// and `VCC_CASES` (paths separated by `:`), `VCC_VAR` (`NAME=VALUE` pairs
    /// separated by `;`), `VCC_TIMEOUT`, `VCC_MAX_RPS`, `VCC_JUNIT`, `VCC_HTML`,
    /// `VCC_CLIENT_ID`, `VCC_CLIENT_SECRET`, `VCC_TOKEN_URL`, `VCC_SCOPE`,
    /// `VCC_ALLOW_REAL_CALLS=1` (or `true`). Empty values count as unset.
    pub fn with_env(self) -> Result<Options, String> {
        self.with_env_from(|name| std::env::var(name).ok())
    }

    pub fn with_env_from(mut self, get: impl Fn(&str) -> Option<String>) -> Result<Options, String> {
        let env = |name: &str| get(name).filter(|v| !v.is_empty());
        let paths = |v: String| v.split(':').filter(|p| !p.is_empty()).map(PathBuf::from).collect::<Vec<_>>();
        // The deployment: a flag wins over the environment; two that name it are refused.
        match (self.region, &self.base_url) {
            (Some(_), Some(_)) => return Err("--region and --base-url both name the deployment: give one".into()),
            (None, None) => {
                let region = env("VCC_REGION").map(|r| r.parse().map_err(|e| format!("VCC_REGION: {e}"))).transpose()?;
                self.base_url = env("VCC_BASE_URL");
                if region.is_some() && self.base_url.is_some() {
                    return Err("VCC_REGION and VCC_BASE_URL both name the deployment: set one".into());
                }
                self.region = region;
            }
            _ => {}
        }
        if self.token.is_none() {
            self.token = env("VCC_TOKEN").map(Secret::new);
        }
        self.client_id = self.client_id.or_else(|| env("VCC_CLIENT_ID"));
        self.client_secret = self.client_secret.or_else(|| env("VCC_CLIENT_SECRET").map(Secret::new));
        self.token_url = self.token_url.or_else(|| env("VCC_TOKEN_URL"));
        self.scope = self.scope.or_else(|| env("VCC_SCOPE"));
        if let Some(region) = self.region {
            self.base_url = Some(region.base_url().to_owned());
            self.token_url = self.token_url.or_else(|| Some(region.token_url().to_owned()));
        }
        if self.vars_files.is_empty() {
            self.vars_files = env("VCC_VARS").map(paths).unwrap_or_default();
        }
        if self.cases.is_empty() {
            self.cases = env("VCC_CASES").map(paths).unwrap_or_default();
        }
        if let Some(pairs) = env("VCC_VAR") {
            let mut from_env = Vec::new();
            for pair in pairs.split(';').filter(|p| !p.trim().is_empty()) {
                let (name, value) = pair.split_once('=').ok_or_else(|| format!("VCC_VAR: `{pair}` is not NAME=VALUE"))?;
                from_env.push((name.trim().to_owned(), value.to_owned()));
            }
            from_env.append(&mut self.vars);
            self.vars = from_env;
        }
        if self.timeout.is_none() {
            self.timeout = env("VCC_TIMEOUT").map(|v| parse_timeout(&v)).transpose()?;
        }
        if self.max_rps.is_none() {
            self.max_rps = env("VCC_MAX_RPS").map(|v| parse_rps(&v)).transpose()?;
        }
        if self.junit.is_none() {
            self.junit = env("VCC_JUNIT").map(PathBuf::from);
        }
        if self.html.is_none() {
            self.html = env("VCC_HTML").map(PathBuf::from);
        }
        self.allow_real_calls |= env("VCC_ALLOW_REAL_CALLS").is_some_and(|v| v == "1" || v == "true");
        Ok(self)
    }

    /// The variables: shipped defaults, then `--vars` files, then `--var`s.
    pub fn vars(&self) -> Result<Vars, String> {
        let (path, text) = cases::SHIPPED_VARS;
        let mut vars = cases::load_vars(&Source { path: path.into(), text: text.into() }).map_err(|e| e.to_string())?;
        for file in &self.vars_files {
            vars.overlay(cases::load_vars(&Source::read(file).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?);
        }
        for (name, value) in &self.vars {
            vars.set(name, value).map_err(|e| format!("--var {name}: {e}"))?;
        }
        Ok(vars)
    }

    /// The case files: the shipped ones, then each `--cases` path.
    pub fn sources(&self) -> Result<Vec<Source>, String> {
        let mut sources = Source::shipped();
        for path in &self.cases {
            let more = if path.is_dir() { Source::read_dir(path) } else { Source::read(path).map(|s| vec![s]) };
            let more = more.map_err(|e| e.to_string())?;
            if more.is_empty() {
                return Err(format!("{}: no case files (*.yaml, *.yml, *.json) there", path.display()));
            }
            sources.extend(more);
        }
        Ok(sources)
    }
}

/// Loads everything a run needs before the first request.
pub fn load(opts: &Options) -> Result<(Vec<Case>, Schemas), String> {
    let vars = opts.vars()?;
    let schemas = Schemas::shipped();
    let sources = opts.sources()?;
    // The response schemas compile beside the parsing, not in the first cases' way.
    let cases = std::thread::scope(|scope| {
        scope.spawn(|| schemas.warm(&["call-created", "error"]));
        cases::load(&sources, &vars, &schemas.names())
    });
    Ok((cases.map_err(|e| e.to_string())?, schemas))
}

struct Shared {
    client: Client,
    /// Keep the exchange of passing cases too (for the HTML report).
    keep_passing: bool,
    schemas: Schemas,
    runtime: tokio::runtime::Handle,
    records: std::sync::Mutex<Vec<Record>>,
}

impl Shared {
    fn keep(&self, record: Record) {
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }
}

/// Sends one case and checks the answer.
/// The exchange of a passing case is written out only when `keep_passing` (the
/// HTML report shows every case); a failure's always is.
pub async fn run_case(case: &Case, client: &Client, schemas: &Schemas, keep_passing: bool) -> Record {
    let started = std::time::Instant::now();
    let outcome = client.send(&case.request).await;
    let findings = match &outcome {
        Ok(resp) => checks::check(&case.expect, &case.request, resp, schemas),
        Err(_) => Vec::new(),
    };
    let url = client.url(&case.request);
    report::record(case, &url, client.redactor(), &outcome, &findings, started.elapsed(), keep_passing)
}

/// Sends one case and checks the answer: `Err` carries the failure report.
pub async fn execute(case: &Case, client: &Client, schemas: &Schemas) -> Result<(), String> {
    let record = run_case(case, client, schemas, false).await;
    match record.status {
        Status::Failed => Err(record.failure_text()),
        _ => Ok(()),
    }
}

/// Why a case that may place a call was not sent.
fn real_call_reason(case: &Case) -> &'static str {
    if case.has_tag("places-call") {
        "places a real call on a deployment that is not on loopback; pass --allow-real-calls to run it"
    } else {
        "its expectation accepts a 201 (or another 2xx), so it may place a real call on a deployment that is \
         not on loopback; pass --allow-real-calls to run it"
    }
}

/// Whether a base URL points at this machine (where placing a "call" is harmless).
pub fn is_loopback(base: &str) -> bool {
    match reqwest::Url::parse(base).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Starts sending, on the runtime, every case for which `runs` holds, at most
/// `width` at a time and in order; each trial then only waits for its record.
/// (Sending from a test thread through the runtime's handle costs a request
/// several wake-ups across threads; this costs one.)
fn send_ahead(
    shared: &Arc<Shared>,
    cases: &[Case],
    runs: impl Fn(&Case) -> bool,
    width: usize,
) -> Vec<Option<oneshot::Receiver<Record>>> {
    let permits = Arc::new(tokio::sync::Semaphore::new(width.max(1)));
    cases
        .iter()
        .map(|case| {
            if !runs(case) {
                return None;
            }
            let (tx, rx) = oneshot::channel();
            let (shared, case, permits) = (Arc::clone(shared), case.clone(), Arc::clone(&permits));
            shared.runtime.clone().spawn(async move {
                let Ok(_permit) = permits.acquire_owned().await else { return };
                let _ = tx.send(run_case(&case, &shared.client, &shared.schemas, shared.keep_passing).await);
            });
            Some(rx)
        })
        .collect()
}

fn trial(case: Case, shared: Arc<Shared>, guard_real_calls: bool, pending: Option<oneshot::Receiver<Record>>) -> Trial {
    let name = case.test_name();
    if guard_real_calls && case.may_place_call() {
        let reason = real_call_reason(&case);
        return Trial::ignorable_test(name, move || {
            shared.keep(Record::ignored(&case, reason));
            Ok(Completion::ignored_with(reason))
        });
    }
    Trial::test(name, move || {
        // Sent ahead; or, should that task have died, sent now.
        let record = match pending.and_then(|rx| rx.blocking_recv().ok()) {
            Some(record) => record,
            None => shared.runtime.block_on(run_case(&case, &shared.client, &shared.schemas, shared.keep_passing)),
        };
        let result = match record.status {
            Status::Failed => Err(Failed::from(record.failure_text())),
            _ => Ok(()),
        };
        shared.keep(record);
        result
    })
}


/// Whether the filter (`FILTER`, `--exact`, `--skip`) selects this case.
fn selected_by(libtest: &Arguments, case: &Case) -> bool {
    !libtest.is_filtered_out(&Trial::test(case.test_name(), || Ok(())))
}

/// Cases in flight at once unless `--test-threads` says otherwise. A case mostly
/// waits on the network, so more than the cores; pacing (`--max-rps`) still
/// bounds what a deployment sees.
pub const DEFAULT_TEST_THREADS: usize = 8;

/// How many cases are in flight at once.
fn in_flight(libtest: &Arguments) -> usize {
    libtest.test_threads.unwrap_or(DEFAULT_TEST_THREADS)
}

/// Refuses a token or client secret too short to be hidden from the reports.
fn check_secrets(opts: &Options) -> Result<(), crate::secrets::SecretError> {
    if let Some(token) = &opts.token {
        token.check("the token (--token or VCC_TOKEN)")?;
    }
    if let Some(secret) = &opts.client_secret {
        secret.check("the client secret (--client-secret or VCC_CLIENT_SECRET)")?;
    }
    Ok(())
}

/// Hides the secrets given on the command line (for the outputs of a run that
/// sends nothing).
fn opts_redactor(opts: &Options) -> crate::secrets::Redactor {
    let redactor = crate::secrets::Redactor::of(&opts.token);
    if let Some(secret) = &opts.client_secret {
        redactor.hide_basic(opts.client_id.as_deref().unwrap_or_default(), secret);
    }
    redactor
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
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

/// Runs the suite with these arguments (program name excluded).
pub fn run(args: &[String], empty: EmptySelection) -> ExitCode {
    let (opts, rest) = match split_args(args) {
        Ok(split) => split,
        Err(e) => return fail(&format!("{e}\n\n{USAGE}")),
    };
    if opts.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let opts = match opts.with_env() {
        Ok(opts) => opts,
        Err(e) => return fail(&e),
    };
    if let Err(e) = check_secrets(&opts) {
        return fail(&e.to_string());
    }
    let libtest = match Arguments::try_parse_from(std::iter::once("vcc-conformance".to_owned()).chain(rest)) {
        Ok(a) => a,
        Err(e) => {
            let text = e.to_string();
            return fail(&format!("{}\n{USAGE}", text.trim_start_matches("error: ").trim_end()));
        }
    };
    let (cases, schemas) = match load(&opts) {
        Ok(loaded) if loaded.0.is_empty() => return fail("no case was loaded"),
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    if opts.dry_run || opts.export_hurl.is_some() {
        let base = opts.base_url.as_deref().unwrap_or("http://127.0.0.1:8080");
        let base = match crate::client::parse_base_url(base) {
            Ok(b) => b,
            Err(e) => return fail(&e),
        };
        let selected: Vec<&Case> =
            cases.iter().filter(|c| selected_by(&libtest, c)).collect();
        let redactor = opts_redactor(&opts);
        if let Some(path) = &opts.export_hurl {
            let hurl: String = selected.iter().map(|c| crate::export::hurl(c, &base)).collect();
            if let Err(e) = report::write_whole(path, &redactor.redact(&hurl)) {
                return fail(&format!("could not write {}: {e}", path.display()));
            }
        }
        if opts.dry_run {
            for case in selected {
                let curl = crate::export::curl(case, &base);
                println!("# {} ({}:{})\n{}\n", case.test_name(), case.source, case.line, redactor.redact(&curl));
            }
        }
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("could not start the async runtime: {e}")),
    };
    if opts.token.is_some() && opts.client_id.is_some() {
        return fail("give either a token or client credentials, not both");
    }
    if opts.client_id.is_some() != opts.client_secret.is_some() {
        return fail("client credentials need both --client-id and --client-secret");
    }
    let (base, token) = match &opts.base_url {
        Some(url) => {
            if opts.token.is_none() && opts.client_id.is_none() {
                eprintln!("warning: no token (--token or VCC_TOKEN): requests go without Authorization");
            }
            (url.clone(), opts.token.clone())
        }
        None => match runtime.block_on(server::start_embedded(Fixture::builtin(), None)) {
            Ok(addr) => {
                let token = opts.token.clone().or(opts.client_id.is_none().then(|| Secret::new(EMBEDDED_TOKEN)));
                (format!("http://{addr}"), token)
            }
            Err(e) => return fail(&format!("could not start the embedded reference server: {e}")),
        },
    };
    let client = Client::new(&base, token, opts.timeout.unwrap_or(DEFAULT_TIMEOUT))
        .map(|c| c.with_pacing(pacing(opts.max_rps, &base)));
    let mut client = match client {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if let (Some(client_id), Some(client_secret)) = (&opts.client_id, &opts.client_secret) {
        let token_url = match opts.token_url.clone().map_or_else(|| crate::auth::default_token_url(&base), Ok) {
            Ok(url) => url,
            Err(e) => return fail(&e),
        };
        let credentials = match crate::auth::Credentials::new(client_id, client_secret.clone(), token_url, opts.scope.clone()) {
            Ok(credentials) => credentials,
            Err(e) => return fail(&e.to_string()),
        };
        client = client.with_client_credentials(credentials);
        if let Err(e) = runtime.block_on(client.bearer()) {
            return fail(&client.redactor().redact(&e.to_string()));
        }
    }
    let keep_passing = opts.html.is_some();
    let shared = Arc::new(Shared { client, keep_passing, schemas, runtime: runtime.handle().clone(), records: Default::default() });
    let guard_real_calls = !opts.allow_real_calls && !is_loopback(&base);
    let guarded = |c: &Case| guard_real_calls && c.may_place_call();
    let runs = |c: &Case| {
        !libtest.list && !libtest.ignored && !guarded(c) && selected_by(&libtest, c)
    };
    let pending = send_ahead(&shared, &cases, runs, in_flight(&libtest));
    let trials: Vec<Trial> =
        cases.into_iter().zip(pending).map(|(c, p)| trial(c, Arc::clone(&shared), guard_real_calls, p)).collect();
    let selected = trials.iter().filter(|t| !libtest.is_filtered_out(t)).count();
    if selected == 0 && !libtest.list {
        let filter = libtest.filter.as_deref().unwrap_or("");
        let message = format!("no case matches the filter `{filter}` (try --list)");
        if empty == EmptySelection::Fail {
            return fail(&message);
        }
        eprintln!("warning: {message}");
    }
    let started = std::time::Instant::now();
    // The cases are already in flight (send_ahead); the trials only collect
    // their records, in order, on one thread.
    let conclusion = libtest_mimic::run(&Arguments { test_threads: Some(1), ..libtest }, trials);
    let records = shared.records.lock().map(|r| r.clone()).unwrap_or_default();
    let total = started.elapsed();
    // Every case has its record: what is left (the embedded server, idle
    // connections) is not waited for.
    runtime.shutdown_background();
    if let Some(path) = &opts.junit {
        if let Err(e) = crate::junit::write(path, &records, total) {
            eprintln!("error: could not write the JUnit report {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &opts.html {
        let page = crate::html::render(&records, total, shared.client.base());
        if let Err(e) = report::write_whole(path, &page) {
            eprintln!("error: could not write the HTML report {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    conclusion.exit_code()
}

/// `vcc-conformance diff --base-url A --against B [options]`: every case at both,
/// compared. Exit 0 when they answer alike, 1 when some case differs, 2 when the
/// run cannot start.
pub fn diff(args: &[String]) -> ExitCode {
    let mut against = None;
    let mut against_token = None;
    let mut rest = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let slot = match flag {
            "--against" => &mut against,
            "--against-token" => &mut against_token,
            _ => {
                rest.push(arg.clone());
                continue;
            }
        };
        match inline.or_else(|| iter.next().cloned()) {
            Some(v) => *slot = Some(v),
            None => return fail(&format!("{flag} needs a value")),
        }
    }
    let opts = match split_args(&rest).and_then(|(opts, leftover)| {
        if leftover.is_empty() { opts.with_env() } else { Err(format!("diff does not take {}", leftover.join(" "))) }
    }) {
        Ok(opts) => opts,
        Err(e) => return fail(&format!("{e}\n\nusage: vcc-conformance diff --base-url A --against B [--token T] [--against-token T] [--var K=V]... [--vars F] [--cases DIR] [--timeout S] [--allow-real-calls]")),
    };
    let against_token = against_token.map(|t| Secret::accept(t, "--against-token"));
    if let Some(Err(e)) = &against_token {
        return fail(&e.to_string());
    }
    if let Err(e) = check_secrets(&opts) {
        return fail(&e.to_string());
    }
    if opts.client_id.is_some() || opts.client_secret.is_some() {
        // Silently sending without a token would compare two sets of 401s.
        return fail(
            "diff takes static tokens only (--token or VCC_TOKEN, --against-token), not client credentials \
             (--client-id/--client-secret or VCC_CLIENT_ID/VCC_CLIENT_SECRET)",
        );
    }
    let (Some(a), Some(b)) = (opts.base_url.clone(), against) else {
        return fail("diff needs --base-url A and --against B");
    };
    let (cases, _) = match load(&opts) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    let off_loopback = !is_loopback(&a) || !is_loopback(&b);
    let (cases, skipped): (Vec<Case>, Vec<Case>) =
        cases.into_iter().partition(|c| opts.allow_real_calls || !off_loopback || !c.may_place_call());
    let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let b_token = against_token.and_then(Result::ok).or_else(|| opts.token.clone());
    let clients = Client::new(&a, opts.token.clone(), timeout)
        .and_then(|ca| Client::new(&b, b_token, timeout).map(|cb| (ca, cb)));
    let (ca, cb) = match clients {
        Ok((ca, cb)) => (ca.with_pacing(pacing(opts.max_rps, &a)), cb.with_pacing(pacing(opts.max_rps, &b))),
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("could not start the async runtime: {e}")),
    };
    let rows = match runtime.block_on(crate::diff::run(Arc::new(cases), Arc::new(ca), Arc::new(cb))) {
        Ok(rows) => rows,
        Err(e) => return fail(&e),
    };
    print!("{}", crate::diff::table(&rows, &a, &b));
    if !skipped.is_empty() {
        println!("{} cases that may place real calls were not sent (pass --allow-real-calls)", skipped.len());
    }
    if rows.iter().any(|r| r.difference.is_some()) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn cases_run_eight_at_a_time_unless_told() {
        let parse = |args: &[&str]| Arguments::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap();
        assert_eq!(in_flight(&parse(&[])), DEFAULT_TEST_THREADS);
        assert_eq!(in_flight(&parse(&["--test-threads", "1"])), 1);
    }

    #[test]
    fn our_flags_are_taken_and_the_rest_passed_on() {
        let (opts, rest) = split_args(&strings(&[
            "--base-url", "http://h", "--exact", "--var=a=b=c", "--token", "t", "examples::x", "--timeout=2.5",
            "--cases", "mine", "--test-threads", "4",
        ]))
        .unwrap();
        assert_eq!(opts.base_url.as_deref(), Some("http://h"));
        assert_eq!(opts.vars, vec![("a".to_owned(), "b=c".to_owned())]);
        assert_eq!(opts.token, Some(Secret::new("t")));
        assert_eq!(opts.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(opts.cases, vec![PathBuf::from("mine")]);
        assert_eq!(rest, strings(&["--exact", "examples::x", "--test-threads", "4"]));
    }

    #[test]
    fn the_environment_fills_what_flags_left_unset() {
        let env = |name: &str| {
            Some(match name {
                "VCC_BASE_URL" => "http://env",
                "VCC_VARS" => "a.yaml:b.yaml",
                "VCC_VAR" => "agentId=1;x=y=z",
                "VCC_TIMEOUT" => "3",
                "VCC_ALLOW_REAL_CALLS" => "1",
                _ => return None,
            }
            .to_owned())
        };
        let flags = Options { base_url: Some("http://flag".into()), vars: vec![("agentId".into(), "2".into())], ..Options::default() };
        let opts = flags.with_env_from(env).unwrap();
        assert_eq!(opts.base_url.as_deref(), Some("http://flag"));
        assert_eq!(opts.vars_files, vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]);
        assert_eq!(opts.vars.last(), Some(&("agentId".to_owned(), "2".to_owned())), "the flag wins");
        assert!(opts.vars.contains(&("x".to_owned(), "y=z".to_owned())));
        assert_eq!(opts.timeout, Some(Duration::from_secs(3)));
        assert!(opts.allow_real_calls);
        let bad = |name: &str| (name == "VCC_TIMEOUT").then(|| "soon".to_owned());
        assert!(Options::default().with_env_from(bad).is_err());
    }

    /// Every `VCC_*` setting the README and `--help` document, each filled from the
    /// environment when its flag is absent and left alone when the flag is given.
    const ENV: &[(&str, &str)] = &[
        ("VCC_BASE_URL", "http://env"),
        ("VCC_TOKEN", "env-token-123456"),
        ("VCC_CLIENT_ID", "env-client"),
        ("VCC_CLIENT_SECRET", "env-secret-123456"),
        ("VCC_TOKEN_URL", "http://env/token"),
        ("VCC_SCOPE", "env-scope"),
        ("VCC_VARS", "a.yaml:b.yaml"),
        ("VCC_CASES", "mine:::theirs.yaml"),
        ("VCC_VAR", "agentId=1"),
        ("VCC_TIMEOUT", "3"),
        ("VCC_MAX_RPS", "7.5"),
        ("VCC_JUNIT", "env.xml"),
        ("VCC_HTML", "env.html"),
        ("VCC_ALLOW_REAL_CALLS", "true"),
    ];

    fn from_env(name: &str) -> Option<String> {
        ENV.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn every_documented_setting_comes_from_the_environment() {
        let opts = Options::default().with_env_from(from_env).unwrap();
        assert_eq!(opts.base_url.as_deref(), Some("http://env"));
        assert_eq!(opts.token, Some(Secret::new("env-token-123456")));
        assert_eq!(opts.client_id.as_deref(), Some("env-client"));
        assert_eq!(opts.client_secret, Some(Secret::new("env-secret-123456")));
        assert_eq!(opts.token_url.as_deref(), Some("http://env/token"));
        assert_eq!(opts.scope.as_deref(), Some("env-scope"));
        assert_eq!(opts.vars_files, vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]);
        assert_eq!(opts.cases, vec![PathBuf::from("mine"), PathBuf::from("theirs.yaml")], "empty paths are skipped");
        assert_eq!(opts.vars, vec![("agentId".to_owned(), "1".to_owned())]);
        assert_eq!(opts.timeout, Some(Duration::from_secs(3)));
        assert_eq!(opts.max_rps, Some(7.5));
        assert_eq!(opts.junit, Some(PathBuf::from("env.xml")));
        assert_eq!(opts.html, Some(PathBuf::from("env.html")));
        assert!(opts.allow_real_calls);
        // Every name the usage text documents is one the environment fills.
        for (name, _) in ENV {
            assert!(USAGE.contains(name), "--help does not document {name}");
        }
    }

    #[test]
    fn flags_win_over_every_environment_setting() {
        let args = strings(&[
            "--base-url", "http://flag", "--token", "flag-token-123456", "--client-id", "flag-client",
            "--client-secret", "flag-secret-123456", "--token-url", "http://flag/token", "--scope", "flag-scope",
            "--vars", "flag.yaml", "--cases", "flag-cases", "--timeout", "4", "--max-rps", "0", "--junit", "flag.xml",
            "--html", "flag.html",
        ]);
        let (flags, rest) = split_args(&args).unwrap();
        assert!(rest.is_empty(), "{rest:?}");
        let opts = flags.with_env_from(from_env).unwrap();
        assert_eq!(opts.base_url.as_deref(), Some("http://flag"));
        assert_eq!(opts.token, Some(Secret::new("flag-token-123456")));
        assert_eq!(opts.client_id.as_deref(), Some("flag-client"));
        assert_eq!(opts.client_secret, Some(Secret::new("flag-secret-123456")));
        assert_eq!(opts.token_url.as_deref(), Some("http://flag/token"));
        assert_eq!(opts.scope.as_deref(), Some("flag-scope"));
        assert_eq!(opts.vars_files, vec![PathBuf::from("flag.yaml")]);
        assert_eq!(opts.cases, vec![PathBuf::from("flag-cases")]);
        assert_eq!(opts.timeout, Some(Duration::from_secs(4)));
        assert_eq!(opts.max_rps, Some(0.0), "0 (no pacing) from the flag is kept");
        assert_eq!(opts.junit, Some(PathBuf::from("flag.xml")));
        assert_eq!(opts.html, Some(PathBuf::from("flag.html")));
        // Unset, empty or malformed values.
        let empty = Options::default().with_env_from(|_| Some(String::new())).unwrap();
        assert!(empty.base_url.is_none() && empty.client_secret.is_none() && empty.max_rps.is_none() && !empty.allow_real_calls);
        for (name, value) in [("VCC_MAX_RPS", "fast"), ("VCC_MAX_RPS", "-1"), ("VCC_VAR", "novalue"), ("VCC_TIMEOUT", "0")] {
            let bad = Options::default().with_env_from(|n| (n == name).then(|| value.to_owned()));
            assert!(bad.is_err(), "{name}={value}");
        }
        let no = Options::default().with_env_from(|n| (n == "VCC_ALLOW_REAL_CALLS").then(|| "0".to_owned())).unwrap();
        assert!(!no.allow_real_calls);
    }

    fn load_text(text: &str) -> Vec<Case> {
        let vars = Options::default().vars().unwrap();
        let source = Source { path: "mine.yaml".into(), text: text.into() };
        cases::load(&[source], &vars, &["error", "call-created"]).unwrap()
    }

    #[test]
    fn any_case_that_can_accept_a_201_may_place_a_call_whatever_its_tags() {
        let cases = load_text(
            "cases:
  - {name: tagged, covers: x, tags: [places-call], request: {json: {}}, expect: {status: 201}}
  - {name: untagged, covers: x, request: {json: {}}, expect: {status: 201}}
  - {name: in-a-list, covers: x, tags: [boundary], request: {json: {}}, expect: {status: [400, 201]}}
  - {name: in-any-of, covers: x, request: {json: {}}, expect: {any_of: [{status: 400}, {status: [415, 201]}]}}
  - {name: another-2xx, covers: x, request: {json: {}}, expect: {status: 200}}
  - {name: tagged-but-400, covers: x, tags: [places-call], request: {json: {}}, expect: {status: 400}}
  - {name: a-400, covers: x, request: {json: {}}, expect: {status: 400, message: m}}
  - {name: errors-only, covers: x, request: {json: {}}, expect: {status: [400, 401, 415]}}
  - {name: any-of-errors, covers: x, request: {json: {}}, expect: {any_of: [{status: 400}, {status: 404}]}}
  - {name: redirect, covers: x, request: {json: {}}, expect: {status: 302, media_type: any}}
",
        );
        let may: Vec<(&str, bool)> = cases.iter().map(|c| (c.name.as_str(), c.may_place_call())).collect();
        assert_eq!(
            may,
            [
                ("tagged", true),
                ("untagged", true),
                ("in-a-list", true),
                ("in-any-of", true),
                ("another-2xx", true),
                ("tagged-but-400", true),
                ("a-400", false),
                ("errors-only", false),
                ("any-of-errors", false),
                ("redirect", false),
            ]
        );
        // An expectation without any status accepts a 201 too (only built in code;
        // the loader requires a status).
        let mut any_status = cases[6].clone();
        any_status.expect.status = None;
        assert!(any_status.may_place_call());
        let mut any_status_alternative = cases[8].clone();
        any_status_alternative.expect.any_of[1].status = None;
        assert!(any_status_alternative.may_place_call());
        // The shipped cases are tagged exactly where they may place a call.
        let (shipped, _) = load(&Options::default()).unwrap();
        for case in &shipped {
            assert_eq!(case.may_place_call(), case.has_tag("places-call"), "{}", case.test_name());
        }
        assert!(shipped.iter().any(Case::may_place_call) && !shipped.iter().all(Case::may_place_call));
    }

    #[test]
    fn pacing_is_gentle_off_loopback_only() {
        assert_eq!(pacing(None, "http://127.0.0.1:1"), None);
        assert_eq!(pacing(None, "https://emea.example"), Some(Duration::from_millis(200)));
        assert_eq!(pacing(Some(0.0), "https://emea.example"), None);
        assert_eq!(pacing(Some(100.0), "http://127.0.0.1:1"), Some(Duration::from_millis(10)));
        assert!(parse_rps("-1").is_err() && parse_rps("fast").is_err());
    }

    #[test]
    fn loopback_is_recognised() {
        for yes in ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9", "http://127.9.9.9"] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in ["https://emea.newvoicemedia.com", "http://10.0.0.1", "http://localhost.example", "nonsense"] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn a_region_names_the_base_url_and_the_token_url_and_a_flag_wins() {
        let (flags, _) = split_args(&strings(&["--region", "nam"])).unwrap();
        let opts = flags.with_env_from(|_| None).unwrap();
        assert_eq!(opts.base_url.as_deref(), Some("https://nam.cc.vonage.com"));
        assert_eq!(opts.token_url.as_deref(), Some("https://nam.cc.vonage.com/Auth/connect/token"));
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
        };
        let opts = Options::default().with_env_from(env(&[("VCC_REGION", "APAC")])).unwrap();
        assert_eq!(opts.base_url.as_deref(), Some("https://apac.cc.vonage.com"));
        // A flag wins over the environment, either way; an explicit token URL wins over the region's.
        let (flags, _) = split_args(&strings(&["--region=emea", "--token-url", "http://t"])).unwrap();
        let opts = flags.with_env_from(env(&[("VCC_BASE_URL", "http://env")])).unwrap();
        assert_eq!((opts.base_url.as_deref(), opts.token_url.as_deref()), (Some("https://emea.cc.vonage.com"), Some("http://t")));
        let (flags, _) = split_args(&strings(&["--base-url", "http://flag"])).unwrap();
        let opts = flags.with_env_from(env(&[("VCC_REGION", "emea")])).unwrap();
        assert_eq!((opts.base_url.as_deref(), opts.region), (Some("http://flag"), None));
        // Two settings that both name the deployment, or an unknown region, are refused.
        let (flags, _) = split_args(&strings(&["--region", "emea", "--base-url", "http://flag"])).unwrap();
        assert!(flags.with_env_from(|_| None).unwrap_err().contains("--region and --base-url"));
        let both = Options::default().with_env_from(env(&[("VCC_REGION", "emea"), ("VCC_BASE_URL", "http://env")]));
        assert!(both.unwrap_err().contains("VCC_REGION and VCC_BASE_URL"));
        assert!(split_args(&strings(&["--region", "eu"])).unwrap_err().contains("--region: unknown region `eu`"));
        let bad = Options::default().with_env_from(env(&[("VCC_REGION", "eu")]));
        assert!(bad.unwrap_err().contains("VCC_REGION: unknown region `eu`: the regions are emea, nam, apac"));
        assert!(USAGE.contains("--region") && USAGE.contains("VCC_REGION"));
    }

    #[test]
    fn bad_flag_values_are_errors() {
        for args in [&["--token"][..], &["--var", "novalue"], &["--timeout", "0"], &["--timeout", "abc"], &["--timeout", "NaN"]] {
            assert!(split_args(&strings(args)).is_err(), "{args:?}");
        }
    }

    #[test]
    fn the_shipped_cases_load() {
        let (cases, _) = load(&Options::default()).unwrap();
        assert!(cases.len() >= 40, "{}", cases.len());
    }
}
