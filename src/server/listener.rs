//! The accept loop, in place of `axum::serve`: each connection is served by
//! hyper's HTTP/1 with a header-read timeout that also bounds idle keep-alive
//! ([`Limits::idle_timeout`]) and, through [`WriteTimeout`], how long an answer
//! may wait for a client that does not read; a bounded head buffer; and
//! half-closed clients still answered. At most [`Limits::max_connections`] are
//! served at once, and at most [`Limits::max_per_client`] of them for one client
//! ([`Shares`]); past either, a connection gets a JSON 503 with `Connection:
//! close` (never a bare close), and the log one line every
//! [`REFUSAL_LOG_PERIOD`] at most. After a flood of connections has gone, the
//! memory they used is given back ([`super::memory`]). Each request carries its
//! client's address as a [`Peer`] extension.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::JSON;
use super::limits::{Limits, MAX_HEAD_BUFFER, MAX_REFUSING, REFUSING_PER_CLIENT};
use super::log::{LogSink, Throttled};
use super::memory::Trimmer;
use super::parse_errors::JsonParseErrors;
use super::shares::{Client, Share, Shares};
use super::write_timeout::WriteTimeout;

/// The address of the client that sent a request (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub IpAddr);

/// How often a refused connection (or a failed accept) is logged at most.
pub const REFUSAL_LOG_PERIOD: Duration = Duration::from_secs(10);

/// How long a refused client has to send its request head, and then to read
/// the 503, before its connection is closed.
const REFUSAL_GRACE: Duration = Duration::from_millis(500);

/// What a connection holds while it is served, or refused with time to read
/// the refusal: the server's place and the client's share.
type Held<P> = (P, Share);

/// How connections are refused: the two answers, and the places for refusals
/// that wait for the request and the answer's reading.
struct Refusing {
    full: Arc<str>,
    over_share: Arc<str>,
    places: Arc<Semaphore>,
    shares: Arc<Shares>,
}

impl Refusing {
    /// Answers `stream` with `answer`: with time to send its request and read
    /// the answer while a place (and the client's share of them) is free, else
    /// written at once and closed, so that every refusal is the JSON 503.
    fn refuse(&self, stream: TcpStream, client: Client, answer: &Arc<str>) {
        let place = Arc::clone(&self.places).try_acquire_owned().ok();
        // The client's share is taken only when a place is free (no lock, in a flood, for nothing).
        match place.and_then(|place| Some((place, self.shares.take(client)?))) {
            Some(held) => drop(tokio::spawn(refuse(stream, Arc::clone(answer), held))),
            None => refuse_at_once(stream, answer),
        }
    }
}

/// Serves `router` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, log: LogSink) -> std::io::Result<()> {
    let serving = Arc::new(Semaphore::new(limits.max_connections));
    let shares = Shares::new(limits.max_per_client);
    let (max, each) = (limits.max_connections, limits.max_per_client);
    let refusing = Refusing {
        full: refusal(&format!("This server already serves its maximum of {max} connections; try again shortly.")).into(),
        over_share: refusal(&format!(
            "This client already holds its share of {each} connections (of the server's {max}); try again shortly."
        ))
        .into(),
        places: Arc::new(Semaphore::new(MAX_REFUSING)),
        shares: Shares::new(REFUSING_PER_CLIENT),
    };
    let refusals = Throttled::new(log.clone(), REFUSAL_LOG_PERIOD);
    let over_share = Throttled::new(log.clone(), REFUSAL_LOG_PERIOD);
    let accept_errors = Throttled::new(log, REFUSAL_LOG_PERIOD);
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
        let (stream, peer) = match listener.accept().await {
            Ok((stream, peer)) => (stream, peer.ip()),
            Err(e) => {
                // Out of descriptors, or a connection reset before it was
                // accepted: wait a little rather than spin.
                accept_errors.event(|n| format!("reference server: could not accept a connection ({n} times): {e}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let client = Client::of(peer);
        let Some(share) = shares.take(client) else {
            over_share.event(|n| {
                format!(
                    "reference server: client {client} holds its share of {each} connections (--max-connections-per-client); \
                     {n} refused since the last such line"
                )
            });
            refusing.refuse(stream, client, &refusing.over_share);
            continue;
        };
        match Arc::clone(&serving).try_acquire_owned() {
            Ok(permit) => {
                trimmer.opened(open());
                tokio::spawn(connection(stream, Peer(peer), router.clone(), limits, (permit, share)));
            }
            Err(_) => {
                drop(share);
                refusals.event(|n| {
                    format!("reference server: at its limit of {max} connections (--max-connections); {n} refused since the last such line")
                });
                refusing.refuse(stream, client, &refusing.full);
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

/// One connection, served until it closes or times out; each of its requests
/// carries `peer`.
async fn connection(stream: TcpStream, peer: Peer, router: Router, limits: Limits, _held: Held<OwnedSemaphorePermit>) {
    let _ = stream.set_nodelay(true);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true)
        .half_close(true)
        .max_buf_size(MAX_HEAD_BUFFER);
    let io = TokioIo::new(JsonParseErrors::new(WriteTimeout::new(stream, limits.idle_timeout)));
    let router = TowerToHyperService::new(router);
    let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(peer);
        router.call(request)
    });
    let _ = http.serve_connection(io, service).await;
}

/// A 503 answer with this message, closing the connection.
pub fn refusal(message: &str) -> String {
    let body = serde_json::json!({ "message": message }).to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {JSON}\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    )
}

/// Reads the request head (a little, briefly), answers and closes, then
/// drains what the client still sends so that it reads the answer, not a reset.
async fn refuse(mut stream: TcpStream, answer: Arc<str>, _held: Held<OwnedSemaphorePermit>) {
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
    if stream.write_all(answer.as_bytes()).await.is_err() || stream.shutdown().await.is_err() {
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

/// Writes the answer without waiting (a new connection's send buffer has room
/// for it) and closes: the client reads the 503 first, even should the close
/// reset a connection whose request was not read.
fn refuse_at_once(stream: TcpStream, answer: &str) {
    if let Ok(mut stream) = stream.into_std() {
        let _ = stream.write(answer.as_bytes());
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
}
