//! The local backend: `mlform.tfstate` in the working directory, written atomically (temp
//! file, fsync, rename, mode 0600) with the previous snapshot kept as `.backup`; an OS file
//! lock while planning or applying; and an append-only journal (`.journal`) that records each
//! finished resource durably (group commit: records that finish together share one fsync).
//! The journal is folded into a new snapshot at the end of a run, or on the next run after a
//! crash; a torn last line is ignored.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{decode, encode, InstanceFile, MarkedValue, OutputState, Record, State, StateError};
use crate::addr::InstanceAddr;

pub const DEFAULT_STATE_FILE: &str = "mlform.tfstate";

/// Where state lives.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    pub path: PathBuf,
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
        LocalBackend { path: path.into() }
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
                        who: format!(
                            "{}@{} (pid {})",
                            std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
                            hostname(),
                            std::process::id()
                        ),
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
            Ok(bytes) => decode(&bytes, &self.path.display().to_string())?,
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
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_err("reading", &path)(e)),
        };
        let mut lines = std::io::BufReader::new(file).lines();
        let Some(Ok(header)) = lines.next() else {
            return Ok(false);
        };
        let Ok(header) = serde_json::from_str::<JournalHeader>(&header) else {
            return Ok(false);
        };
        if header.base_serial != state.serial
            || (!state.lineage.is_empty() && header.lineage != state.lineage)
        {
            // The snapshot already contains this journal (crash after rename, before truncate).
            return Ok(false);
        }
        state.lineage = header.lineage;
        let mut any = false;
        for line in lines {
            let Ok(line) = line else { break };
            // A torn last line (crash mid-write) does not parse and ends the journal.
            let Ok(entry) = serde_json::from_str::<JournalEntry>(&line) else {
                break;
            };
            let Some(record) = entry.into_record() else {
                break;
            };
            state.apply_record(&record);
            any = true;
        }
        Ok(any)
    }

    /// Writes a snapshot atomically: backup of the previous one, temp file, fsync, rename,
    /// fsync of the directory; then empties the journal. `state.serial` must already be new.
    pub fn write_snapshot(&self, state: &State) -> Result<(), StateError> {
        let bytes = encode(state);
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
        let header = JournalHeader {
            base_serial: state.serial,
            lineage: state.lineage.clone(),
        };
        writeln!(
            file,
            "{}",
            serde_json::to_string(&header).expect("header serializes")
        )
        .map_err(io_err("writing", &path))?;
        file.sync_all().map_err(io_err("syncing", &path))?;
        Ok(Journal {
            inner: Arc::new(JournalInner {
                path,
                file: std::sync::Mutex::new(file),
                pending: std::sync::Mutex::new(Pending::default()),
                commit: tokio::sync::Mutex::new(CommitState::default()),
            }),
        })
    }
}

fn set_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

#[derive(Serialize, Deserialize)]
struct JournalHeader {
    base_serial: u64,
    lineage: String,
}

#[derive(Serialize, Deserialize)]
struct JournalEntry {
    op: String,
    addr: Option<String>,
    provider: Option<String>,
    instance: Option<InstanceFile>,
    outputs: Option<std::collections::BTreeMap<String, (MarkedValue, bool)>>,
}

impl JournalEntry {
    fn from_record(record: &Record) -> JournalEntry {
        let mut e = JournalEntry {
            op: String::new(),
            addr: None,
            provider: None,
            instance: None,
            outputs: None,
        };
        match record {
            Record::Put { addr, instance } | Record::Depose { addr, instance } => {
                e.op = if matches!(record, Record::Put { .. }) {
                    "put"
                } else {
                    "depose"
                }
                .into();
                e.addr = Some(addr.to_string());
                e.provider = Some(instance.provider.clone());
                e.instance = Some(InstanceFile::from_state(&None, false, instance));
            }
            Record::Remove { addr } | Record::RemoveDeposed { addr } => {
                e.op = if matches!(record, Record::Remove { .. }) {
                    "rm"
                } else {
                    "rm_deposed"
                }
                .into();
                e.addr = Some(addr.to_string());
            }
            Record::Outputs { outputs } => {
                e.op = "outputs".into();
                e.outputs = Some(
                    outputs
                        .iter()
                        .map(|(k, o)| (k.clone(), (MarkedValue::from(&o.value), o.sensitive)))
                        .collect(),
                );
            }
        }
        e
    }

    fn into_record(self) -> Option<Record> {
        let addr = || -> Option<InstanceAddr> {
            match crate::addr::parse_target(self.addr.as_deref()?).ok()? {
                crate::addr::Target::Instance(a) => Some(a),
                crate::addr::Target::Resource(module, resource) => Some(InstanceAddr {
                    module,
                    resource,
                    key: None,
                }),
                _ => None,
            }
        };
        Some(match self.op.as_str() {
            "put" => Record::Put {
                addr: addr()?,
                instance: self.instance.as_ref()?.to_state(self.provider.as_deref()?),
            },
            "depose" => Record::Depose {
                addr: addr()?,
                instance: self.instance.as_ref()?.to_state(self.provider.as_deref()?),
            },
            "rm" => Record::Remove { addr: addr()? },
            "rm_deposed" => Record::RemoveDeposed { addr: addr()? },
            "outputs" => Record::Outputs {
                outputs: self
                    .outputs
                    .clone()?
                    .into_iter()
                    .map(|(k, (v, s))| {
                        (
                            k,
                            OutputState {
                                value: v.into_value(),
                                sensitive: s,
                            },
                        )
                    })
                    .collect(),
            },
            _ => return None,
        })
    }
}

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    next_seq: u64,
}

struct JournalInner {
    path: PathBuf,
    file: std::sync::Mutex<File>,
    pending: std::sync::Mutex<Pending>,
    /// What is known durable; held by the committing task.
    commit: tokio::sync::Mutex<CommitState>,
}

#[derive(Default)]
struct CommitState {
    /// The highest sequence number known durable.
    durable: u64,
    /// Set by the first failed write or fsync: what was in that group is lost, and a later
    /// fsync says nothing about it, so every later append fails too.
    failed: Option<String>,
}

/// The append-only journal of one run. Cloning shares it.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<JournalInner>,
}

impl Journal {
    /// Appends a record and returns once it is durable on disk. Records appended by tasks
    /// that finish at the same time are written and synced together.
    pub async fn append(&self, record: &Record) -> Result<(), StateError> {
        let line = serde_json::to_string(&JournalEntry::from_record(record))
            .expect("journal entry serializes");
        let seq = {
            let mut p = self.inner.pending.lock().expect("journal lock");
            p.buf.extend_from_slice(line.as_bytes());
            p.buf.push(b'\n');
            p.next_seq += 1;
            p.next_seq
        };
        let mut commit = self.inner.commit.lock().await;
        if let Some(reason) = &commit.failed {
            return Err(io_err("appending to", &self.inner.path)(std::io::Error::other(
                format!("an earlier write to the journal failed ({reason}); nothing after it is durable"),
            )));
        }
        if commit.durable >= seq {
            return Ok(());
        }
        let (buf, upto) = {
            let mut p = self.inner.pending.lock().expect("journal lock");
            (std::mem::take(&mut p.buf), p.next_seq)
        };
        let inner = self.inner.clone();
        let result = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut f = inner.file.lock().expect("journal file lock");
            f.write_all(&buf)?;
            f.sync_data()
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = &result {
            commit.failed = Some(e.to_string());
        }
        result.map_err(io_err("appending to", &self.inner.path))?;
        commit.durable = upto;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::InstanceState;
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

    #[tokio::test]
    async fn a_failed_write_fails_every_later_append() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.tfstate"));
        let state = State::default();
        backend.write_snapshot(&state).unwrap();
        let journal = backend.open_journal(&state).unwrap();
        // A handle that cannot be written: the next group's write fails.
        *journal.inner.file.lock().unwrap() = File::open(backend.journal_path()).unwrap();
        let put = |name: &str| Record::Put {
            addr: addr(name),
            instance: inst(name),
        };
        assert!(journal.append(&put("terraform_data.a")).await.is_err());
        // The file is writable again, yet nothing after the lost group may count as durable.
        *journal.inner.file.lock().unwrap() = OpenOptions::new()
            .append(true)
            .open(backend.journal_path())
            .unwrap();
        let err = journal
            .append(&put("terraform_data.b"))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("an earlier write to the journal failed"),
            "{err}"
        );
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
