//! KServe V2's binary tensor data extension (what tritonclient sends by default): a JSON
//! header of `Inference-Header-Content-Length` bytes, then each tensor whose parameters give
//! `binary_data_size` as raw little-endian elements, in the order the header lists them.
//! BOOL is one byte per element.

use crate::tensor::{BadRequest, DType, Data};

/// The HTTP header that gives the JSON part's length.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

pub fn element_size(dtype: DType) -> usize {
    match dtype {
        DType::F32 | DType::I32 => 4,
        DType::F64 | DType::I64 => 8,
        DType::U8 | DType::I8 | DType::Bool => 1,
    }
}

/// Splits a body into its JSON header and the binary part after it.
pub fn split<'a>(body: &'a [u8], header_len: &str) -> Result<(&'a [u8], &'a [u8]), BadRequest> {
    let n: usize = header_len.trim().parse().map_err(|_| {
        BadRequest(format!(
            "the Inference-Header-Content-Length header must be a byte count, not \"{header_len}\""
        ))
    })?;
    if n > body.len() {
        return Err(BadRequest(format!(
            "Inference-Header-Content-Length is {n}, but the body has only {} bytes",
            body.len()
        )));
    }
    Ok(body.split_at(n))
}

/// Reads `count` elements of `dtype` from exactly `bytes`.
pub fn decode(dtype: DType, bytes: &[u8], count: usize, name: &str) -> Result<Data, BadRequest> {
    let size = element_size(dtype);
    if count.checked_mul(size) != Some(bytes.len()) {
        return Err(BadRequest(format!(
            "input \"{name}\": binary_data_size is {} bytes, but its shape needs {count} elements of {size} bytes",
            bytes.len()
        )));
    }
    macro_rules! read {
        ($variant:ident, $t:ty) => {
            Data::$variant(
                bytes
                    .chunks_exact(size)
                    .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk of the element size")))
                    .collect(),
            )
        };
    }
    Ok(match dtype {
        DType::F32 => {
            let v: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            Data::F32(v)
        }
        DType::F64 => read!(F64, f64),
        DType::I32 => read!(I32, i32),
        DType::I64 => read!(I64, i64),
        DType::U8 => Data::U8(bytes.to_vec()),
        DType::I8 => Data::I8(bytes.iter().map(|b| *b as i8).collect()),
        DType::Bool => {
            if let Some(i) = bytes.iter().position(|b| *b > 1) {
                return Err(BadRequest(format!(
                    "input \"{name}\": BOOL element {i} is the byte {}, but booleans are 0 or 1",
                    bytes[i]
                )));
            }
            Data::Bool(bytes.iter().map(|b| *b == 1).collect())
        }
    })
}

/// Appends the elements' raw little-endian bytes.
pub fn encode(data: &Data, out: &mut Vec<u8>) {
    match data {
        Data::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Data::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Data::I32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Data::I64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Data::U8(v) => out.extend_from_slice(v),
        Data::I8(v) => out.extend(v.iter().map(|x| *x as u8)),
        Data::Bool(v) => out.extend(v.iter().map(|x| *x as u8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let cases = [
            Data::F32(vec![1.5, -2.0, f32::MAX]),
            Data::F64(vec![0.1, -1e300]),
            Data::I32(vec![i32::MIN, 7]),
            Data::I64(vec![i64::MAX, -1]),
            Data::U8(vec![0, 255]),
            Data::I8(vec![-128, 127]),
            Data::Bool(vec![true, false, true]),
        ];
        for data in cases {
            let dtype = crate::tensor::Tensor {
                name: "x".into(),
                shape: vec![data.len() as i64],
                data: data.clone(),
            }
            .dtype();
            let mut bytes = Vec::new();
            encode(&data, &mut bytes);
            assert_eq!(bytes.len(), data.len() * element_size(dtype));
            assert_eq!(decode(dtype, &bytes, data.len(), "x").unwrap(), data);
        }
    }

    #[test]
    fn refuses_sizes_that_do_not_match() {
        assert!(decode(DType::F32, &[0; 7], 2, "x").is_err());
        assert!(decode(DType::F32, &[0; 8], usize::MAX, "x").is_err());
        assert!(decode(DType::Bool, &[2], 1, "x").is_err());
        assert!(split(b"{}", "3").is_err());
        assert!(split(b"{}", "x").is_err());
        assert_eq!(split(b"{}ab", "2").unwrap(), (&b"{}"[..], &b"ab"[..]));
    }
}
