//! OAuth2 client credentials end to end against the reference server's token
//! endpoint: a token is fetched once, reused, refreshed before it expires, and an
//! expired token is refused.

use std::time::Duration;

use vcc_conformance::auth::Credentials;
use vcc_conformance::client::{Client, Secret};
use vcc_conformance::server::{self, fixture::Fixture};

fn fixture(lifetime: u64) -> Fixture {
    let mut f = Fixture::builtin();
    f.clients.insert("qa".into(), "canary-client-secret".into());
    f.token_lifetime_seconds = lifetime;
    f
}

fn credentials(base: &str, secret: &str) -> Credentials {
    Credentials {
        client_id: "qa".into(),
        client_secret: Secret::new(secret),
        token_url: format!("{base}/Auth/connect/token"),
        scope: None,
    }
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
    let secrets = client.secrets();
    assert!(secrets.contains(&first) && secrets.contains(&fresh) && secrets.contains(&Secret::new("canary-client-secret")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_and_an_expired_token_gets_401() {
    let addr = server::start_embedded(fixture(1), None).await.unwrap();
    let base = format!("http://{addr}");
    let bad = Client::new(&base, None, Duration::from_secs(5)).unwrap().with_client_credentials(credentials(&base, "wrong"));
    let err = bad.bearer().await.unwrap_err();
    assert!(err.contains("401") && err.contains("invalid_client"), "{err}");

    let good = Client::new(&base, None, Duration::from_secs(5)).unwrap().with_client_credentials(credentials(&base, "canary-client-secret"));
    let token = good.bearer().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stale = Client::new(&base, Some(token), Duration::from_secs(5)).unwrap();
    let (cases, _) = vcc_conformance::runner::load(&vcc_conformance::runner::Options::default()).unwrap();
    let example = cases.iter().find(|c| c.name == "example-1-agent-to-number").unwrap();
    assert_eq!(stale.send(&example.request).await.unwrap().status, 401);
    assert_eq!(good.send(&example.request).await.unwrap().status, 201, "the source fetched a fresh token");
}
