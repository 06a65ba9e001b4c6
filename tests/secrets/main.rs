//! Secrets: no secret in any encoding reaches any output, and OAuth2 client credentials end to end.

#[path = "../common/mod.rs"]
mod common;

mod secrets;
mod auth;
