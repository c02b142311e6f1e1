//! Secondary indexes: entry keys, projected entry values, and their maintenance in
//! the same storage transaction as the item (DESIGN.md section 4).
//!
//! Entry key: `x · index id · hash(index pk) · enc(index pk) · enc(index sk) ·
//! enc(table pk) · enc(table sk)`. The table key makes entries unique; items without
//! the index key attributes (or with the wrong types) have no entry (sparse indexes).

use crate::capacity::{IndexKind, IndexUnits};
use crate::catalog::{IndexMeta, KeyAttribute, TableMeta};
use cairn_model::codec::encode_item;
use cairn_model::keycodec::encode_key_value;
use cairn_model::{AttributeValue, Item};
use cairn_storage::Transaction;

pub(crate) const INDEX_PREFIX: u8 = b'x';

pub(crate) fn index_prefix(index_id: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(INDEX_PREFIX);
    key.extend_from_slice(&index_id.to_be_bytes());
    key
}

/// The index's key value of `attr` in `item`, if present with the declared type.
fn key_value<'a>(item: &'a Item, attr: &KeyAttribute) -> Option<&'a AttributeValue> {
    item.get(&attr.name).filter(|v| v.scalar_type() == Some(attr.kind))
}

/// Bytes that position one partition of a table or index: hash(pk) · enc(pk).
pub(crate) fn partition_prefix(base: &[u8], partition_value: &AttributeValue) -> Vec<u8> {
    partition_prefix_of(base, &[partition_value])
}

/// The same for a partition key of several attributes: their encodings, in key
/// order, are hashed and stored together.
pub(crate) fn partition_prefix_of(base: &[u8], partition_values: &[&AttributeValue]) -> Vec<u8> {
    let mut pk = Vec::new();
    for value in partition_values {
        encode_key_value(value, &mut pk);
    }
    let mut out = Vec::with_capacity(base.len() + 4 + pk.len());
    out.extend_from_slice(base);
    out.extend_from_slice(&crc32fast::hash(&pk).to_be_bytes());
    out.extend_from_slice(&pk);
    out
}

/// The entry key of `item` in `index`, or None if the item is not in the index.
pub(crate) fn entry_key(table: &TableMeta, index: &IndexMeta, item: &Item) -> Option<Vec<u8>> {
    let hashes = index
        .hash_keys()
        .into_iter()
        .map(|a| key_value(item, a))
        .collect::<Option<Vec<_>>>()?;
    let mut key = partition_prefix_of(&index_prefix(index.id), &hashes);
    for range in index.range_keys() {
        encode_key_value(key_value(item, range)?, &mut key);
    }
    for attr in table.key_attributes() {
        encode_key_value(item.get(&attr.name)?, &mut key);
    }
    Some(key)
}

/// The attributes an index stores for an item, per its projection.
pub(crate) fn project_entry(table: &TableMeta, index: &IndexMeta, item: &Item) -> Item {
    if index.projection_type == "ALL" {
        return item.clone();
    }
    let keep = |name: &str| {
        table.key_attributes().any(|k| k.name == name)
            || index.key_attributes().iter().any(|k| k.name == name)
            || index
                .non_key_attributes
                .as_ref()
                .is_some_and(|attrs| attrs.iter().any(|a| a == name))
    };
    item.iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Brings every index of `table` (vector indexes too) from the `old` image of an item
/// to the `new` one.
pub(crate) fn maintain(tx: &mut dyn Transaction, table: &TableMeta, old: Option<&Item>, new: Option<&Item>) {
    crate::vectors::maintain(tx, table, old, new);
    for index in table
        .global_secondary_indexes
        .iter()
        .chain(&table.local_secondary_indexes)
    {
        let old_key = old.and_then(|item| entry_key(table, index, item));
        let new_entry = new.and_then(|item| entry_key(table, index, item).map(|key| (key, item)));
        if let Some(old_key) = &old_key {
            if new_entry.as_ref().is_none_or(|(new_key, _)| new_key != old_key) {
                tx.delete(old_key);
            }
        }
        if let Some((key, item)) = new_entry {
            let projected = project_entry(table, index, item);
            let unchanged =
                old_key.as_ref() == Some(&key) && old.is_some_and(|o| project_entry(table, index, o) == projected);
            if !unchanged {
                tx.put(&key, &encode_item(&projected));
            }
        }
    }
}

/// Write units each index costs for one item change, as DynamoDB charges them: an
/// entry added, removed or rewritten costs its size in 1 KB units; a key change is a
/// delete plus a put; an index the change does not touch costs nothing.
pub(crate) fn index_write_units(table: &TableMeta, old: Option<&Item>, new: Option<&Item>) -> IndexUnits {
    let mut out = Vec::new();
    let indexes = table
        .global_secondary_indexes
        .iter()
        .map(|i| (i, IndexKind::Global))
        .chain(table.local_secondary_indexes.iter().map(|i| (i, IndexKind::Local)));
    for (index, global) in indexes {
        let old_entry = old.and_then(|o| entry_key(table, index, o).map(|k| (k, project_entry(table, index, o))));
        let new_entry = new.and_then(|n| entry_key(table, index, n).map(|k| (k, project_entry(table, index, n))));
        let units = match (&old_entry, &new_entry) {
            (None, None) => 0.0,
            (Some((ok, ov)), Some((nk, nv))) if ok == nk => {
                if ov == nv {
                    0.0
                } else {
                    crate::capacity::write_units(cairn_model::value::item_size(nv))
                }
            }
            (Some((_, ov)), Some((_, nv))) => {
                crate::capacity::write_units(cairn_model::value::item_size(ov))
                    + crate::capacity::write_units(cairn_model::value::item_size(nv))
            }
            (Some((_, v)), None) | (None, Some((_, v))) => {
                crate::capacity::write_units(cairn_model::value::item_size(v))
            }
        };
        if units > 0.0 {
            out.push((index.name.clone(), global, units));
        }
    }
    for (name, bytes) in crate::vectors::write_bytes(table, old, new) {
        out.push((name, IndexKind::Vector, bytes));
    }
    out
}
