//! The fault layer: a middleware around the calls handler that applies the
//! server's [`Fault`] (or harmless variation). It reads the request, lets
//! [`faults::before`] rewrite or answer it, runs the handler, then lets
//! [`faults::after`] rewrite the answer, and writes that (in chunks, or cut
//! off, when the fault says so). The faithful server has no such layer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{AppError, JSON};
use super::faults::{self, Fault, Input, Output};
use super::listener::Peer;
use super::{body, content_type, routes};

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(fault) = state.fault else { return next.run(request).await };
    let (mut parts, body) = request.into_parts();
    let bytes = match body::read(body, state.body_timeout).await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    if fault == Fault::NeverAnswers {
        std::future::pending::<()>().await;
    }
    let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = content_type(&parts.headers);
    let account = account_of(parts.uri.path());
    let sent = authorization.is_some();
    let mut input = Input {
        authorization: authorization.as_deref(),
        content_type: content_type.as_deref(),
        body: bytes.to_vec(),
        account: account.clone(),
    };
    if let Some(rejection) = faults::before(Some(fault), &mut input, &state.fixture) {
        return rewrite(fault, sent, AppError::from(rejection).into_response()).await;
    }
    if input.authorization != authorization.as_deref()
        && let Some(value) = input.authorization.and_then(|a| HeaderValue::from_str(a).ok()) {
            parts.headers.insert(header::AUTHORIZATION, value);
        }
    parts.headers.remove(header::CONTENT_LENGTH);
    let response = match input.account.filter(|other| Some(other) != account.as_ref()) {
        // The router read the account from the path already: the handler is
        // asked directly, for the account the fault answers as.
        Some(other) => {
            let peer = parts.extensions.get::<Peer>().copied().map(Extension);
            routes::place_call(State(state.clone()), peer, Ok(Path(other)), parts.headers, Body::from(input.body))
                .await
                .into_response()
        }
        None => next.run(Request::from_parts(parts, Body::from(input.body))).await,
    };
    rewrite(fault, sent, response).await
}

/// The account of a `/v0/{account}/calls` path, when it is written plainly
/// (not percent-encoded).
fn account_of(path: &str) -> Option<String> {
    let mut segments = path.trim_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next(), segments.next()) {
        (Some("v0"), Some(account), Some("calls"), None) if !account.contains('%') => Some(account.to_owned()),
        _ => None,
    }
}

/// The handler's answer as the fault changes it (`sent`: the request carried
/// an `Authorization` header).
async fn rewrite(fault: Fault, sent: bool, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "The answer could not be read back").into_response();
    };
    let mut out = Output {
        status: parts.status.as_u16(),
        content_type: JSON,
        body: bytes.to_vec(),
        headers: Vec::new(),
        chunked: false,
        broken: false,
        removed: Vec::new(),
        authorization_sent: sent,
    };
    faults::after(Some(fault), &mut out);
    parts.status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(out.content_type));
    parts.headers.remove(header::CONTENT_LENGTH);
    for name in out.removed {
        parts.headers.remove(name);
    }
    for (name, value) in out.headers {
        parts.headers.insert(name, HeaderValue::from_static(value));
    }
    let body = if out.chunked {
        let mut bytes = Bytes::from(out.body);
        let head = bytes.split_to(bytes.len() / 2);
        Body::new(Chunks { parts: [head, bytes].into(), broken: out.broken })
    } else {
        Body::from(out.body)
    };
    Response::from_parts(parts, body)
}

/// A body of unknown length, sent in two chunks (chunked transfer encoding);
/// when `broken`, the second chunk is an error and the connection is cut.
struct Chunks {
    parts: VecDeque<Bytes>,
    broken: bool,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.parts.pop_front();
        let cut = self.broken && self.parts.is_empty() && next.is_some();
        Poll::Ready(next.map(|b| {
            if cut { Err(std::io::Error::other("connection dropped on purpose")) } else { Ok(http_body::Frame::data(b)) }
        }))
    }
}
