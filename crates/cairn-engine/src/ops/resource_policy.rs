//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy: a policy document
//! attached to a table (guarding it and its indexes) or to its stream, versioned by
//! a revision id that writers may require (`ExpectedRevisionId`).

use crate::access::resources::parse_arn;
use crate::access::Access;
use crate::catalog::{persist_meta, StoredPolicy, TableMeta};
use crate::{storage_error, Engine, RequestContext};
use cairn_auth::{evaluate, AccessRequest, ConditionContext, Decision, Policy, PolicyKind};
use cairn_model::constraints::Constraints;
use cairn_model::types::{PutResourcePolicyInput, ResourceArnInput, ResourcePolicyOutput};
use cairn_model::{ApiError, ErrorKind};
use std::sync::Arc;

/// DynamoDB's limit on a policy document, white space included.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

fn invalid_document(detail: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Invalid policy document: {detail}"))
}

/// Parses and checks a resource-based policy, with DynamoDB's messages.
pub(crate) fn check_resource_policy(text: &str) -> Result<Policy, ApiError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(ApiError::invalid_parameter(format!(
            "Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded"
        )));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| invalid_document("This policy contains invalid Json"))?;
    match value.get("Statement") {
        None => return Err(invalid_document("Could not parse the policy: Statement is empty!")),
        Some(serde_json::Value::Array(list)) if list.is_empty() => {
            return Err(invalid_document("Could not parse the policy: Statement is empty!"))
        }
        _ => {}
    }
    let policy = Policy::from_value(&value).map_err(|e| invalid_document(&e))?;
    policy.check_resource_policy().map_err(|e| {
        if e.contains("Principal") {
            ApiError::invalid_parameter("Invalid principal in policy document.")
        } else {
            invalid_document("Missing required field Resource")
        }
    })?;
    Ok(policy)
}

fn arn_constraints(arn: Option<&str>, expected_revision: Option<&str>) -> Result<(), ApiError> {
    let mut c = Constraints::new();
    match arn {
        None => c.violation(None, "resourceArn", "Member must not be null"),
        Some(a) => {
            c.min_length(Some(a), a.chars().count(), "resourceArn", 1);
            c.max_length(Some(a), a.chars().count(), "resourceArn", 1283);
        }
    }
    if let Some(r) = expected_revision {
        c.min_length(Some(r), r.chars().count(), "expectedRevisionId", 1);
        c.max_length(Some(r), r.chars().count(), "expectedRevisionId", 255);
    }
    c.finish()
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::PolicyNotFound,
        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
}

impl Engine {
    /// The table an ARN names (or that owns the stream it names), and whether it is
    /// the stream. Only this account's table and stream ARNs are accepted.
    fn policy_target(&self, ctx: &RequestContext, arn: &str) -> Result<(Arc<TableMeta>, bool), ApiError> {
        let invalid = || ApiError::validation(format!("Invalid ResourceArn provided as input {arn}"));
        let parts = parse_arn(arn).ok_or_else(invalid)?;
        if parts.index.is_some() || parts.account != self.config.account_id {
            return Err(invalid());
        }
        let region = if parts.region.is_empty() {
            ctx.region.as_str()
        } else {
            parts.region
        };
        let missing = || ApiError::resource_not_found(format!("Requested resource not found: {arn}"));
        let table = self.catalog.get(region, parts.table).ok_or_else(missing)?;
        if let Some(label) = parts.stream {
            if !table.streams.iter().any(|s| s.label == label) {
                return Err(missing());
            }
        }
        Ok((table, parts.stream.is_some()))
    }

    /// The ARN a policy call acts on, rebuilt from what it resolves to.
    pub(crate) fn canonical_policy_target(&self, ctx: &RequestContext, arn: &str) -> Option<String> {
        let (table, stream) = self.policy_target(ctx, arn).ok()?;
        let region = table.region.clone().unwrap_or_else(|| ctx.region.clone());
        let table_arn = format!(
            "arn:aws:dynamodb:{region}:{}:table/{}",
            self.config.account_id, table.name
        );
        if stream {
            let label = parse_arn(arn)?.stream?;
            Some(format!("{table_arn}/stream/{label}"))
        } else {
            Some(table_arn)
        }
    }

    fn save_policy(&self, table: &Arc<TableMeta>, stream: bool, policy: Option<StoredPolicy>) -> Result<(), ApiError> {
        let mut meta = (**table).clone();
        if stream {
            meta.stream_resource_policy = policy;
        } else {
            meta.resource_policy = policy;
        }
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(table), &meta)?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta);
        Ok(())
    }

    /// A revision id: the time in milliseconds, always greater than `previous`.
    pub(crate) fn next_revision(&self, previous: Option<&StoredPolicy>) -> String {
        let now = (self.clock.now_seconds() * 1000.0) as u64;
        let after = previous
            .and_then(|p| p.revision_id.parse::<u64>().ok())
            .map_or(0, |r| r + 1);
        now.max(after).to_string()
    }

    fn check_expected_revision(
        table: &TableMeta,
        current: Option<&StoredPolicy>,
        expected: Option<&str>,
        arn: &str,
    ) -> Result<(), ApiError> {
        let Some(expected) = expected else {
            return Ok(());
        };
        let prefix = format!("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {expected}, but");
        match current {
            None => Err(ApiError::new(
                ErrorKind::PolicyNotFound,
                format!("{prefix} table {} has no associated policy.", table.name),
            )),
            Some(p) if p.revision_id != expected => Err(ApiError::new(
                ErrorKind::PolicyNotFound,
                format!(
                    "{prefix} the policy associated to target table {} has revision id {}.",
                    table.name, p.revision_id
                ),
            )),
            Some(_) => {
                let _ = arn;
                Ok(())
            }
        }
    }

    /// Whether `policy` would explicitly deny the caller further policy changes.
    fn locks_out_caller(&self, ctx: &RequestContext, policy: &Policy, arn: &str) -> bool {
        let Some(principal) = &ctx.principal else {
            return false;
        };
        let access = Access::new("PutResourcePolicy", arn.to_string());
        let mut context = ConditionContext::new();
        context.set_one("aws:username", principal.name.clone());
        context.set_one("aws:PrincipalArn", principal.arn.clone());
        let request = AccessRequest {
            action: &access.action,
            resource: arn,
            principal_arn: &principal.arn,
            context: &context,
        };
        evaluate(None, Some(policy), &request) == Decision::ExplicitDeny(PolicyKind::Resource)
    }

    pub fn put_resource_policy(
        &self,
        ctx: &RequestContext,
        input: PutResourcePolicyInput,
    ) -> Result<ResourcePolicyOutput, ApiError> {
        arn_constraints(input.resource_arn.as_deref(), input.expected_revision_id.as_deref())?;
        let mut c = Constraints::new();
        c.not_null(&input.policy, "policy");
        c.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        let text = input.policy.unwrap_or_default();
        let policy = check_resource_policy(&text)?;
        let _guard = self.catalog.lock();
        let (table, stream) = self.policy_target(ctx, &arn)?;
        let current = if stream {
            table.stream_resource_policy.as_ref()
        } else {
            table.resource_policy.as_ref()
        };
        Self::check_expected_revision(&table, current, input.expected_revision_id.as_deref(), &arn)?;
        if input.confirm_remove_self_resource_access != Some(true) && self.locks_out_caller(ctx, &policy, &arn) {
            return Err(ApiError::new(
                ErrorKind::AccessDenied,
                "The new resource policy will not allow you to update the resource policy in the future.",
            ));
        }
        let revision_id = self.next_revision(current);
        self.save_policy(
            &table,
            stream,
            Some(StoredPolicy {
                document: text,
                revision_id: revision_id.clone(),
            }),
        )?;
        Ok(ResourcePolicyOutput {
            policy: None,
            revision_id: Some(revision_id),
        })
    }

    pub fn get_resource_policy(
        &self,
        ctx: &RequestContext,
        input: ResourceArnInput,
    ) -> Result<ResourcePolicyOutput, ApiError> {
        self.sync_catalog();
        arn_constraints(input.resource_arn.as_deref(), None)?;
        let arn = input.resource_arn.unwrap_or_default();
        let (table, stream) = self.policy_target(ctx, &arn)?;
        let current = if stream {
            &table.stream_resource_policy
        } else {
            &table.resource_policy
        };
        let policy = current.clone().ok_or_else(|| not_found(&arn))?;
        Ok(ResourcePolicyOutput {
            policy: Some(policy.document),
            revision_id: Some(policy.revision_id),
        })
    }

    /// Deleting a policy that is not there succeeds with an empty answer, as in DynamoDB.
    pub fn delete_resource_policy(
        &self,
        ctx: &RequestContext,
        input: ResourceArnInput,
    ) -> Result<ResourcePolicyOutput, ApiError> {
        arn_constraints(input.resource_arn.as_deref(), input.expected_revision_id.as_deref())?;
        let arn = input.resource_arn.unwrap_or_default();
        let _guard = self.catalog.lock();
        let (table, stream) = self.policy_target(ctx, &arn)?;
        let current = if stream {
            table.stream_resource_policy.as_ref()
        } else {
            table.resource_policy.as_ref()
        };
        Self::check_expected_revision(&table, current, input.expected_revision_id.as_deref(), &arn)?;
        let Some(current) = current else {
            return Ok(ResourcePolicyOutput::default());
        };
        let revision_id = current.revision_id.clone();
        self.save_policy(&table, stream, None)?;
        Ok(ResourcePolicyOutput {
            policy: None,
            revision_id: Some(revision_id),
        })
    }
}
