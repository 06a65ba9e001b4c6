//! Exchange: what goes over the wire and comes back, as data. The request as it
//! was sent, the response as it came, and why an exchange gave no usable
//! response. The client produces these; checks, results and reports read them.

use std::fmt;

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The request as it was sent (the bearer token is not part of it: `auth` says
/// whether one went along), and when.
#[derive(Clone, Debug, PartialEq)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub auth: bool,
    /// The scheme the token went with (`Bearer`, unless the case spelled it otherwise).
    pub auth_scheme: String,
    pub body: Vec<u8>,
    /// When it was sent (a HAR entry's `startedDateTime`).
    pub sent_at: chrono::DateTime<chrono::Utc>,
}

/// Why an exchange gave no usable response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// Nothing listens there.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (https to a plain-HTTP server, a bad certificate).
    Tls,
    /// No complete answer within the timeout.
    Timeout,
    /// Connecting failed in another way.
    Connect,
    /// The connection broke, or the answer was not HTTP.
    Protocol,
    /// The body was over the cap.
    TooLarge,
    /// No bearer token could be had (the token endpoint failed).
    Token,
    /// The request could not be built (a method or header no HTTP allows).
    Request,
}

impl TransportKind {
    /// A short name, for grouping and for machines.
    pub fn label(self) -> &'static str {
        match self {
            TransportKind::Refused => "connection refused",
            TransportKind::Dns => "host not found (DNS)",
            TransportKind::Tls => "TLS handshake failed",
            TransportKind::Timeout => "timeout",
            TransportKind::Connect => "could not connect",
            TransportKind::Protocol => "connection broken or not HTTP",
            TransportKind::TooLarge => "response too large",
            TransportKind::Token => "no bearer token",
            TransportKind::Request => "request not sendable",
        }
    }

    /// What a user can do about it, where there is something to say.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            TransportKind::Refused => Some("is the deployment up, and is the port right?"),
            TransportKind::Dns => Some("check the host name in the base URL"),
            TransportKind::Tls => Some("an https URL to a plain-HTTP server fails like this: try http://"),
            TransportKind::Timeout => Some("the deployment did not answer in time: raise --timeout, or check it is up"),
            TransportKind::Protocol => Some("is it an HTTP server? (an http URL to a TLS port, or another protocol, fails like this)"),
            _ => None,
        }
    }
}

/// A failed exchange: its kind and the underlying detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportKind,
    pub detail: String,
}

impl TransportError {
    pub fn new(kind: TransportKind, detail: impl Into<String>) -> TransportError {
        TransportError { kind, detail: detail.into() }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for TransportError {}
