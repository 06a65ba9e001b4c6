//! Signals: Ctrl-C or SIGTERM stops a run (no more cases are sent; those not
//! answered end as not run, and the reports are written for what ran); a
//! second one stops the process at once, with status 130.

use crate::exec::executor::Stop;

/// The status of a run stopped by a signal.
pub const INTERRUPTED: i32 = 130;

async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else { return std::future::pending().await };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Stops `stop` on the first signal; exits the process on the second.
pub async fn watch(stop: Stop) {
    signal().await;
    stop.stop();
    eprintln!("interrupted: stopping; the reports will hold what ran (interrupt again to stop at once)");
    signal().await;
    eprintln!("interrupted again: stopping at once");
    std::process::exit(INTERRUPTED);
}
