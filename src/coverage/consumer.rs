//! The consumer coverage report: which documented items of the contract the
//! clients of a reference server (`serve`) exercised, per client, and which
//! they never did; the JSON of `GET /_vcc/coverage` and of
//! `serve --coverage-report FILE.json`, its Markdown form (any other FILE), and
//! the check `coverage --consumer REPORT.json` makes of it in a consumer's CI.
//! Items are named as `coverage` and the HTML matrix name them (`id — what`),
//! in the order of `contract/items.yaml`. A client name is shown made visible
//! ([`crate::peer_text::visible`]) and escaped for Markdown.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::located::{self, LocatedError, Source};

/// What the report's `report` field says it is; a file that says otherwise is
/// not read as one.
pub const KIND: &str = "vcc-conformance consumer coverage";

/// The whole report.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Serialize)]
pub struct ConsumerReport {
    /// [`KIND`].
    pub report: String,
    /// When the server started counting, and when the report was made (RFC 3339).
    pub since: String,
    pub at: String,
    /// The documented items, in the order of `contract/items.yaml`.
    pub items: Vec<ItemName>,
    /// Every client together.
    pub all: Row,
    /// One row per client, first seen first, at most `max_clients`.
    pub clients: Vec<Row>,
    /// The clients past `max_clients`, together; none while there are no such.
    pub others: Option<Row>,
    pub max_clients: usize,
}

/// A documented item: its id and what it is, as `coverage` prints them.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Serialize)]
pub struct ItemName {
    pub id: String,
    pub what: String,
}

/// Who a row counts.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// Every client.
    All,
    /// The subject of a token the server issued (the OAuth2 client id).
    Token,
    /// The client's address (its token, if any, was not one the server issued).
    Address,
    /// Clients past the table's cap.
    Others,
    /// A request that came without an address (the router used in-process).
    Unknown,
}

/// One client's counts.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Serialize)]
pub struct Row {
    pub client: String,
    pub kind: ClientKind,
    /// Requests to the calls endpoint answered.
    pub requests: u64,
    /// The items its requests exercised at least once (or a limit on one side), in item order.
    pub counts: Vec<Count>,
    /// The ids of the documented items it never exercised, in item order (a
    /// limit counts only once both its sides were).
    pub unexercised: Vec<String>,
}

/// How often one item was exercised.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Serialize)]
pub struct Count {
    pub item: String,
    pub count: u64,
    /// For a limit: answers that accepted a value at the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_limit: Option<u64>,
    /// For a limit: answers that refused a value over it with the limit's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_limit: Option<u64>,
}

/// Why a report cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Read(#[from] LocatedError),
    #[error("{0}: not a consumer coverage report (its `report` field is not `{KIND}`); write one with `serve --coverage-report FILE.json` or GET /_vcc/coverage")]
    NotAReport(String),
    #[error("{file}: no client `{client}`; the clients are: {known}{hint}")]
    UnknownClient { file: String, client: String, known: String, hint: String },
}

impl Count {
    /// Whether the item counts as exercised: a limit on both its sides.
    pub fn exercised(&self) -> bool {
        match (self.at_limit, self.over_limit) {
            (Some(at), Some(over)) => at > 0 && over > 0,
            _ => self.count > 0,
        }
    }

    /// What a limit exercised on one side only lacks, for people.
    fn missing_side(&self) -> Option<String> {
        let times = |n: u64| if n == 1 { "once".to_owned() } else { format!("{n} times") };
        match (self.at_limit?, self.over_limit?) {
            (0, over) => Some(format!("a value over it refused {}; none at the limit accepted", times(over))),
            (at, 0) => Some(format!("a value at the limit accepted {}; none over it refused", times(at))),
            _ => None,
        }
    }
}

impl Row {
    /// How many documented items it exercised.
    pub fn exercised(&self, items: usize) -> usize {
        items.saturating_sub(self.unexercised.len())
    }

    fn count(&self, item: &str) -> Option<&Count> {
        self.counts.iter().find(|c| c.item == item)
    }
}

impl ConsumerReport {
    /// The report as JSON (the endpoint's body and a `.json` file).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The report for `path`: JSON when it ends in `.json`, else Markdown.
    pub fn render_for(&self, path: &std::path::Path) -> String {
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json { self.to_json() } else { self.markdown() }
    }

    /// Reads a report (JSON, or YAML), errors naming file, line and field.
    pub fn read(source: &Source) -> Result<ConsumerReport, ConsumerError> {
        #[derive(Deserialize)]
        struct Kind {
            report: Option<String>,
        }
        let kind: Kind = located::parse(source)?;
        if kind.report.as_deref() != Some(KIND) {
            return Err(ConsumerError::NotAReport(source.path.clone()));
        }
        Ok(located::parse(source)?)
    }

    /// The row of `client` (its name as the report gives it), or every client's.
    pub fn row(&self, file: &str, client: Option<&str>) -> Result<&Row, ConsumerError> {
        let Some(client) = client else { return Ok(&self.all) };
        let rows = || self.clients.iter().chain(&self.others);
        if let Some(row) = rows().find(|r| r.client == client) {
            return Ok(row);
        }
        let names: Vec<&str> = rows().map(|r| r.client.as_str()).collect();
        let hint = crate::suggest::closest(client, names.iter().copied()).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
        let known = if names.is_empty() { "none (no request came)".to_owned() } else { names.join(", ") };
        Err(ConsumerError::UnknownClient { file: file.to_owned(), client: client.to_owned(), known, hint })
    }

    /// A row's name for people: `all clients`, `token subject X`, `address X`, `others (…)`.
    pub fn title(&self, row: &Row) -> String {
        let name = crate::peer_text::visible(&row.client);
        match row.kind {
            ClientKind::All => "all clients".to_owned(),
            ClientKind::Token => format!("token subject {name}"),
            ClientKind::Address => format!("address {name}"),
            ClientKind::Others => format!("{name}: the clients past the first {}, together", self.max_clients),
            ClientKind::Unknown => name.into_owned(),
        }
    }

    /// `id — what` of an item, as `coverage` prints it, with what a limit
    /// exercised on one side lacks.
    fn named(&self, row: &Row, id: &str) -> String {
        let what = self.items.iter().find(|i| i.id == id).map_or("", |i| i.what.as_str());
        let side = row.count(id).and_then(Count::missing_side).map(|s| format!(" ({s})")).unwrap_or_default();
        format!("{id} — {what}{side}")
    }

    /// How many requests a row counts, and how many documented items they exercised.
    fn tallied(&self, row: &Row) -> (String, String) {
        let (total, done) = (self.items.len(), row.exercised(self.items.len()));
        let requests = if row.requests == 1 { "1 request".to_owned() } else { format!("{} requests", row.requests) };
        (requests, format!("{done} of {total} documented items exercised"))
    }

    /// The headline of a row: who, and how many of the documented items they exercised.
    pub fn headline(&self, row: &Row) -> String {
        let (requests, exercised) = self.tallied(row);
        format!("consumer coverage ({}, {requests}): {exercised}", self.title(row))
    }

    /// What `coverage --consumer` prints for a row: the headline, then each
    /// item never exercised, one a line, in item order.
    pub fn verdict(&self, row: &Row) -> String {
        let mut out = self.headline(row);
        if row.unexercised.is_empty() {
            out.push('\n');
            return out;
        }
        let _ = writeln!(out, "; {} never exercised:", row.unexercised.len());
        for id in &row.unexercised {
            let _ = writeln!(out, "  {}", self.named(row, id));
        }
        out
    }

    /// The report in Markdown: the totals, then each row with the items it
    /// never exercised and the counts of those it did.
    pub fn markdown(&self) -> String {
        let mut out = String::from("# Consumer coverage of `POST v0/{accountKey}/calls/`\n\n");
        let _ = writeln!(
            out,
            "Counted by the reference server from {} to {}: {} of the {} documented items exercised by all clients together.",
            self.since,
            self.at,
            self.all.exercised(self.items.len()),
            self.items.len()
        );
        let rows = std::iter::once(&self.all).chain(&self.clients).chain(&self.others);
        for row in rows {
            let (requests, exercised) = self.tallied(row);
            let _ = write!(out, "\n## {}\n\n{requests}; {exercised}.\n", markdown_text(&self.title(row)));
            if !row.unexercised.is_empty() {
                out.push_str("\nNever exercised:\n\n");
                for id in &row.unexercised {
                    let _ = writeln!(out, "- {}", markdown_text(&self.named(row, id)));
                }
            }
            if !row.counts.is_empty() {
                out.push_str("\n| item | answers | at the limit | over it |\n| --- | --- | --- | --- |\n");
                for c in &row.counts {
                    let side = |n: Option<u64>| n.map_or(String::new(), |n| n.to_string());
                    let _ = writeln!(out, "| {} | {} | {} | {} |", markdown_text(&c.item), c.count, side(c.at_limit), side(c.over_limit));
                }
            }
        }
        out
    }
}

/// Text as Markdown shows it literally: made visible, and the characters that
/// would format it (or break a table) escaped.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::peer_text::visible(text).chars() {
        if "\\`*_[]<>|~".contains(c) {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(item: &str, count: u64, sides: Option<(u64, u64)>) -> Count {
        Count { item: item.into(), count, at_limit: sides.map(|s| s.0), over_limit: sides.map(|s| s.1) }
    }

    /// Three items: an example exercised, a message never, a limit over it only.
    fn report(client: &str) -> ConsumerReport {
        let items = [("example-1", "agent to number"), ("400: Agent Id must be specified", "from names no agent"), ("limit: x 3 characters", "x: at most 3")];
        let row = |client: &str, kind| Row {
            client: client.into(),
            kind,
            requests: 3,
            counts: vec![count("example-1", 2, None), count("limit: x 3 characters", 1, Some((0, 1)))],
            unexercised: vec!["400: Agent Id must be specified".into(), "limit: x 3 characters".into()],
        };
        ConsumerReport {
            report: KIND.into(),
            since: "2026-12-07T10:00:00Z".into(),
            at: "2026-12-07T11:00:00Z".into(),
            items: items.iter().map(|(id, what)| ItemName { id: (*id).into(), what: (*what).into() }).collect(),
            all: row("all", ClientKind::All),
            clients: vec![row(client, ClientKind::Token)],
            others: None,
            max_clients: 100,
        }
    }

    #[test]
    fn the_verdict_names_what_was_never_exercised_in_item_order() {
        let r = report("team-a");
        assert_eq!(
            r.verdict(&r.all),
            "consumer coverage (all clients, 3 requests): 1 of 3 documented items exercised; 2 never exercised:\n\
             \x20 400: Agent Id must be specified — from names no agent\n\
             \x20 limit: x 3 characters — x: at most 3 (a value over it refused once; none at the limit accepted)\n"
        );
        let mut done = r.all.clone();
        done.unexercised.clear();
        assert_eq!(r.verdict(&done), "consumer coverage (all clients, 3 requests): 3 of 3 documented items exercised\n");
    }

    #[test]
    fn a_report_reads_back_and_a_client_is_found_by_name() {
        let r = report("team-a");
        let source = Source { path: "c.json".into(), text: r.to_json() };
        let back = ConsumerReport::read(&source).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.row("c.json", Some("team-a")).unwrap().kind, ClientKind::Token);
        assert_eq!(back.row("c.json", None).unwrap().kind, ClientKind::All);
        let e = back.row("c.json", Some("team-b")).unwrap_err().to_string();
        assert_eq!(e, "c.json: no client `team-b`; the clients are: team-a (did you mean `team-a`?)");
        let other = Source { path: "o.json".into(), text: r#"{"report": "something else"}"#.into() };
        assert!(matches!(ConsumerReport::read(&other), Err(ConsumerError::NotAReport(_))));
        let broken = Source { path: "b.json".into(), text: r.to_json().replacen("\"requests\": 3", "\"requests\": \"3\"", 1) };
        let e = ConsumerReport::read(&broken).unwrap_err().to_string();
        assert!(e.starts_with("b.json:") && e.contains("requests"), "{e}");
    }

    #[test]
    fn markdown_lists_each_row_and_shows_a_client_name_literally() {
        let r = report("a|b`c\x1b[31m*");
        let md = r.markdown();
        assert!(md.contains("\n## token subject a\\|b\\`c\\\\u{1b}\\[31m\\*\n"), "{md}");
        assert!(!md.contains('\x1b'));
        assert!(md.contains("\n- 400: Agent Id must be specified — from names no agent\n"), "{md}");
        assert!(md.contains("\n| example-1 | 2 |  |  |\n| limit: x 3 characters | 1 | 0 | 1 |\n"), "{md}");
        assert_eq!(md.matches("\n## ").count(), 2, "all clients, then the one client");
        assert!(r.render_for(std::path::Path::new("r.JSON")).starts_with('{'));
        assert!(r.render_for(std::path::Path::new("r.md")).starts_with("# Consumer coverage"));
    }
}
