//! StartBulkPutItems, DescribeBulkOperation, ListBulkOperations and
//! CancelBulkOperation: items from objects written into an existing table.
//!
//! Every record goes through PutItem itself (its optional condition included), so a
//! bulk write does everything a put does: indexes, streams, point-in-time history,
//! item collection limits. Records are DynamoDB JSON lines or Ion structs holding
//! `Item` and, optionally, `ConditionExpression`, `ExpressionAttributeNames` and
//! `ExpressionAttributeValues`.
//!
//! Progress (object, record, counters) is saved after each chunk; after a restart
//! the operation resumes after the last saved chunk, so a chunk in flight at the
//! crash may be written twice (a put of the same item; a conditional put may then
//! report a condition failure). Records refused (unreadable, invalid, over a limit)
//! and, when asked, condition failures are written as JSON lines under
//! `<output prefix>/<operation id>/` with a `manifest.json`.

use super::export::{client_token_constraints, s3_bucket_constraints};
use super::formats::{self, Compression, Format};
use super::ion;
use super::objects::{ObjectError, ObjectStore};
use crate::backup::{self, wall_seconds};
use crate::ops::describe_table::table_arn;
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    BulkOperationArnInput, BulkOperationBytes, BulkOperationDescription, BulkOperationDescriptionOutput,
    BulkOperationSummary, BulkOperationTableDetail, BulkOperationUsage, CancelBulkOperationOutput,
    ListBulkOperationsInput, ListBulkOperationsOutput, PutItemInput, StartBulkPutItemsInput,
};
use cairn_model::wire::{RawItem, RawValue};
use cairn_model::{ApiError, ErrorKind};
use cairn_storage::{ScanRange, Storage, StorageError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const BULK_PREFIX: &[u8] = b"mbulk/";
const CHUNK: usize = 256;
const MAX_OBJECTS: usize = 50_000;

/// Where an operation has got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BulkProgress {
    pub object: usize,
    pub record: u64,
    /// Report files written so far.
    pub error_files: usize,
    pub condition_files: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BulkRecord {
    pub id: u64,
    pub operation_id: String,
    pub description: BulkOperationDescription,
    pub region: String,
    pub table_name: String,
    pub request: String,
    pub objects: Vec<(String, u64)>,
    pub progress: BulkProgress,
    /// Set by CancelBulkOperation; the worker stops at its next chunk.
    #[serde(default)]
    pub cancel_requested: bool,
    /// Wall-clock seconds of the worker's last saved chunk.
    #[serde(default)]
    pub heartbeat: f64,
    /// The worker running it (a random id): progress is saved only by it.
    #[serde(default)]
    pub owner: String,
}

const TAKEN_OVER: &str = "the bulk operation was taken over by another worker";

fn record_key(id: u64) -> Vec<u8> {
    let mut key = BULK_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn save(storage: &dyn Storage, record: &BulkRecord) -> Result<(), StorageError> {
    let mut tx = storage.begin()?;
    tx.put(
        &record_key(record.id),
        &serde_json::to_vec(record).map_err(|e| StorageError::Other(e.to_string()))?,
    );
    tx.commit()
}

/// Saves the worker's copy of a record, keeping a cancellation stored meanwhile
/// (read in the same transaction, so none is lost).
fn save_progress(storage: &dyn Storage, record: &mut BulkRecord) -> Result<(), StorageError> {
    loop {
        let mut tx = storage.begin()?;
        let stored: Option<BulkRecord> = tx
            .get(&record_key(record.id))?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if stored.as_ref().is_some_and(|s| s.owner != record.owner) {
            return Err(StorageError::Other(TAKEN_OVER.to_string()));
        }
        record.heartbeat = wall_seconds();
        if stored.is_some_and(|s| s.cancel_requested) {
            record.cancel_requested = true;
            if record.description.bulk_operation_status == "IN_PROGRESS" {
                record.description.bulk_operation_status = "CANCELLING".to_string();
            }
        }
        tx.put(
            &record_key(record.id),
            &serde_json::to_vec(record).map_err(|e| StorageError::Other(e.to_string()))?,
        );
        match tx.commit() {
            Err(StorageError::Conflict) => continue,
            other => return other,
        }
    }
}

fn load(storage: &dyn Storage, id: u64) -> Result<Option<BulkRecord>, StorageError> {
    storage
        .get(&record_key(id))?
        .map(|bytes| serde_json::from_slice(&bytes).map_err(|e| StorageError::Corruption(e.to_string())))
        .transpose()
}

fn all(storage: &dyn Storage) -> Result<Vec<BulkRecord>, StorageError> {
    storage
        .scan(&ScanRange::prefix(BULK_PREFIX), usize::MAX)?
        .into_iter()
        .map(|(_, v)| serde_json::from_slice(&v).map_err(|e| StorageError::Corruption(e.to_string())))
        .collect()
}

fn not_found(arn: &str) -> ApiError {
    ApiError::resource_not_found(format!("Bulk operation not found: {arn}"))
}

/// One input record: the item and its optional condition.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputRecord {
    item: Option<RawItem>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
    expression_attribute_values: Option<BTreeMap<String, RawValue>>,
}

fn json_record(line: &[u8]) -> Result<InputRecord, String> {
    serde_json::from_slice(line).map_err(|e| format!("not DynamoDB JSON: {e}"))
}

fn ion_record(value: ion::Ion) -> Result<InputRecord, String> {
    let mut record = InputRecord::default();
    let ion::Ion::Struct(fields) = value else {
        return Err("a record is an Ion struct".to_string());
    };
    for (name, v) in fields {
        match name.as_str() {
            "Item" => record.item = ion::to_raw(v)?.m,
            "ConditionExpression" => match v {
                ion::Ion::String(s) | ion::Ion::Symbol(s) => record.condition_expression = Some(s),
                _ => return Err("ConditionExpression is a string".to_string()),
            },
            "ExpressionAttributeNames" => {
                let raw = ion::to_raw(v)?.m.ok_or("ExpressionAttributeNames is a struct")?;
                let mut names = BTreeMap::new();
                for (k, v) in raw {
                    names.insert(k, v.s.ok_or("ExpressionAttributeNames holds strings")?);
                }
                record.expression_attribute_names = Some(names);
            }
            "ExpressionAttributeValues" => {
                record.expression_attribute_values =
                    Some(ion::to_raw(v)?.m.ok_or("ExpressionAttributeValues is a struct")?)
            }
            other => return Err(format!("unknown field {other}")),
        }
    }
    Ok(record)
}

/// The records of one object, parsed.
fn input_records<'a>(text: &'a [u8], format: Format) -> Box<dyn Iterator<Item = Result<InputRecord, String>> + 'a> {
    match format {
        Format::Ion => {
            let mut reader = ion::Reader::new(text);
            Box::new(std::iter::from_fn(move || reader.next_value()).map(|v| v.and_then(ion_record)))
        }
        _ => Box::new(
            text.split(|&b| b == b'\n')
                .filter(|line| !line.iter().all(|b| b.is_ascii_whitespace()))
                .map(json_record),
        ),
    }
}

/// Write request units of one put, as DynamoDB charges them: one per KB.
fn write_units(size: usize) -> f64 {
    (size.max(1) as f64 / 1024.0).ceil()
}

/// Keeps writes under MaxWriteRequestUnits per second.
struct Pacer {
    limit: Option<f64>,
    started: std::time::Instant,
    used: f64,
}

impl Pacer {
    fn spend(&mut self, units: f64) {
        let Some(limit) = self.limit else { return };
        self.used += units;
        let due = std::time::Duration::from_secs_f64(self.used / limit);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
    }
}

impl Engine {
    pub fn start_bulk_put_items(
        &self,
        ctx: &RequestContext,
        input: StartBulkPutItemsInput,
    ) -> Result<BulkOperationDescriptionOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        match input.table_name.as_deref() {
            None => c.violation(None, "tableName", "Member must not be null"),
            Some(t) => {
                c.min_length(Some(t), t.chars().count(), "tableName", 1);
                c.max_length(Some(t), t.chars().count(), "tableName", 1024);
            }
        }
        match &input.input_s3_configuration {
            None => c.violation(None, "inputS3Configuration", "Member must not be null"),
            Some(i) => {
                s3_bucket_constraints(&mut c, i.s3_bucket.as_deref(), "inputS3Configuration.s3Bucket");
                c.not_null(&i.input_format, "inputS3Configuration.inputFormat");
                c.one_of(
                    i.input_format.as_deref(),
                    "inputS3Configuration.inputFormat",
                    &["DYNAMODB_JSON", "ION"],
                );
                c.one_of(
                    i.input_compression_type.as_deref(),
                    "inputS3Configuration.inputCompressionType",
                    &["GZIP", "ZSTD", "NONE"],
                );
                if let Some(p) = i.s3_key_prefix.as_deref() {
                    c.max_length(Some(p), p.chars().count(), "inputS3Configuration.s3KeyPrefix", 1024);
                }
            }
        }
        match &input.output_s3_configuration {
            None => c.violation(None, "outputS3Configuration", "Member must not be null"),
            Some(o) => {
                s3_bucket_constraints(&mut c, o.s3_bucket.as_deref(), "outputS3Configuration.s3Bucket");
                c.not_null(&o.output_type, "outputS3Configuration.outputType");
                for t in o.output_type.iter().flatten() {
                    c.one_of(
                        Some(t),
                        "outputS3Configuration.outputType.member",
                        &["ERROR", "CONDITION_CHECK_FAILURE"],
                    );
                }
                c.one_of(
                    o.s3_sse_algorithm.as_deref(),
                    "outputS3Configuration.s3SseAlgorithm",
                    &["AES256", "KMS"],
                );
            }
        }
        if let Some(units) = input.max_write_request_units {
            c.at_least(units, "maxWriteRequestUnits", 1024);
        }
        c.one_of(
            input.performance_tier.as_deref(),
            "performanceTier",
            &["STANDARD", "ACCELERATED"],
        );
        client_token_constraints(&mut c, input.client_token.as_deref());
        c.finish()?;
        let in_config = input.input_s3_configuration.clone().unwrap_or_default();
        let out_config = input.output_s3_configuration.clone().unwrap_or_default();
        let name = crate::ops::backups::table_name_of(input.table_name.as_deref().unwrap_or_default()).to_string();
        let request = serde_json::json!({
            "table": name, "in": in_config, "out": out_config,
            "units": input.max_write_request_units, "tier": input.performance_tier,
        })
        .to_string();
        let now = self.clock.now_seconds();
        if let Some(token) = &input.client_token {
            let records = all(self.storage.as_ref()).map_err(storage_error)?;
            if let Some(previous) = super::named_by_token(records, token, &request, now, || {
                ApiError::new(ErrorKind::IdempotentParameterMismatch, "DynamoDB rejected the request because you retried a request with a different payload but with an idempotent token that was already used.")
            })? {
                return Ok(BulkOperationDescriptionOutput {
                    bulk_operation_description: previous.description,
                });
            }
        }
        let table = self.table(ctx, &name)?;
        if table.global_secondary_indexes.iter().any(|g| !g.ready) {
            return Err(ApiError::resource_in_use(format!(
                "Table {name} is creating a secondary index; start the bulk operation once it is ACTIVE"
            )));
        }
        let objects = match self.config.objects.list(
            in_config.s3_bucket.as_deref().unwrap_or_default(),
            in_config.s3_key_prefix.as_deref().unwrap_or(""),
        ) {
            Ok(objects) if objects.len() > MAX_OBJECTS => {
                return Err(ApiError::limit_exceeded(format!(
                    "A bulk operation reads at most {MAX_OBJECTS} objects; the input holds {}",
                    objects.len()
                )))
            }
            Ok(objects) => Some(objects),
            Err(ObjectError::NoSuchBucket(_)) => None,
            Err(e) => return Err(ApiError::internal(e.to_string())),
        };
        let id = backup::allocate_id(self.storage.as_ref()).map_err(storage_error)?;
        let millis = (now * 1000.0) as u64;
        let operation_id = format!("{millis:014}-{:08x}", uuid::Uuid::new_v4().as_u128() as u32);
        let arn = table_arn(ctx, &self.config.account_id, &table.name);
        let mut in_config = in_config;
        if in_config.input_compression_type.is_none() {
            in_config.input_compression_type = Some("NONE".to_string());
        }
        let mut description = BulkOperationDescription {
            bulk_operation_arn: format!("{arn}/bulk-operation/{operation_id}"),
            bulk_operation_status: "IN_PROGRESS".to_string(),
            table_details: vec![BulkOperationTableDetail {
                table_name: arn.clone(),
                table_id: table.table_uuid.clone(),
            }],
            client_token: input.client_token.clone(),
            input_s3_configuration: in_config,
            output_s3_configuration: out_config,
            start_time: now,
            end_time: None,
            processed_item_count: 0,
            processed_input_bytes: 0,
            total_input_bytes: objects.as_ref().map(|o| o.iter().map(|o| o.size as i64).sum()),
            bulk_operation_usage: vec![BulkOperationUsage {
                table_name: arn,
                ..BulkOperationUsage::default()
            }],
            failed_item_count: 0,
            failure_code: None,
            failure_message: None,
            max_write_request_units: input.max_write_request_units,
            performance_tier: input.performance_tier.clone().unwrap_or_else(|| "STANDARD".to_string()),
        };
        // Reports need their bucket too: without it the operation fails at once.
        let out_bucket = description
            .output_s3_configuration
            .s3_bucket
            .clone()
            .unwrap_or_default();
        let missing = match objects {
            None => description.input_s3_configuration.s3_bucket.clone(),
            Some(_) => match self.config.objects.list(&out_bucket, "cairn-bucket-check/") {
                Err(ObjectError::NoSuchBucket(_)) => Some(out_bucket),
                _ => None,
            },
        };
        if let Some(bucket) = missing {
            description.bulk_operation_status = "FAILED".to_string();
            description.failure_code = Some("S3NoSuchBucket".to_string());
            description.failure_message = Some(ObjectError::NoSuchBucket(bucket).to_string());
            description.end_time = Some(now);
        }
        let record = BulkRecord {
            id,
            operation_id,
            description: description.clone(),
            region: ctx.region.clone(),
            table_name: table.name.clone(),
            request,
            objects: objects
                .unwrap_or_default()
                .into_iter()
                .map(|o| (o.key, o.size))
                .collect(),
            progress: BulkProgress::default(),
            cancel_requested: false,
            heartbeat: wall_seconds(),
            owner: String::new(),
        };
        save(self.storage.as_ref(), &record).map_err(storage_error)?;
        if description.bulk_operation_status == "IN_PROGRESS" {
            self.start_bulk(id);
        }
        Ok(BulkOperationDescriptionOutput {
            bulk_operation_description: description,
        })
    }

    /// Runs operation `id` on a thread of its own when the engine is shared (a
    /// server), otherwise leaves it to the background worker.
    fn start_bulk(&self, id: u64) {
        let Some(engine) = self.shared_self() else {
            return;
        };
        let Some(task) = self.start_task(format!("bulk:{id}")) else {
            return;
        };
        std::thread::spawn(move || {
            let _task = task;
            engine.run_bulk(id);
        });
    }

    /// Resumes operations still in progress (after a restart), or runs them here
    /// when the engine has no thread of its own for them.
    pub(crate) fn resume_bulk_operations(&self) {
        let records = match all(self.storage.as_ref()) {
            Ok(r) => r,
            Err(e) => return tracing::warn!(error = %e, "listing bulk operations failed"),
        };
        let now = wall_seconds();
        for record in records {
            if !matches!(
                record.description.bulk_operation_status.as_str(),
                "IN_PROGRESS" | "CANCELLING"
            ) {
                continue;
            }
            // With several servers, only an operation whose worker went quiet.
            if self.catalog.is_shared() && now - record.heartbeat < 30.0 {
                continue;
            }
            if self.shared_self().is_some() {
                self.start_bulk(record.id);
            } else if let Some(_task) = self.start_task(format!("bulk:{}", record.id)) {
                self.run_bulk(record.id);
            }
        }
    }

    fn run_bulk(&self, id: u64) {
        if let Err(e) = self.bulk_steps(id) {
            tracing::warn!(operation = id, error = %e, "bulk operation interrupted; it resumes later");
        }
    }

    fn bulk_steps(&self, id: u64) -> Result<(), StorageError> {
        let Some(mut record) = load(self.storage.as_ref(), id)? else {
            return Ok(());
        };
        if !matches!(
            record.description.bulk_operation_status.as_str(),
            "IN_PROGRESS" | "CANCELLING"
        ) {
            return Ok(());
        }
        // Claim it: only if the stored owner is still the one just read.
        let owner = uuid::Uuid::new_v4().simple().to_string();
        if !super::update_owned::<BulkRecord>(self.storage.as_ref(), &record_key(id), &record.owner, |r| {
            r.owner = owner.clone();
            r.heartbeat = wall_seconds();
        })? {
            return Ok(());
        }
        record.owner = owner;
        let mut last_beat = std::time::Instant::now();
        let store = self.config.objects.clone();
        let ctx = RequestContext {
            region: record.region.clone(),
            ..RequestContext::default()
        };
        let d = record.description.clone();
        let format = Format::parse(d.input_s3_configuration.input_format.as_deref().unwrap_or_default())
            .unwrap_or(Format::DynamoDbJson);
        let compression = Compression::parse(
            d.input_s3_configuration
                .input_compression_type
                .as_deref()
                .unwrap_or("NONE"),
        )
        .unwrap_or(Compression::None);
        let outputs = d.output_s3_configuration.output_type.clone().unwrap_or_default();
        let report = Reporter {
            store: store.as_ref(),
            bucket: d.output_s3_configuration.s3_bucket.clone().unwrap_or_default(),
            directory: format!(
                "{}{}/",
                d.output_s3_configuration
                    .s3_key_prefix
                    .as_deref()
                    .map(|p| p.trim_end_matches('/'))
                    .filter(|p| !p.is_empty())
                    .map(|p| format!("{p}/"))
                    .unwrap_or_default(),
                record.operation_id
            ),
        };
        let mut pacer = Pacer {
            limit: d.max_write_request_units.map(|u| u as f64),
            started: std::time::Instant::now(),
            used: 0.0,
        };
        let in_bucket = d.input_s3_configuration.s3_bucket.clone().unwrap_or_default();
        let mut failure: Option<(String, String)> = None;
        'objects: while record.progress.object < record.objects.len() {
            let (key, size) = record.objects[record.progress.object].clone();
            let text = match store.get(&in_bucket, &key) {
                Ok(Some(data)) => formats::decompress(&data, compression).map(|t| t.into_owned()),
                Ok(None) => Err("the object no longer exists".to_string()),
                Err(e) => Err(e.to_string()),
            };
            let mut errors: Vec<String> = Vec::new();
            let mut conditions: Vec<String> = Vec::new();
            let text = match text {
                Ok(t) => t,
                Err(e) => {
                    record.description.failed_item_count += 1;
                    record.description.processed_item_count += 1;
                    errors.push(pointer_line(&in_bucket, &key, None, &e));
                    record.description.processed_input_bytes += size as i64;
                    self.flush_reports(&report, &outputs, &mut record, &mut errors, &mut conditions);
                    record.progress.object += 1;
                    record.progress.record = 0;
                    save_progress(self.storage.as_ref(), &mut record)?;
                    continue;
                }
            };
            let mut records = input_records(&text, format)
                .enumerate()
                .skip(record.progress.record as usize);
            loop {
                // A cancellation stops the operation between chunks.
                if load(self.storage.as_ref(), id)?.is_some_and(|r| r.cancel_requested) {
                    record.cancel_requested = true;
                    break 'objects;
                }
                let mut handled = 0u64;
                for (index, parsed) in records.by_ref().take(CHUNK) {
                    handled += 1;
                    record.description.processed_item_count += 1;
                    let outcome = parsed.and_then(|r| {
                        let item = r.item.ok_or("the record has no Item")?;
                        Ok((
                            item,
                            r.condition_expression,
                            r.expression_attribute_names,
                            r.expression_attribute_values,
                        ))
                    });
                    let (item, condition, names, values) = match outcome {
                        Ok(parts) => parts,
                        Err(e) => {
                            record.description.failed_item_count += 1;
                            errors.push(pointer_line(&in_bucket, &key, Some(index), &e));
                            continue;
                        }
                    };
                    // A heartbeat inside long chunks (paced writes, big items).
                    if last_beat.elapsed() > std::time::Duration::from_secs(10) {
                        last_beat = std::time::Instant::now();
                        if !super::update_owned::<BulkRecord>(
                            self.storage.as_ref(),
                            &record_key(id),
                            &record.owner,
                            |r| r.heartbeat = wall_seconds(),
                        )? {
                            return Err(StorageError::Other(TAKEN_OVER.to_string()));
                        }
                    }
                    let conditional = condition.is_some();
                    let put = PutItemInput {
                        table_name: Some(record.table_name.clone()),
                        item: Some(item.clone()),
                        condition_expression: condition,
                        expression_attribute_names: names,
                        expression_attribute_values: values,
                        return_values_on_condition_check_failure: conditional.then(|| "ALL_OLD".to_string()),
                        ..PutItemInput::default()
                    };
                    match self.put_item(&ctx, put) {
                        Ok(_) => {
                            if let Ok(parsed) = cairn_model::value::item_from_raw(item) {
                                self.count_usage(&record.table_name, &ctx, &parsed, &mut record.description);
                                pacer.spend(write_units(cairn_model::value::item_size(&parsed)));
                            }
                        }
                        Err(e) if e.kind == ErrorKind::ConditionalCheckFailed => {
                            let existing = e
                                .extra
                                .iter()
                                .find(|(name, _)| *name == "Item")
                                .and_then(|(_, json)| serde_json::from_str::<serde_json::Value>(json).ok());
                            let mut line = serde_json::json!({
                                "itemS3Pointer": {"bucket": in_bucket, "key": key, "itemIndex": index},
                                "Item": raw_json(&item),
                            });
                            if let Some(existing) = existing {
                                line["ExistingItem"] = existing;
                            }
                            conditions.push(line.to_string());
                        }
                        Err(e)
                            if matches!(
                                e.kind,
                                ErrorKind::Validation
                                    | ErrorKind::Serialization
                                    | ErrorKind::ItemCollectionSizeLimitExceeded
                            ) =>
                        {
                            record.description.failed_item_count += 1;
                            errors.push(pointer_line(&in_bucket, &key, Some(index), &e.message));
                        }
                        Err(e) if e.kind == ErrorKind::ResourceNotFound => {
                            record.description.processed_item_count -= 1;
                            failure = Some((
                                "TableNotFound".to_string(),
                                format!("The table {} no longer exists", record.table_name),
                            ));
                            break 'objects;
                        }
                        Err(e)
                            if matches!(
                                e.kind,
                                ErrorKind::InternalServerError
                                    | ErrorKind::ServiceUnavailable
                                    | ErrorKind::TransactionConflict
                                    | ErrorKind::ProvisionedThroughputExceeded
                                    | ErrorKind::RequestLimitExceeded
                            ) =>
                        {
                            // Trouble that passes: stop here; the chunk is retried on resume.
                            return Err(StorageError::Other(e.message));
                        }
                        Err(e) => {
                            // Anything else the record itself caused: refused, reported.
                            record.description.failed_item_count += 1;
                            errors.push(pointer_line(&in_bucket, &key, Some(index), &e.message));
                        }
                    }
                }
                let finished = handled < CHUNK as u64;
                if finished {
                    record.description.processed_input_bytes += size as i64;
                    record.progress.object += 1;
                    record.progress.record = 0;
                } else {
                    record.progress.record += handled;
                }
                self.flush_reports(&report, &outputs, &mut record, &mut errors, &mut conditions);
                save_progress(self.storage.as_ref(), &mut record)?;
                if finished {
                    break;
                }
            }
        }
        let d = &mut record.description;
        d.end_time = Some(wall_seconds());
        if let Some((code, message)) = failure {
            d.bulk_operation_status = "FAILED".to_string();
            d.failure_code = Some(code);
            d.failure_message = Some(message);
        } else if record.cancel_requested {
            d.bulk_operation_status = "CANCELLED".to_string();
            d.failure_code = Some("BulkOperationCancelled".to_string());
            d.failure_message = Some("The bulk operation was cancelled by a CancelBulkOperation request".to_string());
        } else if d.failed_item_count > 0 {
            d.bulk_operation_status = "COMPLETED_WITH_ERRORS".to_string();
        } else {
            d.bulk_operation_status = "COMPLETED".to_string();
        }
        let manifest = serde_json::json!({
            "bulkOperationArn": d.bulk_operation_arn,
            "status": d.bulk_operation_status,
            "processedItemCount": d.processed_item_count,
            "failedItemCount": d.failed_item_count,
            "errorFiles": (0..record.progress.error_files).map(|i| format!("{}errors/{i:05}.json", report.directory)).collect::<Vec<_>>(),
            "conditionCheckFailureFiles": (0..record.progress.condition_files).map(|i| format!("{}condition-check-failures/{i:05}.json", report.directory)).collect::<Vec<_>>(),
        });
        if let Err(e) = store.put(
            &report.bucket,
            &format!("{}manifest.json", report.directory),
            manifest.to_string().as_bytes(),
        ) {
            tracing::warn!(error = %e, "bulk operation report manifest not written");
        }
        save_progress(self.storage.as_ref(), &mut record)
    }

    /// Writes the report lines gathered for one chunk, if the operation asked for them.
    fn flush_reports(
        &self,
        report: &Reporter,
        outputs: &[String],
        record: &mut BulkRecord,
        errors: &mut Vec<String>,
        conditions: &mut Vec<String>,
    ) {
        if !errors.is_empty() && outputs.iter().any(|o| o == "ERROR") {
            let key = format!("{}errors/{:05}.json", report.directory, record.progress.error_files);
            match report
                .store
                .put(&report.bucket, &key, (errors.join("\n") + "\n").as_bytes())
            {
                Ok(()) => record.progress.error_files += 1,
                Err(e) => tracing::warn!(error = %e, "bulk operation error report not written"),
            }
        }
        if !conditions.is_empty() && outputs.iter().any(|o| o == "CONDITION_CHECK_FAILURE") {
            let key = format!(
                "{}condition-check-failures/{:05}.json",
                report.directory, record.progress.condition_files
            );
            match report
                .store
                .put(&report.bucket, &key, (conditions.join("\n") + "\n").as_bytes())
            {
                Ok(()) => record.progress.condition_files += 1,
                Err(e) => tracing::warn!(error = %e, "bulk operation condition report not written"),
            }
        }
        errors.clear();
        conditions.clear();
    }

    /// Adds the bytes one written item puts into the table and each index.
    fn count_usage(
        &self,
        table_name: &str,
        ctx: &RequestContext,
        item: &cairn_model::Item,
        d: &mut BulkOperationDescription,
    ) {
        let Some(usage) = d.bulk_operation_usage.first_mut() else {
            return;
        };
        let size = cairn_model::value::item_size(item) as i64;
        usage.table.bulk_put_bytes += size;
        usage.bulk_put_bytes += size;
        let Some(table) = self.catalog.get(&ctx.region, table_name) else {
            return;
        };
        for (indexes, into) in [
            (&table.global_secondary_indexes, &mut usage.global_secondary_indexes),
            (&table.local_secondary_indexes, &mut usage.local_secondary_indexes),
        ] {
            for index in indexes.iter() {
                if crate::indexes::entry_key(&table, index, item).is_some() {
                    let bytes =
                        cairn_model::value::item_size(&crate::indexes::project_entry(&table, index, item)) as i64;
                    into.entry(index.name.clone())
                        .or_insert_with(BulkOperationBytes::default)
                        .bulk_put_bytes += bytes;
                    usage.bulk_put_bytes += bytes;
                }
            }
        }
    }

    pub fn describe_bulk_operation(
        &self,
        _ctx: &RequestContext,
        input: BulkOperationArnInput,
    ) -> Result<BulkOperationDescriptionOutput, ApiError> {
        let arn = super::required_arn(input.bulk_operation_arn.as_deref(), "bulkOperationArn")?;
        let record = all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .find(|r| r.description.bulk_operation_arn == arn)
            .ok_or_else(|| not_found(&arn))?;
        Ok(BulkOperationDescriptionOutput {
            bulk_operation_description: record.description,
        })
    }

    pub fn cancel_bulk_operation(
        &self,
        _ctx: &RequestContext,
        input: BulkOperationArnInput,
    ) -> Result<CancelBulkOperationOutput, ApiError> {
        let arn = super::required_arn(input.bulk_operation_arn.as_deref(), "bulkOperationArn")?;
        let id = all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .find(|r| r.description.bulk_operation_arn == arn)
            .ok_or_else(|| not_found(&arn))?
            .id;
        // Read and written in one transaction: the worker's progress saved meanwhile
        // is kept (a conflict retries).
        loop {
            let mut tx = self.storage.begin().map_err(storage_error)?;
            let mut record: BulkRecord = tx
                .get(&record_key(id))
                .map_err(storage_error)?
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| not_found(&arn))?;
            match record.description.bulk_operation_status.as_str() {
                "IN_PROGRESS" | "CANCELLING" => {}
                status => {
                    return Err(ApiError::validation(format!(
                        "Bulk operation {arn} has ended ({status}) and cannot be cancelled"
                    )))
                }
            }
            record.cancel_requested = true;
            record.description.bulk_operation_status = "CANCELLING".to_string();
            tx.put(
                &record_key(id),
                &serde_json::to_vec(&record).map_err(|e| ApiError::internal(e.to_string()))?,
            );
            match tx.commit() {
                Err(StorageError::Conflict) => continue,
                other => other.map_err(storage_error)?,
            }
            break;
        }
        Ok(CancelBulkOperationOutput {
            bulk_operation_arn: arn,
            bulk_operation_status: "CANCELLING".to_string(),
        })
    }

    pub fn list_bulk_operations(
        &self,
        _ctx: &RequestContext,
        input: ListBulkOperationsInput,
    ) -> Result<ListBulkOperationsOutput, ApiError> {
        let mut c = Constraints::new();
        if let Some(n) = input.max_results {
            c.at_least(n, "maxResults", 1);
            c.at_most(n, "maxResults", 25);
        }
        if let Some(token) = input.next_token.as_deref() {
            if token.is_empty()
                || token.len() % 16 != 0
                || !token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                c.violation(
                    Some(token),
                    "nextToken",
                    "Member must satisfy regular expression pattern: ([0-9a-f]{16})+",
                );
            }
        }
        c.finish()?;
        let now = self.clock.now_seconds();
        let mut records: Vec<BulkRecord> = all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .filter(|r| now - r.description.start_time < 90.0 * 86_400.0)
            .collect();
        // Most recent first.
        records.sort_by(|a, b| b.id.cmp(&a.id));
        if let Some(token) = &input.next_token {
            let after = u64::from_str_radix(token, 16).map_err(|_| ApiError::validation("Invalid NextToken"))?;
            records.retain(|r| r.id <= after);
        }
        let limit = input.max_results.unwrap_or(10) as usize;
        let next_token = records.get(limit).map(|r| format!("{:016x}", r.id));
        Ok(ListBulkOperationsOutput {
            bulk_operations_summary_list: records
                .into_iter()
                .take(limit)
                .map(|r| BulkOperationSummary {
                    bulk_operation_arn: r.description.bulk_operation_arn,
                    bulk_operation_status: r.description.bulk_operation_status,
                    start_time: r.description.start_time,
                    end_time: r.description.end_time,
                })
                .collect(),
            next_token,
        })
    }
}

struct Reporter<'a> {
    store: &'a dyn ObjectStore,
    bucket: String,
    directory: String,
}

fn pointer_line(bucket: &str, key: &str, index: Option<usize>, message: &str) -> String {
    let mut pointer = serde_json::json!({"bucket": bucket, "key": key});
    if let Some(i) = index {
        pointer["itemIndex"] = i.into();
    }
    serde_json::json!({"itemS3Pointer": pointer, "errorMessages": [message]}).to_string()
}

/// A raw item as wire JSON (for reports).
fn raw_json(item: &RawItem) -> serde_json::Value {
    match cairn_model::value::item_from_raw(item.clone()) {
        Ok(parsed) => serde_json::to_value(&parsed).unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    }
}

impl super::Tokened for BulkRecord {
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

impl super::Owned for BulkRecord {
    fn owner(&self) -> &str {
        &self.owner
    }
}
