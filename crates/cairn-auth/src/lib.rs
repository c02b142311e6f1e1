//! `cairn-auth` decides who is calling and whether they may: AWS Signature Version 4
//! verification, the credentials file, and IAM-style policy evaluation (identity and
//! resource policies, with DynamoDB's fine-grained condition keys).
//!
//! Pure functions and plain data: no I/O beyond reading and writing the credentials
//! file, no knowledge of tables or items. The server feeds it a request's parts and
//! the engine-derived condition keys; it answers with a principal or an error.

pub mod condition;
pub mod credentials;
mod glob;
pub mod policy;
pub mod sigv4;
pub mod time;
pub mod verifier;

pub use condition::ConditionContext;
pub use credentials::{Credentials, CredentialsFile, Principal, PrincipalEntry};
pub use glob::glob_matches;
pub use policy::{evaluate, AccessRequest, Decision, Policy, PolicyKind};
pub use sigv4::HttpRequest;
pub use verifier::{Authenticated, Verifier};
