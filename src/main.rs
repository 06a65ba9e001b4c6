//! The `vcc-conformance` command: `run` the suite, `diff` two deployments,
//! `selftest` the suite against deliberate deviations, `coverage` of the
//! contract, `serve` the reference server. See [`vcc_conformance::cli`].

fn main() -> std::process::ExitCode {
    vcc_conformance::cli::main()
}
