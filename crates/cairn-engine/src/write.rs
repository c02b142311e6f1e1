//! The single write path. Every item change — put, delete, and later update,
//! transaction, TTL expiry — computes (old item, new item) inside one storage
//! transaction and writes the result atomically. Index entries and stream records
//! are written here too, so they can never disagree with the item.

use crate::catalog::TableMeta;
use crate::keys::item_storage_key;
use crate::{storage_error, Engine};
use cairn_model::codec::{decode_item, encode_item};
use cairn_model::{ApiError, Item};
use cairn_storage::StorageError;

/// How many times a write is retried after losing an optimistic-concurrency race
/// before the conflict is reported to the client.
const MAX_CONFLICT_RETRIES: usize = 64;

/// The images of an item before and after one write.
#[derive(Debug, Default)]
pub(crate) struct ItemChange {
    pub old: Option<Item>,
    pub new: Option<Item>,
}

pub(crate) fn decode_stored(bytes: &[u8]) -> Result<Item, ApiError> {
    decode_item(bytes).ok_or_else(|| ApiError::internal("stored item is corrupt"))
}

impl Engine {
    /// Reads the current item with `key` (latest committed state).
    pub(crate) fn read_item(&self, table: &TableMeta, key: &Item) -> Result<Option<Item>, ApiError> {
        let storage_key = item_storage_key(table, key);
        match self.storage.get(&storage_key).map_err(storage_error)? {
            Some(bytes) => Ok(Some(decode_stored(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Applies one item write. `decide` sees the current item and returns the new one
    /// (None deletes it) or an error that aborts the write (a failed condition). It may
    /// run more than once if a concurrent write to the same item wins a race, so it
    /// must not have side effects.
    pub(crate) fn write_item(
        &self,
        table: &TableMeta,
        key: &Item,
        mut decide: impl FnMut(Option<&Item>) -> Result<Option<Item>, ApiError>,
    ) -> Result<ItemChange, ApiError> {
        let storage_key = item_storage_key(table, key);
        let mut attempt = 0;
        loop {
            let mut tx = self.storage.begin().map_err(storage_error)?;
            let old = match tx.get(&storage_key).map_err(storage_error)? {
                Some(bytes) => Some(decode_stored(&bytes)?),
                None => None,
            };
            let new = decide(old.as_ref())?;
            match &new {
                Some(item) => tx.put(&storage_key, &encode_item(item)),
                None if old.is_some() => tx.delete(&storage_key),
                None => {}
            }
            crate::indexes::maintain(tx.as_mut(), table, old.as_ref(), new.as_ref());
            // Stream records join this transaction here.
            match tx.commit() {
                Ok(()) => return Ok(ItemChange { old, new }),
                Err(StorageError::Conflict) if attempt < MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    std::thread::yield_now();
                }
                Err(e) => return Err(storage_error(e)),
            }
        }
    }
}
