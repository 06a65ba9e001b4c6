//! A text read through the decodings a secret may hide behind, all at once in
//! each pass: JSON and JavaScript escapes (`\/`, `\"`, `\\`, `\n`, `\uXXXX`
//! with surrogate pairs, `\xHH`), percent escapes (either hex case, and `+`
//! for a space as in form encoding), HTML entities (named, decimal and hex,
//! with or without the final `;`), and line breaks joined: a break, the
//! spaces after it and a header name (`X-Echo-2: `) starting the next line are
//! left out, so that a secret cut across two lines or two headers reads whole.
//!
//! Each pass decodes what the pass before gave (a secret percent-encoded
//! twice, or JSON-escaped and then percent-encoded, reads whole after two), at
//! most [`MAX_PASSES`] times, and stops as soon as a pass changes nothing: the
//! work is linear in the text, whatever it holds (text between escapes is
//! copied whole). Each pass keeps a map from its stretches to the input they
//! came from, so that a match in a pass hides the original text; where a
//! match runs over left-out text (a line break and a header name), each piece
//! is hidden and what lies between is kept.

/// The most passes made over a text (a secret escaped eight times over, in
/// any mix of encodings, is still found).
pub(super) const MAX_PASSES: usize = 8;

/// A stretch of a pass's output and the input it came from: each output
/// byte standing for `stride` input bytes in turn (text copied, 1; a run of
/// `%XX`, 3), or, with `stride` 0, all of it for the whole of `from..to` (an
/// escape that decodes to a character of several bytes).
#[derive(Clone, Copy, Debug)]
struct Seg {
    out: u32,
    from: u32,
    to: u32,
    stride: u32,
}

/// How one pass's output maps to its input: its stretches in order, and where
/// input was left out between two of them (a line break joined).
#[derive(Default)]
struct Map {
    segs: Vec<Seg>,
    /// The stretches that do not follow on from the one before in the input.
    gaps: Vec<u32>,
}

impl Map {
    /// Notes that the output from `out` on (`len` bytes) stands for `input[from..to]`.
    fn push(&mut self, out: usize, len: usize, from: usize, to: usize) {
        let stride = match len {
            1 => to - from,
            len if len == to - from => 1,
            _ => 0,
        } as u32;
        let (out, from, to) = (out as u32, from as u32, to as u32);
        if let Some(last) = self.segs.last_mut() {
            if from > last.to {
                self.gaps.push(self.segs.len() as u32);
            } else if stride > 0 && last.stride == stride && last.to == from {
                // A run of the same kind goes on: one stretch for all of it.
                last.to = to;
                return;
            }
        }
        self.segs.push(Seg { out, from, to, stride });
    }

    /// The stretch holding output byte `at`.
    fn seg_of(&self, at: usize) -> usize {
        self.segs.partition_point(|s| s.out as usize <= at).saturating_sub(1)
    }

    /// The input `out[start..end]` came from, in pieces split where input was left out.
    fn pieces(&self, start: usize, end: usize, into: &mut Vec<(usize, usize)>) {
        let (first, last) = (self.seg_of(start), self.seg_of(end - 1));
        let input = |seg: &Seg, at: usize, end: bool| match seg.stride {
            0 if end => seg.to as usize,
            0 => seg.from as usize,
            stride => (seg.from + (at as u32 - seg.out + u32::from(end)) * stride) as usize,
        };
        let mut from = input(&self.segs[first], start, false);
        let gaps_from = self.gaps.partition_point(|&g| g as usize <= first);
        for &gap in self.gaps[gaps_from..].iter().take_while(|&&g| g as usize <= last) {
            into.push((from, self.segs[gap as usize - 1].to as usize));
            from = self.segs[gap as usize].from as usize;
        }
        into.push((from, input(&self.segs[last], end - 1, true)));
    }
}

/// The text as the passes so far give it, and how to map a part of it back.
pub(super) struct View {
    pub bytes: Vec<u8>,
    /// One map a pass, the first pass's first.
    maps: Vec<Map>,
}

impl View {
    /// The original text `bytes[start..end]` stands for, in pieces split where
    /// text was left out between them.
    pub fn pieces(&self, start: usize, end: usize) -> Vec<(usize, usize)> {
        let mut ranges = vec![(start, end)];
        for map in self.maps.iter().rev() {
            let mut below = Vec::with_capacity(ranges.len());
            for (start, end) in ranges {
                map.pieces(start, end, &mut below);
            }
            ranges = below;
        }
        ranges
    }
}

/// Where the bytes a pass may decode at are: `\\`, `%`, `&` (escapes) and
/// `+`, `\n`, `\r`, each kind found ahead with memchr, so that the text
/// between them is skipped at its speed.
struct Marks<'a> {
    input: &'a [u8],
    /// The next of each kind at or after where it was last asked (the input's
    /// length: none).
    next: [usize; 2],
}

impl Marks<'_> {
    fn new(input: &[u8]) -> Marks<'_> {
        let mut marks = Marks { input, next: [0; 2] };
        marks.next = [marks.find(0, 0), marks.find(1, 0)];
        marks
    }

    fn find(&self, kind: usize, from: usize) -> usize {
        let rest = &self.input[from..];
        let found = match kind {
            0 => memchr::memchr3(b'\\', b'%', b'&', rest),
            _ => memchr::memchr3(b'+', b'\n', b'\r', rest),
        };
        found.map_or(self.input.len(), |at| from + at)
    }

    /// The first mark at or after `from`.
    fn at_or_after(&mut self, from: usize) -> Option<usize> {
        // Marks often come in runs: the next byte is looked at first.
        if self.input.get(from).is_some_and(|b| b"\\%&+\n\r".contains(b)) {
            return Some(from);
        }
        for kind in 0..2 {
            if self.next[kind] < from {
                self.next[kind] = self.find(kind, from);
            }
        }
        Some(self.next[0].min(self.next[1])).filter(|&at| at < self.input.len())
    }
}

/// Every pass over `text` that changes it, in order, each given to `visit`.
pub(super) fn each_pass(text: &str, mut visit: impl FnMut(&View)) {
    let mut view = View { bytes: Vec::new(), maps: Vec::new() };
    let Some((bytes, map)) = decode(text.as_bytes()) else { return };
    (view.bytes, view.maps) = (bytes, vec![map]);
    loop {
        visit(&view);
        if view.maps.len() == MAX_PASSES {
            return;
        }
        let Some((bytes, map)) = decode(&view.bytes) else { return };
        view.bytes = bytes;
        view.maps.push(map);
    }
}

/// `text` after each pass that changes it (for a secret's own forms).
pub(super) fn passes(text: &str) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    each_pass(text, |view| all.push(view.bytes.clone()));
    all
}

/// One pass over `input`, every decoding at once; `None` when it changes nothing.
fn decode(input: &[u8]) -> Option<(Vec<u8>, Map)> {
    let mut out = Vec::with_capacity(input.len());
    let mut map = Map::default();
    let mut marks = Marks::new(input);
    let (mut from, mut copied_from) = (0, 0);
    // Where the line being read starts.
    let mut line = 0;
    let mut changed = false;
    while let Some(at) = marks.at_or_after(from) {
        let mut utf8 = [0u8; 4];
        let decoded: Option<(usize, usize)> = match input[at] {
            b'\\' => json_escape(input, at).map(|escape| match escape {
                Escape::Char(c, width) => (c.encode_utf8(&mut utf8).len(), width),
                Escape::Byte(b) => {
                    utf8[0] = b;
                    (1, 4)
                }
            }),
            b'%' => hex(input, at + 1, 2).map(|b| {
                utf8[0] = b as u8;
                (1, 3)
            }),
            b'+' => {
                utf8[0] = b' ';
                Some((1, 1))
            }
            b'&' => entity(&input[at..]).map(|(c, width)| (c.encode_utf8(&mut utf8).len(), width)),
            _ => Some((0, line_join(input, at, line))),
        };
        let Some((len, width)) = decoded else {
            from = at + 1;
            continue;
        };
        if at > copied_from {
            map.push(out.len(), at - copied_from, copied_from, at);
            out.extend_from_slice(&input[copied_from..at]);
        }
        if len > 0 {
            map.push(out.len(), len, at, at + width);
            out.extend_from_slice(&utf8[..len]);
        }
        from = at + width;
        copied_from = from;
        changed = true;
        if len == 0 {
            line = at + 1 + usize::from(input[at] == b'\r' && input.get(at + 1) == Some(&b'\n'));
        }
    }
    if !changed {
        return None;
    }
    if input.len() > copied_from {
        map.push(out.len(), input.len() - copied_from, copied_from, input.len());
        out.extend_from_slice(&input[copied_from..]);
    }
    Some((out, map))
}

fn hex(bytes: &[u8], at: usize, digits: usize) -> Option<u32> {
    let part = bytes.get(at..at + digits)?;
    part.iter().try_fold(0, |n, &b| Some(n * 16 + (b as char).to_digit(16)?))
}

/// How many bytes a line break at `at` leaves out: the break, the spaces and
/// tabs after it, the mark of a diff line (`+`, `-`) where the line before
/// starts with the same mark, and a header name with its colon and spaces
/// (`X-Echo: `). `line` is where the line before the break starts.
fn line_join(bytes: &[u8], at: usize, line: usize) -> usize {
    let spaces = |from: usize| from + bytes[from..].iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    let mut end = at + 1;
    if bytes[at] == b'\r' && bytes.get(end) == Some(&b'\n') {
        end += 1;
    }
    end = spaces(end);
    let mark = bytes.get(spaces(line)).filter(|b| matches!(b, b'+' | b'-'));
    if mark.is_some() && bytes.get(end) == mark {
        end = spaces(end + 1);
    }
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    let name = bytes[end..].iter().take_while(|b| token(b)).count();
    if name > 0 && bytes.get(end + name) == Some(&b':') && matches!(bytes.get(end + name + 1), Some(b' ' | b'\t')) {
        end = spaces(end + name + 1);
    }
    end - at
}

/// What a backslash escape stands for.
enum Escape {
    /// A character, and the escape's width.
    Char(char, usize),
    /// A byte (`\xHH`, as C, Python and JavaScript write one).
    Byte(u8),
}

/// A JSON (or JavaScript) escape at `at`.
fn json_escape(bytes: &[u8], at: usize) -> Option<Escape> {
    let c = match *bytes.get(at + 1)? {
        c @ (b'"' | b'\\' | b'/' | b'\'') => c as char,
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'x' => return hex(bytes, at + 2, 2).map(|b| Escape::Byte(b as u8)),
        b'u' => {
            let unit = hex(bytes, at + 2, 4)?;
            if !(0xD800..0xDC00).contains(&unit) {
                return Some(Escape::Char(char::from_u32(unit)?, 6));
            }
            let low = hex(bytes, at + 8, 4).filter(|l| bytes.get(at + 6..at + 8) == Some(b"\\u") && (0xDC00..0xE000).contains(l))?;
            return Some(Escape::Char(char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?, 12));
        }
        _ => return None,
    };
    Some(Escape::Char(c, 2))
}

/// An HTML entity at the start of `rest`: a named one a report escapes, or a
/// numeric one, the final `;` optional (as HTML reads them); the character
/// and its width.
fn entity(rest: &[u8]) -> Option<(char, usize)> {
    // Most `&`s start no entity: a glance at the next byte tells.
    if !matches!(rest.get(1), Some(b'#' | b'a' | b'A' | b'l' | b'L' | b'g' | b'G' | b'q' | b'Q')) {
        return None;
    }
    for (name, c) in [("&amp", '&'), ("&lt", '<'), ("&gt", '>'), ("&quot", '"'), ("&apos;", '\'')] {
        if rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Some((c, name.len() + usize::from(rest.get(name.len()) == Some(&b';') && !name.ends_with(';'))));
        }
    }
    let (radix, digits_at) = match rest.get(..3) {
        Some(b"&#x" | b"&#X") => (16, 3),
        _ if rest.get(..2) == Some(b"&#") => (10, 2),
        _ => return None,
    };
    let digits = rest[digits_at..].iter().take(8).take_while(|b| (**b as char).is_digit(radix)).count();
    let end = digits_at + digits;
    if digits == 0 {
        return None;
    }
    let number = std::str::from_utf8(&rest[digits_at..end]).ok()?;
    let c = char::from_u32(u32::from_str_radix(number, radix).ok()?)?;
    Some((c, end + usize::from(rest.get(end) == Some(&b';'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> String {
        decode(text.as_bytes()).map_or(text.to_owned(), |(bytes, _)| String::from_utf8_lossy(&bytes).into_owned())
    }

    #[test]
    fn one_pass_decodes_every_encoding_at_once() {
        assert_eq!(decoded(r#"a\/b\u0041\"%2F+&amp;&#65;&#x42;\x43"#), "a/bA\"/ &ABC");
        assert_eq!(decoded("&#x41&#66&lt&quot;x"), "AB<\"x", "entities without `;`");
        assert_eq!(decoded("%zz \\q &bogus; \\ud800"), "%zz \\q &bogus; \\ud800", "what is no escape stays");
        assert_eq!(decoded("Kestrel/To\r\n  X-Echo-2: ken"), "Kestrel/Token", "a line break and the next header name");
        assert_eq!(decoded("one\ntwo: three\n\tfour"), "onethreefour");
        assert_eq!(decoded("ab\ncd: e"), "abe");
        assert_eq!(decoded("ab\ncd:e"), "abcd:e", "a colon without a space is not a header name");
        assert_eq!(decoded("-first\n-second\n+third"), "-firstsecond third", "diff lines, by the mark they share");
        assert_eq!(decoded("  -auth: ab\n  -auth_2: cd"), "  -auth: abcd");
    }

    #[test]
    fn passes_decode_again_until_nothing_changes() {
        let passes = |t: &str| passes(t).into_iter().map(|p| String::from_utf8(p).unwrap()).collect::<Vec<_>>();
        assert_eq!(passes("%2541"), ["%41", "A"]);
        assert_eq!(passes("%5Cu0041"), ["\\u0041", "A"]);
        assert_eq!(passes("plain"), Vec::<String>::new());
        assert_eq!(passes(&"%25".repeat(3)), ["%%%"]);
        let nested = (0..20).fold("%41".to_owned(), |text, _| text.replace('%', "%25"));
        assert_eq!(passes(&nested).len(), MAX_PASSES, "at most MAX_PASSES");
    }

    #[test]
    fn pieces_split_where_text_was_left_out_and_map_back_through_every_pass() {
        let pieces = |text: &str, start: usize, end: usize| {
            let mut last = None;
            each_pass(text, |view| last = Some((view.bytes.clone(), view.pieces(start, end))));
            last.unwrap()
        };
        assert_eq!(pieces("ab\n  X-B: cd", 0, 4), (b"abcd".to_vec(), vec![(0, 2), (10, 12)]));
        assert_eq!(pieces("ab\n  X-B: cd", 2, 4).1, [(10, 12)]);
        assert_eq!(pieces("ab\n  X-B: cd", 0, 2).1, [(0, 2)]);
        assert_eq!(pieces("x%41y", 1, 2).1, [(1, 4)], "an escape hides whole");
        assert_eq!(pieces("x%41yz", 2, 4).1, [(4, 6)]);
        // Through two passes: `%5C` gives `\`, then `\u0041` gives `A`.
        assert_eq!(pieces("--%5Cu0041--", 2, 3), (b"--A--".to_vec(), vec![(2, 10)]));
        // A break joined in the first pass, an escape decoded in the second.
        let (bytes, at) = pieces("%2541\n  %2542", 0, 2);
        assert_eq!((bytes, at), (b"AB".to_vec(), vec![(0, 5), (8, 13)]));
    }
}
