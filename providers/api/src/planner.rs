//! The generic, schema-driven planner most resource types use: the same rules Terraform's
//! plugin SDK applies (unset optional+computed attributes keep their prior value, computed
//! ones become unknown on create or replace, force_new attributes trigger replacement).

use std::collections::BTreeMap;

use crate::{Path, PathStep, PlanRequest, Planned, ProviderError, Schema, Value};

/// Plans a change from the schema alone. Resource types with special rules wrap or replace it.
pub fn plan_by_schema(schema: &Schema, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
    let config = request.config.as_map().cloned().unwrap_or_default();
    let prior = request.prior.and_then(|p| p.as_map()).cloned();

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
        state: Value::Map(planned),
        requires_replace,
        replace_reason: None,
    })
}
