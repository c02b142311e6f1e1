//! The accesses of PartiQL statements: `dynamodb:PartiQLSelect`, `PartiQLInsert`,
//! `PartiQLUpdate` or `PartiQLDelete` on the table (or index) each statement names,
//! with LeadingKeys from the key equalities of its WHERE clause and
//! `dynamodb:FullTableScan` for a SELECT that does not pin its partition key.
//!
//! A statement that does not parse authorizes nothing; the operation refuses it
//! before touching any table.

use super::items::{projected, referenced, union, updated_attributes, value_text};
use super::{Access, Accesses};
use crate::ops::partiql::{condition_of, equalities, parse};
use crate::read::Source;
use crate::{Engine, RequestContext};
use cairn_expr::partiql::{Returning, Statement, Translated};
use cairn_expr::ExpressionKind;
use cairn_model::types::*;
use cairn_model::ApiError;
use std::collections::BTreeSet;

/// Partition key values the WHERE clause fixes by equality, for the table or the
/// index the statement reads.
fn leading_keys(
    engine: &Engine,
    ctx: &RequestContext,
    table: &str,
    index: Option<&str>,
    statement: &Statement,
    condition: &str,
) -> Vec<String> {
    let Some(meta) = engine.catalog.get(&ctx.region, table) else {
        return Vec::new();
    };
    let Ok(source) = Source::new(&meta, index) else {
        return Vec::new();
    };
    let hash_names: Vec<String> = source.hash_keys().iter().map(|k| k.name.clone()).collect();
    let Ok(condition) = condition_of(statement, condition) else {
        // Unknown keys fail closed (the statement fails when run anyway).
        return vec!["*".to_string()];
    };
    let mut found = Vec::new();
    equalities(&condition, &mut found);
    found
        .iter()
        .filter(|(name, _)| hash_names.contains(name))
        .filter_map(|(_, value)| value_text(value))
        .collect()
}

/// Attributes a condition tests. Should the translated condition not parse here (the
/// statement then fails when run), `*` stands for "unknown", which no list of
/// allowed attributes covers: extraction fails closed.
fn tested(condition: &str, statement: &Statement) -> BTreeSet<String> {
    referenced(
        Some(condition),
        ExpressionKind::Condition,
        None,
        Some(&statement.names),
        None,
    )
    .unwrap_or_else(|_| BTreeSet::from(["*".to_string()]))
}

/// The top-level attributes of a SELECT's projected paths (written with
/// placeholders by the translation); `*` when one cannot be read.
fn projected_names(paths: &[String], statement: &Statement) -> Vec<String> {
    let mut out = BTreeSet::new();
    for path in paths {
        match projected(Some(path), None, Some(&statement.names)) {
            Ok(Some(names)) => out.extend(names),
            _ => {
                out.insert("*".to_string());
            }
        }
    }
    out.into_iter().collect()
}

fn return_values(returning: &Option<Returning>) -> &'static str {
    match returning {
        None => "NONE",
        Some(Returning::AllOld) => "ALL_OLD",
        Some(Returning::ModifiedOld) => "UPDATED_OLD",
        Some(Returning::AllNew) => "ALL_NEW",
        Some(Returning::ModifiedNew) => "UPDATED_NEW",
    }
}

fn statement_access(
    engine: &Engine,
    ctx: &RequestContext,
    statement: &ParameterizedStatement,
    enclosing: Option<&str>,
) -> Option<Access> {
    let parsed = parse(statement).ok()?;
    let access = match &parsed.translated {
        Translated::Select {
            table,
            index,
            projection,
            condition,
            ..
        } => {
            let keys = condition
                .as_deref()
                .map(|c| leading_keys(engine, ctx, table, index.as_deref(), &parsed, c))
                .unwrap_or_default();
            let full_scan = keys.is_empty();
            let filtered = match condition.as_deref() {
                Some(c) => tested(c, &parsed),
                None => BTreeSet::new(),
            };
            let select = if projection.is_some() {
                "SPECIFIC_ATTRIBUTES"
            } else {
                "ALL_ATTRIBUTES"
            };
            let attributes = match projection {
                Some(list) => Some(union(projected_names(list, &parsed), filtered)),
                None if filtered.is_empty() => None,
                None => Some(filtered.into_iter().collect()),
            };
            let access = Access::new(
                "PartiQLSelect",
                engine.index_resource(ctx, Some(table), index.as_deref()),
            )
            .with("dynamodb:LeadingKeys", keys)
            .with_one("dynamodb:FullTableScan", Some(&full_scan.to_string()))
            .with_one("dynamodb:Select", Some(select));
            match attributes {
                Some(list) => access.with("dynamodb:Attributes", list),
                None => access,
            }
        }
        Translated::Exists { table, condition } => {
            Access::new("PartiQLSelect", engine.table_resource(ctx, Some(table)))
                .with(
                    "dynamodb:LeadingKeys",
                    leading_keys(engine, ctx, table, None, &parsed, condition),
                )
                .with("dynamodb:Attributes", tested(condition, &parsed).into_iter().collect())
        }
        Translated::Insert { table, item } => {
            let keys = engine
                .catalog
                .get(&ctx.region, table)
                .and_then(|meta| item.get(&meta.hash_key.name).and_then(value_text));
            Access::new("PartiQLInsert", engine.table_resource(ctx, Some(table)))
                .with("dynamodb:LeadingKeys", keys.into_iter().collect())
                .with("dynamodb:Attributes", item.keys().cloned().collect())
        }
        Translated::Update {
            table,
            update,
            condition,
            returning,
        } => {
            let written = updated_attributes(None, Some(update), None, Some(&parsed.names))
                .unwrap_or_else(|_| vec!["*".to_string()]);
            Access::new("PartiQLUpdate", engine.table_resource(ctx, Some(table)))
                .with(
                    "dynamodb:LeadingKeys",
                    leading_keys(engine, ctx, table, None, &parsed, condition),
                )
                .with("dynamodb:Attributes", union(written, tested(condition, &parsed)))
                .with_one("dynamodb:ReturnValues", Some(return_values(returning)))
        }
        Translated::Delete {
            table,
            condition,
            returning,
        } => Access::new("PartiQLDelete", engine.table_resource(ctx, Some(table)))
            .with(
                "dynamodb:LeadingKeys",
                leading_keys(engine, ctx, table, None, &parsed, condition),
            )
            .with("dynamodb:Attributes", tested(condition, &parsed).into_iter().collect())
            .with_one("dynamodb:ReturnValues", Some(return_values(returning))),
    };
    Some(access.with_one("dynamodb:EnclosingOperation", enclosing))
}

fn single(text: &Option<String>, parameters: &Option<Vec<cairn_model::wire::RawValue>>) -> ParameterizedStatement {
    ParameterizedStatement {
        statement: text.clone(),
        parameters: parameters.clone(),
        consistent_read: None,
    }
}

impl Accesses for ExecuteStatementInput {
    fn accesses(&self, _: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(
            statement_access(engine, ctx, &single(&self.statement, &self.parameters), None)
                .into_iter()
                .collect(),
        )
    }
}

impl Accesses for BatchExecuteStatementInput {
    fn accesses(&self, _: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(self
            .statements
            .iter()
            .flatten()
            .filter_map(|s| statement_access(engine, ctx, s, None))
            .collect())
    }
}

impl Accesses for ExecuteTransactionInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(self
            .transact_statements
            .iter()
            .flatten()
            .filter_map(|s| statement_access(engine, ctx, s, Some(operation)))
            .collect())
    }
}
