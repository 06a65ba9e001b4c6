//! Duplicate keys in a JSON body. RFC 8259 says the names within an object
//! SHOULD be unique, and a client library may read either value of a name
//! written twice (`{"message":"wrong","message":"right"}`), so a body with one
//! is a finding. The body is read by serde_json's own parser, so a key is
//! compared as it decodes (`"mess\u0061ge"` is `message`); only the keys of the
//! objects open at the time are kept, and the first duplicate stops the read.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A key written twice in one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// The JSON pointer of the object (`""` for the top level, `/from`, `/links/0`).
    pub object: String,
    /// The key, decoded.
    pub key: String,
}

/// The first key written twice in one object of `body`, in document order;
/// `None` when every object's keys are unique, or when the body is not JSON
/// (that is another finding).
pub fn first_duplicate(body: &[u8]) -> Option<Duplicate> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    let _ = Scan { pointer: String::new(), found: &mut found }.deserialize(&mut de);
    found
}

/// Reads one value at `pointer`, noting the first duplicate key in `found`.
struct Scan<'a> {
    pointer: String,
    found: &'a mut Option<Duplicate>,
}

/// A JSON pointer one step below `pointer` (RFC 6901: `~` as `~0`, `/` as `~1`).
fn below(pointer: &str, step: &str) -> String {
    format!("{pointer}/{}", step.replace('~', "~0").replace('/', "~1"))
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while items.next_element_seed(Scan { pointer: below(&self.pointer, &index.to_string()), found: &mut *self.found })?.is_some() {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            if keys.contains(&key) {
                *self.found = Some(Duplicate { object: self.pointer, key });
                return Err(de::Error::custom("a duplicate key"));
            }
            entries.next_value_seed(Scan { pointer: below(&self.pointer, &key), found: &mut *self.found })?;
            keys.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(body: &str) -> Option<(String, String)> {
        first_duplicate(body.as_bytes()).map(|d| (d.object, d.key))
    }

    #[test]
    fn a_key_written_twice_is_found_with_its_object() {
        let message = Some(("".to_owned(), "message".to_owned()));
        assert_eq!(duplicate(r#"{"message":"wrong","message":"right"}"#), message);
        assert_eq!(duplicate(r#"{"message":"same","message":"same"}"#), message, "even with the same value");
        assert_eq!(duplicate(r#"{"message":"a","mess\u0061ge":"b"}"#), message, "compared as decoded");
        let nested = r#"{"id":"1","from":{"agentId":"1","agentId":"2"}}"#;
        assert_eq!(duplicate(nested), Some(("/from".into(), "agentId".into())));
        let in_a_list = r#"{"links":[{"rel":"x"},{"href":"a","rel":"_self","href":"b"}]}"#;
        assert_eq!(duplicate(in_a_list), Some(("/links/1".into(), "href".into())));
        let escaped = r#"{"a/b":{"~":{"k":1,"k":2}}}"#;
        assert_eq!(duplicate(escaped), Some(("/a~1b/~0".into(), "k".into())));
        assert_eq!(duplicate(r#"{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}"#), None, "the same key in other objects is fine");
        assert_eq!(duplicate(r#"{"b":1,"a":{"x":1,"x":2},"b":2}"#), Some(("/a".into(), "x".into())), "the first in document order");
    }

    #[test]
    fn anything_that_is_not_a_json_object_with_duplicates_is_none() {
        for body in ["", "null", "[1,2,2]", "\"message\"", "{", "{\"a\":1,", "not json", "{\"a\":1}{\"a\":1}", "\u{0}"] {
            assert_eq!(duplicate(body), None, "{body:?}");
        }
        // Deeper than serde_json reads is not JSON to it either: no finding, no overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(duplicate(&deep), None);
    }
}
