//! Out: what the commands print on stdout, written so that a reader who goes
//! away (`vcc-conformance run | head -1`) ends the printing, not the run: the
//! run still finishes, writes its record and reports, and exits with its own
//! verdict. libtest-mimic, which prints the cases, panics when stdout is
//! closed; [`quiet_broken_pipe`] keeps that panic (and only that one) silent.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` and a line break to stdout; once stdout is closed, nothing.
pub fn line(text: &str) {
    write(&format!("{text}\n"));
}

/// Writes `text` to stdout; once stdout is closed, nothing.
pub fn write(text: &str) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe {
            CLOSED.store(true, Ordering::Relaxed);
        }
}

/// Whether a panic's message is a write to a closed stdout.
fn broken_pipe(message: &str) -> bool {
    message.contains("Broken pipe") || message.contains("os error 32")
}

/// Installs a panic hook that says nothing of a panic caused by writing to a
/// closed stdout (libtest-mimic's printer unwraps its writes), and hands every
/// other panic to the hook before it.
pub fn quiet_broken_pipe() {
    let before = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if broken_pipe(message) {
            CLOSED.store(true, Ordering::Relaxed);
            return;
        }
        before(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_told_from_other_panics() {
        assert!(broken_pipe("called `Result::unwrap()` on an `Err` value: Os { code: 32, kind: BrokenPipe, message: \"Broken pipe\" }"));
        assert!(broken_pipe("failed printing to stdout: Broken pipe (os error 32)"));
        assert!(!broken_pipe("index out of bounds"));
    }
}
