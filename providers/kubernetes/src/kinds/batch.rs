//! The batch kinds' tables: `kubernetes_job_v1` (a run to completion: a training or
//! evaluation job) and `kubernetes_cron_job_v1` (jobs on a schedule), with
//! terraform-provider-kubernetes's names and defaults. A Job's pod template cannot change
//! once created, so template, selector and completion settings replace the Job.

use super::pod::{LABEL_SELECTOR, POD_SPEC};
use crate::shape::{Field as F, Ty};

const JOB_TEMPLATE_METADATA: &[F] = &[
    F::opt("annotations", Ty::StrMap),
    F::opt("labels", Ty::JobLabels),
    F::opt("name", Ty::Str),
    F::opt("generate_name", Ty::Str),
];

const JOB_POD_TEMPLATE: &[F] = &[
    F::one("metadata", JOB_TEMPLATE_METADATA),
    F::one("spec", POD_SPEC).required(),
];

/// A Job's spec; `replace` marks what a Job cannot change once created.
macro_rules! job_spec {
    ($replace:ident) => {
        &[
            F::opt("active_deadline_seconds", Ty::Int),
            F::opt("backoff_limit", Ty::Int).int(6).$replace(),
            F::opt("completion_mode", Ty::Str).computed().$replace(),
            F::opt("completions", Ty::Int).int(1).$replace(),
            F::opt("manual_selector", Ty::Bool).$replace(),
            F::opt("parallelism", Ty::Int).int(1),
            F::one("selector", LABEL_SELECTOR).computed().$replace(),
            F::one("template", JOB_POD_TEMPLATE).required().$replace(),
            F::opt("ttl_seconds_after_finished", Ty::IntText),
        ]
    };
}

impl F {
    /// Leaves the field as it is (a Job spec inside a CronJob changes in place).
    const fn keep(self) -> F {
        self
    }
}

const JOB_SPEC: &[F] = job_spec!(force_new);

pub const JOB: &[F] = &[
    F::one("spec", JOB_SPEC).required(),
    F::opt("wait_for_completion", Ty::Bool).bool(true).local(),
];

const JOB_TEMPLATE_SPEC: &[F] = job_spec!(keep);

const TEMPLATE_METADATA: &[F] = &[
    F::opt("annotations", Ty::StrMap),
    F::opt("labels", Ty::StrMap),
    F::opt("name", Ty::Str),
    F::opt("namespace", Ty::Str),
    F::opt("generate_name", Ty::Str),
];

const JOB_TEMPLATE: &[F] = &[
    F::one("metadata", TEMPLATE_METADATA),
    F::one("spec", JOB_TEMPLATE_SPEC).required(),
];

const CRON_JOB_SPEC: &[F] = &[
    F::opt("concurrency_policy", Ty::Str).text("Allow"),
    F::opt("failed_jobs_history_limit", Ty::Int).int(1),
    F::one("job_template", JOB_TEMPLATE).required(),
    F::req("schedule", Ty::Str),
    F::opt("starting_deadline_seconds", Ty::Int),
    F::opt("successful_jobs_history_limit", Ty::Int).int(3),
    F::opt("suspend", Ty::Bool).bool(false),
    F::opt("timezone", Ty::Str).k8s("timeZone"),
];

pub const CRON_JOB: &[F] = &[F::one("spec", CRON_JOB_SPEC).required()];
