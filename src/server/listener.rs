//! The accept loop, in place of `axum::serve`: each connection is served by
//! hyper's HTTP/1 with a header-read timeout that also bounds idle keep-alive
//! ([`Limits::idle_timeout`]) and, through [`WriteTimeout`], how long an answer
//! may wait for a client that does not read; a bounded head buffer; and
//! half-closed clients still answered. At most [`Limits::max_connections`] are served at once; past
//! it a connection gets a JSON 503 with `Connection: close`, and the log one
//! line every [`REFUSAL_LOG_PERIOD`] at most. After a flood of connections has
//! gone, the memory they used is given back ([`super::memory`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::JSON;
use super::limits::{Limits, MAX_HEAD_BUFFER, MAX_REFUSING};
use super::log::{LogSink, Throttled};
use super::memory::Trimmer;
use super::parse_errors::JsonParseErrors;
use super::write_timeout::WriteTimeout;

/// How often a refused connection (or a failed accept) is logged at most.
pub const REFUSAL_LOG_PERIOD: Duration = Duration::from_secs(10);

/// How long a refused client has to send its request head, and then to read
/// the 503, before its connection is closed.
const REFUSAL_GRACE: Duration = Duration::from_millis(500);

/// Serves `router` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, log: LogSink) -> std::io::Result<()> {
    let serving = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let refusals = Throttled::new(log.clone(), REFUSAL_LOG_PERIOD);
    let accept_errors = Throttled::new(log, REFUSAL_LOG_PERIOD);
    let max = limits.max_connections;
    let trimmer = Arc::new(Trimmer::default());
    let open = {
        let serving = Arc::clone(&serving);
        move || max - serving.available_permits()
    };
    let trimming = {
        let (trimmer, open) = (Arc::clone(&trimmer), open.clone());
        tokio::spawn(async move { trimmer.run(open).await })
    };
    let _stop_trimming = AbortOnDrop(trimming);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was
                // accepted: wait a little rather than spin.
                accept_errors.event(|n| format!("reference server: could not accept a connection ({n} times): {e}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        match Arc::clone(&serving).try_acquire_owned() {
            Ok(permit) => {
                trimmer.opened(open());
                tokio::spawn(connection(stream, router.clone(), limits, permit));
            }
            Err(_) => {
                refusals.event(|n| {
                    format!("reference server: at its limit of {max} connections (--max-connections); {n} refused since the last such line")
                });
                if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
                    tokio::spawn(refuse(stream, max, permit));
                }
            }
        }
    }
}

/// Aborts a task when dropped (the trimmer stops with the server).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One connection, served until it closes or times out.
async fn connection(stream: TcpStream, router: Router, limits: Limits, _permit: OwnedSemaphorePermit) {
    let _ = stream.set_nodelay(true);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true)
        .half_close(true)
        .max_buf_size(MAX_HEAD_BUFFER);
    let io = TokioIo::new(JsonParseErrors::new(WriteTimeout::new(stream, limits.idle_timeout)));
    let _ = http.serve_connection(io, TowerToHyperService::new(router)).await;
}

/// The answer to a connection past the limit.
pub fn refusal(max: usize) -> String {
    let message = format!("This server already serves its maximum of {max} connections; try again shortly.");
    let body = serde_json::json!({ "message": message }).to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {JSON}\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    )
}

/// Reads the request head (a little, briefly), answers 503 and closes, then
/// drains what the client still sends so that it reads the answer, not a reset.
async fn refuse(mut stream: TcpStream, max: usize, _permit: OwnedSemaphorePermit) {
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(REFUSAL_GRACE, async {
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            seen.extend_from_slice(&buf[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") || seen.len() > MAX_HEAD_BUFFER {
                break;
            }
        }
    })
    .await;
    if stream.write_all(refusal(max).as_bytes()).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(REFUSAL_GRACE, async {
        let mut drained = 0;
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            drained += n;
            if drained > 1 << 20 {
                break;
            }
        }
    })
    .await;
}
