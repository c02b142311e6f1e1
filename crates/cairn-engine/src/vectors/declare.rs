//! Declaring vector indexes: CreateTable's `VectorIndexes` and UpdateTable's
//! `VectorIndexUpdates` (one Create or Delete at a time), validated as DynamoDB
//! validates them, and their description in DescribeTable.
//!
//! Messages DynamoDB is documented to give are DynamoDB's; for the rest (not
//! published) Cairn words them in DynamoDB's style, "One or more parameter values
//! were invalid: ...".

use super::{Distance, VectorIndexMeta};
use crate::catalog::{BillingMode, KeyAttribute, TableMeta};
use cairn_model::types::{
    AttributeDefinition, Projection, SearchSchemaElement, VectorAttributeDefinition, VectorIndex,
    VectorIndexDescription, VectorIndexUpdate,
};
use cairn_model::value::ScalarType;
use cairn_model::ApiError;

/// Vector indexes a table may have.
pub const MAX_VECTOR_INDEXES: usize = 5;
pub const MAX_DIMENSIONS: i64 = 4096;
pub const MAX_INLINE_FILTERS: usize = 18;

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_parameter(detail)
}

fn scalar_of(defs: &[AttributeDefinition], name: &str) -> Option<ScalarType> {
    defs.iter()
        .find(|d| d.attribute_name.as_deref() == Some(name))
        .and_then(|d| match d.attribute_type.as_deref() {
            Some("S") => Some(ScalarType::S),
            Some("N") => Some(ScalarType::N),
            Some("B") => Some(ScalarType::B),
            _ => None,
        })
}

fn check_name(name: &str, what: &str) -> Result<(), ApiError> {
    let valid = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at '{what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
        )))
    }
}

/// One declared index, checked against the attribute definitions of its request.
pub(crate) fn vector_index(
    input: &VectorIndex,
    defs: &[AttributeDefinition],
    id: u64,
) -> Result<VectorIndexMeta, ApiError> {
    let name = input
        .index_name
        .clone()
        .ok_or_else(|| invalid("VectorIndex must specify IndexName"))?;
    check_name(&name, "vectorIndex.indexName")?;
    let attribute = input
        .vector_attribute
        .as_ref()
        .and_then(|a| a.attribute_name.clone())
        .ok_or_else(|| invalid(format!("VectorIndex {name} must specify VectorAttribute.AttributeName")))?;
    if attribute.is_empty() || attribute.len() > 255 {
        return Err(invalid(format!(
            "VectorAttribute.AttributeName of index {name} must be 1 to 255 characters"
        )));
    }
    let dimensions = input
        .dimensions
        .ok_or_else(|| invalid(format!("VectorIndex {name} must specify Dimensions")))?;
    if !(1..=MAX_DIMENSIONS).contains(&dimensions) {
        return Err(invalid(format!(
            "Dimensions must be between 1 and {MAX_DIMENSIONS} for VectorIndex {name}, got {dimensions}"
        )));
    }
    let distance = match input.distance_function.as_deref() {
        Some(text) => Distance::parse(text).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{text}' at 'vectorIndex.distanceFunction' failed to satisfy constraint: Member must satisfy enum value set: [COSINE, DOT_PRODUCT, EUCLIDEAN]"
            ))
        })?,
        None => return Err(invalid(format!("VectorIndex {name} must specify DistanceFunction"))),
    };
    if scalar_of(defs, &attribute).is_some() || defs.iter().any(|d| d.attribute_name.as_deref() == Some(&attribute)) {
        return Err(invalid(format!(
            "The vector attribute {attribute} of index {name} is a list and cannot be declared in AttributeDefinitions"
        )));
    }
    let (mut hash, mut filters) = (None, Vec::new());
    if let Some(schema) = &input.search_schema {
        if schema.is_empty() {
            return Err(invalid(format!(
                "SearchSchema of VectorIndex {name} must have at least one element"
            )));
        }
        for element in schema {
            let attr = element.attribute_name.clone().unwrap_or_default();
            let kind = scalar_of(defs, &attr)
                .ok_or_else(|| invalid("One element in SearchSchema is not defined in attribute definitions"))?;
            let key = KeyAttribute {
                name: attr.clone(),
                kind,
            };
            if hash.as_ref() == Some(&key) || filters.contains(&key) {
                return Err(invalid(format!(
                    "Duplicate attribute {attr} in SearchSchema of VectorIndex {name}"
                )));
            }
            match element.search_schema_element_type.as_deref() {
                Some("HASH") if hash.is_none() => hash = Some(key),
                Some("HASH") => {
                    return Err(invalid(format!(
                        "VectorIndex {name} can have at most one HASH element in its SearchSchema"
                    )))
                }
                Some("INLINE_FILTER") => filters.push(key),
                other => {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value '{}' at 'searchSchema.member.searchSchemaElementType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, INLINE_FILTER]",
                        other.unwrap_or("null")
                    )))
                }
            }
        }
        if filters.len() > MAX_INLINE_FILTERS {
            return Err(invalid(format!(
                "VectorIndex {name} can have at most {MAX_INLINE_FILTERS} INLINE_FILTER elements"
            )));
        }
    }
    let projection = input
        .projection
        .as_ref()
        .ok_or_else(|| invalid(format!("VectorIndex {name} must specify Projection")))?;
    let projection_type = projection.projection_type.clone().unwrap_or_else(|| "ALL".to_string());
    let non_key_attributes = match (projection_type.as_str(), &projection.non_key_attributes) {
        ("ALL" | "KEYS_ONLY", None) => None,
        ("ALL" | "KEYS_ONLY", Some(_)) => {
            return Err(invalid(format!(
                "ProjectionType is {projection_type}, but NonKeyAttributes is specified"
            )))
        }
        ("INCLUDE", Some(attrs)) if !attrs.is_empty() => Some(attrs.clone()),
        ("INCLUDE", _) => return Err(invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")),
        (other, _) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'vectorIndex.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, KEYS_ONLY, INCLUDE]"
            )))
        }
    };
    Ok(VectorIndexMeta {
        name,
        id,
        attribute,
        dimensions: dimensions as usize,
        distance,
        hash,
        filters,
        projection_type,
        non_key_attributes,
        ready: true,
        online: false,
    })
}

/// Rules across a table's indexes: names unique (vector, global and local alike),
/// indexes on one attribute of one number of dimensions, at most five.
pub(crate) fn check_table(table: &TableMeta) -> Result<(), ApiError> {
    if table.vector_indexes.is_empty() {
        return Ok(());
    }
    if table.billing_mode != BillingMode::PayPerRequest {
        return Err(invalid(
            "Vector indexes are supported only on tables that use on-demand capacity mode (PAY_PER_REQUEST)",
        ));
    }
    if table.vector_indexes.len() > MAX_VECTOR_INDEXES {
        return Err(invalid(format!(
            "VectorIndex count exceeds the per-table limit of {MAX_VECTOR_INDEXES}"
        )));
    }
    let mut names: Vec<&str> = table
        .global_secondary_indexes
        .iter()
        .chain(&table.local_secondary_indexes)
        .map(|i| i.name.as_str())
        .collect();
    for (i, index) in table.vector_indexes.iter().enumerate() {
        if names.contains(&index.name.as_str()) {
            return Err(invalid(format!("Duplicate index name: {}", index.name)));
        }
        names.push(&index.name);
        let redefined = table.vector_indexes[..i]
            .iter()
            .any(|other| other.attribute == index.attribute && other.dimensions != index.dimensions);
        if redefined {
            return Err(invalid(format!(
                "Attributes cannot be redefined: vector attribute {} of index {} has {} dimensions in another vector index",
                index.attribute, index.name, index.dimensions
            )));
        }
        key_of_another_index(table, &index.attribute, &index.name)?;
    }
    Ok(())
}

/// A vector attribute holds a list: it cannot be a key of a secondary index.
fn key_of_another_index(table: &TableMeta, attribute: &str, name: &str) -> Result<(), ApiError> {
    if table.key_attributes().any(|k| k.name == attribute) {
        return Err(invalid(format!(
            "The vector attribute {attribute} of index {name} cannot be a key attribute of the table"
        )));
    }
    let keyed = table
        .global_secondary_indexes
        .iter()
        .chain(&table.local_secondary_indexes)
        .find(|i| i.key_attributes().iter().any(|k| k.name == attribute));
    match keyed {
        Some(other) => Err(invalid(format!(
            "The vector attribute {attribute} of index {name} cannot be a key attribute of index {}",
            other.name
        ))),
        None => Ok(()),
    }
}

/// What UpdateTable must start once the new metadata is committed.
#[derive(Default)]
pub(crate) struct VectorWork {
    pub backfill: Vec<String>,
    pub purge: Vec<u64>,
}

const ONE_AT_A_TIME: &str =
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table";

/// UpdateTable's `VectorIndexUpdates`: one Create (backfilled online) or one Delete.
pub(crate) fn apply_updates(
    meta: &mut TableMeta,
    updates: &[VectorIndexUpdate],
    defs: &[AttributeDefinition],
    gsi_changes: usize,
) -> Result<VectorWork, ApiError> {
    let mut work = VectorWork::default();
    if updates.is_empty() {
        return Ok(work);
    }
    let in_progress =
        meta.global_secondary_indexes.iter().any(|i| !i.ready) || meta.vector_indexes.iter().any(|i| !i.ready);
    if updates.len() + gsi_changes > 1 || in_progress {
        return Err(ApiError::limit_exceeded(ONE_AT_A_TIME));
    }
    let update = &updates[0];
    match (&update.create, &update.delete) {
        (Some(create), None) => {
            if meta.indexes_created >= 255 {
                return Err(ApiError::limit_exceeded(
                    "Cairn allows at most 255 index creations per table",
                ));
            }
            if meta.vector_indexes.len() >= MAX_VECTOR_INDEXES {
                return Err(invalid(format!(
                    "VectorIndex count exceeds the per-table limit of {MAX_VECTOR_INDEXES}"
                )));
            }
            let attribute = create
                .vector_attribute
                .as_ref()
                .and_then(|a| a.attribute_name.as_deref());
            if let Some(attribute) = attribute {
                key_of_another_index(meta, attribute, create.index_name.as_deref().unwrap_or_default())?;
            }
            meta.indexes_created += 1;
            let mut index = vector_index(create, defs, meta.id << 8 | meta.indexes_created)?;
            index.ready = false;
            index.online = true;
            for attr in index.hash.iter().chain(&index.filters) {
                if !meta.attribute_definitions.contains(attr) {
                    meta.attribute_definitions.push(attr.clone());
                }
            }
            work.backfill.push(index.name.clone());
            meta.vector_indexes.push(index);
            check_table(meta)?;
        }
        (None, Some(delete)) => {
            let name = delete.index_name.clone().unwrap_or_default();
            let position = meta.vector_indexes.iter().position(|i| i.name == name).ok_or_else(|| {
                ApiError::resource_not_found(format!("Requested resource not found: Index: {name} not found"))
            })?;
            work.purge.push(meta.vector_indexes.remove(position).id);
            crate::ops::update_table_indexes::prune_definitions(meta);
        }
        _ => {
            return Err(invalid(
                "Exactly one of VectorIndexUpdate.Create and VectorIndexUpdate.Delete must be specified",
            ))
        }
    }
    Ok(work)
}

/// A vector index of the catalog as CreateTable declares it.
pub(crate) fn request(index: &VectorIndexMeta) -> VectorIndex {
    let schema: Vec<SearchSchemaElement> = index
        .hash
        .iter()
        .map(|a| (a, "HASH"))
        .chain(index.filters.iter().map(|a| (a, "INLINE_FILTER")))
        .map(|(a, kind)| SearchSchemaElement {
            attribute_name: Some(a.name.clone()),
            search_schema_element_type: Some(kind.to_string()),
        })
        .collect();
    VectorIndex {
        index_name: Some(index.name.clone()),
        vector_attribute: Some(VectorAttributeDefinition {
            attribute_name: Some(index.attribute.clone()),
        }),
        search_schema: (!schema.is_empty()).then_some(schema),
        projection: Some(Projection {
            projection_type: Some(index.projection_type.clone()),
            non_key_attributes: index.non_key_attributes.clone(),
        }),
        dimensions: Some(index.dimensions as i64),
        distance_function: Some(index.distance.as_str().to_string()),
    }
}

/// The index as DescribeTable shows it.
pub(crate) fn describe(index: &VectorIndexMeta, table_arn: &str, items: i64, bytes: i64) -> VectorIndexDescription {
    let mut schema: Vec<SearchSchemaElement> = Vec::new();
    for (attr, kind) in index
        .hash
        .iter()
        .map(|h| (h, "HASH"))
        .chain(index.filters.iter().map(|f| (f, "INLINE_FILTER")))
    {
        schema.push(SearchSchemaElement {
            attribute_name: Some(attr.name.clone()),
            search_schema_element_type: Some(kind.to_string()),
        });
    }
    VectorIndexDescription {
        index_name: index.name.clone(),
        search_schema: (!schema.is_empty()).then_some(schema),
        projection: Projection {
            projection_type: Some(index.projection_type.clone()),
            non_key_attributes: index.non_key_attributes.clone(),
        },
        vector_attribute: VectorAttributeDefinition {
            attribute_name: Some(index.attribute.clone()),
        },
        dimensions: index.dimensions as i64,
        distance_function: index.distance.as_str().to_string(),
        index_status: if index.ready { "ACTIVE" } else { "CREATING" }.to_string(),
        backfilling: (!index.ready && index.online).then_some(true),
        index_size_bytes: bytes,
        item_count: items,
        index_arn: format!("{table_arn}/index/{}", index.name),
    }
}
