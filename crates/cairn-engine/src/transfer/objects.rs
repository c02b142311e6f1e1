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

/// A real S3-compatible endpoint (AWS S3, MinIO, Ceph, ...), through the
/// object_store crate. Credentials and region come from the usual AWS environment
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_REGION`); requests use path-style addressing.
pub struct S3Endpoint {
    endpoint: String,
    runtime: tokio::runtime::Runtime,
    buckets: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<object_store::aws::AmazonS3>>>,
}

impl Debug for S3Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Endpoint").field("endpoint", &self.endpoint).finish()
    }
}

fn s3_error(e: object_store::Error, bucket: &str) -> ObjectError {
    let text = e.to_string();
    if text.contains("NoSuchBucket") || text.contains("bucket does not exist") {
        ObjectError::NoSuchBucket(bucket.to_string())
    } else {
        ObjectError::Other(text)
    }
}

impl S3Endpoint {
    pub fn new(endpoint: &str) -> Result<S3Endpoint, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(S3Endpoint {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            runtime,
            buckets: Default::default(),
        })
    }

    fn bucket(&self, bucket: &str) -> Result<std::sync::Arc<object_store::aws::AmazonS3>, ObjectError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = buckets.get(bucket) {
            return Ok(store.clone());
        }
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(bucket)
            .with_region(
                env("AWS_REGION")
                    .or_else(|| env("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|| "us-east-1".to_string()),
            );
        match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(key), Some(secret)) => {
                builder = builder.with_access_key_id(key).with_secret_access_key(secret);
                if let Some(token) = env("AWS_SESSION_TOKEN") {
                    builder = builder.with_token(token);
                }
            }
            _ => builder = builder.with_skip_signature(true),
        }
        let store = std::sync::Arc::new(builder.build().map_err(|e| ObjectError::Other(e.to_string()))?);
        // Bucket names come from requests: keep the cache small.
        if buckets.len() >= 64 {
            buckets.clear();
        }
        buckets.insert(bucket.to_string(), store.clone());
        Ok(store)
    }

    /// Runs `future` on this endpoint's runtime from a thread of its own, so it
    /// works from any caller (including a thread inside another runtime).
    fn run<T: Send>(&self, future: impl std::future::Future<Output = T> + Send) -> T {
        std::thread::scope(|scope| {
            scope
                .spawn(|| self.runtime.block_on(future))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

fn object_path(key: &str) -> Result<object_store::path::Path, ObjectError> {
    object_store::path::Path::parse(key).map_err(|e| ObjectError::InvalidKey(format!("{key}: {e}")))
}

impl ObjectStore for S3Endpoint {
    fn put(&self, bucket: &str, key: &str, data: &[u8]) -> Result<(), ObjectError> {
        use object_store::ObjectStoreExt as _;
        let store = self.bucket(bucket)?;
        let path = object_path(key)?;
        let payload = object_store::PutPayload::from(data.to_vec());
        self.run(async move { store.put(&path, payload).await })
            .map(|_| ())
            .map_err(|e| s3_error(e, bucket))
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, ObjectError> {
        use object_store::ObjectStoreExt as _;
        let store = self.bucket(bucket)?;
        let path = object_path(key)?;
        let result = self.run(async move {
            match store.get(&path).await {
                Ok(found) => found.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        result.map(|b| b.map(|b| b.to_vec())).map_err(|e| s3_error(e, bucket))
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, ObjectError> {
        use futures::StreamExt as _;
        let store = self.bucket(bucket)?;
        // object_store lists by directory: list the prefix's directory, then keep
        // the keys that start with the whole prefix (S3's string-prefix rule).
        let directory = match prefix.rfind('/') {
            Some(i) if i > 0 => Some(object_path(&prefix[..i])?),
            _ => None,
        };
        let listed = self.run(async move {
            let store: &object_store::aws::AmazonS3 = &store;
            let stream = object_store::ObjectStore::list(store, directory.as_ref());
            stream.collect::<Vec<_>>().await
        });
        let mut found = Vec::new();
        for meta in listed {
            let meta = meta.map_err(|e| match e {
                object_store::Error::NotFound { .. } => ObjectError::NoSuchBucket(bucket.to_string()),
                other => s3_error(other, bucket),
            })?;
            let key = meta.location.to_string();
            if key.starts_with(prefix) {
                found.push(ObjectInfo { key, size: meta.size });
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
