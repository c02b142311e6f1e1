//! The operation table: `X-Amz-Target` suffix to handler, sorted by name.

use crate::wire::{decode, encode};
use cairn_engine::{Engine, RequestContext};
use cairn_model::ApiError;

type Handler = fn(&Engine, &RequestContext, &[u8]) -> Result<Vec<u8>, ApiError>;

/// A handler: decode the typed input, authorize it (when a principal was
/// authenticated), run the engine operation, encode its output.
macro_rules! op {
    ($name:literal, $method:ident) => {
        ($name, |e, c, b| {
            let input = decode(b)?;
            e.authorize(c, $name, &input)?;
            encode(&e.$method(c, input)?)
        })
    };
    // Query and Scan: the engine writes the page's items as JSON itself.
    ($name:literal, $method:ident, page) => {
        ($name, |e, c, b| {
            let input = decode(b)?;
            e.authorize(c, $name, &input)?;
            e.$method(c, input)?
                .to_json()
                .map_err(|e| ApiError::internal(format!("response encoding failed: {e}")))
        })
    };
    // Streams operations need no request context beyond authorization.
    ($name:literal, $method:ident, streams) => {
        ($name, |e, c, b| {
            let input = decode(b)?;
            e.authorize(c, $name, &input)?;
            encode(&e.$method(input)?)
        })
    };
}

/// Every operation Cairn answers, sorted alphabetically.
pub const OPERATIONS: &[(&str, Handler)] = &[
    op!("BatchExecuteStatement", batch_execute_statement),
    op!("BatchGetItem", batch_get_item),
    op!("BatchWriteItem", batch_write_item),
    op!("CancelBulkOperation", cancel_bulk_operation),
    op!("CreateBackup", create_backup),
    op!("CreateTable", create_table),
    op!("DeleteBackup", delete_backup),
    op!("DeleteItem", delete_item),
    op!("DeleteResourcePolicy", delete_resource_policy),
    op!("DeleteTable", delete_table),
    op!("DescribeBackup", describe_backup),
    op!("DescribeBulkOperation", describe_bulk_operation),
    op!("DescribeContinuousBackups", describe_continuous_backups),
    op!("DescribeContributorInsights", describe_contributor_insights),
    op!("DescribeEndpoints", describe_endpoints),
    op!("DescribeExport", describe_export),
    op!("DescribeImport", describe_import),
    op!("DescribeLimits", describe_limits),
    op!("DescribeTable", describe_table),
    op!("DescribeTimeToLive", describe_time_to_live),
    op!("ExecuteStatement", execute_statement),
    op!("ExecuteTransaction", execute_transaction),
    op!("ExportTableToPointInTime", export_table_to_point_in_time),
    op!("GetItem", get_item),
    op!("GetResourcePolicy", get_resource_policy),
    op!("ImportTable", import_table),
    op!("ListBackups", list_backups),
    op!("ListBulkOperations", list_bulk_operations),
    op!("ListContributorInsights", list_contributor_insights),
    op!("ListExports", list_exports),
    op!("ListImports", list_imports),
    op!("ListTables", list_tables),
    op!("ListTagsOfResource", list_tags_of_resource),
    op!("PutItem", put_item),
    op!("PutResourcePolicy", put_resource_policy),
    op!("Query", query_for_wire, page),
    op!("RestoreTableFromBackup", restore_table_from_backup),
    op!("RestoreTableToPointInTime", restore_table_to_point_in_time),
    op!("Scan", scan_for_wire, page),
    op!("SearchVectors", search_vectors),
    op!("StartBulkPutItems", start_bulk_put_items),
    op!("TagResource", tag_resource),
    op!("TransactGetItems", transact_get_items),
    op!("TransactWriteItems", transact_write_items),
    op!("UntagResource", untag_resource),
    op!("UpdateContinuousBackups", update_continuous_backups),
    op!("UpdateContributorInsights", update_contributor_insights),
    op!("UpdateItem", update_item),
    op!("UpdateTable", update_table),
    op!("UpdateTimeToLive", update_time_to_live),
];

/// The DynamoDB Streams operations, sorted alphabetically.
pub const STREAM_OPERATIONS: &[(&str, Handler)] = &[
    op!("DescribeStream", describe_stream, streams),
    op!("GetRecords", get_records, streams),
    op!("GetShardIterator", get_shard_iterator, streams),
    op!("ListStreams", list_streams),
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
