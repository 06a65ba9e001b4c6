//! The whole suite as a `cargo test` target (`harness = false`): against the
//! embedded reference server by default, or a deployment with
//! `cargo test --test conformance -- --base-url URL` (or `VCC_BASE_URL`; or
//! `cargo conformance --base-url URL`, the alias in .cargo/config.toml).
//! A filter that selects no case only warns here, because `cargo test NAME`
//! hands NAME to every test target; the `run` command fails on it.

fn main() -> std::process::ExitCode {
    vcc_conformance::cli::test_target_main()
}
