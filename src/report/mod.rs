//! Reports: every output of a run, each rendered from the one result model
//! ([`crate::result`]): [`text`] (what libtest prints for a case, and the
//! verbose mode), [`junit`], [`html`], and [`export`] (curl and Hurl). Secrets are
//! hidden here, as each text is rendered, before anything is shortened.

pub mod export;
pub mod html;
pub mod junit;
pub mod matrix;
pub mod text;


/// Writes a report file whole: a temporary file beside it, then a rename, so
/// that a reader never sees half a report.
pub fn write_whole(path: &std::path::Path, text: &str) -> Result<(), String> {
    let name = path.file_name().ok_or("the path names no file")?.to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temp, text).map_err(|e| e.to_string())?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        e.to_string()
    })
}

/// Checks, before anything is sent, that a report can be written at `path`:
/// its folder exists and takes a file. Nothing is left behind.
pub fn check_writable(path: &std::path::Path) -> Result<(), String> {
    if path.file_name().is_none() {
        return Err("the path names no file".into());
    }
    if path.is_dir() {
        return Err("it is a folder".into());
    }
    let probe = path.with_file_name(format!(".{}.{}.probe", path.file_name().unwrap_or_default().to_string_lossy(), std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
