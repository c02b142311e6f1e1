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

/// Characters AWS allows in tag keys and values: letters and digits of any script,
/// white space, and `+ - = . _ : / @`.
fn tag_text_allowed(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "+-=._:/@".contains(c) || c == '\u{a0}')
}

/// The rules of tag keys and values beyond their lengths, with AWS's messages
/// (recorded against DynamoDB in 2026).
fn check_tag_key(key: &str) -> Result<(), ApiError> {
    if reserved_prefix(key) {
        return Err(ApiError::validation(format!(
            "Tag Key cannot be prefixed with aws:, Key: {key}"
        )));
    }
    if !tag_text_allowed(key) {
        return Err(ApiError::validation(format!(
            "The Tag Key provided is invalid, Key: {key}"
        )));
    }
    Ok(())
}

/// Tag keys starting with `aws:` (in any case) belong to AWS.
fn reserved_prefix(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

fn too_many_tags() -> ApiError {
    ApiError::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}

/// The table name in `arn:aws:dynamodb:<region>:<account>:table/<name>`.
pub(crate) fn table_name_of(arn: &str) -> Result<&str, ApiError> {
    if !arn.starts_with("arn:") {
        return Err(ApiError::invalid_parameter(format!(
            "ARNs must start with 'arn:': {arn}"
        )));
    }
    if arn.contains(":table/") && arn.contains("/index/") {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
        )));
    }
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

    fn save_tags(&self, table: &Arc<TableMeta>, tags: Vec<(String, String)>) -> Result<(), ApiError> {
        let mut meta = (**table).clone();
        meta.tags = tags;
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(table), &meta)?;
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
        if new_tags.is_empty() {
            return Err(ApiError::validation("Atleast one Tag needs to be provided as Input."));
        }
        for (i, tag) in new_tags.iter().enumerate() {
            let (key, value) = (
                tag.key.as_deref().unwrap_or_default(),
                tag.value.as_deref().unwrap_or_default(),
            );
            check_tag_key(key)?;
            if !tag_text_allowed(value) {
                return Err(ApiError::validation(format!(
                    "The Tag Value provided is invalid, Value: {value}"
                )));
            }
            if new_tags[..i].iter().any(|t| t.key.as_deref() == Some(key)) {
                return Err(ApiError::validation(format!(
                    "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
                )));
            }
        }
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
            return Err(too_many_tags());
        }
        self.save_tags(&table, tags)?;
        Ok(EmptyOutput {})
    }

    pub fn untag_resource(&self, ctx: &RequestContext, input: UntagResourceInput) -> Result<EmptyOutput, ApiError> {
        let remove = input.tag_keys.clone().unwrap_or_default();
        if remove.is_empty() {
            return Err(ApiError::validation(
                "Atleast one Tag Key needs to be provided as Input.",
            ));
        }
        if remove.len() > MAX_TAGS {
            return Err(too_many_tags());
        }
        for key in &remove {
            if reserved_prefix(key) {
                return Err(ApiError::validation(format!(
                    "Tag Key cannot be prefixed with aws:, Key: {key}"
                )));
            }
        }
        let _guard = self.catalog_lock();
        let table = self.tagged_table(ctx, input.resource_arn.as_deref(), "UntagResource")?;
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
        self.sync_catalog();
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
