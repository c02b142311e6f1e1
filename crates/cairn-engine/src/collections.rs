//! Item collections: in a table with local secondary indexes, the items sharing a
//! partition key and their LSI entries may not exceed 10 GB together. Their size is
//! kept in a counter per partition, updated in the same storage transaction as each
//! write (so writes to one partition of such a table serialize on it, which is also
//! where DynamoDB stores them together).

use crate::catalog::TableMeta;
use crate::indexes::{entry_key, partition_prefix, project_entry};
use crate::{storage_error, Engine};
use cairn_model::value::item_size;
use cairn_model::{ApiError, ErrorKind, Item};
use cairn_storage::Transaction;

pub(crate) const COLLECTION_PREFIX: u8 = b'z';

pub(crate) fn counter_key(table: &TableMeta, item: &Item) -> Option<Vec<u8>> {
    let pk = item.get(&table.hash_key.name)?;
    let mut base = vec![COLLECTION_PREFIX];
    base.extend_from_slice(&table.id.to_be_bytes());
    Some(partition_prefix(&base, pk))
}

/// Bytes an item occupies in its collection: the item and its LSI entries.
pub(crate) fn footprint(table: &TableMeta, item: Option<&Item>) -> u64 {
    let Some(item) = item else { return 0 };
    let mut size = item_size(item);
    for index in &table.local_secondary_indexes {
        if entry_key(table, index, item).is_some() {
            size += item_size(&project_entry(table, index, item));
        }
    }
    size as u64
}

impl Engine {
    /// Updates the collection size for one change; refuses a change that grows a
    /// collection past the limit. Returns the new size (None for tables without LSIs).
    pub(crate) fn account_collection(
        &self,
        tx: &mut dyn Transaction,
        table: &TableMeta,
        old: Option<&Item>,
        new: Option<&Item>,
    ) -> Result<Option<u64>, ApiError> {
        account(tx, table, old, new, self.config.item_collection_limit_bytes)
    }
}

/// `Engine::account_collection` for workers without the engine (restores):
/// `limit` is the largest collection allowed, in bytes.
pub(crate) fn account(
    tx: &mut dyn Transaction,
    table: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
    limit: u64,
) -> Result<Option<u64>, ApiError> {
    {
        if table.local_secondary_indexes.is_empty() {
            return Ok(None);
        }
        let Some(key) = new.or(old).and_then(|i| counter_key(table, i)) else {
            return Ok(None);
        };
        let current = match tx.get(&key).map_err(storage_error)? {
            Some(bytes) => u64::from_be_bytes(
                bytes
                    .try_into()
                    .map_err(|_| ApiError::internal("corrupt collection size"))?,
            ),
            None => 0,
        };
        let (before, after) = (footprint(table, old), footprint(table, new));
        let size = (current + after).saturating_sub(before);
        if after > before && size > limit {
            return Err(ApiError::new(
                ErrorKind::ItemCollectionSizeLimitExceeded,
                "Item collection size limit exceeded. The total size of an item collection cannot exceed 10 GB",
            ));
        }
        if size == 0 {
            tx.delete(&key);
        } else {
            tx.put(&key, &size.to_be_bytes());
        }
        Ok(Some(size))
    }
}

impl Engine {
    /// The current size of an item's collection.
    pub(crate) fn collection_size(&self, table: &TableMeta, key: &Item) -> Result<u64, ApiError> {
        let Some(counter) = counter_key(table, key) else {
            return Ok(0);
        };
        Ok(match self.storage.get(&counter).map_err(storage_error)? {
            Some(bytes) => u64::from_be_bytes(
                bytes
                    .try_into()
                    .map_err(|_| ApiError::internal("corrupt collection size"))?,
            ),
            None => 0,
        })
    }
}
