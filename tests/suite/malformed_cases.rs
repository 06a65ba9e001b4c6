//! Malformed case files: each gives an error that names the file, line and column
//! of the offending field, the field (where there is one) and what is wrong,
//! never a panic; loaded as a library and run through the binary
//! (`run --cases FILE`, exit status 2). One test per file.


use vcc_conformance::suite::{self as cases, Source};
use vcc_conformance::exec::SuiteSettings;
use vcc_conformance::suite::Schemas;

use crate::common::vcc_command;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

const HEAD: &str = "cases:\n  - name: c\n    covers: example-1\n";

/// Where the error must point, which field it names (empty: the whole file) and
/// a fragment of what it says.
struct Expected {
    line: usize,
    column: usize,
    field: &'static str,
    says: &'static str,
}

/// Loads `text` as `cases/bad.<ext>` and checks the error against `want`.
fn check_load(ext: &str, text: &str, want: &Expected) {
    let vars = SuiteSettings::default().vars(&[]).unwrap();
    let schemas = Schemas::shipped();
    let path = format!("cases/bad.{ext}");
    let source = Source { path: path.clone(), text: text.to_owned() };
    let err = cases::load(&[source], &vars, &schemas.names()).expect_err("a malformed file must not load");
    assert_eq!(err.file, path);
    assert_eq!((err.line, err.column), (want.line, want.column), "{err}");
    assert_eq!(err.field, want.field, "{err}");
    assert!(err.message.contains(want.says), "{:?} lacks {:?}", err.message, want.says);
    assert!(err.to_string().starts_with(&located(&path, want)), "{err}");
}

/// Runs the binary on `text` written to `bad.<ext>` in a folder of its own (the
/// shipped cases load too; their file names differ) and checks what it prints.
fn check_run(name: &str, ext: &str, text: &str, want: &Expected) {
    let dir = std::env::temp_dir().join(format!("vcc-malformed-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("bad.{ext}"));
    std::fs::write(&file, text).unwrap();
    let out = vcc_command(BIN)
        .args(["run", "--cases"])
        .arg(&file)
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let place = located(&file.display().to_string(), want);
    assert!(stderr.contains(&place), "{stderr:?} lacks {place:?}");
    assert!(stderr.contains(want.says), "{stderr:?} lacks {:?}", want.says);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// How an error starts: `FILE:LINE:COL: field `FIELD`: `, or `FILE:LINE:COL: `
/// for the whole file.
fn located(file: &str, want: &Expected) -> String {
    let field = if want.field.is_empty() { String::new() } else { format!(" field `{}`:", want.field) };
    format!("{file}:{}:{}:{field} ", want.line, want.column)
}

macro_rules! malformed {
    ($($name:ident: $ext:literal, $text:expr => at ($line:literal, $column:literal), field $field:literal, says $says:literal;)*) => {$(
        #[test]
        fn $name() {
            let want = Expected { line: $line, column: $column, field: $field, says: $says };
            assert!(!want.says.trim().is_empty(), "say what the error must say");
            let text: String = $text.into();
            check_load($ext, &text, &want);
            check_run(stringify!($name), $ext, &text, &want);
        }
    )*};
}

malformed! {
    empty_file: "yaml", "" => at (1, 1), field "", says "the file is empty";
    only_a_comment: "yaml", "# nothing here\n" => at (1, 1), field "", says "the file is empty";
    bad_yaml_indentation: "yaml", format!("{HEAD}    request: {{json: {{}}}}\n   expect: {{status: 201}}\n") => at (4, 5), field "cases[0]", says "missing field `expect`";
    unclosed_flow_mapping: "yaml", format!("{HEAD}    request: {{json: {{}}\n") => at (4, 14), field "cases[0].request", says "unclosed bracket";
    top_level_list: "yaml", "- a\n- b\n" => at (1, 1), field "", says "expected mapping start";
    unknown_top_level_key: "yaml", "cases: []\nextra: 1\n" => at (2, 1), field "extra", says "unknown field `extra`";
    no_cases_key: "yaml", "description: x\n" => at (1, 1), field "", says "missing field `cases`";
    no_cases_at_all: "yaml", "cases: []\n" => at (1, 8), field "cases", says "holds no case";
    unknown_case_key: "yaml", format!("{HEAD}    colour: red\n    request: {{}}\n    expect: {{status: 201}}\n") => at (4, 5), field "cases[0].colour", says "unknown field `colour`";
    unknown_request_key: "yaml", format!("{HEAD}    request: {{body: x}}\n    expect: {{status: 201}}\n") => at (4, 15), field "cases[0].request.body", says "unknown field `body`";
    unknown_expect_key: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201, msg: x}}\n") => at (5, 27), field "cases[0].expect.msg", says "unknown field `msg`";
    status_as_text: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: created}}\n") => at (5, 22), field "cases[0].expect.status", says "a value or a list of values";
    status_out_of_range: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 999}}\n") => at (5, 22), field "cases[0].expect.status", says "999 is not an HTTP status";
    status_list_out_of_range: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: [201, 999]}}\n") => at (5, 28), field "cases[0].expect.status[1]", says "999 is not an HTTP status";
    missing_status: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{schema: error}}\n") => at (5, 5), field "cases[0].expect.status", says "missing: say which status";
    tags_not_a_list: "yaml", format!("{HEAD}    tags: boundary\n    request: {{}}\n    expect: {{status: 201}}\n") => at (4, 11), field "cases[0].tags", says "expected sequence start";
    unknown_tag: "yaml", format!("{HEAD}    tags: [slow]\n    request: {{}}\n    expect: {{status: 201}}\n") => at (4, 12), field "cases[0].tags[0]", says "unknown tag `slow`";
    unknown_schema: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201, schema: created}}\n") => at (5, 35), field "cases[0].expect.schema", says "unknown schema `created`";
    unknown_variable: "yaml", format!("{HEAD}    request: {{path: \"/v0/${{acount}}/calls/\"}}\n    expect: {{status: 201}}\n") => at (4, 26), field "", says "unknown variable `${acount}`";
    unclosed_variable: "yaml", format!("{HEAD}    request: {{path: \"/v0/${{accountKey/calls/\"}}\n    expect: {{status: 201}}\n") => at (4, 26), field "", says "malformed variable reference";
    duplicate_names: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201}}\n  - name: c\n    covers: x\n    request: {{}}\n    expect: {{status: 201}}\n") => at (6, 11), field "cases[1].name", says "`c` is used by an earlier case";
    name_not_kebab: "yaml", "cases:\n  - name: My Case\n    covers: x\n    request: {}\n    expect: {status: 201}\n" => at (2, 11), field "cases[0].name", says "`My Case` is not lowercase kebab-case";
    json_and_raw: "yaml", format!("{HEAD}    request: {{json: {{}}, raw: x}}\n    expect: {{status: 201}}\n") => at (4, 30), field "cases[0].request.raw", says "either `json` or `raw`, not both";
    raw_without_content_type: "yaml", format!("{HEAD}    request: {{raw: x}}\n    expect: {{status: 201}}\n") => at (4, 5), field "cases[0].request.headers", says "needs a Content-Type header";
    bad_generator: "yaml", format!("{HEAD}    request: {{json: {{a: {{repeat: \"7\", times: -3}}}}}}\n    expect: {{status: 201}}\n") => at (4, 25), field "cases[0].request.json.a", says "`times` must be a whole number";
    any_of_with_status: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201, any_of: [{{status: 400}}]}}\n") => at (5, 13), field "cases[0].expect", says "with `any_of`, set nothing else";
    nested_any_of: "yaml", format!("{HEAD}    request: {{}}\n    expect:\n      any_of:\n        - status: 201\n          any_of: [{{status: 400}}]\n") => at (8, 19), field "cases[0].expect.any_of[0].any_of", says "`any_of` cannot nest";
    bad_header_name: "yaml", format!("{HEAD}    request: {{headers: {{\"Bad Name\": x}}}}\n    expect: {{status: 201}}\n") => at (4, 25), field "cases[0].request.headers.Bad Name", says "`Bad Name` is not a valid header name";
    empty_covers: "yaml", "cases:\n  - name: c\n    covers: []\n    request: {}\n    expect: {status: 201}\n" => at (3, 13), field "cases[0].covers", says "at least one documented item";
    json_trailing_garbage: "json", "{\"cases\": []} x" => at (1, 15), field "", says "trailing characters";
    json_wrong_type: "json", "{\"cases\": [{\"name\": \"c\", \"covers\": \"x\", \"request\": {}, \"expect\": {\"status\": 201, \"echo\": \"yes\"}}]}" => at (1, 90), field "cases[0].expect.echo", says "invalid type: string \"yes\", expected a boolean";
    json_unknown_key: "json", "{\"cases\": [\n  {\"name\": \"c\", \"covers\": \"x\", \"request\": {},\n   \"expect\": {\"status\": 201, \"stauts\": 200}}\n]}\n" => at (3, 30), field "cases[0].expect.stauts", says "unknown field `stauts`";
    json_status_out_of_range: "json", "{\"cases\": [\n  {\"name\": \"c\", \"covers\": \"x\", \"request\": {},\n   \"expect\": {\"status\": 999}}\n]}\n" => at (3, 25), field "cases[0].expect.status", says "999 is not an HTTP status";
    json_duplicate_names: "json", "{\"cases\": [\n  {\"name\": \"c\", \"covers\": \"x\", \"request\": {}, \"expect\": {\"status\": 201}},\n  {\"name\": \"c\", \"covers\": \"y\", \"request\": {}, \"expect\": {\"status\": 201}}\n]}\n" => at (3, 12), field "cases[1].name", says "`c` is used by an earlier case";
}
