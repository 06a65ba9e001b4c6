//! Patience: when a run sends a case again, and for how long it waits for a
//! target. A case is sent again after a transport error (`--retries`, never
//! after an HTTP answer), or after the page's busy message for an agent this
//! run itself placed an earlier call with (`--busy-retries`, within
//! `--busy-wait`); the pre-flight is tried again until the target answers
//! (`--wait`). What is retried and why is recorded on the case's result.

use std::time::Duration;

use serde_json::Value;

use crate::exchange::{Response, TransportKind};
use crate::exec::agents::Named;
use crate::result::Side;
use crate::server::rules::msg;

/// Busy retries unless `--busy-retries` says otherwise.
pub const DEFAULT_BUSY_RETRIES: u32 = 6;
/// The most a case pauses, in all, for a busy agent, unless `--busy-wait` says otherwise.
pub const DEFAULT_BUSY_WAIT: Duration = Duration::from_secs(120);

/// How patient a run is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patience {
    /// More attempts after a transport error (`--retries`; 0: none).
    pub transport_retries: u32,
    /// More attempts after a busy answer for an agent the run used (`--busy-retries`).
    pub busy_retries: u32,
    /// The most one case pauses, in all, for busy agents (`--busy-wait`).
    pub busy_wait: Duration,
    /// An agent that stays busy fails the case instead of leaving it not verified (`--strict-busy`).
    pub strict_busy: bool,
    /// How long the pre-flight keeps trying a target that does not answer (`--wait`; zero: once).
    pub wait: Duration,
}

impl Default for Patience {
    fn default() -> Patience {
        Patience {
            transport_retries: 0,
            busy_retries: DEFAULT_BUSY_RETRIES,
            busy_wait: DEFAULT_BUSY_WAIT,
            strict_busy: false,
            wait: Duration::ZERO,
        }
    }
}

/// Whether a transport error may pass if the case is sent again: not an
/// answer that was too large, nor a request that cannot be built.
pub fn retryable(kind: TransportKind) -> bool {
    !matches!(kind, TransportKind::TooLarge | TransportKind::Request)
}

/// The pause before the `k`-th transport retry (from 1): 0.25 s, 0.5 s, 1 s, then 2 s.
pub fn transport_pause(k: u32) -> Duration {
    Duration::from_millis(250).saturating_mul(2u32.saturating_pow(k.saturating_sub(1).min(3)))
}

/// The pause between two pre-flight attempts under `--wait`.
pub const WAIT_STEP: Duration = Duration::from_millis(250);

/// Whether an exchange may have placed a call: anything but a 4xx (a 2xx
/// did; a 5xx, or no answer (`None`), may have).
pub fn may_have_placed(answer: Option<&Response>) -> bool {
    answer.is_none_or(|r| !(400..500).contains(&r.status))
}

/// Which side `response` says is busy: a 400 with the page's own message for
/// a busy calling agent or a busy dialed agent.
pub fn busy_side(response: &Response) -> Option<Side> {
    if response.status != 400 {
        return None;
    }
    let body: Value = serde_json::from_slice(&response.body).ok()?;
    match body.get("message").and_then(Value::as_str)? {
        msg::CALLING_AGENT_BUSY => Some(Side::Calling),
        msg::DESTINATION_AGENT_BUSY => Some(Side::Dialed),
        _ => None,
    }
}

/// The agent `response` says is busy ([`busy_side`]), as the request names it.
pub fn busy_answer(named: &Named, response: &Response) -> Option<(Side, String)> {
    let side = busy_side(response)?;
    named.agent(side).map(|agent| (side, agent.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, message: &str) -> Response {
        Response { status, headers: vec![], body: serde_json::json!({ "message": message }).to_string().into_bytes() }
    }

    #[test]
    fn only_the_page_s_busy_messages_name_a_busy_agent() {
        let named = Named { calling: Some("1234".into()), dialed: Some("4567".into()), groups: false };
        assert_eq!(busy_answer(&named, &answer(400, "Unable to place call - Agent number busy")), Some((Side::Calling, "1234".into())));
        assert_eq!(
            busy_answer(&named, &answer(400, "Unable to place call - dialed Agent is not currently available")),
            Some((Side::Dialed, "4567".into()))
        );
        assert_eq!(busy_answer(&named, &answer(400, "Unable to place call - Agent number bus")), None, "a wrong message is no busy answer");
        assert_eq!(busy_answer(&named, &answer(409, "Unable to place call - Agent number busy")), None);
        let groups = Named { calling: None, dialed: None, groups: true };
        assert_eq!(busy_answer(&groups, &answer(400, "Unable to place call - Agent number busy")), None);
    }

    #[test]
    fn pauses_and_what_may_have_placed_a_call() {
        assert_eq!([1, 2, 3, 4, 9].map(transport_pause), [250, 500, 1000, 2000, 2000].map(Duration::from_millis));
        assert!(may_have_placed(None) && may_have_placed(Some(&answer(201, ""))) && may_have_placed(Some(&answer(503, ""))));
        assert!(!may_have_placed(Some(&answer(400, ""))));
        assert!(retryable(TransportKind::Refused) && retryable(TransportKind::Timeout) && !retryable(TransportKind::TooLarge));
    }
}
