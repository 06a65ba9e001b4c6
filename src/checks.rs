//! Checks: compares a response with a case's expectation.
//!
//! Each check is a plain function returning findings (what differed, in words,
//! with a unified diff where text differs). Harmless variation passes: key order,
//! whitespace, extra fields, extra headers, media-type parameters such as
//! `charset`, chunked encoding (the client has already de-chunked the body).
//! [`identity`] checks across a run (a [`SeenIds`] shared by its cases). Longer
//! than most modules because its unit tests, below, are about half of it.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

use crate::suite::{Expect, Expectation, Request};
use crate::exchange::Response;
use crate::result::Finding;
use crate::suite::Schemas;

/// Request field → where the 201 body echoes it, from the contract model's
/// `echo` (build.rs). Note the documented casing change: the request's
/// `presentedCLID` comes back as `presentedClid`.
pub const ECHOES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/contract_echoes.rs"));

/// Every way `resp` falls short of `expect`; empty when it meets it.
pub fn check(expect: &Expect, req: &Request, resp: &Response, schemas: &Schemas) -> Vec<Finding> {
    let body = Body::default();
    match expect {
        Expect::One(one) => check_one(one, req, resp, schemas, &body),
        Expect::AnyOf(alternatives) => check_any_of(alternatives, req, resp, schemas, &body),
    }
}

/// The response body as JSON and its first duplicate key, each worked out once
/// however many alternatives read them, and only when one does.
#[derive(Default)]
struct Body {
    json: OnceCell<Result<Value, String>>,
    duplicate: OnceCell<Option<crate::json_keys::Duplicate>>,
}

fn check_one(expect: &Expectation, req: &Request, resp: &Response, schemas: &Schemas, parsed: &Body) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(status(expect, resp));
    let wrong_status = !findings.is_empty();
    findings.extend(media_type(expect, resp));
    findings.extend(headers(expect, resp));
    findings.extend(challenge(expect, resp));
    // A body meant for another status says nothing about this expectation's
    // schema or message; the report shows it whole.
    let needs_body = !wrong_status
        && (expect.schema.is_some()
            || expect.message.is_some()
            || expect.not_message.is_some()
            || expect.echo
            || expect.self_link);
    if !needs_body {
        return findings;
    }
    let body = match parsed.json.get_or_init(|| serde_json::from_slice::<Value>(&resp.body).map_err(|e| e.to_string())) {
        Ok(body) => body,
        Err(error) => {
            // No preview cut here: the report shows the body, redacted before it is cut.
            findings.push(Finding::NotJson { error: error.clone() });
            return findings;
        }
    };
    let duplicate = parsed.duplicate.get_or_init(|| crate::json_keys::first_duplicate(&resp.body));
    findings.extend(duplicate.as_ref().map(|d| Finding::DuplicateKey { object: d.object.clone(), key: d.key.clone() }));
    if let Some(name) = &expect.schema {
        findings.extend(
            schemas
                .errors(name, body)
                .into_iter()
                .map(|(path, message)| Finding::Schema { schema: name.clone(), path, message }),
        );
    }
    findings.extend(message(expect, body));
    if expect.echo {
        findings.extend(echo(req.json.as_ref(), body));
    }
    if expect.self_link {
        findings.extend(self_link(&req.path, body));
    }
    findings
}

fn check_any_of(alternatives: &[Expectation], req: &Request, resp: &Response, schemas: &Schemas, body: &Body) -> Vec<Finding> {
    let mut report = Vec::new();
    for alt in alternatives {
        let findings = check_one(alt, req, resp, schemas, body);
        if findings.is_empty() {
            return Vec::new();
        }
        report.push((summary(alt), findings));
    }
    vec![Finding::NoAlternative { alternatives: report }]
}

/// What an expectation accepts, in a few words: `201`, `400 "<message>"`, or
/// `one of: …` for alternatives.
pub fn describe(expect: &Expect) -> String {
    match expect {
        Expect::One(one) => summary(one),
        Expect::AnyOf(all) => format!("one of: {}", all.iter().map(summary).collect::<Vec<_>>().join("; ")),
    }
}

fn summary(expect: &Expectation) -> String {
    let statuses: Vec<String> = expect.status.as_slice().iter().map(u16::to_string).collect();
    match &expect.message {
        Some(m) => format!("{} \"{m}\"", statuses.join("|")),
        None => statuses.join("|"),
    }
}

pub fn status(expect: &Expectation, resp: &Response) -> Option<Finding> {
    (!expect.status.contains(resp.status))
        .then(|| Finding::Status { expected: expect.status.as_slice().to_vec(), actual: resp.status })
}

/// The media type of a `Content-Type` value: lowercase, parameters dropped.
pub fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

pub fn media_type(expect: &Expectation, resp: &Response) -> Option<Finding> {
    let want = expect.media_type.as_deref()?;
    let got = resp.header("content-type");
    if got.is_some_and(|got| essence(got) == want.to_ascii_lowercase()) {
        return None;
    }
    Some(Finding::MediaType { expected: want.to_owned(), actual: got.map(str::to_owned) })
}

pub fn headers(expect: &Expectation, resp: &Response) -> Vec<Finding> {
    expect
        .headers
        .iter()
        .filter_map(|(name, want)| {
            let got = resp.header(name);
            (got.map(str::trim) != Some(want.trim())).then(|| Finding::Header {
                name: name.clone(),
                expected: want.clone(),
                actual: got.map(str::to_owned),
            })
        })
        .collect()
}

/// A challenge with the expected auth-scheme among the `WWW-Authenticate`
/// fields (RFC 9110 §11.6.1: there may be several fields, each a list of
/// challenges; scheme names are case-insensitive).
pub fn challenge(expect: &Expectation, resp: &Response) -> Option<Finding> {
    let want = expect.challenge.as_deref()?;
    let fields: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str())
        .collect();
    if fields.iter().flat_map(|f| challenge_schemes(f)).any(|s| s.eq_ignore_ascii_case(want)) {
        return None;
    }
    Some(Finding::Challenge { scheme: want.to_owned(), actual: fields.into_iter().map(str::to_owned).collect() })
}

/// The auth-schemes a `WWW-Authenticate` field value names: the list elements
/// (commas outside quoted strings) that start with a token not followed by `=`
/// (an auth-param is `name=value`; a token68 follows its scheme after a space).
pub fn challenge_schemes(field: &str) -> Vec<&str> {
    let (mut elements, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (at, c) in field.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                elements.push(&field[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    elements.push(&field[start..]);
    elements
        .into_iter()
        .filter_map(|element| {
            let element = element.trim();
            let end = element.find([' ', '\t', '=']).unwrap_or(element.len());
            let (token, rest) = element.split_at(end);
            (!token.is_empty() && !rest.trim_start().starts_with('=')).then_some(token)
        })
        .collect()
}

pub fn message(expect: &Expectation, body: &Value) -> Vec<Finding> {
    let got = body.get("message").and_then(Value::as_str);
    let mut findings = Vec::new();
    if let Some(want) = &expect.message {
        match got {
            None => findings.push(Finding::NoMessage { expected: want.clone() }),
            Some(got) if got == want => {}
            Some(got) => findings.push(Finding::Message { expected: want.clone(), actual: got.to_owned() }),
        }
    }
    if let (Some(banned), Some(got)) = (&expect.not_message, got)
        && got == banned
    {
        findings.push(Finding::RuledOutMessage { message: got.to_owned() });
    }
    findings
}

/// The sent fields the 201 must echo, and what it echoed.
pub fn echo(sent: Option<&Value>, body: &Value) -> Vec<Finding> {
    let Some(sent) = sent else {
        return vec![Finding::NothingToEcho];
    };
    let mut expected = serde_json::Map::new();
    let mut actual = serde_json::Map::new();
    for (from, to) in ECHOES {
        if let Some(value) = sent.pointer(from) {
            expected.insert(to.to_string(), value.clone());
            actual.insert(to.to_string(), body.pointer(to).cloned().unwrap_or(Value::Null));
        }
    }
    if expected == actual {
        return Vec::new();
    }
    vec![Finding::Echo { expected: Value::Object(expected), actual: Value::Object(actual) }]
}

/// The account key a request path addresses: the segment after `v0`.
pub fn account_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments.by_ref().find(|s| s.eq_ignore_ascii_case("v0"))?;
    segments.next()
}

pub fn self_link(path: &str, body: &Value) -> Vec<Finding> {
    let Some(id) = body.get("id").and_then(Value::as_str) else {
        return vec![Finding::NoId];
    };
    let account = account_of(path).unwrap_or("");
    let want = format!("/V0/{account}/Calls/{id}");
    let hrefs = self_hrefs(body);
    if hrefs.iter().any(|h| h.ends_with(&want)) {
        return Vec::new();
    }
    match hrefs.first() {
        None => vec![Finding::NoSelfLink],
        Some(href) => vec![Finding::SelfLink { href: (*href).to_owned(), expected_end: want }],
    }
}

/// An id an earlier case of the run already got.
#[derive(Debug, PartialEq, Eq)]
pub struct Claimed {
    /// The case that got it first.
    pub earlier: String,
}

/// The call ids the 201s of one run have carried, each with the case that got
/// it first: every created call must get its own id. One per run (and, in the
/// self-test, one per server); shared by the cases in flight.
#[derive(Debug, Default)]
pub struct SeenIds {
    ids: Mutex<HashMap<String, String>>,
}

impl SeenIds {
    /// Records that `case_name` got `id`; `Err` names the case that got it earlier.
    pub fn claim(&self, id: &str, case_name: &str) -> Result<(), Claimed> {
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        match ids.get(id) {
            Some(earlier) => Err(Claimed { earlier: earlier.clone() }),
            None => {
                ids.insert(id.to_owned(), case_name.to_owned());
                Ok(())
            }
        }
    }
}

/// The identity of a created call, across the run: a 201's `id` is one no
/// earlier 201 of the run carried, and its `_self` link names that id (the
/// page's link ends in `/Calls/{id}`). Nothing to say of other answers.
pub fn identity(seen: &SeenIds, case_name: &str, resp: &Response) -> Vec<Finding> {
    if resp.status != 201 {
        return Vec::new();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&resp.body) else { return Vec::new() };
    let Some(id) = body.get("id").and_then(Value::as_str) else { return Vec::new() };
    let mut findings = Vec::new();
    if let Err(Claimed { earlier }) = seen.claim(id, case_name) {
        findings.push(Finding::ReusedId { id: id.to_owned(), earlier });
    }
    for href in self_hrefs(&body) {
        let path = href.split(['?', '#']).next().unwrap_or_default();
        if path.trim_end_matches('/').rsplit('/').next() != Some(id) {
            findings.push(Finding::SelfLinkNotId { href: href.to_owned(), id: id.to_owned() });
        }
    }
    findings
}

/// The hrefs of the links with rel `_self`.
fn self_hrefs(body: &Value) -> Vec<&str> {
    let links = body.get("links").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    links
        .iter()
        .filter(|l| l.get("rel").and_then(Value::as_str) == Some("_self"))
        .filter_map(|l| l.get("href").and_then(Value::as_str))
        .collect()
}

#[cfg(test)]
mod tests {
    /// A finding as every output shows it.
    fn shown(finding: &Finding) -> String {
        crate::report::text::finding_text(finding, &crate::secrets::Redactor::new())
    }

    use super::*;
    use serde_json::json;

    const ID: &str = "017db4a2-44b5-672e-8b9f-1a805fed07ad";

    fn created() -> Value {
        json!({
            "id": ID,
            "links": [{"href": format!("http://h/V0/acc/Calls/{ID}"), "rel": "_self"}],
            "from": {"presentedClid": "0800", "agentId": "1234", "consent": "OneParty"},
            "to": {"telephoneNumber": "0207", "consent": "OneParty"},
            "status": "Active", "recordingStatus": "Stopped", "dispositionCode": null
        })
    }

    fn sent() -> Value {
        json!({"from": {"agentId": "1234", "presentedCLID": "0800", "consent": "OneParty"},
               "to": {"telephoneNumber": "0207", "consent": "OneParty"}})
    }

    fn request() -> Request {
        Request {
            method: "POST".into(),
            path: "/v0/acc/calls/".into(),
            headers: vec![],
            auth: true,
            auth_scheme: crate::suite::BEARER.into(),
            body: serde_json::to_vec(&sent()).unwrap(),
            json: Some(sent()),
        }
    }

    fn response(status: u16, content_type: &str, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.into()), ("x-extra".into(), "1".into())],
            body: serde_json::to_vec_pretty(body).unwrap(),
        }
    }

    fn expect_created() -> Expectation {
        Expectation { schema: Some("call-created".into()), echo: true, self_link: true, ..Expectation::new(201) }
    }

    fn expect_error(message: &str) -> Expectation {
        Expectation { schema: Some("error".into()), message: Some(message.into()), ..Expectation::new(400) }
    }

    #[test]
    fn a_wrong_status_is_one_finding_not_a_schema_report() {
        let schemas = Schemas::shipped();
        let expect = expect_created().into();
        let resp = Response {
            status: 401,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"message":"Authorization has been denied for this request."}"#.to_vec(),
        };
        assert_eq!(check(&expect, &request(), &resp, &schemas), vec![Finding::Status { expected: vec![201], actual: 401 }]);
    }

    #[test]
    fn a_documented_201_passes_with_harmless_variation() {
        let schemas = Schemas::shipped();
        let mut body = created();
        body["extra"] = json!({"nested": true});
        let resp = response(201, "application/json; charset=utf-8", &body);
        assert_eq!(check(&expect_created().into(), &request(), &resp, &schemas), Vec::<Finding>::new());
    }

    #[test]
    fn each_201_deviation_is_found() {
        let schemas = Schemas::shipped();
        let deviations: Vec<(&str, Box<dyn Fn(&mut Value) -> u16>)> = vec![
            ("status", Box::new(|_| 200)),
            ("echo", Box::new(|b| { b["from"]["presentedCLID"] = b["from"]["presentedClid"].take(); b["from"].as_object_mut().unwrap().remove("presentedClid"); 201 })),
            ("echo", Box::new(|b| { b["to"]["consent"] = json!("TwoParty"); 201 })),
            ("self link", Box::new(|b| { b["links"][0]["href"] = json!(format!("http://h/v0/acc/calls/{ID}")); 201 })),
            ("self link", Box::new(|b| { b["links"][0]["href"] = json!("http://h/V0/acc/Calls/other"); 201 })),
            ("schema", Box::new(|b| { b.as_object_mut().unwrap().remove("dispositionCode"); 201 })),
            ("schema", Box::new(|b| { b["id"] = json!("17"); 201 })),
            ("schema", Box::new(|b| { b["status"] = json!("active"); 201 })),
            ("schema", Box::new(|b| { b["status"] = json!("ACTIVE"); 201 })),
            ("schema", Box::new(|b| { b["recordingStatus"] = json!("Stopped "); 201 })),
            ("schema", Box::new(|b| { b["recordingStatus"] = Value::Null; 201 })),
            ("schema", Box::new(|b| { b["links"][0]["href"] = json!(format!("/V0/acc/Calls/{ID}")); 201 })),
            ("schema", Box::new(|b| { b["links"][0]["href"] = json!(format!("//h/V0/acc/Calls/{ID}")); 201 })),
            ("schema", Box::new(|b| { b["links"][0]["href"] = json!(format!("ftp://h/V0/acc/Calls/{ID}")); 201 })),
            ("schema", Box::new(|b| { b["links"][0]["href"] = json!(format!("http:///V0/acc/Calls/{ID}")); 201 })),
            ("schema", Box::new(|b| { b["links"][0]["href"] = json!(format!("http://h/V0/a c/Calls/{ID}")); 201 })),
        ];
        for (kind, mutate) in deviations {
            let mut body = created();
            let status = mutate(&mut body);
            let findings = check(&expect_created().into(), &request(), &response(status, "application/json", &body), &schemas);
            assert!(findings.iter().any(|f| f.headline().starts_with(kind)), "{kind}: {findings:?}");
        }
    }

    #[test]
    fn an_unsent_optional_field_may_come_back_null_but_a_sent_one_may_not() {
        let schemas = Schemas::shipped();
        let mut body = created();
        for (key, value) in [("regarding", Value::Null), ("application", Value::Null)] {
            body[key] = value;
        }
        for key in ["groups", "agentId"] {
            body["to"][key] = Value::Null;
        }
        body["from"]["groups"] = Value::Null;
        body["from"]["presentedCLID"] = Value::Null;
        body["status"] = json!("Ringing");
        body["recordingStatus"] = json!("InProgress");
        let resp = response(201, "application/json", &body);
        assert_eq!(check(&expect_created().into(), &request(), &resp, &schemas), Vec::<Finding>::new());
        // What was sent must come back: null or absent is a finding.
        for gone in [Some(Value::Null), None] {
            let mut body = created();
            match gone {
                Some(null) => body["from"]["presentedClid"] = null,
                None => drop(body["from"].as_object_mut().unwrap().remove("presentedClid")),
            }
            let findings = check(&expect_created().into(), &request(), &response(201, "application/json", &body), &schemas);
            assert!(findings.iter().any(|f| f.headline().starts_with("echo")), "{findings:?}");
        }
        // A present value of the wrong type is still a schema finding.
        for (at, key, value) in [("/", "application", json!(17)), ("/from", "presentedCLID", json!("0800"))] {
            let mut wrong = created();
            if at == "/" { wrong[key] = value } else { wrong["from"][key] = value }
            let findings = check(&expect_created().into(), &request(), &response(201, "application/json", &wrong), &schemas);
            assert!(findings.iter().any(|f| f.headline().starts_with("schema call-created: at /")), "{key}: {findings:?}");
        }
    }

    #[test]
    fn messages_are_exact_and_show_a_diff() {
        let schemas = Schemas::shipped();
        let want = "Agent Id exceeds 11 digits";
        let ok = response(400, "application/json", &json!({"message": want}));
        assert!(check(&expect_error(want).into(), &request(), &ok, &schemas).is_empty());
        let off = response(400, "application/json", &json!({"message": "Agent Id exceeds 11 digit"}));
        let findings = check(&expect_error(want).into(), &request(), &off, &schemas);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(shown(&findings[0]).ends_with("\n-Agent Id exceeds 11 digits\n+Agent Id exceeds 11 digit"), "{:?}", findings[0]);
        let renamed = response(400, "application/json", &json!({"error": want}));
        assert!(check(&expect_error(want).into(), &request(), &renamed, &schemas).len() >= 2);
    }

    #[test]
    fn media_type_ignores_parameters_but_not_the_type() {
        let e = expect_error("x");
        let body = json!({"message": "x"});
        assert_eq!(media_type(&e, &response(400, "Application/JSON; charset=utf-8", &body)), None);
        assert!(media_type(&e, &response(400, "text/plain", &body)).is_some());
        let none = Response { headers: vec![], ..response(400, "", &body) };
        assert!(shown(&media_type(&e, &none).unwrap()).contains("missing"));
        let any = Expectation { media_type: None, ..e };
        assert_eq!(media_type(&any, &none), None);
    }

    #[test]
    fn a_challenge_is_found_among_fields_and_lists_whatever_the_case_of_its_scheme() {
        let expect = Expectation { challenge: Some("Bearer".into()), media_type: None, ..Expectation::new(401) };
        let with = |fields: &[&str]| Response {
            status: 401,
            headers: fields.iter().map(|v| ("WWW-Authenticate".to_owned(), (*v).to_owned())).collect(),
            body: vec![],
        };
        for good in [&["Bearer"][..], &["bearer realm=\"a\""], &["Basic realm=\"a, Bearer\", BEARER error=\"invalid_token\""], &["Basic realm=\"x\"", "Bearer"], &["Negotiate abc==, Bearer"]] {
            assert_eq!(challenge(&expect, &with(good)), None, "{good:?}");
        }
        for bad in [&[][..], &["Basic realm=\"Bearer\""], &["Basic bearer=1"], &["Bearerx"], &["Basic realm=\"a\\\", Bearer\""]] {
            let finding = challenge(&expect, &with(bad)).unwrap_or_else(|| panic!("{bad:?}"));
            assert!(finding.headline().starts_with("header WWW-Authenticate: "), "{finding:?}");
        }
        assert_eq!(challenge_schemes("Basic realm=\"x\", error = \"y\", Digest"), vec!["Basic", "Digest"]);
        assert_eq!(challenge(&Expectation::new(401), &with(&[])), None);
    }

    #[test]
    fn garbage_bodies_are_findings_not_panics() {
        let schemas = Schemas::shipped();
        let resp = Response { status: 400, headers: vec![], body: vec![0xff, 0xfe, b'{'] };
        let findings = check(&expect_error("x").into(), &request(), &resp, &schemas);
        assert!(findings.iter().any(|f| f.headline().starts_with("body: not JSON")), "{findings:?}");
    }

    #[test]
    fn not_message_catches_a_limit_applied_early() {
        let e = Expectation { not_message: Some("Telephone number exceeds 30 characters".into()), ..Expectation::new(400) };
        assert_eq!(message(&e, &json!({"message": "Unable to place call - number is invalid"})).len(), 0);
        assert_eq!(message(&e, &json!({"message": "Telephone number exceeds 30 characters"})).len(), 1);
    }

    #[test]
    fn any_of_passes_on_one_match_and_reports_all_otherwise() {
        let schemas = Schemas::shipped();
        let either = Expect::AnyOf(vec![expect_created(), expect_error("Unable to place call - number is invalid")]);
        let invalid = response(400, "application/json", &json!({"message": "Unable to place call - number is invalid"}));
        assert!(check(&either, &request(), &invalid, &schemas).is_empty());
        assert!(check(&either, &request(), &response(201, "application/json", &created()), &schemas).is_empty());
        let early = response(400, "application/json", &json!({"message": "Telephone number exceeds 30 characters"}));
        let findings = check(&either, &request(), &early, &schemas);
        assert_eq!(findings.len(), 1);
        assert!(shown(&findings[0]).contains("answer 1") && shown(&findings[0]).contains("answer 2"), "{:?}", findings[0]);
    }

    #[test]
    fn a_reused_id_names_the_case_that_had_it_first() {
        let seen = SeenIds::default();
        let resp = response(201, "application/json", &created());
        assert_eq!(identity(&seen, "examples::one", &resp), Vec::<Finding>::new());
        let again = identity(&seen, "examples::two", &resp);
        assert_eq!(again.len(), 1, "{again:?}");
        assert!(again[0].headline().starts_with("id: ") && again[0].headline().contains("examples::one"), "{:?}", again[0]);
        // Other answers claim nothing.
        let error = response(400, "application/json", &json!({"id": ID, "message": "m"}));
        assert!(identity(&seen, "x", &error).is_empty());
        let mut other = created();
        other["id"] = json!("017db4a2-44b5-672e-8b9f-1a805fed0000");
        other["links"][0]["href"] = json!(format!("http://h/V0/acc/Calls/{ID}"));
        let findings = identity(&seen, "examples::three", &response(201, "application/json", &other));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(shown(&findings[0]).starts_with("self link: "), "{:?}", findings[0]);
    }

    #[test]
    fn ids_are_claimed_once_across_threads() {
        let seen = SeenIds::default();
        let won = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (seen, won) = (&seen, &won);
                scope.spawn(move || {
                    for i in 0..100 {
                        if seen.claim(&format!("id-{i}"), &format!("case-{t}")).is_ok() {
                            won.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(won.into_inner(), 100);
    }

    #[test]
    fn a_body_with_a_key_twice_is_a_finding_whichever_value_is_right() {
        let schemas = Schemas::shipped();
        let expected = "Agent Id exceeds 11 digits";
        let answer = |status: u16, body: String| Response { status, headers: vec![("content-type".into(), "application/json".into())], body: body.into_bytes() };
        let twice = answer(400, format!(r#"{{"message":"wrong","message":"{expected}"}}"#));
        let findings = check(&expect_error(expected).into(), &request(), &twice, &schemas);
        assert!(findings.contains(&Finding::DuplicateKey { object: String::new(), key: "message".into() }), "{findings:?}");
        let text = findings.iter().map(Finding::headline).collect::<Vec<_>>().join("\n");
        assert!(text.contains("the key \"message\" twice") && text.contains("RFC 8259"), "{text}");
        let once = answer(400, format!(r#"{{"message":"{expected}"}}"#));
        assert_eq!(check(&expect_error(expected).into(), &request(), &once, &schemas), Vec::<Finding>::new());
        let nested = serde_json::to_string(&created()).unwrap().replacen(r#""consent":"OneParty""#, r#""consent":"OneParty","consent":"TwoParty""#, 1);
        let findings = check(&expect_created().into(), &request(), &answer(201, nested), &schemas);
        assert!(findings.iter().any(|f| matches!(f, Finding::DuplicateKey { object, key } if object == "/from" && key == "consent")), "{findings:?}");
    }

    #[test]
    fn account_is_read_from_the_path() {
        assert_eq!(account_of("/v0/a1b2/calls/"), Some("a1b2"));
        assert_eq!(account_of("/prefix/V0/x/calls"), Some("x"));
        assert_eq!(account_of("/calls"), None);
    }
}
