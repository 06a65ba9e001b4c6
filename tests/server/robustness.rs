//! The reference server survives any input: a property test of the rules over
//! generated request-shaped JSON, arbitrary JSON and arbitrary bytes (no panic;
//! a 201 that matches its schema, or a 4xx with a clear message), the same over
//! HTTP. Bounded in count, deterministic in seed. (The load test is
//! `tests/load.rs`, alone in its process so that its memory reading is its own.)

use serde_json::{Map, Value, json};
use vcc_conformance::suite::Schemas;
use vcc_conformance::server::{self, fixture::Fixture, rules};

/// xorshift64*: small, deterministic, good enough to explore inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const TEXTS: &[&str] = &[
    "", "1234", "4567", "7001", "7002", "99999", "030", "02072068888", "00000000000", "08008888888",
    "OneParty", "TwoParty", "Unknown", "Maybe", "12a4", "http://Test.com", "not a url!", "appName",
    "app-name", "é", "\u{0}", "日本語", "+44 20 7206 8888", "${agentId}", "<script>", "\"", "\\",
];

fn string(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => {
            let unit = rng.pick(&["7", "9", "a", "é", "1"]).to_string();
            unit.repeat(rng.below(2100) as usize)
        }
        _ => rng.pick(TEXTS).to_string(),
    }
}

fn any_json(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!(f64::from(rng.below(1000) as u32) / 7.0),
        4 => json!(string(rng)),
        5 => Value::Array((0..rng.below(4)).map(|_| any_json(rng, depth + 1)).collect()),
        _ => {
            let keys = ["from", "to", "agentId", "groups", "telephoneNumber", "consent", "presentedCLID", "regarding", "reference", "application", "x"];
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                map.insert(rng.pick(&keys).to_string(), any_json(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// A valid request with one or two fields changed, or a body shaped like a
/// request with each field present, absent or mistyped.
fn request_like(rng: &mut Rng) -> Value {
    if rng.below(2) == 0 {
        let mut body = json!({"from": {"agentId": "1234", "consent": "OneParty"}, "to": {"telephoneNumber": "02072068888"},
                              "regarding": {"reference": "0012400000ATTUQ"}, "application": "appName"});
        let places = ["/from/agentId", "/from/consent", "/to/telephoneNumber", "/regarding/reference", "/application"];
        for _ in 0..rng.below(3) {
            let place = *rng.pick(&places);
            let value = if rng.below(4) == 0 { any_json(rng, 3) } else { json!(string(rng)) };
            if let Some(slot) = body.pointer_mut(place) {
                *slot = value;
            }
        }
        return body;
    }
    shaped(rng)
}

fn shaped(rng: &mut Rng) -> Value {
    let field = |rng: &mut Rng| -> Option<Value> {
        match rng.below(6) {
            0 | 1 => None,
            2 => Some(any_json(rng, 3)),
            _ => Some(json!(string(rng))),
        }
    };
    let side = |rng: &mut Rng, keys: &[&str]| -> Value {
        let mut map = Map::new();
        for key in keys {
            if let Some(v) = field(rng) {
                map.insert((*key).to_owned(), v);
            }
        }
        if rng.below(3) == 0 {
            let groups: Vec<Value> = (0..rng.below(3)).map(|_| json!(string(rng))).collect();
            map.insert("groups".into(), Value::Array(groups));
        }
        Value::Object(map)
    };
    let mut body = Map::new();
    body.insert("from".into(), side(rng, &["agentId", "presentedCLID", "consent", "telephoneNumber"]));
    body.insert("to".into(), side(rng, &["telephoneNumber", "agentId", "consent"]));
    if rng.below(2) == 0 {
        body.insert("regarding".into(), json!({ "reference": string(rng) }));
    }
    if rng.below(2) == 0 {
        body.insert("application".into(), json!(string(rng)));
    }
    Value::Object(body)
}

fn assert_sound(result: Result<rules::CallRequest, rules::Rejection>, schemas: &Schemas, input: &str) {
    match result {
        Ok(call) => {
            let body = rules::created(&call, "017db4a2-44b5-672e-8b9f-1a805fed07ad", "http://h/V0/a/Calls/017db4a2-44b5-672e-8b9f-1a805fed07ad");
            if let Err(e) = schemas.validate("call-created", &body) {
                panic!("a 201 body breaks its schema for {input}: {e:?}");
            }
        }
        Err(r) => {
            assert!(matches!(r.status, 400 | 401 | 404 | 415), "status {} for {input}", r.status);
            assert!(!r.message.trim().is_empty() && r.message.len() < 400, "message {:?} for {input}", r.message);
        }
    }
}

#[test]
fn the_rules_answer_every_generated_input_soundly() {
    let fixture = Fixture::builtin();
    let schemas = Schemas::shipped();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut created = 0;
    for i in 0..20_000 {
        let body = match i % 3 {
            0 => request_like(&mut rng).to_string().into_bytes(),
            1 => any_json(&mut rng, 0).to_string().into_bytes(),
            _ => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        };
        let result = rules::decide(&fixture, "a1b2c3d4e5", Some("Bearer t"), Some("application/json"), &body);
        created += usize::from(result.is_ok());
        assert_sound(result, &schemas, &String::from_utf8_lossy(&body));
    }
    assert!(created > 100, "the generator should reach the 201 path too ({created})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_arbitrary_requests_without_failing() {
    vcc_conformance::client::install_crypto();
    let addr = server::start_embedded(Fixture::builtin(), None).await.unwrap();
    let http = reqwest::Client::new();
    let mut rng = Rng(0xdead_beef_0bad_f00d);
    let types: [&str; 7] = ["application/json", "application/json; version=6", "text/plain", "multipart/form-data; boundary=x", "", "application/JSON;;;", "\u{7f}"];
    let accounts: [&str; 6] = ["a1b2c3d4e5", "f6g7h8i9j0", "nope", "%00", "..", "a%2Fb"];
    for i in 0..1_000 {
        let body: Vec<u8> = if i % 2 == 0 {
            request_like(&mut rng).to_string().into_bytes()
        } else {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        };
        let mut req = http
            .post(format!("http://{addr}/v0/{}/calls/", *rng.pick(&accounts)))
            .body(body.clone());
        if let Ok(v) = reqwest::header::HeaderValue::from_str(*rng.pick(&types)) {
            req = req.header("content-type", v);
        }
        if rng.below(5) != 0 {
            req = req.header("authorization", "Bearer fuzz");
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("request {i} failed: {e}"));
        let status = resp.status().as_u16();
        // The documented statuses, and the undocumented 401, 404 and 413 docs/reference-server.md names.
        assert!(matches!(status, 201 | 400 | 401 | 404 | 413 | 415), "status {status} for {}", String::from_utf8_lossy(&body));
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let text = resp.bytes().await.unwrap();
        assert!(ct.starts_with("application/json"), "every answer is JSON, not {ct:?}");
        let json: Value = serde_json::from_slice(&text).expect("a JSON answer parses");
        let message = json.get("message").and_then(Value::as_str);
        assert!(status == 201 || message.is_some_and(|m| !m.is_empty() && m.len() <= 200), "{json}");
    }
}
