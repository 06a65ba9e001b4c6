//! How a secret may look, and hiding it wherever it shows.
//!
//! Each secret becomes a few needles: itself (also lower- and upper-cased, for
//! non-ASCII letters, and as the passes of [`super::decoded`] read it, should it
//! hold what looks like an escape); the base64 forms of it and of it as a JSON
//! body or a form carries it (whole, both alphabets; inside any longer base64
//! text, at each of the three alignments, the characters that only the secret
//! determines; and `user:secret` as Basic credentials); and its bytes in hex.
//!
//! The needles are looked for, without regard to ASCII case, in the text and
//! in each pass of [`super::decoded`] over it (JSON, percent, form and HTML
//! escapes, `\xHH`, line breaks joined; decoded again while that changes
//! anything), so that every encoding of every needle is found. One automaton
//! finds all needles in one scan of each pass.
//!
//! Secrets can be forgotten again (a token nothing can echo any more): the
//! needles are kept per secret, and the automaton is built anew from those left.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::decoded;
use super::{MIN_LEN, REDACTED};

/// One secret hidden, how many times it was told, and its needles.
struct Hidden {
    secret: String,
    user: Option<String>,
    told: usize,
    needles: Vec<Vec<u8>>,
}

/// The needles of every secret of a run.
#[derive(Default)]
pub(super) struct Needles {
    secrets: Vec<Hidden>,
    /// Every secret's needles, each once (ASCII case aside).
    list: Vec<Vec<u8>>,
    /// Finds every needle, ASCII case aside, overlapping ones too.
    finder: Option<AhoCorasick>,
}

impl Needles {
    pub(super) fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// How many secrets are hidden.
    pub(super) fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Adds the needles of `secret` (and of `user:secret` in Basic credentials).
    pub(super) fn add(&mut self, secret: &str, user: Option<&str>) {
        if secret.is_empty() {
            return;
        }
        if let Some(hidden) = self.secrets.iter_mut().find(|h| h.secret == secret && h.user.as_deref() == user) {
            hidden.told += 1;
            return;
        }
        let needles = needles_of(secret, user);
        self.secrets.push(Hidden { secret: secret.to_owned(), user: user.map(str::to_owned), told: 1, needles });
        self.build();
    }

    /// Takes back one [`Needles::add`] of `secret`: once each is taken back,
    /// it is no longer hidden.
    pub(super) fn remove(&mut self, secret: &str, user: Option<&str>) {
        let Some(at) = self.secrets.iter().position(|h| h.secret == secret && h.user.as_deref() == user) else { return };
        self.secrets[at].told -= 1;
        if self.secrets[at].told == 0 {
            self.secrets.swap_remove(at);
            self.build();
        }
    }

    /// The list and the automaton, from the secrets' needles.
    fn build(&mut self) {
        self.list.clear();
        for needle in self.secrets.iter().flat_map(|h| &h.needles) {
            // Needles are found without regard to ASCII case: one of each is enough.
            if !self.list.iter().any(|n| n.eq_ignore_ascii_case(needle)) {
                self.list.push(needle.clone());
            }
        }
        let builder = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // Quick to build (a token refresh adds needles) and still one scan.
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&self.list);
        // Should the automaton not build (it has no reason to), the needles
        // are still found one by one.
        self.finder = builder.ok();
    }

    /// `text` with every needle, in the text or in a pass over it, replaced by
    /// [`REDACTED`] (overlapping finds as one).
    pub(super) fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.list.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut hidden = self.find(text.as_bytes());
        decoded::each_pass(text, |view| {
            for (start, end) in self.find(&view.bytes) {
                hidden.extend(view.pieces(start, end));
            }
        });
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

/// The needles of `secret`: as is and case-changed; its base64 and hex forms;
/// its Basic credentials with `user`; each of them also as the decoding passes
/// read it (a `+` of base64 read as a space, say), and the secret also with
/// each of its spaces left out (a line join leaves out the spaces that start a
/// line, which a piece of a secret cut there may start with). Every needle but
/// the secret itself is at least [`MIN_LEN`] long.
fn needles_of(secret: &str, user: Option<&str>) -> Vec<Vec<u8>> {
    let mut forms = vec![secret.to_owned(), secret.to_lowercase(), secret.to_uppercase()];
    let spaces = secret.char_indices().filter(|(_, c)| *c == ' ' || *c == '\t').map(|(at, _)| at).take(MAX_SPACES_LEFT_OUT);
    forms.extend(spaces.map(|at| format!("{}{}", &secret[..at], &secret[at + 1..])).collect::<Vec<_>>());
    // The secret as sent in a JSON body or a form, in base64 and hex too.
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_owned();
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    for sent in [secret.to_owned(), json.replace('/', "\\/"), json, form] {
        forms.extend(base64_forms(sent.as_bytes()));
        forms.push(hex(sent.as_bytes()));
    }
    if let Some(user) = user {
        forms.push(STANDARD.encode(format!("{user}:{secret}")));
    }
    let mut needles = Vec::new();
    for form in forms {
        needles.extend(decoded::passes(&form));
        needles.push(form.into_bytes());
    }
    // A needle too short to be told from ordinary text is left out (the
    // secret itself is always looked for).
    needles.retain(|n| n.len() >= MIN_LEN || n == secret.as_bytes());
    needles
}

/// How many of a secret's spaces are each left out of a needle of their own.
const MAX_SPACES_LEFT_OUT: usize = 16;

/// Bytes as hex digits (found in either case).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
