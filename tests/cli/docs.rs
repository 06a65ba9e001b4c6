//! The documentation as a user meets it: `README.md` stays short and links every
//! page of `docs/`; every relative link of the README and the pages leads to a
//! file (and an anchor to a heading of it); every command in their `sh` blocks
//! still works, and so does the tool's command in each CI example; every option
//! and `VCC_*` variable they name is one the tool has, and every one the tool has
//! is documented. Commands run against loopback only:
//! a command aimed at a deployment gets `--dry-run` (or `--list`, `--help`), which
//! sends nothing; the embedded server runs for real. Commands that cannot run here
//! are listed in [`NOT_RUN`] with the reason, so that none is skipped silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::{temp_dir, vcc_command, wait_within};

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
/// The README's size limit: what it is, the two commands, a deployment, exit
/// statuses, CI and the map fit in a few screens; the rest lives in `docs/`.
const README_LIMIT: usize = 12_000;
/// How long one documented command may take here (the longest is a self-test of two faults).
const COMMAND_LIMIT: Duration = Duration::from_secs(120);
/// What the docs write where the user puts a secret of their own (`export VCC_TOKEN=...`).
const PLACEHOLDER: &str = "...";
const STAND_IN: &str = "docs-test-stand-in";

/// Commands the test does not run, by how they start, and why.
const NOT_RUN: &[(&str, &str)] = &[
    ("cargo install", "installs a binary in ~/.cargo/bin: a release build of minutes, and its --git URL is a placeholder"),
    ("cargo nextest", "needs cargo-nextest; scripts/nextest-partitions, run by .ci/run, runs the suite under it"),
    ("cargo bench", "a release build and a benchmark; run by hand"),
    ("cargo test", "the project's own tests, of which this test is one"),
    ("scripts/test", "the whole test suite, this test included (and it installs Chromium)"),
    ("scripts/mutants", "about 20 minutes of mutation testing; run by hand"),
    ("benches/run", "installs the peers and measures for minutes; run by hand"),
    ("benches/soak", "holds 1,700 connections against serve and installs wrk; run by hand"),
];

/// Options the pages name that belong to other tools (or that `run` refuses), and whose.
const OTHER_OPTIONS: &[(&str, &str)] = &[
    ("--release", "cargo"),
    ("--test", "cargo test, hurl"),
    ("--lib", "cargo test"),
    ("--no-run", "cargo test"),
    ("--timings", "cargo build"),
    ("--path", "cargo install"),
    ("--git", "cargo install"),
    ("--locked", "cargo install"),
    ("--profile", "cargo nextest"),
    ("--partition", "cargo nextest"),
    ("--data-raw", "curl"),
    ("--skip-build", "benches/run"),
    ("--json", "benches/bench.py"),
    ("--seconds", "benches/soak.py"),
    ("--report", "scripts/mutants"),
    ("--tool", "valgrind"),
    ("--bench", "cargo bench; run refuses it"),
    ("--ignored", "libtest; run refuses it"),
    ("--include-ignored", "libtest; run refuses it"),
    ("--logfile", "libtest; run refuses it"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page of docs/, as (path from the root, text), in order.
fn pages() -> Vec<(String, String)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    std::iter::once(root().join("README.md"))
        .chain(paths)
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.strip_prefix(root()).unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

/// A fenced block: its language, the line its text starts on, its text.
struct Block {
    lang: String,
    line: usize,
    text: String,
}

/// The fenced blocks of a page, and its prose: each line outside them, numbered.
fn split(text: &str) -> (Vec<Block>, Vec<(usize, &str)>) {
    let (mut blocks, mut prose) = (Vec::new(), Vec::new());
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(lang)) => open = Some(Block { lang: lang.trim().to_owned(), line: i + 2, text: String::new() }),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some(block), None) => block.text.push_str(&format!("{line}\n")),
            (None, None) => prose.push((i + 1, line)),
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    (blocks, prose)
}

/// A line without its inline code spans.
fn without_code(line: &str) -> String {
    line.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// The targets of the inline links `[text](target)` of a prose line.
fn links(line: &str) -> Vec<String> {
    let line = without_code(line);
    line.match_indices("](")
        .filter_map(|(at, _)| line[at + 2..].split_once(')').map(|(target, _)| target.trim().to_owned()))
        .collect()
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings, a repeated one numbered as GitHub numbers it.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let (_, prose) = split(text);
    prose
        .iter()
        .filter_map(|(_, line)| line.strip_prefix('#').map(|h| h.trim_start_matches('#')))
        .map(|heading| {
            let slug = slug(heading);
            let count = seen.entry(slug.clone()).or_default();
            *count += 1;
            if *count == 1 { slug } else { format!("{slug}-{}", *count - 1) }
        })
        .collect()
}

#[test]
fn the_readme_is_short_and_links_every_page_of_docs() {
    let pages = pages();
    let readme = &pages[0].1;
    assert!(readme.len() < README_LIMIT, "README.md is {} bytes: move the detail into a page of docs/", readme.len());
    let linked: BTreeSet<String> = split(readme).1.iter().flat_map(|(_, l)| links(l)).collect();
    for (page, _) in &pages[1..] {
        assert!(linked.iter().any(|l| l.split('#').next() == Some(page.as_str())), "README.md does not link {page}");
    }
}

#[test]
fn every_relative_link_leads_to_a_file_and_a_heading() {
    let mut checked = 0;
    for (page, text) in pages() {
        let dir = root().join(&page).parent().unwrap().to_owned();
        for (line, prose) in split(&text).1 {
            for target in links(prose) {
                if ["http://", "https://", "mailto:"].iter().any(|s| target.starts_with(s)) {
                    continue;
                }
                let (file, anchor) = target.split_once('#').map_or((target.as_str(), None), |(f, a)| (f, Some(a)));
                let path = if file.is_empty() { root().join(&page) } else { dir.join(file) };
                assert!(path.exists(), "{page}:{line}: the link {target} leads nowhere ({})", path.display());
                if let Some(anchor) = anchor {
                    assert!(file.is_empty() || file.ends_with(".md"), "{page}:{line}: an anchor into {file}, not a page");
                    let headings = anchors(&std::fs::read_to_string(&path).unwrap());
                    assert!(headings.contains(anchor), "{page}:{line}: {target}: no heading #{anchor}; the headings: {headings:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "only {checked} links found: is the link reader broken?");
}

/// Every option (`--name`) and `VCC_*` variable a text names.
fn named(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let (mut options, mut variables) = (BTreeSet::new(), BTreeSet::new());
    for (at, _) in text.match_indices("--") {
        let before = text[..at].chars().next_back();
        let rest = &text[at + 2..];
        if before.is_some_and(word) || !rest.starts_with(|c: char| c.is_ascii_lowercase()) {
            continue;
        }
        let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-').collect();
        options.insert(format!("--{}", name.trim_end_matches('-')));
    }
    for (at, _) in text.match_indices("VCC_") {
        let name: String = text[at..].chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
        if name.len() > 4 && !text[..at].ends_with(word) {
            variables.insert(name.trim_end_matches('_').to_owned());
        }
    }
    (options, variables)
}

/// Every option and variable of the tool, as each command's `--help` lists them.
fn the_tool_s() -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut options, mut variables) = (BTreeSet::from(["--help".to_owned(), "--version".to_owned()]), BTreeSet::new());
    for command in ["run", "diff", "serve", "selftest", "coverage"] {
        let out = vcc_command(BIN).args([command, "--help"]).output().unwrap();
        assert!(out.status.success(), "{command} --help: {out:?}");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let line = line.trim_start();
            // `--name <VALUE>`, or `-q, --quiet`: an option's own line, never its description.
            if let Some(flag) = line.split_whitespace().take(2).find(|w| w.starts_with("--")).filter(|_| line.starts_with('-')) {
                options.insert(flag.trim_end_matches(',').to_owned());
            }
            if let Some((_, env)) = line.split_once("[env: ") {
                variables.insert(env.split(['=', ']']).next().unwrap().to_owned());
            }
            // `[alias: --other]` or `[aliases: --a, --b]`: another name of the option above.
            if let Some((_, aliases)) = line.split_once("[alias: ").or_else(|| line.split_once("[aliases: ")) {
                options.extend(aliases.trim_end_matches(']').split(", ").map(str::to_owned));
            }
        }
    }
    (options, variables)
}

#[test]
fn every_option_named_is_the_tool_s_and_every_option_of_the_tool_is_documented() {
    let (tool_options, tool_variables) = the_tool_s();
    let everything: String = pages().into_iter().map(|(_, text)| text).collect();
    let (options, variables) = named(&everything);
    for option in &options {
        let other = OTHER_OPTIONS.iter().any(|(o, _)| o == option);
        assert!(tool_options.contains(option) || other, "the docs name {option}, which no command of the tool has");
    }
    for (option, whose) in OTHER_OPTIONS {
        assert!(options.contains(*option), "{option} ({whose}) is listed here, but no page names it: drop it from the list");
    }
    for option in &tool_options {
        assert!(options.contains(option), "{option} is an option of the tool, but no page documents it");
    }
    for variable in &variables {
        assert!(tool_variables.contains(variable), "the docs name {variable}, which the tool does not read");
    }
    for variable in &tool_variables {
        assert!(variables.contains(variable), "{variable} is read by the tool, but no page documents it");
    }
}

/// A shell command split into words as sh would (quotes, backslashes, a `#`
/// comment), or why it is not a simple command this test can run.
fn words(command: &str) -> Result<Vec<String>, String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '$' | '`') => return Err("expands a variable or a command".into()),
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (None, '\\') => word.extend(chars.next()),
            (None, '#') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, '|' | '&' | ';' | '<' | '>' | '$' | '`' | '(' | ')') => {
                return Err(format!("`{c}` makes it more than a simple command"));
            }
            (None, c) => (word, started) = (format!("{word}{c}"), true),
        }
    }
    if quote.is_some() {
        return Err("a quote is never closed".into());
    }
    if started {
        words.push(word);
    }
    Ok(words)
}

/// `NAME=VALUE`, as sh reads a variable's assignment.
fn assignment(word: &str) -> Option<(&str, &str)> {
    word.split_once('=').filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The commands of an `sh` block: (line, text), continuation lines joined.
fn commands(block: &Block) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut continued = false;
    for (i, line) in block.text.lines().enumerate() {
        if continued {
            let last = out.last_mut().unwrap();
            last.1 = format!("{} {}", last.1.trim_end().trim_end_matches('\\').trim_end(), line.trim());
        } else if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            out.push((block.line + i, line.trim().to_owned()));
        }
        continued = line.trim_end().ends_with('\\');
    }
    out
}

/// What the test does with a documented command.
#[derive(Debug, PartialEq)]
enum Plan {
    /// `vcc-conformance ARGS` (also `cargo run -- ARGS`, and `run ARGS` for the suite's cargo test target).
    Tool(Vec<String>),
    /// A shell utility run for real in the scratch folder (`cp`, `mkdir`).
    Scratch(Vec<String>),
    /// Not run here: the rule of [`NOT_RUN`] (how it starts, and why).
    NotRun(&'static str, &'static str),
    /// Variables set for the rest of the block.
    Export,
}

/// What a command (its words, without leading `NAME=VALUE`s) is.
fn plan(words: &[String]) -> Result<Plan, String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let rest = |from: usize| w[from..].iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Ok(match w.as_slice() {
        ["export", ..] => Plan::Export,
        ["vcc-conformance", ..] => Plan::Tool(rest(1)),
        ["cargo", "run", ..] => {
            let dash = w.iter().position(|a| *a == "--").ok_or("`cargo run` without `--` runs nothing of ours")?;
            if let Some(odd) = w[2..dash].iter().find(|a| !["--release", "-q"].contains(a)) {
                return Err(format!("cargo option {odd} is not one this test knows"));
            }
            Plan::Tool(rest(dash + 1))
        }
        ["cargo", "conformance", ..] => Plan::Tool([vec!["run".to_owned()], rest(2)].concat()),
        ["cargo", "test", "--test", "conformance"] => Plan::Tool(vec!["run".to_owned()]),
        ["cargo", "test", "--test", "conformance", "--", ..] => Plan::Tool([vec!["run".to_owned()], rest(5)].concat()),
        ["cp" | "mkdir", ..] => Plan::Scratch(rest(0)),
        _ => {
            let text = w.join(" ");
            let (start, why) = NOT_RUN
                .iter()
                .find(|(start, _)| text == *start || text.starts_with(&format!("{start} ")))
                .ok_or("no rule for it: run it in Plan, or list it in NOT_RUN with the reason")?;
            Plan::NotRun(start, why)
        }
    })
}

/// The arguments to run the tool with here: as written, or with what keeps it
/// on loopback and short.
fn bounded(args: &[String], env: &BTreeMap<String, String>) -> Vec<String> {
    let has = |flag: &str| args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let mut args = args.to_vec();
    let added = match args.first().map(String::as_str) {
        _ if has("--help") || has("-h") || has("--list") || has("--dry-run") || has("--export-hurl") => None,
        Some("run") => {
            let deployment = has("--base-url") || has("--region") || env.contains_key("VCC_BASE_URL") || env.contains_key("VCC_REGION");
            deployment.then_some("--dry-run")
        }
        Some("diff") => Some("--list"),
        Some("serve") if !args.windows(2).any(|w| w == ["--fault", "list"]) => Some("--help"),
        Some("selftest") if !has("--fault") => Some("--help"),
        _ => None,
    };
    args.extend(added.map(str::to_owned));
    args
}

/// `cmd`'s output, or a failure when it takes longer than `limit`.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the command starts");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let (stdout, stderr) = (read(Box::new(child.stdout.take().unwrap())), read(Box::new(child.stderr.take().unwrap())));
    let status = wait_within(&mut child, limit).unwrap_or_else(|| panic!("{cmd:?} took longer than {limit:?}"));
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// Where the documented commands run: a folder with the repository's files at
/// hand (the case files, the contract, the schemas), so that what they write
/// stays there, and a record of failed cases of its own.
struct Scratch {
    dir: PathBuf,
    record: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = temp_dir(name);
        for entry in std::fs::read_dir(root()).unwrap().flatten() {
            let name = entry.file_name();
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                std::os::unix::fs::symlink(entry.path(), dir.join(&name)).unwrap();
            }
        }
        let scratch = Scratch { record: dir.join("last-failed"), dir };
        // A record of a run in which nothing failed, as `--rerun-failed` finds after a first run.
        let first = scratch.tool(&["run", "-q", "--exact", "examples::example-1-agent-to-number"].map(String::from), &BTreeMap::new());
        assert!(first.status.success(), "{first:?}");
        scratch
    }

    /// `vcc-conformance ARGS` here, with `env` (and none of the caller's settings).
    fn tool(&self, args: &[String], env: &BTreeMap<String, String>) -> Output {
        let mut cmd = vcc_command(BIN);
        // Anything that tried to leave loopback would meet a closed port on 127.0.0.1.
        cmd.args(args).current_dir(&self.dir).env("VCC_RECORD", &self.record).env("ALL_PROXY", "http://127.0.0.1:9").envs(env);
        output_within(cmd, COMMAND_LIMIT)
    }

    /// Runs the tool as [`bounded`] says, and fails unless it exits 0.
    fn check(&self, at: &str, args: &[String], env: &BTreeMap<String, String>) {
        let env: BTreeMap<String, String> =
            env.iter().map(|(n, v)| (n.clone(), if v == PLACEHOLDER { STAND_IN.to_owned() } else { v.clone() })).collect();
        let args = bounded(args, &env);
        let out = self.tool(&args, &env);
        let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{at}, run as `vcc-conformance {}`:\n{shown}", args.join(" "));
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free port on 127.0.0.1 (the OS picks it; it is free when this returns).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A ```bash block is a script a person runs whole (a server in the background,
/// requests, then a verdict): each runs here, whole, with `bash -e` in a scratch
/// folder, the tool on its PATH and `PORT` a free loopback port, and must exit 0.
#[test]
fn every_bash_script_runs_whole() {
    let scratch = Scratch::new("docs-scripts");
    let bin_dir = scratch.dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.join("vcc-conformance")).unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut scripts = 0;
    for (page, text) in pages() {
        for block in split(&text).0.iter().filter(|b| b.lang == "bash") {
            let script = scratch.dir.join("script.sh");
            std::fs::write(&script, &block.text).unwrap();
            let mut cmd = vcc_command("bash");
            cmd.arg("-e").arg(&script).current_dir(&scratch.dir).env("PATH", &path).env("PORT", free_port().to_string());
            let out = output_within(cmd, COMMAND_LIMIT);
            let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(0), "{page}:{}: the script failed:\n{shown}", block.line);
            scripts += 1;
        }
    }
    assert!(scripts >= 1, "no ```bash script in the docs: this test would assert nothing");
}

#[test]
fn every_command_in_an_sh_block_still_works() {
    let scratch = Scratch::new("docs-commands");
    let (mut ran, mut not_run, mut rules_used) = (0, BTreeSet::new(), BTreeSet::new());
    for (page, text) in pages() {
        for block in split(&text).0.iter().filter(|b| b.lang == "sh") {
            let mut env: BTreeMap<String, String> = BTreeMap::new();
            for (line, command) in commands(block) {
                let at = format!("{page}:{line}: `{command}`");
                let mut words = words(&command).unwrap_or_else(|why| panic!("{at}: {why}"));
                let mut own = env.clone();
                let leading = words.iter().take_while(|w| assignment(w).is_some()).count();
                for (name, value) in words.drain(..leading).filter_map(|w| assignment(&w).map(|(n, v)| (n.to_owned(), v.to_owned()))) {
                    own.insert(name, value);
                }
                match plan(&words).unwrap_or_else(|why| panic!("{at}: {why}")) {
                    Plan::Export => env.extend(words[1..].iter().filter_map(|w| assignment(w)).map(|(n, v)| (n.to_owned(), v.to_owned()))),
                    Plan::NotRun(start, why) => {
                        rules_used.insert(start);
                        if let Some(script) = words.first().filter(|w| w.contains('/')) {
                            let meta = std::fs::metadata(root().join(script)).unwrap_or_else(|e| panic!("{at}: {e}"));
                            assert!(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0, "{at}: not executable");
                        }
                        not_run.insert(format!("{at}: not run: {why}"));
                    }
                    Plan::Scratch(words) => {
                        let mut cmd = Command::new(&words[0]);
                        cmd.args(&words[1..]).current_dir(&scratch.dir);
                        let out = output_within(cmd, COMMAND_LIMIT);
                        assert!(out.status.success(), "{at}: {out:?}");
                    }
                    Plan::Tool(args) => {
                        scratch.check(&at, &args, &own);
                        ran += 1;
                    }
                }
            }
        }
    }
    for line in &not_run {
        eprintln!("{line}");
    }
    for (start, _) in NOT_RUN {
        assert!(rules_used.contains(start), "NOT_RUN lists `{start}`, which no page shows: drop it");
    }
    assert!(ran >= 20, "only {ran} commands ran: is the block reader broken?");
}

/// The commands a CI example's YAML runs, as (line, text): the lines of a
/// `run: >` folded scalar, or a `script:` item with its continuation lines.
fn ci_commands(block: &Block) -> Vec<(usize, String)> {
    let lines: Vec<&str> = block.text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let content = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        let content = content.strip_prefix("run: ").unwrap_or(content);
        if content.starts_with("cargo run -- ") || content.starts_with("vcc-conformance ") {
            let column = lines[i].len() - content.len();
            let mut command = content.trim().to_owned();
            let start = i;
            while let Some(next) = lines.get(i + 1).filter(|l| !l.trim().is_empty() && l.len() - l.trim_start().len() >= column) {
                command = format!("{command} {}", next.trim());
                i += 1;
            }
            out.push((block.line + start, command));
        }
        i += 1;
    }
    out
}

/// What the CI examples take from the pipeline's variables, and what the test gives.
const CI_VARIABLES: &[(&str, &str)] = &[("\"$STAGING_URL\"", "https://staging.example.com")];

#[test]
fn every_ci_example_runs_the_tool_with_options_it_takes() {
    let scratch = Scratch::new("docs-ci");
    // The variables file the examples name is the user's: a copy of the defaults, as the pages say.
    std::fs::create_dir_all(scratch.dir.join("ci")).unwrap();
    std::fs::copy(root().join("cases/vars.yaml"), scratch.dir.join("ci/staging-vars.yaml")).unwrap();
    let mut ran = 0;
    for (page, text) in pages() {
        for block in split(&text).0.iter().filter(|b| b.lang == "yaml") {
            for (line, command) in ci_commands(block) {
                let at = format!("{page}:{line}: `{command}`");
                let command = CI_VARIABLES.iter().fold(command.clone(), |c, (name, value)| c.replace(name, value));
                let words = words(&command).unwrap_or_else(|why| panic!("{at}: {why}"));
                let Ok(Plan::Tool(args)) = plan(&words) else { panic!("{at}: not a command of the tool") };
                scratch.check(&at, &args, &BTreeMap::from([("VCC_TOKEN".to_owned(), PLACEHOLDER.to_owned())]));
                ran += 1;
            }
        }
    }
    assert!(ran >= 3, "only {ran} CI commands found (GitHub Actions in the README and docs/ci.md, GitLab CI): is the reader broken?");
}

#[test]
fn the_readers_read_as_sh_and_github_do() {
    assert_eq!(words("cargo run -- run --var 'a=b c' \"d e\" # a comment").unwrap(), ["cargo", "run", "--", "run", "--var", "a=b c", "d e"]);
    assert!(words("run | head -1").is_err() && words("echo \"$HOME\"").is_err() && words("a 'b").is_err());
    assert_eq!(plan(&words("cargo conformance --base-url U").unwrap()), Ok(Plan::Tool(vec!["run".into(), "--base-url".into(), "U".into()])));
    assert_eq!(plan(&words("cargo test --test conformance -- -q").unwrap()), Ok(Plan::Tool(vec!["run".into(), "-q".into()])));
    assert!(matches!(plan(&words("cargo test --lib").unwrap()), Ok(Plan::NotRun("cargo test", _))));
    assert!(plan(&words("rm -rf target").unwrap()).is_err());
    let env = BTreeMap::from([("VCC_BASE_URL".to_owned(), "https://x.test".to_owned())]);
    assert_eq!(bounded(&["run".into()], &env), ["run", "--dry-run"]);
    assert_eq!(bounded(&["run".into()], &BTreeMap::new()), ["run"]);
    assert_eq!(bounded(&["serve".into(), "--fault".into(), "list".into()], &BTreeMap::new()), ["serve", "--fault", "list"]);
    assert_eq!(slug("The reference server's `busy` agents"), "the-reference-servers-busy-agents");
    assert_eq!(anchors("# A\n## B\n```\n# not a heading\n```\n## B\n"), BTreeSet::from(["a".into(), "b".into(), "b-1".into()]));
    assert_eq!(links("see [a](x.md#y), `[no](z.md)` and [b](https://e.test)"), ["x.md#y", "https://e.test"]);
    let yaml = Block { lang: "yaml".into(), line: 1, text: "- run: >\n    cargo run -- run -q\n    --list\n  env:\n- cargo run -- run\n  --exact x\nnext:\n".into() };
    assert_eq!(ci_commands(&yaml), [(2, "cargo run -- run -q --list".to_owned()), (5, "cargo run -- run --exact x".to_owned())]);
    let (options, variables) = named("`--base-url URL` (VCC_BASE_URL), a---b, `--- A`, --x-");
    assert_eq!((options, variables), (BTreeSet::from(["--base-url".into(), "--x".into()]), BTreeSet::from(["VCC_BASE_URL".into()])));
}
