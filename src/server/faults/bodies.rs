//! The 201 bodies faults write another way than the faithful server: the
//! page's example verbatim, another call id, every unsent optional field as
//! `null`, every object's keys in reverse order.

use serde_json::{Value, json};

/// The page's example 201 body, as the page prints it.
pub fn page_example_201() -> Value {
    json!({
        "id": "017db4a2-44b5-672e-8b9f-1a805fed07ad",
        "links": [{"href": "https://emea.newvoicemedia.com/V0/lmccg0ujju4/Calls/017db4a2-44b5-672e-8b9f-1a805fed07ad", "rel": "_self"}],
        "from": {"presentedClid": "123456789", "agentId": "1234", "consent": "OneParty"},
        "to": {"telephoneNumber": "02072068888", "consent": "OneParty"},
        "regarding": {"reference": "0012400000ATTUQ"},
        "status": "Active",
        "recordingStatus": "Stopped",
        "application": "ExampelAppNameExampleAppName",
        "dispositionCode": null
    })
}

/// Gives a 201 body another call id, in `id` and at the end of its self link.
pub(super) fn set_id(body: &mut Value, id: &str) {
    if let Some(href) = body.pointer_mut("/links/0/href") {
        let fixed = href.as_str().unwrap_or_default().rsplit_once('/').map(|(h, _)| format!("{h}/{id}"));
        *href = json!(fixed);
    }
    body["id"] = json!(id);
}

/// A serializer that writes every optional field, `null` where the request sent none.
pub(super) fn null_optional_fields(body: &mut Value) {
    let Some(map) = body.as_object_mut() else { return };
    for (side, keys) in [("from", &["presentedClid", "agentId", "groups", "consent"][..]), ("to", &["telephoneNumber", "agentId", "consent"][..])] {
        if let Some(inner) = map.get_mut(side).and_then(Value::as_object_mut) {
            for key in keys {
                inner.entry(*key).or_insert(Value::Null);
            }
        }
    }
    map.entry("regarding").or_insert(Value::Null);
    map.entry("application").or_insert(Value::Null);
}

/// JSON text with every object's keys in reverse order.
pub(super) fn write_reversed(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().rev().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_reversed(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_reversed(v, out);
            }
            out.push(']');
        }
        leaf => out.push_str(&leaf.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_keys_are_the_same_json() {
        let v = json!({"a": 1, "b": {"c": [1, {"d": "x\"y", "e": null}]}});
        let mut text = String::new();
        write_reversed(&v, &mut text);
        assert!(text.starts_with("{\"b\""), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }
}
