//! What an answer exercised: for a request the reference server answered, the
//! documented items of the contract (`contract/items.yaml`, as `coverage` names
//! them) it exercised, read from the request body and the answer beside the
//! rules, never inside them. The consumer coverage table ([`super::tally`])
//! counts them.
//! - An example: a request of its shape (the same fields given, one group or
//!   several) answered as the page's example is: with a 201, or for an example
//!   that breaks a request rule (example 8), with a 400.
//! - A documented message: a 400 with that message; the 415: any 415.
//! - A limit, on either side (a [`Slot`] each): a value at the limit accepted
//!   (the answer a 201, or a refusal by the account's state, which comes after
//!   every request rule passed), and one over it refused with the limit's message.
//!   The "alphanumeric or a valid URL" item is such a limit without a length:
//!   any value accepted, and one refused as invalid.

use serde_json::Value;

use super::rules::{self, Rejection};
use crate::coverage::{self, Item};
use crate::located::LocatedError;
use crate::suite::derive::{self, model::{Breaks, Model}};

/// One counter of a client's row: an item (for a limit, its "over it" side),
/// or the "at the limit" side of a limit.
pub type Slot = usize;

/// The documented items and how an answer maps to them.
#[derive(Debug)]
pub struct Catalog {
    /// The documented items in the order of `contract/items.yaml`; item `i` is slot `i`.
    items: Vec<Item>,
    /// The fields of the contract model (their JSON pointers, split into keys):
    /// which are given makes a request's shape.
    fields: Vec<Vec<String>>,
    /// Each documented 400 message, and the slots its answer exercises.
    messages: Vec<(String, Vec<Slot>)>,
    /// The messages of the rules that depend on the account's state.
    state_messages: Vec<String>,
    unsupported: Option<Slot>,
    examples: Vec<Example>,
    limits: Vec<Limit>,
}

#[derive(Debug)]
struct Example {
    slot: Slot,
    shape: u32,
    /// Answered 201 (else: a 400).
    placed: bool,
}

#[derive(Debug)]
struct Limit {
    item: Slot,
    at: Slot,
    /// Indices into [`Catalog::fields`].
    fields: Vec<usize>,
    /// The length at the limit; `None`: any value the rule accepts.
    max: Option<usize>,
}

/// The bit of a shape that says a list field holds several values.
const SEVERAL: u32 = 1 << 16;

/// Whether a JSON value gives something: not null, not empty.
fn given(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

impl Catalog {
    /// The catalog of the shipped items and contract model.
    pub fn shipped() -> Result<Catalog, LocatedError> {
        Ok(Catalog::new(coverage::items()?, derive::shipped()?))
    }

    pub fn new(items: Vec<Item>, model: &Model) -> Catalog {
        let items: Vec<Item> = items.into_iter().filter(|i| i.documented).collect();
        let slot = |id: &str| items.iter().position(|i| i.id == id);
        let pointers: Vec<&str> = model.fields.iter().map(|f| f.pointer.as_str()).collect();
        let fields = pointers.iter().map(|p| p.split('/').skip(1).map(str::to_owned).collect()).collect();
        let mut catalog = Catalog {
            fields,
            messages: Vec::new(),
            state_messages: Vec::new(),
            unsupported: items.iter().position(|i| i.id.starts_with("415: ")),
            examples: Vec::new(),
            limits: Vec::new(),
            items: Vec::new(),
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(message) = item.id.strip_prefix("400: ") {
                catalog.messages.push((message.to_owned(), vec![i]));
            }
            if let Some(request) = &item.request {
                let placed = request.as_object().is_some_and(|body| rules::validate(body).is_ok());
                catalog.examples.push(Example { slot: i, shape: catalog.shape(request), placed });
            }
        }
        for rule in &model.rules {
            let Some(message) = &rule.message else { continue };
            if rule.needs_state() {
                catalog.state_messages.push(message.clone());
            }
            let max = match &rule.breaks {
                Breaks::Limit(limit) => Some(limit.max),
                _ => None,
            };
            let limits = rule.limit_item().into_iter().map(|id| (id, max));
            let stated = rule.also_covers.iter().filter(|id| id.starts_with("limit: ")).map(|id| (id.clone(), None));
            for (id, max) in limits.chain(stated) {
                let Some(item) = slot(&id) else { continue };
                let at = items.len() + catalog.limits.len();
                let fields = rule.fields.iter().filter_map(|f| pointers.iter().position(|p| p == f)).collect();
                catalog.limits.push(Limit { item, at, fields, max });
                if let Some((_, slots)) = catalog.messages.iter_mut().find(|(m, _)| m == message) {
                    slots.push(item);
                }
            }
        }
        catalog.items = items;
        catalog
    }

    /// The documented items, in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// How many counters a row has: one per item, one more per limit.
    pub fn slots(&self) -> usize {
        self.items.len() + self.limits.len()
    }

    /// The "at the limit" slot of item `item`, when it is a limit.
    pub fn at_limit(&self, item: Slot) -> Option<Slot> {
        self.limits.iter().find(|l| l.item == item).map(|l| l.at)
    }

    /// The value of each field in `body`, in the order of [`Catalog::fields`].
    fn values<'a>(&self, body: &'a Value) -> Vec<Option<&'a Value>> {
        self.fields.iter().map(|keys| keys.iter().try_fold(body, |value, key| value.get(key))).collect()
    }

    /// Which fields a body gives (a bit each, in the model's order), and which lists hold several values.
    fn shape(&self, body: &Value) -> u32 {
        Catalog::shape_of(&self.values(body))
    }

    fn shape_of(values: &[Option<&Value>]) -> u32 {
        let mut shape = 0;
        for (bit, value) in values.iter().enumerate() {
            match value {
                Some(Value::Array(values)) if values.len() > 1 => shape |= (1 << bit) | (SEVERAL << bit),
                Some(value) if given(value) => shape |= 1 << bit,
                _ => {}
            }
        }
        shape
    }

    /// The slots an answer exercised, given the request body: `answer` is `Ok`
    /// for a 201, else the refusal.
    pub fn exercised(&self, body: &[u8], answer: Result<(), &Rejection>, hits: &mut Vec<Slot>) {
        let message = match answer {
            Ok(()) => None,
            Err(r) if r.status == 415 => return hits.extend(self.unsupported),
            Err(r) if r.status == 400 => Some(r.message.as_str()),
            Err(_) => return,
        };
        if let Some((_, slots)) = message.and_then(|m| self.messages.iter().find(|(known, _)| known == m)) {
            hits.extend_from_slice(slots);
        }
        let Ok(body) = serde_json::from_slice::<Value>(body) else { return };
        let values = self.values(&body);
        let shape = Catalog::shape_of(&values);
        let placed = message.is_none();
        hits.extend(self.examples.iter().filter(|e| e.shape == shape && e.placed == placed).map(|e| e.slot));
        let accepted = message.is_none_or(|m| self.state_messages.iter().any(|s| s == m));
        if !accepted {
            return;
        }
        for limit in &self.limits {
            let at = limit.fields.iter().filter_map(|&f| values.get(f).copied().flatten()?.as_str()).any(|value| match limit.max {
                Some(max) => value.chars().count() == max,
                None => !value.is_empty(),
            });
            if at {
                hits.push(limit.at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::server::fixture::Fixture;

    fn catalog() -> Catalog {
        Catalog::shipped().unwrap()
    }

    /// The item ids (with `@ limit` for an at-limit side) the reference server's
    /// answer to `body` exercises.
    fn ids(body: &Value, content_type: &str) -> Vec<String> {
        let c = catalog();
        let bytes = body.to_string();
        let answer = rules::decide(&Fixture::builtin(), "a1b2c3d4e5", Some("Bearer t"), Some(content_type), bytes.as_bytes());
        let mut hits = Vec::new();
        c.exercised(bytes.as_bytes(), answer.as_ref().map(drop), &mut hits);
        hits.iter()
            .map(|&s| match c.items.get(s) {
                Some(item) => item.id.clone(),
                None => format!("{} @ limit", c.items[c.limits.iter().find(|l| l.at == s).unwrap().item].id),
            })
            .collect()
    }

    #[test]
    fn every_documented_item_can_be_exercised() {
        let c = catalog();
        for (i, item) in c.items.iter().enumerate() {
            let reached = c.messages.iter().any(|(_, slots)| slots.contains(&i))
                || c.unsupported == Some(i)
                || c.examples.iter().any(|e| e.slot == i)
                || c.limits.iter().any(|l| l.item == i);
            assert!(reached, "nothing exercises {}", item.id);
        }
        assert_eq!(c.items.len(), 32);
        assert_eq!(c.limits.len(), 5, "{:?}", c.limits);
        assert!(c.limits.iter().all(|l| !l.fields.is_empty()), "each limit reads its fields: {:?}", c.limits);
        assert_eq!(c.state_messages.len(), 7, "{:?}", c.state_messages);
        assert_eq!(c.examples.iter().filter(|e| !e.placed).count(), 1, "example 8 breaks a request rule");
    }

    #[test]
    fn each_example_is_its_shape_answered_as_the_page_answers_it() {
        for item in catalog().items.iter().filter(|i| i.request.is_some()) {
            let mut expected = vec![item.id.clone()];
            if item.id == "example-6" {
                expected.push("limit: reference is alphanumeric or a valid URL @ limit".into());
            }
            assert_eq!(ids(item.request.as_ref().unwrap(), "application/json"), expected, "{}", item.id);
        }
        let other_values = json!({"from": {"groups": ["200", "400"]}, "to": {"telephoneNumber": "0123"}});
        assert_eq!(ids(&other_values, "application/json"), ["example-4"], "the shape, not the values");
        let one_more_field = json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "0123"}, "application": "x"});
        assert!(ids(&one_more_field, "application/json").is_empty(), "no example sends application alone");
        let refused = json!({"from": {"agentId": "7001"}, "to": {"telephoneNumber": "0123"}});
        assert_eq!(ids(&refused, "application/json"), ["400: Unable to place call - Agent number busy"], "an example's shape refused");
    }

    #[test]
    fn messages_and_the_415_are_their_items() {
        assert_eq!(ids(&json!({"from": {"agentId": "12a4"}, "to": {"agentId": "4567"}}), "application/json"), ["400: Agent Id must contain digits only"]);
        assert_eq!(ids(&json!({}), "multipart/form-data"), ["415: unsupported content type"]);
        assert!(ids(&json!([1]), "application/json").is_empty(), "an undocumented 400");
    }

    #[test]
    fn a_limit_has_two_sides() {
        let number = |n: usize| json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "7".repeat(n)}});
        assert_eq!(ids(&number(30), "application/json"), ["example-1", "limit: telephone number 30 characters @ limit"]);
        assert_eq!(
            ids(&number(31), "application/json"),
            ["400: Telephone number exceeds 30 characters", "limit: telephone number 30 characters"]
        );
        assert_eq!(ids(&number(29), "application/json"), ["example-1"]);
        let agent = json!({"from": {"agentId": "9".repeat(11)}, "to": {"telephoneNumber": "0123"}});
        assert_eq!(
            ids(&agent, "application/json"),
            ["400: Unable to place call - Agent Id is unknown", "limit: agent id 11 digits @ limit"],
            "unknown, so past the length rule"
        );
        let url = json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "0123"}, "regarding": {"reference": "http://x.example"}});
        assert_eq!(ids(&url, "application/json"), ["limit: reference is alphanumeric or a valid URL @ limit"]);
        let invalid = json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "0123"}, "regarding": {"reference": "a b"}});
        assert_eq!(
            ids(&invalid, "application/json"),
            ["400: Reference contained invalid characters", "limit: reference is alphanumeric or a valid URL"]
        );
        let ccxml = json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "0123"}, "application": "a".repeat(32)});
        let bytes = ccxml.to_string();
        let answer = rules::decide(&Fixture::builtin(), "f6g7h8i9j0", Some("Bearer t"), Some("application/json"), bytes.as_bytes());
        let c = catalog();
        let mut hits = Vec::new();
        c.exercised(bytes.as_bytes(), answer.as_ref().map(drop), &mut hits);
        let application = c.items.iter().position(|i| i.id == "limit: application 32 characters").unwrap();
        assert!(hits.contains(&c.at_limit(application).unwrap()), "a refusal by the account's state accepted the value: {hits:?}");
    }
}
