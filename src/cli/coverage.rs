//! `coverage`: each documented item of the contract and the cases that cover
//! it; with `--page`, also the documentation page checked against the items;
//! with `--consumer`, a reference server's consumer coverage report read instead:
//! the items its clients (or one client) never exercised, exit 1 when there are
//! any, 2 when the report cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::fail;
use crate::cli::options::SuiteArgs;
use crate::coverage;
use crate::coverage::consumer::ConsumerReport;
use crate::exec;
use crate::suite::Source;
use crate::report::out;

/// The options of `coverage`.
#[derive(Args, Debug)]
pub struct CoverageArgs {
    /// An export of the endpoint's documentation page to check against contract/items.yaml
    /// (as contract/seed-calls-endpoint-doc.txt); exit 1 when they differ
    #[arg(long, value_name = "FILE")]
    pub page: Option<PathBuf>,
    /// A consumer coverage report (written by serve --coverage-report FILE.json, or saved from GET
    /// /_vcc/coverage): print the documented items its clients never exercised; exit 1 when there
    /// are any
    #[arg(long, value_name = "REPORT", conflicts_with = "page")]
    pub consumer: Option<PathBuf>,
    /// With --consumer: the items this one client never exercised (a token subject or an address, as
    /// the report names it) [default: all clients together]
    #[arg(long, value_name = "NAME", requires = "consumer")]
    pub client: Option<String>,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Prints the table (and the page check); exit 1 when an item has no case, a
/// case claims an unknown item, or the page and the items differ.
pub fn coverage(args: &CoverageArgs) -> ExitCode {
    if let Some(report) = &args.consumer {
        return consumer(report, args.client.as_deref());
    }
    let cases = match exec::load(&args.suite.settings()) {
        Ok(suite) => suite.cases,
        Err(e) => return fail(&e.to_string()),
    };
    let items = match coverage::items() {
        Ok(items) => items,
        Err(e) => return fail(&e.to_string()),
    };
    let page = match args.page.as_ref().map(|path| Source::read(path)).transpose() {
        Ok(page) => page,
        Err(e) => return fail(&e.to_string()),
    };
    out::write(&coverage::table(&items, &cases));
    let problems = coverage::problems(&items, &cases);
    for p in &problems {
        eprintln!("error: {p}");
    }
    let page = page.map(|page| coverage::check_page(&page.text, &items));
    if let Some(report) = &page {
        out::write(&report.to_string());
    }
    out::line(&coverage::summary(&items, &cases));
    let page_agrees = page.is_none_or(|r| r.agrees());
    if problems.is_empty() && page_agrees { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `coverage --consumer REPORT`: the items left unexercised, named in item
/// order; exit 1 when there are any, 2 when the report cannot be read.
fn consumer(path: &std::path::Path, client: Option<&str>) -> ExitCode {
    let report = Source::read(path).map_err(|e| e.to_string()).and_then(|source| {
        let report = ConsumerReport::read(&source).map_err(|e| e.to_string())?;
        let row = report.row(&source.path, client).map_err(|e| e.to_string())?.clone();
        Ok((report, row))
    });
    let (report, row) = match report {
        Ok(read) => read,
        Err(e) => return fail(&e),
    };
    out::write(&report.verdict(&row));
    if row.unexercised.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
