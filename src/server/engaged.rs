//! Engaged agents: with `serve --busy-after-call SECS` (and the
//! `harmless-busy-after-call` variation), the calling agent of each call the
//! server places stays busy that long, as on a live platform where the call
//! rings the agent first. Meanwhile the fixture answers for that agent as for
//! one listed busy, so the rules give the page's own message in their own
//! order of checks; nothing else changes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::fixture::{AgentState, Fixture};
use super::rules::{self, CallRequest, Callee, Caller, Rejection};

/// How long a calling agent stays busy under the harmless variation.
pub const HARMLESS_BUSY: Duration = Duration::from_millis(500);

/// The agents on a call the server placed, each until when.
#[derive(Debug)]
pub struct Engaged {
    busy_for: Duration,
    until: Mutex<HashMap<String, Instant>>,
}

impl Engaged {
    /// Calling agents stay busy `busy_for` after each call they place.
    pub fn new(busy_for: Duration) -> Engaged {
        Engaged { busy_for, until: Mutex::default() }
    }

    /// Places `call` by the rules against `fixture` as it stands now (an
    /// engaged agent the call names answers as busy), and engages its calling
    /// agent. One call at a time is placed, so two calls from one agent cannot
    /// both pass; the rules that read the request alone ran before, unlocked.
    pub fn place(&self, fixture: &Fixture, account: &str, call: CallRequest) -> Result<CallRequest, Rejection> {
        let mut until = self.until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        until.retain(|_, end| *end > now);
        let named = [caller_agent(&call), callee_agent(&call)];
        let mut state = Cow::Borrowed(fixture);
        for agent in named.into_iter().flatten().filter(|a| until.contains_key(*a)) {
            if state.agents.get(agent) == Some(&AgentState::Available) {
                state.to_mut().agents.insert(agent.to_owned(), AgentState::Busy);
            }
        }
        rules::place(&call, account, &state)?;
        if let Caller::Agent(agent) = &call.caller {
            until.insert(agent.clone(), now + self.busy_for);
        }
        Ok(call)
    }
}

fn caller_agent(call: &CallRequest) -> Option<&str> {
    match &call.caller {
        Caller::Agent(agent) => Some(agent),
        Caller::Groups(_) => None,
    }
}

fn callee_agent(call: &CallRequest) -> Option<&str> {
    match &call.callee {
        Callee::Agent(agent) => Some(agent),
        Callee::Number(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::rules::{self, msg};

    fn place(engaged: &Engaged, agent: &str) -> Result<CallRequest, Rejection> {
        let body = serde_json::json!({"from": {"agentId": agent}, "to": {"telephoneNumber": "02072068888"}}).to_string();
        let call = rules::request(Some("Bearer t"), Some("application/json"), body.as_bytes())?;
        engaged.place(&Fixture::builtin(), "a1b2c3d4e5", call)
    }

    #[test]
    fn a_calling_agent_is_busy_for_a_while_after_its_call() {
        let engaged = Engaged::new(Duration::from_millis(300));
        assert!(place(&engaged, "1234").is_ok());
        assert_eq!(place(&engaged, "1234").unwrap_err().message, msg::CALLING_AGENT_BUSY);
        assert!(place(&engaged, "4567").is_ok(), "another agent is free");
        std::thread::sleep(Duration::from_millis(350));
        assert!(place(&engaged, "1234").is_ok(), "free again");
        assert_eq!(place(&engaged, "99999").unwrap_err().message, msg::UNKNOWN_CALLING_AGENT, "an unknown agent stays unknown");
    }
}
