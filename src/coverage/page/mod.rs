//! Page: an export of the endpoint's documentation page checked against
//! `contract/items.yaml` and the contract model (`contract/rules.yaml`), so
//! that CI says when the page changes. Every message, limit and request example
//! the page states must be an item, and every 400 message and limit a rule of
//! the model; every documented item, and every rule's message and limit, every
//! field and the phrases of its domain, must still be stated by the page.

mod read;

use std::fmt;

pub use read::{Page, Stated, Statement};

use super::Item;
use crate::suite::derive::{self, Model, model::Breaks};

/// How an item is found on the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    /// Something [`Page::read`] finds.
    Statement(Statement),
    /// A phrase of the page's prose.
    Phrase(String),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Statement(s) => s.fmt(f),
            Expected::Phrase(p) => write!(f, "the phrase {p:?}"),
        }
    }
}

/// An item the page no longer states, and what was looked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Gone {
    pub id: String,
    pub expected: Expected,
}

/// Where the page and the items differ.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageReport {
    /// What the page states that no item lists.
    pub missing_from_items: Vec<Stated>,
    /// Documented items the page no longer states.
    pub gone_from_page: Vec<Gone>,
    /// The 400 messages and limits the page states that the model has no rule for.
    pub missing_from_model: Vec<Stated>,
    /// What the model says that the page no longer states.
    pub model_gone_from_page: Vec<Gone>,
    /// How many rules and fields of the model the page states.
    pub modelled: (usize, usize),
    /// Code blocks that should hold JSON and do not (or a model that cannot be read).
    pub unreadable: Vec<String>,
    /// How many things the page states (each once): messages, limits, examples.
    pub stated: usize,
    /// How many documented items were checked against the page (an item may
    /// be stated as a message, a limit, an example, or in words).
    pub items: usize,
    /// Of those, how many are stated in words (a phrase of the page, not a
    /// message, limit or example).
    pub in_words: usize,
}

impl PageReport {
    /// Whether the page and the items agree.
    pub fn agrees(&self) -> bool {
        self.missing_from_items.is_empty()
            && self.gone_from_page.is_empty()
            && self.missing_from_model.is_empty()
            && self.model_gone_from_page.is_empty()
            && self.unreadable.is_empty()
    }
}

impl fmt::Display for PageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.agrees() {
            let (rules, fields) = self.modelled;
            writeln!(
                f,
                "page: it states the {} documented items: {} as its messages, limits and request examples, {} in words",
                self.items, self.stated, self.in_words
            )?;
            return writeln!(f, "model: the page states the {rules} rules and {fields} fields of {}", derive::model::SHIPPED.0);
        }
        if !self.missing_from_items.is_empty() {
            writeln!(f, "the page states what {} does not list:", super::ITEMS.0)?;
            for s in &self.missing_from_items {
                writeln!(f, "  line {}: {}", s.line, s.what)?;
            }
        }
        if !self.gone_from_page.is_empty() {
            writeln!(f, "{} lists what the page no longer states:", super::ITEMS.0)?;
            for gone in &self.gone_from_page {
                writeln!(f, "  {} ({})", gone.id, gone.expected)?;
            }
        }
        if !self.missing_from_model.is_empty() {
            writeln!(f, "the page states what {} has no rule for:", derive::model::SHIPPED.0)?;
            for s in &self.missing_from_model {
                writeln!(f, "  line {}: {}", s.line, s.what)?;
            }
        }
        if !self.model_gone_from_page.is_empty() {
            writeln!(f, "{} models what the page no longer states:", derive::model::SHIPPED.0)?;
            for gone in &self.model_gone_from_page {
                writeln!(f, "  {} ({})", gone.id, gone.expected)?;
            }
        }
        if !self.unreadable.is_empty() {
            writeln!(f, "the page has code blocks that cannot be read:")?;
            for u in &self.unreadable {
                writeln!(f, "  {u}")?;
            }
        }
        Ok(())
    }
}

/// What a documented item says the page states: its request example, its
/// status and message (`NNN: message`, or `message`), its limit
/// (`limit: SUBJECT N characters|digits`), its phrase (`states`).
pub fn expected(item: &Item) -> Vec<Expected> {
    let mut out = Vec::new();
    if let Some(body) = &item.request {
        out.push(Expected::Statement(Statement::Request(body.clone())));
    }
    if let Some((status, rest)) = item.id.split_once(": ")
        && let Ok(status @ 100..=599) = status.parse::<u16>()
    {
        let text = item.message.clone().unwrap_or_else(|| rest.to_owned());
        out.push(Expected::Statement(Statement::Message { status, text }));
    }
    if let Some(limit) = item.id.strip_prefix("limit: ")
        && let Some((rest, unit @ ("characters" | "digits"))) = limit.rsplit_once(' ')
        && let Some((subject, max)) = rest.rsplit_once(' ')
        && let Ok(max) = max.parse()
    {
        out.push(Expected::Statement(Statement::Limit { subject: subject.to_lowercase(), max, unit: unit.to_owned() }));
    }
    if let Some(phrase) = &item.states {
        out.push(Expected::Phrase(phrase.clone()));
    }
    out
}

/// Whether the page's `stated` is what an item expects (a limit the page
/// states without naming its subject matches any subject).
fn meets(expected: &Statement, stated: &Statement) -> bool {
    match (expected, stated) {
        (Statement::Limit { subject: a, max: m, unit: u }, Statement::Limit { subject: b, max: n, unit: v }) => {
            m == n && u == v && (a == b || b.is_empty())
        }
        _ => expected == stated,
    }
}

/// What the model says the page states, each with what it comes from: each
/// documented rule's message and limit, each field's name and domain phrases.
pub fn modelled(model: &Model) -> Vec<(String, Expected)> {
    let mut out = Vec::new();
    for rule in model.rules.iter().filter(|r| r.documented()) {
        let id = format!("rule {}", rule.id);
        if let Some(text) = &rule.message {
            out.push((id.clone(), Expected::Statement(Statement::Message { status: rule.status, text: text.clone() })));
        }
        if let Breaks::Limit(l) = &rule.breaks {
            let limit = Statement::Limit { subject: l.subject.to_lowercase(), max: l.max as u64, unit: l.unit.to_string() };
            out.push((id, Expected::Statement(limit)));
        }
    }
    for field in &model.fields {
        let name = field.pointer.rsplit('/').next().unwrap_or_default().to_owned();
        let phrases = std::iter::once(name).chain(field.states.iter().cloned());
        out.extend(phrases.map(|p| (format!("field {}", field.pointer), Expected::Phrase(p))));
    }
    out
}

/// Whether the page states what is expected.
fn stated_on(page: &Page, expected: &Expected) -> bool {
    match expected {
        Expected::Statement(want) => page.stated.iter().any(|s| meets(want, &s.what)),
        Expected::Phrase(phrase) => page.prose.contains(phrase.as_str()),
    }
}

/// Compares a page export (`text`) with the documented items and the shipped model.
pub fn check_page(text: &str, items: &[Item]) -> PageReport {
    match derive::shipped() {
        Ok(model) => check_page_with(text, items, model),
        Err(e) => PageReport { unreadable: vec![e.to_string()], ..check_page_with(text, items, &Model::default()) },
    }
}

/// [`check_page`] with this model.
pub fn check_page_with(text: &str, items: &[Item], model: &Model) -> PageReport {
    let page = Page::read(text);
    let expectations: Vec<(&Item, Expected)> =
        items.iter().filter(|i| i.documented).flat_map(|i| expected(i).into_iter().map(move |e| (i, e))).collect();
    let listed = |stated: &Statement| {
        expectations.iter().any(|(_, e)| matches!(e, Expected::Statement(s) if meets(s, stated)))
    };
    let missing_from_items = page.stated.iter().filter(|s| !listed(&s.what)).cloned().collect();
    let gone_from_page = expectations
        .iter()
        .filter(|(_, e)| !stated_on(&page, e))
        .map(|(item, e)| Gone { id: item.id.clone(), expected: e.clone() })
        .collect();
    let modelled = modelled(model);
    let ruled = |stated: &Statement| modelled.iter().any(|(_, e)| matches!(e, Expected::Statement(s) if meets(s, stated)));
    let missing_from_model = page
        .stated
        .iter()
        .filter(|s| matches!(s.what, Statement::Message { status: 400, .. } | Statement::Limit { .. }) && !ruled(&s.what))
        .cloned()
        .collect();
    let model_gone_from_page =
        modelled.iter().filter(|(_, e)| !stated_on(&page, e)).map(|(id, e)| Gone { id: id.clone(), expected: e.clone() }).collect();
    PageReport {
        missing_from_items,
        gone_from_page,
        missing_from_model,
        model_gone_from_page,
        modelled: (model.rules.iter().filter(|r| r.documented()).count(), model.fields.len()),
        unreadable: page.unreadable,
        stated: page.stated.len(),
        items: items.iter().filter(|i| i.documented).count(),
        in_words: items.iter().filter(|i| i.documented && expected(i).iter().all(|e| !matches!(e, Expected::Statement(_)))).count(),
    }
}

#[cfg(test)]
mod tests;
