//! The contract's rules as plain functions: a request (headers and body bytes)
//! and the account state go in, a 201 body or a rejection comes out. No HTTP here,
//! so every rule is unit-tested directly.
//!
//! Order of checks: token (401, not on the page), content type (415), JSON,
//! account, the request-only 400s, then the state-dependent 400s. The page does
//! not say which rule wins when several are broken; the cases never depend on it.
//! (Over 400 lines with its tests: the rules read best whole, in the page's order.)

use serde_json::{Map, Value, json};

use super::fixture::{AgentState, Fixture};

/// The documented 400 messages, exactly as the page spells them: one constant
/// per rule of the contract model (`contract/rules.yaml`), named after its id
/// (`ccxml-disabled` is `CCXML_DISABLED`), generated from it by build.rs.
pub mod msg {
    include!(concat!(env!("OUT_DIR"), "/contract_messages.rs"));
}

/// The documented limits, from the contract model as well (by rule id).
mod limit {
    include!(concat!(env!("OUT_DIR"), "/contract_limits.rs"));
}

pub const MAX_NUMBER_CHARS: usize = limit::NUMBER_TOO_LONG;
pub const MAX_AGENT_DIGITS: usize = limit::AGENT_ID_TOO_LONG;
pub const MAX_REFERENCE_CHARS: usize = limit::REFERENCE_TOO_LONG;
pub const MAX_APPLICATION_CHARS: usize = limit::APPLICATION_TOO_LONG;

/// A refusal: status and the `message` of the error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub message: String,
}

impl Rejection {
    fn new(status: u16, message: impl Into<String>) -> Rejection {
        Rejection { status, message: message.into() }
    }

    fn bad(message: impl Into<String>) -> Rejection {
        Rejection::new(400, message)
    }
}

type Rule<T> = Result<T, Rejection>;

/// Who the call is from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Agent(String),
    Groups(Vec<String>),
}

/// Who the call is to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callee {
    Number(String),
    Agent(String),
}

/// A request that passed the request-only rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRequest {
    pub caller: Caller,
    pub presented_clid: Option<String>,
    pub from_consent: Option<String>,
    pub callee: Callee,
    pub to_consent: Option<String>,
    pub reference: Option<String>,
    pub application: Option<String>,
}

/// 401 unless the request carries `Authorization: Bearer <token>`. Not on the
/// page; RFC 6750.
pub fn authorization(header: Option<&str>) -> Rule<()> {
    let token = header
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match token {
        Some(t) if !t.is_empty() => Ok(()),
        _ => Err(Rejection::new(401, "Authorization has been denied for this request.")),
    }
}

/// 415 unless the media type is `application/json` (parameters such as
/// `version=6` allowed). The message names the media type sent.
pub fn content_type(header: Option<&str>) -> Rule<()> {
    let Some(header) = header else {
        return Err(Rejection::new(415, "The request has no Content-Type; this resource accepts application/json."));
    };
    let media = header.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Rejection::new(415, format!("The requested resource does not support content type '{media}'.")))
    }
}

/// The body as a JSON object. Not on the page: malformed JSON is a 400 saying so.
pub fn json_object(body: &[u8]) -> Rule<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Rejection::bad("The request body must be a JSON object")),
        Err(e) => Err(Rejection::bad(format!("The request body is not valid JSON: {e}"))),
    }
}

fn object<'a>(parent: &'a Map<String, Value>, key: &str) -> Rule<Option<&'a Map<String, Value>>> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(Rejection::bad(format!("`{key}` must be an object"))),
    }
}

/// An optional string field; an empty string counts as absent.
fn string(parent: &Map<String, Value>, path: &str, key: &str) -> Rule<Option<String>> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Rejection::bad(format!("`{path}.{key}` must be a string"))),
    }
}

/// A client's value as quoted back in a message: at most 40 characters.
fn shorten(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

/// Digits only, at most 11 of them.
pub fn agent_id(id: &str) -> Rule<()> {
    if !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Rejection::bad(msg::AGENT_ID_NOT_DIGITS));
    }
    if id.len() > MAX_AGENT_DIGITS {
        return Err(Rejection::bad(msg::AGENT_ID_TOO_LONG));
    }
    Ok(())
}

pub fn telephone_number(number: &str) -> Rule<()> {
    if number.chars().count() > MAX_NUMBER_CHARS {
        return Err(Rejection::bad(msg::NUMBER_TOO_LONG));
    }
    Ok(())
}

fn consent(parent: &Map<String, Value>, path: &str) -> Rule<Option<String>> {
    let value = string(parent, path, "consent")?;
    match value.as_deref() {
        None | Some("Unknown" | "OneParty" | "TwoParty") => Ok(value),
        Some(_) => Err(Rejection::bad(format!("`{path}.consent` must be Unknown, OneParty or TwoParty"))),
    }
}

fn alphanumeric(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// What this server takes for "a valid URL": absolute http(s) with a host and no
/// white space. The page does not define it further.
pub fn is_url(s: &str) -> bool {
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    match reqwest::Url::parse(s) {
        Ok(url) => matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()),
        Err(_) => false,
    }
}

pub fn reference(value: &str) -> Rule<()> {
    if value.chars().count() > MAX_REFERENCE_CHARS {
        return Err(Rejection::bad(msg::REFERENCE_TOO_LONG));
    }
    if !alphanumeric(value) && !is_url(value) {
        return Err(Rejection::bad(msg::REFERENCE_INVALID));
    }
    Ok(())
}

pub fn application(value: &str) -> Rule<()> {
    if value.chars().count() > MAX_APPLICATION_CHARS {
        return Err(Rejection::bad(msg::APPLICATION_TOO_LONG));
    }
    if !alphanumeric(value) {
        return Err(Rejection::bad(msg::APPLICATION_NOT_ALPHANUMERIC));
    }
    Ok(())
}

fn caller(from: Option<&Map<String, Value>>) -> Rule<Caller> {
    let empty = Map::new();
    let from = from.unwrap_or(&empty);
    if from.get("telephoneNumber").is_some_and(|v| !v.is_null()) {
        return Err(Rejection::bad(msg::NUMBER_NOT_SUPPORTED));
    }
    let agent = string(from, "from", "agentId")?;
    let groups = match from.get("groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|g| match g {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(Rejection::bad("`from.groups` must hold group display IDs as strings")),
            })
            .collect::<Rule<Vec<_>>>()?,
        Some(_) => return Err(Rejection::bad("`from.groups` must be an array of strings")),
    };
    match (agent, groups.is_empty()) {
        (Some(_), false) => Err(Rejection::bad("Use either from.agentId or from.groups, not both")),
        (Some(id), true) => agent_id(&id).map(|()| Caller::Agent(id)),
        (None, false) => Ok(Caller::Groups(groups)),
        (None, true) => Err(Rejection::bad(msg::AGENT_ID_MISSING)),
    }
}

fn callee(to: Option<&Map<String, Value>>) -> Rule<Callee> {
    let empty = Map::new();
    let to = to.unwrap_or(&empty);
    let number = string(to, "to", "telephoneNumber")?;
    let agent = string(to, "to", "agentId")?;
    match (number, agent) {
        (Some(_), Some(_)) => Err(Rejection::bad(msg::TO_BOTH)),
        (None, None) => Err(Rejection::bad(msg::TO_MISSING)),
        (Some(n), None) => telephone_number(&n).map(|()| Callee::Number(n)),
        (None, Some(a)) => agent_id(&a).map(|()| Callee::Agent(a)),
    }
}

/// The rules that depend on the request alone.
pub fn validate(body: &Map<String, Value>) -> Rule<CallRequest> {
    let from = object(body, "from")?;
    let to = object(body, "to")?;
    let regarding = object(body, "regarding")?;
    let caller = caller(from)?;
    let empty = Map::new();
    let presented_clid = string(from.unwrap_or(&empty), "from", "presentedCLID")?;
    let from_consent = consent(from.unwrap_or(&empty), "from")?;
    let callee = callee(to)?;
    let to_consent = consent(to.unwrap_or(&empty), "to")?;
    let reference = string(regarding.unwrap_or(&empty), "regarding", "reference")?;
    if let Some(r) = &reference {
        self::reference(r)?;
    }
    let application = match body.get("application") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Rejection::bad("`application` must be a string")),
    };
    if let Some(a) = &application {
        self::application(a)?;
    }
    Ok(CallRequest { caller, presented_clid, from_consent, callee, to_consent, reference, application })
}

/// The rules that depend on the account's state.
pub fn place(call: &CallRequest, account: &str, fixture: &Fixture) -> Rule<()> {
    let Some(acct) = fixture.accounts.get(account) else {
        return Err(Rejection::new(404, "Account not found"));
    };
    if !acct.ccxml {
        return Err(Rejection::bad(msg::CCXML_DISABLED));
    }
    match &call.caller {
        Caller::Agent(id) => match fixture.agents.get(id) {
            None => return Err(Rejection::bad(msg::UNKNOWN_CALLING_AGENT)),
            Some(AgentState::Busy) => return Err(Rejection::bad(msg::CALLING_AGENT_BUSY)),
            Some(AgentState::Unreachable) => return Err(Rejection::bad(msg::CALL_FAILED)),
            Some(AgentState::Available) => {}
        },
        Caller::Groups(groups) => {
            if let Some(g) = groups.iter().find(|g| !fixture.groups.contains(*g)) {
                return Err(Rejection::bad(format!("Unable to place call - group {} is unknown", shorten(g))));
            }
        }
    }
    if let Some(clid) = &call.presented_clid
        && !fixture.callback_numbers.contains(clid) {
            return Err(Rejection::bad("Presented CLID is not a callback number on this account"));
        }
    match &call.callee {
        Callee::Agent(id) => match fixture.agents.get(id) {
            None => Err(Rejection::bad(msg::UNKNOWN_DESTINATION_AGENT)),
            Some(AgentState::Busy) => Err(Rejection::bad(msg::DESTINATION_AGENT_BUSY)),
            Some(AgentState::Unreachable) => Err(Rejection::bad(msg::CALL_FAILED)),
            Some(AgentState::Available) => Ok(()),
        },
        Callee::Number(n) if fixture.invalid_numbers.contains(n) => Err(Rejection::bad(msg::INVALID_NUMBER)),
        Callee::Number(_) => Ok(()),
    }
}

/// A new call id shaped like the page's example (`017db4a2-44b5-672e-…`): a
/// millisecond Unix time in the first 48 bits, version nibble 6, the RFC 4122
/// variant, and random bits elsewhere. (Other UUIDs are fine too: the
/// `uuid-v4-id` harmless variation answers with version 4.)
pub fn new_call_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x60;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The documented 201 body for a placed call.
pub fn created(call: &CallRequest, id: &str, self_href: &str) -> Value {
    let mut from = Map::new();
    if let Some(clid) = &call.presented_clid {
        from.insert("presentedClid".into(), json!(clid));
    }
    match &call.caller {
        Caller::Agent(a) => from.insert("agentId".into(), json!(a)),
        Caller::Groups(g) => from.insert("groups".into(), json!(g)),
    };
    if let Some(c) = &call.from_consent {
        from.insert("consent".into(), json!(c));
    }
    let mut to = Map::new();
    match &call.callee {
        Callee::Number(n) => to.insert("telephoneNumber".into(), json!(n)),
        Callee::Agent(a) => to.insert("agentId".into(), json!(a)),
    };
    if let Some(c) = &call.to_consent {
        to.insert("consent".into(), json!(c));
    }
    let mut body = Map::new();
    body.insert("id".into(), json!(id));
    body.insert("links".into(), json!([{ "href": self_href, "rel": "_self" }]));
    body.insert("from".into(), Value::Object(from));
    body.insert("to".into(), Value::Object(to));
    if let Some(r) = &call.reference {
        body.insert("regarding".into(), json!({ "reference": r }));
    }
    body.insert("status".into(), json!("Active"));
    body.insert("recordingStatus".into(), json!("Stopped"));
    if let Some(a) = &call.application {
        body.insert("application".into(), json!(a));
    }
    body.insert("dispositionCode".into(), Value::Null);
    Value::Object(body)
}

/// Every rule in order, for one request. `Ok` carries the accepted call.
pub fn decide(
    fixture: &Fixture,
    account: &str,
    authorization_header: Option<&str>,
    content_type_header: Option<&str>,
    body: &[u8],
) -> Rule<CallRequest> {
    let call = request(authorization_header, content_type_header, body)?;
    place(&call, account, fixture)?;
    Ok(call)
}

/// The rules that read the request alone, in order (the token, the media type,
/// the JSON, each field); `Ok` carries the call to [`place`].
pub fn request(authorization_header: Option<&str>, content_type_header: Option<&str>, body: &[u8]) -> Rule<CallRequest> {
    authorization(authorization_header)?;
    content_type(content_type_header)?;
    let object = json_object(body)?;
    validate(&object)
}

/// The messages in these tests are typed from the page, not taken from `msg`,
/// so that a typo in a constant fails them.
#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "a1b2c3d4e5";

    fn run(body: Value) -> Rule<CallRequest> {
        decide(&Fixture::builtin(), ACCOUNT, Some("Bearer t"), Some("application/json"), body.to_string().as_bytes())
    }

    fn message(body: Value) -> String {
        run(body).unwrap_err().message
    }

    fn to_number(from: Value) -> Value {
        json!({"from": from, "to": {"telephoneNumber": "02072068888"}})
    }

    #[test]
    fn documented_examples_are_accepted() {
        for body in [
            json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "02072068888"}}),
            json!({"from": {"agentId": "1234"}, "to": {"agentId": "4567"}}),
            json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": "02072068888"}}),
            json!({"from": {"groups": ["030", "200", "400"]}, "to": {"telephoneNumber": "02072068888"}}),
            json!({"from": {"agentId": "1234", "presentedCLID": "08008888888"}, "to": {"telephoneNumber": "02072068888"}}),
            json!({"from": {"agentId": "1234", "presentedCLID": "08008888888"}, "to": {"telephoneNumber": "02072068888"},
                   "regarding": {"reference": "0012400000ATTUQ"}, "application": "appName"}),
            json!({"from": {"agentId": "1234", "consent": "OneParty"}, "to": {"telephoneNumber": "02072068888", "consent": "OneParty"}}),
        ] {
            run(body.clone()).unwrap_or_else(|e| panic!("{body}: {e:?}"));
        }
    }

    #[test]
    fn the_all_parameters_example_is_a_400() {
        let body = json!({"from": {"agentId": "5464", "groups": ["030"], "presentedCLID": "01256636451", "consent": "OneParty"},
            "to": {"telephoneNumber": "07970303957", "agentId": "4567"}, "regarding": {"reference": "http://Test.com"}, "application": "TestApp"});
        assert_eq!(run(body).unwrap_err().status, 400);
    }

    #[test]
    fn agent_id_limits_are_exact() {
        assert_eq!(agent_id(&"9".repeat(11)), Ok(()));
        assert_eq!(agent_id(&"9".repeat(12)).unwrap_err().message, msg::AGENT_ID_TOO_LONG);
        assert_eq!(agent_id("12a4").unwrap_err().message, msg::AGENT_ID_NOT_DIGITS);
        assert_eq!(message(to_number(json!({"agentId": "9".repeat(11)}))), msg::UNKNOWN_CALLING_AGENT);
        assert_eq!(message(json!({"from": {"agentId": "1234"}, "to": {"agentId": "9".repeat(11)}})), msg::UNKNOWN_DESTINATION_AGENT);
        assert_eq!(message(json!({"from": {"agentId": "1234"}, "to": {"agentId": "1".repeat(12)}})), msg::AGENT_ID_TOO_LONG);
    }

    #[test]
    fn length_limits_count_characters() {
        assert_eq!(telephone_number(&"7".repeat(30)), Ok(()));
        assert_eq!(telephone_number(&"7".repeat(31)).unwrap_err().message, msg::NUMBER_TOO_LONG);
        assert_eq!(reference(&"a".repeat(2000)), Ok(()));
        assert_eq!(reference(&"a".repeat(2001)).unwrap_err().message, msg::REFERENCE_TOO_LONG);
        assert_eq!(application(&"a".repeat(32)), Ok(()));
        assert_eq!(application(&"a".repeat(33)).unwrap_err().message, msg::APPLICATION_TOO_LONG);
        assert_eq!(application("é"), Err(Rejection::bad(msg::APPLICATION_NOT_ALPHANUMERIC)));
    }

    #[test]
    fn references_are_alphanumeric_or_urls() {
        assert_eq!(reference("0012400000ATTUQ"), Ok(()));
        assert_eq!(reference("http://Test.com"), Ok(()));
        assert_eq!(reference("https://x.example/a?b=c"), Ok(()));
        for bad in ["not a url!", "ftp://x", "http://", "a-b", "http://a b"] {
            assert_eq!(reference(bad).unwrap_err().message, msg::REFERENCE_INVALID, "{bad}");
        }
    }

    #[test]
    fn from_and_to_selector_rules() {
        assert_eq!(message(to_number(json!({}))), msg::AGENT_ID_MISSING);
        assert_eq!(message(json!({"to": {"telephoneNumber": "1"}})), msg::AGENT_ID_MISSING);
        assert_eq!(message(to_number(json!({"agentId": "1234", "telephoneNumber": "1"}))), msg::NUMBER_NOT_SUPPORTED);
        assert_eq!(message(json!({"from": {"agentId": "1234"}, "to": {}})), msg::TO_MISSING);
        assert_eq!(message(json!({"from": {"agentId": "1234"}, "to": {"agentId": "4567", "telephoneNumber": "1"}})), msg::TO_BOTH);
        assert_eq!(message(json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": "7".repeat(31)}})), msg::NUMBER_TOO_LONG);
    }

    #[test]
    fn state_rules_follow_the_fixture() {
        let f = Fixture::builtin();
        let ok = |from: &str, to: Callee| CallRequest {
            caller: Caller::Agent(from.into()),
            presented_clid: None,
            from_consent: None,
            callee: to,
            to_consent: None,
            reference: None,
            application: None,
        };
        let number = || Callee::Number("02072068888".into());
        let m = |r: Rule<()>| r.unwrap_err().message;
        assert_eq!(place(&ok("1234", number()), "a1b2c3d4e5", &f), Ok(()));
        assert_eq!(m(place(&ok("1234", number()), "f6g7h8i9j0", &f)), msg::CCXML_DISABLED);
        assert_eq!(m(place(&ok("7001", number()), ACCOUNT, &f)), msg::CALLING_AGENT_BUSY);
        assert_eq!(m(place(&ok("7002", number()), ACCOUNT, &f)), msg::CALL_FAILED);
        assert_eq!(m(place(&ok("99999", number()), ACCOUNT, &f)), msg::UNKNOWN_CALLING_AGENT);
        assert_eq!(m(place(&ok("1234", Callee::Agent("7001".into())), ACCOUNT, &f)), msg::DESTINATION_AGENT_BUSY);
        assert_eq!(m(place(&ok("1234", Callee::Agent("99999".into())), ACCOUNT, &f)), msg::UNKNOWN_DESTINATION_AGENT);
        assert_eq!(m(place(&ok("1234", Callee::Number("00000000000".into())), ACCOUNT, &f)), msg::INVALID_NUMBER);
        assert_eq!(place(&ok("1234", number()), "nope", &f).unwrap_err().status, 404);
    }

    #[test]
    fn headers_and_body_shape() {
        assert_eq!(authorization(None).unwrap_err().status, 401);
        assert_eq!(authorization(Some("Basic abc")).unwrap_err().status, 401);
        assert_eq!(authorization(Some("Bearer ")).unwrap_err().status, 401);
        assert_eq!(authorization(Some("bearer x")), Ok(()));
        assert_eq!(content_type(Some("application/json; version=6")), Ok(()));
        assert_eq!(content_type(Some("application/json;version=6")), Ok(()));
        let e = content_type(Some("multipart/form-data; boundary=x")).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (415, "The requested resource does not support content type 'multipart/form-data'."));
        assert_eq!(content_type(None).unwrap_err().status, 415);
        assert!(json_object(b"{\"from\": ").unwrap_err().message.starts_with("The request body is not valid JSON"));
        assert_eq!(json_object(b"[1]").unwrap_err().status, 400);
        assert_eq!(message(json!({"from": "1234", "to": {}})), "`from` must be an object");
        assert_eq!(message(to_number(json!({"agentId": 1234}))), "`from.agentId` must be a string");
        assert_eq!(message(to_number(json!({"agentId": "1234", "consent": "Maybe"}))), "`from.consent` must be Unknown, OneParty or TwoParty");
    }

    #[test]
    fn messages_quote_at_most_40_characters_of_input() {
        let long = "7".repeat(500);
        let m = message(json!({"from": {"groups": [long]}, "to": {"telephoneNumber": "1"}}));
        assert!(m.chars().count() < 90, "{m}");
        assert_eq!(shorten("abc"), "abc");
    }

    #[test]
    fn the_201_echoes_with_the_documented_spelling() {
        let call = run(json!({"from": {"agentId": "1234", "presentedCLID": "08008888888", "consent": "OneParty"},
            "to": {"telephoneNumber": "02072068888"}, "regarding": {"reference": "r1"}, "application": "app"})).unwrap();
        let body = created(&call, "id-1", "http://h/V0/a/Calls/id-1");
        assert_eq!(body["from"]["presentedClid"], "08008888888");
        assert!(body["from"].get("presentedCLID").is_none());
        assert_eq!(body["links"][0]["rel"], "_self");
        assert_eq!(body["dispositionCode"], Value::Null);
        assert_eq!(body["application"], "app");
    }

    #[test]
    fn call_ids_are_shaped_like_the_page_example() {
        let (a, b) = (new_call_id(), new_call_id());
        assert_ne!(a, b);
        let id = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(id.get_version_num(), 6, "{a}");
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{a}");
        assert!(a.starts_with("01"), "a millisecond time stamp of this century: {a}");
    }

}
