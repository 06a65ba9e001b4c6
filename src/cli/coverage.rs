//! `coverage`: each documented item of the contract and the cases that cover it.

use std::process::ExitCode;

use clap::Args;

use crate::cli::fail;
use crate::cli::options::SuiteArgs;
use crate::exec;

/// The options of `coverage`.
#[derive(Args, Debug)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Prints the table; exit 1 when an item has no case or a case claims an unknown item.
pub fn coverage(args: &CoverageArgs) -> ExitCode {
    let settings = args.suite.settings();
    let cases = match exec::load(&settings) {
        Ok((cases, _)) => cases,
        Err(e) => return fail(&e),
    };
    let items = match crate::coverage::items() {
        Ok(items) => items,
        Err(e) => return fail(&e.to_string()),
    };
    print!("{}", crate::coverage::table(&items, &cases));
    let problems = crate::coverage::problems(&items, &cases);
    for p in &problems {
        eprintln!("error: {p}");
    }
    let documented = items.iter().filter(|i| i.documented).count();
    let covered = items.iter().filter(|i| i.documented && cases.iter().any(|c| c.covers.contains(&i.id))).count();
    println!("coverage: {covered} of {documented} documented items covered by {} cases", cases.len());
    if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
