//! Target: what a run tests, and proof that it can be tested. Either a
//! deployment (a base URL, with its token or client credentials) or the
//! embedded reference server started in-process. Before any case runs, one
//! pre-flight request proves that the target answers HTTP and, with a token,
//! that the token is accepted; a dead network or a refused token stops the run
//! with its cause instead of failing every case. With `--wait` the pre-flight
//! keeps trying a target that does not answer yet (a deployment still starting).

use std::net::SocketAddr;
use std::time::Duration;

use crate::auth::{self, Credentials, CredentialsError, TokenError, TokenErrorKind};
use crate::client::{Client, ClientError, Network};
use crate::proxy::{Proxy, ProxyChoice};
use crate::exchange::TransportKind;
use crate::exec::observer::{Observer, Waiting};
use crate::exec::patience::{Patience, WAIT_STEP};
use crate::exec::plan::{agent_spacing, host_of, is_loopback_target, pacing};
use crate::secrets::{Redactor, Secret};
use crate::server::{self, fixture::Fixture};
use crate::suite::Request;
use crate::peer_text;

/// The token sent to the embedded server when none is given.
pub const EMBEDDED_TOKEN: &str = "embedded-reference-token";

/// Where the bearer token comes from.
#[derive(Clone, Debug, Default)]
pub enum AuthChoice {
    #[default]
    None,
    Token(Secret),
    /// OAuth2 client credentials; the scope is required (the token endpoint asks for one).
    ClientCredentials { id: String, secret: Secret, token_url: Option<String>, scope: String },
}

/// How to reach the target, as the user said it.
#[derive(Clone, Debug)]
pub struct TargetSettings {
    /// `None`: the embedded reference server.
    pub base_url: Option<String>,
    pub auth: AuthChoice,
    pub timeout: Duration,
    pub max_rps: Option<f64>,
    /// Host names sent to fixed addresses (`--resolve HOST:PORT:ADDR`).
    pub resolve: Vec<(String, SocketAddr)>,
    /// Whether (and through which proxy) a deployment is reached.
    pub proxy: ProxyChoice,
    pub allow_real_calls: bool,
    /// The least time between two calls with one agent (`--agent-spacing`);
    /// `None`: none on loopback, [`crate::exec::plan::DEFAULT_AGENT_SPACING`] elsewhere.
    pub agent_spacing: Option<Duration>,
    /// When cases are sent again, and how long the pre-flight waits.
    pub patience: Patience,
}

impl Default for TargetSettings {
    fn default() -> TargetSettings {
        TargetSettings {
            base_url: None,
            auth: AuthChoice::None,
            timeout: DEFAULT_TIMEOUT,
            max_rps: None,
            resolve: Vec::new(),
            proxy: ProxyChoice::default(),
            allow_real_calls: false,
            agent_spacing: None,
            patience: Patience::default(),
        }
    }
}

impl AuthChoice {
    /// A redactor that hides these secrets (for outputs of a run that sends
    /// nothing, such as `--dry-run`).
    pub fn redactor(&self) -> Redactor {
        match self {
            AuthChoice::None => Redactor::new(),
            AuthChoice::Token(token) => Redactor::of([token]),
            AuthChoice::ClientCredentials { id, secret, .. } => {
                let redactor = Redactor::new();
                redactor.hide_basic(id, secret);
                redactor
            }
        }
    }
}

/// Why a target cannot be tested; each says what to check.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("could not start the embedded reference server: {0}")]
    Embedded(std::io::Error),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// `--resolve` names the target's host, which a proxy resolves itself.
    #[error(
        "--resolve {host} cannot be honoured: the target is reached through the proxy {proxy} (from {from}), \
         which resolves the host itself; give --no-proxy (VCC_NO_PROXY) to connect directly, or drop --resolve"
    )]
    ResolveThroughProxy { host: String, proxy: String, from: String },
    /// No bearer token could be had from the token endpoint.
    #[error("{error}")]
    Token { base: String, error: TokenError },
    /// The pre-flight request got no usable answer.
    #[error("the target {base} cannot be tested{}: {}{}\n  detail: {detail}", through(.proxy), what(*.kind), hint(*.kind))]
    Unreachable { base: String, proxy: Option<Proxy>, kind: TransportKind, detail: String },
    /// The pre-flight request's token was refused.
    #[error(
        "the target {base} refused the token: it answered {status} to a request with it; check --token \
         (VCC_TOKEN) or the client credentials and their scope"
    )]
    TokenRefused { base: String, status: u16 },
    /// The pre-flight request was answered with a redirect: the base URL is
    /// probably not the API's (redirects are not followed: the token stays home).
    #[error(
        "the target {base} answered {status} to the pre-flight request, redirecting to {location}: the base URL is \
         probably not the API's (give the URL it names, if that is the deployment; redirects are not followed, \
         so that the token never travels to another host)"
    )]
    Redirected { base: String, status: u16, location: String },
    /// The target wants a token and none was given.
    #[error("the target {base} answered {status} to a request without a token: give --token (VCC_TOKEN) or client credentials")]
    NoToken { base: String, status: u16 },
}

fn through(proxy: &Option<Proxy>) -> String {
    proxy.as_ref().map(|p| format!(" through the proxy {} (from {}; is it up? --no-proxy connects directly)", p.shown(), p.from)).unwrap_or_default()
}

impl TargetError {
    /// Whether the target (or its token endpoint) gave no answer at all, as a
    /// deployment that is still starting does: worth trying again under `--wait`.
    pub fn no_answer_yet(&self) -> bool {
        match self {
            TargetError::Unreachable { kind, .. } => crate::exec::patience::retryable(*kind),
            TargetError::Token { error, .. } => matches!(error.kind, TokenErrorKind::Transport(_) | TokenErrorKind::TimedOut(_)),
            _ => false,
        }
    }
}

fn what(kind: TransportKind) -> &'static str {
    if kind == TransportKind::Token { "could not get a bearer token" } else { kind.label() }
}

fn hint(kind: TransportKind) -> String {
    kind.hint().map(|h| format!("\n  hint: {h}")).unwrap_or_default()
}

impl TargetSettings {
    /// Whether the cases that may place a call are held back: the target is
    /// off loopback (by its name or by the address `--resolve` sends it to) and
    /// `--allow-real-calls` was not given. The embedded server is on loopback.
    pub fn guards_real_calls(&self) -> bool {
        !self.allow_real_calls && self.base_url.as_deref().is_some_and(|base| !is_loopback_target(base, &self.resolve))
    }
}

/// A deployment as every output names it, with the proxy it is reached through.
fn describe_deployment(base: &str, proxy: Option<&Proxy>) -> String {
    let base = base.trim_end_matches('/');
    match proxy {
        None => format!("{base} (deployment)"),
        Some(proxy) => format!("{base} (deployment, through the proxy {} from {})", proxy.shown(), proxy.from),
    }
}

/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A target ready to be sent to.
pub struct Target {
    pub client: Client,
    pub embedded: bool,
    /// The proxy the target is reached through, if any.
    pub proxy: Option<Proxy>,
    /// The least time between two calls with one agent.
    pub agent_spacing: Duration,
}

impl Target {
    /// Opens the target: starts the embedded server if there is no base URL
    /// (on the current runtime), builds the client, fetches a first token.
    pub async fn open(settings: &TargetSettings) -> Result<Target, TargetError> {
        let (base, embedded) = match &settings.base_url {
            Some(url) => (url.clone(), false),
            None => {
                let addr = server::start_embedded(Fixture::builtin(), None).await.map_err(TargetError::Embedded)?;
                (format!("http://{addr}"), true)
            }
        };
        let token = match &settings.auth {
            AuthChoice::Token(token) => Some(token.clone()),
            AuthChoice::None if embedded => Some(Secret::new(EMBEDDED_TOKEN)),
            _ => None,
        };
        let proxy = crate::proxy::from_process(&base, &settings.proxy);
        if let Some(proxy) = &proxy
            && let Some(url_host) = url::Url::parse(&base).ok().map(|u| host_of(&u))
            && let Some((host, _)) = settings.resolve.iter().find(|(host, _)| *host == url_host)
        {
            return Err(TargetError::ResolveThroughProxy { host: host.clone(), proxy: proxy.shown(), from: proxy.from.clone() });
        }
        let network = Network { resolve: settings.resolve.clone(), proxy: settings.proxy.clone() };
        let client = Client::on(&base, token, settings.timeout, network)?.with_pacing(pacing(settings.max_rps, &base, &settings.resolve));
        let client = match &settings.auth {
            AuthChoice::ClientCredentials { id, secret, token_url, scope } => {
                let token_url =
                    token_url.clone().map_or_else(|| auth::default_token_url(client.base()), Ok)?;
                let credentials = Credentials::new(id.clone(), secret.clone(), token_url, Some(scope.clone()))?;
                client.with_client_credentials(credentials)
            }
            _ => client,
        };
        let agent_spacing = agent_spacing(settings.agent_spacing, &base, &settings.resolve);
        Ok(Target { client, embedded, proxy, agent_spacing })
    }

    /// Hides this target's secrets with `redactor` too (both sides of `diff`).
    pub fn sharing(mut self, redactor: &Redactor) -> Target {
        self.client = self.client.sharing(redactor);
        self
    }

    /// What was tested, as every report names it.
    pub fn describe(&self) -> String {
        if self.embedded {
            format!("embedded reference server ({})", self.client.base())
        } else {
            describe_deployment(self.client.base(), self.proxy.as_ref())
        }
    }

    /// The pre-flight, tried again every [`WAIT_STEP`] for up to `wait` while
    /// the target gives no answer (or its token endpoint none); `observer` is
    /// told once that it waits. Any other outcome ends the waiting at once.
    pub async fn preflight_waiting(&self, account_key: &str, wait: Duration, observer: &dyn Observer) -> Result<(), TargetError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut told = false;
        loop {
            let error = match self.preflight(account_key).await {
                Err(error) if error.no_answer_yet() => error,
                other => return other,
            };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(error);
            }
            if !told {
                let why = self.client.redactor().redact(&error.to_string()).into_owned();
                let why = why.lines().next().unwrap_or_default().to_owned();
                observer.waiting(&Waiting { target: &self.describe(), why: &why, left });
                told = true;
            }
            tokio::time::sleep(WAIT_STEP.min(left)).await;
        }
    }

    /// One request that proves the target answers HTTP and accepts the token: a
    /// POST of an empty JSON object (no `from`, no `to`: it cannot place a call).
    /// Any HTTP answer will do but a 401 or 403, which says the token (or its
    /// absence) is refused.
    pub async fn preflight(&self, account_key: &str) -> Result<(), TargetError> {
        let base = self.client.base().to_owned();
        if let Err(error) = self.client.bearer().await {
            return Err(TargetError::Token { base, error });
        }
        let request = Request {
            method: "POST".into(),
            path: format!("/v0/{account_key}/calls/"),
            headers: vec![("Content-Type".into(), "application/json".into())],
            auth: true,
            auth_scheme: crate::suite::BEARER.into(),
            body: b"{}".to_vec(),
            json: None,
        };
        match self.client.send(&request).await {
            Err(e) => Err(TargetError::Unreachable {
                base,
                proxy: self.proxy.clone(),
                kind: e.kind,
                detail: self.client.redactor().redact(&e.detail).into_owned(),
            }),
            Ok(resp) if (300..400).contains(&resp.status) => {
                let location = resp.header("location").unwrap_or("(no Location header)");
                let location = peer_text::shown(location, self.client.redactor(), 300);
                Err(TargetError::Redirected { base, status: resp.status, location })
            }
            Ok(resp) if resp.status == 401 || resp.status == 403 => Err(if self.client.auth().is_some() {
                TargetError::TokenRefused { base, status: resp.status }
            } else {
                TargetError::NoToken { base, status: resp.status }
            }),
            Ok(_) => Ok(()),
        }
    }
}
