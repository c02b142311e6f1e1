//! DescribeContinuousBackups, UpdateContinuousBackups and RestoreTableToPointInTime
//! (the history and base copies: `crate::pitr`).

use super::backups::table_name_of;
use super::describe_table::table_arn;
use crate::catalog::{persist_meta, PitrState, Replay, RestoreState, TableMeta};
use crate::pitr;
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    ContinuousBackupsDescription, DescribeContinuousBackupsOutput, PointInTimeRecoveryDescription,
    RestoreTableToPointInTimeInput, TableDescriptionOutput, TableNameInput, UpdateContinuousBackupsInput,
};
use cairn_model::{ApiError, ErrorKind};
use std::sync::Arc;

/// DynamoDB's default (and largest) recovery period.
const DEFAULT_RECOVERY_DAYS: i64 = 35;

fn table_not_found(name: &str) -> ApiError {
    ApiError::new(ErrorKind::TableNotFound, format!("Table not found: {name}"))
}

fn table_arn_constraints(c: &mut Constraints, name: Option<&str>) {
    match name {
        None => c.violation(None, "tableName", "Member must not be null"),
        Some(name) => {
            let len = name.chars().count();
            c.min_length(Some(name), len, "tableName", 1);
            c.max_length(Some(name), len, "tableName", 1024);
        }
    }
}

/// An instant as DynamoDB prints one in messages: ISO 8601, UTC, milliseconds.
pub fn iso(seconds: f64) -> String {
    let millis = (seconds * 1000.0).floor() as i64;
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::streams::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn out_of_window(when: f64, earliest: f64, latest: f64) -> ApiError {
    ApiError::new(
        ErrorKind::InvalidRestoreTime,
        format!(
            "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
            iso(when),
            iso(earliest),
            iso(latest)
        ),
    )
}

impl Engine {
    fn continuous_backups(&self, table: &TableMeta) -> ContinuousBackupsDescription {
        let now = self.clock.now_seconds();
        let pitr = match &table.pitr {
            None => PointInTimeRecoveryDescription {
                point_in_time_recovery_status: "DISABLED".to_string(),
                recovery_period_in_days: None,
                earliest_restorable_date_time: None,
                latest_restorable_date_time: None,
            },
            Some(p) => PointInTimeRecoveryDescription {
                point_in_time_recovery_status: "ENABLED".to_string(),
                recovery_period_in_days: Some(p.recovery_period_days),
                earliest_restorable_date_time: self.earliest_restorable(p, now),
                // A local server has every change: the latest restorable time is now.
                latest_restorable_date_time: Some(now),
            },
        };
        ContinuousBackupsDescription {
            continuous_backups_status: "ENABLED".to_string(),
            point_in_time_recovery_description: pitr,
        }
    }

    fn earliest_restorable(&self, pitr: &PitrState, now: f64) -> Option<f64> {
        let window = now - pitr.recovery_period_days as f64 * 86_400.0;
        pitr.earliest.map(|first| first.max(window))
    }

    pub fn describe_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: TableNameInput,
    ) -> Result<DescribeContinuousBackupsOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        table_arn_constraints(&mut c, input.table_name.as_deref());
        c.finish()?;
        let name = table_name_of(input.table_name.as_deref().unwrap_or_default()).to_string();
        let table = self
            .catalog
            .get(&ctx.region, &name)
            .ok_or_else(|| table_not_found(&name))?;
        Ok(DescribeContinuousBackupsOutput {
            continuous_backups_description: self.continuous_backups(&table),
        })
    }

    pub fn update_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: UpdateContinuousBackupsInput,
    ) -> Result<DescribeContinuousBackupsOutput, ApiError> {
        let mut c = Constraints::new();
        table_arn_constraints(&mut c, input.table_name.as_deref());
        c.not_null(
            &input.point_in_time_recovery_specification,
            "pointInTimeRecoverySpecification",
        );
        let spec = input.point_in_time_recovery_specification.clone().unwrap_or_default();
        if input.point_in_time_recovery_specification.is_some() {
            c.not_null(
                &spec.point_in_time_recovery_enabled,
                "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
            );
        }
        if let Some(days) = spec.recovery_period_in_days {
            c.at_least(days, "pointInTimeRecoverySpecification.recoveryPeriodInDays", 1);
            c.at_most(days, "pointInTimeRecoverySpecification.recoveryPeriodInDays", 35);
        }
        c.finish()?;
        let enable = spec.point_in_time_recovery_enabled.unwrap_or(false);
        if !enable && spec.recovery_period_in_days.is_some() {
            return Err(ApiError::validation(
                "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
            ));
        }
        let name = table_name_of(input.table_name.as_deref().unwrap_or_default()).to_string();
        let guard = self.catalog_lock();
        // A table still being created (or restored) answers as if it did not exist.
        let table = self
            .catalog
            .get(&ctx.region, &name)
            .filter(|t| t.status(self.clock.now_seconds()) != "CREATING")
            .ok_or_else(|| table_not_found(&name))?;
        let mut meta = (*table).clone();
        let newly_enabled = enable && meta.pitr.is_none();
        meta.pitr = match (&meta.pitr, enable) {
            (_, false) => None,
            (Some(current), true) => Some(PitrState {
                recovery_period_days: spec.recovery_period_in_days.unwrap_or(current.recovery_period_days),
                ..current.clone()
            }),
            (None, true) => Some(PitrState {
                recovery_period_days: spec.recovery_period_in_days.unwrap_or(DEFAULT_RECOVERY_DAYS),
                enabled_at: self.clock.now_seconds(),
                earliest: None,
            }),
        };
        if meta.pitr == table.pitr {
            // Enabling again or disabling again changes nothing.
            return Ok(DescribeContinuousBackupsOutput {
                continuous_backups_description: self.continuous_backups(&table),
            });
        }
        let disabled = meta.pitr.is_none();
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(&table), &meta)?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta.clone());
        if disabled {
            // The history is dropped by the background worker (re-enabling starts a
            // new window, as on DynamoDB: older data is never used again).
            drop(guard);
            let now_table = self.catalog.current(&meta).unwrap_or_else(|| Arc::new(meta));
            return Ok(DescribeContinuousBackupsOutput {
                continuous_backups_description: self.continuous_backups(&now_table),
            });
        }
        if newly_enabled {
            // Every write from now on records its change; then the first base copy
            // is taken (without holding up other table changes), and the window
            // opens at its instant. Should this fail, the background worker takes
            // the first base instead.
            drop(guard);
            self.catalog.fence();
            let base = self.take_base(&meta)?;
            let enabled_at = meta.pitr.as_ref().map_or(0.0, |p| p.enabled_at);
            self.set_earliest(&meta, enabled_at, Some(base))?;
            if let Some(current) = self.catalog.current(&meta) {
                meta = (*current).clone();
            }
        }
        Ok(DescribeContinuousBackupsOutput {
            continuous_backups_description: self.continuous_backups(&meta),
        })
    }

    pub fn restore_table_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: RestoreTableToPointInTimeInput,
    ) -> Result<TableDescriptionOutput, ApiError> {
        let mut c = Constraints::new();
        if let Some(arn) = input.source_table_arn.as_deref() {
            let len = arn.chars().count();
            c.min_length(Some(arn), len, "sourceTableArn", 1);
            c.max_length(Some(arn), len, "sourceTableArn", 1024);
        }
        if input.source_table_name.is_some() {
            c.table_name(input.source_table_name.as_deref(), "sourceTableName");
        }
        c.table_name(input.target_table_name.as_deref(), "targetTableName");
        c.one_of(
            input.billing_mode_override.as_deref(),
            "billingModeOverride",
            &["PROVISIONED", "PAY_PER_REQUEST"],
        );
        c.finish()?;
        let source_name = match (&input.source_table_arn, &input.source_table_name) {
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "Must provide exactly one of: sourceTableArn, sourceTableName",
                ))
            }
            (None, None) => return Err(ApiError::validation("The parameter 'TableName' is required")),
            (Some(arn), None) => table_name_of(arn).to_string(),
            (None, Some(name)) => name.clone(),
        };
        let latest = input.use_latest_restorable_time == Some(true);
        let when = match (input.restore_date_time, latest) {
            (Some(_), true) => {
                return Err(ApiError::validation(
                    "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify only one of them",
                ))
            }
            (None, false) => {
                return Err(ApiError::validation(
                    "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
                ))
            }
            (Some(t), false) => Some(t),
            (None, true) => None,
        };
        let source = self
            .catalog
            .get(&ctx.region, &source_name)
            .ok_or_else(|| table_not_found(&source_name))?;
        let Some(pitr) = &source.pitr else {
            return Err(ApiError::new(
                ErrorKind::PointInTimeRecoveryUnavailable,
                format!("Point in time recovery is not enabled for table '{source_name}'"),
            ));
        };
        let now = self.clock.now_seconds();
        let Some(earliest) = self.earliest_restorable(pitr, now) else {
            return Err(ApiError::new(
                ErrorKind::PointInTimeRecoveryUnavailable,
                format!("Point in time recovery is not enabled for table '{source_name}'"),
            ));
        };
        let when = when.unwrap_or(now);
        if when < earliest || when > now {
            return Err(out_of_window(when, earliest, now));
        }
        let target = input.target_table_name.clone().unwrap_or_default();
        if let Some(existing) = self.catalog.get(&ctx.region, &target) {
            return Err(match existing.restore.as_ref().filter(|r| r.in_progress) {
                Some(_) => ApiError::new(
                    ErrorKind::TableInUse,
                    format!("Table: {target} is already being restored"),
                ),
                None => ApiError::new(ErrorKind::TableAlreadyExists, format!("Table already exists: {target}")),
            });
        }
        let overrides = input.overrides(&target);
        super::backups::check_overrides(&source, &overrides)?;
        // The newest base copy at or before the restore time; the history after its
        // instant, up to that time, is replayed over it.
        let base = pitr::current_bases(self.storage.as_ref(), &source, pitr)
            .map_err(storage_error)?
            .into_iter()
            .rev()
            .find(|b| b.created_at <= when)
            .ok_or_else(|| out_of_window(when, earliest, now))?;
        // Writes in flight here commit before the replay reads the history.
        self.catalog.fence();
        let create = super::backups::restore_request(&source, &target, &overrides);
        let restore = RestoreState {
            source_backup_arn: None,
            source_table_arn: table_arn(ctx, &self.config.account_id, &source.name),
            restore_date_time: when,
            in_progress: true,
            backup_id: base.id,
            restored_to: None,
            replay: Some(Replay {
                source_table_id: source.id,
                after: pitr::history_position(
                    source.id,
                    pitr::micros((base.created_at - pitr::REPLAY_MARGIN_SECONDS).max(pitr.enabled_at)),
                ),
                until_micros: pitr::micros(when),
                replaying: false,
            }),
        };
        let (mut output, table) = self.create_table_as(ctx, create, Some(restore), None)?;
        self.load_restore(&target, table);
        output.table_description.table_status = "CREATING".to_string();
        Ok(output)
    }
}
