//! Tensors on the wire: parsing and validating JSON tensors of the KServe Open Inference
//! Protocol v2 (and SageMaker's `instances` form) against a model's declared inputs, and
//! encoding outputs. Every client mistake becomes a [`BadRequest`] saying what was expected.

use serde_json::{json, Value as J};

/// Element types served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    F64,
    I32,
    I64,
    U8,
    I8,
    Bool,
}

impl DType {
    /// The KServe v2 datatype name.
    pub fn v2_name(self) -> &'static str {
        match self {
            DType::F32 => "FP32",
            DType::F64 => "FP64",
            DType::I32 => "INT32",
            DType::I64 => "INT64",
            DType::U8 => "UINT8",
            DType::I8 => "INT8",
            DType::Bool => "BOOL",
        }
    }

    pub fn from_v2(s: &str) -> Option<DType> {
        Some(match s {
            "FP32" => DType::F32,
            "FP64" => DType::F64,
            "INT32" => DType::I32,
            "INT64" => DType::I64,
            "UINT8" => DType::U8,
            "INT8" => DType::I8,
            "BOOL" => DType::Bool,
            _ => return None,
        })
    }
}

/// Tensor data, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    I8(Vec<i8>),
    Bool(Vec<bool>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::I8(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn empty(dtype: DType) -> Data {
        match dtype {
            DType::F32 => Data::F32(vec![]),
            DType::F64 => Data::F64(vec![]),
            DType::I32 => Data::I32(vec![]),
            DType::I64 => Data::I64(vec![]),
            DType::U8 => Data::U8(vec![]),
            DType::I8 => Data::I8(vec![]),
            DType::Bool => Data::Bool(vec![]),
        }
    }

    pub fn zeros(dtype: DType, n: usize) -> Data {
        match dtype {
            DType::F32 => Data::F32(vec![0.0; n]),
            DType::F64 => Data::F64(vec![0.0; n]),
            DType::I32 => Data::I32(vec![0; n]),
            DType::I64 => Data::I64(vec![0; n]),
            DType::U8 => Data::U8(vec![0; n]),
            DType::I8 => Data::I8(vec![0; n]),
            DType::Bool => Data::Bool(vec![false; n]),
        }
    }

    /// Appends `other` (same type).
    pub fn extend(&mut self, other: &Data) {
        match (self, other) {
            (Data::F32(a), Data::F32(b)) => a.extend_from_slice(b),
            (Data::F64(a), Data::F64(b)) => a.extend_from_slice(b),
            (Data::I32(a), Data::I32(b)) => a.extend_from_slice(b),
            (Data::I64(a), Data::I64(b)) => a.extend_from_slice(b),
            (Data::U8(a), Data::U8(b)) => a.extend_from_slice(b),
            (Data::I8(a), Data::I8(b)) => a.extend_from_slice(b),
            (Data::Bool(a), Data::Bool(b)) => a.extend_from_slice(b),
            _ => unreachable!("tensors of one input share a dtype"),
        }
    }

    /// Elements `range` as a new tensor buffer.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Data {
        match self {
            Data::F32(v) => Data::F32(v[range].to_vec()),
            Data::F64(v) => Data::F64(v[range].to_vec()),
            Data::I32(v) => Data::I32(v[range].to_vec()),
            Data::I64(v) => Data::I64(v[range].to_vec()),
            Data::U8(v) => Data::U8(v[range].to_vec()),
            Data::I8(v) => Data::I8(v[range].to_vec()),
            Data::Bool(v) => Data::Bool(v[range].to_vec()),
        }
    }

    fn to_json(&self) -> J {
        match self {
            Data::F32(v) => json!(v),
            Data::F64(v) => json!(v),
            Data::I32(v) => json!(v),
            Data::I64(v) => json!(v),
            Data::U8(v) => json!(v),
            Data::I8(v) => json!(v),
            Data::Bool(v) => json!(v),
        }
    }
}

/// A named tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<i64>,
    pub data: Data,
}

impl Tensor {
    pub fn dtype(&self) -> DType {
        match self.data {
            Data::F32(_) => DType::F32,
            Data::F64(_) => DType::F64,
            Data::I32(_) => DType::I32,
            Data::I64(_) => DType::I64,
            Data::U8(_) => DType::U8,
            Data::I8(_) => DType::I8,
            Data::Bool(_) => DType::Bool,
        }
    }

    /// The V2 JSON form of an output tensor.
    pub fn to_v2(&self) -> J {
        json!({"name": self.name, "shape": self.shape, "datatype": self.dtype().v2_name(), "data": self.data.to_json()})
    }

    /// Rows as nested JSON arrays, written straight to text (for SageMaker `predictions`).
    pub fn rows_json(&self) -> String {
        fn write<T: serde::Serialize>(out: &mut String, flat: &[T], shape: &[i64]) {
            match shape {
                [] | [_] => out.push_str(&serde_json::to_string(flat).unwrap_or_default()),
                [n, rest @ ..] => {
                    let step = rest.iter().product::<i64>().max(0) as usize;
                    out.push('[');
                    for i in 0..(*n).max(0) as usize {
                        if i > 0 {
                            out.push(',');
                        }
                        write(
                            out,
                            &flat[(i * step).min(flat.len())..((i + 1) * step).min(flat.len())],
                            rest,
                        );
                    }
                    out.push(']');
                }
            }
        }
        let mut out = String::with_capacity(self.data.len() * 12 + 16);
        match &self.data {
            Data::F32(v) => write(&mut out, v, &self.shape),
            Data::F64(v) => write(&mut out, v, &self.shape),
            Data::I32(v) => write(&mut out, v, &self.shape),
            Data::I64(v) => write(&mut out, v, &self.shape),
            Data::U8(v) => write(&mut out, v, &self.shape),
            Data::I8(v) => write(&mut out, v, &self.shape),
            Data::Bool(v) => write(&mut out, v, &self.shape),
        }
        out
    }
}

/// A declared model input or output.
#[derive(Debug, Clone, PartialEq)]
pub struct IoSpec {
    pub name: String,
    pub dtype: DType,
    /// `-1` for a dynamic dimension.
    pub shape: Vec<i64>,
}

impl IoSpec {
    pub fn to_json(&self) -> J {
        json!({"name": self.name, "datatype": self.dtype.v2_name(), "shape": self.shape})
    }
}

/// A client error: a 4xx answer with a message saying what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

fn bad(msg: impl Into<String>) -> BadRequest {
    BadRequest(msg.into())
}

/// Flattens nested JSON arrays into numbers, checking they form the given shape when known.
fn flatten<'a>(v: &'a J, out: &mut Vec<&'a J>) {
    match v {
        J::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        other => out.push(other),
    }
}

fn nested_shape(v: &J) -> Vec<i64> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let J::Array(items) = cur {
        shape.push(items.len() as i64);
        match items.first() {
            Some(x) => cur = x,
            None => break,
        }
    }
    shape
}

fn parse_data(values: &[&J], dtype: DType, name: &str) -> Result<Data, BadRequest> {
    macro_rules! conv {
        ($variant:ident, $t:ty, $get:expr, $what:expr) => {{
            let mut out: Vec<$t> = Vec::with_capacity(values.len());
            for (i, x) in values.iter().enumerate() {
                let x: &J = x;
                match $get(x) {
                    Some(v) => out.push(v),
                    None => {
                        return Err(bad(format!(
                            "input \"{name}\": element {i} is {x}, but the model expects {}",
                            $what
                        )))
                    }
                }
            }
            Data::$variant(out)
        }};
    }
    let int = |x: &J| {
        x.as_i64()
            .or_else(|| x.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
    };
    Ok(match dtype {
        DType::F32 => conv!(
            F32,
            f32,
            |x: &J| x.as_f64().map(|f| f as f32).filter(|f| f.is_finite()),
            "FP32 numbers (at most 3.4028235e38 in magnitude)"
        ),
        DType::F64 => conv!(F64, f64, |x: &J| x.as_f64(), "FP64 numbers"),
        DType::I32 => conv!(
            I32,
            i32,
            |x: &J| int(x).and_then(|v| i32::try_from(v).ok()),
            "INT32 integers"
        ),
        DType::I64 => conv!(I64, i64, int, "INT64 integers"),
        DType::U8 => conv!(
            U8,
            u8,
            |x: &J| int(x).and_then(|v| u8::try_from(v).ok()),
            "UINT8 integers (0 to 255)"
        ),
        DType::I8 => conv!(
            I8,
            i8,
            |x: &J| int(x).and_then(|v| i8::try_from(v).ok()),
            "INT8 integers (-128 to 127)"
        ),
        DType::Bool => conv!(Bool, bool, |x: &J| x.as_bool(), "booleans"),
    })
}

/// Most dimensions a request's tensor may have.
pub const MAX_RANK: usize = 16;

/// The element count of `shape`, refused when it does not fit in memory's address space
/// (a product that overflows would otherwise wrap to a small number).
pub fn element_count(name: &str, shape: &[i64]) -> Result<usize, BadRequest> {
    shape
        .iter()
        .try_fold(1usize, |n, d| {
            usize::try_from(*d).ok().and_then(|d| n.checked_mul(d))
        })
        .filter(|n| n.checked_mul(8).is_some_and(|b| b <= isize::MAX as usize))
        .ok_or_else(|| {
            bad(format!(
                "input \"{name}\" has shape {shape:?}, whose element count is too large to hold"
            ))
        })
}

pub fn check_shape(spec: &IoSpec, shape: &[i64]) -> Result<(), BadRequest> {
    if shape.len() > MAX_RANK {
        return Err(bad(format!(
            "input \"{}\" has {} dimensions; at most {MAX_RANK} are accepted",
            spec.name,
            shape.len()
        )));
    }
    let expected = || format!("{:?} (-1 is any size)", spec.shape);
    if shape.len() != spec.shape.len() {
        return Err(bad(format!(
            "input \"{}\" has shape {shape:?}, but the model expects {} dimensions: {}",
            spec.name,
            spec.shape.len(),
            expected()
        )));
    }
    for (i, (got, want)) in shape.iter().zip(&spec.shape).enumerate() {
        if *got < 0 || (*want >= 0 && got != want) {
            return Err(bad(format!(
                "input \"{}\" has shape {shape:?}; dimension {i} must be {}: the model expects {}",
                spec.name,
                if *want >= 0 {
                    want.to_string()
                } else {
                    "non-negative".into()
                },
                expected()
            )));
        }
    }
    Ok(())
}

/// Parses a V2 inference request body against the model's inputs.
/// The declared input a request's tensor `name` of `datatype` feeds, refusing unknown
/// names, repeats and datatypes other than the model's.
pub fn input_spec<'a>(
    inputs: &'a [IoSpec],
    so_far: &[Tensor],
    name: &str,
    datatype: &str,
) -> Result<&'a IoSpec, BadRequest> {
    let spec = inputs.iter().find(|s| s.name == name).ok_or_else(|| {
        bad(format!(
            "the model has no input named \"{name}\"; its inputs are: {}",
            inputs
                .iter()
                .map(|s| format!("{} {} {:?}", s.name, s.dtype.v2_name(), s.shape))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if so_far.iter().any(|x| x.name == name) {
        return Err(bad(format!("input \"{name}\" is given twice")));
    }
    if datatype.is_empty() {
        return Err(bad(format!(
            "input \"{name}\" needs a \"datatype\" ({})",
            spec.dtype.v2_name()
        )));
    }
    match DType::from_v2(datatype) {
        Some(d) if d == spec.dtype => Ok(spec),
        _ => Err(bad(format!(
            "input \"{name}\" has datatype {datatype}, but the model expects {}",
            spec.dtype.v2_name()
        ))),
    }
}

/// Checks every declared input is present and the batch dimensions agree, and puts the
/// tensors in the model's order.
pub fn finish_inputs(
    mut tensors: Vec<Tensor>,
    inputs: &[IoSpec],
) -> Result<Vec<Tensor>, BadRequest> {
    for spec in inputs {
        if !tensors.iter().any(|t| t.name == spec.name) {
            return Err(bad(format!(
                "input \"{}\" ({} {:?}) is missing",
                spec.name,
                spec.dtype.v2_name(),
                spec.shape
            )));
        }
    }
    check_batch(&tensors)?;
    tensors.sort_by_key(|t| inputs.iter().position(|s| s.name == t.name));
    Ok(tensors)
}

/// Refuses requested output names the model does not have.
pub fn check_requested_outputs<'a>(
    names: impl IntoIterator<Item = &'a str>,
    outputs: &[IoSpec],
) -> Result<(), BadRequest> {
    match names
        .into_iter()
        .find(|n| !outputs.iter().any(|o| o.name == *n))
    {
        None => Ok(()),
        Some(bad) => Err(bad_output(bad, outputs)),
    }
}

fn bad_output(name: &str, outputs: &[IoSpec]) -> BadRequest {
    bad(format!(
        "the model has no output named \"{name}\"; its outputs are: {}",
        outputs
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// A parsed V2 inference request.
#[derive(Debug)]
pub struct V2Request {
    /// Inputs in the model's order.
    pub inputs: Vec<Tensor>,
    /// The outputs asked for (all when `None`).
    pub outputs: Option<Vec<RequestedOutput>>,
    pub id: Option<String>,
    /// The request's `binary_data_output` parameter: outputs not asked for by name come back
    /// as binary data.
    pub binary_output: bool,
}

/// An output named in the request, and whether it asked for binary data.
#[derive(Debug)]
pub struct RequestedOutput {
    pub name: String,
    pub binary: Option<bool>,
}

impl V2Request {
    /// Whether output `name` is wanted, and if so whether as binary data.
    pub fn wants(&self, name: &str) -> Option<bool> {
        match &self.outputs {
            None => Some(self.binary_output),
            Some(list) => list
                .iter()
                .find(|o| o.name == name)
                .map(|o| o.binary.unwrap_or(self.binary_output)),
        }
    }
}

fn binary_flag(v: &J, key: &str) -> Option<bool> {
    v.get("parameters")
        .and_then(|p| p.get(key))
        .and_then(J::as_bool)
}

/// Parses a V2 inference request body against the model's inputs. `binary` is the part
/// after the JSON header when the binary tensor data extension is used.
pub fn parse_v2_request(
    body: &J,
    inputs: &[IoSpec],
    binary: Option<&[u8]>,
) -> Result<V2Request, BadRequest> {
    let mut binary_left = binary.unwrap_or_default();
    let obj = body
        .as_object()
        .ok_or_else(|| bad("the request body must be a JSON object with an \"inputs\" array"))?;
    let list = obj
        .get("inputs")
        .and_then(J::as_array)
        .ok_or_else(|| bad("the request body must have an \"inputs\" array of tensors"))?;
    let mut tensors = Vec::new();
    for t in list {
        let name = t
            .get("name")
            .and_then(J::as_str)
            .ok_or_else(|| bad("every input tensor needs a \"name\""))?;
        let datatype = t.get("datatype").and_then(J::as_str).unwrap_or("");
        let spec = input_spec(inputs, &tensors, name, datatype)?;
        let shape: Vec<i64> = t
            .get("shape")
            .and_then(J::as_array)
            .ok_or_else(|| bad(format!("input \"{name}\" needs a \"shape\" array")))?
            .iter()
            .map(|d| {
                d.as_i64().ok_or_else(|| {
                    bad(format!(
                        "input \"{name}\": shape dimensions must be integers"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        check_shape(spec, &shape)?;
        let expected = element_count(name, &shape)?;
        let binary_size = t.get("parameters").and_then(|p| p.get("binary_data_size"));
        let data = if let Some(size) = binary_size {
            let size = size
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "input \"{name}\": binary_data_size must be a byte count"
                    ))
                })?;
            if binary.is_none() {
                return Err(bad(format!("input \"{name}\" gives binary_data_size, but the request has no Inference-Header-Content-Length header")));
            }
            if size > binary_left.len() {
                return Err(bad(format!(
                    "input \"{name}\": binary_data_size is {size}, but only {} bytes of binary data are left in the body",
                    binary_left.len()
                )));
            }
            let (mine, rest) = binary_left.split_at(size);
            binary_left = rest;
            crate::binary::decode(spec.dtype, mine, expected, name)?
        } else {
            let mut flat = Vec::new();
            flatten(
                t.get("data")
                    .ok_or_else(|| bad(format!("input \"{name}\" needs \"data\"")))?,
                &mut flat,
            );
            if flat.len() != expected {
                return Err(bad(format!(
                    "input \"{name}\" has {} elements, but shape {shape:?} needs {expected}",
                    flat.len()
                )));
            }
            parse_data(&flat, spec.dtype, name)?
        };
        tensors.push(Tensor {
            name: name.to_string(),
            shape,
            data,
        });
    }
    if !binary_left.is_empty() {
        return Err(bad(format!(
            "{} bytes of binary data follow the tensors the header describes",
            binary_left.len()
        )));
    }
    let tensors = finish_inputs(tensors, inputs)?;
    let outputs = obj.get("outputs").and_then(J::as_array).map(|o| {
        o.iter()
            .filter_map(|x| {
                x.get("name").and_then(J::as_str).map(|n| RequestedOutput {
                    name: n.to_string(),
                    binary: binary_flag(x, "binary_data"),
                })
            })
            .collect()
    });
    let id = obj.get("id").and_then(J::as_str).map(str::to_string);
    Ok(V2Request {
        inputs: tensors,
        outputs,
        id,
        binary_output: binary_flag(body, "binary_data_output").unwrap_or(false),
    })
}

/// Parses SageMaker-style rows (`{"instances": [...]}` or a bare array) for a one-input model.
pub fn parse_rows(rows: &J, inputs: &[IoSpec]) -> Result<Vec<Tensor>, BadRequest> {
    let [spec] = inputs else {
        return Err(bad(format!("this model has {} inputs; send {{\"inputs\": [...]}} with named tensors instead of rows", inputs.len())));
    };
    let J::Array(items) = rows else {
        return Err(bad("\"instances\" must be an array of rows"));
    };
    if items.is_empty() {
        return Err(bad("\"instances\" is empty; send at least one row"));
    }
    let shape = nested_shape(rows);
    // A flat list of numbers is one row for a 2-dimensional input.
    let (shape, rows) = if shape.len() + 1 == spec.shape.len() && shape.len() == 1 {
        (vec![1, shape[0]], J::Array(vec![rows.clone()]))
    } else {
        (shape, rows.clone())
    };
    check_shape(spec, &shape)?;
    let mut flat = Vec::new();
    flatten(&rows, &mut flat);
    let expected = element_count(&spec.name, &shape)?;
    if flat.len() != expected {
        return Err(bad(format!(
            "the rows are ragged: {} elements do not form shape {shape:?}",
            flat.len()
        )));
    }
    Ok(vec![Tensor {
        name: spec.name.clone(),
        shape,
        data: parse_data(&flat, spec.dtype, &spec.name)?,
    }])
}

fn check_batch(tensors: &[Tensor]) -> Result<(), BadRequest> {
    let rows: Vec<i64> = tensors
        .iter()
        .filter_map(|t| t.shape.first().copied())
        .collect();
    if rows.windows(2).any(|w| w[0] != w[1]) {
        return Err(bad(format!(
            "inputs disagree on the batch dimension (first dimension): {rows:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Vec<IoSpec> {
        vec![IoSpec {
            name: "x".into(),
            dtype: DType::F32,
            shape: vec![-1, 3],
        }]
    }

    #[test]
    fn parses_and_rejects_v2_tensors() {
        let ok = json!({"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]}]});
        let t = parse_v2_request(&ok, &spec(), None).unwrap().inputs;
        assert_eq!(t[0].data, Data::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        let cases = [
            (
                json!({"inputs": [{"name": "y", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}),
                "no input named \"y\"",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}),
                "dimension 1 must be 3",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "INT64", "data": [1, 2, 3]}]}),
                "expects FP32",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2]}]}),
                "has 2 elements",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, "a", 3]}]}),
                "element 1",
            ),
            (json!({"inputs": []}), "is missing"),
            (
                json!({"inputs": [{"name": "x", "shape": [4611686018427387904_i64, 3], "datatype": "FP32", "data": []}]}),
                "too large",
            ),
            (
                json!({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1e39, 0, 0]}]}),
                "element 0 is 1e+39",
            ),
            (json!([1, 2]), "JSON object"),
        ];
        for (body, msg) in cases {
            let err = parse_v2_request(&body, &spec(), None).unwrap_err().0;
            assert!(err.contains(msg), "{err} should contain {msg}");
        }
    }

    #[test]
    fn parses_rows() {
        let t = parse_rows(&json!([[1, 2, 3]]), &spec()).unwrap();
        assert_eq!(t[0].shape, vec![1, 3]);
        let single = parse_rows(&json!([1, 2, 3]), &spec()).unwrap();
        assert_eq!(single[0].shape, vec![1, 3]);
        assert!(parse_rows(&json!([[1, 2], [3]]), &spec()).is_err());
        let out = Tensor {
            name: "y".into(),
            shape: vec![2, 2],
            data: Data::F32(vec![1.0, 2.0, 3.0, 4.0]),
        };
        assert_eq!(out.rows_json(), "[[1.0,2.0],[3.0,4.0]]");
    }
}
