//! Cases: the case-file model and its loading.
//!
//! A case file (YAML or JSON) holds `cases:`, each a request and what the
//! response must look like. Loading parses the file with unknown keys denied,
//! checks what the types cannot (one body kind, a known schema, known variables,
//! unique names), and expands variables and generators, so that a loaded
//! [`Case`] is ready to send. Every error names the file and, where it concerns
//! a place in it, the line, column and path of the offending field itself (for
//! checks made after parsing, `Spots` finds the field again in the text).
//! The format is described in README.md and by `schemas/case.schema.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::vars::{self, Vars};

/// The case files shipped with the harness, embedded so that the binary runs
/// from anywhere. A test checks this list against the `cases/` folder.
pub const SHIPPED: &[(&str, &str)] = &[
    ("cases/examples.yaml", include_str!("../cases/examples.yaml")),
    ("cases/errors-request.yaml", include_str!("../cases/errors-request.yaml")),
    ("cases/errors-state.yaml", include_str!("../cases/errors-state.yaml")),
    ("cases/media-type.yaml", include_str!("../cases/media-type.yaml")),
    ("cases/boundaries.yaml", include_str!("../cases/boundaries.yaml")),
    ("cases/characters.yaml", include_str!("../cases/characters.yaml")),
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

    /// Whether sending this case may place a real phone call: it is tagged
    /// `places-call`, or its expectation accepts an answer that means a call was
    /// placed (a 201, or any 2xx; directly, in a list, in any `any_of`
    /// alternative, or because no status is given at all). The tag alone is not
    /// trusted: a user's own case file may allow a 201 and forget it. Every guard
    /// that keeps calls off a deployment that is not on loopback asks this.
    pub fn may_place_call(&self) -> bool {
        self.has_tag("places-call") || accepts_a_placed_call(&self.expect)
    }
}

/// 1-based line and column of a byte offset (an offset inside a character
/// counts as that character).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A line and column, both 1-based.
type Pos = (usize, usize);

/// Where a field is written: its key (for a map entry) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Spot {
    key: Option<Pos>,
    value: Pos,
}

/// Where each field of a file is written, by its path as errors name it
/// (`cases[1].expect.status`; the whole document has the empty path), so that
/// errors found after parsing point at the field itself. Built from the file's
/// text by the YAML parser (with its spans) or by a small JSON scanner; where
/// they cannot read the text, errors fall back to the nearest field found, or
/// to the start of the file.
#[derive(Debug, Default)]
struct Spots(BTreeMap<String, Spot>);

impl Spots {
    fn of(source: &Source) -> Spots {
        if source.is_json() {
            Spots(JsonScan::spots(&source.text))
        } else {
            Spots(yaml_spots(&source.text).unwrap_or_default())
        }
    }

    /// Where an error about `field` points: the field's value (its key when
    /// `at_key`), or, for a field that is not written (a missing one), the key of
    /// its nearest written ancestor; the start of the file when nothing is known.
    fn locate(&self, field: &str, at_key: bool) -> Pos {
        if let Some(spot) = self.0.get(field) {
            return if at_key { spot.key.unwrap_or(spot.value) } else { spot.value };
        }
        let ancestors = field.char_indices().filter(|&(_, c)| c == '.' || c == '[').map(|(i, _)| &field[..i]);
        let nearest = std::iter::once("").chain(ancestors).filter_map(|path| self.0.get(path)).next_back();
        nearest.map_or((1, 1), |spot| spot.key.unwrap_or(spot.value))
    }
}

/// `path.name`, or `name` at the top.
fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// A YAML node, read only for where its parts are written.
enum Node {
    Scalar(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_owned()))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

/// The spots of a YAML document, from the parser's own locations.
fn yaml_spots(text: &str) -> Option<BTreeMap<String, Spot>> {
    fn pos(location: &serde_saphyr::Location) -> Option<Pos> {
        let line = usize::try_from(location.line()).ok().filter(|&l| l > 0)?;
        Some((line, usize::try_from(location.column()).ok()?.max(1)))
    }
    fn record(node: &Spanned<Node>, path: String, key: Option<Pos>, spots: &mut BTreeMap<String, Spot>) {
        if let Some(value) = pos(&node.referenced) {
            spots.insert(path.clone(), Spot { key, value });
        }
        match &node.value {
            Node::Scalar(_) => {}
            Node::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    record(item, format!("{path}[{i}]"), None, spots);
                }
            }
            Node::Map(entries) => {
                for (key, value) in entries {
                    if let Node::Scalar(name) = &key.value {
                        record(value, child_path(&path, name), pos(&key.referenced), spots);
                    }
                }
            }
        }
    }
    let root: Spanned<Node> = serde_saphyr::from_str(text).ok()?;
    let mut spots = BTreeMap::new();
    record(&root, String::new(), None, &mut spots);
    Some(spots)
}

/// Reads a JSON document for where its parts are written. Anything unexpected
/// (the text need not be valid JSON) stops the scan, keeping what was found
/// before it, which is still right.
struct JsonScan<'a> {
    text: &'a str,
    at: usize,
    line: usize,
    line_start: usize,
    spots: BTreeMap<String, Spot>,
}

impl JsonScan<'_> {
    /// Deeper than serde_json's own limit (128): such a file never gets here.
    const MAX_DEPTH: usize = 256;

    fn spots(text: &str) -> BTreeMap<String, Spot> {
        let mut scan = JsonScan { text, at: 0, line: 1, line_start: 0, spots: BTreeMap::new() };
        let _ = scan.value(String::new(), None, 0);
        scan.spots
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn pos(&self) -> Pos {
        let column = self.text.get(self.line_start..self.at).map_or(0, |s| s.chars().count());
        (self.line, column + 1)
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    /// Steps over `byte` after any space.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string token, decoded (JSON strings hold no raw line breaks).
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        serde_json::from_str(self.text.get(start..self.at)?).ok()
    }

    fn value(&mut self, path: String, key: Option<Pos>, depth: usize) -> Option<()> {
        if depth > Self::MAX_DEPTH {
            return None;
        }
        self.skip_space();
        self.spots.insert(path.clone(), Spot { key, value: self.pos() });
        match self.peek()? {
            b'{' => {
                self.at += 1;
                self.skip_space();
                if self.peek()? == b'}' {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.skip_space();
                    let key = self.pos();
                    let name = self.string()?;
                    self.expect(b':')?;
                    self.value(child_path(&path, &name), Some(key), depth + 1)?;
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => break,
                        _ => return None,
                    }
                }
                self.at += 1;
            }
            b'[' => {
                self.at += 1;
                self.skip_space();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(());
                }
                for i in 0.. {
                    self.value(format!("{path}[{i}]"), None, depth + 1)?;
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => break,
                        _ => return None,
                    }
                }
                self.at += 1;
            }
            b'"' => {
                self.string()?;
            }
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|b| !b",]}: \t\r\n".contains(&b)) {
                    self.at += 1;
                }
                if self.at == start {
                    return None;
                }
            }
        }
        Some(())
    }
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
            let path = clean_path(&e.path().to_string());
            let inner = e.into_inner();
            let message = strip_position(&inner.to_string());
            // serde_json places a wrong value where it ends: point where the field
            // starts instead (at its key when the key is what is unknown).
            let (line, column) = if inner.is_data() {
                Spots(JsonScan::spots(&source.text)).locate(&path, message.starts_with("unknown field"))
            } else {
                (inner.line().max(1), inner.column().max(1))
            };
            located(line, column, path, message)
        })?;
        de.end().map_err(|e| located(e.line().max(1), e.column().max(1), String::new(), strip_position(&e.to_string())))?;
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
        let field = clean_path(&field);
        let at = e.location().map(|l| (l.line() as usize, l.column() as usize)).filter(|&(line, _)| line > 0);
        let (line, column) = at.unwrap_or_else(|| Spots::of(source).locate(&field, false));
        located(line, column.max(1), field, first_line(&e.to_string()))
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

/// Loads a variables file: a flat map of name to string. A bad name or value is
/// reported where it is written.
pub fn load_vars(source: &Source) -> Result<Vars, LoadError> {
    let map: BTreeMap<String, Value> = parse(source)?;
    Vars::from_map(map.clone()).map_err(|message| {
        let alone = |(name, value): (&String, &Value)| BTreeMap::from([(name.clone(), value.clone())]);
        let name = map.iter().find(|&entry| Vars::from_map(alone(entry)).is_err()).map(|(name, _)| name.clone());
        let field = name.unwrap_or_default();
        let bad_name = Vars::default().set(&field, "").is_err();
        let (line, column) = Spots::of(source).locate(&field, bad_name);
        LoadError { file: source.path.clone(), line, column, field, message }
    })
}

/// Loads and resolves every case of every source. `schemas` names the schemas a
/// case may refer to. Names must be unique per file, and file stems across sources.
pub fn load(sources: &[Source], vars: &Vars, schemas: &[&str]) -> Result<Vec<Case>, LoadError> {
    let mut stems = BTreeMap::new();
    for source in sources {
        if let Some(first) = stems.insert(source.stem().to_owned(), source.path.clone()) {
            return Err(LoadError::whole(
                &source.path,
                format!("another case file has the same name: {first} (test names are <file>::<case>)"),
            ));
        }
    }
    // Parsing YAML is most of a run's start-up: the files are parsed on every
    // core, and the first error in file order is the one reported.
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(sources.len()).max(1);
    let mut parsed: Vec<Option<Result<Vec<Case>, LoadError>>> = sources.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                scope.spawn(move || {
                    (first..sources.len())
                        .step_by(threads)
                        .map(|i| (i, load_one(&sources[i], vars, schemas)))
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
        cases.extend(result.unwrap_or_else(|| load_one(source, vars, schemas))?);
    }
    Ok(cases)
}

fn load_one(source: &Source, vars: &Vars, schemas: &[&str]) -> Result<Vec<Case>, LoadError> {
    check_references(source, vars)?;
    let doc: FileDoc = parse(source)?;
    // Reading where every field is written is a second parse: done only when an
    // error needs it, or when the quick scan for case lines does not fit.
    let spots = std::cell::OnceCell::new();
    let spots = || spots.get_or_init(|| Spots::of(source));
    let quick_lines = case_lines(source).filter(|lines| lines.len() == doc.cases.len());
    let error = |error: FieldError| {
        let (line, column) = spots().locate(&error.field, error.at_key);
        LoadError { file: source.path.clone(), line, column, field: error.field, message: error.message }
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
            let field = match raw.covers {
                OneOrMany::One(_) => "covers".to_owned(),
                OneOrMany::Many(_) => format!("covers[{blank}]"),
            };
            return Err(fail(&field, "must name a documented item, not be blank".into()));
        }
        if let Some(at) = raw.tags.iter().position(|t| !TAGS.contains(&t.as_str())) {
            let message = format!("unknown tag `{}` (known: {})", raw.tags[at], TAGS.join(", "));
            return Err(fail(&format!("tags[{at}]"), message));
        }
        let request = resolve_request(raw.request, vars).map_err(|e| error(e.under(&format!("{case}.request."))))?;
        let expect = resolve_expect(raw.expect, vars, schemas).map_err(|e| error(e.under(&format!("{case}.expect"))))?;
        cases.push(Case {
            file: source.stem().to_owned(),
            source: source.path.clone(),
            line: match &quick_lines {
                Some(lines) => lines[i],
                None => spots().locate(&format!("{case}.name"), true).0,
            },
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

/// What is wrong with a field found after parsing: its path (relative while it
/// is being resolved, such as `path` or `.status`), the message, and whether the
/// error is about the field's name (a bad header name) rather than its value.
struct FieldError {
    field: String,
    message: String,
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

/// The path, below a request's `json`, of the innermost value that does not
/// expand (such as `.from.agentId` or `.to[1]`), so that the error points at it.
fn failing_json_part(value: &Value, vars: &Vars) -> String {
    let children: Box<dyn Iterator<Item = (String, &Value)>> = match value {
        Value::Array(items) => Box::new(items.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v))),
        Value::Object(map) if !vars::is_generator(map) => Box::new(map.iter().map(|(k, v)| (format!(".{k}"), v))),
        _ => Box::new(std::iter::empty()),
    };
    for (path, child) in children {
        if vars.expand_json(child).is_err() {
            return format!("{path}{}", failing_json_part(child, vars));
        }
    }
    String::new()
}

fn resolve_request(raw: RawRequest, vars: &Vars) -> Result<Request, FieldError> {
    let err = |field: &str, e: &dyn fmt::Display| FieldError::new(field, e.to_string());
    let method = raw.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(FieldError::new("method", format!("`{}` is not an HTTP method", raw.method)));
    }
    let path = vars.expand(&raw.path).map_err(|e| err("path", &e))?;
    if !path.starts_with('/') {
        return Err(FieldError::new("path", format!("`{path}` must start with /")));
    }
    let mut headers = Vec::with_capacity(raw.headers.len() + 1);
    for (name, value) in &raw.headers {
        let field = format!("headers.{name}");
        let value = vars.expand(value).map_err(|e| err(&field, &e))?;
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
            let json = vars
                .expand_json(&json)
                .map_err(|e| err(&format!("json{}", failing_json_part(&json, vars)), &e))?;
            if !has_content_type {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            (serde_json::to_vec(&json).unwrap_or_default(), Some(json))
        }
        (None, Some(raw)) => {
            if !has_content_type {
                return Err(FieldError::new("headers", "a `raw` body needs a Content-Type header"));
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
            return Err(FieldError::new("", "with `any_of`, set nothing else in `expect`"));
        }
        let mut alternatives = Vec::with_capacity(raw.any_of.len());
        for (i, alt) in raw.any_of.into_iter().enumerate() {
            let field = format!(".any_of[{i}]");
            if !alt.any_of.is_empty() {
                return Err(FieldError::new(format!("{field}.any_of"), "`any_of` cannot nest"));
            }
            alternatives.push(resolve_expect(alt, vars, schemas).map_err(|e| e.under(&field))?);
        }
        return Ok(Expect { any_of: alternatives, ..Expect::default() });
    }
    let statuses = raw.status.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
    if statuses.is_empty() {
        return Err(FieldError::new(".status", "missing: say which status (or statuses) the response must have"));
    }
    if let Some(at) = statuses.iter().position(|s| !(100..=599).contains(s)) {
        let field = match raw.status {
            Some(OneOrMany::Many(_)) => format!(".status[{at}]"),
            _ => ".status".to_owned(),
        };
        return Err(FieldError::new(field, format!("{} is not an HTTP status (100-599)", statuses[at])));
    }
    if let Some(schema) = &raw.schema {
        if !schemas.contains(&schema.as_str()) {
            let message = format!("unknown schema `{schema}` (known: {})", schemas.join(", "));
            return Err(FieldError::new(".schema", message));
        }
    }
    let text = |field: &str, v: &Option<String>| {
        v.as_deref().map(|s| vars.expand(s)).transpose().map_err(|e| FieldError::new(field, e.to_string()))
    };
    let mut headers = BTreeMap::new();
    for (name, value) in &raw.headers {
        let value = vars.expand(value).map_err(|e| FieldError::new(format!(".headers.{name}"), e.to_string()))?;
        headers.insert(name.clone(), value);
    }
    Ok(Expect {
        message: text(".message", &raw.message)?,
        not_message: text(".not_message", &raw.not_message)?,
        headers,
        ..raw
    })
}

/// Whether `expect` is met by an answer that means a call was placed.
fn accepts_a_placed_call(expect: &Expect) -> bool {
    if !expect.any_of.is_empty() {
        return expect.any_of.iter().any(accepts_a_placed_call);
    }
    match &expect.status {
        None => true,
        Some(statuses) => statuses.to_vec().iter().any(|s| (200..300).contains(s)),
    }
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
        let cases = load(&[src.clone()], &vars(), SCHEMAS).unwrap();
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
    fn the_json_scanner_stops_quietly_on_anything_odd() {
        let json = "{\"a\": [1, {\"b\\\"\": \"ç\\u00e7\"}, null], \"c\": -1.5e3}";
        let spots = JsonScan::spots(json);
        assert_eq!(spots["a[1].b\""].key, Some((1, 12)));
        assert_eq!(spots["c"].value, (1, 43));
        for end in 0..json.len() {
            if let Some(prefix) = json.get(..end) {
                let _ = JsonScan::spots(prefix);
            }
        }
        for odd in ["", "\"", "\\", "{", "[,]", "{\"a\"}", "{\"a\":}", "{1: 2}", "\"\\", "[[[[[", "ç", "{\"a\": 1,}"] {
            let _ = JsonScan::spots(odd);
        }
        assert_eq!(JsonScan::spots(&"[".repeat(1000)).len(), JsonScan::MAX_DEPTH + 1);
        assert_eq!(JsonScan::spots("{\"a\": 1, \"b\": ]").get("a").map(|s| s.value), Some((1, 7)));
        assert_eq!(Spots::default().locate("cases[0].name", false), (1, 1));
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
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\nçd", 5), (2, 2));
        assert_eq!(line_col("", 0), (1, 1));
        assert_eq!(line_col("ç", 1), (1, 1));
        assert_eq!(line_col("a", 9), (1, 2));
    }

    #[test]
    fn the_quick_case_lines_agree_with_the_parser() {
        for source in Source::shipped() {
            let spots = Spots::of(&source);
            let quick = case_lines(&source).expect("shipped files use the usual layout");
            let parsed: Vec<usize> = (0..quick.len()).map(|i| spots.locate(&format!("cases[{i}].name"), true).0).collect();
            assert_eq!(quick, parsed, "{}", source.path);
            assert!(spots.0.contains_key(&format!("cases[{}]", quick.len() - 1)), "{}", source.path);
            assert!(!spots.0.contains_key(&format!("cases[{}]", quick.len())), "{}", source.path);
        }
        // Another layout: the name is not the first key, so the count does not fit.
        let source = Source { path: "x.yaml".into(), text: "cases:\n  - covers: a\n    name: b\n".into() };
        assert_eq!(case_lines(&source), Some(vec![]));
    }

}
