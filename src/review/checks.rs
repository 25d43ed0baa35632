//! Policy checks: built-in rules over a plan's resulting resources (what the configuration
//! will have once applied), each with an ID, severity, rationale and fix, grouped by the team
//! that reviews them. A finding is suppressed by a `# mlform:ignore RULE reason` comment
//! inside the resource block or on the lines just above it; the reason is required and kept.

use std::collections::BTreeMap;

use mlform_provider::Value;

use crate::plan::guards::{alarm_watches_endpoint, auto_rollback_alarms};
use crate::plan::{Action, Plan, ResourceChange};
use crate::review::permissions::grants;

/// How bad a finding is; ordered so that `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "note" | "low" | "info" => Some(Severity::Note),
            "warning" | "medium" => Some(Severity::Warning),
            "error" | "high" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// The team concern a change or finding belongs to, for review routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Concern {
    Data,
    Security,
    Ml,
    Other,
}

impl Concern {
    pub fn title(self) -> &'static str {
        match self {
            Concern::Data => "Data (buckets, objects)",
            Concern::Security => "Security (IAM, policies, network)",
            Concern::Ml => "ML (models, endpoints, training, scaling)",
            Concern::Other => "Other",
        }
    }

    /// The concern of a planned change: by resource type, and for `kubernetes_manifest` by
    /// the object's kind.
    pub fn of_change(c: &ResourceChange) -> Concern {
        let type_name = c.addr.resource.type_name.as_str();
        if type_name == "kubernetes_manifest" {
            let manifest = c
                .after
                .as_ref()
                .or(c.before.as_ref())
                .map(|v| v.get_attr("manifest").clone())
                .unwrap_or(Value::Null);
            return match manifest.get_attr("kind").as_str() {
                Some(
                    "NetworkPolicy" | "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding"
                    | "ServiceAccount" | "Secret",
                ) => Concern::Security,
                Some("PersistentVolumeClaim") => Concern::Data,
                _ => Concern::Ml,
            };
        }
        Concern::of_type(type_name)
    }

    /// The concern of a resource type.
    pub fn of_type(type_name: &str) -> Concern {
        if type_name == "aws_s3_bucket_policy"
            || type_name.starts_with("aws_iam_")
            || type_name.contains("network_policy")
            || type_name.contains("role_binding")
        {
            Concern::Security
        } else if type_name.starts_with("aws_s3_") {
            Concern::Data
        } else if type_name.starts_with("aws_sagemaker_")
            || type_name.starts_with("aws_appautoscaling_")
            || type_name.starts_with("aws_cloudwatch_")
            || type_name.starts_with("kubernetes_")
        {
            Concern::Ml
        } else {
            Concern::Other
        }
    }
}

pub use super::rules::{Rule, RULES};

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Where a finding points: a resource block in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub address: String,
    pub message: String,
    pub location: Option<Location>,
    /// The reason given in a `mlform:ignore` comment, when suppressed.
    pub suppressed: Option<String>,
}

/// The resources as they will be after apply: every planned change but deletions.
fn resulting(plan: &Plan) -> Vec<&ResourceChange> {
    plan.changes
        .iter()
        .filter(|c| !c.deposed && c.action != Action::Delete && c.after.is_some())
        .filter(|c| c.addr.resource.mode == crate::config::Mode::Managed)
        .collect()
}

fn type_of(c: &ResourceChange) -> &str {
    &c.addr.resource.type_name
}

/// Whether `c` is the typed Kubernetes kind `base`, under either of its names
/// (`kubernetes_namespace`, `kubernetes_namespace_v1`).
fn is_typed(c: &ResourceChange, base: &str) -> bool {
    let t = type_of(c);
    t == base || t.strip_suffix("_v1") == Some(base)
}

/// The one element of a typed resource's block list (`spec[0]`), or null.
fn first(list: &Value) -> &Value {
    list.as_list()
        .and_then(|l| l.first())
        .unwrap_or(&Value::Null)
}

/// A typed resource's `metadata[0]` field.
fn typed_meta<'a>(c: &'a ResourceChange, key: &str) -> Option<&'a str> {
    first(c.after_attr("metadata")).get_attr(key).as_str()
}

/// Whether `other` configures `target`: it refers to it, or names the same value.
fn configures(
    other: &ResourceChange,
    target: &ResourceChange,
    key: &str,
    target_key: &str,
) -> bool {
    other.dependencies.contains(&target.addr.config_addr())
        || matches!((other.after_attr(key).as_str(), target.after_attr(target_key).as_str()), (Some(a), Some(b)) if a == b)
}

/// Runs every rule over the plan; `sources` are the configuration files (path, text) used to
/// place findings and read suppressions.
pub fn check(plan: &Plan, sources: &[(String, String)]) -> Vec<Finding> {
    let all = resulting(plan);
    let of = |t: &'static str| all.iter().copied().filter(move |c| type_of(c) == t);
    let mut found: Vec<(&'static str, &ResourceChange, String)> = Vec::new();

    for bucket in of("aws_s3_bucket") {
        let name = bucket
            .after_attr("bucket")
            .as_str()
            .unwrap_or("(known after apply)")
            .to_string();
        let has = |t: &'static str, ok: &dyn Fn(&ResourceChange) -> bool| {
            of(t).any(|c| configures(c, bucket, "bucket", "bucket") && ok(c))
        };
        if !has(
            "aws_s3_bucket_server_side_encryption_configuration",
            &|_| true,
        ) {
            found.push((
                "MLF101",
                bucket,
                format!("Bucket {name} has no default encryption configuration."),
            ));
        }
        let all_true = |c: &ResourceChange| {
            [
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            ]
            .iter()
            .all(|k| c.after_attr(k).as_bool() == Some(true))
        };
        if !has("aws_s3_bucket_public_access_block", &all_true) {
            found.push((
                "MLF102",
                bucket,
                format!("Public access to bucket {name} is not fully blocked."),
            ));
        }
        let enabled = |c: &ResourceChange| {
            c.after_attr("versioning_configuration")
                .one_block()
                .get_attr("status")
                .as_str()
                == Some("Enabled")
        };
        if !has("aws_s3_bucket_versioning", &enabled) {
            found.push((
                "MLF103",
                bucket,
                format!("Bucket {name} does not keep object versions."),
            ));
        }
    }

    for nb in of("aws_sagemaker_notebook_instance") {
        let label = nb
            .after_attr("name")
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| nb.addr.to_string());
        // Unset is AWS's default, Enabled.
        let enabled = |attr: &str| {
            nb.after_attr(attr).as_str().is_none_or(|v| v == "Enabled")
                && !nb.after_attr(attr).is_unknown()
        };
        if enabled("root_access") {
            found.push((
                "MLF104",
                nb,
                format!("Notebook instance {label} gives its users root."),
            ));
        }
        if enabled("direct_internet_access") {
            found.push((
                "MLF105",
                nb,
                format!("Notebook instance {label} has direct internet access."),
            ));
        }
    }

    for c in &all {
        let doc_attr = match type_of(c) {
            "aws_iam_policy" | "aws_iam_role_policy" => "policy",
            _ => continue,
        };
        let doc = c.after_attr(doc_attr);
        let Some(text) = doc.as_str().filter(|_| !doc.is_sensitive()) else {
            continue;
        };
        let Some(gs) = grants(text) else { continue };
        let allows = gs.iter().filter(|g| g.effect == "Allow");
        let mut wild_action = BTreeMap::new();
        let mut wild_resource = BTreeMap::new();
        let mut pass_role = false;
        for g in allows {
            if g.action == "*" || g.action.ends_with(":*") || g.action.starts_with("NOT ") {
                wild_action.insert(g.action.clone(), ());
            }
            if g.resource == "*" {
                wild_resource.insert(g.action.clone(), ());
                if g.action == "iam:PassRole" || g.action == "iam:*" || g.action == "*" {
                    pass_role = true;
                }
            }
        }
        if !wild_action.is_empty() {
            let list: Vec<String> = wild_action.keys().cloned().collect();
            found.push((
                "MLF201",
                c,
                format!("{} allows wildcard actions: {}.", c.addr, list.join(", ")),
            ));
        }
        if !wild_resource.is_empty() {
            let list: Vec<String> = wild_resource.keys().cloned().collect();
            found.push((
                "MLF202",
                c,
                format!(
                    "{} allows {} on every resource (\"*\").",
                    c.addr,
                    list.join(", ")
                ),
            ));
        }
        if pass_role {
            found.push((
                "MLF203",
                c,
                format!("{} allows iam:PassRole on any role.", c.addr),
            ));
        }
    }

    for endpoint in of("aws_sagemaker_endpoint") {
        let name = endpoint.after_attr("name").as_str().map(str::to_string);
        let label = name.clone().unwrap_or_else(|| endpoint.addr.to_string());
        let scaled = of("aws_appautoscaling_target").any(|t| {
            t.dependencies.contains(&endpoint.addr.config_addr())
                || matches!((t.after_attr("resource_id").as_str(), &name), (Some(r), Some(n)) if r.starts_with(&format!("endpoint/{n}/")))
        });
        if !scaled {
            found.push((
                "MLF301",
                endpoint,
                format!("Endpoint {label} has no autoscaling target."),
            ));
        }
        let alarmed =
            of("aws_cloudwatch_metric_alarm").any(|a| alarm_watches_endpoint(a, endpoint));
        if !alarmed {
            found.push((
                "MLF302",
                endpoint,
                format!("Endpoint {label} has no latency or error alarm."),
            ));
        }
        let deployment = endpoint.after_attr("deployment_config").one_block();
        if !deployment
            .get_attr("blue_green_update_policy")
            .one_block()
            .is_null()
            && auto_rollback_alarms(endpoint).is_empty()
        {
            found.push((
                "MLF303",
                endpoint,
                format!("Endpoint {label} rolls out blue/green without auto-rollback alarms."),
            ));
        }
    }

    // An alarm a blue/green deployment rolls back on acts by itself.
    let rollback_alarms: Vec<&str> = of("aws_sagemaker_endpoint")
        .flat_map(auto_rollback_alarms)
        .filter_map(|a| a.get_attr("alarm_name").as_str())
        .collect();
    for alarm in of("aws_cloudwatch_metric_alarm").chain(of("aws_cloudwatch_composite_alarm")) {
        let silent = alarm.after_attr("actions_enabled").as_bool() == Some(false)
            || alarm
                .after_attr("alarm_actions")
                .as_list()
                .is_none_or(|a| a.is_empty());
        let rolls_back = alarm
            .after_attr("alarm_name")
            .as_str()
            .is_some_and(|n| rollback_alarms.contains(&n));
        if silent && !rolls_back && !alarm.after_attr("alarm_actions").is_unknown() {
            let label = alarm
                .after_attr("alarm_name")
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| alarm.addr.to_string());
            found.push((
                "MLF305",
                alarm,
                format!("Alarm {label} has no action: nobody is told when it fires."),
            ));
        }
    }

    for target in of("aws_appautoscaling_target") {
        let (min, max) = (
            target.after_attr("min_capacity").as_f64(),
            target.after_attr("max_capacity").as_f64(),
        );
        if let (Some(min), Some(max)) = (min, max) {
            if max <= min {
                let label = target
                    .after_attr("resource_id")
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| target.addr.to_string());
                found.push((
                    "MLF306",
                    target,
                    format!("Scalable target {label} cannot scale: max_capacity {max} is not above min_capacity {min}."),
                ));
            }
        }
    }

    // Kubernetes: workloads and namespaces.
    let manifest_of = |c: &ResourceChange| c.after_attr("manifest").clone();
    for c in of("kubernetes_manifest") {
        let m = manifest_of(c);
        let kind = m.get_attr("kind").as_str().unwrap_or_default().to_string();
        let spec = m.get_attr("spec");
        let pod_spec = match kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" => {
                spec.get_attr("template").get_attr("spec").clone()
            }
            "CronJob" => spec
                .get_attr("jobTemplate")
                .get_attr("spec")
                .get_attr("template")
                .get_attr("spec")
                .clone(),
            "Pod" => spec.clone(),
            _ => continue,
        };
        let unlimited: Vec<String> = pod_spec
            .get_attr("containers")
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter(|ct| {
                let limits = ct.get_attr("resources").get_attr("limits");
                limits.get_attr("cpu").is_null() || limits.get_attr("memory").is_null()
            })
            .map(|ct| ct.get_attr("name").as_str().unwrap_or("?").to_string())
            .collect();
        if !unlimited.is_empty() {
            found.push((
                "MLF401",
                c,
                format!(
                    "{kind} {} has containers without CPU and memory limits: {}.",
                    m.get_attr("metadata")
                        .get_attr("name")
                        .as_str()
                        .unwrap_or("?"),
                    unlimited.join(", ")
                ),
            ));
        }
    }
    for c in all
        .iter()
        .copied()
        .filter(|c| is_typed(c, "kubernetes_deployment"))
    {
        let pod_spec =
            first(first(first(c.after_attr("spec")).get_attr("template")).get_attr("spec"));
        let unlimited: Vec<String> = pod_spec
            .get_attr("container")
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter(|ct| {
                let limits = first(ct.get_attr("resources")).get_attr("limits");
                limits.get_attr("cpu").is_null() || limits.get_attr("memory").is_null()
            })
            .map(|ct| ct.get_attr("name").as_str().unwrap_or("?").to_string())
            .collect();
        if !unlimited.is_empty() {
            found.push((
                "MLF401",
                c,
                format!(
                    "Deployment {} has containers without CPU and memory limits: {}.",
                    typed_meta(c, "name").unwrap_or("?"),
                    unlimited.join(", ")
                ),
            ));
        }
    }
    let in_namespace = |ns: &str, kind: &str, ok: &dyn Fn(&Value) -> bool| {
        of("kubernetes_manifest").any(|c| {
            let m = manifest_of(c);
            m.get_attr("kind").as_str() == Some(kind)
                && m.get_attr("metadata").get_attr("namespace").as_str() == Some(ns)
                && ok(&m)
        })
    };
    // The typed kinds, written as the manifest of the same object would be.
    let typed_in_namespace = |ns: &str, base: &str, ok: &dyn Fn(&Value) -> bool| {
        all.iter().copied().any(|c| {
            is_typed(c, base)
                && typed_meta(c, "namespace").unwrap_or("default") == ns
                && ok(first(c.after_attr("spec")))
        })
    };
    let namespaces = all
        .iter()
        .copied()
        .filter(|c| is_typed(c, "kubernetes_namespace"))
        .filter_map(|c| typed_meta(c, "name").map(|n| (c, n.to_string())))
        .chain(of("kubernetes_manifest").filter_map(|c| {
            let m = manifest_of(c);
            (m.get_attr("kind").as_str() == Some("Namespace"))
                .then(|| {
                    m.get_attr("metadata")
                        .get_attr("name")
                        .as_str()
                        .map(|n| (c, n.to_string()))
                })
                .flatten()
        }))
        .collect::<Vec<_>>();
    for (c, ns) in namespaces {
        if !in_namespace(&ns, "ResourceQuota", &|_| true)
            && !typed_in_namespace(&ns, "kubernetes_resource_quota", &|_| true)
        {
            found.push(("MLF402", c, format!("Namespace {ns} has no ResourceQuota.")));
        }
        let default_deny = |m: &Value| {
            m.get_attr("spec")
                .get_attr("podSelector")
                .as_map()
                .is_some_and(|s| s.is_empty())
                && m.get_attr("spec")
                    .get_attr("policyTypes")
                    .as_list()
                    .is_some_and(|t| t.iter().any(|x| x.as_str() == Some("Ingress")))
        };
        let typed_default_deny = |spec: &Value| {
            let selector = first(spec.get_attr("pod_selector"));
            selector
                .get_attr("match_labels")
                .as_map()
                .is_none_or(|m| m.is_empty())
                && selector
                    .get_attr("match_expressions")
                    .as_list()
                    .is_none_or(|e| e.is_empty())
                && spec
                    .get_attr("policy_types")
                    .as_list()
                    .is_some_and(|t| t.iter().any(|x| x.as_str() == Some("Ingress")))
        };
        if !in_namespace(&ns, "NetworkPolicy", &default_deny)
            && !typed_in_namespace(&ns, "kubernetes_network_policy", &typed_default_deny)
        {
            found.push((
                "MLF403",
                c,
                format!("Namespace {ns} has no default-deny NetworkPolicy."),
            ));
        }
    }

    for m in plan.model_changes.iter().filter(|m| m.is_breaking()) {
        let Some(c) = plan
            .changes
            .iter()
            .find(|c| !c.deposed && c.addr.to_string() == m.address)
        else {
            continue;
        };
        let what: Vec<String> = m
            .changes
            .iter()
            .filter_map(|s| {
                s.breaking
                    .as_ref()
                    .map(|why| format!("{} \"{}\": {why}", s.side.as_str(), s.name))
            })
            .collect();
        found.push((
            "MLF304",
            c,
            format!(
                "The new model {} breaks its clients: {}.",
                m.file,
                what.join("; ")
            ),
        ));
    }

    let blocks = locate_blocks(sources);
    let mut findings: Vec<Finding> = found
        .into_iter()
        .map(|(id, c, message)| {
            let rule = rule(id).expect("built-in rule");
            let block = (c.addr.module.is_empty())
                .then(|| {
                    blocks.get(&(
                        c.addr.resource.type_name.clone(),
                        c.addr.resource.name.clone(),
                    ))
                })
                .flatten();
            Finding {
                rule,
                address: c.addr.to_string(),
                message,
                location: block.map(|b| b.location.clone()),
                suppressed: block.and_then(|b| b.ignores.get(id).cloned()),
            }
        })
        .collect();
    findings.sort_by(|a, b| {
        b.rule
            .severity
            .cmp(&a.rule.severity)
            .then(a.rule.id.cmp(b.rule.id))
            .then(a.address.cmp(&b.address))
    });
    findings
}

/// A resource block's place in the sources and its `mlform:ignore` comments.
struct Block {
    location: Location,
    ignores: BTreeMap<String, String>,
}

/// Finds root-module resource blocks by their header line and collects the ignore comments
/// inside them and on the comment lines directly above.
fn locate_blocks(sources: &[(String, String)]) -> BTreeMap<(String, String), Block> {
    let header =
        regex::Regex::new(r#"^(\s*)resource\s+"([^"]+)"\s+"([^"]+)"\s*\{"#).expect("regex");
    let ignore = regex::Regex::new(r"(?:#|//)\s*mlform:ignore\s+([A-Z]+[0-9]+)\s+(\S.*?)\s*$")
        .expect("regex");
    let mut out = BTreeMap::new();
    for (file, text) in sources {
        if file.contains('/') || !file.ends_with(".tf") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(h) = header.captures(line) else {
                continue;
            };
            let mut ignores = BTreeMap::new();
            let mut j = i;
            while j > 0 && lines[j - 1].trim_start().starts_with(['#', '/']) {
                j -= 1;
            }
            let mut depth = 0i32;
            let mut end = i;
            for (k, l) in lines.iter().enumerate().skip(i) {
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                end = k;
                if depth <= 0 {
                    break;
                }
            }
            for l in &lines[j..=end] {
                if let Some(m) = ignore.captures(l) {
                    ignores.insert(m[1].to_string(), m[2].to_string());
                }
            }
            out.insert(
                (h[2].to_string(), h[3].to_string()),
                Block {
                    location: Location {
                        file: file.clone(),
                        line: i + 1,
                        column: h[1].len() + 1,
                    },
                    ignores,
                },
            );
        }
    }
    out
}

/// Findings at or above `threshold` that are not suppressed.
pub fn failing(findings: &[Finding], threshold: Severity) -> usize {
    findings
        .iter()
        .filter(|f| f.suppressed.is_none() && f.rule.severity >= threshold)
        .count()
}

/// Findings as text, one block each, as Terraform prints diagnostics.
pub fn render_text(findings: &[Finding]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let active: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    for f in &active {
        let level = match f.rule.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
            Severity::Note => "Note",
        };
        let _ = writeln!(out, "{level}: [{}] {}", f.rule.id, f.message);
        if let Some(l) = &f.location {
            let _ = writeln!(out, "  on {} line {}, {}", l.file, l.line, f.address);
        } else {
            let _ = writeln!(out, "  in {}", f.address);
        }
        let _ = writeln!(out, "  Why: {}", f.rule.rationale);
        let _ = writeln!(out, "  Fix: {}", f.rule.fix);
        let _ = writeln!(
            out,
            "  Ignore with a reason: # mlform:ignore {} <reason>\n",
            f.rule.id
        );
    }
    let suppressed = findings.len() - active.len();
    let _ = writeln!(
        out,
        "Checks: {} finding(s){}.",
        active.len(),
        if suppressed > 0 {
            format!(", {suppressed} suppressed")
        } else {
            String::new()
        }
    );
    out
}

/// Findings as JSON (`mlform check -format=json`).
pub fn render_json(findings: &[Finding]) -> serde_json::Value {
    serde_json::json!({
        "format_version": "1.0",
        "findings": findings.iter().map(|f| serde_json::json!({
            "rule_id": f.rule.id,
            "rule": f.rule.name,
            "severity": f.rule.severity.as_str(),
            "concern": format!("{:?}", f.rule.concern).to_ascii_lowercase(),
            "address": f.address,
            "message": f.message,
            "rationale": f.rule.rationale,
            "fix": f.rule.fix,
            "location": f.location.as_ref().map(|l| serde_json::json!({"file": l.file, "line": l.line, "column": l.column})),
            "suppressed": f.suppressed.is_some(),
            "suppression_reason": f.suppressed,
        })).collect::<Vec<_>>(),
    })
}

/// Findings as SARIF 2.1.0, for GitHub code scanning. Suppressed findings carry an
/// in-source suppression with its justification.
pub fn render_sarif(findings: &[Finding], version: &str) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.name},
                "fullDescription": {"text": r.rationale},
                "help": {"text": r.fix},
                "defaultConfiguration": {"level": r.severity.as_str()},
                "properties": {"tags": [format!("{:?}", r.concern).to_ascii_lowercase()]},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut result = serde_json::json!({
                "ruleId": f.rule.id,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(0),
                "level": f.rule.severity.as_str(),
                "message": {"text": format!("{} Fix: {}", f.message, f.rule.fix)},
                "partialFingerprints": {"mlformAddress/v1": format!("{}:{}", f.rule.id, f.address)},
            });
            if let Some(l) = &f.location {
                result["locations"] = serde_json::json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": l.file},
                        "region": {"startLine": l.line, "startColumn": l.column},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.address, "kind": "resource"}],
                }]);
            }
            if let Some(reason) = &f.suppressed {
                result["suppressions"] =
                    serde_json::json!([{"kind": "inSource", "justification": reason}]);
            }
            result
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mlform",
                "version": version,
                "informationUri": "https://github.com/mlform/mlform",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
