//! The bounds that keep one client from locking others out of a shared mock:
//! how many connections are served at once, and how many of them one client
//! may hold, how long a connection may take to send a request head (or idle
//! between requests), how long a body may take, and how much of a request
//! head is buffered. `serve` raises the soft open-file limit to the hard one
//! first, and the default connection cap follows from it.

use std::time::Duration;

/// The most bytes of a request head buffered per connection (hyper's read
/// buffer); a longer head is refused with 431.
pub const MAX_HEAD_BUFFER: usize = 16 * 1024;

/// The most connections being refused (answered 503) at once with time to
/// send their request and read the answer; past it (or past a client's
/// [`REFUSING_PER_CLIENT`]), the 503 is written at once and the connection closed.
pub const MAX_REFUSING: usize = 64;

/// The most of [`MAX_REFUSING`] one client may take at once.
pub const REFUSING_PER_CLIENT: usize = 8;

/// The least default share of one client, whatever the cap (a load tool's
/// usual 64 connections fit).
pub const MIN_DEFAULT_PER_CLIENT: usize = 64;

/// Descriptors kept free beside the connections and the refusals (the
/// listener, standard streams, the runtime's own).
const SPARE_DESCRIPTORS: usize = 64;

/// The default cap on connections, whatever the descriptor limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; past it, a JSON 503 and `Connection: close`.
    pub max_connections: usize,
    /// Connections one client ([`super::shares::Client`]: an IPv4 address,
    /// an IPv6 /64) may hold of them; past it, a JSON 503 to that client.
    pub max_per_client: usize,
    /// How long a connection may take to send a complete request head, from
    /// when it opens or its last answer went out (so also the idle keep-alive
    /// timeout), and how long an answer may wait for a client that does not read.
    pub idle_timeout: Duration,
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        let max_connections = default_max_connections();
        Limits {
            max_connections,
            max_per_client: default_per_client(max_connections),
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

/// A client's default share of `max_connections`: a tenth, at least
/// [`MIN_DEFAULT_PER_CLIENT`] (and at most all of them), so that ten clients
/// must each hold their whole share before the server is full.
pub fn default_per_client(max_connections: usize) -> usize {
    (max_connections / 10).max(MIN_DEFAULT_PER_CLIENT).min(max_connections)
}

/// The highest soft open-file limit [`raise_open_file_limit`] asks for.
pub const RAISED_OPEN_FILES: u64 = 65_536;

/// The soft limit on open files.
#[cfg(unix)]
pub fn open_file_limit() -> Option<usize> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one `rlimit` through a pointer to a live one.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    Some(usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
pub fn open_file_limit() -> Option<usize> {
    None
}

/// Raises the soft open-file limit to the hard one (at most
/// [`RAISED_OPEN_FILES`]), as Go's runtime does, so that a shared mock is not
/// capped by a default of 1,024. For the `serve` command only: tests and
/// embedded servers leave their process's limits alone.
#[cfg(unix)]
pub fn raise_open_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one `rlimit` through a pointer to a live one.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let wanted = limit.rlim_max.min(RAISED_OPEN_FILES as libc::rlim_t);
    if limit.rlim_cur < wanted {
        let raised = libc::rlimit { rlim_cur: wanted, rlim_max: limit.rlim_max };
        // SAFETY: setrlimit reads one `rlimit` through a pointer to a live one.
        // On failure the limit stays as it was, which is fine.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
    }
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_s_default_share_is_a_tenth_of_the_cap_at_least_64() {
        assert_eq!(default_per_client(10_000), 1_000);
        assert_eq!(default_per_client(896), 89);
        assert_eq!(default_per_client(300), MIN_DEFAULT_PER_CLIENT);
        assert_eq!(default_per_client(3), 3, "never more than the cap");
        let limits = Limits::default();
        assert_eq!(limits.max_per_client, default_per_client(limits.max_connections));
    }

    #[test]
    fn the_default_leaves_descriptors_free() {
        let n = default_max_connections();
        assert!((16..=DEFAULT_MAX_CONNECTIONS).contains(&n), "{n}");
        let limit = open_file_limit().expect("the open-file limit can be read");
        if limit > 256 {
            assert!(n + MAX_REFUSING < limit, "{n} connections and {MAX_REFUSING} refusals fit under {limit} descriptors");
        }
    }
}
