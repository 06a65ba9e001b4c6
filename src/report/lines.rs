//! Lines: a finding rendered once, for every output. Its lines are marked
//! (plain, or a diff's removed and added lines), then the whole text is hidden
//! (secrets), made visible (what a peer wrote: [`crate::peer_text`]) and capped
//! ([`FINDING_SHOWN`]) once; plain text, colored text and HTML only lay the
//! same lines out. Diffs compare at most [`DIFFED`] characters of each text.

use crate::result::Finding;
use crate::secrets::Redactor;

use crate::peer_text::shown;

/// How much of one rendered finding is shown (a message diff of two huge texts).
pub const FINDING_SHOWN: usize = 4000;

/// How much of each text a diff compares: enough for any documented message,
/// and a bound on the work a hostile answer can cause.
pub const DIFFED: usize = 20_000;

/// What a line of a rendered finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Plain,
    Removed,
    Added,
}

/// A rendered finding: its lines, each marked, already hidden, visible and capped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked(Vec<(Mark, String)>);

/// At most [`DIFFED`] characters of a text.
fn diffed_part(text: &str) -> &str {
    text.char_indices().nth(DIFFED).map_or(text, |(at, _)| &text[..at])
}

/// The unified diff of two texts (of their first [`DIFFED`] characters), line
/// by line, each change marked; the sides headed `labels`.
fn diff(expected: &str, actual: &str, labels: (&str, &str), indent: &str, out: &mut Vec<(Mark, String)>) {
    let (expected, actual) = (format!("{}\n", diffed_part(expected)), format!("{}\n", diffed_part(actual)));
    let diff = similar::TextDiff::from_lines(&expected, &actual);
    for (i, hunk) in diff.unified_diff().context_radius(3).iter_hunks().enumerate() {
        if i == 0 {
            out.push((Mark::Plain, format!("{indent}--- {}", labels.0)));
            out.push((Mark::Plain, format!("{indent}+++ {}", labels.1)));
        }
        out.push((Mark::Plain, format!("{indent}{}", hunk.header())));
        for change in hunk.iter_changes() {
            let mark = match change.tag() {
                similar::ChangeTag::Delete => Mark::Removed,
                similar::ChangeTag::Insert => Mark::Added,
                similar::ChangeTag::Equal => Mark::Plain,
            };
            let value = change.value();
            out.push((mark, format!("{indent}{}{}", change.tag(), value.strip_suffix('\n').unwrap_or(value))));
        }
    }
}

/// A unified diff of two texts as plain text, the sides headed `labels`
/// (unredacted: the caller hides and caps what it shows).
pub fn text_diff(expected: &str, actual: &str, labels: (&str, &str)) -> String {
    let mut lines = Vec::new();
    diff(expected, actual, labels, "", &mut lines);
    lines.into_iter().map(|(_, line)| line + "\n").collect()
}

/// The lines of `finding`, as they read, unredacted.
fn raw(finding: &Finding, indent: &str, out: &mut Vec<(Mark, String)>) {
    out.push((Mark::Plain, format!("{indent}{}", finding.headline())));
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    match finding {
        Finding::Message { expected, actual } => diff(expected, actual, ("expected", "actual"), indent, out),
        Finding::Echo { expected, actual } => diff(&pretty(expected), &pretty(actual), ("expected", "actual"), indent, out),
        Finding::NoAlternative { alternatives } => {
            for (i, (summary, inner)) in alternatives.iter().enumerate() {
                out.push((Mark::Plain, format!("{indent}  answer {} ({summary}):", i + 1)));
                for f in inner {
                    raw(f, &format!("{indent}    "), out);
                }
            }
        }
        _ => {}
    }
}

/// `finding` rendered: its marked lines, hidden, visible and capped once.
pub fn finding(finding: &Finding, redactor: &Redactor) -> Marked {
    let mut lines = Vec::new();
    raw(finding, "", &mut lines);
    let text: Vec<&str> = lines.iter().map(|(_, line)| line.as_str()).collect();
    let text = shown(&text.join("\n"), redactor, FINDING_SHOWN);
    // Hiding a secret keeps the line count (secrets are single words), so the
    // marks still fit; should they not, the rest is plain.
    let marks = lines.iter().map(|(mark, _)| *mark).chain(std::iter::repeat(Mark::Plain));
    Marked(text.split('\n').zip(marks).map(|(line, mark)| (mark, line.to_owned())).collect())
}

impl Marked {
    /// The lines and their marks.
    pub fn lines(&self) -> impl Iterator<Item = (Mark, &str)> {
        self.0.iter().map(|(mark, line)| (*mark, line.as_str()))
    }

    /// As plain text.
    pub fn plain(&self) -> String {
        let lines: Vec<&str> = self.lines().map(|(_, line)| line).collect();
        lines.join("\n")
    }

    /// As text for a terminal: removed lines red, added green (ANSI).
    pub fn colored(&self) -> String {
        let lines: Vec<String> = self
            .lines()
            .map(|(mark, line)| match mark {
                Mark::Plain => line.to_owned(),
                Mark::Removed => format!("\x1b[31m{line}\x1b[0m"),
                Mark::Added => format!("\x1b[32m{line}\x1b[0m"),
            })
            .collect();
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    #[test]
    fn a_message_finding_reads_in_one_line_then_its_diff() {
        let message = Finding::Message { expected: "Agent Id exceeds 11 digits".into(), actual: "Agent Id exceeds 11 digit".into() };
        let plain = finding(&message, &Redactor::new()).plain();
        assert_eq!(
            plain,
            "message: expected \"Agent Id exceeds 11 digits\", got \"Agent Id exceeds 11 digit\"\n--- expected\n+++ actual\n\
             @@ -1 +1 @@\n-Agent Id exceeds 11 digits\n+Agent Id exceeds 11 digit"
        );
    }

    #[test]
    fn every_layout_is_capped_hidden_and_visible_alike() {
        let token = Secret::new("lines-secret-8Hw");
        let redactor = Redactor::of([&token]);
        let hostile = Finding::Message {
            expected: "x".into(),
            actual: format!("{} \x1b[2K\r::error::fake {}", token.expose(), "y".repeat(900_000)),
        };
        let marked = finding(&hostile, &redactor);
        for text in [marked.plain(), marked.colored()] {
            assert!(!text.contains("lines-secret") && text.contains("[redacted]"), "{}", &text[..200]);
            assert!(!text.contains('\r') && !text.contains("\x1b[2K"), "{:?}", &text[..200]);
            assert!(text.chars().count() < FINDING_SHOWN + 200, "{}", text.len());
        }
        assert!(marked.plain().ends_with("more characters cut)"));
        assert!(marked.colored().ends_with("more characters cut)\x1b[0m"), "the color ends after the cut");
    }

    #[test]
    fn text_diffs_name_their_sides() {
        let diff = text_diff("a\nb", "a\nc", ("A", "B"));
        assert!(diff.starts_with("--- A\n+++ B\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"), "{diff}");
        assert!(text_diff("same", "same", ("A", "B")).is_empty());
    }
}
