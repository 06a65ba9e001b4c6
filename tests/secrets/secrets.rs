//! No secret, in any encoding, reaches any output. The binary runs against a
//! loopback server (axum, 127.0.0.1) that echoes the Authorization header and
//! the body back in every encoding, and everything it writes is scanned:
//! stdout (GitHub's annotations too), stderr, `--junit`, `--html`, `--har`,
//! the GitHub step summary, `--format json`, `--dry-run`,
//! `--export-hurl`, `diff`, and the token endpoint's refusal. Secrets too short
//! to be hidden are refused up front.

use std::process::{Command, Output};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE};
use base64::engine::DecodePaddingMode;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// The static token: every character an encoding changes that a header can carry.
const TOKEN: &str = "Kestrel/Tok+en=\"Q\\9 zx&<";
/// The other deployment's token in a diff.
const AGAINST: &str = "Osprey/against+Tok\"9";
/// The client secret the echo server accepts: a form body carries any character.
const CLIENT_SECRET: &str = "Heron Sécret/+\"\\&=7Hq";
/// A client secret the echo server refuses, echoing it.
const WRONG_SECRET: &str = "Plover Wrông/+\"\\&=5x";
/// The token the echo server issues for [`CLIENT_SECRET`].
const ISSUED: &str = "Issued/Grebe+Tok=\"8Zq\\";
const SECRETS: &[&str] = &[TOKEN, AGAINST, CLIENT_SECRET, WRONG_SECRET, ISSUED];
/// A word of each secret, found nowhere else.
const MARKERS: &[&str] = &["kestrel", "osprey", "heron", "plover", "grebe"];
/// The client id that gets a token too short to be hidden.
const SHORT_ISSUER: &str = "short-token";

fn json(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

fn percent(text: &str, upper: bool) -> String {
    text.bytes().map(|b| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }).collect()
}

fn form(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Every encoding of `secret` an echo may give, by name.
fn encodings(secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("raw", secret.to_owned()),
        ("upper", secret.to_uppercase()),
        ("lower", secret.to_lowercase()),
        ("json", json(secret)),
        ("json_slash", json(secret).replace('/', "\\/")),
        ("json_u", secret.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()),
        ("json_u_upper", secret.encode_utf16().map(|u| format!("\\u{u:04X}")).collect()),
        ("pct_upper", percent(secret, true)),
        ("pct_lower", percent(secret, false)),
        ("form", form(secret)),
        ("form_pct20", form(secret).replace('+', "%20")),
        ("b64", STANDARD.encode(secret)),
        ("b64url", URL_SAFE.encode(secret)),
        ("html", secret.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")),
        ("pct_twice", percent(&percent(secret, true), false)),
        ("form_twice", form(&form(secret))),
        ("hex", secret.bytes().map(|b| format!("{b:02x}")).collect()),
        ("hex_upper", secret.bytes().map(|b| format!("{b:02X}")).collect()),
        ("x_escapes", secret.bytes().map(|b| format!("\\x{b:02x}")).collect()),
        ("html_hex_no_semicolon", secret.chars().map(|c| format!("&#x{:x}", c as u32)).collect()),
        ("html_dec_no_semicolon", secret.chars().map(|c| format!("&#{}", c as u32)).collect()),
    ]
}

/// `text` in base64, the lines wrapped at 76 columns (MIME), after `pad`
/// characters of its own so that a line break falls inside the secret.
fn base64_wrapped(text: &str, pad: usize) -> String {
    let encoded = STANDARD.encode(format!("{}{text}", "p".repeat(pad)));
    encoded.as_bytes().chunks(76).map(|line| String::from_utf8_lossy(line).into_owned()).collect::<Vec<_>>().join("\r\n")
}

/// The token endpoint: a token for [`CLIENT_SECRET`], a 4-character one for
/// [`SHORT_ISSUER`], and otherwise a 401 echoing the secret sent in the
/// encoding the client id names (placed across the 200th character, where the
/// error message is cut), or in every encoding.
async fn token(body: Bytes) -> (StatusCode, String) {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (id, secret) = (field("client_id"), field("client_secret"));
    if secret == CLIENT_SECRET {
        return (StatusCode::OK, serde_json::json!({"access_token": ISSUED, "token_type": "Bearer", "expires_in": 3600}).to_string());
    }
    if id == SHORT_ISSUER {
        return (StatusCode::OK, r#"{"access_token":"abcd","token_type":"Bearer","expires_in":3600}"#.into());
    }
    let mut all = encodings(&secret);
    all.push(("basic", STANDARD.encode(format!("{id}:{secret}"))));
    match all.iter().find(|(name, _)| *name == id) {
        Some((_, encoded)) => {
            let head = r#"{"error":"invalid_client","pad":""#;
            let pad = "x".repeat(190 - head.len() - r#"","you_sent":""#.len());
            (StatusCode::UNAUTHORIZED, format!(r#"{head}{pad}","you_sent":"{encoded}"}}"#))
        }
        None => {
            let echoed: Vec<String> = all.iter().map(|(name, e)| format!("{name}={e}")).collect();
            (StatusCode::UNAUTHORIZED, format!("invalid_client; you sent {body:?}: {}", echoed.join(" ")))
        }
    }
}

/// Every call: a 400 whose message holds the bearer token and the body in
/// every encoding, one per line, and headers that echo the Authorization header.
async fn echo(headers: HeaderMap, body: Bytes) -> (StatusCode, HeaderMap, String) {
    let auth = headers.get(header::AUTHORIZATION).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default();
    let bearer = auth.strip_prefix("Bearer ").unwrap_or(&auth);
    let body = String::from_utf8_lossy(&body);
    let mut lines: Vec<String> = encodings(bearer).into_iter().map(|(name, e)| format!("auth_{name}: {e}")).collect();
    lines.push(format!("auth_header_b64: {}", STANDARD.encode(&auth)));
    let body_forms = encodings(&body).into_iter().filter(|(name, _)| ["raw", "json_slash", "json_u", "pct_upper", "form", "b64"].contains(name));
    lines.extend(body_forms.map(|(name, e)| format!("body_{name}: {e}")));
    // The token cut in two across two lines, and in base64 wrapped at 76 columns.
    let (first, second) = bearer.split_at(bearer.char_indices().nth(bearer.chars().count() / 2).map_or(0, |(at, _)| at));
    lines.push(format!("auth_split: {first}\n{second}"));
    for pad in [0, 31, 64] {
        lines.push(format!("auth_b64_wrapped_{pad}:\n{}", base64_wrapped(&auth, pad)));
    }
    let mut echoed = HeaderMap::new();
    echoed.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let (head, tail) = auth.split_at(auth.len() / 2);
    let split = [("x-echo-split-1", head.to_owned()), ("x-echo-split-2", tail.to_owned())];
    for (name, value) in [("x-echo", auth.clone()), ("x-echo-pct", percent(&auth, false)), ("x-echo-b64", STANDARD.encode(&auth))].into_iter().chain(split) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            echoed.insert(name, value);
        }
    }
    (StatusCode::BAD_REQUEST, echoed, serde_json::json!({ "message": lines.join("\n") }).to_string())
}

/// The echo server on 127.0.0.1, serving until the test process ends.
fn start_echo() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new().route("/Auth/connect/token", post(token)).fallback(echo);
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv_timeout(Duration::from_secs(10)).expect("the echo server starts"))
}

/// The binary, with no `VCC_*` setting inherited from this environment.
fn vcc(command: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg(command).args(args);
    for (name, _) in std::env::vars_os().filter(|(n, _)| n.to_string_lossy().starts_with("VCC_")) {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied()).output().expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vcc-redaction-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A case file whose request carries `secret` in a header and in its body.
fn case_carrying(dir: &std::path::Path, secret: &str) -> String {
    let path = dir.join(format!("carries{}.yaml", secret.len()));
    let case = format!(
        "cases:\n  - name: carries-a-secret\n    covers: example-1\n    request:\n      headers: {{Content-Type: application/json, X-Api-Key: '{secret}'}}\n      json: {{note: '{secret}'}}\n    expect: {{status: 400, message: m}}\n"
    );
    std::fs::write(&path, case).unwrap();
    path.to_string_lossy().into_owned()
}

/// A lenient base64 decoder for scanning output.
fn lenient(alphabet: &base64::alphabet::Alphabet) -> GeneralPurpose {
    let config = GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true).with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(alphabet, config)
}

/// Every run of base64 characters in `output`, decoded from each of its first
/// four characters on.
fn decoded_base64(output: &str) -> Vec<Vec<u8>> {
    let mut decoded = Vec::new();
    for (engine, extra) in [(lenient(&base64::alphabet::STANDARD), "+/"), (lenient(&base64::alphabet::URL_SAFE), "-_")] {
        let runs = output.split(|c: char| !(c.is_ascii_alphanumeric() || extra.contains(c) || c == '='));
        for run in runs.map(|r| r.trim_end_matches('=')).filter(|r| r.len() >= 8) {
            for skip in 0..4 {
                let part = &run[skip..];
                let usable = part.len() - usize::from(part.len() % 4 == 1);
                decoded.extend(engine.decode(&part[..usable]).ok());
            }
        }
    }
    decoded
}

/// No secret, in any encoding, nor the start of one, nor any 8 bytes of one
/// inside base64 text.
fn assert_hidden(output: &str, what: &str) {
    let lower = output.to_lowercase();
    for marker in MARKERS {
        assert!(!lower.contains(marker), "`{marker}` (a secret's word) leaked in {what}:\n{output}");
    }
    for secret in SECRETS {
        // The encoding of its first ten characters (less the last three
        // characters, where a base64 form may differ from the whole's).
        let first: String = secret.chars().take(10).collect();
        for (name, encoded) in encodings(&first) {
            let start: String = encoded.chars().take(encoded.chars().count() - 3).collect::<String>().to_lowercase();
            assert!(!lower.contains(&start), "the {name} encoding of a secret leaked in {what} ({start}…):\n{output}");
        }
    }
    for bytes in decoded_base64(output) {
        for secret in SECRETS {
            for form in [secret.to_string(), json(secret)] {
                let leak = form.as_bytes().windows(8).find(|w| bytes.windows(8).any(|b| b == *w));
                assert!(leak.is_none(), "a secret leaked in base64 in {what}: {:?}\n{output}", leak.map(String::from_utf8_lossy));
            }
        }
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn no_secret_in_any_encoding_reaches_any_output() {
    let base = start_echo();
    let dir = temp_dir("outputs");
    let (junit, html, hurl) = (dir.join("junit.xml"), dir.join("report.html"), dir.join("cases.hurl"));
    let (junit_s, html_s, hurl_s) = (junit.to_str().unwrap(), html.to_str().unwrap(), hurl.to_str().unwrap());
    let (har, summary) = (dir.join("run.har"), dir.join("summary.md"));
    let ci = ["--har", har.to_str().unwrap(), "--github", "always", "--github-summary", summary.to_str().unwrap()];
    let read = |path: &std::path::Path| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
        std::fs::remove_file(path).unwrap();
        text
    };
    let token_case = case_carrying(&dir, TOKEN);
    let secret_case = case_carrying(&dir, CLIENT_SECRET);
    let static_token = ["--base-url", &base, "--token", TOKEN, "--cases", &token_case];
    let credentials = ["--base-url", &base, "--client-id", "qa", "--client-secret", CLIENT_SECRET, "--scope", "calls", "--cases", &secret_case];

    // One case (the one carrying a secret) is enough to go through every output.
    let static_token = [&static_token[..], &["carries-a-secret"]].concat();
    let credentials = [&credentials[..], &["carries-a-secret"]].concat();
    for auth in [&static_token[..], &credentials[..]] {
        let kind = if auth.contains(&"--token") { "a static token" } else { "client credentials" };
        // Pretty output with GitHub's annotations, JUnit, HTML, the HAR and the step summary.
        let out = vcc("run", &[auth, &["--junit", junit_s, "--html", html_s], &ci].concat(), &[]);
        assert_eq!(out.status.code(), Some(101), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let shown = [
            "+auth_json_slash: [redacted]",
            "+auth_pct_upper: [redacted]",
            "+auth_b64: [redacted]",
            "+auth_pct_twice: [redacted]",
            "+auth_hex: [redacted]",
            "+auth_x_escapes: [redacted]",
            "+auth_html_hex_no_semicolon: [redacted]",
            "+auth_split: [redacted]",
            "x-echo: Bearer [redacted]",
            "x-echo-split-1: Bearer [redacted]",
            "x-echo-split-2: [redacted]",
            "X-Api-Key: [redacted]",
        ];
        for shown in shown {
            assert!(stdout.contains(shown), "{kind}: the echo is shown, hidden ({shown}):\n{stdout}");
        }
        assert_hidden(&stdout, &format!("stdout with {kind}"));
        assert_hidden(&String::from_utf8_lossy(&out.stderr), &format!("stderr with {kind}"));
        for (path, name) in [(&junit, "JUnit"), (&html, "HTML"), (&har, "HAR")] {
            let report = read(path);
            assert!(count(&report, "[redacted]") >= 20, "{name} with {kind} shows the echo:\n{report}");
            assert_hidden(&report, &format!("the {name} report with {kind}"));
        }
        let report = read(&summary);
        assert!(report.contains("redacted"), "the step summary with {kind} shows the echo:\n{report}");
        assert_hidden(&report, &format!("the step summary with {kind}"));
        // JSON lines.
        let out = vcc("run", &[auth, &["--format", "json"]].concat(), &[]);
        assert_eq!(out.status.code(), Some(101), "{}", text(&out));
        assert!(count(&text(&out), "[redacted]") >= 20, "{}", text(&out));
        assert_hidden(&text(&out), &format!("--format json with {kind}"));
        // Nothing sent: curl commands and a Hurl file, the case's secret hidden in both.
        let out = vcc("run", &[auth, &["--dry-run", "--export-hurl", hurl_s]].concat(), &[]);
        assert!(out.status.success(), "{}", text(&out));
        let (printed, exported) = (text(&out), read(&hurl));
        assert!(printed.contains("X-Api-Key: [redacted]'") && exported.contains("X-Api-Key: [redacted]\n"), "{printed}\n{exported}");
        assert_hidden(&printed, &format!("--dry-run with {kind}"));
        assert_hidden(&exported, &format!("--export-hurl with {kind}"));
    }

    // Two deployments, each with its token: both hidden in the table.
    let out = vcc("diff", &["--base-url", &base, "--against", &base, "--token", TOKEN, "--against-token", AGAINST], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("DIFFERS") && text(&out).contains("auth_json_u: [redacted]"), "{}", text(&out));
    assert_hidden(&text(&out), "diff");
}

#[test]
fn a_refused_client_secret_is_hidden_in_every_encoding_on_stderr() {
    let base = start_echo();
    let mut names: Vec<&str> = encodings(WRONG_SECRET).into_iter().map(|(name, _)| name).collect();
    names.extend(["basic", "every-encoding-at-once"]);
    for name in names {
        let out = vcc("run", &["--base-url", &base, "--client-id", name, "--client-secret", WRONG_SECRET, "--scope", "calls"], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        assert!(err.contains("could not get a token from") && err.contains("401") && err.contains("invalid_client"), "{name}: {err}");
        assert!(err.contains("[redac"), "{name}: the echo is shown, hidden: {err}");
        // The echo starts at the 190th character and the message is cut at the
        // 200th: had it been cut before it was redacted, these would show.
        let (_, echoed) = encodings(WRONG_SECRET).into_iter().chain([("basic", STANDARD.encode(format!("{name}:{WRONG_SECRET}")))]).find(|(n, _)| *n == name).unwrap_or(("", String::new()));
        let cut: String = echoed.chars().take(10).collect();
        assert!(cut.is_empty() || !err.contains(&cut), "{name}: {err}");
        assert!(!text(&out).contains("test result"), "{name}: no case ran: {}", text(&out));
        assert_hidden(&text(&out), &format!("a refusal echoing the {name} encoding"));
    }
}

#[test]
fn secrets_too_short_to_hide_are_refused_up_front_naming_the_setting() {
    let base = start_echo();
    let refusals: [(&str, Vec<&str>, Vec<(&str, &str)>, &str); 5] = [
        ("run", vec!["--base-url", &base, "--token", "abc1234"], vec![], "the token (--token or VCC_TOKEN) is 7 characters long"),
        ("run", vec!["--base-url", &base], vec![("VCC_TOKEN", "abc")], "the token (--token or VCC_TOKEN) is 3 characters long"),
        (
            "run",
            vec!["--base-url", &base, "--client-id", "qa", "--scope", "calls"],
            vec![("VCC_CLIENT_SECRET", "s3cret")],
            "the client secret (--client-secret or VCC_CLIENT_SECRET) is 6 characters long",
        ),
        ("diff", vec!["--base-url", &base, "--against", &base, "--token", TOKEN, "--against-token", "tiny"], vec![], "--against-token is 4 characters long"),
        (
            "run",
            vec!["--base-url", &base, "--client-id", SHORT_ISSUER, "--client-secret", CLIENT_SECRET.trim_end_matches('q'), "--scope", "calls"],
            vec![],
            "the access_token it issued is 4 characters long",
        ),
    ];
    for (command, args, env, message) in refusals {
        let out = vcc(command, &args, &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(err.contains(message) && err.contains("shorter than 8 characters cannot be hidden"), "{args:?}: {err}");
        assert!(!text(&out).contains("test result") && !text(&out).contains("DIFFERS"), "nothing ran: {}", text(&out));
    }
}
