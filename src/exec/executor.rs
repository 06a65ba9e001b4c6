//! Executor: sends the planned cases and turns each exchange into a
//! [`CaseResult`]. Cases are sent ahead on the runtime, at most `width`
//! exchanges at a time; the run ([`crate::exec::run`]) then waits for each
//! result in plan order. The cases that cannot place a call go first, in plan
//! order; then those that may, each waiting for the lines of the agents it
//! involves ([`agents`]). A case is sent again after a transport error, or a
//! busy answer for an agent the run used, as [`patience`] allows. An interruption stops what is still waiting: those
//! cases end as not run, the ones already answered keep their result.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, oneshot, watch};

use crate::suite::Case;
use crate::checks;
use crate::client::Client;
use crate::exchange::{Response, SentRequest, TransportKind};
use crate::exec::agents::{Agents, Held, Named};
use crate::exec::patience::{self, Patience};
use crate::exec::spread::Sending;
use crate::result::{CaseInfo, CaseResult, NotRun, Retry, RetryReason, Scheduling, Side, Verdict};
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
    /// The lines of the agents the run's calls involve.
    pub agents: Agents,
    pub patience: Patience,
}

/// The result of a case that was not answered because the run stopped.
fn interrupted(case: &Case) -> CaseResult {
    CaseResult::unsent(case, Verdict::NotRun(NotRun::Interrupted))
}

/// What one attempt came to.
struct Attempt {
    verdict: Verdict,
    response: Option<Response>,
    /// When it was sent (for the schedule, and as the reports give it).
    sent: tokio::time::Instant,
    sent_at: chrono::DateTime<chrono::Utc>,
}

/// What the run does after an attempt.
enum Next {
    Done,
    /// Send again after a transport error of this kind, after this pause.
    Transport(TransportKind, Duration),
    /// Send again after a busy answer for this agent (on this side of the
    /// call), once the agents are free again.
    Busy { side: Side, agent: String },
}

impl Executor {
    /// One exchange, checked; the width's permit is held only while it is in flight.
    async fn attempt(&self, case: &Case, permits: &Semaphore) -> Attempt {
        let _permit = permits.acquire().await;
        let (sent, sent_at) = (tokio::time::Instant::now(), chrono::Utc::now());
        match self.client.send(&case.request).await {
            Err(e) => Attempt { verdict: Verdict::Broken(e), response: None, sent, sent_at },
            Ok(resp) => {
                let mut findings = checks::check(&case.expect, &case.request, &resp, &self.schemas);
                findings.extend(checks::identity(&self.seen, &case.test_name(), &resp));
                let verdict = if findings.is_empty() { Verdict::Passed } else { Verdict::Failed(findings) };
                Attempt { verdict, response: Some(resp), sent, sent_at }
            }
        }
    }

    /// Sends one case (as [`Sending`] says: spread over spare agents or
    /// numbers) and checks the answer, sending it again as patience allows. A
    /// case that may place a call first waits for its agents' lines, and holds
    /// them to the end: its retries go before any other call with them.
    pub async fn run_case(&self, sending: &Sending, permits: &Semaphore) -> CaseResult {
        let (index, case) = (sending.index, &sending.case);
        let named = Named::of(&case.request);
        let (mut held, scheduling) = if case.may_place_call() {
            let held = self.agents.hold(self.agents.of_call(&named)).await;
            let waited = held.wait_free().await;
            let scheduling =
                Scheduling { agents: held.agents(), waited, spacing: held.spacing(), spread: sending.spread.clone() };
            (Some(held), Some(scheduling))
        } else {
            (None, None)
        };
        let started = Instant::now();
        let mut retries: Vec<Retry> = Vec::new();
        let (mut transport, mut busy, mut busy_paused) = (0u32, 0u32, Duration::ZERO);
        // Whether an attempt of this case itself may have placed a call (one that got no answer).
        let mut placed = false;
        let last = loop {
            let attempt = self.attempt(case, permits).await;
            let next = self.next(index, &named, &attempt, transport, held.is_some(), placed);
            if let Some(held) = held.as_mut() {
                if busy > 0 && !matches!(next, Next::Busy { .. }) {
                    held.learn(attempt.sent);
                }
                if patience::may_have_placed(attempt.response.as_ref()) {
                    held.called();
                    // Used: the agents the request names. A group call waits for every
                    // agent's line, but which member it rang is the platform's secret.
                    self.agents.mark_used(&named.agents().map(str::to_owned).collect::<Vec<_>>(), index);
                    placed = true;
                }
            }
            let pause = match (next, held.as_ref()) {
                // A busy answer is retried only for a case that holds its agents' lines (`next` says so).
                (Next::Done, _) | (Next::Busy { .. }, None) => break attempt,
                (Next::Transport(kind, pause), lines) => {
                    transport += 1;
                    // An attempt that got no answer may have placed a call: its agents' spacing too.
                    let pause = pause.max(lines.map_or(Duration::ZERO, Held::free_in));
                    retries.push(Retry { reason: RetryReason::Transport(kind), pause });
                    pause
                }
                (Next::Busy { side, agent }, Some(lines)) => {
                    busy += 1;
                    let pause = lines.busy_retry_at(&agent, busy, attempt.sent).saturating_duration_since(tokio::time::Instant::now());
                    if busy > self.patience.busy_retries || busy_paused + pause > self.patience.busy_wait {
                        break self.stayed_busy(attempt);
                    }
                    busy_paused += pause;
                    retries.push(Retry { reason: RetryReason::AgentBusy { side, agent }, pause });
                    pause
                }
            };
            tokio::time::sleep(pause).await;
        };
        drop(held);
        self.result(case, last, started.elapsed(), retries, scheduling)
    }

    /// What to do after `attempt` of the case at `index`, `transport` transport
    /// retries in. A busy answer is retried only for a case that may place a
    /// call (`call`), and only for an agent another case of the run called
    /// with, or this one in an attempt that got no answer (`placed`).
    fn next(&self, index: usize, named: &Named, attempt: &Attempt, transport: u32, call: bool, placed: bool) -> Next {
        match (&attempt.verdict, &attempt.response) {
            (Verdict::Broken(e), _) if transport < self.patience.transport_retries && patience::retryable(e.kind) => {
                Next::Transport(e.kind, patience::transport_pause(transport + 1))
            }
            (Verdict::Failed(_), Some(resp)) if call => match patience::busy_answer(named, resp) {
                Some((side, agent)) if placed || self.agents.used_before(&agent, index) => {
                    Next::Busy { side, agent }
                }
                _ => Next::Done,
            },
            _ => Next::Done,
        }
    }

    /// The last attempt of a case whose agent stayed busy: not verified, or
    /// with `--strict-busy` failed as it was answered.
    fn stayed_busy(&self, mut attempt: Attempt) -> Attempt {
        if !self.patience.strict_busy {
            attempt.verdict = Verdict::NotRun(NotRun::AgentStayedBusy);
        }
        attempt
    }

    /// The case's result from its last attempt.
    fn result(&self, case: &Case, last: Attempt, time: Duration, retries: Vec<Retry>, scheduling: Option<Scheduling>) -> CaseResult {
        let request = SentRequest {
            method: case.request.method.clone(),
            url: self.client.url(&case.request),
            headers: case.request.headers.clone(),
            auth: case.request.auth && self.client.auth().is_some(),
            auth_scheme: case.request.auth_scheme.clone(),
            body: case.request.body.clone(),
            sent_at: last.sent_at,
        };
        let keep = last.verdict != Verdict::Passed || self.keep_passing;
        CaseResult {
            case: CaseInfo::of(case),
            request: keep.then_some(request),
            response: if keep { last.response } else { None },
            verdict: last.verdict,
            time,
            retries,
            scheduling,
        }
    }

    /// Starts sending each case of `sendings` (`None`: not sent), in order,
    /// at most `width` exchanges in flight; one receiver per plan item. The
    /// cases that cannot place a call go first: those that may wait until they
    /// are all answered, so that no agent is busy with the run's own calls
    /// while a case that expects another answer names it.
    pub fn send_ahead(
        self: &Arc<Self>,
        sendings: Vec<Option<Sending>>,
        width: usize,
        runtime: &tokio::runtime::Handle,
    ) -> Vec<Option<oneshot::Receiver<CaseResult>>> {
        let permits = Arc::new(Semaphore::new(width.max(1)));
        let others = sendings.iter().flatten().filter(|s| !s.case.may_place_call()).count();
        let (left, others_done) = watch::channel(others);
        let left = Arc::new(left);
        sendings
            .into_iter()
            .map(|sending| {
                let sending = sending?;
                let (tx, rx) = oneshot::channel();
                let (this, permits) = (Arc::clone(self), Arc::clone(&permits));
                let call = sending.case.may_place_call();
                // Counted down however its task ends, so that no call waits for it forever.
                let counted = (!call).then(|| CountDown(Arc::clone(&left)));
                let mut others_done = others_done.clone();
                runtime.spawn(async move {
                    let _counted = counted;
                    let result = tokio::select! {
                        biased;
                        () = this.stop.stopped() => interrupted(&sending.case),
                        result = async {
                            if call {
                                let _ = others_done.wait_for(|left| *left == 0).await;
                            }
                            this.run_case(&sending, &permits).await
                        } => result,
                    };
                    let _ = tx.send(result);
                });
                Some(rx)
            })
            .collect()
    }
}

/// One case that cannot place a call, counted down from what the calls wait for when dropped.
struct CountDown(Arc<watch::Sender<usize>>);

impl Drop for CountDown {
    fn drop(&mut self) {
        self.0.send_modify(|left| *left = left.saturating_sub(1));
    }
}
