//! TransactWriteItems: up to 100 ConditionCheck / Put / Delete / Update actions across
//! tables, all or nothing, in one storage transaction. Conflicting concurrent writes
//! make the optimistic transaction retry as a whole, so no reader or writer ever sees
//! part of it.

use super::common::{
    data_plane_table_name, item_from_raw, return_consumed_capacity, return_consumed_capacity_constraint,
    RETURN_ITEM_COLLECTION_METRICS,
};
use super::conditions::{expression_values, wants_item_on_failure};
use crate::capacity::{add_index_units, consumed_with_indexes, write_units, IndexUnits, Kind};
use crate::catalog::TableMeta;
use crate::idempotency::Claim;
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::indexes::index_write_units;
use crate::keys::{key_of, validate_item_key, validate_key};
use crate::write::Decision;
use crate::Engine;
use crate::RequestContext;
use cairn_expr::{parse_condition, parse_update, Condition, ExpressionKind, PathElement, Placeholders, Update};
use cairn_model::constraints::Constraints;
use cairn_model::limits::MAX_ITEM_SIZE;
use cairn_model::types::{
    CancellationReason, TransactAction, TransactWriteItem, TransactWriteItemsInput, TransactWriteItemsOutput,
};
use cairn_model::value::item_size;
use cairn_model::{ApiError, ErrorKind, Item};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

const MAX_ACTIONS: usize = 100;
/// All items of one transaction together: 4 MB.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

enum Action {
    Check,
    Put(Item),
    Delete,
    Update(Update),
}

struct Planned {
    table: Arc<TableMeta>,
    key: Item,
    kind: Action,
    condition: Option<Condition>,
    item_on_failure: bool,
}

fn one_action(item: TransactWriteItem) -> Result<(TransactAction, &'static str), ApiError> {
    let actions = [
        (item.condition_check, "ConditionCheck"),
        (item.put, "Put"),
        (item.delete, "Delete"),
        (item.update, "Update"),
    ];
    let mut present = actions.into_iter().filter_map(|(a, name)| a.map(|a| (a, name)));
    match (present.next(), present.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(ApiError::validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

impl Engine {
    fn plan_action(&self, ctx: &RequestContext, action: TransactAction, kind: &str) -> Result<Planned, ApiError> {
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, action.table_name.as_deref());
        c.finish()?;
        let values = expression_values(action.expression_attribute_values)?;
        let mut placeholders = Placeholders::new(action.expression_attribute_names.as_ref(), values.as_ref());
        let update = match (kind, &action.update_expression) {
            ("Update", Some(text)) => Some(parse_update(text)?.resolve(&mut placeholders)?),
            ("Update", None) => {
                return Err(ApiError::validation(
                    "1 validation error detected: Value null at 'transactItems.member.update.updateExpression' failed to satisfy constraint: Member must not be null",
                ))
            }
            _ => None,
        };
        let condition = match &action.condition_expression {
            Some(text) => Some(parse_condition(text, ExpressionKind::Condition)?.resolve(ExpressionKind::Condition, &mut placeholders)?),
            None if kind == "ConditionCheck" => {
                return Err(ApiError::validation(
                    "1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
                ))
            }
            None => None,
        };
        placeholders.reject_unused()?;
        let table = self.table(ctx, action.table_name.as_deref().unwrap_or_default())?;
        let item_on_failure = wants_item_on_failure(action.return_values_on_condition_check_failure.as_deref());
        let (key, kind) = if kind == "Put" {
            let item = item_from_raw(action.item.unwrap_or_default())?;
            validate_item_key(&table, &item)?;
            cairn_model::item_limits::check_item_to_store(&item)?;
            // An empty index key refuses the whole request; other index-key faults
            // cancel the transaction with a reason (checked when it runs).
            if let Err(IndexKeyViolation::Refuses(e)) = check_index_keys(&table, &item, None, WriteOrigin::Put) {
                return Err(e);
            }
            (key_of(&table, &item), Action::Put(item))
        } else {
            let key = item_from_raw(action.key.unwrap_or_default())?;
            validate_key(&table, &key)?;
            let kind = match (kind, update) {
                ("Delete", _) => Action::Delete,
                (_, Some(update)) => {
                    for a in &update.actions {
                        if let Some(PathElement::Attribute(name)) = a.path().0.first() {
                            if table.key_attributes().any(|k| &k.name == name) {
                                return Err(ApiError::invalid_parameter(format!(
                                    "Cannot update attribute {name}. This attribute is part of the key"
                                )));
                            }
                        }
                    }
                    Action::Update(update)
                }
                _ => Action::Check,
            };
            (key, kind)
        };
        Ok(Planned {
            table,
            key,
            kind,
            condition,
            item_on_failure,
        })
    }

    pub fn transact_write_items(
        &self,
        ctx: &RequestContext,
        input: TransactWriteItemsInput,
    ) -> Result<TransactWriteItemsOutput, ApiError> {
        let mut c = Constraints::new();
        match &input.transact_items {
            None => c.violation(None, "transactItems", "Member must not be null"),
            Some(items) if items.is_empty() => c.violation(
                Some("[]"),
                "transactItems",
                "Member must have length greater than or equal to 1",
            ),
            Some(items) if items.len() > MAX_ACTIONS => c.violation(
                Some(&format!("[{}]", vec!["TransactWriteItem"; items.len()].join(", "))),
                "transactItems",
                "Member must have length less than or equal to 100",
            ),
            Some(_) => {}
        }
        return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.one_of(
            input.return_item_collection_metrics.as_deref(),
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
        if let Some(token) = input.client_request_token.as_deref() {
            c.min_length(Some(token), token.len(), "clientRequestToken", 1);
            c.max_length(Some(token), token.len(), "clientRequestToken", 36);
        }
        c.finish()?;
        let fingerprint = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            format!("{:?}", input.transact_items).hash(&mut h);
            h.finish()
        };
        let capacity_mode = return_consumed_capacity(input.return_consumed_capacity.as_deref());

        let mut plans = Vec::new();
        for item in input.transact_items.unwrap_or_default() {
            let (action, kind) = one_action(item)?;
            plans.push(self.plan_action(ctx, action, kind)?);
        }
        for (i, p) in plans.iter().enumerate() {
            if plans[..i].iter().any(|q| q.table.id == p.table.id && q.key == p.key) {
                return Err(ApiError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
        }
        let total: usize = plans
            .iter()
            .map(|p| {
                if let Action::Put(item) = &p.kind {
                    item_size(item)
                } else {
                    0
                }
            })
            .sum();
        if total > MAX_TRANSACTION_BYTES {
            return Err(ApiError::validation(
                "Transaction request size exceeds the maximum allowed size of 4 MB",
            ));
        }

        admit_items(plans.iter().map(|p| (&*p.table, &p.key)), Kind::Write)?;
        let mut guard = None;
        if let Some(token) = input.client_request_token.as_deref() {
            match self.tokens.claim(token, fingerprint, self.clock.now_seconds())? {
                Claim::Replay(output) => return Ok(output),
                Claim::Run(g) => guard = g,
            }
        }
        let result = self.run_transaction(&plans, capacity_mode, guard.as_ref());
        if let Some(token) = input.client_request_token.as_deref() {
            match &result {
                Ok(output) => self.tokens.finish(token, guard.as_ref(), output),
                Err(_) => self.tokens.abandon(token, guard.as_ref()),
            }
        }
        result
    }

    fn run_transaction(
        &self,
        plans: &[Planned],
        capacity_mode: cairn_model::types::ReturnConsumedCapacity,
        guard: Option<&crate::idempotency::Guard>,
    ) -> Result<TransactWriteItemsOutput, ApiError> {
        let targets: Vec<(Arc<TableMeta>, Item)> = plans.iter().map(|p| (p.table.clone(), p.key.clone())).collect();
        let changes = self
            .write_items_with(&targets, guard, |olds| {
                let mut reasons: Vec<CancellationReason> = Vec::with_capacity(plans.len());
                let mut decisions = Vec::with_capacity(plans.len());
                for (plan, old) in plans.iter().zip(olds) {
                    let empty = Item::new();
                    let passes = plan
                        .condition
                        .as_ref()
                        .is_none_or(|c| c.evaluate(old.as_ref().unwrap_or(&empty)));
                    if !passes {
                        reasons.push(CancellationReason {
                            code: "ConditionalCheckFailed".into(),
                            message: Some("The conditional request failed".into()),
                            item: if plan.item_on_failure { old.clone() } else { None },
                        });
                        decisions.push(Decision::Keep);
                        continue;
                    }
                    let decision = match &plan.kind {
                        Action::Check => Ok(Decision::Keep),
                        Action::Put(item) => check_index_keys(&plan.table, item, None, WriteOrigin::Put)
                            .map_err(IndexKeyViolation::into_error)
                            .map(|()| Decision::Write(Some(item.clone()))),
                        Action::Delete => Ok(Decision::Write(None)),
                        // Removing attributes from a missing item creates nothing.
                        Action::Update(update) if old.is_none() && update.only_removes() => Ok(Decision::Keep),
                        Action::Update(update) => match update.apply(old.as_ref().unwrap_or(&plan.key)) {
                            Err(e) => Err(e),
                            Ok(new) => match check_index_keys(&plan.table, &new, old.as_ref(), WriteOrigin::Update) {
                                // An empty index key refuses the whole request.
                                Err(IndexKeyViolation::Refuses(e)) => return Err(e),
                                Err(IndexKeyViolation::Cancels(e)) => Err(e),
                                Ok(()) if item_size(&new) > MAX_ITEM_SIZE => Err(ApiError::validation(
                                    "Item size to update has exceeded the maximum allowed size",
                                )),
                                Ok(()) => Ok(Decision::Write(Some(new))),
                            },
                        },
                    };
                    match decision {
                        Ok(d) => {
                            reasons.push(CancellationReason {
                                code: "None".into(),
                                ..Default::default()
                            });
                            decisions.push(d);
                        }
                        Err(e) => {
                            reasons.push(CancellationReason {
                                code: "ValidationError".into(),
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
            })
            .map_err(|e| {
                if e.kind != ErrorKind::TransactionConflict {
                    return e;
                }
                // Lost every retry to concurrent writers: DynamoDB cancels with
                // TransactionConflict reasons.
                let reasons: Vec<CancellationReason> = plans
                    .iter()
                    .map(|_| CancellationReason {
                        code: "TransactionConflict".into(),
                        message: Some("Transaction is ongoing for the item".into()),
                        item: None,
                    })
                    .collect();
                cancelled(&reasons)
            })?;
        let mut units: BTreeMap<String, (Arc<TableMeta>, f64, IndexUnits)> = BTreeMap::new();
        for (plan, change) in plans.iter().zip(&changes) {
            let size = change
                .old
                .as_ref()
                .map_or(0, item_size)
                .max(change.new.as_ref().map_or(0, item_size));
            let entry = units
                .entry(plan.table.name.clone())
                .or_insert((plan.table.clone(), 0.0, Vec::new()));
            // Transactions cost two units per item, for indexes too: prepare and commit.
            entry.1 += 2.0 * write_units(size);
            let doubled = crate::capacity::scaled(
                index_write_units(&plan.table, change.old.as_ref(), change.new.as_ref()),
                2.0,
            );
            add_index_units(&mut entry.2, doubled);
        }
        let capacities: Vec<_> = units
            .values()
            .filter_map(|(t, u, i)| consumed_with_indexes(t, *u, i, Kind::Write, capacity_mode))
            .collect();
        Ok(TransactWriteItemsOutput {
            consumed_capacity: (!capacities.is_empty()).then_some(capacities),
        })
    }
}

/// With `--enforce-capacity`: an item whose table (or key range) has no capacity
/// left cancels the transaction, with a throttling reason on that item.
pub(crate) fn admit_items<'a>(
    items: impl Iterator<Item = (&'a TableMeta, &'a Item)>,
    kind: Kind,
) -> Result<(), ApiError> {
    let refusals: Vec<Option<ApiError>> = items
        .map(|(table, key)| crate::capacity::throttle::admit_key(table, key, kind).err())
        .collect();
    if refusals.iter().all(Option::is_none) {
        return Ok(());
    }
    let reasons: Vec<CancellationReason> = refusals
        .into_iter()
        .map(|refusal| match refusal {
            None => CancellationReason {
                code: "None".into(),
                ..Default::default()
            },
            Some(e) => CancellationReason {
                code: match e.kind {
                    ErrorKind::Throttling => "ThrottlingError",
                    _ => "ProvisionedThroughputExceeded",
                }
                .into(),
                message: Some(e.message),
                item: None,
            },
        })
        .collect();
    Err(cancelled(&reasons))
}

/// TransactionCanceledException with its reasons, in request order.
pub(crate) fn cancelled(reasons: &[CancellationReason]) -> ApiError {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
    let mut error = ApiError::new(
        ErrorKind::TransactionCanceled,
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    );
    if let Ok(json) = serde_json::to_string(reasons) {
        error.extra.push(("CancellationReasons", json));
    }
    error
}
