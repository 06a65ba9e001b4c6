//! Lax character checks, as common parsers and regular expressions make them,
//! for the faults that model them. Each reader says what a server with that
//! check goes on with when the check lets a value through (`None`: it refuses
//! the value too). The faults apply a reader to the fields they name, and only
//! where the faithful rules refuse the value and take what the reader gives.

use super::Fault;
use crate::server::rules;

/// What a lax check lets through, as the value the server goes on with.
pub type Reader = fn(&str) -> Option<String>;

pub const AGENT_IDS: &[&str] = &["/from/agentId", "/to/agentId"];
pub const TO_AGENT_ID: &[&str] = &["/to/agentId"];
pub const APPLICATION: &[&str] = &["/application"];
pub const REFERENCE: &[&str] = &["/regarding/reference"];
pub const TEXT: &[&str] = &["/application", "/regarding/reference"];
pub const EVERY_RULE: &[&str] = &["/from/agentId", "/to/agentId", "/application", "/regarding/reference"];

/// Lax character-check faults: the fields each reads laxly, and how.
pub fn checks(fault: Fault) -> &'static [(&'static [&'static str], Reader)] {
    match fault {
        Fault::AgentIdParsedAsInteger => &[(AGENT_IDS, integer)],
        Fault::ToAgentIdParsedAsInteger => &[(TO_AGENT_ID, integer)],
        Fault::AgentIdParsedAsFloat => &[(AGENT_IDS, float)],
        Fault::AgentIdRadixPrefix => &[(AGENT_IDS, radix_prefix)],
        Fault::AgentIdDigitSeparators => &[(AGENT_IDS, digit_separators)],
        Fault::AgentIdUnicodeDigits => &[(AGENT_IDS, unicode_digits)],
        Fault::RegexDollarNewline => &[(EVERY_RULE, dollar_newline)],
        Fault::RegexUnanchored => &[(AGENT_IDS, found_digits), (TEXT, found_alphanumerics)],
        Fault::ApplicationWordRegex => &[(APPLICATION, word)],
        Fault::ApplicationUnicodeAlphanumeric => &[(APPLICATION, unicode_alphanumeric)],
        Fault::ReferenceWordRegex => &[(REFERENCE, word)],
        Fault::ReferenceUnicodeAlphanumeric => &[(REFERENCE, unicode_alphanumeric)],
        Fault::TextFieldsTrimmed => &[(TEXT, trimmed)],
        Fault::ReferenceUrlWithoutScheme => &[(REFERENCE, host_without_scheme)],
        Fault::ReferenceUrlPrefixOnly => &[(REFERENCE, url_prefix)],
        Fault::ReferenceAnyUrlScheme => &[(REFERENCE, any_url)],
        _ => &[],
    }
}

/// A URL the faithful rules take, for a reference a lax URL check let through.
const ACCEPTED_URL: &str = "http://lax.invalid/";

/// [`ACCEPTED_URL`] as long as `s` (in characters, padded with `a`), so that
/// the lax reading changes the reference's characters and not its length: the
/// length rule still sees what was sent.
fn accepted_url_as_long_as(s: &str) -> String {
    let pad = s.chars().count().saturating_sub(ACCEPTED_URL.len());
    format!("{ACCEPTED_URL}{}", "a".repeat(pad))
}

/// Whether the faithful rules take `value` at `pointer`.
pub fn faithful(pointer: &str, value: &str) -> bool {
    match pointer {
        "/application" => rules::application(value).is_ok(),
        "/regarding/reference" => rules::reference(value).is_ok(),
        _ => rules::agent_id(value).is_ok(),
    }
}

/// `long.Parse`, `str::parse::<i64>` after a trim: a sign and white space pass.
pub fn integer(s: &str) -> Option<String> {
    s.trim().parse::<i64>().ok().map(|n| n.unsigned_abs().to_string())
}

/// `double.Parse`, `str::parse::<f64>`: a decimal point and an exponent pass.
pub fn float(s: &str) -> Option<String> {
    let f = s.trim().parse::<f64>().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15).then(|| format!("{}", f.abs() as u64))
}

/// `strtol(s, NULL, 0)`, `int(s, 0)`: `0x`, `0o` and `0b` prefixes pass.
pub fn radix_prefix(s: &str) -> Option<String> {
    let t = s.trim();
    let radix = match t.get(..2)?.to_ascii_lowercase().as_str() {
        "0x" => 16,
        "0o" => 8,
        "0b" => 2,
        _ => return None,
    };
    u64::from_str_radix(&t[2..], radix).ok().map(|n| n.to_string())
}

/// Python's `int()`: `_` between digits passes.
pub fn digit_separators(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.trim().split('_').collect();
    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (parts.len() > 1 && parts.iter().all(digits)).then(|| parts.concat())
}

/// `\d` in .NET, `char.IsDigit`, `char::is_numeric`: decimal digits of any script pass.
pub fn unicode_digits(s: &str) -> Option<String> {
    const ZEROS: &[u32] = &[0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xE50, 0xFF10];
    let digit = |c: char| ZEROS.iter().find_map(|z| (c as u32).checked_sub(*z).filter(|d| *d < 10));
    s.chars().map(|c| digit(c).and_then(|d| char::from_digit(d, 10))).collect()
}

/// `^…$` where `$` also matches before a final newline (.NET, PCRE, Python).
pub fn dollar_newline(s: &str) -> Option<String> {
    s.strip_suffix('\n').map(str::to_owned)
}

/// An unanchored search for digits: one is enough.
pub fn found_digits(s: &str) -> Option<String> {
    let found: String = s.chars().filter(char::is_ascii_digit).collect();
    (!found.is_empty()).then_some(found)
}

/// An unanchored search for letters and digits: one is enough.
pub fn found_alphanumerics(s: &str) -> Option<String> {
    let found: String = s.chars().filter(char::is_ascii_alphanumeric).collect();
    (!found.is_empty()).then_some(found)
}

/// `^\w+$`: `_` passes.
pub fn word(s: &str) -> Option<String> {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then(|| s.replace('_', ""))
}

/// `char::is_alphanumeric`, `char.IsLetterOrDigit`: letters and digits of any script pass.
pub fn unicode_alphanumeric(s: &str) -> Option<String> {
    let ascii = |c: char| if c.is_ascii_alphanumeric() { c } else { 'x' };
    s.chars().all(char::is_alphanumeric).then(|| s.chars().map(ascii).collect())
}

/// Trimmed before the check: surrounding white space passes.
pub fn trimmed(s: &str) -> Option<String> {
    Some(s.trim().to_owned())
}

/// A host without a scheme, taken for `http://` plus the host.
pub fn host_without_scheme(s: &str) -> Option<String> {
    (!s.contains("://")).then(|| format!("http://{s}"))
}

/// Only the `http://` or `https://` prefix looked at.
pub fn url_prefix(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| accepted_url_as_long_as(s))
}

/// Any absolute URL, whatever its scheme.
pub fn any_url(s: &str) -> Option<String> {
    url::Url::parse(s).is_ok().then(|| accepted_url_as_long_as(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reader_lets_through_what_its_parser_does() {
        let cases: &[(Reader, &str, Option<&str>)] = &[
            (integer, "+99999", Some("99999")),
            (integer, " 99999 ", Some("99999")),
            (integer, "12a4", None),
            (float, "99999e0", Some("99999")),
            (float, "99999.0", Some("99999")),
            (float, "99999.5", None),
            (radix_prefix, "0x99999", Some("629145")),
            (radix_prefix, "99999", None),
            (digit_separators, "9_99999", Some("999999")),
            (digit_separators, "9__9", None),
            (unicode_digits, "٩٩٩٩٩", Some("99999")),
            (unicode_digits, "９９９", Some("999")),
            (unicode_digits, "9a", None),
            (dollar_newline, "99999\n", Some("99999")),
            (found_digits, "12a4", Some("124")),
            (found_alphanumerics, "not a url!", Some("notaurl")),
            (word, "app_Name", Some("appName")),
            (unicode_alphanumeric, "appNamé", Some("appNamx")),
            (unicode_alphanumeric, "app-name", None),
            (host_without_scheme, "Test.com", Some("http://Test.com")),
            (url_prefix, "http://Test .com", Some(ACCEPTED_URL)),
            (any_url, "javascript:alert(1)", Some(ACCEPTED_URL)),
            (any_url, "Test.com", None),
        ];
        for (read, input, want) in cases {
            assert_eq!(read(input).as_deref(), *want, "{input:?}");
        }
        assert!(faithful("/to/agentId", "99999") && !faithful("/to/agentId", "+99999"));
        assert!(faithful("/regarding/reference", ACCEPTED_URL) && !faithful("/application", "app_Name"));
    }
}
