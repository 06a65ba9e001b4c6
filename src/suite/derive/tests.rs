//! Tests of the derived suite: the shipped model reads, build.rs reads it alike,
//! every rule is crossed with every pair of forms it applies to, a rule added
//! to the model gets its cases without writing them, names are unique and
//! stable, and a broken model is an error at its place.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Breaks, Model, SHIPPED};
use super::*;
use crate::located::Source;
use crate::server::rules;

fn default_vars() -> Vars {
    crate::suite::load_vars(&crate::suite::source::shipped_vars()).unwrap()
}

fn model_with(extra: &str, at: &str) -> Result<Model, crate::located::LocatedError> {
    let text = SHIPPED.1.replacen(at, &format!("{extra}{at}"), 1);
    assert_ne!(text, SHIPPED.1, "{at:?} is not in the model");
    Model::read(&Source { path: SHIPPED.0.into(), text })
}

/// The level of each dimension a case was sent in, read back from its name
/// (a level that writes nothing is not named: the dimension's empty level).
fn form_of(model: &Model, case: &Case) -> Vec<String> {
    let segments: BTreeSet<&str> = case.name.split('.').collect();
    model
        .forms
        .iter()
        .map(|dim| {
            let named = dim.levels.iter().find(|l| !l.set.is_empty() && segments.contains(l.name.as_str()));
            let empty = dim.levels.iter().find(|l| l.set.is_empty());
            named.or(empty).map_or_else(|| "-".to_owned(), |l| l.name.clone())
        })
        .collect()
}

#[test]
fn build_rs_reads_the_model_as_it_is_parsed() {
    let model = shipped().unwrap();
    let messages: Vec<(&str, &str)> =
        model.rules.iter().filter_map(|r| r.message.as_deref().map(|m| (r.id.as_str(), m))).collect();
    assert_eq!(rules::msg::ALL, messages.as_slice());
    assert_eq!(messages.len(), 18);
    for rule in &model.rules {
        assert!(rule.message.is_none() || rules::msg::ALL.iter().any(|(id, _)| *id == rule.id), "{}", rule.id);
    }
    let limits: BTreeMap<&str, usize> = model
        .rules
        .iter()
        .filter_map(|r| match &r.breaks {
            Breaks::Limit(l) => Some((r.id.as_str(), l.max)),
            _ => None,
        })
        .collect();
    let server = BTreeMap::from([
        ("agent-id-too-long", rules::MAX_AGENT_DIGITS),
        ("application-too-long", rules::MAX_APPLICATION_CHARS),
        ("number-too-long", rules::MAX_NUMBER_CHARS),
        ("reference-too-long", rules::MAX_REFERENCE_CHARS),
    ]);
    assert_eq!(limits, server);
    let echoes: Vec<(&str, &str)> =
        model.fields.iter().filter_map(|f| f.echo.as_deref().map(|e| (f.pointer.as_str(), e))).collect();
    assert_eq!(crate::checks::ECHOES, echoes.as_slice());
    assert!(echoes.contains(&("/from/groups", "/from/groups")) && echoes.contains(&("/from/presentedCLID", "/from/presentedClid")));
}

#[test]
fn every_rule_meets_every_pair_of_levels_of_the_forms_it_applies_to() {
    let model = shipped().unwrap();
    let cases = derived(&default_vars(), Depth::Default).unwrap();
    // Each rule (on each field, where it governs several one at a time), by the case names.
    let per_field = |rule: &super::model::Rule| rule.fields.len() > 1 && !matches!(rule.breaks, Breaks::Neither | Breaks::Both);
    let mut by_target: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for case in &cases {
        let mut parts = case.name.split('.');
        let rule = parts.next().unwrap();
        let target = match model.rule(rule) {
            Some(r) if per_field(r) => format!("{rule}.{}", parts.next().unwrap()),
            _ => rule.to_owned(),
        };
        by_target.entry(target).or_default().push(form_of(model, case));
    }
    let targets: usize = model.rules.iter().map(|r| if per_field(r) { r.fields.len() } else { 1 }).sum();
    assert_eq!(by_target.len(), targets + 1, "every rule on every field, and the success forms: {:?}", by_target.keys());
    for (target, forms) in &by_target {
        let rule = model.rule(target.split('.').next().unwrap());
        // The levels each dimension took for this rule (only the field's where it is about one).
        let seen: Vec<BTreeSet<&str>> = (0..model.forms.len()).map(|d| forms.iter().map(|f| f[d].as_str()).collect()).collect();
        for d1 in 0..model.forms.len() {
            for d2 in (d1 + 1)..model.forms.len() {
                for a in &seen[d1] {
                    for b in &seen[d2] {
                        assert!(forms.iter().any(|f| &f[d1] == a && &f[d2] == b), "{target}: never {a} with {b}");
                    }
                }
            }
        }
        // A dimension the rule does not fix takes every level.
        let fixed = |d: usize| rule.is_some_and(|r| r.fields.iter().any(|p| model.forms[d].levels.iter().any(|l| l.set.contains_key(p))));
        for (d, dim) in model.forms.iter().enumerate().filter(|&(d, _)| !fixed(d)) {
            assert_eq!(seen[d].len(), dim.levels.len(), "{target}: {} takes {:?}", dim.dimension, seen[d]);
        }
    }
    // The state rules about the calling agent stay where from names an agent; the others reach groups.
    let froms = |rule: &str| -> BTreeSet<String> {
        cases.iter().filter(|c| c.name.starts_with(&format!("{rule}."))).map(|c| form_of(model, c)[0].clone()).collect()
    };
    assert_eq!(froms("calling-agent-busy"), BTreeSet::from(["from-agent".to_owned()]));
    assert_eq!(froms("ccxml-disabled").len(), 3);
    assert_eq!(froms("invalid-number").len(), 3);
}

#[test]
fn a_rule_added_to_the_model_is_probed_in_every_form_without_a_case_written() {
    let rule = "  - id: clid-too-long\n    message: \"Presented CLID exceeds 20 characters\"\n    fields: [/from/presentedCLID]\n    \
                breaks: {limit: {max: 20, unit: characters, subject: presented clid}}\n    why: a rule the page does not have\n";
    let model = model_with(rule, "  - id: from-both\n").unwrap();
    let vars = default_vars();
    let ours = |depth: Depth| -> Vec<Case> {
        cases::build(&model, &vars, depth, &Total::new(MAX_SUITE)).unwrap().into_iter().filter(|c| c.name.starts_with("clid-too-long.")).collect()
    };
    for depth in [Depth::Default, Depth::Exhaustive] {
        let cases = ours(depth);
        // Over the limit, counted in every character, in every from and to form, with and without each other option.
        for probe in ["over", "plus-sign", "spaces", "punctuation"] {
            assert!(cases.iter().any(|c| c.name.starts_with(&format!("clid-too-long.{probe}."))), "{depth:?}: no {probe}");
        }
        let forms: BTreeSet<Vec<String>> = cases.iter().map(|c| form_of(&model, c)).collect();
        for from in ["from-agent", "from-group", "from-groups"] {
            for to in ["to-number", "to-agent"] {
                assert!(forms.iter().any(|f| f[0] == from && f[1] == to), "{depth:?}: never {from} to {to}");
            }
        }
        for case in &cases {
            assert_eq!(case.expect.one().and_then(|e| e.message.as_deref()), Some("Presented CLID exceeds 20 characters"));
            let clid = case.request.json.as_ref().and_then(|b| b.pointer("/from/presentedCLID")).and_then(|v| v.as_str()).unwrap();
            assert_eq!(clid.chars().count(), 21, "{}", case.name);
            assert_eq!(case.covers, ["400: Presented CLID exceeds 20 characters", "limit: presented clid 20 characters"]);
            assert_eq!((case.source.as_str(), case.line), (SHIPPED.0, model.lines[model.rules.iter().position(|r| r.id == "clid-too-long").unwrap()]));
        }
        if depth == Depth::Exhaustive {
            // Every form: 3 from x 2 to x 2^4 other options (the CLID is always there), for 4 probes.
            assert_eq!(cases.len(), 3 * 2 * 16 * 4);
        }
    }
}

#[test]
fn names_are_unique_stable_and_start_from_the_common_form() {
    let first = derived(&default_vars(), Depth::Default).unwrap();
    let again = derived(&default_vars(), Depth::Default).unwrap();
    assert_eq!(first, again);
    let names: BTreeSet<&str> = first.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), first.len());
    for name in ["ccxml-disabled.from-agent.to-number", "number-too-long.over.from-agent.to-number", "created.from-agent.to-number"] {
        assert!(names.contains(name), "{name}");
    }
    let all = derived(&default_vars(), Depth::Exhaustive).unwrap();
    let every: BTreeSet<&str> = all.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(every.len(), all.len());
    assert!(names.is_subset(&every), "the default depth picks from the exhaustive one");
    assert!(first.iter().all(|c| c.file == FILE && c.test_name().starts_with("derived::")));
}

#[test]
fn the_default_depth_is_a_few_hundred_requests() {
    let default = derived(&default_vars(), Depth::Default).unwrap();
    let exhaustive = derived(&default_vars(), Depth::Exhaustive).unwrap();
    assert!((150..=230).contains(&default.len()), "{}", default.len());
    assert!(exhaustive.len() > 20 * default.len(), "{}", exhaustive.len());
    let calls = default.iter().filter(|c| c.may_place_call()).count();
    assert!(calls <= 40, "{calls} derived cases may place a call");
}

#[test]
fn variables_apply_and_a_huge_one_is_an_error_not_an_allocation() {
    let mut vars = default_vars();
    vars.set("busyAgentId", "3141").unwrap();
    let cases = derived(&vars, Depth::Default).unwrap();
    let busy = cases.iter().find(|c| c.name.starts_with("calling-agent-busy.")).unwrap();
    assert_eq!(busy.request.json.as_ref().unwrap()["from"]["agentId"], "3141");
    vars.set("telephoneNumber", &"7".repeat(600_000)).unwrap();
    let err = derived(&vars, Depth::Default).unwrap_err();
    assert_eq!(err.file, SHIPPED.0);
    assert!(err.message.contains("limit"), "{err}");
}

#[test]
fn a_broken_model_is_an_error_at_its_place() {
    let unknown_field = "  - id: odd\n    message: \"Odd\"\n    fields: [/from/nope]\n    breaks: domain\n    why: x\n";
    let err = model_with(unknown_field, "  - id: from-both\n").unwrap_err();
    assert_eq!((err.field.as_str(), err.message.as_str()), ("rules[18].fields[0]", "`/from/nope` is not one of the fields"));
    let text = SHIPPED.1.replacen("  - id: from-both\n", &format!("{unknown_field}  - id: from-both\n"), 1);
    assert_eq!(Some(err.line), text.lines().position(|l| l == "    fields: [/from/nope]").map(|n| n + 1), "{err}");
    let both = "  - id: odd\n    message: \"Odd\"\n    item: \"undocumented: odd\"\n    breaks: neither\n    fields: [/to/agentId, /to/telephoneNumber]\n    why: x\n";
    assert!(model_with(both, "  - id: from-both\n").unwrap_err().message.contains("not both"));
    let answer = "    unknown: [no-such-rule]\n";
    let err = model_with(answer, "  - pointer: /from/consent\n").unwrap_err();
    assert!(err.field == "fields[2].unknown" && err.message.contains("no-such-rule"), "{err}");
    let textual = "  - id: odd\n    message: \"Odd\"\n    fields: [/from/presentedCLID]\n    breaks: domain\n    why: x\n";
    assert!(model_with(textual, "  - id: from-both\n").unwrap_err().message.contains("domain with probes"));
    let apart = "  - id: odd\n    item: \"undocumented: odd\"\n    fields: [/from/agentId, /to/agentId]\n    breaks: both\n    why: x\n";
    assert!(model_with(apart, "  - id: from-both\n").unwrap_err().message.contains("one object"));
    let kind = "  - id: odd\n    message: \"Odd\"\n    breaks: sideways\n    why: x\n";
    let err = model_with(kind, "  - id: from-both\n").unwrap_err();
    assert!(err.field.starts_with("rules[18].breaks") && err.line > 1, "{err}");
}
