//! Sources: the shipped case files and variables, embedded so that the binary
//! runs from anywhere, and the case files of a folder.

use std::path::Path;

use crate::located::{LocatedError, Source};

/// The shipped case files (`cases/*.yaml|yml|json` but `vars.*`), sorted by
/// name: listed by `build.rs`, so that a new file is shipped as it is added.
pub const SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_cases.rs"));

/// The shipped default variables (`cases/vars.yaml`).
pub const SHIPPED_VARS: (&str, &str) = ("cases/vars.yaml", include_str!("../../cases/vars.yaml"));

/// The most bytes the case files of one folder may hold together (32 MiB).
pub const MAX_FOLDER: usize = 32 << 20;

/// The shipped case files.
pub fn shipped() -> Vec<Source> {
    SHIPPED.iter().map(|(p, t)| Source { path: (*p).into(), text: (*t).into() }).collect()
}

/// The shipped variables file.
pub fn shipped_vars() -> Source {
    Source { path: SHIPPED_VARS.0.into(), text: SHIPPED_VARS.1.into() }
}

/// Every `*.yaml`, `*.yml` and `*.json` file directly in `dir` (but `vars.*`),
/// sorted by name. Each must be a regular file or a link to one: a broken link,
/// a link loop, or a link to a folder or a device is an error that names it, not
/// a file quietly left out. Entries with other names are not looked at.
pub fn read_dir(dir: &Path) -> Result<Vec<Source>, LocatedError> {
    let io = |e: std::io::Error| LocatedError::whole(&dir.display().to_string(), e.to_string());
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let is_case = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"));
        let is_vars = path.file_stem().is_some_and(|s| s == "vars");
        if is_case && !is_vars {
            paths.push(path);
        }
    }
    paths.sort();
    let mut total = 0;
    let mut sources = Vec::with_capacity(paths.len());
    for path in &paths {
        let source = Source::read(path)?;
        total += source.text.len();
        if total > MAX_FOLDER {
            let message = format!("the case files here are over the {} MiB limit on a folder's files together", MAX_FOLDER >> 20);
            return Err(LocatedError::whole(&dir.display().to_string(), message));
        }
        sources.push(source);
    }
    Ok(sources)
}
