//! Options: the groups of command-line options that commands share, each
//! option also read from its `VCC_*` environment variable (flag > environment >
//! default). [`TargetArgs`] says what to test and how to reach it, [`SuiteArgs`]
//! which cases and variables, [`ReportArgs`] which files to write.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;

use crate::auth::{CredentialsError, Region};
use crate::cli::values::{parse_resolve, parse_rps, parse_seconds, parse_timeout, parse_var};
use crate::exec::SuiteSettings;
use crate::suite::derive::Depth;
use crate::exec::patience::{DEFAULT_BUSY_RETRIES, Patience};
use crate::exec::target::{AuthChoice, TargetSettings};
use crate::proxy::ProxyChoice;
use crate::report::{Output, github};
use crate::secrets::{Secret, SecretError};

/// Settings that contradict each other or cannot be honoured (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("--base-url (VCC_BASE_URL) and --region (VCC_REGION) both name the deployment: give one")]
    BaseUrlAndRegion,
    #[error("give either a token or client credentials, not both (both come from {0})")]
    TokenAndClient(&'static str),
    #[error("client credentials need both --client-id and --client-secret (VCC_CLIENT_SECRET)")]
    NoClientSecret,
    #[error("client credentials need both --client-id (VCC_CLIENT_ID) and --client-secret")]
    NoClientId,
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// What to test and how to reach it.
#[derive(Args, Clone, Debug, Default)]
pub struct TargetArgs {
    /// The deployment to test; absent: the embedded reference server
    #[arg(long, env = "VCC_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Or a Vonage region: its base URL and its token URL (https://REGION.cc.vonage.com)
    #[arg(long, env = "VCC_REGION", value_name = "REGION", value_enum)]
    pub region: Option<Region>,
    /// Bearer token, never printed (the environment keeps it out of the process list)
    #[arg(long, env = "VCC_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// OAuth2 client credentials instead of a token: the client ID
    #[arg(long, env = "VCC_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// OAuth2 client credentials: the client secret, never printed
    #[arg(long, env = "VCC_CLIENT_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The token endpoint (default: the base URL's host + /Auth/connect/token)
    #[arg(long, env = "VCC_TOKEN_URL", value_name = "URL")]
    pub token_url: Option<String>,
    /// The scope to ask the token endpoint for
    #[arg(long, env = "VCC_SCOPE", value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Send requests for HOST:PORT to ADDR instead of what DNS says, as curl's --resolve (repeatable)
    #[arg(long, env = "VCC_RESOLVE", value_name = "HOST:PORT:ADDR", value_parser = parse_resolve, value_delimiter = ',')]
    pub resolve: Vec<(String, SocketAddr)>,
    /// Reach the deployment through this HTTP proxy [default: as curl, from https_proxy/HTTPS_PROXY,
    /// http_proxy, ALL_PROXY and NO_PROXY; never for loopback]
    #[arg(long, env = "VCC_PROXY", value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// Reach the deployment directly, whatever the proxy variables say
    #[arg(long, env = "VCC_NO_PROXY", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub no_proxy: bool,
    /// Per-request timeout in seconds
    #[arg(long, env = "VCC_TIMEOUT", value_name = "SECS", value_parser = parse_timeout, default_value = "10")]
    pub timeout: Duration,
    /// Send at most N requests a second (0: no pacing) [default: none on loopback, 5 elsewhere]
    #[arg(long, env = "VCC_MAX_RPS", value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// Also run, off loopback, the cases that may place a real phone call
    #[arg(long, env = "VCC_ALLOW_REAL_CALLS", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub allow_real_calls: bool,
    /// Seconds between two calls with one agent (a live platform keeps the agent busy after a call) [default: 0 on loopback, 30 elsewhere]
    #[arg(long, env = "VCC_AGENT_SPACING", value_name = "SECS", value_parser = parse_seconds)]
    pub agent_spacing: Option<Duration>,
    /// Send a case again, up to N times, when the deployment says an agent this run called with is still busy
    #[arg(long, env = "VCC_BUSY_RETRIES", value_name = "N", default_value_t = DEFAULT_BUSY_RETRIES, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub busy_retries: u32,
    /// The most seconds one case pauses, in all, for such a busy agent
    #[arg(long, env = "VCC_BUSY_WAIT", value_name = "SECS", value_parser = parse_seconds, default_value = "120")]
    pub busy_wait: Duration,
    /// Fail a case whose agent stayed busy after this run's calls (default: not verified)
    #[arg(long, env = "VCC_STRICT_BUSY", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub strict_busy: bool,
    /// Send a case again, up to N times, when it got no answer (refused, reset, timeout); never after an HTTP answer
    #[arg(long, env = "VCC_RETRIES", value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Keep trying the pre-flight for up to SECS until the target answers (a deployment still starting)
    #[arg(long, env = "VCC_WAIT", value_name = "SECS", value_parser = parse_seconds)]
    pub wait: Option<Duration>,
}

/// Which cases and variables.
#[derive(Args, Clone, Debug, Default)]
pub struct SuiteArgs {
    /// Set one variable, NAME=VALUE (repeatable; wins over --vars); env: separated by `;`
    #[arg(long = "var", env = "VCC_VAR", value_name = "NAME=VALUE", value_parser = parse_var, value_delimiter = ';')]
    pub vars: Vec<(String, String)>,
    /// A YAML or JSON map of variables (repeatable, later files win); env: separated by `:`
    #[arg(long = "vars", env = "VCC_VARS", value_name = "FILE", value_delimiter = ':')]
    pub vars_files: Vec<PathBuf>,
    /// Also run the case files in PATH, a folder or one file (repeatable); env: separated by `:`
    #[arg(long = "cases", env = "VCC_CASES", value_name = "PATH", value_delimiter = ':')]
    pub cases: Vec<PathBuf>,
    /// The cases derived from contract/rules.yaml: every pair of forms, each probe once (default), or every probe in every form (exhaustive)
    #[arg(long, env = "VCC_DEPTH", value_name = "DEPTH", value_enum, default_value = "default")]
    pub depth: Depth,
}

/// Which report files to write.
#[derive(Args, Clone, Debug, Default)]
pub struct ReportArgs {
    /// Also write a JUnit XML report there (written whole, also when cases fail)
    #[arg(long, env = "VCC_JUNIT", value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a self-contained HTML report there
    #[arg(long, env = "VCC_HTML", value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write a TAP (version 14) report there
    #[arg(long, env = "VCC_TAP", value_name = "FILE")]
    pub tap: Option<PathBuf>,
    /// Also write every exchange (the token redacted) there as an HTTP Archive (HAR 1.2): the record that `diff --against-record FILE` compares a later run with
    #[arg(long, visible_alias = "record-answers", env = "VCC_HAR", value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// Also append the verdict, the failures and the contract matrix there as Markdown [default with --github: $GITHUB_STEP_SUMMARY]
    #[arg(long, env = "VCC_GITHUB_SUMMARY", value_name = "FILE")]
    pub github_summary: Option<PathBuf>,
    /// GitHub Actions: print an ::error annotation at each failed case's line and write the step summary; auto: when GITHUB_ACTIONS=true
    #[arg(long, env = "VCC_GITHUB", value_name = "WHEN", value_enum, default_value = "auto")]
    pub github: github::Mode,
    /// Print each selected case as a curl command (the token as $VCC_TOKEN) and send nothing
    #[arg(long, env = "VCC_DRY_RUN", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub dry_run: bool,
    /// Write the selected cases as a Hurl file (the token as {{token}}; status checks only) and send nothing
    #[arg(long, env = "VCC_EXPORT_HURL", value_name = "FILE")]
    pub export_hurl: Option<PathBuf>,
}

impl ReportArgs {
    /// The report files asked for, in the order they are written; with
    /// `--github` on, GitHub's step summary unless `--github-summary` names a file.
    pub fn outputs(&self) -> Vec<Output> {
        let junit = self.junit.clone().map(Output::Junit);
        let html = self.html.clone().map(Output::Html);
        let tap = self.tap.clone().map(Output::Tap);
        let har = self.har.clone().map(Output::Har);
        let summary = self.github_summary.clone().or_else(|| github::step_summary().filter(|_| self.github.on()));
        junit.into_iter().chain(html).chain(tap).chain(har).chain(summary.map(Output::GithubSummary)).collect()
    }
}

impl SuiteArgs {
    pub fn settings(&self) -> SuiteSettings {
        SuiteSettings { vars: self.vars.clone(), vars_files: self.vars_files.clone(), cases: self.cases.clone(), depth: self.depth }
    }
}

impl TargetArgs {
    /// The settings these options give. `sources` tells, for the token and the
    /// client credentials, whether each came from a flag or the environment: a
    /// flag wins over the environment here too, and both from the same place
    /// is a mistake to report.
    pub fn settings(&self, from_flag: impl Fn(&str) -> bool) -> Result<TargetSettings, SettingsError> {
        // The deployment: a base URL or a region; a flag wins over the environment.
        let base_url = match (&self.base_url, self.region) {
            (Some(url), Some(region)) => match (from_flag("base_url"), from_flag("region")) {
                (true, false) => Some(url.clone()),
                (false, true) => Some(region.base_url().to_owned()),
                _ => return Err(SettingsError::BaseUrlAndRegion),
            },
            (Some(url), None) => Some(url.clone()),
            (None, Some(region)) => Some(region.base_url().to_owned()),
            (None, None) => None,
        };
        let region = self.region.filter(|r| base_url.as_deref() == Some(r.base_url()));
        let token = self.token.as_ref().map(|t| (from_flag("token"), t));
        let client = self.client_id.as_ref().map(|id| (from_flag("client_id"), id));
        let auth = match (token, client) {
            (Some((token_flag, _)), Some((client_flag, _))) if token_flag == client_flag => {
                return Err(SettingsError::TokenAndClient(if token_flag {
                    "flags"
                } else {
                    "the environment: VCC_TOKEN and VCC_CLIENT_ID"
                }));
            }
            (Some((token_flag, token)), Some((client_flag, _))) if token_flag && !client_flag => {
                AuthChoice::Token(accept(token, "the token (--token or VCC_TOKEN)")?)
            }
            (Some((_, token)), None) => AuthChoice::Token(accept(token, "the token (--token or VCC_TOKEN)")?),
            (_, Some((_, id))) => {
                let secret = self
                    .client_secret
                    .clone()
                    .ok_or(SettingsError::NoClientSecret)?;
                let scope = self
                    .scope
                    .clone()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or(CredentialsError::NoScope)?;
                let token_url = self.token_url.clone().or_else(|| region.map(|r| r.token_url().to_owned()));
                AuthChoice::ClientCredentials {
                    id: id.clone(),
                    secret: accept(&secret, "the client secret (--client-secret or VCC_CLIENT_SECRET)")?,
                    token_url,
                    scope,
                }
            }
            (None, None) if self.client_secret.is_some() => {
                return Err(SettingsError::NoClientId);
            }
            (None, None) => AuthChoice::None,
        };
        Ok(TargetSettings {
            base_url,
            auth,
            timeout: self.timeout,
            max_rps: self.max_rps,
            resolve: self.resolve.clone(),
            proxy: match (&self.proxy, self.no_proxy) {
                (_, true) => ProxyChoice::Off,
                (Some(url), false) => ProxyChoice::Url(url.clone()),
                (None, false) => ProxyChoice::FromEnvironment,
            },
            allow_real_calls: self.allow_real_calls,
            agent_spacing: self.agent_spacing,
            patience: Patience {
                transport_retries: self.retries,
                busy_retries: self.busy_retries,
                busy_wait: self.busy_wait,
                strict_busy: self.strict_busy,
                wait: self.wait.unwrap_or_default(),
            },
        })
    }
}

/// A secret from the user, refused when too short to be hidden safely.
pub fn accept(value: &str, setting: &str) -> Result<Secret, SecretError> {
    Secret::accept(value, setting)
}

/// Whether the option with this id was given on the command line (not taken
/// from the environment or a default).
pub fn given_as_flag(matches: &clap::ArgMatches, id: &str) -> bool {
    matches!(matches.try_get_raw(id), Ok(Some(_))) && matches.value_source(id) == Some(ValueSource::CommandLine)
}
