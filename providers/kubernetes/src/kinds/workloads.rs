//! The serving kinds' tables: `kubernetes_deployment`, `kubernetes_daemon_set_v1`,
//! `kubernetes_service`, `kubernetes_horizontal_pod_autoscaler_v2`,
//! `kubernetes_pod_disruption_budget_v1` and `kubernetes_ingress_v1`, with terraform-provider-kubernetes's names, defaults and
//! computed fields.

use super::pod::{LABEL_SELECTOR, POD_TEMPLATE};
use crate::shape::{Field as F, Ty};

const ROLLING_UPDATE: &[F] = &[
    F::opt("max_surge", Ty::IntOrText).text("25%"),
    F::opt("max_unavailable", Ty::IntOrText).text("25%"),
];

const STRATEGY: &[F] = &[
    F::opt("type", Ty::Str).text("RollingUpdate"),
    F::one("rolling_update", ROLLING_UPDATE).computed(),
];

const DEPLOYMENT_SPEC: &[F] = &[
    F::opt("min_ready_seconds", Ty::Int).int(0),
    F::opt("paused", Ty::Bool).bool(false),
    F::opt("progress_deadline_seconds", Ty::Int).int(600),
    F::opt("replicas", Ty::IntText).computed(),
    F::opt("revision_history_limit", Ty::Int).int(10),
    F::one("selector", LABEL_SELECTOR).force_new(),
    F::one("strategy", STRATEGY).computed(),
    F::one("template", POD_TEMPLATE).required(),
];

pub const DEPLOYMENT: &[F] = &[
    F::one("spec", DEPLOYMENT_SPEC).required(),
    F::opt("wait_for_rollout", Ty::Bool).bool(true).local(),
];

/// `max_surge` has no default here: servers before 1.21 do not know the field.
const DAEMON_ROLLING_UPDATE: &[F] = &[
    F::opt("max_surge", Ty::IntOrText).computed(),
    F::opt("max_unavailable", Ty::IntOrText).text("1"),
];

const DAEMON_STRATEGY: &[F] = &[
    F::opt("type", Ty::Str).text("RollingUpdate"),
    F::one("rolling_update", DAEMON_ROLLING_UPDATE).computed(),
];

const DAEMON_SET_SPEC: &[F] = &[
    F::opt("min_ready_seconds", Ty::Int).int(0),
    F::opt("revision_history_limit", Ty::Int).int(10),
    F::one("selector", LABEL_SELECTOR).force_new(),
    F::one("strategy", DAEMON_STRATEGY)
        .computed()
        .k8s("updateStrategy"),
    F::one("template", POD_TEMPLATE).required(),
];

pub const DAEMON_SET: &[F] = &[
    F::one("spec", DAEMON_SET_SPEC).required(),
    F::opt("wait_for_rollout", Ty::Bool).bool(true).local(),
];

const SERVICE_PORT: &[F] = &[
    F::opt("app_protocol", Ty::Str),
    F::opt("name", Ty::Str),
    F::opt("node_port", Ty::Int).computed(),
    F::req("port", Ty::Int),
    F::opt("protocol", Ty::Str).text("TCP"),
    F::opt("target_port", Ty::IntOrText).computed(),
];

const CLIENT_IP: &[F] = &[F::opt("timeout_seconds", Ty::Int).computed()];

const SESSION_AFFINITY_CONFIG: &[F] = &[F::one("client_ip", CLIENT_IP).k8s("clientIP").computed()];

const SERVICE_SPEC: &[F] = &[
    F::opt("allocate_load_balancer_node_ports", Ty::Bool).bool(true),
    F::opt("cluster_ip", Ty::Str)
        .k8s("clusterIP")
        .computed()
        .force_new(),
    F::opt("cluster_ips", Ty::StrList)
        .k8s("clusterIPs")
        .computed()
        .force_new(),
    F::opt("external_ips", Ty::StrSet).k8s("externalIPs"),
    F::opt("external_name", Ty::Str),
    F::opt("external_traffic_policy", Ty::Str).computed(),
    F::opt("health_check_node_port", Ty::Int)
        .computed()
        .force_new(),
    F::opt("internal_traffic_policy", Ty::Str).computed(),
    F::opt("ip_families", Ty::StrList).computed(),
    F::opt("ip_family_policy", Ty::Str).computed(),
    F::opt("load_balancer_class", Ty::Str).force_new(),
    F::opt("load_balancer_ip", Ty::Str).k8s("loadBalancerIP"),
    F::opt("load_balancer_source_ranges", Ty::StrSet),
    F::many("port", SERVICE_PORT).k8s("ports"),
    F::opt("publish_not_ready_addresses", Ty::Bool).bool(false),
    F::opt("selector", Ty::StrMap),
    F::opt("session_affinity", Ty::Str).text("None"),
    F::one("session_affinity_config", SESSION_AFFINITY_CONFIG).computed(),
    F::opt("type", Ty::Str).text("ClusterIP"),
];

const LB_INGRESS: &[F] = &[
    F::opt("hostname", Ty::Str).read_only(),
    F::opt("ip", Ty::Str).read_only(),
    F::opt("ip_mode", Ty::Str).read_only(),
];

const LB_STATUS: &[F] = &[F::many("ingress", LB_INGRESS).read_only()];

const SERVICE_STATUS: &[F] = &[F::one("load_balancer", LB_STATUS).read_only()];

pub const SERVICE: &[F] = &[
    F::one("spec", SERVICE_SPEC).required(),
    F::one("status", SERVICE_STATUS).read_only(),
    F::opt("wait_for_load_balancer", Ty::Bool)
        .bool(true)
        .local(),
];

const METRIC_TARGET: &[F] = &[
    F::opt("average_utilization", Ty::Int),
    F::opt("average_value", Ty::Quantity),
    F::req("type", Ty::Str),
    F::opt("value", Ty::Quantity),
];

const METRIC_IDENTIFIER: &[F] = &[F::req("name", Ty::Str), F::one("selector", LABEL_SELECTOR)];

const OBJECT_REFERENCE: &[F] = &[
    F::req("api_version", Ty::Str),
    F::req("kind", Ty::Str),
    F::req("name", Ty::Str),
];

const RESOURCE_METRIC: &[F] = &[F::req("name", Ty::Str), F::one("target", METRIC_TARGET)];

const CONTAINER_RESOURCE_METRIC: &[F] = &[
    F::req("container", Ty::Str),
    F::req("name", Ty::Str),
    F::one("target", METRIC_TARGET),
];

const NAMED_METRIC: &[F] = &[
    F::one("metric", METRIC_IDENTIFIER).required(),
    F::one("target", METRIC_TARGET),
];

const OBJECT_METRIC: &[F] = &[
    F::one("described_object", OBJECT_REFERENCE).required(),
    F::one("metric", METRIC_IDENTIFIER).required(),
    F::one("target", METRIC_TARGET),
];

const METRIC: &[F] = &[
    F::one("container_resource", CONTAINER_RESOURCE_METRIC),
    F::one("external", NAMED_METRIC),
    F::one("object", OBJECT_METRIC),
    F::one("pods", NAMED_METRIC),
    F::one("resource", RESOURCE_METRIC),
    F::req("type", Ty::Str),
];

const SCALING_POLICY: &[F] = &[
    F::req("period_seconds", Ty::Int),
    F::req("type", Ty::Str),
    F::req("value", Ty::Int),
];

const SCALING_RULES: &[F] = &[
    F::many("policy", SCALING_POLICY).k8s("policies").required(),
    F::opt("select_policy", Ty::Str).text("Max"),
    F::opt("stabilization_window_seconds", Ty::Int).computed(),
];

const BEHAVIOR: &[F] = &[
    F::one("scale_down", SCALING_RULES).computed(),
    F::one("scale_up", SCALING_RULES).computed(),
];

const HPA_SPEC: &[F] = &[
    F::one("behavior", BEHAVIOR).computed(),
    F::req("max_replicas", Ty::Int),
    F::many("metric", METRIC).k8s("metrics").computed(),
    F::opt("min_replicas", Ty::Int).int(1),
    F::one("scale_target_ref", OBJECT_REFERENCE).required(),
];

pub const HPA_V2: &[F] = &[F::one("spec", HPA_SPEC).required()];

const PDB_SPEC: &[F] = &[
    F::opt("max_unavailable", Ty::IntOrText).force_new(),
    F::opt("min_available", Ty::IntOrText).force_new(),
    F::one("selector", LABEL_SELECTOR).required().force_new(),
];

pub const POD_DISRUPTION_BUDGET: &[F] = &[F::one("spec", PDB_SPEC).required().force_new()];

const SERVICE_BACKEND_PORT: &[F] = &[F::opt("name", Ty::Str), F::opt("number", Ty::Int)];

const SERVICE_BACKEND: &[F] = &[
    F::req("name", Ty::Str),
    F::one("port", SERVICE_BACKEND_PORT).required(),
];

const RESOURCE_BACKEND: &[F] = &[
    F::req("api_group", Ty::Str),
    F::req("kind", Ty::Str),
    F::req("name", Ty::Str),
];

const BACKEND: &[F] = &[
    F::one("resource", RESOURCE_BACKEND),
    F::one("service", SERVICE_BACKEND),
];

const HTTP_PATH: &[F] = &[
    F::one("backend", BACKEND),
    F::opt("path", Ty::Str),
    F::opt("path_type", Ty::Str).text("ImplementationSpecific"),
];

const HTTP: &[F] = &[F::many("path", HTTP_PATH).k8s("paths").required()];

const RULE: &[F] = &[F::opt("host", Ty::Str), F::one("http", HTTP)];

const TLS: &[F] = &[F::opt("hosts", Ty::StrList), F::opt("secret_name", Ty::Str)];

const INGRESS_SPEC: &[F] = &[
    F::one("default_backend", BACKEND),
    F::opt("ingress_class_name", Ty::Str).computed(),
    F::many("rule", RULE).k8s("rules"),
    F::many("tls", TLS),
];

pub const INGRESS: &[F] = &[
    F::one("spec", INGRESS_SPEC).required(),
    F::one("status", SERVICE_STATUS).read_only(),
    F::opt("wait_for_load_balancer", Ty::Bool)
        .bool(false)
        .local(),
];
