//! The binary as a user meets it: exit statuses, verdicts, cargo habits, the command line, pinned outputs, the HTML report in a browser, `coverage --page`, the CI views (GitLab's JUnit, JSON events, GitHub Actions, HAR), what a hostile peer can do to the reports, a release compared with the record of the last. One binary, one module per concern.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod proxy;
mod command_line;
mod cargo_habits;
mod verdict;
mod snapshots;
mod html_report;
mod coverage_page;
mod ci_views;
mod hostile_outputs;
mod busy;
mod docs;
mod compare_releases;
