//! # vcc-conformance
//!
//! A contract-conformance harness for `POST v0/{accountKey}/calls/` of the Vonage
//! Contact Center (formerly NewVoiceMedia) API, and a reference server that
//! reads the same contract.
//!
//! ```text
//! cargo run -- run                                     # the suite vs the embedded server
//! cargo run -- run --base-url https://emea.example --var agentId=42
//! cargo conformance --base-url URL                     # the suite as a cargo test target
//! cargo test --test conformance -- --base-url URL      # the same, as the alias stands for
//! cargo run --release -- serve --listen 127.0.0.1:8080 # the reference server, for others
//! ```
//!
//! Where things go:
//! - a new case: a YAML or JSON file under `cases/` ([`suite`] loads it; the
//!   build lists every file there);
//! - a new variable: `cases/vars.yaml` ([`suite::vars`]);
//! - a new flag: [`cli::options`] (or the command's own module under [`cli`]);
//! - which cases run and how they are sent: [`exec`];
//! - a new check on responses: [`checks`], its finding: [`result::Finding`];
//! - a new report, or how one reads: [`report`];
//! - sending requests: [`client`]; where the token comes from: [`auth`]; secrets and
//!   the one redactor every output goes through: [`secrets`];
//! - a new rule of the reference server: [`server::rules`], its state: [`server::fixture`].

pub mod auth;
pub mod checks;
pub mod cli;
pub mod client;
pub mod coverage;
pub mod diff;
pub mod exchange;
pub mod files;
pub mod exec;
pub mod json_keys;
pub mod located;
pub mod peer_text;
pub mod proxy;
pub mod report;
pub mod result;
pub mod secrets;
pub mod selftest;
pub mod server;
pub mod suggest;
pub mod suite;
