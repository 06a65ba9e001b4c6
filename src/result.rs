//! Results: the one structured outcome of a case, which every output renders
//! (the pretty and terse text, JSON, JUnit, HTML, the diff table). Nothing here is
//! pre-rendered text: a [`Finding`] says what differed with the values
//! themselves, a [`TransportError`] what kind of failure stopped the exchange.
//! Secrets are hidden when rendering, not here.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::suite::Case;
use crate::exchange::{Response, SentRequest, TransportError};

/// One way a response fell short of its expectation.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// The status is none of those allowed.
    Status { expected: Vec<u16>, actual: u16 },
    /// The `Content-Type` media type differs (`actual` is the whole header value).
    MediaType { expected: String, actual: Option<String> },
    /// A header the case names has another value.
    Header { name: String, expected: String, actual: Option<String> },
    /// The body should be JSON and is not (the report shows the body).
    NotJson { error: String },
    /// The body breaks its schema at `path` (a JSON pointer into the body).
    Schema { schema: String, path: String, message: String },
    /// The body has no string `message`.
    NoMessage { expected: String },
    /// The `message` differs from the documented one.
    Message { expected: String, actual: String },
    /// The `message` is one this case rules out.
    RuledOutMessage { message: String },
    /// The request had no JSON body to echo.
    NothingToEcho,
    /// The 201 does not echo what was sent: pointer → value, sent and echoed.
    Echo { expected: Value, actual: Value },
    /// The 201 has no string `id`.
    NoId,
    /// No link with rel `_self` and a string href.
    NoSelfLink,
    /// The self link does not end as it must.
    SelfLink { href: String, expected_end: String },
    /// A 201 carries the id an earlier 201 of the run carried.
    ReusedId { id: String, earlier: String },
    /// The self link does not name the call's own id.
    SelfLinkNotId { href: String, id: String },
    /// An object of the body has a key twice (RFC 8259: names SHOULD be
    /// unique; a client may read either value). `object` is its JSON pointer.
    DuplicateKey { object: String, key: String },
    /// No alternative of an `any_of` matched; each with its own findings.
    NoAlternative { alternatives: Vec<(String, Vec<Finding>)> },
}

impl Finding {
    /// The first line of the finding: what a one-line summary (JUnit's failure
    /// message, a table cell) shows.
    pub fn headline(&self) -> String {
        self.to_string().lines().next().unwrap_or_default().to_owned()
    }
}

/// How much of each text a diff compares: enough for any documented message,
/// and a bound on the work a hostile answer can cause (the report is capped
/// after, in `report::text`).
pub const DIFFED: usize = 20_000;

/// At most [`DIFFED`] characters of a text.
pub fn diffed_part(text: &str) -> &str {
    text.char_indices().nth(DIFFED).map_or(text, |(at, _)| &text[..at])
}

/// A unified diff of two texts, one line per line of text (of their first
/// [`DIFFED`] characters).
pub fn text_diff(expected: &str, actual: &str) -> String {
    let expected = format!("{}\n", diffed_part(expected));
    let actual = format!("{}\n", diffed_part(actual));
    similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// The first bytes of a body, printable.
pub fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let more = if body.len() > MAX { format!("… ({} bytes)", body.len()) } else { String::new() };
    format!("{text:?}{more}")
}

fn indented(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Status { expected, actual } => {
                let allowed: Vec<String> = expected.iter().map(u16::to_string).collect();
                write!(f, "status: expected {}, got {actual}", allowed.join(" or "))
            }
            Finding::MediaType { expected, actual: None } => write!(f, "Content-Type: missing, expected {expected}"),
            Finding::MediaType { expected, actual: Some(got) } => {
                write!(f, "Content-Type: expected {expected}, got {got:?}")
            }
            Finding::Header { name, expected, actual: None } => write!(f, "header {name}: missing, expected {expected:?}"),
            Finding::Header { name, expected, actual: Some(got) } => {
                write!(f, "header {name}: expected {expected:?}, got {got:?}")
            }
            Finding::NotJson { error } => write!(f, "body: not JSON ({error}); see the response above"),
            Finding::Schema { schema, path, message } => write!(f, "schema {schema}: at {path}: {message}"),
            Finding::NoMessage { expected } => {
                write!(f, "message: the body has no string `message`; expected {expected:?}")
            }
            Finding::Message { expected, actual } => write!(f, "message differs:\n{}", text_diff(expected, actual)),
            Finding::RuledOutMessage { message } => {
                write!(f, "message: got {message:?}, which this case rules out (a limit applied too early?)")
            }
            Finding::NothingToEcho => f.write_str("echo: the request body is not JSON, so there is nothing to echo"),
            Finding::Echo { expected, actual } => {
                let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
                write!(
                    f,
                    "echo: the 201 body does not echo what was sent (pointer: value):\n{}",
                    text_diff(&pretty(expected), &pretty(actual))
                )
            }
            Finding::NoId => f.write_str("self link: the body has no string `id` to link to"),
            Finding::NoSelfLink => f.write_str("self link: no link with rel \"_self\" and a string href"),
            Finding::SelfLink { href, expected_end } => {
                write!(f, "self link: href {href:?} does not end in {expected_end:?}")
            }
            Finding::ReusedId { id, earlier } => write!(
                f,
                "id: {id:?} was already the id of the call created by {earlier}; each created call must get its own id"
            ),
            Finding::SelfLinkNotId { href, id } => write!(f, "self link: href {href:?} does not name the call's id {id:?}"),
            Finding::DuplicateKey { object, key } => {
                let object = if object.is_empty() { "the body".to_owned() } else { format!("the object at {object}") };
                write!(
                    f,
                    "body: {object} has the key {key:?} twice (RFC 8259: names should be unique; a client may read either value)"
                )
            }
            Finding::NoAlternative { alternatives } => {
                write!(f, "matched none of the {} allowed answers:", alternatives.len())?;
                for (i, (summary, findings)) in alternatives.iter().enumerate() {
                    write!(f, "\n  answer {} ({summary}):", i + 1)?;
                    for finding in findings {
                        write!(f, "\n{}", indented(&finding.to_string(), "    "))?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Passed,
    /// The response fell short; the findings say how.
    Failed(Vec<Finding>),
    /// No usable response came.
    Broken(TransportError),
    /// Not sent; the reason says why.
    Ignored(String),
}

/// Where a case comes from and what it covers: what every report names.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseInfo {
    pub name: String,
    pub file: String,
    pub source: String,
    pub line: usize,
    pub covers: Vec<String>,
    pub documented: bool,
    pub note: Option<String>,
}

impl CaseInfo {
    pub fn of(case: &Case) -> CaseInfo {
        CaseInfo {
            name: case.test_name(),
            file: case.file.clone(),
            source: case.source.clone(),
            line: case.line,
            covers: case.covers.clone(),
            documented: case.documented,
            note: case.note.clone(),
        }
    }
}

/// One case's result: what was sent, what came back, what differed, how long it took.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    pub case: CaseInfo,
    /// `None` when the case was not sent.
    pub request: Option<SentRequest>,
    pub response: Option<Response>,
    pub verdict: Verdict,
    pub time: Duration,
}

impl CaseResult {
    /// A case that was not sent.
    pub fn ignored(case: &Case, reason: &str) -> CaseResult {
        CaseResult {
            case: CaseInfo::of(case),
            request: None,
            response: None,
            verdict: Verdict::Ignored(reason.to_owned()),
            time: Duration::ZERO,
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }

    /// Failed or broken: the case did not pass although it was sent.
    pub fn failed(&self) -> bool {
        matches!(self.verdict, Verdict::Failed(_) | Verdict::Broken(_))
    }

    pub fn is_ignored(&self) -> bool {
        matches!(self.verdict, Verdict::Ignored(_))
    }

    /// The first line of what went wrong, if anything did.
    pub fn headline(&self) -> Option<String> {
        match &self.verdict {
            Verdict::Failed(findings) => findings.first().map(Finding::headline),
            Verdict::Broken(e) => Some(format!("no usable response: {}", e.kind.label())),
            _ => None,
        }
    }
}

/// What a run was about, for the reports' headings.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// What was tested: `https://… (deployment)` or `embedded reference server (…)`.
    pub target: String,
    /// When the run started.
    pub started: chrono::DateTime<chrono::Utc>,
    /// How long it took.
    pub total: Duration,
    /// Whether it was interrupted (Ctrl-C or SIGTERM) before every case ran.
    pub interrupted: bool,
}

impl RunInfo {
    /// The tool and its version, as reports name it.
    pub const TOOL: &'static str = concat!("vcc-conformance ", env!("CARGO_PKG_VERSION"));
}
