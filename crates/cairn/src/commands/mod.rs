//! Administrative subcommands, one file each (DESIGN.md section 10).

pub mod admin_http;
pub mod backup;
pub mod cert;
pub mod check;
pub mod clock;
pub mod cost;
pub mod credentials;
pub mod explain;
pub mod export;
pub mod fault;
pub mod import;
pub mod postgres_source;
pub mod replay;
pub mod snapshot;
pub mod target;
