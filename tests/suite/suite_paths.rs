//! Hostile case and variables paths, through the binary: a device, a named
//! pipe, a file over the read cap, broken links in a case folder, and a case
//! whose generators together would take gigabytes. Each is refused quickly with
//! exit status 2 and a message naming the path (or file:line:col and field) and
//! what is wrong. Every process runs under a deadline and a memory ceiling, so
//! that a regression fails the test instead of hanging or swapping the machine.

#![cfg(unix)]

use std::ffi::OsStr;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::wait_within;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

/// How long one run may take: loading is milliseconds, so this only catches a hang.
const DEADLINE: Duration = Duration::from_secs(30);

/// The address space one run may use (2 GiB): far above what loading needs, far
/// below what reading /dev/zero or building the hostile body would take.
const MEMORY_KIB: u64 = 2 << 20;

struct Run {
    code: Option<i32>,
    stderr: String,
}

/// A folder of its own for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vcc-suite-paths-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `vcc-conformance ARGS` with no `VCC_*` variable, under the memory
/// ceiling, killed at the deadline (which fails the test).
fn run<S: AsRef<OsStr>>(scratch: &Scratch, args: &[S]) -> Run {
    let (out, err) = (scratch.path("stdout.txt"), scratch.path("stderr.txt"));
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\"")).arg(BIN).args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VCC_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = cmd.spawn().expect("sh runs");
    let status = wait_within(&mut child, DEADLINE).unwrap_or_else(|| {
        panic!("`{}` still ran after {DEADLINE:?}", args.iter().map(|a| a.as_ref().to_string_lossy()).collect::<Vec<_>>().join(" "))
    });
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    Run { code: status.code(), stderr }
}

/// `run --cases PATH --list`: loads the cases, sends nothing.
fn list_cases(scratch: &Scratch, path: &Path) -> Run {
    run(scratch, &[OsStr::new("run"), OsStr::new("--cases"), path.as_os_str(), OsStr::new("--list")])
}

fn assert_refused(run: &Run, says: &[&str]) {
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    for part in says {
        assert!(run.stderr.contains(part), "{:?} lacks {part:?}", run.stderr);
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

const GOOD: &str = "cases:\n  - name: fine\n    covers: example-1\n    request: {json: {}}\n    expect: {status: 400}\n";

#[test]
fn a_device_is_refused_before_it_is_read() {
    let scratch = Scratch::new("device");
    assert_refused(&list_cases(&scratch, Path::new("/dev/zero")), &["/dev/zero: a character device, not a regular file"]);
    let vars = run(&scratch, &["run", "--vars", "/dev/zero", "--list"]);
    assert_refused(&vars, &["/dev/zero: a character device, not a regular file"]);
}

#[test]
fn a_named_pipe_is_refused_instead_of_waited_on() {
    let scratch = Scratch::new("fifo");
    let fifo = scratch.path("cases.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    assert_refused(&list_cases(&scratch, &fifo), &[&format!("{}: a named pipe (FIFO), not a regular file", fifo.display())]);
}

#[test]
fn a_file_over_the_read_cap_is_refused_and_the_cap_named() {
    let scratch = Scratch::new("big");
    let big = scratch.path("big.yaml");
    let mut text = GOOD.to_owned();
    while text.len() <= 8 << 20 {
        text.push_str(&format!("# {}\n", "padding ".repeat(100)));
    }
    std::fs::write(&big, &text).unwrap();
    assert_refused(&list_cases(&scratch, &big), &[&big.display().to_string(), "over the 8 MiB limit"]);
    let vars = run(&scratch, &[OsStr::new("run"), OsStr::new("--vars"), big.as_os_str(), OsStr::new("--list")]);
    assert_refused(&vars, &["over the 8 MiB limit"]);
}

#[test]
fn broken_links_and_links_to_folders_or_devices_in_a_case_folder_are_errors() {
    type Make = fn(&Path, &Path);
    let kinds: [(&str, &str, Make); 4] = [
        ("dangling.yaml", "a broken symbolic link", |_, at| symlink("nowhere.yaml", at).unwrap()),
        ("loop.yaml", "a symbolic link that cannot be followed", |_, at| symlink(at, at).unwrap()),
        ("folder.yaml", "a symbolic link to a folder, not a regular file", |dir, at| symlink(dir, at).unwrap()),
        ("device.yaml", "a symbolic link to a character device, not a regular file", |_, at| symlink("/dev/zero", at).unwrap()),
    ];
    for (name, says, make) in kinds {
        let scratch = Scratch::new(name);
        let dir = scratch.path("cases");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("mine.yaml"), GOOD).unwrap();
        let ok = list_cases(&scratch, &dir);
        assert_eq!(ok.code, Some(0), "the folder loads before the link is added: {}", ok.stderr);
        make(&dir, &dir.join(name));
        assert_refused(&list_cases(&scratch, &dir), &[&dir.join(name).display().to_string(), says]);
    }
}

#[test]
fn a_broken_vars_link_is_an_error() {
    let scratch = Scratch::new("vars-link");
    let link = scratch.path("vars.yaml");
    symlink("nowhere.yaml", &link).unwrap();
    let run = run(&scratch, &[OsStr::new("run"), OsStr::new("--vars"), link.as_os_str(), OsStr::new("--list")]);
    assert_refused(&run, &[&link.display().to_string(), "a broken symbolic link"]);
}

#[test]
fn thousands_of_generators_in_one_body_stop_at_the_cap_on_the_whole_body() {
    // Each generator is half the cap (under the old per-generator cap); 3,000
    // of them would be 1.5 GB.
    let scratch = Scratch::new("generators");
    let file = scratch.path("many.yaml");
    let generators = vec!["{repeat: \"xxxxxxxx\", times: 65536}"; 3000].join(", ");
    let text = format!("cases:\n  - name: huge\n    covers: example-1\n    request:\n      json: {{to: [{generators}]}}\n    expect: {{status: 400}}\n");
    assert!(text.len() < 120_000);
    std::fs::write(&file, text).unwrap();
    let place = format!("{}:5:55: field `cases[0].request.json.to[1]`", file.display());
    assert_refused(&list_cases(&scratch, &file), &[&place, "1048576-byte limit"]);
}

#[test]
fn a_large_variable_expanded_into_the_expectations_of_thousands_of_cases_stops_at_the_suite_cap() {
    // Each case is under its own 1 MiB budget (two 400 kB values), but 3,000 of
    // them in a 416 kB file would hold 2.4 GB, over this process's ceiling:
    // expected messages and headers count towards the suite's cap, not only requests.
    let scratch = Scratch::new("expected-side");
    let vars = scratch.path("vars.yaml");
    std::fs::write(&vars, format!("big: '{}'\nother: '{}'\n", "m".repeat(400_000), "h".repeat(400_000))).unwrap();
    let case = |i: usize| {
        format!(r#"{{"name": "c{i}", "covers": "x", "request": {{"json": {{}}}}, "expect": {{"status": 400, "message": "${{big}}", "headers": {{"X-A": "${{other}}"}}}}}}"#)
    };
    let text = format!("{{\"cases\": [\n{}\n]}}\n", (0..3_000).map(case).collect::<Vec<_>>().join(",\n"));
    assert!(text.len() < 420_000, "{}", text.len());
    let file = scratch.path("many.json");
    std::fs::write(&file, text).unwrap();
    let run = run(&scratch, &[OsStr::new("run"), OsStr::new("--vars"), vars.as_os_str(), OsStr::new("--cases"), file.as_os_str(), OsStr::new("--list")]);
    assert_refused(&run, &[&format!("{}:", file.display()), "field `cases[", "67108864-byte limit", "expected messages"]);
}
