//! DescribeEndpoints and DescribeLimits: account-level answers with DynamoDB's values
//! (its published defaults), so SDKs and tools that ask get what they expect.

use crate::{Engine, RequestContext};
use cairn_model::types::{DescribeEndpointsOutput, DescribeLimitsOutput, EmptyInput, Endpoint};
use cairn_model::ApiError;

/// DynamoDB's default account and table throughput quotas.
const ACCOUNT_MAX_CAPACITY_UNITS: i64 = 80_000;
const TABLE_MAX_CAPACITY_UNITS: i64 = 40_000;
/// How long clients may cache the endpoint list (DynamoDB: one day).
const ENDPOINT_CACHE_MINUTES: i64 = 1440;

impl Engine {
    /// The regional endpoint, named as DynamoDB names it.
    pub fn describe_endpoints(
        &self,
        ctx: &RequestContext,
        _input: EmptyInput,
    ) -> Result<DescribeEndpointsOutput, ApiError> {
        Ok(DescribeEndpointsOutput {
            endpoints: vec![Endpoint {
                address: format!("dynamodb.{}.amazonaws.com", ctx.region),
                cache_period_in_minutes: ENDPOINT_CACHE_MINUTES,
            }],
        })
    }

    pub fn describe_limits(&self, _ctx: &RequestContext, _input: EmptyInput) -> Result<DescribeLimitsOutput, ApiError> {
        Ok(DescribeLimitsOutput {
            account_max_read_capacity_units: ACCOUNT_MAX_CAPACITY_UNITS,
            account_max_write_capacity_units: ACCOUNT_MAX_CAPACITY_UNITS,
            table_max_read_capacity_units: TABLE_MAX_CAPACITY_UNITS,
            table_max_write_capacity_units: TABLE_MAX_CAPACITY_UNITS,
        })
    }
}
