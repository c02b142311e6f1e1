//! Administrative subcommands, one file each (DESIGN.md section 10).

pub mod backup;
pub mod cert;
pub mod check;
pub mod cost;
pub mod credentials;
pub mod explain;
pub mod export;
pub mod import;
pub mod postgres_source;
pub mod target;
