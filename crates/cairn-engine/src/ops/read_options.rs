//! What Query and Scan share before the walk: Select, projection, filter (expression
//! or legacy), placeholders, and the index rules for reads.

use super::conditions::expression_values;
use super::legacy::{expected_condition, LegacyUse};
use crate::read::{ReadOperation, Source};
use cairn_expr::{parse_condition, parse_projection, Condition, ExpressionKind, Placeholders, Projection};
use cairn_model::types::read::Condition as LegacyCondition;
use cairn_model::types::{ExpressionAttributeNames, ExpressionAttributeValues};
use cairn_model::{ApiError, AttributeValue};
use std::collections::BTreeMap;

pub(crate) const SELECT_VALUES: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];

/// The request parts that shape which attributes come back and which items pass.
pub(crate) struct ReadShape<'a> {
    pub select: Option<&'a str>,
    pub projection_expression: Option<&'a str>,
    pub attributes_to_get: Option<&'a Vec<String>>,
    pub filter_expression: Option<&'a str>,
    pub legacy_filter: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub conditional_operator: Option<&'a str>,
}

pub(crate) struct ResolvedShape {
    pub projection: Option<Projection>,
    pub filter: Option<Condition>,
    pub count_only: bool,
    pub fetch_from_table: bool,
}

pub(crate) fn decode_values(
    raw: Option<ExpressionAttributeValues>,
) -> Result<Option<BTreeMap<String, AttributeValue>>, ApiError> {
    expression_values(raw)
}

impl ReadShape<'_> {
    /// Select's rules, worded as DynamoDB words them (recorded against it in 2026;
    /// the AttributesToGet forms follow the ProjectionExpression ones).
    fn check_select(&self, source: &Source, operation: ReadOperation) -> Result<(), ApiError> {
        let projection = match (self.projection_expression, self.attributes_to_get) {
            (Some(_), _) => Some("ProjectionExpression"),
            (None, Some(_)) => Some("AttributesToGet"),
            (None, None) => None,
        };
        match (self.select, projection) {
            (Some("SPECIFIC_ATTRIBUTES"), None) => {
                let message =
                    "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES";
                Err(ApiError::validation(match operation {
                    ReadOperation::Query => format!("1 validation error detected: {message}"),
                    ReadOperation::Scan => message.to_string(),
                }))
            }
            (Some("COUNT"), Some(parameter)) => Err(ApiError::invalid_parameter(format!(
                "Cannot specify the {parameter} when choosing to get only the Count"
            ))),
            (Some(select @ ("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES")), Some(parameter)) => Err(
                ApiError::invalid_parameter(format!("Cannot specify the {parameter} when choosing to get {select}")),
            ),
            (Some("ALL_PROJECTED_ATTRIBUTES"), None) if source.index.is_none() => Err(ApiError::invalid_parameter(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn resolve(
        &self,
        source: &Source,
        operation: ReadOperation,
        placeholders: &mut Placeholders,
        _names: Option<&ExpressionAttributeNames>,
    ) -> Result<ResolvedShape, ApiError> {
        self.check_select(source, operation)?;
        let projection = match (self.projection_expression, self.attributes_to_get) {
            (Some(text), _) => Some(parse_projection(text)?.resolve(placeholders.names, &mut placeholders.used_names)?),
            (None, Some(attrs)) => Some(Projection::of_attributes(attrs)),
            (None, None) => None,
        };
        let filter = match (self.filter_expression, self.legacy_filter) {
            (Some(text), _) => {
                let ast = parse_condition(text, ExpressionKind::Filter)?;
                let filter = ast.resolve(ExpressionKind::Filter, placeholders)?;
                Some(filter)
            }
            (None, Some(legacy)) => {
                let used = match operation {
                    ReadOperation::Query => LegacyUse::QueryFilter,
                    ReadOperation::Scan => LegacyUse::ScanFilter,
                };
                expected_condition(legacy, self.conditional_operator, used)?
            }
            (None, None) => None,
        };
        let mut fetch_from_table = false;
        if let Some(index) = source.index {
            if index.projection_type != "ALL" && self.select == Some("ALL_ATTRIBUTES") {
                if source.is_global_index() {
                    return Err(ApiError::invalid_parameter(format!(
                        "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                        index.name
                    )));
                }
                fetch_from_table = true;
            }
        }
        Ok(ResolvedShape {
            projection,
            filter,
            count_only: self.select == Some("COUNT"),
            fetch_from_table,
        })
    }
}

/// Filters may not name key attributes of the table or index being read.
pub(crate) fn reject_key_attributes_in_filter(
    source: &Source,
    filter: Option<&Condition>,
    text: Option<&str>,
) -> Result<(), ApiError> {
    let (Some(filter), Some(_)) = (filter, text) else {
        return Ok(());
    };
    let mut names = Vec::new();
    collect_top_level_names(filter, &mut names);
    for attr in source.hash_keys().into_iter().chain(source.range_keys()) {
        if names.iter().any(|n| n == &attr.name) {
            return Err(ApiError::validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                attr.name
            )));
        }
    }
    Ok(())
}

fn collect_top_level_names(c: &Condition, out: &mut Vec<String>) {
    use cairn_expr::{Operand, PathElement};
    let operand = |o: &Operand, out: &mut Vec<String>| {
        let path = match o {
            Operand::Path(p) => Some(p),
            Operand::Size(inner) => match inner.as_ref() {
                Operand::Path(p) => Some(p),
                _ => None,
            },
            _ => None,
        };
        if let Some(PathElement::Attribute(name)) = path.and_then(|p| p.0.first()) {
            out.push(name.clone());
        }
    };
    match c {
        Condition::Compare(a, _, b)
        | Condition::AttributeType(a, b)
        | Condition::BeginsWith(a, b)
        | Condition::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
        Condition::Between(a, b, d) => {
            operand(a, out);
            operand(b, out);
            operand(d, out);
        }
        Condition::In(a, list) => {
            operand(a, out);
            list.iter().for_each(|o| operand(o, out));
        }
        Condition::Exists(p) | Condition::NotExists(p) => {
            if let Some(PathElement::Attribute(name)) = p.0.first() {
                out.push(name.clone());
            }
        }
        Condition::And(a, b) | Condition::Or(a, b) => {
            collect_top_level_names(a, out);
            collect_top_level_names(b, out);
        }
        Condition::Not(a) => collect_top_level_names(a, out),
    }
}
