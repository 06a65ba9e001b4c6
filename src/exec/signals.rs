//! Signals: Ctrl-C or SIGTERM stops a run (no more cases are sent; those not
//! answered end as not run, and the reports are written for what ran); a
//! second one stops the process at once, with status 130.

use crate::exec::executor::Stop;

/// The status of a run stopped by a second signal.
const INTERRUPTED: i32 = 130;

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

/// Watches for signals on a thread of its own, for as long as the process
/// lives: a run's runtime is gone while its reports are written, and the
/// signals must still be heard then.
pub fn watch_in_background(stop: Stop) {
    let spawned = std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            runtime.block_on(watch(stop));
        }
    });
    if let Err(e) = spawned {
        eprintln!("warning: Ctrl-C will not stop the run gently: {e}");
    }
}

/// Stops `stop` on the first signal; exits the process on the second.
async fn watch(stop: Stop) {
    signal().await;
    stop.stop();
    eprintln!("interrupted: stopping; the reports will hold what ran (interrupt again to stop at once)");
    signal().await;
    eprintln!("interrupted again: stopping at once");
    std::process::exit(INTERRUPTED);
}
