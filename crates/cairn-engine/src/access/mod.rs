//! Authorization: what each request asks to do (an action on a resource, with the
//! condition keys fine-grained policies test), and the decision, taken from the
//! caller's identity policies and the resource's policy before the operation runs.
//!
//! Extraction reuses the engine's own parsers: a request whose expressions the
//! extractor cannot read is one the operation would refuse too, so no request can be
//! authorized on keys it does not really touch.

mod items;
mod partiql;
pub(crate) mod resources;

use crate::{Engine, RequestContext};
use cairn_auth::{evaluate, AccessRequest, ConditionContext, Decision, PolicyKind};
use cairn_model::{ApiError, ErrorKind};

/// One action on one resource.
#[derive(Debug, Clone)]
pub struct Access {
    /// `dynamodb:GetItem`.
    pub action: String,
    /// A table, index or stream ARN, or `*`.
    pub resource: String,
    pub context: ConditionContext,
}

impl Access {
    pub fn new(operation: &str, resource: String) -> Access {
        Access {
            action: format!("dynamodb:{operation}"),
            resource,
            context: ConditionContext::new(),
        }
    }

    /// For actions that name no resource (ListTables, DescribeLimits, ListStreams).
    pub fn account_wide(operation: &str) -> Access {
        Access::new(operation, "*".to_string())
    }

    pub fn with(mut self, key: &str, values: Vec<String>) -> Access {
        self.context.set(key, values);
        self
    }

    pub fn with_one(self, key: &str, value: Option<&str>) -> Access {
        match value {
            Some(v) => self.with(key, vec![v.to_string()]),
            None => self,
        }
    }
}

/// A request's accesses, computed from its typed input.
/// `operation` is the API name (`DescribeTable`); several share one input type.
pub trait Accesses {
    fn accesses(&self, operation: &str, engine: &Engine, ctx: &RequestContext) -> Result<Vec<Access>, ApiError>;
}

impl Engine {
    /// Authorizes `input` for the caller in `ctx`: every access must be allowed.
    /// Without an authenticated principal (authentication off) nothing is checked.
    pub fn authorize<I: Accesses>(&self, ctx: &RequestContext, operation: &str, input: &I) -> Result<(), ApiError> {
        let Some(principal) = &ctx.principal else {
            return Ok(());
        };
        // Allowed everything by identity, and no resource policy anywhere that could
        // deny: nothing to evaluate.
        if principal.policies.is_none() && !self.catalog.resource_policies_seen() {
            return Ok(());
        }
        for mut access in input.accesses(operation, self, ctx)? {
            self.authorize_access(ctx, &mut access)?;
        }
        Ok(())
    }

    fn authorize_access(&self, ctx: &RequestContext, access: &mut Access) -> Result<(), ApiError> {
        let Some(principal) = &ctx.principal else {
            return Ok(());
        };
        let context = &mut access.context;
        context.set_one("aws:username", principal.name.clone());
        context.set_one("aws:userid", principal.access_key_id.clone());
        context.set_one("aws:PrincipalArn", principal.arn.clone());
        context.set_one("aws:PrincipalAccount", self.config.account_id.clone());
        context.set_one("aws:SecureTransport", ctx.secure_transport.to_string());
        context.set_one("aws:RequestedRegion", ctx.region.clone());
        // A stored policy that no longer parses may hold denials: fail closed.
        let resource_policy = match self.resource_policy_of(ctx, &access.resource) {
            Ok(policy) => policy,
            Err(()) => {
                return Err(denied(
                    principal,
                    access,
                    "with an explicit deny in a resource-based policy".to_string(),
                ))
            }
        };
        let request = AccessRequest {
            action: &access.action,
            resource: &access.resource,
            principal_arn: &principal.arn,
            context: &access.context,
        };
        let reason = match evaluate(principal.policies.as_deref(), resource_policy.as_ref(), &request) {
            Decision::Allow => return Ok(()),
            Decision::ImplicitDeny => format!("because no identity-based policy allows the {} action", access.action),
            Decision::ExplicitDeny(PolicyKind::Identity) => {
                "with an explicit deny in an identity-based policy".to_string()
            }
            Decision::ExplicitDeny(PolicyKind::Resource) => {
                "with an explicit deny in a resource-based policy".to_string()
            }
        };
        Err(denied(principal, access, reason))
    }
}

fn denied(principal: &cairn_auth::Principal, access: &Access, reason: String) -> ApiError {
    ApiError::new(
        ErrorKind::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {} on resource: {} {reason}",
            principal.arn, access.action, access.resource
        ),
    )
}
