//! The accesses of item operations, with the fine-grained condition keys DynamoDB
//! fills: `dynamodb:LeadingKeys` (partition key values), `dynamodb:Attributes`
//! (attribute names the request names), `dynamodb:Select`, `dynamodb:ReturnValues`,
//! `dynamodb:ReturnConsumedCapacity` and, inside transactions,
//! `dynamodb:EnclosingOperation`.

use super::{Access, Accesses};
use crate::catalog::TableMeta;
use crate::ops::key_condition::KeyCondition;
use crate::read::Source;
use crate::{Engine, RequestContext};
use base64::Engine as _;
use cairn_expr::condition::ConditionAst;
use cairn_expr::path::UnresolvedElement;
use cairn_expr::{parse_condition, parse_projection, parse_update, ExpressionKind, OperandAst, Placeholders};
use cairn_model::types::*;
use cairn_model::wire::{RawItem, RawValue};
use cairn_model::{ApiError, AttributeValue};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const LEADING_KEYS: &str = "dynamodb:LeadingKeys";
const ATTRIBUTES: &str = "dynamodb:Attributes";
const SELECT: &str = "dynamodb:Select";
const RETURN_VALUES: &str = "dynamodb:ReturnValues";
const RETURN_CONSUMED_CAPACITY: &str = "dynamodb:ReturnConsumedCapacity";
const ENCLOSING_OPERATION: &str = "dynamodb:EnclosingOperation";

/// A key value as condition keys compare it, decoded as the operation decodes it (a
/// number in its canonical form, so `1.0` and `1` are one key): the text of S and N,
/// the base64 of B.
fn raw_text(value: &RawValue) -> Option<String> {
    AttributeValue::from_raw(value.clone())
        .ok()
        .as_ref()
        .and_then(value_text)
}

pub(super) fn value_text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.to_string()),
        AttributeValue::B(b) => Some(base64::engine::general_purpose::STANDARD.encode(b)),
        _ => None,
    }
}

impl Engine {
    fn table_if_exists(&self, ctx: &RequestContext, name: Option<&str>) -> Option<Arc<TableMeta>> {
        self.catalog.get(&ctx.region, name?)
    }
}

/// The partition key values of `items` in `table` (none when the table is unknown:
/// the operation then fails on the missing table).
fn leading_keys<'a>(table: Option<&TableMeta>, items: impl IntoIterator<Item = &'a RawItem>) -> Vec<String> {
    let Some(table) = table else {
        return Vec::new();
    };
    let mut out: Vec<String> = items
        .into_iter()
        .filter_map(|item| item.get(&table.hash_key.name).and_then(raw_text))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The top-level attribute a path starts at, `#placeholders` resolved.
fn top_level(elements: &[UnresolvedElement], names: Option<&BTreeMap<String, String>>) -> Option<String> {
    match elements.first()? {
        UnresolvedElement::Name(n) => Some(n.clone()),
        UnresolvedElement::Placeholder(p) => names?.get(p).cloned(),
        UnresolvedElement::Index(_) => None,
    }
}

/// The attributes a read asks for: ProjectionExpression or AttributesToGet (`None`
/// when it asks for none in particular).
pub(super) fn projected(
    projection: Option<&str>,
    attributes_to_get: Option<&Vec<String>>,
    names: Option<&BTreeMap<String, String>>,
) -> Result<Option<Vec<String>>, ApiError> {
    if let Some(text) = projection {
        let ast = parse_projection(text)?;
        let set: BTreeSet<String> = ast.paths.iter().filter_map(|p| top_level(&p.0, names)).collect();
        return Ok(Some(set.into_iter().collect()));
    }
    Ok(attributes_to_get.map(|list| list.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()))
}

fn with_attributes(access: Access, attributes: Option<Vec<String>>) -> Access {
    match attributes {
        Some(list) => access.with(ATTRIBUTES, list),
        None => access,
    }
}

/// Reads always carry a Select: the one asked for, else SPECIFIC_ATTRIBUTES when
/// attributes are named, else ALL_ATTRIBUTES.
fn select_of(select: Option<&str>, attributes: &Option<Vec<String>>) -> String {
    match (select, attributes) {
        (Some(s), _) => s.to_string(),
        (None, Some(_)) => "SPECIFIC_ATTRIBUTES".to_string(),
        (None, None) => "ALL_ATTRIBUTES".to_string(),
    }
}

fn operand_names(operand: &OperandAst, names: Option<&BTreeMap<String, String>>, out: &mut BTreeSet<String>) {
    match operand {
        OperandAst::Path(path) => out.extend(top_level(&path.0, names)),
        OperandAst::Value(_) => {}
        OperandAst::Function { args, .. } => args.iter().for_each(|a| operand_names(a, names, out)),
    }
}

fn condition_names(condition: &ConditionAst, names: Option<&BTreeMap<String, String>>, out: &mut BTreeSet<String>) {
    match condition {
        ConditionAst::Compare(a, _, b) => [a, b].into_iter().for_each(|o| operand_names(o, names, out)),
        ConditionAst::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| operand_names(o, names, out)),
        ConditionAst::In(a, list) => std::iter::once(a)
            .chain(list)
            .for_each(|o| operand_names(o, names, out)),
        ConditionAst::Function(_, args) => args.iter().for_each(|o| operand_names(o, names, out)),
        ConditionAst::And(a, b) | ConditionAst::Or(a, b) => {
            condition_names(a, names, out);
            condition_names(b, names, out);
        }
        ConditionAst::Not(a) => condition_names(a, names, out),
    }
}

/// Attributes a request refers to besides what it reads or writes: those its
/// condition or filter tests (a test reveals a value), legacy conditions' keys, and
/// `*` when a failed condition returns the whole old item
/// (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), which no list of allowed
/// attributes covers.
pub(super) fn referenced(
    condition: Option<&str>,
    kind: ExpressionKind,
    legacy: impl IntoIterator<Item = String>,
    names: Option<&BTreeMap<String, String>>,
    return_on_failure: Option<&str>,
) -> Result<BTreeSet<String>, ApiError> {
    let mut out: BTreeSet<String> = legacy.into_iter().collect();
    if let Some(text) = condition {
        condition_names(&parse_condition(text, kind)?, names, &mut out);
    }
    if return_on_failure == Some("ALL_OLD") {
        out.insert("*".to_string());
    }
    Ok(out)
}

pub(super) fn union(a: Vec<String>, b: BTreeSet<String>) -> Vec<String> {
    let mut all: BTreeSet<String> = a.into_iter().collect();
    all.extend(b);
    all.into_iter().collect()
}

/// Reads: the projected attributes plus those the filter tests; `None` when the
/// request names no attribute at all.
fn read_attributes(projected: &Option<Vec<String>>, filtered: BTreeSet<String>) -> Option<Vec<String>> {
    match projected {
        None if filtered.is_empty() => None,
        None => Some(filtered.into_iter().collect()),
        Some(list) => Some(union(list.clone(), filtered)),
    }
}

fn names_of(item: Option<&RawItem>) -> Vec<String> {
    item.map(|i| i.keys().cloned().collect()).unwrap_or_default()
}

impl Accesses for GetItemInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let table = engine.table_if_exists(ctx, self.table_name.as_deref());
        let attributes = projected(
            self.projection_expression.as_deref(),
            self.attributes_to_get.as_ref(),
            self.expression_attribute_names.as_ref(),
        )?;
        let access = Access::new(operation, engine.table_resource(ctx, self.table_name.as_deref()))
            .with(LEADING_KEYS, leading_keys(table.as_deref(), self.key.as_ref()))
            .with_one(SELECT, Some(&select_of(None, &attributes)))
            .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref());
        Ok(vec![with_attributes(access, attributes)])
    }
}

/// Attributes a single-item write's condition tests (ConditionExpression or legacy
/// Expected), and `*` when a failed condition returns the whole item.
fn condition_attributes(
    condition: Option<&str>,
    expected: Option<&BTreeMap<String, ExpectedAttributeValue>>,
    names: Option<&BTreeMap<String, String>>,
    on_failure: Option<&str>,
) -> Result<BTreeSet<String>, ApiError> {
    referenced(
        condition,
        ExpressionKind::Condition,
        expected.into_iter().flat_map(|m| m.keys().cloned()),
        names,
        on_failure,
    )
}

/// The one access of PutItem, UpdateItem or DeleteItem: the partition key of `key`,
/// the attributes the request names, and its ReturnValues (NONE unless given).
struct ItemWrite<'a> {
    table_name: Option<&'a str>,
    key: Option<&'a RawItem>,
    attributes: Vec<String>,
    return_values: Option<&'a str>,
    return_consumed_capacity: Option<&'a str>,
}

impl ItemWrite<'_> {
    fn access(self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Vec<Access> {
        let table = engine.table_if_exists(ctx, self.table_name);
        vec![Access::new(operation, engine.table_resource(ctx, self.table_name))
            .with(LEADING_KEYS, leading_keys(table.as_deref(), self.key))
            .with(ATTRIBUTES, self.attributes)
            .with_one(RETURN_VALUES, Some(self.return_values.unwrap_or("NONE")))
            .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity)]
    }
}

impl Accesses for PutItemInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let tested = condition_attributes(
            self.condition_expression.as_deref(),
            self.expected.as_ref(),
            self.expression_attribute_names.as_ref(),
            self.return_values_on_condition_check_failure.as_deref(),
        )?;
        Ok(ItemWrite {
            table_name: self.table_name.as_deref(),
            key: self.item.as_ref(),
            attributes: union(names_of(self.item.as_ref()), tested),
            return_values: self.return_values.as_deref(),
            return_consumed_capacity: self.return_consumed_capacity.as_deref(),
        }
        .access(operation, engine, ctx))
    }
}

/// The attributes an update writes: the key's and each action's target.
pub(super) fn updated_attributes(
    key: Option<&RawItem>,
    expression: Option<&str>,
    legacy: Option<&BTreeMap<String, AttributeValueUpdate>>,
    names: Option<&BTreeMap<String, String>>,
) -> Result<Vec<String>, ApiError> {
    let mut set: BTreeSet<String> = names_of(key).into_iter().collect();
    if let Some(text) = expression {
        use cairn_expr::update::{ActionAst, SetValueAst};
        for action in parse_update(text)?.actions {
            // The target, and every attribute a value is computed from (`SET a = b`
            // copies b).
            let path = match &action {
                ActionAst::Set(p, SetValueAst::Operand(o)) => {
                    operand_names(o, names, &mut set);
                    p
                }
                ActionAst::Set(p, SetValueAst::Plus(a, b) | SetValueAst::Minus(a, b)) => {
                    operand_names(a, names, &mut set);
                    operand_names(b, names, &mut set);
                    p
                }
                ActionAst::Remove(p) => p,
                ActionAst::Add(p, o) | ActionAst::Delete(p, o) => {
                    operand_names(o, names, &mut set);
                    p
                }
            };
            set.extend(top_level(&path.0, names));
        }
    }
    set.extend(legacy.into_iter().flat_map(|m| m.keys().cloned()));
    Ok(set.into_iter().collect())
}

impl Accesses for UpdateItemInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let written = updated_attributes(
            self.key.as_ref(),
            self.update_expression.as_deref(),
            self.attribute_updates.as_ref(),
            self.expression_attribute_names.as_ref(),
        )?;
        let tested = condition_attributes(
            self.condition_expression.as_deref(),
            self.expected.as_ref(),
            self.expression_attribute_names.as_ref(),
            self.return_values_on_condition_check_failure.as_deref(),
        )?;
        Ok(ItemWrite {
            table_name: self.table_name.as_deref(),
            key: self.key.as_ref(),
            attributes: union(written, tested),
            return_values: self.return_values.as_deref(),
            return_consumed_capacity: self.return_consumed_capacity.as_deref(),
        }
        .access(operation, engine, ctx))
    }
}

impl Accesses for DeleteItemInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let tested = condition_attributes(
            self.condition_expression.as_deref(),
            self.expected.as_ref(),
            self.expression_attribute_names.as_ref(),
            self.return_values_on_condition_check_failure.as_deref(),
        )?;
        Ok(ItemWrite {
            table_name: self.table_name.as_deref(),
            key: self.key.as_ref(),
            attributes: union(names_of(self.key.as_ref()), tested),
            return_values: self.return_values.as_deref(),
            return_consumed_capacity: self.return_consumed_capacity.as_deref(),
        }
        .access(operation, engine, ctx))
    }
}

/// The partition key values a Query's key condition fixes, read with the operation's
/// own parser and key rules.
fn query_leading_keys(table: Option<&TableMeta>, input: &QueryInput) -> Result<Vec<String>, ApiError> {
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let Ok(source) = Source::new(table, input.index_name.as_deref()) else {
        return Ok(Vec::new());
    };
    let values = crate::ops::read_options::decode_values(input.expression_attribute_values.clone())?;
    let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
    let condition = match (&input.key_condition_expression, &input.key_conditions) {
        (Some(text), _) => Some(
            parse_condition(text, ExpressionKind::KeyCondition)?
                .resolve(ExpressionKind::KeyCondition, &mut placeholders)?,
        ),
        (None, Some(legacy)) => {
            crate::ops::legacy::expected_condition(legacy, None, crate::ops::legacy::LegacyUse::KeyConditions)?
        }
        (None, None) => None,
    };
    let Some(condition) = condition else {
        return Ok(Vec::new());
    };
    let key = KeyCondition::from_condition(&condition, &source.hash_keys(), &source.range_keys())?;
    Ok(key.partition.iter().filter_map(value_text).collect())
}

impl Accesses for QueryInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let table = engine.table_if_exists(ctx, self.table_name.as_deref());
        let attributes = projected(
            self.projection_expression.as_deref(),
            self.attributes_to_get.as_ref(),
            self.expression_attribute_names.as_ref(),
        )?;
        let filtered = referenced(
            self.filter_expression.as_deref(),
            ExpressionKind::Filter,
            self.query_filter.iter().flat_map(|m| m.keys().cloned()),
            self.expression_attribute_names.as_ref(),
            None,
        )?;
        let access = Access::new(
            operation,
            engine.index_resource(ctx, self.table_name.as_deref(), self.index_name.as_deref()),
        )
        .with(LEADING_KEYS, query_leading_keys(table.as_deref(), self)?)
        .with_one(SELECT, Some(&select_of(self.select.as_deref(), &attributes)))
        .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref());
        Ok(vec![with_attributes(access, read_attributes(&attributes, filtered))])
    }
}

impl Accesses for ScanInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let attributes = projected(
            self.projection_expression.as_deref(),
            self.attributes_to_get.as_ref(),
            self.expression_attribute_names.as_ref(),
        )?;
        let filtered = referenced(
            self.filter_expression.as_deref(),
            ExpressionKind::Filter,
            self.scan_filter.iter().flat_map(|m| m.keys().cloned()),
            self.expression_attribute_names.as_ref(),
            None,
        )?;
        let access = Access::new(
            operation,
            engine.index_resource(ctx, self.table_name.as_deref(), self.index_name.as_deref()),
        )
        .with_one(SELECT, Some(&select_of(self.select.as_deref(), &attributes)))
        .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref());
        Ok(vec![with_attributes(access, read_attributes(&attributes, filtered))])
    }
}

impl Accesses for BatchGetItemInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let mut out = Vec::new();
        for (name, request) in self.request_items.iter().flatten() {
            let table = engine.table_if_exists(ctx, Some(name));
            let attributes = projected(
                request.projection_expression.as_deref(),
                request.attributes_to_get.as_ref(),
                request.expression_attribute_names.as_ref(),
            )?;
            let access = Access::new(operation, engine.table_resource(ctx, Some(name)))
                .with(
                    LEADING_KEYS,
                    leading_keys(table.as_deref(), request.keys.iter().flatten()),
                )
                .with_one(SELECT, Some(&select_of(None, &attributes)))
                .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref());
            out.push(with_attributes(access, attributes));
        }
        Ok(out)
    }
}

impl Accesses for BatchWriteItemInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let mut out = Vec::new();
        for (name, requests) in self.request_items.iter().flatten() {
            let table = engine.table_if_exists(ctx, Some(name));
            let items: Vec<&RawItem> = requests
                .iter()
                .filter_map(|r| {
                    r.put_request
                        .as_ref()
                        .and_then(|p| p.item.as_ref())
                        .or_else(|| r.delete_request.as_ref().and_then(|d| d.key.as_ref()))
                })
                .collect();
            let attributes: BTreeSet<String> = items.iter().flat_map(|i| i.keys().cloned()).collect();
            out.push(
                Access::new(operation, engine.table_resource(ctx, Some(name)))
                    .with(LEADING_KEYS, leading_keys(table.as_deref(), items.iter().copied()))
                    .with(ATTRIBUTES, attributes.into_iter().collect())
                    .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref()),
            );
        }
        Ok(out)
    }
}

impl Accesses for TransactGetItemsInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let mut out = Vec::new();
        for get in self.transact_items.iter().flatten().filter_map(|t| t.get.as_ref()) {
            let table = engine.table_if_exists(ctx, get.table_name.as_deref());
            let attributes = projected(
                get.projection_expression.as_deref(),
                None,
                get.expression_attribute_names.as_ref(),
            )?;
            let access = Access::new("GetItem", engine.table_resource(ctx, get.table_name.as_deref()))
                .with(LEADING_KEYS, leading_keys(table.as_deref(), get.key.as_ref()))
                .with_one(SELECT, Some(&select_of(None, &attributes)))
                .with_one(ENCLOSING_OPERATION, Some(operation))
                .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref());
            out.push(with_attributes(access, attributes));
        }
        Ok(out)
    }
}

impl Accesses for TransactWriteItemsInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let mut out = Vec::new();
        for entry in self.transact_items.iter().flatten() {
            let actions = [
                ("ConditionCheckItem", &entry.condition_check),
                ("PutItem", &entry.put),
                ("DeleteItem", &entry.delete),
                ("UpdateItem", &entry.update),
            ];
            for (action, item) in actions {
                let Some(item) = item else { continue };
                let table = engine.table_if_exists(ctx, item.table_name.as_deref());
                // The operation reads Put's `Item` and the others' `Key`.
                let key = if action == "PutItem" {
                    item.item.as_ref()
                } else {
                    item.key.as_ref()
                };
                let attributes = match action {
                    "PutItem" => names_of(item.item.as_ref()),
                    "UpdateItem" => updated_attributes(
                        item.key.as_ref(),
                        item.update_expression.as_deref(),
                        None,
                        item.expression_attribute_names.as_ref(),
                    )?,
                    _ => names_of(item.key.as_ref()),
                };
                let attributes = union(
                    attributes,
                    referenced(
                        item.condition_expression.as_deref(),
                        ExpressionKind::Condition,
                        None,
                        item.expression_attribute_names.as_ref(),
                        item.return_values_on_condition_check_failure.as_deref(),
                    )?,
                );
                out.push(
                    Access::new(action, engine.table_resource(ctx, item.table_name.as_deref()))
                        .with(LEADING_KEYS, leading_keys(table.as_deref(), key))
                        .with(ATTRIBUTES, attributes)
                        .with_one(ENCLOSING_OPERATION, Some(operation))
                        .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref()),
                );
            }
        }
        Ok(out)
    }
}

/// SearchVectors: the vector index is the resource. Fine-grained access control does
/// not apply to it (DynamoDB: a statement whose condition names dynamodb:LeadingKeys,
/// dynamodb:Attributes or dynamodb:Select does not match a SearchVectors request), so
/// none of those keys is set.
impl Accesses for cairn_model::types::SearchVectorsInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let table = self.table_name.as_deref().map(crate::ops::backups::table_name_of);
        let access = Access::new(operation, engine.index_resource(ctx, table, self.index_name.as_deref()))
            .with_one(RETURN_CONSUMED_CAPACITY, self.return_consumed_capacity.as_deref());
        Ok(vec![access])
    }
}
