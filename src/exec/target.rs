//! Target: what a run tests, and proof that it can be tested. Either a
//! deployment (a base URL, with its token or client credentials) or the
//! embedded reference server started in-process. Before any case runs, one
//! pre-flight request proves that the target answers HTTP and, with a token,
//! that the token is accepted; a dead network or a refused token stops the run
//! with its cause instead of failing every case.

use std::net::SocketAddr;
use std::time::Duration;

use crate::auth::{self, Credentials};
use crate::suite::Request;
use crate::client::Client;
use crate::secrets::{Redactor, Secret};
use crate::exec::plan::{is_loopback, pacing};
use crate::exchange::TransportKind;
use crate::server::{self, fixture::Fixture};

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
    pub allow_real_calls: bool,
}

impl Default for TargetSettings {
    fn default() -> TargetSettings {
        TargetSettings {
            base_url: None,
            auth: AuthChoice::None,
            timeout: DEFAULT_TIMEOUT,
            max_rps: None,
            resolve: Vec::new(),
            allow_real_calls: false,
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

/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A target ready to be sent to.
pub struct Target {
    pub client: Client,
    pub embedded: bool,
    /// Whether cases that may place a call are held back.
    pub guard_real_calls: bool,
}

impl Target {
    /// Opens the target: starts the embedded server if there is no base URL
    /// (on the current runtime), builds the client, fetches a first token.
    pub async fn open(settings: &TargetSettings) -> Result<Target, String> {
        let (base, embedded) = match &settings.base_url {
            Some(url) => (url.clone(), false),
            None => {
                let addr = server::start_embedded(Fixture::builtin(), None)
                    .await
                    .map_err(|e| format!("could not start the embedded reference server: {e}"))?;
                (format!("http://{addr}"), true)
            }
        };
        let token = match &settings.auth {
            AuthChoice::Token(token) => Some(token.clone()),
            AuthChoice::None if embedded => Some(Secret::new(EMBEDDED_TOKEN)),
            _ => None,
        };
        let client = Client::resolving(&base, token, settings.timeout, &settings.resolve)?
            .with_pacing(pacing(settings.max_rps, &base));
        let client = match &settings.auth {
            AuthChoice::ClientCredentials { id, secret, token_url, scope } => {
                let token_url = token_url.clone().map_or_else(|| auth::default_token_url(client.base()), Ok)?;
                let credentials = Credentials::new(id.clone(), secret.clone(), token_url, Some(scope.clone()))
                    .map_err(|e| e.to_string())?;
                client.with_client_credentials(credentials)
            }
            _ => client,
        };
        let guard_real_calls = !settings.allow_real_calls && !is_loopback(client.base());
        Ok(Target { client, embedded, guard_real_calls })
    }

    /// What was tested, as every report names it.
    pub fn describe(&self) -> String {
        if self.embedded {
            format!("embedded reference server ({})", self.client.base())
        } else {
            format!("{} (deployment)", self.client.base())
        }
    }

    /// One request that proves the target answers HTTP and accepts the token: a
    /// POST of an empty JSON object (no `from`, no `to`: it cannot place a call).
    /// Any HTTP answer will do but a 401 or 403, which says the token (or its
    /// absence) is refused.
    pub async fn preflight(&self, account_key: &str) -> Result<(), String> {
        if let Err(e) = self.client.bearer().await {
            return Err(e.to_string());
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
        let base = self.client.base();
        match self.client.send(&request).await {
            Err(e) => {
                let hint = e.kind.hint().map(|h| format!("\n  hint: {h}")).unwrap_or_default();
                let what = if e.kind == TransportKind::Token { "could not get a bearer token" } else { e.kind.label() };
                Err(format!("the target {base} cannot be tested: {what}{hint}\n  detail: {e}"))
            }
            Ok(resp) if resp.status == 401 || resp.status == 403 => Err(if self.client.auth().is_some() {
                format!(
                    "the target {base} refused the token: it answered {} to a request with it; check --token \
                     (VCC_TOKEN) or the client credentials and their scope",
                    resp.status
                )
            } else {
                format!(
                    "the target {base} answered {} to a request without a token: give --token (VCC_TOKEN) or \
                     client credentials",
                    resp.status
                )
            }),
            Ok(_) => Ok(()),
        }
    }
}
