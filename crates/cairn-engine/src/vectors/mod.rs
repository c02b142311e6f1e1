//! Vector indexes (DynamoDB, August 2026): declared on a table, kept current by every
//! write in the item's own storage transaction, searched by `SearchVectors`.
//!
//! An entry lives in the secondary-index keyspace (so table and index purges, backups
//! and test snapshots cover it): `x · index id · [hash(pk) · enc(pk)] · enc(table
//! key)`, where pk is the index's HASH attribute when its SearchSchema has one. Its
//! value is the vector as f32 (what DynamoDB keeps in the index), then the projected
//! attributes.

pub(crate) mod ann;
pub(crate) mod condition;
pub(crate) mod declare;
pub(crate) mod flat;
pub(crate) mod search;

use crate::catalog::{KeyAttribute, TableMeta};
use crate::index_keys::IndexKeyViolation;
use cairn_model::codec::{decode_item, encode_item};
use cairn_model::keycodec::encode_key_value;
use cairn_model::{ApiError, AttributeValue, Item};
use cairn_storage::Transaction;
use serde::{Deserialize, Serialize};

/// How similarity is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Distance {
    /// 1 − cos θ: 0 identical .. 2 opposite, smaller is closer.
    Cosine,
    /// L2 distance, smaller is closer.
    Euclidean,
    /// The dot product, larger is closer.
    DotProduct,
}

impl Distance {
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "COSINE",
            Distance::Euclidean => "EUCLIDEAN",
            Distance::DotProduct => "DOT_PRODUCT",
        }
    }

    pub fn parse(text: &str) -> Option<Distance> {
        match text {
            "COSINE" => Some(Distance::Cosine),
            "EUCLIDEAN" => Some(Distance::Euclidean),
            "DOT_PRODUCT" => Some(Distance::DotProduct),
            _ => None,
        }
    }

    /// The score DynamoDB reports for `a` against `b`.
    pub fn score(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Distance::DotProduct => dot(a, b),
            Distance::Euclidean => squared_l2(a, b).sqrt(),
            Distance::Cosine => {
                let norms = (dot(a, a) * dot(b, b)).sqrt();
                if norms == 0.0 {
                    // A zero vector points nowhere: as far as cosine goes.
                    1.0
                } else {
                    (1.0 - dot(a, b) / norms).clamp(0.0, 2.0)
                }
            }
        }
    }

    /// Whether score `a` ranks before score `b`.
    pub fn closer(self, a: f32, b: f32) -> bool {
        match self {
            Distance::DotProduct => a > b,
            Distance::Cosine | Distance::Euclidean => a < b,
        }
    }
}

/// Eight independent accumulators: the compiler turns these loops into SIMD lanes.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            let d = x[i] - y[i];
            lanes[i] += d * d;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    lanes.iter().sum::<f32>() + tail
}

/// A vector index as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorIndexMeta {
    pub name: String,
    /// From the table's index numbers: `table id << 8 | n`.
    pub id: u64,
    pub attribute: String,
    pub dimensions: usize,
    pub distance: Distance,
    /// The SearchSchema's HASH element: each search is within one of its values.
    pub hash: Option<KeyAttribute>,
    /// INLINE_FILTER elements, in declaration order.
    pub filters: Vec<KeyAttribute>,
    pub projection_type: String,
    pub non_key_attributes: Option<Vec<String>>,
    /// False while an index added by UpdateTable is backfilled.
    pub ready: bool,
    /// Added by UpdateTable: DescribeTable reports Backfilling for it while CREATING.
    #[serde(default)]
    pub online: bool,
}

impl VectorIndexMeta {
    /// Attributes whose values the index keeps besides the vector (table keys first).
    fn keeps(&self, table: &TableMeta, name: &str) -> bool {
        self.projection_type == "ALL"
            || name == self.attribute
            || table.key_attributes().any(|k| k.name == name)
            || self.hash.as_ref().is_some_and(|h| h.name == name)
            || self.filters.iter().any(|f| f.name == name)
            || self
                .non_key_attributes
                .as_ref()
                .is_some_and(|attrs| attrs.iter().any(|a| a == name))
    }

    /// Whether `name` is one of the index's search-schema attributes.
    pub(crate) fn in_search_schema(&self, name: &str) -> bool {
        self.hash.as_ref().is_some_and(|h| h.name == name) || self.filters.iter().any(|f| f.name == name)
    }
}

/// The vector of `value` when it is a list of `dimensions` numbers that fit in f32.
enum VectorValue {
    Vector(Vec<f32>),
    WrongSize(usize),
    WrongType,
}

fn vector_of(value: &AttributeValue, dimensions: usize) -> VectorValue {
    let AttributeValue::L(list) = value else {
        return VectorValue::WrongType;
    };
    let mut out = Vec::with_capacity(list.len());
    for element in list {
        let AttributeValue::N(number) = element else {
            return VectorValue::WrongType;
        };
        match number.to_string().parse::<f64>() {
            Ok(v) if (v as f32).is_finite() => out.push(v as f32),
            _ => return VectorValue::WrongType,
        }
    }
    if out.len() != dimensions {
        return VectorValue::WrongSize(out.len());
    }
    VectorValue::Vector(out)
}

/// The search vector of a SearchVectors request (already checked for its length).
pub(crate) fn search_vector(values: &[AttributeValue]) -> Option<Vec<f32>> {
    values
        .iter()
        .map(|v| match v {
            AttributeValue::N(n) => n
                .to_string()
                .parse::<f64>()
                .ok()
                .map(|x| x as f32)
                .filter(|x| x.is_finite()),
            _ => None,
        })
        .collect()
}

/// The rules a written item's vector-index attributes obey: the vector a list of the
/// index's number of numbers, the search-schema attributes of their declared types
/// and not empty. An item merely lacking them is not indexed. Attributes unchanged
/// from `old` are not checked again.
pub(crate) fn check_item(table: &TableMeta, new: &Item, old: Option<&Item>) -> Result<(), IndexKeyViolation> {
    for index in &table.vector_indexes {
        if let Some(value) = new.get(&index.attribute) {
            if old.and_then(|o| o.get(&index.attribute)) != Some(value) {
                match vector_of(value, index.dimensions) {
                    VectorValue::Vector(_) => {}
                    VectorValue::WrongSize(actual) => {
                        return Err(IndexKeyViolation::Cancels(ApiError::invalid_parameter(format!(
                            "Invalid size for parameter {}, Expected: {}, Actual: {actual}. IndexName: {}",
                            index.attribute, index.dimensions, index.name
                        ))))
                    }
                    VectorValue::WrongType => {
                        return Err(IndexKeyViolation::Cancels(ApiError::invalid_parameter(format!(
                            "Invalid type for parameter {}, Expected: a list (L) of numbers (N) that fit in 32-bit floating point. IndexName: {}",
                            index.attribute, index.name
                        ))))
                    }
                }
            }
        }
        for attr in index.hash.iter().chain(&index.filters) {
            if table.key_attributes().any(|k| k.name == attr.name) {
                continue;
            }
            let Some(value) = new.get(&attr.name) else { continue };
            if old.and_then(|o| o.get(&attr.name)) == Some(value) {
                continue;
            }
            if value.scalar_type() != Some(attr.kind) {
                return Err(IndexKeyViolation::Cancels(ApiError::invalid_parameter(format!(
                    "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attr.name,
                    attr.kind.as_str(),
                    value.type_name(),
                    index.name
                ))));
            }
            let max_size = cairn_model::limits::MAX_PARTITION_KEY_SIZE;
            if index.hash.as_ref() == Some(attr) && value.size() > max_size {
                return Err(IndexKeyViolation::Cancels(ApiError::invalid_parameter(format!(
                    "Size limit exceeded for Index Key {} Actual Size: {} bytes Max Size: {max_size} bytes IndexName: {}",
                    attr.name,
                    value.size(),
                    index.name
                ))));
            }
            let empty = matches!(value, AttributeValue::S(s) if s.is_empty())
                || matches!(value, AttributeValue::B(b) if b.is_empty());
            if empty && index.hash.as_ref() == Some(attr) {
                return Err(IndexKeyViolation::Refuses(ApiError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                    if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" },
                    index.name,
                    attr.name
                ))));
            }
        }
    }
    Ok(())
}

/// The key prefix of the partition holding `hash_value` (the whole index without a
/// HASH element).
pub(crate) fn partition_prefix(index: &VectorIndexMeta, hash_value: Option<&AttributeValue>) -> Vec<u8> {
    match hash_value {
        Some(value) => crate::indexes::partition_prefix(&crate::indexes::index_prefix(index.id), value),
        None => crate::indexes::index_prefix(index.id),
    }
}

/// The partition an item belongs in, if its HASH value (when needed) is there, of
/// its type and no larger than a key attribute may be.
fn partition_of(index: &VectorIndexMeta, item: &Item) -> Option<Vec<u8>> {
    match &index.hash {
        Some(hash) => {
            let value = item
                .get(&hash.name)
                .filter(|v| v.scalar_type() == Some(hash.kind))
                .filter(|v| v.size() <= cairn_model::limits::MAX_PARTITION_KEY_SIZE)?;
            Some(partition_prefix(index, Some(value)))
        }
        None => Some(partition_prefix(index, None)),
    }
}

/// What a committed item change does to the partitions' graphs (see `ann`).
pub(crate) fn graph_changes(
    table: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<((u64, Vec<u8>), ann::Change)> {
    let mut out = Vec::new();
    for index in &table.vector_indexes {
        let before = old.and_then(|item| Some((partition_of(index, item)?, entry(table, index, item)?)));
        let after = new.and_then(|item| Some((partition_of(index, item)?, entry(table, index, item)?)));
        // A graph holds the key, the vector and the inline-filter values: a change
        // to other projected attributes leaves it as it is.
        let searched = |side: &Option<(Vec<u8>, (Vec<u8>, Vec<u8>))>| {
            side.as_ref().and_then(|(partition, (key, value))| {
                let decoded = decode_entry(value)?;
                Some((
                    partition.clone(),
                    key.clone(),
                    decoded.vector,
                    ann::filter_values(index, &decoded.attributes),
                ))
            })
        };
        if searched(&before) == searched(&after) {
            continue;
        }
        if let Some((partition, (key, _))) = &before {
            if after.as_ref().is_none_or(|(_, (k, _))| k != key) {
                out.push(((index.id, partition.clone()), ann::Change::Delete { key: key.clone() }));
            }
        }
        if let Some((partition, (key, value))) = after {
            if let Some(decoded) = decode_entry(&value) {
                let filters = ann::filter_values(index, &decoded.attributes);
                out.push((
                    (index.id, partition),
                    ann::Change::Upsert {
                        key,
                        vector: decoded.vector,
                        filters,
                    },
                ));
            }
        }
    }
    out
}

/// An item's entry in `index`: its key and value, or None when the item is not in
/// the index (no vector, a vector that breaks the rules, no HASH value).
pub(crate) fn entry(table: &TableMeta, index: &VectorIndexMeta, item: &Item) -> Option<(Vec<u8>, Vec<u8>)> {
    let VectorValue::Vector(vector) = vector_of(item.get(&index.attribute)?, index.dimensions) else {
        return None;
    };
    let mut key = partition_of(index, item)?;
    for attr in table.key_attributes() {
        encode_key_value(item.get(&attr.name)?, &mut key);
    }
    let projected: Item = item
        .iter()
        .filter(|(name, _)| *name != &index.attribute && index.keeps(table, name))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut value = Vec::with_capacity(4 + vector.len() * 4);
    value.extend_from_slice(&(vector.len() as u32).to_le_bytes());
    for x in &vector {
        value.extend_from_slice(&x.to_le_bytes());
    }
    value.extend_from_slice(&encode_item(&projected));
    Some((key, value))
}

/// DynamoDB meters a vector write request at 1 KB at least, once however many of the
/// table's vector indexes it touches.
const MIN_WRITE_REQUEST_BYTES: f64 = 1024.0;

/// What a write replicated into each vector index, in bytes (its
/// VectorWriteRequestBytes): for an entry written, its vector (4 bytes a
/// dimension) and the attributes it keeps; for an entry removed, the item's key.
/// Indexes the write left unchanged are not named. When the indexes named come to
/// less than the 1 KB minimum, the first one named carries the rest (how DynamoDB
/// splits the minimum between indexes is not documented).
pub(crate) fn write_bytes(table: &TableMeta, old: Option<&Item>, new: Option<&Item>) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for index in &table.vector_indexes {
        let before = old.and_then(|item| entry(table, index, item));
        let after = new.and_then(|item| entry(table, index, item));
        let bytes = match (&before, &after) {
            (Some(b), Some(a)) if b == a => continue,
            (None, None) => continue,
            (_, Some((_, value))) => match decode_entry(value) {
                Some(e) => e.vector.len() * 4 + cairn_model::value::item_size(&e.attributes),
                None => value.len(),
            },
            (Some(_), None) => {
                let key: Item = old
                    .into_iter()
                    .flatten()
                    .filter(|(name, _)| table.key_attributes().any(|k| &k.name == *name))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                cairn_model::value::item_size(&key)
            }
        };
        out.push((index.name.clone(), bytes as f64));
    }
    let total: f64 = out.iter().map(|(_, bytes)| bytes).sum();
    if let Some((_, first)) = out.first_mut() {
        *first += (MIN_WRITE_REQUEST_BYTES - total).max(0.0);
    }
    out
}

/// A stored entry: its vector, and the projected attributes without it.
pub(crate) struct Entry {
    pub vector: Vec<f32>,
    pub attributes: Item,
}

pub(crate) fn decode_entry(bytes: &[u8]) -> Option<Entry> {
    let dims = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let floats = bytes.get(4..4 + dims * 4)?;
    let vector = floats
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let attributes = decode_item(bytes.get(4 + dims * 4..)?)?;
    Some(Entry { vector, attributes })
}

/// Brings every vector index of `table` from the `old` image of an item to the `new`
/// one, in the write's own transaction.
pub(crate) fn maintain(tx: &mut dyn Transaction, table: &TableMeta, old: Option<&Item>, new: Option<&Item>) {
    for index in &table.vector_indexes {
        let before = old.and_then(|item| entry(table, index, item));
        let after = new.and_then(|item| entry(table, index, item));
        match (&before, &after) {
            (Some(b), Some(a)) if b == a => {}
            _ => {
                if let Some((key, _)) = &before {
                    if after.as_ref().is_none_or(|(k, _)| k != key) {
                        tx.delete(key);
                    }
                }
                if let Some((key, value)) = &after {
                    tx.put(key, value);
                }
            }
        }
    }
}
