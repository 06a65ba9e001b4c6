//! Proxy: which HTTP proxy, if any, a URL is reached through, decided as curl
//! decides it. `--no-proxy` sends everything directly; `--proxy URL` sends
//! everything but loopback through URL; otherwise the environment: `http_proxy`
//! for http URLs (lowercase only, as curl reads it: an `HTTP_PROXY` may be set
//! by a request header in CGI), `HTTPS_PROXY` or `https_proxy` for https,
//! `ALL_PROXY` or `all_proxy` for either, unless the host is listed in
//! `NO_PROXY`/`no_proxy`. Loopback (127.0.0.0/8, ::1, localhost), and so the
//! embedded server, is never reached through a proxy.

use std::net::IpAddr;

use crate::exec::plan::is_loopback;

/// How the user chose to reach the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// As curl would, from the environment.
    #[default]
    FromEnvironment,
    /// `--proxy URL`.
    Url(String),
    /// `--no-proxy`: always directly.
    Off,
}

/// A proxy in use, and where the choice came from (for the target line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    pub url: String,
    /// `--proxy`, or the environment variable it came from.
    pub from: String,
}

impl Proxy {
    /// The proxy's URL as shown: without any credentials in it.
    pub fn shown(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.to_string().trim_end_matches('/').to_owned()
            }
            _ => self.url.trim_end_matches('/').to_owned(),
        }
    }
}

/// Whether `host` matches a `NO_PROXY` list as curl reads it: `*` for every
/// host, else comma-separated names (a name matches itself and its subdomains;
/// a leading dot is ignored) and IP addresses.
fn excluded(host: &str, no_proxy: &str) -> bool {
    let host = host.trim_matches(['[', ']']).trim_end_matches('.').to_ascii_lowercase();
    no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('.').trim_matches(['[', ']']).to_ascii_lowercase();
        if let (Ok(a), Ok(b)) = (host.parse::<IpAddr>(), entry.parse::<IpAddr>()) {
            return a == b;
        }
        host == entry || host.ends_with(&format!(".{entry}"))
    })
}

/// The proxy `url` is reached through under `choice`, reading the environment
/// with `env`.
pub fn for_url(url: &str, choice: &ProxyChoice, env: impl Fn(&str) -> Option<String>) -> Option<Proxy> {
    if is_loopback(url) {
        return None;
    }
    match choice {
        ProxyChoice::Off => None,
        ProxyChoice::Url(proxy) => Some(Proxy { url: proxy.clone(), from: "--proxy".into() }),
        ProxyChoice::FromEnvironment => {
            let parsed = url::Url::parse(url).ok()?;
            let first = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()).map(|v| (v, (*n).to_owned())));
            if let Some((list, _)) = first(&["NO_PROXY", "no_proxy"])
                && excluded(parsed.host_str().unwrap_or_default(), &list)
            {
                return None;
            }
            let scheme = if parsed.scheme() == "https" { first(&["HTTPS_PROXY", "https_proxy"]) } else { first(&["http_proxy"]) };
            let (url, from) = scheme.or_else(|| first(&["ALL_PROXY", "all_proxy"]))?;
            Some(Proxy { url, from })
        }
    }
}

/// [`for_url`] with the process's environment.
pub fn from_process(url: &str, choice: &ProxyChoice) -> Option<Proxy> {
    for_url(url, choice, |name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn loopback_and_no_proxy_go_directly() {
        let all = [("HTTPS_PROXY", "http://proxy:3128"), ("http_proxy", "http://proxy:3128"), ("ALL_PROXY", "http://p:1")];
        let auto = ProxyChoice::FromEnvironment;
        for direct in ["http://127.0.0.1:8080", "https://localhost", "http://[::1]:9"] {
            assert_eq!(for_url(direct, &auto, env(&all)), None, "{direct}");
            assert_eq!(for_url(direct, &ProxyChoice::Url("http://p:1".into()), env(&[])), None, "{direct}");
        }
        assert_eq!(for_url("https://emea.example.com", &ProxyChoice::Off, env(&all)), None);
        let listed = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "other.test, .example.com")];
        assert_eq!(for_url("https://emea.example.com", &auto, env(&listed)), None);
        assert_eq!(for_url("https://example.com", &auto, env(&listed)), None);
        assert!(for_url("https://notexample.com", &auto, env(&listed)).is_some());
        assert_eq!(for_url("https://x.test", &auto, env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "*")])), None);
    }

    #[test]
    fn the_scheme_picks_the_variable_as_curl_does() {
        let auto = ProxyChoice::FromEnvironment;
        let https = for_url("https://emea.example.com", &auto, env(&[("https_proxy", "http://p:1")])).unwrap();
        assert_eq!((https.url.as_str(), https.from.as_str()), ("http://p:1", "https_proxy"));
        assert_eq!(for_url("http://emea.example.com", &auto, env(&[("HTTP_PROXY", "http://p:1")])), None, "uppercase HTTP_PROXY is not read");
        assert!(for_url("http://emea.example.com", &auto, env(&[("http_proxy", "http://p:1")])).is_some());
        let all = for_url("http://emea.example.com", &auto, env(&[("ALL_PROXY", "http://p:2")])).unwrap();
        assert_eq!(all.from, "ALL_PROXY");
        let given = for_url("https://x.test", &ProxyChoice::Url("http://u:secret@p:3".into()), env(&[])).unwrap();
        assert_eq!((given.from.as_str(), given.shown().as_str()), ("--proxy", "http://p:3"));
    }
}
