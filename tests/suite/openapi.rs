//! `schemas/openapi.yaml` stays consistent with the case files and the contract
//! list: every documented example is there with the case's body, every
//! documented message is among the 400 examples, the 415 example is the case's
//! message, and every `$ref` names a schema file that exists.

use serde_json::Value;
use vcc_conformance::exec::load_shipped;

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/openapi.yaml");
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).expect("openapi.yaml parses")
}

fn operation(doc: &Value) -> &Value {
    &doc["paths"]["/v0/{accountKey}/calls/"]["post"]
}

#[test]
fn it_is_openapi_3_1_with_the_one_operation() {
    let doc = openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(operation(&doc).is_object());
    let statuses: Vec<&String> = operation(&doc)["responses"].as_object().unwrap().keys().collect();
    for status in ["201", "400", "401", "415"] {
        assert!(statuses.iter().any(|s| *s == status), "no {status} response");
    }
}

#[test]
fn every_documented_example_is_there_with_the_cases_body() {
    let doc = openapi();
    let examples = &operation(&doc)["requestBody"]["content"]["application/json"]["examples"];
    let cases = load_shipped().unwrap().cases;
    for n in 1..=8 {
        let id = format!("example-{n}");
        let case = cases.iter().find(|c| c.file == "examples" && c.covers.contains(&id)).unwrap();
        let in_doc = &examples[&id]["value"];
        assert_eq!(Some(in_doc), case.request.json.as_ref(), "{id} differs between openapi.yaml and cases/examples.yaml");
    }
}

#[test]
fn every_documented_message_is_among_the_error_examples() {
    let doc = openapi();
    let responses = &operation(&doc)["responses"];
    let examples: Vec<&str> = responses["400"]["content"]["application/json"]["examples"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|e| e["value"]["message"].as_str())
        .collect();
    let items = vcc_conformance::coverage::items().unwrap();
    let messages: Vec<&str> = items.iter().filter_map(|i| i.id.strip_prefix("400: ")).collect();
    assert_eq!(messages.len(), 18);
    for m in &messages {
        assert!(examples.contains(m), "openapi.yaml lacks the 400 example {m:?}");
    }
    assert_eq!(examples.len(), messages.len(), "an example that is not documented");
    let cases = load_shipped().unwrap().cases;
    let multipart = cases.iter().find(|c| c.name == "multipart-form-data").unwrap();
    assert_eq!(responses["415"]["content"]["application/json"]["example"]["message"].as_str(), multipart.expect.one().and_then(|e| e.message.as_deref()));
}

#[test]
fn every_ref_names_an_existing_schema() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = openapi();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() >= 3);
    for r in found {
        let file = r.strip_prefix("./").unwrap_or(r);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(file);
        assert!(path.is_file(), "$ref {r} names no file");
    }
    let schemas = vcc_conformance::suite::Schemas::shipped();
    let created = &operation(&doc)["responses"]["201"]["content"]["application/json"]["example"];
    schemas.validate("call-created", created).unwrap();
}
