//! A live run against a record, case by case. What breaks the contract comes
//! first: a case the live side fails is `BREAKS THE CONTRACT`, whatever the
//! record says (with the diff from the record's answer where it had one to the
//! same request). A case the live side passes is `same` when it answers as the
//! record did (status, body and headers, what differs by nature set aside:
//! [`super::exchange`]), or `CHANGED, within the contract`. A case the record
//! lacks, or whose request is not the record's (the case or the variables
//! changed since), is `NOT COMPARED`, and so is one either side got no answer
//! to. Over the cases both answered, the latency ([`super::latency`]).

use super::exchange::Exchange;
use super::latency::{Latency, Threshold};
use super::record::Record;
use super::{Answer, Comparison, Row, Sides, compared, difference, refused, unanswered};
use crate::report::text;
use crate::result::{CaseResult, Finding, RunOutcome, Verdict};
use crate::secrets::Redactor;

/// Every compared case of the live run against the record, and the latency.
pub fn compare(live: &RunOutcome, record: &Record, sides: &Sides, threshold: Threshold) -> (Vec<Row>, Option<Latency>) {
    let mut times = Vec::new();
    let rows = live
        .results
        .iter()
        .filter(|r| compared(r))
        .map(|result| {
            let now = Exchange::of_live(result, &live.redactor);
            let recorded = record.entry(&result.case.name).map(Exchange::of);
            let both = now.as_ref().zip(recorded.as_ref()).filter(|(n, r)| n.request.differs_in(&r.request).is_none());
            let answered = |x: &Exchange| match x.answer {
                Answer::Http { status, .. } => Some(status),
                Answer::NoResponse(_) => None,
            };
            let statuses = both.and_then(|(n, r)| answered(n).zip(answered(r)));
            if statuses.is_some()
                && let Some((n, r)) = both
            {
                times.push((n.millis, r.millis));
            }
            Row {
                name: result.case.name.clone(),
                comparison: one(result, now.as_ref(), recorded.as_ref(), sides, &live.redactor),
                both_refused: statuses.is_some_and(|(a, b)| refused(a) && refused(b)),
            }
        })
        .collect();
    (rows, Latency::of(&times, threshold))
}

/// Why a case cannot be compared with the record, if it cannot.
fn incomparable(now: &Exchange, recorded: Option<&Exchange>) -> Option<String> {
    let Some(recorded) = recorded else { return Some("not in the record".into()) };
    if recorded.thinned {
        return Some("the record kept no headers or body of it (its archive was over its size)".into());
    }
    now.request
        .differs_in(&recorded.request)
        .map(|part| format!("its request's {part} differs from the record's: the case or the variables changed since"))
}

/// One case.
fn one(result: &CaseResult, now: Option<&Exchange>, recorded: Option<&Exchange>, sides: &Sides, redactor: &Redactor) -> Comparison {
    let Some(now) = now else {
        return Comparison::NotCompared(result.ignored_reason().unwrap_or("not sent").to_owned());
    };
    match &result.verdict {
        Verdict::Failed(findings) => breaks(findings, now, recorded, sides, redactor),
        Verdict::Passed => {
            if let Some(unanswered) = recorded.and_then(|r| unanswered(&now.answer, &r.answer)) {
                return unanswered;
            }
            match (incomparable(now, recorded), recorded) {
                (None, Some(recorded)) => changed(now, recorded, sides),
                (why, _) => Comparison::NotCompared(why.unwrap_or_default()),
            }
        }
        Verdict::Broken(e) => Comparison::Unanswered { a: Some(e.kind.label().to_owned()), b: None },
        _ => Comparison::NotCompared(result.ignored_reason().unwrap_or("not judged").to_owned()),
    }
}

/// A case the live side fails: its findings, and how its answer compares with the record's.
fn breaks(findings: &[Finding], now: &Exchange, recorded: Option<&Exchange>, sides: &Sides, redactor: &Redactor) -> Comparison {
    let mut headline = findings.first().map(one_line).unwrap_or_default();
    let mut detail = text::findings(findings, redactor);
    match (incomparable(now, recorded), recorded) {
        (None, Some(recorded)) if matches!(recorded.answer, Answer::NoResponse(_)) => {
            detail.push_str("the record got no answer to this case\n");
        }
        (None, Some(recorded)) => {
            if recorded.verdict == "failed" {
                headline.push_str(" (failed in the record too)");
            }
            if now.header_changes(recorded).is_none() && difference(&now.answer, &recorded.answer).is_none() {
                detail.push_str("the record got the same answer\n");
            } else {
                detail.push_str("the answer against the record's:\n");
                detail.push_str(&sides.text_diff(&now.shown(), &recorded.shown()));
            }
        }
        (why, _) => detail.push_str(&format!("not compared with the record: {}\n", why.unwrap_or_default())),
    }
    Comparison::Breaks { headline, detail }
}

/// A finding in one line; of a case that allows several answers, with the
/// first answer's first finding.
fn one_line(finding: &Finding) -> String {
    match finding {
        Finding::NoAlternative { alternatives } => match alternatives.first().and_then(|(_, f)| f.first()) {
            Some(first) => format!("{} (answer 1: {})", finding.headline().trim_end_matches(':'), one_line(first)),
            None => finding.headline(),
        },
        other => other.headline(),
    }
}

/// A case the live side passes, against the record's answer to the same request.
fn changed(now: &Exchange, recorded: &Exchange, sides: &Sides) -> Comparison {
    let parts: Vec<String> = [difference(&now.answer, &recorded.answer), now.header_changes(recorded)].into_iter().flatten().collect();
    if parts.is_empty() {
        return Comparison::Same;
    }
    let mut headline = parts.join("; ");
    if recorded.verdict == "failed" {
        headline.push_str(" (the record failed this case)");
    }
    Comparison::Changed { headline, diff: sides.text_diff(&now.shown(), &recorded.shown()) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::exchange::Response;
    use crate::located::Source;
    use crate::report::har;
    use crate::result::{RunInfo, test_support::result};

    /// A case answered `status` with `body` and these headers, in `millis`.
    fn answered(name: &str, verdict: Verdict, status: u16, body: &str, headers: &[(&str, &str)], millis: u64) -> CaseResult {
        let mut r = result(name, verdict);
        r.response = Some(Response {
            status,
            headers: headers.iter().map(|(n, v)| ((*n).into(), (*v).into())).collect(),
            body: body.as_bytes().to_vec(),
        });
        r.time = Duration::from_millis(millis);
        r
    }

    fn outcome(target: &str, results: Vec<CaseResult>) -> RunOutcome {
        let run = RunInfo { target: target.into(), started: chrono::Utc::now(), total: Duration::ZERO, interrupted: false };
        RunOutcome { run, results, redactor: Redactor::new() }
    }

    /// The record of `results`, as `run --record-answers` writes it and `diff` reads it back.
    fn record(results: Vec<CaseResult>) -> Record {
        let text = har::render(&outcome("http://b:2 (deployment)", results));
        Record::parse(&Source { path: "r.har".into(), text }).unwrap()
    }

    fn sides() -> Sides {
        Sides::record("http://a:1 (deployment)".into(), "record of http://b:2 (deployment)".into())
    }

    const MESSAGE: &str = r#"{"message":"Agent Id must contain digits only"}"#;

    /// An entry the record kept thin (its archive was over its size) is not compared.
    #[test]
    fn a_thinned_entry_is_not_compared() {
        let passed = |name: &str| answered(name, Verdict::Passed, 400, MESSAGE, &[], 1);
        let mut har: serde_json::Value = serde_json::from_str(&har::render(&outcome("http://b:2 (deployment)", vec![passed("f::thin")]))).unwrap();
        har["log"]["entries"][0]["_thinned"] = serde_json::json!(true);
        let recorded = Record::parse(&Source { path: "r.har".into(), text: har.to_string() }).unwrap();
        let live = outcome("http://a:1 (deployment)", vec![passed("f::thin")]);
        let (rows, _) = compare(&live, &recorded, &sides(), Threshold::default());
        assert!(matches!(&rows[0].comparison, Comparison::NotCompared(why) if why.contains("kept no headers or body")), "{:?}", rows[0].comparison);
    }

    #[test]
    fn each_case_is_same_changed_broken_or_not_compared() {
        let passed = |name: &str, body: &str, headers: &[(&str, &str)]| answered(name, Verdict::Passed, 400, body, headers, 1);
        let typo = Finding::Message { expected: "Agent Id must contain digits only".into(), actual: "Agent Id must contain digits onl".into() };
        let recorded = record(vec![
            passed("f::same", MESSAGE, &[("date", "Mon"), ("content-length", "47")]),
            passed("f::headers", MESSAGE, &[]),
            passed("f::reworded", r#"{"message":"old words"}"#, &[]),
            passed("f::typo", MESSAGE, &[]),
            answered("f::failed-before", Verdict::Failed(vec![typo.clone()]), 400, MESSAGE, &[], 1),
            passed("f::other-request", MESSAGE, &[]),
        ]);
        let mut other_request = passed("f::other-request", MESSAGE, &[]);
        if let Some(req) = &mut other_request.request {
            req.body = b"{}".to_vec();
        }
        let live = outcome("http://a:1 (deployment)", vec![
            passed("f::same", MESSAGE, &[("date", "Tue"), ("content-length", "48"), ("transfer-encoding", "chunked")]),
            passed("f::headers", MESSAGE, &[("x-powered-by", "ASP.NET")]),
            passed("f::reworded", r#"{"message":"new words"}"#, &[]),
            answered("f::typo", Verdict::Failed(vec![typo.clone()]), 400, r#"{"message":"Agent Id must contain digits onl"}"#, &[], 1),
            answered("f::failed-before", Verdict::Failed(vec![typo]), 400, MESSAGE, &[], 1),
            other_request,
            passed("f::new", MESSAGE, &[]),
            result("f::filtered", Verdict::FilteredOut),
        ]);
        let (rows, latency) = compare(&live, &recorded, &sides(), Threshold::default());
        let by_name = |name: &str| &rows.iter().find(|r| r.name == name).unwrap().comparison;
        assert_eq!(rows.len(), 7, "the filtered-out case is not listed");
        assert_eq!(*by_name("f::same"), Comparison::Same, "dates and framing differ by nature");
        assert!(matches!(by_name("f::headers"), Comparison::Changed { headline, .. } if headline == "headers added: x-powered-by"));
        assert!(matches!(by_name("f::reworded"), Comparison::Changed { headline, diff }
            if headline == "message differs" && diff.contains("-  \"message\": \"new words\"\n+  \"message\": \"old words\"")));
        let Comparison::Breaks { headline, detail } = by_name("f::typo") else { panic!("{:?}", by_name("f::typo")) };
        assert!(headline.starts_with("message: expected \"Agent Id must contain digits only\", got") && !headline.contains("too"), "{headline}");
        assert!(detail.contains("the answer against the record's:\n--- A = http://a:1 (deployment)\n+++ B = record of"), "{detail}");
        let Comparison::Breaks { headline, detail } = by_name("f::failed-before") else { panic!() };
        assert!(headline.ends_with(" (failed in the record too)") && detail.ends_with("the record got the same answer\n"), "{detail}");
        assert_eq!(*by_name("f::new"), Comparison::NotCompared("not in the record".into()));
        assert!(matches!(by_name("f::other-request"), Comparison::NotCompared(why) if why.starts_with("its request's body differs")));
        let summary = super::super::Summary { latency, ..super::super::Summary::of(&rows, 0) };
        assert_eq!((summary.same, summary.differing, summary.breaking, summary.unanswered), (1, 2, 2, 2));
        assert_eq!(latency.map(|l| l.cases), Some(5), "the cases both answered to the same request");
        let text = super::super::table(&rows, &sides(), &summary, true, &Redactor::new());
        assert!(text.contains("f::headers") && text.contains("CHANGED, within the contract: headers added: x-powered-by"), "{text}");
        assert!(text.contains("BREAKS THE CONTRACT: message: expected") && !text.contains("f::same "), "{text}");
        assert!(text.contains("2 of 7 cases break the contract; 2 changed within the contract; 2 not compared\nlatency over"), "{text}");
    }

    #[test]
    fn no_answer_on_either_side_is_not_compared() {
        let broken = |name: &str| {
            let mut r = result(name, Verdict::Broken(crate::exchange::TransportError::new(crate::exchange::TransportKind::Timeout, "slow")));
            r.time = Duration::from_secs(10);
            r
        };
        let recorded = record(vec![broken("f::then"), answered("f::now", Verdict::Passed, 400, MESSAGE, &[], 1)]);
        let live = outcome("a", vec![answered("f::then", Verdict::Passed, 400, MESSAGE, &[], 1), broken("f::now")]);
        let (rows, latency) = compare(&live, &recorded, &sides(), Threshold::default());
        assert_eq!(rows[0].comparison, Comparison::Unanswered { a: None, b: Some("timeout".into()) });
        assert_eq!(rows[1].comparison, Comparison::Unanswered { a: Some("timeout".into()), b: None });
        assert_eq!(latency, None);
    }
}
