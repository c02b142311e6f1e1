//! TagResource, UntagResource and ListTagsOfResource on table ARNs.

use crate::catalog::region_of_arn;
use crate::catalog::{persist_meta, TableMeta};
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    EmptyOutput, ListTagsOfResourceInput, ListTagsOfResourceOutput, Tag, TagResourceInput, UntagResourceInput,
};
use cairn_model::{ApiError, ErrorKind};
use std::sync::Arc;

const MAX_TAGS: usize = 50;

/// The table name in `arn:aws:dynamodb:<region>:<account>:table/<name>`.
fn table_name_of(arn: &str) -> Result<&str, ApiError> {
    let invalid = || ApiError::validation(format!("Invalid TableArn: Invalid ResourceArn provided as input {arn}"));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "dynamodb", _, _, resource] => resource
            .strip_prefix("table/")
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .ok_or_else(invalid),
        _ => Err(invalid()),
    }
}

impl Engine {
    /// The table an ARN names. A table that does not exist is answered as DynamoDB's
    /// authorization layer answers it for tag calls: access denied (the conformance
    /// suite's recording).
    fn tagged_table(
        &self,
        ctx: &RequestContext,
        arn: Option<&str>,
        operation: &str,
    ) -> Result<Arc<TableMeta>, ApiError> {
        let mut c = Constraints::new();
        match arn {
            None => c.violation(None, "resourceArn", "Member must not be null"),
            Some(a) => {
                c.min_length(Some(a), a.len(), "resourceArn", 1);
                c.max_length(Some(a), a.len(), "resourceArn", 1283);
            }
        }
        c.finish()?;
        let arn = arn.unwrap_or_default();
        let name = table_name_of(arn)?;
        self.catalog.get(region_of_arn(arn).unwrap_or(&ctx.region), name).ok_or_else(|| {
            ApiError::new(
                ErrorKind::AccessDenied,
                format!(
                    "User: arn:aws:iam::{}:user/{} is not authorized to perform: dynamodb:{operation} on resource: {arn}",
                    self.config.account_id,
                    ctx.access_key_id.as_deref().unwrap_or("anonymous")
                ),
            )
        })
    }

    fn save_tags(&self, table: &TableMeta, tags: Vec<(String, String)>) -> Result<(), ApiError> {
        let mut meta = table.clone();
        meta.tags = tags;
        let mut tx = self.storage.begin().map_err(storage_error)?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta);
        Ok(())
    }

    pub fn tag_resource(&self, ctx: &RequestContext, input: TagResourceInput) -> Result<EmptyOutput, ApiError> {
        let new_tags = input.tags.unwrap_or_default();
        let mut c = Constraints::new();
        for (i, tag) in new_tags.iter().enumerate() {
            match &tag.key {
                None => c.violation(None, &format!("tags.{}.member.key", i + 1), "Member must not be null"),
                Some(k) => {
                    c.min_length(Some(k), k.chars().count(), &format!("tags.{}.member.key", i + 1), 1);
                    c.max_length(Some(k), k.chars().count(), &format!("tags.{}.member.key", i + 1), 128);
                }
            }
            match &tag.value {
                None => c.violation(None, &format!("tags.{}.member.value", i + 1), "Member must not be null"),
                Some(v) => c.max_length(Some(v), v.chars().count(), &format!("tags.{}.member.value", i + 1), 256),
            }
        }
        c.finish()?;
        let _guard = self.catalog_lock();
        let table = self.tagged_table(ctx, input.resource_arn.as_deref(), "TagResource")?;
        let mut tags = table.tags.clone();
        for tag in new_tags {
            let (key, value) = (tag.key.unwrap_or_default(), tag.value.unwrap_or_default());
            match tags.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => tags.push((key, value)),
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(ApiError::limit_exceeded(format!(
                "The number of tags on a resource exceeds the limit of {MAX_TAGS}"
            )));
        }
        self.save_tags(&table, tags)?;
        Ok(EmptyOutput {})
    }

    pub fn untag_resource(&self, ctx: &RequestContext, input: UntagResourceInput) -> Result<EmptyOutput, ApiError> {
        let _guard = self.catalog_lock();
        let table = self.tagged_table(ctx, input.resource_arn.as_deref(), "UntagResource")?;
        let remove = input.tag_keys.unwrap_or_default();
        let tags = table
            .tags
            .iter()
            .filter(|(k, _)| !remove.contains(k))
            .cloned()
            .collect();
        self.save_tags(&table, tags)?;
        Ok(EmptyOutput {})
    }

    pub fn list_tags_of_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsOfResourceInput,
    ) -> Result<ListTagsOfResourceOutput, ApiError> {
        let table = self.tagged_table(ctx, input.resource_arn.as_deref(), "ListTagsOfResource")?;
        Ok(ListTagsOfResourceOutput {
            tags: table
                .tags
                .iter()
                .map(|(k, v)| Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect(),
        })
    }
}
