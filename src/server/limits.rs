//! The bounds that keep one client from locking others out of a shared mock:
//! how many connections are served at once, how long a connection may take to
//! send a request head (or idle between requests), how long a body may take,
//! and how much of a request head is buffered.

use std::time::Duration;

/// The most bytes of a request head buffered per connection (hyper's read
/// buffer); a longer head is refused with 431.
pub const MAX_HEAD_BUFFER: usize = 16 * 1024;

/// The most connections being refused (answered 503) at once; past it, new
/// connections are closed at once.
pub const MAX_REFUSING: usize = 64;

/// Descriptors kept free beside the connections and the refusals (the
/// listener, standard streams, the runtime's own).
const SPARE_DESCRIPTORS: usize = 64;

/// The default cap on connections, whatever the descriptor limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; past it, a JSON 503 and `Connection: close`.
    pub max_connections: usize,
    /// How long a connection may take to send a complete request head, from
    /// when it opens or its last answer went out (so also the idle keep-alive
    /// timeout), and how long an answer may wait for a client that does not read.
    pub idle_timeout: Duration,
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: default_max_connections(),
            idle_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(15),
        }
    }
}

/// As many connections as the process's open-file limit leaves room for (with
/// the refusals and spare descriptors), at most [`DEFAULT_MAX_CONNECTIONS`].
pub fn default_max_connections() -> usize {
    let limit = open_file_limit().unwrap_or(1024);
    limit.saturating_sub(MAX_REFUSING + SPARE_DESCRIPTORS).clamp(16, DEFAULT_MAX_CONNECTIONS)
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files(&limits)
}

fn parse_open_files(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    if soft == "unlimited" { Some(usize::MAX) } else { soft.parse().ok() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_leaves_descriptors_free() {
        let table = "Limit                     Soft Limit           Hard Limit           Units\n\
                     Max open files            1024                 524288               files\n";
        assert_eq!(parse_open_files(table), Some(1024));
        assert_eq!(parse_open_files("Max open files  unlimited  unlimited  files"), Some(usize::MAX));
        assert_eq!(parse_open_files("nothing here"), None);
        let n = default_max_connections();
        assert!((16..=DEFAULT_MAX_CONNECTIONS).contains(&n), "{n}");
        if let Some(limit) = open_file_limit().filter(|l| *l > 256) {
            assert!(n + MAX_REFUSING < limit, "{n} connections and {MAX_REFUSING} refusals fit under {limit} descriptors");
        }
    }
}
