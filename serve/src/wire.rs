//! The fast path for JSON request bodies: V2 requests and SageMaker rows deserialized
//! straight into typed tensor buffers, with no `serde_json::Value` tree in between. Any body
//! it does not take as it is (malformed, a wrong name, shape or element) returns `None`, and
//! the caller parses it again on the general path (`tensor.rs`), whose errors say what was
//! expected; so both accept exactly the same requests.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::tensor::{
    check_shape, element_count, finish_inputs, input_spec, DType, Data, IoSpec, RequestedOutput,
    Tensor, V2Request,
};

/// One element as sent.
#[derive(Debug, Clone, Copy)]
enum Elem {
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// Nested arrays of numbers or booleans, flattened, with the lengths along the first
/// element at each depth (the shape, for rows).
#[derive(Debug, Default)]
struct Flat {
    elems: Vec<Elem>,
    dims: Vec<Option<usize>>,
}

/// The token serde_json uses for numbers kept as text (`arbitrary_precision`, which the
/// workspace enables for state files).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

struct FlatSeed<'a> {
    flat: &'a mut Flat,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for FlatSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FlatSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("numbers, booleans or arrays of them")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.flat.elems.push(Elem::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.flat.elems.push(Elem::Int(v));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.flat.elems.push(match i64::try_from(v) {
            Ok(i) => Elem::Int(i),
            Err(_) => Elem::Float(v as f64),
        });
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.flat.elems.push(Elem::Float(v));
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match map.next_key::<String>()? {
            Some(k) if k == NUMBER_TOKEN => {
                let text: String = map.next_value()?;
                let elem = match text.parse::<i64>() {
                    Ok(i) => Elem::Int(i),
                    Err(_) => Elem::Float(
                        text.parse::<f64>()
                            .map_err(|_| de::Error::custom("not a number"))?,
                    ),
                };
                self.flat.elems.push(elem);
                Ok(())
            }
            _ => Err(de::Error::custom("an object is not a tensor element")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth;
        let mut n = 0usize;
        while seq
            .next_element_seed(FlatSeed {
                flat: &mut *self.flat,
                depth: depth + 1,
            })?
            .is_some()
        {
            n += 1;
        }
        if self.flat.dims.len() <= depth {
            self.flat.dims.resize(depth + 1, None);
        }
        if self.flat.dims[depth].is_none() {
            self.flat.dims[depth] = Some(n);
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Flat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flat, D::Error> {
        let mut flat = Flat::default();
        FlatSeed {
            flat: &mut flat,
            depth: 0,
        }
        .deserialize(d)?;
        Ok(flat)
    }
}

impl Flat {
    /// The shape the nesting gives (as the general path's `nested_shape`).
    fn shape(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for d in &self.dims {
            match d {
                Some(n) => {
                    out.push(*n as i64);
                    if *n == 0 {
                        break;
                    }
                }
                None => break,
            }
        }
        out
    }

    /// The elements as `dtype`, or `None` if one does not convert (the general path says
    /// which).
    fn typed(&self, dtype: DType) -> Option<Data> {
        let int = |e: &Elem| match *e {
            Elem::Int(i) => Some(i),
            Elem::Float(f) if f.fract() == 0.0 => Some(f as i64),
            _ => None,
        };
        let float = |e: &Elem| match *e {
            Elem::Int(i) => Some(i as f64),
            Elem::Float(f) => Some(f),
            Elem::Bool(_) => None,
        };
        let it = self.elems.iter();
        Some(match dtype {
            DType::F32 => Data::F32(
                it.map(|e| float(e).map(|f| f as f32).filter(|f| f.is_finite()))
                    .collect::<Option<_>>()?,
            ),
            DType::F64 => Data::F64(it.map(float).collect::<Option<_>>()?),
            DType::I32 => Data::I32(
                it.map(|e| int(e).and_then(|v| i32::try_from(v).ok()))
                    .collect::<Option<_>>()?,
            ),
            DType::I64 => Data::I64(it.map(int).collect::<Option<_>>()?),
            DType::U8 => Data::U8(
                it.map(|e| int(e).and_then(|v| u8::try_from(v).ok()))
                    .collect::<Option<_>>()?,
            ),
            DType::I8 => Data::I8(
                it.map(|e| int(e).and_then(|v| i8::try_from(v).ok()))
                    .collect::<Option<_>>()?,
            ),
            DType::Bool => Data::Bool(
                it.map(|e| match e {
                    Elem::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            ),
        })
    }
}

#[derive(Deserialize)]
struct WireParameters {
    binary_data_size: Option<u64>,
    binary_data: Option<bool>,
    binary_data_output: Option<bool>,
}

#[derive(Deserialize)]
struct WireTensor {
    name: String,
    datatype: String,
    shape: Vec<i64>,
    data: Option<Flat>,
    parameters: Option<WireParameters>,
}

#[derive(Deserialize)]
struct WireOutput {
    name: String,
    parameters: Option<WireParameters>,
}

#[derive(Deserialize)]
struct WireRequest {
    id: Option<String>,
    inputs: Vec<WireTensor>,
    outputs: Option<Vec<WireOutput>>,
    parameters: Option<WireParameters>,
}

/// A V2 request body parsed on the fast path; `None` sends it to the general path.
pub fn parse_v2(body: &[u8], inputs: &[IoSpec], binary: Option<&[u8]>) -> Option<V2Request> {
    let req: WireRequest = serde_json::from_slice(body).ok()?;
    let mut binary_left = binary.unwrap_or_default();
    let mut tensors = Vec::with_capacity(req.inputs.len());
    for t in req.inputs {
        let spec = input_spec(inputs, &tensors, &t.name, &t.datatype).ok()?;
        check_shape(spec, &t.shape).ok()?;
        let count = element_count(&t.name, &t.shape).ok()?;
        let size = t.parameters.as_ref().and_then(|p| p.binary_data_size);
        let data = match (size, t.data) {
            (Some(size), _) => {
                binary?;
                let size = usize::try_from(size).ok()?;
                if size > binary_left.len() {
                    return None;
                }
                let (mine, rest) = binary_left.split_at(size);
                binary_left = rest;
                crate::binary::decode(spec.dtype, mine, count, &t.name).ok()?
            }
            (None, Some(flat)) if flat.elems.len() == count => flat.typed(spec.dtype)?,
            _ => return None,
        };
        tensors.push(Tensor {
            name: t.name,
            shape: t.shape,
            data,
        });
    }
    if !binary_left.is_empty() {
        return None;
    }
    let tensors = finish_inputs(tensors, inputs).ok()?;
    Some(V2Request {
        inputs: tensors,
        outputs: req.outputs.map(|o| {
            o.into_iter()
                .map(|o| RequestedOutput {
                    name: o.name,
                    binary: o.parameters.and_then(|p| p.binary_data),
                })
                .collect()
        }),
        id: req.id,
        binary_output: req
            .parameters
            .and_then(|p| p.binary_data_output)
            .unwrap_or(false),
    })
}

/// Only `instances`: a body with other keys (a V2 body with `inputs`, say) goes on.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRows {
    instances: Flat,
}

/// SageMaker rows (`{"instances": [...]}` or a bare array) for a one-input model on the
/// fast path; `None` sends the body to the general path.
pub fn parse_rows(body: &[u8], inputs: &[IoSpec]) -> Option<Vec<Tensor>> {
    let [spec] = inputs else { return None };
    let flat = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice::<Flat>(body).ok()?,
        Some(b'{') => serde_json::from_slice::<WireRows>(body).ok()?.instances,
        _ => return None,
    };
    let mut shape = flat.shape();
    if shape.is_empty() || shape[0] == 0 {
        return None;
    }
    // A flat list of numbers is one row for a 2-dimensional input.
    if shape.len() == 1 && spec.shape.len() == 2 {
        shape.insert(0, 1);
    }
    check_shape(spec, &shape).ok()?;
    if element_count(&spec.name, &shape).ok()? != flat.elems.len() {
        return None;
    }
    Some(vec![Tensor {
        name: spec.name.clone(),
        shape,
        data: flat.typed(spec.dtype)?,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{parse_rows as slow_rows, parse_v2_request};

    fn specs() -> Vec<IoSpec> {
        vec![IoSpec {
            name: "x".into(),
            dtype: DType::F32,
            shape: vec![-1, 3],
        }]
    }

    #[test]
    fn agrees_with_the_general_path() {
        let bodies = [
            r#"{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5.5, 6]]}], "id": "a"}"#,
            r#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}], "outputs": [{"name": "y", "parameters": {"binary_data": true}}]}"#,
            r#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2]}]}"#,
            r#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, "a", 3]}]}"#,
            r#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1e39, 0, 0]}]}"#,
            r#"{"inputs": [{"name": "z", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}"#,
        ];
        for b in bodies {
            let fast = parse_v2(b.as_bytes(), &specs(), None);
            let slow = parse_v2_request(&serde_json::from_str(b).unwrap(), &specs(), None);
            match (fast, slow) {
                (Some(f), Ok(s)) => {
                    assert_eq!(f.inputs, s.inputs, "{b}");
                    assert_eq!(f.id, s.id);
                    assert_eq!(f.binary_output, s.binary_output);
                }
                (None, Err(_)) => {}
                (f, s) => panic!("{b}: fast {f:?}, general {s:?}"),
            }
        }
        for b in [
            "[[1, 2, 3], [4, 5, 6]]",
            r#"{"instances": [1, 2, 3]}"#,
            "[[1, 2], [3]]",
            "[]",
        ] {
            let fast = parse_rows(b.as_bytes(), &specs());
            let v: serde_json::Value = serde_json::from_str(b).unwrap();
            let rows = v.get("instances").cloned().unwrap_or(v);
            let slow = slow_rows(&rows, &specs());
            assert_eq!(fast, slow.ok(), "{b}");
        }
    }
}
