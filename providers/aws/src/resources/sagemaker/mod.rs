//! SageMaker serving: `aws_sagemaker_model`, `aws_sagemaker_endpoint_configuration` (any
//! change replaces it, and the new configuration is created before the old one is deleted)
//! and `aws_sagemaker_endpoint` (create and update wait for InService within the `timeouts`
//! block; a Failed status is an error carrying SageMaker's failure reason). Import IDs: the
//! names. `model_package_group` is the model registry's group; `studio` the Studio domains
//! and user profiles of team sandboxes; Model Monitor (data quality job definitions, monitoring schedules) is in
//! `monitor`.

mod endpoint;
mod endpoint_config;
mod model;
pub mod model_package_group;
pub mod monitor;
pub mod notebook;
pub mod studio;
mod studio_settings;

pub use endpoint::*;
pub use endpoint_config::*;
pub use model::*;

use aws_sdk_sagemaker::types::{
    Alarm as SmAlarm, AutoRollbackConfig, BlueGreenUpdatePolicy, CapacitySize, CapacitySizeType,
    DeploymentConfig, EndpointStatus, Tag, TrafficRoutingConfig, TrafficRoutingConfigType,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, Value};

use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::error::{classify, code};
use crate::Clients;

fn s(v: &Value, name: &str) -> String {
    v.get_attr(name).as_str().unwrap_or_default().to_string()
}

pub(super) fn not_found<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> bool {
    let m = e.message().unwrap_or_default().to_ascii_lowercase();
    code(e) == "ResourceNotFound"
        || code(e) == "ValidationException"
            && (m.contains("could not find")
                || m.contains("does not exist")
                || m.contains("not found")
                || m.contains("recordnotfound"))
}

/// Removes the tag keys `remove` from the SageMaker object `arn` and sets `set`.
pub(super) async fn set_tags(
    c: &Clients,
    arn: &str,
    remove: Vec<String>,
    set: Vec<(String, String)>,
) -> Result<(), ProviderError> {
    if !remove.is_empty() {
        c.sagemaker
            .delete_tags()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| classify("sagemaker:DeleteTags", &e))?;
    }
    if !set.is_empty() {
        let tags = set
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        c.sagemaker
            .add_tags()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("sagemaker:AddTags", &e))?;
    }
    Ok(())
}

/// An optional nested block of at most one.
pub(super) fn optional_single(block: Schema, force_new: bool) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Single,
        block,
        min_items: 0,
        max_items: Some(1),
        force_new,
    }
}
