//! Terraform's machine-readable UI stream (`plan -json`, `apply -json`): one JSON message
//! per line — version, planned changes, change summaries, diagnostics with their source
//! ranges, outputs, and mlform's rollback phase. The plan document of `show -json` is
//! [`super::json`].

use serde_json::{json, Map, Value as J};

use super::json::{action_reason, index_json};
use crate::addr::{module_path_string, InstanceAddr};
use crate::plan::{Action, Plan, ResourceChange};

/// The machine-readable UI's name for a plan JSON `action_reason` (Terraform's
/// views/json `ChangeReason`).
fn ui_reason(plan_reason: &'static str) -> &'static str {
    match plan_reason {
        "replace_because_tainted" => "tainted",
        "replace_by_request" => "requested",
        "replace_by_triggers" => "replace_triggered_by",
        "replace_because_cannot_update" => "cannot_update",
        other => other,
    }
}

/// Machine-readable UI events for `plan -json` (one JSON object per line), as Terraform streams.
pub fn plan_events(plan: &Plan) -> Vec<J> {
    let ts = crate::eval::time::now_rfc3339();
    let mut out = vec![
        json!({"@level": "info", "@message": format!("mlform {}", env!("CARGO_PKG_VERSION")), "@module": "mlform.ui", "@timestamp": ts, "type": "version", "mlform": env!("CARGO_PKG_VERSION"), "ui": "1.2"}),
    ];
    for d in &plan.drift {
        out.push(json!({"@level": "info", "@message": format!("{}: Drift detected ({})", d.addr, if d.after.is_some() { "update" } else { "delete" }), "@module": "mlform.ui", "@timestamp": ts, "type": "resource_drift", "change": {"resource": resource_event(&d.addr), "action": if d.after.is_some() { "update" } else { "delete" }}}));
    }
    let moved_or_imported =
        |c: &&ResourceChange| c.previous_addr.is_some() || c.importing.is_some();
    for c in plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || moved_or_imported(c))
    {
        // Terraform's stream names: a move or an import that changes nothing else is the
        // action itself.
        let action = match c.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::Forget => "remove",
            Action::NoOp if c.previous_addr.is_some() => "move",
            Action::NoOp => "import",
            _ => "replace",
        };
        let mut change = json!({"resource": resource_event(&c.addr), "action": action});
        if let Some(r) = action_reason(c) {
            change["reason"] = J::String(ui_reason(r).into());
        }
        if let Some(p) = &c.previous_addr {
            change["previous_resource"] = resource_event(p);
        }
        if let Some(id) = &c.importing {
            change["importing"] = json!({ "id": id });
        }
        out.push(json!({"@level": "info", "@message": format!("{}: Plan to {action}", c.addr), "@module": "mlform.ui", "@timestamp": ts, "type": "planned_change", "change": change}));
    }
    for d in &plan.deferred {
        out.push(json!({"@level": "info", "@message": format!("{}: Deferred: {}", d.addr, d.reason), "@module": "mlform.ui", "@timestamp": ts, "type": "deferred_change", "address": d.addr, "reason": d.reason}));
    }
    let (add, change, destroy) = plan.counts();
    let imports = plan.imports();
    let import_text = if imports > 0 {
        format!("{imports} to import, ")
    } else {
        String::new()
    };
    out.push(json!({"@level": "info", "@message": format!("Plan: {import_text}{add} to add, {change} to change, {destroy} to destroy."), "@module": "mlform.ui", "@timestamp": ts, "type": "change_summary", "changes": {"add": add, "change": change, "import": imports, "remove": destroy, "operation": "plan"}}));
    let outputs: Map<String, J> = plan
        .outputs
        .iter()
        .map(|o| {
            (
                o.name.clone(),
                json!({"sensitive": o.sensitive, "action": o.action.json_actions()[0]}),
            )
        })
        .collect();
    if !outputs.is_empty() {
        out.push(json!({"@level": "info", "@message": format!("Outputs: {}", outputs.len()), "@module": "mlform.ui", "@timestamp": ts, "type": "outputs", "outputs": outputs}));
    }
    out
}

pub(crate) fn resource_event(addr: &InstanceAddr) -> J {
    json!({
        "addr": addr.to_string(),
        "module": module_path_string(&addr.module),
        "resource": addr.resource_addr(),
        "implied_provider": addr.resource.type_name.split('_').next().unwrap_or_default(),
        "resource_type": addr.resource.type_name,
        "resource_name": addr.resource.name,
        "resource_key": index_json(&addr.key),
    })
}

/// One diagnostic as a machine-readable UI message, with its source range when it has one.
pub fn diagnostic_event(d: &crate::diag::Diagnostic, sources: &crate::diag::Sources) -> J {
    let severity = if d.is_error() { "error" } else { "warning" };
    let mut diagnostic = json!({"severity": severity, "summary": d.summary, "detail": d.detail});
    if let Some(span) = &d.span {
        let (line, column) = sources.line_col(span);
        let end = crate::diag::Span {
            file: span.file,
            range: span.range.end..span.range.end,
        };
        let (end_line, end_column) = sources.line_col(&end);
        diagnostic["range"] = json!({
            "filename": sources.get(span.file).name,
            "start": {"line": line, "column": column, "byte": span.range.start},
            "end": {"line": end_line, "column": end_column, "byte": span.range.end},
        });
    }
    let prefix = if d.is_error() { "Error" } else { "Warning" };
    json!({"@level": severity, "@message": format!("{prefix}: {}", d.summary), "@module": "mlform.ui", "@timestamp": crate::eval::time::now_rfc3339(), "type": "diagnostic", "diagnostic": diagnostic})
}

/// How a rollback ended, as the last message of its phase.
pub fn rollback_event(report: &crate::engine::RollbackReport) -> J {
    let record = report.record();
    let message = if report.complete() {
        format!(
            "Rollback complete! Resources: {}. The platform is as it was before this apply.",
            record.totals()
        )
    } else {
        format!(
            "Rollback incomplete! Resources: {}; {} change(s) left in place.",
            record.totals(),
            report.left.len()
        )
    };
    let left: Vec<J> = report
        .left
        .iter()
        .map(|(addr, reason)| json!({"address": addr, "reason": reason}))
        .collect();
    json!({"@level": if report.complete() { "info" } else { "error" }, "@message": message, "@module": "mlform.ui", "@timestamp": crate::eval::time::now_rfc3339(), "type": "rollback_summary", "rollback": {"complete": report.complete(), "deleted": record.deleted, "restored": record.restored, "reinstated": record.reinstated, "left": left}})
}

/// `change_summary` of a finished apply or destroy.
pub fn apply_summary(counts: &crate::engine::ApplyCounts, destroy: bool) -> J {
    let message = if destroy {
        format!(
            "Destroy complete! Resources: {} destroyed.",
            counts.destroyed
        )
    } else {
        let imported = match counts.imported {
            0 => String::new(),
            n => format!("{n} imported, "),
        };
        format!(
            "Apply complete! Resources: {imported}{} added, {} changed, {} destroyed.",
            counts.added, counts.changed, counts.destroyed
        )
    };
    json!({"@level": "info", "@message": message, "@module": "mlform.ui", "@timestamp": crate::eval::time::now_rfc3339(), "type": "change_summary", "changes": {"add": counts.added, "change": counts.changed, "import": counts.imported, "remove": counts.destroyed, "operation": if destroy { "destroy" } else { "apply" }}})
}
