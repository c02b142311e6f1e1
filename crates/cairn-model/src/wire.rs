//! The JSON shape of an AttributeValue exactly as clients send it. Decoding into
//! [`RawValue`] only checks JSON types (a wrong type is a SerializationException);
//! [`crate::AttributeValue::from_raw`] then applies DynamoDB's value rules
//! (a broken rule is a ValidationException).

use serde::Deserialize;
use std::collections::BTreeMap;

/// One attribute value as sent: exactly one field should be set.
#[derive(Debug, Default, Deserialize, Clone, PartialEq)]
pub struct RawValue {
    #[serde(rename = "S")]
    pub s: Option<String>,
    #[serde(rename = "N")]
    pub n: Option<String>,
    #[serde(rename = "B")]
    pub b: Option<String>,
    #[serde(rename = "BOOL")]
    pub bool: Option<bool>,
    #[serde(rename = "NULL")]
    pub null: Option<bool>,
    #[serde(rename = "M")]
    pub m: Option<BTreeMap<String, RawValue>>,
    #[serde(rename = "L")]
    pub l: Option<Vec<RawValue>>,
    #[serde(rename = "SS")]
    pub ss: Option<Vec<String>>,
    #[serde(rename = "NS")]
    pub ns: Option<Vec<String>>,
    #[serde(rename = "BS")]
    pub bs: Option<Vec<String>>,
}

/// An item or key as sent: attribute name to raw value.
pub type RawItem = BTreeMap<String, RawValue>;

impl RawValue {
    /// How many of the ten type fields are present.
    pub fn type_count(&self) -> usize {
        [
            self.s.is_some(),
            self.n.is_some(),
            self.b.is_some(),
            self.bool.is_some(),
            self.null.is_some(),
            self.m.is_some(),
            self.l.is_some(),
            self.ss.is_some(),
            self.ns.is_some(),
            self.bs.is_some(),
        ]
        .iter()
        .filter(|&&present| present)
        .count()
    }
}
