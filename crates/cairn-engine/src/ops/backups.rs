//! CreateBackup, DescribeBackup, ListBackups, DeleteBackup and RestoreTableFromBackup
//! (storage layout and copying: `crate::backup`).

use super::describe_table::table_arn;
use crate::backup::{self, BackupMeta, INLINE_ITEMS};
use crate::catalog::{BillingMode, RestoreState, TableMeta};
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    BackupArnInput, BackupDescription, BackupDescriptionOutput, BackupDetails, BackupProvisionedThroughput,
    BackupSummary, CreateBackupInput, CreateBackupOutput, CreateTableInput, GlobalSecondaryIndex,
    GlobalSecondaryIndexInfo, ListBackupsInput, ListBackupsOutput, LocalSecondaryIndex, LocalSecondaryIndexInfo,
    ProvisionedThroughput, RestoreTableFromBackupInput, SourceTableDetails, SourceTableFeatureDetails,
    TableDescriptionOutput, TimeToLiveDescription, VectorIndex,
};
use cairn_model::{ApiError, ErrorKind};

/// DynamoDB's BackupArn length bounds.
const ARN_MIN: usize = 37;
const ARN_MAX: usize = 1024;

fn backup_arn_constraints(c: &mut Constraints, arn: Option<&str>, path: &str, required: bool) {
    match arn {
        None if required => c.violation(None, path, "Member must not be null"),
        None => {}
        Some(arn) => {
            let len = arn.chars().count();
            c.min_length(Some(arn), len, path, ARN_MIN);
            c.max_length(Some(arn), len, path, ARN_MAX);
        }
    }
}

/// A time in whole milliseconds (the precision backup times are compared at).
fn millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

fn backup_not_found(arn: &str) -> ApiError {
    ApiError::new(ErrorKind::BackupNotFound, format!("Backup not found: {arn}"))
}

/// A table named by name or by ARN (CreateBackup and ListBackups accept both).
pub(crate) fn table_name_of(name_or_arn: &str) -> &str {
    match name_or_arn.strip_prefix("arn:") {
        Some(_) => name_or_arn.rsplit_once(":table/").map_or(name_or_arn, |(_, name)| name),
        None => name_or_arn,
    }
}

impl BackupMeta {
    fn details(&self) -> BackupDetails {
        BackupDetails {
            backup_arn: self.arn.clone(),
            backup_name: self.name.clone(),
            backup_size_bytes: Some(self.size_bytes),
            backup_status: self.status.clone(),
            backup_type: "USER".to_string(),
            backup_creation_date_time: self.created_at,
        }
    }

    fn summary(&self) -> BackupSummary {
        BackupSummary {
            table_name: self.table.name.clone(),
            table_id: self.table.table_uuid.clone(),
            table_arn: self.table_arn.clone(),
            backup_arn: self.arn.clone(),
            backup_name: self.name.clone(),
            backup_creation_date_time: self.created_at,
            backup_status: self.status.clone(),
            backup_type: "USER".to_string(),
            backup_size_bytes: Some(self.size_bytes),
        }
    }
}

impl Engine {
    fn backup_description(&self, ctx: &RequestContext, backup: &BackupMeta, status: &str) -> BackupDescription {
        let table = &backup.table;
        let full = self.describe(ctx, table, backup.item_count, backup.size_bytes);
        let throughput = |read: i64, write: i64| BackupProvisionedThroughput {
            read_capacity_units: read,
            write_capacity_units: write,
        };
        let mut details = backup.details();
        details.backup_status = status.to_string();
        BackupDescription {
            backup_details: details,
            source_table_details: SourceTableDetails {
                table_name: table.name.clone(),
                table_id: table.table_uuid.clone(),
                table_arn: backup.table_arn.clone(),
                table_size_bytes: backup.size_bytes,
                key_schema: full.key_schema.clone(),
                table_creation_date_time: table.created_at,
                provisioned_throughput: throughput(table.read_capacity, table.write_capacity),
                on_demand_throughput: table.on_demand_throughput.clone(),
                item_count: backup.item_count,
                billing_mode: table.billing_mode.as_str().to_string(),
            },
            source_table_feature_details: SourceTableFeatureDetails {
                local_secondary_indexes: full.local_secondary_indexes.map(|list| {
                    list.into_iter()
                        .map(|i| LocalSecondaryIndexInfo {
                            index_name: i.index_name,
                            key_schema: i.key_schema,
                            projection: i.projection,
                        })
                        .collect()
                }),
                global_secondary_indexes: full.global_secondary_indexes.map(|list| {
                    list.into_iter()
                        .map(|i| GlobalSecondaryIndexInfo {
                            index_name: i.index_name,
                            key_schema: i.key_schema,
                            projection: i.projection,
                            provisioned_throughput: throughput(
                                i.provisioned_throughput.read_capacity_units,
                                i.provisioned_throughput.write_capacity_units,
                            ),
                            on_demand_throughput: i.on_demand_throughput,
                        })
                        .collect()
                }),
                stream_description: full.stream_specification,
                time_to_live_description: table.ttl_attribute.as_ref().map(|a| TimeToLiveDescription {
                    time_to_live_status: "ENABLED".to_string(),
                    attribute_name: Some(a.clone()),
                }),
                sse_description: full.sse_description,
                vector_indexes: (!table.vector_indexes.is_empty()).then(|| {
                    table
                        .vector_indexes
                        .iter()
                        .map(crate::vectors::declare::request)
                        .collect()
                }),
            },
        }
    }

    /// Whether a table is still being loaded from backup `id`.
    fn restoring_from(&self, id: u64) -> bool {
        self.catalog
            .all()
            .into_iter()
            .any(|t| t.restore.as_ref().is_some_and(|r| r.in_progress && r.backup_id == id))
    }

    fn find_backup(&self, arn: &str) -> Result<BackupMeta, ApiError> {
        backup::by_arn(self.storage.as_ref(), arn)
            .map_err(storage_error)?
            .filter(|b| b.kind.is_empty())
            .ok_or_else(|| backup_not_found(arn))
    }

    pub fn create_backup(
        &self,
        ctx: &RequestContext,
        input: CreateBackupInput,
    ) -> Result<CreateBackupOutput, ApiError> {
        let mut c = Constraints::new();
        match input.table_name.as_deref() {
            None => c.violation(None, "tableName", "Member must not be null"),
            Some(name) => {
                let len = name.chars().count();
                c.min_length(Some(name), len, "tableName", 1);
                c.max_length(Some(name), len, "tableName", 1024);
            }
        }
        c.table_name(input.backup_name.as_deref(), "backupName");
        c.finish()?;
        let name = table_name_of(input.table_name.as_deref().unwrap_or_default()).to_string();
        // A table still being created has no backups yet: DynamoDB answers as if it
        // did not exist (an UPDATING table can be backed up).
        let table = self
            .catalog
            .get(&ctx.region, &name)
            .filter(|t| t.status(self.clock.now_seconds()) != "CREATING")
            .ok_or_else(|| ApiError::new(ErrorKind::TableNotFound, format!("Table not found: {name}")))?;
        // The instant of the backup: writers go on, unseen by the copy.
        let mut snapshot = self.storage.snapshot().map_err(storage_error)?;
        // Backup times have millisecond precision, as DynamoDB's.
        let now = (self.clock.now_seconds() * 1000.0).floor() / 1000.0;
        let id = backup::allocate_id(self.storage.as_ref()).map_err(storage_error)?;
        let table_arn = table_arn(ctx, &self.config.account_id, &table.name);
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let mut meta = BackupMeta {
            id,
            arn: format!("{table_arn}/backup/{:014}-{}", (now * 1000.0) as u64, &suffix[..8]),
            name: input.backup_name.unwrap_or_default(),
            status: "CREATING".to_string(),
            created_at: now,
            size_bytes: 0,
            item_count: 0,
            table_arn,
            table: (*table).clone(),
            heartbeat: backup::wall_seconds(),
            kind: String::new(),
        };
        backup::save(self.storage.as_ref(), &meta).map_err(storage_error)?;
        let Some(task) = self.start_task(format!("backup:{id}")) else {
            return Err(ApiError::internal(if self.tasks_paused() {
                "A test snapshot is being restored; retry"
            } else {
                "backup id reused"
            }));
        };
        let (items, bytes, last, finished) = backup::copy_items(
            self.storage.as_ref(),
            snapshot.as_mut(),
            table.id,
            id,
            None,
            INLINE_ITEMS,
        )
        .map_err(storage_error)?;
        meta.item_count = items;
        meta.size_bytes = bytes;
        if finished {
            meta.status = "AVAILABLE".to_string();
            backup::save(self.storage.as_ref(), &meta).map_err(storage_error)?;
            drop(task);
        } else {
            // A large table: the rest is copied from the same snapshot meanwhile.
            backup::save(self.storage.as_ref(), &meta).map_err(storage_error)?;
            let storage = self.storage.clone();
            let mut copying = meta.clone();
            std::thread::spawn(move || {
                let _task = task;
                let mut after = last;
                loop {
                    match backup::copy_items(
                        storage.as_ref(),
                        snapshot.as_mut(),
                        copying.table.id,
                        copying.id,
                        after.clone(),
                        INLINE_ITEMS,
                    ) {
                        Ok((items, bytes, last, finished)) => {
                            copying.item_count += items;
                            copying.size_bytes += bytes;
                            copying.heartbeat = backup::wall_seconds();
                            after = last;
                            if finished {
                                copying.status = "AVAILABLE".to_string();
                            }
                            if let Err(e) = backup::save(storage.as_ref(), &copying) {
                                tracing::warn!(backup = copying.arn, error = %e, "saving backup progress failed");
                            }
                            if finished {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(backup = copying.arn, error = %e, "copying a backup failed; it will be deleted");
                            return;
                        }
                    }
                }
            });
        }
        // DynamoDB answers CreateBackup with CREATING, however quick the copy.
        let mut details = meta.details();
        details.backup_status = "CREATING".to_string();
        Ok(CreateBackupOutput {
            backup_details: details,
        })
    }

    pub fn describe_backup(
        &self,
        ctx: &RequestContext,
        input: BackupArnInput,
    ) -> Result<BackupDescriptionOutput, ApiError> {
        let mut c = Constraints::new();
        backup_arn_constraints(&mut c, input.backup_arn.as_deref(), "backupArn", true);
        c.finish()?;
        let backup = self.find_backup(input.backup_arn.as_deref().unwrap_or_default())?;
        Ok(BackupDescriptionOutput {
            backup_description: self.backup_description(ctx, &backup, &backup.status),
        })
    }

    pub fn delete_backup(
        &self,
        ctx: &RequestContext,
        input: BackupArnInput,
    ) -> Result<BackupDescriptionOutput, ApiError> {
        let mut c = Constraints::new();
        backup_arn_constraints(&mut c, input.backup_arn.as_deref(), "backupArn", true);
        c.finish()?;
        let arn = input.backup_arn.unwrap_or_default();
        let backup = self.find_backup(&arn)?;
        if backup.status == "CREATING" {
            return Err(ApiError::new(
                ErrorKind::BackupInUse,
                format!("Backup is being created: {arn}"),
            ));
        }
        if self.restoring_from(backup.id) {
            return Err(ApiError::new(
                ErrorKind::BackupInUse,
                format!("Backup is being used to restore table: {arn}"),
            ));
        }
        let mut tx = self.storage.begin().map_err(storage_error)?;
        tx.delete(&backup::backup_key(backup.id));
        tx.commit().map_err(storage_error)?;
        if let Err(e) = backup::delete_prefix(self.storage.as_ref(), &backup::data_prefix(backup.id)) {
            tracing::warn!(backup = arn, error = %e, "deleting a backup's items failed");
        }
        Ok(BackupDescriptionOutput {
            backup_description: self.backup_description(ctx, &backup, "DELETED"),
        })
    }

    pub fn list_backups(&self, ctx: &RequestContext, input: ListBackupsInput) -> Result<ListBackupsOutput, ApiError> {
        let mut c = Constraints::new();
        if let Some(name) = input.table_name.as_deref() {
            let len = name.chars().count();
            c.min_length(Some(name), len, "tableName", 1);
            c.max_length(Some(name), len, "tableName", 1024);
        }
        if let Some(limit) = input.limit {
            c.at_least(limit, "limit", 1);
            c.at_most(limit, "limit", 100);
        }
        backup_arn_constraints(
            &mut c,
            input.exclusive_start_backup_arn.as_deref(),
            "exclusiveStartBackupArn",
            false,
        );
        c.one_of(
            input.backup_type.as_deref(),
            "backupType",
            &["USER", "SYSTEM", "AWS_BACKUP", "ALL"],
        );
        c.finish()?;
        if let (Some(lower), Some(upper)) = (input.time_range_lower_bound, input.time_range_upper_bound) {
            if lower > upper {
                return Err(ApiError::validation(
                    "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound",
                ));
            }
        }
        let table = input.table_name.as_deref().map(table_name_of);
        // Cairn makes only USER backups (no SYSTEM or AWS Backup ones).
        let wanted_type = !matches!(input.backup_type.as_deref(), Some("SYSTEM" | "AWS_BACKUP"));
        let mut summaries: Vec<BackupSummary> = backup::all(self.storage.as_ref())
            .map_err(storage_error)?
            .into_iter()
            .filter(|_| wanted_type)
            .filter(|b| b.kind.is_empty())
            .filter(|b| crate::catalog::region_of_arn(&b.arn) == Some(ctx.region.as_str()))
            .filter(|b| table.is_none_or(|t| b.table.name == t))
            .filter(|b| {
                input
                    .time_range_lower_bound
                    .is_none_or(|l| millis(b.created_at) >= millis(l))
            })
            .filter(|b| {
                input
                    .time_range_upper_bound
                    .is_none_or(|u| millis(b.created_at) < millis(u))
            })
            .map(|b| b.summary())
            .collect();
        if let Some(start) = &input.exclusive_start_backup_arn {
            if let Some(i) = summaries.iter().position(|s| &s.backup_arn == start) {
                summaries.drain(..=i);
            }
        }
        let limit = input.limit.unwrap_or(100).clamp(1, 100) as usize;
        let more = summaries.len() > limit;
        summaries.truncate(limit);
        Ok(ListBackupsOutput {
            last_evaluated_backup_arn: if more {
                summaries.last().map(|s| s.backup_arn.clone())
            } else {
                None
            },
            backup_summaries: summaries,
        })
    }

    pub fn restore_table_from_backup(
        &self,
        ctx: &RequestContext,
        input: RestoreTableFromBackupInput,
    ) -> Result<TableDescriptionOutput, ApiError> {
        let mut c = Constraints::new();
        c.table_name(input.target_table_name.as_deref(), "targetTableName");
        backup_arn_constraints(&mut c, input.backup_arn.as_deref(), "backupArn", true);
        c.one_of(
            input.billing_mode_override.as_deref(),
            "billingModeOverride",
            &["PROVISIONED", "PAY_PER_REQUEST"],
        );
        c.finish()?;
        let arn = input.backup_arn.clone().unwrap_or_default();
        let target = input.target_table_name.clone().unwrap_or_default();
        let backup = self.find_backup(&arn)?;
        if backup.status != "AVAILABLE" {
            return Err(ApiError::new(
                ErrorKind::BackupInUse,
                format!("Backup is being created: {arn}"),
            ));
        }
        if let Some(existing) = self.catalog.get(&ctx.region, &target) {
            return Err(match existing.restore.as_ref().filter(|r| r.in_progress) {
                Some(r) => ApiError::new(
                    ErrorKind::TableInUse,
                    format!(
                        "Table: {target} is already being restored from backup: {}",
                        r.source_backup_arn.as_deref().unwrap_or_default()
                    ),
                ),
                None => ApiError::new(ErrorKind::TableAlreadyExists, format!("Table already exists: {target}")),
            });
        }
        if self.restoring_from(backup.id) {
            return Err(ApiError::new(
                ErrorKind::BackupInUse,
                format!("Backup is being used to restore another table: {arn}"),
            ));
        }
        if crate::catalog::region_of_arn(&arn) != Some(ctx.region.as_str())
            && input.sse_specification_override.is_none()
        {
            return Err(ApiError::validation(
                "Invalid Request: sseSpecificationOverride must be provided for cross-region restores",
            ));
        }
        check_overrides(&backup.table, &input)?;
        let create = restore_request(&backup.table, &target, &input);
        let restore = RestoreState {
            source_backup_arn: Some(backup.arn.clone()),
            source_table_arn: backup.table_arn.clone(),
            // DynamoDB reports the backup's instant as the restore's.
            restore_date_time: backup.created_at,
            in_progress: true,
            backup_id: backup.id,
            restored_to: None,
            replay: None,
        };
        let (mut output, table) = self
            .create_table_as(ctx, create, Some(restore), None)
            .map_err(|e| match e.kind {
                ErrorKind::ResourceInUse if e.message.starts_with("Table already exists") => {
                    ApiError::new(ErrorKind::TableAlreadyExists, format!("Table already exists: {target}"))
                }
                _ => e,
            })?;
        self.load_restore(&target, table);
        if let Some(summary) = output.table_description.restore_summary.as_mut() {
            summary.restore_in_progress = true;
        }
        output.table_description.table_status = "CREATING".to_string();
        Ok(output)
    }
}

/// The CreateTable request a restore amounts to: the backup's key schema, attribute
/// definitions and indexes, with the overrides applied. Streams, TTL, tags, resource
/// policies and deletion protection are not restored, as on DynamoDB.
pub(crate) fn restore_request(
    source: &TableMeta,
    target: &str,
    input: &RestoreTableFromBackupInput,
) -> CreateTableInput {
    use cairn_model::types::{AttributeDefinition, KeySchemaElement, Projection};
    let kind = |k: cairn_model::value::ScalarType| match k {
        cairn_model::value::ScalarType::S => "S",
        cairn_model::value::ScalarType::N => "N",
        cairn_model::value::ScalarType::B => "B",
    };
    let key_schema = |hash: Vec<&crate::catalog::KeyAttribute>, range: Vec<&crate::catalog::KeyAttribute>| {
        hash.iter()
            .map(|a| (a, "HASH"))
            .chain(range.iter().map(|a| (a, "RANGE")))
            .map(|(a, t)| KeySchemaElement {
                attribute_name: Some(a.name.clone()),
                key_type: Some(t.to_string()),
            })
            .collect::<Vec<_>>()
    };
    let projection = |i: &crate::catalog::IndexMeta| Projection {
        projection_type: Some(i.projection_type.clone()),
        non_key_attributes: i.non_key_attributes.clone(),
    };
    let billing = input
        .billing_mode_override
        .clone()
        .unwrap_or_else(|| source.billing_mode.as_str().to_string());
    let provisioned = billing == "PROVISIONED";
    let throughput = |read: i64, write: i64| {
        provisioned.then(|| ProvisionedThroughput {
            read_capacity_units: Some(read.max(1)),
            write_capacity_units: Some(write.max(1)),
        })
    };
    let global = input.global_secondary_index_override.clone().or_else(|| {
        (!source.global_secondary_indexes.is_empty()).then(|| {
            source
                .global_secondary_indexes
                .iter()
                .map(|i| GlobalSecondaryIndex {
                    index_name: Some(i.name.clone()),
                    key_schema: Some(key_schema(i.hash_keys(), i.range_keys())),
                    projection: Some(projection(i)),
                    provisioned_throughput: throughput(i.read_capacity, i.write_capacity),
                    on_demand_throughput: i.on_demand_throughput.clone(),
                    ..Default::default()
                })
                .collect()
        })
    });
    let local = input.local_secondary_index_override.clone().or_else(|| {
        (!source.local_secondary_indexes.is_empty()).then(|| {
            source
                .local_secondary_indexes
                .iter()
                .map(|i| LocalSecondaryIndex {
                    index_name: Some(i.name.clone()),
                    key_schema: Some(key_schema(i.hash_keys(), i.range_keys())),
                    projection: Some(projection(i)),
                })
                .collect()
        })
    });
    let vector = input.vector_index_override.clone().or_else(|| {
        (!source.vector_indexes.is_empty()).then(|| {
            source
                .vector_indexes
                .iter()
                .map(crate::vectors::declare::request)
                .collect()
        })
    });
    // An empty override list drops every index of that kind.
    let global = global.filter(|list| !list.is_empty());
    let local = local.filter(|list| !list.is_empty());
    let vector: Option<Vec<VectorIndex>> = vector.filter(|list| !list.is_empty());
    // Only the attributes the kept key schemas use may be defined.
    let mut used: Vec<String> = source.key_attributes().map(|a| a.name.clone()).collect();
    for schema in global
        .iter()
        .flatten()
        .filter_map(|g| g.key_schema.as_ref())
        .chain(local.iter().flatten().filter_map(|l| l.key_schema.as_ref()))
    {
        used.extend(schema.iter().filter_map(|k| k.attribute_name.clone()));
    }
    for schema in vector.iter().flatten().filter_map(|v| v.search_schema.as_ref()) {
        used.extend(schema.iter().filter_map(|e| e.attribute_name.clone()));
    }
    CreateTableInput {
        table_name: Some(target.to_string()),
        attribute_definitions: Some(
            source
                .attribute_definitions
                .iter()
                .filter(|a| used.contains(&a.name))
                .map(|a| AttributeDefinition {
                    attribute_name: Some(a.name.clone()),
                    attribute_type: Some(kind(a.kind).to_string()),
                })
                .collect(),
        ),
        key_schema: Some(key_schema(vec![&source.hash_key], source.range_key.iter().collect())),
        billing_mode: Some(billing.clone()),
        provisioned_throughput: input
            .provisioned_throughput_override
            .clone()
            .or_else(|| throughput(source.read_capacity, source.write_capacity)),
        on_demand_throughput: input.on_demand_throughput_override.clone().or_else(|| {
            (source.billing_mode == BillingMode::PayPerRequest)
                .then(|| source.on_demand_throughput.clone())
                .flatten()
        }),
        global_secondary_indexes: global,
        local_secondary_indexes: local,
        vector_indexes: vector,
        sse_specification: input
            .sse_specification_override
            .clone()
            .or_else(|| source.sse_specification.clone()),
        // A restored table is always of the STANDARD class.
        table_class: None,
        ..Default::default()
    }
}

/// The override rules DynamoDB states for restores: throughput only where the
/// (possibly overridden) billing mode takes it, and index overrides that only keep,
/// rename or drop the source's indexes — no new index can be created by a restore.
pub(crate) fn check_overrides(source: &TableMeta, input: &RestoreTableFromBackupInput) -> Result<(), ApiError> {
    let invalid = |m: String| Err(ApiError::validation(format!("Invalid Request: {m}")));
    let overridden = input.billing_mode_override.as_deref();
    let source_provisioned = source.billing_mode == BillingMode::Provisioned;
    let provisioned = match overridden {
        Some(mode) => mode == "PROVISIONED",
        None => source_provisioned,
    };
    let throughput = input.provisioned_throughput_override.is_some();
    match overridden {
        Some("PAY_PER_REQUEST") if throughput => {
            return invalid(
                "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST".into(),
            )
        }
        Some("PROVISIONED") if !throughput && !source_provisioned => {
            return invalid("Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED".into())
        }
        None if throughput && !provisioned => {
            return invalid("Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED".into())
        }
        _ => {}
    }
    if input.on_demand_throughput_override.is_some() && provisioned {
        return invalid(
            "Cannot override MaxReadRequestUnits for OnDemandThroughput unless BillingModeOverride is PAY_PER_REQUEST"
                .into(),
        );
    }
    let key_of = |schema: &Option<Vec<cairn_model::types::KeySchemaElement>>| -> Vec<(String, String)> {
        schema
            .iter()
            .flatten()
            .map(|k| {
                (
                    k.attribute_name.clone().unwrap_or_default(),
                    k.key_type.clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    let source_key = |i: &crate::catalog::IndexMeta| -> Vec<(String, String)> {
        i.hash_keys()
            .iter()
            .map(|k| (k.name.clone(), "HASH".to_string()))
            .chain(i.range_keys().iter().map(|k| (k.name.clone(), "RANGE".to_string())))
            .collect()
    };
    let same_projection = |p: &Option<cairn_model::types::Projection>, i: &crate::catalog::IndexMeta| {
        let p = p.clone().unwrap_or_default();
        let mut theirs = p.non_key_attributes.clone().unwrap_or_default();
        let mut ours = i.non_key_attributes.clone().unwrap_or_default();
        theirs.sort();
        ours.sort();
        p.projection_type.as_deref() == Some(i.projection_type.as_str()) && theirs == ours
    };
    let no_match = |name: Option<&String>| {
        invalid(format!(
            "Index {} does not match a secondary index that existed in the source table and cannot be created during the restore operation",
            name.map(String::as_str).unwrap_or_default()
        ))
    };
    for g in input.global_secondary_index_override.iter().flatten() {
        let matched = source
            .global_secondary_indexes
            .iter()
            .any(|i| source_key(i) == key_of(&g.key_schema) && same_projection(&g.projection, i));
        if !matched {
            return no_match(g.index_name.as_ref());
        }
        if overridden == Some("PAY_PER_REQUEST") && g.provisioned_throughput.is_some() {
            return invalid(format!(
                "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index {}",
                g.index_name.clone().unwrap_or_default()
            ));
        }
    }
    for v in input.vector_index_override.iter().flatten() {
        let matched = source.vector_indexes.iter().any(|i| {
            let mut theirs = v.clone();
            let mut ours = crate::vectors::declare::request(i);
            for p in [&mut theirs.projection, &mut ours.projection] {
                if let Some(attrs) = p.as_mut().and_then(|p| p.non_key_attributes.as_mut()) {
                    attrs.sort();
                }
            }
            theirs == ours
        });
        if !matched {
            return no_match(v.index_name.as_ref());
        }
    }
    for l in input.local_secondary_index_override.iter().flatten() {
        let matched = source
            .local_secondary_indexes
            .iter()
            .any(|i| source_key(i) == key_of(&l.key_schema) && same_projection(&l.projection, i));
        if !matched {
            return no_match(l.index_name.as_ref());
        }
    }
    Ok(())
}
