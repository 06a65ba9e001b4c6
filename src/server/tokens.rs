//! Tokens: the reference server's OAuth2 token endpoint (client credentials,
//! RFC 6749 §4.4) and the bearer tokens it issues: self-validating (signed,
//! carrying their expiry and the client they were granted to; see [`TokenKey`]).
//! Tokens it did not issue are still accepted (any non-empty bearer token is, as
//! before); a token shaped like its own is refused once it has expired, or if
//! another key signed it.

use std::time::Duration;

use ring::hmac;

use super::fixture::Fixture;

/// A refused grant: status and the RFC 6749 error body.
#[derive(Debug, PartialEq, Eq)]
pub struct GrantError {
    pub status: u16,
    pub error: &'static str,
}

impl GrantError {
    /// What went wrong, for people.
    pub fn message(&self) -> &'static str {
        match self.error {
            "invalid_request" => "The token request must be application/x-www-form-urlencoded",
            "unsupported_grant_type" => "Only grant_type=client_credentials is supported",
            _ => "Unknown client, or a wrong client secret",
        }
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

/// Signs and checks the tokens this server issues. A token carries its expiry,
/// its subject (the client it was granted to, hex-encoded) and an HMAC-SHA256
/// over them (`vcc-ref-{expiry ms}.{nonce}.{subject}.{signature}`), so nothing
/// is stored, nothing is evicted, and every server holding the same key honours
/// the others' tokens and expiries.
pub struct TokenKey(hmac::Key);

/// What a bearer token is to this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    /// Not shaped like ours: accepted, as any non-empty bearer token is.
    Foreign,
    /// Ours, signed with this key, still alive.
    Valid,
    /// Ours and past its expiry.
    Expired,
    /// Shaped like ours, but not signed with this key (or altered).
    Forged,
}

/// The prefix of every token this server issues.
pub const PREFIX: &str = "vcc-ref-";

/// The shortest `--token-key` accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

impl TokenKey {
    /// A key of 32 random bytes, for one process.
    pub fn random() -> TokenKey {
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        TokenKey(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }

    /// A key shared by several servers; at least [`MIN_KEY_BYTES`] long.
    pub fn from_secret(secret: &[u8]) -> Result<TokenKey, String> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(format!("the token key must be at least {MIN_KEY_BYTES} bytes long (it signs the tokens)"));
        }
        Ok(TokenKey(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    /// A new token that lives for `lifetime`, with no subject.
    pub fn issue(&self, lifetime: Duration) -> String {
        self.issue_to("", lifetime)
    }

    /// A new token for `subject` (the client id it was granted to) that lives for `lifetime`.
    pub fn issue_to(&self, subject: &str, lifetime: Duration) -> String {
        let expires = now_ms().saturating_add(lifetime.as_millis() as u64);
        let mut claims = format!("{expires}.{}", uuid::Uuid::new_v4().simple());
        if !subject.is_empty() {
            claims = format!("{claims}.{}", hex(subject.as_bytes()));
        }
        let signature = hmac::sign(&self.0, claims.as_bytes());
        format!("{PREFIX}{claims}.{}", hex(signature.as_ref()))
    }

    /// Whether `token` is ours, and if so whether it is genuine and alive.
    pub fn check(&self, token: &str) -> TokenCheck {
        let Some(rest) = token.strip_prefix(PREFIX) else { return TokenCheck::Foreign };
        let Some((claims, signature)) = rest.rsplit_once('.') else { return TokenCheck::Forged };
        let genuine = unhex(signature).is_some_and(|s| hmac::verify(&self.0, claims.as_bytes(), &s).is_ok());
        let expires = claims.split_once('.').and_then(|(e, _)| e.parse::<u64>().ok());
        match (genuine, expires) {
            (true, Some(expires)) if expires > now_ms() => TokenCheck::Valid,
            (true, Some(_)) => TokenCheck::Expired,
            _ => TokenCheck::Forged,
        }
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(hidden)")
    }
}

impl Default for TokenKey {
    fn default() -> TokenKey {
        TokenKey::random()
    }
}

/// The subject a token shaped like ours names (the client it was granted to),
/// read without checking the signature: ask [`TokenKey::check`] first.
pub fn subject(token: &str) -> Option<String> {
    let (claims, _) = token.strip_prefix(PREFIX)?.rsplit_once('.')?;
    let subject = claims.splitn(3, '.').nth(2)?;
    String::from_utf8(unhex(subject)?).ok()
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
        let key = TokenKey::random();
        let short = key.issue(Duration::ZERO);
        let long = key.issue(Duration::from_secs(60));
        assert!(short.starts_with(PREFIX) && long.starts_with(PREFIX));
        assert_eq!(key.check(&short), TokenCheck::Expired);
        assert_eq!(key.check(&long), TokenCheck::Valid);
        assert_eq!(key.check("someone-elses-token"), TokenCheck::Foreign);
        assert_eq!((subject(&long), subject("someone-elses-token")), (None, None));
        assert_eq!(bearer(Some("Bearer abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
    }

    #[test]
    fn expired_tokens_stay_expired_however_many_are_issued_after() {
        let key = TokenKey::random();
        let first = key.issue(Duration::ZERO);
        for _ in 0..10_001 {
            key.issue(Duration::from_secs(60));
        }
        assert_eq!(key.check(&first), TokenCheck::Expired);
    }

    #[test]
    fn a_shared_key_honours_the_others_tokens_and_another_key_or_an_edit_is_refused() {
        let secret = b"a shared key of 32 bytes or so..";
        let (a, b) = (TokenKey::from_secret(secret).unwrap(), TokenKey::from_secret(secret).unwrap());
        let token = a.issue(Duration::from_secs(60));
        assert_eq!(b.check(&token), TokenCheck::Valid);
        assert_eq!(TokenKey::random().check(&token), TokenCheck::Forged);
        let (claims, signature) = token.rsplit_once('.').unwrap();
        let (expires, nonce) = claims.strip_prefix(PREFIX).unwrap().split_once('.').unwrap();
        let later = format!("{PREFIX}{}.{nonce}.{signature}", expires.parse::<u64>().unwrap() + 1);
        assert_eq!(b.check(&later), TokenCheck::Forged, "a changed expiry breaks the signature");
        for odd in ["vcc-ref-", "vcc-ref-1.2", "vcc-ref-x.y.zz", "vcc-ref-1.2.\u{e9}\u{e9}"] {
            assert_eq!(a.check(odd), TokenCheck::Forged, "{odd}");
        }
        assert!(TokenKey::from_secret(b"short").unwrap_err().contains("16 bytes"));
    }

    #[test]
    fn a_token_names_the_client_it_was_granted_to_and_the_name_is_signed() {
        let key = TokenKey::random();
        let token = key.issue_to("team.a b", Duration::from_secs(60));
        assert_eq!(key.check(&token), TokenCheck::Valid);
        assert_eq!(subject(&token).as_deref(), Some("team.a b"));
        let (claims, signature) = token.rsplit_once('.').unwrap();
        let (expires_and_nonce, _) = claims.rsplit_once('.').unwrap();
        let other = format!("{expires_and_nonce}.{}.{signature}", hex(b"team-b"));
        assert_eq!(subject(&other).as_deref(), Some("team-b"));
        assert_eq!(key.check(&other), TokenCheck::Forged, "another subject breaks the signature");
    }
}
