//! Export: a case as something another tool runs, a curl command or a Hurl
//! entry. The token never goes in: curl reads `$VCC_TOKEN`, Hurl `{{token}}`.

use crate::suite::Case;

/// A single-quoted shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The case as a runnable curl command.
pub fn curl(case: &Case, base: &str) -> String {
    let mut cmd = format!("curl -sS -i -X {} {}", case.request.method, shell_quote(&format!("{base}{}", case.request.path)));
    for (name, value) in &case.request.headers {
        cmd.push_str(&format!(" \\\n  -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if case.request.auth {
        cmd.push_str(&format!(" \\\n  -H \"Authorization: {} $VCC_TOKEN\"", case.request.auth_scheme));
    }
    if !case.request.body.is_empty() {
        cmd.push_str(&format!(" \\\n  --data-binary {}", shell_quote(&String::from_utf8_lossy(&case.request.body))));
    }
    cmd
}

/// The case as a Hurl entry that checks the status (`HTTP *` where several are
/// allowed). Run with `hurl --test --variable token=...`.
pub fn hurl(case: &Case, base: &str) -> String {
    let mut out = format!("# {}\n{} {base}{}\n", case.test_name(), case.request.method, case.request.path);
    for (name, value) in &case.request.headers {
        out.push_str(&format!("{name}: {}\n", value.replace("{{", "\\{\\{")));
    }
    if case.request.auth {
        out.push_str(&format!("Authorization: {} {{{{token}}}}\n", case.request.auth_scheme));
    }
    if !case.request.body.is_empty() {
        let body = String::from_utf8_lossy(&case.request.body).replace("{{", "\\{\\{");
        out.push_str(&format!("```\n{body}\n```\n"));
    }
    match case.expect.one().and_then(|e| e.status.single()) {
        Some(one) => out.push_str(&format!("HTTP {one}\n\n")),
        None => out.push_str("HTTP *\n\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    fn case(name: &str) -> Case {
        let (cases, _) = crate::exec::load_shipped().unwrap();
        cases.into_iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn curl_commands_quote_and_keep_the_token_out() {
        let cmd = curl(&case("reference-invalid"), "http://h");
        assert!(cmd.starts_with("curl -sS -i -X POST 'http://h/v0/a1b2c3d4e5/calls/'"), "{cmd}");
        assert!(cmd.contains("-H \"Authorization: Bearer $VCC_TOKEN\""), "{cmd}");
        assert!(cmd.contains("not a url!"), "{cmd}");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn hurl_entries_check_the_status_and_keep_the_token_out() {
        let entry = hurl(&case("reference-invalid"), "http://h");
        assert!(entry.starts_with("# errors-request::reference-invalid\nPOST http://h/v0/a1b2c3d4e5/calls/\n"), "{entry}");
        assert!(entry.contains("Authorization: Bearer {{token}}\n```\n{\"from\""), "{entry}");
        assert!(entry.ends_with("```\nHTTP 400\n\n"), "{entry}");
        assert!(hurl(&case("number-30-characters"), "http://h").ends_with("HTTP *\n\n"));
        assert!(!hurl(&case("no-bearer-token"), "http://h").contains("Authorization"));
    }
}
