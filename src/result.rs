//! Results: the one structured outcome of a case, which every output renders
//! (the pretty and terse text, JSON, JUnit, HTML, the diff table). Nothing here is
//! pre-rendered text: a [`Finding`] says what differed with the values
//! themselves, a [`TransportError`] what kind of failure stopped the exchange.
//! Secrets are hidden when rendering, not here.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::suite::Case;
use crate::exchange::{Response, SentRequest, TransportError, TransportKind};

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
    /// `WWW-Authenticate` carries no challenge with this auth-scheme; `actual` holds its fields.
    Challenge { scheme: String, actual: Vec<String> },
    /// An object of the body has a key twice (RFC 8259: names SHOULD be
    /// unique; a client may read either value). `object` is its JSON pointer.
    DuplicateKey { object: String, key: String },
    /// No alternative of an `any_of` matched; each with its own findings.
    NoAlternative { alternatives: Vec<(String, Vec<Finding>)> },
}

impl Finding {
    /// The finding in one line: what a one-line summary (JUnit's failure
    /// message, a CI annotation, a table cell) shows, and the first line of its
    /// full rendering ([`crate::report::lines`]). Values are quoted and shortened.
    pub fn headline(&self) -> String {
        match self {
            Finding::Status { expected, actual } => {
                let allowed: Vec<String> = expected.iter().map(u16::to_string).collect();
                format!("status: expected {}, got {actual}", allowed.join(" or "))
            }
            Finding::MediaType { expected, actual: None } => format!("Content-Type: missing, expected {expected}"),
            Finding::MediaType { expected, actual: Some(got) } => {
                format!("Content-Type: expected {expected}, got {}", quoted(got))
            }
            Finding::Header { name, expected, actual: None } => format!("header {name}: missing, expected {}", quoted(expected)),
            Finding::Header { name, expected, actual: Some(got) } => {
                format!("header {name}: expected {}, got {}", quoted(expected), quoted(got))
            }
            Finding::Challenge { scheme, actual } if actual.is_empty() => {
                format!("header WWW-Authenticate: missing, expected a {scheme} challenge")
            }
            Finding::Challenge { scheme, actual } => {
                let fields: Vec<String> = actual.iter().map(|v| quoted(v)).collect();
                format!("header WWW-Authenticate: no {scheme} challenge in {}", fields.join(", "))
            }
            Finding::NotJson { error } => format!("body: not JSON ({error}); see the response above"),
            Finding::Schema { schema, path, message } => format!("schema {schema}: at {path}: {message}"),
            Finding::NoMessage { expected } => format!("message: the body has no string `message`; expected {}", quoted(expected)),
            Finding::Message { expected, actual } => format!("message: expected {}, got {}", quoted(expected), quoted(actual)),
            Finding::RuledOutMessage { message } => {
                format!("message: got {}, which this case rules out (a limit applied too early?)", quoted(message))
            }
            Finding::NothingToEcho => "echo: the request body is not JSON, so there is nothing to echo".into(),
            Finding::Echo { expected, actual } => echo_headline(expected, actual),
            Finding::NoId => "self link: the body has no string `id` to link to".into(),
            Finding::NoSelfLink => "self link: no link with rel \"_self\" and a string href".into(),
            Finding::SelfLink { href, expected_end } => {
                format!("self link: href {} does not end in {}", quoted(href), quoted(expected_end))
            }
            Finding::ReusedId { id, earlier } => format!(
                "id: {} was already the id of the call created by {earlier}; each created call must get its own id",
                quoted(id)
            ),
            Finding::SelfLinkNotId { href, id } => format!("self link: href {} does not name the call's id {}", quoted(href), quoted(id)),
            Finding::DuplicateKey { object, key } => {
                let object = if object.is_empty() { "the body".to_owned() } else { format!("the object at {object}") };
                format!("body: {object} has the key {} twice (RFC 8259: names should be unique; a client may read either value)", quoted(key))
            }
            Finding::NoAlternative { alternatives } => format!("matched none of the {} allowed answers:", alternatives.len()),
        }
    }
}

/// How many characters of a value a headline quotes.
const QUOTED: usize = 200;

/// A value in a headline: quoted and escaped as Rust debug-prints a string,
/// at most [`QUOTED`] characters of it.
fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTED) {
        None => format!("{value:?}"),
        Some((at, _)) => format!("{:?}… ({} characters)", &value[..at], value.chars().count()),
    }
}

/// An echo finding in one line: the first field that differs, and how many more.
fn echo_headline(expected: &Value, actual: &Value) -> String {
    let (Some(sent), Some(got)) = (expected.as_object(), actual.as_object()) else {
        return "echo: the 201 body does not echo what was sent".into();
    };
    let differing: Vec<(&String, &Value)> = sent.iter().filter(|(pointer, value)| got.get(*pointer) != Some(*value)).collect();
    let Some((pointer, value)) = differing.first() else {
        return "echo: the 201 body does not echo what was sent".into();
    };
    let shown = |v: Option<&Value>| match v {
        None | Some(Value::Null) => "nothing".to_owned(),
        Some(Value::String(s)) => quoted(s),
        Some(other) => quoted(&other.to_string()),
    };
    let more = if differing.len() > 1 { format!(" (and {} more fields)", differing.len() - 1) } else { String::new() };
    format!("echo: {pointer} sent {}, the 201 echoed {}{more}", shown(Some(value)), shown(got.get(*pointer)))
}

/// What became of a planned case: sent and judged, or not sent and why.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Passed,
    /// The response fell short; the findings say how.
    Failed(Vec<Finding>),
    /// No usable response came.
    Broken(TransportError),
    /// Selected, but held back: it may place a real call (the real-call guard).
    Held(HoldReason),
    /// Not selected by the filters.
    FilteredOut,
    /// Selected and due to be sent, but not sent.
    NotRun(NotRun),
}

/// Why a case that was due to be sent was not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRun {
    /// The run was interrupted (Ctrl-C, SIGTERM) before its answer came.
    Interrupted,
    /// Sent, but every answer said that an agent this run had placed an earlier
    /// call with was still busy, through every retry: not verified, not failed
    /// (`--strict-busy` fails it instead). Its retries say which agent.
    AgentStayedBusy,
}

impl NotRun {
    pub fn text(self) -> &'static str {
        match self {
            NotRun::Interrupted => "not run: the run was interrupted",
            NotRun::AgentStayedBusy => {
                "not verified: the agent stayed busy after this run's own earlier call, through every retry \
                 (--busy-retries, --busy-wait; --strict-busy fails it)"
            }
        }
    }
}

/// Which side of a call an agent is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// `from.agentId`: the agent the call is made from.
    Calling,
    /// `to.agentId`: the agent the call is made to.
    Dialed,
}

impl Side {
    pub fn text(self) -> &'static str {
        match self {
            Side::Calling => "calling agent",
            Side::Dialed => "dialed agent",
        }
    }
}

/// Why a case was sent again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryReason {
    /// The exchange gave no usable response (`--retries`).
    Transport(TransportKind),
    /// The deployment answered with the page's busy message for an agent this
    /// run had placed an earlier call with (`--busy-retries`).
    AgentBusy { side: Side, agent: String },
}

/// One more attempt at a case: why, and how long the run paused before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub reason: RetryReason,
    pub pause: Duration,
}

impl Retry {
    /// Why, in a few words: `connection refused`, `calling agent 1234 busy`.
    pub fn why(&self) -> String {
        match &self.reason {
            RetryReason::Transport(kind) => kind.label().to_owned(),
            RetryReason::AgentBusy { side, agent } => format!("{} {agent} busy", side.text()),
        }
    }
}

/// A value the run sent in place of a variable's, to spread calls over several
/// agents or numbers (`spareAgentIds`, `spareTelephoneNumbers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Substitution {
    /// Where in the body, as a JSON pointer (`/from/agentId`).
    pub pointer: String,
    /// The variable whose value the case names there (`agentId`).
    pub variable: String,
    /// The variable's value, which the case file names.
    pub instead_of: String,
    /// What was sent.
    pub sent: String,
}

/// How the run fitted a case that may place a call around the agents it
/// involves: never two calls in flight for one agent, and a spacing between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scheduling {
    /// The agents it waited for: its calling and dialed agent as sent; for a
    /// call from groups, every agent the run places calls with (it cannot know
    /// which member of a group the platform rings).
    pub agents: Vec<String>,
    /// How long it waited, before its first attempt, for them to be free: the
    /// spacing after their last call (`--agent-spacing`, or what busy answers taught).
    pub waited: Duration,
    /// The spacing in force for its agents when it was sent.
    pub spacing: Duration,
    /// Values sent in place of a variable's (spreading over spare agents and numbers).
    pub spread: Vec<Substitution>,
}

/// Why a selected case is held back rather than sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldReason {
    /// Tagged `places-call`, on a deployment off loopback, without `--allow-real-calls`.
    PlacesCall,
    /// Its expectation accepts a 2xx (so it may place a call), likewise.
    Accepts2xx,
}

impl HoldReason {
    /// Why `case` is held back when the real-call guard is on.
    pub fn of(case: &Case) -> HoldReason {
        if case.has_tag("places-call") { HoldReason::PlacesCall } else { HoldReason::Accepts2xx }
    }

    /// The reason, as every output gives it.
    pub fn text(self) -> &'static str {
        match self {
            HoldReason::PlacesCall => {
                "places a real call on a deployment that is not on loopback; pass --allow-real-calls to run it"
            }
            HoldReason::Accepts2xx => {
                "its expectation accepts a 201 (or another 2xx), so it may place a real call on a deployment that is \
                 not on loopback; pass --allow-real-calls to run it"
            }
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
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
    pub tags: Vec<String>,
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
            tags: case.tags.clone(),
        }
    }
}

/// One planned case and what became of it: what was sent, what came back,
/// what differed, how long it took; or why it was not sent.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    pub case: CaseInfo,
    /// `None` when the case was not sent (or passed, and passing exchanges are not kept).
    pub request: Option<SentRequest>,
    pub response: Option<Response>,
    pub verdict: Verdict,
    /// From the first attempt to the last answer (pauses between retries included).
    pub time: Duration,
    /// Each attempt after the first, in order (empty: sent once, or not sent).
    pub retries: Vec<Retry>,
    /// For a case that may place a call: how it was fitted around its agents.
    pub scheduling: Option<Scheduling>,
}

impl CaseResult {
    /// A case that was not sent, and why.
    pub fn unsent(case: &Case, verdict: Verdict) -> CaseResult {
        CaseResult {
            case: CaseInfo::of(case),
            request: None,
            response: None,
            verdict,
            time: Duration::ZERO,
            retries: Vec::new(),
            scheduling: None,
        }
    }

    /// The retries in one line: `2 retries: calling agent 1234 busy (after 0.5 s), ... (after 1.0 s)`;
    /// `None` when the case was sent once.
    pub fn retries_text(&self) -> Option<String> {
        if self.retries.is_empty() {
            return None;
        }
        let each: Vec<String> =
            self.retries.iter().map(|r| format!("{} (sent again after {:.1} s)", r.why(), r.pause.as_secs_f64())).collect();
        let count = if self.retries.len() == 1 { "1 retry".to_owned() } else { format!("{} retries", self.retries.len()) };
        Some(format!("{count}: {}", each.join(", ")))
    }

    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }

    /// Failed or broken: the case did not pass although it was sent.
    pub fn failed(&self) -> bool {
        matches!(self.verdict, Verdict::Failed(_) | Verdict::Broken(_))
    }

    /// Selected but not judged: held back, or not run.
    pub fn is_ignored(&self) -> bool {
        matches!(self.verdict, Verdict::Held(_) | Verdict::NotRun(_))
    }

    /// Selected: anything but filtered out.
    pub fn is_selected(&self) -> bool {
        self.verdict != Verdict::FilteredOut
    }

    /// Why a selected case was not judged, as outputs say it.
    pub fn ignored_reason(&self) -> Option<&'static str> {
        match self.verdict {
            Verdict::Held(reason) => Some(reason.text()),
            Verdict::NotRun(why) => Some(why.text()),
            _ => None,
        }
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

/// What a run did: every planned case in plan order (filtered out ones too),
/// what the run was about, and the redactor that hides its secrets from every
/// output. Every report, the record and the contract matrix read this one value.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub run: RunInfo,
    pub results: Vec<CaseResult>,
    pub redactor: crate::secrets::Redactor,
}

impl RunOutcome {
    /// The selected cases (sent, held back, or not run).
    pub fn selected(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.is_selected())
    }

    /// The cases sent and judged.
    pub fn judged(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.passed() || r.failed())
    }

    pub fn failed(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.failed())
    }

    /// Whether a case was sent at all.
    pub fn sent_any(&self) -> bool {
        self.judged().next().is_some()
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

/// Results to test renderers with.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A sent case named `name` (in `cases/f.yaml`, line 3, covering example-1)
    /// with this verdict; its request a bare POST to `u`.
    pub fn result(name: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            case: CaseInfo {
                name: name.into(),
                file: name.split("::").next().unwrap_or(name).into(),
                source: "cases/f.yaml".into(),
                line: 3,
                covers: vec!["example-1".into()],
                documented: true,
                note: None,
                tags: Vec::new(),
            },
            request: Some(SentRequest {
                method: "POST".into(),
                url: "u".into(),
                headers: vec![],
                auth: false,
                auth_scheme: "Bearer".into(),
                body: vec![],
                sent_at: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
            }),
            response: None,
            verdict,
            time: Duration::ZERO,
            retries: Vec::new(),
            scheduling: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_read_in_one_line_and_an_agent_that_stayed_busy_is_not_a_failure() {
        let mut result = test_support::result("f::a", Verdict::Passed);
        assert_eq!(result.retries_text(), None);
        result.retries = vec![
            Retry { reason: RetryReason::Transport(TransportKind::Refused), pause: Duration::from_millis(250) },
            Retry { reason: RetryReason::AgentBusy { side: Side::Calling, agent: "1234".into() }, pause: Duration::from_secs(2) },
        ];
        assert_eq!(
            result.retries_text().unwrap(),
            "2 retries: connection refused (sent again after 0.2 s), calling agent 1234 busy (sent again after 2.0 s)"
        );
        result.verdict = Verdict::NotRun(NotRun::AgentStayedBusy);
        assert!(!result.failed() && result.is_ignored(), "not verified, not failed");
        assert!(result.ignored_reason().unwrap().starts_with("not verified: the agent stayed busy"));
    }
}
