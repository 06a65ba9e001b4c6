//! Case: the resolved model of one case, ready to send and check. Variables
//! are expanded, generators run, and an expectation always has a status.

use std::collections::BTreeMap;

use serde_json::Value;

/// The tags a case may carry.
pub const TAGS: &[&str] = &["places-call", "needs-state", "undocumented", "standard", "boundary", "example"];

/// How the `Authorization` header spells its scheme unless a case says otherwise.
pub const BEARER: &str = "Bearer";

/// A request ready to send (variables expanded). The bearer token is not part of
/// it: the client adds it when `auth` is set.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub auth: bool,
    /// The scheme before the token in `Authorization` ([`BEARER`] unless a case spells it otherwise).
    pub auth_scheme: String,
    pub body: Vec<u8>,
    /// The body as JSON when it is JSON (for echo checks).
    pub json: Option<Value>,
}

/// The statuses a response may have: never empty (the loader also checks
/// that each is an HTTP status, 100-599).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statuses(Vec<u16>);

impl Statuses {
    /// `None` for an empty list.
    pub fn new(statuses: Vec<u16>) -> Option<Statuses> {
        (!statuses.is_empty()).then_some(Statuses(statuses))
    }

    pub fn as_slice(&self) -> &[u16] {
        &self.0
    }

    pub fn contains(&self, status: u16) -> bool {
        self.0.contains(&status)
    }

    /// The one status, when only one is allowed.
    pub fn single(&self) -> Option<u16> {
        match self.0.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

impl From<u16> for Statuses {
    fn from(status: u16) -> Statuses {
        Statuses(vec![status])
    }
}

/// What one acceptable response looks like.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub status: Statuses,
    /// The media type of `Content-Type` (parameters tolerated); `None` when
    /// any will do (`media_type: any`).
    pub media_type: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub schema: Option<String>,
    pub message: Option<String>,
    pub not_message: Option<String>,
    pub echo: bool,
    pub self_link: bool,
    /// The auth-scheme of a challenge `WWW-Authenticate` must carry.
    pub challenge: Option<String>,
}

impl Expectation {
    /// A response with `status` and a JSON body, nothing else checked.
    pub fn new(status: impl Into<Statuses>) -> Expectation {
        Expectation {
            status: status.into(),
            media_type: Some("application/json".into()),
            headers: BTreeMap::new(),
            schema: None,
            message: None,
            not_message: None,
            echo: false,
            self_link: false,
            challenge: None,
        }
    }
}

/// What a response must look like: one expectation, or any of several.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    One(Expectation),
    /// `any_of`: the response must meet one of these (never empty, never nested).
    AnyOf(Vec<Expectation>),
}

impl Expect {
    /// Every acceptable answer: the one, or each alternative.
    pub fn alternatives(&self) -> &[Expectation] {
        match self {
            Expect::One(one) => std::slice::from_ref(one),
            Expect::AnyOf(all) => all,
        }
    }

    /// The expectation, unless there are alternatives.
    pub fn one(&self) -> Option<&Expectation> {
        match self {
            Expect::One(one) => Some(one),
            Expect::AnyOf(_) => None,
        }
    }
}

impl From<Expectation> for Expect {
    fn from(one: Expectation) -> Expect {
        Expect::One(one)
    }
}

/// A loaded case.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The stem of the file it came from.
    pub file: String,
    /// Where it came from, for messages.
    pub source: String,
    pub line: usize,
    pub name: String,
    pub covers: Vec<String>,
    pub documented: bool,
    /// The standard that requires what this case checks, where the page does not.
    pub standard: Option<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub request: Request,
    pub expect: Expect,
}

impl Case {
    /// The test name: `<file>::<case>`.
    pub fn test_name(&self) -> String {
        format!("{}::{}", self.file, self.name)
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Whether sending this case may place a real phone call: it is tagged
    /// `places-call`, or its expectation accepts an answer that means a call was
    /// placed (a 201, or any 2xx; directly, in a list, or in any `any_of`
    /// alternative). The tag alone is not trusted: a user's own case file may
    /// allow a 201 and forget it. Every guard that keeps calls off a deployment
    /// that is not on loopback asks this.
    pub fn may_place_call(&self) -> bool {
        self.has_tag("places-call")
            || self.expect.alternatives().iter().any(|e| e.status.as_slice().iter().any(|s| (200..300).contains(s)))
    }
}
