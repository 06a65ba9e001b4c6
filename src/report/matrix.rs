//! The contract matrix: every item the page documents (the examples, the
//! messages, the 415, the limits) with its verdict in this run: verified,
//! failed, or not verified and why. What a QA lead reads first; the HTML report
//! opens with it, the JSON output carries it, and `--require-complete` fails a
//! run that left a documented item unverified.

use std::fmt::Write as _;

use crate::coverage::Item;
use crate::result::{NotRun, RunOutcome, Verdict};

/// Why an item was not verified: a case that covers it did not run, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gap {
    /// The case (named) was not selected.
    FilteredOut(String),
    /// The case was held back: it may place a real call.
    HeldBack(String),
    /// The case was due to be sent and was not (the run was interrupted).
    NotRun(String),
    /// The case was sent, but its agent stayed busy after this run's own calls.
    AgentBusy(String),
    /// No case covers the item.
    NoCase,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::FilteredOut(case) => write!(f, "{case}: filtered out"),
            Gap::HeldBack(case) => write!(f, "{case}: held back (may place a real call)"),
            Gap::NotRun(case) => write!(f, "{case}: did not run"),
            Gap::AgentBusy(case) => write!(f, "{case}: its agent stayed busy after this run's calls"),
            Gap::NoCase => f.write_str("no case covers it"),
        }
    }
}

/// An item's verdict in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemVerdict {
    /// Every case that covers it ran and passed.
    Verified,
    /// A case that covers it failed.
    Failed,
    /// Some case that covers it did not run: why.
    NotVerified(Vec<Gap>),
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
pub fn rows(items: &[Item], outcome: &RunOutcome) -> Vec<Row> {
    items
        .iter()
        .filter(|i| i.documented)
        .map(|item| {
            let covering: Vec<_> = outcome.results.iter().filter(|r| r.case.covers.contains(&item.id)).collect();
            let mut failed = false;
            let mut gaps = Vec::new();
            for result in &covering {
                let name = result.case.name.clone();
                match &result.verdict {
                    Verdict::Passed => {}
                    Verdict::Failed(_) | Verdict::Broken(_) => failed = true,
                    Verdict::FilteredOut => gaps.push(Gap::FilteredOut(name)),
                    Verdict::Held(_) => gaps.push(Gap::HeldBack(name)),
                    Verdict::NotRun(NotRun::AgentStayedBusy) => gaps.push(Gap::AgentBusy(name)),
                    Verdict::NotRun(_) => gaps.push(Gap::NotRun(name)),
                }
            }
            if covering.is_empty() {
                gaps.push(Gap::NoCase);
            }
            let verdict = match (failed, gaps.is_empty()) {
                (true, _) => ItemVerdict::Failed,
                (false, true) => ItemVerdict::Verified,
                (false, false) => ItemVerdict::NotVerified(gaps),
            };
            Row { id: item.id.clone(), what: item.what.clone(), verdict, cases: covering.iter().map(|r| r.case.name.clone()).collect() }
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
    let why = |r: &Row, gap: fn(&Gap) -> bool| matches!(&r.verdict, ItemVerdict::NotVerified(g) if g.iter().any(gap));
    let held: Vec<&str> = missing.iter().filter(|r| why(r, |g| matches!(g, Gap::HeldBack(_)))).map(|r| r.id.as_str()).collect();
    let filtered = missing.iter().filter(|r| why(r, |g| matches!(g, Gap::FilteredOut(_)))).count();
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
                    ItemVerdict::NotVerified(gaps) => ("not verified", gaps.iter().map(Gap::to_string).collect()),
                };
                serde_json::json!({"item": r.id, "what": r.what, "verdict": verdict, "why": why, "cases": r.cases})
            })
            .collect(),
    )
}
