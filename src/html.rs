//! HTML: the run as one self-contained page (no external assets, no script) for
//! people who would rather look than read: a summary (passed, failed, ignored,
//! time), then each case with its documented item, the request (token
//! redacted), the response, and the diff where it failed. Failed cases come
//! first and open.

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::{Record, Status};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The findings, with the lines of a diff marked as removed or added.
fn findings(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let inner = line.trim_start();
        let class = if inner.starts_with("---") || inner.starts_with("+++") {
            ""
        } else if inner.starts_with('-') && !inner.starts_with("- ") {
            "del"
        } else if inner.starts_with('+') {
            "ins"
        } else {
            ""
        };
        let _ = writeln!(out, "<span class=\"{class}\">{}</span>", escape(line));
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}\
h1{font-size:1.4rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;text-align:left}\
#summary td{font-size:1.2rem;font-weight:600}.passed{color:#17692e}.failed{color:#b3261e}.ignored{color:#7a5b00}\
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}\
summary{cursor:pointer}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}\
.del{background:#fde2e1}.ins{background:#dcf5e3}.covers{color:#555}";

/// The page.
pub fn render(records: &[Record], total: Duration, target: &str) -> String {
    let count = |want: fn(&Status) -> bool| records.iter().filter(|r| want(&r.status)).count();
    let passed = count(|s| matches!(s, Status::Passed));
    let failed = count(|s| matches!(s, Status::Failed));
    let ignored = count(|s| matches!(s, Status::Ignored(_)));
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>vcc-conformance: {failed} failed, {passed} passed</title><style>{STYLE}</style></head><body>\n\
<h1>Conformance of POST v0/{{accountKey}}/calls/ at {}</h1>\n\
<table id=\"summary\"><tr><th>passed</th><th>failed</th><th>ignored</th><th>time</th></tr>\
<tr><td class=\"passed\" id=\"passed\">{passed}</td><td class=\"failed\" id=\"failed\">{failed}</td>\
<td class=\"ignored\" id=\"ignored\">{ignored}</td><td id=\"time\">{:.3} s</td></tr></table>\n",
        escape(target),
        total.as_secs_f64()
    );
    let mut ordered: Vec<&Record> = records.iter().collect();
    ordered.sort_by_key(|r| (!matches!(r.status, Status::Failed), r.name.clone()));
    for r in ordered {
        let (class, label, open) = match &r.status {
            Status::Passed => ("passed", "passed".to_owned(), ""),
            Status::Failed => ("failed", "FAILED".to_owned(), " open"),
            Status::Ignored(why) => ("ignored", format!("ignored: {why}"), ""),
        };
        let documented = if r.documented { "" } else { " (not documented on the page)" };
        let _ = write!(
            page,
            "<details class=\"case case-{class}\"{open}><summary><span class=\"{class}\">{}</span> <b>{}</b> \
<span class=\"covers\">covers {}{documented} · {}:{} · {} ms</span></summary>\n",
            escape(&label),
            escape(&r.name),
            escape(&r.covers.join("; ")),
            escape(&r.source),
            r.line,
            r.time.as_millis()
        );
        if !r.exchange.is_empty() {
            let _ = write!(page, "<pre>{}</pre>\n", escape(&r.exchange));
        }
        if !r.findings.is_empty() {
            let _ = write!(page, "<pre class=\"findings\">{}</pre>\n", findings(&r.findings));
        }
        page.push_str("</details>\n");
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, status: Status) -> Record {
        Record {
            name: name.into(),
            file: "f".into(),
            source: "cases/f.yaml".into(),
            line: 1,
            covers: vec!["400: <x>".into()],
            documented: true,
            status,
            time: Duration::from_millis(3),
            exchange: "request:\n  POST u\n  {\"a\":\"<script>\"}\n".into(),
            findings: "findings:\n  - message differs:\n    -old\n    +new\n".into(),
        }
    }

    #[test]
    fn the_page_is_self_contained_escaped_and_summarised() {
        let page = render(
            &[record("f::a", Status::Passed), record("f::b", Status::Failed), record("f::c", Status::Ignored("real call".into()))],
            Duration::from_millis(1500),
            "http://h",
        );
        assert!(page.contains("<td class=\"passed\" id=\"passed\">1</td>"));
        assert!(page.contains("<td class=\"failed\" id=\"failed\">1</td>"));
        assert!(page.contains("<td class=\"ignored\" id=\"ignored\">1</td>"));
        assert!(page.contains("1.500 s"));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("<span class=\"del\">    -old</span>") && page.contains("<span class=\"ins\">    +new</span>"));
        assert!(!page.contains("src=") && !page.contains("href="), "no external assets");
        assert!(page.find("f::b").unwrap() < page.find("f::a").unwrap(), "failures first");
    }
}
