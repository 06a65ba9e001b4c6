//! Each encoding a secret may take, encoded here independently of the matcher,
//! and hidden by it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::{Needles, one_by_one};

/// A secret with every character an encoding changes: a slash, a plus, a
/// quote, a backslash, a space, `&`, `=`, `<`, a two-byte letter and one
/// outside the Basic Multilingual Plane.
const SECRET: &str = "Sé/+\"\\ &=<x🦀Tok9";

fn needles(secret: &str, user: Option<&str>) -> Needles {
    let mut n = Needles::default();
    n.add(secret, user);
    n
}

fn json(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

fn unicode_escaped(text: &str, upper: bool) -> String {
    text.encode_utf16().map(|u| if upper { format!("\\u{u:04X}") } else { format!("\\u{u:04x}") }).collect()
}

fn percent(text: &str, upper: bool) -> String {
    text.bytes().map(|b| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }).collect()
}

fn form(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Every encoding of `secret` the brief names, each with its name.
fn encodings(secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("raw", secret.to_owned()),
        ("upper-cased", secret.to_uppercase()),
        ("lower-cased", secret.to_lowercase()),
        ("ASCII case swapped", secret.chars().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()),
        ("JSON", json(secret)),
        ("JSON with \\/", json(secret).replace('/', "\\/")),
        ("JSON \\u, upper hex", unicode_escaped(secret, true)),
        ("JSON \\u, lower hex", unicode_escaped(secret, false)),
        ("JSON escaped twice", json(&json(secret).replace('/', "\\/"))),
        ("JSON \\u escaped twice", json(&unicode_escaped(secret, true))),
        ("percent, upper hex", percent(secret, true)),
        ("percent, lower hex", percent(secret, false)),
        ("form", form(secret)),
        ("form with %20", form(secret).replace('+', "%20")),
        ("form, lower hex", form(secret).to_lowercase()),
        ("HTML", html(secret)),
        ("HTML numeric", secret.chars().map(|c| format!("&#{};", c as u32)).collect()),
        ("base64", STANDARD.encode(secret)),
        ("base64url", URL_SAFE.encode(secret)),
        ("base64 in JSON", json(&STANDARD.encode(secret)).replace('/', "\\/")),
        ("base64, form-encoded", form(&STANDARD.encode(secret))),
        ("JSON, then percent-encoded", percent(&json(secret).replace('/', "\\/"), false)),
        ("form-encoded, then JSON \\u", unicode_escaped(&form(secret), true)),
        ("JSON \\u, then form-encoded", form(&unicode_escaped(secret, false))),
        ("JSON, then HTML", html(&json(secret))),
        ("percent twice", percent(&percent(secret, true), false)),
        ("percent three times", percent(&percent(&percent(secret, false), true), false)),
        ("form, then form again", form(&form(secret))),
        ("JSON, then percent twice", percent(&percent(&json(secret), true), true)),
        ("hex, lower", secret.bytes().map(|b| format!("{b:02x}")).collect()),
        ("hex, upper", secret.bytes().map(|b| format!("{b:02X}")).collect()),
        ("\\x escapes", secret.bytes().map(|b| format!("\\x{b:02x}")).collect()),
        ("HTML hex entities without ;", secret.chars().map(|c| format!("&#x{:x}", c as u32)).collect()),
        ("HTML decimal entities without ;", secret.chars().map(|c| format!("&#{}", c as u32)).collect()),
        ("HTML named entities without ;", html(secret).replace(';', "")),
    ]
}

#[test]
fn every_encoding_of_a_secret_is_hidden() {
    let n = needles(SECRET, None);
    for (name, encoded) in encodings(SECRET) {
        let text = format!("before {encoded} after");
        assert_eq!(n.redact(&text), "before [redacted] after", "{name}: {encoded}");
    }
}

#[test]
fn a_secret_cut_across_two_lines_or_two_headers_is_hidden_piece_by_piece() {
    let n = needles(SECRET, None);
    for cut in SECRET.char_indices().map(|(at, _)| at).skip(1) {
        let (first, second) = SECRET.split_at(cut);
        for between in ["\n", "\r\n", "\n  ", "\r\nX-Echo-2: ", "\n  x-part: "] {
            let text = format!("x-part: {first}{between}{second}\nnext: line");
            let hidden = n.redact(&text);
            // Each piece is hidden, what was between them kept. (A space that starts
            // the second piece reads as the next line's indent, and shows.)
            let indent = if second.starts_with(' ') { " " } else { "" };
            assert_eq!(hidden, format!("x-part: [redacted]{between}{indent}[redacted]\nnext: line"), "cut at {cut}");
        }
    }
    // JSON-escaped line breaks inside a body's string, too.
    let body = format!(r#"{{"message":"{}\n{}"}}"#, json(&SECRET[..6]), json(&SECRET[6..]));
    assert_eq!(n.redact(&body), r#"{"message":"[redacted]\n[redacted]"}"#);
}

#[test]
fn base64_wrapped_at_76_columns_is_hidden_wherever_the_lines_break() {
    let n = needles(SECRET, None);
    for pad in 0..80 {
        let encoded = STANDARD.encode(format!("{}{SECRET}tail-of-the-text", "p".repeat(pad)));
        let wrapped: Vec<&str> = encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
        for newline in ["\n", "\r\n"] {
            let text = wrapped.join(newline);
            let hidden = n.redact(&text);
            assert!(hidden.contains("[redacted]"), "{pad}: {hidden}");
            // What is left, read as base64 at each alignment, holds no 6 bytes of the secret.
            for part in hidden.split("[redacted]").map(|part| part.replace(newline, "")) {
                for skip in 0..4.min(part.len()) {
                    let usable = (part.len() - skip) / 4 * 4;
                    let Ok(bytes) = STANDARD.decode(&part[skip..skip + usable]) else { continue };
                    assert!(!bytes.windows(6).any(|w| SECRET.as_bytes().windows(6).any(|s| s == w)), "{pad}: {hidden}");
                }
            }
        }
    }
}

#[test]
fn encodings_may_be_mixed_within_one_secret() {
    let n = needles("mixed/Secret value", None);
    for mixed in ["mixed\\/SECRET+value", "mixed%2fsecret%20Value", "mixed\\u002FSecret\\u0020value", "MIXED&#47;secret value"] {
        assert_eq!(n.redact(&format!("<{mixed}>")), "<[redacted]>", "{mixed}");
    }
}

#[test]
fn basic_credentials_and_base64_inside_longer_text_are_hidden() {
    let n = needles("client-Secret/42?", Some("qa-client"));
    let basic = STANDARD.encode("qa-client:client-Secret/42?");
    assert_eq!(n.redact(&format!("Authorization: Basic {basic}")), "Authorization: Basic [redacted]");
    assert_eq!(n.redact(&format!("{{\"auth\":\"Basic {}\"}}", basic.replace('/', "\\/"))), "{\"auth\":\"Basic [redacted]\"}");
    // The secret within any base64 text, whatever bytes come before and after it:
    // at most the three characters on each side that mix its bits with others remain.
    for before in ["", "a", "ab", "abc", "other-user:"] {
        for after in ["", "z", "zy"] {
            let encoded = STANDARD.encode(format!("{before}client-Secret/42?{after}"));
            let hidden = n.redact(&encoded);
            let (left, right) = hidden.split_once("[redacted]").unwrap_or_else(|| panic!("{before}|{after}: {hidden}"));
            // What remains: the neighbours' own characters, plus at most one that mixes.
            let (left_most, right_most) = (before.len() * 8 / 6 + 1, (after.len() * 8).div_ceil(6) + 1);
            assert!(left.len() <= left_most && right.trim_end_matches('=').len() <= right_most, "{before}|{after}: {hidden}");
        }
    }
}

#[test]
fn ordinary_text_and_near_misses_are_left_alone() {
    let n = needles("near-miss-secret", None);
    for text in ["near-miss-secre", "near miss secret", "near-miss-secrex", "%zz \\q &bogus; &#xZZ; \\ud800 + %"] {
        assert_eq!(n.redact(text), text);
    }
    assert!(matches!(n.redact("plain"), std::borrow::Cow::Borrowed(_)));
    // Every occurrence, next to each other too, and the text around them whole.
    assert_eq!(n.redact("é near-miss-secretNEAR-MISS-SECRET é"), "é [redacted][redacted] é");
}

#[test]
fn a_secret_that_looks_like_an_escape_is_still_found_both_ways() {
    // `%25` spelt literally, and its `%` percent-encoded: the text and its decoded view.
    let n = needles("a%25b%25c%25d", None);
    assert_eq!(n.redact("x a%25b%25c%25d x"), "x [redacted] x");
    assert_eq!(n.redact("x a%2525b%2525c%2525d x"), "x [redacted] x");
    let backslashes = needles("back\\\\slash\\u0041", None);
    assert_eq!(backslashes.redact(&json("back\\\\slash\\u0041")), "[redacted]");
    // A long secret made of escapes, escaped.
    let long = needles(&"%25".repeat(200), None);
    assert_eq!(long.redact(&"%2525".repeat(200)), "[redacted]");
}

#[test]
fn overlapping_finds_are_hidden_as_one() {
    let mut n = needles("overlap-secret-one", None);
    n.add("secret-one-and-two", None);
    assert_eq!(n.redact("<overlap-secret-one-and-two>"), "<[redacted]>");
    // A find in a decoded view that overlaps one in the text itself.
    assert_eq!(n.redact("<overlap-secret%2Done-and-two>"), "<[redacted]>");
}

#[test]
fn the_characters_around_a_match_stay_whole() {
    let n = needles("ünïcode-sécret", None);
    assert_eq!(n.redact("ÿünïcode-sécretÿ"), "ÿ[redacted]ÿ");
    assert_eq!(n.redact("ÿÜNÏCODE-SÉCRETÿ"), "ÿ[redacted]ÿ", "Unicode upper case");
}

#[test]
fn without_the_automaton_the_same_places_are_found() {
    let mut n = needles("first-Secret-1", Some("qa"));
    n.add("first-secret-1-and-more", None);
    let text = b"x FIRST-SECRET-1-and-more y first-secret-1 z";
    let mut by_automaton = n.find(text);
    let mut each = one_by_one(&n.list, text);
    by_automaton.sort_unstable();
    each.sort_unstable();
    assert_eq!(by_automaton, each);
    assert_eq!(each, [(2, 16), (2, 25), (28, 42)]);
}
