//! Record: the names of the cases the last run failed, kept in a small file so
//! that `--rerun-failed` selects exactly them again. Every run that sent cases
//! writes it (`target/vcc-conformance/last-failed` under the current folder,
//! unless `--record FILE` says otherwise): one case name a line, `#` starting a
//! comment. Never kept under cargo nextest, where each process runs one case
//! and would overwrite the record of all the others.

use std::path::{Path, PathBuf};

use crate::exec::plan::Selection;
use crate::files::{self, FileError};
use crate::located::{LocatedError, Source};
use crate::result::RunOutcome;

/// Why the record could not be read or written, or cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Reading it failed: not a regular file, over the read cap, unreadable.
    #[error("cannot read the record of the last run {}", .0)]
    Read(LocatedError),
    #[error("could not write the record of failed cases {}: {error}", .path.display())]
    Write { path: PathBuf, error: FileError },
    #[error("cannot create {}: {error}", .folder.display())]
    Folder { folder: PathBuf, error: std::io::Error },
    #[error("--rerun-failed: no record of a last run at {}: run the suite once first (or name the record with --record FILE)", .0.display())]
    Missing(PathBuf),
    #[error("--rerun-failed runs exactly the cases the last run failed; give no filter with it (`{}`), --skip still applies", .0.join(" "))]
    WithFilter(Vec<String>),
    #[error("--rerun-failed (VCC_RERUN_FAILED) does not work under cargo nextest, where every case runs in its own process and no record is kept")]
    UnderNextest,
}

/// Where the record is kept unless `--record` (`VCC_RECORD`) names a file.
pub const DEFAULT_PATH: &str = "target/vcc-conformance/last-failed";

/// Whether this process runs under cargo nextest (one case per process).
pub fn under_nextest() -> bool {
    std::env::var_os("NEXTEST").is_some() || std::env::var_os("NEXTEST_RUN_ID").is_some()
}

/// The record's path: the one given, or the default.
pub fn path(given: Option<&Path>) -> PathBuf {
    given.map_or_else(|| PathBuf::from(DEFAULT_PATH), Path::to_path_buf)
}

/// The case names a record holds; `None` when there is no record there. Read
/// as every file the run reads: a regular file only, within the read cap.
pub fn read(path: &Path) -> Result<Option<Vec<String>>, RecordError> {
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    let source = Source::read(path).map_err(RecordError::Read)?;
    Ok(Some(parse(&source.text)))
}

fn parse(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// The record's text: a comment naming the target, then one failed case a line.
pub fn render(failed: &[&str], target: &str) -> String {
    let mut text = format!(
        "# vcc-conformance: the cases the last run failed ({} against {target}); --rerun-failed runs them again\n",
        failed.len()
    );
    for name in failed {
        text.push_str(name);
        text.push('\n');
    }
    text
}

/// Writes the record whole, creating the default folder if need be.
pub fn write(path: &Path, failed: &[&str], target: &str) -> Result<(), RecordError> {
    if path == Path::new(DEFAULT_PATH)
        && let Some(folder) = path.parent()
    {
        std::fs::create_dir_all(folder).map_err(|error| RecordError::Folder { folder: folder.to_owned(), error })?;
    }
    files::write_whole(path, render(failed, target).as_bytes()).map_err(|error| RecordError::Write { path: path.to_owned(), error })
}

/// Records the cases `outcome` failed (those not run are not failures).
pub fn write_outcome(path: &Path, outcome: &RunOutcome) -> Result<(), RecordError> {
    let failed: Vec<&str> = outcome.failed().map(|r| r.case.name.as_str()).collect();
    write(path, &failed, &outcome.run.target)
}

/// What `--rerun-failed` runs.
#[derive(Debug, PartialEq, Eq)]
pub enum Rerun {
    /// Exactly these cases (`skip` still applies).
    Cases(Selection),
    /// The last run failed nothing: nothing to re-run.
    Nothing,
}

/// The selection `--rerun-failed` makes from the record at `path`: exactly the
/// names it lists. An error (exit 2) when there is no record, or a filter was
/// given too (the record already says which cases).
pub fn rerun(path: &Path, filters: &[String], skip: &[String]) -> Result<Rerun, RecordError> {
    if under_nextest() {
        return Err(RecordError::UnderNextest);
    }
    if !filters.is_empty() {
        return Err(RecordError::WithFilter(filters.to_vec()));
    }
    let names = read(path)?.ok_or_else(|| RecordError::Missing(path.to_owned()))?;
    if names.is_empty() {
        return Ok(Rerun::Nothing);
    }
    Ok(Rerun::Cases(Selection { filters: names, exact: true, skip: skip.to_vec(), ..Selection::default() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_the_names_it_was_written_with() {
        let text = render(&["a::one", "b::two"], "embedded reference server");
        assert!(text.starts_with("# vcc-conformance: the cases the last run failed (2 against embedded"), "{text}");
        assert_eq!(parse(&text), ["a::one", "b::two"]);
        assert!(parse(&render(&[], "x")).is_empty());
        assert_eq!(parse("\n  a::x  \n# comment\n\n"), ["a::x"]);
    }

    #[test]
    fn rerun_selects_exactly_the_recorded_names() {
        let dir = std::env::temp_dir().join(format!("vcc-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("last-failed");
        let _ = std::fs::remove_file(&file);
        let err = rerun(&file, &[], &[]).unwrap_err().to_string();
        assert!(err.contains("no record of a last run at") && err.contains("last-failed"), "{err}");

        write(&file, &["a::b", "c::d"], "t").unwrap();
        let Rerun::Cases(selection) = rerun(&file, &[], &["c::d".into()]).unwrap() else { panic!("a selection") };
        assert!(selection.selects("a::b") && !selection.selects("a::bc") && !selection.selects("c::d"));
        assert!(rerun(&file, &["a::".into()], &[]).unwrap_err().to_string().contains("give no filter"));

        write(&file, &[], "t").unwrap();
        assert_eq!(rerun(&file, &[], &[]).unwrap(), Rerun::Nothing);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_record_that_is_not_a_regular_file_is_refused_at_once() {
        for special in ["/dev/zero", "/dev/null"] {
            let err = read(Path::new(special)).unwrap_err().to_string();
            assert!(err.contains("not a regular file") && err.contains(special), "{err}");
        }
    }
}
