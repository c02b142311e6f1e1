//! UpdateTable's GlobalSecondaryIndexUpdates: create one GSI (backfilled online),
//! delete one (its entries purged in the background), or change an index's
//! throughput.

use super::create_table::global_index;
use crate::catalog::{KeyAttribute, TableMeta};
use cairn_model::limits::MAX_GSIS;
use cairn_model::types::{AttributeDefinition, UpdateTableInput};
use cairn_model::ApiError;

/// What the caller must start once the new metadata is committed.
#[derive(Default)]
pub(crate) struct IndexWork {
    pub backfill: Vec<String>,
    pub purge: Vec<u64>,
}

/// The table's attribute definitions with the request's added; a request giving
/// a defined attribute another type is refused.
pub(crate) fn definitions(meta: &TableMeta, input: &UpdateTableInput) -> Result<Vec<AttributeDefinition>, ApiError> {
    let mut defs: Vec<AttributeDefinition> = meta
        .attribute_definitions
        .iter()
        .map(|a| AttributeDefinition {
            attribute_name: Some(a.name.clone()),
            attribute_type: Some(a.kind.as_str().into()),
        })
        .collect();
    for d in input.attribute_definitions.iter().flatten() {
        match defs.iter().find(|e| e.attribute_name == d.attribute_name) {
            Some(existing) if existing.attribute_type != d.attribute_type => {
                return Err(ApiError::invalid_parameter(format!(
                    "Cannot change the type of attribute {} from {} to {}",
                    d.attribute_name.as_deref().unwrap_or_default(),
                    existing.attribute_type.as_deref().unwrap_or_default(),
                    d.attribute_type.as_deref().unwrap_or_default()
                )))
            }
            Some(_) => {}
            None => defs.push(d.clone()),
        }
    }
    Ok(defs)
}

/// Keeps only the attribute definitions some table or index key still uses.
pub(crate) fn prune_definitions(meta: &mut TableMeta) {
    let mut used: Vec<KeyAttribute> = meta.key_attributes().cloned().collect();
    for index in meta
        .global_secondary_indexes
        .iter()
        .chain(&meta.local_secondary_indexes)
    {
        used.extend(index.key_attributes().into_iter().cloned());
    }
    for index in &meta.vector_indexes {
        used.extend(index.hash.iter().chain(&index.filters).cloned());
    }
    meta.attribute_definitions = meta
        .attribute_definitions
        .iter()
        .filter(|a| used.contains(a))
        .cloned()
        .collect();
    for attr in used {
        if !meta.attribute_definitions.contains(&attr) {
            meta.attribute_definitions.push(attr);
        }
    }
}

pub(crate) fn apply_index_updates(meta: &mut TableMeta, input: &UpdateTableInput) -> Result<IndexWork, ApiError> {
    let mut work = IndexWork::default();
    let Some(updates) = &input.global_secondary_index_updates else {
        return Ok(work);
    };
    let structural = updates
        .iter()
        .filter(|u| u.create.is_some() || u.delete.is_some())
        .count();
    if structural > 1 {
        return Err(ApiError::limit_exceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    for update in updates {
        // Each entry names exactly one action. (Wording assumed, in the style of
        // DynamoDB's neighbouring parameter messages; its own is not on record.)
        let actions = [
            update.create.is_some(),
            update.delete.is_some(),
            update.update.is_some(),
        ]
        .iter()
        .filter(|present| **present)
        .count();
        if actions != 1 {
            return Err(ApiError::invalid_parameter(
                "Exactly one of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update and GlobalSecondaryIndexUpdate.Delete must be specified",
            ));
        }
        if let Some(create) = &update.create {
            let name = create.index_name.clone().unwrap_or_default();
            let exists = meta
                .global_secondary_indexes
                .iter()
                .chain(&meta.local_secondary_indexes)
                .any(|i| i.name == name);
            if exists {
                return Err(ApiError::invalid_parameter(format!(
                    "Index with name {name} already exists"
                )));
            }
            if meta.global_secondary_indexes.len() >= MAX_GSIS {
                return Err(ApiError::limit_exceeded(format!(
                    "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
                )));
            }
            if meta.indexes_created >= 255 {
                return Err(ApiError::limit_exceeded(
                    "Cairn allows at most 255 index creations per table",
                ));
            }
            let defs = definitions(meta, input)?;
            meta.indexes_created += 1;
            let mut index = global_index(create, &defs, meta.billing_mode, meta.id << 8 | meta.indexes_created)?;
            index.ready = false;
            for key in index.key_attributes() {
                if !meta.attribute_definitions.contains(key) {
                    meta.attribute_definitions.push(key.clone());
                }
            }
            work.backfill.push(name);
            meta.global_secondary_indexes.push(index);
        }
        if let Some(delete) = &update.delete {
            let name = delete.index_name.clone().unwrap_or_default();
            let position = meta
                .global_secondary_indexes
                .iter()
                .position(|i| i.name == name)
                .ok_or_else(|| {
                    ApiError::resource_not_found(format!("Requested resource not found: Index: {name} not found"))
                })?;
            work.purge.push(meta.global_secondary_indexes.remove(position).id);
            // A GSI created later under the same name starts with insights off.
            meta.contributor_insights
                .retain(|s| s.index.as_deref() != Some(name.as_str()));
            prune_definitions(meta);
        }
        if let Some(change) = &update.update {
            let name = change.index_name.clone().unwrap_or_default();
            let index = meta
                .global_secondary_indexes
                .iter_mut()
                .find(|i| i.name == name)
                .ok_or_else(|| {
                    ApiError::resource_not_found(format!("Requested resource not found: Index: {name} not found"))
                })?;
            if let Some(t) = &change.provisioned_throughput {
                index.read_capacity = t.read_capacity_units.unwrap_or(index.read_capacity);
                index.write_capacity = t.write_capacity_units.unwrap_or(index.write_capacity);
            }
            if let Some(t) = &change.on_demand_throughput {
                index.on_demand_throughput = Some(t.clone());
            }
            if let Some(w) = &change.warm_throughput {
                crate::capacity::warm::set_index(index, w);
            }
        }
    }
    Ok(work)
}
