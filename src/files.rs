//! Files the run writes (reports, the record of failed cases): written whole,
//! never half. A regular file (or a new one) is written to a temporary file
//! beside it, created exclusively under a random name (so that a link planted
//! there is never followed), then renamed over it; a file that is not regular
//! (`/dev/null`, `/dev/stdout`, a named pipe) is written through as it is, never
//! replaced. A write that fails leaves no temporary file behind. A file that
//! gathers what several writers add (GitHub Actions' step summary) is appended
//! to in one write instead.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Why a file could not be written (or would not be).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the path names no file")]
    NoFileName,
    #[error("it is a folder")]
    Folder,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Whether `path` names something that exists and is not a regular file (or a
/// folder): a device, a pipe, a terminal. Links are followed, so that
/// `/dev/stdout` counts as what it points to.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A temporary file beside `path`, created exclusively (`O_EXCL`: it fails
/// rather than follow or reuse anything already at that name).
fn temporary_beside(path: &Path) -> Result<(PathBuf, File), FileError> {
    let name = path.file_name().ok_or(FileError::NoFileName)?.to_string_lossy();
    for _ in 0..8 {
        let temp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name beside it").into())
}

/// Writes `bytes` to `path` whole: a reader sees the old file or the new one,
/// never half of it. Special files are written through, not replaced.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    if path.is_dir() {
        return Err(FileError::Folder);
    }
    if is_special(path) {
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.write_all(bytes)?;
        return Ok(file.flush()?);
    }
    let (temp, mut file) = temporary_beside(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all()).and_then(|()| {
        drop(file);
        std::fs::rename(&temp, path)
    });
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        e.into()
    })
}

/// Appends `bytes` to `path` in one write, creating it if need be (GitHub
/// Actions' step summary gathers what each step adds).
pub fn append(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    if path.is_dir() {
        return Err(FileError::Folder);
    }
    let mut file = OpenOptions::new().append(true).create(true).open(path)?;
    file.write_all(bytes)?;
    Ok(file.flush()?)
}

/// Checks, before anything is sent, that [`append`] can write at `path`: an
/// existing file opens for appending (and is left as it is), a new one is
/// checked as [`check_writable`] checks.
pub fn check_appendable(path: &Path) -> Result<(), FileError> {
    if path.is_dir() {
        return Err(FileError::Folder);
    }
    if path.exists() {
        return OpenOptions::new().append(true).open(path).map(drop).map_err(FileError::from);
    }
    check_writable(path)
}

/// Checks, before anything is sent, that [`write_whole`] can write at `path`:
/// its folder exists and takes a file (or it is a special file open for
/// writing). Nothing is left behind, and nothing there is changed.
pub fn check_writable(path: &Path) -> Result<(), FileError> {
    if path.file_name().is_none() {
        return Err(FileError::NoFileName);
    }
    if path.is_dir() {
        return Err(FileError::Folder);
    }
    if is_special(path) {
        // Without blocking: a named pipe with no reader would wait forever.
        let mut options = OpenOptions::new();
        options.write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
        return options.open(path).map(drop).map_err(FileError::from);
    }
    let (temp, file) = temporary_beside(path)?;
    drop(file);
    let _ = std::fs::remove_file(&temp);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vcc-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with('.')).collect()
    }

    #[test]
    fn a_file_is_replaced_whole_and_nothing_is_left_beside_it() {
        let dir = dir("whole");
        let path = dir.join("report.xml");
        write_whole(&path, b"first").unwrap();
        write_whole(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        check_writable(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second", "the check changes nothing");
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        assert!(matches!(write_whole(&dir, b"x"), Err(FileError::Folder)));
        assert!(matches!(check_writable(Path::new("/")), Err(FileError::NoFileName | FileError::Folder)));
        assert!(check_writable(&dir.join("no-such-folder/report.xml")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_appended_file_keeps_what_it_held() {
        let dir = dir("append");
        let path = dir.join("summary.md");
        check_appendable(&path).unwrap();
        assert!(!path.exists(), "the check creates nothing");
        append(&path, b"one\n").unwrap();
        check_appendable(&path).unwrap();
        append(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
        assert!(matches!(append(&dir, b"x"), Err(FileError::Folder)));
        assert!(check_appendable(&dir.join("no-such-folder/summary.md")).is_err());
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_written_through_and_never_replaced() {
        let null = Path::new("/dev/null");
        write_whole(null, b"into the void").unwrap();
        check_writable(null).unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(!meta.is_file(), "/dev/null is still a device");
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_with_no_reader_is_refused_without_waiting() {
        let dir = dir("fifo");
        let fifo = dir.join("pipe");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let err = check_writable(&fifo).unwrap_err();
        assert!(matches!(err, FileError::Io(ref e) if e.raw_os_error() == Some(libc::ENXIO)), "{err:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_a_predictable_name_is_not_followed() {
        let dir = dir("planted");
        let victim = dir.join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let path = dir.join("report.html");
        // The names of old: `.NAME.PID.tmp` and `.NAME.PID.probe`.
        for planted in [format!(".report.html.{}.tmp", std::process::id()), format!(".report.html.{}.probe", std::process::id())] {
            std::os::unix::fs::symlink(&victim, dir.join(planted)).unwrap();
        }
        check_writable(&path).unwrap();
        write_whole(&path, b"report").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&path).unwrap(), b"report");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
