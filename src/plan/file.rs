//! The saved plan file (`plan -out=FILE`): JSON with every value's marks, mode 0600 because
//! it carries variable values (sensitive ones included) for apply.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Action, Deferred, Drift, OutputChange, Plan, PlanMode, ResourceChange};
use crate::addr::{parse_target, InstanceAddr, Target};
use crate::state::encryption::Sealer;
use crate::state::MarkedValue;

const FORMAT: &str = "mlform-plan";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct PlanFile {
    format: String,
    version: u32,
    mlform_version: String,
    mode: PlanMode,
    prior_lineage: String,
    prior_serial: u64,
    #[serde(default)]
    workspace: String,
    variables: BTreeMap<String, MarkedValue>,
    config_files: Vec<(String, String)>,
    targets: Vec<String>,
    changes: Vec<ChangeFile>,
    drift: Vec<DriftFile>,
    outputs: Vec<OutputFile>,
    deferred: Vec<(String, String)>,
    errored: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    checks: Vec<crate::plan::CheckResult>,
    #[serde(default)]
    timestamp: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    relevant_attributes: Vec<crate::plan::RelevantAttr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    model_changes: Vec<crate::plan::models::ModelChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    guards: Vec<crate::plan::guards::Guard>,
}

#[derive(Serialize, Deserialize)]
struct ChangeFile {
    addr: String,
    deposed: bool,
    action: Action,
    before: Option<MarkedValue>,
    after: Option<MarkedValue>,
    requires_replace: Vec<mlform_provider::Path>,
    reason: Option<String>,
    provider: String,
    dependencies: Vec<String>,
    create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_addr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    importing: Option<String>,
    #[serde(default, skip_serializing_if = "crate::plan::BlockShape::is_empty")]
    blocks: crate::plan::BlockShape,
}

#[derive(Serialize, Deserialize)]
struct DriftFile {
    addr: String,
    before: MarkedValue,
    after: Option<MarkedValue>,
    provider: String,
}

#[derive(Serialize, Deserialize)]
struct OutputFile {
    name: String,
    action: Action,
    before: Option<MarkedValue>,
    after: Option<MarkedValue>,
    sensitive: bool,
}

/// Errors reading or writing a plan file.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// The file could not be read or written.
    #[error("{action} plan file {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not an mlform plan.
    #[error("{path} is not a valid mlform plan file: {reason}")]
    Invalid { path: String, reason: String },
}

fn mv(v: &Option<mlform_provider::Value>) -> Option<MarkedValue> {
    v.as_ref().map(MarkedValue::from)
}

fn addr(s: &str) -> Option<InstanceAddr> {
    match parse_target(s).ok()? {
        Target::Instance(a) => Some(a),
        Target::Resource(module, resource) => Some(InstanceAddr {
            module,
            resource,
            key: None,
        }),
        Target::Module(_) => None,
    }
}

/// Writes the plan, sealed by `sealer` when plan encryption is configured.
pub fn save(plan: &Plan, path: &Path, sealer: &Sealer) -> Result<(), PlanFileError> {
    let file = PlanFile {
        format: FORMAT.into(),
        version: VERSION,
        mlform_version: env!("CARGO_PKG_VERSION").into(),
        mode: plan.mode,
        prior_lineage: plan.prior_lineage.clone(),
        prior_serial: plan.prior_serial,
        workspace: plan.workspace.clone(),
        variables: plan
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), MarkedValue::from(v)))
            .collect(),
        config_files: plan.config_files.clone(),
        targets: plan.targets.clone(),
        changes: plan
            .changes
            .iter()
            .map(|c| ChangeFile {
                addr: c.addr.to_string(),
                deposed: c.deposed,
                action: c.action,
                before: mv(&c.before),
                after: mv(&c.after),
                requires_replace: c.requires_replace.clone(),
                reason: c.reason.clone(),
                provider: c.provider.clone(),
                dependencies: c.dependencies.clone(),
                create_before_destroy: c.create_before_destroy,
                previous_addr: c.previous_addr.as_ref().map(ToString::to_string),
                importing: c.importing.clone(),
                blocks: c.blocks.clone(),
            })
            .collect(),
        drift: plan
            .drift
            .iter()
            .map(|d| DriftFile {
                addr: d.addr.to_string(),
                before: MarkedValue::from(&d.before),
                after: mv(&d.after),
                provider: d.provider.clone(),
            })
            .collect(),
        outputs: plan
            .outputs
            .iter()
            .map(|o| OutputFile {
                name: o.name.clone(),
                action: o.action,
                before: mv(&o.before),
                after: mv(&o.after),
                sensitive: o.sensitive,
            })
            .collect(),
        deferred: plan
            .deferred
            .iter()
            .map(|d| (d.addr.clone(), d.reason.clone()))
            .collect(),
        errored: plan.errored,
        checks: plan.checks.clone(),
        timestamp: plan.timestamp.clone(),
        relevant_attributes: plan.relevant_attributes.clone(),
        model_changes: plan.model_changes.clone(),
        guards: plan.guards.clone(),
    };
    let bytes = sealer.seal(
        serde_json::to_vec(&file).expect("plan serializes"),
        None,
        None,
    );
    let io = |action| {
        move |source| PlanFileError::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(io("writing"))?;
    std::io::Write::write_all(&mut f, &bytes).map_err(io("writing"))?;
    f.sync_all().map_err(io("writing"))?;
    Ok(())
}

/// True when the file looks like a saved plan (used to tell `apply PLANFILE` from `apply DIR`).
pub fn is_plan_file(path: &Path) -> bool {
    path.is_file()
        && std::fs::read(path)
            .map(|b| {
                b.starts_with(b"{\"format\":\"mlform-plan\"")
                    || (b.starts_with(b"{\"meta\":")
                        && b.windows(16).any(|w| w == b"\"encrypted_data\""))
            })
            .unwrap_or(false)
}

/// Reads a plan, opening it with `sealer` (which refuses a plaintext plan when plan
/// encryption is configured without an unencrypted fallback).
pub fn load(path: &Path, sealer: &Sealer) -> Result<Plan, PlanFileError> {
    let bytes = std::fs::read(path).map_err(|source| PlanFileError::Io {
        action: "reading",
        path: path.display().to_string(),
        source,
    })?;
    let bytes = sealer
        .open(&bytes, &path.display().to_string())
        .map_err(|e| PlanFileError::Invalid {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    let invalid = |reason: String| PlanFileError::Invalid {
        path: path.display().to_string(),
        reason,
    };
    let file: PlanFile = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(invalid(format!(
            "format {} version {} is not supported",
            file.format, file.version
        )));
    }
    let bad_addr = |s: &str| invalid(format!("bad address {s:?}"));
    if file.config_files.is_empty() {
        return Err(invalid(
            "it records no configuration files; every plan mlform writes holds the configuration it was made from".into(),
        ));
    }
    if let Some(t) = file
        .targets
        .iter()
        .find(|t| crate::addr::parse_target(t).is_err())
    {
        return Err(invalid(format!("bad target address {t:?}")));
    }
    Ok(Plan {
        mode: file.mode,
        changes: file
            .changes
            .into_iter()
            .map(|c| {
                Ok(ResourceChange {
                    addr: addr(&c.addr).ok_or_else(|| bad_addr(&c.addr))?,
                    deposed: c.deposed,
                    action: c.action,
                    before: c.before.map(MarkedValue::into_value),
                    after: c.after.map(MarkedValue::into_value),
                    requires_replace: c.requires_replace,
                    reason: c.reason,
                    provider: c.provider,
                    dependencies: c.dependencies,
                    create_before_destroy: c.create_before_destroy,
                    previous_addr: match &c.previous_addr {
                        Some(p) => Some(addr(p).ok_or_else(|| bad_addr(p))?),
                        None => None,
                    },
                    importing: c.importing,
                    blocks: c.blocks,
                })
            })
            .collect::<Result<_, PlanFileError>>()?,
        drift: file
            .drift
            .into_iter()
            .map(|d| {
                Ok(Drift {
                    addr: addr(&d.addr).ok_or_else(|| bad_addr(&d.addr))?,
                    before: d.before.into_value(),
                    after: d.after.map(MarkedValue::into_value),
                    provider: d.provider,
                })
            })
            .collect::<Result<_, PlanFileError>>()?,
        outputs: file
            .outputs
            .into_iter()
            .map(|o| OutputChange {
                name: o.name,
                action: o.action,
                before: o.before.map(MarkedValue::into_value),
                after: o.after.map(MarkedValue::into_value),
                sensitive: o.sensitive,
            })
            .collect(),
        deferred: file
            .deferred
            .into_iter()
            .map(|(addr, reason)| Deferred { addr, reason })
            .collect(),
        variables: file
            .variables
            .into_iter()
            .map(|(k, v)| (k, v.into_value()))
            .collect(),
        config_files: file.config_files,
        prior_lineage: file.prior_lineage,
        prior_serial: file.prior_serial,
        workspace: file.workspace,
        targets: file.targets,
        errored: file.errored,
        checks: file.checks,
        timestamp: file.timestamp,
        relevant_attributes: file.relevant_attributes,
        model_changes: file.model_changes,
        guards: file.guards,
    })
}
