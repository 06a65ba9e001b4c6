//! The consumer coverage table: for each client of the reference server (the
//! subject of a token it issued, else the client's address), how many answers
//! exercised each documented item ([`super::exercised`]). Counts, not
//! requests, are kept; past `max_clients` clients the rest share one "others"
//! row, so the table stays bounded whoever comes. [`Tally::report`] is what
//! `GET /_vcc/coverage` answers and `serve --coverage-report` writes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use super::exercised::{Catalog, Slot};
use super::rules::Rejection;
use crate::coverage::consumer::{ClientKind, ConsumerReport, Count, ItemName, KIND, Row};

/// How many clients get a row of their own unless `serve --coverage-clients` says.
pub const DEFAULT_MAX_CLIENTS: usize = 100;

/// The longest client name kept (a token's subject), in characters.
const MAX_NAME: usize = 64;

/// Who sent a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    /// The subject of a token this server issued.
    Subject(String),
    Address(IpAddr),
    /// No address known (the router served in-process).
    Unknown,
}

impl Client {
    /// A subject, cut to a length a report can show.
    pub fn subject(name: &str) -> Client {
        Client::Subject(name.chars().take(MAX_NAME).collect())
    }

    fn named(&self) -> (String, ClientKind) {
        match self {
            Client::Subject(name) => (name.clone(), ClientKind::Token),
            Client::Address(ip) => (ip.to_string(), ClientKind::Address),
            Client::Unknown => ("unknown".to_owned(), ClientKind::Unknown),
        }
    }
}

/// One row's counters.
#[derive(Clone, Debug)]
struct Counts {
    requests: u64,
    slots: Vec<u64>,
}

impl Counts {
    fn new(slots: usize) -> Counts {
        Counts { requests: 0, slots: vec![0; slots] }
    }

    fn add(&mut self, hits: &[Slot]) {
        self.requests += 1;
        for &hit in hits {
            if let Some(n) = self.slots.get_mut(hit) {
                *n += 1;
            }
        }
    }
}

struct Table {
    all: Counts,
    index: HashMap<Client, usize>,
    rows: Vec<(Client, Counts)>,
    others: Option<Counts>,
}

/// The table, shared by every request.
pub struct Tally {
    catalog: Catalog,
    max_clients: usize,
    since: String,
    table: Mutex<Table>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Tally {
    /// An empty table of at most `max_clients` rows of their own (at least one).
    pub fn new(catalog: Catalog, max_clients: usize) -> Tally {
        let slots = catalog.slots();
        let table = Table { all: Counts::new(slots), index: HashMap::new(), rows: Vec::new(), others: None };
        Tally { catalog, max_clients: max_clients.max(1), since: now(), table: Mutex::new(table) }
    }

    /// Counts one answer of the calls endpoint for `client`: `answer` is `Ok`
    /// for a 201, else the refusal; `body` the request body.
    pub fn record(&self, client: Client, body: &[u8], answer: Result<(), &Rejection>) {
        let mut hits = Vec::new();
        self.catalog.exercised(body, answer, &mut hits);
        let Ok(mut table) = self.table.lock() else { return };
        let table = &mut *table;
        table.all.add(&hits);
        let slots = self.catalog.slots();
        let row = match table.index.get(&client) {
            Some(&i) => &mut table.rows[i].1,
            None if table.rows.len() < self.max_clients => {
                let i = table.rows.len();
                table.index.insert(client.clone(), i);
                table.rows.push((client, Counts::new(slots)));
                &mut table.rows[i].1
            }
            None => table.others.get_or_insert_with(|| Counts::new(slots)),
        };
        row.add(&hits);
    }

    /// The report of what the table holds now.
    pub fn report(&self) -> ConsumerReport {
        let (all, rows, others) = match self.table.lock() {
            Ok(table) => (table.all.clone(), table.rows.clone(), table.others.clone()),
            Err(_) => (Counts::new(self.catalog.slots()), Vec::new(), None),
        };
        let row = |client: String, kind: ClientKind, counts: &Counts| self.row(client, kind, counts);
        ConsumerReport {
            report: KIND.to_owned(),
            since: self.since.clone(),
            at: now(),
            items: self.catalog.items().iter().map(|i| ItemName { id: i.id.clone(), what: i.what.clone() }).collect(),
            all: row("all".to_owned(), ClientKind::All, &all),
            clients: rows
                .iter()
                .map(|(client, counts)| {
                    let (name, kind) = client.named();
                    row(name, kind, counts)
                })
                .collect(),
            others: others.map(|counts| row("others".to_owned(), ClientKind::Others, &counts)),
            max_clients: self.max_clients,
        }
    }

    fn row(&self, client: String, kind: ClientKind, counts: &Counts) -> Row {
        let mut row = Row { client, kind, requests: counts.requests, counts: Vec::new(), unexercised: Vec::new() };
        for (i, item) in self.catalog.items().iter().enumerate() {
            let over = counts.slots[i];
            let count = match self.catalog.at_limit(i) {
                Some(at) => {
                    let at = counts.slots[at];
                    Count { item: item.id.clone(), count: at + over, at_limit: Some(at), over_limit: Some(over) }
                }
                None => Count { item: item.id.clone(), count: over, at_limit: None, over_limit: None },
            };
            if !count.exercised() {
                row.unexercised.push(item.id.clone());
            }
            if count.count > 0 {
                row.counts.push(count);
            }
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(max_clients: usize) -> Tally {
        Tally::new(Catalog::shipped().unwrap(), max_clients)
    }

    const EXAMPLE_1: &[u8] = br#"{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}"#;

    fn address(last: u8) -> Client {
        Client::Address(IpAddr::from([127, 0, 0, last]))
    }

    #[test]
    fn past_the_cap_clients_share_the_others_row() {
        let t = tally(2);
        for last in 1..=4 {
            t.record(address(last), EXAMPLE_1, Ok(()));
        }
        t.record(address(1), b"{}", Err(&Rejection { status: 415, message: "x".into() }));
        let report = t.report();
        let names: Vec<&str> = report.clients.iter().map(|r| r.client.as_str()).collect();
        assert_eq!(names, ["127.0.0.1", "127.0.0.2"]);
        assert_eq!(report.clients[0].requests, 2);
        let others = report.others.as_ref().unwrap();
        assert_eq!((others.kind, others.requests), (ClientKind::Others, 2));
        assert_eq!(others.counts, [Count { item: "example-1".into(), count: 2, at_limit: None, over_limit: None }]);
        assert_eq!(report.all.requests, 5);
        assert_eq!(report.all.unexercised.len(), 30, "example-1 and the 415: {:?}", report.all.unexercised);
        assert!(!report.all.unexercised.contains(&"415: unsupported content type".to_owned()));
    }

    #[test]
    fn a_limit_counts_once_both_sides_are_exercised() {
        let t = tally(10);
        let number = |n: usize| format!(r#"{{"from":{{"agentId":"1234"}},"to":{{"telephoneNumber":"{}"}}}}"#, "7".repeat(n));
        t.record(Client::subject("a"), number(30).as_bytes(), Ok(()));
        let limit = "limit: telephone number 30 characters".to_owned();
        assert!(t.report().all.unexercised.contains(&limit), "at the limit only");
        let over = Rejection { status: 400, message: "Telephone number exceeds 30 characters".into() };
        t.record(Client::subject("a"), number(31).as_bytes(), Err(&over));
        let report = t.report();
        assert!(!report.all.unexercised.contains(&limit));
        let count = report.all.counts.iter().find(|c| c.item == limit).unwrap();
        assert_eq!((count.count, count.at_limit, count.over_limit), (2, Some(1), Some(1)));
        assert_eq!((report.clients[0].kind, report.clients[0].client.as_str()), (ClientKind::Token, "a"));
    }

    #[test]
    fn a_long_subject_is_cut() {
        assert_eq!(Client::subject(&"s".repeat(500)), Client::Subject("s".repeat(MAX_NAME)));
    }
}
