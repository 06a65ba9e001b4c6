//! Sources: the shipped case files and variables, embedded so that the binary
//! runs from anywhere, and the case files of a folder.

use std::path::Path;

use crate::located::{LocatedError, Source};

/// The shipped case files (`cases/*.yaml|yml|json` but `vars.*`), sorted by
/// name: listed by `build.rs`, so that a new file is shipped as it is added.
pub const SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_cases.rs"));

/// The shipped default variables (`cases/vars.yaml`).
pub const SHIPPED_VARS: (&str, &str) = ("cases/vars.yaml", include_str!("../../cases/vars.yaml"));

/// The shipped case files.
pub fn shipped() -> Vec<Source> {
    SHIPPED.iter().map(|(p, t)| Source { path: (*p).into(), text: (*t).into() }).collect()
}

/// The shipped variables file.
pub fn shipped_vars() -> Source {
    Source { path: SHIPPED_VARS.0.into(), text: SHIPPED_VARS.1.into() }
}

/// Every `*.yaml`, `*.yml` and `*.json` file directly in `dir` (but `vars.*`),
/// sorted by name.
pub fn read_dir(dir: &Path) -> Result<Vec<Source>, LocatedError> {
    let io = |e: std::io::Error| LocatedError::whole(&dir.display().to_string(), e.to_string());
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let is_case = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"));
        let is_vars = path.file_stem().is_some_and(|s| s == "vars");
        if is_case && !is_vars && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| Source::read(p)).collect()
}
