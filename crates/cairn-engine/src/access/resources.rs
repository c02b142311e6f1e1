//! Resource ARNs, the resource-based policy that guards each, and the accesses of the
//! control-plane, tagging and Streams operations (an action on a table or stream ARN,
//! or on `*` for account-wide actions).

use super::{Access, Accesses};
use crate::catalog::region_of_arn;
use crate::{Engine, RequestContext};
use cairn_auth::Policy;
use cairn_model::types::*;
use cairn_model::ApiError;

/// What a Cairn ARN names: `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`, optionally
/// followed by `/stream/LABEL` or `/index/NAME` and nothing else.
pub(crate) struct ArnParts<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub table: &'a str,
    /// The stream label, for a stream ARN.
    pub stream: Option<&'a str>,
    pub index: Option<&'a str>,
}

/// Parses an ARN strictly: anything else (another partition, service, resource type,
/// extra path segments) is `None`.
pub(crate) fn parse_arn(arn: &str) -> Option<ArnParts<'_>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", "aws", "dynamodb", region, account, resource] = parts.as_slice() else {
        return None;
    };
    let mut path = resource.strip_prefix("table/")?.split('/');
    let table = path.next().filter(|t| !t.is_empty())?;
    let (stream, index) = match (path.next(), path.next(), path.next()) {
        (None, _, _) => (None, None),
        (Some("stream"), Some(label), None) if !label.is_empty() => (Some(label), None),
        (Some("index"), Some(index), None) if !index.is_empty() => (None, Some(index)),
        _ => return None,
    };
    Some(ArnParts {
        region,
        account,
        table,
        stream,
        index,
    })
}

impl Engine {
    /// The ARN a request's `TableName` authorizes against (the operations look the
    /// name up in the caller's region as given).
    pub(crate) fn table_resource(&self, ctx: &RequestContext, name: Option<&str>) -> String {
        crate::ops::describe_table::table_arn(ctx, &self.config.account_id, name.unwrap_or_default())
    }

    pub(crate) fn index_resource(&self, ctx: &RequestContext, table: Option<&str>, index: Option<&str>) -> String {
        let table = self.table_resource(ctx, table);
        match index {
            Some(index) => format!("{table}/index/{index}"),
            None => table,
        }
    }

    /// The resource-based policy guarding `arn` (one this engine built): a table's own
    /// policy guards it and its indexes; a stream has its own. `Err` when a stored
    /// policy no longer parses: the caller must deny.
    pub(crate) fn resource_policy_of(&self, ctx: &RequestContext, arn: &str) -> Result<Option<Policy>, ()> {
        let Some(parts) = parse_arn(arn) else {
            return Ok(None);
        };
        let region = if parts.region.is_empty() {
            ctx.region.as_str()
        } else {
            parts.region
        };
        let Some(table) = self.catalog.get(region, parts.table) else {
            return Ok(None);
        };
        let stored = if parts.stream.is_some() {
            &table.stream_resource_policy
        } else {
            &table.resource_policy
        };
        match stored {
            None => Ok(None),
            Some(stored) => Policy::parse(&stored.document).map(Some).map_err(|_| ()),
        }
    }

    /// The table ARN a tagging call acts on, rebuilt from the table name and region
    /// the operation resolves (so another account's or partition's spelling of the
    /// same table is authorized as the table); the raw text when it resolves to none.
    fn tagged_resource(&self, ctx: &RequestContext, arn: Option<&str>) -> String {
        let arn = arn.unwrap_or_default();
        match crate::ops::tags::table_name_of(arn) {
            Ok(name) => {
                let region = region_of_arn(arn).unwrap_or(&ctx.region);
                format!("arn:aws:dynamodb:{region}:{}:table/{name}", self.config.account_id)
            }
            Err(_) => arn.to_string(),
        }
    }

    /// A stream ARN as the Streams operations resolve it.
    fn stream_resource(&self, arn: Option<&str>) -> String {
        let arn = arn.unwrap_or_default();
        self.canonical_stream_arn(arn).unwrap_or_else(|| arn.to_string())
    }
}

/// Operations whose input names one table by `TableName`.
macro_rules! on_table {
    ($($input:ty),*) => {$(
        impl Accesses for $input {
            fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
                Ok(vec![Access::new(operation, engine.table_resource(ctx, self.table_name.as_deref()))])
            }
        }
    )*};
}
on_table!(TableNameInput, UpdateTableInput, UpdateTimeToLiveInput);

/// UpdateContinuousBackups: on the table (named by name or ARN).
impl Accesses for UpdateContinuousBackupsInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let name = self.table_name.as_deref().map(crate::ops::backups::table_name_of);
        Ok(vec![Access::new(operation, engine.table_resource(ctx, name))])
    }
}

/// RestoreTableToPointInTime: on the source table and on the table it creates.
impl Accesses for RestoreTableToPointInTimeInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let source = self
            .source_table_name
            .as_deref()
            .or(self.source_table_arn.as_deref().map(crate::ops::backups::table_name_of));
        Ok(vec![
            Access::new(operation, engine.table_resource(ctx, source)),
            Access::new(operation, engine.table_resource(ctx, self.target_table_name.as_deref())),
        ])
    }
}

/// Creating a table with a resource policy also needs PutResourcePolicy on it, as in AWS.
impl Accesses for CreateTableInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let table = engine.table_resource(ctx, self.table_name.as_deref());
        let mut out = vec![Access::new(operation, table.clone())];
        if self.resource_policy.is_some() {
            out.push(Access::new("PutResourcePolicy", table));
        }
        Ok(out)
    }
}

/// Tagging: on the table the ARN resolves to.
macro_rules! on_tagged_table {
    ($($input:ty),*) => {$(
        impl Accesses for $input {
            fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
                Ok(vec![Access::new(operation, engine.tagged_resource(ctx, self.resource_arn.as_deref()))])
            }
        }
    )*};
}
on_tagged_table!(TagResourceInput, UntagResourceInput, ListTagsOfResourceInput);

/// Resource policies: on the table or stream the ARN resolves to.
macro_rules! on_policy_target {
    ($($input:ty),*) => {$(
        impl Accesses for $input {
            fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
                let arn = self.resource_arn.as_deref().unwrap_or_default();
                let resource = engine.canonical_policy_target(ctx, arn).unwrap_or_else(|| arn.to_string());
                Ok(vec![Access::new(operation, resource)])
            }
        }
    )*};
}
on_policy_target!(PutResourcePolicyInput, ResourceArnInput);

/// Operations that act on the account, not on one resource.
macro_rules! account_wide {
    ($($input:ty),*) => {$(
        impl Accesses for $input {
            fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
                Ok(vec![Access::account_wide(operation)])
            }
        }
    )*};
}
account_wide!(
    EmptyInput,
    ListTablesInput,
    ListStreamsInput,
    ListBackupsInput,
    ListExportsInput,
    ListImportsInput,
    ListBulkOperationsInput,
    ListContributorInsightsInput
);

/// Contributor Insights settings: on the table (named by name or ARN).
macro_rules! on_named_table {
    ($($input:ty),*) => {$(
        impl Accesses for $input {
            fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
                let name = self.table_name.as_deref().map(crate::ops::backups::table_name_of);
                Ok(vec![Access::new(operation, engine.table_resource(ctx, name))])
            }
        }
    )*};
}
on_named_table!(UpdateContributorInsightsInput, DescribeContributorInsightsInput);

/// ExportTableToPointInTime: on the table (named by ARN).
impl Accesses for ExportTableToPointInTimeInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let name = self.table_arn.as_deref().map(crate::ops::backups::table_name_of);
        Ok(vec![Access::new(operation, engine.table_resource(ctx, name))])
    }
}

/// DescribeExport: on the export's ARN.
impl Accesses for ExportArnInput {
    fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(
            operation,
            self.export_arn.clone().unwrap_or_default(),
        )])
    }
}

/// DescribeImport: on the import's ARN.
impl Accesses for ImportArnInput {
    fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(
            operation,
            self.import_arn.clone().unwrap_or_default(),
        )])
    }
}

/// ImportTable: on the table it creates.
impl Accesses for ImportTableInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let name = self
            .table_creation_parameters
            .as_ref()
            .and_then(|p| p.table_name.as_deref());
        Ok(vec![Access::new(operation, engine.table_resource(ctx, name))])
    }
}

/// StartBulkPutItems: on the table it writes.
impl Accesses for StartBulkPutItemsInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let name = self.table_name.as_deref().map(crate::ops::backups::table_name_of);
        Ok(vec![Access::new(operation, engine.table_resource(ctx, name))])
    }
}

/// DescribeBulkOperation, CancelBulkOperation: on the operation's ARN.
impl Accesses for BulkOperationArnInput {
    fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(
            operation,
            self.bulk_operation_arn.clone().unwrap_or_default(),
        )])
    }
}

/// CreateBackup: on the table (named by name or ARN).
impl Accesses for CreateBackupInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let name = self.table_name.as_deref().map(crate::ops::backups::table_name_of);
        Ok(vec![Access::new(operation, engine.table_resource(ctx, name))])
    }
}

/// DescribeBackup, DeleteBackup: on the backup's ARN.
impl Accesses for BackupArnInput {
    fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(
            operation,
            self.backup_arn.clone().unwrap_or_default(),
        )])
    }
}

/// RestoreTableFromBackup: on the backup and on the table it creates.
impl Accesses for RestoreTableFromBackupInput {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![
            Access::new(operation, self.backup_arn.clone().unwrap_or_default()),
            Access::new(operation, engine.table_resource(ctx, self.target_table_name.as_deref())),
        ])
    }
}

impl Accesses for DescribeStreamInput {
    fn accesses(&self, operation: &str, engine: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(
            operation,
            engine.stream_resource(self.stream_arn.as_deref()),
        )])
    }
}

impl Accesses for GetShardIteratorInput {
    fn accesses(&self, operation: &str, engine: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(
            operation,
            engine.stream_resource(self.stream_arn.as_deref()),
        )])
    }
}

/// GetRecords is authorized on the stream its iterator reads; an iterator this server
/// did not issue names no stream and is refused by the operation itself.
impl Accesses for GetRecordsInput {
    fn accesses(&self, operation: &str, engine: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        let stream = self
            .shard_iterator
            .as_deref()
            .and_then(|iterator| engine.stream_arn_of_iterator(iterator))
            .unwrap_or_else(|| "*".to_string());
        Ok(vec![Access::new(operation, stream)])
    }
}
