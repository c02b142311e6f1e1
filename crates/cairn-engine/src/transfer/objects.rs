//! Where exports are written and imports read: a stand-in for S3. The default is a
//! directory on this machine, one sub-directory per bucket, object keys as paths
//! below it.

use std::fmt::Debug;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Why an object operation failed, in the terms DynamoDB reports for S3.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectError {
    /// The bucket does not exist.
    NoSuchBucket(String),
    /// The key cannot name an object (empty, `..`, absolute).
    InvalidKey(String),
    /// Anything else (I/O, network).
    Other(String),
}

impl std::fmt::Display for ObjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectError::NoSuchBucket(b) => write!(f, "The specified bucket does not exist: {b}"),
            ObjectError::InvalidKey(k) => write!(f, "Invalid object key: {k}"),
            ObjectError::Other(e) => f.write_str(e),
        }
    }
}

/// One object listed under a prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

/// A store of objects in buckets, as S3 is.
pub trait ObjectStore: Send + Sync + Debug {
    /// Writes a whole object (replacing any object of that key).
    fn put(&self, bucket: &str, key: &str, data: &[u8]) -> Result<(), ObjectError>;
    /// Reads a whole object; None if there is none.
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, ObjectError>;
    /// Every object whose key starts with `prefix`, sorted by key.
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, ObjectError>;
}

/// Buckets as sub-directories of a root directory.
#[derive(Debug, Clone)]
pub struct LocalDirectory {
    root: PathBuf,
}

impl LocalDirectory {
    pub fn new(root: impl Into<PathBuf>) -> LocalDirectory {
        LocalDirectory { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn bucket(&self, bucket: &str) -> Result<PathBuf, ObjectError> {
        let valid = !bucket.is_empty()
            && bucket != "."
            && bucket != ".."
            && bucket
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
        if !valid {
            return Err(ObjectError::NoSuchBucket(bucket.to_string()));
        }
        let path = self.root.join(bucket);
        if !path.is_dir() {
            return Err(ObjectError::NoSuchBucket(bucket.to_string()));
        }
        Ok(path)
    }

    fn object(&self, bucket: &str, key: &str) -> Result<PathBuf, ObjectError> {
        let dir = self.bucket(bucket)?;
        let relative = Path::new(key);
        let plain =
            !key.is_empty() && !key.ends_with('/') && relative.components().all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(ObjectError::InvalidKey(key.to_string()));
        }
        Ok(dir.join(relative))
    }
}

fn io(e: std::io::Error) -> ObjectError {
    ObjectError::Other(e.to_string())
}

impl ObjectStore for LocalDirectory {
    fn put(&self, bucket: &str, key: &str, data: &[u8]) -> Result<(), ObjectError> {
        let path = self.object(bucket, key)?;
        let parent = path.parent().ok_or_else(|| ObjectError::InvalidKey(key.to_string()))?;
        std::fs::create_dir_all(parent).map_err(io)?;
        // Written beside, then renamed: a reader never sees half an object.
        let mut file = tempfile::NamedTempFile::new_in(parent).map_err(io)?;
        file.write_all(data).map_err(io)?;
        file.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, ObjectError> {
        let path = self.object(bucket, key)?;
        match std::fs::read(&path) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if path.is_dir() => Err(ObjectError::InvalidKey(format!("{key}: {e}"))),
            Err(e) => Err(io(e)),
        }
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, ObjectError> {
        let dir = self.bucket(bucket)?;
        let mut found = Vec::new();
        let mut pending = vec![(dir, String::new())];
        while let Some((path, key_prefix)) = pending.pop() {
            for entry in std::fs::read_dir(&path).map_err(io)? {
                let entry = entry.map_err(io)?;
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                // Temporary files of objects being written are not objects yet.
                if name.starts_with(".tmp") {
                    continue;
                }
                let key = format!("{key_prefix}{name}");
                let kind = entry.file_type().map_err(io)?;
                if kind.is_dir() {
                    let below = format!("{key}/");
                    // Only directories that can hold keys with the prefix.
                    if below.starts_with(prefix) || prefix.starts_with(&below) {
                        pending.push((entry.path(), below));
                    }
                } else if kind.is_file() && key.starts_with(prefix) {
                    let size = entry.metadata().map_err(io)?.len();
                    found.push(ObjectInfo { key, size });
                }
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, LocalDirectory) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("bucket")).expect("bucket");
        let store = LocalDirectory::new(dir.path());
        (dir, store)
    }

    #[test]
    fn objects_are_files_below_their_bucket_directory() {
        let (dir, store) = store();
        store.put("bucket", "a/b/c.json", b"x").expect("put");
        assert_eq!(std::fs::read(dir.path().join("bucket/a/b/c.json")).expect("file"), b"x");
        assert_eq!(store.get("bucket", "a/b/c.json").expect("get"), Some(b"x".to_vec()));
        assert_eq!(store.get("bucket", "a/b/none").expect("get"), None);
    }

    #[test]
    fn a_missing_bucket_is_no_such_bucket() {
        let (_dir, store) = store();
        assert_eq!(
            store.put("other", "k", b"x"),
            Err(ObjectError::NoSuchBucket("other".to_string()))
        );
        assert!(matches!(store.list("..", ""), Err(ObjectError::NoSuchBucket(_))));
    }

    #[test]
    fn keys_cannot_leave_their_bucket() {
        let (_dir, store) = store();
        for key in ["../x", "/etc/passwd", "a/../../x", "", "dir/"] {
            assert!(
                matches!(store.put("bucket", key, b"x"), Err(ObjectError::InvalidKey(_))),
                "{key}"
            );
        }
        store.put("bucket", "a/x", b"x").expect("plain keys still work");
    }

    #[test]
    fn list_finds_keys_by_prefix_in_key_order() {
        let (_dir, store) = store();
        for key in ["p/2.gz", "p/1.gz", "p/sub/3.gz", "q/4.gz", "px"] {
            store.put("bucket", key, b"data").expect("put");
        }
        let keys: Vec<String> = store
            .list("bucket", "p/")
            .expect("list")
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["p/1.gz", "p/2.gz", "p/sub/3.gz"]);
        let keys: Vec<String> = store
            .list("bucket", "p")
            .expect("list")
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["p/1.gz", "p/2.gz", "p/sub/3.gz", "px"]);
        assert_eq!(store.list("bucket", "").expect("list").len(), 5);
        assert_eq!(store.list("bucket", "p/1").expect("list")[0].size, 4);
    }
}
