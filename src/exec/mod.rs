//! Execution: everything between the options and the reports. [`load`] reads
//! the variables and case files, [`plan`] decides which cases are sent,
//! [`target`] opens what is tested (and proves it answers), [`executor`] sends
//! and checks, [`libtest`] adapts the run to libtest-mimic, [`record`] keeps
//! the failed cases for `--rerun-failed`. `run`, `diff` and
//! `selftest` share all of it.

pub mod executor;
pub mod libtest;
pub mod plan;
pub mod record;
pub mod target;

use std::path::PathBuf;

use crate::suite::{self, Case, Source};
use crate::suite::Schemas;
use crate::suite::derive::{self, Depth};
use crate::suite::vars::{self, Vars};

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

impl SuiteSettings {
    /// The variables: shipped defaults, then `--vars` files, then `--var`s. A name
    /// that neither the defaults nor any loaded case file uses is refused (a typo
    /// must not be silently dropped).
    pub fn vars(&self, sources: &[Source]) -> Result<Vars, String> {
        let defaults = suite::load_vars(&suite::source::shipped_vars()).map_err(|e| e.to_string())?;
        let mut used: Vec<String> = defaults.names().map(str::to_owned).collect();
        for source in sources {
            if let Ok(refs) = vars::references(&source.text) {
                used.extend(refs.iter().map(|r| r.name.to_owned()));
            }
        }
        let known = |name: &str, from: &str| -> Result<(), String> {
            if used.iter().any(|u| u == name) {
                return Ok(());
            }
            let hint = crate::suggest::closest(name, used.iter().map(String::as_str))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            Err(format!("{from}: no case uses a variable named `{name}`{hint}"))
        };
        let mut vars = defaults;
        for file in &self.vars_files {
            let more = suite::load_vars(&Source::read(file).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            for name in more.names() {
                known(name, &file.display().to_string())?;
            }
            vars.overlay(more);
        }
        for (name, value) in &self.vars {
            known(name, &format!("--var {name}"))?;
            vars.set(name, value).map_err(|e| format!("--var {name}: {e}"))?;
        }
        Ok(vars)
    }

    /// The case files: the shipped ones, then each `--cases` path.
    pub fn sources(&self) -> Result<Vec<Source>, String> {
        let mut sources = suite::source::shipped();
        for path in &self.cases {
            let more = if path.is_dir() { suite::source::read_dir(path) } else { Source::read(path).map(|s| vec![s]) };
            let more = more.map_err(|e| e.to_string())?;
            if more.is_empty() {
                return Err(format!("{}: no case files (*.yaml, *.yml, *.json) there", path.display()));
            }
            sources.extend(more);
        }
        Ok(sources)
    }
}

/// Loads everything a run needs before the first request.
pub fn load(settings: &SuiteSettings) -> Result<(Vec<Case>, Schemas), String> {
    let sources = settings.sources()?;
    let vars = settings.vars(&sources)?;
    let schemas = Schemas::shipped();
    if let Some(taken) = sources.iter().find(|s| s.stem() == derive::FILE) {
        return Err(format!("{}: the name `{}` is taken by the cases derived from the contract model: rename the file", taken.path, derive::FILE));
    }
    // The response schemas compile, and the derived cases are built, beside the parsing.
    let (cases, derived) = std::thread::scope(|scope| {
        scope.spawn(|| schemas.warm(&["call-created", "error"]));
        let derived = scope.spawn(|| derive::derived(&vars, settings.depth));
        (suite::load(&sources, &vars, &schemas.names()), derived.join())
    });
    let mut cases = cases.map_err(|e| e.to_string())?;
    cases.extend(derived.map_err(|_| "deriving the cases from the contract model failed".to_owned())?.map_err(|e| e.to_string())?);
    if cases.is_empty() {
        return Err("no case was loaded".into());
    }
    Ok((cases, schemas))
}

/// The shipped suite with the default variables.
pub fn load_shipped() -> Result<(Vec<Case>, Schemas), String> {
    load(&SuiteSettings::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_cases_load() {
        let (cases, _) = load_shipped().unwrap();
        assert!(cases.len() >= 40, "{}", cases.len());
    }

    #[test]
    fn a_mistyped_variable_is_refused_with_a_suggestion() {
        let typo = SuiteSettings { vars: vec![("busyAgentID".into(), "3141".into())], ..SuiteSettings::default() };
        let err = load(&typo).err().unwrap();
        assert!(err.contains("`busyAgentID`") && err.contains("did you mean `busyAgentId`?"), "{err}");
        let right = SuiteSettings { vars: vec![("busyAgentId".into(), "3141".into())], ..SuiteSettings::default() };
        assert!(load(&right).is_ok());
    }

    /// The shipped cases are tagged `places-call` exactly where they may place one.
    #[test]
    fn the_shipped_cases_are_tagged_where_they_may_place_a_call() {
        let (shipped, _) = load_shipped().unwrap();
        for case in &shipped {
            assert_eq!(case.may_place_call(), case.has_tag("places-call"), "{}", case.test_name());
        }
        assert!(shipped.iter().any(Case::may_place_call) && !shipped.iter().all(Case::may_place_call));
    }
}
