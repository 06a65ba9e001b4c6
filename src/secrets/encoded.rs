//! Where a secret may hide in a text, and finding it there.
//!
//! Each secret becomes a few needles: itself (also lower- and upper-cased, for
//! non-ASCII letters), and its base64 forms (whole, both alphabets; inside any
//! longer base64 text, at each of the three alignments, the characters that
//! only the secret determines; and `user:secret` as Basic credentials).
//!
//! A needle is then looked for through every encoding at once: at each place
//! the text is read unit by unit, a unit being a character (compared without
//! regard to ASCII case), a JSON escape (`\/`, `\"`, `\\`, `\n`..., `\uXXXX`
//! with surrogate pairs, also escaped twice), a percent escape (`%2f` or
//! `%2F`), `+` for a space (form encoding), or an HTML entity. The escapes may
//! be mixed, and a match is a run of units spelling the needle's bytes.

use std::borrow::Cow;
use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::{MIN_LEN, REDACTED};

/// The needles of every secret of a run.
pub(super) struct Needles {
    list: Vec<Vec<u8>>,
    /// The bytes a match may start with: a needle's first byte (either case)
    /// or the first byte of an escape.
    starts: [bool; 256],
}

impl Default for Needles {
    fn default() -> Needles {
        let mut starts = [false; 256];
        for b in [b'\\', b'%', b'+', b'&'] {
            starts[usize::from(b)] = true;
        }
        Needles { list: Vec::new(), starts }
    }
}

impl Needles {
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds the needles of `secret` (and of `user:secret` in Basic credentials).
    pub(super) fn add(&mut self, secret: &str, user: Option<&str>) {
        if secret.is_empty() {
            return;
        }
        let mut forms = vec![secret.to_owned(), secret.to_lowercase(), secret.to_uppercase()];
        forms.extend(base64_forms(secret.as_bytes()));
        if let Some(user) = user {
            forms.push(STANDARD.encode(format!("{user}:{secret}")));
        }
        for form in forms.into_iter().map(String::into_bytes) {
            if form.is_empty() || self.list.contains(&form) {
                continue;
            }
            self.starts[usize::from(form[0].to_ascii_lowercase())] = true;
            self.starts[usize::from(form[0].to_ascii_uppercase())] = true;
            self.list.push(form);
        }
    }

    /// `text` with every needle replaced by [`REDACTED`], leftmost first and
    /// each the longest found there.
    pub(super) fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            if self.starts[usize::from(bytes[at])] && text.is_char_boundary(at) {
                if let Some(end) = self.list.iter().filter_map(|n| longest_match(bytes, at, n)).max() {
                    let end = (end..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
                    out.push_str(&text[copied..at]);
                    out.push_str(REDACTED);
                    (copied, at) = (end, end);
                    continue;
                }
            }
            at += 1;
        }
        if copied == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }
}

/// The base64 forms of a secret: whole with padding, in the standard and the
/// URL-safe alphabet, and the part of its encoding inside a longer base64 text
/// that does not depend on its neighbours, for each of the three alignments.
fn base64_forms(secret: &[u8]) -> Vec<String> {
    let mut forms = Vec::new();
    for engine in [STANDARD, URL_SAFE] {
        forms.push(engine.encode(secret));
        for shift in 0..3 {
            let shifted: Vec<u8> = std::iter::repeat_n(0, shift).chain(secret.iter().copied()).collect();
            let encoded = engine.encode(&shifted);
            // Character i carries bits 6i..6i+6; keep those wholly inside the secret's bits.
            let (from, to) = ((8 * shift).div_ceil(6), 8 * (shift + secret.len()) / 6);
            if to >= from + MIN_LEN {
                forms.extend(encoded.get(from..to).map(str::to_owned));
            }
        }
    }
    forms
}

/// One way of reading the text at a place: the bytes it stands for, and how
/// many bytes of the text it takes.
#[derive(Clone, Copy)]
struct Reading {
    bytes: [u8; 4],
    len: usize,
    width: usize,
}

impl Reading {
    fn byte(b: u8, width: usize) -> Reading {
        Reading { bytes: [b, 0, 0, 0], len: 1, width }
    }

    fn char(c: char, width: usize) -> Reading {
        let mut bytes = [0; 4];
        let len = c.encode_utf8(&mut bytes).len();
        Reading { bytes, len, width }
    }

    /// Whether it spells `needle` from `k` on (ASCII case aside).
    fn fits(&self, needle: &[u8], k: usize) -> bool {
        needle.get(k..k + self.len).is_some_and(|n| n.eq_ignore_ascii_case(&self.bytes[..self.len]))
    }
}

fn hex(text: &[u8], at: usize, digits: usize) -> Option<u32> {
    let part = text.get(at..at + digits)?;
    part.iter().try_fold(0, |n, &b| Some(n * 16 + (b as char).to_digit(16)?))
}

/// The readings of the text at `at` (the character itself always among them).
fn readings(text: &[u8], at: usize) -> [Option<Reading>; 4] {
    let mut found = [None; 4];
    let Some(&first) = text.get(at) else { return found };
    found[0] = Some(Reading::byte(first, 1));
    found[1] = match first {
        b'+' => Some(Reading::byte(b' ', 1)),
        b'%' => hex(text, at + 1, 2).map(|b| Reading::byte(b as u8, 3)),
        b'&' => entity(text, at),
        b'\\' => escape(text, at),
        _ => None,
    };
    if first == b'\\' {
        // An escaped backslash, escaped once or twice.
        for (slot, width) in [(2, 2), (3, 4)] {
            if text.get(at..at + width).is_some_and(|run| run.iter().all(|&b| b == b'\\')) {
                found[slot] = Some(Reading::byte(b'\\', width));
            }
        }
    }
    found
}

/// A JSON (or JavaScript) escape at `at`, behind one or more backslashes.
fn escape(text: &[u8], at: usize) -> Option<Reading> {
    let run = text[at..].iter().take_while(|&&b| b == b'\\').count();
    let after = at + run;
    match *text.get(after)? {
        c @ (b'/' | b'"' | b'\'') => Some(Reading::byte(c, run + 1)),
        b'u' => {
            let unit = hex(text, after + 1, 4)?;
            let end = after + 5;
            if (0xD800..0xDC00).contains(&unit) {
                // A surrogate pair: the low half behind as many backslashes.
                let low_at = end + run;
                let escaped = text.get(end..low_at)?.iter().all(|&b| b == b'\\') && text.get(low_at) == Some(&b'u');
                let low = hex(text, low_at + 1, 4).filter(|l| escaped && (0xDC00..0xE000).contains(l))?;
                let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
                return Some(Reading::char(c, low_at + 5 - at));
            }
            Some(Reading::char(char::from_u32(unit)?, end - at))
        }
        c if run == 1 => {
            let control = match c {
                b'b' => 0x08,
                b'f' => 0x0C,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                _ => return None,
            };
            Some(Reading::byte(control, 2))
        }
        _ => None,
    }
}

/// An HTML entity at `at`: a named one a report escapes, or a numeric one.
fn entity(text: &[u8], at: usize) -> Option<Reading> {
    let rest = &text[at..];
    for (name, c) in [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&apos;", '\'')] {
        if rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Some(Reading::char(c, name.len()));
        }
    }
    let (radix, digits_at) = match rest.get(..3) {
        Some(b"&#x" | b"&#X") => (16, 3),
        _ if rest.get(..2) == Some(b"&#") => (10, 2),
        _ => return None,
    };
    let digits = rest[digits_at..].iter().take(8).take_while(|b| (**b as char).is_digit(radix)).count();
    let end = digits_at + digits;
    if digits == 0 || rest.get(end) != Some(&b';') {
        return None;
    }
    let number = std::str::from_utf8(&rest[digits_at..end]).ok()?;
    let c = char::from_u32(u32::from_str_radix(number, radix).ok()?)?;
    Some(Reading::char(c, end + 1))
}

/// Where the longest reading of `needle` that starts at `start` ends, if any.
fn longest_match(text: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    let first: Vec<Reading> = readings(text, start).into_iter().flatten().filter(|r| r.fits(needle, 0)).collect();
    if first.is_empty() {
        return None;
    }
    // (bytes of the needle spelt, place in the text), each explored once.
    let mut pending: BTreeSet<(usize, usize)> = first.iter().map(|r| (r.len, start + r.width)).collect();
    let mut end = None;
    while let Some((k, at)) = pending.pop_first() {
        if k == needle.len() {
            end = end.max(Some(at));
            continue;
        }
        for reading in readings(text, at).into_iter().flatten().filter(|r| r.fits(needle, k)) {
            pending.insert((k + reading.len, at + reading.width));
        }
    }
    end
}

#[cfg(test)]
mod tests;
