//! The object store a remote state backend keeps its objects in: state snapshots, journal
//! segments and lock objects, addressed by key. The engine builds durable, locked state on
//! these five calls; a store crate (S3 in the AWS provider) only moves bytes.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's API refused or failed the call.
    #[error("{operation} {key}: {message}")]
    Api {
        operation: &'static str,
        key: String,
        message: String,
    },
    /// The store's configuration is not usable.
    #[error("{0}")]
    Config(String),
}

/// A flat namespace of objects addressed by key.
///
/// The contract:
/// - `put` and `create` return only once the object is durable: a reader after that sees
///   the bytes written (read-after-write consistency).
/// - `create` writes only when no object has the key, atomically with the check (S3's
///   `If-None-Match: *`); it returns `Ok(false)`, writing nothing, when one exists. Locks
///   rest on it.
/// - `get` of a missing key is `Ok(None)`; `delete` of a missing key succeeds.
/// - `list` returns every key under `prefix`, sorted, however many there are.
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync {
    /// Where a key lives, for messages (`s3://bucket/key`).
    fn locate(&self, key: &str) -> String;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError>;
    async fn create(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
}
