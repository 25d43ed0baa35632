//! State: what mlform last knew of every object it manages. [`State`] is the in-memory
//! snapshot; [`local`] stores it as a JSON file written atomically, with an append-only
//! journal that makes every finished resource durable without rewriting the whole file.

mod attributes;
pub mod backend;
pub mod encryption;
pub mod history;
mod journal;
pub mod local;
mod marked;
pub mod remote;

use std::collections::BTreeMap;

use mlform_provider::Value;
use serde::{Deserialize, Serialize};

use crate::addr::{InstanceAddr, Key};
use crate::config::{Mode, ResourceKey};

pub use journal::Journal;
pub use marked::MarkedValue;

/// The format version of mlform's state file.
pub const STATE_VERSION: u32 = 1;

/// One managed object (or data source result).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceState {
    /// The provider source address (`terraform.io/builtin/terraform`).
    pub provider: String,
    /// The attributes, with sensitive parts marked.
    pub value: Value,
    /// Configuration addresses of the resources this one depended on when last applied.
    pub dependencies: Vec<String>,
    pub create_before_destroy: bool,
    /// The signature of the ONNX model the object ships, read when it was last applied,
    /// so a plan can say how a new model file changes it.
    pub model: Option<crate::plan::models::ModelSignature>,
    /// Created by an apply that failed before the object was ready: the next plan replaces
    /// it (Terraform's `"status": "tainted"`).
    pub tainted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputState {
    pub value: Value,
    pub sensitive: bool,
}

/// A state snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub lineage: String,
    pub serial: u64,
    pub instances: BTreeMap<InstanceAddr, InstanceState>,
    /// Objects replaced with create_before_destroy whose old copy is not yet destroyed.
    pub deposed: BTreeMap<InstanceAddr, InstanceState>,
    pub outputs: BTreeMap<String, OutputState>,
    /// The applies and destroys of this state, newest last.
    pub history: Vec<history::RunRecord>,
}

impl State {
    /// Applies one journal record.
    pub fn apply_record(&mut self, record: &Record) {
        match record {
            Record::Put { addr, instance } => {
                self.instances.insert(addr.clone(), instance.clone());
            }
            Record::Remove { addr } => {
                self.instances.remove(addr);
            }
            Record::Depose { addr, instance } => {
                self.deposed.insert(addr.clone(), instance.clone());
            }
            Record::RemoveDeposed { addr } => {
                self.deposed.remove(addr);
            }
            Record::Outputs { outputs } => self.outputs = outputs.clone(),
        }
    }

    /// Instances of one resource in one module instance.
    pub fn resource_instances<'a>(
        &'a self,
        module: &'a [(String, Option<Key>)],
        resource: &'a ResourceKey,
    ) -> impl Iterator<Item = (&'a InstanceAddr, &'a InstanceState)> + 'a {
        let start = InstanceAddr {
            module: module.to_vec(),
            resource: resource.clone(),
            key: None,
        };
        self.instances
            .range(start..)
            .take_while(move |(a, _)| a.module == module && &a.resource == resource)
    }
}

/// One change to state, as appended to the journal.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Put {
        addr: InstanceAddr,
        instance: InstanceState,
    },
    Remove {
        addr: InstanceAddr,
    },
    Depose {
        addr: InstanceAddr,
        instance: InstanceState,
    },
    RemoveDeposed {
        addr: InstanceAddr,
    },
    Outputs {
        outputs: BTreeMap<String, OutputState>,
    },
}

// ---- on-disk format -------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    mlform_version: String,
    serial: u64,
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, OutputFile>,
    #[serde(default)]
    resources: Vec<ResourceFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    history: Vec<history::RunRecord>,
}

#[derive(Serialize, Deserialize)]
struct OutputFile {
    value: serde_json::Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct ResourceFile {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    module: String,
    mode: String,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    provider: String,
    instances: Vec<InstanceFile>,
}

#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct InstanceFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index_key: Option<serde_json::Value>,
    /// `"tainted"`, as Terraform writes it; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    deposed: bool,
    attributes: attributes::Attributes,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sensitive_attributes: Vec<mlform_provider::Path>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<crate::plan::models::ModelSignature>,
}

impl InstanceFile {
    pub(crate) fn from_state(
        key: &Option<Key>,
        deposed: bool,
        inst: &InstanceState,
    ) -> InstanceFile {
        InstanceFile {
            index_key: key.as_ref().map(Key::to_json),
            status: inst.tainted.then(|| "tainted".to_string()),
            deposed,
            attributes: attributes::Attributes(inst.value.clone()),
            sensitive_attributes: inst.value.sensitive_paths(),
            dependencies: inst.dependencies.clone(),
            create_before_destroy: inst.create_before_destroy,
            model: inst.model.clone(),
        }
    }

    pub(crate) fn to_state(&self, provider: &str) -> InstanceState {
        InstanceState {
            provider: provider.to_string(),
            value: self
                .attributes
                .0
                .clone()
                .with_sensitive_paths(&self.sensitive_attributes),
            dependencies: self.dependencies.clone(),
            create_before_destroy: self.create_before_destroy,
            model: self.model.clone(),
            tainted: self.status.as_deref() == Some("tainted"),
        }
    }
}

/// Errors reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The state file is not valid mlform state.
    #[error("the state file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
    /// Another process holds the state lock.
    #[error("Error acquiring the state lock: the state is locked by another mlform process.\n\nLock Info:\n  ID:        {id}\n  Path:      {path}\n  Operation: {operation}\n  Who:       {who}\n  Created:   {created}\n\nmlform acquires a state lock to protect the state from being written by multiple users at the same time. Wait for the other operation to finish, or use -lock-timeout=DURATION to wait for it.")]
    Locked {
        id: String,
        path: String,
        operation: String,
        who: String,
        created: String,
    },
    /// A remote store call failed.
    #[error("state storage: {0}")]
    Store(#[source] mlform_provider::StoreError),
    /// `force-unlock` found no lock.
    #[error("Failed to unlock state: no lock is held on {path}")]
    NotLocked { path: String },
    /// `force-unlock` was given another lock's ID.
    #[error("Failed to unlock state: lock ID {given:?} does not match existing lock ID {held:?}")]
    LockIdMismatch { given: String, held: String },
    /// State could not be encrypted or decrypted.
    #[error(transparent)]
    Encryption(#[from] encryption::EncryptionError),
    /// A workspace operation that cannot be done.
    #[error("{0}")]
    Workspace(String),
}

pub(crate) fn encode(state: &State) -> Vec<u8> {
    let mut groups: BTreeMap<(String, Mode, String, String), (String, Vec<InstanceFile>)> =
        BTreeMap::new();
    let all = state
        .instances
        .iter()
        .map(|(a, i)| (a, i, false))
        .chain(state.deposed.iter().map(|(a, i)| (a, i, true)));
    for (addr, inst, deposed) in all {
        let module = crate::addr::module_path_string(&addr.module);
        let entry = groups
            .entry((
                module,
                addr.resource.mode,
                addr.resource.type_name.clone(),
                addr.resource.name.clone(),
            ))
            .or_insert_with(|| (inst.provider.clone(), Vec::new()));
        entry
            .1
            .push(InstanceFile::from_state(&addr.key, deposed, inst));
    }
    let file = StateFile {
        format: "mlform-state".into(),
        version: STATE_VERSION,
        mlform_version: env!("CARGO_PKG_VERSION").into(),
        serial: state.serial,
        lineage: state.lineage.clone(),
        outputs: state
            .outputs
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    OutputFile {
                        value: MarkedValue::from(&o.value).to_json(),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        resources: groups
            .into_iter()
            .map(
                |((module, mode, type_name, name), (provider, instances))| ResourceFile {
                    module,
                    mode: if mode == Mode::Managed {
                        "managed"
                    } else {
                        "data"
                    }
                    .into(),
                    type_name,
                    name,
                    provider,
                    instances,
                },
            )
            .collect(),
        history: state.history.clone(),
    };
    let mut out = serde_json::to_vec_pretty(&file).expect("state serializes");
    out.push(b'\n');
    out
}

pub(crate) fn decode(bytes: &[u8], path: &str) -> Result<State, StateError> {
    let invalid = |reason: String| StateError::Invalid {
        path: path.to_string(),
        reason,
    };
    let file: StateFile = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if file.format != "mlform-state" {
        return Err(invalid(format!(
            "unexpected format {:?}; is this a Terraform state file?",
            file.format
        )));
    }
    if file.version > STATE_VERSION {
        return Err(invalid(format!("state version {} is newer than this mlform understands ({STATE_VERSION}); upgrade mlform", file.version)));
    }
    // A run moves the serial on at most twice (folding a journal, then its own write).
    if file.serial > u64::MAX - 2 {
        return Err(invalid(format!(
            "its serial {} leaves no room to record another change (the largest serial is {}); the file has been edited by hand or is corrupt",
            file.serial,
            u64::MAX
        )));
    }
    let mut state = State {
        lineage: file.lineage,
        serial: file.serial,
        history: file.history,
        ..State::default()
    };
    for (name, o) in file.outputs {
        state.outputs.insert(
            name,
            OutputState {
                value: MarkedValue::from_json(&o.value)
                    .map_err(invalid)?
                    .into_value(),
                sensitive: o.sensitive,
            },
        );
    }
    for r in file.resources {
        let module = if r.module.is_empty() {
            Vec::new()
        } else {
            match crate::addr::parse_target(&r.module) {
                Ok(crate::addr::Target::Module(m)) => m,
                _ => return Err(invalid(format!("bad module address {:?}", r.module))),
            }
        };
        let mode = match r.mode.as_str() {
            "managed" => Mode::Managed,
            "data" => Mode::Data,
            other => return Err(invalid(format!("bad resource mode {other:?}"))),
        };
        let resource = ResourceKey {
            mode,
            type_name: r.type_name,
            name: r.name,
        };
        for inst in r.instances {
            let key = match &inst.index_key {
                None => None,
                Some(k) => {
                    Some(Key::from_json(k).ok_or_else(|| invalid(format!("bad index key {k}")))?)
                }
            };
            let addr = InstanceAddr {
                module: module.clone(),
                resource: resource.clone(),
                key,
            };
            let st = inst.to_state(&r.provider);
            let previous = if inst.deposed {
                state.deposed.insert(addr.clone(), st)
            } else {
                state.instances.insert(addr.clone(), st)
            };
            if previous.is_some() {
                return Err(invalid(format!(
                    "{}{addr} appears more than once; each resource instance must be recorded once",
                    if inst.deposed {
                        "the deposed object of "
                    } else {
                        ""
                    }
                )));
            }
        }
    }
    Ok(state)
}

/// The type of an output in Terraform's JSON type syntax, as far as the value shows it:
/// lists are tuples and maps objects (the types of literals and of most expressions),
/// sets are sets, null is `dynamic`.
pub fn output_type(value: &Value) -> serde_json::Value {
    use serde_json::json;
    match value.unmark().0 {
        Value::Null | Value::Unknown | Value::Sensitive(_) => json!("dynamic"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::List(items) => json!(["tuple", items.iter().map(output_type).collect::<Vec<_>>()]),
        Value::Set(items) => json!([
            "set",
            items.first().map(output_type).unwrap_or(json!("dynamic"))
        ]),
        Value::Map(m) => json!([
            "object",
            m.iter()
                .map(|(k, v)| (k.clone(), output_type(v)))
                .collect::<serde_json::Map<_, _>>()
        ]),
    }
}

/// The plain JSON of a value for `mlform output -json` (sensitive values included, as
/// Terraform's `output -json` does; the caller asked for them explicitly).
pub fn output_json(value: &Value) -> serde_json::Value {
    value.to_json()
}
