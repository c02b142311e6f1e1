//! GetItem: read one item by key, optionally projected.

use super::common::{
    data_plane_table_name, item_from_raw, reject_unused_names, return_consumed_capacity,
    return_consumed_capacity_constraint, ExpressionParameters,
};
use crate::capacity::{consumed, read_units, Kind};
use crate::keys::validate_key;
use crate::Engine;
use crate::RequestContext;
use cairn_expr::{parse_projection, Projection};
use cairn_model::constraints::Constraints;
use cairn_model::types::{ExpressionAttributeNames, GetItemInput, GetItemOutput};
use cairn_model::value::item_size;
use cairn_model::ApiError;
use std::collections::BTreeSet;

/// Builds the projection a read asked for, from ProjectionExpression or the legacy
/// AttributesToGet; None means the whole item.
pub(crate) fn read_projection(
    projection_expression: Option<&str>,
    attributes_to_get: Option<&Vec<String>>,
    names: Option<&ExpressionAttributeNames>,
) -> Result<Option<Projection>, ApiError> {
    ExpressionParameters {
        expressions: &[("ProjectionExpression", projection_expression.is_some())],
        legacy: &[("AttributesToGet", attributes_to_get.is_some())],
        names,
        values: None,
    }
    .check()?;
    if let Some(attrs) = attributes_to_get {
        for (i, a) in attrs.iter().enumerate() {
            if attrs[..i].contains(a) {
                return Err(ApiError::invalid_parameter(format!(
                    "Duplicate value in attribute name: {a}"
                )));
            }
        }
        return Ok(Some(Projection::of_attributes(attrs)));
    }
    let Some(text) = projection_expression else {
        return Ok(None);
    };
    let mut used = BTreeSet::new();
    let projection = parse_projection(text)?.resolve(names, &mut used)?;
    reject_unused_names(names, &used)?;
    Ok(Some(projection))
}

impl Engine {
    pub fn get_item(&self, ctx: &RequestContext, input: GetItemInput) -> Result<GetItemOutput, ApiError> {
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.not_null(&input.key, "key");
        return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        if let Some(attrs) = &input.attributes_to_get {
            c.min_length(Some("[]"), attrs.len(), "attributesToGet", 1);
        }
        c.finish()?;
        let projection = read_projection(
            input.projection_expression.as_deref(),
            input.attributes_to_get.as_ref(),
            input.expression_attribute_names.as_ref(),
        )?;
        let key = item_from_raw(input.key.unwrap_or_default())?;
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        validate_key(&table, &key)?;
        crate::capacity::throttle::admit_key(&table, &key, Kind::Read)?;
        let item = self.read_item(&table, &key)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let units = read_units(item.as_ref().map_or(0, item_size), consistent);
        Ok(GetItemOutput {
            item: match (item, &projection) {
                (Some(item), Some(p)) => Some(p.apply(&item)),
                (item, None) => item,
                (None, _) => None,
            },
            consumed_capacity: consumed(
                &table,
                units,
                Kind::Read,
                return_consumed_capacity(input.return_consumed_capacity.as_deref()),
            ),
        })
    }
}
