//! Typed models: a resource's attributes as a serde struct, converted to and from the
//! engine's [`Value`] by the schema (nulls are absent fields, sets stay sets).

use std::time::Duration;

use mlform_provider::{Nesting, ProviderError, Schema, Type, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A `timeouts` block as written (`create = "30m"`); mlform's own setting, never AWS's.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Timeouts {
    #[serde(skip_serializing_if = "Option::is_none")]
    create: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete: Option<String>,
}

impl Timeouts {
    /// How long `phase` (`create`, `update` or `delete`) may take: the block's value, or
    /// `default` when the block or the phase is unset.
    pub fn of(timeouts: Option<&Timeouts>, phase: &str, default: Duration) -> Duration {
        let text = timeouts.and_then(|t| match phase {
            "create" => t.create.as_deref(),
            "update" => t.update.as_deref(),
            _ => t.delete.as_deref(),
        });
        mlform_provider::parse_timeout(text, default)
    }
}

/// Reads a model from a (wholly known) value. Null attributes become absent fields, so a
/// model marks optional fields `#[serde(default)]`.
pub fn from_value<M: DeserializeOwned>(type_name: &str, value: &Value) -> Result<M, ProviderError> {
    let mut json = value.strip_marks().to_json();
    drop_nulls(&mut json);
    serde_json::from_value(json).map_err(|e| {
        ProviderError::InvalidConfig(format!("{type_name}: unexpected attribute value: {e}"))
    })
}

/// Writes a model as a value of `schema`'s shape.
pub fn to_value<M: Serialize>(schema: &Schema, model: &M) -> Value {
    let json = serde_json::to_value(model).unwrap_or(serde_json::Value::Null);
    shape(schema, &schema.conform(&Value::from_json(&json)))
}

fn drop_nulls(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Gives set-typed attributes set values (models leave an empty optional collection out,
/// so that it reads as null).
fn shape(schema: &Schema, value: &Value) -> Value {
    let Some(map) = value.as_map() else {
        return value.clone();
    };
    let mut out = map.clone();
    for (name, attr) in &schema.attributes {
        if let Some(v) = out.get(name).cloned() {
            out.insert(name.clone(), shape_type(&attr.ty, v));
        }
    }
    for (name, block) in &schema.blocks {
        let shaped = match (block.nesting, out.get(name)) {
            (Nesting::Single, Some(v)) if !v.is_null() => shape(&block.block, v),
            (Nesting::List, Some(Value::List(items))) => {
                Value::List(items.iter().map(|i| shape(&block.block, i)).collect())
            }
            (Nesting::Set, Some(Value::Set(items) | Value::List(items))) => {
                Value::set_from(items.iter().map(|i| shape(&block.block, i)).collect())
            }
            (_, Some(v)) => v.clone(),
            (_, None) => continue,
        };
        out.insert(name.clone(), shaped);
    }
    Value::Map(out)
}

fn shape_type(ty: &Type, value: Value) -> Value {
    match (ty, value) {
        (Type::Set(t), Value::List(items) | Value::Set(items)) => {
            Value::set_from(items.into_iter().map(|i| shape_type(t, i)).collect())
        }
        (Type::List(t), Value::List(items)) => {
            Value::List(items.into_iter().map(|i| shape_type(t, i)).collect())
        }
        (_, v) => v,
    }
}
