//! One process at a time on a data directory: `DATA_DIR/cairn.lock`, locked for as
//! long as the returned file is open (the lock goes with the process, however it
//! ends). Two processes writing one embedded store would corrupt it.

use std::fs::File;
use std::path::Path;

pub enum LockError {
    /// Another process holds the directory.
    InUse(String),
    Other(String),
}

impl From<LockError> for String {
    fn from(e: LockError) -> String {
        match e {
            LockError::InUse(m) | LockError::Other(m) => m,
        }
    }
}

/// Locks `dir` (created if missing) for this process.
pub fn lock(dir: &Path) -> Result<File, LockError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| LockError::Other(format!("cannot create data directory {}: {e}", dir.display())))?;
    let path = dir.join("cairn.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LockError::Other(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::InUse(format!(
            "data directory {} is in use by another process (another cairn serve?): stop it, or choose another --data-dir",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(LockError::Other(format!("cannot lock {}: {e}", path.display()))),
    }
}
