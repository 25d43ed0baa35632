//! `kubernetes_secret`'s body, the one kind whose attributes do not map field for field:
//! `data` (plain values, written base64-encoded) and `binary_data` (already encoded) share
//! the object's `data`, told apart on reading by the keys the configuration gave.

use base64::Engine as _;
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use serde_json::{Map, Value as J};

pub fn attributes() -> Schema {
    Schema::new()
        .attr(
            "data",
            Attribute::optional(Type::map(Type::String))
                .sensitive()
                .describe("Plain values; written base64-encoded, as the provider does."),
        )
        .attr(
            "binary_data",
            Attribute::optional(Type::map(Type::String))
                .sensitive()
                .describe("Values already base64-encoded."),
        )
        .attr(
            "type",
            Attribute::optional(Type::String)
                .force_new()
                .default("Opaque"),
        )
        .attr("immutable", Attribute::optional(Type::Bool))
}

pub fn encode(v: &Value) -> Result<Map<String, J>, ProviderError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut data = Map::new();
    if let Some(m) = v.get_attr("data").strip_marks().as_map() {
        for (k, x) in m.iter() {
            data.insert(
                k.clone(),
                J::String(b64.encode(x.as_str().unwrap_or_default())),
            );
        }
    }
    if let Some(m) = v.get_attr("binary_data").strip_marks().as_map() {
        for (k, x) in m.iter() {
            let text = x.as_str().unwrap_or_default();
            if b64.decode(text).is_err() {
                return Err(ProviderError::InvalidConfig(format!(
                    "binary_data[\"{k}\"] is not base64; put plain values in data"
                )));
            }
            data.insert(k.clone(), J::String(text.to_string()));
        }
    }
    let mut m = Map::new();
    m.insert("data".into(), J::Object(data));
    m.insert(
        "type".into(),
        J::String(
            v.get_attr("type")
                .strip_marks()
                .as_str()
                .unwrap_or("Opaque")
                .to_string(),
        ),
    );
    let immutable = v.get_attr("immutable").strip_marks();
    if !immutable.is_null() {
        m.insert("immutable".into(), immutable.to_json());
    }
    Ok(m)
}

pub fn decode(live: &J, prior: &Value) -> Vec<(String, Value)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    // Keys the configuration gave as binary stay encoded; the rest are decoded.
    let binary: Vec<String> = prior
        .get_attr("binary_data")
        .strip_marks()
        .as_map()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut data = Vec::new();
    let mut bin = Vec::new();
    if let Some(m) = live.get("data").and_then(J::as_object) {
        for (k, x) in m {
            let text = x.as_str().unwrap_or_default();
            if binary.contains(k) {
                bin.push((k.clone(), Value::from(text)));
            } else {
                let plain = b64
                    .decode(text)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                match plain {
                    Some(p) => data.push((k.clone(), Value::from(p))),
                    None => bin.push((k.clone(), Value::from(text))),
                }
            }
        }
    }
    let map = |entries: Vec<(String, Value)>| {
        if entries.is_empty() {
            Value::Null
        } else {
            Value::object(entries).into_sensitive()
        }
    };
    let field = |name: &str| live.get(name).map(Value::from_json).unwrap_or(Value::Null);
    vec![
        ("data".into(), map(data)),
        ("binary_data".into(), map(bin)),
        ("type".into(), field("type")),
        ("immutable".into(), field("immutable")),
    ]
}
