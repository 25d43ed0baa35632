//! What guards each endpoint a plan changes: the alarms that watch it, the alarms its
//! blue/green deployment rolls back on, and the health gates read after it (data sources
//! with postconditions that depend on it, which fail the apply, and with `-rollback=auto`
//! undo it). Shown with the plan so a reviewer sees an unguarded rollout before it happens.

use serde::{Deserialize, Serialize};

use mlform_provider::Value;

use super::{Action, Plan, ResourceChange};
use crate::config::{Mode, Module};
use crate::eval::refs::{body_refs, expr_refs, Reference};

/// The guards of one changed endpoint or Deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    pub address: String,
    /// Alarms that watch it: their names (or addresses while names are unknown).
    pub alarms: Vec<String>,
    /// Alarms its blue/green deployment rolls back on.
    pub auto_rollback_alarms: Vec<String>,
    /// Data sources read after it whose postconditions decide the apply.
    pub gates: Vec<String>,
}

impl Guard {
    pub fn unguarded(&self) -> bool {
        self.alarms.is_empty() && self.auto_rollback_alarms.is_empty() && self.gates.is_empty()
    }
}

/// The alarms an endpoint's blue/green deployment rolls back on (its
/// `deployment_config.auto_rollback_configuration.alarms` blocks).
pub fn auto_rollback_alarms(endpoint: &ResourceChange) -> &[Value] {
    endpoint
        .after_attr("deployment_config")
        .one_block()
        .get_attr("auto_rollback_configuration")
        .one_block()
        .get_attr("alarms")
        .as_list()
        .unwrap_or_default()
}

/// Whether `alarm` watches the SageMaker endpoint `endpoint`: it names the endpoint in its
/// `EndpointName` dimension, or refers to it.
pub fn alarm_watches_endpoint(alarm: &ResourceChange, endpoint: &ResourceChange) -> bool {
    let name = endpoint.after_attr("name").as_str();
    alarm.after_attr("namespace").as_str() == Some("AWS/SageMaker")
        && (alarm.dependencies.contains(&endpoint.addr.config_addr())
            || matches!(
                (alarm.after_attr("dimensions").get_attr("EndpointName").as_str(), name),
                (Some(d), Some(n)) if d == n
            ))
}

fn is_deployment(c: &ResourceChange) -> bool {
    match c.addr.resource.type_name.as_str() {
        "kubernetes_deployment" | "kubernetes_deployment_v1" => true,
        "kubernetes_manifest" => {
            c.after_attr("manifest").get_attr("kind").as_str() == Some("Deployment")
        }
        _ => false,
    }
}

/// Data sources of the endpoint's module, with postconditions, that refer to it or
/// `depends_on` it.
fn gates_of(config: &Module, c: &ResourceChange) -> Vec<String> {
    let path = crate::addr::config_path(&c.addr.module);
    let Some(module) = config.descendant(&path) else {
        return Vec::new();
    };
    let prefix: String = path.iter().map(|m| format!("module.{m}.")).collect();
    module
        .resources
        .iter()
        .filter(|(k, r)| k.mode == Mode::Data && !r.lifecycle.postconditions.is_empty())
        .filter(|(_, r)| {
            r.depends_on
                .iter()
                .flat_map(|e| expr_refs(&e.expr))
                .chain(body_refs(&r.body.body))
                .any(|r| matches!(&r.reference, Reference::Resource(k) if *k == c.addr.resource))
        })
        .map(|(k, _)| format!("{prefix}{k}"))
        .collect()
}

/// The guards of every endpoint and Deployment the plan updates or replaces.
pub fn guards(config: &Module, plan: &Plan) -> Vec<Guard> {
    let live: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| !c.deposed && c.action != Action::Delete && c.after.is_some())
        .collect();
    let mut out = Vec::new();
    for c in &live {
        let endpoint = c.addr.resource.type_name == "aws_sagemaker_endpoint";
        if !(endpoint || is_deployment(c)) || !(c.action == Action::Update || c.action.is_replace())
        {
            continue;
        }
        let alarms = if endpoint {
            live.iter()
                .filter(|a| a.addr.resource.type_name == "aws_cloudwatch_metric_alarm")
                .filter(|a| alarm_watches_endpoint(a, c))
                .map(|a| {
                    a.after_attr("alarm_name")
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| a.addr.to_string())
                })
                .collect()
        } else {
            Vec::new()
        };
        let auto_rollback_alarms = auto_rollback_alarms(c)
            .iter()
            .map(|a| {
                a.get_attr("alarm_name")
                    .as_str()
                    .unwrap_or("(known after apply)")
                    .to_string()
            })
            .collect();
        out.push(Guard {
            address: c.addr.to_string(),
            alarms,
            auto_rollback_alarms,
            gates: gates_of(config, c),
        });
    }
    out
}
