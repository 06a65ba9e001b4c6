//! OAuth2 client credentials end to end against the reference server's token
//! endpoint: a token is fetched once, reused, refreshed before it expires, and an
//! expired token is refused.

use std::time::Duration;

use crate::common::vcc_command;

use vcc_conformance::auth::Credentials;
use vcc_conformance::client::Client;
use vcc_conformance::secrets::Secret;
use vcc_conformance::server::{self, fixture::Fixture};

fn fixture(lifetime: u64) -> Fixture {
    let mut f = Fixture::builtin();
    f.clients.insert("qa".into(), "canary-client-secret".into());
    f.token_lifetime_seconds = lifetime;
    f
}

fn credentials(base: &str, secret: &str) -> Credentials {
    Credentials::new("qa", Secret::new(secret), format!("{base}/Auth/connect/token"), Some("calls".into())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_reused_then_refreshed_before_it_expires() {
    let addr = server::start_embedded(fixture(1), None).await.unwrap();
    let base = format!("http://{addr}");
    let client = Client::new(&base, None, Duration::from_secs(5)).unwrap().with_client_credentials(credentials(&base, "canary-client-secret"));
    let first = client.bearer().await.unwrap().unwrap();
    let again = client.bearer().await.unwrap().unwrap();
    assert_eq!(first, again, "reused within its life");
    let vcc_conformance::auth::Auth::ClientCredentials(source) = client.auth() else { panic!("client credentials") };
    assert_eq!(source.fetched(), 1);
    // Refreshed when 20% of its one-second life is left, before the server refuses it.
    tokio::time::sleep(Duration::from_millis(850)).await;
    let fresh = client.bearer().await.unwrap().unwrap();
    assert_ne!(first, fresh);
    assert_eq!(source.fetched(), 2);
    // Every token fetched, and the client secret, are hidden from what reports show.
    let shown = format!("{} {} canary-client-secret", first.expose(), fresh.expose());
    assert_eq!(client.redactor().redact(&shown), "[redacted] [redacted] [redacted]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_and_an_expired_token_gets_401() {
    let addr = server::start_embedded(fixture(1), None).await.unwrap();
    let base = format!("http://{addr}");
    let bad = Client::new(&base, None, Duration::from_secs(5)).unwrap().with_client_credentials(credentials(&base, "wrong"));
    let err = bad.bearer().await.unwrap_err().to_string();
    assert!(err.contains("401") && err.contains("invalid_client"), "{err}");

    let good = Client::new(&base, None, Duration::from_secs(5)).unwrap().with_client_credentials(credentials(&base, "canary-client-secret"));
    let token = good.bearer().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stale = Client::new(&base, Some(token), Duration::from_secs(5)).unwrap();
    let cases = vcc_conformance::exec::load_shipped().unwrap().cases;
    let example = cases.iter().find(|c| c.name == "example-1-agent-to-number").unwrap();
    assert_eq!(stale.send(&example.request).await.unwrap().status, 401);
    assert_eq!(good.send(&example.request).await.unwrap().status, 201, "the source fetched a fresh token");
}

/// A token endpoint on 127.0.0.1 that records every request it is sent (head
/// and form body) and answers each with `reply(body)`; serves until the test
/// process ends.
struct TokenEndpoint {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl TokenEndpoint {
    fn start(reply: fn(&str) -> (u16, String)) -> TokenEndpoint {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = std::sync::Arc::clone(&requests);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let Some((head, body)) = crate::common::read_whole_request(&mut stream) else { continue };
                recorded.lock().unwrap().push((head, body.clone()));
                let (status, answer) = reply(&body);
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = std::io::Write::write_all(&mut stream, format!("{head}{answer}").as_bytes());
            }
        });
        TokenEndpoint { url, requests }
    }

    fn last_form(&self) -> Vec<(String, String)> {
        let requests = self.requests.lock().unwrap();
        let (_, body) = requests.last().expect("the token endpoint was asked");
        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
    }

    fn last_head(&self) -> String {
        self.requests.lock().unwrap().last().expect("the token endpoint was asked").0.to_ascii_lowercase()
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

const ISSUED: &str = "recorded-endpoint-token-3141";

fn issue(_: &str) -> (u16, String) {
    (200, format!(r#"{{"access_token":"{ISSUED}","token_type":"Bearer","expires_in":3600}}"#))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_request_is_a_form_with_the_grant_type_and_the_scope() {
    // The reference server ignores `scope`, so a recording endpoint stands in for it.
    let endpoint = TokenEndpoint::start(issue);
    let creds = Credentials::new("qa", Secret::new("canary-client-secret"), format!("{}/connect/token", endpoint.url), Some("calls:write vcc/read".into()));
    let client = Client::new("http://127.0.0.1:9", None, Duration::from_secs(5)).unwrap().with_client_credentials(creds.unwrap());
    assert_eq!(client.bearer().await.unwrap(), Some(Secret::new(ISSUED)));
    let head = endpoint.last_head();
    assert!(head.starts_with("post /connect/token http/1.1\r\n"), "{head}");
    assert!(head.contains("\r\ncontent-type: application/x-www-form-urlencoded\r\n"), "{head}");
    assert!(head.contains("\r\naccept: application/json\r\n"), "{head}");
    let form = endpoint.last_form();
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        fields,
        [("grant_type", "client_credentials"), ("client_id", "qa"), ("client_secret", "canary-client-secret"), ("scope", "calls:write vcc/read")]
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// The binary's `run`, with no `VCC_*` setting inherited from this environment.
fn cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = vcc_command(BIN);
    command.arg("run").args(args);
    command.envs(env.iter().copied()).output().expect("the binary runs")
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_scope_flag_and_vcc_scope_reach_the_token_endpoint_from_the_command_line() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let reference = runtime.block_on(server::start_embedded(Fixture::builtin(), None)).unwrap();
    let base = format!("http://{reference}");
    let endpoint = TokenEndpoint::start(issue);
    let token_url = format!("{}/oauth/token", endpoint.url);
    let common = [
        "--base-url", &base, "--client-id", "qa", "--client-secret", "canary-cli-Secret-42", "--token-url", &token_url,
        "--exact", "examples::example-1-agent-to-number",
    ];
    let out = cli(&[&common[..], &["--scope", "vcc.calls:write"]].concat(), &[]);
    assert!(out.status.success() && text(&out).contains("1 passed"), "{}", text(&out));
    assert_eq!(endpoint.count(), 1, "fetched once");
    assert_eq!(field(&endpoint.last_form(), "scope"), Some("vcc.calls:write"));

    // Without a scope, refused before the endpoint is asked, naming the setting.
    let out = cli(&common, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("client credentials need a scope: set --scope or VCC_SCOPE"), "{}", text(&out));
    assert_eq!(endpoint.count(), 1, "not asked");

    let out = cli(&common, &[("VCC_SCOPE", "from-the-environment")]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&endpoint.last_form(), "scope"), Some("from-the-environment"));

    let out = cli(&[&common[..], &["--scope=the-flag-wins"]].concat(), &[("VCC_SCOPE", "from-the-environment")]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&endpoint.last_form(), "scope"), Some("the-flag-wins"));
    assert!(!text(&out).contains("canary-cli-Secret-42") && !text(&out).contains(ISSUED), "{}", text(&out));
}

/// Echoes the form it was sent in a 401, padded so that the client secret
/// straddles the 200th character of the answer.
fn refuse_and_echo(body: &str) -> (u16, String) {
    let at = body.find("client_secret=").map_or(0, |i| i + "client_secret=".len());
    (401, format!("{}{body}", "x".repeat(195usize.saturating_sub(at))))
}

#[test]
fn a_refused_client_secret_stops_the_run_with_status_2_and_a_clear_message_without_the_secret() {
    // The embedded reference server refuses it (it knows only its own client).
    let secret = "canary-Refused secret/+7";
    let encoded = "canary-Refused+secret%2F%2B7";
    let out = cli(&["--client-id", "vcc-conformance", "--client-secret", secret, "--scope", "calls"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: could not get a token from http://127.0.0.1:") && err.contains("/Auth/connect/token"), "{err}");
    assert!(err.contains("401") && err.contains("invalid_client"), "{err}");
    assert!(!all.contains("test result"), "no case ran: {all}");
    assert!(!all.contains("canary-Refused") && !all.contains(encoded), "{all}");

    // The same from the environment, against an endpoint that echoes the secret
    // (form-encoded) right where the message is cut short.
    let endpoint = TokenEndpoint::start(refuse_and_echo);
    let token_url = format!("{}/token", endpoint.url);
    let out = cli(
        &["--base-url", &endpoint.url, "--token-url", &token_url],
        &[("VCC_CLIENT_ID", "qa"), ("VCC_CLIENT_SECRET", secret), ("VCC_SCOPE", "calls")],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert_eq!(field(&endpoint.last_form(), "client_secret"), Some(secret), "the endpoint was asked with the secret");
    assert!(all.contains("401") && all.contains("client_secret="), "the echo is shown: {all}");
    assert!(!all.contains("canar") && !all.contains("Refused") && !all.contains("%2F%2B7"), "the secret leaked: {all}");
}

/// A token endpoint on 127.0.0.1 that answers every request with `answer`;
/// what each connection wrote is sent on the channel once its client left.
fn misbehaving(answer: fn(&mut std::net::TcpStream) -> usize) -> (String, std::sync::mpsc::Receiver<usize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/Auth/connect/token", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                if crate::common::read_whole_request(&mut stream).is_some() {
                    let _ = tx.send(answer(&mut stream));
                }
            });
        }
    });
    (url, rx)
}

/// Writes `head`, then spaces in 64 KiB chunks (at most 1 GiB) until the client
/// leaves; returns how many bytes it wrote.
fn endless(stream: &mut std::net::TcpStream, head: &str) -> usize {
    use std::io::Write;
    let chunk = vec![b' '; 64 * 1024];
    let mut written = head.len();
    if stream.write_all(head.as_bytes()).is_err() {
        return written;
    }
    while written < 1 << 30 {
        let framed = if head.contains("chunked") { [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat() } else { chunk.clone() };
        if stream.write_all(&framed).is_err() {
            break;
        }
        written += framed.len();
    }
    written
}

async fn fetch_from(token_url: &str, timeout: Duration) -> (String, Duration) {
    let creds = Credentials { token_url: token_url.to_owned(), ..credentials("http://unused", "canary-client-secret") };
    let client = Client::new("http://127.0.0.1:9", None, timeout).unwrap().with_client_credentials(creds);
    let started = std::time::Instant::now();
    let err = client.bearer().await.expect_err("no token from a misbehaving endpoint");
    (err.to_string(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_token_answer_is_cut_at_64_kib() {
    let answers: [(&str, fn(&mut std::net::TcpStream) -> usize); 3] = [
        ("chunked 200", |s| endless(s, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")),
        ("unframed 200", |s| endless(s, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n")),
        ("401 of 10 GB", |s| endless(s, "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 10737418240\r\n\r\n")),
    ];
    for (name, answer) in answers {
        let (url, written) = misbehaving(answer);
        let (err, took) = fetch_from(&url, Duration::from_secs(10)).await;
        assert!(err.contains("the token endpoint's answer is over 64 KiB; stopped reading"), "{name}: {err}");
        assert!(err.starts_with(&format!("could not get a token from {url}: ")), "{name}: {err}");
        assert!(took < Duration::from_secs(5), "{name}: took {took:?}, not stopped by the cap");
        // The endpoint wrote what the socket buffers hold past the cap, no more.
        let written = written.recv_timeout(Duration::from_secs(10)).expect("the client hung up");
        assert!(written < 32 << 20, "{name}: the endpoint wrote {written} bytes before the client left");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_token_endpoint_is_given_up_on_after_the_timeout() {
    use std::io::Write;
    let answers: [(&str, fn(&mut std::net::TcpStream) -> usize); 2] = [
        ("silent", |_| {
            std::thread::sleep(Duration::from_secs(15));
            0
        }),
        ("dripping", |s| {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{";
            let mut written = s.write_all(head).map_or(0, |_| head.len());
            for _ in 0..150 {
                std::thread::sleep(Duration::from_millis(100));
                if s.write_all(b" ").is_err() {
                    break;
                }
                written += 1;
            }
            written
        }),
    ];
    for (name, answer) in answers {
        let (url, _) = misbehaving(answer);
        let (err, took) = fetch_from(&url, Duration::from_secs(1)).await;
        assert!(err.contains("the token endpoint did not answer within 1 s (--timeout)"), "{name}: {err}");
        assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "{name}: gave up after {took:?}");
    }
}

#[test]
fn a_region_sets_the_base_url_from_the_flag_or_the_environment() {
    // --dry-run sends nothing: the regional hosts are only named, never asked.
    let one = ["--dry-run", "--exact", "examples::example-1-agent-to-number"];
    let out = cli(&[&["--region", "emea"][..], &one].concat(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("'https://emea.cc.vonage.com/v0/"), "{}", text(&out));
    let out = cli(&one, &[("VCC_REGION", "apac")]);
    assert!(text(&out).contains("'https://apac.cc.vonage.com/v0/"), "{}", text(&out));
    let out = cli(&[&["--region", "nam"][..], &one].concat(), &[("VCC_BASE_URL", "http://127.0.0.1:9")]);
    assert!(text(&out).contains("'https://nam.cc.vonage.com/v0/"), "the flag wins: {}", text(&out));
    let out = cli(&[&["--region", "mars"][..], &one].concat(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("invalid value 'mars' for '--region <REGION>'") && text(&out).contains("emea, nam, apac"), "{}", text(&out));
    let out = cli(&one, &[("VCC_REGION", "emea"), ("VCC_BASE_URL", "http://127.0.0.1:9")]);
    assert_eq!(out.status.code(), Some(2), "two settings name the deployment: {}", text(&out));
    assert!(text(&out).contains("both name the deployment"), "{}", text(&out));
}

/// The `n`th token of [`rotating`]: 60,000 characters, none alike.
fn rotating_token(n: usize) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ n as u64;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..60_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize] as char
        })
        .collect();
    format!("Rotating{n:03}{body}")
}

/// A deployment on 127.0.0.1 whose token endpoint issues a new 60 kB token at
/// every request, expiring at once (`expires_in: 0`), and whose every other
/// path answers 400 with the Authorization header it was sent as the message.
fn rotating() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let issued = std::sync::atomic::AtomicUsize::new(0);
        for mut stream in listener.incoming().flatten() {
            let Some((head, _)) = crate::common::read_whole_request(&mut stream) else { continue };
            let answer = match head.starts_with("POST /Auth/connect/token ") {
                true => {
                    let n = issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    format!(r#"{{"access_token":"{}","token_type":"Bearer","expires_in":0}}"#, rotating_token(n))
                }
                false => {
                    let auth = head.lines().find_map(|l| l.strip_prefix("authorization: ")).unwrap_or("none");
                    serde_json::json!({ "message": auth }).to_string()
                }
            };
            let status = if answer.contains("access_token") { 200 } else { 400 };
            let head = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", answer.len());
            let _ = std::io::Write::write_all(&mut stream, format!("{head}{answer}").as_bytes());
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshed_tokens_are_forgotten_once_nothing_can_echo_them_and_every_echo_stays_hidden() {
    let base = rotating();
    let client = Client::new(&base, None, Duration::from_secs(10)).unwrap().with_client_credentials(credentials(&base, "canary-client-secret"));
    let cases = vcc_conformance::exec::load_shipped().unwrap().cases;
    let request = &cases.iter().find(|c| c.name == "example-1-agent-to-number").unwrap().request;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(client.send(request).await.unwrap());
        // Past four fifths of the token's life (1 s at the least): the next call fetches anew.
        tokio::time::sleep(Duration::from_millis(850)).await;
    }
    let vcc_conformance::auth::Auth::ClientCredentials(source) = client.auth() else { panic!("client credentials") };
    assert_eq!(source.fetched(), 5, "a new token for each call");
    assert_eq!(source.hidden(), 2, "the current token and the one before it");
    assert_eq!(client.redactor().len(), 3, "those two and the client secret, not every token fetched");
    // Each echo came back hidden, the echoes of tokens forgotten since too.
    for (n, answer) in answers.iter().enumerate() {
        let body = String::from_utf8_lossy(&answer.body);
        assert!(body.contains("Bearer [redacted]") && !body.contains("Rotating"), "answer {n}: {}", &body[..body.len().min(300)]);
    }
    let first = rotating_token(0);
    assert_eq!(client.redactor().redact(&first), first, "the first token is no longer looked for");
    assert_eq!(client.redactor().redact(&rotating_token(4)), "[redacted]");
}
