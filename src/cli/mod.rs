//! The command line: one clap definition for every command, each option also
//! read from its `VCC_*` variable (flag > environment > default), every `--help`
//! generated. Option groups live in [`options`], the values they take in
//! [`values`], the environment checks in [`env`], each command in its own module.

pub mod coverage;
pub mod diff;
pub mod env;
pub mod options;
pub mod run;
pub mod selftest;
pub mod serve;
pub mod values;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Exit status: the run could not start, or could not finish.
pub const COULD_NOT_RUN: u8 = 2;

/// Conformance harness and reference server for POST v0/{accountKey}/calls/ of the
/// Vonage Contact Center API.
#[derive(Parser, Debug)]
#[command(name = "vcc-conformance", version, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the cases against --base-url, or against the embedded reference server
    Run(Box<run::RunArgs>),
    /// Fire every case at two deployments (A: --base-url, B: --against), or at A and a recorded run (B: --against-record), and report where they answer differently
    Diff(Box<diff::DiffArgs>),
    /// Run the suite against the reference server with each fault and each harmless variation, and print the score
    Selftest(selftest::SelftestArgs),
    /// Print each documented item of the contract and the cases that cover it
    Coverage(coverage::CoverageArgs),
    /// Serve the reference server
    Serve(serve::ServeArgs),
}

/// How much of an error message is printed (one may quote a token endpoint's answer).
const ERROR_SHOWN: usize = 4000;

/// Prints an error and gives the "could not run" status. What the message
/// quotes of a peer is shown escaped, and the message capped.
pub fn fail(message: &str) -> ExitCode {
    eprintln!("error: {}", crate::peer_text::capped(crate::peer_text::visible(message).into_owned(), ERROR_SHOWN));
    ExitCode::from(COULD_NOT_RUN)
}

/// Checks the environment against the options of `cmd`: refuses an empty
/// setting, warns of unknown ones.
pub fn check_environment(cmd: &clap::Command) -> Result<(), ExitCode> {
    match env::check(std::env::vars_os(), &env::known(cmd)) {
        Ok(warnings) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok(())
        }
        Err(e) => Err(fail(&e.to_string())),
    }
}

/// clap's own help layout. libtest-mimic's `Arguments`, flattened into `run`
/// and `diff`, brings a help template of its own (for a bare test binary).
const HELP_TEMPLATE: &str = "{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}";

fn with_our_help(cmd: clap::Command) -> clap::Command {
    libtest_help(run::verbose_help(cmd.help_template(HELP_TEMPLATE).after_help(run::AFTER_HELP)))
}

/// libtest-mimic's options as they apply here: those with no meaning for a
/// contract suite (`--test`, `--bench`, `--logfile`, `-Z`, `--ignored`,
/// `--include-ignored`) are hidden (`run` refuses the ones that would change
/// what it does), and the rest say what they do here.
fn libtest_help(cmd: clap::Command) -> clap::Command {
    let hidden = ["test", "bench", "logfile", "unstable_flags", "ignored", "include_ignored"];
    let cmd = hidden.iter().fold(cmd, |cmd, id| cmd.mut_arg(*id, |a| a.hide(true)));
    cmd.mut_arg("list", |a| a.help("List the selected cases (nothing is sent)"))
        .mut_arg("format", |a| {
            a.help("Output format: pretty (a line a case), terse (a character a case) or json (JSON lines)").hide_possible_values(true)
        })
        .mut_arg("color", |a| a.help("Color the diffs: auto (on a terminal), always or never").hide_possible_values(true))
        .mut_arg("test_threads", |a| a.help("Cases in flight at once (at least 1) [default: 8]"))
        .mut_arg("skip", |a| a.help("Leave out the cases whose names contain FILTER (repeatable)"))
        .mut_arg("exact", |a| a.help("Filters match whole case names, not parts of them"))
        .mut_arg("quiet", |a| a.help("A character a case instead of a line (--format terse)"))
}

/// The whole command line, with our help layout for every command.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for name in ["run", "diff"] {
        cmd = cmd.mut_subcommand(name, |sub| {
            let sub = sub.help_template(HELP_TEMPLATE);
            let sub = libtest_help(sub);
            if name == "run" { run::verbose_help(sub.after_help(run::AFTER_HELP)) } else { sub.after_help(diff::AFTER_HELP) }
        });
    }
    cmd
}

/// Parses the process's arguments with `cmd` after checking the environment;
/// an error is printed, with the status to exit with.
fn parse<T: FromArgMatches>(cmd: clap::Command) -> Result<(T, clap::ArgMatches), ExitCode> {
    check_environment(&cmd)?;
    let name = cmd.get_name().to_owned();
    let matches = cmd.try_get_matches().map_err(|e| print_error(&e, &name))?;
    let parsed = T::from_arg_matches(&matches).map_err(|e| print_error(&e, &name))?;
    Ok((parsed, matches))
}

/// Prints a command-line error. An unknown option gets one line and a pointer
/// to `--help` (clap's own text suggests `-- --option`, which is wrong here).
fn print_error(e: &clap::Error, name: &str) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::UnknownArgument
        && let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) {
            let similar = match e.get(ContextKind::SuggestedArg) {
                Some(ContextValue::String(s)) => format!(" (did you mean {s}?)"),
                _ => String::new(),
            };
            eprintln!("error: unknown option `{arg}`{similar}; `{name} help <command>` lists the options");
            return ExitCode::from(COULD_NOT_RUN);
        }
    let _ = e.print();
    ExitCode::from(if e.use_stderr() { COULD_NOT_RUN } else { 0 })
}

/// The `vcc-conformance` command.
pub fn main() -> ExitCode {
    crate::report::out::quiet_broken_pipe();
    let (cli, matches) = match parse::<Cli>(command()) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let sub = matches.subcommand().map(|(_, m)| m.clone()).unwrap_or_default();
    match cli.command {
        Command::Run(args) => run::run(&args, &sub, run::EmptySelection::Fail),
        Command::Diff(args) => diff::diff(&args, &sub),
        Command::Selftest(args) => selftest::selftest(&args),
        Command::Coverage(args) => coverage::coverage(&args),
        Command::Serve(args) => serve::run(args),
    }
}

/// The suite as a `cargo test` target (`harness = false`): the `run` options,
/// parsed from the test binary's own arguments.
pub fn test_target_main() -> ExitCode {
    crate::report::out::quiet_broken_pipe();
    match parse::<run::TestTarget>(with_our_help(run::TestTarget::command())) {
        Ok((target, matches)) => run::run(&target.run, &matches, run::EmptySelection::Warn),
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        command().debug_assert();
        run::TestTarget::command().debug_assert();
    }

    #[test]
    fn every_option_of_run_and_diff_has_its_environment_variable() {
        let cmd = command();
        for name in ["run", "diff"] {
            let sub = cmd.find_subcommand(name).unwrap();
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                let libtest = ["include_ignored", "ignored", "test", "bench", "list", "nocapture", "show_output",
                    "unstable_flags", "exact", "quiet", "test_threads", "logfile", "skip", "color", "format", "filter",
                    "filters", "help"];
                if libtest.contains(&id) || arg.is_positional() {
                    continue;
                }
                assert!(arg.get_env().is_some(), "{name} --{id} has no VCC_* variable");
            }
        }
    }
}
