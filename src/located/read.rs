//! Reading a document from a file.

use std::path::Path;

use super::{LocatedError, Source};

impl Source {
    /// Reads one file, reported under its path as given.
    pub fn read(path: &Path) -> Result<Source, LocatedError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LocatedError::whole(&shown, e.to_string()))?;
        Ok(Source { path: shown, text })
    }
}
