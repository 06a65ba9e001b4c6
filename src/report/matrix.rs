//! The contract matrix: every item the page documents (the examples, the
//! messages, the 415, the limits) with its verdict in this run: verified,
//! failed, or not verified and why. What a QA lead reads first; the HTML report
//! opens with it, the JSON output carries it, and `--require-complete` fails a
//! run that left a documented item unverified.

use std::fmt::Write as _;

use crate::coverage::Item;
use crate::exec::plan::{Action, Plan};
use crate::result::CaseResult;

/// An item's verdict in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemVerdict {
    /// Every case that covers it ran and passed.
    Verified,
    /// A case that covers it failed.
    Failed,
    /// Some case that covers it did not run: the reasons.
    NotVerified(Vec<String>),
}

/// One row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub what: String,
    pub verdict: ItemVerdict,
    /// The cases that cover it.
    pub cases: Vec<String>,
}

/// Rows for every documented item.
pub fn rows(items: &[Item], plan: &Plan, results: &[CaseResult]) -> Vec<Row> {
    let by_name: std::collections::HashMap<&str, &CaseResult> = results.iter().map(|r| (r.case.name.as_str(), r)).collect();
    items
        .iter()
        .filter(|i| i.documented)
        .map(|item| {
            let covering: Vec<_> = plan.items.iter().filter(|p| p.case.covers.contains(&item.id)).collect();
            let mut failed = false;
            let mut reasons = Vec::new();
            for planned in &covering {
                let name = planned.case.test_name();
                let result = by_name.get(name.as_str()).copied();
                match (&planned.action, result) {
                    (Action::FilteredOut, _) => reasons.push(format!("{name}: filtered out")),
                    (Action::Hold(_), _) => reasons.push(format!("{name}: held back (may place a real call)")),
                    (Action::Send, Some(r)) if r.failed() => failed = true,
                    (Action::Send, Some(r)) if r.passed() => {}
                    (Action::Send, _) => reasons.push(format!("{name}: did not run")),
                }
            }
            if covering.is_empty() {
                reasons.push("no case covers it".into());
            }
            let verdict = match (failed, reasons.is_empty()) {
                (true, _) => ItemVerdict::Failed,
                (false, true) => ItemVerdict::Verified,
                (false, false) => ItemVerdict::NotVerified(reasons),
            };
            Row {
                id: item.id.clone(),
                what: item.what.clone(),
                verdict,
                cases: covering.iter().map(|p| p.case.test_name()).collect(),
            }
        })
        .collect()
}

/// The items not verified, for the summary line.
pub fn unverified(rows: &[Row]) -> Vec<&Row> {
    rows.iter().filter(|r| matches!(r.verdict, ItemVerdict::NotVerified(_))).collect()
}

/// The summary: how many documented items this run verified and failed, and
/// which it did not verify and why (held back by the real-call guard: named;
/// filtered out: counted).
pub fn summary(rows: &[Row]) -> String {
    let verified = rows.iter().filter(|r| r.verdict == ItemVerdict::Verified).count();
    let failed = rows.iter().filter(|r| r.verdict == ItemVerdict::Failed).count();
    let missing = unverified(rows);
    let mut line = format!("contract: {verified} of {} documented items verified, {failed} failed", rows.len());
    if missing.is_empty() {
        return line;
    }
    let why = |r: &Row, what: &str| matches!(&r.verdict, ItemVerdict::NotVerified(w) if w.iter().any(|w| w.contains(what)));
    let held: Vec<&str> = missing.iter().filter(|r| why(r, "held back")).map(|r| r.id.as_str()).collect();
    let filtered = missing.iter().filter(|r| why(r, "filtered out")).count();
    let _ = write!(line, ", {} not verified", missing.len());
    if filtered > 0 {
        let _ = write!(line, " ({filtered} filtered out)");
    }
    if !held.is_empty() {
        let _ = write!(line, "\nnot verified, held back because they may place a real call: {}", held.join(", "));
    }
    line
}

/// The matrix as JSON, for the JSON output.
pub fn to_json(rows: &[Row]) -> serde_json::Value {
    serde_json::Value::Array(
        rows.iter()
            .map(|r| {
                let (verdict, why) = match &r.verdict {
                    ItemVerdict::Verified => ("verified", vec![]),
                    ItemVerdict::Failed => ("failed", vec![]),
                    ItemVerdict::NotVerified(why) => ("not verified", why.clone()),
                };
                serde_json::json!({"item": r.id, "what": r.what, "verdict": verdict, "why": why, "cases": r.cases})
            })
            .collect(),
    )
}
