//! The journal of one apply: every finished resource as a record, durable before it counts
//! as done. Records are JSON lines after a header naming the snapshot they build on
//! (lineage and serial); a backend decides where a group of lines goes (an fsynced file
//! for local state, one segment object per group for an object store). Records that finish
//! together share one write (group commit). Folding reads the groups back in order and stops
//! at the first torn or foreign line.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::encryption::Sealer;
use super::{InstanceFile, MarkedValue, OutputState, Record, State, StateError};
use crate::addr::InstanceAddr;

/// Where the groups of one journal go. `write` returns once the group is durable.
#[async_trait::async_trait]
pub(crate) trait GroupSink: Send + Sync + 'static {
    async fn write(&self, group: Vec<u8>) -> Result<(), StateError>;
    /// Where the journal is, for messages.
    fn locate(&self) -> String;
}

#[derive(Serialize, Deserialize)]
pub(crate) struct JournalHeader {
    pub base_serial: u64,
    pub lineage: String,
}

impl JournalHeader {
    pub(crate) fn of(state: &State) -> JournalHeader {
        JournalHeader {
            base_serial: state.serial,
            lineage: state.lineage.clone(),
        }
    }

    pub(crate) fn line(&self) -> String {
        serde_json::to_string(self).expect("header serializes") + "\n"
    }

    /// Whether this journal builds on `state` (and is not already part of it).
    fn builds_on(&self, state: &State) -> bool {
        self.base_serial == state.serial
            && (state.lineage.is_empty() || self.lineage == state.lineage)
    }
}

/// Folds journal text (a header line, then records) into `state`. Returns whether any
/// record applied. A journal for another snapshot (already folded, or stale) changes nothing.
/// A sealed record that does not open (wrong key) is an error, never a silent end.
pub(crate) fn fold(
    state: &mut State,
    text: &[u8],
    sealer: &Sealer,
    what: &str,
) -> Result<bool, StateError> {
    let mut lines = text.split(|b| *b == b'\n');
    let Some(header) = lines.next() else {
        return Ok(false);
    };
    let Ok(header) = serde_json::from_slice::<JournalHeader>(header) else {
        return Ok(false);
    };
    if !header.builds_on(state) {
        return Ok(false);
    }
    state.lineage = header.lineage;
    let mut any = false;
    for line in lines {
        // A torn last line (crash mid-write) does not parse and ends the journal.
        let entry = match serde_json::from_slice::<JournalEntry>(line) {
            Ok(entry) => entry,
            Err(_)
                if sealer.encrypts()
                    && serde_json::from_slice::<serde_json::Value>(line).is_ok() =>
            {
                let plain = sealer.open(line, what)?;
                match serde_json::from_slice::<JournalEntry>(&plain) {
                    Ok(entry) => entry,
                    Err(_) => break,
                }
            }
            Err(_) => break,
        };
        let Some(record) = entry.into_record() else {
            break;
        };
        state.apply_record(&record);
        any = true;
    }
    Ok(any)
}

#[derive(Serialize, Deserialize)]
struct JournalEntry {
    op: String,
    addr: Option<String>,
    provider: Option<String>,
    instance: Option<InstanceFile>,
    outputs: Option<BTreeMap<String, (MarkedValue, bool)>>,
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
    sink: Box<dyn GroupSink>,
    sealer: Sealer,
    pending: std::sync::Mutex<Pending>,
    /// What is known durable; held by the committing task.
    commit: tokio::sync::Mutex<CommitState>,
}

#[derive(Default)]
struct CommitState {
    /// The highest sequence number known durable.
    durable: u64,
    /// Set by the first failed write: what was in that group may be lost, and a later write
    /// says nothing about it, so every later append fails too.
    failed: Option<String>,
}

/// The append-only journal of one run. Cloning shares it.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<JournalInner>,
}

impl Journal {
    pub(crate) fn new(sink: Box<dyn GroupSink>, sealer: Sealer) -> Journal {
        Journal {
            inner: Arc::new(JournalInner {
                sink,
                sealer,
                pending: std::sync::Mutex::new(Pending::default()),
                commit: tokio::sync::Mutex::new(CommitState::default()),
            }),
        }
    }

    /// A journal that keeps nothing, for state that lives only in memory for the length of
    /// one command (`mlform test`, which destroys what it made before it exits).
    pub fn in_memory() -> Journal {
        struct Discard;
        #[async_trait::async_trait]
        impl GroupSink for Discard {
            async fn write(&self, _group: Vec<u8>) -> Result<(), StateError> {
                Ok(())
            }
            fn locate(&self) -> String {
                "memory".into()
            }
        }
        Journal::new(Box::new(Discard), Sealer::plaintext())
    }

    /// Appends a record and returns once it is durable. Records appended by tasks that
    /// finish at the same time are written together.
    pub async fn append(&self, record: &Record) -> Result<(), StateError> {
        let line = serde_json::to_vec(&JournalEntry::from_record(record))
            .expect("journal entry serializes");
        let line = self.inner.sealer.seal(line, None, None);
        let seq = {
            let mut p = self.inner.pending.lock().expect("journal lock");
            p.buf.extend_from_slice(&line);
            p.buf.push(b'\n');
            p.next_seq += 1;
            p.next_seq
        };
        let mut commit = self.inner.commit.lock().await;
        if let Some(reason) = &commit.failed {
            return Err(StateError::Io {
                action: "appending to",
                path: self.inner.sink.locate(),
                source: std::io::Error::other(format!(
                    "an earlier write to the journal failed ({reason}); nothing after it is durable"
                )),
            });
        }
        if commit.durable >= seq {
            return Ok(());
        }
        let (buf, upto) = {
            let mut p = self.inner.pending.lock().expect("journal lock");
            (std::mem::take(&mut p.buf), p.next_seq)
        };
        if let Err(e) = self.inner.sink.write(buf).await {
            commit.failed = Some(e.to_string());
            return Err(e);
        }
        commit.durable = upto;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Flaky {
        fail: Arc<AtomicBool>,
    }

    #[async_trait::async_trait]
    impl GroupSink for Flaky {
        async fn write(&self, _group: Vec<u8>) -> Result<(), StateError> {
            if self.fail.load(Ordering::SeqCst) {
                Err(StateError::Io {
                    action: "writing",
                    path: "flaky".into(),
                    source: std::io::Error::other("disk full"),
                })
            } else {
                Ok(())
            }
        }
        fn locate(&self) -> String {
            "flaky".into()
        }
    }

    fn put(name: &str) -> Record {
        let addr = match crate::addr::parse_target(name).unwrap() {
            crate::addr::Target::Resource(module, resource) => InstanceAddr {
                module,
                resource,
                key: None,
            },
            _ => unreachable!(),
        };
        Record::Put {
            addr,
            instance: super::super::InstanceState {
                provider: "p".into(),
                value: mlform_provider::Value::from("v"),
                dependencies: vec![],
                create_before_destroy: false,
                model: None,
                tainted: false,
            },
        }
    }

    #[tokio::test]
    async fn a_failed_write_fails_every_later_append() {
        let fail = Arc::new(AtomicBool::new(true));
        let journal = Journal::new(Box::new(Flaky { fail: fail.clone() }), Sealer::plaintext());
        assert!(journal.append(&put("terraform_data.a")).await.is_err());
        // The sink works again, yet nothing after the lost group may count as durable.
        fail.store(false, Ordering::SeqCst);
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
    fn fold_skips_a_journal_for_another_snapshot() {
        let mut state = State {
            lineage: "L".into(),
            serial: 4,
            ..State::default()
        };
        let mut text = JournalHeader {
            base_serial: 3,
            lineage: "L".into(),
        }
        .line()
        .into_bytes();
        text.extend(
            serde_json::to_vec(&JournalEntry::from_record(&put("terraform_data.a"))).unwrap(),
        );
        assert!(!fold(&mut state, &text, &Sealer::plaintext(), "j").unwrap());
        assert!(state.instances.is_empty());
    }
}
