//! Building the stream record of one item change.

use super::{sequence_text, StreamMeta};
use crate::catalog::TableMeta;
use crate::keys::key_of;
use cairn_expr::compare::values_equal;
use cairn_model::types::{StreamRecord, StreamRecordBody, UserIdentity};
use cairn_model::value::item_size;
use cairn_model::{AttributeValue, Item};

/// Whether a write left the item exactly as it was (DynamoDB writes no record then).
fn unchanged(old: Option<&Item>, new: Option<&Item>) -> bool {
    match (old, new) {
        (None, None) => true,
        (Some(a), Some(b)) => values_equal(&AttributeValue::M(a.clone()), &AttributeValue::M(b.clone())),
        _ => false,
    }
}

/// The record for a change, or None when nothing changed.
pub(crate) fn record_for(
    table: &TableMeta,
    stream: &StreamMeta,
    old: Option<&Item>,
    new: Option<&Item>,
    sequence: u64,
    now: f64,
    identity: Option<&UserIdentity>,
) -> Option<StreamRecord> {
    if unchanged(old, new) {
        return None;
    }
    let event_name = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        _ => "REMOVE",
    };
    let keys = key_of(table, new.or(old)?);
    let (with_new, with_old) = match stream.view_type.as_str() {
        "NEW_IMAGE" => (true, false),
        "OLD_IMAGE" => (false, true),
        "NEW_AND_OLD_IMAGES" => (true, true),
        _ => (false, false),
    };
    let new_image = new.filter(|_| with_new).cloned();
    let old_image = old.filter(|_| with_old).cloned();
    let size_bytes =
        item_size(&keys) + new_image.as_ref().map_or(0, item_size) + old_image.as_ref().map_or(0, item_size);
    Some(StreamRecord {
        event_id: format!("{:032x}", (u128::from(stream.id) << 64) | u128::from(sequence)),
        event_name: event_name.to_string(),
        event_version: "1.1".to_string(),
        event_source: "aws:dynamodb".to_string(),
        aws_region: stream.region.clone(),
        dynamodb: StreamRecordBody {
            approximate_creation_date_time: now.floor(),
            keys,
            new_image,
            old_image,
            sequence_number: sequence_text(sequence),
            size_bytes,
            stream_view_type: stream.view_type.clone(),
        },
        user_identity: identity.cloned(),
    })
}
