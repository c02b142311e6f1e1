//! DescribeContinuousBackups. Point-in-time recovery is not built yet (issue 16), so
//! every table answers as a DynamoDB table without it does: continuous backups
//! enabled, point-in-time recovery disabled.

use super::common::data_plane_table_name;
use crate::{Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    ContinuousBackupsDescription, DescribeContinuousBackupsOutput, PointInTimeRecoveryDescription, TableNameInput,
};
use cairn_model::{ApiError, ErrorKind};

impl Engine {
    pub fn describe_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: TableNameInput,
    ) -> Result<DescribeContinuousBackupsOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.finish()?;
        let name = input.table_name.unwrap_or_default();
        if self.catalog.get(&ctx.region, &name).is_none() {
            return Err(ApiError::new(
                ErrorKind::TableNotFound,
                format!("Table not found: {name}"),
            ));
        }
        Ok(DescribeContinuousBackupsOutput {
            continuous_backups_description: ContinuousBackupsDescription {
                continuous_backups_status: "ENABLED".to_string(),
                point_in_time_recovery_description: PointInTimeRecoveryDescription {
                    point_in_time_recovery_status: "DISABLED".to_string(),
                },
            },
        })
    }
}
