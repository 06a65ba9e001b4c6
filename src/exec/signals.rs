//! Signals: Ctrl-C or SIGTERM stops a run (no more cases are sent; those not
//! answered end as not run, and the reports are written for what ran); a
//! second one stops the process at once, with status 130.

use crate::exec::executor::Stop;

/// The status of a run stopped by a second signal.
const INTERRUPTED: i32 = 130;

/// The first Ctrl-C or SIGTERM (only Ctrl-C off Unix). The handlers are in
/// place when this returns (on Unix), so that a signal sent from then on is
/// heard, even before the future is first polled.
pub fn signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (interrupt, terminate) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
        async move {
            let (Ok(mut interrupt), Ok(mut terminate)) = (interrupt, terminate) else { return std::future::pending().await };
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
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
