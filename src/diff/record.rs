//! A recorded run, read back: the HAR that `run --record-answers FILE` (the
//! same as `--har FILE`) writes, which `diff --against-record FILE` compares a
//! live run with. The file is a peer's: it is read as any document is (a
//! regular file, at most [`MAX_RECORD`] bytes, JSON nested no deeper than
//! serde_json's limit of 128), its errors name the file, line, column and
//! field, only the fields a comparison reads are kept, and what it says is
//! shown only through [`peer_text::shown`].

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::located::{self, LocatedError, Source, Spots};
use crate::peer_text;
use crate::result::RunInfo;
use crate::secrets::Redactor;

/// The most bytes read from a record (64 MiB): the record of the exhaustive
/// suite against the reference server is 22 MB.
pub const MAX_RECORD: u64 = 64 << 20;

/// How much of what the record says about its run a label shows.
const LABEL_SHOWN: usize = 300;

/// One exchange as the record (or a live run rendered the same way) holds it:
/// only what a comparison reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    #[serde(rename = "startedDateTime")]
    pub started: String,
    /// Milliseconds.
    pub time: f64,
    pub request: Request,
    pub response: Response,
    #[serde(rename = "_case")]
    pub case: Option<CaseMeta>,
    #[serde(rename = "_error")]
    pub error: Option<ErrorMeta>,
    /// The archive was over its size, and kept no headers or body of it.
    #[serde(rename = "_thinned", default)]
    pub thinned: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    #[serde(rename = "postData")]
    pub post_data: Option<PostData>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PostData {
    #[serde(default)]
    pub text: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Response {
    /// 0: no response.
    pub status: u16,
    pub headers: Vec<Header>,
    pub content: Content,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Content {
    #[serde(default)]
    pub text: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// The case an entry is the exchange of.
#[derive(Clone, Debug, Deserialize)]
pub struct CaseMeta {
    pub name: String,
    /// `passed`, `failed`, `broken`, … ([`crate::report::json::verdict_name`]).
    pub verdict: String,
}

/// Why an entry got no response.
#[derive(Clone, Debug, Deserialize)]
pub struct ErrorMeta {
    pub kind: String,
}

#[derive(Deserialize)]
struct Har {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    creator: Creator,
    entries: Vec<Entry>,
    #[serde(default)]
    comment: String,
    #[serde(rename = "_run")]
    run: Option<RunMeta>,
}

#[derive(Deserialize)]
struct Creator {
    name: String,
}

/// The run, as `log._run` says (a record written before it existed says it in
/// `log.comment` and the entries' dates).
#[derive(Deserialize)]
struct RunMeta {
    target: String,
    started: String,
    #[serde(default)]
    interrupted: bool,
}

/// A recorded run: what it tested and when, and each case's exchange.
#[derive(Debug)]
pub struct Record {
    /// The file, as given.
    pub path: String,
    /// The target it tested, as the record says.
    pub target: String,
    /// When it started, as the record says.
    pub started: String,
    pub interrupted: bool,
    entries: HashMap<String, Entry>,
}

impl Record {
    /// Reads and checks a record: a HAR written by vcc-conformance, one entry
    /// per case, at least one.
    pub fn read(path: &Path) -> Result<Record, LocatedError> {
        Record::parse(&Source::read_within(path, MAX_RECORD)?)
    }

    pub fn parse(source: &Source) -> Result<Record, LocatedError> {
        let har: Har = located::parse_json(source)?;
        let at = |field: &str, message: String| LocatedError::at(source, Spots::of_json(source).locate(field, false), field, message);
        let log = har.log;
        let (tool, _) = RunInfo::TOOL.split_once(' ').unwrap_or((RunInfo::TOOL, ""));
        if log.creator.name != tool {
            let creator = peer_text::shown(&log.creator.name, &Redactor::new(), 100);
            return Err(at("log.creator.name", format!("written by `{creator}`, not by {tool}: {}", Record::WHAT)));
        }
        if log.entries.is_empty() {
            return Err(at("log.entries", "the record holds no exchange: it is of a run that sent no case".into()));
        }
        let mut entries = HashMap::with_capacity(log.entries.len());
        for (i, entry) in log.entries.into_iter().enumerate() {
            let Some(case) = &entry.case else {
                return Err(at(&format!("log.entries[{i}]"), format!("the entry names no case (`_case`): {}", Record::WHAT)));
            };
            let name = case.name.clone();
            if entries.insert(name.clone(), entry).is_some() {
                let shown = peer_text::shown(&name, &Redactor::new(), 200);
                return Err(at(&format!("log.entries[{i}]._case.name"), format!("the case `{shown}` has a second entry: the record is damaged")));
            }
        }
        let run = log.run.unwrap_or_else(|| RunMeta {
            target: log.comment.strip_prefix("target: ").unwrap_or("an unnamed target").to_owned(),
            started: entries.values().map(|e| e.started.clone()).min().unwrap_or_default(),
            interrupted: log.comment.ends_with(" (interrupted)"),
        });
        Ok(Record {
            path: source.path.clone(),
            target: run.target,
            started: run.started,
            interrupted: run.interrupted,
            entries,
        })
    }

    /// What a record is, for the errors that say a file is not one.
    const WHAT: &'static str = "a record is the HAR that `vcc-conformance run --record-answers FILE` (or --har FILE) writes";

    /// The exchange of the case of that name.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Side B as every output names it, in one line: `record of TARGET, DATE
    /// (FILE)`; what the record says is shown escaped (line breaks too) and capped.
    pub fn label(&self, redactor: &Redactor) -> String {
        let said = format!("record of {}, {}", self.target, self.started).replace('\n', "\\u{a}");
        format!("{} ({})", peer_text::shown(&said, redactor, LABEL_SHOWN), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source { path: "r.har".into(), text: text.into() }
    }

    fn entry(name: &str) -> String {
        format!(
            r#"{{"startedDateTime": "2026-01-02T03:04:05.000Z", "time": 1.5,
                "request": {{"method": "POST", "url": "http://h/v0/a/calls/", "headers": []}},
                "response": {{"status": 400, "headers": [], "content": {{"text": "{{}}"}}}},
                "_case": {{"name": "{name}", "verdict": "passed"}}}}"#
        )
    }

    fn har(creator: &str, entries: &[String], extra: &str) -> String {
        format!(r#"{{"log": {{"version": "1.2", "creator": {{"name": "{creator}", "version": "1"}}, "entries": [{}]{extra}}}}}"#, entries.join(","))
    }

    #[test]
    fn a_record_names_its_run_and_holds_each_case() {
        let run = r#", "_run": {"target": "http://h (deployment)", "started": "2026-01-02T03:04:00.000Z"}"#;
        let record = Record::parse(&source(&har("vcc-conformance", &[entry("f::a"), entry("f::b")], run))).unwrap();
        assert_eq!(record.len(), 2);
        assert_eq!(record.entry("f::b").unwrap().response.status, 400);
        assert_eq!(record.label(&Redactor::new()), "record of http://h (deployment), 2026-01-02T03:04:00.000Z (r.har)");
        // An older record: the target from the comment, the date from the first entry.
        let old = Record::parse(&source(&har("vcc-conformance", &[entry("f::a")], r#", "comment": "target: http://o (deployment)""#))).unwrap();
        assert_eq!(old.label(&Redactor::new()), "record of http://o (deployment), 2026-01-02T03:04:05.000Z (r.har)");
        let hostile = Record::parse(&source(&har("vcc-conformance", &[entry("f::a")], r#", "comment": "target: \u001b[2J\n::error::x""#))).unwrap();
        assert!(hostile.label(&Redactor::new()).starts_with("record of \\u{1b}[2J\\u{a}::error::x, "), "{}", hostile.label(&Redactor::new()));
    }

    #[test]
    fn what_is_not_a_record_is_refused_with_its_place() {
        let refused = |text: &str| Record::parse(&source(text)).unwrap_err().to_string();
        let err = refused(&har("Firefox", &[entry("f::a")], ""));
        assert!(err.starts_with("r.har:1:") && err.contains("field `log.creator.name`: written by `Firefox`, not by vcc-conformance"), "{err}");
        let err = refused(&har("vcc-conformance", &[], ""));
        assert!(err.contains("field `log.entries`: the record holds no exchange"), "{err}");
        let err = refused(&har("vcc-conformance", &[entry("f::a"), entry("f::a")], ""));
        assert!(err.contains("field `log.entries[1]._case.name`: the case `f::a` has a second entry"), "{err}");
        let err = refused(&har("vcc-conformance", &[entry("f::a").replace("\"status\": 400", "\"status\": -1")], ""));
        assert!(err.contains("field `log.entries[0].response.status`"), "{err}");
        let err = refused(&har("vcc-conformance", &[entry("f::a").replace(r#""_case""#, r#""_other""#)], ""));
        assert!(err.contains("field `log.entries[0]`: the entry names no case"), "{err}");
        // Nesting is bounded: deep in a field kept or left out, an error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for text in [format!(r#"{{"log": {{"creator": {{"name": "vcc-conformance", "x": {deep}}}}}}}"#), format!(r#"{{"log": {deep}}}"#)] {
            assert!(refused(&text).starts_with("r.har:1:"), "{}", refused(&text));
        }
        for damaged in ["", "{", "null", "{\"log\": {}}", "[1, 2]", "{\"log\": {\"creator\": {\"name\": 5}}}"] {
            let err = refused(damaged);
            assert!(err.starts_with("r.har"), "{err}");
        }
    }
}
