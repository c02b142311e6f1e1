//! Request and response shapes at the wire boundary, PascalCase as DynamoDB names
//! them. Inputs keep enum-like fields as strings: DynamoDB answers a bad enum value with
//! a ValidationException (checked in the engine), not a SerializationException.

pub mod account;
pub mod backup;
pub mod capacity;
pub mod item;
pub mod partiql;
pub mod read;
pub mod streams;
pub mod table;
pub mod transact;
pub mod transfer;
pub mod vector;

pub use account::*;
pub use backup::*;
pub use capacity::*;
pub use item::*;
pub use partiql::*;
pub use read::{QueryInput, ReadPageOutput, ScanInput};
pub use streams::*;
pub use table::*;
pub use transact::*;
pub use transfer::*;
pub use vector::*;
