//! Client: sends a case's request to the base URL and records the answer.
//!
//! One shared reqwest client (rustls, kept-alive connections, no redirects
//! followed, so the token never travels to another host). Every exchange is
//! bounded by the timeout and the body by [`MAX_BODY`]; a refused, dropped, hung
//! or oversized answer becomes an error with a reason, never a panic or a hang.
//! The bearer token lives in a [`Secret`] and is never printed; the client's
//! [`Redactor`] hides it, the client secret and every fetched token from what
//! the reports show. Answers to requests sent with a fetched token come back
//! redacted already: that token may be forgotten (see [`crate::auth`]) before
//! the reports are written.

use std::time::Duration;

use crate::auth::{Auth, Credentials, TokenError, TokenSource};
use crate::exchange::{Response, TransportError, TransportKind};
use crate::proxy::ProxyChoice;
use crate::secrets::{Redactor, Secret};
use crate::suite::Request;

/// The most of a response body that is read.
pub const MAX_BODY: usize = 1 << 20;

/// The shared client for one run.
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    /// Hides every secret of this client (and, when shared, of the run).
    redactor: Redactor,
    timeout: Duration,
    /// The least time between two requests, and when the next may start.
    pacing: Option<(Duration, tokio::sync::Mutex<tokio::time::Instant>)>,
    /// How it reaches the network (kept for the token endpoint's client).
    network: Network,
}

/// Why a client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the base URL is empty: give the deployment's URL (https://host), or leave --base-url out to test the embedded reference server")]
    Empty,
    #[error("base URL `{url}` is not a URL: {reason}")]
    NotAUrl { url: String, reason: url::ParseError },
    #[error("base URL `{0}` must be http:// or https:// with a host")]
    NotHttp(String),
    #[error("base URL `{0}` must not have a query or fragment")]
    QueryOrFragment(String),
    #[error("base URL must not carry credentials: use --token")]
    Credentials,
    #[error("could not build the HTTP client: {0}")]
    Build(String),
    #[error("the proxy {url} (from {from}) cannot be used: {reason}")]
    Proxy { url: String, from: String, reason: String },
}

/// Checks a base URL: absolute http(s), no query or fragment. Returns it without
/// a trailing slash.
pub fn parse_base_url(base: &str) -> Result<String, ClientError> {
    if base.trim().is_empty() {
        return Err(ClientError::Empty);
    }
    let url = reqwest::Url::parse(base).map_err(|reason| ClientError::NotAUrl { url: base.to_owned(), reason })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ClientError::NotHttp(base.to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::QueryOrFragment(base.to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientError::Credentials);
    }
    Ok(base.trim_end_matches('/').to_owned())
}

/// Installs ring as the process's TLS crypto provider (reqwest is built without
/// one). Idempotent; call it before building any other reqwest client.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn is_https(url: &str) -> bool {
    url.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// How requests reach the network: host names sent to fixed addresses (curl's
/// `--resolve`), and the proxy choice ([`crate::proxy`]).
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    pub proxy: ProxyChoice,
}

/// The HTTP client for requests to `url`: no redirects, bounded in time,
/// kept-alive connections, through the proxy `network` chooses for `url` (or
/// none). The platform's TLS roots are loaded only for an https URL (reading
/// them is most of the start-up time of a run against plain http, such as the
/// embedded server).
fn http_client(timeout: Duration, url: &str, network: &Network) -> Result<reqwest::Client, ClientError> {
    install_crypto();
    let tls = is_https(url);
    let resolve = &network.resolve;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(64)
        .user_agent(concat!("vcc-conformance/", env!("CARGO_PKG_VERSION")));
    if !tls {
        builder = builder.tls_certs_only(std::iter::empty());
    }
    for (host, addr) in resolve {
        builder = builder.resolve(host, *addr);
    }
    builder = match crate::proxy::from_process(url, &network.proxy) {
        None => builder.no_proxy(),
        Some(proxy) => {
            let bad = |e: reqwest::Error| ClientError::Proxy { url: proxy.shown(), from: proxy.from.clone(), reason: chain(&e) };
            builder.proxy(reqwest::Proxy::all(&proxy.url).map_err(bad)?)
        }
    };
    builder.build().map_err(|e| ClientError::Build(chain(&e)))
}

impl Client {
    /// A client that reaches `base_url` directly.
    pub fn new(base_url: &str, token: Option<Secret>, timeout: Duration) -> Result<Client, ClientError> {
        Client::on(base_url, token, timeout, Network { proxy: ProxyChoice::Off, ..Network::default() })
    }

    /// A client that reaches `base_url` as `network` says (fixed addresses, a proxy).
    pub fn on(base_url: &str, token: Option<Secret>, timeout: Duration, network: Network) -> Result<Client, ClientError> {
        let base = parse_base_url(base_url)?;
        let http = http_client(timeout, &base, &network)?;
        let redactor = Redactor::of(&token);
        let auth = token.map_or(Auth::None, Auth::Static);
        Ok(Client { http, base, auth, redactor, timeout, pacing: None, network })
    }

    /// Hides this client's secrets (and the tokens it fetches from now on)
    /// with `redactor` too, so that one redactor serves a run of several clients.
    pub fn sharing(mut self, redactor: &Redactor) -> Client {
        match &mut self.auth {
            Auth::None => {}
            Auth::Static(token) => redactor.hide(token),
            Auth::ClientCredentials(source) => source.share(redactor),
        }
        self.redactor = redactor.clone();
        self
    }

    /// Spaces requests at least `interval` apart (`None`: no pacing).
    pub fn with_pacing(mut self, interval: Option<Duration>) -> Client {
        self.pacing = interval.map(|i| (i, tokio::sync::Mutex::new(tokio::time::Instant::now())));
        self
    }

    async fn wait_for_turn(&self) {
        let Some((interval, next)) = &self.pacing else { return };
        let slot = {
            let mut next = next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + *interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The least time between two requests, when paced.
    pub fn pacing(&self) -> Option<Duration> {
        self.pacing.as_ref().map(|(interval, _)| *interval)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Fetches tokens with these client credentials instead of a static token.
    pub fn with_client_credentials(mut self, credentials: Credentials) -> Client {
        // The token endpoint gets a client of its own where it needs TLS roots
        // the base's lacks, or another proxy; else it shares the base's (and
        // its connections). Should building it fail, the base's client reports
        // the error on the fetch.
        let token_url = &credentials.token_url;
        let proxy = |url: &str| crate::proxy::from_process(url, &self.network.proxy);
        let own = (is_https(token_url) && !is_https(&self.base)) || proxy(token_url) != proxy(&self.base);
        let http = match own {
            true => http_client(self.timeout, token_url, &self.network).unwrap_or_else(|_| self.http.clone()),
            false => self.http.clone(),
        };
        let source = TokenSource::new(credentials, http, self.timeout, self.redactor.clone());
        self.auth = Auth::ClientCredentials(Box::new(source));
        self
    }

    /// The current bearer token, fetched if need be (so that a bad client
    /// secret is reported once, before any case runs).
    pub async fn bearer(&self) -> Result<Option<Secret>, TokenError> {
        self.auth.bearer().await
    }

    /// Hides every secret this client knows of (the token, the client secret,
    /// every token fetched so far) from a text to be shown.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    pub fn url(&self, req: &Request) -> String {
        format!("{}{}", self.base, req.path)
    }

    /// Sends one request (in its turn, when paced) and reads the whole answer,
    /// within the timeout.
    pub async fn send(&self, req: &Request) -> Result<Response, TransportError> {
        self.wait_for_turn().await;
        match tokio::time::timeout(self.timeout, self.exchange(req)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::new(
                TransportKind::Timeout,
                format!("no complete answer within {} s (timeout)", self.timeout.as_secs_f64()),
            )),
        }
    }

    async fn exchange(&self, req: &Request) -> Result<Response, TransportError> {
        let unsendable = |what: String| TransportError::new(TransportKind::Request, what);
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| unsendable(format!("`{}` is not an HTTP method", req.method)))?;
        let mut builder = self.http.request(method, self.url(req));
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        // Held until the answer is read and, where the token may be forgotten
        // before the reports are written, redacted.
        let mut lease = None;
        if req.auth {
            lease = self.auth.lease().await.map_err(|e| TransportError::new(TransportKind::Token, e.to_string()))?;
            if let Some(token) = &lease {
                let mut value = reqwest::header::HeaderValue::from_str(&format!("{} {}", req.auth_scheme, token.expose()))
                    .map_err(|_| unsendable("the token has characters a header cannot carry".to_owned()))?;
                value.set_sensitive(true);
                builder = builder.header(reqwest::header::AUTHORIZATION, value);
            }
        }
        let mut resp = builder.body(req.body.clone()).send().await.map_err(|e| describe(&e, &self.base))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e, &self.base))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(TransportError::new(
                    TransportKind::TooLarge,
                    format!("the response body is over {MAX_BODY} bytes; stopped reading"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let response = Response { status, headers, body };
        Ok(match lease.is_some() && self.auth.tokens_expire() {
            true => self.redacted(response),
            false => response,
        })
    }

    /// `response` with every secret hidden (its body, where it held one, as
    /// UTF-8 text).
    fn redacted(&self, response: Response) -> Response {
        let pairs: Vec<(&str, &str)> = response.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let headers = self.redactor.redact_pairs(&pairs);
        let hidden = match self.redactor.redact(&String::from_utf8_lossy(&response.body)) {
            std::borrow::Cow::Owned(hidden) => Some(hidden.into_bytes()),
            std::borrow::Cow::Borrowed(_) => None,
        };
        Response { headers, body: hidden.unwrap_or(response.body), status: response.status }
    }
}

/// The error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What kind of failure a reqwest error is, from the error and its causes.
fn kind_of(e: &reqwest::Error) -> TransportKind {
    if e.is_timeout() {
        return TransportKind::Timeout;
    }
    if !e.is_connect() {
        return TransportKind::Protocol;
    }
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return TransportKind::Refused,
                std::io::ErrorKind::TimedOut => return TransportKind::Timeout,
                _ => {}
            }
            // An io::Error's source skips the error it wraps: ask that directly.
            if io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
                return TransportKind::Tls;
            }
        }
        if err.downcast_ref::<rustls::Error>().is_some() {
            return TransportKind::Tls;
        }
        // The resolver's error has no type of its own to ask, and rustls's may
        // come wrapped where it cannot be downcast: their words tell.
        let text = err.to_string();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            return TransportKind::Dns;
        }
        if text.contains("corrupt message") || text.contains("InvalidContentType") || text.contains("invalid peer certificate") {
            return TransportKind::Tls;
        }
        source = err.source();
    }
    TransportKind::Connect
}

fn describe(e: &reqwest::Error, base: &str) -> TransportError {
    let what = if e.is_timeout() {
        "no answer in time (timeout)"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while the body was read"
    } else {
        "the exchange failed (connection dropped, or the answer was not HTTP)"
    };
    TransportError::new(kind_of(e), format!("{what} ({base}): {}", chain(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_roots_are_for_https_only() {
        assert!(is_https("https://emea.example.com") && is_https("HTTPS://h"));
        assert!(!is_https("http://127.0.0.1:8080") && !is_https("http"));
        assert!(http_client(Duration::from_secs(1), "http://127.0.0.1:9", &Network::default()).is_ok());
    }

    #[test]
    fn the_static_token_is_hidden_and_shared_redactors_hide_both_clients_tokens() {
        let timeout = Duration::from_secs(1);
        let a = Client::new("http://127.0.0.1:9", Some(Secret::new("token-of-a-123")), timeout).unwrap();
        assert_eq!(a.redactor().redact("token-of-a-123"), "[redacted]");
        let b = Client::new("http://127.0.0.1:9", Some(Secret::new("token-of-b-456")), timeout).unwrap().sharing(a.redactor());
        for client in [&a, &b] {
            assert_eq!(client.redactor().redact("token-of-a-123 token-of-b-456"), "[redacted] [redacted]");
        }
        assert!(Client::new("http://127.0.0.1:9", None, timeout).unwrap().redactor().is_empty());
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(parse_base_url("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(parse_base_url("https://emea.example/api").unwrap(), "https://emea.example/api");
        for bad in ["", "localhost:80", "ftp://x", "http://x/?a=1", "http://u:p@x/", "http://"] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn pacing_spaces_turns() {
        let client = Client::new("http://127.0.0.1:9", None, Duration::from_secs(1))
            .unwrap()
            .with_pacing(Some(Duration::from_millis(100)));
        let start = tokio::time::Instant::now();
        for _ in 0..4 {
            client.wait_for_turn().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }

    #[test]
    fn an_https_client_builds() {
        Client::new("https://example.invalid", Some(Secret::new("t")), Duration::from_secs(1)).unwrap();
    }
}
