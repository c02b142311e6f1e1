//! DescribeTable, and the TableDescription every control-plane call returns.

use super::common::data_plane_table_name;
use crate::catalog::{BillingMode, IndexMeta, TableMeta};
use crate::keys::table_prefix;
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    BillingModeSummary, DescribeTableOutput, GlobalSecondaryIndexDescription, KeySchemaElement,
    LocalSecondaryIndexDescription, Projection, ProvisionedThroughputDescription, SseDescription, TableClassSummary,
    TableDescription, TableNameInput,
};
use cairn_model::ApiError;
use cairn_storage::ScanRange;
use std::ops::Bound;

/// Pairs read per storage scan while counting a table's items.
const COUNT_BATCH: usize = 1024;

fn key_schema(hash: &crate::KeyAttribute, range: Option<&crate::KeyAttribute>) -> Vec<KeySchemaElement> {
    index_key_schema(&[hash], &range.into_iter().collect::<Vec<_>>())
}

fn index_key_schema(hashes: &[&crate::KeyAttribute], ranges: &[&crate::KeyAttribute]) -> Vec<KeySchemaElement> {
    let element = |a: &crate::KeyAttribute, kind: &str| KeySchemaElement {
        attribute_name: Some(a.name.clone()),
        key_type: Some(kind.to_string()),
    };
    hashes
        .iter()
        .map(|a| element(a, "HASH"))
        .chain(ranges.iter().map(|a| element(a, "RANGE")))
        .collect()
}

fn projection(index: &IndexMeta) -> Projection {
    Projection {
        projection_type: Some(index.projection_type.clone()),
        non_key_attributes: index.non_key_attributes.clone(),
    }
}

pub(crate) fn table_arn(ctx: &RequestContext, account: &str, table: &str) -> String {
    format!("arn:aws:dynamodb:{}:{}:table/{}", ctx.region, account, table)
}

impl Engine {
    /// The full TableDescription of `meta` with the given item statistics.
    pub(crate) fn describe(
        &self,
        ctx: &RequestContext,
        meta: &TableMeta,
        item_count: i64,
        size: i64,
    ) -> TableDescription {
        let arn = table_arn(ctx, &self.config.account_id, &meta.name);
        let now = self.clock.now_seconds();
        let status = meta.status(now).to_string();
        let warm_status = status.clone();
        let throughput = |read: i64, write: i64| ProvisionedThroughputDescription {
            last_increase_date_time: None,
            last_decrease_date_time: None,
            number_of_decreases_today: 0,
            read_capacity_units: read,
            write_capacity_units: write,
        };
        let gsis: Vec<GlobalSecondaryIndexDescription> = meta
            .global_secondary_indexes
            .iter()
            .map(|g| GlobalSecondaryIndexDescription {
                index_name: g.name.clone(),
                key_schema: index_key_schema(&g.hash_keys(), &g.range_keys()),
                projection: projection(g),
                index_status: if g.ready {
                    "ACTIVE".to_string()
                } else {
                    "CREATING".to_string()
                },
                backfilling: (!g.ready).then_some(true),
                provisioned_throughput: throughput(g.read_capacity, g.write_capacity),
                index_size_bytes: 0,
                item_count: 0,
                index_arn: format!("{arn}/index/{}", g.name),
                on_demand_throughput: g.on_demand_throughput.clone(),
                warm_throughput: Some(crate::capacity::warm::of_index(
                    meta,
                    g,
                    if g.ready { "ACTIVE" } else { "CREATING" },
                )),
            })
            .collect();
        let lsis: Vec<LocalSecondaryIndexDescription> = meta
            .local_secondary_indexes
            .iter()
            .map(|l| LocalSecondaryIndexDescription {
                index_name: l.name.clone(),
                key_schema: key_schema(&l.hash_key, l.range_key.as_ref()),
                projection: projection(l),
                index_size_bytes: 0,
                item_count: 0,
                index_arn: format!("{arn}/index/{}", l.name),
            })
            .collect();
        TableDescription {
            attribute_definitions: meta
                .attribute_definitions
                .iter()
                .map(|a| cairn_model::types::AttributeDefinition {
                    attribute_name: Some(a.name.clone()),
                    attribute_type: Some(a.kind.as_str().to_string()),
                })
                .collect(),
            table_name: meta.name.clone(),
            key_schema: key_schema(&meta.hash_key, meta.range_key.as_ref()),
            table_status: status,
            creation_date_time: meta.created_at,
            provisioned_throughput: ProvisionedThroughputDescription {
                last_increase_date_time: meta.last_increase_at,
                last_decrease_date_time: meta.last_decrease_at,
                number_of_decreases_today: meta.decreases_today,
                read_capacity_units: meta.read_capacity,
                write_capacity_units: meta.write_capacity,
            },
            table_size_bytes: size,
            item_count,
            table_arn: arn.clone(),
            table_id: meta.table_uuid.clone(),
            billing_mode_summary: match meta.billing_mode {
                BillingMode::PayPerRequest => Some(BillingModeSummary {
                    billing_mode: "PAY_PER_REQUEST".into(),
                    last_update_to_pay_per_request_date_time: Some(
                        meta.last_switch_to_pay_per_request_at.unwrap_or(meta.created_at),
                    ),
                }),
                BillingMode::Provisioned if meta.last_switch_to_pay_per_request_at.is_some() => {
                    Some(BillingModeSummary {
                        billing_mode: "PROVISIONED".into(),
                        last_update_to_pay_per_request_date_time: meta.last_switch_to_pay_per_request_at,
                    })
                }
                BillingMode::Provisioned => None,
            },
            local_secondary_indexes: (!lsis.is_empty()).then_some(lsis),
            global_secondary_indexes: (!gsis.is_empty()).then_some(gsis),
            stream_specification: meta.stream_specification.clone(),
            latest_stream_label: meta.streams.last().map(|s| s.label.clone()),
            latest_stream_arn: meta.streams.last().map(|s| s.arn(meta, &self.config.account_id)),
            sse_description: meta
                .sse_specification
                .as_ref()
                .filter(|s| s.enabled == Some(true))
                .map(|_| SseDescription {
                    status: "ENABLED".into(),
                    sse_type: "KMS".into(),
                    kms_master_key_arn: format!(
                        "arn:aws:kms:{}:{}:key/00000000-0000-0000-0000-000000000000",
                        ctx.region, self.config.account_id
                    ),
                }),
            table_class_summary: meta
                .table_class
                .as_ref()
                .map(|c| TableClassSummary { table_class: c.clone() }),
            deletion_protection_enabled: meta.deletion_protection_enabled,
            on_demand_throughput: meta.on_demand_throughput.clone(),
            warm_throughput: Some(crate::capacity::warm::of_table(meta, &warm_status)),
            // Like DynamoDB's (refreshed every six hours there), counts are not live.
            vector_indexes: (!meta.vector_indexes.is_empty()).then(|| {
                meta.vector_indexes
                    .iter()
                    .map(|v| crate::vectors::declare::describe(v, &arn, 0, 0))
                    .collect()
            }),
            // Shown while the restore loads, as DynamoDB does.
            restore_summary: meta.restore.as_ref().filter(|r| r.in_progress).map(|r| {
                cairn_model::types::RestoreSummary {
                    source_backup_arn: r.source_backup_arn.clone(),
                    source_table_arn: r.source_table_arn.clone(),
                    restore_date_time: r.restore_date_time,
                    restore_in_progress: r.in_progress,
                }
            }),
        }
    }

    /// Counts a table's items and their stored bytes by walking its key range.
    /// DynamoDB refreshes these figures about every six hours; Cairn's are exact.
    pub(crate) fn table_statistics(&self, meta: &TableMeta) -> Result<(i64, i64), ApiError> {
        let prefix = table_prefix(meta.id);
        let mut range = ScanRange::prefix(&prefix);
        let (mut count, mut bytes) = (0i64, 0i64);
        loop {
            let batch = self.storage.scan(&range, COUNT_BATCH).map_err(storage_error)?;
            for (key, value) in &batch {
                count += 1;
                // An undecodable item still counts, at its stored length.
                bytes += crate::write::decode_or_skip(meta, key, value)
                    .map_or(value.len(), |item| cairn_model::value::item_size(&item)) as i64;
            }
            match batch.last() {
                Some((key, _)) if batch.len() == COUNT_BATCH => range.start = Bound::Excluded(key.clone()),
                _ => return Ok((count, bytes)),
            }
        }
    }

    pub fn describe_table(&self, ctx: &RequestContext, input: TableNameInput) -> Result<DescribeTableOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.finish()?;
        let name = input.table_name.unwrap_or_default();
        let meta = self.catalog.get(&ctx.region, &name).ok_or_else(|| {
            ApiError::resource_not_found(format!("Requested resource not found: Table: {name} not found"))
        })?;
        let (count, size) = self.table_statistics(&meta)?;
        Ok(DescribeTableOutput {
            table: self.describe(ctx, &meta, count, size),
        })
    }
}
