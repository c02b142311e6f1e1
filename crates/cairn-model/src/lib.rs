//! `cairn-model` owns DynamoDB's data model: attribute values and items, the rules
//! numbers and sizes follow, the order-preserving key codec, the compact binary item
//! codec, the typed request/response shapes seen at the wire boundary, and the one
//! wire error type.
//!
//! It is not an engine: nothing here knows about tables that exist, storage, or HTTP.

pub mod codec;
pub mod constraints;
pub mod error;
pub mod item_limits;
pub mod keycodec;
pub mod limits;
pub mod number;
pub mod render;
pub mod types;
pub mod value;
pub mod wire;

pub use error::{ApiError, ErrorKind};
pub use number::Number;
pub use value::{AttributeValue, Item};
