//! Proxies, as a corporate CI runner sets them: loopback and the embedded
//! server are never reached through one, a deployment is reached as curl would
//! (`http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, or `--proxy`,
//! `--no-proxy`), the target line names the proxy, a proxy that is down is
//! named as the cause, and `--resolve` is refused where a proxy resolves the
//! host. The proxy is a small forwarding proxy on 127.0.0.1 that sends every
//! request to the reference server on 127.0.0.1, whatever host it names.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Served, read_whole_request, vcc_command};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
/// One case that places a call: allowed, as every server here is ours, on loopback.
const ONE_CASE: &[&str] = &["run", "--exact", "examples::example-1-agent-to-number", "--timeout", "5", "--allow-real-calls"];

/// A forwarding proxy on 127.0.0.1: the request lines it was sent, and its URL.
/// Every request goes to `upstream` (a loopback address), with `connection: close`.
fn proxy(upstream: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let Some((head, body)) = read_whole_request(&mut client) else { return };
                let mut lines = head.split("\r\n");
                let request_line = lines.next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(request_line.clone());
                let mut parts = request_line.split(' ');
                let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
                let path = target.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_else(|| target.to_owned());
                let headers: String = lines
                    .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:") && !l.to_ascii_lowercase().starts_with("proxy-"))
                    .map(|l| format!("{l}\r\n"))
                    .collect();
                let Ok(mut up) = TcpStream::connect(upstream) else { return };
                let _ = up.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = up.write_all(format!("{method} {path} HTTP/1.1\r\n{headers}connection: close\r\n\r\n{body}").as_bytes());
                let mut answer = Vec::new();
                let _ = up.read_to_end(&mut answer);
                let _ = client.write_all(&answer);
            });
        }
    });
    (url, seen)
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = vcc_command(BIN);
    cmd.args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn every_proxy_variable(url: &str) -> Vec<(&'static str, String)> {
    ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"].iter().map(|n| (*n, url.to_owned())).collect()
}

#[test]
fn loopback_and_the_embedded_server_never_go_through_a_proxy() {
    let served = Served::start(BIN, &[]);
    let (url, seen) = proxy(served.base().trim_start_matches("http://").parse().unwrap());
    let env = every_proxy_variable(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let embedded = run(ONE_CASE, &env);
    assert_eq!(embedded.status.code(), Some(0), "{}", text(&embedded));
    assert!(text(&embedded).contains("target: embedded reference server (http://127.0.0.1:"), "{}", text(&embedded));
    let loopback = run(&[ONE_CASE, &["--base-url", served.base(), "--token", "loopback-token-123"]].concat(), &env);
    assert_eq!(loopback.status.code(), Some(0), "{}", text(&loopback));
    assert!(!text(&loopback).contains("proxy"), "{}", text(&loopback));
    assert!(seen.lock().unwrap().is_empty(), "the proxy was used: {:?}", seen.lock().unwrap());
}

#[test]
fn a_deployment_is_reached_through_the_proxy_curl_would_use_and_the_target_line_names_it() {
    let served = Served::start(BIN, &[]);
    let port = served.base().rsplit(':').next().unwrap().to_owned();
    let (url, seen) = proxy(served.base().trim_start_matches("http://").parse().unwrap());
    let base = format!("http://deployment.test:{port}");
    let args = [ONE_CASE, &["--base-url", &base, "--token", "proxied-token-123"]].concat();
    // http_proxy (lowercase, as curl reads it for http URLs).
    let out = run(&args, &[("http_proxy", &url)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(&format!("target: {base} (deployment, through the proxy {url} from http_proxy)")), "{}", text(&out));
    assert!(seen.lock().unwrap().iter().any(|l| l.starts_with(&format!("POST {base}/v0/a1b2c3d4e5/calls/ HTTP/1.1"))), "{:?}", seen.lock().unwrap());
    // --proxy, with nothing in the environment.
    let before = seen.lock().unwrap().len();
    let out = run(&[&args[..], &["--proxy", &url]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("from --proxy)"), "{}", text(&out));
    assert!(seen.lock().unwrap().len() > before);
}

#[test]
fn no_proxy_and_resolve_connect_directly_and_resolve_through_a_proxy_is_refused() {
    let served = Served::start(BIN, &[]);
    let port = served.base().rsplit(':').next().unwrap().to_owned();
    let (url, seen) = proxy(served.base().trim_start_matches("http://").parse().unwrap());
    let base = format!("http://deployment.test:{port}");
    let resolve = format!("deployment.test:{port}:127.0.0.1");
    let args = [ONE_CASE, &["--base-url", &base, "--token", "direct-token-1234", "--resolve", &resolve]].concat();
    let refused = run(&args, &[("http_proxy", &url)]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("--resolve deployment.test cannot be honoured") && text(&refused).contains("--no-proxy"), "{}", text(&refused));
    for (extra, env) in [(&["--no-proxy"][..], &[("http_proxy", url.as_str())][..]), (&[][..], &[("http_proxy", url.as_str()), ("NO_PROXY", ".test")][..])] {
        let direct = run(&[&args[..], extra].concat(), env);
        assert_eq!(direct.status.code(), Some(0), "{}", text(&direct));
        assert!(text(&direct).contains(&format!("target: {base} (deployment)")), "{}", text(&direct));
    }
    assert!(seen.lock().unwrap().is_empty(), "{:?}", seen.lock().unwrap());
}

#[test]
fn a_proxy_that_is_down_is_named_as_the_cause() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let out = run(&[ONE_CASE, &["--base-url", "http://deployment.test:9", "--token", "dead-proxy-token"]].concat(), &[("ALL_PROXY", &url)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(&format!("cannot be tested through the proxy {url} (from ALL_PROXY; is it up?")), "{}", text(&out));
}
