//! Faults: single, deliberate deviations from the contract, for proving that the
//! suite catches them (`serve --fault NAME`, and the self-test). Each fault is
//! one realistic bug; the faithful server has none. A few are harmless
//! variations instead ([`Fault::is_harmless`]): answers the contract allows,
//! which the suite must not flag. Faults wrap the rules from outside (they edit
//! the state, the request before the rules see it, or the answer after; see
//! [`super::fault_layer`]), so [`super::rules`] stays a plain reading of the
//! contract. Adding one is one line in the [`faults!`] list below, then its
//! behaviour in [`fixture`], [`before`] or [`after`].
//! Over 400 lines: the one list and its three hooks are kept together, so that a
//! fault reads in one place; what the hooks call lives in `faults/`: the lax
//! character checks (`lax.rs`), the forms (`forms.rs`), values (`values.rs`),
//! standards (`standards.rs`) and the 201 bodies written another way
//! (`bodies.rs`). Some harmless variations answer a reading the page leaves
//! open (which digits, which letters, which URLs, what an empty agent ID
//! means), where the faithful server answers another: the suite must pass both.

use serde_json::{Value, json};

use super::fixture::{AgentState, Fixture};
use super::rules::{self, msg};
use bodies::{null_optional_fields, set_id, write_reversed};
pub use bodies::page_example_201;

mod bodies;
mod forms;
mod lax;
mod standards;
mod values;

/// Declares [`Fault`] with each variant's command-line name and one-line
/// description, and derives [`Fault::ALL`], [`Fault::name`],
/// [`Fault::description`] and [`Fault::is_harmless`] from that one list.
macro_rules! faults {
    (
        faults { $( $fault:ident = $fname:literal : $fdesc:literal, )* }
        harmless { $( $harmless:ident = $hname:literal : $hdesc:literal, )* }
    ) => {
        /// One deviation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Fault {
            $( #[doc = $fdesc] $fault, )*
            $( #[doc = $hdesc] $harmless, )*
        }

        impl Fault {
            /// Every fault, then every harmless variation, in the list's order.
            pub const ALL: &[Fault] = &[ $( Fault::$fault, )* $( Fault::$harmless, )* ];

            /// The kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $( Fault::$fault => $fname, )*
                    $( Fault::$harmless => $hname, )*
                }
            }

            /// What it does, in one line.
            pub fn description(self) -> &'static str {
                match self {
                    $( Fault::$fault => $fdesc, )*
                    $( Fault::$harmless => $hdesc, )*
                }
            }

            /// Whether this is an answer the contract allows (the suite must pass).
            pub fn is_harmless(self) -> bool {
                match self {
                    $( Fault::$harmless => true, )*
                    _ => false,
                }
            }
        }
    };
}

faults! {
    faults {
        MessageTypo = "message-typo": "400 messages lose their last character",
        SwappedToMessages = "swapped-to-messages": "the two `to` selector messages (missing, both) are swapped",
        NumberLimit29 = "number-limit-29": "telephone numbers of exactly 30 characters are refused (limit 29)",
        NumberLimit31 = "number-limit-31": "telephone numbers of 31 characters are accepted (limit 31)",
        AgentLimit10 = "agent-limit-10": "agent IDs of exactly 11 digits are refused (limit 10)",
        AgentLimit12 = "agent-limit-12": "agent IDs of 12 digits are accepted (limit 12)",
        ReferenceLimit1999 = "reference-limit-1999": "references of exactly 2000 characters are refused (limit 1999)",
        ReferenceLimit2001 = "reference-limit-2001": "references of 2001 characters are accepted (limit 2001)",
        ApplicationLimit31 = "application-limit-31": "applications of 32 characters are refused (limit 31)",
        ApplicationLimit33 = "application-limit-33": "applications of 33 characters are accepted (limit 33)",
        Created200 = "created-200": "a placed call answers 200 instead of 201",
        PresentedClidRenamed = "presented-clid-renamed": "the 201 echo spells presentedClid as presentedCLID",
        DispositionCodeMissing = "disposition-code-missing": "the 201 body has no dispositionCode",
        SelfLinkLowercase = "self-link-lowercase": "the self link reads /v0/.../calls/ instead of /V0/.../Calls/",
        IdNotUuid = "id-not-uuid": "call ids are 32 hex digits without dashes",
        EchoDropsConsent = "echo-drops-consent": "the 201 echo leaves out from.consent and to.consent",
        Unsupported400 = "unsupported-400": "an unsupported Content-Type answers 400 instead of 415",
        UnsupportedNamesJson = "unsupported-names-json": "the 415 message names application/json instead of the type sent",
        ErrorKeyRenamed = "error-key-renamed": "4xx bodies carry `error` instead of `message`",
        TextPlainContentType = "text-plain-content-type": "answers are labelled text/plain",
        IgnoreCcxml = "ignore-ccxml": "accounts without CCXML place calls anyway",
        IgnoreBusyCaller = "ignore-busy-caller": "a busy calling agent places the call anyway",
        IgnoreBusyDestination = "ignore-busy-destination": "a busy destination agent is called anyway",
        IgnoreUnreachable = "ignore-unreachable": "unreachable agents count as available",
        AcceptUnknownCaller = "accept-unknown-caller": "an unknown calling agent places the call anyway",
        AcceptUnknownDestination = "accept-unknown-destination": "an unknown destination agent is called anyway",
        IgnoreInvalidNumber = "ignore-invalid-number": "numbers the network rejects are called anyway",
        RejectVersionParameter = "reject-version-parameter": "a Content-Type with parameters (`; version=6`) is refused with a 415",
        RejectUrlReference = "reject-url-reference": "a URL as regarding.reference is refused as invalid",
        AcceptMissingToken = "accept-missing-token": "requests without a bearer token are served",
        GarbageBody = "garbage-body": "every answer's body is an HTML error page",
        NeverAnswers = "never-answers": "calls are never answered (the connection stays open)",
        DropsConnection = "drops-connection": "the connection is cut halfway through every answer",
        SameIdEveryCall = "same-id-every-call": "every 201 carries the same call id (a mock with one canned id)",
        VerbatimExampleBody = "verbatim-example-body": "every 201 is the page's example body, verbatim (a naive mock)",
        RelativeSelfLink = "relative-self-link": "the _self href is a path without scheme and host (/V0/{account}/Calls/{id})",
        AgentIdParsedAsInteger = "agent-id-parsed-as-integer": "agent IDs checked by integer parsing (a sign and surrounding white space pass)",
        ToAgentIdParsedAsInteger = "to-agent-id-parsed-as-integer": "as agent-id-parsed-as-integer, for to.agentId only",
        AgentIdParsedAsFloat = "agent-id-parsed-as-float": "agent IDs checked by float parsing (99999.0, 99999e0 pass)",
        AgentIdRadixPrefix = "agent-id-radix-prefix": "agent IDs read with a radix prefix, as strtol with base 0 (0x..., 0o..., 0b... pass)",
        AgentIdDigitSeparators = "agent-id-digit-separators": "agent IDs read as Python's int() does, with _ between digits",
        RegexDollarNewline = "regex-dollar-newline": "every character rule as ^...$ where $ also matches before a final newline",
        RegexUnanchored = "regex-unanchored": "every character rule as an unanchored search: one good character is enough",
        ApplicationWordRegex = "application-word-regex": "application checked with \\w (which lets _ through)",
        ReferenceWordRegex = "reference-word-regex": "regarding.reference checked with \\w (which lets _ through)",
        TextFieldsTrimmed = "application-and-reference-trimmed": "application and regarding.reference trimmed before they are checked",
        ReferenceUrlWithoutScheme = "reference-url-without-scheme": "a host without a scheme (Test.com) taken for a URL reference",
        ReferenceUrlPrefixOnly = "reference-url-prefix-only": "any reference that starts with http:// or https:// taken for a URL",
        StatusLowercase = "status-lowercase": "the 201's status in lower case (active, where the page shows Active)",
        RecordingStatusUppercase = "recording-status-uppercase": "the 201's recordingStatus in upper case (STOPPED, where the page shows Stopped)",
        // Issue 16, class 1: a rule checked in one form of the request only (faults/forms.rs).
        CcxmlForAgentCallersOnly = "ccxml-checked-for-agent-callers-only": "CCXML is not checked on calls from groups",
        BusyCallerToNumbersOnly = "busy-caller-checked-on-calls-to-numbers-only": "a busy calling agent calls another agent anyway",
        UnknownCallerToNumbersOnly = "unknown-caller-checked-on-calls-to-numbers-only": "an unknown calling agent calls another agent anyway",
        CallFailedToNumbersOnly = "call-failed-checked-on-calls-to-numbers-only": "an unreachable calling agent calls another agent anyway",
        BusyCallerWithoutClidOnly = "busy-caller-checked-without-presented-clid-only": "a busy calling agent places the call when it presents a CLID",
        BusyDestinationForAgentCallersOnly = "busy-destination-checked-for-agent-callers-only": "groups call a busy agent anyway",
        UnknownDestinationForAgentCallersOnly = "unknown-destination-checked-for-agent-callers-only": "groups call an unknown agent anyway",
        InvalidNumberForOneCallerOnly = "invalid-number-checked-for-one-caller-only": "several groups call a number the network rejects anyway",
        ApplicationForAgentCallersOnly = "application-checked-for-agent-callers-only": "on calls from groups, an application that breaks its rules is dropped, not refused",
        ReferenceToNumbersOnly = "reference-checked-on-calls-to-numbers-only": "on calls to an agent, a reference that breaks its rules is dropped, not refused",
        NumberInFromForAgentCallersOnly = "number-in-from-checked-for-agent-callers-only": "from.telephoneNumber beside groups is ignored, not refused",
        ToBothForAgentCallersOnly = "to-both-checked-for-agent-callers-only": "on calls from groups, a to with number and agent calls the number",
        ToAgentDigitsForAgentCallersOnly = "to-agent-digits-checked-for-agent-callers-only": "on calls from groups, a to.agentId that is not digits is looked up (invalid Agent Id.)",
        // Class 2: a field the 201 does not echo in one form (faults/forms.rs).
        EchoDropsToConsentForAgents = "echo-drops-to-consent-for-agents": "the 201 leaves out to.consent when to names an agent",
        EchoDropsClidForGroups = "echo-drops-presented-clid-for-groups": "the 201 leaves out presentedClid when from names groups",
        EchoDropsFromConsentForGroups = "echo-drops-from-consent-for-groups": "the 201 leaves out from.consent when from names groups",
        EchoKeepsFirstGroupOnly = "echo-keeps-first-group-only": "the 201 echoes only the first of several groups",
        EchoDropsReferenceForAgents = "echo-drops-reference-for-agents": "the 201 leaves out regarding when to names an agent",
        EchoDropsApplicationForGroups = "echo-drops-application-for-groups": "the 201 leaves out application when from names groups",
        // Class 3: limits counted the way lax implementations count (faults/values.rs).
        NumberLengthCountsDigits = "number-length-counts-digits-only": "telephone numbers' length counts digits only (+, spaces, punctuation free)",
        NumberLengthIgnoresPlus = "number-length-ignores-leading-plus": "telephone numbers' length counted after a leading + (as E.164 parsing drops it)",
        AgentLengthIgnoresLeadingZeros = "agent-id-length-ignores-leading-zeros": "agent IDs' length counted after leading zeros (read as a number)",
        ReferenceLengthAlphanumericOnly = "reference-length-checked-for-alphanumeric-only": "URL references over 2000 characters accepted (the limit checked on alphanumeric ones)",
        // Class 4: listed values matched loosely (faults/values.rs).
        ConsentCaseInsensitive = "consent-case-insensitive": "consent values compared without case (oneparty is OneParty)",
        ConsentTrimmed = "consent-trimmed": "consent values trimmed before they are compared",
        ConsentParsedAsEnum = "consent-parsed-as-enum": "consent read as .NET's Enum.Parse does (\"1\" is OneParty)",
        // Class 5: an empty value taken as given (faults/values.rs).
        EmptyGroupsTakenAsGiven = "empty-groups-taken-as-given": "from.groups [] places a call",
        EmptyGroupIdTakenAsGiven = "empty-group-id-taken-as-given": "from.groups [\"\"] places a call",
        EmptyAgentIdTakenAsGiven = "empty-agent-id-taken-as-given": "from.agentId \"\" places a call",
        EmptyNumberTakenAsGiven = "empty-number-taken-as-given": "to.telephoneNumber \"\" places a call",
        EmptyToAgentIdTakenAsGiven = "empty-to-agent-id-taken-as-given": "to.agentId \"\" places a call",
        // Class 6: the standards the page relies on (faults/standards.rs).
        ChallengeMissing = "401-without-challenge": "401s carry no WWW-Authenticate",
        ChallengeBasic = "401-with-basic-challenge": "401s challenge for Basic credentials (WWW-Authenticate: Basic realm=\"api\")",
        ChallengeForMissingTokenOnly = "challenge-on-missing-token-only": "a 401 for another scheme or an empty token carries no WWW-Authenticate",
        SchemeCaseSensitive = "auth-scheme-case-sensitive": "the Authorization scheme must be spelled Bearer (bearer is refused with a 401)",
        AnySchemeAccepted = "any-auth-scheme-accepted": "whatever follows any scheme is taken for the token (Basic credentials pass)",
        MediaTypeCaseSensitive = "media-type-case-sensitive": "the media type must be spelled application/json (APPLICATION/JSON is a 415)",
        MediaTypeSpaceRefused = "media-type-white-space-refused": "white space before ';' makes the media type unknown (a 415)",
        ParameterNamesCaseSensitive = "media-type-parameter-names-case-sensitive": "only the parameters version and charset, spelled so, are allowed (VERSION=6 is a 415)",
        QuotedParameterRefused = "media-type-quoted-parameter-refused": "a quoted parameter value (version=\"6\") is a 415",
    }
    harmless {
        PlainJsonContentType = "harmless-plain-json-content-type": "answers are labelled application/json without a charset",
        UppercaseContentType = "harmless-uppercase-content-type": "answers are labelled Application/JSON; Charset=UTF-8",
        ExtraFields = "harmless-extra-fields": "bodies carry fields the page does not list, and an extra link first",
        ReversedKeys = "harmless-reversed-keys": "every JSON object's keys come in reverse order",
        PrettyJson = "harmless-pretty-json": "bodies are pretty-printed JSON",
        Chunked = "harmless-chunked": "bodies are sent in chunks, without a Content-Length",
        ExtraHeaders = "harmless-extra-headers": "answers carry extra headers (x-request-id, cache-control, x-powered-by)",
        UuidV4Id = "harmless-uuid-v4-id": "call ids are random (version 4) UUIDs where the page's example has version 6",
        NullOptionalFields = "harmless-null-optional-fields": "every optional field the request did not send comes back as null",
        // Readings the page leaves open (the class-7 sweep): each answers one reading
        // where the faithful server answers another, and the suite must pass both.
        AgentIdUnicodeDigits = "harmless-agent-id-unicode-digits": "agent IDs checked with a Unicode notion of digit (٩٩٩ is the ID 999)",
        ApplicationUnicodeAlphanumeric = "harmless-application-unicode-letters": "application checked with char::is_alphanumeric (appNamé is alphanumeric)",
        ReferenceUnicodeAlphanumeric = "harmless-reference-unicode-letters": "regarding.reference checked with char::is_alphanumeric",
        ReferenceAnyUrlScheme = "harmless-reference-any-url-scheme": "any absolute URL taken for a reference (javascript:, ftp:)",
        UnsupportedRepeatsHeader = "harmless-415-names-the-whole-header": "the 415 message names the Content-Type header as sent, parameters and all",
        EmptyAgentIdNotDigits = "harmless-empty-agent-id-not-digits": "an empty from.agentId answers \"Agent Id must contain digits only\"",
        EmptyAgentIdUnknown = "harmless-empty-agent-id-unknown": "an empty from.agentId answers \"Unable to place call - Agent Id is unknown\"",
        BusyAfterCall = "harmless-busy-after-call": "the calling agent is busy for 0.5 s after each call it places, as on a live platform (the state is in engaged.rs)",
    }
}

/// The faults written for the classes of issue 16 that only the cases derived
/// from the contract model catch (no hand-written case does), each with its
/// class: the self-test shows the derived suite kills each, and
/// `tests/server/fault_witnesses.rs` that each deviates on its own, whatever
/// the suite sends.
pub const FOR_THE_DERIVED_SUITE: &[(Fault, u8)] = &[
    (Fault::CcxmlForAgentCallersOnly, 1),
    (Fault::BusyCallerToNumbersOnly, 1),
    (Fault::UnknownCallerToNumbersOnly, 1),
    (Fault::CallFailedToNumbersOnly, 1),
    (Fault::BusyCallerWithoutClidOnly, 1),
    (Fault::BusyDestinationForAgentCallersOnly, 1),
    (Fault::UnknownDestinationForAgentCallersOnly, 1),
    (Fault::InvalidNumberForOneCallerOnly, 1),
    (Fault::ApplicationForAgentCallersOnly, 1),
    (Fault::ReferenceToNumbersOnly, 1),
    (Fault::NumberInFromForAgentCallersOnly, 1),
    (Fault::ToBothForAgentCallersOnly, 1),
    (Fault::ToAgentDigitsForAgentCallersOnly, 1),
    (Fault::EchoDropsClidForGroups, 2),
    (Fault::EchoDropsFromConsentForGroups, 2),
    (Fault::EchoKeepsFirstGroupOnly, 2),
    (Fault::EchoDropsReferenceForAgents, 2),
    (Fault::EchoDropsApplicationForGroups, 2),
    (Fault::NumberLengthCountsDigits, 3),
    (Fault::NumberLengthIgnoresPlus, 3),
    (Fault::AgentLengthIgnoresLeadingZeros, 3),
    (Fault::ReferenceLengthAlphanumericOnly, 3),
    (Fault::ConsentCaseInsensitive, 4),
    (Fault::ConsentTrimmed, 4),
    (Fault::ConsentParsedAsEnum, 4),
    (Fault::EmptyGroupsTakenAsGiven, 5),
    (Fault::EmptyGroupIdTakenAsGiven, 5),
    (Fault::EmptyNumberTakenAsGiven, 5),
    (Fault::EmptyToAgentIdTakenAsGiven, 5),
];

impl Fault {

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// One line per fault: its name, then its description.
    pub fn list() -> String {
        let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
        Fault::ALL.iter().map(|f| format!("{:<width$}  {}\n", f.name(), f.description())).collect()
    }
}

/// The request as the rules will see it.
pub struct Input<'a> {
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: Vec<u8>,
    /// The account the path names, when it names one plainly; a fault may
    /// answer as if another was named.
    pub account: Option<String>,
}

/// The answer before it is written.
pub struct Output {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Headers beyond Content-Type.
    pub headers: Vec<(&'static str, &'static str)>,
    /// Send the body in chunks of unknown total length (chunked encoding).
    pub chunked: bool,
    /// Break off the connection halfway through the body.
    pub broken: bool,
    /// Headers to take out of the answer.
    pub removed: Vec<&'static str>,
    /// Whether the request carried an `Authorization` header.
    pub authorization_sent: bool,
}

/// The ID of an agent the fixture has available, for faults that call one.
fn available_agent(fixture: &Fixture) -> Option<String> {
    fixture.agents.iter().find(|(_, s)| **s == AgentState::Available).map(|(id, _)| id.clone())
}

fn chars_at(body: &Value, pointer: &str) -> Option<usize> {
    body.pointer(pointer).and_then(Value::as_str).map(|s| s.chars().count())
}

/// Limit faults: which field, the documented limit, how the fault moves it.
fn limit(fault: Fault) -> Option<(&'static [&'static str], usize, i8, &'static str)> {
    const NUMBER: &[&str] = &["/to/telephoneNumber"];
    const AGENT: &[&str] = &["/from/agentId", "/to/agentId"];
    const REFERENCE: &[&str] = &["/regarding/reference"];
    const APPLICATION: &[&str] = &["/application"];
    Some(match fault {
        Fault::NumberLimit29 => (NUMBER, rules::MAX_NUMBER_CHARS, -1, msg::NUMBER_TOO_LONG),
        Fault::NumberLimit31 => (NUMBER, rules::MAX_NUMBER_CHARS, 1, msg::NUMBER_TOO_LONG),
        Fault::AgentLimit10 => (AGENT, rules::MAX_AGENT_DIGITS, -1, msg::AGENT_ID_TOO_LONG),
        Fault::AgentLimit12 => (AGENT, rules::MAX_AGENT_DIGITS, 1, msg::AGENT_ID_TOO_LONG),
        Fault::ReferenceLimit1999 => (REFERENCE, rules::MAX_REFERENCE_CHARS, -1, msg::REFERENCE_TOO_LONG),
        Fault::ReferenceLimit2001 => (REFERENCE, rules::MAX_REFERENCE_CHARS, 1, msg::REFERENCE_TOO_LONG),
        Fault::ApplicationLimit31 => (APPLICATION, rules::MAX_APPLICATION_CHARS, -1, msg::APPLICATION_TOO_LONG),
        Fault::ApplicationLimit33 => (APPLICATION, rules::MAX_APPLICATION_CHARS, 1, msg::APPLICATION_TOO_LONG),
        _ => return None,
    })
}

/// The state the server answers from under this fault.
pub fn fixture(fault: Option<Fault>, mut fixture: Fixture) -> Fixture {
    let demote = |fixture: &mut Fixture, from: AgentState| {
        for state in fixture.agents.values_mut() {
            if *state == from {
                *state = AgentState::Available;
            }
        }
    };
    match fault {
        Some(Fault::IgnoreCcxml) => fixture.accounts.values_mut().for_each(|a| a.ccxml = true),
        Some(Fault::IgnoreUnreachable) => demote(&mut fixture, AgentState::Unreachable),
        Some(Fault::IgnoreInvalidNumber) => fixture.invalid_numbers.clear(),
        _ => {}
    }
    fixture
}

/// Rewrites the request, or answers it outright, before the rules run.
pub fn before(fault: Option<Fault>, input: &mut Input<'_>, fixture: &Fixture) -> Option<rules::Rejection> {
    let fault = fault?;
    if fault == Fault::AcceptMissingToken && input.authorization.is_none() {
        input.authorization = Some("Bearer anyone");
    }
    standards::accept(fault, input);
    if let Some(refusal) = standards::refuse(fault, input) {
        return Some(refusal);
    }
    if fault == Fault::RejectVersionParameter && input.content_type.is_some_and(|c| c.contains(';')) {
        return Some(unsupported(input.content_type.unwrap_or_default()));
    }
    if fault == Fault::UnsupportedRepeatsHeader && rules::authorization(input.authorization).is_ok()
        && let Some(sent) = input.content_type.filter(|c| rules::content_type(Some(c)).is_err()) {
            return Some(unsupported(sent));
        }
    // The body faults below act only on what the rules would read as a body.
    if rules::authorization(input.authorization).is_err() || rules::content_type(input.content_type).is_err() {
        return None;
    }
    let mut body: Value = serde_json::from_slice(&input.body).ok()?;
    let empty_agent_alone = body.pointer("/from/agentId").and_then(Value::as_str) == Some("")
        && body.pointer("/from/groups").and_then(Value::as_array).is_none_or(Vec::is_empty);
    match fault {
        Fault::EmptyAgentIdNotDigits if empty_agent_alone => return Some(rejection(msg::AGENT_ID_NOT_DIGITS)),
        Fault::EmptyAgentIdUnknown if empty_agent_alone => return Some(rejection(msg::UNKNOWN_CALLING_AGENT)),
        _ => {}
    }
    if let Some(answer) = forms::skip_rule(fault, &mut body, &mut input.account, fixture) {
        return Some(answer);
    }
    values::read_laxly(fault, &mut body, fixture);
    if fault == Fault::RejectUrlReference && body.pointer("/regarding/reference").and_then(Value::as_str).is_some_and(rules::is_url) {
        return Some(rejection(msg::REFERENCE_INVALID));
    }
    for (pointers, read) in lax::checks(fault) {
        for pointer in *pointers {
            if let Some(Value::String(value)) = body.pointer_mut(pointer) {
                let read = read(value).filter(|r| !lax::faithful(pointer, value) && lax::faithful(pointer, r));
                if let Some(read) = read {
                    *value = read;
                }
            }
        }
    }
    let agent_at = |pointer: &str| body.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let state_of = |id: &Option<String>| id.as_ref().and_then(|id| fixture.agents.get(id)).copied();
    let replace_with_available = match fault {
        Fault::IgnoreBusyCaller if state_of(&agent_at("/from/agentId")) == Some(AgentState::Busy) => Some("/from/agentId"),
        Fault::IgnoreBusyDestination if state_of(&agent_at("/to/agentId")) == Some(AgentState::Busy) => Some("/to/agentId"),
        Fault::AcceptUnknownCaller if agent_at("/from/agentId").is_some() && state_of(&agent_at("/from/agentId")).is_none() => Some("/from/agentId"),
        Fault::AcceptUnknownDestination if agent_at("/to/agentId").is_some() && state_of(&agent_at("/to/agentId")).is_none() => Some("/to/agentId"),
        _ => None,
    };
    if let Some(pointer) = replace_with_available
        && let (Some(slot), Some(id)) = (body.pointer_mut(pointer), available_agent(fixture))
            && slot.as_str().is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()) && s.len() <= rules::MAX_AGENT_DIGITS) {
                *slot = json!(id);
            }
    if let Some((pointers, documented, shift, message)) = limit(fault) {
        for pointer in pointers {
            match (chars_at(&body, pointer), shift) {
                (Some(n), -1) if n == documented => {
                    return Some(rejection(message));
                }
                (Some(n), 1) if n == documented + 1 => {
                    if let Some(Value::String(s)) = body.pointer_mut(pointer) {
                        s.pop();
                    }
                }
                _ => {}
            }
        }
    }
    input.body = serde_json::to_vec(&body).unwrap_or_default();
    None
}

/// A 400 with one of the page's messages.
fn rejection(message: &str) -> rules::Rejection {
    rules::Rejection { status: 400, message: message.into() }
}

/// A 415 whose message names `sent` as it came, parameters and all.
fn unsupported(sent: &str) -> rules::Rejection {
    let message = format!("The requested resource does not support content type '{sent}'.");
    rules::Rejection { status: 415, message }
}

fn typo(message: &str) -> String {
    let mut m = message.to_owned();
    m.pop();
    m
}

/// Rewrites the answer after the rules ran.
pub fn after(fault: Option<Fault>, out: &mut Output) {
    let Some(fault) = fault else { return };
    standards::challenge(fault, out);
    let mut body: Value = serde_json::from_slice(&out.body).unwrap_or(Value::Null);
    if out.status == 201 && forms::drop_echo(fault, &mut body) {
        out.body = serde_json::to_vec(&body).unwrap_or_default();
        return;
    }
    let message = body.get("message").and_then(Value::as_str).map(str::to_owned);
    match (fault, out.status) {
        (Fault::MessageTypo, 400) => body["message"] = json!(typo(&message.unwrap_or_default())),
        (Fault::SwappedToMessages, 400) => match message.as_deref() {
            Some(msg::TO_MISSING) => body["message"] = json!(msg::TO_BOTH),
            Some(msg::TO_BOTH) => body["message"] = json!(msg::TO_MISSING),
            _ => {}
        },
        (Fault::Unsupported400, 415) => out.status = 400,
        (Fault::UnsupportedNamesJson, 415) => {
            body["message"] = json!("The requested resource does not support content type 'application/json'.");
        }
        (Fault::ErrorKeyRenamed, 400..=499) => {
            body = json!({ "error": message.unwrap_or_default() });
        }
        (Fault::Created200, 201) => out.status = 200,
        (Fault::PresentedClidRenamed, 201) => {
            if let Some(from) = body.get_mut("from").and_then(Value::as_object_mut)
                && let Some(v) = from.remove("presentedClid") {
                    from.insert("presentedCLID".into(), v);
                }
        }
        (Fault::DispositionCodeMissing, 201) => {
            body.as_object_mut().map(|b| b.remove("dispositionCode"));
        }
        (Fault::SelfLinkLowercase, 201) => {
            if let Some(href) = body.pointer_mut("/links/0/href") {
                let lower = href.as_str().unwrap_or_default().replace("/V0/", "/v0/").replace("/Calls/", "/calls/");
                *href = json!(lower);
            }
        }
        (Fault::IdNotUuid, 201) => {
            let id = body["id"].as_str().unwrap_or_default().replace('-', "");
            set_id(&mut body, &id);
        }
        (Fault::SameIdEveryCall, 201) => set_id(&mut body, "0190a1b2-c3d4-6e5f-8a7b-9c0d1e2f3a4b"),
        (Fault::VerbatimExampleBody, 201) => body = page_example_201(),
        (Fault::RelativeSelfLink, 201) => {
            if let Some(href) = body.pointer_mut("/links/0/href") {
                let text = href.as_str().unwrap_or_default();
                let path = text.find("/V0/").map_or(text, |at| &text[at..]).to_owned();
                *href = json!(path);
            }
        }
        (Fault::StatusLowercase, 201) => body["status"] = json!(body["status"].as_str().unwrap_or_default().to_lowercase()),
        (Fault::RecordingStatusUppercase, 201) => {
            body["recordingStatus"] = json!(body["recordingStatus"].as_str().unwrap_or_default().to_uppercase());
        }
        (Fault::UuidV4Id, 201) => set_id(&mut body, &uuid::Uuid::new_v4().to_string()),
        (Fault::EchoDropsConsent, 201) => {
            for side in ["from", "to"] {
                body.get_mut(side).and_then(Value::as_object_mut).map(|o| o.remove("consent"));
            }
        }
        (Fault::NullOptionalFields, 201) => null_optional_fields(&mut body),
        (Fault::TextPlainContentType, _) => out.content_type = "text/plain; charset=utf-8",
        (Fault::PlainJsonContentType, _) => out.content_type = "application/json",
        (Fault::UppercaseContentType, _) => out.content_type = "Application/JSON; Charset=UTF-8",
        (Fault::ExtraFields, _) => {
            if let Some(map) = body.as_object_mut() {
                map.insert("traceId".into(), json!("c0ffee"));
                for side in ["from", "to", "regarding"] {
                    if let Some(inner) = map.get_mut(side).and_then(Value::as_object_mut) {
                        inner.insert("displayName".into(), json!("extra"));
                    }
                }
                if let Some(links) = map.get_mut("links").and_then(Value::as_array_mut) {
                    links.insert(0, json!({ "href": "http://elsewhere/recording", "rel": "recording" }));
                }
            }
        }
        (Fault::ReversedKeys, _) => {
            let mut text = String::new();
            write_reversed(&body, &mut text);
            out.body = text.into_bytes();
            return;
        }
        (Fault::PrettyJson, _) => {
            out.body = serde_json::to_vec_pretty(&body).unwrap_or_default();
            return;
        }
        (Fault::Chunked, _) => {
            out.chunked = true;
            return;
        }
        (Fault::DropsConnection, _) => {
            out.chunked = true;
            out.broken = true;
            return;
        }
        (Fault::ExtraHeaders, _) => {
            out.headers.extend([("x-request-id", "7f1c"), ("cache-control", "no-store"), ("x-powered-by", "ASP.NET")]);
            return;
        }
        (Fault::GarbageBody, _) => {
            out.body = b"<html><body>Internal error</body></html>".to_vec();
            return;
        }
        _ => return,
    }
    out.body = serde_json::to_vec(&body).unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        assert!(names.len() >= 30);
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(*f));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        assert_eq!(Fault::from_name("nope"), None);
    }

    #[test]
    fn a_lowered_limit_rejects_at_the_limit_and_a_raised_one_accepts_over_it() {
        let f = Fixture::builtin();
        let body = |n: usize| json!({"to": {"telephoneNumber": "7".repeat(n)}}).to_string().into_bytes();
        let mut at = Input { authorization: Some("Bearer t"), content_type: Some("application/json"), body: body(30), account: None };
        assert_eq!(before(Some(Fault::NumberLimit29), &mut at, &f).unwrap().message, msg::NUMBER_TOO_LONG);
        let mut over = Input { authorization: Some("Bearer t"), content_type: Some("application/json"), body: body(31), account: None };
        assert!(before(Some(Fault::NumberLimit31), &mut over, &f).is_none());
        let sent: Value = serde_json::from_slice(&over.body).unwrap();
        assert_eq!(sent["to"]["telephoneNumber"].as_str().unwrap().len(), 30);
    }

    #[test]
    fn no_fault_changes_nothing() {
        let mut out = Output {
            status: 400,
            content_type: "application/json",
            body: b"{\"message\":\"m\"}".to_vec(),
            headers: vec![],
            chunked: false,
            broken: false,
            removed: vec![],
            authorization_sent: false,
        };
        after(None, &mut out);
        assert_eq!(out.body, b"{\"message\":\"m\"}");
        let mut input = Input { authorization: None, content_type: None, body: b"{}".to_vec(), account: None };
        assert!(before(None, &mut input, &Fixture::builtin()).is_none());
        assert_eq!(input.authorization, None);
    }
}
