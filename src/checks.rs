//! Checks: compares a response with a case's expectation.
//!
//! Each check is a plain function returning findings (what differed, in words,
//! with a unified diff where text differs). Harmless variation passes: key order,
//! whitespace, extra fields, extra headers, media-type parameters such as
//! `charset`, chunked encoding (the client has already de-chunked the body).
//! [`identity`] checks across a run (a [`SeenIds`] shared by its cases). Longer
//! than most modules because its unit tests, below, are about half of it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;
use similar::TextDiff;

use crate::cases::{Expect, Request};
use crate::client::Response;
use crate::schemas::Schemas;

/// Request field → where the 201 body echoes it. Note the documented casing
/// change: the request's `presentedCLID` comes back as `presentedClid`.
pub const ECHOES: &[(&str, &str)] = &[
    ("/from/agentId", "/from/agentId"),
    ("/from/presentedCLID", "/from/presentedClid"),
    ("/from/consent", "/from/consent"),
    ("/to/telephoneNumber", "/to/telephoneNumber"),
    ("/to/agentId", "/to/agentId"),
    ("/to/consent", "/to/consent"),
    ("/regarding/reference", "/regarding/reference"),
    ("/application", "/application"),
];

/// Every way `resp` falls short of `expect`; empty when it meets it.
pub fn check(expect: &Expect, req: &Request, resp: &Response, schemas: &Schemas) -> Vec<String> {
    if !expect.any_of.is_empty() {
        return check_any_of(&expect.any_of, req, resp, schemas);
    }
    let mut findings = Vec::new();
    findings.extend(status(expect, resp));
    let wrong_status = !findings.is_empty();
    findings.extend(media_type(expect, resp));
    findings.extend(headers(expect, resp));
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
    let body = match serde_json::from_slice::<Value>(&resp.body) {
        Ok(body) => body,
        Err(e) => {
            findings.push(format!("body: not JSON ({e}); it begins {}", preview(&resp.body)));
            return findings;
        }
    };
    if let Some(name) = &expect.schema {
        if let Err(errors) = schemas.validate(name, &body) {
            findings.extend(errors.into_iter().map(|e| format!("schema {name}: {e}")));
        }
    }
    findings.extend(message(expect, &body));
    if expect.echo {
        findings.extend(echo(req.json.as_ref(), &body));
    }
    if expect.self_link {
        findings.extend(self_link(&req.path, &body));
    }
    findings
}

fn check_any_of(alternatives: &[Expect], req: &Request, resp: &Response, schemas: &Schemas) -> Vec<String> {
    let mut report = vec![format!("matched none of the {} allowed answers:", alternatives.len())];
    for (i, alt) in alternatives.iter().enumerate() {
        let findings = check(alt, req, resp, schemas);
        if findings.is_empty() {
            return Vec::new();
        }
        report.push(format!("  answer {} ({}):", i + 1, summary(alt)));
        report.extend(findings.iter().map(|f| indent(f, "    ")));
    }
    vec![report.join("\n")]
}

fn summary(expect: &Expect) -> String {
    let statuses = expect.status.as_ref().map(|s| s.to_vec()).unwrap_or_default();
    let statuses: Vec<String> = statuses.iter().map(u16::to_string).collect();
    match &expect.message {
        Some(m) => format!("{} \"{m}\"", statuses.join("|")),
        None => statuses.join("|"),
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

/// The first bytes of a body, printable.
pub fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let more = if body.len() > MAX { format!("… ({} bytes)", body.len()) } else { String::new() };
    format!("{text:?}{more}")
}

/// A unified diff of two texts, one line per line of text.
pub fn diff(expected: &str, actual: &str) -> String {
    let expected = format!("{expected}\n");
    let actual = format!("{actual}\n");
    TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

pub fn status(expect: &Expect, resp: &Response) -> Option<String> {
    let allowed = expect.status.as_ref()?.to_vec();
    if allowed.contains(&resp.status) {
        return None;
    }
    let allowed: Vec<String> = allowed.iter().map(u16::to_string).collect();
    Some(format!("status: expected {}, got {}", allowed.join(" or "), resp.status))
}

/// The media type of a `Content-Type` value: lowercase, parameters dropped.
pub fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

pub fn media_type(expect: &Expect, resp: &Response) -> Option<String> {
    let want = expect.media_type()?;
    match resp.header("content-type") {
        None => Some(format!("Content-Type: missing, expected {want}")),
        Some(got) if essence(got) == want.to_ascii_lowercase() => None,
        Some(got) => Some(format!("Content-Type: expected {want}, got {got:?}")),
    }
}

pub fn headers(expect: &Expect, resp: &Response) -> Vec<String> {
    expect
        .headers
        .iter()
        .filter_map(|(name, want)| match resp.header(name) {
            None => Some(format!("header {name}: missing, expected {want:?}")),
            Some(got) if got.trim() == want.trim() => None,
            Some(got) => Some(format!("header {name}: expected {want:?}, got {got:?}")),
        })
        .collect()
}

pub fn message(expect: &Expect, body: &Value) -> Vec<String> {
    let got = body.get("message").and_then(Value::as_str);
    let mut findings = Vec::new();
    if let Some(want) = &expect.message {
        match got {
            None => findings.push(format!("message: the body has no string `message`; expected {want:?}")),
            Some(got) if got == want => {}
            Some(got) => findings.push(format!("message differs:\n{}", diff(want, got))),
        }
    }
    if let (Some(banned), Some(got)) = (&expect.not_message, got) {
        if got == banned {
            findings.push(format!("message: got {got:?}, which this case rules out (a limit applied too early?)"));
        }
    }
    findings
}

/// The sent fields the 201 must echo, and what it echoed.
pub fn echo(sent: Option<&Value>, body: &Value) -> Vec<String> {
    let Some(sent) = sent else {
        return vec!["echo: the request body is not JSON, so there is nothing to echo".into()];
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
    let pretty = |m: serde_json::Map<String, Value>| {
        serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default()
    };
    vec![format!("echo: the 201 body does not echo what was sent (pointer: value):\n{}", diff(&pretty(expected), &pretty(actual)))]
}

/// The account key a request path addresses: the segment after `v0`.
pub fn account_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments.by_ref().find(|s| s.eq_ignore_ascii_case("v0"))?;
    segments.next()
}

pub fn self_link(path: &str, body: &Value) -> Vec<String> {
    let Some(id) = body.get("id").and_then(Value::as_str) else {
        return vec!["self link: the body has no string `id` to link to".into()];
    };
    let account = account_of(path).unwrap_or("");
    let want = format!("/V0/{account}/Calls/{id}");
    let hrefs = self_hrefs(body);
    if hrefs.iter().any(|h| h.ends_with(&want)) {
        return Vec::new();
    }
    match hrefs.first() {
        None => vec!["self link: no link with rel \"_self\" and a string href".into()],
        Some(href) => vec![format!("self link: href {href:?} does not end in {want:?}")],
    }
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
    pub fn claim(&self, id: &str, case_name: &str) -> Result<(), String> {
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        match ids.get(id) {
            Some(earlier) => Err(earlier.clone()),
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
pub fn identity(seen: &SeenIds, case_name: &str, resp: &Response) -> Vec<String> {
    if resp.status != 201 {
        return Vec::new();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&resp.body) else { return Vec::new() };
    let Some(id) = body.get("id").and_then(Value::as_str) else { return Vec::new() };
    let mut findings = Vec::new();
    if let Err(earlier) = seen.claim(id, case_name) {
        findings.push(format!(
            "id: {id:?} was already the id of the call created by {earlier}; each created call must get its own id"
        ));
    }
    for href in self_hrefs(&body) {
        let path = href.split(['?', '#']).next().unwrap_or_default();
        if path.trim_end_matches('/').rsplit('/').next() != Some(id) {
            findings.push(format!("self link: href {href:?} does not name the call's id {id:?}"));
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
    use super::*;
    use crate::cases::OneOrMany;
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

    fn expect_created() -> Expect {
        Expect {
            status: Some(OneOrMany::One(201)),
            schema: Some("call-created".into()),
            echo: true,
            self_link: true,
            ..Expect::default()
        }
    }

    fn expect_error(message: &str) -> Expect {
        Expect {
            status: Some(OneOrMany::One(400)),
            schema: Some("error".into()),
            message: Some(message.into()),
            ..Expect::default()
        }
    }

    #[test]
    fn a_wrong_status_is_one_finding_not_a_schema_report() {
        let schemas = Schemas::shipped();
        let expect = Expect { status: Some(OneOrMany::One(201)), schema: Some("call-created".into()), echo: true, self_link: true, ..Expect::default() };
        let resp = Response {
            status: 401,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"message":"Authorization has been denied for this request."}"#.to_vec(),
        };
        assert_eq!(check(&expect, &request(), &resp, &schemas), vec!["status: expected 201, got 401".to_owned()]);
    }

    #[test]
    fn a_documented_201_passes_with_harmless_variation() {
        let schemas = Schemas::shipped();
        let mut body = created();
        body["extra"] = json!({"nested": true});
        let resp = response(201, "application/json; charset=utf-8", &body);
        assert_eq!(check(&expect_created(), &request(), &resp, &schemas), Vec::<String>::new());
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
            let findings = check(&expect_created(), &request(), &response(status, "application/json", &body), &schemas);
            assert!(findings.iter().any(|f| f.starts_with(kind)), "{kind}: {findings:?}");
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
        assert_eq!(check(&expect_created(), &request(), &resp, &schemas), Vec::<String>::new());
        // What was sent must come back: null or absent is a finding.
        for gone in [Some(Value::Null), None] {
            let mut body = created();
            match gone {
                Some(null) => body["from"]["presentedClid"] = null,
                None => drop(body["from"].as_object_mut().unwrap().remove("presentedClid")),
            }
            let findings = check(&expect_created(), &request(), &response(201, "application/json", &body), &schemas);
            assert!(findings.iter().any(|f| f.starts_with("echo")), "{findings:?}");
        }
        // A present value of the wrong type is still a schema finding.
        for (at, key, value) in [("/", "application", json!(17)), ("/from", "presentedCLID", json!("0800"))] {
            let mut wrong = created();
            if at == "/" { wrong[key] = value } else { wrong["from"][key] = value }
            let findings = check(&expect_created(), &request(), &response(201, "application/json", &wrong), &schemas);
            assert!(findings.iter().any(|f| f.starts_with("schema call-created: at /")), "{key}: {findings:?}");
        }
    }

    #[test]
    fn messages_are_exact_and_show_a_diff() {
        let schemas = Schemas::shipped();
        let want = "Agent Id exceeds 11 digits";
        let ok = response(400, "application/json", &json!({"message": want}));
        assert!(check(&expect_error(want), &request(), &ok, &schemas).is_empty());
        let off = response(400, "application/json", &json!({"message": "Agent Id exceeds 11 digit"}));
        let findings = check(&expect_error(want), &request(), &off, &schemas);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].contains("-Agent Id exceeds 11 digits\n+Agent Id exceeds 11 digit\n"), "{}", findings[0]);
        let renamed = response(400, "application/json", &json!({"error": want}));
        assert!(check(&expect_error(want), &request(), &renamed, &schemas).len() >= 2);
    }

    #[test]
    fn media_type_ignores_parameters_but_not_the_type() {
        let e = expect_error("x");
        let body = json!({"message": "x"});
        assert_eq!(media_type(&e, &response(400, "Application/JSON; charset=utf-8", &body)), None);
        assert!(media_type(&e, &response(400, "text/plain", &body)).is_some());
        let none = Response { headers: vec![], ..response(400, "", &body) };
        assert!(media_type(&e, &none).unwrap().contains("missing"));
        let any = Expect { media_type: Some("any".into()), ..e };
        assert_eq!(media_type(&any, &none), None);
    }

    #[test]
    fn garbage_bodies_are_findings_not_panics() {
        let schemas = Schemas::shipped();
        let resp = Response { status: 400, headers: vec![], body: vec![0xff, 0xfe, b'{'] };
        let findings = check(&expect_error("x"), &request(), &resp, &schemas);
        assert!(findings.iter().any(|f| f.starts_with("body: not JSON")), "{findings:?}");
    }

    #[test]
    fn not_message_catches_a_limit_applied_early() {
        let e = Expect { not_message: Some("Telephone number exceeds 30 characters".into()), ..Expect::default() };
        assert_eq!(message(&e, &json!({"message": "Unable to place call - number is invalid"})).len(), 0);
        assert_eq!(message(&e, &json!({"message": "Telephone number exceeds 30 characters"})).len(), 1);
    }

    #[test]
    fn any_of_passes_on_one_match_and_reports_all_otherwise() {
        let schemas = Schemas::shipped();
        let either = Expect { any_of: vec![expect_created(), expect_error("Unable to place call - number is invalid")], ..Expect::default() };
        let invalid = response(400, "application/json", &json!({"message": "Unable to place call - number is invalid"}));
        assert!(check(&either, &request(), &invalid, &schemas).is_empty());
        assert!(check(&either, &request(), &response(201, "application/json", &created()), &schemas).is_empty());
        let early = response(400, "application/json", &json!({"message": "Telephone number exceeds 30 characters"}));
        let findings = check(&either, &request(), &early, &schemas);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].contains("answer 1") && findings[0].contains("answer 2"), "{}", findings[0]);
    }

    #[test]
    fn a_reused_id_names_the_case_that_had_it_first() {
        let seen = SeenIds::default();
        let resp = response(201, "application/json", &created());
        assert_eq!(identity(&seen, "examples::one", &resp), Vec::<String>::new());
        let again = identity(&seen, "examples::two", &resp);
        assert_eq!(again.len(), 1, "{again:?}");
        assert!(again[0].starts_with("id: ") && again[0].contains("examples::one"), "{}", again[0]);
        // Other answers claim nothing.
        let error = response(400, "application/json", &json!({"id": ID, "message": "m"}));
        assert!(identity(&seen, "x", &error).is_empty());
        let mut other = created();
        other["id"] = json!("017db4a2-44b5-672e-8b9f-1a805fed0000");
        other["links"][0]["href"] = json!(format!("http://h/V0/acc/Calls/{ID}"));
        let findings = identity(&seen, "examples::three", &response(201, "application/json", &other));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].starts_with("self link: "), "{}", findings[0]);
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
    fn account_is_read_from_the_path() {
        assert_eq!(account_of("/v0/a1b2/calls/"), Some("a1b2"));
        assert_eq!(account_of("/prefix/V0/x/calls"), Some("x"));
        assert_eq!(account_of("/calls"), None);
    }
}
