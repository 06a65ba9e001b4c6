//! One exchange as a comparison with a record sees it. Both sides come from the
//! same rendering, the HAR entry ([`crate::report::har::entry_of`] for the live
//! run, the file for the record), so that caps and hidden secrets match; then
//! what differs by nature is set aside: the call `id` and hosts (as
//! [`super::normalise`] does for bodies), the headers of the connection and
//! its framing (not compared at all), and the headers whose value changes from
//! one answer to the next (compared by presence only).

use std::collections::BTreeMap;

use serde_json::Value;

use super::record::{Entry, Header};
use super::{Answer, call_id, natural, normalise};
use crate::report::har;
use crate::result::CaseResult;
use crate::secrets::Redactor;

/// Headers of the connection and of the body's framing, not of the answer:
/// not compared (a proxy or a server's load may change them; the body is compared).
const TRANSPORT: &[&str] = &["connection", "keep-alive", "content-length", "transfer-encoding"];

/// Headers whose value differs by nature from one answer to the next (dates,
/// request and trace ids, cache validators): compared by presence only.
const VARYING: &[&str] = &[
    "date", "age", "expires", "last-modified", "etag", "set-cookie",
    "x-request-id", "request-id", "x-correlation-id", "correlation-id", "x-trace-id", "traceparent", "tracestate",
    "x-amzn-requestid", "x-amzn-trace-id", "x-amz-cf-id", "cf-ray", "x-runtime", "x-response-time", "server-timing",
];

/// What a varying header's value is shown as.
const VARIES: &str = "<varies>";

/// The request, as compared: a live case must send what the record's sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// `POST /v0/…/calls/?…`: the method and the URL without its host.
    pub line: String,
    /// Names in lower case, sorted.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Sent {
    /// Which part of the request differs from `other`'s, if any.
    pub fn differs_in(&self, other: &Sent) -> Option<&'static str> {
        if self.line != other.line {
            Some("method or URL")
        } else if self.headers != other.headers {
            Some("headers")
        } else if self.body != other.body {
            Some("body")
        } else {
            None
        }
    }
}

/// One exchange, reduced to what is compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub request: Sent,
    /// The status and the body, normalised; or why no answer came.
    pub answer: Answer,
    /// The answer's headers, normalised (names in lower case), sorted.
    pub headers: Vec<(String, String)>,
    /// How long the exchange took, in milliseconds.
    pub millis: f64,
    /// The case's verdict in that run (`passed`, `failed`, …).
    pub verdict: String,
    /// The record kept no headers or body of it (its archive was over its size).
    pub thinned: bool,
}

impl Exchange {
    /// The exchange of a recorded entry.
    pub fn of(entry: &Entry) -> Exchange {
        let body = serde_json::from_str::<Value>(&entry.response.content.text)
            .unwrap_or_else(|_| Value::String(entry.response.content.text.clone()));
        let id = call_id(&body);
        let answer = match entry.response.status {
            0 => Answer::NoResponse(entry.error.as_ref().map_or("no response", |e| e.kind.as_str()).to_owned()),
            status => Answer::Http { status, body: normalise(&body) },
        };
        let request = &entry.request;
        Exchange {
            request: Sent {
                line: format!("{} {}", request.method, path_and_query(&request.url)),
                headers: sorted(request.headers.iter().map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))),
                body: request.post_data.as_ref().map(|p| p.text.clone()).unwrap_or_default(),
            },
            answer,
            headers: response_headers(&entry.response.headers, id),
            millis: entry.time,
            verdict: entry.case.as_ref().map(|c| c.verdict.clone()).unwrap_or_default(),
            thinned: entry.thinned,
        }
    }

    /// The exchange of a live case, rendered as a record would hold it; `None`
    /// when it was not sent.
    pub fn of_live(result: &CaseResult, redactor: &Redactor) -> Option<Exchange> {
        let entry = har::entry_of(result, redactor)?;
        serde_json::from_value::<Entry>(entry).ok().map(|e| Exchange::of(&e))
    }

    /// The answer as a diff shows it: the status, the headers, the body.
    pub fn shown(&self) -> String {
        match &self.answer {
            Answer::NoResponse(why) => format!("no response: {why}"),
            Answer::Http { status, body } => {
                let headers: String = self.headers.iter().map(|(n, v)| format!("{n}: {v}\n")).collect();
                format!("{status}\n{headers}\n{}", serde_json::to_string_pretty(body).unwrap_or_default())
            }
        }
    }

    /// How this exchange's headers differ from `other`'s, in a few words:
    /// `headers added: x-powered-by; changed: cache-control`.
    pub fn header_changes(&self, other: &Exchange) -> Option<String> {
        let (mine, theirs) = (grouped(&self.headers), grouped(&other.headers));
        let added: Vec<&str> = mine.keys().filter(|n| !theirs.contains_key(*n)).copied().collect();
        let removed: Vec<&str> = theirs.keys().filter(|n| !mine.contains_key(*n)).copied().collect();
        let changed: Vec<&str> = mine.iter().filter(|(n, v)| theirs.get(*n).is_some_and(|t| t != *v)).map(|(n, _)| *n).collect();
        let parts: Vec<String> = [("added", added), ("removed", removed), ("changed", changed)]
            .into_iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(what, names)| format!("{what}: {}", names.join(", ")))
            .collect();
        (!parts.is_empty()).then(|| format!("headers {}", parts.join("; ")))
    }
}

/// A URL without its scheme and host: the path and the query.
fn path_and_query(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(url) => url.query().map_or_else(|| url.path().to_owned(), |q| format!("{}?{q}", url.path())),
        Err(_) => url.to_owned(),
    }
}

fn sorted(pairs: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = pairs.collect();
    pairs.sort();
    pairs
}

/// A response's headers as compared: the transport's left out, the varying
/// ones' values as [`VARIES`], the others with hosts and the call id set aside.
fn response_headers(headers: &[Header], id: Option<&str>) -> Vec<(String, String)> {
    let kept = headers.iter().map(|h| (h.name.to_ascii_lowercase(), h.value.as_str())).filter(|(n, _)| !TRANSPORT.contains(&n.as_str()));
    sorted(kept.map(|(name, value)| {
        let value = if VARYING.contains(&name.as_str()) { VARIES.to_owned() } else { natural(value, id, true) };
        (name, value)
    }))
}

/// Each header name with its values.
fn grouped(headers: &[(String, String)]) -> BTreeMap<&str, Vec<&str>> {
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, value) in headers {
        map.entry(name).or_default().push(value);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::record::{CaseMeta, Content, Request, Response};

    fn entry(status: u16, headers: &[(&str, &str)], body: &str) -> Entry {
        let header = |(name, value): &(&str, &str)| Header { name: (*name).into(), value: (*value).into() };
        Entry {
            started: "2026-01-02T03:04:05.000Z".into(),
            time: 2.0,
            request: Request { method: "POST".into(), url: "http://a:1/v0/k/calls/?x=1".into(), headers: vec![], post_data: None },
            response: Response { status, headers: headers.iter().map(header).collect(), content: Content { text: body.into() } },
            case: Some(CaseMeta { name: "f::a".into(), verdict: "passed".into() }),
            error: None,
            thinned: false,
        }
    }

    #[test]
    fn what_differs_by_nature_is_set_aside() {
        let created = |host: &str, id: &str, date: &str, length: &str| {
            let body = format!(r#"{{"id":"{id}","links":[{{"href":"http://{host}/V0/k/Calls/{id}","rel":"_self"}}]}}"#);
            let location = format!("http://{host}/V0/k/Calls/{id}");
            Exchange::of(&entry(201, &[("Date", date), ("content-length", length), ("Location", &location), ("x-request-id", id)], &body))
        };
        let a = created("a:1", "111", "Mon, 01 Jan 2026 00:00:00 GMT", "90");
        let b = created("b:2", "222", "Tue, 02 Jan 2026 00:00:00 GMT", "91");
        assert_eq!(a, Exchange { millis: 2.0, ..b.clone() });
        assert_eq!(a.request.line, "POST /v0/k/calls/?x=1");
        assert_eq!(a.headers, vec![("date".into(), VARIES.into()), ("location".into(), "/V0/k/Calls/<id>".into()), ("x-request-id".into(), VARIES.into())]);
        assert_eq!(a.header_changes(&b), None);
    }

    #[test]
    fn header_changes_name_each_header() {
        let with = |headers: &[(&str, &str)]| Exchange::of(&entry(400, headers, r#"{"message":"m"}"#));
        let old = with(&[("cache-control", "no-cache"), ("server", "x"), ("date", "1")]);
        let new = with(&[("cache-control", "no-store"), ("x-powered-by", "y"), ("X-Request-Id", "7"), ("date", "2")]);
        assert_eq!(new.header_changes(&old).as_deref(), Some("headers added: x-powered-by, x-request-id; removed: server; changed: cache-control"));
        assert_eq!(old.header_changes(&old), None);
        assert!(new.shown().starts_with("400\ncache-control: no-store\ndate: <varies>\n"), "{}", new.shown());
        let mut none = entry(0, &[], "");
        none.error = Some(crate::diff::record::ErrorMeta { kind: "timeout".into() });
        assert_eq!(Exchange::of(&none).answer, Answer::NoResponse("timeout".into()));
        assert_eq!(Exchange::of(&entry(400, &[], "not json")).answer, Answer::Http { status: 400, body: Value::String("not json".into()) });
    }

    #[test]
    fn requests_differ_by_their_parts() {
        let sent = |line: &str, body: &str| Sent { line: line.into(), headers: vec![], body: body.into() };
        assert_eq!(sent("POST /a", "{}").differs_in(&sent("POST /a", "{}")), None);
        assert_eq!(sent("POST /a", "{}").differs_in(&sent("POST /b", "{}")), Some("method or URL"));
        assert_eq!(sent("POST /a", "{}").differs_in(&sent("POST /a", "[]")), Some("body"));
    }
}
