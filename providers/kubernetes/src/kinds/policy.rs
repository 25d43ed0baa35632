//! The tables of the kinds that govern a namespace: RBAC roles and bindings, resource
//! quotas, limit ranges and network policies, as terraform-provider-kubernetes names them.

use super::pod::LABEL_SELECTOR;
use crate::shape::{Field as F, Ty};

const RULE: &[F] = &[
    F::req("api_groups", Ty::StrSet),
    F::req("resources", Ty::StrSet),
    F::opt("resource_names", Ty::StrSet),
    F::req("verbs", Ty::StrSet),
];

pub const ROLE: &[F] = &[F::many("rule", RULE).k8s("rules").required()];

const CLUSTER_RULE: &[F] = &[
    F::opt("api_groups", Ty::StrList),
    F::opt("non_resource_urls", Ty::StrList).k8s("nonResourceURLs"),
    F::opt("resource_names", Ty::StrList),
    F::opt("resources", Ty::StrList),
    F::req("verbs", Ty::StrList),
];

const AGGREGATION_RULE: &[F] = &[F::many("cluster_role_selectors", LABEL_SELECTOR)];

pub const CLUSTER_ROLE: &[F] = &[
    F::many("rule", CLUSTER_RULE).k8s("rules"),
    F::one("aggregation_rule", AGGREGATION_RULE),
];

const ROLE_REF: &[F] = &[
    F::req("api_group", Ty::Str).force_new(),
    F::req("kind", Ty::Str).force_new(),
    F::req("name", Ty::Str).force_new(),
];

const SUBJECT: &[F] = &[
    F::opt("api_group", Ty::Str).computed(),
    F::req("kind", Ty::Str),
    F::req("name", Ty::Str),
    F::opt("namespace", Ty::Str).text("default"),
];

pub const ROLE_BINDING: &[F] = &[
    F::one("role_ref", ROLE_REF)
        .k8s("roleRef")
        .required()
        .force_new(),
    F::many("subject", SUBJECT).k8s("subjects").required(),
];

const SCOPED_RESOURCE_SELECTOR_REQUIREMENT: &[F] = &[
    F::req("operator", Ty::Str),
    F::req("scope_name", Ty::Str),
    F::opt("values", Ty::StrSet),
];

const SCOPE_SELECTOR: &[F] =
    &[F::many("match_expression", SCOPED_RESOURCE_SELECTOR_REQUIREMENT).k8s("matchExpressions")];

const QUOTA_SPEC: &[F] = &[
    F::opt("hard", Ty::Quantities),
    F::one("scope_selector", SCOPE_SELECTOR),
    F::opt("scopes", Ty::StrSet).force_new(),
];

pub const RESOURCE_QUOTA: &[F] = &[F::one("spec", QUOTA_SPEC)];

const LIMIT: &[F] = &[
    F::opt("default", Ty::Quantities),
    F::opt("default_request", Ty::Quantities).computed(),
    F::opt("max", Ty::Quantities),
    F::opt("max_limit_request_ratio", Ty::Quantities),
    F::opt("min", Ty::Quantities),
    F::opt("type", Ty::Str),
];

pub const LIMIT_RANGE: &[F] = &[F::one("spec", &[F::many("limit", LIMIT).k8s("limits")])];

const IP_BLOCK: &[F] = &[F::opt("cidr", Ty::Str), F::opt("except", Ty::StrList)];

const PEER: &[F] = &[
    F::one("ip_block", IP_BLOCK),
    F::one("namespace_selector", LABEL_SELECTOR),
    F::one("pod_selector", LABEL_SELECTOR),
];

const POLICY_PORT: &[F] = &[
    F::opt("end_port", Ty::Int),
    F::opt("port", Ty::IntOrText),
    F::opt("protocol", Ty::Str).text("TCP"),
];

const INGRESS_RULE: &[F] = &[F::many("from", PEER), F::many("ports", POLICY_PORT)];

const EGRESS_RULE: &[F] = &[F::many("to", PEER), F::many("ports", POLICY_PORT)];

const NETWORK_POLICY_SPEC: &[F] = &[
    F::many("egress", EGRESS_RULE),
    F::many("ingress", INGRESS_RULE),
    F::one("pod_selector", LABEL_SELECTOR).required(),
    F::opt("policy_types", Ty::StrList).required(),
];

pub const NETWORK_POLICY: &[F] = &[F::one("spec", NETWORK_POLICY_SPEC).required()];
