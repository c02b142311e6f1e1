//! Vector indexes and SearchVectors (DynamoDB, August 2026).

use crate::types::item::{ExpressionAttributeNames, ExpressionAttributeValues};
use crate::types::table::Projection;
use crate::value::Item;
use crate::wire::RawValue;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VectorAttributeDefinition {
    pub attribute_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SearchSchemaElement {
    pub attribute_name: Option<String>,
    pub search_schema_element_type: Option<String>,
}

/// A vector index as CreateTable, UpdateTable (`Create`), restores and imports
/// declare it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VectorIndex {
    pub index_name: Option<String>,
    pub vector_attribute: Option<VectorAttributeDefinition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_schema: Option<Vec<SearchSchemaElement>>,
    pub projection: Option<Projection>,
    pub dimensions: Option<i64>,
    pub distance_function: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteVectorIndexAction {
    pub index_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VectorIndexUpdate {
    pub create: Option<VectorIndex>,
    pub delete: Option<DeleteVectorIndexAction>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VectorIndexDescription {
    pub index_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_schema: Option<Vec<SearchSchemaElement>>,
    pub projection: Projection,
    pub vector_attribute: VectorAttributeDefinition,
    pub dimensions: i64,
    pub distance_function: String,
    pub index_status: String,
    /// Reported only for an index added by UpdateTable, while it is CREATING.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfilling: Option<bool>,
    pub index_size_bytes: i64,
    pub item_count: i64,
    pub index_arn: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchVectorsInput {
    pub table_name: Option<String>,
    pub index_name: Option<String>,
    pub search_vector: Option<Vec<RawValue>>,
    #[serde(rename = "TopK")]
    pub top_k: Option<i64>,
    pub search_condition_expression: Option<String>,
    pub expression_attribute_names: Option<ExpressionAttributeNames>,
    pub expression_attribute_values: Option<ExpressionAttributeValues>,
    pub projection_expression: Option<String>,
    pub return_consumed_capacity: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SearchResultItem {
    pub item: Item,
    pub score: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VectorCapacity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector_search_request_bytes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector_write_request_bytes: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchVectorsOutput {
    pub search_results: Vec<SearchResultItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<VectorCapacity>,
}
