//! Tests of the case loader: what loads, and where each error points.

use serde_json::Value;

use super::*;
use crate::located::Source;

fn vars() -> Vars {
    let mut v = Vars::default();
    for (k, val) in [("accountKey", "acc"), ("agentId", "1234")] {
        v.set(k, val).unwrap();
    }
    v
}

fn yaml(text: &str) -> Source {
    Source { path: "cases/t.yaml".into(), text: text.into() }
}

const SCHEMAS: &[&str] = &["error", "call-created"];

fn load_text(text: &str) -> Result<Vec<Case>, LocatedError> {
    load(&[yaml(text)], &vars(), SCHEMAS)
}

const GOOD: &str = "cases:\n  - name: one\n    covers: example-1\n    request:\n      json: {from: {agentId: \"${agentId}\"}, to: {telephoneNumber: {repeat: \"7\", times: 3}}}\n    expect:\n      status: 201\n      schema: call-created\n";

#[test]
fn loads_and_resolves_a_case() {
    let cases = load_text(GOOD).unwrap();
    let case = &cases[0];
    assert_eq!(case.test_name(), "t::one");
    assert_eq!(case.line, 2);
    assert_eq!(case.request.path, "/v0/acc/calls/");
    assert_eq!(case.request.method, "POST");
    assert!(case.request.auth);
    assert_eq!(case.request.headers, vec![("Content-Type".to_owned(), "application/json".to_owned())]);
    let json = case.request.json.as_ref().unwrap();
    assert_eq!(json["from"]["agentId"], "1234");
    assert_eq!(json["to"]["telephoneNumber"], "777");
    assert_eq!(serde_json::from_slice::<Value>(&case.request.body).unwrap(), *json);
    assert_eq!(case.expect.one().and_then(|e| e.media_type.as_deref()), Some("application/json"));
}

#[test]
fn unknown_key_names_line_column_and_field() {
    let err = load_text(&GOOD.replace("      status: 201", "      status: 201\n      stauts: 2")).unwrap_err();
    assert_eq!(err.file, "cases/t.yaml");
    assert_eq!((err.line, err.column), (8, 7), "{err}");
    assert!(err.message.starts_with("unknown field `stauts`"), "{err}");
    assert!(err.field.starts_with("cases[0].expect"), "{err}");
    assert!(err.message.contains("stauts"), "{err}");
}

#[test]
fn wrong_type_names_the_field() {
    let err = load_text(&GOOD.replace("status: 201", "status: created")).unwrap_err();
    assert_eq!(err.line, 7, "{err}");
    assert!(err.field.contains("expect.status"), "{err}");
}

#[test]
fn unknown_variable_is_reported_where_it_stands() {
    let err = load_text(&GOOD.replace("${agentId}", "${agentID}")).unwrap_err();
    assert_eq!((err.line, err.column), (5, 31), "{err}");
    assert!(err.message.contains("agentID"), "{err}");
}

#[test]
fn semantic_errors_point_at_the_field_itself() {
    for (from, to, field, at) in [
        ("schema: call-created", "schema: nope", "cases[0].expect.schema", (8, 15)),
        ("status: 201", "status: 99", "cases[0].expect.status", (7, 15)),
        ("status: 201", "status: [201, 99]", "cases[0].expect.status[1]", (7, 21)),
        ("name: one", "name: One", "cases[0].name", (2, 11)),
        ("      status: 201\n", "      any_of: [{status: 201}]\n", "cases[0].expect", (7, 7)),
        ("      status: 201\n      schema: call-created\n", "      any_of: [{status: 201, any_of: [{status: 400}]}]\n", "cases[0].expect.any_of[0].any_of", (7, 38)),
        ("      status: 201\n      schema: call-created\n", "      any_of: [{schema: error}]\n", "cases[0].expect.any_of[0].status", (7, 16)),
        ("    covers: example-1\n", "    covers: example-1\n    tags: [boundary, slow]\n", "cases[0].tags[1]", (4, 22)),
        ("    covers: example-1\n", "    covers: [example-1, \" \"]\n", "cases[0].covers[1]", (3, 25)),
        ("      json:", "      headers: {Bad Name: x}\n      json:", "cases[0].request.headers.Bad Name", (5, 17)),
        ("      json:", "      method: P0ST\n      json:", "cases[0].request.method", (5, 15)),
        ("times: 3", "times: -3", "cases[0].request.json.to.telephoneNumber", (5, 67)),
        ("      json:", "      auth_scheme: Bearer $X\n      json:", "cases[0].request.auth_scheme", (5, 20)),
        ("    covers: example-1\n", "    covers: example-1\n    standard: \" \"\n", "cases[0].standard", (4, 15)),
        ("    covers: example-1\n", "    covers: example-1\n    standard: RFC 1\n    documented: true\n", "cases[0].documented", (5, 17)),
    ] {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "{from}");
        let err = load_text(&text).unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert_eq!((err.line, err.column), at, "{err}");
    }
}

#[test]
fn a_missing_field_points_at_the_key_that_should_hold_it() {
    let err = load_text(&GOOD.replace("      status: 201\n", "")).unwrap_err();
    assert_eq!(err.field, "cases[0].expect.status", "{err}");
    assert_eq!((err.line, err.column), (6, 5), "{err}");
    let raw = GOOD.replace("json: {from: {agentId: \"${agentId}\"}, to: {telephoneNumber: {repeat: \"7\", times: 3}}}", "raw: hello");
    let err = load_text(&raw).unwrap_err();
    assert_eq!(err.field, "cases[0].request.headers", "{err}");
    assert_eq!((err.line, err.column), (4, 5), "{err}");
}

#[test]
fn a_duplicate_name_points_at_the_second_one() {
    let twice = format!("{GOOD}{}", GOOD.trim_start_matches("cases:\n").replace("status: 201", "status: 400"));
    let err = load_text(&twice).unwrap_err();
    assert_eq!(err.field, "cases[1].name", "{err}");
    assert_eq!((err.line, err.column), (9, 11), "{err}");
    assert!(err.message.contains("earlier case"), "{err}");
}

#[test]
fn anchors_and_quoted_keys_are_located() {
    let text = "cases:\n  - name: one\n    covers: &c example-1\n    request: {}\n    expect: {\"status\": 201}\n  - name: two\n    covers: *c\n    request: {}\n    expect: {\"status\": 1000}\n";
    let err = load_text(text).unwrap_err();
    assert_eq!(err.field, "cases[1].expect.status", "{err}");
    assert_eq!((err.line, err.column), (9, 24), "{err}");
    assert_eq!(load_text(&text.replace("1000", "400")).unwrap()[1].line, 6);
}

#[test]
fn duplicate_names_empty_files_and_raw_without_type_fail() {
    let twice = format!("{GOOD}{}", GOOD.trim_start_matches("cases:\n"));
    assert!(load_text(&twice).unwrap_err().message.contains("earlier case"));
    assert!(load_text("").unwrap_err().message.contains("empty"));
    assert_eq!(load_text("cases: []\n").unwrap_err().field, "cases");
    let raw = GOOD.replace("json: {from: {agentId: \"${agentId}\"}, to: {telephoneNumber: {repeat: \"7\", times: 3}}}", "raw: hello");
    assert_eq!(load_text(&raw).unwrap_err().field, "cases[0].request.headers");
}

#[test]
fn json_case_files_load_and_report_positions() {
    let json = r#"{"cases": [{"name": "j", "covers": ["415: unsupported content type"],
            "request": {"raw": "x", "headers": {"Content-Type": "text/plain"}},
            "expect": {"status": 415, "message": "m"}}]}"#;
    let src = Source { path: "mine/j.json".into(), text: json.into() };
    let cases = load(std::slice::from_ref(&src), &vars(), SCHEMAS).unwrap();
    assert_eq!(cases[0].test_name(), "j::j");
    assert_eq!(cases[0].request.body, b"x");
    assert_eq!(cases[0].line, 1);
    let broken = Source { text: json.replace("\"status\": 415", "\"status\": \"415\""), ..src.clone() };
    let err = load(&[broken], &vars(), SCHEMAS).unwrap_err();
    assert_eq!((err.line, err.column), (3, 34), "{err}");
    assert_eq!(err.field, "cases[0].expect.status", "{err}");
    for (from, to, field, at) in [
        ("\"status\": 415", "\"status\": 999", "cases[0].expect.status", (3, 34)),
        ("\"status\": 415, ", "", "cases[0].expect.status", (3, 13)),
        ("\"message\"", "\"mesage\"", "cases[0].expect.mesage", (3, 39)),
        ("\"raw\": \"x\"", "\"raw\": 7", "cases[0].request.raw", (2, 32)),
        ("\"name\": \"j\"", "\"n\\u0061me\": \"J\"", "cases[0].name", (1, 26)),
        ("\"Content-Type\"", "\"Content Type\"", "cases[0].request.headers.Content Type", (2, 49)),
        ("[\"415: unsupported content type\"]", "[\"ok\", \"\"]", "cases[0].covers[1]", (1, 43)),
    ] {
        let text = json.replace(from, to);
        assert_ne!(text, json, "{from}");
        let err = load(&[Source { text, ..src.clone() }], &vars(), SCHEMAS).unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert_eq!((err.line, err.column), at, "{err}");
    }
}

#[test]
fn same_stem_twice_is_an_error() {
    let a = yaml(GOOD);
    let b = Source { path: "other/t.json".into(), text: "{}".into() };
    assert!(load(&[a, b], &vars(), SCHEMAS).unwrap_err().message.contains("same name"));
}

#[test]
fn a_bad_variable_is_reported_where_it_is_written() {
    for (text, field, at) in [
        ("agentId: '1'\nbad-name: x\n", "bad-name", (2, 1)),
        ("agentId: '1'\ngroups: [a, b]\n", "groups", (2, 9)),
        ("{\"agentId\": \"1\",\n \"groups\": {}}", "groups", (2, 12)),
    ] {
        let ext = if text.starts_with('{') { "json" } else { "yaml" };
        let err = load_vars(&Source { path: format!("v.{ext}"), text: text.into() }).unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert_eq!((err.line, err.column), at, "{err}");
    }
}

#[test]
fn broken_files_give_errors_not_panics() {
    let json = r#"{"cases": [{"name": "j", "covers": ["x", "y"], "tags": ["boundary"],
            "request": {"raw": "ç", "headers": {"Content-Type": "text/plain"}},
            "expect": {"status": [415], "message": "m", "any_of": []}}]}"#;
    for (path, text) in [("cases/t.yaml", GOOD), ("cases/t.json", json)] {
        let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for (n, &at) in bounds.iter().enumerate() {
            let next = bounds.get(n + 1).copied().unwrap_or(at);
            let mut variants = vec![text[..at].to_owned()];
            for odd in ["", "{", "}", "[", "\"", ":", "\n", " ", "-", "é", "\\", "#"] {
                variants.push(format!("{}{odd}{}", &text[..at], &text[next..]));
            }
            for variant in variants {
                let source = Source { path: path.into(), text: variant };
                if let Err(err) = load(&[source], &vars(), SCHEMAS) {
                    assert!(!err.message.is_empty() && err.line >= 1 && err.column >= 1, "{err}");
                }
            }
        }
    }
}

#[test]
fn the_quick_case_lines_agree_with_the_parser() {
    for source in crate::suite::source::shipped() {
        let spots = Spots::of(&source);
        let quick = case_lines(&source).expect("shipped files use the usual layout");
        let parsed: Vec<usize> = (0..quick.len()).map(|i| spots.locate(&format!("cases[{i}].name"), true).0).collect();
        assert_eq!(quick, parsed, "{}", source.path);
        assert!(spots.contains(&format!("cases[{}]", quick.len() - 1)), "{}", source.path);
        assert!(!spots.contains(&format!("cases[{}]", quick.len())), "{}", source.path);
    }
    // Another layout: the name is not the first key, so the count does not fit.
    let source = Source { path: "x.yaml".into(), text: "cases:\n  - covers: a\n    name: b\n".into() };
    assert_eq!(case_lines(&source), Some(vec![]));
}

#[test]
fn one_case_expands_within_one_budget_request_and_expectation_together() {
    let half = "{repeat: \"x\", times: 524280}";
    let body = GOOD.replace("{repeat: \"7\", times: 3}", half);
    assert!(load_text(&body).is_ok());
    let err = load_text(&body.replace("agentId: \"${agentId}\"", &format!("agentId: {half}"))).unwrap_err();
    assert_eq!(err.field, "cases[0].request.json.to.telephoneNumber", "{err}");
    assert!(err.message.contains("1048576-byte limit"), "{err}");
    let long_message = body.replace("schema: call-created", &format!("message: \"{}\"", "m".repeat(600_000)));
    let err = load_text(&long_message).unwrap_err();
    assert_eq!(err.field, "cases[0].expect.message", "{err}");
    assert_eq!((err.line, err.column), (8, 16), "{err}");
}

#[test]
fn everything_the_cases_hold_is_capped_together_expectations_too() {
    let mut long = vars();
    long.set("long", &"m".repeat(1000)).unwrap();
    let case = |i: usize| format!("  - name: c{i}\n    covers: x\n    request: {{json: {{}}}}\n    expect: {{status: 400, message: '${{long}}'}}\n");
    let text = format!("cases:\n{}", (0..10).map(case).collect::<String>());
    let sources = [yaml(&text)];
    let cases = load(&sources, &long, SCHEMAS).unwrap();
    let one = held(&cases[0]);
    assert!(one > 1000, "the expected message counts: {one}");
    assert!(cases.iter().all(|c| held(c) == one));
    assert_eq!(load_within(&sources, &long, SCHEMAS, &Total::new(10 * one)).unwrap().len(), 10);
    let err = load_within(&sources, &long, SCHEMAS, &Total::new(10 * one - 1)).unwrap_err();
    assert_eq!((err.field.as_str(), err.line), ("cases[9]", 38), "{err}");
    assert!(err.message.contains("together hold over") && err.message.contains("expected messages"), "{err}");
}

#[test]
fn one_case_holds_at_most_its_cap_its_body_counted_as_sent_and_as_json() {
    // A body of small numbers: 2 bytes each as sent, a JSON node each once parsed.
    let numbers = |n: usize| format!("[{}0]", "0,".repeat(n));
    let case = |body: &str| {
        let text = format!(r#"{{"cases": [{{"name": "nums", "covers": "x", "request": {{"json": {body}}}, "expect": {{"status": 400}}}}]}}"#);
        load(&[Source { path: "cases/t.json".into(), text }], &vars(), SCHEMAS)
    };
    let small = case(&numbers(1000)).unwrap();
    let per_node = held(&small[0]) / 1000;
    assert!(per_node >= size_of::<Value>(), "{per_node}");
    let err = case(&numbers(MAX_CASE / size_of::<Value>())).unwrap_err();
    assert_eq!(err.field, "cases[0]", "{err}");
    assert!(err.message.contains(&format!("over the {MAX_CASE}-byte limit on one case")), "{err}");
}

#[test]
fn a_standard_makes_a_case_undocumented_and_the_scheme_and_challenge_are_kept() {
    let text = GOOD
        .replace("    covers: example-1\n", "    covers: example-1\n    standard: RFC 9110 §11.1\n")
        .replace("      json:", "      auth_scheme: bearer\n      json:")
        .replace("      schema: call-created\n", "      challenge: Bearer\n");
    let case = &load_text(&text).unwrap()[0];
    assert_eq!((case.documented, case.standard.as_deref()), (false, Some("RFC 9110 §11.1")));
    assert_eq!(case.request.auth_scheme, "bearer");
    assert_eq!(case.expect.one().and_then(|e| e.challenge.as_deref()), Some("Bearer"));
    let plain = &load_text(GOOD).unwrap()[0];
    assert_eq!((plain.documented, plain.standard.as_deref(), plain.request.auth_scheme.as_str()), (true, None, BEARER));
}
