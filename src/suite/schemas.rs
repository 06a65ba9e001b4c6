//! Schemas: the JSON Schemas under `schemas/`, embedded, compiled once on first use, and
//! applied to response bodies (and, in tests, to requests and case files).
//!
//! Draft 2020-12, formats checked, nothing fetched: every schema is self-contained.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The shipped schemas (`schemas/*.json`), by the name cases use in
/// `expect.schema` (the file name without `.schema.json`), sorted: listed by
/// `build.rs`, so that a new file is shipped as it is added.
pub const SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_schemas.rs"));

/// The shipped schemas, each compiled on first use (a run against the
/// endpoint needs two of the four), then kept.
pub struct Schemas {
    validators: BTreeMap<&'static str, (&'static str, Compiled)>,
}

/// A schema compiled on first use.
type Compiled = OnceLock<Result<jsonschema::Validator, SchemaError>>;

/// A shipped schema that does not compile (a build that ships it is broken).
#[derive(Clone, Debug, thiserror::Error)]
#[error("schemas/{name}.schema.json: {reason}")]
pub struct SchemaError {
    pub name: String,
    pub reason: String,
}

fn compile_one(name: &str, text: &str) -> Result<jsonschema::Validator, SchemaError> {
    let error = |reason: String| SchemaError { name: name.to_owned(), reason };
    let schema: Value = serde_json::from_str(text).map_err(|e| error(e.to_string()))?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| error(e.to_string()))
}

impl Schemas {
    /// The shipped schemas, each compiled on first use (`every_schema_compiles`
    /// proves that each does).
    pub fn shipped() -> Schemas {
        Schemas { validators: SHIPPED.iter().map(|&(name, text)| (name, (text, OnceLock::new()))).collect() }
    }

    /// The names a case may use.
    pub fn names(&self) -> Vec<&'static str> {
        self.validators.keys().copied().collect()
    }

    /// Compiles these schemas now (unknown names are left for `validate` to report).
    pub fn warm(&self, names: &[&str]) {
        for name in names {
            if let Some((text, compiled)) = self.validators.get(name) {
                compiled.get_or_init(|| compile_one(name, text));
            }
        }
    }

    /// Validates `instance`; each error reads `at <instance path>: <what>`.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), Vec<String>> {
        let errors: Vec<String> =
            self.errors(name, instance).into_iter().map(|(path, what)| format!("at {path}: {what}")).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Every way `instance` breaks the schema: (instance path, what). An unknown
    /// schema or one that does not compile is one error at `/`.
    pub fn errors(&self, name: &str, instance: &Value) -> Vec<(String, String)> {
        let Some((text, compiled)) = self.validators.get(name) else {
            return vec![("/".into(), format!("no schema named `{name}`"))];
        };
        match compiled.get_or_init(|| compile_one(name, text)) {
            Err(e) => vec![("/".into(), e.to_string())],
            Ok(validator) => validator
                .iter_errors(instance)
                .map(|e| {
                    let path = e.instance_path().to_string();
                    (if path.is_empty() { "/".to_owned() } else { path }, e.to_string())
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn documented_201() -> Value {
        crate::server::faults::page_example_201()
    }

    #[test]
    fn every_schema_compiles() {
        let s = Schemas::shipped();
        assert_eq!(s.names(), vec!["call-created", "case", "error", "request", "vars"]);
        for (name, text) in SHIPPED {
            compile_one(name, text).unwrap();
        }
        assert!(compile_one("broken", r#"{"type": 12}"#).unwrap_err().to_string().starts_with("schemas/broken.schema.json: "));
    }

    #[test]
    fn the_documented_201_is_valid_and_extra_fields_are_tolerated() {
        let s = Schemas::shipped();
        s.validate("call-created", &documented_201()).unwrap();
        let mut extra = documented_201();
        extra["somethingNew"] = json!(1);
        extra["from"]["more"] = json!("x");
        s.validate("call-created", &extra).unwrap();
    }

    #[test]
    fn deviations_from_the_201_are_caught_with_their_path() {
        let s = Schemas::shipped();
        let cases: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
            ("/id", Box::new(|v| v["id"] = json!("not-a-uuid"))),
            ("/", Box::new(|v| { v.as_object_mut().unwrap().remove("dispositionCode"); })),
            ("/", Box::new(|v| { v.as_object_mut().unwrap().remove("links"); })),
            ("/", Box::new(|v| { v.as_object_mut().unwrap().remove("status"); })),
            ("/links", Box::new(|v| v["links"][0]["rel"] = json!("self"))),
            ("/from", Box::new(|v| v["from"] = json!("1234"))),
        ];
        for (path, mutate) in cases {
            let mut body = documented_201();
            mutate(&mut body);
            let errors = s.validate("call-created", &body).unwrap_err();
            assert!(errors.iter().any(|e| e.starts_with(&format!("at {path}"))), "{path}: {errors:?}");
        }
    }

    #[test]
    fn error_body_needs_a_string_message() {
        let s = Schemas::shipped();
        s.validate("error", &json!({"message": "x", "extra": 1})).unwrap();
        assert!(s.validate("error", &json!({"Message": "x"})).is_err());
        assert!(s.validate("error", &json!({"message": 1})).is_err());
    }
}
