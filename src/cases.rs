//! Cases: the case-file model and its loading.
//!
//! A case file (YAML or JSON) holds `cases:`, each a request and what the
//! response must look like. Loading parses the file with unknown keys denied,
//! checks what the types cannot (one body kind, a known schema, known variables,
//! unique names), and expands variables and generators, so that a loaded
//! [`Case`] is ready to send. Every error names the file, line, column and field.
//! The format is described in README.md and by `schemas/case.schema.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::vars::{self, Vars};

/// The case files shipped with the harness, embedded so that the binary runs
/// from anywhere. A test checks this list against the `cases/` folder.
pub const SHIPPED: &[(&str, &str)] = &[
    ("cases/examples.yaml", include_str!("../cases/examples.yaml")),
    ("cases/errors-request.yaml", include_str!("../cases/errors-request.yaml")),
    ("cases/errors-state.yaml", include_str!("../cases/errors-state.yaml")),
    ("cases/media-type.yaml", include_str!("../cases/media-type.yaml")),
    ("cases/boundaries.yaml", include_str!("../cases/boundaries.yaml")),
    ("cases/undocumented.yaml", include_str!("../cases/undocumented.yaml")),
];

/// The shipped default variables (`cases/vars.yaml`).
pub const SHIPPED_VARS: (&str, &str) = ("cases/vars.yaml", include_str!("../cases/vars.yaml"));

/// The default request path.
pub const DEFAULT_PATH: &str = "/v0/${accountKey}/calls/";

/// The tags a case may carry.
pub const TAGS: &[&str] = &["places-call", "needs-state", "undocumented", "boundary", "example"];

/// A case file's text and the name it is reported under.
#[derive(Clone, Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
}

impl Source {
    /// The shipped case files.
    pub fn shipped() -> Vec<Source> {
        SHIPPED.iter().map(|(p, t)| Source { path: (*p).into(), text: (*t).into() }).collect()
    }

    /// Every `*.yaml`, `*.yml` and `*.json` file directly in `dir`, sorted by name.
    pub fn read_dir(dir: &Path) -> Result<Vec<Source>, LoadError> {
        let io = |e: std::io::Error| LoadError::whole(&dir.display().to_string(), e.to_string());
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let is_case = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            );
            let is_vars = path.file_stem().is_some_and(|s| s == "vars");
            if is_case && !is_vars && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        paths.iter().map(|p| Source::read(p)).collect()
    }

    /// One file.
    pub fn read(path: &Path) -> Result<Source, LoadError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LoadError::whole(&shown, e.to_string()))?;
        Ok(Source { path: shown, text })
    }

    /// The file stem, used as the first half of a test name.
    pub fn stem(&self) -> &str {
        let base = self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path);
        base.rsplit_once('.').map_or(base, |(stem, _)| stem)
    }

    fn is_json(&self) -> bool {
        self.path.ends_with(".json")
    }
}

/// A broken case or variables file: where, which field, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field path, such as `cases[3].expect.status`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl LoadError {
    fn whole(file: &str, message: String) -> LoadError {
        LoadError { file: file.into(), line: 0, column: 0, field: String::new(), message }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LoadError {}

/// One or several values: `status: 201` or `status: [201, 400]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged, expecting = "a value or a list of values")]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// What a response must look like. With `any_of`, nothing else may be set and the
/// response must match one of the alternatives.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub status: Option<OneOrMany<u16>>,
    /// The media type of `Content-Type` (parameters tolerated); `any` skips the
    /// check. Defaults to `application/json`.
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
    #[serde(default)]
    pub any_of: Vec<Expect>,
}

impl Expect {
    /// The media type the response must have, or `None` when any will do.
    pub fn media_type(&self) -> Option<&str> {
        match self.media_type.as_deref() {
            None => Some("application/json"),
            Some("any") => None,
            Some(m) => Some(m),
        }
    }

    fn sets_anything_but_any_of(&self) -> bool {
        let Expect { status, media_type, headers, schema, message, not_message, echo, self_link, any_of: _ } =
            self;
        status.is_some()
            || media_type.is_some()
            || !headers.is_empty()
            || schema.is_some()
            || message.is_some()
            || not_message.is_some()
            || *echo
            || *self_link
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    cases: Vec<RawCase>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    covers: OneOrMany<String>,
    #[serde(default = "yes")]
    documented: bool,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    request: RawRequest,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default = "post")]
    method: String,
    #[serde(default = "default_path")]
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default = "yes")]
    auth: bool,
    #[serde(default)]
    json: Option<Value>,
    #[serde(default)]
    raw: Option<String>,
}

/// A request ready to send (variables expanded). The bearer token is not part of
/// it: the client adds it when `auth` is set.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub auth: bool,
    pub body: Vec<u8>,
    /// The body as JSON when it is JSON (for echo checks).
    pub json: Option<Value>,
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
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where a case's `name` is written, so that errors found after parsing still
/// point at the case.
fn locate_case(text: &str, name: &str) -> (usize, usize) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(at) = line.find("name") {
            let after = line[at + 4..].trim_start_matches(['"', '\'', ' ', ':']);
            let value = after.trim_end().trim_end_matches([',', '"', '\'']);
            if value == name {
                return line_col(text, offset + at);
            }
        }
        offset += line.len();
    }
    (0, 0)
}

fn kebab(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Parses a YAML or JSON document (by its extension) with unknown keys denied,
/// reporting line, column and field.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(source: &Source) -> Result<T, LoadError> {
    let mut field = String::new();
    let located = |line: usize, column: usize, field: String, message: String| LoadError {
        file: source.path.clone(),
        line,
        column,
        field,
        message,
    };
    if source.is_json() {
        let mut de = serde_json::Deserializer::from_str(&source.text);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            located(inner.line(), inner.column(), clean_path(&path), strip_position(&inner.to_string()))
        })?;
        de.end().map_err(|e| located(e.line(), e.column(), String::new(), strip_position(&e.to_string())))?;
        return Ok(value);
    }
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    if source.text.lines().all(blank) {
        return Err(located(1, 1, String::new(), "the file is empty (only blank lines or comments)".into()));
    }
    serde_saphyr::with_deserializer_from_str(&source.text, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            field = e.path().to_string();
            e.into_inner()
        })
    })
    .map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        located(line, column, clean_path(&field), first_line(&e.to_string()))
    })
}

/// The field path, without serde_path_to_error's `.` for the root and `?` for a
/// place it could not name.
fn clean_path(path: &str) -> String {
    let mut path = path;
    while let Some(rest) = path.strip_suffix(".?") {
        path = rest;
    }
    if path == "." || path == "?" { String::new() } else { path.to_owned() }
}

/// The first line of a YAML error, without the "error: line L column C: " that
/// the error's own location already says.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let positioned = line.strip_prefix("line ").and_then(|rest| rest.split_once(": "));
    match positioned {
        Some((position, rest)) if position.contains(" column ") => rest.to_owned(),
        _ => line.to_owned(),
    }
}

/// serde_json appends " at line L column C"; the error already carries both.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Loads a variables file: a flat map of name to string.
pub fn load_vars(source: &Source) -> Result<Vars, LoadError> {
    let map: BTreeMap<String, Value> = parse(source)?;
    Vars::from_map(map).map_err(|m| LoadError { line: 1, column: 1, ..LoadError::whole(&source.path, m) })
}

/// Loads and resolves every case of every source. `schemas` names the schemas a
/// case may refer to. Names must be unique per file, and file stems across sources.
pub fn load(sources: &[Source], vars: &Vars, schemas: &[&str]) -> Result<Vec<Case>, LoadError> {
    let mut cases = Vec::new();
    let mut stems = BTreeMap::new();
    for source in sources {
        if let Some(first) = stems.insert(source.stem().to_owned(), source.path.clone()) {
            return Err(LoadError::whole(
                &source.path,
                format!("another case file has the same name: {first} (test names are <file>::<case>)"),
            ));
        }
        cases.extend(load_one(source, vars, schemas)?);
    }
    Ok(cases)
}

fn load_one(source: &Source, vars: &Vars, schemas: &[&str]) -> Result<Vec<Case>, LoadError> {
    check_references(source, vars)?;
    let doc: FileDoc = parse(source)?;
    let mut names = BTreeSet::new();
    let mut cases = Vec::with_capacity(doc.cases.len());
    for (i, raw) in doc.cases.into_iter().enumerate() {
        let (line, column) = locate_case(&source.text, &raw.name);
        let fail = |field: &str, message: String| LoadError {
            file: source.path.clone(),
            line,
            column,
            field: format!("cases[{i}]{}{field}", if field.is_empty() { "" } else { "." }),
            message,
        };
        if !kebab(&raw.name) {
            return Err(fail("name", format!("`{}` is not lowercase kebab-case ([a-z0-9-])", raw.name)));
        }
        if !names.insert(raw.name.clone()) {
            return Err(fail("name", format!("`{}` is used by an earlier case in this file", raw.name)));
        }
        let covers = raw.covers.to_vec();
        if covers.is_empty() || covers.iter().any(|c| c.trim().is_empty()) {
            return Err(fail("covers", "must name at least one documented item".into()));
        }
        if let Some(tag) = raw.tags.iter().find(|t| !TAGS.contains(&t.as_str())) {
            return Err(fail("tags", format!("unknown tag `{tag}` (known: {})", TAGS.join(", "))));
        }
        let request = resolve_request(raw.request, vars).map_err(|(f, m)| fail(&format!("request.{f}"), m))?;
        let expect = resolve_expect(raw.expect, vars, schemas).map_err(|(f, m)| fail(&format!("expect{f}"), m))?;
        cases.push(Case {
            file: source.stem().to_owned(),
            source: source.path.clone(),
            line,
            name: raw.name,
            covers,
            documented: raw.documented,
            note: raw.note,
            tags: raw.tags,
            request,
            expect,
        });
    }
    if cases.is_empty() {
        return Err(LoadError { line: 1, column: 1, field: "cases".into(), ..LoadError::whole(&source.path, "holds no case".into()) });
    }
    Ok(cases)
}

/// Every `${name}` in the file must be a known variable: reported at its place.
fn check_references(source: &Source, vars: &Vars) -> Result<(), LoadError> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_col(&source.text, offset);
        LoadError { file: source.path.clone(), line, column, field: String::new(), message }
    };
    let refs = vars::references(&source.text).map_err(|(offset, e)| at(offset, e.to_string()))?;
    match refs.into_iter().find(|r| !vars.contains(r.name)) {
        Some(r) => Err(at(
            r.offset,
            format!(
                "unknown variable `${{{}}}` (define it in a --vars file or with --var {}=VALUE)",
                r.name, r.name
            ),
        )),
        None => Ok(()),
    }
}

type FieldError = (String, String);

fn resolve_request(raw: RawRequest, vars: &Vars) -> Result<Request, FieldError> {
    let err = |field: &str, e: &dyn fmt::Display| (field.to_owned(), e.to_string());
    let method = raw.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(("method".into(), format!("`{}` is not an HTTP method", raw.method)));
    }
    let path = vars.expand(&raw.path).map_err(|e| err("path", &e))?;
    if !path.starts_with('/') {
        return Err(("path".into(), format!("`{path}` must start with /")));
    }
    let mut headers = Vec::with_capacity(raw.headers.len() + 1);
    for (name, value) in &raw.headers {
        let value = vars.expand(value).map_err(|e| err(&format!("headers.{name}"), &e))?;
        reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| (format!("headers.{name}"), format!("`{name}` is not a valid header name")))?;
        reqwest::header::HeaderValue::from_str(&value)
            .map_err(|_| (format!("headers.{name}"), "not a valid header value".to_owned()))?;
        headers.push((name.clone(), value));
    }
    let has_content_type = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    let (body, json) = match (raw.json, raw.raw) {
        (Some(_), Some(_)) => return Err(("raw".into(), "give either `json` or `raw`, not both".into())),
        (Some(json), None) => {
            let json = vars.expand_json(&json).map_err(|e| err("json", &e))?;
            if !has_content_type {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            (serde_json::to_vec(&json).unwrap_or_default(), Some(json))
        }
        (None, Some(raw)) => {
            if !has_content_type {
                return Err(("headers".into(), "a `raw` body needs a Content-Type header".into()));
            }
            let raw = vars.expand(&raw).map_err(|e| err("raw", &e))?;
            let json = serde_json::from_str(&raw).ok();
            (raw.into_bytes(), json)
        }
        (None, None) => (Vec::new(), None),
    };
    Ok(Request { method, path, headers, auth: raw.auth, body, json })
}

fn resolve_expect(raw: Expect, vars: &Vars, schemas: &[&str]) -> Result<Expect, FieldError> {
    if !raw.any_of.is_empty() {
        if raw.sets_anything_but_any_of() {
            return Err((String::new(), "with `any_of`, set nothing else in `expect`".into()));
        }
        let mut alternatives = Vec::with_capacity(raw.any_of.len());
        for (i, alt) in raw.any_of.into_iter().enumerate() {
            let field = format!(".any_of[{i}]");
            if !alt.any_of.is_empty() {
                return Err((field, "`any_of` cannot nest".into()));
            }
            alternatives.push(resolve_expect(alt, vars, schemas).map_err(|(f, m)| (format!("{field}{f}"), m))?);
        }
        return Ok(Expect { any_of: alternatives, ..Expect::default() });
    }
    let statuses = raw.status.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
    if statuses.is_empty() {
        return Err((".status".into(), "missing: say which status (or statuses) the response must have".into()));
    }
    if let Some(bad) = statuses.iter().find(|s| !(100..=599).contains(*s)) {
        return Err((".status".into(), format!("{bad} is not an HTTP status (100-599)")));
    }
    if let Some(schema) = &raw.schema {
        if !schemas.contains(&schema.as_str()) {
            return Err((".schema".into(), format!("unknown schema `{schema}` (known: {})", schemas.join(", "))));
        }
    }
    let text = |field: &str, v: &Option<String>| {
        v.as_deref().map(|s| vars.expand(s)).transpose().map_err(|e| (field.to_owned(), e.to_string()))
    };
    let mut headers = BTreeMap::new();
    for (name, value) in &raw.headers {
        let value = vars.expand(value).map_err(|e| (format!(".headers.{name}"), e.to_string()))?;
        headers.insert(name.clone(), value);
    }
    Ok(Expect {
        message: text(".message", &raw.message)?,
        not_message: text(".not_message", &raw.not_message)?,
        headers,
        ..raw
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn load_text(text: &str) -> Result<Vec<Case>, LoadError> {
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
        assert_eq!(case.expect.media_type(), Some("application/json"));
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
    fn semantic_errors_point_at_the_case() {
        for (from, to, field) in [
            ("schema: call-created", "schema: nope", "cases[0].expect.schema"),
            ("status: 201", "status: 99", "cases[0].expect.status"),
            ("name: one", "name: One", "cases[0].name"),
            ("      status: 201\n", "      any_of: [{status: 201}]\n", "cases[0].expect"),
        ] {
            let err = load_text(&GOOD.replace(from, to)).unwrap_err();
            assert_eq!(err.field, field, "{err}");
            assert_eq!(err.line, 2, "{err}");
        }
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
        let cases = load(&[src.clone()], &vars(), SCHEMAS).unwrap();
        assert_eq!(cases[0].test_name(), "j::j");
        assert_eq!(cases[0].request.body, b"x");
        let broken = Source { text: json.replace("\"status\": 415", "\"status\": \"415\""), ..src };
        let err = load(&[broken], &vars(), SCHEMAS).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.field.contains("expect.status"), "{err}");
    }

    #[test]
    fn same_stem_twice_is_an_error() {
        let a = yaml(GOOD);
        let b = Source { path: "other/t.json".into(), text: "{}".into() };
        assert!(load(&[a, b], &vars(), SCHEMAS).unwrap_err().message.contains("same name"));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\nçd", 5), (2, 2));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
