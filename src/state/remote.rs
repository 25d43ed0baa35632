//! State in an object store (the S3 backend): the snapshot is one object, the lock is a
//! `<key>.tflock` object created only if absent (Terraform 1.11's lock file, same JSON), and
//! the journal of an apply is a run of segment objects under `<key>.journal/`, one per
//! group commit, each with its own header. A PUT is atomic and durable when it returns, so
//! a segment is all there or absent: a kill at any moment leaves the snapshot plus whole
//! segments, which the next load folds in. Writing a snapshot deletes the segments it
//! contains; leftovers from an older snapshot are skipped by their header and swept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mlform_provider::{ObjectStore, StoreError};
use serde::{Deserialize, Serialize};

use super::encryption::Sealer;
use super::journal::{self, GroupSink, Journal, JournalHeader};
use super::{decode, encode, State, StateError};

/// One workspace's state in an object store.
#[derive(Clone)]
pub struct RemoteBackend {
    pub store: Arc<dyn ObjectStore>,
    /// The state object's key.
    pub key: String,
    /// Whether plan and apply take the lock object (`use_lockfile`).
    pub locking: bool,
    /// How snapshots and journal segments are sealed.
    pub sealer: Sealer,
}

fn store_err(e: StoreError) -> StateError {
    StateError::Store(e)
}

/// Terraform's lock information, as its S3 backend writes it into the lock object.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    #[serde(default)]
    pub info: String,
    pub who: String,
    pub version: String,
    pub created: String,
    pub path: String,
}

impl RemoteBackend {
    pub fn lock_key(&self) -> String {
        format!("{}.tflock", self.key)
    }

    fn journal_prefix(&self) -> String {
        format!("{}.journal/", self.key)
    }

    pub fn locate(&self) -> String {
        self.store.locate(&self.key)
    }

    /// Takes the lock object, retrying until `timeout`; the error names the holder.
    pub async fn lock(&self, operation: &str, timeout: Duration) -> Result<RemoteLock, StateError> {
        let info = LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            info: String::new(),
            who: super::local::who(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: crate::eval::time::now_rfc3339(),
            path: self.locate(),
        };
        let body = serde_json::to_vec(&info).expect("lock info serializes");
        let key = self.lock_key();
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            if self
                .store
                .create(&key, body.clone())
                .await
                .map_err(store_err)?
            {
                return Ok(RemoteLock {
                    held: Some((self.store.clone(), key, info.id)),
                });
            }
            if started.elapsed() >= timeout {
                let holder = self.lock_holder().await?;
                return Err(match holder {
                    Some(h) => StateError::Locked {
                        id: h.id,
                        path: h.path,
                        operation: h.operation,
                        who: h.who,
                        created: h.created,
                    },
                    None => StateError::Locked {
                        id: "unknown (the lock object vanished while being read; try again)".into(),
                        path: self.store.locate(&key),
                        operation: "unknown".into(),
                        who: "unknown".into(),
                        created: "unknown".into(),
                    },
                });
            }
            tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    pub async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let key = self.lock_key();
        Ok(match self.store.get(&key).await.map_err(store_err)? {
            None => None,
            Some(bytes) => {
                Some(
                    serde_json::from_slice(&bytes).map_err(|e| StateError::Invalid {
                        path: self.store.locate(&key),
                        reason: format!("the lock object is not Terraform lock information: {e}"),
                    })?,
                )
            }
        })
    }

    /// `force-unlock ID`: removes the lock if it is the one named.
    pub async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        match self.lock_holder().await? {
            None => Err(StateError::NotLocked {
                path: self.store.locate(&self.lock_key()),
            }),
            Some(h) if h.id != id => Err(StateError::LockIdMismatch {
                given: id.to_string(),
                held: h.id,
            }),
            Some(_) => self.store.delete(&self.lock_key()).await.map_err(store_err),
        }
    }

    /// The snapshot with every journal segment that builds on it folded in (in memory).
    pub async fn load(&self) -> Result<(State, bool), StateError> {
        let mut state = match self.store.get(&self.key).await.map_err(store_err)? {
            None => State::default(),
            Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => State::default(),
            Some(bytes) => decode(&self.sealer.open(&bytes, &self.locate())?, &self.locate())?,
        };
        let mut folded = false;
        for key in self
            .store
            .list(&self.journal_prefix())
            .await
            .map_err(store_err)?
        {
            if let Some(text) = self.store.get(&key).await.map_err(store_err)? {
                folded |= journal::fold(&mut state, &text, &self.sealer, &self.store.locate(&key))?;
            }
        }
        if folded {
            state.serial += 1;
        }
        Ok((state, folded))
    }

    /// Whether an apply must write a snapshot before its journal: none exists, or segments
    /// of an interrupted run are still there.
    pub async fn needs_snapshot(&self) -> Result<bool, StateError> {
        Ok(self
            .store
            .get(&self.key)
            .await
            .map_err(store_err)?
            .is_none()
            || !self
                .store
                .list(&self.journal_prefix())
                .await
                .map_err(store_err)?
                .is_empty())
    }

    /// Writes the snapshot, then removes the journal segments (all of them are in it, or
    /// built on an older snapshot).
    pub async fn write_snapshot(&self, state: &State) -> Result<(), StateError> {
        self.store
            .put(
                &self.key,
                self.sealer
                    .seal(encode(state), Some(state.serial), Some(&state.lineage)),
            )
            .await
            .map_err(store_err)?;
        self.delete_journal().await
    }

    async fn delete_journal(&self) -> Result<(), StateError> {
        for key in self
            .store
            .list(&self.journal_prefix())
            .await
            .map_err(store_err)?
        {
            self.store.delete(&key).await.map_err(store_err)?;
        }
        Ok(())
    }

    /// Removes the state object, its journal and its lock (workspace delete).
    pub async fn delete_all(&self) -> Result<(), StateError> {
        self.delete_journal().await?;
        self.store.delete(&self.key).await.map_err(store_err)?;
        self.store.delete(&self.lock_key()).await.map_err(store_err)
    }

    pub fn open_journal(&self, state: &State) -> Journal {
        let run = uuid::Uuid::new_v4().simple().to_string();
        Journal::new(
            Box::new(SegmentSink {
                store: self.store.clone(),
                prefix: format!(
                    "{}{:012}-{}/",
                    self.journal_prefix(),
                    state.serial,
                    &run[..8]
                ),
                header: JournalHeader::of(state).line(),
                next: std::sync::atomic::AtomicU64::new(0),
            }),
            self.sealer.clone(),
        )
    }
}

/// One segment object per group; the header is repeated in each so a segment stands alone.
struct SegmentSink {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    header: String,
    next: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl GroupSink for SegmentSink {
    async fn write(&self, group: Vec<u8>) -> Result<(), StateError> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut body = self.header.clone().into_bytes();
        body.extend(group);
        self.store
            .put(&format!("{}{n:08}", self.prefix), body)
            .await
            .map_err(store_err)
    }

    fn locate(&self) -> String {
        self.store.locate(&self.prefix)
    }
}

/// A held lock object. Released when dropped (on the multi-threaded runtime the CLI runs
/// on), after checking it is still ours.
pub struct RemoteLock {
    held: Option<(Arc<dyn ObjectStore>, String, String)>,
}

async fn release(store: &dyn ObjectStore, key: &str, id: &str) -> Result<(), StoreError> {
    if let Some(bytes) = store.get(key).await? {
        let ours = serde_json::from_slice::<LockInfo>(&bytes).is_ok_and(|h| h.id == id);
        if ours {
            store.delete(key).await?;
        }
    }
    Ok(())
}

impl RemoteLock {
    pub async fn release(mut self) -> Result<(), StateError> {
        match self.held.take() {
            Some((store, key, id)) => release(store.as_ref(), &key, &id).await.map_err(store_err),
            None => Ok(()),
        }
    }
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        let Some((store, key, id)) = self.held.take() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            eprintln!(
                "Error releasing the state lock {}: no runtime; run force-unlock {id}",
                store.locate(&key)
            );
            return;
        };
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            eprintln!(
                "Error releasing the state lock {}: run force-unlock {id}",
                store.locate(&key)
            );
            return;
        }
        let result =
            tokio::task::block_in_place(|| handle.block_on(release(store.as_ref(), &key, &id)));
        if let Err(e) = result {
            eprintln!(
                "\nError releasing the state lock\n\n{e}\n\nThe lock {} may still be held; remove it with: mlform force-unlock {id}\n",
                store.locate(&key)
            );
        }
    }
}
