//! A text read through the decodings a secret may hide behind: JSON escapes
//! (`\/`, `\"`, `\\`, `\uXXXX` with surrogate pairs; applied again and again,
//! for JSON escaped several times over), percent escapes (either hex case,
//! and `+` for a space as in form encoding: a secret with a `+` is also
//! looked for with a space there) and HTML entities, each alone and each
//! after another. Every decoded byte keeps the span of the original text it
//! came from, so that a match in a decoded view hides the original.
//!
//! Each view costs one pass over the text, and only the decodings the text
//! calls for (it has a `\`, a `%`, a `+` or a `&`) are made.

/// How many times JSON unescaping is applied at most (a secret JSON-escaped
/// six times over is still found).
const JSON_PASSES: usize = 6;

/// The text as one decoding (or two) gives it.
pub(super) struct View {
    pub bytes: Vec<u8>,
    /// For each byte, the original bytes it stands for: `start..end`.
    spans: Vec<(u32, u32)>,
}

impl View {
    /// The original span of `bytes[start..end]`.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        (self.spans[start].0 as usize, self.spans[end - 1].1 as usize)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Decoding {
    Json,
    Form,
    Html,
}

const DECODINGS: [Decoding; 3] = [Decoding::Json, Decoding::Form, Decoding::Html];

impl Decoding {
    /// Whether it would change anything in `bytes`.
    fn applies(self, bytes: &[u8]) -> bool {
        let marks: &[u8] = match self {
            Decoding::Json => b"\\",
            Decoding::Form => b"%+",
            Decoding::Html => b"&",
        };
        bytes.iter().any(|b| marks.contains(b))
    }

    /// The views this decoding gives of `input` (one per pass for JSON).
    fn views(self, input: &Source) -> Vec<View> {
        let mut views: Vec<View> = vec![decode(self, input)];
        if self == Decoding::Json {
            while views.len() < JSON_PASSES && views.last().is_some_and(|v| Decoding::Json.applies(&v.bytes)) {
                let next = decode(self, &Source::View(views.last().expect("one view at least")));
                if views.last().is_some_and(|v| v.bytes == next.bytes) {
                    break;
                }
                views.push(next);
            }
        }
        views
    }
}

/// What a decoding reads: the original text, or a view of it.
enum Source<'a> {
    Text(&'a [u8]),
    View(&'a View),
}

impl Source<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Source::Text(bytes) => bytes,
            Source::View(view) => &view.bytes,
        }
    }

    fn span(&self, start: usize, end: usize) -> (u32, u32) {
        match self {
            Source::Text(_) => (start as u32, end as u32),
            Source::View(view) => (view.spans[start].0, view.spans[end - 1].1),
        }
    }
}

/// Every decoded view of `text` (the text itself excluded): each decoding
/// alone, then another one after it.
pub(super) fn views(text: &str) -> Vec<View> {
    let text = Source::Text(text.as_bytes());
    let mut all = Vec::new();
    for first in DECODINGS.into_iter().filter(|d| d.applies(text.bytes())) {
        for once in first.views(&text) {
            for then in DECODINGS.into_iter().filter(|d| *d != first && d.applies(&once.bytes)) {
                all.extend(then.views(&Source::View(&once)));
            }
            all.push(once);
        }
    }
    all
}

fn hex(bytes: &[u8], at: usize, digits: usize) -> Option<u32> {
    let part = bytes.get(at..at + digits)?;
    part.iter().try_fold(0, |n, &b| Some(n * 16 + (b as char).to_digit(16)?))
}

/// One pass of `decoding` over `input`.
fn decode(decoding: Decoding, input: &Source) -> View {
    let bytes = input.bytes();
    let mut view = View { bytes: Vec::with_capacity(bytes.len()), spans: Vec::with_capacity(bytes.len()) };
    let mut at = 0;
    while at < bytes.len() {
        let mut utf8 = [0u8; 4];
        let (decoded, width): (&[u8], usize) = match decoding {
            Decoding::Json => json_escape(bytes, at).map_or((&bytes[at..=at], 1), |(c, w)| (c.encode_utf8(&mut utf8).as_bytes(), w)),
            Decoding::Form => match bytes[at] {
                b'%' => hex(bytes, at + 1, 2).map_or((&bytes[at..=at], 1), |b| {
                    utf8[0] = b as u8;
                    (&utf8[..1], 3)
                }),
                b'+' => (b" ", 1),
                _ => (&bytes[at..=at], 1),
            },
            Decoding::Html => entity(&bytes[at..]).map_or((&bytes[at..=at], 1), |(c, w)| (c.encode_utf8(&mut utf8).as_bytes(), w)),
        };
        let span = input.span(at, at + width);
        view.bytes.extend_from_slice(decoded);
        view.spans.extend(std::iter::repeat_n(span, decoded.len()));
        at += width;
    }
    view
}

/// A JSON (or JavaScript) escape at `at`: the character and its width.
fn json_escape(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    if bytes[at] != b'\\' {
        return None;
    }
    let c = match *bytes.get(at + 1)? {
        c @ (b'"' | b'\\' | b'/' | b'\'') => c as char,
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = hex(bytes, at + 2, 4)?;
            if !(0xD800..0xDC00).contains(&unit) {
                return Some((char::from_u32(unit)?, 6));
            }
            let low = hex(bytes, at + 8, 4).filter(|l| bytes.get(at + 6..at + 8) == Some(b"\\u") && (0xDC00..0xE000).contains(l))?;
            return Some((char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?, 12));
        }
        _ => return None,
    };
    Some((c, 2))
}

/// An HTML entity at the start of `rest`: a named one a report escapes, or a
/// numeric one; the character and its width.
fn entity(rest: &[u8]) -> Option<(char, usize)> {
    if rest.first() != Some(&b'&') {
        return None;
    }
    for (name, c) in [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&apos;", '\'')] {
        if rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Some((c, name.len()));
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
    Some((char::from_u32(u32::from_str_radix(number, radix).ok()?)?, end + 1))
}
