//! Reading a request body within bounds: at most [`MAX_BODY`] bytes, within the
//! body timeout, with well-formed framing. Each way it can fail is a JSON
//! [`AppError`] (413, 408, 400) that also closes the connection.
//!
//! The body is gathered in one buffer of its declared length (memory the
//! system lends only as bytes arrive), or, without one, grown to at most
//! [`MAX_BODY`]: a body that stalls holds what was sent of it, never a buffer
//! doubled past it.

use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use http_body::Body as _;

use super::error::AppError;

/// The largest request body read.
pub const MAX_BODY: usize = 64 * 1024;

fn closing(status: StatusCode, message: String) -> AppError {
    AppError::new(status, message).with_header(header::CONNECTION, "close")
}

fn too_large() -> AppError {
    closing(StatusCode::PAYLOAD_TOO_LARGE, format!("The request body is over {MAX_BODY} bytes"))
}

/// The whole body, or why not.
pub async fn read(body: Body, timeout: Duration) -> Result<Bytes, AppError> {
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(too_large());
    }
    let declared = body.size_hint().exact().map_or(0, |n| n as usize);
    let collect = async move {
        let mut body = body;
        let mut bytes = Vec::with_capacity(declared);
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            let frame = frame.map_err(|_| {
                let message = "The request body was cut off, or its chunked framing is malformed";
                closing(StatusCode::BAD_REQUEST, message.into())
            })?;
            if let Ok(data) = frame.into_data() {
                let needed = bytes.len() + data.len();
                if needed > MAX_BODY {
                    return Err(too_large());
                }
                if needed > bytes.capacity() {
                    // Doubling, as a vector would, but never past the largest body.
                    bytes.reserve_exact(needed.max(2 * bytes.capacity()).min(MAX_BODY) - bytes.len());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(bytes))
    };
    match tokio::time::timeout(timeout, collect).await {
        Ok(read) => read,
        Err(_) => Err(closing(
            StatusCode::REQUEST_TIMEOUT,
            format!("The request body did not arrive within {} s", timeout.as_secs_f64()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_read_whole_within_the_limit() {
        let ok = read(Body::from("{}"), Duration::from_secs(1)).await.unwrap();
        assert_eq!(&ok[..], b"{}");
        let big = read(Body::from(vec![b'7'; MAX_BODY + 1]), Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
        let stream = futures_stream(vec![Ok(vec![b'a'; MAX_BODY]), Ok(vec![b'b'])]);
        assert_eq!(read(stream, Duration::from_secs(1)).await.unwrap_err().status, 413, "counted across chunks");
        let chunks: Vec<_> = (0..64).map(|_| Ok(vec![b'c'; 1000])).collect();
        let unsized_body = read(futures_stream(chunks), Duration::from_secs(1)).await.unwrap();
        assert_eq!(unsized_body.len(), 64_000, "a body of unknown length is read whole");
        let broken = futures_stream(vec![Ok(b"{".to_vec()), Err(std::io::Error::other("bad chunk size"))]);
        let e = read(broken, Duration::from_secs(1)).await.unwrap_err();
        assert_eq!((e.status, e.message.contains("chunked")), (StatusCode::BAD_REQUEST, true));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_is_a_408() {
        let stalled = Body::new(Stalled);
        let e = read(stalled, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(e.status, StatusCode::REQUEST_TIMEOUT);
        assert!(e.message.contains("5 s"), "{}", e.message);
    }

    /// A body that never sends anything.
    struct Stalled;

    impl http_body::Body for Stalled {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Pending
        }
    }

    /// A body of these chunks (of unknown total length).
    fn futures_stream(parts: Vec<Result<Vec<u8>, std::io::Error>>) -> Body {
        struct Parts(std::collections::VecDeque<Result<Vec<u8>, std::io::Error>>);
        impl http_body::Body for Parts {
            type Data = Bytes;
            type Error = std::io::Error;
            fn poll_frame(
                mut self: Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
                std::task::Poll::Ready(self.0.pop_front().map(|p| p.map(|b| http_body::Frame::data(Bytes::from(b)))))
            }
        }
        Body::new(Parts(parts.into()))
    }
}
