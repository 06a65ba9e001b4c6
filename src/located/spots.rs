//! Spots: where each field of a YAML or JSON document is written, by its path
//! as errors name it, read from the YAML parser's spans or by a small JSON
//! scanner.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Source;
use super::json_scan::JsonScan;

/// A line and column, both 1-based.
pub(super) type Pos = (usize, usize);

/// Where a field is written: its key (for a map entry) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Spot {
    pub(super) key: Option<Pos>,
    pub(super) value: Pos,
}

/// Where each field of a document is written, by its path as errors name it
/// (`cases[1].expect.status`; the whole document has the empty path). Where
/// the text cannot be read, errors fall back to the nearest field found, or to
/// the start of the file.
#[derive(Debug, Default)]
pub struct Spots(BTreeMap<String, Spot>);

impl Spots {
    /// The spots of a document (JSON or YAML by its extension).
    pub fn of(source: &Source) -> Spots {
        if source.is_json() { Spots::of_json(source) } else { Spots(yaml_spots(&source.text).unwrap_or_default()) }
    }

    /// The spots of a JSON document, whatever the file's name.
    pub fn of_json(source: &Source) -> Spots {
        Spots(JsonScan::spots(&source.text))
    }

    /// Whether the field at `path` is written in the document.
    pub fn contains(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }

    /// Where an error about `field` points: the field's value (its key when
    /// `at_key`), or, for a field that is not written (a missing one), the key of
    /// its nearest written ancestor; the start of the file when nothing is known.
    pub fn locate(&self, field: &str, at_key: bool) -> (usize, usize) {
        if let Some(spot) = self.0.get(field) {
            return if at_key { spot.key.unwrap_or(spot.value) } else { spot.value };
        }
        let ancestors = field.char_indices().filter(|&(_, c)| c == '.' || c == '[').map(|(i, _)| &field[..i]);
        let nearest = std::iter::once("").chain(ancestors).filter_map(|path| self.0.get(path)).next_back();
        nearest.map_or((1, 1), |spot| spot.key.unwrap_or(spot.value))
    }
}

/// `path.name`, or `name` at the top.
pub(super) fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// A YAML node, read only for where its parts are written.
enum Node {
    Scalar(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_owned()))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

/// The spots of a YAML document, from the parser's own locations.
fn yaml_spots(text: &str) -> Option<BTreeMap<String, Spot>> {
    fn pos(location: &serde_saphyr::Location) -> Option<Pos> {
        let line = usize::try_from(location.line()).ok().filter(|&l| l > 0)?;
        Some((line, usize::try_from(location.column()).ok()?.max(1)))
    }
    fn record(node: &Spanned<Node>, path: String, key: Option<Pos>, spots: &mut BTreeMap<String, Spot>) {
        if let Some(value) = pos(&node.referenced) {
            spots.insert(path.clone(), Spot { key, value });
        }
        match &node.value {
            Node::Scalar(_) => {}
            Node::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    record(item, format!("{path}[{i}]"), None, spots);
                }
            }
            Node::Map(entries) => {
                for (key, value) in entries {
                    if let Node::Scalar(name) = &key.value {
                        record(value, child_path(&path, name), pos(&key.referenced), spots);
                    }
                }
            }
        }
    }
    let root: Spanned<Node> = serde_saphyr::from_str(text).ok()?;
    let mut spots = BTreeMap::new();
    record(&root, String::new(), None, &mut spots);
    Some(spots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_fields_are_found_by_path_with_anchors_and_quoted_keys() {
        let source = Source { path: "d.yaml".into(), text: "a: &x [1, {\"b\": 2}]\nc: *x\n".into() };
        let spots = Spots::of(&source);
        assert_eq!(spots.locate("a[1].b", false), (1, 17));
        assert_eq!(spots.locate("a[1].b", true), (1, 12));
        assert!(spots.contains("c") && !spots.contains("d"));
        assert_eq!(spots.locate("a[1].missing", false), (1, 11), "a missing field points at its nearest written parent");
        assert_eq!(Spots::default().locate("cases[0].name", false), (1, 1));
    }
}
