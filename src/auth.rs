//! Auth: where the bearer token comes from. A static token (`--token`), or an
//! OAuth2 client-credentials flow (`--client-id`, `--client-secret`,
//! `--token-url` or a [`Region`]'s, and a required `--scope`): the token is
//! fetched once, reused, and fetched anew shortly before it expires. Every
//! secret and token is kept in a [`Secret`] and told to the run's
//! [`Redactor`], which hides it from every output.
//!
//! The redactor keeps what can still be echoed, and no more: the client
//! secret, the current token, the one before it, and any older one a request
//! in flight was sent with ([`Lease`]); a token past all of those is forgotten,
//! so that refreshes do not grow what every output is scanned for. (Answers to
//! requests sent with a fetched token are redacted as they arrive, by the
//! client, while their token is still held.)

mod region;

pub use region::{Region, UnknownRegion};

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::secrets::{Redactor, Secret, SecretError};

/// The client credentials of an OAuth2 client, and what it asks for.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub token_url: String,
    /// One or more scopes, separated by spaces: the token endpoint requires it.
    pub scope: String,
}

/// Client credentials that cannot be used: the run cannot start (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialsError {
    /// No scope (or an empty one) was given.
    NoScope,
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NoScope => f.write_str(
                "client credentials need a scope: set --scope or VCC_SCOPE (the token endpoint requires one; \
                 separate several with spaces; the VCC admin portal shows which scopes your client may ask for)",
            ),
        }
    }
}

impl std::error::Error for CredentialsError {}

impl Credentials {
    /// Checks the credentials before anything is sent: a scope is required.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Secret,
        token_url: impl Into<String>,
        scope: Option<String>,
    ) -> Result<Credentials, CredentialsError> {
        let scope = scope.filter(|s| !s.trim().is_empty()).ok_or(CredentialsError::NoScope)?;
        Ok(Credentials { client_id: client_id.into(), client_secret, token_url: token_url.into(), scope })
    }
}

/// The token endpoint this harness assumes when none is given: the base URL's
/// scheme and host with `/Auth/connect/token` (the page does not say; pass
/// `--token-url` for another).
pub fn default_token_url(base: &str) -> Result<String, crate::client::ClientError> {
    use crate::client::ClientError;
    let url = reqwest::Url::parse(base).map_err(|reason| ClientError::NotAUrl { url: base.to_owned(), reason })?;
    let host = url.host_str().ok_or_else(|| ClientError::NotHttp(base.to_owned()))?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}://{host}{port}/Auth/connect/token", url.scheme()))
}

/// Why no token could be had from the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError {
    /// The token endpoint asked.
    pub url: String,
    pub kind: TokenErrorKind,
}

/// What went wrong with the token endpoint. Texts from the endpoint are
/// already redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenErrorKind {
    /// No answer: could not connect, or the exchange broke.
    Transport(String),
    /// No whole answer within the timeout.
    TimedOut(Duration),
    /// An answer over [`MAX_TOKEN_ANSWER`].
    TooLarge,
    /// An answer other than 2xx, with the start of its body.
    Refused { status: String, body: String },
    NotJson,
    NoAccessToken,
    NotBearer(String),
    /// An access token too short to be hidden from the reports.
    Unhideable(SecretError),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not get a token from {}: ", self.url)?;
        match &self.kind {
            TokenErrorKind::Transport(why) => f.write_str(why),
            TokenErrorKind::TimedOut(after) => {
                write!(f, "the token endpoint did not answer within {} s (--timeout)", after.as_secs_f64())
            }
            TokenErrorKind::TooLarge => {
                write!(f, "the token endpoint's answer is over {} KiB; stopped reading", MAX_TOKEN_ANSWER / 1024)
            }
            TokenErrorKind::Refused { status, body } => write!(f, "it answered {status}: {body}"),
            TokenErrorKind::NotJson => f.write_str("the answer is not JSON"),
            TokenErrorKind::NoAccessToken => f.write_str("the answer has no access_token"),
            TokenErrorKind::NotBearer(kind) => write!(f, "token_type is `{kind}`, not Bearer"),
            TokenErrorKind::Unhideable(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TokenError {}

/// How much of a refusal's body its error shows.
const REFUSAL_SHOWN: usize = 200;

/// The most of the token endpoint's answer that is read (a token answer is a
/// few hundred bytes; a JWT a few kilobytes).
pub const MAX_TOKEN_ANSWER: usize = 64 * 1024;

/// A bearer token as a request holds it while it is in flight: a fetched
/// token stays hidden at least as long as a lease on it is held.
#[derive(Clone, Debug)]
pub struct Lease(Arc<Secret>);

impl Deref for Lease {
    type Target = Secret;

    fn deref(&self) -> &Secret {
        &self.0
    }
}

/// A token fetched with client credentials, kept until shortly before it expires.
pub struct TokenSource {
    credentials: Credentials,
    http: reqwest::Client,
    /// The most a fetch may take, answer read whole.
    timeout: Duration,
    current: tokio::sync::Mutex<Option<(Arc<Secret>, Instant)>>,
    /// Tokens fetched before the current one and still hidden: the one
    /// before it, and any older one a [`Lease`] still holds.
    earlier: Mutex<Vec<Arc<Secret>>>,
    fetched: AtomicUsize,
    /// Told of the client secret and of the tokens still hidden.
    redactor: Redactor,
}

/// A token is fetched anew when less than this part of its life is left.
const REFRESH_WHEN_LEFT: f64 = 0.2;

impl TokenSource {
    /// A source whose fetches take at most `timeout`, and that hides the client
    /// secret, and every token it fetches, with `redactor`.
    pub fn new(credentials: Credentials, http: reqwest::Client, timeout: Duration, redactor: Redactor) -> TokenSource {
        redactor.hide_basic(&credentials.client_id, &credentials.client_secret);
        let fetched = AtomicUsize::new(0);
        TokenSource { credentials, http, timeout, current: Default::default(), earlier: Default::default(), fetched, redactor }
    }

    /// Hides the client secret, the tokens still hidden and every token
    /// fetched from now on with `redactor` instead.
    pub fn share(&mut self, redactor: &Redactor) {
        redactor.hide_basic(&self.credentials.client_id, &self.credentials.client_secret);
        let earlier = self.earlier.get_mut().unwrap_or_else(PoisonError::into_inner);
        for token in self.current.get_mut().iter().map(|(token, _)| token).chain(earlier.iter()) {
            redactor.hide(token);
        }
        self.redactor = redactor.clone();
    }

    /// The current token, fetched or refreshed as needed.
    pub async fn token(&self) -> Result<Secret, TokenError> {
        self.lease().await.map(|lease| Secret::clone(&lease))
    }

    /// The current token, fetched or refreshed as needed, held for a request:
    /// it stays hidden at least until the lease is dropped.
    pub async fn lease(&self) -> Result<Lease, TokenError> {
        let mut current = self.current.lock().await;
        if let Some((token, refresh_at)) = &*current
            && Instant::now() < *refresh_at {
                return Ok(Lease(Arc::clone(token)));
            }
        let (token, lifetime) = self.fetch().await?;
        let refresh_at = Instant::now() + lifetime.mul_f64(1.0 - REFRESH_WHEN_LEFT);
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let token = Arc::new(token);
        if let Some((before, _)) = current.replace((Arc::clone(&token), refresh_at)) {
            self.retire(before);
        }
        Ok(Lease(token))
    }

    /// Keeps `before` (the token before the current one) hidden, and forgets
    /// each older token no request holds any more.
    fn retire(&self, before: Arc<Secret>) {
        let mut earlier = self.earlier.lock().unwrap_or_else(PoisonError::into_inner);
        let held = |token: &Arc<Secret>| Arc::strong_count(token) > 1;
        for token in earlier.extract_if(.., |token| !held(token)) {
            self.redactor.forget(&token);
        }
        earlier.push(before);
    }

    /// How many tokens fetched are still hidden (the current one included).
    pub fn hidden(&self) -> usize {
        let earlier = self.earlier.lock().unwrap_or_else(PoisonError::into_inner).len();
        earlier + usize::from(self.fetched() > 0)
    }

    /// How many tokens have been fetched so far.
    pub fn fetched(&self) -> usize {
        self.fetched.load(Ordering::Relaxed)
    }

    /// Asks the token endpoint, within the timeout.
    async fn fetch(&self) -> Result<(Secret, Duration), TokenError> {
        let timed_out = || TokenError { url: self.credentials.token_url.clone(), kind: TokenErrorKind::TimedOut(self.timeout) };
        tokio::time::timeout(self.timeout, self.ask()).await.unwrap_or_else(|_| Err(timed_out()))
    }

    async fn ask(&self) -> Result<(Secret, Duration), TokenError> {
        let c = &self.credentials;
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            form.append_pair("client_id", &c.client_id);
            form.append_pair("client_secret", c.client_secret.expose());
            form.append_pair("scope", &c.scope);
            form.finish()
        };
        let failed = |kind| TokenError { url: c.token_url.clone(), kind };
        let transport = |e: reqwest::Error| match e.is_timeout() {
            true => failed(TokenErrorKind::TimedOut(self.timeout)),
            false => failed(TokenErrorKind::Transport(self.redactor.redact(&e.without_url().to_string()).into_owned())),
        };
        let mut resp = self
            .http
            .post(&c.token_url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        if resp.content_length().is_some_and(|n| n > MAX_TOKEN_ANSWER as u64) {
            return Err(failed(TokenErrorKind::TooLarge));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_TOKEN_ANSWER {
                return Err(failed(TokenErrorKind::TooLarge));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            // Redacted whole, then shortened: shortening first could cut the secret
            // in two and leave its beginning in the message.
            let text = self.redactor.redact(&String::from_utf8_lossy(&body)).chars().take(REFUSAL_SHOWN).collect();
            return Err(failed(TokenErrorKind::Refused { status: status.to_string(), body: text }));
        }
        let json: Value = serde_json::from_slice(&body).map_err(|_| failed(TokenErrorKind::NotJson))?;
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| failed(TokenErrorKind::NoAccessToken))?;
        // Hidden before anything else about the answer can be reported.
        let token = Secret::accept(token, "the access_token it issued").map_err(|e| failed(TokenErrorKind::Unhideable(e)))?;
        self.redactor.hide(&token);
        if let Some(kind) = json.get("token_type").and_then(Value::as_str)
            && !kind.eq_ignore_ascii_case("bearer") {
                return Err(failed(TokenErrorKind::NotBearer(kind.to_owned())));
            }
        let seconds = json.get("expires_in").and_then(Value::as_f64).unwrap_or(3600.0);
        let lifetime = Duration::from_secs_f64(seconds.clamp(1.0, 86_400.0));
        Ok((token, lifetime))
    }
}

/// Where the bearer token comes from.
pub enum Auth {
    None,
    Static(Secret),
    ClientCredentials(Box<TokenSource>),
}

impl Auth {
    /// The token to send now, if any.
    pub async fn bearer(&self) -> Result<Option<Secret>, TokenError> {
        match self {
            Auth::None => Ok(None),
            Auth::Static(token) => Ok(Some(token.clone())),
            Auth::ClientCredentials(source) => source.token().await.map(Some),
        }
    }

    /// The token to send now, if any, held for the request (see [`Lease`]).
    pub async fn lease(&self) -> Result<Option<Lease>, TokenError> {
        match self {
            Auth::None => Ok(None),
            Auth::Static(token) => Ok(Some(Lease(Arc::new(token.clone())))),
            Auth::ClientCredentials(source) => source.lease().await.map(Some),
        }
    }

    /// Whether the tokens sent may be forgotten by the redactor before the
    /// reports are written (fetched ones), so that answers must be redacted
    /// as they arrive.
    pub fn tokens_expire(&self) -> bool {
        matches!(self, Auth::ClientCredentials(_))
    }

    pub fn is_some(&self) -> bool {
        !matches!(self, Auth::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_credentials_without_a_scope_are_refused_naming_the_setting() {
        let secret = || Secret::new("a-client-secret");
        for scope in [None, Some(String::new()), Some("  ".into())] {
            let err = Credentials::new("qa", secret(), "http://h/t", scope.clone()).unwrap_err();
            assert_eq!(err, CredentialsError::NoScope, "{scope:?}");
            assert!(err.to_string().contains("set --scope or VCC_SCOPE"), "{err}");
        }
        let ok = Credentials::new("qa", secret(), "http://h/t", Some("calls:write vcc/read".into())).unwrap();
        assert_eq!((ok.client_id.as_str(), ok.token_url.as_str(), ok.scope.as_str()), ("qa", "http://h/t", "calls:write vcc/read"));
    }

    #[test]
    fn the_default_token_url_keeps_scheme_host_and_port() {
        assert_eq!(default_token_url("https://emea.newvoicemedia.com/").unwrap(), "https://emea.newvoicemedia.com/Auth/connect/token");
        assert_eq!(default_token_url("http://127.0.0.1:8080/api").unwrap(), "http://127.0.0.1:8080/Auth/connect/token");
        assert_eq!(default_token_url("http://[::1]:9").unwrap(), "http://[::1]:9/Auth/connect/token");
        assert!(default_token_url("nonsense").is_err());
    }
}
