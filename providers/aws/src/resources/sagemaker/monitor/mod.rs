//! SageMaker Model Monitor, so data drift on an endpoint is watched:
//! `aws_sagemaker_data_quality_job_definition` (what a monitoring job runs, on which
//! endpoint's captured data, where it writes; no update API, so every argument but tags
//! replaces it) and `aws_sagemaker_monitoring_schedule` (when it runs; the configuration
//! updates in place). Both are known by their name (the import ID), as in
//! terraform-provider-aws.

mod data_quality;
mod schedule;

pub use data_quality::DataQualityJobDefinition;
pub use schedule::MonitoringSchedule;

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::Tag;
use mlform_provider::{NestedBlock, Nesting, ProviderError, Schema};

use crate::framework::SdkResult;
use crate::Clients;

/// A block written as a list of at most one, as terraform-provider-aws declares them
/// (`x[0].y`).
pub(super) fn one(block: Schema, required: bool) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::List,
        block,
        min_items: usize::from(required),
        max_items: Some(1),
        force_new: true,
    }
}

pub(crate) fn tags_of(all: &Option<BTreeMap<String, String>>) -> Vec<Tag> {
    all.iter()
        .flatten()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) async fn live_tags(
    c: &Clients,
    arn: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = c
        .sagemaker
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .call("sagemaker:ListTags")?;
    Ok(out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

pub(super) use super::set_tags as set_sagemaker_tags;
