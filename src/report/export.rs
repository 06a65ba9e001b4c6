//! Export: a case as something another tool runs, a curl command or a Hurl
//! entry, each saying what the case expects. The token never goes in: curl
//! reads `$VCC_TOKEN`, Hurl `{{token}}`. What the cases hold stays data: the
//! shell gets single-quoted words and `--data-raw`, Hurl a body it cannot
//! mistake for more entries, and the comments cannot be ended early.

use std::path::{Path, PathBuf};

use crate::checks;
use crate::client::{ClientError, parse_base_url};
use crate::exec::plan::{Action, Plan};
use crate::files::{self, FileError};
use crate::peer_text::visible;
use crate::result::HoldReason;
use crate::secrets::Redactor;
use crate::suite::Case;
use crate::report::out;

/// The base URL exports name when none is given.
pub const DEFAULT_BASE: &str = "http://127.0.0.1:8080";

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    BaseUrl(#[from] ClientError),
    #[error("could not write {}: {error}", .path.display())]
    Write { path: PathBuf, error: FileError },
}

/// `--dry-run` (curl commands on stdout) and `--export-hurl FILE`: the selected
/// cases of `plan` for another tool, secrets hidden; nothing is sent. Each
/// says what its case expects; a case `run` would hold back (it may place a
/// real call) is written commented out, with the reason, so that running the
/// whole output does not place it.
pub fn export(plan: &Plan, base: Option<&str>, redactor: &Redactor, dry_run: bool, hurl_file: Option<&Path>) -> Result<(), ExportError> {
    let base = parse_base_url(base.unwrap_or(DEFAULT_BASE))?;
    let selected: Vec<(&Case, Option<HoldReason>)> = plan
        .items
        .iter()
        .filter_map(|p| match p.action {
            Action::Send => Some((&p.case, None)),
            Action::Hold(reason) => Some((&p.case, Some(reason))),
            Action::FilteredOut => None,
        })
        .collect();
    if let Some(path) = hurl_file {
        let text: String = selected.iter().map(|(case, held)| entry(&hurl(case, &base), *held) + "\n").collect();
        files::write_whole(path, redactor.redact(&text).as_bytes()).map_err(|error| ExportError::Write { path: path.to_owned(), error })?;
    }
    if dry_run {
        for (case, held) in selected {
            let heading = comment(&format!("{} ({}:{}) expects {}", case.test_name(), case.source, case.line, checks::describe(&case.expect)));
            out::line(&format!("{heading}{}", entry(&redactor.redact(&curl(case, &base)), held)));
        }
    }
    Ok(())
}

/// Text as comment lines (`# `), whatever it holds: a line break in it cannot
/// end the comment.
fn comment(text: &str) -> String {
    text.split(['\n', '\r']).map(|line| format!("# {}\n", visible(line))).collect()
}

/// An entry as written: as it is, or commented out with the reason it is held back.
fn entry(text: &str, held: Option<HoldReason>) -> String {
    match held {
        None => text.to_owned(),
        Some(reason) => format!("{}{}", comment(&format!("held back: {reason}")), comment(text.trim_end_matches('\n'))),
    }
}

/// A single-quoted shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The case as a runnable curl command. The body goes as `--data-raw`, which
/// takes it as it is (`--data-binary` would read a body starting with `@` as
/// a file to upload).
pub fn curl(case: &Case, base: &str) -> String {
    let mut cmd = format!("curl -sS -i -X {} {}", case.request.method, shell_quote(&format!("{base}{}", case.request.path)));
    for (name, value) in &case.request.headers {
        cmd.push_str(&format!(" \\\n  -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if case.request.auth {
        cmd.push_str(&format!(" \\\n  -H \"Authorization: {} $VCC_TOKEN\"", case.request.auth_scheme));
    }
    if !case.request.body.is_empty() {
        cmd.push_str(&format!(" \\\n  --data-raw {}", shell_quote(&String::from_utf8_lossy(&case.request.body))));
    }
    cmd.push('\n');
    cmd
}

/// Whether a Hurl line can hold `text` as it is: no line break or other
/// control character that would end the line or start another entry.
fn one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// The case as a Hurl entry that checks the status (`HTTP *` where several are
/// allowed). Run with `hurl --test --variable token=...`. A body that a ```
/// block could not hold as it is (it has ``` in it, or control characters)
/// goes base64-encoded; a path or header that a line cannot hold is not
/// exported (the entry is a comment saying so).
pub fn hurl(case: &Case, base: &str) -> String {
    let name = case.test_name();
    let lines = std::iter::once(case.request.path.as_str()).chain(case.request.headers.iter().flat_map(|(n, v)| [n.as_str(), v.as_str()]));
    if lines.into_iter().any(|l| !one_line(l)) {
        return comment(&format!("{name}: not exported: its path or a header has a line break or control character"));
    }
    let mut out = format!("# {name}\n{} {base}{}\n", case.request.method, case.request.path);
    for (name, value) in &case.request.headers {
        out.push_str(&format!("{name}: {}\n", value.replace("{{", "\\{\\{")));
    }
    if case.request.auth {
        out.push_str(&format!("Authorization: {} {{{{token}}}}\n", case.request.auth_scheme));
    }
    if !case.request.body.is_empty() {
        match std::str::from_utf8(&case.request.body) {
            Ok(body) if !body.contains("```") && body.chars().all(|c| c == '\n' || !c.is_control()) => {
                out.push_str(&format!("```\n{}\n```\n", body.replace("{{", "\\{\\{")));
            }
            _ => out.push_str(&format!("base64,{};\n", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &case.request.body))),
        }
    }
    match case.expect.one().and_then(|e| e.status.single()) {
        Some(one) => out.push_str(&format!("HTTP {one}\n")),
        None => out.push_str("HTTP *\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    fn case(name: &str) -> Case {
        crate::exec::load_shipped().unwrap().cases.iter().find(|c| c.name == name).unwrap().clone()
    }

    #[test]
    fn curl_commands_quote_and_keep_the_token_out() {
        let cmd = curl(&case("reference-invalid"), "http://h");
        assert!(cmd.starts_with("curl -sS -i -X POST 'http://h/v0/a1b2c3d4e5/calls/'"), "{cmd}");
        assert!(cmd.contains("-H \"Authorization: Bearer $VCC_TOKEN\""), "{cmd}");
        assert!(cmd.contains("not a url!"), "{cmd}");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn hurl_entries_check_the_status_and_keep_the_token_out() {
        let entry = hurl(&case("reference-invalid"), "http://h");
        assert!(entry.starts_with("# errors-request::reference-invalid\nPOST http://h/v0/a1b2c3d4e5/calls/\n"), "{entry}");
        assert!(entry.contains("Authorization: Bearer {{token}}\n```\n{\"from\""), "{entry}");
        assert!(entry.ends_with("```\nHTTP 400\n"), "{entry}");
        let cases = crate::exec::load_shipped().unwrap().cases;
        let any_status = cases.iter().find(|c| c.name.starts_with("number-too-long.at-limit.")).unwrap();
        assert!(hurl(&any_status, "http://h").ends_with("HTTP *\n"));
        assert!(!hurl(&case("no-bearer-token"), "http://h").contains("Authorization"));
    }

    /// What a case file holds cannot make an export do more than send it.
    #[test]
    fn bodies_and_headers_stay_data() {
        let mut hostile = case("reference-invalid");
        hostile.request.body = b"@/etc/passwd".to_vec();
        let cmd = curl(&hostile, "http://h");
        assert!(cmd.contains("--data-raw '@/etc/passwd'") && !cmd.contains("--data-binary"), "{cmd}");
        hostile.request.body = b"x\n```\nGET http://elsewhere.example/steal\nHTTP 200\n```".to_vec();
        let written = hurl(&hostile, "http://h");
        assert!(!written.contains("elsewhere") && written.contains("\nbase64,"), "{written}");
        assert_eq!(written.matches("\nPOST ").count() + written.matches("\nGET ").count(), 1, "{written}");
        hostile.request.headers.push(("X-Evil".into(), "a\nGET http://elsewhere.example/".into()));
        let written = hurl(&hostile, "http://h");
        assert!(written.lines().all(|l| l.starts_with("# ")), "{written}");
        assert_eq!(comment("a\nrm -rf /\rb"), "# a\n# rm -rf /\n# b\n");
        let held = entry("curl x\n", Some(HoldReason::PlacesCall));
        assert!(held.lines().all(|l| l.starts_with("# ")) && held.contains("held back: places a real call"), "{held}");
    }
}
