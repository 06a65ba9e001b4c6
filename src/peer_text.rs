//! Peer text: what a peer wrote (a message, a header, a token endpoint's
//! refusal), as any output may show it: secrets hidden, then made visible,
//! then capped ([`shown`]). Made visible: safe on a terminal or in a CI log.
//! Control characters (ANSI and OSC escape sequences start with one; a carriage
//! return can overwrite a line) and the characters that reorder text
//! (bidirectional overrides) are shown as escapes, `\u{1b}`; a line that a CI
//! system would read as a command (GitHub Actions' `::error::…`, Azure's
//! `##[error]`, `##vso[…]`), indented or not, has its first character shown as
//! an escape too. Line breaks and tabs stay: the reports lay text out in lines.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::secrets::Redactor;

/// Whether `c` is shown as an escape.
pub(crate) fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Whether a line, once its leading white space is skipped, reads as a CI command.
fn ci_command(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("::") || line.starts_with("##[") || line.starts_with("##vso[")
}

fn escape(c: char, out: &mut String) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// `text` as it may be shown: unchanged when it holds nothing to escape.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) && !text.split('\n').any(ci_command) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut chars = line.char_indices().peekable();
        if ci_command(line) {
            let start = line.len() - line.trim_start().len();
            for (at, c) in chars.by_ref() {
                if at == start {
                    escape(c, &mut out);
                    break;
                }
                out.push(c);
            }
        }
        for (_, c) in chars {
            if hidden(c) { escape(c, &mut out) } else { out.push(c) }
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `text`, with a note of how much was cut.
pub fn capped(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((at, _)) => {
            let cut = text[at..].chars().count();
            format!("{}… ({cut} more characters cut)", &text[..at])
        }
    }
}

/// `text` as any output may show it: secrets hidden first (so that a cut never
/// leaves half a secret showing), then what a peer wrote made visible, then
/// at most `max` characters, with a note of what was cut.
pub fn shown(text: &str, redactor: &Redactor, max: usize) -> String {
    capped(visible(&redactor.redact(text)).into_owned(), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in ["Agent Id exceeds 11 digits", "two\nlines\twith a tab", "Ünïcödé and 漢字", "a::b is fine mid-line", ""] {
            assert!(matches!(visible(text), Cow::Borrowed(_)), "{text:?}");
        }
    }

    #[test]
    fn terminal_sequences_are_shown_not_obeyed() {
        let hostile = "\x1b]0;owned\x07\x1b[2K\rtest x ... ok\u{202e}gnp.exe\u{9b}";
        let shown = visible(hostile);
        assert!(!shown.chars().any(hidden), "{shown:?}");
        assert_eq!(shown, "\\u{1b}]0;owned\\u{7}\\u{1b}[2K\\u{d}test x ... ok\\u{202e}gnp.exe\\u{9b}");
    }

    #[test]
    fn ci_commands_are_defused_indented_or_not() {
        let log = "::error file=x::fake\n    ::warning::fake\n##[error]fake\n  ##vso[task.setvariable variable=x]1\nplain";
        let shown = visible(log);
        for line in shown.lines() {
            assert!(!ci_command(line), "{line:?} in {shown}");
        }
        assert_eq!(shown.lines().nth(1), Some("    \\u{3a}:warning::fake"));
        assert!(shown.ends_with("\nplain"));
    }
}
