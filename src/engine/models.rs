//! Reading the model a resource ships: the ONNX file its `source` (an S3 object) or `model`
//! (a serving image) names, relative to the root module. Apply records its signature in
//! state; plan compares the file on disk now with the recorded one.

use std::path::Path;

use mlform_provider::Value;

use crate::plan::models::{diff, ModelChange, ModelSignature, TensorSig};
use crate::plan::{Action, Plan};
use crate::state::State;

/// The attributes that name a model file.
const MODEL_ATTRIBUTES: [&str; 2] = ["source", "model"];

/// The `.onnx` file `value` names, as written.
fn model_file(value: &Value) -> Option<String> {
    MODEL_ATTRIBUTES.iter().find_map(|a| {
        value
            .get_attr(a)
            .as_str()
            .filter(|p| p.to_ascii_lowercase().ends_with(".onnx"))
            .map(str::to_string)
    })
}

/// The signature of the file at `file`; `None` when it is missing or not a readable ONNX
/// model (the plan then says nothing about it rather than failing).
fn read_signature(root_dir: &Path, file: &str) -> Option<ModelSignature> {
    let path = root_dir.join(file);
    let info = mlform_serve::inspect::inspect(&path).ok()?;
    let sig = |ios: &[mlform_serve::inspect::Io]| {
        ios.iter()
            .map(|io| TensorSig {
                name: io.name.clone(),
                datatype: io.dtype.clone(),
                shape: io.shape.clone(),
            })
            .collect()
    };
    Some(ModelSignature {
        inputs: sig(&info.inputs),
        outputs: sig(&info.outputs),
    })
}

/// The signature to record for an applied object.
pub(crate) fn signature_of(root_dir: &Path, value: &Value) -> Option<ModelSignature> {
    read_signature(root_dir, &model_file(value)?)
}

/// How the plan's updates and replacements change the models their objects ship, against
/// the signatures recorded when they were last applied.
pub(crate) fn model_changes(root_dir: &Path, plan: &Plan, prior: &State) -> Vec<ModelChange> {
    let mut out = Vec::new();
    for c in &plan.changes {
        if c.deposed || !matches!(c.action, Action::Update) && !c.action.is_replace() {
            continue;
        }
        let (Some(after), Some(recorded)) = (
            &c.after,
            prior.instances.get(&c.addr).and_then(|i| i.model.as_ref()),
        ) else {
            continue;
        };
        let Some(file) = model_file(after) else {
            continue;
        };
        let Some(now) = read_signature(root_dir, &file) else {
            continue;
        };
        let changes = diff(recorded, &now);
        if !changes.is_empty() {
            out.push(ModelChange {
                address: c.addr.to_string(),
                file,
                changes,
            });
        }
    }
    out
}
