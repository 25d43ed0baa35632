//! The local backend: `mlform.tfstate` in the working directory, written atomically (temp
//! file, fsync, rename, mode 0600) with the previous snapshot kept as `.backup`; an OS file
//! lock while planning or applying; and an append-only journal (`.journal`) that records each
//! finished resource durably (group commit: records that finish together share one fsync).
//! The journal is folded into a new snapshot at the end of a run, or on the next run after a
//! crash; a torn last line is ignored.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::encryption::Sealer;
use super::journal::{self, GroupSink, Journal, JournalHeader};
use super::{decode, encode, State, StateError};

pub const DEFAULT_STATE_FILE: &str = "mlform.tfstate";
/// Where the local backend keeps workspaces other than `default` (one folder each).
pub const DEFAULT_WORKSPACE_DIR: &str = "mlform.tfstate.d";

/// Where state lives.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    pub path: PathBuf,
    /// How snapshots and journal records are sealed (plaintext unless configured).
    pub sealer: Sealer,
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StateError + 'a {
    move |source| StateError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(unix)]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600)
}
#[cfg(not(unix))]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

/// Holds the state lock until dropped.
pub struct StateLock {
    file: File,
    path: PathBuf,
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        let _ = &self.path;
    }
}

#[derive(Serialize, Deserialize)]
struct LockInfo {
    id: String,
    path: String,
    operation: String,
    who: String,
    created: String,
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend {
            path: path.into(),
            sealer: Sealer::plaintext(),
        }
    }

    pub fn journal_path(&self) -> PathBuf {
        with_suffix(&self.path, ".journal")
    }

    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    /// Takes the state lock, waiting up to `timeout` for another holder to finish.
    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        let lock_path = self.lock_path();
        if let Some(parent) = lock_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err("creating", parent))?;
        }
        let started = Instant::now();
        loop {
            let mut file = private(
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false),
            )
            .open(&lock_path)
            .map_err(io_err("opening lock file", &lock_path))?;
            match file.try_lock() {
                Ok(()) => {
                    let info = LockInfo {
                        id: uuid::Uuid::new_v4().to_string(),
                        path: self.path.display().to_string(),
                        operation: operation.to_string(),
                        who: who(),
                        created: crate::eval::time::now_rfc3339(),
                    };
                    file.set_len(0)
                        .map_err(io_err("writing lock file", &lock_path))?;
                    file.write_all(serde_json::to_string(&info).unwrap_or_default().as_bytes())
                        .map_err(io_err("writing lock file", &lock_path))?;
                    let _ = file.flush();
                    return Ok(StateLock {
                        file,
                        path: lock_path,
                    });
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    if started.elapsed() >= timeout {
                        let text = std::fs::read_to_string(&lock_path).unwrap_or_default();
                        let info: LockInfo = serde_json::from_str(&text).unwrap_or(LockInfo {
                            id: "unknown".into(),
                            path: self.path.display().to_string(),
                            operation: "unknown".into(),
                            who: "unknown".into(),
                            created: "unknown".into(),
                        });
                        return Err(StateError::Locked {
                            id: info.id,
                            path: info.path,
                            operation: info.operation,
                            who: info.who,
                            created: info.created,
                        });
                    }
                    std::thread::sleep(
                        Duration::from_millis(50).min(
                            timeout.saturating_sub(started.elapsed()) + Duration::from_millis(1),
                        ),
                    );
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(io_err("locking", &lock_path)(e))
                }
            }
        }
    }

    /// Loads the snapshot and folds in any journal left by an interrupted run. Writes nothing.
    /// Returns the state and whether a journal was folded in.
    pub fn load(&self) -> Result<(State, bool), StateError> {
        let mut state = match std::fs::read(&self.path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => State::default(),
            Ok(bytes) => {
                let what = self.path.display().to_string();
                decode(&self.sealer.open(&bytes, &what)?, &what)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(io_err("reading", &self.path)(e)),
        };
        let folded = self.fold_journal(&mut state)?;
        if folded {
            state.serial += 1;
        }
        Ok((state, folded))
    }

    fn fold_journal(&self, state: &mut State) -> Result<bool, StateError> {
        let path = self.journal_path();
        match std::fs::read(&path) {
            Ok(text) => journal::fold(state, &text, &self.sealer, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("reading", &path)(e)),
        }
    }

    /// Whether an apply must write a snapshot before opening its journal: none exists yet,
    /// or a journal left by an interrupted run was folded in on load.
    pub fn needs_snapshot(&self) -> bool {
        self.journal_path().exists() || !self.path.exists()
    }

    /// Writes a snapshot atomically: backup of the previous one, temp file, fsync, rename,
    /// fsync of the directory; then empties the journal. `state.serial` must already be new.
    pub fn write_snapshot(&self, state: &State) -> Result<(), StateError> {
        let bytes = self
            .sealer
            .seal(encode(state), Some(state.serial), Some(&state.lineage));
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        if self.path.exists() {
            let backup = self.backup_path();
            let tmp = with_suffix(&backup, ".tmp");
            std::fs::copy(&self.path, &tmp).map_err(io_err("backing up", &self.path))?;
            set_private(&tmp);
            std::fs::rename(&tmp, &backup).map_err(io_err("backing up", &backup))?;
        }
        let tmp = with_suffix(&self.path, ".tmp");
        {
            let mut f = private(OpenOptions::new().write(true).create(true).truncate(true))
                .open(&tmp)
                .map_err(io_err("writing", &tmp))?;
            f.write_all(&bytes).map_err(io_err("writing", &tmp))?;
            f.sync_all().map_err(io_err("syncing", &tmp))?;
        }
        set_private(&tmp);
        std::fs::rename(&tmp, &self.path).map_err(io_err("replacing", &self.path))?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        let journal = self.journal_path();
        if journal.exists() {
            std::fs::remove_file(&journal).map_err(io_err("removing", &journal))?;
        }
        Ok(())
    }

    /// Opens a fresh journal on top of `state` (which must match the snapshot on disk, or be
    /// the state just written by [`LocalBackend::write_snapshot`]).
    pub fn open_journal(&self, state: &State) -> Result<Journal, StateError> {
        let path = self.journal_path();
        let mut file = private(OpenOptions::new().write(true).create(true).truncate(true))
            .open(&path)
            .map_err(io_err("creating", &path))?;
        file.write_all(JournalHeader::of(state).line().as_bytes())
            .map_err(io_err("writing", &path))?;
        file.sync_all().map_err(io_err("syncing", &path))?;
        Ok(Journal::new(
            Box::new(FileSink {
                path,
                file: Arc::new(std::sync::Mutex::new(file)),
            }),
            self.sealer.clone(),
        ))
    }
}

fn set_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

/// `user@host (pid N)`, the holder a lock names.
pub(crate) fn who() -> String {
    format!(
        "{}@{} (pid {})",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        hostname(),
        std::process::id()
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// The local journal file: each group is appended and fsynced.
struct FileSink {
    path: PathBuf,
    file: Arc<std::sync::Mutex<File>>,
}

#[async_trait::async_trait]
impl GroupSink for FileSink {
    async fn write(&self, group: Vec<u8>) -> Result<(), StateError> {
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut f = file.lock().expect("journal file lock");
            f.write_all(&group)?;
            f.sync_data()
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
        .map_err(io_err("appending to", &self.path))
    }

    fn locate(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::InstanceAddr;
    use crate::state::{InstanceState, Record};
    use mlform_provider::Value;

    fn addr(name: &str) -> InstanceAddr {
        match crate::addr::parse_target(name).unwrap() {
            crate::addr::Target::Resource(module, resource) => InstanceAddr {
                module,
                resource,
                key: None,
            },
            crate::addr::Target::Instance(a) => a,
            _ => unreachable!(),
        }
    }

    fn inst(v: &str) -> InstanceState {
        InstanceState {
            provider: "p".into(),
            value: Value::object([
                ("id", Value::from(v)),
                ("secret", Value::from("s").into_sensitive()),
            ]),
            dependencies: vec![],
            create_before_destroy: false,
            model: None,
            tainted: false,
        }
    }

    #[tokio::test]
    async fn journal_folds_and_ignores_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.tfstate"));
        let state = State {
            lineage: "L".into(),
            serial: 3,
            ..State::default()
        };
        backend.write_snapshot(&state).unwrap();
        let journal = backend.open_journal(&state).unwrap();
        journal
            .append(&Record::Put {
                addr: addr("terraform_data.a"),
                instance: inst("1"),
            })
            .await
            .unwrap();
        journal
            .append(&Record::Put {
                addr: addr("terraform_data.b[0]"),
                instance: inst("2"),
            })
            .await
            .unwrap();
        drop(journal);
        let mut f = OpenOptions::new()
            .append(true)
            .open(backend.journal_path())
            .unwrap();
        f.write_all(b"{\"op\":\"put\",\"addr\":\"terraform_da")
            .unwrap();
        let (loaded, folded) = backend.load().unwrap();
        assert!(folded);
        assert_eq!(loaded.serial, 4);
        assert_eq!(loaded.instances.len(), 2);
        assert!(loaded.instances[&addr("terraform_data.a")]
            .value
            .get_attr("secret")
            .is_sensitive());
        backend.write_snapshot(&loaded).unwrap();
        assert!(!backend.journal_path().exists());
        let (again, folded) = backend.load().unwrap();
        assert!(!folded);
        assert_eq!(again, loaded);
    }

    #[test]
    fn second_lock_reports_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.tfstate"));
        let _held = backend.lock("apply", Duration::ZERO).unwrap();
        let err = backend
            .lock("plan", Duration::from_millis(100))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("Operation: apply"), "{err}");
    }
}
