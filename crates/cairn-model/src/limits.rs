//! DynamoDB's documented limits, as named constants.

/// Maximum item size, attribute names included (400 KB).
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// Partition key value: at most 2048 bytes.
pub const MAX_PARTITION_KEY_SIZE: usize = 2048;
/// Sort key value: at most 1024 bytes.
pub const MAX_SORT_KEY_SIZE: usize = 1024;
/// Significant digits of a Number.
pub const MAX_NUMBER_DIGITS: usize = 38;
/// Largest decimal exponent: magnitudes must be below 1E+126.
pub const MAX_NUMBER_MAGNITUDE_EXPONENT: i32 = 126;
/// Smallest decimal exponent: magnitudes must be at least 1E-130.
pub const MIN_NUMBER_MAGNITUDE_EXPONENT: i32 = -130;
/// Nesting depth of maps and lists inside an item.
pub const MAX_NESTING_DEPTH: usize = 32;
/// Table names: 3..=255 characters of [a-zA-Z0-9_.-].
pub const MIN_TABLE_NAME_LENGTH: usize = 3;
pub const MAX_TABLE_NAME_LENGTH: usize = 255;
/// Index names: 3..=255 characters of [a-zA-Z0-9_.-].
pub const MIN_INDEX_NAME_LENGTH: usize = 3;
pub const MAX_INDEX_NAME_LENGTH: usize = 255;
/// Attribute names used as keys: at most 255 bytes.
pub const MAX_KEY_ATTRIBUTE_NAME_LENGTH: usize = 255;
/// BatchGetItem: keys per request.
pub const MAX_BATCH_GET_KEYS: usize = 100;
/// BatchWriteItem: requests per call.
pub const MAX_BATCH_WRITE_REQUESTS: usize = 25;
/// BatchGetItem: response payload before the rest goes to UnprocessedKeys (16 MB).
pub const MAX_BATCH_GET_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// ListTables: Limit range.
pub const MAX_LIST_TABLES_LIMIT: i64 = 100;
/// GSIs and LSIs per table.
pub const MAX_GSIS: usize = 20;
pub const MAX_LSIS: usize = 5;
/// Non-key attributes projected into all of a table's indexes together.
pub const MAX_PROJECTED_NON_KEY_ATTRIBUTES: usize = 100;
/// Capacity unit sizes.
pub const READ_UNIT_BYTES: usize = 4096;
pub const WRITE_UNIT_BYTES: usize = 1024;
/// PartiQL statements: 1..=8192 characters.
pub const MAX_PARTIQL_STATEMENT_LENGTH: usize = 8192;
/// Attribute names (in items and in ExpressionAttributeNames): 1..=65535 bytes.
pub const MAX_ATTRIBUTE_NAME_LENGTH: usize = 65535;
