//! Reference server: an executable reading of the contract, over HTTP (axum).
//!
//! The handler is thin: it gathers the headers and body, hands them to
//! [`rules::decide`] with the shared [`fixture::Fixture`], and writes the answer.
//! Every answer is JSON (`application/json; charset=utf-8`); bodies over
//! [`MAX_BODY`] get a 413; nothing a client sends can panic it.

pub mod faults;
pub mod fixture;
pub mod rules;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use faults::{Fault, Input, Output};
use fixture::Fixture;

/// The largest request body read.
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub fixture: Arc<Fixture>,
    /// A deliberate deviation, for self-tests; `None` is the faithful server.
    pub fault: Option<Fault>,
    pub tokens: Arc<tokens::TokenStore>,
}

/// The routes: the one endpoint (with or without the trailing slash), and JSON
/// 404s for everything else.
pub fn router(fixture: Fixture, fault: Option<Fault>) -> Router {
    let state = AppState { fixture: Arc::new(faults::fixture(fault, fixture)), fault, tokens: Default::default() };
    Router::new()
        .route("/v0/{account}/calls/", post(place_call))
        .route("/v0/{account}/calls", post(place_call))
        .route("/Auth/connect/token", post(issue_token))
        .fallback(not_found)
        .with_state(state)
}

/// A body of unknown length, sent in two chunks (chunked transfer encoding);
/// when `broken`, the second chunk is an error and the connection is cut.
struct Chunks {
    parts: std::collections::VecDeque<Bytes>,
    broken: bool,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.parts.pop_front();
        let cut = self.broken && self.parts.is_empty() && next.is_some();
        std::task::Poll::Ready(next.map(|b| {
            if cut { Err(std::io::Error::other("connection dropped on purpose")) } else { Ok(http_body::Frame::data(b)) }
        }))
    }
}

fn respond(out: Output) -> Response {
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if out.chunked {
        let mut bytes = Bytes::from(out.body);
        let head = bytes.split_to(bytes.len() / 2);
        Body::new(Chunks { parts: [head, bytes].into(), broken: out.broken })
    } else {
        Body::from(out.body)
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(out.content_type));
    for (name, value) in out.headers {
        response.headers_mut().insert(name, HeaderValue::from_static(value));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn json_output(status: u16, body: &Value) -> Output {
    Output {
        status,
        content_type: "application/json; charset=utf-8",
        body: body.to_string().into_bytes(),
        headers: Vec::new(),
        chunked: false,
        broken: false,
    }
}

async fn not_found() -> Response {
    respond(json_output(404, &json!({ "message": "No such resource; this server offers POST /v0/{accountKey}/calls/" })))
}

/// The host to build the self link from: the request's `Host`, if it is a plain
/// host[:port]; otherwise `localhost`.
fn link_host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost")
}

/// The OAuth2 token endpoint (client credentials).
async fn issue_token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return respond(json_output(413, &json!({ "error": "invalid_request" })));
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match tokens::grant(&state.fixture, content_type, &bytes) {
        Ok(_) => {
            let lifetime = state.fixture.token_lifetime_seconds;
            let token = state.tokens.issue(std::time::Duration::from_secs(lifetime));
            respond(json_output(200, &json!({ "access_token": token, "token_type": "Bearer", "expires_in": lifetime })))
        }
        Err(e) => respond(json_output(e.status, &e.body())),
    }
}

async fn place_call(
    State(state): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("The request body is over {MAX_BODY} bytes, or was cut off");
            return respond(json_output(413, &json!({ "message": message })));
        }
    };
    if tokens::bearer(text(header::AUTHORIZATION)).is_some_and(|t| state.tokens.is_expired(t)) {
        return respond(json_output(401, &json!({ "message": "The access token has expired." })));
    }
    if state.fault == Some(Fault::NeverAnswers) {
        std::future::pending::<()>().await;
    }
    let mut input = Input {
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: bytes.to_vec(),
    };
    let decision = match faults::before(state.fault, &mut input, &state.fixture) {
        Some(rejection) => Err(rejection),
        None => rules::decide(&state.fixture, &account, input.authorization, input.content_type, &input.body),
    };
    let mut out = match decision {
        Ok(call) => {
            let id = rules::new_call_id();
            let href = format!("http://{}/V0/{account}/Calls/{id}", link_host(&headers));
            json_output(201, &rules::created(&call, &id, &href))
        }
        Err(r) => json_output(r.status, &r.body()),
    };
    faults::after(state.fault, &mut out);
    respond(out)
}

/// Serves `fixture` on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, fixture: Fixture, fault: Option<Fault>) -> std::io::Result<()> {
    axum::serve(listener, router(fixture, fault)).await
}

/// Starts the server in the current runtime on an ephemeral loopback port.
pub async fn start_embedded(fixture: Fixture, fault: Option<Fault>) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve(listener, fixture, fault).await {
            eprintln!("reference server stopped: {e}");
        }
    });
    Ok(addr)
}
