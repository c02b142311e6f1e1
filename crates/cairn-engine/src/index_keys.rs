//! The rules an item's secondary-index key attributes obey on every write: the type
//! the index declares, not empty, and at most 2,048 bytes for a partition-key
//! attribute and 1,024 for a sort-key attribute. DynamoDB rejects a write that breaks
//! them (an item merely lacking the attributes is fine: it is left out of the index).
//! Messages and their split between refusing the request and cancelling a
//! transaction follow DynamoDB's, as recorded against it (June 2026): violations are
//! reported for the alphabetically first index that has the attribute.

use crate::catalog::{IndexMeta, KeyAttribute, TableMeta};
use cairn_model::limits::{MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE};
use cairn_model::{ApiError, AttributeValue, Item};

/// Which request produced the item: DynamoDB words an empty key value differently
/// for an update expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteOrigin {
    Put,
    Update,
}

/// A broken index-key rule, and how DynamoDB answers it inside a transaction.
#[derive(Debug)]
pub(crate) enum IndexKeyViolation {
    /// A wrong type or an oversized value: a transaction is cancelled with a
    /// ValidationError reason; a single write is refused.
    Cancels(ApiError),
    /// An empty value: the whole request is refused, even inside a transaction.
    Refuses(ApiError),
}

impl IndexKeyViolation {
    pub(crate) fn into_error(self) -> ApiError {
        match self {
            IndexKeyViolation::Cancels(e) | IndexKeyViolation::Refuses(e) => e,
        }
    }
}

/// Every (index, attribute, limit) of a table's secondary-index keys that is not a
/// table key attribute (those follow the table's own rules), indexes in name order.
fn index_key_attributes(table: &TableMeta) -> Vec<(&IndexMeta, &KeyAttribute, usize)> {
    let mut indexes: Vec<&IndexMeta> = table
        .global_secondary_indexes
        .iter()
        .chain(&table.local_secondary_indexes)
        .collect();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    let is_table_key = |a: &KeyAttribute| table.key_attributes().any(|k| k.name == a.name);
    let mut out = Vec::new();
    for index in indexes {
        for attr in index.hash_keys().into_iter().filter(|a| !is_table_key(a)) {
            out.push((index, attr, MAX_PARTITION_KEY_SIZE));
        }
        for attr in index.range_keys().into_iter().filter(|a| !is_table_key(a)) {
            out.push((index, attr, MAX_SORT_KEY_SIZE));
        }
    }
    out
}

/// Checks the index-key attributes of `new`; those unchanged from `old` are not
/// checked again (an update that does not touch them cannot break them).
pub(crate) fn check_index_keys(
    table: &TableMeta,
    new: &Item,
    old: Option<&Item>,
    origin: WriteOrigin,
) -> Result<(), IndexKeyViolation> {
    for (index, attr, max_size) in index_key_attributes(table) {
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
        let empty = match value {
            AttributeValue::S(s) if s.is_empty() => Some("string"),
            AttributeValue::B(b) if b.is_empty() => Some("binary"),
            _ => None,
        };
        if let Some(kind) = empty {
            let message = match origin {
                WriteOrigin::Put => format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}",
                    index.name, attr.name
                ),
                WriteOrigin::Update => format!(
                    "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value."
                ),
            };
            return Err(IndexKeyViolation::Refuses(ApiError::validation(message)));
        }
        let size = value.size();
        if size > max_size {
            // DynamoDB's wording for an oversized GSI partition key; the sort-key
            // form is assumed to follow it with its own maximum.
            return Err(IndexKeyViolation::Cancels(ApiError::invalid_parameter(format!(
                "Size limit exceeded for Index Key {} Actual Size: {size} bytes Max Size: {max_size} bytes IndexName: {}",
                attr.name, index.name
            ))));
        }
    }
    // Vector indexes: the vector's form and the search-schema attributes' types.
    crate::vectors::check_item(table, new, old)
}

/// Whether an item may have an entry in `index` at all: an online backfill leaves out
/// items that break the new index's key rules (they stay in the table, unindexed).
pub(crate) fn indexable(table: &TableMeta, index: &IndexMeta, item: &Item) -> bool {
    index_key_attributes(table)
        .into_iter()
        .filter(|(i, _, _)| i.name == index.name)
        .all(|(_, attr, max_size)| match item.get(&attr.name) {
            None => true,
            Some(value) => {
                value.scalar_type() == Some(attr.kind)
                    && !matches!(value, AttributeValue::S(s) if s.is_empty())
                    && !matches!(value, AttributeValue::B(b) if b.is_empty())
                    && value.size() <= max_size
            }
        })
}
