//! Load: everything a run reads before the first request. The variables
//! (shipped defaults, then `--vars` files, then `--var`s; a name no case uses is
//! refused with a did-you-mean), the case files (the shipped ones, then each
//! `--cases` path), and the schemas the answers are checked against.

use std::path::PathBuf;
use std::sync::Arc;

use crate::exec::spread::{SpareError, Spares};
use crate::located::{LocatedError, Spots};
use crate::suite::derive::{self, Depth};
use crate::suite::load::{MAX_SUITE, Total};
use crate::suite::vars::{self, Vars};
use crate::suite::{self, Case, Schemas, Source};

/// Which variables and case files a run uses (beyond the shipped ones).
#[derive(Clone, Debug, Default)]
pub struct SuiteSettings {
    /// `--var NAME=VALUE`s, in order (later wins).
    pub vars: Vec<(String, String)>,
    pub vars_files: Vec<PathBuf>,
    pub cases: Vec<PathBuf>,
    /// How many cases to derive from the contract model.
    pub depth: Depth,
}

/// The loaded suite: its cases, in file order, the schemas they name, and the
/// spare agents and numbers its calls may be spread over.
#[derive(Clone)]
pub struct Suite {
    /// Shared: each run of a self-test or a diff side holds the same cases.
    pub cases: Arc<[Case]>,
    pub schemas: Arc<Schemas>,
    pub spares: Spares,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite").field("cases", &self.cases.len()).field("schemas", &self.schemas.names()).finish()
    }
}

/// Why the suite could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A case or variables file is wrong at a place in it (or cannot be read).
    #[error(transparent)]
    Located(#[from] LocatedError),
    /// A variable was given that no case uses: a typo must not be dropped.
    #[error("{given_in}: no case uses a variable named `{name}`{}", did_you_mean(.suggestion.as_deref()))]
    UnknownVariable { given_in: String, name: String, suggestion: Option<String> },
    /// `--var NAME=VALUE` with a name that cannot be a variable's.
    #[error("--var {name}: {reason}")]
    BadVariable { name: String, reason: String },
    /// A `--cases` folder with no case file in it.
    #[error("{}: no case files (*.yaml, *.yml, *.json) there", .0.display())]
    NoCaseFiles(PathBuf),
    #[error("no case was loaded")]
    NoCases,
    /// A case claims to cover an item the contract's list does not have (a
    /// typo would keep the case from ever counting toward the contract).
    #[error(transparent)]
    UnknownItem(LocatedError),
    /// A case file named as the derived cases are.
    #[error("{0}: the name `{file}` is taken by the cases derived from the contract model: rename the file", file = derive::FILE)]
    TakenName(String),
    /// Deriving the cases stopped (a panic, which is a bug).
    #[error("deriving the cases from the contract model failed")]
    DeriveFailed,
    /// A spare agent or number that cannot stand in for the variable's value.
    #[error(transparent)]
    Spare(#[from] SpareError),
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map(|c| format!("; did you mean `{c}`?")).unwrap_or_default()
}

impl SuiteSettings {
    /// The variables: shipped defaults, then `--vars` files, then `--var`s. A name
    /// that neither the defaults nor any loaded case file uses is refused (a typo
    /// must not be silently dropped).
    pub fn vars(&self, sources: &[Source]) -> Result<Vars, LoadError> {
        let defaults = suite::load_vars(&suite::source::shipped_vars())?;
        let mut used: Vec<String> = defaults.names().map(str::to_owned).collect();
        for source in sources {
            if let Ok(refs) = vars::references(&source.text) {
                used.extend(refs.iter().map(|r| r.name.to_owned()));
            }
        }
        let known = |name: &str, given_in: String| -> Result<(), LoadError> {
            if used.iter().any(|u| u == name) {
                return Ok(());
            }
            let suggestion = crate::suggest::closest(name, used.iter().map(String::as_str)).map(str::to_owned);
            Err(LoadError::UnknownVariable { given_in, name: name.to_owned(), suggestion })
        };
        let mut vars = defaults;
        for file in &self.vars_files {
            let more = suite::load_vars(&Source::read(file)?)?;
            for name in more.names() {
                known(name, file.display().to_string())?;
            }
            vars.overlay(more);
        }
        for (name, value) in &self.vars {
            known(name, format!("--var {name}"))?;
            vars.set(name, value).map_err(|reason| LoadError::BadVariable { name: name.clone(), reason })?;
        }
        Ok(vars)
    }

    /// The case files: the shipped ones, then each `--cases` path.
    pub fn sources(&self) -> Result<Vec<Source>, LoadError> {
        let mut sources = suite::source::shipped();
        for path in &self.cases {
            let more = if path.is_dir() { suite::source::read_dir(path)? } else { vec![Source::read(path)?] };
            if more.is_empty() {
                return Err(LoadError::NoCaseFiles(path.clone()));
            }
            sources.extend(more);
        }
        Ok(sources)
    }
}

/// Loads everything a run needs before the first request.
pub fn load(settings: &SuiteSettings) -> Result<Suite, LoadError> {
    let sources = settings.sources()?;
    let vars = settings.vars(&sources)?;
    let schemas = Schemas::shipped();
    if let Some(taken) = sources.iter().find(|s| s.stem() == derive::FILE) {
        return Err(LoadError::TakenName(taken.path.clone()));
    }
    // The response schemas compile, and the derived cases are built, beside the parsing.
    // One budget for the whole suite: the case files and the derived cases count into it.
    let total = Total::new(MAX_SUITE);
    let (cases, derived) = std::thread::scope(|scope| {
        scope.spawn(|| schemas.warm(&["call-created", "error"]));
        let derived = scope.spawn(|| derive::derived_within(&vars, settings.depth, &total));
        (suite::load::load_within(&sources, &vars, &schemas.names(), &total), derived.join())
    });
    let mut cases = cases?;
    check_covers(&cases, &sources)?;
    cases.extend(derived.map_err(|_| LoadError::DeriveFailed)??);
    if cases.is_empty() {
        return Err(LoadError::NoCases);
    }
    let spares = Spares::from_vars(&vars)?;
    Ok(Suite { cases: cases.into(), schemas: Arc::new(schemas), spares })
}

/// Refuses a case that claims to cover an item `contract/items.yaml` does not
/// list, at the `covers` entry's line and column, with a did-you-mean.
fn check_covers(cases: &[Case], sources: &[Source]) -> Result<(), LoadError> {
    let items = crate::coverage::items()?;
    let known: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let mut in_file: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for case in cases {
        let index = in_file.entry(case.source.as_str()).or_insert(0);
        let at = *index;
        *index += 1;
        let Some((j, unknown)) = case.covers.iter().enumerate().find(|(_, c)| !known.contains(&c.as_str())) else { continue };
        let field = format!("cases[{at}].covers[{j}]");
        let hint = did_you_mean(crate::suggest::closest(unknown, known.iter().copied()));
        let message = format!("`{unknown}` is not an item of the contract (contract/items.yaml; `vcc-conformance coverage` lists them){hint}");
        let error = match sources.iter().find(|s| s.path == case.source) {
            Some(source) => LocatedError::at(source, Spots::of(source).locate(&field, false), field, message),
            None => LocatedError { file: case.source.clone(), line: case.line, column: 1, field, message },
        };
        return Err(LoadError::UnknownItem(error));
    }
    Ok(())
}

/// The shipped suite with the default variables.
pub fn load_shipped() -> Result<Suite, LoadError> {
    load(&SuiteSettings::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_cases_load() {
        let suite = load_shipped().unwrap();
        assert!(suite.cases.len() >= 40, "{}", suite.cases.len());
    }

    #[test]
    fn a_mistyped_variable_is_refused_with_a_suggestion() {
        let typo = SuiteSettings { vars: vec![("busyAgentID".into(), "3141".into())], ..SuiteSettings::default() };
        let err = load(&typo).err().unwrap();
        assert!(matches!(&err, LoadError::UnknownVariable { name, .. } if name == "busyAgentID"), "{err:?}");
        let err = err.to_string();
        assert!(err.contains("`busyAgentID`") && err.contains("did you mean `busyAgentId`?"), "{err}");
        let right = SuiteSettings { vars: vec![("busyAgentId".into(), "3141".into())], ..SuiteSettings::default() };
        assert!(load(&right).is_ok());
    }

    /// A `covers:` that names no item is refused where it is written, with a suggestion.
    #[test]
    fn a_mistyped_item_is_refused_at_its_place() {
        let dir = std::env::temp_dir().join(format!("vcc-covers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mine.yaml");
        let text = "cases:\n  - name: one\n    covers: example-1\n    request: {json: {from: {}, to: {}}}\n    expect: {status: 400}\n  - name: two\n    covers: [example-2, \"400: Agent Id exceeds 11 digit\"]\n    request: {json: {from: {}, to: {}}}\n    expect: {status: 400}\n";
        std::fs::write(&file, text).unwrap();
        let settings = SuiteSettings { cases: vec![file.clone()], ..SuiteSettings::default() };
        let err = load(&settings).err().unwrap();
        let LoadError::UnknownItem(located) = &err else { panic!("{err:?}") };
        assert_eq!((located.line, located.field.as_str()), (7, "cases[1].covers[1]"), "{err}");
        assert!(err.to_string().contains("did you mean `400: Agent Id exceeds 11 digits`?"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The shipped cases are tagged `places-call` exactly where they may place one.
    #[test]
    fn the_shipped_cases_are_tagged_where_they_may_place_a_call() {
        let shipped = load_shipped().unwrap().cases;
        for case in shipped.iter() {
            assert_eq!(case.may_place_call(), case.has_tag("places-call"), "{}", case.test_name());
        }
        assert!(shipped.iter().any(Case::may_place_call) && !shipped.iter().all(Case::may_place_call));
    }
}
