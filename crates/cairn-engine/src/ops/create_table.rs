//! CreateTable: DynamoDB's constraint checks, then its semantic checks of key schema,
//! attribute definitions, billing and indexes, then the catalog entry.

use crate::catalog::{allocate_table_id, persist_meta, BillingMode, IndexMeta, KeyAttribute, StoredPolicy, TableMeta};
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::limits::{MAX_GSIS, MAX_LSIS, MAX_PROJECTED_NON_KEY_ATTRIBUTES};
use cairn_model::types::{
    AttributeDefinition, CreateTableInput, KeySchemaElement, Projection, ProvisionedThroughput, TableDescriptionOutput,
};
use cairn_model::value::ScalarType;
use cairn_model::ApiError;
use std::sync::Arc;

const KEY_TYPES: &[&str] = &["HASH", "RANGE"];
const ATTRIBUTE_TYPES: &[&str] = &["B", "N", "S"];
pub(crate) const BILLING_MODES: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];
const PROJECTION_TYPES: &[&str] = &["ALL", "KEYS_ONLY", "INCLUDE"];
pub(crate) const TABLE_CLASSES: &[&str] = &["STANDARD", "STANDARD_INFREQUENT_ACCESS"];
pub(crate) const STREAM_VIEW_TYPES: &[&str] = &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"];
const SSE_TYPES: &[&str] = &["AES256", "KMS"];

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_parameter(detail)
}

/// How DynamoDB prints a KeySchemaElement inside a constraint message.
fn show_key_schema(schema: &[KeySchemaElement]) -> String {
    let parts: Vec<String> = schema
        .iter()
        .map(|e| {
            format!(
                "KeySchemaElement(attributeName={}, keyType={})",
                e.attribute_name.as_deref().unwrap_or("null"),
                e.key_type.as_deref().unwrap_or("null")
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

pub(crate) fn key_schema_constraints(c: &mut Constraints, schema: Option<&Vec<KeySchemaElement>>, path: &str) {
    key_schema_constraints_up_to(c, schema, path, 2);
}

fn key_schema_constraints_up_to(c: &mut Constraints, schema: Option<&Vec<KeySchemaElement>>, path: &str, max: usize) {
    let Some(schema) = schema else {
        c.violation(None, path, "Member must not be null");
        return;
    };
    let shown = show_key_schema(schema);
    c.min_length(Some(&shown), schema.len(), path, 1);
    c.max_length(Some(&shown), schema.len(), path, max);
    for (i, element) in schema.iter().enumerate() {
        let at = format!("{path}.{}.member", i + 1);
        let name = element.attribute_name.as_deref();
        match name {
            None => c.violation(None, &format!("{at}.attributeName"), "Member must not be null"),
            Some(n) => {
                c.min_length(Some(n), n.len(), &format!("{at}.attributeName"), 1);
                c.max_length(Some(n), n.len(), &format!("{at}.attributeName"), 255);
            }
        }
        match element.key_type.as_deref() {
            None => c.violation(None, &format!("{at}.keyType"), "Member must not be null"),
            kt => c.one_of(kt, &format!("{at}.keyType"), KEY_TYPES),
        }
    }
}

fn projection_constraints(c: &mut Constraints, projection: Option<&Projection>, path: &str) {
    match projection {
        None => c.violation(None, path, "Member must not be null"),
        Some(p) => c.one_of(
            p.projection_type.as_deref(),
            &format!("{path}.projectionType"),
            PROJECTION_TYPES,
        ),
    }
}

pub(crate) fn throughput_constraints(c: &mut Constraints, t: Option<&ProvisionedThroughput>, path: &str) {
    if let Some(t) = t {
        for (value, name) in [
            (t.read_capacity_units, "readCapacityUnits"),
            (t.write_capacity_units, "writeCapacityUnits"),
        ] {
            match value {
                None => c.violation(None, &format!("{path}.{name}"), "Member must not be null"),
                Some(v) => c.at_least(v, &format!("{path}.{name}"), 1),
            }
        }
    }
}

fn check_constraints(input: &CreateTableInput) -> Result<(), ApiError> {
    if input.table_name.is_none() {
        return Err(ApiError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        ));
    }
    let mut c = Constraints::new();
    c.table_name(input.table_name.as_deref(), "tableName");
    // DynamoDB stops at a bad table name before looking at anything else.
    if !c.is_empty() {
        return c.finish();
    }
    match &input.attribute_definitions {
        None => c.violation(None, "attributeDefinitions", "Member must not be null"),
        Some(defs) => {
            for (i, d) in defs.iter().enumerate() {
                let at = format!("attributeDefinitions.{}.member", i + 1);
                match d.attribute_name.as_deref() {
                    None => c.violation(None, &format!("{at}.attributeName"), "Member must not be null"),
                    Some(n) => {
                        c.min_length(Some(n), n.len(), &format!("{at}.attributeName"), 1);
                        c.max_length(Some(n), n.len(), &format!("{at}.attributeName"), 255);
                    }
                }
                match d.attribute_type.as_deref() {
                    None => c.violation(None, &format!("{at}.attributeType"), "Member must not be null"),
                    t => c.one_of(t, &format!("{at}.attributeType"), ATTRIBUTE_TYPES),
                }
            }
        }
    }
    key_schema_constraints(&mut c, input.key_schema.as_ref(), "keySchema");
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
    if let Some(s) = &input.sse_specification {
        c.one_of(s.sse_type.as_deref(), "sSESpecification.sSEType", SSE_TYPES);
    }
    for (i, g) in input.global_secondary_indexes.iter().flatten().enumerate() {
        let at = format!("globalSecondaryIndexes.{}.member", i + 1);
        global_index_constraints(&mut c, g, &at);
        throughput_constraints(
            &mut c,
            g.provisioned_throughput.as_ref(),
            &format!("{at}.provisionedThroughput"),
        );
    }
    for (i, l) in input.local_secondary_indexes.iter().flatten().enumerate() {
        let at = format!("localSecondaryIndexes.{}.member", i + 1);
        c.index_name(l.index_name.as_deref(), &format!("{at}.indexName"), true);
        key_schema_constraints(&mut c, l.key_schema.as_ref(), &format!("{at}.keySchema"));
        projection_constraints(&mut c, l.projection.as_ref(), &format!("{at}.projection"));
    }
    c.finish()
}

/// The model constraints of one GSI definition (CreateTable, and UpdateTable's
/// Create action), reported under `at`.
pub(crate) fn global_index_constraints(c: &mut Constraints, g: &cairn_model::types::GlobalSecondaryIndex, at: &str) {
    c.index_name(g.index_name.as_deref(), &format!("{at}.indexName"), true);
    key_schema_constraints_up_to(
        c,
        g.key_schema.as_ref(),
        &format!("{at}.keySchema"),
        2 * MAX_GSI_KEY_ATTRIBUTES,
    );
    projection_constraints(c, g.projection.as_ref(), &format!("{at}.projection"));
}

fn scalar(t: &str) -> ScalarType {
    match t {
        "N" => ScalarType::N,
        "B" => ScalarType::B,
        _ => ScalarType::S,
    }
}

/// Resolves a (constraint-checked) key schema to its hash and range attributes.
fn resolve_key_schema(
    schema: &[KeySchemaElement],
    defs: &[AttributeDefinition],
) -> Result<(KeyAttribute, Option<KeyAttribute>), ApiError> {
    let name = |e: &KeySchemaElement| e.attribute_name.clone().unwrap_or_default();
    let lookup = |n: &str| {
        defs.iter()
            .find(|d| d.attribute_name.as_deref() == Some(n))
            .map(|d| KeyAttribute {
                name: n.to_string(),
                kind: scalar(d.attribute_type.as_deref().unwrap_or("S")),
            })
    };
    if schema.len() == 2 && schema[0].attribute_name == schema[1].attribute_name {
        return Err(ApiError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    let Some(first) = schema.first() else {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    };
    if first.key_type.as_deref() != Some("HASH") {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if schema.get(1).is_some_and(|e| e.key_type.as_deref() != Some("RANGE")) {
        return Err(ApiError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    let missing: Vec<String> = schema.iter().map(name).filter(|n| lookup(n).is_none()).collect();
    if !missing.is_empty() {
        let defined: Vec<String> = defs.iter().filter_map(|d| d.attribute_name.clone()).collect();
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            missing.join(", "),
            defined.join(", ")
        )));
    }
    // INVARIANT: every name was found by `lookup` just above.
    let hash = lookup(&name(first)).ok_or_else(|| ApiError::internal("key attribute vanished"))?;
    let range = schema.get(1).and_then(|e| lookup(&name(e)));
    Ok((hash, range))
}

/// Most attributes of each kind in a multi-attribute GSI key.
const MAX_GSI_KEY_ATTRIBUTES: usize = 4;

/// A GSI key schema: one to four HASH attributes, then up to four RANGE attributes
/// (DynamoDB's multi-attribute keys). With one of each it is resolved exactly like a
/// table's key schema, messages included.
fn resolve_index_key_schema(
    schema: &[KeySchemaElement],
    defs: &[AttributeDefinition],
) -> Result<(Vec<KeyAttribute>, Vec<KeyAttribute>), ApiError> {
    // Two HASH elements are a multi-attribute partition key, not a malformed
    // HASH/RANGE pair.
    let two_hash = schema.len() == 2 && schema.iter().all(|e| e.key_type.as_deref() == Some("HASH"));
    if schema.len() <= 2 && !two_hash {
        let (hash, range) = resolve_key_schema(schema, defs)?;
        return Ok((vec![hash], range.into_iter().collect()));
    }
    let hash_count = schema
        .iter()
        .take_while(|e| e.key_type.as_deref() == Some("HASH"))
        .count();
    if hash_count == 0 {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if schema[hash_count..]
        .iter()
        .any(|e| e.key_type.as_deref() != Some("RANGE"))
    {
        return Err(invalid(
            "All HASH key attributes must precede RANGE key attributes in the KeySchema",
        ));
    }
    if hash_count > MAX_GSI_KEY_ATTRIBUTES {
        return Err(invalid(
            "The KeySchema exceeds the maximum allowed number of HASH key attributes",
        ));
    }
    if schema.len() - hash_count > MAX_GSI_KEY_ATTRIBUTES {
        return Err(invalid(
            "The KeySchema exceeds the maximum allowed number of RANGE key attributes",
        ));
    }
    for (i, e) in schema.iter().enumerate() {
        if schema[..i].iter().any(|f| f.attribute_name == e.attribute_name) {
            return Err(ApiError::validation(
                "The KeySchema contains multiple key attributes with the same name",
            ));
        }
    }
    let mut resolved = Vec::with_capacity(schema.len());
    let mut missing = Vec::new();
    for e in schema {
        let name = e.attribute_name.clone().unwrap_or_default();
        match defs.iter().find(|d| d.attribute_name.as_deref() == Some(name.as_str())) {
            Some(d) => resolved.push(KeyAttribute {
                name,
                kind: scalar(d.attribute_type.as_deref().unwrap_or("S")),
            }),
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        let defined: Vec<String> = defs.iter().filter_map(|d| d.attribute_name.clone()).collect();
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            missing.join(", "),
            defined.join(", ")
        )));
    }
    let ranges = resolved.split_off(hash_count);
    Ok((resolved, ranges))
}

fn check_projection(_index: &str, projection: &Projection) -> Result<Option<Vec<String>>, ApiError> {
    let kind = projection.projection_type.as_deref().unwrap_or("ALL");
    // Wordings as DynamoDB answers them (recorded, eu-west-2 and others, 2019-2026).
    match (kind, &projection.non_key_attributes) {
        ("INCLUDE", None) => Err(invalid(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        ("INCLUDE", Some(attrs)) => {
            if attrs.iter().enumerate().any(|(i, a)| attrs[..i].contains(a)) {
                return Err(ApiError::validation("Cannot have two attributes with the same name"));
            }
            Ok(Some(attrs.clone()))
        }
        (_, Some(_)) => Err(invalid(format!(
            "ProjectionType is {kind}, but NonKeyAttributes is specified"
        ))),
        (_, None) => Ok(None),
    }
}

/// Validates one GSI definition (CreateTable, or UpdateTable's Create) against the
/// attribute definitions and billing mode.
pub(crate) fn global_index(
    g: &cairn_model::types::GlobalSecondaryIndex,
    defs: &[AttributeDefinition],
    billing: BillingMode,
    id: u64,
) -> Result<IndexMeta, ApiError> {
    let index = g.index_name.clone().unwrap_or_default();
    let schema = g.key_schema.as_deref().unwrap_or_default();
    let (mut hashes, mut ranges) = resolve_index_key_schema(schema, defs)?;
    let projection = g.projection.clone().unwrap_or_default();
    let non_key = check_projection(&index, &projection)?;
    let (read, write) = match (billing, &g.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(invalid(format!(
                "ProvisionedThroughput must be specified for index: {index}"
            )))
        }
        (BillingMode::Provisioned, Some(t)) => {
            (t.read_capacity_units.unwrap_or(0), t.write_capacity_units.unwrap_or(0))
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!(
                "ProvisionedThroughput should not be specified for index: {index} when BillingMode is PAY_PER_REQUEST"
            )))
        }
        (BillingMode::PayPerRequest, None) => (0, 0),
    };
    let hash = hashes.remove(0);
    let range = (!ranges.is_empty()).then(|| ranges.remove(0));
    Ok(IndexMeta {
        name: index,
        id,
        hash_key: hash,
        range_key: range,
        projection_type: projection.projection_type.unwrap_or_else(|| "ALL".into()),
        non_key_attributes: non_key,
        read_capacity: read,
        write_capacity: write,
        on_demand_throughput: g.on_demand_throughput.clone(),
        ready: true,
        backfilled_to: None,
        backfilled_items: 0,
        extra_hash_keys: hashes,
        extra_range_keys: ranges,
        warm_throughput: crate::capacity::warm::asked(g.warm_throughput.as_ref()),
    })
}

struct Indexes {
    global: Vec<IndexMeta>,
    local: Vec<IndexMeta>,
}

fn build_indexes(
    input: &CreateTableInput,
    defs: &[AttributeDefinition],
    table_hash: &KeyAttribute,
    table_range: Option<&KeyAttribute>,
    billing: BillingMode,
    first_index_id: &mut u64,
) -> Result<Indexes, ApiError> {
    let lsis = input.local_secondary_indexes.as_deref().unwrap_or_default();
    let gsis = input.global_secondary_indexes.as_deref().unwrap_or_default();
    if input.local_secondary_indexes.as_ref().is_some_and(|l| l.is_empty()) {
        return Err(invalid("List of LocalSecondaryIndexes is empty"));
    }
    if input.global_secondary_indexes.as_ref().is_some_and(|g| g.is_empty()) {
        return Err(invalid("List of GlobalSecondaryIndexes is empty"));
    }
    if !lsis.is_empty() && table_range.is_none() {
        return Err(invalid(
            "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ));
    }
    if lsis.len() > MAX_LSIS {
        return Err(invalid(format!(
            "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
        )));
    }
    if gsis.len() > MAX_GSIS {
        return Err(ApiError::limit_exceeded(format!(
            "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
        )));
    }
    let mut names: Vec<&str> = Vec::new();
    let mut projected = 0usize;
    let mut local = Vec::new();
    for l in lsis {
        let index = l.index_name.clone().unwrap_or_default();
        if names.contains(&index.as_str()) {
            return Err(invalid(format!("Duplicate index name: {index}")));
        }
        names.push(l.index_name.as_deref().unwrap_or_default());
        let schema = l.key_schema.as_deref().unwrap_or_default();
        let (hash, range) = resolve_key_schema(schema, defs)?;
        if &hash != table_hash {
            return Err(invalid(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {index}. index hash key: {}, table hash key: {}",
                hash.name, table_hash.name
            )));
        }
        let Some(range) = range else {
            return Err(invalid(format!(
                "Index KeySchema does not have a range key for index: {index}"
            )));
        };
        let projection = l.projection.clone().unwrap_or_default();
        let non_key = check_projection(&index, &projection)?;
        projected += non_key.as_ref().map_or(0, Vec::len);
        *first_index_id += 1;
        local.push(IndexMeta {
            name: index,
            id: *first_index_id,
            hash_key: hash,
            range_key: Some(range),
            projection_type: projection.projection_type.unwrap_or_else(|| "ALL".into()),
            non_key_attributes: non_key,
            read_capacity: 0,
            write_capacity: 0,
            on_demand_throughput: None,
            ready: true,
            backfilled_to: None,
            backfilled_items: 0,
            extra_hash_keys: Vec::new(),
            extra_range_keys: Vec::new(),
            warm_throughput: None,
        });
    }
    let mut global = Vec::new();
    for g in gsis {
        let index = g.index_name.clone().unwrap_or_default();
        if names.contains(&index.as_str()) {
            return Err(invalid(format!("Duplicate index name: {index}")));
        }
        names.push(g.index_name.as_deref().unwrap_or_default());
        *first_index_id += 1;
        let meta = global_index(g, defs, billing, *first_index_id)?;
        projected += meta.non_key_attributes.as_ref().map_or(0, Vec::len);
        global.push(meta);
    }
    if projected > MAX_PROJECTED_NON_KEY_ATTRIBUTES {
        return Err(ApiError::limit_exceeded(format!(
            "One or more parameter values were invalid: ProjectionNonKeyAttributes count exceeds the per-table limit of {MAX_PROJECTED_NON_KEY_ATTRIBUTES}"
        )));
    }
    Ok(Indexes { global, local })
}

fn check_attribute_definitions(defs: &[AttributeDefinition], used: &[&KeyAttribute]) -> Result<(), ApiError> {
    for (i, d) in defs.iter().enumerate() {
        if defs[..i].iter().any(|e| e.attribute_name == d.attribute_name) {
            // DynamoDB's wording, probed against it in 2026 (even with differing types).
            return Err(ApiError::validation(format!(
                "Attribute Name is duplicated: {}",
                d.attribute_name.as_deref().unwrap_or_default()
            )));
        }
    }
    let mut distinct: Vec<&str> = used.iter().map(|k| k.name.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != defs.len() {
        return Err(invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    Ok(())
}

fn billing(input: &CreateTableInput) -> Result<(BillingMode, i64, i64), ApiError> {
    let mode = match input.billing_mode.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
    match (mode, &input.provisioned_throughput) {
        (BillingMode::Provisioned, None) => Err(invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        (BillingMode::Provisioned, Some(t)) => Ok((
            mode,
            t.read_capacity_units.unwrap_or(0),
            t.write_capacity_units.unwrap_or(0),
        )),
        (BillingMode::PayPerRequest, Some(_)) => Err(invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (BillingMode::PayPerRequest, None) => Ok((mode, 0, 0)),
    }
}

impl Engine {
    pub fn create_table(
        &self,
        ctx: &RequestContext,
        input: CreateTableInput,
    ) -> Result<TableDescriptionOutput, ApiError> {
        self.create_table_as(ctx, input, None, None).map(|(output, _)| output)
    }

    /// CreateTable, or (with `restore`) the table a restore from a backup creates,
    /// which reports CREATING until its items are loaded.
    pub(crate) fn create_table_as(
        &self,
        ctx: &RequestContext,
        input: CreateTableInput,
        restore: Option<crate::catalog::RestoreState>,
        importing: Option<u64>,
    ) -> Result<(TableDescriptionOutput, Arc<TableMeta>), ApiError> {
        check_constraints(&input)?;
        let name = input.table_name.clone().unwrap_or_default();
        let defs = input.attribute_definitions.clone().unwrap_or_default();
        let schema = input.key_schema.clone().unwrap_or_default();
        let (hash, range) = resolve_key_schema(&schema, &defs)?;
        let (billing_mode, read_capacity, write_capacity) = billing(&input)?;
        let mut index_ids = 0u64;
        let indexes = build_indexes(&input, &defs, &hash, range.as_ref(), billing_mode, &mut index_ids)?;
        let mut used: Vec<&KeyAttribute> = vec![&hash];
        used.extend(range.as_ref());
        for index in indexes.global.iter().chain(&indexes.local) {
            used.extend(index.key_attributes());
        }
        let mut vector_indexes = Vec::new();
        for index in input.vector_indexes.iter().flatten() {
            index_ids += 1;
            vector_indexes.push(crate::vectors::declare::vector_index(index, &defs, index_ids)?);
        }
        let search_schema: Vec<KeyAttribute> = vector_indexes
            .iter()
            .flat_map(|i| i.hash.iter().chain(&i.filters).cloned())
            .collect();
        used.extend(&search_schema);
        check_attribute_definitions(&defs, &used)?;
        if let Some(spec) = &input.stream_specification {
            if spec.stream_enabled == Some(true) && spec.stream_view_type.is_none() {
                return Err(ApiError::validation(
                    "StreamSpecification: StreamViewType is required when StreamEnabled is true",
                ));
            }
        }
        if let Some(text) = input.resource_policy.as_deref() {
            super::resource_policy::check_resource_policy(text)?;
        }

        let _guard = self.catalog_lock();
        if self.catalog.get(&ctx.region, &name).is_some() {
            return Err(ApiError::resource_in_use(format!("Table already exists: {name}")));
        }
        if self.catalog.names(&ctx.region).len() >= self.config.max_tables {
            return Err(ApiError::limit_exceeded(format!(
                "Subscriber limit exceeded: There is a limit of {} tables per subscriber",
                self.config.max_tables
            )));
        }
        let now = self.clock.now_seconds();
        let mut tx = self.storage.begin().map_err(storage_error)?;
        let id = allocate_table_id(tx.as_mut()).map_err(storage_error)?;
        let attribute_definitions = defs
            .iter()
            .map(|d| KeyAttribute {
                name: d.attribute_name.clone().unwrap_or_default(),
                kind: scalar(d.attribute_type.as_deref().unwrap_or("S")),
            })
            .collect();
        let mut meta = TableMeta {
            name: name.clone(),
            id,
            table_uuid: uuid::Uuid::new_v4().to_string(),
            hash_key: hash,
            range_key: range,
            attribute_definitions,
            global_secondary_indexes: indexes.global,
            local_secondary_indexes: indexes.local,
            billing_mode,
            read_capacity,
            write_capacity,
            on_demand_throughput: input.on_demand_throughput.clone(),
            stream_specification: input
                .stream_specification
                .clone()
                .filter(|s| s.stream_enabled == Some(true)),
            sse_specification: input.sse_specification.clone(),
            tags: input
                .tags
                .iter()
                .flatten()
                .map(|t| (t.key.clone().unwrap_or_default(), t.value.clone().unwrap_or_default()))
                .collect(),
            table_class: input.table_class.clone(),
            deletion_protection_enabled: input.deletion_protection_enabled.unwrap_or(false),
            created_at: now,
            active_at: now + self.config.table_creation_delay.as_secs_f64(),
            // DynamoDB reports an on-demand table's creation as its last switch to
            // on-demand, and keeps reporting it after a switch to provisioned.
            last_switch_to_pay_per_request_at: (billing_mode == BillingMode::PayPerRequest).then_some(now),
            indexes_created: index_ids,
            streams: Vec::new(),
            ttl_attribute: None,
            last_increase_at: None,
            last_decrease_at: None,
            decreases_today: 0,
            region: Some(ctx.region.clone()),
            resource_policy: input.resource_policy.clone().map(|document| StoredPolicy {
                document,
                revision_id: self.next_revision(None),
            }),
            stream_resource_policy: None,
            restore,
            pitr: None,
            importing,
            contributor_insights: Vec::new(),
            warm_throughput: crate::capacity::warm::asked(input.warm_throughput.as_ref()),
            vector_indexes,
        };
        if let Some(spec) = input
            .stream_specification
            .as_ref()
            .filter(|s| s.stream_enabled == Some(true))
        {
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
        // Index ids are table-scoped: the table id in the high bits keeps them unique.
        for index in meta
            .global_secondary_indexes
            .iter_mut()
            .chain(meta.local_secondary_indexes.iter_mut())
        {
            index.id |= id << 8;
        }
        for index in &mut meta.vector_indexes {
            index.id |= id << 8;
        }
        crate::vectors::declare::check_table(&meta)?;
        self.catalog
            .verify_unchanged(tx.as_mut(), None, &meta)
            .map_err(|_| ApiError::resource_in_use(format!("Table already exists: {name}")))?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta.clone());
        let mut description = self.describe(ctx, &meta, 0, 0);
        // DynamoDB answers CreateTable with CREATING, whatever the delay.
        description.table_status = "CREATING".to_string();
        // DynamoDB's CreateTable answer names the billing mode only.
        if let Some(summary) = &mut description.billing_mode_summary {
            summary.last_update_to_pay_per_request_date_time = None;
        }
        let meta = self.catalog.current(&meta).unwrap_or_else(|| Arc::new(meta));
        Ok((
            TableDescriptionOutput {
                table_description: description,
            },
            meta,
        ))
    }
}
