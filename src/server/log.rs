//! The server's log: where its lines go ([`LogSink`]: standard error, or memory
//! for tests), the `--log` access log (one line per request: when, which client, status,
//! method, path, latency, and the message of a refusal, what another team
//! needs to see why its request failed), and a rate-limited line for repeated
//! events such as refused connections ([`Throttled`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Where log lines go.
#[derive(Clone, Default)]
pub enum LogSink {
    #[default]
    Stderr,
    Memory(Arc<Mutex<Vec<String>>>),
}

impl LogSink {
    /// A sink that keeps its lines, and the lines.
    pub fn memory() -> (LogSink, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        (LogSink::Memory(Arc::clone(&lines)), lines)
    }

    pub fn line(&self, line: String) {
        match self {
            LogSink::Stderr => eprintln!("{line}"),
            LogSink::Memory(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        }
    }
}

/// How much of a refusal's body the access log reads for its message.
const MESSAGE_READ: usize = 64 * 1024;

/// How much of a path or message a log line shows.
const SHOWN: usize = 300;

/// A client's text in a log line: escaped, capped, quoted.
fn quoted(text: &str) -> String {
    format!("{:?}", crate::peer_text::capped(crate::peer_text::visible(text).into_owned(), SHOWN))
}

/// The access log, as a middleware:
/// `2026-12-07T19:30:01.123Z 127.0.0.1 400 POST /v0/a1b2c3d4e5/calls/ 0.31 ms "Agent Id exceeds 11 digits"`.
pub async fn access(State(sink): State<LogSink>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let client = request.extensions().get::<super::listener::Peer>().map_or_else(|| "-".to_owned(), |p| p.0.to_string());
    let at = format!("{} {client}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status();
    let path = crate::peer_text::capped(crate::peer_text::visible(&path).into_owned(), SHOWN);
    // A refusal's message is read from a body of known, small size; any other
    // body (a stream: chunked, or cut by a fault) goes out as it is, unread.
    let small = http_body::Body::size_hint(response.body()).exact().is_some_and(|n| n <= MESSAGE_READ as u64);
    if !(status.is_client_error() || status.is_server_error()) || !small {
        sink.line(format!("{at} {} {method} {path} {ms:.2} ms", status.as_u16()));
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MESSAGE_READ).await.unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(serde_json::Value::as_str).map(quoted))
        .unwrap_or_default();
    sink.line(format!("{at} {} {method} {path} {ms:.2} ms {message}", status.as_u16()).trim_end().to_owned());
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A line written at most once per period; the events in between are counted
/// and the count goes into the next line.
pub struct Throttled {
    sink: LogSink,
    period: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttled {
    pub fn new(sink: LogSink, period: Duration) -> Throttled {
        Throttled { sink, period, state: Mutex::new((None, 0)) }
    }

    /// Records one event; writes `line(events since the last line)` if the
    /// period has passed.
    pub fn event(&self, line: impl FnOnce(u64) -> String) {
        let Ok(mut state) = self.state.lock() else { return };
        state.1 += 1;
        if state.0.is_none_or(|last| last.elapsed() >= self.period) {
            let count = std::mem::take(&mut state.1);
            state.0 = Some(Instant::now());
            drop(state);
            self.sink.line(line(count));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_line_is_written_once_per_period_with_the_count() {
        let (sink, lines) = LogSink::memory();
        let throttled = Throttled::new(sink, Duration::from_secs(3600));
        for _ in 0..5 {
            throttled.event(|n| format!("{n} refused"));
        }
        assert_eq!(*lines.lock().unwrap(), ["1 refused"]);
        let (sink, lines) = LogSink::memory();
        let every = Throttled::new(sink, Duration::ZERO);
        every.event(|n| format!("{n}"));
        every.event(|n| format!("{n}"));
        assert_eq!(*lines.lock().unwrap(), ["1", "1"]);
    }
}
