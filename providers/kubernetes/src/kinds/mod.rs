//! The typed kinds: one [`Kind`] row per terraform-provider-kubernetes resource type (and
//! its `_v1` name), its API identity, and the field table its schema and object both come
//! from ([`crate::shape`]). Adding a kind is adding a row and, where new, a table.

mod batch;
mod pod;
mod policy;
mod secret;
mod stateful;
mod workloads;

use mlform_provider::{ProviderError, Schema, Value};
use serde_json::{Map, Value as J};

use crate::shape::{Field as F, Ty};

/// What a kind's attributes besides `metadata` are.
pub enum Body {
    /// Mapped field for field by [`crate::shape`].
    Fields(&'static [F]),
    /// Written by hand (`kubernetes_secret`'s two views of one field).
    Custom {
        attributes: fn() -> Schema,
        encode: fn(&Value) -> Result<Map<String, J>, ProviderError>,
        decode: fn(&J, &Value) -> Vec<(String, Value)>,
    },
}

/// What create and update wait for after writing the object.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Nothing,
    /// `wait_for_rollout`: a Deployment's, StatefulSet's or DaemonSet's new pods are ready.
    Rollout,
    /// `wait_for_load_balancer`: a LoadBalancer Service, or an Ingress, has an address.
    LoadBalancer,
    /// `wait_until_bound`: a claim is bound to a volume.
    Bound,
    /// `wait_for_default_service_account`: the namespace's `default` account exists.
    DefaultServiceAccount,
    /// `wait_for_completion`: a Job has completed (a failed Job is an error).
    Completion,
}

/// One typed kind.
pub struct Kind {
    /// The resource type names (the provider's current `_v1` name and the older one).
    pub type_names: &'static [&'static str],
    /// API versions to use, the first the server serves.
    pub api_versions: &'static [&'static str],
    pub kind: &'static str,
    pub namespaced: bool,
    pub body: Body,
    pub wait: Wait,
}

impl Kind {
    pub fn type_name(&self) -> &'static str {
        self.type_names[0]
    }
}

const NAMESPACE: &[F] = &[F::opt("wait_for_default_service_account", Ty::Bool)
    .bool(false)
    .local()];

const CONFIG_MAP: &[F] = &[
    F::opt("binary_data", Ty::StrMap),
    F::opt("data", Ty::StrMap),
    F::opt("immutable", Ty::Bool),
];

const NAME_REF: &[F] = &[F::opt("name", Ty::Str)];

const SERVICE_ACCOUNT: &[F] = &[
    F::opt("automount_service_account_token", Ty::Bool).bool(true),
    F::many("image_pull_secret", NAME_REF).k8s("imagePullSecrets"),
    F::many("secret", NAME_REF).k8s("secrets"),
];

const fn kind(
    type_names: &'static [&'static str],
    api_version: &'static [&'static str],
    kind: &'static str,
    namespaced: bool,
    fields: &'static [F],
) -> Kind {
    Kind {
        type_names,
        api_versions: api_version,
        kind,
        namespaced,
        body: Body::Fields(fields),
        wait: Wait::Nothing,
    }
}

/// Every typed kind.
pub const KINDS: &[Kind] = &[
    Kind {
        wait: Wait::DefaultServiceAccount,
        ..kind(
            &["kubernetes_namespace_v1", "kubernetes_namespace"],
            &["v1"],
            "Namespace",
            false,
            NAMESPACE,
        )
    },
    kind(
        &["kubernetes_config_map_v1", "kubernetes_config_map"],
        &["v1"],
        "ConfigMap",
        true,
        CONFIG_MAP,
    ),
    Kind {
        body: Body::Custom {
            attributes: secret::attributes,
            encode: secret::encode,
            decode: secret::decode,
        },
        ..kind(
            &["kubernetes_secret_v1", "kubernetes_secret"],
            &["v1"],
            "Secret",
            true,
            &[],
        )
    },
    kind(
        &[
            "kubernetes_service_account_v1",
            "kubernetes_service_account",
        ],
        &["v1"],
        "ServiceAccount",
        true,
        SERVICE_ACCOUNT,
    ),
    Kind {
        wait: Wait::Rollout,
        ..kind(
            &["kubernetes_deployment_v1", "kubernetes_deployment"],
            &["apps/v1"],
            "Deployment",
            true,
            workloads::DEPLOYMENT,
        )
    },
    Kind {
        wait: Wait::LoadBalancer,
        ..kind(
            &["kubernetes_service_v1", "kubernetes_service"],
            &["v1"],
            "Service",
            true,
            workloads::SERVICE,
        )
    },
    kind(
        &["kubernetes_horizontal_pod_autoscaler_v2"],
        &["autoscaling/v2", "autoscaling/v2beta2"],
        "HorizontalPodAutoscaler",
        true,
        workloads::HPA_V2,
    ),
    Kind {
        wait: Wait::Rollout,
        ..kind(
            &["kubernetes_daemon_set_v1", "kubernetes_daemonset"],
            &["apps/v1"],
            "DaemonSet",
            true,
            workloads::DAEMON_SET,
        )
    },
    Kind {
        wait: Wait::LoadBalancer,
        ..kind(
            &["kubernetes_ingress_v1"],
            &["networking.k8s.io/v1"],
            "Ingress",
            true,
            workloads::INGRESS,
        )
    },
    kind(
        &["kubernetes_pod_disruption_budget_v1"],
        &["policy/v1", "policy/v1beta1"],
        "PodDisruptionBudget",
        true,
        workloads::POD_DISRUPTION_BUDGET,
    ),
    Kind {
        wait: Wait::Bound,
        ..kind(
            &[
                "kubernetes_persistent_volume_claim_v1",
                "kubernetes_persistent_volume_claim",
            ],
            &["v1"],
            "PersistentVolumeClaim",
            true,
            stateful::PERSISTENT_VOLUME_CLAIM,
        )
    },
    Kind {
        wait: Wait::Rollout,
        ..kind(
            &["kubernetes_stateful_set_v1", "kubernetes_stateful_set"],
            &["apps/v1"],
            "StatefulSet",
            true,
            stateful::STATEFUL_SET,
        )
    },
    Kind {
        wait: Wait::Completion,
        ..kind(
            &["kubernetes_job_v1", "kubernetes_job"],
            &["batch/v1"],
            "Job",
            true,
            batch::JOB,
        )
    },
    kind(
        &["kubernetes_cron_job_v1", "kubernetes_cron_job"],
        &["batch/v1", "batch/v1beta1"],
        "CronJob",
        true,
        batch::CRON_JOB,
    ),
    kind(
        &["kubernetes_role_v1", "kubernetes_role"],
        &["rbac.authorization.k8s.io/v1"],
        "Role",
        true,
        policy::ROLE,
    ),
    kind(
        &["kubernetes_role_binding_v1", "kubernetes_role_binding"],
        &["rbac.authorization.k8s.io/v1"],
        "RoleBinding",
        true,
        policy::ROLE_BINDING,
    ),
    kind(
        &["kubernetes_cluster_role_v1", "kubernetes_cluster_role"],
        &["rbac.authorization.k8s.io/v1"],
        "ClusterRole",
        false,
        policy::CLUSTER_ROLE,
    ),
    kind(
        &[
            "kubernetes_cluster_role_binding_v1",
            "kubernetes_cluster_role_binding",
        ],
        &["rbac.authorization.k8s.io/v1"],
        "ClusterRoleBinding",
        false,
        policy::ROLE_BINDING,
    ),
    kind(
        &["kubernetes_resource_quota_v1", "kubernetes_resource_quota"],
        &["v1"],
        "ResourceQuota",
        true,
        policy::RESOURCE_QUOTA,
    ),
    kind(
        &["kubernetes_limit_range_v1", "kubernetes_limit_range"],
        &["v1"],
        "LimitRange",
        true,
        policy::LIMIT_RANGE,
    ),
    kind(
        &["kubernetes_network_policy_v1", "kubernetes_network_policy"],
        &["networking.k8s.io/v1"],
        "NetworkPolicy",
        true,
        policy::NETWORK_POLICY,
    ),
];

/// The kind a resource type name names.
pub fn find(type_name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.type_names.contains(&type_name))
}
