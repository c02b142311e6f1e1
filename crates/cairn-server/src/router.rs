//! The operation table: `X-Amz-Target` suffix to handler, sorted by name.

use crate::wire::{decode, encode};
use cairn_engine::{Engine, RequestContext};
use cairn_model::ApiError;

type Handler = fn(&Engine, &RequestContext, &[u8]) -> Result<Vec<u8>, ApiError>;

/// Every operation Cairn answers, sorted alphabetically.
pub const OPERATIONS: &[(&str, Handler)] = &[
    ("BatchExecuteStatement", |e, _, b| {
        encode(&e.batch_execute_statement(decode(b)?)?)
    }),
    ("BatchGetItem", |e, _, b| encode(&e.batch_get_item(decode(b)?)?)),
    ("BatchWriteItem", |e, _, b| encode(&e.batch_write_item(decode(b)?)?)),
    ("CreateTable", |e, c, b| encode(&e.create_table(c, decode(b)?)?)),
    ("DeleteItem", |e, _, b| encode(&e.delete_item(decode(b)?)?)),
    ("DeleteTable", |e, c, b| encode(&e.delete_table(c, decode(b)?)?)),
    ("DescribeTable", |e, c, b| encode(&e.describe_table(c, decode(b)?)?)),
    ("DescribeTimeToLive", |e, _, b| {
        encode(&e.describe_time_to_live(decode(b)?)?)
    }),
    ("ExecuteStatement", |e, _, b| encode(&e.execute_statement(decode(b)?)?)),
    ("ExecuteTransaction", |e, _, b| {
        encode(&e.execute_transaction(decode(b)?)?)
    }),
    ("GetItem", |e, _, b| encode(&e.get_item(decode(b)?)?)),
    ("ListTables", |e, _, b| encode(&e.list_tables(decode(b)?)?)),
    ("ListTagsOfResource", |e, c, b| {
        encode(&e.list_tags_of_resource(c, decode(b)?)?)
    }),
    ("PutItem", |e, _, b| encode(&e.put_item(decode(b)?)?)),
    ("Query", |e, _, b| encode(&e.query(decode(b)?)?)),
    ("Scan", |e, _, b| encode(&e.scan(decode(b)?)?)),
    ("TagResource", |e, c, b| encode(&e.tag_resource(c, decode(b)?)?)),
    ("TransactGetItems", |e, _, b| encode(&e.transact_get_items(decode(b)?)?)),
    ("TransactWriteItems", |e, _, b| {
        encode(&e.transact_write_items(decode(b)?)?)
    }),
    ("UntagResource", |e, c, b| encode(&e.untag_resource(c, decode(b)?)?)),
    ("UpdateItem", |e, _, b| encode(&e.update_item(decode(b)?)?)),
    ("UpdateTable", |e, c, b| encode(&e.update_table(c, decode(b)?)?)),
    ("UpdateTimeToLive", |e, _, b| {
        encode(&e.update_time_to_live(decode(b)?)?)
    }),
];

/// The DynamoDB Streams operations, sorted alphabetically.
pub const STREAM_OPERATIONS: &[(&str, Handler)] = &[
    ("DescribeStream", |e, _, b| encode(&e.describe_stream(decode(b)?)?)),
    ("GetRecords", |e, _, b| encode(&e.get_records(decode(b)?)?)),
    ("GetShardIterator", |e, _, b| encode(&e.get_shard_iterator(decode(b)?)?)),
    ("ListStreams", |e, _, b| encode(&e.list_streams(decode(b)?)?)),
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
