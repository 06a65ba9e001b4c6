//! Verdict: what a run concludes, said once for every output. The [`Contract`]
//! is the contract matrix with whether the release gate (`--require-complete`)
//! asks for every documented item; the [`Overall`] verdict follows from the
//! cases and that gate. The exit status, the JUnit contract case, the HTML
//! heading and GitHub's step summary all read these, so that a CI view never
//! disagrees with the status the run exits with.

use crate::report::matrix::{self, Gap, ItemVerdict, Row};
use crate::result::RunOutcome;

/// The contract in this run, and whether the gate requires all of it.
#[derive(Clone, Copy, Debug)]
pub struct Contract<'a> {
    pub rows: &'a [Row],
    /// `--require-complete`: a documented item not verified fails the run.
    pub required: bool,
}

impl<'a> Contract<'a> {
    pub fn new(rows: &'a [Row], required: bool) -> Contract<'a> {
        Contract { rows, required }
    }

    /// The items this run verified.
    pub fn verified(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.verdict, ItemVerdict::Verified | ItemVerdict::VerifiedInPart(_))).count()
    }

    /// The items a case of which failed.
    pub fn failed(&self) -> Vec<&'a Row> {
        self.rows.iter().filter(|r| r.verdict == ItemVerdict::Failed).collect()
    }

    /// The items this run did not verify (a case that covers them did not run).
    pub fn unverified(&self) -> Vec<&'a Row> {
        matrix::unverified(self.rows)
    }

    /// Whether the gate fails the run: completeness required and an item not verified.
    pub fn gate_fails(&self) -> bool {
        self.required && !self.unverified().is_empty()
    }

    /// `N of M documented items verified`, the line every view leads with.
    pub fn headline(&self) -> String {
        format!("{} of {} documented items verified", self.verified(), self.rows.len())
    }

    /// The headline and how many items failed: `N of M documented items verified, F failed`.
    pub fn counts(&self) -> String {
        format!("{}, {} failed", self.headline(), self.failed().len())
    }

    /// The unverified items, each with why: `example-1 (examples::example-1-agent-to-number: held back …)`.
    pub fn unverified_text(&self) -> Vec<String> {
        self.unverified().iter().map(|row| format!("{} ({})", row.id, why(row))).collect()
    }
}

/// An item's verdict in words: `verified`, `verified in part: …`, `FAILED`
/// or `not verified: …`.
pub fn item_text(row: &Row) -> String {
    match row.verdict {
        ItemVerdict::Verified => "verified".to_owned(),
        ItemVerdict::Failed => "FAILED".to_owned(),
        ItemVerdict::NotVerified(_) => format!("not verified: {}", why(row)),
        ItemVerdict::VerifiedInPart(_) => why(row),
    }
}

/// Why a row is not verified, its gaps joined.
pub fn why(row: &Row) -> String {
    match &row.verdict {
        ItemVerdict::NotVerified(gaps) => gaps.iter().map(Gap::to_string).collect::<Vec<_>>().join("; "),
        ItemVerdict::VerifiedInPart(gaps) => {
            format!("verified in part: {}", gaps.iter().map(Gap::to_string).collect::<Vec<_>>().join("; "))
        }
        ItemVerdict::Failed => "a case that covers it failed".into(),
        ItemVerdict::Verified => "verified".into(),
    }
}

/// The run's verdict, as its exit status has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overall {
    /// Stopped by Ctrl-C or SIGTERM before every case ran (status 130).
    Interrupted,
    /// A case failed or got no usable response (status 101).
    Failed { cases: usize },
    /// No case failed, but documented items went unverified; `gate`: and
    /// `--require-complete` fails the run for it (status 101), else it passes.
    Incomplete { unverified: usize, gate: bool },
    /// Every selected case passed and every documented item was verified.
    Passed,
}

impl Overall {
    pub fn of(outcome: &RunOutcome, contract: &Contract<'_>) -> Overall {
        let failed = outcome.failed().count();
        let unverified = contract.unverified().len();
        if outcome.run.interrupted {
            Overall::Interrupted
        } else if failed > 0 {
            Overall::Failed { cases: failed }
        } else if unverified > 0 {
            Overall::Incomplete { unverified, gate: contract.required }
        } else {
            Overall::Passed
        }
    }

    /// Whether the run fails (any status but 0).
    pub fn fails(self) -> bool {
        !matches!(self, Overall::Passed | Overall::Incomplete { gate: false, .. })
    }

    /// The verdict in a few words: `FAILED: 4 cases failed`.
    pub fn text(self) -> String {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            Overall::Interrupted => "INTERRUPTED: not every case ran".into(),
            Overall::Failed { cases } => format!("FAILED: {cases} case{} failed", s(cases)),
            Overall::Incomplete { unverified, gate: true } => {
                format!("FAILED: {unverified} documented item{} not verified (--require-complete)", s(unverified))
            }
            Overall::Incomplete { unverified, gate: false } => {
                format!("PASSED, incomplete: {unverified} documented item{} not verified", s(unverified))
            }
            Overall::Passed => "PASSED".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{Finding, HoldReason, RunInfo, Verdict, test_support::result};
    use crate::secrets::Redactor;

    fn row(id: &str, verdict: ItemVerdict) -> Row {
        Row { id: id.into(), what: String::new(), verdict, cases: vec![] }
    }

    fn outcome(verdicts: Vec<Verdict>, interrupted: bool) -> RunOutcome {
        RunOutcome {
            results: verdicts.into_iter().enumerate().map(|(i, v)| result(&format!("f::{i}"), v)).collect(),
            run: RunInfo { target: "t".into(), started: chrono::Utc::now(), total: Default::default(), interrupted },
            redactor: Redactor::new(),
        }
    }

    #[test]
    fn the_gate_and_the_verdict_agree_with_the_exit_status() {
        let held = ItemVerdict::NotVerified(vec![Gap::HeldBack("examples::one".into())]);
        let rows = [row("example-1", held), row("example-2", ItemVerdict::Verified)];
        let (open, gated) = (Contract::new(&rows, false), Contract::new(&rows, true));
        assert_eq!(open.headline(), "1 of 2 documented items verified");
        assert_eq!(open.unverified_text(), ["example-1 (examples::one: held back (may place a real call))"]);
        assert!(!open.gate_fails() && gated.gate_fails());

        let passing = outcome(vec![Verdict::Passed, Verdict::Held(HoldReason::PlacesCall)], false);
        assert_eq!(Overall::of(&passing, &open), Overall::Incomplete { unverified: 1, gate: false });
        assert!(!Overall::of(&passing, &open).fails());
        assert_eq!(Overall::of(&passing, &gated).text(), "FAILED: 1 documented item not verified (--require-complete)");
        assert!(Overall::of(&passing, &gated).fails());

        let failing = outcome(vec![Verdict::Failed(vec![Finding::NoId]), Verdict::Failed(vec![Finding::NoId])], false);
        assert_eq!(Overall::of(&failing, &open).text(), "FAILED: 2 cases failed");
        assert_eq!(Overall::of(&outcome(vec![], true), &open), Overall::Interrupted);
        let all = [row("example-2", ItemVerdict::Verified)];
        assert_eq!(Overall::of(&outcome(vec![Verdict::Passed], false), &Contract::new(&all, true)), Overall::Passed);
    }
}
