//! The environment: every `VCC_*` variable the command line reads is named by
//! the option that reads it (clap's `env`), so the list here is derived from
//! the command definition. A variable that is set but empty is an error (an
//! undefined CI variable expands to empty, and must not quietly mean "the
//! embedded server"); an unknown `VCC_*` name gets a did-you-mean.

use std::collections::BTreeSet;
use std::ffi::OsString;

use crate::suggest::closest;

/// Every `VCC_*` name an option of `cmd` (or its subcommands) reads.
pub fn known(cmd: &clap::Command) -> BTreeSet<String> {
    let mut names: BTreeSet<String> =
        cmd.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_string_lossy().into_owned()).collect();
    for sub in cmd.get_subcommands() {
        names.extend(known(sub));
    }
    names
}

/// A known setting that is set but empty.
#[derive(Debug, thiserror::Error)]
#[error("{0} is set but empty: give it a value or unset it (an empty setting is not taken as absent)")]
pub struct EmptySetting(pub String);

/// Checks the environment: an error for a known variable set but empty, and
/// a warning for each unknown `VCC_*` name.
pub fn check(vars: impl IntoIterator<Item = (OsString, OsString)>, known: &BTreeSet<String>) -> Result<Vec<String>, EmptySetting> {
    let mut warnings = Vec::new();
    for (name, value) in vars {
        let name = name.to_string_lossy();
        if !name.starts_with("VCC_") {
            continue;
        }
        if known.contains(name.as_ref()) {
            if value.is_empty() {
                return Err(EmptySetting(name.into_owned()));
            }
        } else {
            let hint = closest(&name, known.iter().map(String::as_str)).map(|c| format!("; did you mean {c}?")).unwrap_or_default();
            warnings.push(format!("{name} is not a setting of vcc-conformance and is ignored{hint}"));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> BTreeSet<String> {
        ["VCC_BASE_URL", "VCC_TOKEN", "VCC_JUNIT"].iter().map(|s| (*s).to_owned()).collect()
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(n, v)| (OsString::from(n), OsString::from(v))).collect()
    }

    #[test]
    fn an_empty_setting_is_an_error_that_names_it() {
        let err = check(env(&[("PATH", ""), ("VCC_BASE_URL", "")]), &known()).unwrap_err().to_string();
        assert!(err.starts_with("VCC_BASE_URL is set but empty"), "{err}");
        assert!(check(env(&[("VCC_BASE_URL", "http://h"), ("OTHER", "")]), &known()).unwrap().is_empty());
    }

    #[test]
    fn unknown_settings_get_a_did_you_mean() {
        let warnings = check(env(&[("VCC_BASEURL", "x"), ("VCC_ZZZZZZZZZZZZZ", "y")]), &known()).unwrap();
        assert!(warnings[0].contains("did you mean VCC_BASE_URL?"), "{warnings:?}");
        assert!(!warnings[1].contains("did you mean"), "{warnings:?}");
    }
}
