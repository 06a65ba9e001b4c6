//! The reference server's one rejection type, [`AppError`]: a status and a
//! message, answered as `{"message": ...}` with `application/json; charset=utf-8`
//! (the OAuth2 token endpoint adds the RFC 6749 `error` code beside it). Every
//! handler returns `Result<_, AppError>`, so no answer leaves without a body.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::rules::Rejection;

/// The media type of every answer.
pub const JSON: &str = "application/json; charset=utf-8";

/// The challenge of every 401: RFC 6750 §3 wants the Bearer scheme followed by
/// at least one auth-param, and no error code when no token came.
pub const CHALLENGE: &str = "Bearer realm=\"vcc\"";

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
    /// The RFC 6749 error code, for the token endpoint.
    pub oauth: Option<&'static str>,
    /// Headers beyond Content-Type.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl AppError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError { status, message: message.into(), oauth: None, headers: Vec::new() }
    }

    /// A refusal of the token endpoint, with its RFC 6749 error code.
    pub fn oauth(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError { oauth: Some(code), ..AppError::new(status, message) }
    }

    pub fn with_header(mut self, name: HeaderName, value: &'static str) -> AppError {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match self.oauth {
            Some(code) => json!({ "error": code, "message": self.message }),
            None => json!({ "message": self.message }),
        }
    }
}

impl From<Rejection> for AppError {
    fn from(r: Rejection) -> AppError {
        let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
        AppError::new(status, r.message)
    }
}

/// A JSON answer with the given status.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body());
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
        }
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_rejection_is_json_with_a_message() {
        let e = AppError::new(StatusCode::METHOD_NOT_ALLOWED, "Use POST").with_header(header::ALLOW, "POST");
        let response = e.into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[header::CONTENT_TYPE], JSON);
        assert_eq!(response.headers()[header::ALLOW], "POST");
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({"message": "Use POST"}));
    }

    #[test]
    fn a_401_asks_for_a_bearer_token_and_oauth_errors_keep_their_code() {
        let response = AppError::from(Rejection { status: 401, message: "no".into() }).into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"vcc\"");
        let e = AppError::oauth(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client");
        assert_eq!(e.body(), json!({"error": "invalid_client", "message": "Unknown client"}));
    }
}
