//! TAP: the run as a Test Anything Protocol (version 14) stream, which Hurl's
//! and nextest's users know and many CI systems read. One test point per
//! selected case, in plan order; a failure carries a YAML block with its
//! headline, its file and line, and what it covers; held-back and unsent cases
//! are `# SKIP` with the reason.

use std::fmt::Write as _;

use crate::peer_text;
use crate::result::{RunOutcome, Verdict};

/// How much of a headline a failure's YAML block holds.
const HEADLINE_SHOWN: usize = 500;

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// The report as TAP 14.
pub fn render(outcome: &RunOutcome) -> String {
    let selected: Vec<_> = outcome.selected().collect();
    let mut out = format!("TAP version 14\n# target: {}\n1..{}\n", outcome.run.target, selected.len());
    for (i, result) in selected.iter().enumerate() {
        let n = i + 1;
        let name = &result.case.name;
        match &result.verdict {
            Verdict::Passed => {
                let _ = writeln!(out, "ok {n} - {name}");
            }
            Verdict::Failed(_) | Verdict::Broken(_) => {
                let headline = result.headline().unwrap_or_default();
                let _ = writeln!(out, "not ok {n} - {name}");
                let _ = writeln!(out, "  ---");
                let _ = writeln!(out, "  message: {}", quoted(&peer_text::shown(&headline, &outcome.redactor, HEADLINE_SHOWN)));
                let _ = writeln!(out, "  severity: {}", if matches!(result.verdict, Verdict::Broken(_)) { "error" } else { "fail" });
                let _ = writeln!(out, "  at:\n    file: {}\n    line: {}", quoted(&result.case.source), result.case.line);
                let _ = writeln!(out, "  covers: {}", quoted(&result.case.covers.join("; ")));
                let _ = writeln!(out, "  ...");
            }
            _ => {
                let _ = writeln!(out, "ok {n} - {name} # SKIP {}", result.ignored_reason().unwrap_or_default());
            }
        }
    }
    if outcome.run.interrupted {
        out.push_str("# interrupted: not every case ran\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{TransportError, TransportKind};
    use crate::result::{Finding, HoldReason, RunInfo, test_support::result};
    use crate::secrets::Redactor;

    #[test]
    fn every_selected_case_is_a_test_point() {
        let outcome = RunOutcome {
            results: vec![
                result("f::a", Verdict::Passed),
                result("f::b", Verdict::Failed(vec![Finding::Message { expected: "x".into(), actual: "y\u{1b}[2K".into() }])),
                result("f::c", Verdict::Held(HoldReason::PlacesCall)),
                result("f::d", Verdict::FilteredOut),
                result("f::e", Verdict::Broken(TransportError::new(TransportKind::Timeout, "late"))),
            ],
            run: RunInfo {
                target: "http://h (deployment)".into(),
                started: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                total: std::time::Duration::ZERO,
                interrupted: false,
            },
            redactor: Redactor::new(),
        };
        let tap = render(&outcome);
        assert!(tap.starts_with("TAP version 14\n# target: http://h (deployment)\n1..4\nok 1 - f::a\nnot ok 2 - f::b\n  ---\n"), "{tap}");
        assert!(tap.contains(r#"  message: "message: expected \"x\", got \"y\\u{1b}[2K\"""#), "{tap}");
        assert!(tap.contains("  at:\n    file: \"cases/f.yaml\"\n    line: 3\n"), "{tap}");
        assert!(tap.contains(&format!("ok 3 - f::c # SKIP {}\n", HoldReason::PlacesCall.text())), "{tap}");
        assert!(tap.contains("not ok 4 - f::e\n  ---\n  message: \"no usable response: timeout\"\n  severity: error\n"), "{tap}");
        assert!(!tap.contains("f::d") && !tap.contains('\u{1b}'), "{tap}");
    }
}
