//! ImportTable, DescribeImport and ListImports.
//!
//! ImportTable creates its table at once, CREATING and closed to item requests (as
//! a table being restored is), and loads it on a thread: every object under the
//! source prefix, in key order, record by record. Each chunk of records is written
//! in one storage transaction together with the import's progress (object, record,
//! counters), so a restarted server resumes exactly where the last committed chunk
//! ended: nothing is loaded twice and nothing is skipped. A record that is not an
//! item, or an item DynamoDB would refuse, is counted in ErrorCount, logged, and
//! skipped; it never stops the import. When every object is read the table turns
//! ACTIVE and the import COMPLETED, or FAILED with ItemValidationError if any record
//! was refused (DynamoDB's outcome: the valid items stay imported).

use super::formats::{self, Compression, CsvOptions, Format};
use super::objects::{ObjectError, ObjectInfo, ObjectStore};
use crate::backup::{self, wall_seconds};
use crate::catalog::TableMeta;
use crate::index_keys::{check_index_keys, WriteOrigin};
use crate::keys::{item_storage_key, key_of, validate_item_key};
use crate::ops::describe_table::table_arn;
use crate::write::decode_or_skip;
use crate::{storage_error, Engine, RequestContext};
use cairn_model::codec::encode_item;
use cairn_model::constraints::Constraints;
use cairn_model::item_limits::check_item_to_store;
use cairn_model::types::{
    CreateTableInput, ImportArnInput, ImportSummary, ImportTableDescription, ImportTableInput, ImportTableOutput,
    ListImportsInput, ListImportsOutput, TableCreationParameters,
};
use cairn_model::{ApiError, ErrorKind, Item};
use cairn_storage::{ScanRange, Storage, StorageError, Transaction};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const IMPORT_PREFIX: &[u8] = b"mimport/";
/// Records written per storage transaction.
const CHUNK: usize = 512;
/// DynamoDB's limit on the objects one import reads.
const MAX_OBJECTS: usize = 50_000;
/// With several servers, an import whose loader saved nothing for this long is
/// taken over.
const STALE_SECONDS: f64 = 30.0;

/// Where an import has got; saved in the transaction of each chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ImportProgress {
    /// Index (in `objects`) of the object being read.
    pub object: usize,
    /// Records of that object already handled.
    pub record: u64,
}

/// What Cairn keeps about one import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImportRecord {
    pub id: u64,
    pub description: ImportTableDescription,
    pub table_id: u64,
    /// The request's parameters, compared when a ClientToken is reused.
    pub request: String,
    /// The objects the import reads, listed when it began.
    pub objects: Vec<(String, u64)>,
    pub progress: ImportProgress,
    /// Wall-clock seconds of the loader's last chunk.
    #[serde(default)]
    pub heartbeat: f64,
}

fn record_key(id: u64) -> Vec<u8> {
    let mut key = IMPORT_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corruption(format!("import record: {e}"))
}

fn put_record(tx: &mut dyn Transaction, record: &ImportRecord) -> Result<(), StorageError> {
    tx.put(
        &record_key(record.id),
        &serde_json::to_vec(record).map_err(|e| StorageError::Other(e.to_string()))?,
    );
    Ok(())
}

fn get_record(tx: &mut dyn Transaction, id: u64) -> Result<Option<ImportRecord>, StorageError> {
    tx.get(&record_key(id))?
        .map(|bytes| serde_json::from_slice(&bytes).map_err(corrupt))
        .transpose()
}

fn all(storage: &dyn Storage) -> Result<Vec<ImportRecord>, StorageError> {
    storage
        .scan(&ScanRange::prefix(IMPORT_PREFIX), usize::MAX)?
        .into_iter()
        .map(|(_, v)| serde_json::from_slice(&v).map_err(corrupt))
        .collect()
}

/// The format settings of an import.
fn reading(description: &ImportTableDescription, table: &TableMeta) -> (Format, Compression, CsvOptions) {
    let format = Format::parse(&description.input_format).unwrap_or(Format::DynamoDbJson);
    let compression = Compression::parse(&description.input_compression_type).unwrap_or(Compression::None);
    let csv = description.input_format_options.as_ref().and_then(|o| o.csv.clone());
    let options = CsvOptions {
        delimiter: csv
            .as_ref()
            .and_then(|c| c.delimiter.as_ref())
            .and_then(|d| d.bytes().next())
            .unwrap_or(b','),
        header: csv.and_then(|c| c.header_list),
        key_types: table
            .attribute_definitions
            .iter()
            .map(|a| (a.name.clone(), a.kind))
            .collect(),
    };
    (format, compression, options)
}

/// Why a record is refused, in DynamoDB's words where it has them.
fn check_item(table: &TableMeta, item: &Item) -> Result<(), String> {
    validate_item_key(table, item).map_err(|e| e.message)?;
    check_item_to_store(item).map_err(|e| e.message)?;
    check_index_keys(table, item, None, WriteOrigin::Put).map_err(|e| e.into_error().message)?;
    Ok(())
}

/// Loads one import; runs on a thread of its own.
struct ImportJob {
    storage: Arc<dyn Storage>,
    objects: Arc<dyn ObjectStore>,
    catalog: Arc<crate::catalog::Catalog>,
    id: u64,
}

enum Stop {
    /// Another loader holds this import, or it has ended.
    Elsewhere,
    Storage(String),
}

impl From<StorageError> for Stop {
    fn from(e: StorageError) -> Self {
        Stop::Storage(e.to_string())
    }
}

impl ImportJob {
    fn run(self) {
        match self.load() {
            Ok(()) | Err(Stop::Elsewhere) => {}
            Err(Stop::Storage(e)) => {
                tracing::warn!(import = self.id, error = %e, "import interrupted; it resumes later")
            }
        }
    }

    fn record(&self) -> Result<ImportRecord, Stop> {
        let mut tx = self.storage.begin()?;
        get_record(tx.as_mut(), self.id)?.ok_or(Stop::Elsewhere)
    }

    fn load(&self) -> Result<(), Stop> {
        let mut record = self.record()?;
        if record.description.import_status != "IN_PROGRESS" {
            return Err(Stop::Elsewhere);
        }
        let Some(table) = self.table_of(&record) else {
            // The server stopped between saving the import and creating its table.
            return self.fail_unstarted(record);
        };
        let (format, compression, csv) = reading(&record.description, &table);
        while record.progress.object < record.objects.len() {
            let (key, size) = record.objects[record.progress.object].clone();
            let bucket = record
                .description
                .s3_bucket_source
                .s3_bucket
                .clone()
                .unwrap_or_default();
            // Transient trouble reading (a network error) is retried a few times
            // before the object counts as unreadable.
            let mut fetched = self.objects.get(&bucket, &key);
            for attempt in 1..=3 {
                match &fetched {
                    Err(ObjectError::Other(_)) => {
                        std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
                        fetched = self.objects.get(&bucket, &key);
                    }
                    _ => break,
                }
            }
            let data = match fetched {
                Ok(Some(data)) if data.len() as u64 <= formats::MAX_OBJECT_BYTES => Ok(data),
                Ok(Some(_)) => Err("the object is larger than 1 GiB; split it".to_string()),
                Ok(None) => Err("the object no longer exists".to_string()),
                Err(e) => Err(e.to_string()),
            };
            let text = match data.and_then(|data| formats::decompress(&data, compression).map(|t| t.into_owned())) {
                Ok(text) => text,
                Err(e) => {
                    // An object that cannot be read counts as one error; the import
                    // goes on with the next.
                    tracing::warn!(
                        import = record.description.import_arn,
                        object = key,
                        error = e,
                        "import: object skipped"
                    );
                    record = self.commit_chunk(&table, &record, &[], 1, 0, Some(size))?;
                    continue;
                }
            };
            let mut records = formats::record_iter(&text, format, Some(&csv)).enumerate();
            // Resume after the records a previous loader committed.
            for _ in 0..record.progress.record {
                if records.next().is_none() {
                    break;
                }
            }
            loop {
                let mut items = Vec::with_capacity(CHUNK);
                let mut errors = 0i64;
                let mut handled = 0u64;
                for (index, parsed) in records.by_ref().take(CHUNK) {
                    handled += 1;
                    match parsed.and_then(|item| check_item(&table, &item).map(|()| item)) {
                        Ok(item) => items.push(item),
                        Err(message) => {
                            errors += 1;
                            tracing::warn!(
                                import = record.description.import_arn,
                                bucket,
                                key,
                                item_index = index,
                                error = message,
                                "import: record skipped"
                            );
                        }
                    }
                }
                let finished = handled < CHUNK as u64;
                let size_done = finished.then_some(size);
                if handled == 0 && !finished {
                    break;
                }
                record = self.commit_chunk(&table, &record, &items, errors, handled, size_done)?;
                if finished {
                    break;
                }
            }
        }
        self.finish(record)
    }

    /// Writes `items` and the advanced progress in one transaction, after checking
    /// that the stored progress is still the one this loader started from. With
    /// `object_done` (its size) the import moves on to the next object.
    fn commit_chunk(
        &self,
        table: &TableMeta,
        expected: &ImportRecord,
        items: &[Item],
        errors: i64,
        handled: u64,
        object_done: Option<u64>,
    ) -> Result<ImportRecord, Stop> {
        let mut tx = self.storage.begin()?;
        let stored = get_record(tx.as_mut(), self.id)?.ok_or(Stop::Elsewhere)?;
        if stored.progress != expected.progress || stored.description.import_status != "IN_PROGRESS" {
            return Err(Stop::Elsewhere);
        }
        let indexed = !table.global_secondary_indexes.is_empty() || !table.local_secondary_indexes.is_empty();
        for item in items {
            let storage_key = item_storage_key(table, &key_of(table, item));
            // A key seen before in this import: the last record wins, and its index
            // entries replace the earlier ones.
            let old = if indexed {
                tx.get(&storage_key)?
                    .and_then(|bytes| decode_or_skip(table, &storage_key, &bytes))
            } else {
                None
            };
            tx.put(&storage_key, &encode_item(item));
            if indexed {
                crate::indexes::maintain(tx.as_mut(), table, old.as_ref(), Some(item));
            }
        }
        let mut next = stored;
        let d = &mut next.description;
        d.error_count += errors;
        d.processed_item_count += handled as i64;
        d.imported_item_count += items.len() as i64;
        match object_done {
            Some(size) => {
                d.processed_size_bytes += size as i64;
                next.progress = ImportProgress {
                    object: next.progress.object + 1,
                    record: 0,
                };
            }
            None => next.progress.record += handled,
        }
        next.heartbeat = wall_seconds();
        put_record(tx.as_mut(), &next)?;
        tx.commit()?;
        Ok(next)
    }

    /// The table an import loads: created with the import's id as its `importing`
    /// mark (the record learns the table's id just after).
    fn table_of(&self, record: &ImportRecord) -> Option<Arc<TableMeta>> {
        self.catalog
            .all()
            .into_iter()
            .find(|t| (record.table_id != 0 && t.id == record.table_id) || t.importing == Some(record.id))
    }

    fn fail_unstarted(&self, record: ImportRecord) -> Result<(), Stop> {
        let mut tx = self.storage.begin()?;
        let Some(mut stored) = get_record(tx.as_mut(), self.id)? else {
            return Err(Stop::Elsewhere);
        };
        if stored.progress != record.progress || stored.description.import_status != "IN_PROGRESS" {
            return Err(Stop::Elsewhere);
        }
        let d = &mut stored.description;
        d.import_status = "FAILED".to_string();
        d.failure_code = Some("UNKNOWN".to_string());
        d.failure_message =
            Some("The server stopped before the import's table was created; start the import again".to_string());
        d.end_time = Some(wall_seconds());
        put_record(tx.as_mut(), &stored)?;
        tx.commit()?;
        Ok(())
    }

    /// Opens the table and ends the import, in one transaction.
    fn finish(&self, record: ImportRecord) -> Result<(), Stop> {
        let _guard = self.catalog.lock();
        let current = self.table_of(&record).ok_or(Stop::Elsewhere)?;
        let mut meta = (*current).clone();
        meta.importing = None;
        let mut tx = self.storage.begin()?;
        let stored = get_record(tx.as_mut(), self.id)?.ok_or(Stop::Elsewhere)?;
        if stored.progress != record.progress || stored.description.import_status != "IN_PROGRESS" {
            return Err(Stop::Elsewhere);
        }
        self.catalog
            .verify_unchanged(tx.as_mut(), Some(&current), &meta)
            .map_err(|e| Stop::Storage(e.message))?;
        crate::catalog::persist_meta(tx.as_mut(), &meta)?;
        let mut done = stored;
        let d = &mut done.description;
        d.end_time = Some(wall_seconds());
        if d.error_count > 0 {
            d.import_status = "FAILED".to_string();
            d.failure_code = Some("ItemValidationError".to_string());
            d.failure_message = Some(
                "Some of the items failed validation checks and were not imported. Please check the server log for more details."
                    .to_string(),
            );
        } else {
            d.import_status = "COMPLETED".to_string();
        }
        put_record(tx.as_mut(), &done)?;
        tx.commit()?;
        self.catalog.cache_put(meta);
        Ok(())
    }
}

fn creation_request(params: &TableCreationParameters) -> CreateTableInput {
    CreateTableInput {
        table_name: params.table_name.clone(),
        attribute_definitions: params.attribute_definitions.clone(),
        key_schema: params.key_schema.clone(),
        global_secondary_indexes: params.global_secondary_indexes.clone(),
        vector_indexes: params.vector_indexes.clone(),
        billing_mode: params.billing_mode.clone(),
        provisioned_throughput: params.provisioned_throughput.clone(),
        on_demand_throughput: params.on_demand_throughput.clone(),
        sse_specification: params.sse_specification.clone(),
        ..CreateTableInput::default()
    }
}

impl Engine {
    pub fn import_table(&self, ctx: &RequestContext, input: ImportTableInput) -> Result<ImportTableOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        match &input.s3_bucket_source {
            None => c.violation(None, "s3BucketSource", "Member must not be null"),
            Some(source) => {
                super::export::s3_bucket_constraints(&mut c, source.s3_bucket.as_deref(), "s3BucketSource.s3Bucket");
                if let Some(prefix) = source.s3_key_prefix.as_deref() {
                    c.max_length(Some(prefix), prefix.chars().count(), "s3BucketSource.s3KeyPrefix", 1024);
                }
            }
        }
        c.not_null(&input.input_format, "inputFormat");
        c.one_of(
            input.input_format.as_deref(),
            "inputFormat",
            &["DYNAMODB_JSON", "ION", "CSV"],
        );
        c.one_of(
            input.input_compression_type.as_deref(),
            "inputCompressionType",
            &["GZIP", "ZSTD", "NONE"],
        );
        c.not_null(&input.table_creation_parameters, "tableCreationParameters");
        super::export::client_token_constraints(&mut c, input.client_token.as_deref());
        if let Some(csv) = input.input_format_options.as_ref().and_then(|o| o.csv.as_ref()) {
            if let Some(d) = csv.delimiter.as_deref() {
                if d.chars().count() != 1 || !",;:|\t ".contains(d) {
                    c.violation(
                        Some(d),
                        "inputFormatOptions.csv.delimiter",
                        "Member must satisfy regular expression pattern: [,;:|\\t ]",
                    );
                }
            }
            if let Some(headers) = &csv.header_list {
                if headers.is_empty() || headers.len() > 255 {
                    c.violation_without_value(
                        "inputFormatOptions.csv.headerList",
                        "Member must have length less than or equal to 255",
                    );
                }
            }
        }
        c.finish()?;
        let params = input.table_creation_parameters.clone().unwrap_or_default();
        let source = input.s3_bucket_source.clone().unwrap_or_default();
        let request = serde_json::json!({
            "source": source, "format": input.input_format, "options": input.input_format_options,
            "compression": input.input_compression_type, "table": params,
        })
        .to_string();
        let now = self.clock.now_seconds();
        if let Some(token) = &input.client_token {
            let records = all(self.storage.as_ref()).map_err(storage_error)?;
            if let Some(previous) = super::named_by_token(records, token, &request, now, || {
                ApiError::new(ErrorKind::ImportConflict, "There was a conflict when importing from the specified S3 source: an import with this client token and other parameters exists")
            })? {
                return Ok(ImportTableOutput {
                    import_table_description: previous.description,
                });
            }
        }
        let name = params.table_name.clone().unwrap_or_default();
        if self.catalog.get(&ctx.region, &name).is_some() {
            return Err(ApiError::resource_in_use(format!("Table already exists: {name}")));
        }
        let id = backup::allocate_id(self.storage.as_ref()).map_err(storage_error)?;
        let millis = (now * 1000.0) as u64;
        let import_id = format!("{millis:014}-{:08x}", uuid::Uuid::new_v4().as_u128() as u32);
        let arn = table_arn(ctx, &self.config.account_id, &name);
        let mut description = ImportTableDescription {
            import_arn: format!("{arn}/import/{import_id}"),
            import_status: "IN_PROGRESS".to_string(),
            table_arn: arn,
            table_id: String::new(),
            client_token: input.client_token.clone(),
            s3_bucket_source: source.clone(),
            error_count: 0,
            cloud_watch_log_group_arn: None,
            input_format: input.input_format.clone().unwrap_or_default(),
            input_format_options: input.input_format_options.clone(),
            input_compression_type: input
                .input_compression_type
                .clone()
                .unwrap_or_else(|| "NONE".to_string()),
            table_creation_parameters: params.clone(),
            start_time: now,
            end_time: None,
            processed_size_bytes: 0,
            processed_item_count: 0,
            imported_item_count: 0,
            failure_code: None,
            failure_message: None,
        };
        // The source is listed before the table is made: a missing bucket fails the
        // import without creating it, as DynamoDB does.
        let bucket = source.s3_bucket.clone().unwrap_or_default();
        let listed = self
            .config
            .objects
            .list(&bucket, source.s3_key_prefix.as_deref().unwrap_or(""));
        let objects: Vec<ObjectInfo> = match listed {
            Ok(objects) if objects.len() > MAX_OBJECTS => {
                return Err(ApiError::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "An import reads at most {MAX_OBJECTS} objects; the source holds {}",
                        objects.len()
                    ),
                ))
            }
            Ok(objects) => objects,
            Err(e) => {
                description.import_status = "FAILED".to_string();
                description.failure_code = Some(match e {
                    ObjectError::NoSuchBucket(_) => "S3NoSuchBucket".to_string(),
                    _ => "UNKNOWN".to_string(),
                });
                description.failure_message = Some(e.to_string());
                description.end_time = Some(now);
                let record = ImportRecord {
                    id,
                    description: description.clone(),
                    table_id: 0,
                    request,
                    objects: Vec::new(),
                    progress: ImportProgress::default(),
                    heartbeat: now,
                };
                let mut tx = self.storage.begin().map_err(storage_error)?;
                put_record(tx.as_mut(), &record).map_err(storage_error)?;
                tx.commit().map_err(storage_error)?;
                return Ok(ImportTableOutput {
                    import_table_description: description,
                });
            }
        };
        // The record first, then the table marked with the record's id: a restart in
        // between finds a record without a table (and fails it), never a table
        // closed for good with no import to open it. This task mark keeps the
        // background worker from taking the import up meanwhile.
        let Some(task) = self.start_task(format!("import:{id}")) else {
            return Err(ApiError::internal(if self.tasks_paused() {
                "A test snapshot is being restored; retry"
            } else {
                "import id in use"
            }));
        };
        let mut record = ImportRecord {
            id,
            description: description.clone(),
            table_id: 0,
            request,
            objects: objects.into_iter().map(|o| (o.key, o.size)).collect(),
            progress: ImportProgress::default(),
            heartbeat: wall_seconds(),
        };
        let save = |record: &ImportRecord| -> Result<(), ApiError> {
            let mut tx = self.storage.begin().map_err(storage_error)?;
            put_record(tx.as_mut(), record).map_err(storage_error)?;
            tx.commit().map_err(storage_error)
        };
        save(&record)?;
        let table = match self.create_table_as(ctx, creation_request(&params), None, Some(id)) {
            Ok((_, table)) => table,
            Err(e) => {
                // Refused (a rule of CreateTable, or the name taken meanwhile): the
                // import never existed.
                let mut tx = self.storage.begin().map_err(storage_error)?;
                tx.delete(&record_key(id));
                tx.commit().map_err(storage_error)?;
                return Err(e);
            }
        };
        description.table_id = table.table_uuid.clone();
        record.description.table_id = table.table_uuid.clone();
        record.table_id = table.id;
        save(&record)?;
        self.run_import(id, task);
        Ok(ImportTableOutput {
            import_table_description: description,
        })
    }

    fn start_import(&self, id: u64) {
        if let Some(task) = self.start_task(format!("import:{id}")) {
            self.run_import(id, task);
        }
    }

    fn run_import(&self, id: u64, task: crate::TaskGuard) {
        let job = ImportJob {
            storage: self.storage.clone(),
            objects: self.config.objects.clone(),
            catalog: self.catalog.clone(),
            id,
        };
        std::thread::spawn(move || {
            let _task = task;
            job.run();
        });
    }

    /// Resumes imports still loading: after a restart (one server), or when their
    /// loader stopped (several servers: no chunk for half a minute). Runs from the
    /// background worker; the progress check in every chunk keeps two loaders from
    /// both loading one.
    pub(crate) fn resume_imports(&self) {
        match all(self.storage.as_ref()) {
            Ok(records) => {
                let now = wall_seconds();
                for record in records
                    .into_iter()
                    .filter(|r| r.description.import_status == "IN_PROGRESS")
                {
                    if !self.catalog.is_shared() || now - record.heartbeat > STALE_SECONDS {
                        self.start_import(record.id);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "listing imports failed"),
        }
    }

    pub fn describe_import(&self, _ctx: &RequestContext, input: ImportArnInput) -> Result<ImportTableOutput, ApiError> {
        let arn = super::required_arn(input.import_arn.as_deref(), "importArn")?;
        // `finish` commits COMPLETED and then opens the table in this server's cache,
        // both under the catalog lock: read the record under it too, so an import
        // seen COMPLETED here has its table ACTIVE here (a Scan right after the wait
        // answered ResourceNotFound once in CI, on PostgreSQL).
        let _finished = self.catalog.lock();
        all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .find(|r| r.description.import_arn == arn)
            .map(|r| ImportTableOutput {
                import_table_description: r.description,
            })
            .ok_or_else(|| ApiError::new(ErrorKind::ImportNotFound, format!("Import not found: {arn}")))
    }

    pub fn list_imports(&self, ctx: &RequestContext, input: ListImportsInput) -> Result<ListImportsOutput, ApiError> {
        let mut c = Constraints::new();
        if let Some(n) = input.page_size {
            c.at_least(n, "pageSize", 1);
            c.at_most(n, "pageSize", 25);
        }
        if let Some(token) = input.next_token.as_deref() {
            let len = token.len();
            c.min_length(Some(token), len, "nextToken", 112);
            c.max_length(Some(token), len, "nextToken", 1024);
            if len % 16 != 0 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.violation(
                    Some(token),
                    "nextToken",
                    "Member must satisfy regular expression pattern: ([0-9a-f]{16})+",
                );
            }
        }
        c.finish()?;
        let table_arn = input
            .table_arn
            .as_deref()
            .map(|t| table_arn(ctx, &self.config.account_id, crate::ops::backups::table_name_of(t)));
        let now = self.clock.now_seconds();
        let _finished = self.catalog.lock(); // as in describe_import
        let mut records: Vec<ImportTableDescription> = all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .map(|r| r.description)
            .filter(|d| table_arn.as_ref().is_none_or(|t| &d.table_arn == t))
            .filter(|d| now - d.start_time < 90.0 * 86_400.0)
            .collect();
        // Newest first.
        records.sort_by(|a, b| b.import_arn.cmp(&a.import_arn));
        if let Some(token) = &input.next_token {
            let Some(after) = decode_token(token) else {
                return Err(ApiError::validation("Invalid NextToken"));
            };
            let position = records
                .iter()
                .position(|d| d.import_arn == after)
                .unwrap_or(records.len());
            records.drain(..position);
        }
        let limit = input.page_size.unwrap_or(25) as usize;
        let next_token = records.get(limit).map(|d| encode_token(&d.import_arn));
        Ok(ListImportsOutput {
            import_summary_list: records
                .into_iter()
                .take(limit)
                .map(|d| ImportSummary {
                    import_arn: d.import_arn,
                    import_status: d.import_status,
                    table_arn: d.table_arn,
                    s3_bucket_source: d.s3_bucket_source,
                    input_format: d.input_format,
                    start_time: d.start_time,
                    end_time: d.end_time,
                })
                .collect(),
            next_token,
        })
    }
}

/// ListImports tokens are hex in 16-character groups, at least 112 long: the ARN
/// to continue from, hex-encoded and padded with zero bytes.
fn encode_token(arn: &str) -> String {
    let mut bytes = arn.as_bytes().to_vec();
    while bytes.len() < 56 || bytes.len() % 8 != 0 {
        bytes.push(0);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..token.len() / 2)
        .map(|i| u8::from_str_radix(token.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let mut bytes = bytes?;
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    String::from_utf8(bytes).ok()
}

impl super::Tokened for ImportRecord {
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
