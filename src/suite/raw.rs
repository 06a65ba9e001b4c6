//! Raw: the serde shapes of a case file as it is written, unknown keys denied.
//! Nothing here is checked beyond its type; [`super::load`] resolves it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The default request path.
pub const DEFAULT_PATH: &str = "/v0/${accountKey}/calls/";

/// One or several values: `status: 201` or `status: [201, 400]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged, expecting = "a value or a list of values")]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }

    /// The field path of the `at`th value below `field`: `field` itself for
    /// one value, `field[at]` in a list.
    pub fn field_of(&self, field: &str, at: usize) -> String {
        match self {
            OneOrMany::One(_) => field.to_owned(),
            OneOrMany::Many(_) => format!("{field}[{at}]"),
        }
    }
}

/// A case file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDoc {
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    pub cases: Vec<RawCase>,
}

fn yes() -> bool {
    true
}

fn post() -> String {
    "POST".into()
}

fn default_path() -> String {
    DEFAULT_PATH.into()
}

/// A case as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    pub name: String,
    pub covers: OneOrMany<String>,
    /// Absent: documented, unless `standard` is set.
    #[serde(default)]
    pub documented: Option<bool>,
    /// The standard that requires what the case checks, where the page does not
    /// (`RFC 6750 §3`); such a case is not documented by the page.
    #[serde(default)]
    pub standard: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub request: RawRequest,
    pub expect: Expect,
}

/// A request as written: variables not yet expanded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    #[serde(default = "post")]
    pub method: String,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub auth: bool,
    /// How the `Authorization` header spells the scheme before the token; default `Bearer`.
    #[serde(default)]
    pub auth_scheme: Option<String>,
    #[serde(default)]
    pub json: Option<Value>,
    #[serde(default)]
    pub raw: Option<String>,
}

/// An expectation as written (named `Expect` as in the file: serde's messages
/// name it). With `any_of`, nothing else may be set.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub status: Option<OneOrMany<u16>>,
    /// `any` skips the check; absent means `application/json`.
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub not_message: Option<String>,
    #[serde(default)]
    pub echo: bool,
    #[serde(default)]
    pub self_link: bool,
    /// `WWW-Authenticate` carries a challenge with this auth-scheme (case-insensitive).
    #[serde(default)]
    pub challenge: Option<String>,
    #[serde(default)]
    pub any_of: Vec<Expect>,
}

impl Expect {
    pub fn sets_anything_but_any_of(&self) -> bool {
        let Expect { status, media_type, headers, schema, message, not_message, echo, self_link, challenge, any_of: _ } = self;
        status.is_some()
            || media_type.is_some()
            || !headers.is_empty()
            || schema.is_some()
            || message.is_some()
            || not_message.is_some()
            || *echo
            || *self_link
            || challenge.is_some()
    }
}
