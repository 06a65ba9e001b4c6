//! CI views that tell the story (issue 17, points 7 to 10): the JUnit report as
//! GitLab reads it, with the contract as a test case that agrees with the exit
//! status; a failed case as structured JSON at its place in its case file;
//! GitHub Actions' annotations and step summary; every exchange as a HAR that
//! the HAR 1.2 schema accepts. Each failed on 73a8075, which had no contract
//! case, no case events, no GitHub output and no `--har`.

use std::collections::HashSet;
use std::process::Output;

use quick_xml::events::Event;
use serde_json::Value;

use crate::common::{Served, hostile_from, read_whole_request, temp_dir, vcc_command};
use crate::verdict::off_loopback;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");
const TOKEN: &str = "ci-views-token-4Kw";
/// Two cases of each failing message against `--fault message-typo`.
const AGENT_ID: &str = "errors-request::agent-id";

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    vcc_command(BIN).arg("run").args(args).envs(env.iter().copied()).output().expect("the binary runs")
}

/// The line of a case file that names the case: where a CI view must point
/// (a derived case points at its rule in the contract model).
fn line_of(file: &str, case: &str) -> usize {
    if file == "contract/rules.yaml" {
        let shipped = vcc_conformance::exec::load_shipped().unwrap().cases;
        return shipped.iter().find(|c| c.test_name() == case).map(|c| c.line).unwrap_or_else(|| panic!("{case}"));
    }
    let name = case.split("::").nth(1).unwrap_or(case);
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    1 + text.lines().position(|l| l.trim_start().trim_start_matches("- ") == format!("name: {name}")).unwrap_or_else(|| panic!("{name} in {file}"))
}

/// A JUnit test case as GitLab reads it.
#[derive(Debug)]
struct JunitCase {
    name: String,
    classname: String,
    file: Option<String>,
    line: Option<usize>,
    /// `passed`, `failure`, `error` or `skipped`.
    status: String,
    /// The failure, error or skipped element's content: what GitLab shows.
    content: String,
    system_out: String,
}

/// Reads a JUnit report as GitLab's unit test reports do, and checks it
/// against what GitLab documents it parses (docs.gitlab.com, ci/testing/
/// unit_test_reports, "JUnit XML format specification"): `testsuites` holding
/// `testsuite`s (`name`, `time`), holding `testcase`s (`classname`, `name`,
/// `file`, `time` in seconds), each with at most one `failure`, `error` or
/// `skipped` whose element content (not the message attribute, which GitLab
/// ignores) says what happened, and `system-out`/`system-err`. Test names must
/// be unique (GitLab keeps the first of a name), and each suite's counts must
/// add up, as every other reader of JUnit checks.
fn gitlab(xml: &str) -> Vec<JunitCase> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut cases: Vec<JunitCase> = Vec::new();
    let mut counts = [0usize; 4];
    let mut declared = [0usize; 4];
    let attr = |e: &quick_xml::events::BytesStart, key: &str| -> Option<String> {
        e.attributes().flatten().find(|a| a.key.as_ref() == key.as_bytes()).map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned())
    };
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
            let parent = stack.last().map(String::as_str).unwrap_or("");
            let allowed: &[&str] = match parent {
                "" => &["testsuites"],
                "testsuites" => &["testsuite"],
                "testsuite" => &["properties", "testcase", "system-out", "system-err"],
                "properties" => &["property"],
                "testcase" => &["failure", "error", "skipped", "system-out", "system-err", "properties"],
                other => panic!("<{name}> inside <{other}>, which holds text only"),
            };
            assert!(allowed.contains(&name.as_str()), "<{name}> inside <{parent}>: GitLab reads {allowed:?} there");
            match name.as_str() {
                "testsuite" => {
                    assert!(attr(&e, "name").is_some_and(|n| !n.is_empty()), "a testsuite without a name");
                    for (i, key) in ["tests", "failures", "errors", "skipped"].into_iter().enumerate() {
                        declared[i] = attr(&e, key).unwrap_or_else(|| panic!("testsuite without {key}")).parse().unwrap();
                    }
                    counts = [0; 4];
                }
                "testcase" => {
                    let time = attr(&e, "time").map(|t| t.parse::<f64>().unwrap_or_else(|_| panic!("time {t} is not seconds")));
                    assert!(time.is_none_or(|t| t >= 0.0));
                    cases.push(JunitCase {
                        name: attr(&e, "name").filter(|n| !n.is_empty()).expect("a testcase without a name"),
                        classname: attr(&e, "classname").expect("GitLab shows the classname as the suite"),
                        file: attr(&e, "file"),
                        line: attr(&e, "line").map(|l| l.parse().unwrap()),
                        status: "passed".into(),
                        content: String::new(),
                        system_out: String::new(),
                    });
                    counts[0] += 1;
                }
                "failure" | "error" | "skipped" => {
                    let case = cases.last_mut().unwrap();
                    assert_eq!(case.status, "passed", "{}: more than one outcome", case.name);
                    case.status = name.clone();
                    counts[match name.as_str() { "failure" => 1, "error" => 2, _ => 3 }] += 1;
                }
                _ => {}
            }
            if !empty {
                stack.push(name);
            }
            continue;
        }
        match event {
            Event::Text(t) => {
                let text = t.decode().unwrap().into_owned();
                if let (Some(open), Some(case)) = (stack.last(), cases.last_mut()) {
                    match open.as_str() {
                        "failure" | "error" | "skipped" => case.content.push_str(&text),
                        "system-out" if stack.len() > 1 && stack[stack.len() - 2] == "testcase" => case.system_out.push_str(&text),
                        _ => {}
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let (Some("failure" | "error" | "skipped"), Some(case)) = (stack.last().map(String::as_str), cases.last_mut()) {
                    case.content.push_str(&format!("&{};", r.decode().unwrap()));
                }
            }
            Event::End(e) => {
                let name = stack.pop().unwrap();
                assert_eq!(name.as_bytes(), e.name().as_ref());
                if name == "testsuite" {
                    assert_eq!(counts, declared, "a suite's tests, failures, errors and skipped must add up");
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    let mut names = HashSet::new();
    for case in &cases {
        assert!(names.insert(&case.name), "{}: GitLab keeps only the first test of a name", case.name);
        if case.status != "passed" {
            assert!(!case.content.trim().is_empty(), "{}: GitLab shows the element content, and it is empty", case.name);
        }
    }
    cases
}

/// The contract's case in a JUnit report.
fn contract_case(cases: &[JunitCase]) -> &JunitCase {
    cases.iter().find(|c| c.classname == "contract").unwrap_or_else(|| panic!("no contract case in {cases:?}"))
}

#[test]
fn the_junit_reads_in_gitlab_and_its_contract_case_agrees_with_the_exit_status() {
    let served = Served::start(BIN, &[]);
    let (base, resolve) = off_loopback(&served);
    let dir = temp_dir("ci-junit");
    let junit = dir.join("r.xml");
    let off = ["--base-url", &base, "--resolve", &resolve, "--token", TOKEN, "--max-rps", "0", "--junit", junit.to_str().unwrap()];
    let held = |case: &JunitCase| (1..=7).all(|n| case.content.contains(&format!("example-{n} (examples::example-{n}-")));

    // Off loopback the examples (and the limits' accepted sides) are held back:
    // without the gate the run passes, and so does the view.
    let out = run(&off, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cases = gitlab(&std::fs::read_to_string(&junit).unwrap());
    let contract = contract_case(&cases);
    assert_eq!(contract.status, "skipped", "{contract:?}");
    assert!(contract.content.starts_with("not required (no --require-complete): 11 of 32 documented items not verified:"), "{contract:?}");
    assert!(held(contract), "{contract:?}");
    assert!(!cases.iter().any(|c| c.status == "failure" || c.status == "error"), "{cases:?}");

    // With the gate, the run fails with 101 and so does the contract case, naming what was left.
    let out = run(&[&off[..], &["--require-complete"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let cases = gitlab(&std::fs::read_to_string(&junit).unwrap());
    let contract = contract_case(&cases);
    assert_eq!(contract.status, "failure", "{contract:?}");
    assert!(contract.content.starts_with("--require-complete: 11 of 32 documented items not verified:"), "{contract:?}");
    assert!(held(contract) && contract.system_out.starts_with("contract: 21 of 32 documented items verified, 0 failed\n"), "{contract:?}");
    let failing: Vec<&str> = cases.iter().filter(|c| c.status == "failure").map(|c| c.name.as_str()).collect();
    assert_eq!(failing, [contract.name.as_str()], "the gate is the one failure");

    // Every item verified: the gate passes, and so does the contract case.
    let out = run(&["--require-complete", "-q", "--junit", junit.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cases = gitlab(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(contract_case(&cases).status, "passed");
    assert!(cases.len() > 90, "{}", cases.len());
    for case in cases.iter().filter(|c| c.classname != "contract") {
        let file = case.file.as_deref().unwrap_or_else(|| panic!("{} names no file", case.name));
        assert_eq!(case.line, Some(line_of(file, &case.name)), "{}", case.name);
    }

    // A failing case: its element content starts with its finding, in one line.
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let out = run(&["--base-url", typo.base(), "--token", TOKEN, "--junit", junit.to_str().unwrap(), AGENT_ID], &[]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let cases = gitlab(&std::fs::read_to_string(&junit).unwrap());
    let failed = cases.iter().find(|c| c.name == "errors-request::agent-id-too-long-from").unwrap();
    assert_eq!(failed.status, "failure");
    assert!(
        failed.content.starts_with("message: expected &quot;Agent Id exceeds 11 digits&quot;, got &quot;Agent Id exceeds 11 digit&quot;\n"),
        "{failed:?}"
    );
}

#[test]
fn a_failed_case_in_json_is_structured_data_at_its_place() {
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let out = run(&["--base-url", typo.base(), "--token", TOKEN, "--format", "json", "-Z", "unstable-options", AGENT_ID], &[]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let cases: Vec<(usize, &Value)> = events.iter().enumerate().filter(|(_, e)| e["type"] == "case").collect();
    assert_eq!(cases.len(), 4, "one event per selected case: {stdout}");
    for (at, case) in &cases {
        let name = case["name"].as_str().unwrap();
        let file = case["file"].as_str().unwrap();
        assert_eq!(case["line"].as_u64(), Some(line_of(file, name) as u64), "{case}");
        assert!(case["duration"].as_f64().is_some_and(|d| d >= 0.0), "{case}");
        assert!(case["covers"][0].as_str().unwrap().starts_with("400: Agent Id"), "{case}");
        // Beside libtest's own lines for the case: after it started, before its result.
        assert_eq!((events[at - 1]["event"].as_str(), events[at - 1]["name"].as_str()), (Some("started"), Some(name)), "{stdout}");
        assert_eq!((events[at + 1]["event"].as_str(), events[at + 1]["name"].as_str()), (Some("failed"), Some(name)), "{stdout}");
        assert_eq!(case["verdict"], "failed");
        let finding = &case["findings"][0];
        assert_eq!((finding["kind"].as_str(), finding["path"].as_str()), (Some("message"), Some("/message")), "{case}");
        let (expected, actual) = (finding["expected"].as_str().unwrap(), finding["actual"].as_str().unwrap());
        assert_eq!(format!("{expected}X"), format!("{actual}{}X", expected.chars().last().unwrap()), "a letter short: {case}");
        assert_eq!(finding["headline"], format!("message: expected {expected:?}, got {actual:?}"), "{case}");
    }
    assert_eq!(events.last().unwrap()["type"], "contract", "the matrix closes the output, as before");
}

/// `&#N;` character references back to characters.
fn decoded(markdown: &str) -> String {
    let mut out = String::new();
    let mut rest = markdown;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').map(|e| at + e).unwrap();
        out.push(char::from_u32(rest[at + 2..end].parse().unwrap()).unwrap());
        rest = &rest[end + 1..];
    }
    out + rest
}

/// The lines of stdout that GitHub Actions reads as workflow commands.
fn commands(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.trim_start().starts_with("::")).map(str::to_owned).collect()
}

#[test]
fn github_actions_gets_an_annotation_at_each_failed_case_and_a_step_summary() {
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let dir = temp_dir("ci-github");
    let summary = dir.join("step-summary.md");
    let summary_env = summary.to_str().unwrap();
    let failing = ["--base-url", typo.base(), "--token", TOKEN, AGENT_ID];
    let actions = [("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", summary_env)];
    std::fs::write(&summary, "# an earlier step\n").unwrap();

    let out = run(&failing, &actions);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let annotations = commands(&out);
    assert_eq!(annotations.len(), 4, "{}", text(&out));
    for annotation in &annotations {
        let (properties, message) = annotation.strip_prefix("::error ").unwrap().split_once("::").unwrap();
        let props: Vec<(&str, &str)> = properties.split(',').map(|p| p.split_once('=').unwrap()).collect();
        let name = props[2].1.replace("%3A", ":");
        assert_eq!(props[0], ("file", "cases/errors-request.yaml"), "{annotation}");
        assert_eq!(props[1].1, line_of("cases/errors-request.yaml", &name).to_string(), "{annotation}");
        assert!(name.starts_with(AGENT_ID) && message.starts_with("message: expected \"Agent Id "), "{annotation}");
    }
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.starts_with("# an earlier step\n## ❌ vcc-conformance: "), "appended, not replaced: {written}");
    let shown = decoded(&written);
    assert!(shown.contains("vcc-conformance: FAILED: 4 cases failed\n"), "{shown}");
    assert!(shown.contains("| errors-request::agent-id-too-long-from | cases/errors-request.yaml:12 | message: expected \"Agent Id exceeds 11 digits\""), "{shown}");
    assert!(shown.contains("| 400: Agent Id exceeds 11 digits | **FAILED** | "), "the contract matrix: {shown}");
    assert!(shown.contains(&format!("target: {} (deployment)", typo.base())), "{shown}");

    // Not under GitHub Actions, or told not to: no annotation, the summary left alone.
    std::fs::write(&summary, "").unwrap();
    for (extra, env) in [(&[][..], &actions[1..]), (&["--github", "never"][..], &actions[..])] {
        let out = run(&[&failing[..], extra].concat(), env);
        assert_eq!(out.status.code(), Some(101), "{}", text(&out));
        assert!(commands(&out).is_empty(), "{extra:?}: {}", text(&out));
        assert_eq!(std::fs::read_to_string(&summary).unwrap(), "", "{extra:?}");
    }
    // A file of one's own, anywhere.
    let mine = dir.join("mine.md");
    let out = run(&[&failing[..], &["--github-summary", mine.to_str().unwrap()]].concat(), &[]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    assert!(decoded(&std::fs::read_to_string(&mine).unwrap()).contains("FAILED: 4 cases failed"));

    // The release gate failing is annotated too, and the summary says so.
    let served = Served::start(BIN, &[]);
    let (base, resolve) = off_loopback(&served);
    let out = run(&["--base-url", &base, "--resolve", &resolve, "--token", TOKEN, "--max-rps", "0", "--require-complete", "examples::"], &actions);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let gate = commands(&out);
    assert_eq!(gate.len(), 1, "{gate:?}");
    assert!(gate[0].starts_with("::error title=contract (--require-complete)::31 documented items not verified: example-1, example-2, "), "{gate:?}");
    assert!(gate[0].ends_with(", limit: application 32 characters") && !gate[0].contains("example-8"), "{gate:?}");
    let shown = decoded(&std::fs::read_to_string(&summary).unwrap());
    assert!(shown.contains("## ❌ vcc-conformance: FAILED: 31 documented items not verified (--require-complete)"), "{shown}");
}

#[test]
fn the_har_holds_every_exchange_and_the_har_schema_accepts_it() {
    let schema: Value = serde_json::from_str(include_str!("har-1.2.schema.json")).unwrap();
    let validator = jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&schema).unwrap();
    let check = |har: &Value| {
        let errors: Vec<String> = validator.iter_errors(har).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}");
    };
    let typo = Served::start(BIN, &["--fault", "message-typo"]);
    let dir = temp_dir("ci-har");
    let file = dir.join("run.har");
    let out = run(&["--base-url", typo.base(), "--token", TOKEN, "--har", file.to_str().unwrap(), AGENT_ID, "examples::example-1-"], &[]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(!written.contains(TOKEN), "the token leaked into the HAR");
    let har: Value = serde_json::from_str(&written).unwrap();
    check(&har);
    // The schema is no rubber stamp: an entry without its timings, or with a
    // negative wait, or a HAR of another version, is refused.
    for (pointer, broken) in [("/log/entries/0/timings", Value::Null), ("/log/entries/0/timings/wait", Value::from(-1)), ("/log/version", Value::from("1.1"))] {
        let mut bad = har.clone();
        *bad.pointer_mut(pointer).unwrap() = broken;
        assert!(!validator.is_valid(&bad), "{pointer}");
    }
    let entries = har["log"]["entries"].as_array().unwrap();
    let names: HashSet<&str> = entries.iter().map(|e| e["_case"]["name"].as_str().unwrap()).collect();
    assert_eq!(entries.len(), 5, "passing cases too: {names:?}");
    assert!(names.contains("examples::example-1-agent-to-number"), "{names:?}");
    for entry in entries {
        assert_eq!(entry["comment"], entry["_case"]["name"]);
        let auth = entry["request"]["headers"].as_array().unwrap().iter().find(|h| h["name"] == "Authorization").unwrap();
        assert_eq!(auth["value"], "Bearer [redacted]");
        assert!(entry["request"]["url"].as_str().unwrap().starts_with(&format!("{}/v0/", typo.base())), "{entry}");
        assert!(entry["request"]["postData"]["text"].as_str().unwrap().starts_with('{'), "{entry}");
    }
    let failed = entries.iter().find(|e| e["_case"]["name"] == "errors-request::agent-id-too-long-from").unwrap();
    assert_eq!(failed["_case"]["verdict"], "failed");
    assert_eq!((failed["response"]["status"].as_u64(), failed["response"]["statusText"].as_str()), (Some(400), Some("Bad Request")));
    assert_eq!(failed["response"]["content"]["text"], r#"{"message":"Agent Id exceeds 11 digit"}"#);
    let created = entries.iter().find(|e| e["_case"]["verdict"] == "passed" && e["response"]["status"] == 201).unwrap();
    assert!(created["response"]["content"]["text"].as_str().unwrap().contains("\"_self\""), "{created}");

    // A case that gets no answer is an entry too: status 0, and why.
    let base = hostile_from(1, |mut s| {
        let _ = read_whole_request(&mut s);
    });
    let out = run(&["--base-url", &base, "--token", TOKEN, "--har", file.to_str().unwrap(), "--exact", "errors-request::agent-id-too-long-from"], &[]);
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let har: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    check(&har);
    let entry = &har["log"]["entries"][0];
    assert_eq!((entry["response"]["status"].as_u64(), entry["_error"]["kind"].as_str()), (Some(0), Some("connection broken or not HTTP")), "{entry}");
}
