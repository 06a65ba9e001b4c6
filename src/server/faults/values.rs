//! Faults of issue 16's classes 3 to 5, in how a value is read: a limit
//! counted the way lax code counts it (digits only, after a leading `+`, after
//! leading zeros, on one form of the value only), a listed value matched
//! loosely (case, white space, an enum parsed from a number), an empty value
//! taken as given (a mock that checks that a key is there, not what it holds).
//! Each rewrites the body into what the faithful rules accept, as the lax
//! server would go on with it. Written from the page's rules, not from any case.

use serde_json::{Value, json};

use super::{Fault, available_agent};
use crate::server::fixture::Fixture;
use crate::server::rules;

/// The consent values the page lists, in .NET enum order (Unknown = 0, ...).
const CONSENTS: [&str; 3] = ["Unknown", "OneParty", "TwoParty"];

/// A lax reading of a consent value: what the server goes on with, if anything.
fn consent(fault: Fault, value: &str) -> Option<&'static str> {
    let found = |v: &str| CONSENTS.iter().copied().find(|c| *c == v);
    match fault {
        Fault::ConsentCaseInsensitive => CONSENTS.iter().copied().find(|c| c.eq_ignore_ascii_case(value)),
        Fault::ConsentTrimmed => found(value.trim()),
        Fault::ConsentParsedAsEnum => value.trim().parse::<usize>().ok().and_then(|n| CONSENTS.get(n).copied()).or_else(|| found(value)),
        _ => None,
    }
}

/// A lax count of a value at `pointer`, where the faithful rules count every
/// character: the value the server goes on with when its count lets it through.
fn within_lax_limit(fault: Fault, pointer: &str, value: &str) -> Option<String> {
    let over = |limit: usize, n: usize| n > limit;
    match (fault, pointer) {
        (Fault::NumberLengthCountsDigits, "/to/telephoneNumber") if over(rules::MAX_NUMBER_CHARS, value.chars().count()) => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            (!over(rules::MAX_NUMBER_CHARS, digits.len()) && !digits.is_empty()).then_some(digits)
        }
        (Fault::NumberLengthIgnoresPlus, "/to/telephoneNumber") => {
            let rest = value.strip_prefix('+')?;
            (over(rules::MAX_NUMBER_CHARS, value.chars().count()) && !over(rules::MAX_NUMBER_CHARS, rest.chars().count())).then(|| rest.to_owned())
        }
        (Fault::AgentLengthIgnoresLeadingZeros, "/from/agentId" | "/to/agentId") => {
            let significant = value.trim_start_matches('0');
            let lax = value.chars().all(|c| c.is_ascii_digit()) && over(rules::MAX_AGENT_DIGITS, value.len()) && !significant.is_empty();
            (lax && !over(rules::MAX_AGENT_DIGITS, significant.len())).then(|| significant.to_owned())
        }
        (Fault::ReferenceLengthAlphanumericOnly, "/regarding/reference") if rules::is_url(value) => {
            over(rules::MAX_REFERENCE_CHARS, value.chars().count()).then(|| value.chars().take(rules::MAX_REFERENCE_CHARS).collect())
        }
        _ => None,
    }
}

/// Rewrites what the fault reads laxly into what the faithful rules accept.
pub fn read_laxly(fault: Fault, body: &mut Value, fixture: &Fixture) {
    for side in ["/from", "/to"] {
        if let Some(Value::String(value)) = body.pointer_mut(&format!("{side}/consent"))
            && let Some(read) = consent(fault, value)
        {
            *value = read.to_owned();
        }
    }
    for pointer in ["/to/telephoneNumber", "/from/agentId", "/to/agentId", "/regarding/reference"] {
        if let Some(Value::String(value)) = body.pointer_mut(pointer)
            && let Some(read) = within_lax_limit(fault, pointer, value)
        {
            *value = read;
        }
    }
    take_empty_as_given(fault, body, fixture);
}

/// Class 5: an empty value that is the only selector of its side is taken as
/// given, and the call placed (as from the account's first group, or an
/// available agent, or to a number the network takes).
fn take_empty_as_given(fault: Fault, body: &mut Value, fixture: &Fixture) {
    let text = |body: &Value, pointer: &str| body.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let groups = body.pointer("/from/groups").and_then(Value::as_array).cloned();
    let no_groups = groups.as_ref().is_none_or(Vec::is_empty);
    let agent = text(body, "/from/agentId");
    let (number, to_agent) = (text(body, "/to/telephoneNumber"), text(body, "/to/agentId"));
    let first_group = fixture.groups.first().cloned().unwrap_or_default();
    let (pointer, value) = match fault {
        Fault::EmptyGroupsTakenAsGiven if groups.as_ref().is_some_and(Vec::is_empty) && agent.is_none() => ("/from/groups", json!([first_group])),
        Fault::EmptyGroupIdTakenAsGiven if groups.as_ref().is_some_and(|g| g.iter().any(|id| id == "")) && agent.is_none() => {
            let filled: Vec<Value> = groups.unwrap_or_default().into_iter().map(|id| if id == "" { json!(first_group) } else { id }).collect();
            ("/from/groups", Value::Array(filled))
        }
        Fault::EmptyAgentIdTakenAsGiven if agent.as_deref() == Some("") && no_groups => ("/from/agentId", json!(available_agent(fixture))),
        Fault::EmptyNumberTakenAsGiven if number.as_deref() == Some("") && to_agent.is_none() => ("/to/telephoneNumber", json!("0")),
        Fault::EmptyToAgentIdTakenAsGiven if to_agent.as_deref() == Some("") && number.is_none() => ("/to/agentId", json!(available_agent(fixture))),
        _ => return,
    };
    if let Some(slot) = body.pointer_mut(pointer) {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(fault: Fault, body: Value) -> Value {
        let mut body = body;
        read_laxly(fault, &mut body, &Fixture::builtin());
        body
    }

    #[test]
    fn lax_counts_let_through_what_the_page_counts_over_the_limit() {
        let spaced = format!("+44 {}", "2".repeat(27));
        assert_eq!(spaced.chars().count(), 31);
        assert_eq!(within_lax_limit(Fault::NumberLengthCountsDigits, "/to/telephoneNumber", &spaced).unwrap().len(), 29);
        let plus = format!("+{}", "4".repeat(30));
        assert_eq!(within_lax_limit(Fault::NumberLengthIgnoresPlus, "/to/telephoneNumber", &plus).unwrap().len(), 30);
        assert_eq!(within_lax_limit(Fault::NumberLengthIgnoresPlus, "/to/telephoneNumber", &"4".repeat(31)), None);
        assert_eq!(within_lax_limit(Fault::AgentLengthIgnoresLeadingZeros, "/from/agentId", "000000001234").as_deref(), Some("1234"));
        assert_eq!(within_lax_limit(Fault::AgentLengthIgnoresLeadingZeros, "/from/agentId", "0001234"), None);
        let long_url = format!("http://x.example/{}", "a".repeat(2000));
        assert_eq!(within_lax_limit(Fault::ReferenceLengthAlphanumericOnly, "/regarding/reference", &long_url).unwrap().chars().count(), 2000);
        assert_eq!(within_lax_limit(Fault::ReferenceLengthAlphanumericOnly, "/regarding/reference", &"a".repeat(2001)), None);
    }

    #[test]
    fn loose_matches_and_empty_values_become_what_the_rules_accept() {
        let consent = |value: &str| json!({"from": {"consent": value}, "to": {"consent": value}});
        assert_eq!(read(Fault::ConsentCaseInsensitive, consent("oneparty")), consent("OneParty"));
        assert_eq!(read(Fault::ConsentTrimmed, consent(" TwoParty ")), consent("TwoParty"));
        assert_eq!(read(Fault::ConsentParsedAsEnum, consent("1")), consent("OneParty"));
        assert_eq!(read(Fault::ConsentTrimmed, consent("oneparty")), consent("oneparty"));
        let empty_groups = json!({"from": {"groups": []}, "to": {"telephoneNumber": "02072068888"}});
        assert_eq!(read(Fault::EmptyGroupsTakenAsGiven, empty_groups)["from"]["groups"], json!(["030"]));
        let beside = json!({"from": {"agentId": "", "groups": ["030"]}, "to": {"telephoneNumber": "02072068888"}});
        assert_eq!(read(Fault::EmptyAgentIdTakenAsGiven, beside.clone()), beside);
        let empty_number = json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": ""}});
        assert_eq!(read(Fault::EmptyNumberTakenAsGiven, empty_number)["to"]["telephoneNumber"], "0");
    }
}
