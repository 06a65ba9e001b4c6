//! Coverage: the machine-readable list of what the page documents
//! (`contract/items.yaml`) and which cases cover each item. Every documented
//! item needs a case; every case must claim only items that exist. [`page`]
//! checks the list against an export of the page itself; [`consumer`] is the
//! report of which items a reference server's clients exercised.

pub mod consumer;
pub mod page;

use serde::Deserialize;
use serde_json::Value;

use crate::located::{self, LocatedError, Source};
use crate::suite::Case;

/// The shipped list of documented items.
pub const ITEMS: (&str, &str) = ("contract/items.yaml", include_str!("../../contract/items.yaml"));

/// One documented item.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub what: String,
    #[serde(default = "documented")]
    pub documented: bool,
    /// For what a standard the page relies on requires (`RFC 6750 §3`): the
    /// standard. Such an item is not documented by the page.
    #[serde(default)]
    pub standard: Option<String>,
    /// For an example: the request body the page shows.
    #[serde(default)]
    pub request: Option<Value>,
    /// For a status item whose id does not spell its message (`415: ...`): the message.
    #[serde(default)]
    pub message: Option<String>,
    /// A phrase the page states this item with, where nothing else tells.
    #[serde(default)]
    pub states: Option<String>,
}

pub use page::{PageReport, check_page};

fn documented() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsDoc {
    items: Vec<Item>,
}

/// The shipped items.
pub fn items() -> Result<Vec<Item>, LocatedError> {
    let doc: ItemsDoc = located::parse(&Source { path: ITEMS.0.into(), text: ITEMS.1.into() })?;
    Ok(doc.items)
}

/// What is wrong with the coverage: documented items without a case, and cases
/// that claim items the list does not have.
pub fn problems(items: &[Item], cases: &[Case]) -> Vec<String> {
    let mut problems = Vec::new();
    for item in items.iter().filter(|i| i.documented && i.standard.is_some()) {
        problems.push(format!("item `{}` is required by {}, not documented by the page: set documented: false", item.id, item.standard.as_deref().unwrap_or_default()));
    }
    for item in items.iter().filter(|i| i.documented) {
        if !cases.iter().any(|c| c.covers.contains(&item.id)) {
            problems.push(format!("documented item `{}` has no case", item.id));
        }
    }
    for case in cases {
        for claim in &case.covers {
            if !items.iter().any(|i| &i.id == claim) {
                problems.push(format!("{} ({}:{}) covers `{claim}`, which is not in {}", case.test_name(), case.source, case.line, ITEMS.0));
            }
        }
    }
    problems
}

/// The last line of `coverage`: how many documented items have a case.
pub fn summary(items: &[Item], cases: &[Case]) -> String {
    let documented: Vec<&Item> = items.iter().filter(|i| i.documented).collect();
    let covered = documented.iter().filter(|i| cases.iter().any(|c| c.covers.contains(&i.id))).count();
    format!("coverage: {covered} of {} documented items covered by {} cases", documented.len(), cases.len())
}

/// The table: each item, then the cases that cover it.
pub fn table(items: &[Item], cases: &[Case]) -> String {
    let mut out = String::new();
    for item in items {
        let covering: Vec<String> = cases.iter().filter(|c| c.covers.contains(&item.id)).map(Case::test_name).collect();
        let mark = match (&item.standard, item.documented) {
            (Some(standard), _) => format!(" (required by {standard}, not the page)"),
            (None, true) => String::new(),
            (None, false) => " (not documented)".to_owned(),
        };
        out.push_str(&format!("{}{mark} — {}\n", item.id, item.what));
        if covering.is_empty() {
            out.push_str("    (no case)\n");
        }
        for name in covering {
            out.push_str(&format!("    {name}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_the_documented_items() {
        let items = items().unwrap();
        let count = |prefix: &str| items.iter().filter(|i| i.id.starts_with(prefix) && i.documented).count();
        assert_eq!(count("example-"), 8);
        assert_eq!(count("400: "), 18);
        assert_eq!(count("415: "), 1);
        for item in items.iter().filter(|i| !i.documented) {
            let prefix = if item.standard.is_some() { "standard: " } else { "undocumented: " };
            assert!(item.id.starts_with(prefix), "{}", item.id);
        }
        assert!(items.iter().filter(|i| i.standard.is_some()).count() >= 4);
    }

    #[test]
    fn the_summary_counts_documented_items_with_a_case() {
        let items = items().unwrap();
        let cases = crate::exec::load_shipped().unwrap().cases;
        let documented = items.iter().filter(|i| i.documented).count();
        let line = summary(&items, &cases);
        assert_eq!(line, format!("coverage: {documented} of {documented} documented items covered by {} cases", cases.len()));
        let without_example_1: Vec<Case> = cases.iter().cloned().filter(|c| !c.covers.contains(&"example-1".to_owned())).collect();
        let fewer = summary(&items, &without_example_1);
        assert!(fewer.starts_with(&format!("coverage: {} of {documented} ", documented - 1)), "{fewer}");
    }
}
