//! UpdateTimeToLive and DescribeTimeToLive.

use super::common::data_plane_table_name;
use crate::catalog::persist_meta;
use crate::RequestContext;
use crate::{storage_error, Engine};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    DescribeTimeToLiveOutput, TableNameInput, TimeToLiveDescription, TimeToLiveSpecification, UpdateTimeToLiveInput,
    UpdateTimeToLiveOutput,
};
use cairn_model::ApiError;

impl Engine {
    pub fn update_time_to_live(
        &self,
        ctx: &RequestContext,
        input: UpdateTimeToLiveInput,
    ) -> Result<UpdateTimeToLiveOutput, ApiError> {
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        match &input.time_to_live_specification {
            None => c.violation(None, "timeToLiveSpecification", "Member must not be null"),
            Some(spec) => {
                c.not_null(&spec.enabled, "timeToLiveSpecification.enabled");
                match spec.attribute_name.as_deref() {
                    None => c.violation(None, "timeToLiveSpecification.attributeName", "Member must not be null"),
                    Some(name) => {
                        c.min_length(Some(name), name.len(), "timeToLiveSpecification.attributeName", 1);
                        c.max_length(Some(name), name.len(), "timeToLiveSpecification.attributeName", 255);
                    }
                }
            }
        }
        c.finish()?;
        let spec = input.time_to_live_specification.unwrap_or_default();
        let enable = spec.enabled.unwrap_or(false);
        let attribute = spec.attribute_name.clone().unwrap_or_default();
        let _guard = self.catalog_lock();
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        let mut meta = (*table).clone();
        match (&meta.ttl_attribute, enable) {
            (Some(_), true) => return Err(ApiError::validation("TimeToLive is already enabled")),
            (None, false) => return Err(ApiError::validation("TimeToLive is already disabled")),
            (Some(current), false) if *current != attribute => {
                return Err(ApiError::validation(format!(
                    "TimeToLive is active on a different AttributeName: current AttributeName is {current}"
                )))
            }
            _ => {}
        }
        meta.ttl_attribute = enable.then(|| attribute.clone());
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(&table), &meta)?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta);
        Ok(UpdateTimeToLiveOutput {
            time_to_live_specification: TimeToLiveSpecification {
                enabled: Some(enable),
                attribute_name: Some(attribute),
            },
        })
    }

    pub fn describe_time_to_live(
        &self,
        ctx: &RequestContext,
        input: TableNameInput,
    ) -> Result<DescribeTimeToLiveOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.finish()?;
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        Ok(DescribeTimeToLiveOutput {
            time_to_live_description: TimeToLiveDescription {
                time_to_live_status: if table.ttl_attribute.is_some() {
                    "ENABLED"
                } else {
                    "DISABLED"
                }
                .to_string(),
                attribute_name: table.ttl_attribute.clone(),
            },
        })
    }
}
