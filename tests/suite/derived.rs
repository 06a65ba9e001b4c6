//! The derived suite catches what lax implementations get wrong, class by class
//! (issue 16: a rule checked in one form only, a 201 that drops a field of a
//! less common form, a limit miscounted, listed values taken loosely, an empty
//! value taken for one), and raises no alarm on the faithful rules. Each lax
//! implementation is the reference server's rules with one change, answering
//! in process (the HTTP faults of `serve --fault` are the self-test's).
//!
//! And the contract model is the one place of each message and limit:
//! contract/items.yaml, schemas/openapi.yaml and the case files agree with it;
//! the derived cases are listed, selected and deepened from the command line.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use vcc_conformance::checks;
use vcc_conformance::exchange::Response;
use vcc_conformance::exec::load_shipped;
use vcc_conformance::server::fixture::Fixture;
use vcc_conformance::server::rules;
use vcc_conformance::suite::Case;
use vcc_conformance::suite::derive::{self, Depth, model::Model};

use crate::common::vcc_command;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// One change to the faithful rules: to the account and body before them, to the 201 after.
struct Lax {
    what: &'static str,
    before: fn(&mut String, &mut Value),
    after: fn(&mut Value),
}

fn same(_: &mut Value) {}

fn untouched(_: &mut String, _: &mut Value) {}

fn text_at<'a>(body: &'a Value, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer).and_then(Value::as_str)
}

const LAX: &[Lax] = &[
    Lax {
        what: "class 1: CCXML checked only on calls from an agent",
        before: |account, body| {
            if body.pointer("/from/groups").is_some() && account == "f6g7h8i9j0" {
                *account = "a1b2c3d4e5".into();
            }
        },
        after: same,
    },
    Lax {
        what: "class 1: an invalid number refused only on calls from an agent",
        before: |_, body| {
            if body.pointer("/from/groups").is_some() && text_at(body, "/to/telephoneNumber") == Some("00000000000") {
                body["to"]["telephoneNumber"] = json!("02072068888");
            }
        },
        after: same,
    },
    Lax { what: "class 2: the 201 leaves out from.groups", before: untouched, after: |b| drop(b["from"].as_object_mut().map(|f| f.remove("groups"))) },
    Lax {
        what: "class 2: the 201 leaves out to.consent when the call is to an agent",
        before: untouched,
        after: |b| {
            if b.pointer("/to/agentId").is_some() {
                b["to"].as_object_mut().map(|t| t.remove("consent"));
            }
        },
    },
    Lax {
        what: "class 3: the telephone number's limit counted in digits",
        before: |_, body| {
            if let Some(n) = text_at(body, "/to/telephoneNumber").filter(|n| n.chars().count() > 30) {
                let digits: String = n.chars().filter(char::is_ascii_digit).collect();
                if digits.len() <= 30 {
                    body["to"]["telephoneNumber"] = json!(digits);
                }
            }
        },
        after: same,
    },
    Lax {
        what: "class 3: agent IDs counted as numbers (leading zeros dropped)",
        before: |_, body| {
            for side in ["from", "to"] {
                if let Some(id) = text_at(body, &format!("/{side}/agentId")).filter(|id| id.len() > 11 && id.bytes().all(|b| b.is_ascii_digit())) {
                    body[side]["agentId"] = json!(id.trim_start_matches('0'));
                }
            }
        },
        after: same,
    },
    Lax {
        what: "class 3: the reference's limit checked on alphanumeric references only",
        before: |_, body| {
            if let Some(r) = text_at(body, "/regarding/reference").filter(|r| rules::is_url(r) && r.len() > 2000) {
                body["regarding"]["reference"] = json!(r[..2000]);
            }
        },
        after: same,
    },
    Lax {
        what: "class 4: consent values compared ignoring case and padding",
        before: |_, body| {
            for side in ["from", "to"] {
                let listed = ["Unknown", "OneParty", "TwoParty"];
                let sent = text_at(body, &format!("/{side}/consent")).map(str::trim);
                if let Some(value) = sent.and_then(|s| listed.iter().find(|v| v.eq_ignore_ascii_case(s))) {
                    body[side]["consent"] = json!(value);
                }
            }
        },
        after: same,
    },
    Lax {
        what: "class 5: an empty list of groups taken for a caller",
        before: |_, body| {
            if body.pointer("/from/groups") == Some(&json!([])) {
                body["from"]["groups"] = json!(["030"]);
            }
        },
        after: same,
    },
];

/// What the rules (with `lax`, if any) answer to a case's request.
fn answer(case: &Case, lax: Option<&Lax>) -> Response {
    let sent = checks::account_of(&case.request.path).unwrap_or_default().to_owned();
    let mut account = sent.clone();
    let mut body: Value = serde_json::from_slice(&case.request.body).unwrap_or(Value::Null);
    if let Some(lax) = lax {
        (lax.before)(&mut account, &mut body);
    }
    let bytes = serde_json::to_vec(&body).unwrap();
    let (status, mut out) = match rules::decide(&Fixture::builtin(), &account, Some("Bearer t"), Some("application/json"), &bytes) {
        Ok(call) => {
            let id = rules::new_call_id();
            (201, rules::created(&call, &id, &format!("http://h/V0/{sent}/Calls/{id}")))
        }
        Err(refused) => (refused.status, serde_json::json!({"message": refused.message})),
    };
    if let (201, Some(lax)) = (status, lax) {
        (lax.after)(&mut out);
    }
    let headers = vec![("content-type".to_owned(), "application/json; charset=utf-8".to_owned())];
    Response { status, headers, body: serde_json::to_vec(&out).unwrap() }
}

fn failing<'a>(cases: &'a [Case], lax: Option<&Lax>) -> Vec<&'a str> {
    let schemas = vcc_conformance::suite::Schemas::shipped();
    cases
        .iter()
        .filter(|c| !checks::check(&c.expect, &c.request, &answer(c, lax), &schemas).is_empty())
        .map(|c| c.name.as_str())
        .collect()
}

fn derived(depth: Depth) -> Vec<Case> {
    let cases = load_shipped().unwrap().cases;
    let vars = vcc_conformance::suite::load_vars(&vcc_conformance::suite::source::shipped_vars()).unwrap();
    let derived = derive::derived(&vars, depth).unwrap();
    if depth == Depth::Default {
        assert!(derived.iter().all(|d| cases.contains(d)), "the shipped suite holds the derived cases");
    }
    derived
}

#[test]
fn every_class_of_lax_implementation_fails_derived_cases_and_the_faithful_rules_pass_them() {
    let cases = derived(Depth::Default);
    assert_eq!(failing(&cases, None), Vec::<&str>::new(), "the faithful rules");
    for lax in LAX {
        let failed = failing(&cases, Some(lax));
        assert!(!failed.is_empty(), "no derived case catches: {}", lax.what);
    }
}

#[test]
fn the_exhaustive_depth_raises_no_alarm_either() {
    let cases = derived(Depth::Exhaustive);
    assert!(cases.len() > 5000, "{}", cases.len());
    assert_eq!(failing(&cases, None), Vec::<&str>::new(), "the faithful rules");
}

#[test]
fn items_openapi_and_case_files_agree_with_the_model() {
    let model = Model::shipped().unwrap();
    let messages: BTreeSet<String> = model.rules.iter().filter_map(|r| r.message.clone()).collect();
    assert_eq!(messages.len(), 18);
    // contract/items.yaml: a "400: <message>" item for each rule, no other; every item a rule covers exists.
    let items = vcc_conformance::coverage::items().unwrap();
    let listed: BTreeSet<String> = items.iter().filter_map(|i| i.id.strip_prefix("400: ").map(str::to_owned)).collect();
    assert_eq!(listed, messages);
    for item in model.rules.iter().flat_map(|r| r.items()).chain(model.created.covers.iter().cloned()) {
        assert!(items.iter().any(|i| i.id == item), "{item} is not in contract/items.yaml");
    }
    // schemas/openapi.yaml: its 400 examples are the model's messages.
    let openapi: Value = serde_saphyr::from_str(include_str!("../../schemas/openapi.yaml")).unwrap();
    let examples = &openapi["paths"]["/v0/{accountKey}/calls/"]["post"]["responses"]["400"]["content"]["application/json"]["examples"];
    let documented: BTreeSet<String> =
        examples.as_object().unwrap().values().filter_map(|e| e["value"]["message"].as_str().map(str::to_owned)).collect();
    assert_eq!(documented, messages);
    // A case that covers documented messages checks those, as the model spells them.
    let cases = load_shipped().unwrap().cases;
    for case in cases.iter() {
        let covered: Vec<&str> = case.covers.iter().filter_map(|c| c.strip_prefix("400: ")).collect();
        assert!(covered.iter().all(|c| messages.contains(*c)), "{}", case.test_name());
        for expected in case.expect.alternatives().iter().filter_map(|a| a.message.as_deref()) {
            assert!(covered.is_empty() || covered.contains(&expected), "{} covers {covered:?} but expects {expected:?}", case.test_name());
        }
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = vcc_command(BIN).arg("run").args(args).envs(env.iter().copied()).output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn derived_cases_are_listed_selected_and_deepened_from_the_command_line() {
    let (code, listed) = run(&["--list"], &[]);
    assert_eq!(code, Some(0), "{listed}");
    let names: Vec<&str> = listed.lines().filter_map(|l| l.strip_suffix(": test")).filter(|n| n.starts_with("derived::")).collect();
    assert_eq!(names.len(), derived(Depth::Default).len());
    assert!(names.contains(&"derived::ccxml-disabled.from-groups.to-agent.clid.reference.application"), "{listed}");
    let one = "derived::to-missing.empty-to.from-agent";
    let (code, out) = run(&["--exact", one], &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("running 1 test") && out.contains(&format!("test {one} ... ok")), "{out}");
    let (code, all) = run(&["--list", "derived::"], &[("VCC_DEPTH", "exhaustive")]);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.lines().count() > 20 * names.len(), "{}", all.lines().count());
    let (code, out) = run(&["--depth", "deep", "--list"], &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("default") && out.contains("exhaustive"), "{out}");
    let (code, out) = run(&["--dry-run", "--base-url", "https://emea.example.com", "--exact", one], &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("curl ") && out.contains(r#"{"from":{"agentId":"1234"},"to":{}}"#), "{out}");
}

#[test]
fn a_user_file_named_derived_is_refused() {
    let dir = std::env::temp_dir().join(format!("vcc-derived-name-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("derived.yaml");
    std::fs::write(&file, "cases:\n  - name: a\n    covers: example-1\n    request: {json: {}}\n    expect: {status: 400}\n").unwrap();
    let (code, out) = run(&["--cases", file.to_str().unwrap(), "--list"], &[]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("derived.yaml") && out.contains("taken by the cases derived"), "{out}");
}

