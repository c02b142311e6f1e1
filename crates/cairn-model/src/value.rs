//! Attribute values and items, DynamoDB's validation of them, their size as DynamoDB
//! computes it, and their wire JSON output.

use crate::error::ApiError;
use crate::item_limits::{nesting_error, value_depth_allowed};
use crate::number::Number;
use crate::wire::{RawItem, RawValue};
use base64::Engine as _;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// One DynamoDB attribute value, of one of the ten types.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(Item),
    L(Vec<AttributeValue>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

/// An item (or a map value): attribute name to value.
pub type Item = BTreeMap<String, AttributeValue>;

/// The scalar types a key attribute or attribute definition may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

fn decode_base64(text: &str) -> Result<Vec<u8>, ApiError> {
    // DynamoDB's wording for a length that cannot be base64 (recorded); other faults
    // keep a plain description.
    if text.len() % 4 != 0 {
        return Err(ApiError::serialization(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.len()
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ApiError::serialization("Base64 encoded binary data could not be decoded"))
}

impl AttributeValue {
    /// Applies DynamoDB's value rules to a value as sent.
    pub fn from_raw(raw: RawValue) -> Result<AttributeValue, ApiError> {
        Self::from_raw_at_depth(raw, 0)
    }

    fn from_raw_at_depth(raw: RawValue, depth: usize) -> Result<AttributeValue, ApiError> {
        match raw.type_count() {
            0 => {
                return Err(ApiError::validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
                ))
            }
            1 => {}
            _ => {
                return Err(ApiError::validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                ))
            }
        }
        if !value_depth_allowed(depth) {
            return Err(nesting_error());
        }
        if let Some(s) = raw.s {
            return Ok(AttributeValue::S(s));
        }
        if let Some(n) = raw.n {
            return Ok(AttributeValue::N(Number::parse(&n)?));
        }
        if let Some(b) = raw.b {
            return Ok(AttributeValue::B(decode_base64(&b)?));
        }
        if let Some(b) = raw.bool {
            return Ok(AttributeValue::Bool(b));
        }
        if let Some(null) = raw.null {
            if !null {
                return Err(ApiError::invalid_parameter(
                    "Null attribute value types must have the value of true",
                ));
            }
            return Ok(AttributeValue::Null);
        }
        if let Some(m) = raw.m {
            let mut item = Item::new();
            for (name, value) in m {
                item.insert(name, Self::from_raw_at_depth(value, depth + 1)?);
            }
            return Ok(AttributeValue::M(item));
        }
        if let Some(l) = raw.l {
            let list = l
                .into_iter()
                .map(|v| Self::from_raw_at_depth(v, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(AttributeValue::L(list));
        }
        if let Some(ss) = raw.ss {
            if ss.is_empty() {
                return Err(ApiError::invalid_parameter("An string set  may not be empty"));
            }
            reject_duplicates(&ss, &ss)?;
            return Ok(AttributeValue::Ss(ss));
        }
        if let Some(ns) = raw.ns {
            if ns.is_empty() {
                return Err(ApiError::invalid_parameter("An number set  may not be empty"));
            }
            let numbers = ns.iter().map(|t| Number::parse(t)).collect::<Result<Vec<_>, _>>()?;
            reject_duplicates(&numbers, &ns)?;
            return Ok(AttributeValue::Ns(numbers));
        }
        if let Some(bs) = raw.bs {
            if bs.is_empty() {
                return Err(ApiError::invalid_parameter("Binary sets should not be empty"));
            }
            let blobs = bs.iter().map(|t| decode_base64(t)).collect::<Result<Vec<_>, _>>()?;
            reject_duplicates(&blobs, &bs)?;
            return Ok(AttributeValue::Bs(blobs));
        }
        Err(ApiError::validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ))
    }

    /// The DynamoDB type descriptor ("S", "N", ..., "BOOL", "NULL").
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }

    /// The scalar type, for values that may be keys.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match self {
            AttributeValue::S(_) => Some(ScalarType::S),
            AttributeValue::N(_) => Some(ScalarType::N),
            AttributeValue::B(_) => Some(ScalarType::B),
            _ => None,
        }
    }

    /// The value's size in bytes as DynamoDB counts it (without the attribute name).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => number_size(n),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            // Documents cost 3 bytes, plus 1 byte per element.
            AttributeValue::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + v.size()).sum::<usize>(),
            AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + v.size()).sum::<usize>(),
            AttributeValue::Ss(ss) => ss.iter().map(String::len).sum(),
            AttributeValue::Ns(ns) => ns.iter().map(number_size).sum(),
            AttributeValue::Bs(bs) => bs.iter().map(Vec::len).sum(),
        }
    }
}

/// DynamoDB stores numbers as base-100 digits aligned on the decimal point, plus an
/// exponent byte, plus a terminator byte for negatives: "1 byte per two significant
/// digits, plus 1".
pub(crate) fn number_size(n: &Number) -> usize {
    let digits = n.significant_digits().len().max(1);
    let pad = usize::from(n.exponent().rem_euclid(2) == 1);
    (digits + pad).div_ceil(2) + 1 + usize::from(n.is_negative())
}

fn reject_duplicates<T: PartialEq>(values: &[T], as_sent: &[String]) -> Result<(), ApiError> {
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(ApiError::invalid_parameter(format!(
                "Input collection [{}] contains duplicates.",
                as_sent.join(", ")
            )));
        }
    }
    Ok(())
}

/// Converts a whole item or key as sent.
pub fn item_from_raw(raw: RawItem) -> Result<Item, ApiError> {
    raw.into_iter()
        .map(|(name, value)| Ok((name, AttributeValue::from_raw(value)?)))
        .collect()
}

/// An item's size as DynamoDB counts it: attribute names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

struct NumberText<'a>(&'a Number);
impl Serialize for NumberText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

struct Base64<'a>(&'a [u8]);
impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_base64(self.0))
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", &NumberText(n))?,
            AttributeValue::B(b) => map.serialize_entry("B", &Base64(b))?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::M(m) => map.serialize_entry("M", m)?,
            AttributeValue::L(l) => map.serialize_entry("L", l)?,
            AttributeValue::Ss(ss) => map.serialize_entry("SS", ss)?,
            AttributeValue::Ns(ns) => map.serialize_entry("NS", &Seq(ns, NumberText))?,
            AttributeValue::Bs(bs) => map.serialize_entry("BS", &Seq(bs, |b| Base64(b)))?,
        }
        map.end()
    }
}

/// Serializes a slice through a per-element wrapper.
struct Seq<'a, T, W, F: Fn(&'a T) -> W>(&'a [T], F);
impl<'a, T, W: Serialize, F: Fn(&'a T) -> W> Serialize for Seq<'a, T, W, F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for element in self.0 {
            seq.serialize_element(&(self.1)(element))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawValue {
        serde_json::from_str(json).unwrap()
    }

    fn err(json: &str) -> String {
        AttributeValue::from_raw(raw(json)).unwrap_err().message
    }

    #[test]
    fn round_trips_every_type_through_wire_json() {
        let json = r#"{"M":{"b":{"B":"AAEC"},"bs":{"BS":["AA==","AQ=="]},"l":{"L":[{"BOOL":true},{"NULL":true}]},"n":{"N":"1.50"},"ns":{"NS":["1","2"]},"s":{"S":""},"ss":{"SS":["x","y"]}}}"#;
        let value = AttributeValue::from_raw(raw(json)).unwrap();
        let out = serde_json::to_string(&value).unwrap();
        assert_eq!(out, json.replace("1.50", "1.5"));
    }

    #[test]
    fn rejects_values_dynamodb_rejects() {
        assert!(err("{}").contains("Supplied AttributeValue is empty"));
        assert!(err(r#"{"S":"a","N":"1"}"#).contains("more than one datatypes"));
        assert!(err(r#"{"NULL":false}"#).contains("Null attribute value types must have the value of true"));
        assert!(err(r#"{"SS":[]}"#).ends_with("An string set  may not be empty"));
        assert!(err(r#"{"NS":[]}"#).ends_with("An number set  may not be empty"));
        assert!(err(r#"{"BS":[]}"#).ends_with("Binary sets should not be empty"));
        assert!(err(r#"{"SS":["a","a"]}"#).ends_with("Input collection [a, a] contains duplicates."));
        assert!(err(r#"{"NS":["1","1.0"]}"#).ends_with("Input collection [1, 1.0] contains duplicates."));
        assert!(err(r#"{"N":"x"}"#).contains("cannot be converted into a number"));
        assert!(err(r#"{"L":[{"SS":[]}]}"#).ends_with("may not be empty"));
    }

    #[test]
    fn sizes_follow_dynamodb_rules() {
        let v = |json: &str| AttributeValue::from_raw(raw(json)).unwrap();
        assert_eq!(v(r#"{"S":"abc"}"#).size(), 3);
        assert_eq!(v(r#"{"BOOL":true}"#).size(), 1);
        assert_eq!(v(r#"{"N":"1"}"#).size(), 2);
        assert_eq!(v(r#"{"N":"12345"}"#).size(), 4);
        assert_eq!(v(r#"{"L":[{"S":"ab"}]}"#).size(), 3 + 1 + 2);
        assert_eq!(v(r#"{"M":{"k":{"S":"ab"}}}"#).size(), 3 + 1 + 1 + 2);
    }
}
