//! Fault injection, off unless configured: rules that make matching requests fail
//! with a DynamoDB error, or wait first, so applications can prove their retries and
//! idempotency. Deterministic: a rule fires on its Nth matching call, or on each call
//! whose draw (a hash of the rule's seed and the call's number) falls under its
//! probability — the same seed and the same calls give the same faults every run.
//!
//! Configured with `cairn serve --faults FILE` (a JSON array of rules), the admin API
//! (`GET`, `POST` a rule, `DELETE` all at `/_cairn/faults`) or `cairn fault
//! add|list|clear`. Not served with `--auth` (a test tool, like the clock).

use cairn_model::{ApiError, ErrorKind};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const PATH: &str = "/_cairn/faults";

/// The errors a rule may answer, with DynamoDB's messages.
const ERRORS: &[(&str, ErrorKind, &str)] = &[
    (
        "ThrottlingException",
        ErrorKind::Throttling,
        "Rate of requests exceeds the allowed throughput.",
    ),
    (
        "ProvisionedThroughputExceededException",
        ErrorKind::ProvisionedThroughputExceeded,
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    ),
    (
        "TransactionConflictException",
        ErrorKind::TransactionConflict,
        "Transaction is ongoing for the item",
    ),
    ("InternalServerError", ErrorKind::InternalServerError, "Internal server error"),
    (
        "RequestLimitExceeded",
        ErrorKind::RequestLimitExceeded,
        "Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase",
    ),
];

/// One rule as configured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Only requests naming this table (any table when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Only this operation, e.g. `PutItem` (any when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The error to answer (see ERRORS); none: only `latencyMs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Fire on each matching call with this probability (0..=1) ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// ... or on the Nth matching call only (1 = the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Wait this long before answering (or failing) when the rule fires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Seed of the probability draws.
    #[serde(default)]
    pub seed: u64,
}

impl Rule {
    fn check(&self) -> Result<(), String> {
        if let Some(error) = &self.error {
            if !ERRORS.iter().any(|(name, _, _)| name == error) {
                let names: Vec<&str> = ERRORS.iter().map(|(n, _, _)| *n).collect();
                return Err(format!("unknown error {error}: one of {}", names.join(", ")));
            }
        }
        if self.error.is_none() && self.latency_ms.is_none() {
            return Err("a rule needs an error, a latencyMs, or both".to_string());
        }
        match (self.probability, self.nth) {
            (Some(p), None) if (0.0..=1.0).contains(&p) => Ok(()),
            (Some(_), None) => Err("probability must be between 0 and 1".to_string()),
            (None, Some(n)) if n >= 1 => Ok(()),
            (None, Some(_)) => Err("nth counts from 1".to_string()),
            (None, None) => Err("a rule needs a probability or an nth call".to_string()),
            (Some(_), Some(_)) => Err("a rule takes a probability or an nth call, not both".to_string()),
        }
    }
}

/// A rule with the count of calls it matched so far.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Armed {
    #[serde(flatten)]
    rule: Rule,
    matched: u64,
    fired: u64,
}

/// What a request is to suffer.
#[derive(Debug, Default)]
pub struct Fault {
    pub delay: Option<Duration>,
    pub error: Option<ApiError>,
}

/// The rules of one server.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Armed>>,
    /// Whether any rule is set: requests look no further when none is.
    active: AtomicBool,
}

/// A draw in [0, 1) from (seed, rule, call): SplitMix64 of their mix.
fn draw(seed: u64, rule: usize, call: u64) -> f64 {
    let mut z = seed
        .wrapping_add((rule as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(call.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

impl Faults {
    /// Rules from a JSON array (`--faults FILE`).
    pub fn from_json(text: &str) -> Result<Faults, String> {
        let rules: Vec<Rule> = serde_json::from_str(text).map_err(|e| format!("not a list of fault rules: {e}"))?;
        let faults = Faults::default();
        for rule in rules {
            faults.add(rule)?;
        }
        Ok(faults)
    }

    pub fn add(&self, rule: Rule) -> Result<(), String> {
        rule.check()?;
        let mut rules = self.lock();
        rules.push(Armed {
            rule,
            matched: 0,
            fired: 0,
        });
        // Set while the rules are locked: a concurrent clear cannot leave it wrong.
        self.active.store(true, Ordering::Relaxed);
        Ok(())
    }

    pub fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.active.store(false, Ordering::Relaxed);
    }

    /// Whether any rule is set (one atomic load).
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Armed>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the request (`operation` on `table`) suffers: the first rule that fires
    /// decides the error; delays add up.
    pub fn on_request(&self, operation: &str, table: Option<&str>) -> Fault {
        let mut fault = Fault::default();
        let mut rules = self.lock();
        for (index, armed) in rules.iter_mut().enumerate() {
            let rule = &armed.rule;
            if rule.operation.as_deref().is_some_and(|o| o != operation)
                || rule.table.as_deref().is_some_and(|t| Some(t) != table)
            {
                continue;
            }
            armed.matched += 1;
            let fires = match (rule.nth, rule.probability) {
                (Some(n), _) => armed.matched == n,
                (None, Some(p)) => draw(rule.seed, index, armed.matched) < p,
                (None, None) => false,
            };
            if !fires {
                continue;
            }
            armed.fired += 1;
            if let Some(ms) = rule.latency_ms {
                fault.delay = Some(fault.delay.unwrap_or_default() + Duration::from_millis(ms));
            }
            if fault.error.is_none() {
                fault.error = rule.error.as_deref().and_then(|name| {
                    ERRORS
                        .iter()
                        .find(|(n, _, _)| *n == name)
                        .map(|(_, kind, message)| ApiError::new(*kind, *message))
                });
            }
        }
        fault
    }

    /// The admin call: GET lists the rules (with how often each matched and fired),
    /// POST adds the rule in the body, DELETE removes them all.
    pub fn handle(&self, method: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        match method {
            "GET" => {}
            "POST" => {
                let rule: Rule =
                    serde_json::from_slice(body).map_err(|e| ApiError::validation(format!("not a fault rule: {e}")))?;
                self.add(rule).map_err(ApiError::validation)?;
            }
            "DELETE" => self.clear(),
            _ => return Err(ApiError::validation(format!("no such faults call: {method}"))),
        }
        Ok(serde_json::to_vec(&serde_json::json!({ "rules": *self.lock() })).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: serde_json::Value) -> Rule {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_nth_call_fires_exactly_once() {
        let faults = Faults::default();
        faults
            .add(rule(
                serde_json::json!({"operation": "PutItem", "error": "InternalServerError", "nth": 3}),
            ))
            .unwrap();
        let fired: Vec<bool> = (0..10)
            .map(|_| faults.on_request("PutItem", Some("t")).error.is_some())
            .collect();
        assert_eq!(
            fired,
            [false, false, true, false, false, false, false, false, false, false]
        );
        // Other operations are not counted.
        assert!(faults.on_request("GetItem", Some("t")).error.is_none());
    }

    #[test]
    fn the_same_seed_fires_on_the_same_calls() {
        let pattern = |seed: u64| {
            let faults = Faults::default();
            faults
                .add(rule(
                    serde_json::json!({"error": "ThrottlingException", "probability": 0.3, "seed": seed}),
                ))
                .unwrap();
            (0..200)
                .map(|_| faults.on_request("GetItem", None).error.is_some())
                .collect::<Vec<bool>>()
        };
        assert_eq!(pattern(7), pattern(7));
        assert_ne!(pattern(7), pattern(8));
        let fired = pattern(7).iter().filter(|f| **f).count();
        assert!((35..=85).contains(&fired), "about 30% of 200: {fired}");
    }

    #[test]
    fn a_rule_needs_a_known_error_and_one_trigger() {
        let faults = Faults::default();
        assert_eq!(
            faults.add(rule(serde_json::json!({"error": "Oops", "nth": 1}))).unwrap_err(),
            "unknown error Oops: one of ThrottlingException, ProvisionedThroughputExceededException, TransactionConflictException, InternalServerError, RequestLimitExceeded"
        );
        assert_eq!(
            faults
                .add(rule(serde_json::json!({"error": "InternalServerError"})))
                .unwrap_err(),
            "a rule needs a probability or an nth call"
        );
        assert!(faults.is_empty());
        faults
            .add(rule(serde_json::json!({"latencyMs": 5, "probability": 1.0})))
            .unwrap();
        assert_eq!(faults.on_request("Scan", None).delay, Some(Duration::from_millis(5)));
    }
}
