//! The limits every stored item obeys — nesting depth, attribute names, size — checked
//! on the item about to be stored, whatever built it (PutItem, an update action,
//! list_append, PartiQL, a transaction). The write path calls [`check_item_to_store`];
//! the stored-item decoder uses the same [`MAX_NESTING_DEPTH`] and the same depth
//! convention ([`value_depth_allowed`]), so the writer can never store what the reader
//! refuses.

use crate::error::ApiError;
use crate::limits::{MAX_ATTRIBUTE_NAME_LENGTH, MAX_ITEM_SIZE, MAX_NESTING_DEPTH};
use crate::value::{item_size, AttributeValue, Item};

/// Whether a value at `depth` may be written: a top-level attribute's value is at
/// depth 0 and each map or list adds one. DynamoDB counts the attribute itself as
/// level 1 and allows 32 levels, so an attribute holding 31 nested maps around a
/// string is the deepest it accepts.
pub fn value_depth_allowed(depth: usize) -> bool {
    depth < MAX_NESTING_DEPTH
}

/// Whether a stored value at `depth` may be read back. INVARIANT: at least as
/// permissive as [`value_depth_allowed`], so every item written can be read. The one
/// extra level reads items stored before December 2026, when the request decoder
/// counted one level fewer than DynamoDB; anything deeper is corruption.
pub fn stored_value_depth_readable(depth: usize) -> bool {
    depth <= MAX_NESTING_DEPTH
}

/// DynamoDB's answer for an item nested too deep.
pub fn nesting_error() -> ApiError {
    ApiError::validation(
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
    )
}

/// DynamoDB's answer for an item over 400 KB.
pub fn item_size_error() -> ApiError {
    ApiError::validation("Item size has exceeded the maximum allowed size")
}

/// Checks an attribute name, at any level of an item.
pub fn check_attribute_name(name: &str) -> Result<(), ApiError> {
    // Both wordings as real DynamoDB returns them (the second with the front end's
    // "1 validation error" prefix, the first without).
    if name.is_empty() {
        return Err(ApiError::validation("Empty attribute name"));
    }
    if name.len() > MAX_ATTRIBUTE_NAME_LENGTH {
        return Err(ApiError::validation(
            "1 validation error detected: Attribute name is too large, must be less than 65536 bytes",
        ));
    }
    Ok(())
}

/// Every limit of an item that is about to be written.
pub fn check_item_to_store(item: &Item) -> Result<(), ApiError> {
    check_map(item, 0)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(item_size_error());
    }
    Ok(())
}

fn check_map(map: &Item, depth: usize) -> Result<(), ApiError> {
    for (name, value) in map {
        check_attribute_name(name)?;
        check_value(value, depth)?;
    }
    Ok(())
}

fn check_value(value: &AttributeValue, depth: usize) -> Result<(), ApiError> {
    if !value_depth_allowed(depth) {
        return Err(nesting_error());
    }
    match value {
        AttributeValue::M(m) => check_map(m, depth + 1),
        AttributeValue::L(l) => l.iter().try_for_each(|v| check_value(v, depth + 1)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value with `levels` maps around a string.
    fn nested(levels: usize) -> AttributeValue {
        (0..levels).fold(AttributeValue::S("x".into()), |inner, _| {
            AttributeValue::M(Item::from([("a".to_string(), inner)]))
        })
    }

    fn item_with(value: AttributeValue) -> Item {
        Item::from([
            ("pk".to_string(), AttributeValue::S("k".into())),
            ("d".to_string(), value),
        ])
    }

    #[test]
    fn an_attribute_may_hold_thirty_one_nested_maps_but_not_thirty_two() {
        assert!(check_item_to_store(&item_with(nested(31))).is_ok());
        let error = check_item_to_store(&item_with(nested(32))).unwrap_err();
        assert_eq!(error.message, nesting_error().message);
        assert!(error
            .message
            .starts_with("Nesting Levels have exceeded supported limits"));
    }

    #[test]
    fn every_depth_the_writer_allows_the_reader_reads() {
        for depth in 0..100 {
            assert!(!value_depth_allowed(depth) || stored_value_depth_readable(depth));
        }
    }

    #[test]
    fn attribute_names_up_to_65535_bytes_are_allowed() {
        assert!(check_attribute_name(&"n".repeat(65535)).is_ok());
        let e = check_attribute_name(&"n".repeat(65536)).unwrap_err();
        assert!(e
            .message
            .ends_with("Attribute name is too large, must be less than 65536 bytes"));
        assert_eq!(check_attribute_name("").unwrap_err().message, "Empty attribute name");
    }

    #[test]
    fn lists_count_as_levels_like_maps() {
        let deep = (0..32).fold(AttributeValue::Null, |inner, _| AttributeValue::L(vec![inner]));
        assert!(check_item_to_store(&item_with(deep)).is_err());
        let ok = (0..31).fold(AttributeValue::Null, |inner, _| AttributeValue::L(vec![inner]));
        assert!(check_item_to_store(&item_with(ok)).is_ok());
    }

    #[test]
    fn empty_attribute_names_are_refused_at_any_level() {
        let top = Item::from([(String::new(), AttributeValue::Null)]);
        assert!(check_item_to_store(&top).is_err());
        let inner = item_with(AttributeValue::M(Item::from([(String::new(), AttributeValue::Null)])));
        assert!(check_item_to_store(&inner).is_err());
    }

    #[test]
    fn size_is_checked_on_the_whole_item() {
        let big = item_with(AttributeValue::S("x".repeat(MAX_ITEM_SIZE)));
        assert_eq!(
            check_item_to_store(&big).unwrap_err().message,
            item_size_error().message
        );
        let fits = item_with(AttributeValue::S("x".repeat(MAX_ITEM_SIZE - 3 - 1 - 2)));
        assert!(check_item_to_store(&fits).is_ok());
    }
}
