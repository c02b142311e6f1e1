//! AWS's JSON policy grammar (the parts DynamoDB policies use) and its evaluation:
//! statements with `Effect`, `Action`/`NotAction`, `Resource`/`NotResource`,
//! `Principal`/`NotPrincipal` (resource policies) and `Condition` blocks.
//!
//! Evaluation within one account, as AWS does it: an explicit deny in any applicable
//! policy wins; otherwise an allow in either an identity policy or the resource's
//! policy allows; otherwise the request is implicitly denied.

use crate::condition::{Condition, ConditionContext};
use crate::glob::glob_matches;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or its complement (`NotAction`, `NotResource`, `NotPrincipal`).
#[derive(Debug, Clone, PartialEq)]
struct Patterns {
    negated: bool,
    patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    effect: Effect,
    principals: Option<Patterns>,
    actions: Patterns,
    resources: Option<Patterns>,
    conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
    /// Policy variables (`${aws:username}`) are substituted only in version
    /// 2012-10-17 documents; in older ones they are literal text, as in AWS.
    variables: bool,
}

/// One authorization question: may the caller do `action` on `resource`?
#[derive(Debug, Clone)]
pub struct AccessRequest<'a> {
    /// `dynamodb:GetItem`.
    pub action: &'a str,
    /// A table, index or stream ARN, or `*` for account-wide actions.
    pub resource: &'a str,
    pub principal_arn: &'a str,
    pub context: &'a ConditionContext,
}

/// Which kind of policy decided a denial (it names the reason in the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny(PolicyKind),
    ImplicitDeny,
}

fn strings(value: &Value, field: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(format!("{field} must contain only strings")),
            })
            .collect(),
        _ => Err(format!("{field} must be a string or a non-empty list of strings")),
    }
}

fn patterns(statement: &serde_json::Map<String, Value>, name: &str) -> Result<Option<Patterns>, String> {
    let negated_name = format!("Not{name}");
    match (statement.get(name), statement.get(&negated_name)) {
        (Some(_), Some(_)) => Err(format!("a statement cannot have both {name} and {negated_name}")),
        (Some(v), None) => Ok(Some(Patterns {
            negated: false,
            patterns: strings(v, name)?,
        })),
        (None, Some(v)) => Ok(Some(Patterns {
            negated: true,
            patterns: strings(v, &negated_name)?,
        })),
        (None, None) => Ok(None),
    }
}

/// `"*"`, `{"AWS": "arn..."}` or `{"AWS": ["arn...", ...]}`.
fn principal_patterns(value: &Value, field: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) if s == "*" => Ok(vec!["*".to_string()]),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (kind, list) in map {
                if kind != "AWS" {
                    return Err(format!("{field} type {kind:?} is not supported; use \"AWS\""));
                }
                out.extend(strings(list, field)?);
            }
            if out.is_empty() {
                return Err(format!("{field} must name at least one principal"));
            }
            Ok(out)
        }
        _ => Err(format!(
            "{field} must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::...\"}}"
        )),
    }
}

impl Statement {
    fn parse(value: &Value) -> Result<Statement, String> {
        let Value::Object(map) = value else {
            return Err("each statement must be an object".to_string());
        };
        const KNOWN: &[&str] = &[
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
        ];
        if let Some(unknown) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("unknown statement field {unknown:?}"));
        }
        let effect = match map.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            Some(other) => return Err(format!("Effect must be \"Allow\" or \"Deny\", not {other:?}")),
            None => return Err("a statement needs an Effect".to_string()),
        };
        let actions = patterns(map, "Action")?.ok_or("a statement needs an Action or NotAction")?;
        let resources = patterns(map, "Resource")?;
        let principals = match (map.get("Principal"), map.get("NotPrincipal")) {
            (Some(_), Some(_)) => return Err("a statement cannot have both Principal and NotPrincipal".to_string()),
            (Some(v), None) => Some(Patterns {
                negated: false,
                patterns: principal_patterns(v, "Principal")?,
            }),
            (None, Some(v)) => Some(Patterns {
                negated: true,
                patterns: principal_patterns(v, "NotPrincipal")?,
            }),
            (None, None) => None,
        };
        let conditions = match map.get("Condition") {
            None => Vec::new(),
            Some(block) => Condition::parse_block(block)?,
        };
        Ok(Statement {
            effect,
            principals,
            actions,
            resources,
            conditions,
        })
    }

    fn applies(&self, request: &AccessRequest<'_>, variables: bool) -> bool {
        let action_listed = self
            .actions
            .patterns
            .iter()
            .any(|p| glob_matches(&p.to_ascii_lowercase(), &request.action.to_ascii_lowercase()));
        if action_listed == self.actions.negated {
            return false;
        }
        if let Some(resources) = &self.resources {
            let listed = resources.patterns.iter().any(|pattern| {
                let pattern = if variables {
                    match request.context.substitute(pattern) {
                        Some(p) => p,
                        None => return false,
                    }
                } else {
                    pattern.clone()
                };
                glob_matches(&pattern, request.resource)
            });
            if listed == resources.negated {
                return false;
            }
        }
        if let Some(principals) = &self.principals {
            // An account (its id or root ARN) named in a Deny denies every principal
            // of the account. In an Allow it only delegates to identity policies, as
            // in AWS, so it allows no one by itself.
            let account = request.principal_arn.split(':').nth(4).unwrap_or_default();
            let names_account = |p: &str| p == account || p == format!("arn:aws:iam::{account}:root");
            let listed = principals
                .patterns
                .iter()
                .any(|p| p == "*" || p == request.principal_arn || (self.effect == Effect::Deny && names_account(p)));
            if listed == principals.negated {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.holds(request.context, variables))
    }
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("the policy is not valid JSON: {e}"))?;
        Policy::from_value(&value)
    }

    /// A policy document given as a JSON object, or as JSON text inside a string.
    pub fn from_value(value: &Value) -> Result<Policy, String> {
        if let Value::String(text) = value {
            return Policy::parse(text);
        }
        let Value::Object(map) = value else {
            return Err("a policy document must be a JSON object".to_string());
        };
        if let Some(unknown) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
        {
            return Err(format!("unknown policy field {unknown:?}"));
        }
        let version = match map.get("Version") {
            None => "2008-10-17",
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => v.as_str(),
            Some(other) => return Err(format!("Version must be \"2012-10-17\" or \"2008-10-17\", not {other}")),
        };
        let statements = match map.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => {
                list.iter().map(Statement::parse).collect::<Result<_, _>>()?
            }
            Some(single @ Value::Object(_)) => vec![Statement::parse(single)?],
            _ => return Err("a policy needs a Statement: an object or a non-empty list".to_string()),
        };
        Ok(Policy {
            statements,
            variables: version == "2012-10-17",
        })
    }

    /// Checks the extra rules of a resource-based policy: every statement names its
    /// principals and resources.
    pub fn check_resource_policy(&self) -> Result<(), String> {
        for statement in &self.statements {
            if statement.principals.is_none() {
                return Err("each statement of a resource-based policy needs a Principal".to_string());
            }
            if statement.resources.is_none() {
                return Err("each statement of a resource-based policy needs a Resource".to_string());
            }
        }
        Ok(())
    }

    /// The effects of the statements that apply to `request`.
    fn effects<'s>(&'s self, request: &'s AccessRequest<'s>) -> impl Iterator<Item = Effect> + 's {
        self.statements
            .iter()
            .filter(move |s| s.applies(request, self.variables))
            .map(|s| s.effect)
    }
}

/// Decides `request` from the caller's identity policies (`None`: allowed everything)
/// and the resource's policy, if it has one.
pub fn evaluate(identity: Option<&[Policy]>, resource: Option<&Policy>, request: &AccessRequest<'_>) -> Decision {
    let mut allowed = identity.is_none();
    for policy in identity.unwrap_or_default() {
        for effect in policy.effects(request) {
            match effect {
                Effect::Deny => return Decision::ExplicitDeny(PolicyKind::Identity),
                Effect::Allow => allowed = true,
            }
        }
    }
    if let Some(policy) = resource {
        for effect in policy.effects(request) {
            match effect {
                Effect::Deny => return Decision::ExplicitDeny(PolicyKind::Resource),
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_needs_effect_and_action() {
        assert_eq!(
            Policy::parse(r#"{"Statement": [{"Action": "*", "Resource": "*"}]}"#).unwrap_err(),
            "a statement needs an Effect"
        );
        assert_eq!(
            Policy::parse(r#"{"Statement": {"Effect": "Allow", "Resource": "*"}}"#).unwrap_err(),
            "a statement needs an Action or NotAction"
        );
        assert!(Policy::parse(r#"{"Statement": {"Effect": "Allow", "Action": "*"}}"#).is_ok());
    }

    #[test]
    fn unknown_fields_and_versions_are_refused() {
        assert!(Policy::parse(r#"{"Version": "2020-01-01", "Statement": []}"#).is_err());
        assert!(
            Policy::parse(r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Reource": "*"}]}"#)
                .unwrap_err()
                .contains("Reource")
        );
        assert!(Policy::parse("[]").is_err());
        assert!(Policy::parse("{")
            .unwrap_err()
            .starts_with("the policy is not valid JSON"));
    }

    #[test]
    fn an_account_principal_denies_everyone_in_it_but_allows_no_one() {
        let context = ConditionContext::new();
        let request = AccessRequest {
            action: "dynamodb:GetItem",
            resource: "arn:aws:dynamodb:us-east-1:000000000000:table/t",
            principal_arn: "arn:aws:iam::000000000000:user/alice",
            context: &context,
        };
        for account in ["000000000000", "arn:aws:iam::000000000000:root"] {
            let deny = Policy::parse(&format!(
                r#"{{"Statement": {{"Effect": "Deny", "Principal": {{"AWS": "{account}"}}, "Action": "*", "Resource": "*"}}}}"#
            ))
            .unwrap();
            assert_eq!(
                evaluate(None, Some(&deny), &request),
                Decision::ExplicitDeny(PolicyKind::Resource)
            );
            let allow = Policy::parse(&format!(
                r#"{{"Statement": {{"Effect": "Allow", "Principal": {{"AWS": "{account}"}}, "Action": "*", "Resource": "*"}}}}"#
            ))
            .unwrap();
            assert_eq!(evaluate(Some(&[]), Some(&allow), &request), Decision::ImplicitDeny);
        }
    }

    #[test]
    fn resource_policies_name_principals_and_resources() {
        let identity_style =
            Policy::parse(r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#).unwrap();
        assert!(identity_style.check_resource_policy().is_err());
        let resource_style =
            Policy::parse(r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:user/a"}, "Action": "*", "Resource": "*"}}"#)
                .unwrap();
        assert!(resource_style.check_resource_policy().is_ok());
    }
}
