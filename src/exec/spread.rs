//! Spread: the calls of a run shared out over several agents and numbers. On a
//! live platform each call keeps its agent busy for a while, so a run that
//! places every call from `${agentId}` waits for that one agent between calls;
//! `spareAgentIds` (and `spareTelephoneNumbers`) name more of the same kind, and
//! the run sends the cases that may place a call from them in turn. Only where
//! a case's JSON body holds exactly the variable's value (`from.agentId` equal
//! to `agentId`, `to.telephoneNumber` equal to `telephoneNumber`), never with a
//! value the body names elsewhere, and in a body written as text (`raw`) only
//! where that value is quoted once, so that nothing but the value changes: a
//! spare is another "available agent" or "number the network accepts", so the
//! case still proves what it did.

use serde_json::Value;

use crate::exec::plan::{Action, Plan};
use crate::result::Substitution;
use crate::suite::Case;
use crate::suite::vars::Vars;

/// The variable that lists spare calling agents.
pub const SPARE_AGENTS: &str = "spareAgentIds";
/// The variable that lists spare numbers to call.
pub const SPARE_NUMBERS: &str = "spareTelephoneNumbers";

/// A spare value that cannot be used (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("variable `{variable}`: `{value}` {reason}")]
pub struct SpareError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

/// Where spares go: the body field, the variable it holds, the spares' variable.
struct Slot {
    pointer: &'static str,
    variable: &'static str,
    spares: &'static str,
}

const SLOTS: &[Slot] = &[
    Slot { pointer: "/from/agentId", variable: "agentId", spares: SPARE_AGENTS },
    Slot { pointer: "/to/telephoneNumber", variable: "telephoneNumber", spares: SPARE_NUMBERS },
];

/// The agent variables a spare agent must differ from: each names another role.
const OTHER_AGENTS: &[&str] = &["agentId", "otherAgentId", "busyAgentId", "unreachableAgentId", "unknownAgentId"];
/// The number variables a spare number must differ from.
const OTHER_NUMBERS: &[&str] = &["telephoneNumber", "invalidNumber"];

/// One slot's values: the variable's own first, then its spares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Pool {
    pointer: &'static str,
    variable: &'static str,
    values: Vec<String>,
}

/// The spares a run may spread its calls over (none by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spares {
    pools: Vec<Pool>,
}

/// The values of a list variable: separated by commas or white space.
pub fn list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

/// Refuses `value` as a spare of `variable` when it breaks the role's shape,
/// repeats, or names a value another variable gives a role.
fn check(variable: &'static str, value: &str, vars: &Vars, seen: &[String]) -> Result<(), SpareError> {
    let refuse = |reason: String| Err(SpareError { variable, value: value.to_owned(), reason });
    let (others, shaped) = if variable == SPARE_AGENTS {
        (OTHER_AGENTS, value.len() <= 11 && value.chars().all(|c| c.is_ascii_digit()))
    } else {
        (OTHER_NUMBERS, value.chars().count() <= 30)
    };
    if !shaped {
        return refuse(if variable == SPARE_AGENTS {
            "is not an agent's display ID (digits only, at most 11)".into()
        } else {
            "is not a telephone number of at most 30 characters".into()
        });
    }
    if seen.iter().any(|s| s == value) {
        return refuse("is given twice".into());
    }
    if let Some(other) = others.iter().find(|o| vars.get(o) == Some(value)) {
        return refuse(format!("is also `{other}`: a spare must be another one of the same kind"));
    }
    Ok(())
}

impl Spares {
    /// The spares `vars` names (`spareAgentIds`, `spareTelephoneNumbers`: lists
    /// separated by commas or spaces), each checked.
    pub fn from_vars(vars: &Vars) -> Result<Spares, SpareError> {
        let mut pools = Vec::new();
        for slot in SLOTS {
            let (Some(own), Some(spares)) = (vars.get(slot.variable), vars.get(slot.spares)) else { continue };
            let mut values = vec![own.to_owned()];
            for spare in list(spares) {
                check(slot.spares, &spare, vars, &values[1..])?;
                values.push(spare);
            }
            if values.len() > 1 {
                pools.push(Pool { pointer: slot.pointer, variable: slot.variable, values });
            }
        }
        Ok(Spares { pools })
    }

    /// Whether there is anything to spread over.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// Each plan item as it is sent (`None` for those not sent): the cases
    /// that may place a call take each slot's values in turn, in plan order.
    pub fn sendings(&self, plan: &Plan) -> Vec<Option<Sending>> {
        let mut turns = vec![0usize; self.pools.len()];
        plan.items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                if item.action != Action::Send {
                    return None;
                }
                let mut sending = Sending { index, case: item.case.clone(), spread: Vec::new() };
                if item.case.may_place_call() {
                    for (pool, turn) in self.pools.iter().zip(&mut turns) {
                        spread(&mut sending, pool, turn);
                    }
                }
                Some(sending)
            })
            .collect()
    }
}

/// A case as the run sends it, with what was put in place of a variable's value.
#[derive(Clone, Debug)]
pub struct Sending {
    /// Its place in the plan.
    pub index: usize,
    pub case: Case,
    pub spread: Vec<Substitution>,
}

/// Whether `json` holds `value` as a string anywhere.
fn mentions(json: &Value, value: &str) -> bool {
    match json {
        Value::String(s) => s == value,
        Value::Array(items) => items.iter().any(|v| mentions(v, value)),
        Value::Object(map) => map.values().any(|v| mentions(v, value)),
        _ => false,
    }
}

/// The body with `json`'s value at `pointer` made `chosen` and nothing else
/// changed: written anew from the JSON where the body was written from it,
/// else (a body written as text) with the one quoted occurrence of the old
/// value replaced, and only if that reads back as the same change.
fn rewritten(body: &[u8], json: &Value, pointer: &str, old: &str, chosen: &str) -> Option<(Vec<u8>, Value)> {
    let mut changed = json.clone();
    *changed.pointer_mut(pointer)? = Value::String(chosen.to_owned());
    if serde_json::to_vec(json).ok().as_deref() == Some(body) {
        return Some((serde_json::to_vec(&changed).ok()?, changed));
    }
    let text = std::str::from_utf8(body).ok()?;
    let (quoted_old, quoted_new) = (Value::String(old.to_owned()).to_string(), Value::String(chosen.to_owned()).to_string());
    if text.matches(&quoted_old).count() != 1 {
        return None;
    }
    let replaced = text.replacen(&quoted_old, &quoted_new, 1);
    (serde_json::from_str::<Value>(&replaced).ok()? == changed).then(|| (replaced.into_bytes(), changed))
}

/// Gives `sending` the pool's value whose turn it is, where its body holds the
/// variable's own value and names that spare nowhere else.
fn spread(sending: &mut Sending, pool: &Pool, turn: &mut usize) {
    let request = &mut sending.case.request;
    let Some(json) = request.json.as_ref() else { return };
    if json.pointer(pool.pointer).and_then(Value::as_str) != Some(pool.values[0].as_str()) {
        return;
    }
    let chosen = pool.values[*turn % pool.values.len()].clone();
    *turn += 1;
    if chosen == pool.values[0] || mentions(json, &chosen) {
        return;
    }
    let Some((body, json)) = rewritten(&request.body, json, pool.pointer, &pool.values[0], &chosen) else { return };
    request.body = body;
    request.json = Some(json);
    sending.spread.push(Substitution {
        pointer: pool.pointer.to_owned(),
        variable: pool.variable.to_owned(),
        instead_of: pool.values[0].clone(),
        sent: chosen,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::plan::Selection;

    fn vars(spares: &str, numbers: &str) -> Vars {
        let mut vars = crate::suite::load_vars(&crate::suite::source::shipped_vars()).unwrap();
        vars.set(SPARE_AGENTS, spares).unwrap();
        vars.set(SPARE_NUMBERS, numbers).unwrap();
        vars
    }

    #[test]
    fn spares_are_checked() {
        assert!(Spares::from_vars(&vars("", "")).unwrap().is_empty(), "none by default");
        assert!(!Spares::from_vars(&vars("5464, 5465", "")).unwrap().is_empty());
        for (bad, why) in [("12a", "digits only"), ("5464,5464", "twice"), ("4567", "otherAgentId"), ("1234", "`agentId`"), ("123456789012", "at most 11")] {
            let e = Spares::from_vars(&vars(bad, "")).unwrap_err().to_string();
            assert!(e.contains(SPARE_AGENTS) && e.contains(why), "{bad}: {e}");
        }
        let e = Spares::from_vars(&vars("", "00000000000")).unwrap_err().to_string();
        assert!(e.contains("invalidNumber"), "{e}");
        assert_eq!(list(" 1,2  3,,"), ["1", "2", "3"]);
    }

    #[test]
    fn calls_take_the_spares_in_turn_and_nothing_else_changes() {
        let suite = crate::exec::load_shipped().unwrap();
        let plan = Plan::new(suite.cases.to_vec(), &Selection::default(), false);
        let spares = Spares::from_vars(&vars("5464", "02072068889")).unwrap();
        let sendings = spares.sendings(&plan);
        let sent: Vec<&Sending> = sendings.iter().flatten().collect();
        assert_eq!(sent.len(), plan.items.len());
        let from = |s: &Sending| s.case.request.json.as_ref().and_then(|j| j.pointer("/from/agentId")).and_then(Value::as_str).map(str::to_owned);
        let calls: Vec<&Sending> = sent.iter().copied().filter(|s| s.case.may_place_call() && from(s).is_some()).collect();
        let on_spare = calls.iter().filter(|s| from(s).as_deref() == Some("5464")).count();
        let on_own = calls.iter().filter(|s| from(s).as_deref() == Some("1234")).count();
        assert!(on_spare >= 5 && on_own >= 5 && on_spare.abs_diff(on_own) <= 1, "{on_spare} {on_own}");
        for s in &sent {
            let original = &plan.items[s.index].case;
            if !original.may_place_call() {
                assert_eq!(s.case, *original, "{} is not a call: unchanged", original.test_name());
                continue;
            }
            for sub in &s.spread {
                assert_eq!(original.request.json.as_ref().unwrap().pointer(&sub.pointer).unwrap(), &Value::String(sub.instead_of.clone()));
                assert_eq!(s.case.request.json.as_ref().unwrap().pointer(&sub.pointer).unwrap(), &Value::String(sub.sent.clone()));
            }
            let body: Value = serde_json::from_slice(&s.case.request.body).unwrap();
            assert_eq!(&body, s.case.request.json.as_ref().unwrap(), "{}: the body is what the JSON says", original.test_name());
            if original.request.body != serde_json::to_vec(original.request.json.as_ref().unwrap()).unwrap() && !s.spread.is_empty() {
                let (was, now) = (String::from_utf8_lossy(&original.request.body), String::from_utf8_lossy(&s.case.request.body));
                let expected = s.spread.iter().fold(was.into_owned(), |body, sub| {
                    body.replace(&format!("\"{}\"", sub.instead_of), &format!("\"{}\"", sub.sent))
                });
                assert_eq!(expected, now, "a raw body keeps its bytes but the spread values");
            }
        }
        assert!(sent.iter().any(|s| s.spread.iter().any(|x| x.sent == "02072068889")), "numbers spread too");
        assert!(sent.iter().any(|s| s.case.name.contains("accepted") && s.case.file == "media-type" && !s.spread.is_empty()), "raw bodies too");
    }

    #[test]
    fn a_raw_body_is_spread_only_where_the_value_is_quoted_once() {
        let json = serde_json::json!({"from": {"agentId": "1"}, "to": {"telephoneNumber": "1"}});
        let once = br#"{"from": {"agentId": "1"}, "to": {"telephoneNumber": "2"}}"#;
        let json_once = serde_json::json!({"from": {"agentId": "1"}, "to": {"telephoneNumber": "2"}});
        let (body, _) = rewritten(once, &json_once, "/from/agentId", "1", "9").unwrap();
        assert_eq!(body, br#"{"from": {"agentId": "9"}, "to": {"telephoneNumber": "2"}}"#);
        let twice = br#"{"from": {"agentId": "1"}, "to": {"telephoneNumber": "1"}}"#;
        assert_eq!(rewritten(twice, &json, "/from/agentId", "1", "9"), None);
        let written = serde_json::to_vec(&json).unwrap();
        let (body, changed) = rewritten(&written, &json, "/from/agentId", "1", "9").unwrap();
        assert_eq!(changed.pointer("/to/telephoneNumber").unwrap(), "1", "only the pointer changes");
        assert_eq!(body, serde_json::to_vec(&changed).unwrap());
    }
}
