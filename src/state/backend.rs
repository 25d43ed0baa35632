//! Backends: where each workspace's state lives, behind one interface. [`Workspaces`] is a
//! configured backend (local files, or an object store such as S3) and knows its
//! workspaces; [`Backend`] is one workspace's state with the operations every command
//! uses.
//!
//! The contract every backend keeps:
//! - `lock` excludes every other writer of the same workspace until the lock is dropped;
//!   a refused lock names its holder (who, operation, when, ID).
//! - `load` never writes: it returns the snapshot with any journal of an interrupted apply
//!   folded in.
//! - `open_journal` first persists such a folded state (or a first, empty snapshot), then
//!   returns a journal whose `append` returns only once the record is durable in the same
//!   store. A kill at any point loses no appended record and the next `load` sees each once.
//! - `write_snapshot` replaces the snapshot atomically and retires the journal it contains.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mlform_provider::ObjectStore;

use super::encryption::Sealer;
use super::local::{self, LocalBackend};
use super::remote::{RemoteBackend, RemoteLock};
use super::{Journal, State, StateError};

/// The default workspace's name.
pub const DEFAULT_WORKSPACE: &str = "default";

/// One workspace's state.
#[derive(Clone)]
pub enum Backend {
    Local(LocalBackend),
    Remote(RemoteBackend),
}

/// A held state lock; released when dropped.
pub enum StateLock {
    Local(local::StateLock),
    Remote(RemoteLock),
}

impl StateLock {
    /// Releases the lock now, reporting a failure (dropping releases too, quietly).
    pub async fn release(self) -> Result<(), StateError> {
        match self {
            StateLock::Local(l) => {
                drop(l);
                Ok(())
            }
            StateLock::Remote(l) => l.release().await,
        }
    }
}

impl Backend {
    /// Where the state is, for messages.
    pub fn locate(&self) -> String {
        match self {
            Backend::Local(b) => b.path.display().to_string(),
            Backend::Remote(b) => b.locate(),
        }
    }

    /// Takes the lock. A remote backend without `use_lockfile` has none, as in Terraform.
    pub async fn lock(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<Option<StateLock>, StateError> {
        match self {
            Backend::Local(b) => {
                let b = b.clone();
                let operation = operation.to_string();
                tokio::task::spawn_blocking(move || b.lock(&operation, timeout))
                    .await
                    .map_err(|e| StateError::Workspace(format!("taking the state lock: {e}")))?
                    .map(|l| Some(StateLock::Local(l)))
            }
            Backend::Remote(b) if b.locking => {
                Ok(Some(StateLock::Remote(b.lock(operation, timeout).await?)))
            }
            Backend::Remote(_) => Ok(None),
        }
    }

    pub async fn load(&self) -> Result<State, StateError> {
        Ok(match self {
            Backend::Local(b) => b.load()?.0,
            Backend::Remote(b) => b.load().await?.0,
        })
    }

    pub async fn write_snapshot(&self, state: &State) -> Result<(), StateError> {
        match self {
            Backend::Local(b) => b.write_snapshot(state),
            Backend::Remote(b) => b.write_snapshot(state).await,
        }
    }

    /// Persists `state` first when the store holds no snapshot or an interrupted run's
    /// journal (which `state` already folds in), then opens a journal on it.
    pub async fn open_journal(&self, state: &State) -> Result<Journal, StateError> {
        match self {
            Backend::Local(b) => {
                if b.needs_snapshot() {
                    b.write_snapshot(state)?;
                }
                b.open_journal(state)
            }
            Backend::Remote(b) => {
                if b.needs_snapshot().await? {
                    b.write_snapshot(state).await?;
                }
                Ok(b.open_journal(state))
            }
        }
    }

    /// `force-unlock ID`.
    pub async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        match self {
            Backend::Local(_) => Err(StateError::Workspace(
                "Local state cannot be unlocked by another process: the operating system releases a local state lock when the process holding it ends.".into(),
            )),
            Backend::Remote(b) => b.force_unlock(id).await,
        }
    }
}

/// A configured backend: every workspace's state.
#[derive(Clone)]
pub enum Workspaces {
    /// `backend "local"` (or none): the default workspace at `path`, the others at
    /// `workspace_dir/NAME/mlform.tfstate`.
    Local {
        path: PathBuf,
        workspace_dir: PathBuf,
        sealer: Sealer,
    },
    /// An object store, its workspaces laid out as `layout` says.
    Remote {
        store: Arc<dyn ObjectStore>,
        layout: RemoteLayout,
        locking: bool,
        sealer: Sealer,
    },
}

/// Where an object store keeps each workspace's state.
#[derive(Debug, Clone)]
pub enum RemoteLayout {
    /// Terraform's S3 layout: the default workspace at `key`, the others at
    /// `workspace_key_prefix/NAME/key`.
    Prefixed {
        key: String,
        workspace_key_prefix: String,
    },
    /// Terraform's kubernetes layout: every workspace, `default` included, at
    /// `tfstate-NAME-SUFFIX`.
    Named { suffix: String },
}

impl RemoteLayout {
    /// The state key of a workspace.
    pub fn key(&self, workspace: &str) -> String {
        let default = workspace.is_empty() || workspace == DEFAULT_WORKSPACE;
        match self {
            RemoteLayout::Prefixed {
                key,
                workspace_key_prefix,
            } => {
                if default {
                    key.clone()
                } else {
                    format!("{workspace_key_prefix}/{workspace}/{key}")
                }
            }
            RemoteLayout::Named { suffix } => format!(
                "tfstate-{}-{suffix}",
                if default {
                    DEFAULT_WORKSPACE
                } else {
                    workspace
                }
            ),
        }
    }

    /// The prefix every non-default workspace's key starts with, and the workspace a key
    /// under it belongs to.
    fn list_prefix(&self) -> String {
        match self {
            RemoteLayout::Prefixed {
                workspace_key_prefix,
                ..
            } => format!("{workspace_key_prefix}/"),
            RemoteLayout::Named { .. } => "tfstate-".into(),
        }
    }

    fn workspace_of<'k>(&self, k: &'k str) -> Option<&'k str> {
        match self {
            RemoteLayout::Prefixed {
                key,
                workspace_key_prefix,
            } => k
                .strip_prefix(&format!("{workspace_key_prefix}/"))
                .and_then(|rest| rest.strip_suffix(&format!("/{key}")))
                .filter(|n| !n.is_empty() && !n.contains('/')),
            RemoteLayout::Named { suffix } => k
                .strip_prefix("tfstate-")
                .and_then(|rest| rest.strip_suffix(&format!("-{suffix}")))
                .filter(|n| !n.is_empty()),
        }
    }
}

impl Workspaces {
    /// The local backend rooted in `dir`, as Terraform's (file names are mlform's own).
    pub fn local(dir: &Path, path: Option<&str>, workspace_dir: Option<&str>) -> Workspaces {
        Workspaces::Local {
            path: dir.join(path.unwrap_or(local::DEFAULT_STATE_FILE)),
            workspace_dir: dir.join(workspace_dir.unwrap_or(local::DEFAULT_WORKSPACE_DIR)),
            sealer: Sealer::plaintext(),
        }
    }

    /// The same backend, sealing state with `sealer`.
    pub fn sealed(mut self, with: Sealer) -> Workspaces {
        match &mut self {
            Workspaces::Local { sealer, .. } | Workspaces::Remote { sealer, .. } => *sealer = with,
        }
        self
    }

    /// One workspace's state.
    pub fn backend(&self, workspace: &str) -> Backend {
        let default = workspace.is_empty() || workspace == DEFAULT_WORKSPACE;
        match self {
            Workspaces::Local {
                path,
                workspace_dir,
                sealer,
            } => Backend::Local(LocalBackend {
                path: if default {
                    path.clone()
                } else {
                    workspace_dir
                        .join(workspace)
                        .join(local::DEFAULT_STATE_FILE)
                },
                sealer: sealer.clone(),
            }),
            Workspaces::Remote {
                store,
                layout,
                locking,
                sealer,
            } => Backend::Remote(RemoteBackend {
                store: store.clone(),
                key: layout.key(workspace),
                locking: *locking,
                sealer: sealer.clone(),
            }),
        }
    }

    /// Every workspace, `default` first, the rest sorted.
    pub async fn list(&self) -> Result<Vec<String>, StateError> {
        let mut names = Vec::new();
        match self {
            Workspaces::Local { workspace_dir, .. } => {
                if let Ok(entries) = std::fs::read_dir(workspace_dir) {
                    for entry in entries.flatten() {
                        if entry.path().is_dir() {
                            names.push(entry.file_name().to_string_lossy().to_string());
                        }
                    }
                }
            }
            Workspaces::Remote { store, layout, .. } => {
                for k in store
                    .list(&layout.list_prefix())
                    .await
                    .map_err(StateError::Store)?
                {
                    if let Some(name) = layout.workspace_of(&k) {
                        names.push(name.to_string());
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        names.retain(|n| n != DEFAULT_WORKSPACE);
        names.insert(0, DEFAULT_WORKSPACE.to_string());
        Ok(names)
    }

    /// Creates a new workspace: a folder for local state (as Terraform), an empty
    /// snapshot in an object store (so that listing finds it).
    pub async fn create(&self, workspace: &str) -> Result<(), StateError> {
        match self.backend(workspace) {
            Backend::Local(b) => {
                let dir = b.path.parent().map(Path::to_path_buf).unwrap_or_default();
                std::fs::create_dir_all(&dir).map_err(|source| StateError::Io {
                    action: "creating",
                    path: dir.display().to_string(),
                    source,
                })
            }
            remote => {
                let state = State {
                    lineage: uuid::Uuid::new_v4().to_string(),
                    ..State::default()
                };
                remote.write_snapshot(&state).await
            }
        }
    }

    /// Removes a workspace's state (the caller checked it may).
    pub async fn delete(&self, workspace: &str) -> Result<(), StateError> {
        match self.backend(workspace) {
            Backend::Local(b) => {
                if let Some(dir) = b.path.parent() {
                    std::fs::remove_dir_all(dir).map_err(|source| StateError::Io {
                        action: "removing",
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                Ok(())
            }
            Backend::Remote(b) => b.delete_all().await,
        }
    }
}

/// Terraform's rule for workspace names: usable as one URL path segment.
pub fn check_workspace_name(name: &str) -> Result<(), StateError> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    if ok {
        Ok(())
    } else {
        Err(StateError::Workspace(format!(
            "The workspace name {name:?} is not allowed. The name must contain only URL safe\ncharacters, and no path separators."
        )))
    }
}
