//! Reading a document from a file: regular files only (a device or a named
//! pipe would be read forever or block), and no more than [`MAX_FILE`] bytes.

use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;

use super::{LocatedError, Source};

/// The most bytes read from one file (8 MiB): far above any case, variables or
/// fixture file, far below what would strain memory.
pub const MAX_FILE: u64 = 8 << 20;

impl Source {
    /// Reads one file, reported under its path as given. Refuses, naming what it
    /// is, anything but a regular file (after following links): a folder, a
    /// device, a named pipe, a socket, a broken link or a link loop.
    pub fn read(path: &Path) -> Result<Source, LocatedError> {
        Source::read_within(path, MAX_FILE)
    }

    /// [`Source::read`], with another cap on the bytes read (a recorded run
    /// may be larger than any case file).
    pub fn read_within(path: &Path, max: u64) -> Result<Source, LocatedError> {
        let shown = path.display().to_string();
        let fail = |message: String| LocatedError::whole(&shown, message);
        regular(path).map_err(fail)?;
        let file = File::open(path).map_err(|e| fail(e.to_string()))?;
        let mut bytes = Vec::new();
        file.take(max + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
        if bytes.len() as u64 > max {
            return Err(fail(format!("the file is over the {} MiB limit on a file read ({max} bytes)", max >> 20)));
        }
        let text = String::from_utf8(bytes).map_err(|_| fail("stream did not contain valid UTF-8".into()))?;
        Ok(Source { path: shown, text })
    }
}

/// Ok when `path` is, or links to, a regular file; else what it is instead.
pub(crate) fn regular(path: &Path) -> Result<(), String> {
    let link = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let through = if link.file_type().is_symlink() { "a symbolic link to " } else { "" };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => Err(format!("{through}{}, not a regular file", kind(meta.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let target = std::fs::read_link(path).map_or_else(|_| "?".into(), |t| t.display().to_string());
            Err(format!("a broken symbolic link: `{target}` does not exist"))
        }
        Err(e) => Err(format!("a symbolic link that cannot be followed (a loop?): {e}")),
    }
}

/// What a file that is not a regular file is.
fn kind(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() { "a folder" } else { "not a file" }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vcc-read-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn only_regular_files_are_read_and_each_refusal_says_what_it_met() {
        let d = dir("kinds");
        std::fs::write(d.join("ok.yaml"), "a: 1\n").unwrap();
        symlink(d.join("ok.yaml"), d.join("link.yaml")).unwrap();
        symlink(d.join("gone.yaml"), d.join("dangling.yaml")).unwrap();
        symlink(d.join("loop-b.yaml"), d.join("loop-a.yaml")).unwrap();
        symlink(d.join("loop-a.yaml"), d.join("loop-b.yaml")).unwrap();
        symlink(&d, d.join("folder.yaml")).unwrap();
        symlink("/dev/null", d.join("device.yaml")).unwrap();
        assert_eq!(Source::read(&d.join("link.yaml")).unwrap().text, "a: 1\n");
        for (name, says) in [
            ("dangling.yaml", "a broken symbolic link: `"),
            ("loop-a.yaml", "a symbolic link that cannot be followed"),
            ("folder.yaml", "a symbolic link to a folder, not a regular file"),
            ("device.yaml", "a symbolic link to a character device, not a regular file"),
            ("", "a folder, not a regular file"),
            ("missing.yaml", "No such file"),
        ] {
            let err = Source::read(&d.join(name)).unwrap_err();
            assert!(err.message.contains(says), "{name}: {err}");
            assert!(err.to_string().starts_with(&d.join(name).display().to_string()), "{err}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_over_the_cap_is_refused_and_the_message_names_the_cap() {
        let d = dir("big");
        let path = d.join("big.yaml");
        std::fs::write(&path, vec![b'#'; MAX_FILE as usize + 1]).unwrap();
        let err = Source::read(&path).unwrap_err();
        assert!(err.message.contains("8 MiB limit"), "{err}");
        std::fs::write(&path, vec![b'#'; MAX_FILE as usize]).unwrap();
        assert_eq!(Source::read(&path).unwrap().text.len() as u64, MAX_FILE);
        let _ = std::fs::remove_dir_all(&d);
    }
}
