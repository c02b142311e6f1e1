//! TransactGetItems: up to 100 reads from one serializable view.

use super::common::{
    data_plane_table_name, item_from_raw, return_consumed_capacity, return_consumed_capacity_constraint,
};
use super::get_item::read_projection;
use super::transact_write_items::cancelled;
use crate::capacity::{consumed, read_units, Kind};
use crate::catalog::TableMeta;
use crate::keys::validate_key;
use crate::Engine;
use crate::RequestContext;
use cairn_expr::Projection;
use cairn_model::constraints::Constraints;
use cairn_model::types::{CancellationReason, ItemResponse, TransactGetItemsInput, TransactGetItemsOutput};
use cairn_model::value::item_size;
use cairn_model::{ApiError, Item};
use std::collections::BTreeMap;
use std::sync::Arc;

impl Engine {
    pub fn transact_get_items(
        &self,
        ctx: &RequestContext,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput, ApiError> {
        let mut c = Constraints::new();
        match &input.transact_items {
            None => c.violation(None, "transactItems", "Member must not be null"),
            Some(items) if items.is_empty() => c.violation(
                Some("[]"),
                "transactItems",
                "Member must have length greater than or equal to 1",
            ),
            Some(items) if items.len() > 100 => c.violation(
                Some(&format!("[{}]", vec!["TransactGetItem"; items.len()].join(", "))),
                "transactItems",
                "Member must have length less than or equal to 100",
            ),
            Some(_) => {}
        }
        return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.finish()?;
        let capacity_mode = return_consumed_capacity(input.return_consumed_capacity.as_deref());
        let mut targets: Vec<(Arc<TableMeta>, Item)> = Vec::new();
        let mut projections: Vec<Option<Projection>> = Vec::new();
        // DynamoDB reports a bad key inside one action through the cancellation
        // reasons, not as a request-level ValidationException.
        let mut key_errors: Vec<Option<ApiError>> = Vec::new();
        for item in input.transact_items.unwrap_or_default() {
            let get = item.get.ok_or_else(|| {
                ApiError::validation("1 validation error detected: Value null at 'transactItems.member.get' failed to satisfy constraint: Member must not be null")
            })?;
            let mut c = Constraints::new();
            data_plane_table_name(&mut c, get.table_name.as_deref());
            c.finish()?;
            let projection = read_projection(
                get.projection_expression.as_deref(),
                None,
                get.expression_attribute_names.as_ref(),
            )?;
            let key = item_from_raw(get.key.unwrap_or_default())?;
            let table = self.table(ctx, get.table_name.as_deref().unwrap_or_default())?;
            key_errors.push(validate_key(&table, &key).err());
            if targets.iter().any(|(t, k)| t.id == table.id && *k == key) {
                return Err(ApiError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            targets.push((table, key));
            projections.push(projection);
        }
        if key_errors.iter().any(Option::is_some) {
            let reasons: Vec<CancellationReason> = key_errors
                .into_iter()
                .map(|e| match e {
                    Some(e) => CancellationReason {
                        code: "ValidationError".into(),
                        message: Some(e.message),
                        item: None,
                    },
                    None => CancellationReason {
                        code: "None".into(),
                        ..Default::default()
                    },
                })
                .collect();
            return Err(cancelled(&reasons));
        }
        super::transact_write_items::admit_items(targets.iter().map(|(t, k)| (&**t, k)), Kind::Read)?;
        let items = self.read_items_consistently(&targets)?;
        let mut units: BTreeMap<String, (Arc<TableMeta>, f64)> = BTreeMap::new();
        let mut responses = Vec::with_capacity(items.len());
        for (((table, _), item), projection) in targets.iter().zip(items).zip(&projections) {
            let entry = units.entry(table.name.clone()).or_insert((table.clone(), 0.0));
            entry.1 += 2.0 * read_units(item.as_ref().map_or(0, item_size), true);
            responses.push(ItemResponse {
                item: item.map(|i| match projection {
                    Some(p) => p.apply(&i),
                    None => i,
                }),
            });
        }
        let capacities: Vec<_> = units
            .values()
            .filter_map(|(t, u)| consumed(t, *u, Kind::Read, capacity_mode))
            .collect();
        Ok(TransactGetItemsOutput {
            responses,
            consumed_capacity: (!capacities.is_empty()).then_some(capacities),
        })
    }
}
