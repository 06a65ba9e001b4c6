//! Reference server: an executable reading of the contract, over HTTP (axum on
//! hyper), fit to run as a mock that teams share.
//!
//! - [`rules`]: the contract as plain functions; [`fixture`]: the account state;
//!   [`engaged`]: agents kept busy after a call (`--busy-after-call`);
//!   [`tokens`]: the OAuth2 token endpoint and its signed tokens.
//! - [`routes`]: thin handlers returning `Result<_, AppError>` ([`error`]);
//!   [`body`]: a request body read within bounds.
//! - [`exercised`]: which documented items an answer exercised; [`tally`]: their
//!   counts per client, the consumer coverage `GET /_vcc/coverage` reports.
//! - [`faults`]: deliberate deviations, applied by the [`fault_layer`] middleware.
//! - [`listener`]: the accept loop and its [`limits`] ([`write_timeout`] for
//!   clients that do not read, [`parse_errors`] for JSON answers to requests
//!   hyper cannot parse, [`shares`] for each client's share of the connections,
//!   [`memory`] to give memory back after a flood);
//!   [`log`]: the access log.
//!
//! The `serve` subcommand's command line is [`crate::cli::serve`].
//!
//! Every answer is JSON (`application/json; charset=utf-8`) with a `message`;
//! nothing a client sends can panic it.

pub mod body;
pub mod engaged;
pub mod error;
pub mod exercised;
pub mod fault_layer;
pub mod faults;
pub mod fixture;
pub mod limits;
pub mod listener;
pub mod log;
pub mod memory;
pub mod parse_errors;
pub mod routes;
pub mod rules;
pub mod shares;
pub mod tally;
pub mod tokens;
pub mod write_timeout;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use body::MAX_BODY;
use faults::Fault;
use fixture::Fixture;
pub use limits::Limits;
use log::LogSink;
use routes::content_type;
use tokens::TokenKey;

/// How a server runs, beside the account state it answers from.
#[derive(Clone, Default)]
pub struct Settings {
    /// A deliberate deviation, for self-tests; `None` is the faithful server.
    pub fault: Option<Fault>,
    pub limits: Limits,
    /// Signs the tokens it issues; servers sharing a key honour each other's.
    pub token_key: Arc<TokenKey>,
    /// Write one line per request to the log.
    pub log_requests: bool,
    pub log: LogSink,
    /// Keep each calling agent busy this long after a call it places (as a live platform does).
    pub busy_after_call: Option<Duration>,
    /// Count what each client's requests exercised, and answer `GET /_vcc/coverage`.
    pub coverage: Option<Arc<tally::Tally>>,
}

impl Settings {
    pub fn with_fault(fault: Option<Fault>) -> Settings {
        Settings { fault, ..Settings::default() }
    }

    /// How long a calling agent stays busy after a call: as set, or under the
    /// `harmless-busy-after-call` variation [`engaged::HARMLESS_BUSY`].
    pub fn busy_after(&self) -> Option<Duration> {
        self.busy_after_call.or((self.fault == Some(Fault::BusyAfterCall)).then_some(engaged::HARMLESS_BUSY))
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub fixture: Arc<Fixture>,
    pub fault: Option<Fault>,
    pub tokens: Arc<TokenKey>,
    pub body_timeout: Duration,
    /// Calling agents kept busy after their calls, when the server does that.
    pub engaged: Option<Arc<engaged::Engaged>>,
    /// The consumer coverage table, when the server keeps one.
    pub tally: Option<Arc<tally::Tally>>,
}

/// The path of the consumer coverage report, outside the API's paths (`/v0/…`, `/Auth/…`).
pub const COVERAGE_PATH: &str = "/_vcc/coverage";

/// The routes: the one endpoint (with or without the trailing slash) with the
/// fault layer around it, the token endpoint, the consumer coverage report when
/// the server keeps one, and JSON 405s and 404s.
pub fn router(fixture: Fixture, settings: &Settings) -> Router {
    let state = AppState {
        fixture: Arc::new(faults::fixture(settings.fault, fixture)),
        fault: settings.fault,
        tokens: Arc::clone(&settings.token_key),
        body_timeout: settings.limits.body_timeout,
        engaged: settings.busy_after().map(|busy| Arc::new(engaged::Engaged::new(busy))),
        tally: settings.coverage.clone(),
    };
    let mut calls = post(routes::place_call);
    if settings.fault.is_some() {
        calls = calls.route_layer(from_fn_with_state(state.clone(), fault_layer::apply));
    }
    let calls = calls.fallback(routes::method_not_allowed);
    let mut router = Router::new()
        .route("/v0/{account}/calls/", calls.clone())
        .route("/v0/{account}/calls", calls)
        .route("/Auth/connect/token", post(routes::issue_token).fallback(routes::method_not_allowed));
    if state.tally.is_some() {
        router = router.route(COVERAGE_PATH, get(routes::coverage).fallback(routes::get_only));
    }
    let router = router.fallback(routes::not_found).with_state(state);
    if settings.log_requests { router.layer(from_fn_with_state(settings.log.clone(), log::access)) } else { router }
}

/// Serves `fixture` on `listener` with `settings` until the task is dropped.
pub async fn serve_with(listener: tokio::net::TcpListener, fixture: Fixture, settings: Settings) -> std::io::Result<()> {
    let router = router(fixture, &settings);
    listener::serve(listener, router, settings.limits, settings.log).await
}

/// Serves `fixture` on `listener`, with default limits, until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, fixture: Fixture, fault: Option<Fault>) -> std::io::Result<()> {
    serve_with(listener, fixture, Settings::with_fault(fault)).await
}

/// Starts a server in the current runtime on an ephemeral loopback port.
pub async fn start_with(fixture: Fixture, settings: Settings) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve_with(listener, fixture, settings).await {
            eprintln!("reference server stopped: {e}");
        }
    });
    Ok(addr)
}

/// Starts the server in the current runtime on an ephemeral loopback port.
pub async fn start_embedded(fixture: Fixture, fault: Option<Fault>) -> std::io::Result<SocketAddr> {
    start_with(fixture, Settings::with_fault(fault)).await
}
