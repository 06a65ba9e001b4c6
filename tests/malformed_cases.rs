//! Malformed case files: each gives an error that names the file, line, column
//! and (where there is one) the field, never a panic. One test per file.

use vcc_conformance::cases::{self, Source};
use vcc_conformance::runner::Options;
use vcc_conformance::schemas::Schemas;

const HEAD: &str = "cases:\n  - name: c\n    covers: example-1\n";

/// Loads `text` as `cases/bad.<ext>` and returns the error's
/// (line, column, field, message).
fn error(ext: &str, text: &str) -> (usize, usize, String, String) {
    let vars = Options::default().vars().unwrap();
    let schemas = Schemas::compile().unwrap();
    let source = Source { path: format!("cases/bad.{ext}"), text: text.to_owned() };
    let err = cases::load(&[source], &vars, &schemas.names()).expect_err("a malformed file must not load");
    assert_eq!(err.file, format!("cases/bad.{ext}"));
    assert!(err.line >= 1 && err.column >= 1, "no position: {err}");
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("cases/bad.{ext}:{}:{}", err.line, err.column)), "{shown}");
    (err.line, err.column, err.field, err.message)
}

macro_rules! malformed {
    ($($name:ident: $ext:literal, $text:expr => line $line:literal, field $field:literal, says $says:literal;)*) => {$(
        #[test]
        fn $name() {
            let (line, _column, field, message) = error($ext, &$text);
            assert_eq!(line, $line, "{field}: {message}");
            assert_eq!(field, $field, "{message}");
            assert!(message.contains($says), "{message:?} lacks {:?}", $says);
        }
    )*};
}

malformed! {
    empty_file: "yaml", "" => line 1, field "", says "empty";
    only_a_comment: "yaml", "# nothing here\n" => line 1, field "", says "empty";
    bad_yaml_indentation: "yaml", format!("{HEAD}    request: {{json: {{}}}}\n   expect: {{status: 201}}\n") => line 4, field "cases[0]", says "missing field `expect`";
    unclosed_flow_mapping: "yaml", format!("{HEAD}    request: {{json: {{}}\n") => line 4, field "cases[0].request", says "unclosed bracket";
    top_level_list: "yaml", "- a\n- b\n" => line 1, field "", says "";
    unknown_top_level_key: "yaml", "cases: []\nextra: 1\n" => line 2, field "extra", says "unknown field `extra`";
    no_cases_key: "yaml", "description: x\n" => line 1, field "", says "missing field `cases`";
    no_cases_at_all: "yaml", "cases: []\n" => line 1, field "cases", says "no case";
    unknown_case_key: "yaml", format!("{HEAD}    colour: red\n    request: {{}}\n    expect: {{status: 201}}\n") => line 4, field "cases[0].colour", says "unknown field `colour`";
    unknown_request_key: "yaml", format!("{HEAD}    request: {{body: x}}\n    expect: {{status: 201}}\n") => line 4, field "cases[0].request.body", says "unknown field `body`";
    unknown_expect_key: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201, msg: x}}\n") => line 5, field "cases[0].expect.msg", says "unknown field `msg`";
    status_as_text: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: created}}\n") => line 5, field "cases[0].expect.status", says "";
    status_out_of_range: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 999}}\n") => line 2, field "cases[0].expect.status", says "not an HTTP status";
    missing_status: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{schema: error}}\n") => line 2, field "cases[0].expect.status", says "missing";
    tags_not_a_list: "yaml", format!("{HEAD}    tags: boundary\n    request: {{}}\n    expect: {{status: 201}}\n") => line 4, field "cases[0].tags", says "";
    unknown_tag: "yaml", format!("{HEAD}    tags: [slow]\n    request: {{}}\n    expect: {{status: 201}}\n") => line 2, field "cases[0].tags", says "unknown tag `slow`";
    unknown_schema: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201, schema: created}}\n") => line 2, field "cases[0].expect.schema", says "unknown schema `created`";
    unknown_variable: "yaml", format!("{HEAD}    request: {{path: \"/v0/${{acount}}/calls/\"}}\n    expect: {{status: 201}}\n") => line 4, field "", says "unknown variable `${acount}`";
    unclosed_variable: "yaml", format!("{HEAD}    request: {{path: \"/v0/${{accountKey/calls/\"}}\n    expect: {{status: 201}}\n") => line 4, field "", says "malformed variable";
    duplicate_names: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201}}\n  - name: c\n    covers: x\n    request: {{}}\n    expect: {{status: 201}}\n") => line 2, field "cases[1].name", says "earlier case";
    name_not_kebab: "yaml", "cases:\n  - name: My Case\n    covers: x\n    request: {}\n    expect: {status: 201}\n" => line 2, field "cases[0].name", says "kebab-case";
    json_and_raw: "yaml", format!("{HEAD}    request: {{json: {{}}, raw: x}}\n    expect: {{status: 201}}\n") => line 2, field "cases[0].request.raw", says "not both";
    raw_without_content_type: "yaml", format!("{HEAD}    request: {{raw: x}}\n    expect: {{status: 201}}\n") => line 2, field "cases[0].request.headers", says "Content-Type";
    bad_generator: "yaml", format!("{HEAD}    request: {{json: {{a: {{repeat: \"7\", times: -3}}}}}}\n    expect: {{status: 201}}\n") => line 2, field "cases[0].request.json", says "times";
    any_of_with_status: "yaml", format!("{HEAD}    request: {{}}\n    expect: {{status: 201, any_of: [{{status: 400}}]}}\n") => line 2, field "cases[0].expect", says "any_of";
    bad_header_name: "yaml", format!("{HEAD}    request: {{headers: {{\"Bad Name\": x}}}}\n    expect: {{status: 201}}\n") => line 2, field "cases[0].request.headers.Bad Name", says "header name";
    empty_covers: "yaml", "cases:\n  - name: c\n    covers: []\n    request: {}\n    expect: {status: 201}\n" => line 2, field "cases[0].covers", says "at least one";
    json_trailing_garbage: "json", "{\"cases\": []} x" => line 1, field "", says "trailing characters";
    json_wrong_type: "json", "{\"cases\": [{\"name\": \"c\", \"covers\": \"x\", \"request\": {}, \"expect\": {\"status\": 201, \"echo\": \"yes\"}}]}" => line 1, field "cases[0].expect.echo", says "";
}
