//! A stored item written straight to DynamoDB JSON, without building an `Item` first.
//!
//! Query and Scan pages without a filter or projection hand items from storage to the
//! client unchanged; decoding each into maps and strings only to serialize them again
//! was a third of a 20-item Query's CPU. This walks the storage encoding once,
//! validating it exactly as `codec::decode_item` does, writing the JSON and adding up
//! the item's DynamoDB size (for capacity and the 1 MB page limit) on the way.

use crate::codec::{Reader, VERSION};
use crate::codec::{TAG_B, TAG_BS, TAG_FALSE, TAG_L, TAG_M, TAG_N, TAG_NS, TAG_NULL, TAG_S, TAG_SS, TAG_TRUE};
use crate::item_limits::stored_value_depth_readable;
use crate::value::number_size;
use base64::Engine as _;
use std::io::Write as _;

/// Appends the item encoded in `bytes` to `out` as DynamoDB JSON (`{"a":{"S":"x"}}`,
/// attributes in stored order) and returns its DynamoDB size. `None` when the bytes do
/// not decode — `codec::decode_item` refuses exactly the same inputs — and then `out`
/// is left as it was.
pub fn write_item_json(bytes: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let start = out.len();
    let written = (|| {
        let (&version, rest) = bytes.split_first()?;
        if version != VERSION {
            return None;
        }
        let mut reader = Reader { input: rest };
        let size = map(&mut reader, 0, out, false)?;
        reader.input.is_empty().then_some(size)
    })();
    if written.is_none() {
        out.truncate(start);
    }
    written
}

/// A map's entries as a JSON object; `nested` adds the per-element byte DynamoDB
/// charges inside documents.
fn map(reader: &mut Reader<'_>, depth: usize, out: &mut Vec<u8>, nested: bool) -> Option<usize> {
    counted(reader, out, (b'{', b'}'), |r, o| {
        let name = string(r)?;
        json_string(name, o);
        o.push(b':');
        Some(name.len() + value(r, depth, o)? + usize::from(nested))
    })
}

fn value(reader: &mut Reader<'_>, depth: usize, out: &mut Vec<u8>) -> Option<usize> {
    if !stored_value_depth_readable(depth) {
        return None;
    }
    let tag = reader.byte()?;
    let name: &[u8] = match tag {
        TAG_S => b"{\"S\":",
        TAG_N => b"{\"N\":",
        TAG_B => b"{\"B\":",
        TAG_FALSE | TAG_TRUE => b"{\"BOOL\":",
        TAG_NULL => b"{\"NULL\":",
        TAG_M => b"{\"M\":",
        TAG_L => b"{\"L\":",
        TAG_SS => b"{\"SS\":",
        TAG_NS => b"{\"NS\":",
        TAG_BS => b"{\"BS\":",
        _ => return None,
    };
    out.extend_from_slice(name);
    let size = match tag {
        TAG_S => string_json(reader, out)?,
        TAG_N => number(reader, out)?,
        TAG_B => binary_json(reader, out)?,
        TAG_FALSE => {
            out.extend_from_slice(b"false");
            1
        }
        TAG_TRUE | TAG_NULL => {
            out.extend_from_slice(b"true");
            1
        }
        TAG_M => 3 + map(reader, depth + 1, out, true)?,
        // A list costs 3 bytes plus 1 per element; a set just its elements.
        TAG_L => 3 + array(reader, out, |r, o| Some(1 + value(r, depth + 1, o)?))?,
        TAG_SS => array(reader, out, string_json)?,
        TAG_NS => array(reader, out, number)?,
        _ => array(reader, out, binary_json)?,
    };
    out.push(b'}');
    Some(size)
}

/// A counted sequence as a JSON array; the sum of its elements' sizes.
fn array(
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
    element: impl FnMut(&mut Reader<'_>, &mut Vec<u8>) -> Option<usize>,
) -> Option<usize> {
    counted(reader, out, (b'[', b']'), element)
}

/// A count, then that many elements written between `brackets`, comma-separated
/// (an array's values or a map's `"name":value` pairs); the sum of their sizes.
fn counted(
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
    brackets: (u8, u8),
    mut element: impl FnMut(&mut Reader<'_>, &mut Vec<u8>) -> Option<usize>,
) -> Option<usize> {
    let count = reader.length()?;
    let mut size = 0;
    out.push(brackets.0);
    for i in 0..count {
        if i > 0 {
            out.push(b',');
        }
        size += element(reader, out)?;
    }
    out.push(brackets.1);
    Some(size)
}

fn string_json(reader: &mut Reader<'_>, out: &mut Vec<u8>) -> Option<usize> {
    let s = string(reader)?;
    json_string(s, out);
    Some(s.len())
}

fn binary_json(reader: &mut Reader<'_>, out: &mut Vec<u8>) -> Option<usize> {
    let b = reader.bytes()?;
    base64(b, out);
    Some(b.len())
}

fn string<'a>(reader: &mut Reader<'a>) -> Option<&'a str> {
    std::str::from_utf8(reader.bytes()?).ok()
}

fn number(reader: &mut Reader<'_>, out: &mut Vec<u8>) -> Option<usize> {
    let n = reader.number()?;
    out.push(b'"');
    write!(out, "{n}").ok()?;
    out.push(b'"');
    Some(number_size(&n))
}

fn json_string(s: &str, out: &mut Vec<u8>) {
    // serde_json's escaping, so the output matches what serializing an Item gives.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn base64(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + b.len().div_ceil(3) * 4, 0);
    let _ = base64::engine::general_purpose::STANDARD.encode_slice(b, &mut out[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_item, encode_item};
    use crate::value::{item_size, AttributeValue, Item};
    use crate::wire::RawValue;
    use proptest::prelude::*;

    fn item(json: &str) -> Item {
        let raw: RawValue = serde_json::from_str(json).unwrap();
        let AttributeValue::M(item) = AttributeValue::from_raw(raw).unwrap() else {
            panic!("not a map")
        };
        item
    }

    fn rendered(item: &Item) -> (serde_json::Value, usize) {
        let mut out = Vec::new();
        let size = write_item_json(&encode_item(item), &mut out).unwrap();
        (serde_json::from_slice(&out).unwrap(), size)
    }

    #[test]
    fn rendered_item_equals_the_serialized_decoded_item_and_its_size() {
        let item = item(
            r#"{"M":{"a":{"S":"x\"\n\u0001é"},"b":{"N":"-12.5e-3"},"z":{"N":"0"},"c":{"L":[{"NULL":true},{"BOOL":false},{"BOOL":true},{"B":"AAE="},{"L":[]}]},"d":{"SS":["p","q"]},"e":{"NS":["1","-2","1E+5"]},"f":{"BS":["AA==","AQID"]},"g":{"M":{}},"h":{"M":{"i":{"M":{"j":{"N":"7"}}}}},"k":{"B":""}}}"#,
        );
        let (json, size) = rendered(&item);
        assert_eq!(json, serde_json::to_value(&item).unwrap());
        assert_eq!(size, item_size(&item));
    }

    #[test]
    fn undecodable_bytes_render_nothing_and_leave_the_output_as_it_was() {
        let mut good = encode_item(&item(r#"{"M":{"a":{"S":"x"},"b":{"N":"1"}}}"#));
        let mut out = b"[".to_vec();
        assert!(write_item_json(&good, &mut out).is_some());
        good.pop();
        let mut out = b"[".to_vec();
        assert_eq!(write_item_json(&good, &mut out), None);
        assert_eq!(out, b"[");
        assert_eq!(write_item_json(&[], &mut out), None);
        assert_eq!(write_item_json(&[2, 0], &mut out), None);
        assert_eq!(out, b"[");
    }

    fn scalar() -> impl Strategy<Value = AttributeValue> {
        prop_oneof![
            any::<String>().prop_map(AttributeValue::S),
            (any::<i64>(), 0u32..12).prop_map(|(m, scale)| {
                let text = if scale == 0 {
                    m.to_string()
                } else {
                    format!("{m}e-{scale}")
                };
                AttributeValue::N(crate::number::Number::parse(&text).unwrap())
            }),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(AttributeValue::B),
            any::<bool>().prop_map(AttributeValue::Bool),
            Just(AttributeValue::Null),
        ]
    }

    fn value() -> impl Strategy<Value = AttributeValue> {
        scalar().prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                proptest::collection::btree_map("[a-z]{0,3}", inner, 0..4)
                    .prop_map(|m| AttributeValue::M(m.into_iter().collect())),
                proptest::collection::btree_set("[a-c]{1,2}", 1..3)
                    .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn rendering_agrees_with_decoding_then_serializing(
            attrs in proptest::collection::btree_map("[a-z]{1,4}", value(), 0..6)
        ) {
            let item: Item = attrs.into_iter().collect();
            let (json, size) = rendered(&item);
            prop_assert_eq!(json, serde_json::to_value(&item).unwrap());
            prop_assert_eq!(size, item_size(&item));
        }

        #[test]
        fn a_damaged_encoding_renders_exactly_when_it_decodes(
            attrs in proptest::collection::btree_map("[a-z]{1,4}", value(), 1..6),
            at in any::<usize>(),
            byte in any::<u8>(),
            cut in any::<bool>(),
        ) {
            let item: Item = attrs.into_iter().collect();
            let mut bytes = encode_item(&item);
            let at = at % bytes.len();
            if cut { bytes.truncate(at) } else { bytes[at] = byte }
            let mut out = Vec::new();
            let rendered = write_item_json(&bytes, &mut out);
            let decoded = decode_item(&bytes);
            prop_assert_eq!(rendered.is_some(), decoded.is_some());
            if let Some(decoded) = decoded {
                prop_assert_eq!(serde_json::from_slice::<serde_json::Value>(&out).unwrap(), serde_json::to_value(&decoded).unwrap());
            }
        }

        #[test]
        fn rendering_refuses_exactly_what_decoding_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let mut out = Vec::new();
            let rendered = write_item_json(&bytes, &mut out);
            prop_assert_eq!(rendered.is_some(), decode_item(&bytes).is_some());
            if rendered.is_none() {
                prop_assert!(out.is_empty());
            }
        }
    }
}
