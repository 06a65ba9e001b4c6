//! The shipped data agrees with itself and with the page: every case file
//! validates against `schemas/case.schema.json`; every request expected to
//! succeed validates against `schemas/request.schema.json` and every request-only
//! negative case does not; every documented example and message has a case; the
//! embedded file list matches the `cases/` folder; every shipped case file and
//! the variables file name their schema for editors on their first line.

use std::collections::BTreeSet;

use serde_json::Value;
use vcc_conformance::suite::{self as cases, Case};
use vcc_conformance::exec::load_shipped;
use vcc_conformance::suite::Schemas;

/// The 18 documented 400 messages, from the contract model (`contract/rules.yaml`,
/// which `coverage --page` checks against the page).
fn documented_400() -> Vec<String> {
    let model = vcc_conformance::suite::derive::model::Model::shipped().unwrap();
    let messages: Vec<String> = model.rules.iter().filter_map(|r| r.message.clone()).collect();
    assert_eq!(messages.len(), 18);
    messages
}

fn shipped() -> (Vec<Case>, std::sync::Arc<Schemas>) {
    let suite = load_shipped().expect("the shipped cases load");
    (suite.cases.to_vec(), suite.schemas)
}

#[test]
fn every_case_file_validates_against_the_case_schema() {
    let schemas = Schemas::shipped();
    for (path, text) in cases::SHIPPED {
        let doc: Value = serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Err(errors) = schemas.validate("case", &doc) {
            panic!("{path} breaks schemas/case.schema.json:\n{}", errors.join("\n"));
        }
    }
}

#[test]
fn the_case_schema_rejects_what_the_loader_rejects() {
    let schemas = Schemas::shipped();
    let good = serde_json::json!({"cases": [{"name": "a", "covers": "example-1",
        "request": {"json": {}}, "expect": {"status": 201}}]});
    schemas.validate("case", &good).unwrap();
    let broken = [
        serde_json::json!({"cases": [{"name": "a", "covers": "x", "request": {}, "expect": {"status": 201, "stauts": 1}}]}),
        serde_json::json!({"cases": [{"name": "A", "covers": "x", "request": {}, "expect": {"status": 201}}]}),
        serde_json::json!({"cases": [{"name": "a", "covers": "x", "request": {}, "expect": {"status": "201"}}]}),
        serde_json::json!({"cases": [{"name": "a", "covers": "x", "request": {"json": 1, "raw": "x"}, "expect": {"status": 201}}]}),
        serde_json::json!({"cases": [{"name": "a", "covers": "x", "request": {}, "expect": {"status": 201, "any_of": [{"status": 400}]}}]}),
        serde_json::json!({"cases": []}),
    ];
    for doc in broken {
        assert!(schemas.validate("case", &doc).is_err(), "{doc}");
    }
}

#[test]
fn requests_meant_to_succeed_match_the_request_schema_and_request_only_negatives_do_not() {
    let (cases, schemas) = shipped();
    let model = vcc_conformance::suite::derive::model::Model::shipped().unwrap();
    let state_messages: Vec<&String> = model.rules.iter().filter(|r| r.needs_state()).filter_map(|r| r.message.as_ref()).collect();
    let mut positives = 0;
    for case in &cases {
        let Some(body) = &case.request.json else { continue };
        let valid = schemas.validate("request", body);
        let must_succeed = case.expect.one().is_some_and(|e| e.status.as_slice() == [201]);
        if must_succeed {
            positives += 1;
            assert!(valid.is_ok(), "{} expects 201 but its body breaks the request schema: {valid:?}", case.test_name());
        }
        // A derived case of a rule of the request alone, where every answer is a
        // refusal that does not depend on the account, breaks the schema; one of a
        // rule of the account's state breaks nothing in the request.
        let rule = (case.file == vcc_conformance::suite::derive::FILE).then(|| model.rule(case.name.split('.').next().unwrap_or(""))).flatten();
        let refused_by_the_request = case.expect.alternatives().iter().all(|a| {
            a.status.as_slice() == [400] && !a.message.as_ref().is_some_and(|m| state_messages.contains(&m))
        });
        let request_only_negative = (matches!(case.file.as_str(), "errors-request" | "characters")
            || rule.is_some_and(|r| !r.needs_state()) && refused_by_the_request)
            && !must_succeed;
        if request_only_negative || case.name.starts_with("example-8") {
            assert!(valid.is_err(), "{} should break a documented request rule", case.test_name());
        }
        if rule.is_some_and(|r| r.needs_state()) {
            assert!(valid.is_ok(), "{} breaks the request schema: {valid:?}", case.test_name());
        }
    }
    assert!(positives >= 10, "{positives}");
}

#[test]
fn every_documented_example_and_message_has_a_case() {
    let (cases, _) = shipped();
    let covered: BTreeSet<&str> = cases.iter().flat_map(|c| c.covers.iter().map(String::as_str)).collect();
    for n in 1..=8 {
        assert!(covered.contains(format!("example-{n}").as_str()), "example-{n} has no case");
    }
    for message in &documented_400() {
        let asserted = cases.iter().any(|c| {
            c.expect.alternatives().iter().any(|a| a.message.as_ref() == Some(message))
        });
        assert!(asserted, "no case expects the documented message {message:?}");
        assert!(covered.contains(format!("400: {message}").as_str()), "no case covers \"400: {message}\"");
    }
    let unsupported: Vec<&Case> = cases.iter().filter(|c| c.expect.one().is_some_and(|e| e.status.as_slice() == [415])).collect();
    assert!(unsupported.len() >= 2, "the 415 needs multipart/form-data and another type");
    assert!(unsupported.iter().any(|c| c.expect.one().and_then(|e| e.message.as_deref())
        == Some("The requested resource does not support content type 'multipart/form-data'.")));
}

#[test]
fn every_documented_item_has_a_case_and_every_claim_exists() {
    let (cases, _) = shipped();
    let items = vcc_conformance::coverage::items().unwrap();
    let problems = vcc_conformance::coverage::problems(&items, &cases);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // And the check can fail both ways.
    let mut claims_too_much = cases[0].clone();
    claims_too_much.covers = vec!["example-9".into()];
    assert_eq!(vcc_conformance::coverage::problems(&items, &[claims_too_much]).iter().filter(|p| p.contains("example-9")).count(), 1);
    let without_example_3: Vec<_> = cases.iter().filter(|c| !c.covers.contains(&"example-3".to_owned())).cloned().collect();
    assert!(vcc_conformance::coverage::problems(&items, &without_example_3).contains(&"documented item `example-3` has no case".to_owned()));
}

#[test]
fn negative_cases_say_exactly_what_they_expect() {
    let (cases, _) = shipped();
    for case in &cases {
        let documented_400 = case.covers.iter().any(|c| c.starts_with("400: "));
        let only_400 = case.expect.one().filter(|e| e.status.as_slice() == [400]);
        if documented_400 && only_400.is_some() && case.name != "example-8-all-parameters-is-rejected" {
            assert!(only_400.is_some_and(|e| e.message.is_some()), "{} covers a documented 400 but checks no message", case.test_name());
        }
        if !case.documented {
            let tag = if case.standard.is_some() { "standard" } else { "undocumented" };
            assert!(case.has_tag(tag), "{} is not documented but lacks the tag {tag}", case.test_name());
        }
        let may_create = case.expect.alternatives().iter().any(|a| a.status.contains(201));
        assert_eq!(may_create, case.has_tag("places-call"), "{}: places-call tag must match a possible 201", case.test_name());
    }
}

#[test]
fn the_embedded_list_matches_the_cases_folder() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| format!("cases/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|p| p != "cases/vars.yaml")
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = cases::SHIPPED.iter().map(|(p, _)| (*p).to_owned()).collect();
    assert_eq!(on_disk, embedded, "build.rs embeds every case file of cases/, sorted");
    for (path, text) in cases::SHIPPED {
        let on_disk = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
        assert_eq!(&on_disk, text, "{path} is embedded as it is on disk");
    }
    let vars = cases::load_vars(&cases::Source { path: "vars".into(), text: cases::SHIPPED_VARS.1.into() }).unwrap();
    for name in vcc_conformance::suite::vars::REQUIRED {
        assert!(vars.contains(name), "cases/vars.yaml lacks {name}");
    }
}

#[test]
fn the_embedded_schemas_are_every_json_file_of_the_schemas_folder() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().trim_end_matches(".json").trim_end_matches(".schema").to_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    on_disk.sort();
    let embedded: Vec<(String, String)> =
        vcc_conformance::suite::schemas::SHIPPED.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    assert_eq!(on_disk.len(), 5, "call-created, case, error, request, vars");
    assert_eq!(on_disk, embedded, "build.rs embeds every schemas/*.json, sorted, by its name");
}

/// The first line that points editors (yaml-language-server) at a file's schema.
fn schema_line(schema: &str) -> String {
    format!("# yaml-language-server: $schema=../schemas/{schema}")
}

fn compile_schema_file(name: &str) -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&schema).unwrap()
}

#[test]
fn every_shipped_file_names_its_schema_for_editors_and_matches_it() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    for (path, text) in vcc_conformance::suite::SHIPPED {
        assert_eq!(text.lines().next(), Some(schema_line("case.schema.json").as_str()), "{path}: first line");
    }
    let (vars_path, vars_text) = (vcc_conformance::suite::SHIPPED_VARS.0, vcc_conformance::suite::SHIPPED_VARS.1);
    assert_eq!(vars_text.lines().next(), Some(schema_line("vars.schema.json").as_str()), "{vars_path}: first line");
    // The line's path resolves from the file's folder.
    for schema in ["case.schema.json", "vars.schema.json"] {
        assert!(dir.join("../schemas").join(schema).is_file(), "{schema}");
    }
    let vars = compile_schema_file("vars.schema.json");
    let doc: Value = serde_saphyr::from_str(vars_text).unwrap();
    let errors: Vec<String> = vars.iter_errors(&doc).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{vars_path} breaks schemas/vars.schema.json: {errors:?}");
    // Every variable the cases rely on is offered for completion, with a description.
    let schema: Value = serde_json::from_str(include_str!("../../schemas/vars.schema.json")).unwrap();
    let mut offered: BTreeSet<String> = doc.as_object().unwrap().keys().cloned().collect();
    offered.extend(vcc_conformance::suite::vars::REQUIRED.iter().map(|n| n.to_string()));
    for name in offered {
        assert!(schema["properties"][&name]["description"].is_string(), "vars.schema.json does not describe {name}");
    }
}

#[test]
fn the_vars_schema_rejects_what_the_loader_rejects() {
    let vars = compile_schema_file("vars.schema.json");
    assert!(vars.is_valid(&serde_json::json!({"agentId": 1234, "mine": "x", "flag": true})));
    for (doc, text) in [
        (serde_json::json!({"agentId": ["1234"]}), "agentId: ['1234']"),
        (serde_json::json!({"agent-id": "1"}), "agent-id: '1'"),
        (serde_json::json!({"agentId": {"a": 1}}), "agentId: {a: 1}"),
        (serde_json::json!(["agentId"]), "[agentId]"),
    ] {
        assert!(!vars.is_valid(&doc), "{doc}");
        let source = vcc_conformance::suite::Source { path: "v.yaml".into(), text: text.into() };
        assert!(vcc_conformance::suite::load_vars(&source).is_err(), "the loader takes {text}");
    }
}

#[test]
fn character_probes_stay_within_every_length_limit() {
    let (cases, _) = shipped();
    let probes: Vec<&Case> = cases.iter().filter(|c| c.file == "characters").collect();
    assert!(probes.len() >= 20, "{}", probes.len());
    for case in probes {
        let body = case.request.json.as_ref().unwrap_or_else(|| panic!("{}: no JSON body", case.test_name()));
        for (pointer, max) in [("/from/agentId", 11), ("/to/agentId", 11), ("/application", 32), ("/regarding/reference", 2000)] {
            let Some(value) = body.pointer(pointer).and_then(Value::as_str) else { continue };
            // Counted in characters and in UTF-8 bytes, so that neither reading breaks the limit.
            assert!(value.chars().count() <= max && value.len() <= max, "{} {pointer}: {value:?} is over {max}", case.test_name());
        }
    }
}
