//! Coverage: the machine-readable list of what the page documents
//! (`contract/items.yaml`) and which cases cover each item. Every documented
//! item needs a case; every case must claim only items that exist.

use serde::Deserialize;

use crate::located::{self, LocatedError, Source};
use crate::suite::Case;

/// The shipped list of documented items.
pub const ITEMS: (&str, &str) = ("contract/items.yaml", include_str!("../contract/items.yaml"));

/// One documented item.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub what: String,
    #[serde(default = "documented")]
    pub documented: bool,
}

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

/// The table: each item, then the cases that cover it.
pub fn table(items: &[Item], cases: &[Case]) -> String {
    let mut out = String::new();
    for item in items {
        let covering: Vec<String> = cases.iter().filter(|c| c.covers.contains(&item.id)).map(Case::test_name).collect();
        let mark = if item.documented { "" } else { " (not documented)" };
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
        assert!(items.iter().filter(|i| !i.documented).all(|i| i.id.starts_with("undocumented: ")));
    }
}
