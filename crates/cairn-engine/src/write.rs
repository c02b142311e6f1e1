//! The single write path. Every item change — put, update, delete, transaction, and
//! later TTL expiry — reads the current images inside one storage transaction,
//! computes the new ones, and writes items and index entries atomically, so they can
//! never disagree, together with the item's stream record.

use crate::catalog::catalog_key;
use crate::catalog::TableMeta;
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::keys::item_storage_key;
use crate::streams::records::record_for;
use crate::streams::{counter_key, decode_counter, encode_counter, newest_record, newest_record_range, record_key};
use crate::{storage_error, Engine};
use cairn_model::codec::{decode_item, encode_item};
use cairn_model::item_limits::check_item_to_store;
use cairn_model::types::UserIdentity;
use cairn_model::{ApiError, Item};
use cairn_storage::StorageError;
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
        let storage_keys: Vec<Vec<u8>> = keys.iter().map(|(table, key)| item_storage_key(table, key)).collect();
        let wanted: Vec<&[u8]> = storage_keys.iter().map(Vec::as_slice).collect();
        let values = tx.get_many(&wanted).map_err(storage_error)?;
        // On a shared database a read-only transaction commits too: serializable
        // reads are validated at commit. (Locally dropping it is enough, and a
        // commit could wait for an fsync under --sync.)
        if self.catalog.is_shared() {
            tx.commit().map_err(storage_error)?;
        }
        keys.iter()
            .zip(&storage_keys)
            .zip(values)
            .map(|(((table, _), k), bytes)| match bytes {
                Some(bytes) => Ok(Some(decode_stored(table, k, &bytes)?)),
                None => Ok(None),
            })
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
        self.write_items_as(targets, None, None, decide)
    }

    /// `write_items` under a ClientRequestToken claim (shared stores): the same
    /// transaction checks the claim is still this call's and writes its commit
    /// marker, so the token shows committed exactly when the writes are.
    pub(crate) fn write_items_with(
        &self,
        targets: &[(Arc<TableMeta>, Item)],
        guard: Option<&crate::idempotency::Guard>,
        decide: impl FnMut(&[Option<Item>]) -> Result<Vec<Decision>, ApiError>,
    ) -> Result<Vec<ItemChange>, ApiError> {
        self.write_items_as(targets, None, guard, decide)
    }

    /// `write_items` on behalf of `identity` (the TTL service), which stream
    /// records name in `userIdentity`.
    ///
    /// On a shared store the same transaction also reads each table's stored
    /// metadata (a mismatch with the cache reloads it and starts again, so no write
    /// is applied under stale metadata) and each stream's sequence counter, all in
    /// one round trip with the items.
    pub(crate) fn write_items_as(
        &self,
        targets: &[(Arc<TableMeta>, Item)],
        identity: Option<UserIdentity>,
        guard: Option<&crate::idempotency::Guard>,
        mut decide: impl FnMut(&[Option<Item>]) -> Result<Vec<Decision>, ApiError>,
    ) -> Result<Vec<ItemChange>, ApiError> {
        let shared = self.catalog.is_shared();
        let storage_keys: Vec<Vec<u8>> = targets
            .iter()
            .map(|(table, key)| item_storage_key(table, key))
            .collect();
        let _fence = self.catalog.write_guard();
        let mut tables: Vec<Arc<TableMeta>> = targets.iter().map(|(table, _)| table.clone()).collect();
        if !shared {
            // The metadata as cached now: a change fenced before this write began
            // (PITR enabled) applies to it.
            for table in tables.iter_mut() {
                if let Some(current) = self.catalog.current(table).filter(|c| c.id == table.id) {
                    *table = current;
                }
            }
        }
        let streamed = !shared && tables.iter().any(|table| table.active_stream().is_some());
        let interval = self.config.stream_shard_interval.as_secs_f64();
        let mut attempt = 0;
        loop {
            // One read for everything: the items, then (shared store) each distinct
            // table's metadata and each active stream's counter.
            let mut distinct: Vec<&Arc<TableMeta>> = Vec::new();
            let mut streams: Vec<u64> = Vec::new();
            if shared {
                for table in &tables {
                    if !distinct.iter().any(|t| t.id == table.id) {
                        distinct.push(table);
                        streams.extend(table.active_stream().map(|s| s.id));
                    }
                }
            }
            let meta_keys: Vec<Vec<u8>> = distinct.iter().map(|t| catalog_key(t)).collect();
            let counter_keys: Vec<Vec<u8>> = streams.iter().map(|id| counter_key(*id)).collect();
            let keys: Vec<&[u8]> = storage_keys
                .iter()
                .chain(&meta_keys)
                .chain(&counter_keys)
                .chain(guard.map(|g| &g.key))
                .map(Vec::as_slice)
                .collect();
            let mut tx = self.storage.begin().map_err(storage_error)?;
            // Sequence numbers for stream records are reserved by each attempt once
            // its transaction has begun, and held (hiding later records from readers)
            // until it settles. A write that commits after another write to the same
            // item then carries the higher numbers: a single store runs one write
            // transaction at a time, and a backend that lets them overlap makes one
            // whose snapshot missed the other's commit conflict and retry with new
            // numbers. (Taken before the first attempt, a ticket let two writers of
            // one item commit in the opposite order to their records.) A shared store
            // numbers them from counters inside the transaction instead.
            let ticket = streamed.then(|| self.sequencer.allocate(targets.len() as u64, self.clock.as_ref()));
            // A database under SERIALIZABLE isolation may refuse a read, not only the
            // commit, when a concurrent transaction interferes: that attempt restarts.
            let mut values = match tx.get_many(&keys) {
                Ok(values) => values.into_iter(),
                Err(StorageError::Conflict) if attempt < MAX_CONFLICT_RETRIES => {
                    drop(tx);
                    attempt += 1;
                    self.back_off(attempt);
                    continue;
                }
                Err(e) => return Err(storage_error(e)),
            };
            let mut olds = Vec::with_capacity(storage_keys.len());
            for ((table, _), k) in targets.iter().zip(&storage_keys) {
                olds.push(match values.next().flatten() {
                    Some(bytes) => Some(decode_stored(table, k, &bytes)?),
                    None => None,
                });
            }
            let stale = distinct
                .iter()
                .any(|table| !self.catalog.is_current(table, values.next().flatten().as_deref()));
            if stale {
                drop(tx);
                if attempt >= MAX_CONFLICT_RETRIES {
                    return Err(storage_error(StorageError::Conflict));
                }
                attempt += 1;
                // Another server changed a table: catch up (a full reload only if
                // the version says nothing moved, which should not happen).
                if !self.catalog.refresh().map_err(storage_error)? {
                    self.catalog.reload().map_err(storage_error)?;
                }
                self.back_off(attempt);
                tables = tables
                    .iter()
                    .map(|table| match self.catalog.current(table) {
                        Some(fresh) if fresh.id == table.id => Ok(fresh),
                        _ => Err(ApiError::table_not_found()),
                    })
                    .collect::<Result<_, _>>()?;
                continue;
            }
            let mut counters: Vec<(u64, u64, u32)> = Vec::with_capacity(streams.len());
            for id in &streams {
                let (sequence, shard) = match values.next().flatten() {
                    Some(bytes) => decode_counter(&bytes)
                        .ok_or_else(|| ApiError::internal("a stream sequence counter cannot be decoded"))?,
                    None => newest_record(&tx.scan(&newest_record_range(*id), 1).map_err(storage_error)?),
                };
                counters.push((*id, sequence, shard));
            }
            if let Some(guard) = guard {
                if !guard.holds(values.next().flatten().as_deref()) {
                    // The claim was taken over by a retry (this call stalled past
                    // the running limit): that retry applies the writes, not this.
                    return Err(crate::idempotency::Guard::lost());
                }
            }
            let decisions = decide(&olds)?;
            // History time (PITR): read after this attempt's reads, so a write that
            // retried behind another write to the same item is later than it.
            let history_now = self.clock.now_seconds();
            let now = match &ticket {
                Some(ticket) => ticket.now,
                None => self.clock.now_seconds(),
            };
            let mut changes = Vec::with_capacity(targets.len());
            for (position, ((table, storage_key), (old, decision))) in tables
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
                        if table.pitr.is_some() {
                            self.history
                                .record(tx.as_mut(), table, history_now, old.as_ref(), new.as_ref());
                        }
                        self.account_collection(tx.as_mut(), table, old.as_ref(), new.as_ref())?;
                        if let Some(stream) = table.active_stream() {
                            // (sequence, shard) of this record: from the ticket, or the
                            // next number of the stream's counter (never an earlier
                            // shard than the counter's, whatever this server's clock).
                            let placed = match (&ticket, counters.iter_mut().find(|c| c.0 == stream.id)) {
                                (Some(ticket), _) => {
                                    Some((ticket.base + position as u64, stream.shard_at(now, interval)))
                                }
                                (None, Some(counter)) => {
                                    Some((counter.1 + 1, stream.shard_at(now, interval).max(counter.2)))
                                }
                                (None, None) => None,
                            };
                            let record = placed.and_then(|(sequence, _)| {
                                record_for(
                                    table,
                                    stream,
                                    old.as_ref(),
                                    new.as_ref(),
                                    sequence,
                                    now,
                                    identity.as_ref(),
                                )
                            });
                            if let (Some(record), Some((sequence, shard))) = (record, placed) {
                                let json =
                                    serde_json::to_vec(&record).map_err(|e| ApiError::internal(e.to_string()))?;
                                tx.put(&record_key(stream.id, shard, sequence), &json);
                                if let Some(counter) = counters.iter_mut().find(|c| c.0 == stream.id) {
                                    (counter.1, counter.2) = (sequence, shard);
                                }
                            }
                        }
                        new
                    }
                };
                changes.push(ItemChange { old, new });
            }
            for (id, sequence, shard) in &counters {
                tx.put(&counter_key(*id), &encode_counter(*sequence, *shard));
            }
            if let Some(guard) = guard {
                tx.put(&guard.key, &guard.marker);
            }
            match tx.commit() {
                Ok(()) => {
                    // Committed: the vector graphs follow (they are not storage).
                    for (table, change) in tables.iter().zip(&changes) {
                        if !table.vector_indexes.is_empty()
                            && self.vector_graphs.has_graphs(table.vector_indexes.iter().map(|i| i.id))
                        {
                            for (partition, graph_change) in
                                crate::vectors::graph_changes(table, change.old.as_ref(), change.new.as_ref())
                            {
                                let Some(index) = table.vector_indexes.iter().find(|i| i.id == partition.0) else {
                                    continue;
                                };
                                let current =
                                    |key: &[u8]| crate::vectors::ann::current_change(self.storage.as_ref(), index, key);
                                self.vector_graphs.follow(
                                    &partition,
                                    graph_change,
                                    self.config.vector_flat_max,
                                    &current,
                                );
                            }
                        }
                    }
                    return Ok(changes);
                }
                Err(StorageError::Conflict) if attempt < MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    self.back_off(attempt);
                }
                Err(e) => return Err(storage_error(e)),
            }
        }
    }

    /// Waits before retrying a conflicted write: a yield in process, where the
    /// winner is already done; on a shared database a short random pause that grows
    /// with the attempts, so writers contending for one row (a stream counter) do
    /// not keep colliding.
    fn back_off(&self, attempt: usize) {
        if !self.catalog.is_shared() || attempt < 2 {
            std::thread::yield_now();
            return;
        }
        let ceiling_us = (200u64 << attempt.min(7)).min(20_000);
        let jitter = u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0),
        );
        std::thread::sleep(std::time::Duration::from_micros(jitter % ceiling_us));
    }
}
