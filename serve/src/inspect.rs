//! `mlform model inspect`: reads an ONNX file's interface (inputs, outputs, element types,
//! shapes), opset and producer straight from its protobuf, without ONNX Runtime, so plans can
//! check a model before any server runs it.

use prost::Message;
use serde_json::{json, Value as J};

#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(int64, tag = "1")]
    ir_version: i64,
    #[prost(string, tag = "2")]
    producer_name: String,
    #[prost(string, tag = "3")]
    producer_version: String,
    #[prost(message, optional, tag = "7")]
    graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "8")]
    opset_import: Vec<OperatorSetId>,
}

#[derive(Clone, PartialEq, Message)]
struct OperatorSetId {
    #[prost(string, tag = "1")]
    domain: String,
    #[prost(int64, tag = "2")]
    version: i64,
}

#[derive(Clone, PartialEq, Message)]
struct GraphProto {
    #[prost(string, tag = "2")]
    name: String,
    #[prost(message, repeated, tag = "5")]
    initializer: Vec<TensorName>,
    #[prost(message, repeated, tag = "11")]
    input: Vec<ValueInfo>,
    #[prost(message, repeated, tag = "12")]
    output: Vec<ValueInfo>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorName {
    #[prost(string, tag = "8")]
    name: String,
}

#[derive(Clone, PartialEq, Message)]
struct ValueInfo {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(message, optional, tag = "2")]
    r#type: Option<TypeProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TypeProto {
    #[prost(message, optional, tag = "1")]
    tensor_type: Option<TensorType>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorType {
    #[prost(int32, tag = "1")]
    elem_type: i32,
    #[prost(message, optional, tag = "2")]
    shape: Option<Shape>,
}

#[derive(Clone, PartialEq, Message)]
struct Shape {
    #[prost(message, repeated, tag = "1")]
    dim: Vec<Dim>,
}

#[derive(Clone, PartialEq, Message)]
struct Dim {
    #[prost(int64, optional, tag = "1")]
    dim_value: Option<i64>,
    #[prost(string, optional, tag = "2")]
    dim_param: Option<String>,
}

/// One input or output.
#[derive(Debug, Clone, PartialEq)]
pub struct Io {
    pub name: String,
    pub dtype: String,
    /// A number, or the symbolic name of a dynamic dimension.
    pub shape: Vec<String>,
}

/// What `model inspect` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub ir_version: i64,
    pub producer: String,
    pub producer_version: String,
    pub graph: String,
    pub opsets: Vec<(String, i64)>,
    pub inputs: Vec<Io>,
    pub outputs: Vec<Io>,
}

/// Errors reading an ONNX file.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not an ONNX model.
    #[error("{path} is not an ONNX model: {reason}")]
    Invalid { path: String, reason: String },
}

fn elem_name(t: i32) -> &'static str {
    match t {
        1 => "FP32",
        2 => "UINT8",
        3 => "INT8",
        4 => "UINT16",
        5 => "INT16",
        6 => "INT32",
        7 => "INT64",
        8 => "STRING",
        9 => "BOOL",
        10 => "FP16",
        11 => "FP64",
        12 => "UINT32",
        13 => "UINT64",
        16 => "BF16",
        _ => "UNKNOWN",
    }
}

fn io(v: &ValueInfo) -> Io {
    let tt = v.r#type.as_ref().and_then(|t| t.tensor_type.as_ref());
    Io {
        name: v.name.clone(),
        dtype: tt
            .map(|t| elem_name(t.elem_type))
            .unwrap_or("NON_TENSOR")
            .to_string(),
        shape: tt
            .and_then(|t| t.shape.as_ref())
            .map(|s| {
                s.dim
                    .iter()
                    .map(|d| {
                        d.dim_value
                            .map(|v| v.to_string())
                            .or_else(|| d.dim_param.clone().filter(|p| !p.is_empty()))
                            .unwrap_or_else(|| "?".into())
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn inspect(path: &std::path::Path) -> Result<ModelInfo, InspectError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| InspectError::Read {
        path: p.clone(),
        source,
    })?;
    let m = ModelProto::decode(bytes.as_slice()).map_err(|e| InspectError::Invalid {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    let Some(g) = m.graph else {
        return Err(InspectError::Invalid {
            path: p,
            reason: "it has no graph".into(),
        });
    };
    if m.ir_version <= 0 {
        return Err(InspectError::Invalid {
            path: p,
            reason: "it has no IR version".into(),
        });
    }
    let initializers: std::collections::HashSet<&str> =
        g.initializer.iter().map(|t| t.name.as_str()).collect();
    Ok(ModelInfo {
        ir_version: m.ir_version,
        producer: m.producer_name,
        producer_version: m.producer_version,
        graph: g.name.clone(),
        opsets: m
            .opset_import
            .iter()
            .map(|o| {
                (
                    if o.domain.is_empty() {
                        "ai.onnx".to_string()
                    } else {
                        o.domain.clone()
                    },
                    o.version,
                )
            })
            .collect(),
        inputs: g
            .input
            .iter()
            .filter(|i| !initializers.contains(i.name.as_str()))
            .map(io)
            .collect(),
        outputs: g.output.iter().map(io).collect(),
    })
}

impl ModelInfo {
    pub fn to_json(&self) -> J {
        let ios = |v: &[Io]| {
            v.iter()
                .map(|i| json!({"name": i.name, "datatype": i.dtype, "shape": i.shape}))
                .collect::<Vec<_>>()
        };
        json!({
            "ir_version": self.ir_version,
            "producer": {"name": self.producer, "version": self.producer_version},
            "graph": self.graph,
            "opsets": self.opsets.iter().map(|(d, v)| json!({"domain": d, "version": v})).collect::<Vec<_>>(),
            "inputs": ios(&self.inputs),
            "outputs": ios(&self.outputs),
        })
    }

    pub fn to_text(&self) -> String {
        let mut s = format!(
            "producer: {} {}\nir_version: {}\nopsets: {}\n",
            self.producer,
            self.producer_version,
            self.ir_version,
            self.opsets
                .iter()
                .map(|(d, v)| format!("{d} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        s.push_str("inputs:\n");
        for i in &self.inputs {
            s.push_str(&format!(
                "  {} {} [{}]\n",
                i.name,
                i.dtype,
                i.shape.join(", ")
            ));
        }
        s.push_str("outputs:\n");
        for o in &self.outputs {
            s.push_str(&format!(
                "  {} {} [{}]\n",
                o.name,
                o.dtype,
                o.shape.join(", ")
            ));
        }
        s
    }
}
