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
    /// The selected cases that cover it ran and passed; the others were
    /// filtered out (the user narrowed the run): named.
    VerifiedInPart(Vec<Gap>),
    /// A case that covers it failed.
    Failed,
    /// It was not verified: no case that covers it ran, or one was held back
    /// or not run: why.
    NotVerified(Vec<Gap>),
}

/// Why an item counts as not verified, one reason an item, for the summary:
/// the first that applies, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    HeldBack,
    AgentBusy,
    NotRun,
    FilteredOut,
    NoCase,
}

impl Reason {
    fn of(gaps: &[Gap]) -> Reason {
        let reason = |gap: &Gap| match gap {
            Gap::HeldBack(_) => Reason::HeldBack,
            Gap::AgentBusy(_) => Reason::AgentBusy,
            Gap::NotRun(_) => Reason::NotRun,
            Gap::FilteredOut(_) => Reason::FilteredOut,
            Gap::NoCase => Reason::NoCase,
        };
        gaps.iter().map(reason).min_by_key(|r| *r as u8).unwrap_or(Reason::NoCase)
    }

    /// How the count reads, and how the list of items is headed.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Reason::HeldBack => ("held back", "not verified, held back because they may place a real call"),
            Reason::AgentBusy => ("agent busy", "not verified, their agent stayed busy after this run's own calls"),
            Reason::NotRun => ("not run", "not verified, not run (the run was interrupted)"),
            Reason::FilteredOut => ("filtered out", "not verified, filtered out"),
            Reason::NoCase => ("with no case", "not verified, no case covers them"),
        }
    }
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
            let passed = covering.iter().any(|r| r.passed());
            let only_filtered = gaps.iter().all(|g| matches!(g, Gap::FilteredOut(_)));
            let verdict = match (failed, gaps.is_empty()) {
                (true, _) => ItemVerdict::Failed,
                (false, true) => ItemVerdict::Verified,
                (false, false) if passed && only_filtered => ItemVerdict::VerifiedInPart(gaps),
                (false, false) => ItemVerdict::NotVerified(gaps),
            };
            Row { id: item.id.clone(), what: item.what.clone(), verdict, cases: covering.iter().map(|r| r.case.name.clone()).collect() }
        })
        .collect()
}

/// The items the release gate (`--require-complete`) counts as not verified:
/// not verified, or verified only in part.
pub fn unverified(rows: &[Row]) -> Vec<&Row> {
    rows.iter().filter(|r| matches!(r.verdict, ItemVerdict::NotVerified(_) | ItemVerdict::VerifiedInPart(_))).collect()
}

/// The summary: how many documented items this run verified (and how many of
/// those only in part), how many failed, how many it did not verify and why,
/// each item under one reason, so that the counts add up to the whole; then
/// each list of items named.
pub fn summary(rows: &[Row]) -> String {
    let count = |want: fn(&ItemVerdict) -> bool| rows.iter().filter(|r| want(&r.verdict)).count();
    let in_part: Vec<&str> =
        rows.iter().filter(|r| matches!(r.verdict, ItemVerdict::VerifiedInPart(_))).map(|r| r.id.as_str()).collect();
    let verified = count(|v| *v == ItemVerdict::Verified) + in_part.len();
    let failed = count(|v| *v == ItemVerdict::Failed);
    let mut line = format!("contract: {verified} of {} documented items verified", rows.len());
    if !in_part.is_empty() {
        let _ = write!(line, " ({} of them in part: some of their cases filtered out)", in_part.len());
    }
    let _ = write!(line, ", {failed} failed");
    let mut lists: Vec<(Reason, Vec<&str>)> = Vec::new();
    for row in rows {
        if let ItemVerdict::NotVerified(gaps) = &row.verdict {
            let reason = Reason::of(gaps);
            match lists.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, ids)) => ids.push(&row.id),
                None => lists.push((reason, vec![&row.id])),
            }
        }
    }
    lists.sort_by_key(|(reason, _)| *reason as u8);
    let missing: usize = lists.iter().map(|(_, ids)| ids.len()).sum();
    if missing > 0 {
        let counts: Vec<String> = lists.iter().map(|(reason, ids)| format!("{} {}", ids.len(), reason.words().0)).collect();
        let _ = write!(line, ", {missing} not verified ({})", counts.join(", "));
    }
    for (reason, ids) in &lists {
        let _ = write!(line, "\n{}: {}", reason.words().1, ids.join("; "));
    }
    if !in_part.is_empty() {
        let _ = write!(line, "\nverified in part, some of their cases filtered out: {}", in_part.join("; "));
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
                    ItemVerdict::VerifiedInPart(gaps) => ("verified in part", gaps.iter().map(Gap::to_string).collect()),
                    ItemVerdict::Failed => ("failed", vec![]),
                    ItemVerdict::NotVerified(gaps) => ("not verified", gaps.iter().map(Gap::to_string).collect()),
                };
                serde_json::json!({"item": r.id, "what": r.what, "verdict": verdict, "why": why, "cases": r.cases})
            })
            .collect(),
    )
}
