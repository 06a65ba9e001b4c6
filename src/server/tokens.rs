//! Tokens: the reference server's OAuth2 token endpoint (client credentials,
//! RFC 6749 §4.4) and the bearer tokens it issued, with their expiry. Tokens it
//! did not issue are still accepted (any non-empty bearer token is, as before);
//! a token it issued is refused once it has expired. The store is bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fixture::Fixture;

/// The most tokens remembered; past it, expired ones are dropped, then the oldest.
pub const MAX_TOKENS: usize = 10_000;

/// A refused grant: status and the RFC 6749 error body.
#[derive(Debug, PartialEq, Eq)]
pub struct GrantError {
    pub status: u16,
    pub error: &'static str,
}

impl GrantError {
    pub fn body(&self) -> Value {
        json!({ "error": self.error })
    }
}

/// Checks a client-credentials request (an `application/x-www-form-urlencoded`
/// body) against the fixture's clients. Returns the client id.
pub fn grant(fixture: &Fixture, content_type: Option<&str>, body: &[u8]) -> Result<String, GrantError> {
    let form_type = content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(GrantError { status: 400, error: "invalid_request" });
    }
    let mut grant_type = None;
    let mut id = None;
    let mut secret = None;
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "grant_type" => grant_type = Some(value.into_owned()),
            "client_id" => id = Some(value.into_owned()),
            "client_secret" => secret = Some(value.into_owned()),
            _ => {}
        }
    }
    if grant_type.as_deref() != Some("client_credentials") {
        return Err(GrantError { status: 400, error: "unsupported_grant_type" });
    }
    match (id, secret) {
        (Some(id), Some(secret)) if fixture.clients.get(&id) == Some(&secret) => Ok(id),
        _ => Err(GrantError { status: 401, error: "invalid_client" }),
    }
}

/// The tokens issued, and when each expires.
#[derive(Default)]
pub struct TokenStore {
    issued: Mutex<HashMap<String, Instant>>,
}

impl TokenStore {
    /// A new token that lives for `lifetime`.
    pub fn issue(&self, lifetime: Duration) -> String {
        let token = format!("vcc-ref-{}", uuid::Uuid::new_v4().simple());
        let now = Instant::now();
        if let Ok(mut issued) = self.issued.lock() {
            if issued.len() >= MAX_TOKENS {
                issued.retain(|_, expires| *expires > now);
            }
            if issued.len() >= MAX_TOKENS {
                if let Some(oldest) = issued.iter().min_by_key(|(_, e)| **e).map(|(t, _)| t.clone()) {
                    issued.remove(&oldest);
                }
            }
            issued.insert(token.clone(), now + lifetime);
        }
        token
    }

    /// Whether `token` was issued here and has expired.
    pub fn is_expired(&self, token: &str) -> bool {
        self.issued.lock().is_ok_and(|issued| issued.get(token).is_some_and(|e| *e <= Instant::now()))
    }

    pub fn len(&self) -> usize {
        self.issued.lock().map(|i| i.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bearer token of an `Authorization` header, if it is one.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    #[test]
    fn grants_only_known_clients_with_their_secret() {
        let f = Fixture::builtin();
        let (id, secret) = f.clients.iter().next().unwrap();
        let body = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
        assert_eq!(grant(&f, FORM, body.as_bytes()), Ok(id.clone()));
        let wrong = format!("grant_type=client_credentials&client_id={id}&client_secret=nope");
        assert_eq!(grant(&f, FORM, wrong.as_bytes()).unwrap_err().error, "invalid_client");
        let password = format!("grant_type=password&client_id={id}&client_secret={secret}");
        assert_eq!(grant(&f, FORM, password.as_bytes()).unwrap_err().error, "unsupported_grant_type");
        assert_eq!(grant(&f, Some("application/json"), body.as_bytes()).unwrap_err().error, "invalid_request");
    }

    #[test]
    fn issued_tokens_expire() {
        let store = TokenStore::default();
        let short = store.issue(Duration::ZERO);
        let long = store.issue(Duration::from_secs(60));
        assert!(store.is_expired(&short));
        assert!(!store.is_expired(&long));
        assert!(!store.is_expired("someone-elses-token"));
        assert_eq!(bearer(Some("Bearer abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
    }

    #[test]
    fn the_store_is_bounded() {
        let store = TokenStore::default();
        for _ in 0..MAX_TOKENS + 5 {
            store.issue(Duration::from_secs(60));
        }
        assert_eq!(store.len(), MAX_TOKENS);
    }
}
