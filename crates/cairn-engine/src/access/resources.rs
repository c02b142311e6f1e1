//! Resource ARNs, the resource-based policy that guards each, and the accesses of the
//! control-plane, tagging and Streams operations (an action on a table or stream ARN,
//! or on `*` for account-wide actions).

use super::{Access, Accesses};
use crate::catalog::{region_of_arn, StoredPolicy};
use crate::{Engine, RequestContext};
use cairn_model::types::*;
use cairn_model::ApiError;

/// What an ARN names, parsed from `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/index/I | /stream/L]`.
pub(crate) struct ArnParts<'a> {
    pub region: &'a str,
    pub table: &'a str,
    pub stream: bool,
}

pub(crate) fn parse_arn(arn: &str) -> Option<ArnParts<'_>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "dynamodb" {
        return None;
    }
    let rest = parts[5].strip_prefix("table/")?;
    let (table, tail) = rest.split_once('/').unwrap_or((rest, ""));
    Some(ArnParts {
        region: region_of_arn(arn)?,
        table,
        stream: tail.starts_with("stream/"),
    })
}

impl Engine {
    /// The ARN a request's `TableName` (a name or already an ARN) authorizes against.
    pub(crate) fn table_resource(&self, ctx: &RequestContext, name: Option<&str>) -> String {
        let name = name.unwrap_or_default();
        if name.starts_with("arn:") {
            return name.to_string();
        }
        crate::ops::describe_table::table_arn(ctx, &self.config.account_id, name)
    }

    pub(crate) fn index_resource(&self, ctx: &RequestContext, table: Option<&str>, index: Option<&str>) -> String {
        let table = self.table_resource(ctx, table);
        match index {
            Some(index) => format!("{table}/index/{index}"),
            None => table,
        }
    }

    /// The resource-based policy guarding `arn`: a table's own policy guards it and
    /// its indexes; a stream has its own.
    pub(crate) fn stored_policy_of(&self, ctx: &RequestContext, arn: &str) -> Option<StoredPolicy> {
        let parts = parse_arn(arn)?;
        let region = if parts.region.is_empty() { &ctx.region } else { parts.region };
        let table = self.catalog.get(region, parts.table)?;
        if parts.stream {
            table.stream_resource_policy.clone()
        } else {
            table.resource_policy.clone()
        }
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
on_table!(CreateTableInput, TableNameInput, UpdateTableInput, UpdateTimeToLiveInput);

/// Operations that name their resource by ARN.
macro_rules! on_resource_arn {
    ($($input:ty),*) => {$(
        impl Accesses for $input {
            fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
                Ok(vec![Access::new(operation, self.resource_arn.clone().unwrap_or_default())])
            }
        }
    )*};
}
on_resource_arn!(
    TagResourceInput,
    UntagResourceInput,
    ListTagsOfResourceInput,
    PutResourcePolicyInput,
    ResourceArnInput
);

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
account_wide!(EmptyInput, ListTablesInput, ListStreamsInput);

impl Accesses for DescribeStreamInput {
    fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(operation, self.stream_arn.clone().unwrap_or_default())])
    }
}

impl Accesses for GetShardIteratorInput {
    fn accesses(&self, operation: &str, _: &Engine, _: &RequestContext) -> Result<Vec<Access>, ApiError> {
        Ok(vec![Access::new(operation, self.stream_arn.clone().unwrap_or_default())])
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
