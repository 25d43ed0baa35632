//! A value with its marks, serialized: plain JSON plus the paths that were sensitive or
//! unknown, so plan files and state keep the marks across a save and load.

use mlform_provider::{Path, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkedValue {
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<Path>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<Path>,
}

impl From<&Value> for MarkedValue {
    fn from(v: &Value) -> MarkedValue {
        MarkedValue {
            value: v.to_json(),
            sensitive: v.sensitive_paths(),
            unknown: v.unknown_paths(),
        }
    }
}

impl MarkedValue {
    pub fn into_value(self) -> Value {
        let mut v = Value::from_json(&self.value);
        for path in &self.unknown {
            v = set_at(v, path, Value::Unknown);
        }
        v.with_sensitive_paths(&self.sensitive)
    }

    pub fn to_json(&self) -> serde_json::Value {
        if self.sensitive.is_empty() && self.unknown.is_empty() {
            return serde_json::json!({ "value": self.value });
        }
        serde_json::to_value(self).expect("marked value serializes")
    }

    pub fn from_json(v: &serde_json::Value) -> Result<MarkedValue, String> {
        serde_json::from_value(v.clone()).map_err(|e| e.to_string())
    }
}

fn set_at(v: Value, path: &[mlform_provider::PathStep], new: Value) -> Value {
    use mlform_provider::PathStep;
    let Some((first, rest)) = path.split_first() else {
        return new;
    };
    match (first, v) {
        (PathStep::GetAttr(k) | PathStep::Key(k), Value::Map(mut m)) => {
            let child = m.remove(k).unwrap_or(Value::Null);
            m.insert(k.clone(), set_at(child, rest, new));
            Value::Map(m)
        }
        (PathStep::Index(i), Value::List(mut items)) if *i < items.len() => {
            let child = std::mem::take(&mut items[*i]);
            items[*i] = set_at(child, rest, new);
            Value::List(items)
        }
        (_, v) => v,
    }
}
