//! Query and Scan shapes.

use crate::types::capacity::ConsumedCapacity;
use crate::types::item::{ExpectedAttributeValue, ExpressionAttributeNames, ExpressionAttributeValues};
use crate::value::Item;
use crate::wire::RawItem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Legacy `KeyConditions` / `QueryFilter` / `ScanFilter` entry.
pub type Condition = ExpectedAttributeValue;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryInput {
    pub table_name: Option<String>,
    pub index_name: Option<String>,
    pub key_condition_expression: Option<String>,
    pub key_conditions: Option<BTreeMap<String, Condition>>,
    pub filter_expression: Option<String>,
    pub query_filter: Option<BTreeMap<String, Condition>>,
    pub conditional_operator: Option<String>,
    pub projection_expression: Option<String>,
    pub attributes_to_get: Option<Vec<String>>,
    pub expression_attribute_names: Option<ExpressionAttributeNames>,
    pub expression_attribute_values: Option<ExpressionAttributeValues>,
    pub select: Option<String>,
    pub scan_index_forward: Option<bool>,
    pub limit: Option<i64>,
    pub exclusive_start_key: Option<RawItem>,
    pub consistent_read: Option<bool>,
    pub return_consumed_capacity: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanInput {
    pub table_name: Option<String>,
    pub index_name: Option<String>,
    pub filter_expression: Option<String>,
    pub scan_filter: Option<BTreeMap<String, Condition>>,
    pub conditional_operator: Option<String>,
    pub projection_expression: Option<String>,
    pub attributes_to_get: Option<Vec<String>>,
    pub expression_attribute_names: Option<ExpressionAttributeNames>,
    pub expression_attribute_values: Option<ExpressionAttributeValues>,
    pub select: Option<String>,
    pub limit: Option<i64>,
    pub exclusive_start_key: Option<RawItem>,
    pub consistent_read: Option<bool>,
    pub segment: Option<i64>,
    pub total_segments: Option<i64>,
    pub return_consumed_capacity: Option<String>,
}

/// Output of Query and Scan.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadPageOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// The items already written as a JSON array (the HTTP server's reads); when set,
    /// `items` is `None` and [`ReadPageOutput::to_json`] puts the array in its place.
    #[serde(skip)]
    pub items_json: Option<Vec<u8>>,
    pub count: usize,
    pub scanned_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

impl ReadPageOutput {
    /// The output as DynamoDB JSON, with `items_json` as its `Items`.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let rest = serde_json::to_vec(self)?;
        let Some(items) = &self.items_json else {
            return Ok(rest);
        };
        let mut out = Vec::with_capacity(items.len() + rest.len() + 10);
        out.extend_from_slice(b"{\"Items\":");
        out.extend_from_slice(items);
        // `rest` always holds Count and ScannedCount: never `{}`.
        out.push(b',');
        out.extend_from_slice(rest.get(1..).unwrap_or_default());
        Ok(out)
    }
}
