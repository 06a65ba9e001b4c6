//! Reports: every output of a run, each rendered from the one [`RunOutcome`]
//! ([`crate::result`]). [`libtest`] is the console (`cargo test`'s pretty, terse
//! or JSON lines, then the run's tail), [`text`] a case as a person reads it,
//! [`junit`] and [`html`] the report files, [`matrix`] the contract in this run,
//! [`export`] curl and Hurl. Secrets are hidden here, as each text is rendered,
//! before anything is shortened.
//!
//! A report file is one [`Output`]: checked before anything is sent, written
//! after the run. A new format is a module here, a variant of [`Output`], and
//! its flag in [`crate::cli::options::ReportArgs`].

pub mod export;
pub mod html;
pub mod junit;
pub mod libtest;
pub mod lines;
pub mod matrix;
pub mod out;
pub mod tap;
pub mod text;

use std::path::{Path, PathBuf};

use crate::files::{self, FileError};
use crate::result::RunOutcome;
use matrix::Row;

/// A report file the run writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// `--junit FILE`: JUnit XML.
    Junit(PathBuf),
    /// `--html FILE`: one self-contained page.
    Html(PathBuf),
    /// `--tap FILE`: TAP version 14.
    Tap(PathBuf),
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Found before anything is sent: the path cannot take the report.
    #[error("{flag} {}: cannot write there: {error}", .path.display())]
    Unwritable { flag: &'static str, path: PathBuf, error: FileError },
    #[error("could not write the {what} report {}: {error}", .path.display())]
    Write { what: &'static str, path: PathBuf, error: FileError },
    #[error("could not render the {what} report: {reason}")]
    Render { what: &'static str, reason: String },
}

impl Output {
    /// The option that asks for it.
    pub fn flag(&self) -> &'static str {
        match self {
            Output::Junit(_) => "--junit",
            Output::Html(_) => "--html",
            Output::Tap(_) => "--tap",
        }
    }

    /// The format, as messages name it.
    pub fn what(&self) -> &'static str {
        match self {
            Output::Junit(_) => "JUnit",
            Output::Html(_) => "HTML",
            Output::Tap(_) => "TAP",
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Output::Junit(path) | Output::Html(path) | Output::Tap(path) => path,
        }
    }

    /// Whether the report needs the exchange of passing cases too.
    pub fn keeps_passing(&self) -> bool {
        matches!(self, Output::Html(_))
    }

    /// Checks, before anything is sent, that the report can be written.
    pub fn check(&self) -> Result<(), ReportError> {
        check_path(self.flag(), self.path())
    }

    /// The report's text.
    pub fn render(&self, outcome: &RunOutcome, matrix: &[Row]) -> Result<String, ReportError> {
        match self {
            Output::Junit(_) => {
                junit::render(outcome).map_err(|e| ReportError::Render { what: self.what(), reason: e.to_string() })
            }
            Output::Html(_) => Ok(html::render(outcome, matrix)),
            Output::Tap(_) => Ok(tap::render(outcome)),
        }
    }

    /// Renders and writes the report whole.
    pub fn write(&self, outcome: &RunOutcome, matrix: &[Row]) -> Result<(), ReportError> {
        let text = self.render(outcome, matrix)?;
        files::write_whole(self.path(), text.as_bytes())
            .map_err(|error| ReportError::Write { what: self.what(), path: self.path().to_owned(), error })
    }
}

/// Checks, before anything is sent, that a file asked for with `flag` can be
/// written at `path`.
pub fn check_path(flag: &'static str, path: &Path) -> Result<(), ReportError> {
    files::check_writable(path).map_err(|error| ReportError::Unwritable { flag, path: path.to_owned(), error })
}

/// Writes every output, each attempted whatever became of the others; the
/// errors of those that could not be written.
pub fn write_all(outputs: &[Output], outcome: &RunOutcome, matrix: &[Row]) -> Vec<ReportError> {
    outputs.iter().filter_map(|output| output.write(outcome, matrix).err()).collect()
}
