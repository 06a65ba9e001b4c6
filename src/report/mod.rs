//! Reports: every output of a run, each rendered from the one [`RunOutcome`]
//! ([`crate::result`]). [`libtest`] is the console (`cargo test`'s pretty, terse
//! or JSON lines, then the run's tail), [`text`] a case as a person reads it,
//! [`json`] a case as a pipeline reads it, [`junit`], [`html`], [`tap`], [`har`]
//! and [`github`] the report files (and GitHub's annotations), [`matrix`] the
//! contract in this run, [`verdict`] what the run concludes, [`export`] curl
//! and Hurl. Secrets are hidden here, as each text is rendered, before anything
//! is shortened.
//!
//! A report file is one [`Output`]: checked before anything is sent, written
//! after the run. A new format is a module here, a variant of [`Output`], and
//! its flag in [`crate::cli::options::ReportArgs`].

pub mod export;
pub mod github;
pub mod har;
pub mod html;
pub mod json;
pub mod junit;
pub mod libtest;
pub mod lines;
pub mod matrix;
pub mod out;
pub mod tap;
pub mod text;
pub mod verdict;

use std::path::{Path, PathBuf};

use crate::files::{self, FileError};
use crate::result::RunOutcome;
use verdict::Contract;

/// A report file the run writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// `--junit FILE`: JUnit XML.
    Junit(PathBuf),
    /// `--html FILE`: one self-contained page.
    Html(PathBuf),
    /// `--tap FILE`: TAP version 14.
    Tap(PathBuf),
    /// `--har FILE`: every exchange as HTTP Archive 1.2.
    Har(PathBuf),
    /// `--github-summary FILE` (or GitHub Actions' `$GITHUB_STEP_SUMMARY`):
    /// Markdown, appended.
    GithubSummary(PathBuf),
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
            Output::Har(_) => "--har",
            Output::GithubSummary(_) => "--github-summary",
        }
    }

    /// The format, as messages name it.
    pub fn what(&self) -> &'static str {
        match self {
            Output::Junit(_) => "JUnit",
            Output::Html(_) => "HTML",
            Output::Tap(_) => "TAP",
            Output::Har(_) => "HAR",
            Output::GithubSummary(_) => "GitHub step summary",
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Output::Junit(path) | Output::Html(path) | Output::Tap(path) | Output::Har(path) | Output::GithubSummary(path) => path,
        }
    }

    /// Whether the report needs the exchange of passing cases too.
    pub fn keeps_passing(&self) -> bool {
        matches!(self, Output::Html(_) | Output::Har(_))
    }

    /// Whether the report is appended to what the file holds (GitHub's step
    /// summary gathers every step's), rather than written whole.
    fn appends(&self) -> bool {
        matches!(self, Output::GithubSummary(_))
    }

    /// Checks, before anything is sent, that the report can be written.
    pub fn check(&self) -> Result<(), ReportError> {
        if self.appends() {
            return files::check_appendable(self.path())
                .map_err(|error| ReportError::Unwritable { flag: self.flag(), path: self.path().to_owned(), error });
        }
        check_path(self.flag(), self.path())
    }

    /// The report's text.
    pub fn render(&self, outcome: &RunOutcome, contract: &Contract<'_>) -> Result<String, ReportError> {
        let render_error = |reason: String| ReportError::Render { what: self.what(), reason };
        match self {
            Output::Junit(_) => junit::render(outcome, contract).map_err(|e| render_error(e.to_string())),
            Output::Html(_) => Ok(html::render(outcome, contract)),
            Output::Tap(_) => Ok(tap::render(outcome)),
            Output::Har(_) => Ok(har::render(outcome)),
            Output::GithubSummary(_) => Ok(github::summary(outcome, contract)),
        }
    }

    /// Renders and writes the report (whole, or appended).
    pub fn write(&self, outcome: &RunOutcome, contract: &Contract<'_>) -> Result<(), ReportError> {
        let text = self.render(outcome, contract)?;
        let written = if self.appends() {
            files::append(self.path(), text.as_bytes())
        } else {
            files::write_whole(self.path(), text.as_bytes())
        };
        written.map_err(|error| ReportError::Write { what: self.what(), path: self.path().to_owned(), error })
    }
}

/// Checks, before anything is sent, that a file asked for with `flag` can be
/// written at `path`.
pub fn check_path(flag: &'static str, path: &Path) -> Result<(), ReportError> {
    files::check_writable(path).map_err(|error| ReportError::Unwritable { flag, path: path.to_owned(), error })
}

/// Writes every output, each attempted whatever became of the others; the
/// errors of those that could not be written.
pub fn write_all(outputs: &[Output], outcome: &RunOutcome, contract: &Contract<'_>) -> Vec<ReportError> {
    outputs.iter().filter_map(|output| output.write(outcome, contract).err()).collect()
}
