//! Located: YAML or JSON text deserialised into any `DeserializeOwned` type,
//! with errors that name the file, the line and column, and the field path
//! (`cases[3].expect.status`) of what is wrong.
//!
//! Knows nothing of what the documents mean: the suite's case loader, the
//! reference server's fixture and the coverage list all parse through it.
//! [`Spots`] finds a field again in the text, so that checks made after
//! parsing can point at the field itself.

mod json_scan;
mod read;
mod spots;

use std::fmt;

pub use read::MAX_FILE;
pub use spots::Spots;

/// A document's text and the name it is reported under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub text: String,
}

impl Source {
    /// The file stem (`cases/examples.yaml` → `examples`).
    pub fn stem(&self) -> &str {
        let base = self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path);
        base.rsplit_once('.').map_or(base, |(stem, _)| stem)
    }

    /// Whether it is read as JSON (by its extension); anything else is YAML.
    pub fn is_json(&self) -> bool {
        self.path.ends_with(".json")
    }
}

/// What is wrong in a document: where, which field, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedError {
    pub file: String,
    /// 1-based; 0 when the error concerns the whole file.
    pub line: usize,
    pub column: usize,
    /// The field path, such as `cases[3].expect.status`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl LocatedError {
    /// An error about the whole file (it cannot be read, or clashes with another).
    pub fn whole(file: &str, message: impl Into<String>) -> LocatedError {
        LocatedError { file: file.into(), line: 0, column: 0, field: String::new(), message: message.into() }
    }

    /// An error at a line and column of `source`.
    pub fn at(source: &Source, (line, column): (usize, usize), field: impl Into<String>, message: impl Into<String>) -> LocatedError {
        LocatedError { file: source.path.clone(), line, column, field: field.into(), message: message.into() }
    }
}

impl fmt::Display for LocatedError {
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

impl std::error::Error for LocatedError {}

/// 1-based line and column of a byte offset (an offset inside a character
/// counts as that character).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses a YAML or JSON document (by its extension) into `T`, reporting the
/// line, column and field of the first error. Unknown keys are denied where `T`
/// says so (`#[serde(deny_unknown_fields)]`).
pub fn parse<T: serde::de::DeserializeOwned>(source: &Source) -> Result<T, LocatedError> {
    if source.is_json() { parse_json(source) } else { parse_yaml(source) }
}

/// Parses a JSON document into `T`, whatever the file's name (a HAR record,
/// say), with the errors of [`parse`].
pub fn parse_json<T: serde::de::DeserializeOwned>(source: &Source) -> Result<T, LocatedError> {
    let mut de = serde_json::Deserializer::from_str(&source.text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = clean_path(&e.path().to_string());
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
        // serde_json places a wrong value where it ends: point where the field
        // starts instead (at its key when the key is what is unknown).
        let at = if inner.is_data() {
            Spots::of_json(source).locate(&path, message.starts_with("unknown field"))
        } else {
            (inner.line().max(1), inner.column().max(1))
        };
        LocatedError::at(source, at, path, message)
    })?;
    de.end().map_err(|e| LocatedError::at(source, (e.line().max(1), e.column().max(1)), "", strip_position(&e.to_string())))?;
    Ok(value)
}

fn parse_yaml<T: serde::de::DeserializeOwned>(source: &Source) -> Result<T, LocatedError> {
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    if source.text.lines().all(blank) {
        return Err(LocatedError::at(source, (1, 1), "", "the file is empty (only blank lines or comments)"));
    }
    let mut field = String::new();
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
        LocatedError::at(source, (line, column.max(1)), field, first_line(&e.to_string()))
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        sizes: BTreeMap<String, u32>,
    }

    fn source(path: &str, text: &str) -> Source {
        Source { path: path.into(), text: text.into() }
    }

    #[test]
    fn any_type_parses_from_yaml_and_json() {
        let yaml: Doc = parse(&source("d.yaml", "name: x\nsizes: {a: 1}\n")).unwrap();
        let json: Doc = parse(&source("d.json", "{\"name\": \"x\", \"sizes\": {\"a\": 1}}")).unwrap();
        assert_eq!((yaml.name, yaml.sizes), (json.name, json.sizes));
    }

    #[test]
    fn errors_name_the_file_place_and_field() {
        let err = parse::<Doc>(&source("d.yaml", "name: x\nsizes:\n  a: big\n")).unwrap_err();
        assert_eq!((err.file.as_str(), err.line, err.column, err.field.as_str()), ("d.yaml", 3, 6, "sizes.a"), "{err}");
        assert!(err.to_string().starts_with("d.yaml:3:6: field `sizes.a`: invalid u32"), "{err}");
        let err = parse::<Doc>(&source("d.json", "{\"name\": \"x\",\n \"sizes\": {\"a\": 1}, \"extra\": 2}")).unwrap_err();
        assert_eq!((err.line, err.column, err.field.as_str()), (2, 21, "extra"), "{err}");
        assert!(err.message.starts_with("unknown field `extra`"), "{err}");
        let err = parse::<Doc>(&source("d.json", "{\"name\": \"x\", \"sizes\": {}} trailing")).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (1, ""), "{err}");
        let err = parse::<Doc>(&source("d.yaml", "# nothing\n\n")).unwrap_err();
        assert!(err.message.contains("empty"), "{err}");
    }

    #[test]
    fn a_whole_file_error_has_no_place() {
        assert_eq!(LocatedError::whole("f", "gone").to_string(), "f: gone");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\nçd", 5), (2, 2));
        assert_eq!(line_col("", 0), (1, 1));
        assert_eq!(line_col("ç", 1), (1, 1));
        assert_eq!(line_col("a", 9), (1, 2));
    }

    #[test]
    fn stems_and_kinds() {
        assert_eq!(source("cases/a.b.yaml", "").stem(), "a.b");
        assert_eq!(source("c:\\x\\y.json", "").stem(), "y");
        assert!(source("y.json", "").is_json() && !source("y.yml", "").is_json());
    }
}
