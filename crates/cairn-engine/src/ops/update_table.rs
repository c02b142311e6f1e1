//! UpdateTable: billing mode, provisioned throughput, deletion protection, table
//! class and stream settings. (Index creation and deletion come with the Query issue.)

use super::common::data_plane_table_name;
use super::create_table::{
    global_index_constraints, throughput_constraints, BILLING_MODES, STREAM_VIEW_TYPES, TABLE_CLASSES,
};
use super::update_table_indexes::apply_index_updates;
use crate::catalog::{persist_meta, BillingMode, TableMeta};
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{TableDescriptionOutput, UpdateTableInput};
use cairn_model::ApiError;

fn check_constraints(input: &UpdateTableInput) -> Result<(), ApiError> {
    let mut c = Constraints::new();
    data_plane_table_name(&mut c, input.table_name.as_deref());
    c.one_of(input.billing_mode.as_deref(), "billingMode", BILLING_MODES);
    throughput_constraints(&mut c, input.provisioned_throughput.as_ref(), "provisionedThroughput");
    c.one_of(input.table_class.as_deref(), "tableClass", TABLE_CLASSES);
    if let Some(s) = &input.stream_specification {
        c.not_null(&s.stream_enabled, "streamSpecification.streamEnabled");
        c.one_of(
            s.stream_view_type.as_deref(),
            "streamSpecification.streamViewType",
            STREAM_VIEW_TYPES,
        );
    }
    for (i, update) in input.global_secondary_index_updates.iter().flatten().enumerate() {
        if let Some(create) = &update.create {
            let at = format!("globalSecondaryIndexUpdates.{}.member.create", i + 1);
            global_index_constraints(&mut c, create, &at);
        }
    }
    c.finish()
}

/// DynamoDB refuses an UpdateTable that asks for no change, before it looks the table
/// up, listing what could have been asked for (less any member sent empty).
fn nothing_to_update(input: &UpdateTableInput) -> Result<(), ApiError> {
    let empty_gsi_updates = input.global_secondary_index_updates.as_ref().is_some_and(Vec::is_empty);
    let empty_replica_updates = input.replica_updates.as_ref().is_some_and(Vec::is_empty);
    let nothing = input.billing_mode.is_none()
        && input.provisioned_throughput.is_none()
        && input.deletion_protection_enabled.is_none()
        && input.table_class.is_none()
        && input.stream_specification.is_none()
        && input.sse_specification.is_none()
        && input.on_demand_throughput.is_none()
        && input.warm_throughput.is_none()
        && (input.global_secondary_index_updates.is_none() || empty_gsi_updates)
        && (input.replica_updates.is_none() || empty_replica_updates)
        && input.vector_index_updates.as_ref().is_none_or(Vec::is_empty);
    if !nothing {
        return Ok(());
    }
    let members: Vec<&str> = [
        ("ProvisionedThroughput", false),
        ("BillingMode", false),
        ("UpdateStreamEnabled", false),
        ("GlobalSecondaryIndexUpdates", empty_gsi_updates),
        ("SSESpecification", false),
        ("ReplicaUpdates", empty_replica_updates),
        ("MultiAccountReplicaReady", false),
        ("ReplicaTransitRoleArn", false),
        ("MultiRegionConsistency", false),
        ("DeletionProtectionEnabled", false),
        ("OnDemandThroughput", false),
        ("WarmThroughput", false),
        ("TableClass", false),
    ]
    .into_iter()
    .filter(|(_, sent)| !sent)
    .map(|(name, _)| name)
    .collect();
    let (last, rest) = members.split_last().unwrap_or((&"TableClass", &[]));
    Err(ApiError::validation(format!(
        "At least one of {} or {last} is required",
        rest.join(", ")
    )))
}

fn invalid(detail: &str) -> ApiError {
    ApiError::invalid_parameter(detail)
}

/// Applies the billing part of an update to `meta`.
fn apply_billing(meta: &mut TableMeta, input: &UpdateTableInput, now: f64) -> Result<(), ApiError> {
    let target = match input.billing_mode.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some(_) => BillingMode::Provisioned,
        None => meta.billing_mode,
    };
    let throughput = input.provisioned_throughput.as_ref();
    match (target, throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::Provisioned, None) if meta.billing_mode == BillingMode::PayPerRequest => {
            return Err(invalid(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ))
        }
        (BillingMode::Provisioned, Some(t)) => {
            let read = t.read_capacity_units.unwrap_or(meta.read_capacity);
            let write = t.write_capacity_units.unwrap_or(meta.write_capacity);
            if meta.billing_mode == BillingMode::Provisioned
                && read == meta.read_capacity
                && write == meta.write_capacity
            {
                return Err(ApiError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    meta.read_capacity, meta.write_capacity
                )));
            }
            // A switch from on-demand sets the first throughput: DynamoDB records no
            // increase or decrease for it.
            if meta.billing_mode == BillingMode::Provisioned {
                if read > meta.read_capacity || write > meta.write_capacity {
                    meta.last_increase_at = Some(now);
                }
                if read < meta.read_capacity || write < meta.write_capacity {
                    meta.last_decrease_at = Some(now);
                    meta.decreases_today += 1;
                }
            }
            meta.read_capacity = read;
            meta.write_capacity = write;
        }
        _ => {}
    }
    if target == BillingMode::PayPerRequest && meta.billing_mode != BillingMode::PayPerRequest {
        meta.last_switch_to_pay_per_request_at = Some(now);
        meta.read_capacity = 0;
        meta.write_capacity = 0;
    }
    meta.billing_mode = target;
    Ok(())
}

impl Engine {
    pub fn update_table(
        &self,
        ctx: &RequestContext,
        input: UpdateTableInput,
    ) -> Result<TableDescriptionOutput, ApiError> {
        check_constraints(&input)?;
        let name = input.table_name.clone().unwrap_or_default();
        nothing_to_update(&input)?;
        let _guard = self.catalog_lock();
        let current = self.catalog.get(&ctx.region, &name).ok_or_else(|| {
            ApiError::resource_not_found(format!("Requested resource not found: Table: {name} not found"))
        })?;
        if current.loading() {
            return Err(ApiError::resource_in_use(format!(
                "Attempt to change a resource which is still in use: Table is being created: {name}"
            )));
        }
        if input.replica_updates.is_some() {
            return Err(ApiError::validation(
                "ReplicaUpdates (global tables) are not supported by Cairn",
            ));
        }
        let now = self.clock.now_seconds();
        let mut meta = (*current).clone();
        apply_billing(&mut meta, &input, now)?;
        let gsi_changes = input
            .global_secondary_index_updates
            .iter()
            .flatten()
            .filter(|u| u.create.is_some() || u.delete.is_some())
            .count();
        // One online index creation or deletion at a time, vector indexes and GSIs
        // alike.
        if gsi_changes > 0 && meta.vector_indexes.iter().any(|v| !v.ready) {
            return Err(ApiError::limit_exceeded(
                "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
            ));
        }
        // A vector index's SearchSchema may name attributes the table defines
        // already; the request may not give them another type.
        let vector_definitions = match input.vector_index_updates.as_deref() {
            Some(updates) if !updates.is_empty() => crate::ops::update_table_indexes::definitions(&meta, &input)?,
            _ => Vec::new(),
        };
        let work = apply_index_updates(&mut meta, &input)?;
        let vector_work = crate::vectors::declare::apply_updates(
            &mut meta,
            input.vector_index_updates.as_deref().unwrap_or_default(),
            &vector_definitions,
            gsi_changes,
        )?;
        crate::vectors::declare::check_table(&meta)?;
        if let Some(p) = input.deletion_protection_enabled {
            meta.deletion_protection_enabled = p;
        }
        if let Some(class) = &input.table_class {
            meta.table_class = Some(class.clone());
        }
        if let Some(t) = &input.on_demand_throughput {
            meta.on_demand_throughput = Some(t.clone());
        }
        if let Some(w) = &input.warm_throughput {
            crate::capacity::warm::raise_table(&mut meta, w)?;
        }
        if let Some(sse) = &input.sse_specification {
            meta.sse_specification = Some(sse.clone());
        }
        let mut tx = self.storage.begin().map_err(storage_error)?;
        if let Some(spec) = &input.stream_specification {
            let enable = spec.stream_enabled == Some(true);
            match (
                enable,
                meta.active_stream().map(|s| s.arn(&meta, &self.config.account_id)),
            ) {
                (true, Some(arn)) => {
                    return Err(ApiError::validation(format!(
                        "Table already has an enabled stream: {arn}"
                    )));
                }
                (true, None) => {
                    if spec.stream_view_type.is_none() {
                        return Err(ApiError::validation(
                            "StreamSpecification: StreamViewType is required when StreamEnabled is true",
                        ));
                    }
                    meta.streams.push(crate::streams::StreamMeta {
                        id: crate::catalog::allocate_stream_id(tx.as_mut()).map_err(storage_error)?,
                        label: crate::streams::label_for(now),
                        view_type: spec.stream_view_type.clone().unwrap_or_default(),
                        created_at: now,
                        disabled_at: None,
                        region: ctx.region.clone(),
                        trimmed_below: 0,
                    });
                }
                (false, Some(_)) => {
                    if let Some(stream) = meta.streams.last_mut() {
                        stream.disabled_at = Some(now);
                    }
                }
                (false, None) => {
                    return Err(ApiError::validation("Table does not have an enabled stream to disable"));
                }
            }
            meta.stream_specification = enable.then(|| spec.clone());
        }
        self.catalog.verify_unchanged(tx.as_mut(), Some(&current), &meta)?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta.clone());
        for index in &work.backfill {
            self.start_backfill(&meta, index);
        }
        for id in work.purge {
            self.purge_index(id);
        }
        for index in &vector_work.backfill {
            self.start_backfill(&meta, index);
        }
        self.vector_graphs.forget(&vector_work.purge);
        for id in vector_work.purge {
            self.purge_index(id);
        }
        let (count, size) = self.table_statistics(&meta)?;
        let mut description = self.describe(ctx, &meta, count, size);
        // DynamoDB's UpdateTable answer names the billing mode only.
        if let Some(summary) = &mut description.billing_mode_summary {
            summary.last_update_to_pay_per_request_date_time = None;
        }
        Ok(TableDescriptionOutput {
            table_description: description,
        })
    }
}
