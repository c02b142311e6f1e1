//! The few storage errors the engine must tell apart.

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// A concurrent transaction changed what this one read; retrying may succeed.
    #[error("transaction conflict")]
    Conflict,
    /// The backend cannot serve requests now (I/O failure, connection lost).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored bytes are not what was written.
    #[error("storage corruption: {0}")]
    Corruption(String),
    #[error("storage error: {0}")]
    Other(String),
}

pub type StorageResult<T> = Result<T, StorageError>;
