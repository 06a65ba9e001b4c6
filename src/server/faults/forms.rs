//! Faults of issue 16's first two classes: a rule checked in one form of the
//! request only (from one agent, groups, several groups; to a number or an
//! agent; with a presented CLID), and a 201 that leaves a field out of its echo
//! in one form. Each is how a server with two code paths goes wrong: the rule,
//! or the field, lives on the common path only. Written from the page's rules,
//! not from any case.

use serde_json::{Value, json};

use super::{Fault, available_agent, rejection};
use crate::server::fixture::{AgentState, Fixture};
use crate::server::rules::{self, msg};

/// The form of a request, as far as the faults below tell forms apart.
struct Form {
    /// How many groups `from` names (0: it names an agent, or nothing).
    groups: usize,
    to_agent: bool,
    presents_clid: bool,
}

impl Form {
    fn of(body: &Value) -> Form {
        let given = |pointer: &str| body.pointer(pointer).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        let groups = body.pointer("/from/groups").and_then(Value::as_array).map_or(0, Vec::len);
        Form { groups: if given("/from/agentId") { 0 } else { groups }, to_agent: given("/to/agentId"), presents_clid: given("/from/presentedCLID") }
    }
}

/// The state of the agent named at `pointer`: `None` for no agent (or no such
/// pointer), `Some(None)` for an ID the fixture does not know.
fn agent_state(body: &Value, pointer: &str, fixture: &Fixture) -> Option<Option<AgentState>> {
    let id = body.pointer(pointer).and_then(Value::as_str).filter(|id| rules::agent_id(id).is_ok() && !id.is_empty())?;
    Some(fixture.agents.get(id).copied())
}

/// Class 1: skips the fault's rule when the request has the fault's form, by
/// rewriting what the rules would refuse (or by answering as a server without
/// the rule would). `account` may be set to another account, for the CCXML rule.
pub fn skip_rule(fault: Fault, body: &mut Value, account: &mut Option<String>, fixture: &Fixture) -> Option<rules::Rejection> {
    let form = Form::of(body);
    let caller = agent_state(body, "/from/agentId", fixture);
    let callee = agent_state(body, "/to/agentId", fixture);
    let replace_agent = |body: &mut Value, pointer: &str| {
        if let (Some(slot), Some(id)) = (body.pointer_mut(pointer), available_agent(fixture)) {
            *slot = json!(id);
        }
    };
    let remove = |body: &mut Value, parent: &str, key: &str| {
        body.pointer_mut(parent).and_then(Value::as_object_mut).map(|o| o.remove(key));
    };
    match fault {
        Fault::CcxmlForAgentCallersOnly if form.groups > 0 => {
            let disabled = account.as_ref().and_then(|a| fixture.accounts.get(a)).is_some_and(|a| !a.ccxml);
            if disabled {
                *account = fixture.accounts.iter().find(|(_, a)| a.ccxml).map(|(key, _)| key.clone());
            }
        }
        Fault::BusyCallerToNumbersOnly if form.to_agent && caller == Some(Some(AgentState::Busy)) => replace_agent(body, "/from/agentId"),
        Fault::UnknownCallerToNumbersOnly if form.to_agent && caller == Some(None) => replace_agent(body, "/from/agentId"),
        Fault::CallFailedToNumbersOnly if form.to_agent && caller == Some(Some(AgentState::Unreachable)) => {
            replace_agent(body, "/from/agentId");
        }
        Fault::BusyCallerWithoutClidOnly if form.presents_clid && caller == Some(Some(AgentState::Busy)) => {
            replace_agent(body, "/from/agentId");
        }
        Fault::BusyDestinationForAgentCallersOnly if form.groups > 0 && callee == Some(Some(AgentState::Busy)) => {
            replace_agent(body, "/to/agentId");
        }
        Fault::UnknownDestinationForAgentCallersOnly if form.groups > 0 && callee == Some(None) => replace_agent(body, "/to/agentId"),
        Fault::InvalidNumberForOneCallerOnly if form.groups > 1 => {
            if let Some(Value::String(number)) = body.pointer_mut("/to/telephoneNumber")
                && fixture.invalid_numbers.contains(number)
            {
                number.push('1');
            }
        }
        Fault::ApplicationForAgentCallersOnly
            if form.groups > 0 && body.get("application").and_then(Value::as_str).is_some_and(|a| rules::application(a).is_err()) =>
        {
            remove(body, "", "application");
        }
        Fault::ReferenceToNumbersOnly
            if form.to_agent && body.pointer("/regarding/reference").and_then(Value::as_str).is_some_and(|r| rules::reference(r).is_err()) =>
        {
            remove(body, "", "regarding");
        }
        Fault::NumberInFromForAgentCallersOnly if form.groups > 0 => remove(body, "/from", "telephoneNumber"),
        Fault::ToBothForAgentCallersOnly if form.groups > 0 && form.to_agent => remove(body, "/to", "agentId"),
        Fault::ToAgentDigitsForAgentCallersOnly if form.groups > 0 => {
            let id = body.pointer("/to/agentId").and_then(Value::as_str).unwrap_or("0");
            if !id.is_empty() && !id.chars().all(|c| c.is_ascii_digit()) && body.pointer("/to/telephoneNumber").is_none() {
                return Some(rejection(msg::UNKNOWN_DESTINATION_AGENT));
            }
        }
        _ => {}
    }
    None
}

/// Class 2: leaves a field out of a 201 body in the fault's form. Whether it
/// did (another fault, or another form: the body is left as it is).
pub fn drop_echo(fault: Fault, body: &mut Value) -> bool {
    let from_groups = body.pointer("/from/groups").is_some_and(|g| !g.is_null());
    let to_agent = body.pointer("/to/agentId").is_some_and(|a| !a.is_null());
    let (parent, key) = match fault {
        Fault::EchoDropsToConsentForAgents if to_agent => ("/to", "consent"),
        Fault::EchoDropsClidForGroups if from_groups => ("/from", "presentedClid"),
        Fault::EchoDropsFromConsentForGroups if from_groups => ("/from", "consent"),
        Fault::EchoDropsReferenceForAgents if to_agent => ("", "regarding"),
        Fault::EchoDropsApplicationForGroups if from_groups => ("", "application"),
        Fault::EchoKeepsFirstGroupOnly => {
            if let Some(groups) = body.pointer_mut("/from/groups").and_then(Value::as_array_mut) {
                groups.truncate(1);
            }
            return true;
        }
        _ => return false,
    };
    body.pointer_mut(parent).and_then(Value::as_object_mut).map(|o| o.remove(key));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(fault: Fault, body: Value) -> (Value, Option<rules::Rejection>) {
        let mut body = body;
        let rejection = skip_rule(fault, &mut body, &mut Some("a1b2c3d4e5".into()), &Fixture::builtin());
        (body, rejection)
    }

    #[test]
    fn a_rule_is_skipped_in_the_fault_s_form_and_kept_in_the_others() {
        let busy_to_agent = json!({"from": {"agentId": "7001"}, "to": {"agentId": "4567"}});
        let busy_to_number = json!({"from": {"agentId": "7001"}, "to": {"telephoneNumber": "02072068888"}});
        assert_ne!(skipped(Fault::BusyCallerToNumbersOnly, busy_to_agent.clone()).0, busy_to_agent);
        assert_eq!(skipped(Fault::BusyCallerToNumbersOnly, busy_to_number.clone()).0, busy_to_number);
        let groups_to_invalid = |groups: Value| json!({"from": {"groups": groups}, "to": {"telephoneNumber": "00000000000"}});
        let (several, _) = skipped(Fault::InvalidNumberForOneCallerOnly, groups_to_invalid(json!(["030", "200"])));
        assert_eq!(several["to"]["telephoneNumber"], "000000000001");
        assert_eq!(skipped(Fault::InvalidNumberForOneCallerOnly, groups_to_invalid(json!(["030"]))).0, groups_to_invalid(json!(["030"])));
        let mut account = Some("f6g7h8i9j0".to_owned());
        let from_groups = json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": "02072068888"}});
        skip_rule(Fault::CcxmlForAgentCallersOnly, &mut from_groups.clone(), &mut account, &Fixture::builtin());
        assert_eq!(account.as_deref(), Some("a1b2c3d4e5"));
        let letters = json!({"from": {"groups": ["030"]}, "to": {"agentId": "45b7"}});
        assert_eq!(skipped(Fault::ToAgentDigitsForAgentCallersOnly, letters).1.unwrap().message, msg::UNKNOWN_DESTINATION_AGENT);
    }

    #[test]
    fn an_echo_loses_its_field_in_the_fault_s_form_only() {
        let agent_to_agent = json!({"from": {"agentId": "1234"}, "to": {"agentId": "4567", "consent": "Unknown"}});
        let mut body = agent_to_agent.clone();
        drop_echo(Fault::EchoDropsToConsentForAgents, &mut body);
        assert!(body["to"].get("consent").is_none());
        let mut other = json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "1", "consent": "Unknown"}});
        drop_echo(Fault::EchoDropsToConsentForAgents, &mut other);
        assert_eq!(other["to"]["consent"], "Unknown");
        let mut groups = json!({"from": {"groups": ["030", "200"]}});
        drop_echo(Fault::EchoKeepsFirstGroupOnly, &mut groups);
        assert_eq!(groups["from"]["groups"], json!(["030"]));
    }
}
