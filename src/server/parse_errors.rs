//! JSON answers to requests hyper cannot parse. A request line or header that
//! is not HTTP (a raw non-ASCII byte in the path, a bad or doubled
//! `Content-Length`, an unknown `Transfer-Encoding`, a header name with a
//! space) or a head over [`MAX_HEAD_BUFFER`] is answered by hyper itself, before
//! any route sees it, with a status (400, 431, 414) and an empty body, and
//! hyper has no hook to change that answer. [`JsonParseErrors`] stands between
//! hyper and the connection and writes, in place of such an answer, the same
//! status with `Connection: close` and a JSON body with a `message`, as every
//! other answer of the server. It recognises the answer by its shape: a 4xx
//! head with `content-length: 0` and no `Content-Type`, which no route writes
//! (every route's answer is JSON).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::JSON;
use super::limits::MAX_HEAD_BUFFER;

/// The message of a JSON answer in place of hyper's own `status`.
pub fn message(status: u16) -> String {
    match status {
        431 => format!("The request head (its request line and headers) is over {MAX_HEAD_BUFFER} bytes"),
        414 => "The request target (the path) is too long".to_owned(),
        _ => "The request is not HTTP/1.1 this server can read: its request line, a header, or its framing \
              (Content-Length, Transfer-Encoding) is malformed"
            .to_owned(),
    }
}

/// The answer to write in place of `head`, when `head` is hyper's own empty
/// answer to a request it could not parse.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    if !head.starts_with(b"HTTP/1.1 4") || !head.ends_with(b"\r\n\r\n") || head.len() > 1024 {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let lower = text.to_ascii_lowercase();
    let empty = lower.contains("\r\ncontent-length: 0\r\n") && !lower.contains("\r\ncontent-type:");
    if !empty || lower.matches("\r\n\r\n").count() != 1 {
        return None;
    }
    let (status_line, _) = text.split_once("\r\n")?;
    let status: u16 = status_line.get(9..12)?.parse().ok()?;
    let body = serde_json::json!({ "message": message(status) }).to_string();
    let length = body.len();
    Some(format!("{status_line}\r\ncontent-type: {JSON}\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n{body}").into_bytes())
}

/// `inner`, with hyper's empty answers to unparsable requests written as JSON.
pub struct JsonParseErrors<T> {
    inner: T,
    /// A replacement answer, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> JsonParseErrors<T> {
    pub fn new(inner: T) -> JsonParseErrors<T> {
        JsonParseErrors { inner, pending: None }
    }
}

impl<T: AsyncWrite + Unpin> JsonParseErrors<T> {
    /// Writes what is left of a replacement answer, if any.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((answer, written)) = &mut self.pending {
            if *written == answer.len() {
                self.pending = None;
                break;
            }
            match ready!(Pin::new(&mut self.inner).poll_write(cx, &answer[*written..]))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => *written += n,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` (all of it) in place of writing it, when it is to be replaced.
    fn take_replaced(&mut self, buf: &[u8]) -> Option<usize> {
        let answer = replacement(buf)?;
        self.pending = Some((answer, 0));
        Some(buf.len())
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonParseErrors<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        match this.take_replaced(buf) {
            Some(taken) => Poll::Ready(Ok(taken)),
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let mut parts = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (parts.next(), parts.next())
            && let Some(taken) = this.take_replaced(only)
        {
            return Poll::Ready(Ok(taken));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const HYPERS_431: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 17:21:59 GMT\r\n\r\n";

    #[test]
    fn only_hypers_own_empty_4xx_answers_are_replaced() {
        let answer = String::from_utf8(replacement(HYPERS_431).expect("replaced")).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{head}");
        assert!(head.contains(&format!("content-type: {JSON}")) && head.contains("connection: close"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(json["message"].as_str().unwrap().contains("16384 bytes"), "{body}");
        let bad = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert!(String::from_utf8(replacement(bad).unwrap()).unwrap().contains("malformed"));
        let kept: [&[u8]; 5] = [
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}",
            b"{\"message\":\"HTTP/1.1 400 \"}",
        ];
        for kept in kept {
            assert_eq!(replacement(kept), None, "{}", String::from_utf8_lossy(kept));
        }
    }

    #[tokio::test]
    async fn the_replacement_is_written_whole_and_hyper_sees_its_own_bytes_taken() {
        let (near, mut far) = tokio::io::duplex(16);
        let mut io = JsonParseErrors::new(near);
        let ordinary = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n";
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            far.read_to_end(&mut got).await.unwrap();
            got
        });
        io.write_all(ordinary).await.unwrap();
        assert_eq!(io.write(HYPERS_431).await.unwrap(), HYPERS_431.len(), "hyper sees all of its answer taken");
        io.shutdown().await.unwrap();
        drop(io);
        let got = reader.await.unwrap();
        let mut expected = ordinary.to_vec();
        expected.extend(replacement(HYPERS_431).unwrap());
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected));
    }
}
