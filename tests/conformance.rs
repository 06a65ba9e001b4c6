//! The whole suite as a `cargo test` target (`harness = false`): against the
//! embedded reference server by default, or a deployment with
//! `cargo test --test conformance -- --base-url URL` (or `VCC_BASE_URL`).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    vcc_conformance::runner::run(&args)
}
