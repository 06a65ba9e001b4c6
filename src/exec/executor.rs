//! Executor: sends the planned cases and turns each exchange into a
//! [`CaseResult`]. Cases are sent ahead on the runtime, at most `width` at a time
//! and in plan order; the run ([`crate::exec::run`]) then waits for each result
//! in turn. An interruption stops what is still waiting: those cases end as not
//! run, the ones already answered keep their result.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Semaphore, oneshot, watch};

use crate::suite::Case;
use crate::checks;
use crate::client::Client;
use crate::exec::plan::{Action, Plan};
use crate::exchange::SentRequest;
use crate::result::{CaseInfo, CaseResult, NotRun, Verdict};
use crate::suite::Schemas;

/// A switch that stops a run: flipped once (Ctrl-C, SIGTERM), seen by every task.
#[derive(Clone, Debug)]
pub struct Stop(Arc<watch::Sender<bool>>);

impl Default for Stop {
    fn default() -> Stop {
        Stop(Arc::new(watch::channel(false).0))
    }
}

impl Stop {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stopped.
    pub async fn stopped(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// Everything sending a case needs.
pub struct Executor {
    pub client: Arc<Client>,
    pub schemas: Arc<Schemas>,
    /// Keep the exchange of passing cases too (the HTML report, the verbose mode).
    pub keep_passing: bool,
    pub stop: Stop,
    /// The call ids this run's 201s carried: each created call gets its own.
    pub seen: checks::SeenIds,
}

/// The result of a case that was not answered because the run stopped.
fn interrupted(case: &Case) -> CaseResult {
    CaseResult::unsent(case, Verdict::NotRun(NotRun::Interrupted))
}

impl Executor {
    /// Sends one case and checks the answer.
    pub async fn run_case(&self, case: &Case) -> CaseResult {
        let started = Instant::now();
        let sent_at = chrono::Utc::now();
        let outcome = self.client.send(&case.request).await;
        let time = started.elapsed();
        let request = SentRequest {
            method: case.request.method.clone(),
            url: self.client.url(&case.request),
            headers: case.request.headers.clone(),
            auth: case.request.auth && self.client.auth().is_some(),
            auth_scheme: case.request.auth_scheme.clone(),
            body: case.request.body.clone(),
            sent_at,
        };
        let (verdict, response) = match outcome {
            Err(e) => (Verdict::Broken(e), None),
            Ok(resp) => {
                let mut findings = checks::check(&case.expect, &case.request, &resp, &self.schemas);
                findings.extend(checks::identity(&self.seen, &case.test_name(), &resp));
                (if findings.is_empty() { Verdict::Passed } else { Verdict::Failed(findings) }, Some(resp))
            }
        };
        let keep = verdict != Verdict::Passed || self.keep_passing;
        CaseResult {
            case: CaseInfo::of(case),
            request: keep.then_some(request),
            response: if keep { response } else { None },
            verdict,
            time,
        }
    }

    /// Starts sending every case the plan sends, at most `width` at a time, in
    /// plan order; one receiver per plan item (`None` for those not sent).
    pub fn send_ahead(
        self: &Arc<Self>,
        plan: &Plan,
        width: usize,
        runtime: &tokio::runtime::Handle,
    ) -> Vec<Option<oneshot::Receiver<CaseResult>>> {
        let permits = Arc::new(Semaphore::new(width.max(1)));
        plan.items
            .iter()
            .map(|item| {
                if item.action != Action::Send {
                    return None;
                }
                let (tx, rx) = oneshot::channel();
                let (this, case, permits) = (Arc::clone(self), item.case.clone(), Arc::clone(&permits));
                runtime.spawn(async move {
                    let result = tokio::select! {
                        biased;
                        () = this.stop.stopped() => interrupted(&case),
                        result = async {
                            let _permit = permits.acquire_owned().await;
                            this.run_case(&case).await
                        } => result,
                    };
                    let _ = tx.send(result);
                });
                Some(rx)
            })
            .collect()
    }
}
