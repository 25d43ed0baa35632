//! The pod template of workload kinds, as terraform-provider-kubernetes's `template`
//! block: pod metadata and the pod spec's containers, volumes and scheduling fields most
//! configurations use (the list of what is left out is in docs/kubernetes.md).

use crate::shape::{Field as F, Ty};

pub const LABEL_SELECTOR_REQUIREMENT: &[F] = &[
    F::opt("key", Ty::Str),
    F::opt("operator", Ty::Str),
    F::opt("values", Ty::StrSet),
];

/// `selector`, `pod_selector`, `namespace_selector`.
pub const LABEL_SELECTOR: &[F] = &[
    F::many("match_expressions", LABEL_SELECTOR_REQUIREMENT),
    F::opt("match_labels", Ty::StrMap),
];

const KEY_REF: &[F] = &[
    F::opt("key", Ty::Str),
    F::opt("name", Ty::Str),
    F::opt("optional", Ty::Bool),
];

const FIELD_REF: &[F] = &[
    F::opt("api_version", Ty::Str).text("v1"),
    F::opt("field_path", Ty::Str),
];

const RESOURCE_FIELD_REF: &[F] = &[
    F::opt("container_name", Ty::Str),
    F::opt("divisor", Ty::Quantity).text("1"),
    F::req("resource", Ty::Str),
];

const VALUE_FROM: &[F] = &[
    F::one("config_map_key_ref", KEY_REF),
    F::one("field_ref", FIELD_REF),
    F::one("resource_field_ref", RESOURCE_FIELD_REF),
    F::one("secret_key_ref", KEY_REF),
];

const ENV: &[F] = &[
    F::req("name", Ty::Str),
    F::opt("value", Ty::Str),
    F::one("value_from", VALUE_FROM),
];

const SOURCE_REF: &[F] = &[F::req("name", Ty::Str), F::opt("optional", Ty::Bool)];

const ENV_FROM: &[F] = &[
    F::one("config_map_ref", SOURCE_REF),
    F::opt("prefix", Ty::Str),
    F::one("secret_ref", SOURCE_REF),
];

const CONTAINER_PORT: &[F] = &[
    F::req("container_port", Ty::Int),
    F::opt("host_ip", Ty::Str).k8s("hostIP"),
    F::opt("host_port", Ty::Int),
    F::opt("name", Ty::Str),
    F::opt("protocol", Ty::Str).text("TCP"),
];

const RESOURCES: &[F] = &[
    F::opt("limits", Ty::Quantities).computed(),
    F::opt("requests", Ty::Quantities).computed(),
];

const VOLUME_MOUNT: &[F] = &[
    F::req("mount_path", Ty::Str),
    F::req("name", Ty::Str),
    F::opt("read_only", Ty::Bool).bool(false),
    F::opt("sub_path", Ty::Str),
    F::opt("sub_path_expr", Ty::Str),
    F::opt("mount_propagation", Ty::Str).text("None"),
];

const VOLUME_DEVICE: &[F] = &[F::req("device_path", Ty::Str), F::req("name", Ty::Str)];

const EXEC: &[F] = &[F::opt("command", Ty::StrList)];

const HTTP_HEADER: &[F] = &[F::opt("name", Ty::Str), F::opt("value", Ty::Str)];

const HTTP_GET: &[F] = &[
    F::opt("host", Ty::Str),
    F::opt("path", Ty::Str),
    F::opt("scheme", Ty::Str).text("HTTP"),
    F::opt("port", Ty::IntOrText),
    F::many("http_header", HTTP_HEADER).k8s("httpHeaders"),
];

const TCP_SOCKET: &[F] = &[F::req("port", Ty::IntOrText)];

const GRPC: &[F] = &[F::req("port", Ty::Int), F::opt("service", Ty::Str)];

const PROBE: &[F] = &[
    F::one("exec", EXEC),
    F::one("http_get", HTTP_GET),
    F::one("tcp_socket", TCP_SOCKET),
    F::many("grpc", GRPC).max(1),
    F::opt("failure_threshold", Ty::Int).int(3),
    F::opt("initial_delay_seconds", Ty::Int),
    F::opt("period_seconds", Ty::Int).int(10),
    F::opt("success_threshold", Ty::Int).int(1),
    F::opt("timeout_seconds", Ty::Int).int(1),
];

const HANDLER: &[F] = &[
    F::one("exec", EXEC),
    F::one("http_get", HTTP_GET),
    F::one("tcp_socket", TCP_SOCKET),
];

const LIFECYCLE: &[F] = &[F::one("post_start", HANDLER), F::one("pre_stop", HANDLER)];

const CAPABILITIES: &[F] = &[F::opt("add", Ty::StrList), F::opt("drop", Ty::StrList)];

const SECCOMP: &[F] = &[
    F::opt("localhost_profile", Ty::Str),
    F::opt("type", Ty::Str).text("Unconfined"),
];

const CONTAINER_SECURITY: &[F] = &[
    F::opt("allow_privilege_escalation", Ty::Bool).bool(true),
    F::one("capabilities", CAPABILITIES),
    F::opt("privileged", Ty::Bool).bool(false),
    F::opt("read_only_root_filesystem", Ty::Bool).bool(false),
    F::opt("run_as_group", Ty::IntText),
    F::opt("run_as_non_root", Ty::Bool),
    F::opt("run_as_user", Ty::IntText),
    F::one("seccomp_profile", SECCOMP),
];

pub const CONTAINER: &[F] = &[
    F::opt("args", Ty::StrList),
    F::opt("command", Ty::StrList),
    F::many("env", ENV),
    F::many("env_from", ENV_FROM),
    F::opt("image", Ty::Str),
    F::opt("image_pull_policy", Ty::Str).computed(),
    F::one("lifecycle", LIFECYCLE),
    F::one("liveness_probe", PROBE),
    F::req("name", Ty::Str),
    F::many("port", CONTAINER_PORT).k8s("ports"),
    F::one("readiness_probe", PROBE),
    F::one("resources", RESOURCES).computed(),
    F::one("security_context", CONTAINER_SECURITY),
    F::one("startup_probe", PROBE),
    F::opt("stdin", Ty::Bool).bool(false),
    F::opt("stdin_once", Ty::Bool).bool(false),
    F::opt("termination_message_path", Ty::Str).text("/dev/termination-log"),
    F::opt("termination_message_policy", Ty::Str).computed(),
    F::opt("tty", Ty::Bool).bool(false),
    F::many("volume_device", VOLUME_DEVICE).k8s("volumeDevices"),
    F::many("volume_mount", VOLUME_MOUNT).k8s("volumeMounts"),
    F::opt("working_dir", Ty::Str),
];

const KEY_TO_PATH: &[F] = &[
    F::opt("key", Ty::Str),
    F::opt("mode", Ty::Octal),
    F::opt("path", Ty::Str),
];

const CONFIG_MAP_VOLUME: &[F] = &[
    F::opt("default_mode", Ty::Octal).text("0644"),
    F::many("items", KEY_TO_PATH),
    F::opt("name", Ty::Str),
    F::opt("optional", Ty::Bool),
];

const SECRET_VOLUME: &[F] = &[
    F::opt("default_mode", Ty::Octal).text("0644"),
    F::many("items", KEY_TO_PATH),
    F::opt("optional", Ty::Bool),
    F::opt("secret_name", Ty::Str),
];

const EMPTY_DIR: &[F] = &[
    F::opt("medium", Ty::Str).text(""),
    F::opt("size_limit", Ty::Quantity),
];

const PVC_VOLUME: &[F] = &[
    F::opt("claim_name", Ty::Str),
    F::opt("read_only", Ty::Bool).bool(false),
];

const HOST_PATH: &[F] = &[F::opt("path", Ty::Str), F::opt("type", Ty::Str)];

const DOWNWARD_ITEM: &[F] = &[
    F::one("field_ref", FIELD_REF),
    F::opt("mode", Ty::Octal),
    F::req("path", Ty::Str),
    F::one("resource_field_ref", RESOURCE_FIELD_REF),
];

const DOWNWARD_API: &[F] = &[
    F::opt("default_mode", Ty::Octal).text("0644"),
    F::many("items", DOWNWARD_ITEM),
];

const PROJECTED_OBJECT: &[F] = &[
    F::many("items", KEY_TO_PATH),
    F::opt("name", Ty::Str),
    F::opt("optional", Ty::Bool),
];

const PROJECTED_DOWNWARD: &[F] = &[F::many("items", DOWNWARD_ITEM)];

const SERVICE_ACCOUNT_TOKEN: &[F] = &[
    F::opt("audience", Ty::Str),
    F::opt("expiration_seconds", Ty::Int).int(3600),
    F::req("path", Ty::Str),
];

const PROJECTION: &[F] = &[
    F::one("config_map", PROJECTED_OBJECT),
    F::one("downward_api", PROJECTED_DOWNWARD).k8s("downwardAPI"),
    F::one("secret", PROJECTED_OBJECT),
    F::one("service_account_token", SERVICE_ACCOUNT_TOKEN),
];

const PROJECTED: &[F] = &[
    F::opt("default_mode", Ty::Octal).text("0644"),
    F::many("sources", PROJECTION).required(),
];

const NFS: &[F] = &[
    F::req("path", Ty::Str),
    F::opt("read_only", Ty::Bool).bool(false),
    F::req("server", Ty::Str),
];

const CSI: &[F] = &[
    F::req("driver", Ty::Str),
    F::opt("fs_type", Ty::Str),
    F::one("node_publish_secret_ref", NAME_REF),
    F::opt("read_only", Ty::Bool),
    F::opt("volume_attributes", Ty::StrMap),
];

const EBS: &[F] = &[
    F::opt("fs_type", Ty::Str),
    F::opt("partition", Ty::Int),
    F::opt("read_only", Ty::Bool),
    F::req("volume_id", Ty::Str).k8s("volumeID"),
];

const VOLUME: &[F] = &[
    F::opt("name", Ty::Str),
    F::one("aws_elastic_block_store", EBS),
    F::one("config_map", CONFIG_MAP_VOLUME),
    F::one("csi", CSI),
    F::one("downward_api", DOWNWARD_API).k8s("downwardAPI"),
    F::one("empty_dir", EMPTY_DIR),
    F::one("host_path", HOST_PATH),
    F::one("nfs", NFS),
    F::one("persistent_volume_claim", PVC_VOLUME),
    F::one("projected", PROJECTED),
    F::one("secret", SECRET_VOLUME),
];

const TOLERATION: &[F] = &[
    F::opt("effect", Ty::Str),
    F::opt("key", Ty::Str),
    F::opt("operator", Ty::Str).text("Equal"),
    F::opt("toleration_seconds", Ty::IntText),
    F::opt("value", Ty::Str),
];

const POD_SECURITY: &[F] = &[
    F::opt("fs_group", Ty::IntText),
    F::opt("fs_group_change_policy", Ty::Str),
    F::opt("run_as_group", Ty::IntText),
    F::opt("run_as_non_root", Ty::Bool),
    F::opt("run_as_user", Ty::IntText),
    F::one("seccomp_profile", SECCOMP),
    F::opt("supplemental_groups", Ty::IntSet),
];

const NAME_REF: &[F] = &[F::req("name", Ty::Str)];

const NODE_SELECTOR_TERM: &[F] = &[
    F::many("match_expressions", LABEL_SELECTOR_REQUIREMENT),
    F::many("match_fields", LABEL_SELECTOR_REQUIREMENT),
];

const NODE_SELECTOR: &[F] =
    &[F::many("node_selector_term", NODE_SELECTOR_TERM).k8s("nodeSelectorTerms")];

const PREFERRED_NODE: &[F] = &[
    F::one("preference", NODE_SELECTOR_TERM).required(),
    F::req("weight", Ty::Int),
];

const NODE_AFFINITY: &[F] = &[
    F::many(
        "preferred_during_scheduling_ignored_during_execution",
        PREFERRED_NODE,
    ),
    F::one(
        "required_during_scheduling_ignored_during_execution",
        NODE_SELECTOR,
    ),
];

const POD_AFFINITY_TERM: &[F] = &[
    F::one("label_selector", LABEL_SELECTOR),
    F::opt("namespaces", Ty::StrSet),
    F::opt("topology_key", Ty::Str),
];

const WEIGHTED_POD_AFFINITY_TERM: &[F] = &[
    F::one("pod_affinity_term", POD_AFFINITY_TERM).required(),
    F::req("weight", Ty::Int),
];

const POD_AFFINITY: &[F] = &[
    F::many(
        "preferred_during_scheduling_ignored_during_execution",
        WEIGHTED_POD_AFFINITY_TERM,
    ),
    F::many(
        "required_during_scheduling_ignored_during_execution",
        POD_AFFINITY_TERM,
    ),
];

const DNS_OPTION: &[F] = &[F::req("name", Ty::Str), F::opt("value", Ty::Str)];

const DNS_CONFIG: &[F] = &[
    F::opt("nameservers", Ty::StrList),
    F::many("option", DNS_OPTION).k8s("options"),
    F::opt("searches", Ty::StrList),
];

const HOST_ALIAS: &[F] = &[F::opt("hostnames", Ty::StrList), F::req("ip", Ty::Str)];

const READINESS_GATE: &[F] = &[F::req("condition_type", Ty::Str)];

const TOPOLOGY_SPREAD: &[F] = &[
    F::one("label_selector", LABEL_SELECTOR),
    F::opt("match_label_keys", Ty::StrSet),
    F::opt("max_skew", Ty::Int).int(1),
    F::opt("min_domains", Ty::Int),
    F::opt("node_affinity_policy", Ty::Str),
    F::opt("node_taints_policy", Ty::Str),
    F::opt("topology_key", Ty::Str),
    F::opt("when_unsatisfiable", Ty::Str).text("DoNotSchedule"),
];

const POD_OS: &[F] = &[F::req("name", Ty::Str)];

const AFFINITY: &[F] = &[
    F::one("node_affinity", NODE_AFFINITY),
    F::one("pod_affinity", POD_AFFINITY),
    F::one("pod_anti_affinity", POD_AFFINITY),
];

pub const POD_SPEC: &[F] = &[
    F::opt("active_deadline_seconds", Ty::Int),
    F::one("affinity", AFFINITY),
    F::opt("automount_service_account_token", Ty::Bool).bool(true),
    F::many("container", CONTAINER).k8s("containers"),
    F::one("dns_config", DNS_CONFIG),
    F::opt("dns_policy", Ty::Str).text("ClusterFirst"),
    F::opt("enable_service_links", Ty::Bool).bool(true),
    F::many("host_aliases", HOST_ALIAS),
    F::opt("host_ipc", Ty::Bool).bool(false).k8s("hostIPC"),
    F::opt("host_network", Ty::Bool).bool(false),
    F::opt("host_pid", Ty::Bool).bool(false).k8s("hostPID"),
    F::opt("hostname", Ty::Str).computed(),
    F::many("image_pull_secrets", NAME_REF).computed(),
    F::many("init_container", CONTAINER).k8s("initContainers"),
    F::opt("node_name", Ty::Str).computed(),
    F::opt("node_selector", Ty::StrMap),
    F::one("os", POD_OS),
    F::opt("priority_class_name", Ty::Str),
    F::many("readiness_gate", READINESS_GATE).k8s("readinessGates"),
    F::opt("restart_policy", Ty::Str).text("Always"),
    F::opt("runtime_class_name", Ty::Str),
    F::opt("scheduler_name", Ty::Str).computed(),
    F::one("security_context", POD_SECURITY).computed(),
    F::opt("service_account_name", Ty::Str).computed(),
    F::opt("share_process_namespace", Ty::Bool).bool(false),
    F::opt("subdomain", Ty::Str),
    F::opt("termination_grace_period_seconds", Ty::Int).int(30),
    F::many("toleration", TOLERATION).k8s("tolerations"),
    F::many("topology_spread_constraint", TOPOLOGY_SPREAD).k8s("topologySpreadConstraints"),
    F::many("volume", VOLUME).k8s("volumes"),
];

const TEMPLATE_METADATA: &[F] = &[
    F::opt("annotations", Ty::StrMap),
    F::opt("labels", Ty::StrMap),
    F::opt("name", Ty::Str),
    F::opt("generate_name", Ty::Str),
];

/// A workload's `template`: pod metadata and spec.
pub const POD_TEMPLATE: &[F] = &[
    F::one("metadata", TEMPLATE_METADATA),
    F::one("spec", POD_SPEC).required(),
];
