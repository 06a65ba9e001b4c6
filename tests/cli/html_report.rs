//! The HTML report as a browser shows it: headless Chromium renders the page a
//! failing run wrote, and the summary it shows must match the run's own summary
//! line. Without a browser the test fails: `scripts/test` (the README's test
//! command, which `.ci/run` runs) installs Debian's chromium first.

use std::process::{Command, Stdio};

use crate::common::vcc_command;

const BIN: &str = env!("CARGO_BIN_EXE_vcc-conformance");

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| {
        Command::new(b).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

/// The text of the element with this id in a rendered DOM.
fn text_of(dom: &str, id: &str) -> String {
    let at = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find('<').unwrap();
    dom[start..end].trim().to_owned()
}

#[test]
fn the_browser_shows_the_summary_of_the_run() {
    let dir = std::env::temp_dir().join(format!("vcc-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    // A failing run: the busy agent as every caller.
    let out = vcc_command(BIN)
        .args(["run", "--var", "agentId=7001", "--html", page.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().find(|l| l.starts_with("test result:")).expect("a summary line");
    let number = |word: &str| -> String {
        let words: Vec<&str> = summary.split(|c: char| c.is_whitespace() || c == ';' || c == '.').filter(|w| !w.is_empty()).collect();
        let at = words.iter().position(|w| *w == word).unwrap_or_else(|| panic!("no {word} in {summary}"));
        words[at - 1].to_owned()
    };
    let (passed, failed, ignored) = (number("passed"), number("failed"), number("ignored"));
    assert_ne!(failed, "0", "{summary}");

    let browser = chromium().expect(
        "no chromium to render the HTML report: install it (Debian: apt-get install chromium), or run scripts/test, which does",
    );
    let profile = dir.join("profile");
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text_of(&dom, "passed"), passed, "{summary}");
    assert_eq!(text_of(&dom, "failed"), failed, "{summary}");
    assert_eq!(text_of(&dom, "ignored"), ignored, "{summary}");
    // The page opens with the run's verdict and the contract line the console ends with.
    assert_eq!(text_of(&dom, "verdict"), format!("FAILED: {failed} cases failed"), "{summary}");
    let contract = stdout.lines().find_map(|l| l.strip_prefix("contract: ")).expect("a contract line");
    let verified = contract.split(" documented items verified").next().unwrap();
    assert!(text_of(&dom, "contract-line").starts_with(&format!("{verified} documented items verified")), "{contract}");
    assert!(dom.find("id=\"verdict\"").unwrap() < dom.find("id=\"summary\"").unwrap(), "the verdict comes first");
    assert!(dom.contains("Unable to place call - Agent number busy"));
    assert!(dom.contains("Authorization: Bearer [redacted]"));
}
