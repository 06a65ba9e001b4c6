//! The whole suite as a `cargo test` target (`harness = false`): against the
//! embedded reference server by default, or a deployment with
//! `cargo test --test conformance -- --base-url URL` (or `VCC_BASE_URL`).
//! A filter that selects no case only warns here, because `cargo test NAME`
//! hands NAME to every test target; the `run` command fails on it.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    vcc_conformance::runner::run(&args, vcc_conformance::runner::EmptySelection::Warn)
}
