//! The handlers: place a call, issue a token, the consumer coverage report, and
//! JSON answers for a wrong method or an unknown path. Each returns
//! `Result<_, AppError>`; the contract's rules themselves are in [`super::rules`],
//! faults in [`super::fault_layer`], what an answer exercised in [`super::exercised`].

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::json;

use super::AppState;
use super::error::{AppError, JSON, json_response};
use super::listener::Peer;
use super::tally::Client;
use super::tokens::{self, TokenCheck};
use super::{body, rules};

/// The `Content-Type` as text; bytes that are not UTF-8 are replaced, so that
/// the 415 can still name what was sent.
pub fn content_type(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
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

/// `POST /v0/{accountKey}/calls/`; the answer counted for its client when the
/// server keeps consumer coverage.
pub async fn place_call(
    State(state): State<AppState>,
    peer: Option<Extension<Peer>>,
    account: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let Path(account) = account.map_err(|_| {
        AppError::new(StatusCode::BAD_REQUEST, "The account key in the path is not valid percent-encoded UTF-8")
    })?;
    let bytes = body::read(body, state.body_timeout).await?;
    let token = tokens::bearer(authorization(&headers));
    match token.map(|t| state.tokens.check(t)) {
        Some(TokenCheck::Expired) => return Err(AppError::new(StatusCode::UNAUTHORIZED, "The access token has expired.")),
        Some(TokenCheck::Forged) => return Err(AppError::new(StatusCode::UNAUTHORIZED, "The access token is not valid.")),
        _ => {}
    }
    let content_type = content_type(&headers);
    let answer = rules::request(authorization(&headers), content_type.as_deref(), &bytes).and_then(|call| match &state.engaged {
        None => rules::place(&call, &account, &state.fixture).map(|()| call),
        Some(engaged) => engaged.place(&state.fixture, &account, call),
    });
    if let Some(tally) = &state.tally {
        // A token shaped like ours got here only if it checked out: its subject is the client.
        let client = match token.and_then(tokens::subject) {
            Some(subject) => Client::subject(&subject),
            None => peer.map_or(Client::Unknown, |Extension(Peer(ip))| Client::Address(ip)),
        };
        tally.record(client, &bytes, answer.as_ref().map(drop));
    }
    let call = answer?;
    let id = rules::new_call_id();
    let href = format!("http://{}/V0/{account}/Calls/{id}", link_host(&headers));
    Ok(json_response(StatusCode::CREATED, &rules::created(&call, &id, &href)))
}

/// `POST /Auth/connect/token`: OAuth2 client credentials.
pub async fn issue_token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, AppError> {
    let bytes = body::read(body, state.body_timeout).await?;
    let content_type = content_type(&headers);
    let client = tokens::grant(&state.fixture, content_type.as_deref(), &bytes).map_err(|e| {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        AppError::oauth(status, e.error, e.message())
    })?;
    let lifetime = state.fixture.token_lifetime_seconds;
    let token = state.tokens.issue_to(&client, std::time::Duration::from_secs(lifetime));
    Ok(json_response(StatusCode::OK, &json!({ "access_token": token, "token_type": "Bearer", "expires_in": lifetime })))
}

/// `GET /_vcc/coverage`: the consumer coverage report, as JSON (as `serve
/// --coverage-report FILE.json` writes it).
pub async fn coverage(State(state): State<AppState>) -> Result<Response, AppError> {
    let tally = state.tally.ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "This server keeps no consumer coverage"))?;
    Ok(([(header::CONTENT_TYPE, JSON)], tally.report().to_json()).into_response())
}

/// Any other method on a known path.
pub async fn method_not_allowed() -> AppError {
    AppError::new(StatusCode::METHOD_NOT_ALLOWED, "This resource accepts POST only").with_header(header::ALLOW, "POST")
}

/// Any other method on the coverage report's path.
pub async fn get_only() -> AppError {
    AppError::new(StatusCode::METHOD_NOT_ALLOWED, "This resource accepts GET only").with_header(header::ALLOW, "GET")
}

/// Any other path.
pub async fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "No such resource; this server offers POST /v0/{accountKey}/calls/")
}
