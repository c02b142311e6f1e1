//! Query: one partition of a table or index, as a range scan over encoded keys in
//! sort-key order (forward or reverse), never a table scan.

use super::common::{
    data_plane_table_name, item_from_raw, return_consumed_capacity_constraint, ExpressionParameters,
    CONDITIONAL_OPERATORS,
};
use super::key_condition::KeyCondition;
use super::legacy::{expected_condition, LegacyUse};
use super::read_options::{decode_values, reject_key_attributes_in_filter, ReadShape, SELECT_VALUES};
use crate::capacity::read_units;
use crate::read::{read_capacity, resume_after, PagePlan, ReadOperation, Source};
use crate::Engine;
use crate::RequestContext;
use cairn_expr::{parse_condition, ExpressionKind, Placeholders};
use cairn_model::constraints::Constraints;
use cairn_model::types::{QueryInput, ReadPageOutput};
use cairn_model::ApiError;

fn check_constraints(input: &QueryInput) -> Result<(), ApiError> {
    let mut c = Constraints::new();
    data_plane_table_name(&mut c, input.table_name.as_deref());
    if let Some(index) = input.index_name.as_deref() {
        c.index_name(Some(index), "indexName", false);
    }
    c.one_of(input.select.as_deref(), "select", SELECT_VALUES);
    if let Some(attrs) = &input.attributes_to_get {
        c.min_length(Some("[]"), attrs.len(), "attributesToGet", 1);
    }
    if input.limit.is_some_and(|l| l < 1) {
        // DynamoDB names Query's Limit without echoing the value.
        c.violation_without_value("Limit", "Member must have value greater than or equal to 1");
    }
    return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
    c.one_of(
        input.conditional_operator.as_deref(),
        "conditionalOperator",
        CONDITIONAL_OPERATORS,
    );
    c.finish()
}

impl Engine {
    pub fn query(&self, ctx: &RequestContext, input: QueryInput) -> Result<ReadPageOutput, ApiError> {
        self.query_page(ctx, input, false)
    }

    /// `query` for the HTTP server: the page's items come back already written as JSON
    /// (`ReadPageOutput::items_json`, serialized by `ReadPageOutput::to_json`).
    pub fn query_for_wire(&self, ctx: &RequestContext, input: QueryInput) -> Result<ReadPageOutput, ApiError> {
        self.query_page(ctx, input, true)
    }

    fn query_page(&self, ctx: &RequestContext, input: QueryInput, render: bool) -> Result<ReadPageOutput, ApiError> {
        check_constraints(&input)?;
        // KeyConditions conflicts only with KeyConditionExpression: DynamoDB accepts it
        // beside a ProjectionExpression or FilterExpression.
        if input.key_conditions.is_some() && input.key_condition_expression.is_some() {
            return Err(ApiError::validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
            ));
        }
        ExpressionParameters {
            expressions: &[
                ("KeyConditionExpression", input.key_condition_expression.is_some()),
                ("FilterExpression", input.filter_expression.is_some()),
                ("ProjectionExpression", input.projection_expression.is_some()),
            ],
            legacy: &[
                ("QueryFilter", input.query_filter.is_some()),
                ("AttributesToGet", input.attributes_to_get.is_some()),
            ],
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
        }
        .check()?;
        let values = decode_values(input.expression_attribute_values.clone())?;
        let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let key_condition = match (&input.key_condition_expression, &input.key_conditions) {
            (Some(text), _) => Some(
                parse_condition(text, ExpressionKind::KeyCondition)?
                    .resolve(ExpressionKind::KeyCondition, &mut placeholders)?,
            ),
            (None, Some(legacy)) => expected_condition(legacy, None, LegacyUse::KeyConditions)?,
            (None, None) => None,
        };
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        let source = Source::for_read(&table, input.index_name.as_deref(), "Query")?;
        let shape = ReadShape {
            select: input.select.as_deref(),
            projection_expression: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_ref(),
            filter_expression: input.filter_expression.as_deref(),
            legacy_filter: input.query_filter.as_ref(),
            conditional_operator: input.conditional_operator.as_deref(),
        }
        .resolve(
            &source,
            ReadOperation::Query,
            &mut placeholders,
            input.expression_attribute_names.as_ref(),
        )?;
        placeholders.reject_unused()?;
        let Some(key_condition) = key_condition else {
            return Err(ApiError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ));
        };
        let key = KeyCondition::from_condition(&key_condition, &source.hash_keys(), &source.range_keys())?;
        reject_key_attributes_in_filter(&source, shape.filter.as_ref(), input.filter_expression.as_deref())?;
        if let Some(filter) = &input.query_filter {
            // DynamoDB's QueryFilter reference: key attributes are not allowed. The
            // wording follows the FilterExpression message.
            for attr in source.hash_keys().into_iter().chain(source.range_keys()) {
                if filter.contains_key(&attr.name) {
                    return Err(ApiError::invalid_parameter(format!(
                        "QueryFilter can only contain non-key attributes: Primary key attribute: {}",
                        attr.name
                    )));
                }
            }
        }
        let consistent = input.consistent_read.unwrap_or(false);
        if consistent && source.is_global_index() {
            return Err(ApiError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        let mut range = key.range(&source.base(), !input.scan_index_forward.unwrap_or(true));
        if let Some(start) = input.exclusive_start_key {
            let start = source.start_key(&item_from_raw(start)?, ReadOperation::Query)?;
            if !start.starts_with(&key.partition_prefix(&source.base())) {
                return Err(ApiError::validation(
                    "The provided starting key is outside query boundaries based on provided condition",
                ));
            }
            resume_after(&mut range, start);
        }
        // Throttling comes after every validation error, as on DynamoDB.
        crate::capacity::throttle::admit_source(&table, source.index, key.partition.first())?;
        let page = self.read_page(
            &source,
            PagePlan {
                range,
                limit: input.limit.map(|l| l as usize),
                filter: shape.filter.as_ref(),
                projection: shape.projection.as_ref(),
                count_only: shape.count_only,
                fetch_from_table: shape.fetch_from_table,
                render,
            },
        )?;
        crate::capacity::throttle::record_read_shape(crate::capacity::ledger::ReadShape {
            operation: "Query",
            table: source.table.name.clone(),
            index: source.index.map(|i| i.name.clone()),
            filter: shape.filter.is_some(),
            scanned: page.scanned as u64,
            returned: page.count as u64,
        });
        Ok(ReadPageOutput {
            items: (!shape.count_only && !render).then_some(page.items),
            items_json: page.json.filter(|_| !shape.count_only),
            count: page.count,
            scanned_count: page.scanned,
            last_evaluated_key: page.last_evaluated_key,
            consumed_capacity: read_capacity(
                &source,
                read_units(page.bytes_read, consistent),
                input.return_consumed_capacity.as_deref(),
            ),
        })
    }
}
