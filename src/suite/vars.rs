//! Variables: `${name}` substitution in case paths, headers and bodies, and the
//! `{repeat: S, times: N}` generator for long values.
//!
//! Everything one case expands (its path, headers and body, its expected
//! headers and message) shares one [`Budget`] of [`MAX_EXPANDED`] bytes, checked
//! before anything past it is allocated: no number of generators or variable
//! references can make a case larger.
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

/// The most bytes one case may expand to, all its strings together (1 MiB): a
/// typo in `times`, or a file of many generators, must be a load error, not an
/// out-of-memory abort.
pub const MAX_EXPANDED: usize = 1 << 20;

/// How many more bytes expansions may produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget { left: limit, limit }
    }

    /// The budget of one case: [`MAX_EXPANDED`].
    pub fn case() -> Budget {
        Budget::new(MAX_EXPANDED)
    }

    /// Takes `bytes` from what is left, or says that they do not fit.
    fn take(&mut self, bytes: usize) -> Result<(), VarError> {
        if bytes > self.left {
            return Err(VarError::TooLarge { limit: self.limit });
        }
        self.left -= bytes;
        Ok(())
    }
}

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
    /// A `{repeat, times}` generator with wrong types or a result over what is
    /// left of the [`Budget`].
    Generator(String),
    /// The expansion would take the case over its [`Budget`].
    TooLarge { limit: usize },
}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarError::Unknown(name) => write!(f, "unknown variable `${{{name}}}`"),
            VarError::Malformed(text) => write!(f, "malformed variable reference in `{text}`"),
            VarError::Generator(why) => write!(f, "bad generator: {why}"),
            VarError::TooLarge { limit } => {
                write!(f, "expanding this would take the case over the {limit}-byte limit on all its strings together")
            }
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
        self.expand_within(text, &mut Budget::case())
    }

    /// Replaces every `${name}` in `text`, taking the result's length from
    /// `budget` before building it.
    pub fn expand_within(&self, text: &str, budget: &mut Budget) -> Result<String, VarError> {
        let refs = references(text).map_err(|(_, e)| e)?;
        let mut len = text.len();
        for r in &refs {
            let value = self.get(r.name).ok_or_else(|| VarError::Unknown(r.name.to_owned()))?;
            len = (len - (r.name.len() + 3)).saturating_add(value.len());
        }
        budget.take(len)?;
        let mut out = String::with_capacity(len);
        let mut last = 0;
        for r in refs {
            let value = self.get(r.name).unwrap_or_default();
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
        self.expand_json_within(value, &mut Budget::case()).map_err(|(_, e)| e)
    }

    /// [`Vars::expand_json`] within `budget`; an error comes with the path, below
    /// `value`, of the part that did not expand (`.from.agentId`, `.to[1]`).
    pub fn expand_json_within(&self, value: &Value, budget: &mut Budget) -> Result<Value, (String, VarError)> {
        let at = |path: String| move |e: VarError| (path, e);
        Ok(match value {
            Value::String(s) => Value::String(self.expand_within(s, budget).map_err(at(String::new()))?),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.expand_json_within(item, budget).map_err(|(p, e)| (format!("[{i}]{p}"), e))?);
                }
                Value::Array(out)
            }
            Value::Object(map) if is_generator(map) => Value::String(self.generate(map, budget).map_err(at(String::new()))?),
            Value::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    let key = self.expand_within(k, budget).map_err(at(format!(".{k}")))?;
                    out.insert(key, self.expand_json_within(v, budget).map_err(|(p, e)| (format!(".{k}{p}"), e))?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn generate(&self, map: &serde_json::Map<String, Value>, budget: &mut Budget) -> Result<String, VarError> {
        let Some(Value::String(unit)) = map.get("repeat") else {
            return Err(VarError::Generator("`repeat` must be a string".into()));
        };
        let Some(times) = map.get("times").and_then(Value::as_u64) else {
            return Err(VarError::Generator("`times` must be a whole number".into()));
        };
        let unit = self.expand_within(unit, budget)?;
        let total = usize::try_from(times).ok().and_then(|t| t.checked_mul(unit.len()));
        match total.map(|n| budget.take(n)) {
            Some(Ok(())) => Ok(unit.repeat(times as usize)),
            _ => Err(VarError::Generator(format!(
                "{times} × {} bytes is more than the {} bytes left of the case's {}-byte limit",
                unit.len(),
                budget.left,
                budget.limit
            ))),
        }
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
            json!({"repeat": "7", "times": MAX_EXPANDED + 1}),
        ] {
            assert!(matches!(vars().expand_json(&bad), Err(VarError::Generator(_))), "{bad}");
        }
    }

    #[test]
    fn one_budget_caps_every_generator_and_reference_together() {
        let half = json!({"repeat": "7", "times": MAX_EXPANDED / 2 - 1}); // and 1 byte for "7"
        let mut budget = Budget::case();
        vars().expand_json_within(&half, &mut budget).unwrap();
        let over = json!({"a": [1, {"repeat": "7", "times": MAX_EXPANDED / 2 + 1}]});
        let (path, err) = vars().expand_json_within(&over, &mut budget.clone()).unwrap_err();
        assert_eq!(path, ".a[1]");
        assert!(matches!(err, VarError::Generator(ref why) if why.contains("524286 bytes left")), "{err}");
        vars().expand_json_within(&half, &mut budget).unwrap();
        let (path, err) = vars().expand_json_within(&json!({"a": [1, "x"]}), &mut budget).unwrap_err();
        assert_eq!((path.as_str(), err), (".a", VarError::TooLarge { limit: MAX_EXPANDED }));
        // Thousands of generators, each small, in one body: refused before the total is built.
        let many: Vec<Value> = (0..3000).map(|_| json!({"repeat": "x", "times": 1000})).collect();
        let (path, err) = vars().expand_json_within(&json!({"to": many}), &mut Budget::case()).unwrap_err();
        assert_eq!(path, ".to[1047]", "2 bytes for `to`, then 1,001 for each generator");
        assert!(matches!(err, VarError::Generator(ref why) if why.contains("1048576-byte limit")), "{err}");
        // References count too: a long value referenced many times.
        let mut long = vars();
        long.set("big", &"b".repeat(1000)).unwrap();
        assert_eq!(long.expand(&"${big}".repeat(1048)).unwrap().len(), 1_048_000);
        assert_eq!(long.expand(&"${big}".repeat(1049)), Err(VarError::TooLarge { limit: MAX_EXPANDED }));
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
