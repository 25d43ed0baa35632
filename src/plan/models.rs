//! Model signatures: the inputs and outputs of the ONNX model a resource ships (an S3
//! object's `source`, the model baked into a serving image), as recorded in state when it
//! was applied, and how a plan changes them. A change clients cannot absorb (an input
//! added, removed or retyped; a fixed dimension changed; an output removed or retyped) is
//! breaking.

/// One input or output of a model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TensorSig {
    pub name: String,
    /// The ONNX element type, in KServe's names (FP32, INT64, …).
    pub datatype: String,
    /// Each dimension: a number, or the name (or `?`) of a dynamic one.
    pub shape: Vec<String>,
}

impl std::fmt::Display for TensorSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} [{}]",
            self.name,
            self.datatype,
            self.shape.join(", ")
        )
    }
}

/// A model's interface.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ModelSignature {
    pub inputs: Vec<TensorSig>,
    pub outputs: Vec<TensorSig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Input,
    Output,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Input => "input",
            Side::Output => "output",
        }
    }
}

/// One input or output that differs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignatureChange {
    pub side: Side,
    pub name: String,
    /// `None` when added.
    pub before: Option<TensorSig>,
    /// `None` when removed.
    pub after: Option<TensorSig>,
    /// Why clients break, when they do.
    pub breaking: Option<String>,
}

/// How one resource instance's model changes in a plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelChange {
    /// The resource instance address.
    pub address: String,
    /// The model file, as the configuration names it.
    pub file: String,
    pub changes: Vec<SignatureChange>,
}

impl ModelChange {
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking.is_some())
    }
}

fn fixed(dim: &str) -> Option<i64> {
    dim.parse().ok()
}

/// Why a shape change breaks clients of `side`, if it does. Inputs may loosen (a fixed
/// dimension becoming dynamic); nothing else may change.
fn shape_break(side: Side, before: &[String], after: &[String]) -> Option<String> {
    if before.len() != after.len() {
        return Some(format!(
            "its rank changes from {} to {}",
            before.len(),
            after.len()
        ));
    }
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        match (fixed(b), fixed(a)) {
            (Some(x), Some(y)) if x != y => {
                return Some(format!("dimension {i} changes from {x} to {y}"))
            }
            (None, Some(y)) => {
                return Some(format!("dimension {i} becomes fixed at {y} (was {b})"))
            }
            (Some(x), None) if side == Side::Output => {
                return Some(format!(
                    "dimension {i} of an output becomes dynamic (was {x})"
                ))
            }
            _ => {}
        }
    }
    None
}

fn diff_side(side: Side, before: &[TensorSig], after: &[TensorSig]) -> Vec<SignatureChange> {
    let mut out = Vec::new();
    for b in before {
        match after.iter().find(|a| a.name == b.name) {
            None => out.push(SignatureChange {
                side,
                name: b.name.clone(),
                before: Some(b.clone()),
                after: None,
                breaking: Some(format!(
                    "clients that send or read {} \"{}\" fail",
                    side.as_str(),
                    b.name
                )),
            }),
            Some(a) if a != b => {
                let breaking = if a.datatype != b.datatype {
                    Some(format!(
                        "its datatype changes from {} to {}",
                        b.datatype, a.datatype
                    ))
                } else {
                    shape_break(side, &b.shape, &a.shape)
                };
                out.push(SignatureChange {
                    side,
                    name: b.name.clone(),
                    before: Some(b.clone()),
                    after: Some(a.clone()),
                    breaking,
                });
            }
            Some(_) => {}
        }
    }
    for a in after {
        if !before.iter().any(|b| b.name == a.name) {
            out.push(SignatureChange {
                side,
                name: a.name.clone(),
                before: None,
                after: Some(a.clone()),
                breaking: (side == Side::Input)
                    .then(|| format!("clients do not send the new input \"{}\"", a.name)),
            });
        }
    }
    out
}

/// What differs between two signatures: inputs first, then outputs.
pub fn diff(before: &ModelSignature, after: &ModelSignature) -> Vec<SignatureChange> {
    let mut out = diff_side(Side::Input, &before.inputs, &after.inputs);
    out.extend(diff_side(Side::Output, &before.outputs, &after.outputs));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, dt: &str, shape: &[&str]) -> TensorSig {
        TensorSig {
            name: name.into(),
            datatype: dt.into(),
            shape: shape.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn classifies_changes() {
        let before = ModelSignature {
            inputs: vec![
                t("features", "FP32", &["batch", "64"]),
                t("mask", "BOOL", &["batch"]),
            ],
            outputs: vec![t("scores", "FP32", &["batch", "8"])],
        };
        let after = ModelSignature {
            inputs: vec![t("features", "FP32", &["batch", "?"])],
            outputs: vec![
                t("scores", "FP32", &["batch", "10"]),
                t("embedding", "FP32", &["batch", "16"]),
            ],
        };
        let d = diff(&before, &after);
        let find =
            |side: Side, name: &str| d.iter().find(|c| c.side == side && c.name == name).unwrap();
        assert!(
            find(Side::Input, "features").breaking.is_none(),
            "an input may loosen"
        );
        assert!(find(Side::Input, "mask")
            .breaking
            .as_deref()
            .unwrap()
            .contains("fail"));
        assert!(find(Side::Output, "scores")
            .breaking
            .as_deref()
            .unwrap()
            .contains("8 to 10"));
        assert!(find(Side::Output, "embedding").breaking.is_none());
        assert!(diff(&before, &before).is_empty());
        let retyped = ModelSignature {
            inputs: vec![
                t("features", "FP64", &["batch", "64"]),
                t("mask", "BOOL", &["batch"]),
            ],
            outputs: before.outputs.clone(),
        };
        assert!(diff(&before, &retyped)[0]
            .breaking
            .as_deref()
            .unwrap()
            .contains("FP32 to FP64"));
    }
}
