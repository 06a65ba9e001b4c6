//! How a secret may look, and hiding it wherever it shows.
//!
//! Each secret becomes a few needles: itself (also lower- and upper-cased, for
//! non-ASCII letters), and the base64 forms of it and of it as a JSON body or
//! a form carries it (whole, both alphabets; inside any longer base64 text, at
//! each of the three alignments, the characters that only the secret
//! determines; and `user:secret` as Basic credentials).
//!
//! The needles are looked for, without regard to ASCII case, in the text and
//! in each of its decoded views ([`super::decoded`]: JSON escapes, percent or
//! form encoding, HTML entities, alone or one after another), so that every
//! encoding of every needle is found. One automaton finds all needles in one
//! pass over each view.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::decoded;
use super::{MIN_LEN, REDACTED};

/// The needles of every secret of a run.
#[derive(Default)]
pub(super) struct Needles {
    list: Vec<Vec<u8>>,
    /// Finds every needle, ASCII case aside, overlapping ones too.
    finder: Option<AhoCorasick>,
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
        // A form decodes `+` to a space: a `+` of the secret is looked for as one there.
        let mut forms = vec![secret.to_owned(), secret.to_lowercase(), secret.to_uppercase(), secret.replace('+', " ")];
        // In base64, the secret as sent in a JSON body or a form too.
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_owned();
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for sent in [secret.to_owned(), json.replace('/', "\\/"), json, form] {
            forms.extend(base64_forms(sent.as_bytes()));
        }
        if let Some(user) = user {
            forms.push(STANDARD.encode(format!("{user}:{secret}")));
        }
        let before = self.list.len();
        for form in forms.into_iter().map(String::into_bytes) {
            // Needles are found without regard to ASCII case: one of each is enough.
            if !form.is_empty() && !self.list.iter().any(|n| n.eq_ignore_ascii_case(&form)) {
                self.list.push(form);
            }
        }
        if self.list.len() > before {
            let builder = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                // Quick to build (a token refresh adds needles) and still one pass.
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&self.list);
            // Should the automaton not build (it has no reason to), the needles
            // are still found one by one.
            self.finder = builder.ok();
        }
    }

    /// `text` with every needle, in the text or in a decoded view of it,
    /// replaced by [`REDACTED`] (overlapping finds as one).
    pub(super) fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut hidden = self.find(text.as_bytes());
        if !self.list.is_empty() {
            for view in decoded::views(text) {
                hidden.extend(self.find(&view.bytes).into_iter().map(|(start, end)| view.span(start, end)));
            }
        }
        if hidden.is_empty() {
            return Cow::Borrowed(text);
        }
        hidden.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in hidden {
            if end <= copied {
                continue;
            }
            let end = (end..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
            if start >= copied {
                // `copied` is a character boundary, so this start stays at or after it.
                let start = (copied..=start).rev().find(|&s| text.is_char_boundary(s)).unwrap_or(copied);
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
            }
            // (A find that overlaps the one before extends it.)
            copied = end;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// Where the needles are in `bytes`.
    fn find(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        match &self.finder {
            Some(finder) => finder.find_overlapping_iter(bytes).map(|m| (m.start(), m.end())).collect(),
            None => one_by_one(&self.list, bytes),
        }
    }
}

/// Where the needles are in `bytes`, looked for one after the other (slower;
/// for when the automaton cannot be built).
fn one_by_one(needles: &[Vec<u8>], bytes: &[u8]) -> Vec<(usize, usize)> {
    let lower = bytes.to_ascii_lowercase();
    let mut found = Vec::new();
    for needle in needles.iter().map(|n| n.to_ascii_lowercase()) {
        let at = lower.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle.as_slice());
        found.extend(at.map(|(at, _)| (at, at + needle.len())));
    }
    found
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

#[cfg(test)]
mod tests;
