//! On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
//! RestoreTableFromBackup.

use crate::types::streams::TimeToLiveDescription;
use crate::types::table::{
    GlobalSecondaryIndex, KeySchemaElement, LocalSecondaryIndex, OnDemandThroughput, Projection, ProvisionedThroughput,
    SseDescription, SseSpecification, StreamSpecification,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupInput {
    pub table_name: Option<String>,
    pub backup_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupArnInput {
    pub backup_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupsInput {
    pub table_name: Option<String>,
    pub limit: Option<i64>,
    pub time_range_lower_bound: Option<f64>,
    pub time_range_upper_bound: Option<f64>,
    pub exclusive_start_backup_arn: Option<String>,
    pub backup_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableFromBackupInput {
    pub target_table_name: Option<String>,
    pub backup_arn: Option<String>,
    pub billing_mode_override: Option<String>,
    pub global_secondary_index_override: Option<Vec<GlobalSecondaryIndex>>,
    pub local_secondary_index_override: Option<Vec<LocalSecondaryIndex>>,
    pub provisioned_throughput_override: Option<ProvisionedThroughput>,
    pub on_demand_throughput_override: Option<OnDemandThroughput>,
    #[serde(rename = "SSESpecificationOverride")]
    pub sse_specification_override: Option<SseSpecification>,
    /// The source's vector indexes to keep (all when absent, none when empty).
    pub vector_index_override: Option<Vec<crate::types::vector::VectorIndex>>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDetails {
    pub backup_arn: String,
    pub backup_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_size_bytes: Option<i64>,
    pub backup_status: String,
    pub backup_type: String,
    pub backup_creation_date_time: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupOutput {
    pub backup_details: BackupDetails,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BackupProvisionedThroughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SourceTableDetails {
    pub table_name: String,
    pub table_id: String,
    pub table_arn: String,
    pub table_size_bytes: i64,
    pub key_schema: Vec<KeySchemaElement>,
    pub table_creation_date_time: f64,
    pub provisioned_throughput: BackupProvisionedThroughput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    pub item_count: i64,
    pub billing_mode: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexInfo {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexInfo {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
    pub provisioned_throughput: BackupProvisionedThroughput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceTableFeatureDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_description: Option<StreamSpecification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live_description: Option<TimeToLiveDescription>,
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    pub sse_description: Option<SseDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector_indexes: Option<Vec<crate::types::vector::VectorIndex>>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDescription {
    pub backup_details: BackupDetails,
    pub source_table_details: SourceTableDetails,
    pub source_table_feature_details: SourceTableFeatureDetails,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDescriptionOutput {
    pub backup_description: BackupDescription,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupSummary {
    pub table_name: String,
    pub table_id: String,
    pub table_arn: String,
    pub backup_arn: String,
    pub backup_name: String,
    pub backup_creation_date_time: f64,
    pub backup_status: String,
    pub backup_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_size_bytes: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupsOutput {
    pub backup_summaries: Vec<BackupSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_backup_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_backup_arn: Option<String>,
    pub source_table_arn: String,
    pub restore_date_time: f64,
    pub restore_in_progress: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    pub point_in_time_recovery_enabled: Option<bool>,
    pub recovery_period_in_days: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateContinuousBackupsInput {
    pub table_name: Option<String>,
    pub point_in_time_recovery_specification: Option<PointInTimeRecoverySpecification>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableToPointInTimeInput {
    pub source_table_arn: Option<String>,
    pub source_table_name: Option<String>,
    pub target_table_name: Option<String>,
    pub use_latest_restorable_time: Option<bool>,
    pub restore_date_time: Option<f64>,
    pub billing_mode_override: Option<String>,
    pub global_secondary_index_override: Option<Vec<GlobalSecondaryIndex>>,
    pub local_secondary_index_override: Option<Vec<LocalSecondaryIndex>>,
    pub provisioned_throughput_override: Option<ProvisionedThroughput>,
    pub on_demand_throughput_override: Option<OnDemandThroughput>,
    #[serde(rename = "SSESpecificationOverride")]
    pub sse_specification_override: Option<SseSpecification>,
    /// The source's vector indexes to keep (all when absent, none when empty).
    pub vector_index_override: Option<Vec<crate::types::vector::VectorIndex>>,
}

impl RestoreTableToPointInTimeInput {
    /// The overrides, in the shape RestoreTableFromBackup takes them.
    pub fn overrides(&self, target: &str) -> RestoreTableFromBackupInput {
        RestoreTableFromBackupInput {
            target_table_name: Some(target.to_string()),
            backup_arn: None,
            billing_mode_override: self.billing_mode_override.clone(),
            global_secondary_index_override: self.global_secondary_index_override.clone(),
            local_secondary_index_override: self.local_secondary_index_override.clone(),
            provisioned_throughput_override: self.provisioned_throughput_override.clone(),
            on_demand_throughput_override: self.on_demand_throughput_override.clone(),
            sse_specification_override: self.sse_specification_override.clone(),
            vector_index_override: self.vector_index_override.clone(),
        }
    }
}
