//! Variables: `${name}` substitution in case paths, headers and bodies, and the
//! `{repeat: S, times: N}` generator for long values.
//!
//! Defaults come from the shipped `cases/vars.yaml` (they match the reference
//! server's built-in fixture); `--vars FILE` and `--var NAME=VALUE` override them,
//! in that order. An unknown `${name}` is an error, never an empty string.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The variable names every deployment must be able to supply: the state-dependent
/// cases are written in terms of them.
pub const REQUIRED: &[&str] = &[
    "accountKey",
    "ccxmlDisabledAccountKey",
    "agentId",
    "otherAgentId",
    "busyAgentId",
    "unreachableAgentId",
    "unknownAgentId",
    "groupId",
    "callbackNumber",
    "telephoneNumber",
    "invalidNumber",
];

/// The largest string a `{repeat, times}` generator may produce (1 MiB): a typo
/// in `times` must be a load error, not an out-of-memory abort.
pub const MAX_GENERATED: usize = 1 << 20;

/// A set of variables, name to value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

/// Why an expansion failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarError {
    /// `${name}` names no variable.
    Unknown(String),
    /// `${` without a closing `}`, or an empty or ill-formed name.
    Malformed(String),
    /// A `{repeat, times}` generator with wrong types or a result over [`MAX_GENERATED`].
    Generator(String),
}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarError::Unknown(name) => write!(f, "unknown variable `${{{name}}}`"),
            VarError::Malformed(text) => write!(f, "malformed variable reference in `{text}`"),
            VarError::Generator(why) => write!(f, "bad generator: {why}"),
        }
    }
}

impl std::error::Error for VarError {}

/// One `${name}` reference found in a text, with its byte offset.
#[derive(Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    pub offset: usize,
    pub name: &'a str,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every `${name}` in `text`, in order. An unclosed `${` or an ill-formed name is
/// an error at the offset of its `$`.
pub fn references(text: &str) -> Result<Vec<Reference<'_>>, (usize, VarError)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(pos) = text[rest..].find("${") {
        let start = rest + pos;
        let Some(len) = text[start + 2..].find('}') else {
            return Err((start, VarError::Malformed(text[start..].chars().take(40).collect())));
        };
        let name = &text[start + 2..start + 2 + len];
        if !valid_name(name) {
            return Err((start, VarError::Malformed(format!("${{{name}}}"))));
        }
        found.push(Reference { offset: start, name });
        rest = start + 2 + len + 1;
    }
    Ok(found)
}

impl Vars {
    /// Parses a flat map of name to string (YAML or JSON; numbers and booleans are
    /// taken as their text, so an unquoted `agentId: 1234` still works).
    pub fn from_map(map: BTreeMap<String, Value>) -> Result<Vars, String> {
        let mut values = BTreeMap::new();
        for (name, value) in map {
            if !valid_name(&name) {
                return Err(format!("`{name}` is not a valid variable name (letters, digits, _)"));
            }
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => return Err(format!("variable `{name}` must be a string, not {other}")),
            };
            values.insert(name, text);
        }
        Ok(Vars { values })
    }

    /// Sets one variable, replacing any earlier value.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        if !valid_name(name) {
            return Err(format!("`{name}` is not a valid variable name (letters, digits, _)"));
        }
        self.values.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    /// Lays `other` over `self`: its values win.
    pub fn overlay(&mut self, other: Vars) {
        self.values.extend(other.values);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Replaces every `${name}` in `text`.
    ///
    /// ```
    /// use vcc_conformance::suite::vars::{VarError, Vars};
    ///
    /// let mut vars = Vars::default();
    /// vars.set("accountKey", "a1b2c3d4e5").unwrap();
    /// assert_eq!(vars.expand("/v0/${accountKey}/calls/").unwrap(), "/v0/a1b2c3d4e5/calls/");
    /// assert_eq!(vars.expand("${agentId}"), Err(VarError::Unknown("agentId".into())));
    /// ```
    pub fn expand(&self, text: &str) -> Result<String, VarError> {
        let refs = references(text).map_err(|(_, e)| e)?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for r in refs {
            let value = self.get(r.name).ok_or_else(|| VarError::Unknown(r.name.to_owned()))?;
            out.push_str(&text[last..r.offset]);
            out.push_str(value);
            last = r.offset + r.name.len() + 3;
        }
        out.push_str(&text[last..]);
        Ok(out)
    }

    /// Expands a JSON body: variables in every string (keys too) and every
    /// `{repeat: S, times: N}` object replaced by S repeated N times.
    ///
    /// ```
    /// let body = serde_json::json!({"to": {"telephoneNumber": {"repeat": "7", "times": 31}}});
    /// let sent = vcc_conformance::suite::vars::Vars::default().expand_json(&body).unwrap();
    /// assert_eq!(sent["to"]["telephoneNumber"].as_str().unwrap().len(), 31);
    /// ```
    pub fn expand_json(&self, value: &Value) -> Result<Value, VarError> {
        Ok(match value {
            Value::String(s) => Value::String(self.expand(s)?),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.expand_json(v)).collect::<Result<_, _>>()?)
            }
            Value::Object(map) if is_generator(map) => Value::String(self.generate(map)?),
            Value::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    out.insert(self.expand(k)?, self.expand_json(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn generate(&self, map: &serde_json::Map<String, Value>) -> Result<String, VarError> {
        let Some(Value::String(unit)) = map.get("repeat") else {
            return Err(VarError::Generator("`repeat` must be a string".into()));
        };
        let Some(times) = map.get("times").and_then(Value::as_u64) else {
            return Err(VarError::Generator("`times` must be a whole number".into()));
        };
        let unit = self.expand(unit)?;
        let total = usize::try_from(times)
            .ok()
            .and_then(|t| t.checked_mul(unit.len()))
            .filter(|&n| n <= MAX_GENERATED);
        if total.is_none() {
            return Err(VarError::Generator(format!(
                "{times} × {} bytes is over the {MAX_GENERATED}-byte limit",
                unit.len()
            )));
        }
        Ok(unit.repeat(times as usize))
    }
}

/// Whether a JSON object is a `{repeat, times}` generator rather than data.
pub fn is_generator(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 2 && map.contains_key("repeat") && map.contains_key("times")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("agentId", "1234").unwrap();
        v.set("n", "7").unwrap();
        v
    }

    #[test]
    fn expands_every_reference() {
        assert_eq!(vars().expand("/a/${agentId}/b/${n}${n}").unwrap(), "/a/1234/b/77");
        assert_eq!(vars().expand("no refs $ { } $").unwrap(), "no refs $ { } $");
    }

    #[test]
    fn unknown_and_malformed_references_are_errors() {
        assert_eq!(vars().expand("x${nope}"), Err(VarError::Unknown("nope".into())));
        assert!(matches!(vars().expand("x${agentId"), Err(VarError::Malformed(_))));
        assert!(matches!(vars().expand("${}"), Err(VarError::Malformed(_))));
        assert!(matches!(vars().expand("${a b}"), Err(VarError::Malformed(_))));
    }

    #[test]
    fn references_report_offsets() {
        let refs = references("ab${x}c${y_2}").unwrap();
        assert_eq!(refs, vec![Reference { offset: 2, name: "x" }, Reference { offset: 7, name: "y_2" }]);
        assert_eq!(references("é${").unwrap_err().0, 2);
    }

    #[test]
    fn generator_repeats_with_variables() {
        let body = json!({"to": {"agentId": {"repeat": "${n}", "times": 12}}, "keep": {"repeat": "x"}});
        let out = vars().expand_json(&body).unwrap();
        assert_eq!(out["to"]["agentId"], "777777777777");
        assert_eq!(out["keep"], json!({"repeat": "x"}), "a one-key object is data, not a generator");
    }

    #[test]
    fn generator_rejects_bad_input_and_huge_output() {
        for bad in [
            json!({"repeat": 7, "times": 2}),
            json!({"repeat": "7", "times": -1}),
            json!({"repeat": "7", "times": "2"}),
            json!({"repeat": "77", "times": u64::MAX}),
            json!({"repeat": "7", "times": MAX_GENERATED + 1}),
        ] {
            assert!(matches!(vars().expand_json(&bad), Err(VarError::Generator(_))), "{bad}");
        }
    }

    #[test]
    fn from_map_takes_scalars_and_rejects_structures() {
        let map: BTreeMap<String, Value> =
            serde_json::from_value(json!({"a": "x", "b": 1234, "c": true})).unwrap();
        let v = Vars::from_map(map).unwrap();
        assert_eq!(v.get("b"), Some("1234"));
        let bad: BTreeMap<String, Value> = serde_json::from_value(json!({"a": [1]})).unwrap();
        assert!(Vars::from_map(bad).is_err());
    }
}
