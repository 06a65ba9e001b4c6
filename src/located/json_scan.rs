//! A small JSON scanner that reads where each field of a document is written
//! (serde_json reports where a value ends, not where it starts).

use std::collections::BTreeMap;

use super::spots::{Pos, Spot, child_path};

/// Reads a JSON document for where its parts are written. Anything unexpected
/// (the text need not be valid JSON) stops the scan, keeping what was found
/// before it, which is still right.
pub(super) struct JsonScan<'a> {
    text: &'a str,
    at: usize,
    line: usize,
    line_start: usize,
    spots: BTreeMap<String, Spot>,
}

impl JsonScan<'_> {
    /// Deeper than serde_json's own limit (128): such a file never gets here.
    pub(super) const MAX_DEPTH: usize = 256;

    pub(super) fn spots(text: &str) -> BTreeMap<String, Spot> {
        let mut scan = JsonScan { text, at: 0, line: 1, line_start: 0, spots: BTreeMap::new() };
        let _ = scan.value(String::new(), None, 0);
        scan.spots
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn pos(&self) -> Pos {
        let column = self.text.get(self.line_start..self.at).map_or(0, |s| s.chars().count());
        (self.line, column + 1)
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    /// Steps over `byte` after any space.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string token, decoded (JSON strings hold no raw line breaks).
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        serde_json::from_str(self.text.get(start..self.at)?).ok()
    }

    fn value(&mut self, path: String, key: Option<Pos>, depth: usize) -> Option<()> {
        if depth > Self::MAX_DEPTH {
            return None;
        }
        self.skip_space();
        self.spots.insert(path.clone(), Spot { key, value: self.pos() });
        match self.peek()? {
            b'{' => {
                self.at += 1;
                self.skip_space();
                if self.peek()? == b'}' {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.skip_space();
                    let key = self.pos();
                    let name = self.string()?;
                    self.expect(b':')?;
                    self.value(child_path(&path, &name), Some(key), depth + 1)?;
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => break,
                        _ => return None,
                    }
                }
                self.at += 1;
            }
            b'[' => {
                self.at += 1;
                self.skip_space();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(());
                }
                for i in 0.. {
                    self.value(format!("{path}[{i}]"), None, depth + 1)?;
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => break,
                        _ => return None,
                    }
                }
                self.at += 1;
            }
            b'"' => {
                self.string()?;
            }
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|b| !b",]}: \t\r\n".contains(&b)) {
                    self.at += 1;
                }
                if self.at == start {
                    return None;
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_scanner_stops_quietly_on_anything_odd() {
        let json = "{\"a\": [1, {\"b\\\"\": \"ç\\u00e7\"}, null], \"c\": -1.5e3}";
        let spots = JsonScan::spots(json);
        assert_eq!(spots["a[1].b\""].key, Some((1, 12)));
        assert_eq!(spots["c"].value, (1, 43));
        for end in 0..json.len() {
            if let Some(prefix) = json.get(..end) {
                let _ = JsonScan::spots(prefix);
            }
        }
        for odd in ["", "\"", "\\", "{", "[,]", "{\"a\"}", "{\"a\":}", "{1: 2}", "\"\\", "[[[[[", "ç", "{\"a\": 1,}"] {
            let _ = JsonScan::spots(odd);
        }
        assert_eq!(JsonScan::spots(&"[".repeat(1000)).len(), JsonScan::MAX_DEPTH + 1);
        assert_eq!(JsonScan::spots("{\"a\": 1, \"b\": ]").get("a").map(|s| s.value), Some((1, 7)));
    }
}
