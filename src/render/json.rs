//! The JSON renderer: a plan in the shape of `terraform show -json` (format 1.2), so tools
//! that read Terraform plans (Checkov, OPA, Infracost) read mlform's. Unlike Terraform's,
//! sensitive values are redacted (null, with the `*_sensitive` masks saying where), because
//! plan JSON ends up in CI logs. mlform's additions live under the `mlform` key.

use std::collections::BTreeMap;

use mlform_provider::Value;
use serde_json::{json, Map, Value as J};

use crate::addr::{module_path_string, InstanceAddr, Key};
use crate::config::{Mode, Module};
use crate::eval::refs::{body_refs, expr_refs, RefAt, Reference};
use crate::plan::{Action, Plan, ResourceChange};

/// A value as JSON with sensitive parts redacted and unknown parts left out.
pub fn redacted(v: &Value) -> Option<J> {
    match v {
        Value::Unknown => None,
        Value::Sensitive(_) => Some(J::Null),
        Value::List(items) | Value::Set(items) => Some(J::Array(
            items
                .iter()
                .map(|x| redacted(x).unwrap_or(J::Null))
                .collect(),
        )),
        Value::Map(m) => Some(J::Object(
            m.iter()
                .filter_map(|(k, x)| redacted(x).map(|j| (k.clone(), j)))
                .collect(),
        )),
        other => Some(other.to_json()),
    }
}

/// A mask of the same shape as the value, `true` where `hit` holds (Terraform's
/// `after_unknown` / `*_sensitive`). Returns `false` for a leaf without hits.
fn mask(v: &Value, hit: &dyn Fn(&Value) -> bool) -> J {
    if hit(v) {
        return J::Bool(true);
    }
    match v.unmark().0 {
        Value::List(items) | Value::Set(items) => {
            J::Array(items.iter().map(|x| mask(x, hit)).collect())
        }
        Value::Map(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let mk = mask(x, hit);
                if mk != J::Bool(false) {
                    out.insert(k.clone(), mk);
                }
            }
            J::Object(out)
        }
        _ => J::Bool(false),
    }
}

fn unknown_mask(v: &Option<Value>) -> J {
    match v {
        None => J::Bool(false),
        Some(v) => mask(v, &|x| x.is_unknown()),
    }
}

fn sensitive_mask(v: &Option<Value>) -> J {
    match v {
        None => J::Bool(false),
        Some(v) => mask(v, &|x| x.is_sensitive()),
    }
}

fn opt(v: &Option<Value>) -> J {
    v.as_ref().and_then(redacted).unwrap_or(J::Null)
}

pub(super) fn index_json(k: &Option<Key>) -> Option<J> {
    k.as_ref().map(Key::to_json)
}

fn provider_name(p: &str) -> String {
    p.strip_prefix("provider[\"")
        .and_then(|r| r.split_once("\"]"))
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| p.to_string())
}

fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Managed => "managed",
        Mode::Data => "data",
    }
}

pub(super) fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    let r = c.reason.as_deref()?;
    Some(if r.contains("out of range for count") {
        "delete_because_count_index"
    } else if r.contains("not in for_each") {
        "delete_because_each_key"
    } else if r.contains("not in configuration") || c.action == Action::Forget {
        "delete_because_no_resource_config"
    } else if r.starts_with("replacement requested") {
        "replace_by_request"
    } else if r.starts_with("replace_triggered_by") {
        "replace_by_triggers"
    } else if r == crate::plan::TAINTED {
        "replace_because_tainted"
    } else if r.contains("not yet known") {
        "read_because_config_unknown"
    } else {
        return None;
    })
}

fn resource_change_json(c: &ResourceChange) -> J {
    let mut rc = Map::new();
    rc.insert("address".into(), J::String(c.addr.to_string()));
    if !c.addr.module.is_empty() {
        rc.insert(
            "module_address".into(),
            J::String(module_path_string(&c.addr.module)),
        );
    }
    rc.insert(
        "mode".into(),
        J::String(mode_str(c.addr.resource.mode).into()),
    );
    rc.insert("type".into(), J::String(c.addr.resource.type_name.clone()));
    rc.insert("name".into(), J::String(c.addr.resource.name.clone()));
    if let Some(i) = index_json(&c.addr.key) {
        rc.insert("index".into(), i);
    }
    if c.deposed {
        rc.insert("deposed".into(), J::String("deposed".into()));
    }
    if let Some(p) = &c.previous_addr {
        rc.insert("previous_address".into(), J::String(p.to_string()));
    }
    rc.insert(
        "provider_name".into(),
        J::String(provider_name(&c.provider)),
    );
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.json_actions()));
    change.insert("before".into(), opt(&c.before));
    change.insert("after".into(), opt(&c.after));
    change.insert(
        "after_unknown".into(),
        match &c.after {
            Some(_) => unknown_mask(&c.after),
            None => json!({}),
        },
    );
    change.insert(
        "before_sensitive".into(),
        if c.before.is_some() {
            sensitive_mask(&c.before)
        } else {
            J::Bool(false)
        },
    );
    change.insert(
        "after_sensitive".into(),
        if c.after.is_some() {
            sensitive_mask(&c.after)
        } else {
            J::Bool(false)
        },
    );
    if !c.requires_replace.is_empty() {
        change.insert(
            "replace_paths".into(),
            J::Array(
                c.requires_replace
                    .iter()
                    .map(|p| {
                        J::Array(
                            p.iter()
                                .map(|s| match s {
                                    mlform_provider::PathStep::GetAttr(a)
                                    | mlform_provider::PathStep::Key(a) => J::String(a.clone()),
                                    mlform_provider::PathStep::Index(i) => json!(i),
                                })
                                .collect(),
                        )
                    })
                    .collect(),
            ),
        );
    }
    if let Some(id) = &c.importing {
        change.insert("importing".into(), json!({ "id": id }));
    }
    rc.insert("change".into(), J::Object(change));
    if let Some(r) = action_reason(c) {
        rc.insert("action_reason".into(), J::String(r.into()));
    }
    J::Object(rc)
}

fn state_resource_json(addr: &InstanceAddr, provider: &str, v: &Value, deps: &[String]) -> J {
    let mut r = Map::new();
    r.insert("address".into(), J::String(addr.to_string()));
    r.insert(
        "mode".into(),
        J::String(mode_str(addr.resource.mode).into()),
    );
    r.insert("type".into(), J::String(addr.resource.type_name.clone()));
    r.insert("name".into(), J::String(addr.resource.name.clone()));
    if let Some(i) = index_json(&addr.key) {
        r.insert("index".into(), i);
    }
    r.insert("provider_name".into(), J::String(provider_name(provider)));
    r.insert("schema_version".into(), json!(0));
    r.insert("values".into(), redacted(v).unwrap_or(json!({})));
    r.insert(
        "sensitive_values".into(),
        match mask(v, &|x| x.is_sensitive()) {
            J::Bool(false) => json!({}),
            m => m,
        },
    );
    if !deps.is_empty() {
        r.insert("depends_on".into(), json!(deps));
    }
    J::Object(r)
}

/// Groups resources into Terraform's `root_module` / `child_modules` tree.
fn module_tree(resources: Vec<(InstanceAddr, J)>, outputs: Option<J>) -> J {
    let mut by_module: BTreeMap<String, Vec<J>> = BTreeMap::new();
    for (addr, j) in resources {
        by_module
            .entry(module_path_string(&addr.module))
            .or_default()
            .push(j);
    }
    let mut root = Map::new();
    if let Some(o) = outputs {
        root.insert("outputs".into(), o);
    }
    root.insert("root_module".into(), build_module(&by_module, ""));
    J::Object(root)
}

fn build_module(by_module: &BTreeMap<String, Vec<J>>, address: &str) -> J {
    let mut m = Map::new();
    m.insert(
        "resources".into(),
        J::Array(by_module.get(address).cloned().unwrap_or_default()),
    );
    if !address.is_empty() {
        m.insert("address".into(), J::String(address.into()));
    }
    let prefix = if address.is_empty() {
        String::new()
    } else {
        format!("{address}.")
    };
    let children: Vec<&String> = by_module
        .keys()
        .filter(|k| {
            !k.is_empty()
                && k.starts_with(&prefix)
                && k != &address
                && !k[prefix.len()..]
                    .trim_start_matches("module.")
                    .contains(".module.")
        })
        .filter(|k| k[prefix.len()..].matches("module.").count() == 1)
        .collect();
    if !children.is_empty() {
        m.insert(
            "child_modules".into(),
            J::Array(
                children
                    .into_iter()
                    .map(|c| build_module(by_module, c))
                    .collect(),
            ),
        );
    }
    J::Object(m)
}

fn refs_json(refs: Vec<RefAt>) -> Vec<String> {
    let mut out = Vec::new();
    for r in crate::eval::refs::dedup(refs) {
        let base = match &r.reference {
            Reference::Var(n) => format!("var.{n}"),
            Reference::Local(n) => format!("local.{n}"),
            Reference::Module(m, o) => match o {
                Some(o) => format!("module.{m}.{o}"),
                None => format!("module.{m}"),
            },
            Reference::Resource(k) => k.to_string(),
        };
        if let (Some(a), Reference::Resource(_)) = (&r.attr, &r.reference) {
            out.push(format!("{base}.{a}"));
        }
        out.push(base);
    }
    out
}

fn expression_json(e: &crate::config::Expr) -> J {
    let refs = expr_refs(&e.expr);
    if refs.is_empty() {
        if let Ok(v) = crate::eval::expr::eval_constant(&e.expr) {
            return json!({ "constant_value": redacted(&v).unwrap_or(J::Null) });
        }
    }
    json!({ "references": refs_json(refs) })
}

fn configuration_json(m: &Module, registry_source: &dyn Fn(&str) -> String) -> J {
    let mut out = Map::new();
    let mut resources = Vec::new();
    for (k, r) in &m.resources {
        let mut rj = Map::new();
        rj.insert("address".into(), J::String(k.to_string()));
        rj.insert("mode".into(), J::String(mode_str(k.mode).into()));
        rj.insert("type".into(), J::String(k.type_name.clone()));
        rj.insert("name".into(), J::String(k.name.clone()));
        rj.insert(
            "provider_config_key".into(),
            J::String(r.provider.to_string()),
        );
        let mut exprs = Map::new();
        for attr in r.body.body.attributes() {
            exprs.insert(
                attr.key.as_str().to_string(),
                expression_json(&crate::config::Expr {
                    file: r.body.file,
                    expr: attr.value.clone(),
                }),
            );
        }
        for block in r.body.body.blocks() {
            let refs = body_refs(&block.body);
            let mut bj = Map::new();
            for attr in block.body.attributes() {
                bj.insert(
                    attr.key.as_str().to_string(),
                    expression_json(&crate::config::Expr {
                        file: r.body.file,
                        expr: attr.value.clone(),
                    }),
                );
            }
            let _ = refs;
            let entry = exprs
                .entry(block.ident.as_str().to_string())
                .or_insert_with(|| J::Array(vec![]));
            if let J::Array(a) = entry {
                a.push(J::Object(bj));
            }
        }
        rj.insert("expressions".into(), J::Object(exprs));
        rj.insert("schema_version".into(), json!(0));
        if let Some(c) = &r.count {
            rj.insert("count_expression".into(), expression_json(c));
        }
        if let Some(f) = &r.for_each {
            rj.insert("for_each_expression".into(), expression_json(f));
        }
        if !r.depends_on.is_empty() {
            rj.insert(
                "depends_on".into(),
                J::Array(
                    r.depends_on
                        .iter()
                        .flat_map(|d| refs_json(expr_refs(&d.expr)))
                        .map(J::String)
                        .collect(),
                ),
            );
        }
        resources.push(J::Object(rj));
    }
    if !resources.is_empty() {
        out.insert("resources".into(), J::Array(resources));
    }
    if !m.outputs.is_empty() {
        out.insert(
            "outputs".into(),
            J::Object(
                m.outputs
                    .iter()
                    .map(|(n, o)| {
                        let mut oj = Map::new();
                        if o.sensitive {
                            oj.insert("sensitive".into(), J::Bool(true));
                        }
                        oj.insert("expression".into(), expression_json(&o.value));
                        if let Some(d) = &o.description {
                            oj.insert("description".into(), J::String(d.clone()));
                        }
                        (n.clone(), J::Object(oj))
                    })
                    .collect(),
            ),
        );
    }
    if !m.variables.is_empty() {
        out.insert(
            "variables".into(),
            J::Object(
                m.variables
                    .iter()
                    .map(|(n, v)| {
                        let mut vj = Map::new();
                        if let Some(d) = &v.default {
                            if let Ok(val) = crate::eval::expr::eval_constant(&d.expr) {
                                vj.insert(
                                    "default".into(),
                                    if v.sensitive { J::Null } else { val.to_json() },
                                );
                            }
                        }
                        if let Some(d) = &v.description {
                            vj.insert("description".into(), J::String(d.clone()));
                        }
                        if v.sensitive {
                            vj.insert("sensitive".into(), J::Bool(true));
                        }
                        (n.clone(), J::Object(vj))
                    })
                    .collect(),
            ),
        );
    }
    if !m.module_calls.is_empty() {
        out.insert(
            "module_calls".into(),
            J::Object(
                m.module_calls
                    .iter()
                    .map(|(n, c)| {
                        let mut cj = Map::new();
                        cj.insert("source".into(), J::String(c.source.clone()));
                        cj.insert(
                            "expressions".into(),
                            J::Object(
                                c.inputs
                                    .iter()
                                    .map(|(k, e)| (k.clone(), expression_json(e)))
                                    .collect(),
                            ),
                        );
                        if let Some(child) = m.children.get(n) {
                            cj.insert("module".into(), configuration_json(child, registry_source));
                        }
                        (n.clone(), J::Object(cj))
                    })
                    .collect(),
            ),
        );
    }
    J::Object(out)
}

/// The whole plan as JSON. `config` adds the `configuration` section.
pub fn plan_json(
    plan: &Plan,
    config: Option<&Module>,
    provider_source: &dyn Fn(&str) -> String,
    variable_sensitive: &dyn Fn(&str) -> bool,
) -> J {
    let mut root = Map::new();
    root.insert("format_version".into(), J::String("1.2".into()));
    root.insert("terraform_version".into(), J::String("1.11.4".into()));
    root.insert(
        "variables".into(),
        J::Object(
            plan.variables
                .iter()
                .map(|(k, v)| {
                    let v = if variable_sensitive(k) {
                        v.clone().into_sensitive()
                    } else {
                        v.clone()
                    };
                    (
                        k.clone(),
                        json!({ "value": redacted(&v).unwrap_or(J::Null) }),
                    )
                })
                .collect(),
        ),
    );
    // Planned values: every resource that exists after apply.
    let planned: Vec<(InstanceAddr, J)> = plan
        .changes
        .iter()
        .filter(|c| c.after.is_some() && !c.deposed && c.action != Action::Delete)
        .map(|c| {
            (
                c.addr.clone(),
                state_resource_json(
                    &c.addr,
                    &c.provider,
                    c.after.as_ref().expect("filtered"),
                    &[],
                ),
            )
        })
        .collect();
    let planned_outputs = J::Object(
        plan.outputs
            .iter()
            .filter(|o| o.after.is_some())
            .map(|o| {
                let mut oj = Map::new();
                oj.insert("sensitive".into(), J::Bool(o.sensitive));
                if let Some(v) =
                    o.after
                        .as_ref()
                        .and_then(|v| if o.sensitive { None } else { redacted(v) })
                {
                    oj.insert("value".into(), v);
                }
                (o.name.clone(), J::Object(oj))
            })
            .collect(),
    );
    root.insert(
        "planned_values".into(),
        module_tree(planned, Some(planned_outputs)),
    );
    if !plan.drift.is_empty() {
        root.insert(
            "resource_drift".into(),
            J::Array(
                plan.drift
                    .iter()
                    .map(|d| {
                        let c = ResourceChange {
                            previous_addr: None,
                            importing: None,
                            blocks: Default::default(),
                            addr: d.addr.clone(),
                            deposed: false,
                            action: if d.after.is_some() {
                                Action::Update
                            } else {
                                Action::Delete
                            },
                            before: Some(d.before.clone()),
                            after: d.after.clone(),
                            requires_replace: vec![],
                            reason: None,
                            provider: d.provider.clone(),
                            dependencies: vec![],
                            create_before_destroy: false,
                        };
                        resource_change_json(&c)
                    })
                    .collect(),
            ),
        );
    }
    root.insert(
        "resource_changes".into(),
        J::Array(
            plan.changes
                .iter()
                .filter(|c| !(c.addr.resource.mode == Mode::Data && c.action == Action::NoOp))
                .map(resource_change_json)
                .collect(),
        ),
    );
    root.insert(
        "output_changes".into(),
        J::Object(
            plan.outputs
                .iter()
                .map(|o| {
                    let before = o.before.clone().map(|v| v.mark_sensitive_if(o.sensitive));
                    let after = o.after.clone().map(|v| v.mark_sensitive_if(o.sensitive));
                    let mut oj = Map::new();
                    oj.insert("actions".into(), json!(o.action.json_actions()));
                    oj.insert("before".into(), opt(&before));
                    oj.insert("after".into(), opt(&after));
                    oj.insert("after_unknown".into(), unknown_mask(&after));
                    oj.insert(
                        "before_sensitive".into(),
                        J::Bool(
                            o.sensitive || before.as_ref().is_some_and(Value::contains_sensitive),
                        ),
                    );
                    oj.insert(
                        "after_sensitive".into(),
                        J::Bool(
                            o.sensitive || after.as_ref().is_some_and(Value::contains_sensitive),
                        ),
                    );
                    (o.name.clone(), J::Object(oj))
                })
                .collect(),
        ),
    );
    let prior: Vec<(InstanceAddr, J)> = plan
        .changes
        .iter()
        .filter_map(|c| {
            c.before.as_ref().map(|b| {
                (
                    c.addr.clone(),
                    state_resource_json(&c.addr, &c.provider, b, &c.dependencies),
                )
            })
        })
        .collect();
    let mut prior_state = Map::new();
    prior_state.insert("format_version".into(), J::String("1.0".into()));
    prior_state.insert("terraform_version".into(), J::String("1.11.4".into()));
    prior_state.insert("values".into(), module_tree(prior, None));
    root.insert("prior_state".into(), J::Object(prior_state));
    if let Some(m) = config {
        let mut cfg = configuration_json(m, provider_source);
        let mut providers = Map::new();
        let mut names: Vec<String> = m.providers.iter().map(|p| p.name.clone()).collect();
        for c in &plan.changes {
            names.push(
                c.addr
                    .resource
                    .type_name
                    .split('_')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        names.sort();
        names.dedup();
        for n in names {
            providers.insert(
                n.clone(),
                json!({ "name": n, "full_name": provider_source(&n) }),
            );
        }
        let mut wrapped = Map::new();
        wrapped.insert("provider_config".into(), J::Object(providers));
        wrapped.insert("root_module".into(), std::mem::take(&mut cfg));
        root.insert("configuration".into(), J::Object(wrapped));
    }
    if !plan.relevant_attributes.is_empty() {
        root.insert(
            "relevant_attributes".into(),
            J::Array(
                plan.relevant_attributes
                    .iter()
                    .map(|r| json!({ "resource": r.resource, "attribute": r.attribute }))
                    .collect(),
            ),
        );
    }
    if !plan.model_changes.is_empty() {
        // mlform's own: how updated objects change the ONNX models they ship.
        root.insert(
            "model_changes".into(),
            serde_json::to_value(&plan.model_changes).unwrap_or(J::Null),
        );
    }
    if !plan.guards.is_empty() {
        // mlform's own: what guards each endpoint or Deployment being rolled out.
        root.insert(
            "guards".into(),
            serde_json::to_value(&plan.guards).unwrap_or(J::Null),
        );
    }
    let timestamp = if plan.timestamp.is_empty() {
        crate::eval::time::now_rfc3339()
    } else {
        plan.timestamp.clone()
    };
    root.insert("timestamp".into(), J::String(timestamp));
    root.insert(
        "applyable".into(),
        J::Bool(plan.has_changes() && !plan.errored),
    );
    root.insert("complete".into(), J::Bool(plan.deferred.is_empty()));
    root.insert("errored".into(), J::Bool(plan.errored));
    if !plan.checks.is_empty() {
        root.insert(
            "checks".into(),
            J::Array(
                plan.checks
                    .iter()
                    .map(|c| {
                        json!({
                            "address": {"kind": "check", "name": c.name, "to_display": c.address},
                            "status": c.status,
                            "instances": c.instances.iter().map(|i| {
                                let mut inst = json!({"address": {"to_display": i.address}, "status": i.status});
                                if !i.problems.is_empty() {
                                    inst["problems"] = J::Array(i.problems.iter().map(|p| json!({"message": p})).collect());
                                }
                                inst
                            }).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
        );
    }
    root.insert(
        "mlform".into(),
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "mode": plan.mode,
            "deferred": plan.deferred.iter().map(|d| json!({"address": d.addr, "reason": d.reason})).collect::<Vec<_>>(),
            "reasons": plan.changes.iter().filter_map(|c| c.reason.as_ref().map(|r| (c.addr.to_string(), J::String(r.clone())))).collect::<Map<_, _>>(),
            "prior_serial": plan.prior_serial,
            "prior_lineage": plan.prior_lineage,
        }),
    );
    J::Object(root)
}
