//! The accesses of PartiQL statements: `dynamodb:PartiQLSelect`, `PartiQLInsert`,
//! `PartiQLUpdate` or `PartiQLDelete` on the table (or index) each statement names,
//! with LeadingKeys from the key equalities of its WHERE clause and
//! `dynamodb:FullTableScan` for a SELECT that does not pin its partition key.
//!
//! A statement that does not parse authorizes nothing; the operation refuses it
//! before touching any table.

use super::items::value_text;
use super::{Access, Accesses};
use crate::ops::partiql::{condition_of, equalities, parse};
use crate::{Engine, RequestContext};
use cairn_expr::partiql::{Statement, Translated};
use cairn_model::types::*;
use cairn_model::ApiError;

fn leading_keys(engine: &Engine, ctx: &RequestContext, table: &str, statement: &Statement, condition: &str) -> Vec<String> {
    let Some(meta) = engine.catalog.get(&ctx.region, table) else {
        return Vec::new();
    };
    let Ok(condition) = condition_of(statement, condition) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    equalities(&condition, &mut found);
    found
        .iter()
        .filter(|(name, _)| *name == meta.hash_key.name)
        .filter_map(|(_, value)| value_text(value))
        .collect()
}

fn statement_access(engine: &Engine, ctx: &RequestContext, statement: &ParameterizedStatement, enclosing: Option<&str>) -> Option<Access> {
    let parsed = parse(statement).ok()?;
    let access = match &parsed.translated {
        Translated::Select { table, index, condition, .. } => {
            let keys = condition
                .as_deref()
                .map(|c| leading_keys(engine, ctx, table, &parsed, c))
                .unwrap_or_default();
            let full_scan = keys.is_empty();
            Access::new("PartiQLSelect", engine.index_resource(ctx, Some(table), index.as_deref()))
                .with("dynamodb:LeadingKeys", keys)
                .with_one("dynamodb:FullTableScan", Some(&full_scan.to_string()))
        }
        Translated::Exists { table, condition } => Access::new("PartiQLSelect", engine.table_resource(ctx, Some(table)))
            .with("dynamodb:LeadingKeys", leading_keys(engine, ctx, table, &parsed, condition)),
        Translated::Insert { table, item } => {
            let keys = engine
                .catalog
                .get(&ctx.region, table)
                .and_then(|meta| item.get(&meta.hash_key.name).and_then(value_text));
            Access::new("PartiQLInsert", engine.table_resource(ctx, Some(table)))
                .with("dynamodb:LeadingKeys", keys.into_iter().collect())
                .with("dynamodb:Attributes", item.keys().cloned().collect())
        }
        Translated::Update { table, condition, .. } => Access::new("PartiQLUpdate", engine.table_resource(ctx, Some(table)))
            .with("dynamodb:LeadingKeys", leading_keys(engine, ctx, table, &parsed, condition)),
        Translated::Delete { table, condition, .. } => Access::new("PartiQLDelete", engine.table_resource(ctx, Some(table)))
            .with("dynamodb:LeadingKeys", leading_keys(engine, ctx, table, &parsed, condition)),
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
        Ok(statement_access(engine, ctx, &single(&self.statement, &self.parameters), None)
            .into_iter()
            .collect())
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
