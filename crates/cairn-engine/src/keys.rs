//! Item keys: extracting and validating a table's key attributes with DynamoDB's
//! messages, and building storage keys `i · table id · hash(pk) · enc(pk) · enc(sk)`.

use crate::catalog::{KeyAttribute, TableMeta, ITEM_PREFIX};
use cairn_model::keycodec::{decode_key_value, encode_key_value};
use cairn_model::limits::{MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE};
use cairn_model::{ApiError, AttributeValue, Item};

/// The storage key prefix of all of a table's items.
pub(crate) fn table_prefix(table_id: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(ITEM_PREFIX);
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// Storage key of an item, from its (already validated) key attributes.
pub(crate) fn item_storage_key(table: &TableMeta, key: &Item) -> Vec<u8> {
    // A stable hash of the partition key groups a partition's items together and
    // spreads partitions over the keyspace as DynamoDB's hashing does.
    let empty = AttributeValue::S(String::new());
    let pk = key.get(&table.hash_key.name).unwrap_or(&empty);
    let mut out = crate::indexes::partition_prefix(&table_prefix(table.id), pk);
    if let Some(range) = &table.range_key {
        if let Some(v) = key.get(&range.name) {
            encode_key_value(v, &mut out);
        }
    }
    out
}

/// Decodes the key attributes back from a storage key.
pub(crate) fn key_from_storage_key(table: &TableMeta, storage_key: &[u8]) -> Option<Item> {
    let rest = storage_key.get(13..)?;
    let mut key = Item::new();
    let (pk, rest) = decode_key_value(table.hash_key.kind, rest)?;
    key.insert(table.hash_key.name.clone(), pk);
    if let Some(range) = &table.range_key {
        let (sk, _) = decode_key_value(range.kind, rest)?;
        key.insert(range.name.clone(), sk);
    }
    Some(key)
}

/// The key attributes of an item.
pub(crate) fn key_of(table: &TableMeta, item: &Item) -> Item {
    table
        .key_attributes()
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect()
}

fn empty_key_value(attr: &KeyAttribute, value: &AttributeValue) -> Option<ApiError> {
    let kind = match value {
        AttributeValue::S(s) if s.is_empty() => "string",
        AttributeValue::B(b) if b.is_empty() => "binary",
        _ => return None,
    };
    Some(ApiError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}",
        attr.name
    )))
}

fn check_key_sizes(table: &TableMeta, key: &Item) -> Result<(), ApiError> {
    if let Some(v) = key.get(&table.hash_key.name) {
        if v.size() > MAX_PARTITION_KEY_SIZE {
            return Err(ApiError::invalid_parameter(
                "Size of hashkey has exceeded the maximum size limit of2048 bytes",
            ));
        }
    }
    if let Some(range) = &table.range_key {
        if key.get(&range.name).is_some_and(|v| v.size() > MAX_SORT_KEY_SIZE) {
            return Err(ApiError::invalid_parameter(
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            ));
        }
    }
    Ok(())
}

/// Validates a `Key` parameter (GetItem, DeleteItem, batch keys): exactly the key
/// attributes, with the right types.
pub(crate) fn validate_key(table: &TableMeta, key: &Item) -> Result<(), ApiError> {
    let mismatch = || ApiError::validation("The provided key element does not match the schema");
    let expected = table.key_attributes().count();
    if key.len() != expected {
        return Err(mismatch());
    }
    for attr in table.key_attributes() {
        let value = key.get(&attr.name).ok_or_else(mismatch)?;
        if value.scalar_type() != Some(attr.kind) {
            return Err(mismatch());
        }
        if let Some(e) = empty_key_value(attr, value) {
            return Err(e);
        }
    }
    check_key_sizes(table, key)
}

/// Validates the key attributes inside a whole item (PutItem, batch puts).
pub(crate) fn validate_item_key(table: &TableMeta, item: &Item) -> Result<(), ApiError> {
    for attr in table.key_attributes() {
        let value = item
            .get(&attr.name)
            .ok_or_else(|| ApiError::invalid_parameter(format!("Missing the key {} in the item", attr.name)))?;
        if value.scalar_type() != Some(attr.kind) {
            return Err(ApiError::invalid_parameter(format!(
                "Type mismatch for key {} expected: {} actual: {}",
                attr.name,
                attr.kind.as_str(),
                value.type_name()
            )));
        }
        if let Some(e) = empty_key_value(attr, value) {
            return Err(e);
        }
    }
    check_key_sizes(table, item)
}
