//! The reference server: `serve` as a user meets it, its limits against hostile peers, its rules against generated input, the self-test of the suite against its faults, and the consumer coverage it reports.

#[path = "../common/mod.rs"]
mod common;

mod serve;
mod server_limits;
mod robustness;
mod selftest;
mod fault_witnesses;
mod held_memory;
mod consumer_coverage;
