//! The binary as a user meets it: exit statuses, verdicts, cargo habits, the command line, pinned outputs, the HTML report in a browser, `coverage --page`. One binary, one module per concern.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod command_line;
mod cargo_habits;
mod verdict;
mod snapshots;
mod html_report;
mod coverage_page;
mod busy;
