//! Auth: where the bearer token comes from. A static token (`--token`), or an
//! OAuth2 client-credentials flow (`--client-id`, `--client-secret`,
//! `--token-url`, `--scope`): the token is fetched once, reused, and fetched
//! anew shortly before it expires. Every secret and token is kept in a
//! [`Secret`] and listed by [`Auth::secrets`] so that reports can scrub them.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::client::Secret;

/// The client credentials of an OAuth2 client.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub token_url: String,
    pub scope: Option<String>,
}

/// The token endpoint this harness assumes when none is given: the base URL's
/// scheme and host with `/Auth/connect/token` (the page does not say; pass
/// `--token-url` for another).
pub fn default_token_url(base: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(base).map_err(|e| format!("base URL `{base}`: {e}"))?;
    let host = url.host_str().ok_or_else(|| format!("base URL `{base}` has no host"))?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}://{host}{port}/Auth/connect/token", url.scheme()))
}

/// A token fetched with client credentials, kept until shortly before it expires.
pub struct TokenSource {
    credentials: Credentials,
    http: reqwest::Client,
    current: tokio::sync::Mutex<Option<(Secret, Instant)>>,
    issued: Mutex<Vec<Secret>>,
}

/// A token is fetched anew when less than this part of its life is left.
const REFRESH_WHEN_LEFT: f64 = 0.2;

impl TokenSource {
    pub fn new(credentials: Credentials, http: reqwest::Client) -> TokenSource {
        TokenSource { credentials, http, current: Default::default(), issued: Default::default() }
    }

    /// The current token, fetched or refreshed as needed.
    pub async fn token(&self) -> Result<Secret, String> {
        let mut current = self.current.lock().await;
        if let Some((token, refresh_at)) = &*current {
            if Instant::now() < *refresh_at {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch().await?;
        let refresh_at = Instant::now() + lifetime.mul_f64(1.0 - REFRESH_WHEN_LEFT);
        if let Ok(mut issued) = self.issued.lock() {
            issued.push(token.clone());
        }
        *current = Some((token.clone(), refresh_at));
        Ok(token)
    }

    /// How many tokens have been fetched so far.
    pub fn fetched(&self) -> usize {
        self.issued.lock().map(|i| i.len()).unwrap_or(0)
    }

    async fn fetch(&self) -> Result<(Secret, Duration), String> {
        let c = &self.credentials;
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            form.append_pair("client_id", &c.client_id);
            form.append_pair("client_secret", c.client_secret.expose());
            if let Some(scope) = &c.scope {
                form.append_pair("scope", scope);
            }
            form.finish()
        };
        let failed = |what: String| format!("could not get a token from {}: {what}", c.token_url);
        let resp = self
            .http
            .post(&c.token_url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| failed(e.without_url().to_string()))?;
        if !status.is_success() {
            // Scrubbed whole, then shortened: shortening first could cut the secret
            // in two and leave its beginning in the message.
            let text = scrub(&String::from_utf8_lossy(&body), &c.client_secret);
            let text: String = text.chars().take(200).collect();
            return Err(failed(format!("it answered {status}: {text}")));
        }
        let json: Value = serde_json::from_slice(&body).map_err(|_| failed("the answer is not JSON".into()))?;
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| failed("the answer has no access_token".into()))?;
        if let Some(kind) = json.get("token_type").and_then(Value::as_str) {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(failed(format!("token_type is `{kind}`, not Bearer")));
            }
        }
        let seconds = json.get("expires_in").and_then(Value::as_f64).unwrap_or(3600.0);
        let lifetime = Duration::from_secs_f64(seconds.clamp(1.0, 86_400.0));
        Ok((Secret::new(token), lifetime))
    }
}

/// `text` with the client secret removed, also in the forms a token endpoint
/// that echoes its input would show it: form-encoded (as it was sent, `+` or
/// `%20` for a space) and escaped as in a JSON string.
fn scrub(text: &str, secret: &Secret) -> String {
    let raw = secret.expose();
    if raw.is_empty() {
        return text.to_owned();
    }
    let form: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
    let json = serde_json::to_string(raw).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_owned();
    let mut forms = vec![raw.to_owned(), form.replace('+', "%20"), form, json];
    forms.retain(|f| !f.is_empty());
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    let mut text = text.to_owned();
    for f in &forms {
        text = text.replace(f.as_str(), "[redacted]");
    }
    text
}

/// Where the bearer token comes from.
pub enum Auth {
    None,
    Static(Secret),
    ClientCredentials(TokenSource),
}

impl Auth {
    /// The token to send now, if any.
    pub async fn bearer(&self) -> Result<Option<Secret>, String> {
        match self {
            Auth::None => Ok(None),
            Auth::Static(token) => Ok(Some(token.clone())),
            Auth::ClientCredentials(source) => source.token().await.map(Some),
        }
    }

    /// Every secret a report must never show: the token, the client secret, and
    /// every token fetched so far.
    pub fn secrets(&self) -> Vec<Secret> {
        match self {
            Auth::None => Vec::new(),
            Auth::Static(token) => vec![token.clone()],
            Auth::ClientCredentials(source) => {
                let mut all = vec![source.credentials.client_secret.clone()];
                all.extend(source.issued.lock().map(|i| i.clone()).unwrap_or_default());
                all
            }
        }
    }

    pub fn is_some(&self) -> bool {
        !matches!(self, Auth::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_token_url_keeps_scheme_host_and_port() {
        assert_eq!(default_token_url("https://emea.newvoicemedia.com/").unwrap(), "https://emea.newvoicemedia.com/Auth/connect/token");
        assert_eq!(default_token_url("http://127.0.0.1:8080/api").unwrap(), "http://127.0.0.1:8080/Auth/connect/token");
        assert_eq!(default_token_url("http://[::1]:9").unwrap(), "http://[::1]:9/Auth/connect/token");
        assert!(default_token_url("nonsense").is_err());
    }

    #[test]
    fn the_client_secret_is_scrubbed_in_every_form_an_echo_shows() {
        let secret = Secret::new("s3cr et/+\"&=Q");
        for echoed in [
            "client_secret=s3cr et/+\"&=Q",
            "client_secret=s3cr+et%2F%2B%22%26%3DQ",
            "client_secret=s3cr%20et%2F%2B%22%26%3DQ",
            r#"{"client_secret":"s3cr et/+\"&=Q"}"#,
        ] {
            let text = scrub(echoed, &secret);
            assert!(text.contains("[redacted]") && !text.contains("s3cr"), "{echoed} -> {text}");
        }
        assert_eq!(scrub("nothing here", &secret), "nothing here");
        assert_eq!(scrub("nothing here", &Secret::new("")), "nothing here");
    }
}
