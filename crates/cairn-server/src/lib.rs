//! `cairn-server` puts the engine on the network: an HTTP/1.1 listener speaking
//! DynamoDB's JSON 1.0 protocol (`POST /`, routed by `X-Amz-Target`), request
//! decoding, the Authorization header, response framing (CRC32, request id) and the
//! one place errors become bytes.
//!
//! It is not the engine (no DynamoDB semantics here) and never touches storage.

pub mod admin;
pub mod auth;
pub mod connection_threads;
pub mod console;
mod encoding;
mod http;
mod listener;
pub mod local_mode;
pub mod metrics;
mod router;
mod tls;
mod wire;

pub use auth::Authenticator;
pub use connection_threads::ConnectionThreads;
pub use http::{call_operation, serve, HealthCheck, ServerConfig};
pub use tls::tls_config;

pub use router::{OPERATIONS, STREAM_OPERATIONS};
