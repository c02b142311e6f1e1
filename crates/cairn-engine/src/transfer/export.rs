//! ExportTableToPointInTime, DescribeExport and ListExports.
//!
//! An export writes what AWS writes to S3 (`<prefix>/AWSDynamoDB/<ExportId>/`:
//! `_started`, gzip data files, `manifest-files.json`, `manifest-summary.json` and
//! their `.md5`) to the configured object store. A full export without ExportTime
//! reads one storage snapshot taken during the call; one at an earlier time (and an
//! export resumed after a restart) rebuilds the table at that instant from the
//! newest point-in-time base copy at or before it plus the history after it, as a
//! restore does, without writing a table. An incremental export reads the history
//! of its window: one record per changed item with its final image, and (with
//! NEW_AND_OLD_IMAGES) its image just before the window.
//!
//! Export records live under `mexport/<id>`; the export runs on a thread of the
//! server that accepted it and saves a heartbeat; the background worker restarts
//! one whose server stopped.

use super::formats::{gzip, json_item_line};
use super::ion;
use super::objects::{ObjectError, ObjectStore};
use crate::backup::{self, data_prefix, wall_seconds};
use crate::catalog::TableMeta;
use crate::keys::{item_storage_key, key_of, table_prefix};
use crate::ops::continuous_backups::iso;
use crate::ops::describe_table::table_arn;
use crate::pitr::{self, decode_change, history_position, time_of, Change};
use crate::write::decode_or_skip;
use crate::{storage_error, Engine, RequestContext};
use base64::Engine as _;
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    ExportArnInput, ExportDescription, ExportDescriptionOutput, ExportSummary, ExportTableToPointInTimeInput,
    IncrementalExportSpecification, ListExportsInput, ListExportsOutput,
};
use cairn_model::value::item_size;
use cairn_model::{ApiError, ErrorKind, Item};
use cairn_storage::{ScanRange, Snapshot, Storage, StorageError};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

const EXPORT_PREFIX: &[u8] = b"mexport/";
/// A data file is closed once it holds this much (uncompressed) text.
const FILE_BYTES: usize = 64 * 1024 * 1024;
const CHUNK: usize = 1024;
/// An export whose server has not reported progress for this long is restarted.
const STALE_SECONDS: f64 = 60.0;
const MIN_INCREMENTAL_SECONDS: f64 = 15.0 * 60.0;
const MAX_INCREMENTAL_SECONDS: f64 = 24.0 * 3600.0;

/// What Cairn keeps about one export.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExportRecord {
    pub id: u64,
    pub export_id: String,
    pub description: ExportDescription,
    /// The source table's metadata when the export began.
    pub table: TableMeta,
    /// The request's parameters, compared when a ClientToken is reused.
    pub request: String,
    pub heartbeat: f64,
    /// A full export of "now": the instant its snapshot was taken (a restart
    /// rebuilds that instant from the point-in-time history).
    pub snapshot_instant: Option<f64>,
    /// The worker running it (a random id); a worker that finds another id stored
    /// stops without writing anything more.
    #[serde(default)]
    pub owner: String,
}

/// Why a worker stops quietly: another one took the export over.
const TAKEN_OVER: &str = "the export was taken over by another worker";

fn record_key(id: u64) -> Vec<u8> {
    let mut key = EXPORT_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corruption(format!("export record: {e}"))
}

fn save(storage: &dyn Storage, record: &ExportRecord) -> Result<(), StorageError> {
    let mut tx = storage.begin()?;
    tx.put(
        &record_key(record.id),
        &serde_json::to_vec(record).map_err(|e| StorageError::Other(e.to_string()))?,
    );
    tx.commit()
}

fn all(storage: &dyn Storage) -> Result<Vec<ExportRecord>, StorageError> {
    storage
        .scan(&ScanRange::prefix(EXPORT_PREFIX), usize::MAX)?
        .into_iter()
        .map(|(_, v)| serde_json::from_slice(&v).map_err(corrupt))
        .collect()
}

/// What unfinished exports still read from point-in-time data: (table id, the
/// instant they rebuild from). Base copies taken at or before it, and the table's
/// history, are kept while they run.
pub(crate) fn pitr_needs(storage: &dyn Storage) -> Result<Vec<(u64, f64)>, StorageError> {
    Ok(all(storage)?
        .into_iter()
        .filter(|r| r.description.export_status == "IN_PROGRESS")
        .map(|r| {
            let d = &r.description;
            let instant = match &d.incremental_export_specification {
                Some(spec) => spec.export_from_time.unwrap_or(d.export_time),
                None => r.snapshot_instant.unwrap_or(d.export_time),
            };
            (r.table.id, instant)
        })
        .collect())
}

fn export_not_found(arn: &str) -> ApiError {
    ApiError::new(ErrorKind::ExportNotFound, format!("Export not found: {arn}"))
}

/// `<prefix>/` or nothing.
fn prefix_path(prefix: Option<&str>) -> String {
    match prefix.map(|p| p.trim_end_matches('/')) {
        Some(p) if !p.is_empty() => format!("{p}/"),
        _ => String::new(),
    }
}

/// A data file name as AWS makes them: 26 characters of base32 (a-z, 2-7).
fn file_token(seed: &str, index: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let digest = Md5::digest(format!("{seed}/{index}").as_bytes());
    let mut bits: u128 = u128::from_be_bytes(digest.into());
    (0..26)
        .map(|_| {
            let c = ALPHABET[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

fn md5_base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn object_failure(e: &ObjectError) -> (String, String) {
    match e {
        ObjectError::NoSuchBucket(_) => ("S3NoSuchBucket".to_string(), e.to_string()),
        _ => ("UNKNOWN".to_string(), e.to_string()),
    }
}

/// Writes data files of one export and remembers their manifest lines.
struct DataWriter<'a> {
    store: &'a dyn ObjectStore,
    /// Set when another worker took the export over: nothing more is written.
    lost: Arc<std::sync::atomic::AtomicBool>,
    bucket: String,
    /// Key prefix of the data files (`.../data/`).
    directory: String,
    seed: String,
    extension: &'static str,
    text: String,
    items_in_file: i64,
    manifest: String,
    files: usize,
    items: i64,
    bytes: i64,
}

impl DataWriter<'_> {
    fn line(&mut self, line: &str, size: usize) -> Result<(), ObjectError> {
        self.text.push_str(line);
        self.text.push('\n');
        self.items_in_file += 1;
        self.items += 1;
        self.bytes += size as i64;
        if self.text.len() >= FILE_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ObjectError> {
        if self.lost.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(ObjectError::Other(TAKEN_OVER.to_string()));
        }
        let data = gzip(self.text.as_bytes());
        let key = format!(
            "{}{}.{}.gz",
            self.directory,
            file_token(&self.seed, self.files),
            self.extension
        );
        self.store.put(&self.bucket, &key, &data)?;
        let line = serde_json::json!({
            "itemCount": self.items_in_file,
            "md5Checksum": md5_base64(&data),
            "etag": md5_hex(&data),
            "dataFileS3Key": key,
        });
        self.manifest.push_str(&line.to_string());
        self.manifest.push('\n');
        self.files += 1;
        self.text.clear();
        self.items_in_file = 0;
        Ok(())
    }
}

/// The parameters of an accepted export that the worker needs.
#[derive(Clone)]
struct ExportJob {
    storage: Arc<dyn Storage>,
    objects: Arc<dyn ObjectStore>,
    record: ExportRecord,
    lost: Arc<std::sync::atomic::AtomicBool>,
    /// Several servers share the store: see `settle`.
    shared: bool,
    clock: Arc<dyn crate::Clock>,
}

/// With several servers, how long after an instant an export waits before reading
/// the history up to it: a write on another server takes its history time before it
/// commits, and must be in by then.
const SETTLE_SECONDS: f64 = 5.0;

/// Why an export stopped: storage trouble (retried by a restart) or a failure the
/// export reports (FAILED).
enum Stop {
    Storage(String),
    Failed(String, String),
}

impl From<StorageError> for Stop {
    fn from(e: StorageError) -> Self {
        Stop::Storage(e.to_string())
    }
}

impl From<ObjectError> for Stop {
    fn from(e: ObjectError) -> Self {
        if e == ObjectError::Other(TAKEN_OVER.to_string()) {
            return Stop::Storage(TAKEN_OVER.to_string());
        }
        let (code, message) = object_failure(&e);
        Stop::Failed(code, message)
    }
}

impl ExportJob {
    /// Waits (at most SETTLE_SECONDS) until `instant` is that long past, when other
    /// servers write to the same store.
    fn settle(&self, instant: f64) {
        if !self.shared {
            return;
        }
        let started = std::time::Instant::now();
        while self.clock.now_seconds() < instant + SETTLE_SECONDS
            && started.elapsed() < std::time::Duration::from_secs_f64(SETTLE_SECONDS)
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Saves the finished record, unless another worker took the export over.
    fn save_final(&self) {
        let finished = self.record.clone();
        let saved = super::update_owned::<ExportRecord>(
            self.storage.as_ref(),
            &record_key(self.record.id),
            &self.record.owner,
            |r| {
                *r = finished.clone();
                r.heartbeat = wall_seconds();
            },
        );
        if let Err(e) = saved {
            tracing::warn!(error = %e, "saving the export's outcome failed");
        }
    }

    /// Runs the export to its end, recording COMPLETED or FAILED.
    fn run(mut self, snapshot: Option<Box<dyn Snapshot>>) {
        // A heartbeat every few seconds while the export runs; if another worker
        // took it over, this one stops before writing anything more.
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let beat = {
            let (done, lost) = (done.clone(), self.lost.clone());
            let (storage, id, owner) = (self.storage.clone(), self.record.id, self.record.owner.clone());
            std::thread::spawn(move || {
                let mut last = std::time::Instant::now();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    if last.elapsed() < std::time::Duration::from_secs(10) {
                        continue;
                    }
                    last = std::time::Instant::now();
                    match super::update_owned::<ExportRecord>(storage.as_ref(), &record_key(id), &owner, |r| {
                        r.heartbeat = wall_seconds()
                    }) {
                        Ok(true) => {}
                        Ok(false) => lost.store(true, std::sync::atomic::Ordering::Relaxed),
                        Err(e) => tracing::warn!(error = %e, "export heartbeat failed"),
                    }
                }
            })
        };
        let outcome = self.write_all(snapshot);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = beat.join();
        let now = wall_seconds();
        let d = &mut self.record.description;
        match outcome {
            Ok((items, bytes)) => {
                d.export_status = "COMPLETED".to_string();
                d.item_count = Some(items);
                d.billed_size_bytes = Some(bytes);
                d.end_time = Some(now);
            }
            Err(Stop::Failed(code, message)) => {
                d.export_status = "FAILED".to_string();
                d.failure_code = Some(code);
                d.failure_message = Some(message);
                d.end_time = Some(now);
            }
            Err(Stop::Storage(e)) => {
                // Left IN_PROGRESS: the background worker restarts it.
                return tracing::warn!(export = d.export_arn, error = %e, "export interrupted; it is restarted later");
            }
        }
        self.save_final();
    }

    fn write_all(&mut self, snapshot: Option<Box<dyn Snapshot>>) -> Result<(i64, i64), Stop> {
        let d = self.record.description.clone();
        let store = self.objects.clone();
        let base = format!(
            "{}AWSDynamoDB/{}/",
            prefix_path(d.s3_prefix.as_deref()),
            self.record.export_id
        );
        store.put(&d.s3_bucket, &format!("{base}_started"), b"")?;
        let incremental = d.export_type == "INCREMENTAL_EXPORT";
        let ion = d.export_format == "ION";
        let directory = if incremental {
            format!("{}AWSDynamoDB/data/", prefix_path(d.s3_prefix.as_deref()))
        } else {
            format!("{base}data/")
        };
        let mut writer = DataWriter {
            store: store.as_ref(),
            bucket: d.s3_bucket.clone(),
            directory,
            // Each worker its own file names: a worker taken over never overwrites
            // the files of the one that took over.
            seed: format!("{}/{}", self.record.export_id, self.record.owner),
            lost: self.lost.clone(),
            extension: if ion { "ion" } else { "json" },
            text: String::new(),
            items_in_file: 0,
            manifest: String::new(),
            files: 0,
            items: 0,
            bytes: 0,
        };
        let table = self.record.table.clone();
        if incremental {
            let spec = d.incremental_export_specification.clone().unwrap_or_default();
            self.settle(spec.export_to_time.unwrap_or(d.export_time));
            self.write_changes(&table, &spec, ion, &mut writer)?;
        } else {
            let mut emit = |item: &Item| {
                let line = if ion {
                    let mut text = "$ion_1_0 {Item:".to_string();
                    ion::write_struct(&mut text, item);
                    text.push('}');
                    text
                } else {
                    json_item_line(item)
                };
                writer.line(&line, item_size(item))
            };
            match snapshot {
                Some(mut snapshot) => {
                    let mut range = ScanRange::prefix(&table_prefix(table.id));
                    loop {
                        let chunk = snapshot.scan(&range, CHUNK)?;
                        for (key, value) in &chunk {
                            if let Some(item) = decode_or_skip(&table, key, value) {
                                emit(&item)?;
                            }
                        }
                        match chunk.last() {
                            Some((key, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(key.clone()),
                            _ => break,
                        }
                    }
                }
                None => {
                    let at = self.record.snapshot_instant.unwrap_or(d.export_time);
                    self.settle(at);
                    table_at(self.storage.as_ref(), &table, at, &mut emit)?;
                }
            }
        }
        // At least one data file, as DynamoDB writes for an empty table.
        if writer.items_in_file > 0 || writer.files == 0 {
            writer.flush()?;
        }
        let (items, bytes) = (writer.items, writer.bytes);
        let manifest = std::mem::take(&mut writer.manifest);
        store.put(&d.s3_bucket, &format!("{base}manifest-files.json"), manifest.as_bytes())?;
        store.put(
            &d.s3_bucket,
            &format!("{base}manifest-files.md5"),
            md5_base64(manifest.as_bytes()).as_bytes(),
        )?;
        let mut summary = serde_json::json!({
            "version": if incremental { "2023-08-01" } else { "2020-06-30" },
            "exportArn": d.export_arn,
            "startTime": iso(d.start_time),
            "endTime": iso(wall_seconds()),
            "tableArn": d.table_arn,
            "tableId": d.table_id,
        });
        let fields = summary.as_object_mut().ok_or(Stop::Storage("summary".into()))?;
        if incremental {
            let spec = d.incremental_export_specification.clone().unwrap_or_default();
            fields.insert(
                "exportFromTime".into(),
                iso(spec.export_from_time.unwrap_or(0.0)).into(),
            );
            fields.insert("exportToTime".into(), iso(spec.export_to_time.unwrap_or(0.0)).into());
        } else {
            fields.insert("exportTime".into(), iso(d.export_time).into());
        }
        fields.insert("s3Bucket".into(), d.s3_bucket.clone().into());
        fields.insert("s3Prefix".into(), d.s3_prefix.clone().into());
        fields.insert("s3SseAlgorithm".into(), d.s3_sse_algorithm.clone().into());
        fields.insert("s3SseKmsKeyId".into(), d.s3_sse_kms_key_id.clone().into());
        fields.insert("manifestFilesS3Key".into(), format!("{base}manifest-files.json").into());
        fields.insert("billedSizeBytes".into(), bytes.into());
        fields.insert("itemCount".into(), items.into());
        fields.insert("outputFormat".into(), d.export_format.clone().into());
        if incremental {
            let view = d
                .incremental_export_specification
                .as_ref()
                .and_then(|s| s.export_view_type.clone())
                .unwrap_or_default();
            fields.insert("outputView".into(), view.into());
        }
        fields.insert("exportType".into(), d.export_type.clone().into());
        let summary = summary.to_string();
        store.put(
            &d.s3_bucket,
            &format!("{base}manifest-summary.json"),
            summary.as_bytes(),
        )?;
        store.put(
            &d.s3_bucket,
            &format!("{base}manifest-summary.md5"),
            md5_base64(summary.as_bytes()).as_bytes(),
        )?;
        Ok((items, bytes))
    }

    /// One record per item changed in [from, to): its last change's time, its key,
    /// its image at the end (absent if deleted) and, with NEW_AND_OLD_IMAGES, its
    /// image just before `from` (absent if it did not exist).
    fn write_changes(
        &mut self,
        table: &TableMeta,
        spec: &IncrementalExportSpecification,
        ion: bool,
        writer: &mut DataWriter,
    ) -> Result<(), Stop> {
        let from = spec.export_from_time.unwrap_or(0.0);
        let to = spec.export_to_time.unwrap_or(from);
        let storage = self.storage.as_ref();
        let mut changes: BTreeMap<Vec<u8>, (u64, Item, Option<Item>)> = BTreeMap::new();
        scan_history(
            storage,
            table,
            pitr::micros(from),
            pitr::micros(to),
            |time, key, new| {
                changes.insert(item_storage_key(table, &key), (time, key, new));
            },
        )?;
        let old_images = match spec.export_view_type.as_deref() {
            Some("NEW_IMAGE") => None,
            _ => Some(images_before(storage, table, from, &changes)?),
        };
        for (storage_key, (time, key, new)) in &changes {
            let old = old_images.as_ref().and_then(|o| o.get(storage_key).cloned().flatten());
            let existed_before = old_images
                .as_ref()
                .map(|o| o.get(storage_key).is_some_and(Option::is_some));
            // Created and deleted inside the window: nothing to report.
            if new.is_none() && existed_before == Some(false) {
                continue;
            }
            let size = new.as_ref().map_or(0, item_size) + old.as_ref().map_or(0, item_size);
            let line = if ion {
                let mut text = format!("$ion_1_0 {{Metadata:{{WriteTimestampMicros:{time}.}},Keys:");
                ion::write_struct(&mut text, key);
                if let Some(new) = new {
                    text.push_str(",NewImage:");
                    ion::write_struct(&mut text, new);
                }
                if let Some(old) = &old {
                    text.push_str(",OldImage:");
                    ion::write_struct(&mut text, old);
                }
                text.push('}');
                text
            } else {
                let mut record = serde_json::Map::new();
                record.insert(
                    "Metadata".into(),
                    serde_json::json!({"WriteTimestampMicros": {"N": time.to_string()}}),
                );
                let json = |item: &Item| serde_json::to_value(item).unwrap_or_default();
                record.insert("Keys".into(), json(key));
                if let Some(new) = new {
                    record.insert("NewImage".into(), json(new));
                }
                if let Some(old) = &old {
                    record.insert("OldImage".into(), json(old));
                }
                serde_json::Value::Object(record).to_string()
            };
            writer.line(&line, size)?;
        }
        Ok(())
    }
}

/// Calls `f(time µs, key, new image or None)` for every change of `table` with a
/// time in [from, to), oldest first.
fn scan_history(
    storage: &dyn Storage,
    table: &TableMeta,
    from: u64,
    to: u64,
    mut f: impl FnMut(u64, Item, Option<Item>),
) -> Result<(), StorageError> {
    let mut range = ScanRange {
        start: Bound::Included(history_position(table.id, from)),
        end: Bound::Excluded(history_position(table.id, to)),
        reverse: false,
    };
    loop {
        let chunk = storage.scan(&range, CHUNK)?;
        for (key, value) in &chunk {
            let Some(time) = time_of(key) else { continue };
            match decode_change(value) {
                Some(Change::Put(item)) => f(time, key_of(table, &item), Some(item)),
                Some(Change::Delete(key)) => f(time, key, None),
                None => {}
            }
        }
        match chunk.last() {
            Some((key, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(key.clone()),
            _ => return Ok(()),
        }
    }
}

/// The newest base copy of `table` taken at or before `at`, and where its replay
/// starts (µs).
fn base_for(storage: &dyn Storage, table: &TableMeta, at: f64) -> Result<(u64, u64), Stop> {
    let pitr_state = table
        .pitr
        .as_ref()
        .ok_or_else(|| Stop::Failed("UNKNOWN".into(), "Point in time recovery was disabled".into()))?;
    let base = pitr::current_bases(storage, table, pitr_state)?
        .into_iter()
        .rev()
        .find(|b| b.created_at <= at)
        .ok_or_else(|| {
            Stop::Failed(
                "UNKNOWN".into(),
                "No point-in-time data is kept for the export time any more".into(),
            )
        })?;
    let start = pitr::micros((base.created_at - pitr::REPLAY_MARGIN_SECONDS).max(pitr_state.enabled_at));
    Ok((base.id, start))
}

/// Each changed item's image just before `from`: from the newest base copy at or
/// before it, updated by the history between that base and `from`.
fn images_before(
    storage: &dyn Storage,
    table: &TableMeta,
    from: f64,
    changes: &BTreeMap<Vec<u8>, (u64, Item, Option<Item>)>,
) -> Result<BTreeMap<Vec<u8>, Option<Item>>, Stop> {
    let (base_id, start) = base_for(storage, table, from)?;
    let mut images = BTreeMap::new();
    for storage_key in changes.keys() {
        let mut data_key = data_prefix(base_id);
        data_key.extend_from_slice(storage_key);
        let image = storage
            .get(&data_key)?
            .and_then(|bytes| decode_or_skip(table, storage_key, &bytes));
        images.insert(storage_key.clone(), image);
    }
    scan_history(storage, table, start, pitr::micros(from), |_, key, new| {
        let storage_key = item_storage_key(table, &key);
        if let Some(image) = images.get_mut(&storage_key) {
            *image = new;
        }
    })?;
    Ok(images)
}

/// Calls `emit` with every item of `table` as it was at `at`: the newest base copy
/// at or before `at`, with the history from just before that copy up to `at`
/// applied (held in memory: the changes of at most a day, as base copies are daily).
fn table_at(
    storage: &dyn Storage,
    table: &TableMeta,
    at: f64,
    emit: &mut dyn FnMut(&Item) -> Result<(), ObjectError>,
) -> Result<(), Stop> {
    let (base_id, start) = base_for(storage, table, at)?;
    let mut changed: BTreeMap<Vec<u8>, Option<Item>> = BTreeMap::new();
    scan_history(
        storage,
        table,
        start,
        pitr::micros(at).saturating_add(1),
        |_, key, new| {
            changed.insert(item_storage_key(table, &key), new);
        },
    )?;
    let prefix = data_prefix(base_id);
    let mut range = ScanRange::prefix(&prefix);
    loop {
        let chunk = storage.scan(&range, CHUNK)?;
        for (data_key, value) in &chunk {
            let storage_key = &data_key[prefix.len()..];
            if changed.contains_key(storage_key) {
                continue;
            }
            if let Some(item) = decode_or_skip(table, storage_key, value) {
                emit(&item)?;
            }
        }
        match chunk.last() {
            Some((key, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(key.clone()),
            _ => break,
        }
    }
    for item in changed.values().flatten() {
        emit(item)?;
    }
    Ok(())
}

pub(crate) fn s3_bucket_constraints(c: &mut Constraints, bucket: Option<&str>, path: &str) {
    let Some(bucket) = bucket else {
        return c.violation(None, path, "Member must not be null");
    };
    c.max_length(Some(bucket), bucket.chars().count(), path, 255);
    let bytes = bucket.as_bytes();
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    let valid = bytes.len() >= 2
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !valid {
        c.violation(
            Some(bucket),
            path,
            "Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
        );
    }
}

pub(crate) fn client_token_constraints(c: &mut Constraints, token: Option<&str>) {
    if let Some(token) = token {
        if token.is_empty() || token.contains('$') {
            c.violation(
                Some(token),
                "clientToken",
                "Member must satisfy regular expression pattern: ^[^\\$]+$",
            );
        }
    }
}

impl Engine {
    pub fn export_table_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: ExportTableToPointInTimeInput,
    ) -> Result<ExportDescriptionOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        match input.table_arn.as_deref() {
            None => c.violation(None, "tableArn", "Member must not be null"),
            Some(arn) => {
                let len = arn.chars().count();
                c.min_length(Some(arn), len, "tableArn", 1);
                c.max_length(Some(arn), len, "tableArn", 1024);
            }
        }
        s3_bucket_constraints(&mut c, input.s3_bucket.as_deref(), "s3Bucket");
        if let Some(prefix) = input.s3_prefix.as_deref() {
            c.max_length(Some(prefix), prefix.chars().count(), "s3Prefix", 1024);
        }
        client_token_constraints(&mut c, input.client_token.as_deref());
        c.one_of(input.s3_sse_algorithm.as_deref(), "s3SseAlgorithm", &["AES256", "KMS"]);
        c.one_of(
            input.export_format.as_deref(),
            "exportFormat",
            &["DYNAMODB_JSON", "ION"],
        );
        c.one_of(
            input.export_type.as_deref(),
            "exportType",
            &["FULL_EXPORT", "INCREMENTAL_EXPORT"],
        );
        if let Some(spec) = &input.incremental_export_specification {
            c.one_of(
                spec.export_view_type.as_deref(),
                "incrementalExportSpecification.exportViewType",
                &["NEW_IMAGE", "NEW_AND_OLD_IMAGES"],
            );
        }
        if let Some(owner) = input.s3_bucket_owner.as_deref() {
            if owner.len() != 12 || !owner.bytes().all(|b| b.is_ascii_digit()) {
                c.violation(
                    Some(owner),
                    "s3BucketOwner",
                    "Member must satisfy regular expression pattern: [0-9]{12}",
                );
            }
        }
        c.finish()?;
        let arn = input.table_arn.clone().unwrap_or_default();
        let name = crate::ops::backups::table_name_of(&arn).to_string();
        let incremental = input.export_type.as_deref() == Some("INCREMENTAL_EXPORT");
        if incremental && input.export_time.is_some() {
            return Err(ApiError::validation(
                "ExportTime cannot be specified for an incremental export; use IncrementalExportSpecification",
            ));
        }
        if !incremental && input.incremental_export_specification.is_some() {
            return Err(ApiError::validation(
                "IncrementalExportSpecification can only be specified when ExportType is INCREMENTAL_EXPORT",
            ));
        }
        let request = serde_json::json!({
            "table": arn, "time": input.export_time, "bucket": input.s3_bucket, "owner": input.s3_bucket_owner,
            "prefix": input.s3_prefix, "sse": input.s3_sse_algorithm, "kms": input.s3_sse_kms_key_id,
            "format": input.export_format, "type": input.export_type,
            "spec": input.incremental_export_specification,
        })
        .to_string();
        let now = self.clock.now_seconds();
        if let Some(token) = &input.client_token {
            let records = all(self.storage.as_ref()).map_err(storage_error)?;
            if let Some(previous) = super::named_by_token(records, token, &request, now, || {
                ApiError::new(ErrorKind::ExportConflict, "There was a conflict when writing to the specified S3 bucket: an export with this client token and other parameters exists")
            })? {
                return Ok(ExportDescriptionOutput {
                    export_description: previous.description,
                });
            }
        }
        let table = self
            .catalog
            .get(&ctx.region, &name)
            .filter(|t| !t.loading())
            .ok_or_else(|| ApiError::new(ErrorKind::TableNotFound, format!("Table not found: {name}")))?;
        let not_enabled = || {
            ApiError::new(
                ErrorKind::PointInTimeRecoveryUnavailable,
                format!("Point in time recovery is not enabled for table '{name}'"),
            )
        };
        let pitr_state = table.pitr.clone().ok_or_else(not_enabled)?;
        let earliest = pitr_state
            .earliest
            .map(|first| first.max(now - pitr_state.recovery_period_days as f64 * 86_400.0))
            .ok_or_else(not_enabled)?;
        let invalid_time = |what: &str, t: f64| {
            ApiError::new(
                ErrorKind::InvalidExportTime,
                format!(
                    "{what} '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
                    iso(t),
                    iso(earliest),
                    iso(now)
                ),
            )
        };
        let mut spec = None;
        let export_time = if incremental {
            let given = input.incremental_export_specification.clone().unwrap_or_default();
            let from = given
                .export_from_time
                .ok_or_else(|| ApiError::validation("ExportFromTime must be specified for an incremental export"))?;
            let to = given.export_to_time.unwrap_or(now);
            if from < earliest || from > now {
                return Err(invalid_time("ExportFromTime", from));
            }
            if to > now {
                return Err(invalid_time("ExportToTime", to));
            }
            if to - from < MIN_INCREMENTAL_SECONDS {
                return Err(ApiError::validation(
                    "The export period duration must be at least 15 minutes: ExportToTime must be at least 15 minutes after ExportFromTime",
                ));
            }
            if to - from > MAX_INCREMENTAL_SECONDS {
                return Err(ApiError::validation(
                    "The export period duration must be no longer than 24 hours: ExportToTime must be within 24 hours of ExportFromTime",
                ));
            }
            spec = Some(IncrementalExportSpecification {
                export_from_time: Some(from),
                export_to_time: Some(to),
                export_view_type: Some(
                    given
                        .export_view_type
                        .unwrap_or_else(|| "NEW_AND_OLD_IMAGES".to_string()),
                ),
            });
            to
        } else {
            let at = input.export_time.unwrap_or(now);
            if at < earliest || at > now {
                return Err(invalid_time("ExportTime", at));
            }
            at
        };
        let id = backup::allocate_id(self.storage.as_ref()).map_err(storage_error)?;
        let millis = (now * 1000.0) as u64;
        let export_id = format!("{millis:014}-{:08x}", uuid::Uuid::new_v4().as_u128() as u32);
        let table_arn = table_arn(ctx, &self.config.account_id, &table.name);
        let base = format!("{}AWSDynamoDB/{export_id}/", prefix_path(input.s3_prefix.as_deref()));
        let description = ExportDescription {
            export_arn: format!("{table_arn}/export/{export_id}"),
            export_status: "IN_PROGRESS".to_string(),
            start_time: now,
            end_time: None,
            export_manifest: Some(format!("{base}manifest-summary.json")),
            table_arn,
            table_id: table.table_uuid.clone(),
            export_time,
            client_token: input.client_token.clone(),
            s3_bucket: input.s3_bucket.clone().unwrap_or_default(),
            s3_bucket_owner: input.s3_bucket_owner.clone(),
            s3_prefix: input.s3_prefix.clone(),
            s3_sse_algorithm: input.s3_sse_algorithm.clone().unwrap_or_else(|| "AES256".to_string()),
            s3_sse_kms_key_id: input.s3_sse_kms_key_id.clone(),
            failure_code: None,
            failure_message: None,
            export_format: input
                .export_format
                .clone()
                .unwrap_or_else(|| "DYNAMODB_JSON".to_string()),
            billed_size_bytes: None,
            item_count: None,
            export_type: input.export_type.clone().unwrap_or_else(|| "FULL_EXPORT".to_string()),
            incremental_export_specification: spec,
        };
        // A full export of now reads a snapshot taken here; of an earlier time (or
        // an incremental one), the history, once writes in flight have committed.
        let snapshot = match (incremental, input.export_time) {
            (false, None) => Some(self.storage.snapshot().map_err(storage_error)?),
            _ => {
                self.catalog.fence();
                None
            }
        };
        let record = ExportRecord {
            id,
            export_id,
            description: description.clone(),
            table: (*table).clone(),
            request,
            heartbeat: wall_seconds(),
            snapshot_instant: snapshot.as_ref().map(|_| now),
            owner: String::new(),
        };
        save(self.storage.as_ref(), &record).map_err(storage_error)?;
        self.start_export(record, snapshot);
        Ok(ExportDescriptionOutput {
            export_description: description,
        })
    }

    fn start_export(&self, mut record: ExportRecord, snapshot: Option<Box<dyn Snapshot>>) {
        let Some(task) = self.start_task(format!("export:{}", record.id)) else {
            return;
        };
        // Claim it: only if the stored owner is still the one this call saw.
        let owner = uuid::Uuid::new_v4().simple().to_string();
        match super::update_owned::<ExportRecord>(self.storage.as_ref(), &record_key(record.id), &record.owner, |r| {
            r.owner = owner.clone();
            r.heartbeat = wall_seconds();
        }) {
            Ok(true) => record.owner = owner,
            Ok(false) => return,
            Err(e) => return tracing::warn!(error = %e, "starting an export failed; it is retried later"),
        }
        let job = ExportJob {
            storage: self.storage.clone(),
            objects: self.config.objects.clone(),
            record,
            lost: Default::default(),
            shared: self.catalog.is_shared(),
            clock: self.clock.clone(),
        };
        std::thread::spawn(move || {
            let _task = task;
            job.run(snapshot);
        });
    }

    /// Restarts exports left unfinished: after a restart (one server), or whose
    /// server stopped (several: no heartbeat for a minute). They are rebuilt from
    /// the point-in-time history at their export time.
    pub(crate) fn resume_exports(&self) {
        let records = match all(self.storage.as_ref()) {
            Ok(r) => r,
            Err(e) => return tracing::warn!(error = %e, "listing exports failed"),
        };
        let now = wall_seconds();
        for record in records {
            let abandoned = !self.catalog.is_shared() || now - record.heartbeat > STALE_SECONDS;
            if record.description.export_status == "IN_PROGRESS"
                && abandoned
                && !self.is_running(&format!("export:{}", record.id))
            {
                tracing::info!(
                    export = record.description.export_arn,
                    "restarting an interrupted export"
                );
                self.start_export(record, None);
            }
        }
    }

    pub fn describe_export(
        &self,
        _ctx: &RequestContext,
        input: ExportArnInput,
    ) -> Result<ExportDescriptionOutput, ApiError> {
        let arn = super::required_arn(input.export_arn.as_deref(), "exportArn")?;
        all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .find(|r| r.description.export_arn == arn)
            .map(|r| ExportDescriptionOutput {
                export_description: r.description,
            })
            .ok_or_else(|| export_not_found(&arn))
    }

    pub fn list_exports(&self, ctx: &RequestContext, input: ListExportsInput) -> Result<ListExportsOutput, ApiError> {
        let mut c = Constraints::new();
        if let Some(n) = input.max_results {
            c.at_least(n, "maxResults", 1);
            c.at_most(n, "maxResults", 25);
        }
        if let Some(arn) = input.table_arn.as_deref() {
            let len = arn.chars().count();
            c.min_length(Some(arn), len, "tableArn", 1);
            c.max_length(Some(arn), len, "tableArn", 1024);
        }
        c.finish()?;
        let table_arn = input
            .table_arn
            .as_deref()
            .map(|t| table_arn(ctx, &self.config.account_id, crate::ops::backups::table_name_of(t)));
        let now = self.clock.now_seconds();
        let mut records: Vec<ExportDescription> = all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .map(|r| r.description)
            .filter(|d| table_arn.as_ref().is_none_or(|t| &d.table_arn == t))
            .filter(|d| now - d.start_time < 90.0 * 86_400.0)
            .collect();
        // Newest first: reverse order of ARN (export ids begin with their time).
        records.sort_by(|a, b| b.export_arn.cmp(&a.export_arn));
        if let Some(token) = &input.next_token {
            let Some(position) = records.iter().position(|d| &d.export_arn == token) else {
                return Err(ApiError::validation("Invalid NextToken"));
            };
            records.drain(..position);
        }
        let limit = input.max_results.unwrap_or(25) as usize;
        let next_token = records.get(limit).map(|d| d.export_arn.clone());
        Ok(ListExportsOutput {
            export_summaries: records
                .into_iter()
                .take(limit)
                .map(|d| ExportSummary {
                    export_arn: d.export_arn,
                    export_status: d.export_status,
                    export_type: d.export_type,
                })
                .collect(),
            next_token,
        })
    }
}

impl super::Tokened for ExportRecord {
    fn token(&self) -> Option<&str> {
        self.description.client_token.as_deref()
    }
    fn started(&self) -> f64 {
        self.description.start_time
    }
    fn request(&self) -> &str {
        &self.request
    }
}

impl super::Owned for ExportRecord {
    fn owner(&self) -> &str {
        &self.owner
    }
}
