//! The single write path. Every item change — put, update, delete, transaction, and
//! later TTL expiry — reads the current images inside one storage transaction,
//! computes the new ones, and writes items and index entries atomically, so they can
//! never disagree, together with the item's stream record.

use crate::catalog::TableMeta;
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::keys::item_storage_key;
use crate::streams::record_key;
use crate::streams::records::record_for;
use crate::{storage_error, Engine};
use cairn_model::codec::{decode_item, encode_item};
use cairn_model::item_limits::check_item_to_store;
use cairn_model::types::UserIdentity;
use cairn_model::{ApiError, Item};
use cairn_storage::{StorageError, Transaction};
use std::sync::Arc;

/// How many times a write is retried after losing an optimistic-concurrency race
/// before the conflict is reported to the client.
const MAX_CONFLICT_RETRIES: usize = 64;

/// The images of an item before and after one write.
#[derive(Debug, Default, Clone)]
pub(crate) struct ItemChange {
    pub old: Option<Item>,
    pub new: Option<Item>,
}

/// What to do with one item of a multi-item write.
pub(crate) enum Decision {
    /// Leave it as it is (a condition check).
    Keep,
    /// Replace it (Some) or delete it (None).
    Write(Option<Item>),
}

/// Decodes a stored item (or index entry) of `table`. A value that cannot be decoded
/// is reported with its key, so that one bad item fails only the requests that need
/// it; `cairn check --repair` quarantines it.
pub(crate) fn decode_stored(table: &TableMeta, storage_key: &[u8], bytes: &[u8]) -> Result<Item, ApiError> {
    decode_item(bytes).ok_or_else(|| {
        ApiError::internal(format!(
            "The stored item {} of table {} cannot be decoded; run `cairn check` on the data directory",
            describe_storage_key(table, storage_key),
            table.name
        ))
    })
}

/// A storage key as a reader can recognise it: the item's key attributes when it is an
/// item key, else its bytes in hex.
pub(crate) fn describe_storage_key(table: &TableMeta, storage_key: &[u8]) -> String {
    let as_item = storage_key
        .starts_with(&crate::keys::table_prefix(table.id))
        .then(|| crate::keys::key_from_storage_key(table, storage_key))
        .flatten()
        .and_then(|key| serde_json::to_string(&key).ok());
    as_item.unwrap_or_else(|| storage_key.iter().map(|b| format!("{b:02x}")).collect())
}

/// Decodes a stored value for a walk over many (Query, Scan, statistics, background
/// workers): a value that cannot be decoded is logged and skipped, so one bad item
/// never takes the rest of its table down.
pub(crate) fn decode_or_skip(table: &TableMeta, storage_key: &[u8], bytes: &[u8]) -> Option<Item> {
    match decode_stored(table, storage_key, bytes) {
        Ok(item) => Some(item),
        Err(e) => {
            tracing::error!(table = %table.name, "skipping an undecodable stored value: {}", e.message);
            None
        }
    }
}

fn read_in(tx: &mut dyn Transaction, table: &TableMeta, storage_key: &[u8]) -> Result<Option<Item>, ApiError> {
    match tx.get(storage_key).map_err(storage_error)? {
        Some(bytes) => Ok(Some(decode_stored(table, storage_key, &bytes)?)),
        None => Ok(None),
    }
}

impl Engine {
    /// Reads the current item with `key` (latest committed state).
    pub(crate) fn read_item(&self, table: &TableMeta, key: &Item) -> Result<Option<Item>, ApiError> {
        let storage_key = item_storage_key(table, key);
        match self.storage.get(&storage_key).map_err(storage_error)? {
            Some(bytes) => Ok(Some(decode_stored(table, &storage_key, &bytes)?)),
            None => Ok(None),
        }
    }

    /// Reads several items from one consistent view (a storage transaction that
    /// writes nothing).
    pub(crate) fn read_items_consistently(
        &self,
        keys: &[(Arc<TableMeta>, Item)],
    ) -> Result<Vec<Option<Item>>, ApiError> {
        let mut tx = self.storage.begin().map_err(storage_error)?;
        keys.iter()
            .map(|(table, key)| read_in(tx.as_mut(), table, &item_storage_key(table, key)))
            .collect()
    }

    /// Applies one item write. `decide` sees the current item and returns the new one
    /// (None deletes it) or an error that aborts the write (a failed condition).
    pub(crate) fn write_item(
        &self,
        table: &Arc<TableMeta>,
        key: &Item,
        mut decide: impl FnMut(Option<&Item>) -> Result<Option<Item>, ApiError>,
    ) -> Result<ItemChange, ApiError> {
        let targets = [(table.clone(), key.clone())];
        let mut changes = self.write_items(&targets, |olds| Ok(vec![Decision::Write(decide(olds[0].as_ref())?)]))?;
        Ok(changes.pop().unwrap_or_default())
    }

    /// Applies a write to several items atomically. `decide` sees every current image
    /// (in `targets` order) and returns one decision per item, or an error that aborts
    /// everything. It may run more than once if a concurrent writer wins a race, so it
    /// must not have side effects.
    pub(crate) fn write_items(
        &self,
        targets: &[(Arc<TableMeta>, Item)],
        decide: impl FnMut(&[Option<Item>]) -> Result<Vec<Decision>, ApiError>,
    ) -> Result<Vec<ItemChange>, ApiError> {
        self.write_items_as(targets, None, decide)
    }

    /// `write_items` on behalf of `identity` (the TTL service), which stream
    /// records name in `userIdentity`.
    pub(crate) fn write_items_as(
        &self,
        targets: &[(Arc<TableMeta>, Item)],
        identity: Option<UserIdentity>,
        mut decide: impl FnMut(&[Option<Item>]) -> Result<Vec<Decision>, ApiError>,
    ) -> Result<Vec<ItemChange>, ApiError> {
        let storage_keys: Vec<Vec<u8>> = targets
            .iter()
            .map(|(table, key)| item_storage_key(table, key))
            .collect();
        // Sequence numbers for stream records are reserved before the first attempt
        // and held (hiding later records from readers) until this write settles.
        let ticket = targets
            .iter()
            .any(|(table, _)| table.active_stream().is_some())
            .then(|| self.sequencer.allocate(targets.len() as u64, self.clock.as_ref()));
        let interval = self.config.stream_shard_interval.as_secs_f64();
        let mut attempt = 0;
        loop {
            let mut tx = self.storage.begin().map_err(storage_error)?;
            // A database under SERIALIZABLE isolation may refuse a read, not only the
            // commit, when a concurrent transaction interferes: that attempt restarts.
            let mut read_conflict = false;
            let mut olds = Vec::with_capacity(storage_keys.len());
            for (k, (table, _)) in storage_keys.iter().zip(targets) {
                match tx.get(k) {
                    Ok(Some(bytes)) => olds.push(Some(decode_stored(table, k, &bytes)?)),
                    Ok(None) => olds.push(None),
                    Err(StorageError::Conflict) if attempt < MAX_CONFLICT_RETRIES => {
                        read_conflict = true;
                        break;
                    }
                    Err(e) => return Err(storage_error(e)),
                }
            }
            if read_conflict {
                drop(tx);
                attempt += 1;
                std::thread::yield_now();
                continue;
            }
            let decisions = decide(&olds)?;
            let mut changes = Vec::with_capacity(targets.len());
            for (position, (((table, _), storage_key), (old, decision))) in targets
                .iter()
                .zip(&storage_keys)
                .zip(olds.into_iter().zip(decisions))
                .enumerate()
            {
                let new = match decision {
                    Decision::Keep => old.clone(),
                    Decision::Write(new) => {
                        match &new {
                            Some(item) => {
                                // INVARIANT: nothing reaches storage that breaks an item
                                // limit, whichever operation built it.
                                check_item_to_store(item)?;
                                check_index_keys(table, item, old.as_ref(), WriteOrigin::Put)
                                    .map_err(IndexKeyViolation::into_error)?;
                                tx.put(storage_key, &encode_item(item))
                            }
                            None if old.is_some() => tx.delete(storage_key),
                            None => {}
                        }
                        crate::indexes::maintain(tx.as_mut(), table, old.as_ref(), new.as_ref());
                        self.account_collection(tx.as_mut(), table, old.as_ref(), new.as_ref())?;
                        if let (Some(stream), Some(ticket)) = (table.active_stream(), &ticket) {
                            let sequence = ticket.base + position as u64;
                            let record = record_for(
                                table,
                                stream,
                                old.as_ref(),
                                new.as_ref(),
                                sequence,
                                ticket.now,
                                identity.as_ref(),
                            );
                            if let Some(record) = record {
                                let json =
                                    serde_json::to_vec(&record).map_err(|e| ApiError::internal(e.to_string()))?;
                                tx.put(
                                    &record_key(stream.id, stream.shard_at(ticket.now, interval), sequence),
                                    &json,
                                );
                            }
                        }
                        new
                    }
                };
                changes.push(ItemChange { old, new });
            }
            match tx.commit() {
                Ok(()) => return Ok(changes),
                Err(StorageError::Conflict) if attempt < MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    std::thread::yield_now();
                }
                Err(e) => return Err(storage_error(e)),
            }
        }
    }
}
