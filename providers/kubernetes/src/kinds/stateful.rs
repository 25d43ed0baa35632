//! The tables of the kinds that keep data: `kubernetes_persistent_volume_claim_v1` and
//! `kubernetes_stateful_set_v1` (with its claim templates), as terraform-provider-kubernetes
//! names them.

use super::pod::{LABEL_SELECTOR, POD_TEMPLATE};
use crate::shape::{Field as F, Ty};

const CLAIM_RESOURCES: &[F] = &[
    F::opt("limits", Ty::Quantities).force_new(),
    F::opt("requests", Ty::Quantities),
];

const CLAIM_SPEC: &[F] = &[
    F::req("access_modes", Ty::StrSet).force_new(),
    F::one("resources", CLAIM_RESOURCES).required(),
    F::one("selector", LABEL_SELECTOR).force_new(),
    F::opt("storage_class_name", Ty::Str).computed().force_new(),
    F::opt("volume_mode", Ty::Str).computed().force_new(),
    F::opt("volume_name", Ty::Str).computed().force_new(),
];

pub const PERSISTENT_VOLUME_CLAIM: &[F] = &[
    F::one("spec", CLAIM_SPEC).required(),
    F::opt("wait_until_bound", Ty::Bool).bool(true).local(),
];

const CLAIM_TEMPLATE_METADATA: &[F] = &[
    F::opt("annotations", Ty::StrMap),
    F::opt("labels", Ty::StrMap),
    F::req("name", Ty::Str),
];

const CLAIM_TEMPLATE: &[F] = &[
    F::one("metadata", CLAIM_TEMPLATE_METADATA).required(),
    F::one("spec", CLAIM_SPEC).required(),
];

const ROLLING_UPDATE: &[F] = &[F::opt("partition", Ty::Int).int(0)];

const UPDATE_STRATEGY: &[F] = &[
    F::opt("type", Ty::Str).text("RollingUpdate"),
    F::one("rolling_update", ROLLING_UPDATE).computed(),
];

const RETENTION: &[F] = &[
    F::opt("when_deleted", Ty::Str).text("Retain"),
    F::opt("when_scaled", Ty::Str).text("Retain"),
];

const STATEFUL_SET_SPEC: &[F] = &[
    F::opt("min_ready_seconds", Ty::Int).int(0),
    F::many("persistent_volume_claim_retention_policy", RETENTION)
        .max(1)
        .computed(),
    F::opt("pod_management_policy", Ty::Str)
        .computed()
        .force_new(),
    F::opt("replicas", Ty::IntText).computed(),
    F::opt("revision_history_limit", Ty::Int)
        .computed()
        .force_new(),
    F::one("selector", LABEL_SELECTOR).required().force_new(),
    F::req("service_name", Ty::Str).force_new(),
    F::one("template", POD_TEMPLATE).required(),
    F::many("update_strategy", UPDATE_STRATEGY)
        .max(1)
        .computed(),
    F::many("volume_claim_template", CLAIM_TEMPLATE)
        .k8s("volumeClaimTemplates")
        .force_new(),
];

pub const STATEFUL_SET: &[F] = &[
    F::one("spec", STATEFUL_SET_SPEC).required(),
    F::opt("wait_for_rollout", Ty::Bool).bool(true).local(),
];
