//! Load: raw case files to resolved cases. Parses each file with unknown keys
//! denied, checks what the types cannot (one body kind, a known schema, known
//! variables, unique names, a status), and expands variables and generators.
//! Every error names the file and, where it concerns a place in it, the line,
//! column and path of the offending field itself.
//!
//! Memory is bounded whatever the files say: each case expands within one
//! [`Budget`], holds at most [`MAX_CASE`] bytes once resolved, and all cases
//! together at most [`MAX_SUITE`]: counted is everything a case holds (its
//! request as sent and as JSON, its expected messages and headers, its names
//! and notes), not only what it sends.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::case::{BEARER, Case, Expect, Expectation, Request, Statuses, TAGS};
use super::raw::{self, FileDoc, OneOrMany, RawRequest};
use super::vars::{self, Budget, Vars};
use crate::located::{self, LocatedError, Source, Spots};

/// Loads a variables file: a flat map of name to string. A bad name or value is
/// reported where it is written.
pub fn load_vars(source: &Source) -> Result<Vars, LocatedError> {
    let map: BTreeMap<String, Value> = located::parse(source)?;
    Vars::from_map(map.clone()).map_err(|message| {
        let alone = |(name, value): (&String, &Value)| BTreeMap::from([(name.clone(), value.clone())]);
        let name = map.iter().find(|&entry| Vars::from_map(alone(entry)).is_err()).map(|(name, _)| name.clone());
        let field = name.unwrap_or_default();
        let bad_name = Vars::default().set(&field, "").is_err();
        let at = Spots::of(source).locate(&field, bad_name);
        LocatedError::at(source, at, field, message)
    })
}

/// The most bytes all loaded cases may hold together (64 MiB).
pub const MAX_SUITE: usize = 64 << 20;

/// The most bytes one resolved case may hold (4 MiB): its strings expand
/// within 1 MiB ([`vars::MAX_EXPANDED`]), and a JSON body is also held parsed.
pub const MAX_CASE: usize = 4 << 20;

/// Loads and resolves every case of every source. `schemas` names the schemas a
/// case may refer to. Names must be unique per file, and file stems across sources.
pub fn load(sources: &[Source], vars: &Vars, schemas: &[&str]) -> Result<Vec<Case>, LocatedError> {
    load_within(sources, vars, schemas, &Total::new(MAX_SUITE))
}

/// [`load`], every case counted into `total` (which other cases may share).
pub fn load_within(sources: &[Source], vars: &Vars, schemas: &[&str], total: &Total) -> Result<Vec<Case>, LocatedError> {
    let mut stems = BTreeMap::new();
    for source in sources {
        if let Some(first) = stems.insert(source.stem().to_owned(), source.path.clone()) {
            return Err(LocatedError::whole(
                &source.path,
                format!("another case file has the same name: {first} (test names are <file>::<case>)"),
            ));
        }
    }
    // Parsing YAML is most of a run's start-up: the files are parsed on every
    // core, and the first error in file order is the one reported.
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(sources.len()).max(1);
    let mut parsed: Vec<Option<Result<Vec<Case>, LocatedError>>> = sources.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                scope.spawn(move || {
                    (first..sources.len())
                        .step_by(threads)
                        .map(|i| (i, load_one(&sources[i], vars, schemas, total)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            // A worker that panicked leaves its files unparsed: they are parsed below.
            for (i, result) in worker.join().unwrap_or_default() {
                parsed[i] = Some(result);
            }
        }
    });
    let mut cases = Vec::new();
    for (source, result) in sources.iter().zip(parsed) {
        cases.extend(result.unwrap_or_else(|| load_one(source, vars, schemas, total))?);
    }
    Ok(cases)
}

/// A kebab-case name: lower-case letters, digits and `-`, not starting with `-`.
pub(crate) fn kebab(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// About the bytes a resolved case holds: every string of it, its body as
/// sent and as parsed JSON, and the bookkeeping of each list entry.
fn held(case: &Case) -> usize {
    let text = |s: &str| size_of::<String>() + s.len();
    let texts = |list: &[String]| list.iter().map(|s| text(s)).sum::<usize>();
    let pairs = |list: &mut dyn Iterator<Item = (&String, &String)>| list.map(|(n, v)| text(n) + text(v)).sum::<usize>();
    let request = &case.request;
    let mut bytes = size_of::<Case>() + text(&case.file) + text(&case.source) + text(&case.name);
    bytes += texts(&case.covers) + texts(&case.tags) + case.note.as_deref().map_or(0, text) + case.standard.as_deref().map_or(0, text);
    bytes += text(&request.method) + text(&request.path) + request.body.len();
    bytes += pairs(&mut request.headers.iter().map(|(n, v)| (n, v))) + request.json.as_ref().map_or(0, json_held);
    for expect in case.expect.alternatives() {
        bytes += size_of::<Expectation>() + size_of_val(expect.status.as_slice());
        bytes += pairs(&mut expect.headers.iter());
        let optional = [&expect.media_type, &expect.schema, &expect.message, &expect.not_message, &expect.challenge];
        bytes += optional.into_iter().flatten().map(|s| text(s)).sum::<usize>();
    }
    bytes
}

/// About the bytes a JSON value holds: each node, each key, and the text of
/// each string (walked without recursion: a value may be deep).
fn json_held(value: &Value) -> usize {
    let mut bytes = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        bytes += size_of::<Value>();
        match value {
            Value::String(s) => bytes += s.len(),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                for (key, value) in map {
                    bytes += size_of::<String>() + key.len();
                    stack.push(value);
                }
            }
            _ => {}
        }
    }
    bytes
}

/// The bytes every case loaded so far holds, and how many it may: one for a
/// whole suite, shared by the case files' loading and the derived cases.
pub struct Total {
    bytes: AtomicUsize,
    max: usize,
}

impl Total {
    pub fn new(max: usize) -> Total {
        Total { bytes: AtomicUsize::new(0), max }
    }

    /// Counts `case` in; why not, when it holds over [`MAX_CASE`] or brings
    /// all cases counted over the total's limit.
    pub fn admit(&self, case: &Case) -> Result<(), String> {
        let bytes = held(case);
        if bytes > MAX_CASE {
            return Err(format!("resolved, this case holds {bytes} bytes, over the {MAX_CASE}-byte limit on one case"));
        }
        if self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes > self.max {
            return Err(format!(
                "with this case, the cases together hold over the {}-byte limit (their requests, expected messages \
                 and headers, names and notes counted)",
                self.max
            ));
        }
        Ok(())
    }
}

/// Loads one file.
fn load_one(source: &Source, vars: &Vars, schemas: &[&str], total: &Total) -> Result<Vec<Case>, LocatedError> {
    check_references(source, vars)?;
    let doc: FileDoc = located::parse(source)?;
    // Reading where every field is written is a second parse: done only when an
    // error needs it, or when the quick scan for case lines does not fit.
    let spots = std::cell::OnceCell::new();
    let spots = || spots.get_or_init(|| Spots::of(source));
    let quick_lines = case_lines(source).filter(|lines| lines.len() == doc.cases.len());
    let error = |error: FieldError| {
        let at = spots().locate(&error.field, error.at_key);
        LocatedError::at(source, at, error.field, error.message)
    };
    let mut names = BTreeSet::new();
    let mut cases = Vec::with_capacity(doc.cases.len());
    for (i, raw) in doc.cases.into_iter().enumerate() {
        let case = format!("cases[{i}]");
        let fail = |field: &str, message: String| error(FieldError::new(format!("{case}.{field}"), message));
        if !kebab(&raw.name) {
            return Err(fail("name", format!("`{}` is not lowercase kebab-case ([a-z0-9-])", raw.name)));
        }
        if !names.insert(raw.name.clone()) {
            return Err(fail("name", format!("`{}` is used by an earlier case in this file", raw.name)));
        }
        let covers = raw.covers.to_vec();
        if covers.is_empty() {
            return Err(fail("covers", "must name at least one documented item".into()));
        }
        if let Some(blank) = covers.iter().position(|c| c.trim().is_empty()) {
            return Err(fail(&raw.covers.field_of("covers", blank), "must name a documented item, not be blank".into()));
        }
        if let Some(at) = raw.tags.iter().position(|t| !TAGS.contains(&t.as_str())) {
            let message = format!("unknown tag `{}` (known: {})", raw.tags[at], TAGS.join(", "));
            return Err(fail(&format!("tags[{at}]"), message));
        }
        if raw.standard.is_some() && raw.documented == Some(true) {
            return Err(fail("documented", "a case that a standard requires is not documented by the page: drop `documented: true`".into()));
        }
        if raw.standard.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err(fail("standard", "must name the standard and its section, not be blank".into()));
        }
        let mut budget = Budget::case();
        let request =
            resolve_request(raw.request, vars, &mut budget).map_err(|e| error(e.under(&format!("{case}.request."))))?;
        let expect = resolve_expect(raw.expect, vars, schemas, &mut budget)
            .map_err(|e| error(e.under(&format!("{case}.expect"))))?;
        let resolved = Case {
            file: source.stem().to_owned(),
            source: source.path.clone(),
            line: match &quick_lines {
                Some(lines) => lines[i],
                None => spots().locate(&format!("{case}.name"), true).0,
            },
            name: raw.name,
            covers,
            documented: raw.documented.unwrap_or(raw.standard.is_none()),
            standard: raw.standard,
            note: raw.note,
            tags: raw.tags,
            request,
            expect,
        };
        total.admit(&resolved).map_err(|message| error(FieldError::new(&case, message)))?;
        cases.push(resolved);
    }
    if cases.is_empty() {
        return Err(error(FieldError::new("cases", "holds no case")));
    }
    Ok(cases)
}

/// The lines of a YAML file's `- name:` list items, when they all stand at one
/// indentation: in the usual layout, one per case, in order. `None` for JSON or
/// any other layout (the caller then asks [`Spots`], and checks the count).
fn case_lines(source: &Source) -> Option<Vec<usize>> {
    if source.is_json() {
        return None;
    }
    let mut indent = None;
    let mut lines = Vec::new();
    for (n, line) in source.text.lines().enumerate() {
        let body = line.trim_start_matches(' ');
        let Some(rest) = body.strip_prefix('-') else { continue };
        if !rest.trim_start_matches(' ').starts_with("name:") || rest.len() == rest.trim_start_matches(' ').len() {
            continue;
        }
        let at = line.len() - body.len();
        if *indent.get_or_insert(at) != at {
            return None;
        }
        lines.push(n + 1);
    }
    Some(lines)
}

/// Every `${name}` in the file must be a known variable: reported at its place.
fn check_references(source: &Source, vars: &Vars) -> Result<(), LocatedError> {
    let at = |offset: usize, message: String| {
        LocatedError::at(source, located::line_col(&source.text, offset), "", message)
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

/// What is wrong with a field found after parsing: its path (relative while it
/// is being resolved, such as `path` or `.status`), the message, and whether the
/// error is about the field's name (a bad header name) rather than its value.
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
    at_key: bool,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into(), at_key: false }
    }

    /// The field path below `prefix`.
    fn under(self, prefix: &str) -> FieldError {
        FieldError { field: format!("{prefix}{}", self.field), ..self }
    }
}

/// A request as written, resolved: variables expanded within `budget`, the
/// method, path, headers and body checked. The case files' and the derived cases'.
pub(crate) fn resolve_request(raw: RawRequest, vars: &Vars, budget: &mut Budget) -> Result<Request, FieldError> {
    let err = |field: &str, e: &dyn fmt::Display| FieldError::new(field, e.to_string());
    let method = raw.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(FieldError::new("method", format!("`{}` is not an HTTP method", raw.method)));
    }
    let path = vars.expand_within(&raw.path, budget).map_err(|e| err("path", &e))?;
    if !path.starts_with('/') {
        return Err(FieldError::new("path", format!("`{path}` must start with /")));
    }
    let mut headers = Vec::with_capacity(raw.headers.len() + 1);
    for (name, value) in &raw.headers {
        let field = format!("headers.{name}");
        let value = vars.expand_within(value, budget).map_err(|e| err(&field, &e))?;
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            let message = format!("`{name}` is not a valid header name");
            return Err(FieldError { at_key: true, ..FieldError::new(field, message) });
        }
        reqwest::header::HeaderValue::from_str(&value)
            .map_err(|_| FieldError::new(&field, "not a valid header value"))?;
        headers.push((name.clone(), value));
    }
    let has_content_type = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    let (body, json) = match (raw.json, raw.raw) {
        (Some(_), Some(_)) => return Err(FieldError::new("raw", "give either `json` or `raw`, not both")),
        (Some(json), None) => {
            let json = vars.expand_json_within(&json, budget).map_err(|(at, e)| err(&format!("json{at}"), &e))?;
            if !has_content_type {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            let body = serde_json::to_vec(&json).unwrap_or_default();
            if body.len() > vars::MAX_EXPANDED {
                let message = format!("written as JSON, the body is over the {}-byte limit", vars::MAX_EXPANDED);
                return Err(FieldError::new("json", message));
            }
            (body, Some(json))
        }
        (None, Some(raw)) => {
            if !has_content_type {
                return Err(FieldError::new("headers", "a `raw` body needs a Content-Type header"));
            }
            let raw = vars.expand_within(&raw, budget).map_err(|e| err("raw", &e))?;
            let json = serde_json::from_str(&raw).ok();
            (raw.into_bytes(), json)
        }
        (None, None) => (Vec::new(), None),
    };
    let auth_scheme = raw.auth_scheme.unwrap_or_else(|| BEARER.to_owned());
    if auth_scheme.is_empty() || !auth_scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
        return Err(FieldError::new("auth_scheme", format!("`{auth_scheme}` is not an auth-scheme (letters, digits, - . _)")));
    }
    Ok(Request { method, path, headers, auth: raw.auth, auth_scheme, body, json })
}

fn resolve_expect(raw: raw::Expect, vars: &Vars, schemas: &[&str], budget: &mut Budget) -> Result<Expect, FieldError> {
    if raw.any_of.is_empty() {
        return resolve_one(raw, vars, schemas, budget).map(Expect::One);
    }
    if raw.sets_anything_but_any_of() {
        return Err(FieldError::new("", "with `any_of`, set nothing else in `expect`"));
    }
    let mut alternatives = Vec::with_capacity(raw.any_of.len());
    for (i, alt) in raw.any_of.into_iter().enumerate() {
        let field = format!(".any_of[{i}]");
        if !alt.any_of.is_empty() {
            return Err(FieldError::new(format!("{field}.any_of"), "`any_of` cannot nest"));
        }
        alternatives.push(resolve_one(alt, vars, schemas, budget).map_err(|e| e.under(&field))?);
    }
    Ok(Expect::AnyOf(alternatives))
}

/// One expectation (without `any_of`), its field paths relative to it.
fn resolve_one(raw: raw::Expect, vars: &Vars, schemas: &[&str], budget: &mut Budget) -> Result<Expectation, FieldError> {
    let written = raw.status.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
    let Some(status) = Statuses::new(written) else {
        return Err(FieldError::new(".status", "missing: say which status (or statuses) the response must have"));
    };
    if let Some(at) = status.as_slice().iter().position(|s| !(100..=599).contains(s)) {
        let field = raw.status.as_ref().map_or_else(|| ".status".to_owned(), |s| s.field_of(".status", at));
        return Err(FieldError::new(field, format!("{} is not an HTTP status (100-599)", status.as_slice()[at])));
    }
    if let Some(schema) = &raw.schema
        && !schemas.contains(&schema.as_str())
    {
        let message = format!("unknown schema `{schema}` (known: {})", schemas.join(", "));
        return Err(FieldError::new(".schema", message));
    }
    let mut headers = BTreeMap::new();
    for (name, value) in &raw.headers {
        let value =
            vars.expand_within(value, budget).map_err(|e| FieldError::new(format!(".headers.{name}"), e.to_string()))?;
        headers.insert(name.clone(), value);
    }
    let mut text = |field: &str, v: &Option<String>| {
        v.as_deref().map(|s| vars.expand_within(s, budget)).transpose().map_err(|e| FieldError::new(field, e.to_string()))
    };
    let media_type = match raw.media_type {
        None => Some("application/json".to_owned()),
        Some(any) if any == "any" => None,
        Some(other) => Some(other),
    };
    Ok(Expectation {
        status,
        media_type,
        headers,
        schema: raw.schema,
        message: text(".message", &raw.message)?,
        not_message: text(".not_message", &raw.not_message)?,
        echo: raw.echo,
        self_link: raw.self_link,
        challenge: raw.challenge,
    })
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
