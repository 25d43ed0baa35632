//! The generic, schema-driven planner most resource types use: the same rules Terraform's
//! plugin SDK applies (unset optional+computed attributes keep their prior value, computed
//! ones become unknown on create or replace, force_new attributes trigger replacement).

use std::collections::BTreeMap;

use crate::{Path, PathStep, PlanRequest, Planned, ProviderError, Schema, Value};

/// Plans a change from the schema alone. Resource types with special rules wrap or replace it.
pub fn plan_by_schema(schema: &Schema, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
    let mut config = request.config.as_map().cloned().unwrap_or_default();
    for (name, attr) in &schema.attributes {
        if let Some(default) = &attr.default {
            if config.get(name).is_none_or(Value::is_null) {
                config.insert(name.clone(), default.clone());
            }
        }
    }
    for (name, block) in &schema.blocks {
        if let Some(v) = config.get(name) {
            let v = with_defaults(v, &block.block);
            config.insert(name.clone(), v);
        }
    }
    let prior = request.prior.and_then(|p| p.as_map()).cloned();
    // Nested blocks: unset optional+computed attributes keep what the provider set before.
    if let Some(prior) = &prior {
        for (name, block) in &schema.blocks {
            if let (Some(cfg), Some(old)) = (config.get(name).cloned(), prior.get(name)) {
                config.insert(name.clone(), keep_computed(&cfg, old, &block.block));
            }
        }
    }

    let mut requires_replace: Vec<Path> = Vec::new();
    if let Some(prior) = &prior {
        for (name, attr) in &schema.attributes {
            if !attr.force_new {
                continue;
            }
            let cfg = config.get(name).cloned().unwrap_or(Value::Null);
            if cfg.is_null() && attr.computed {
                continue;
            }
            let old = prior.get(name).cloned().unwrap_or(Value::Null);
            if !cfg.same_data(&old) {
                requires_replace.push(vec![PathStep::GetAttr(name.clone())]);
            }
        }
        for (name, block) in &schema.blocks {
            if block.force_new {
                let cfg = config.get(name).cloned().unwrap_or(Value::Null);
                let old = prior.get(name).cloned().unwrap_or(Value::Null);
                if !cfg.same_data(&old) {
                    requires_replace.push(vec![PathStep::GetAttr(name.clone())]);
                }
            }
        }
    }
    let replacing = !requires_replace.is_empty();

    let mut planned = BTreeMap::new();
    for (name, attr) in &schema.attributes {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let value = if (attr.required || attr.optional) && !cfg.is_null() {
            cfg
        } else if attr.computed {
            match &prior {
                Some(p) if !replacing => p.get(name).cloned().unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            }
        } else {
            Value::Null
        };
        planned.insert(name.clone(), value.mark_sensitive_if(attr.sensitive));
    }
    for name in schema.blocks.keys() {
        planned.insert(
            name.clone(),
            config.get(name).cloned().unwrap_or(Value::Null),
        );
    }
    Ok(Planned {
        state: Value::Map(planned.into()),
        requires_replace,
        replace_reason: None,
    })
}

/// Block values with their attributes' defaults where configuration leaves them unset.
fn with_defaults(value: &Value, schema: &Schema) -> Value {
    match value {
        Value::Map(m) => {
            let mut out = m.clone();
            for (name, attr) in &schema.attributes {
                if let Some(default) = &attr.default {
                    if out.get(name).is_none_or(Value::is_null) {
                        out.insert(name.clone(), default.clone());
                    }
                }
            }
            for (name, block) in &schema.blocks {
                if let Some(v) = out.get(name).cloned() {
                    out.insert(name.clone(), with_defaults(&v, &block.block));
                }
            }
            Value::Map(out)
        }
        Value::List(items) => Value::List(items.iter().map(|i| with_defaults(i, schema)).collect()),
        Value::Set(items) => {
            Value::set_from(items.iter().map(|i| with_defaults(i, schema)).collect())
        }
        other => other.clone(),
    }
}

/// Fills unset optional+computed attributes of block values from the prior's (single blocks,
/// and list blocks element by element when the counts agree).
fn keep_computed(config: &Value, prior: &Value, schema: &Schema) -> Value {
    match (config, prior.unmark().0) {
        (Value::Map(c), Value::Map(p)) => {
            let mut out = c.clone();
            for (name, attr) in &schema.attributes {
                if attr.computed && out.get(name).is_none_or(Value::is_null) {
                    if let Some(v) = p.get(name) {
                        out.insert(name.clone(), v.clone());
                    }
                }
            }
            for (name, block) in &schema.blocks {
                if let (Some(cv), Some(pv)) = (out.get(name).cloned(), p.get(name)) {
                    out.insert(name.clone(), keep_computed(&cv, pv, &block.block));
                }
            }
            Value::Map(out)
        }
        (Value::List(c), Value::List(p)) if c.len() == p.len() => Value::List(
            c.iter()
                .zip(p)
                .map(|(x, y)| keep_computed(x, y, schema))
                .collect(),
        ),
        _ => config.clone(),
    }
}
