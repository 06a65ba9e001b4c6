//! Reading a page export: what the endpoint's documentation page states (its
//! request examples, the messages of each status, the limits), so that
//! [`super::check_page`] can compare it with `contract/items.yaml`.
//!
//! The export is the page's text as Confluence gives it
//! (`contract/seed-calls-endpoint-doc.txt`), either one version or the
//! "Versions Compared" form. The compared form lost its colours: added and
//! removed words stand side by side with nothing to tell them apart, so the
//! current text is read by what is known of the two versions:
//! - a word changed within a line shows the old word, then the new one; so in
//!   `up to 32 64 characters` the number next to its unit is the current one;
//! - the old status lists read `condition - "message"`, the new ones
//!   `message: condition`; the message is common to both, while the
//!   condition before ` - "` and the quoted tail belong to the old text;
//! - the key at the top (`This line was added.` ...) is not page text.
//!
//! Code blocks are read whole: a request example is a JSON block, or a curl
//! command's `-d '...'`, under "Request examples"; a message is a bullet of a
//! "Returns HTTP Status Code NNN." list or a `{"message": ...}` block after it.

use std::fmt;

use serde_json::Value;

/// Something the page states, and the line (1-based) where it does.
#[derive(Clone, Debug, PartialEq)]
pub struct Stated {
    pub line: usize,
    pub what: Statement,
}

/// What the page states.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// A response message of a status.
    Message { status: u16, text: String },
    /// A maximum: `subject` (lowercase; empty when the line names none) at most
    /// `max` `unit` (`characters` or `digits`).
    Limit { subject: String, max: u64, unit: String },
    /// A request example's JSON body.
    Request(Value),
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Message { status, text } => write!(f, "{status} message {text:?}"),
            Statement::Limit { subject, max, unit } if subject.is_empty() => write!(f, "limit {max} {unit}"),
            Statement::Limit { subject, max, unit } => write!(f, "limit: {subject} {max} {unit}"),
            Statement::Request(body) => write!(f, "request example {body}"),
        }
    }
}

/// What a page export states, in its current text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// Each thing once, at the first line that states it.
    pub stated: Vec<Stated>,
    /// The prose (code blocks left out), spaces normalised, for phrases.
    pub prose: String,
    /// Code blocks that should hold JSON and do not: the page says something
    /// that cannot be checked.
    pub unreadable: Vec<String>,
}

/// Where in the page a line stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Other,
    Requests,
    /// After "Returns HTTP Status Code NNN."; `list` while its bullets last.
    Status { status: u16, list: bool },
}

impl Page {
    /// Reads a page export (one version, or the compared form).
    pub fn read(text: &str) -> Page {
        let text = text.replace('\u{a0}', " ");
        let lines: Vec<&str> = text.lines().collect();
        let mut page = Page::default();
        let mut section = Section::Other;
        let mut n = skip_key(&lines);
        while n < lines.len() {
            let line = lines[n].trim();
            if line == "Code Block" {
                n = page.code_block(&lines, n + 1, section);
                continue;
            }
            section = match line {
                "Request examples" => Section::Requests,
                "Response" => Section::Other,
                _ => match status_of(line) {
                    Some(status) => Section::Status { status, list: true },
                    None => section,
                },
            };
            if let Section::Status { status, list: true } = section {
                match line.strip_prefix('•') {
                    Some(bullet) => page.message_bullet(n + 1, status, bullet),
                    None if line.is_empty() || status_of(line).is_some() => {}
                    None => section = Section::Status { status, list: false },
                }
            } else {
                page.limits(n + 1, line, bullet_subject(line));
            }
            page.prose.push_str(line);
            page.prose.push(' ');
            n += 1;
        }
        page.prose = page.prose.split_whitespace().collect::<Vec<_>>().join(" ");
        page
    }

    fn state(&mut self, line: usize, what: Statement) {
        if !self.stated.iter().any(|s| s.what == what) {
            self.stated.push(Stated { line, what });
        }
    }

    /// One bullet of a status list: its message, and the limit the message states.
    fn message_bullet(&mut self, line: usize, status: u16, bullet: &str) {
        let Some(text) = bullet_message(bullet) else { return };
        let subject = ["exceeds", "exceeded"]
            .iter()
            .find_map(|verb| text.split_once(&format!(" {verb} ")))
            .map_or_else(String::new, |(subject, _)| subject.to_lowercase());
        self.limits(line, &text, subject);
        self.state(line, Statement::Message { status, text });
    }

    /// Every `N characters` or `N digits` in `text`.
    fn limits(&mut self, line: usize, text: &str, subject: String) {
        let words: Vec<&str> = text.split_whitespace().collect();
        for pair in words.windows(2) {
            let unit = pair[1].trim_end_matches(|c: char| !c.is_ascii_alphabetic());
            let unit = unit.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
            if let ("characters" | "digits", Ok(max)) = (unit, pair[0].parse::<u64>()) {
                self.state(line, Statement::Limit { subject: subject.clone(), max, unit: unit.to_owned() });
            }
        }
    }

    /// A code block whose first line (after the `Code Block` line) is `first`:
    /// reads what it states and returns the index of the line after it.
    fn code_block(&mut self, lines: &[&str], first: usize, section: Section) -> usize {
        let language = lines.get(first).and_then(|l| l.trim().strip_prefix("language")).unwrap_or("");
        let mut start = first + 1;
        if lines.get(start).is_some_and(|l| l.trim().starts_with("theme")) {
            start += 1;
        }
        let rest = lines.get(start..).unwrap_or_default().join("\n");
        match language {
            "js" | "json" => {
                let mut values = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
                match values.next() {
                    Some(Ok(value)) => {
                        let used = rest[..values.byte_offset()].matches('\n').count();
                        self.json_block(start + 1, value, section);
                        start + used + 1
                    }
                    _ => {
                        self.unreadable.push(format!("line {}: a code block that is not JSON", start + 1));
                        start
                    }
                }
            }
            _ => {
                let end = lines[start.min(lines.len())..].iter().position(|l| l.trim().is_empty()).map_or(lines.len(), |i| start + i);
                let block = lines[start.min(end)..end].join("\n");
                if section == Section::Requests {
                    self.curl_body(start + 1, &block);
                }
                end
            }
        }
    }

    fn json_block(&mut self, line: usize, value: Value, section: Section) {
        match section {
            Section::Requests if value.get("from").is_some() || value.get("to").is_some() => {
                self.state(line, Statement::Request(value));
            }
            Section::Status { status, .. } => {
                if let Some(text) = value.get("message").and_then(Value::as_str) {
                    self.state(line, Statement::Message { status, text: text.to_owned() });
                }
            }
            _ => {}
        }
    }

    /// The body of a curl command (`-d '...'`), which may span lines.
    fn curl_body(&mut self, line: usize, block: &str) {
        let Some((_, after)) = block.split_once("-d '") else { return };
        let Some((body, _)) = after.split_once('\'') else { return };
        match serde_json::from_str::<Value>(body) {
            Ok(value) => self.state(line, Statement::Request(value)),
            Err(e) => self.unreadable.push(format!("line {line}: a curl body that is not JSON ({e})")),
        }
    }
}

/// Where the page text starts: after the key of the compared form, if any.
fn skip_key(lines: &[&str]) -> usize {
    if lines.iter().find(|l| !l.trim().is_empty()).map(|l| l.trim()) != Some("Versions Compared") {
        return 0;
    }
    lines.iter().position(|l| l.trim() == "• Formatting was changed.").map_or(0, |i| i + 1)
}

/// `Returns HTTP Status Code 400.` → 400.
fn status_of(line: &str) -> Option<u16> {
    let rest = line.strip_prefix("Returns HTTP Status Code ")?;
    rest.trim_end_matches('.').trim().parse().ok().filter(|s| (100..=599).contains(s))
}

/// The field a bullet describes (`• reference. Where ...` → `reference`),
/// or nothing for a line that is not such a bullet.
fn bullet_subject(line: &str) -> String {
    let Some(bullet) = line.strip_prefix('•') else { return String::new() };
    let word = bullet.split_whitespace().next().unwrap_or("");
    match word.strip_suffix('.') {
        Some(field) if !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric()) => field.to_lowercase(),
        _ => String::new(),
    }
}

/// The message of one bullet of a status list, in either version's form or
/// both interleaved (see the module's documentation).
fn bullet_message(bullet: &str) -> Option<String> {
    let mut rest = bullet.trim();
    // The old form's `condition - "` before the message.
    if let Some(quote) = rest.find('"')
        && rest[..quote].ends_with(" - ")
    {
        rest = &rest[quote + 1..];
    }
    // The old form's closing quote, and the next old condition, up to its quote.
    let rest = match (rest.find('"'), rest.rfind('"')) {
        (Some(first), Some(last)) => format!("{}{}", &rest[..first], &rest[last + 1..]),
        _ => rest.to_owned(),
    };
    // The new form's `: condition`.
    let message = rest.split(": ").next().unwrap_or("").trim();
    (!message.is_empty()).then(|| message.to_owned())
}
