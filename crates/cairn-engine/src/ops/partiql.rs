//! ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL statements
//! translated (by `cairn_expr::partiql`) into the conditions, projections and
//! updates the other operations use, and run through the same read and write paths.

use super::partiql_results::{in_partiql_terms, returned};
use super::partiql_select::{decode_next_token, encode_next_token, Metering, SelectPage};
use super::transact_write_items::cancelled;
use crate::capacity::Kind;
use crate::catalog::TableMeta;
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::keys::{key_of, validate_item_key, validate_key};
use crate::write::Decision;
use crate::Engine;
use crate::RequestContext;
use cairn_expr::condition::Comparator;
use cairn_expr::partiql::{translate, Statement, Translated};
use cairn_expr::{
    parse_condition, parse_update, Condition, ExpressionKind, Operand, PathElement, Placeholders, Update,
};
use cairn_model::constraints::Constraints;
use cairn_model::limits::MAX_PARTIQL_STATEMENT_LENGTH;
use cairn_model::types::{
    BatchExecuteStatementInput, BatchExecuteStatementOutput, BatchStatementError, BatchStatementResponse,
    CancellationReason, ExecuteStatementInput, ExecuteStatementOutput, ExecuteTransactionInput,
    ExecuteTransactionOutput, ItemResponse, ParameterizedStatement,
};
use cairn_model::types::{ConsumedCapacity, ReturnConsumedCapacity};
use cairn_model::value::item_size;
use cairn_model::{ApiError, AttributeValue, ErrorKind, Item};
use std::sync::Arc;

fn parameters(raw: Option<Vec<cairn_model::wire::RawValue>>) -> Result<Vec<AttributeValue>, ApiError> {
    raw.unwrap_or_default()
        .into_iter()
        .map(AttributeValue::from_raw)
        .collect()
}

/// The model-level length rule of one statement (DynamoDB: 1..=8192 characters),
/// checked before any text is lexed.
fn statement_length(c: &mut Constraints, statement: Option<&str>, path: &str) {
    match statement {
        None => c.violation(None, path, "Member must not be null"),
        Some(s) => {
            let length = s.chars().count();
            c.min_length(Some(s), length, path, 1);
            c.max_length(Some(s), length, path, MAX_PARTIQL_STATEMENT_LENGTH);
        }
    }
}

pub(crate) fn parse(statement: &ParameterizedStatement) -> Result<Statement, ApiError> {
    let text = statement.statement.as_deref().unwrap_or_default();
    translate(text, &parameters(statement.parameters.clone())?)
}

pub(crate) fn condition_of(statement: &Statement, text: &str) -> Result<Condition, ApiError> {
    let mut placeholders = Placeholders::new(Some(&statement.names), Some(&statement.values));
    parse_condition(text, ExpressionKind::Condition)
        .and_then(|ast| ast.resolve(ExpressionKind::Condition, &mut placeholders))
        .map_err(|e| in_partiql_terms(statement, e))
}

/// `attribute = value` conjuncts at the top of a condition.
pub(crate) fn equalities(c: &Condition, out: &mut Vec<(String, AttributeValue)>) {
    match c {
        Condition::And(a, b) => {
            equalities(a, out);
            equalities(b, out);
        }
        Condition::Compare(Operand::Path(p), Comparator::Eq, Operand::Value(v))
        | Condition::Compare(Operand::Value(v), Comparator::Eq, Operand::Path(p)) => {
            if let [PathElement::Attribute(name)] = p.0.as_slice() {
                out.push((name.clone(), v.clone()));
            }
        }
        _ => {}
    }
}

/// The full primary key a write statement's WHERE clause pins down.
fn key_from(table: &TableMeta, condition: &Condition) -> Result<Item, ApiError> {
    let mut found = Vec::new();
    equalities(condition, &mut found);
    let mut key = Item::new();
    for attr in table.key_attributes() {
        let value = found
            .iter()
            .find(|(n, _)| *n == attr.name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                ApiError::validation("Where clause does not contain a mandatory equality on all key attributes")
            })?;
        key.insert(attr.name.clone(), value);
    }
    validate_key(table, &key)?;
    Ok(key)
}

/// Each selected path's value, named by its last attribute (PartiQL's shape).
pub(super) fn project(item: &Item, paths: &[cairn_expr::Path]) -> Item {
    let mut out = Item::new();
    for path in paths {
        let Some(value) = path.get(item) else { continue };
        let name = path.0.iter().rev().find_map(|e| match e {
            PathElement::Attribute(n) => Some(n.clone()),
            PathElement::Index(_) => None,
        });
        if let Some(name) = name {
            out.insert(name, value.clone());
        }
    }
    out
}

fn duplicate() -> ApiError {
    ApiError::new(ErrorKind::DuplicateItem, "Duplicate primary key exists in table")
}

/// DynamoDB's answer for an EXISTS that does not read one item with a condition.
fn exists_shape() -> ApiError {
    ApiError::validation("EXISTS() must contain a single item read with additional condition")
}

/// Whether a condition is nothing but `attribute = value` conjuncts.
fn only_key_equalities(c: &Condition) -> bool {
    match c {
        Condition::And(a, b) => only_key_equalities(a) && only_key_equalities(b),
        Condition::Compare(Operand::Path(_), Comparator::Eq, Operand::Value(_))
        | Condition::Compare(Operand::Value(_), Comparator::Eq, Operand::Path(_)) => true,
        _ => false,
    }
}

/// What a write statement does to its item.
enum Planned {
    /// EXISTS: the item must exist and satisfy the condition; nothing is written.
    Check(Condition),
    Insert(Item),
    Update(Update, Condition),
    Delete(Condition),
}

impl Engine {
    /// The table, key and action of a write statement.
    fn plan_write(
        &self,
        ctx: &RequestContext,
        statement: &Statement,
    ) -> Result<(Arc<TableMeta>, Item, Planned), ApiError> {
        match &statement.translated {
            Translated::Insert { table, item } => {
                let table = self.table(ctx, table)?;
                validate_item_key(&table, item)?;
                check_index_keys(&table, item, None, WriteOrigin::Put).map_err(IndexKeyViolation::into_error)?;
                let key = key_of(&table, item);
                Ok((table, key, Planned::Insert(item.clone())))
            }
            Translated::Update {
                table,
                update,
                condition,
                ..
            } => {
                let table = self.table(ctx, table)?;
                let condition = condition_of(statement, condition)?;
                let key = key_from(&table, &condition)?;
                let mut placeholders = Placeholders::new(Some(&statement.names), Some(&statement.values));
                let update = parse_update(update)
                    .and_then(|ast| ast.resolve(&mut placeholders))
                    .map_err(|e| in_partiql_terms(statement, e))?;
                Ok((table, key, Planned::Update(update, condition)))
            }
            Translated::Delete { table, condition, .. } => {
                let table = self.table(ctx, table)?;
                let condition = condition_of(statement, condition)?;
                let key = key_from(&table, &condition)?;
                Ok((table, key, Planned::Delete(condition)))
            }
            Translated::Exists { table, condition } => {
                let table = self.table(ctx, table)?;
                let condition = condition_of(statement, condition)?;
                let key = key_from(&table, &condition).map_err(|_| exists_shape())?;
                // Beyond the key equalities there must be a condition to check.
                let mut found = Vec::new();
                equalities(&condition, &mut found);
                if found.len() <= table.key_attributes().count() && only_key_equalities(&condition) {
                    return Err(exists_shape());
                }
                Ok((table, key, Planned::Check(condition)))
            }
            Translated::Select { .. } => Err(ApiError::validation("A SELECT cannot be planned as a write")),
        }
    }

    /// The new image of one planned write, or the reason it cannot happen.
    fn decide(table: &TableMeta, planned: &Planned, old: Option<&Item>) -> Result<Decision, ApiError> {
        match planned {
            Planned::Insert(item) => match old {
                Some(_) => Err(duplicate()),
                None => Ok(Decision::Write(Some(item.clone()))),
            },
            Planned::Update(update, condition) => match old {
                Some(old) if condition.evaluate(old) => {
                    let new = update.apply(old)?;
                    check_index_keys(table, &new, Some(old), WriteOrigin::Update)
                        .map_err(IndexKeyViolation::into_error)?;
                    Ok(Decision::Write(Some(new)))
                }
                _ => Err(ApiError::conditional_check_failed()),
            },
            Planned::Check(condition) => match old {
                Some(old) if condition.evaluate(old) => Ok(Decision::Keep),
                _ => Err(ApiError::conditional_check_failed()),
            },
            Planned::Delete(condition) => match old {
                None => Ok(Decision::Keep),
                Some(old) if condition.evaluate(old) => Ok(Decision::Write(None)),
                Some(_) => Err(ApiError::conditional_check_failed()),
            },
        }
    }

    fn run_statement(
        &self,
        ctx: &RequestContext,
        statement: &Statement,
        metering: Metering,
    ) -> Result<(Vec<Item>, Option<ConsumedCapacity>), ApiError> {
        if matches!(statement.translated, Translated::Select { .. }) {
            let selected = self.select(ctx, statement, None, metering)?;
            return Ok((selected.items, selected.consumed));
        }
        if matches!(statement.translated, Translated::Exists { .. }) {
            // Wording assumed: DynamoDB documents EXISTS for transactions only.
            return Err(ApiError::validation(
                "EXISTS is supported only within ExecuteTransaction",
            ));
        }
        let (table, key, planned) = self.plan_write(ctx, statement)?;
        crate::capacity::throttle::admit_key(&table, &key, Kind::Write)?;
        let seen = std::cell::Cell::new(0);
        let changes = self
            .write_items(&[(table.clone(), key)], |olds| {
                seen.set(olds[0].as_ref().map_or(0, item_size));
                Ok(vec![Self::decide(&table, &planned, olds[0].as_ref())?])
            })
            .inspect_err(|e| crate::capacity::charge_failed_condition(&table, e, seen.get()))?;
        let consumed = write_capacity(&table, &changes, 1.0, metering.mode);
        let returning = match &statement.translated {
            Translated::Update { returning, .. } | Translated::Delete { returning, .. } => *returning,
            _ => None,
        };
        let update = match &planned {
            Planned::Update(update, _) => Some(update),
            _ => None,
        };
        let items = changes
            .first()
            .map(|change| returned(returning, update, change))
            .unwrap_or_default();
        Ok((items, consumed))
    }

    pub fn execute_statement(
        &self,
        ctx: &RequestContext,
        input: ExecuteStatementInput,
    ) -> Result<ExecuteStatementOutput, ApiError> {
        let mut c = Constraints::new();
        statement_length(&mut c, input.statement.as_deref(), "statement");
        if let Some(limit) = input.limit {
            c.at_least(limit, "limit", 1);
        }
        if let Some(token) = input.next_token.as_deref() {
            c.min_length(Some(token), token.len(), "nextToken", 1);
            c.max_length(Some(token), token.len(), "nextToken", 32768);
        }
        super::common::return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.finish()?;
        let text = input.statement.clone().unwrap_or_default();
        let statement = parse(&ParameterizedStatement {
            statement: input.statement,
            parameters: input.parameters,
            consistent_read: input.consistent_read,
        })?;
        let metering = Metering::new(input.consistent_read, input.return_consumed_capacity.as_deref());
        if !matches!(statement.translated, Translated::Select { .. }) {
            let (items, consumed_capacity) = self.run_statement(ctx, &statement, metering)?;
            return Ok(ExecuteStatementOutput {
                items,
                next_token: None,
                consumed_capacity,
            });
        }
        let page = SelectPage {
            limit: input.limit.map(|l| l as usize),
            start: input
                .next_token
                .as_deref()
                .map(|t| decode_next_token(&text, t))
                .transpose()?,
        };
        let selected = self.select(ctx, &statement, Some(&page), metering)?;
        Ok(ExecuteStatementOutput {
            items: selected.items,
            next_token: selected.last.map(|l| encode_next_token(&text, &l)).transpose()?,
            consumed_capacity: selected.consumed,
        })
    }

    pub fn batch_execute_statement(
        &self,
        ctx: &RequestContext,
        input: BatchExecuteStatementInput,
    ) -> Result<BatchExecuteStatementOutput, ApiError> {
        let statements = input.statements.unwrap_or_default();
        let mut c = Constraints::new();
        c.min_length(Some("[]"), statements.len(), "statements", 1);
        c.max_length(None, statements.len(), "statements", 25);
        for (i, s) in statements.iter().enumerate() {
            statement_length(
                &mut c,
                s.statement.as_deref(),
                &format!("statements.{}.member.statement", i + 1),
            );
        }
        super::common::return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.finish()?;
        let mode = Metering::new(None, input.return_consumed_capacity.as_deref()).mode;
        let mut consumed = Vec::new();
        let responses = statements
            .iter()
            .map(|s| {
                let metering = Metering::new(s.consistent_read, Some(mode.as_str()));
                let parsed = parse(s);
                let table = parsed.as_ref().ok().map(|p| match &p.translated {
                    Translated::Select { table, .. }
                    | Translated::Exists { table, .. }
                    | Translated::Insert { table, .. }
                    | Translated::Update { table, .. }
                    | Translated::Delete { table, .. } => table.clone(),
                });
                let outcome = parsed.and_then(|p| self.run_statement(ctx, &p, metering));
                crate::capacity::throttle::settle();
                match outcome {
                    Ok((items, capacity)) => {
                        consumed.extend(capacity);
                        BatchStatementResponse {
                            table_name: table,
                            item: items.into_iter().next(),
                            error: None,
                        }
                    }
                    Err(e) => BatchStatementResponse {
                        table_name: table,
                        item: None,
                        error: Some(batch_error(&e)),
                    },
                }
            })
            .collect();
        Ok(BatchExecuteStatementOutput {
            responses,
            consumed_capacity: (mode != ReturnConsumedCapacity::None).then(|| merge_by_table(consumed)),
        })
    }

    pub fn execute_transaction(
        &self,
        ctx: &RequestContext,
        input: ExecuteTransactionInput,
    ) -> Result<ExecuteTransactionOutput, ApiError> {
        let statements = input.transact_statements.unwrap_or_default();
        let mut c = Constraints::new();
        if statements.is_empty() {
            c.violation(
                Some("[]"),
                "transactStatements",
                "Member must have length greater than or equal to 1",
            );
        }
        c.max_length(None, statements.len(), "transactStatements", 100);
        for (i, s) in statements.iter().enumerate() {
            statement_length(
                &mut c,
                s.statement.as_deref(),
                &format!("transactStatements.{}.member.statement", i + 1),
            );
        }
        super::common::return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.finish()?;
        let parsed: Vec<Statement> = statements.iter().map(parse).collect::<Result<_, _>>()?;
        for (i, statement) in parsed.iter().enumerate() {
            if let Translated::Update { returning: Some(_), .. } | Translated::Delete { returning: Some(_), .. } =
                &statement.translated
            {
                return Err(ApiError::validation(format!(
                    "Validation failed in TransactStatements[{i}]: RETURNING clause is not supported in ExecuteTransaction."
                )));
            }
        }
        let selects = parsed
            .iter()
            .filter(|s| matches!(s.translated, Translated::Select { .. }))
            .count();
        // Transactions read and write twice what they touch (prepare and commit).
        let metering = Metering {
            units_per_read: 2.0,
            mode: Metering::new(None, input.return_consumed_capacity.as_deref()).mode,
        };
        let report = |consumed: Vec<ConsumedCapacity>| {
            (metering.mode != ReturnConsumedCapacity::None).then(|| merge_by_table(consumed))
        };
        if selects == parsed.len() {
            let mut responses = Vec::new();
            let mut consumed = Vec::new();
            for (i, statement) in parsed.iter().enumerate() {
                // A read refused for throughput cancels the transaction, as
                // TransactGetItems does, with the reason on that statement.
                let selected = self.select(ctx, statement, None, metering).map_err(|e| {
                    let throttled = matches!(e.kind, ErrorKind::Throttling | ErrorKind::ProvisionedThroughputExceeded);
                    if !throttled {
                        return e;
                    }
                    let reasons: Vec<CancellationReason> = (0..parsed.len())
                        .map(|j| match j == i {
                            true => CancellationReason {
                                code: match e.kind {
                                    ErrorKind::Throttling => "ThrottlingError",
                                    _ => "ProvisionedThroughputExceeded",
                                }
                                .into(),
                                message: Some(e.message.clone()),
                                item: None,
                            },
                            false => CancellationReason {
                                code: "None".into(),
                                ..Default::default()
                            },
                        })
                        .collect();
                    cancelled(&reasons)
                })?;
                consumed.extend(selected.consumed);
                responses.push(ItemResponse {
                    item: selected.items.into_iter().next(),
                });
            }
            return Ok(ExecuteTransactionOutput {
                responses,
                consumed_capacity: report(consumed),
            });
        }
        if selects > 0 {
            return Err(ApiError::validation(
                "Transactions can contain either all reads or all writes",
            ));
        }
        let mut targets = Vec::new();
        let mut plans = Vec::new();
        for (i, statement) in parsed.iter().enumerate() {
            let (table, key, planned) = self.plan_write(ctx, statement).map_err(|e| {
                if e.message == exists_shape().message {
                    ApiError::validation(format!("Validation failed in TransactStatements[{i}]: {}", e.message))
                } else {
                    e
                }
            })?;
            if targets
                .iter()
                .any(|(t, k): &(Arc<TableMeta>, Item)| t.id == table.id && *k == key)
            {
                return Err(ApiError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            targets.push((table, key));
            plans.push(planned);
        }
        super::transact_write_items::admit_items(targets.iter().map(|(t, k)| (&**t, k)), Kind::Write)?;
        let changes = self.write_items(&targets, |olds| {
            let mut reasons = Vec::with_capacity(plans.len());
            let mut decisions = Vec::with_capacity(plans.len());
            for ((planned, old), (table, _)) in plans.iter().zip(olds).zip(&targets) {
                match Self::decide(table, planned, old.as_ref()) {
                    Ok(d) => {
                        reasons.push(CancellationReason {
                            code: "None".into(),
                            ..Default::default()
                        });
                        decisions.push(d);
                    }
                    Err(e) => {
                        reasons.push(CancellationReason {
                            code: reason_code(&e),
                            message: Some(e.message),
                            item: None,
                        });
                        decisions.push(Decision::Keep);
                    }
                }
            }
            if reasons.iter().any(|r| r.code != "None") {
                return Err(cancelled(&reasons));
            }
            Ok(decisions)
        })?;
        let mut consumed = Vec::new();
        for ((table, _), change) in targets.iter().zip(changes) {
            consumed.extend(write_capacity(table, &[change], 2.0, metering.mode));
        }
        Ok(ExecuteTransactionOutput {
            responses: Vec::new(),
            consumed_capacity: report(consumed),
        })
    }
}

/// The write units of `changes` on `table` (times `factor`: 2 in a transaction),
/// recorded for the request and shaped as asked.
fn write_capacity(
    table: &TableMeta,
    changes: &[crate::write::ItemChange],
    factor: f64,
    mode: ReturnConsumedCapacity,
) -> Option<ConsumedCapacity> {
    let mut units = 0.0;
    let mut index_units = Vec::new();
    for change in changes {
        let size = change
            .old
            .as_ref()
            .map_or(0, item_size)
            .max(change.new.as_ref().map_or(0, item_size));
        units += factor * crate::capacity::write_units(size);
        let more = crate::capacity::scaled(
            crate::indexes::index_write_units(table, change.old.as_ref(), change.new.as_ref()),
            factor,
        );
        crate::capacity::add_index_units(&mut index_units, more);
    }
    crate::capacity::consumed_with_indexes(table, units, &index_units, Kind::Write, mode)
}

/// One ConsumedCapacity entry per table, in order of first appearance.
fn merge_by_table(all: Vec<ConsumedCapacity>) -> Vec<ConsumedCapacity> {
    let mut merged: Vec<ConsumedCapacity> = Vec::new();
    for entry in all {
        match merged.iter_mut().find(|m| m.table_name == entry.table_name) {
            None => merged.push(entry),
            Some(m) => {
                let add = |a: &mut Option<f64>, b: Option<f64>| {
                    if let Some(b) = b {
                        *a = Some(a.unwrap_or(0.0) + b);
                    }
                };
                m.capacity_units += entry.capacity_units;
                add(&mut m.read_capacity_units, entry.read_capacity_units);
                add(&mut m.write_capacity_units, entry.write_capacity_units);
                if let (Some(t), Some(e)) = (m.table.as_mut(), entry.table.as_ref()) {
                    t.capacity_units += e.capacity_units;
                    add(&mut t.read_capacity_units, e.read_capacity_units);
                    add(&mut t.write_capacity_units, e.write_capacity_units);
                }
                for (mine, theirs) in [
                    (&mut m.global_secondary_indexes, entry.global_secondary_indexes),
                    (&mut m.local_secondary_indexes, entry.local_secondary_indexes),
                ] {
                    for (name, c) in theirs.into_iter().flatten() {
                        let slot = mine.get_or_insert_with(Default::default).entry(name).or_default();
                        slot.capacity_units += c.capacity_units;
                        add(&mut slot.read_capacity_units, c.read_capacity_units);
                        add(&mut slot.write_capacity_units, c.write_capacity_units);
                    }
                }
            }
        }
    }
    merged
}

/// DynamoDB's error codes inside batch responses and cancellation reasons drop the
/// "Exception" suffix.
fn reason_code(e: &ApiError) -> String {
    match e.kind {
        ErrorKind::Validation => "ValidationError".to_string(),
        // BatchStatementErrorCodeEnum and CancellationReason spell it so.
        ErrorKind::Throttling => "ThrottlingError".to_string(),
        kind => kind.name().trim_end_matches("Exception").to_string(),
    }
}

fn batch_error(e: &ApiError) -> BatchStatementError {
    BatchStatementError {
        code: reason_code(e),
        message: e.message.clone(),
    }
}
