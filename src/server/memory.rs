//! Giving memory back: after a burst of connections has gone (a flood of idle
//! or slow clients, say), the allocator keeps what they used unless asked to
//! return it. [`Trimmer`] asks (glibc's `malloc_trim`) once the number of open
//! connections has fallen by [`TRIM_AFTER`] from its peak.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How far the open connections must fall from their peak before a trim.
pub const TRIM_AFTER: usize = 256;

/// How often the connection count is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Returns free heap memory to the system, where the allocator supports it
/// (glibc: the free memory at the top of the heap, and the free pages inside it).
pub fn trim() {
    // SAFETY: malloc_trim takes no pointer and is thread-safe.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The open connections' peak since the last trim.
#[derive(Default)]
pub struct Trimmer {
    peak: AtomicUsize,
}

impl Trimmer {
    /// Notes that `open` connections are open now.
    pub fn opened(&self, open: usize) {
        self.peak.fetch_max(open, Ordering::Relaxed);
    }

    /// Whether `open` is far enough below the peak to trim; if so, the peak
    /// starts again from `open`.
    pub fn due(&self, open: usize) -> bool {
        let peak = self.peak.load(Ordering::Relaxed);
        let due = peak >= open + TRIM_AFTER;
        if due {
            self.peak.store(open, Ordering::Relaxed);
        }
        due
    }

    /// Trims whenever due, checking every second; `open` reads the count.
    pub async fn run(&self, open: impl Fn() -> usize) {
        loop {
            tokio::time::sleep(CHECK_EVERY).await;
            if self.due(open()) {
                trim();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trim_is_due_once_the_open_connections_fall_far_from_their_peak() {
        let t = Trimmer::default();
        t.opened(64);
        assert!(!t.due(64), "steady load: no trim");
        t.opened(1_800);
        assert!(!t.due(1_700));
        assert!(t.due(64), "the flood went");
        assert!(!t.due(64), "once");
        trim();
    }
}
