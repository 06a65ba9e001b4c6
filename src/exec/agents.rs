//! Agents: the agents a run places calls with, as a shared resource. On a live
//! platform placing a call rings the calling agent first (and a dialed agent),
//! who stays busy until the call ends and meanwhile gets "Agent number busy".
//! So every case that may place a call holds a line per agent it involves: never
//! two such cases in flight for one agent, and a spacing after each call
//! (`--agent-spacing`). The lines remember which agents the run has used, so
//! that a busy answer for one of them can be retried (one for any other agent
//! fails as before), and they learn: when an agent needed longer than the
//! spacing, later calls (with any agent: one platform keeps its agents busy
//! alike) wait that long up front.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;

use crate::result::Side;
use crate::suite::Request;

/// The base of the pauses after a busy answer when the agent has no spacing:
/// the retries then come 0.5 s, 1 s, 2 s, 4 s, ... after the agent's last call.
pub const LEAST_BUSY_BASE: Duration = Duration::from_millis(250);

/// The agents a request names, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Named {
    /// `from.agentId`.
    pub calling: Option<String>,
    /// `to.agentId`.
    pub dialed: Option<String>,
    /// `from.groups` is given: the platform picks a member of a group to ring.
    pub groups: bool,
}

impl Named {
    /// What `request`'s JSON body names (nothing, for a body that is not JSON).
    pub fn of(request: &Request) -> Named {
        let json = request.json.as_ref();
        let at = |pointer: &str| json.and_then(|j| j.pointer(pointer)).and_then(Value::as_str).map(str::to_owned);
        let groups = json.and_then(|j| j.pointer("/from/groups")).is_some_and(|g| !g.is_null());
        Named { calling: at("/from/agentId"), dialed: at("/to/agentId"), groups }
    }

    /// The agent on `side`.
    pub fn agent(&self, side: Side) -> Option<&str> {
        match side {
            Side::Calling => self.calling.as_deref(),
            Side::Dialed => self.dialed.as_deref(),
        }
    }

    /// The agents named, calling first.
    pub fn agents(&self) -> impl Iterator<Item = &str> {
        self.calling.as_deref().into_iter().chain(self.dialed.as_deref())
    }
}

/// One agent's line: when its last call ended.
#[derive(Debug)]
struct Line {
    last_call: Option<Instant>,
}

/// Every agent's line, and which agents the run has used.
#[derive(Debug)]
pub struct Agents {
    /// How far apart two calls with one agent go: as set, raised by what busy answers taught.
    spacing: Arc<Mutex<Duration>>,
    lines: Mutex<HashMap<String, Arc<AsyncMutex<Line>>>>,
    /// Each agent a call of this run named, with the plan index of the first case that did.
    used: Mutex<HashMap<String, usize>>,
    /// Every agent the run's calls name: what a call from groups waits for.
    everyone: Vec<String>,
}

impl Agents {
    /// Lines `spacing` apart, for a run whose calls name `everyone`.
    pub fn new(spacing: Duration, everyone: impl IntoIterator<Item = String>) -> Agents {
        let mut everyone: Vec<String> = everyone.into_iter().collect();
        everyone.sort();
        everyone.dedup();
        Agents { spacing: Arc::new(Mutex::new(spacing)), lines: Mutex::default(), used: Mutex::default(), everyone }
    }

    /// The agents a call waits for: those it names; for a call from groups,
    /// every agent the run calls with too (the run cannot know which member of
    /// a group the platform rings, and the agents it tests with are likely members).
    pub fn of_call(&self, named: &Named) -> Vec<String> {
        let mut agents: Vec<String> = named.agents().map(str::to_owned).collect();
        if named.groups {
            agents.extend(self.everyone.iter().cloned());
        }
        agents.sort();
        agents.dedup();
        agents
    }

    fn line(&self, agent: &str) -> Arc<AsyncMutex<Line>> {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = lines.entry(agent.to_owned()).or_insert_with(|| Arc::new(AsyncMutex::new(Line { last_call: None })));
        Arc::clone(line)
    }

    /// Waits for the lines of `agents` (in a fixed order, so that two cases
    /// never wait for each other) and holds them until the result is dropped.
    pub async fn hold(&self, mut agents: Vec<String>) -> Held {
        agents.sort();
        agents.dedup();
        let mut held = Vec::with_capacity(agents.len());
        for agent in agents {
            let guard = self.line(&agent).lock_owned().await;
            held.push((agent, guard));
        }
        Held { lines: held, spacing: Arc::clone(&self.spacing) }
    }

    /// Notes that the case at `index` may have placed a call with `agents`
    /// (its answer was no 4xx). The calls with one agent go one at a time,
    /// after every case that cannot place one, so none waits for this note.
    pub fn mark_used(&self, agents: &[String], index: usize) {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for agent in agents {
            used.entry(agent.clone()).or_insert(index);
        }
    }

    /// Whether a case other than the one at `index` may have placed a call with `agent`.
    pub fn used_before(&self, agent: &str, index: usize) -> bool {
        let used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        used.get(agent).is_some_and(|first| *first != index)
    }
}

/// The lines a case holds.
#[derive(Debug)]
pub struct Held {
    lines: Vec<(String, OwnedMutexGuard<Line>)>,
    spacing: Arc<Mutex<Duration>>,
}

impl Held {
    /// The agents held, in order.
    pub fn agents(&self) -> Vec<String> {
        self.lines.iter().map(|(agent, _)| agent.clone()).collect()
    }

    /// The spacing in force.
    pub fn spacing(&self) -> Duration {
        *self.spacing.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long until each agent's last call is the spacing behind.
    pub fn free_in(&self) -> Duration {
        let spacing = self.spacing();
        let free_at = self.lines.iter().filter_map(|(_, line)| line.last_call.map(|at| at + spacing)).max();
        free_at.map_or(Duration::ZERO, |at| at.saturating_duration_since(Instant::now()))
    }

    /// Waits until each agent's last call is the spacing behind; how long that took.
    pub async fn wait_free(&self) -> Duration {
        let wait = self.free_in();
        tokio::time::sleep(wait).await;
        wait
    }

    /// A call may have been placed just now: its agents' spacing starts again.
    pub fn called(&mut self) {
        let now = Instant::now();
        for (_, line) in &mut self.lines {
            line.last_call = Some(now);
        }
    }

    /// When to send again after the `k`-th busy answer in a row (from 1) for
    /// `agent`, to an attempt sent at `busy`: once the agent has been free of
    /// the run's calls for the spacing (at least [`LEAST_BUSY_BASE`]), and for
    /// twice as long as it had been when it was found busy; never sooner than
    /// now. (An agent with no call of the run behind it: the spacing times
    /// 2^(k-1) from now.)
    pub fn busy_retry_at(&self, agent: &str, k: u32, busy: Instant) -> Instant {
        let now = Instant::now();
        let base = self.spacing().max(LEAST_BUSY_BASE);
        let last_call = self.lines.iter().find(|(a, _)| a == agent).and_then(|(_, line)| line.last_call);
        let at = match last_call {
            Some(at) => at + base.max(busy.saturating_duration_since(at).saturating_mul(2)),
            None => now + base.saturating_mul(2u32.saturating_pow(k.saturating_sub(1).min(16))),
        };
        at.max(now)
    }

    /// An attempt sent at `sent` after busy answers was not busy: its agents
    /// needed at most the time since their last call, so later calls wait at
    /// least that long.
    pub fn learn(&mut self, sent: Instant) {
        let needed = self.lines.iter().filter_map(|(_, line)| line.last_call.map(|last| sent.saturating_duration_since(last))).min();
        if let Some(needed) = needed {
            let mut spacing = self.spacing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *spacing = (*spacing).max(needed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: Value) -> Request {
        Request { method: "POST".into(), path: "/".into(), headers: vec![], auth: true, auth_scheme: crate::suite::case::BEARER.into(), body: json.to_string().into_bytes(), json: Some(json) }
    }

    #[test]
    fn a_request_names_its_agents_as_sent() {
        let named = Named::of(&request(serde_json::json!({"from": {"agentId": "1"}, "to": {"agentId": "2"}})));
        assert_eq!((named.agent(Side::Calling), named.agent(Side::Dialed), named.groups), (Some("1"), Some("2"), false));
        let groups = Named::of(&request(serde_json::json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": "0"}})));
        assert_eq!(groups, Named { calling: None, dialed: None, groups: true });
        let agents = Agents::new(Duration::ZERO, ["9".to_owned(), "1".to_owned(), "9".to_owned()]);
        assert_eq!(agents.of_call(&groups), ["1", "9"], "a group call waits for every agent the run calls with");
        assert_eq!(agents.of_call(&named), ["1", "2"]);
    }

    #[test]
    fn used_means_by_another_case() {
        let agents = Agents::new(Duration::ZERO, []);
        assert!(!agents.used_before("1", 0));
        agents.mark_used(&["1".to_owned()], 0);
        assert!(!agents.used_before("1", 0), "its own call does not count");
        assert!(agents.used_before("1", 3));
        assert!(!agents.used_before("2", 3));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_from_one_agent_are_spaced_and_never_overlap() {
        let agents = Arc::new(Agents::new(Duration::from_secs(2), []));
        let mut first = agents.hold(vec!["1".into()]).await;
        assert_eq!(first.wait_free().await, Duration::ZERO);
        first.called();
        let waiting = {
            let agents = Arc::clone(&agents);
            tokio::spawn(async move {
                let second = agents.hold(vec!["1".into()]).await;
                second.wait_free().await
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiting.is_finished(), "the second call waits while the first holds the agent");
        first.called();
        drop(first);
        let waited = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
        assert_eq!(waited, Duration::from_secs(2));
        let other = agents.hold(vec!["2".into()]).await;
        assert_eq!(other.wait_free().await, Duration::ZERO, "another agent is free");
    }

    #[tokio::test(start_paused = true)]
    async fn busy_retries_double_from_the_last_call_and_the_line_learns() {
        let agents = Agents::new(Duration::ZERO, []);
        let mut held = agents.hold(vec!["1".into()]).await;
        held.called();
        let start = Instant::now();
        // Busy at once: the least pause; busy 0.25 s after: twice that; and so on.
        assert_eq!(held.busy_retry_at("1", 1, start) - start, Duration::from_millis(250));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(held.busy_retry_at("1", 2, Instant::now()) - start, Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(held.busy_retry_at("1", 3, Instant::now()) - start, Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(500)).await;
        held.learn(Instant::now());
        assert_eq!(held.spacing(), Duration::from_secs(1));
        drop(held);
        let again = agents.hold(vec!["1".into()]).await;
        assert_eq!(again.spacing(), Duration::from_secs(1), "the learned spacing stays");
        assert_eq!(again.busy_retry_at("1", 1, start) - start, Duration::from_secs(1), "an early busy answer waits out the spacing");
        let never_called = agents.hold(vec!["2".into()]).await;
        assert_eq!(never_called.spacing(), Duration::from_secs(1), "for every agent");
        let now = Instant::now();
        assert_eq!(never_called.busy_retry_at("2", 3, now) - now, Duration::from_secs(4));
    }
}
