//! The operation table: `X-Amz-Target` suffix to handler, sorted by name.

use crate::wire::{decode, encode};
use cairn_engine::{Engine, RequestContext};
use cairn_model::ApiError;

type Handler = fn(&Engine, &RequestContext, &[u8]) -> Result<Vec<u8>, ApiError>;

/// Every operation Cairn answers, sorted alphabetically.
pub const OPERATIONS: &[(&str, Handler)] = &[
    ("BatchExecuteStatement", |e, c, b| {
        encode(&e.batch_execute_statement(c, decode(b)?)?)
    }),
    ("BatchGetItem", |e, c, b| encode(&e.batch_get_item(c, decode(b)?)?)),
    ("BatchWriteItem", |e, c, b| encode(&e.batch_write_item(c, decode(b)?)?)),
    ("CreateTable", |e, c, b| encode(&e.create_table(c, decode(b)?)?)),
    ("DeleteItem", |e, c, b| encode(&e.delete_item(c, decode(b)?)?)),
    ("DeleteTable", |e, c, b| encode(&e.delete_table(c, decode(b)?)?)),
    ("DescribeContinuousBackups", |e, c, b| {
        encode(&e.describe_continuous_backups(c, decode(b)?)?)
    }),
    ("DescribeEndpoints", |e, c, b| {
        encode(&e.describe_endpoints(c, decode(b)?)?)
    }),
    ("DescribeLimits", |e, c, b| encode(&e.describe_limits(c, decode(b)?)?)),
    ("DescribeTable", |e, c, b| encode(&e.describe_table(c, decode(b)?)?)),
    ("DescribeTimeToLive", |e, c, b| {
        encode(&e.describe_time_to_live(c, decode(b)?)?)
    }),
    ("ExecuteStatement", |e, c, b| {
        encode(&e.execute_statement(c, decode(b)?)?)
    }),
    ("ExecuteTransaction", |e, c, b| {
        encode(&e.execute_transaction(c, decode(b)?)?)
    }),
    ("GetItem", |e, c, b| encode(&e.get_item(c, decode(b)?)?)),
    ("ListTables", |e, c, b| encode(&e.list_tables(c, decode(b)?)?)),
    ("ListTagsOfResource", |e, c, b| {
        encode(&e.list_tags_of_resource(c, decode(b)?)?)
    }),
    ("PutItem", |e, c, b| encode(&e.put_item(c, decode(b)?)?)),
    ("Query", |e, c, b| encode(&e.query(c, decode(b)?)?)),
    ("Scan", |e, c, b| encode(&e.scan(c, decode(b)?)?)),
    ("TagResource", |e, c, b| encode(&e.tag_resource(c, decode(b)?)?)),
    ("TransactGetItems", |e, c, b| {
        encode(&e.transact_get_items(c, decode(b)?)?)
    }),
    ("TransactWriteItems", |e, c, b| {
        encode(&e.transact_write_items(c, decode(b)?)?)
    }),
    ("UntagResource", |e, c, b| encode(&e.untag_resource(c, decode(b)?)?)),
    ("UpdateItem", |e, c, b| encode(&e.update_item(c, decode(b)?)?)),
    ("UpdateTable", |e, c, b| encode(&e.update_table(c, decode(b)?)?)),
    ("UpdateTimeToLive", |e, c, b| {
        encode(&e.update_time_to_live(c, decode(b)?)?)
    }),
];

/// The DynamoDB Streams operations, sorted alphabetically.
pub const STREAM_OPERATIONS: &[(&str, Handler)] = &[
    ("DescribeStream", |e, _, b| encode(&e.describe_stream(decode(b)?)?)),
    ("GetRecords", |e, _, b| encode(&e.get_records(decode(b)?)?)),
    ("GetShardIterator", |e, _, b| encode(&e.get_shard_iterator(decode(b)?)?)),
    ("ListStreams", |e, c, b| encode(&e.list_streams(c, decode(b)?)?)),
];

const TARGET_PREFIX: &str = "DynamoDB_20120810.";
const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

/// Finds the handler for an `X-Amz-Target` header value.
pub(crate) fn route(target: Option<&str>) -> Result<Handler, ApiError> {
    let target = target.ok_or_else(ApiError::unknown_operation)?;
    let (table, operation) = if let Some(op) = target.strip_prefix(TARGET_PREFIX) {
        (OPERATIONS, op)
    } else if let Some(op) = target.strip_prefix(STREAMS_TARGET_PREFIX) {
        (STREAM_OPERATIONS, op)
    } else {
        return Err(ApiError::unknown_operation());
    };
    table
        .binary_search_by(|(name, _)| (*name).cmp(operation))
        .map(|i| table[i].1)
        .map_err(|_| ApiError::unknown_operation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_so_binary_search_finds_every_operation() {
        for table in [OPERATIONS, STREAM_OPERATIONS] {
            for w in table.windows(2) {
                assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
            }
        }
        for (name, _) in STREAM_OPERATIONS {
            assert!(route(Some(&format!("{STREAMS_TARGET_PREFIX}{name}"))).is_ok());
        }
        for (name, _) in OPERATIONS {
            assert!(route(Some(&format!("{TARGET_PREFIX}{name}"))).is_ok());
        }
        assert!(route(Some("DynamoDB_20120810.Nope")).is_err());
        assert!(route(Some("PutItem")).is_err());
        assert!(route(None).is_err());
    }
}
