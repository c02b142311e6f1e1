//! `cairn check`: an offline walk over a store that verifies what the write path
//! promises (DESIGN.md section 3) — every item decodes, every index entry matches its
//! item and every indexed item has its entry, item-collection counters equal the sizes
//! they count, stream records decode — and, asked to repair, mends what can be mended
//! without guessing: it removes undecodable items (after the caller has saved their
//! bytes), rewrites missing or stale index entries from their items, deletes entries
//! without an item, and recounts collections.

use crate::catalog::{IndexMeta, TableMeta};
use crate::collections::{counter_key, footprint, COLLECTION_PREFIX};
use crate::indexes::{entry_key, index_prefix, project_entry};
use crate::keys::{item_storage_key, key_of, table_prefix};
use crate::streams::stream_prefix;
use crate::write::describe_storage_key;
use crate::{storage_error, Engine};
use cairn_model::codec::{decode_item, encode_item};
use cairn_model::ApiError;
use cairn_storage::{ScanRange, Storage};
use std::collections::BTreeMap;
use std::ops::Bound;

/// Entries read per storage round trip.
const CHUNK: usize = 512;

/// What kind of inconsistency a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    UndecodableItem,
    MissingIndexEntry,
    StaleIndexEntry,
    IndexEntryWithoutItem,
    UndecodableIndexEntry,
    CollectionSizeMismatch,
    UndecodableStreamRecord,
}

/// One inconsistency, named by table and key.
#[derive(Debug, Clone)]
pub struct Problem {
    pub table: String,
    pub kind: ProblemKind,
    pub detail: String,
    /// For an undecodable item: its storage key and raw bytes, to be saved before a
    /// repair removes it.
    pub raw: Option<(Vec<u8>, Vec<u8>)>,
}

/// What a check walked and found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub tables: usize,
    pub items: u64,
    pub index_entries: u64,
    pub stream_records: u64,
    pub problems: Vec<Problem>,
    /// Problems a repair mended (all of them when repairing).
    pub repaired: usize,
}

struct Checker<'a> {
    storage: &'a dyn Storage,
    repair: bool,
    report: CheckReport,
}

/// Every `(key, value)` of a range, chunk by chunk.
fn walk(
    storage: &dyn Storage,
    prefix: &[u8],
    mut each: impl FnMut(&[u8], &[u8]) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut range = ScanRange::prefix(prefix);
    loop {
        let chunk = storage.scan(&range, CHUNK).map_err(storage_error)?;
        for (key, value) in &chunk {
            each(key, value)?;
        }
        match chunk.last() {
            Some((key, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(key.clone()),
            _ => return Ok(()),
        }
    }
}

impl Checker<'_> {
    fn found(&mut self, table: &TableMeta, kind: ProblemKind, detail: String, raw: Option<(Vec<u8>, Vec<u8>)>) {
        self.report.problems.push(Problem {
            table: table.name.clone(),
            kind,
            detail,
            raw,
        });
    }

    /// Applies one repair in its own storage transaction.
    fn mend(&mut self, put: Option<(&[u8], &[u8])>, delete: Option<&[u8]>) -> Result<(), ApiError> {
        if !self.repair {
            return Ok(());
        }
        let mut tx = self.storage.begin().map_err(storage_error)?;
        if let Some((key, value)) = put {
            tx.put(key, value);
        }
        if let Some(key) = delete {
            tx.delete(key);
        }
        tx.commit().map_err(storage_error)?;
        self.report.repaired += 1;
        Ok(())
    }

    fn indexes(table: &TableMeta) -> impl Iterator<Item = &IndexMeta> {
        // A GSI still being backfilled legitimately lacks entries.
        table
            .global_secondary_indexes
            .iter()
            .filter(|i| i.ready)
            .chain(&table.local_secondary_indexes)
    }

    fn check_items(&mut self, table: &TableMeta) -> Result<BTreeMap<Vec<u8>, u64>, ApiError> {
        let mut collections: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let storage = self.storage;
        walk(storage, &table_prefix(table.id), |key, value| {
            self.report.items += 1;
            let Some(item) = decode_item(value) else {
                let detail = format!("item {} cannot be decoded", describe_storage_key(table, key));
                self.found(
                    table,
                    ProblemKind::UndecodableItem,
                    detail,
                    Some((key.to_vec(), value.to_vec())),
                );
                return self.mend(None, Some(key));
            };
            for index in Self::indexes(table) {
                if !crate::index_keys::indexable(table, index, &item) {
                    continue;
                }
                let Some(entry) = entry_key(table, index, &item) else {
                    continue;
                };
                let expected = encode_item(&project_entry(table, index, &item));
                let kind = match storage.get(&entry).map_err(storage_error)? {
                    None => ProblemKind::MissingIndexEntry,
                    Some(stored) if stored != expected => ProblemKind::StaleIndexEntry,
                    Some(_) => continue,
                };
                let detail = format!(
                    "index {} entry of item {}",
                    index.name,
                    describe_storage_key(table, key)
                );
                self.found(table, kind, detail, None);
                self.mend(Some((&entry, &expected)), None)?;
            }
            if !table.local_secondary_indexes.is_empty() {
                if let Some(counter) = counter_key(table, &item) {
                    *collections.entry(counter).or_default() += footprint(table, Some(&item));
                }
            }
            Ok(())
        })?;
        Ok(collections)
    }

    fn check_index_entries(&mut self, table: &TableMeta, index: &IndexMeta) -> Result<(), ApiError> {
        let storage = self.storage;
        walk(storage, &index_prefix(index.id), |key, value| {
            self.report.index_entries += 1;
            let Some(entry) = decode_item(value) else {
                let detail = format!(
                    "index {} entry {} cannot be decoded",
                    index.name,
                    describe_storage_key(table, key)
                );
                self.found(table, ProblemKind::UndecodableIndexEntry, detail, None);
                return self.mend(None, Some(key));
            };
            let item_key = item_storage_key(table, &key_of(table, &entry));
            let item = storage
                .get(&item_key)
                .map_err(storage_error)?
                .and_then(|b| decode_item(&b));
            if item.is_some_and(|item| entry_key(table, index, &item).as_deref() == Some(key)) {
                return Ok(());
            }
            let detail = format!(
                "index {} entry for {} has no matching item",
                index.name,
                describe_storage_key(table, &item_key)
            );
            self.found(table, ProblemKind::IndexEntryWithoutItem, detail, None);
            self.mend(None, Some(key))
        })
    }

    fn check_collections(&mut self, table: &TableMeta, mut expected: BTreeMap<Vec<u8>, u64>) -> Result<(), ApiError> {
        let mut prefix = vec![COLLECTION_PREFIX];
        prefix.extend_from_slice(&table.id.to_be_bytes());
        let mut stored = BTreeMap::new();
        walk(self.storage, &prefix, |key, value| {
            let size = <[u8; 8]>::try_from(value).map_or(u64::MAX, u64::from_be_bytes);
            stored.insert(key.to_vec(), size);
            Ok(())
        })?;
        let keys: Vec<Vec<u8>> = stored.keys().chain(expected.keys()).cloned().collect();
        for key in keys {
            let want = expected.remove(&key).unwrap_or(0);
            let have = stored.remove(&key).unwrap_or(0);
            if want == have {
                continue;
            }
            let detail = format!("item collection counter says {have} bytes, items hold {want}");
            self.found(table, ProblemKind::CollectionSizeMismatch, detail, None);
            let value = want.to_be_bytes();
            if want == 0 {
                self.mend(None, Some(&key))?;
            } else {
                self.mend(Some((&key, &value)), None)?;
            }
        }
        Ok(())
    }

    fn check_streams(&mut self, table: &TableMeta) -> Result<(), ApiError> {
        for stream in &table.streams {
            walk(self.storage, &stream_prefix(stream.id), |key, value| {
                self.report.stream_records += 1;
                if serde_json::from_slice::<serde_json::Value>(value).is_ok() {
                    return Ok(());
                }
                let detail = format!("stream {} record {key:02x?} cannot be decoded", stream.id);
                self.found(table, ProblemKind::UndecodableStreamRecord, detail, None);
                self.mend(None, Some(key))
            })?;
        }
        Ok(())
    }
}

impl Engine {
    /// Verifies the whole store; with `repair`, mends what it finds. Meant for a store
    /// no server is writing to (the `cairn check` command).
    pub fn check(&self, repair: bool) -> Result<CheckReport, ApiError> {
        let mut checker = Checker {
            storage: self.storage.as_ref(),
            repair,
            report: CheckReport::default(),
        };
        for table in self.catalog.all() {
            checker.report.tables += 1;
            let collections = checker.check_items(&table)?;
            for index in Checker::indexes(&table) {
                checker.check_index_entries(&table, index)?;
            }
            if !table.local_secondary_indexes.is_empty() {
                checker.check_collections(&table, collections)?;
            }
            checker.check_streams(&table)?;
        }
        Ok(checker.report)
    }
}
