//! The resource types and data sources of the AWS provider, one module each.

mod autoscaling;
mod caller_identity;
mod cloudwatch;
mod iam_policy;
mod iam_policy_document;
mod iam_role;
mod s3_bucket;
mod s3_bucket_config;
mod s3_lifecycle;
mod s3_object;
mod sagemaker;
mod training;

use std::sync::Arc;

use mlform_provider::{DataSource, Resource, Schema};

use crate::Clients;

type Make = fn(Arc<Clients>) -> Arc<dyn Resource>;

/// Every resource type: its name, schema and constructor, in one place.
const RESOURCES: &[(&str, fn() -> Schema, Make)] = &[
    ("aws_s3_bucket", s3_bucket::schema, |c| {
        Arc::new(s3_bucket::S3Bucket { clients: c })
    }),
    (
        "aws_s3_bucket_versioning",
        s3_bucket_config::versioning_schema,
        |c| Arc::new(s3_bucket_config::Versioning { clients: c }),
    ),
    (
        "aws_s3_bucket_public_access_block",
        s3_bucket_config::public_access_block_schema,
        |c| Arc::new(s3_bucket_config::PublicAccessBlock { clients: c }),
    ),
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        s3_bucket_config::encryption_schema,
        |c| Arc::new(s3_bucket_config::Encryption { clients: c }),
    ),
    (
        "aws_s3_bucket_policy",
        s3_bucket_config::policy_schema,
        |c| Arc::new(s3_bucket_config::BucketPolicy { clients: c }),
    ),
    (
        "aws_s3_bucket_lifecycle_configuration",
        s3_lifecycle::schema,
        |c| Arc::new(s3_lifecycle::Lifecycle { clients: c }),
    ),
    ("aws_s3_object", s3_object::schema, |c| {
        Arc::new(s3_object::S3Object { clients: c })
    }),
    ("aws_sagemaker_model", sagemaker::model_schema, |c| {
        Arc::new(sagemaker::Model { clients: c })
    }),
    (
        "aws_sagemaker_endpoint_configuration",
        sagemaker::config_schema,
        |c| Arc::new(sagemaker::EndpointConfig { clients: c }),
    ),
    ("aws_sagemaker_endpoint", sagemaker::endpoint_schema, |c| {
        Arc::new(sagemaker::Endpoint { clients: c })
    }),
    ("aws_sagemaker_training_job", training::schema, |c| {
        Arc::new(training::TrainingJob { clients: c })
    }),
    (
        "aws_appautoscaling_target",
        autoscaling::target_schema,
        |c| Arc::new(autoscaling::Target { clients: c }),
    ),
    (
        "aws_appautoscaling_policy",
        autoscaling::policy_schema,
        |c| Arc::new(autoscaling::Policy { clients: c }),
    ),
    ("aws_cloudwatch_metric_alarm", cloudwatch::schema, |c| {
        Arc::new(cloudwatch::MetricAlarmResource { clients: c })
    }),
    ("aws_iam_role", iam_role::schema, |c| {
        Arc::new(iam_role::IamRole { clients: c })
    }),
    ("aws_iam_policy", iam_policy::policy_schema, |c| {
        Arc::new(iam_policy::IamPolicy { clients: c })
    }),
    ("aws_iam_role_policy", iam_policy::role_policy_schema, |c| {
        Arc::new(iam_policy::RolePolicy { clients: c })
    }),
    (
        "aws_iam_role_policy_attachment",
        iam_policy::attachment_schema,
        |c| Arc::new(iam_policy::Attachment { clients: c }),
    ),
];

pub fn resource_schemas() -> Vec<(&'static str, Schema)> {
    RESOURCES
        .iter()
        .map(|(name, schema, _)| (*name, schema()))
        .collect()
}

pub fn data_source_schemas() -> Vec<(&'static str, Schema)> {
    vec![
        ("aws_caller_identity", caller_identity::schema()),
        ("aws_iam_policy_document", iam_policy_document::schema()),
    ]
}

pub fn resource(type_name: &str, clients: Arc<Clients>) -> Option<Arc<dyn Resource>> {
    RESOURCES
        .iter()
        .find(|(name, _, _)| *name == type_name)
        .map(|(_, _, make)| make(clients))
}

pub fn data_source(type_name: &str, clients: Arc<Clients>) -> Option<Arc<dyn DataSource>> {
    Some(match type_name {
        "aws_caller_identity" => Arc::new(caller_identity::CallerIdentity { clients }),
        "aws_iam_policy_document" => Arc::new(iam_policy_document::PolicyDocument),
        _ => return None,
    })
}

/// A name from `name` or `name_prefix` + a unique suffix, as terraform-provider-aws does.
pub fn unique_name(
    name: &mlform_provider::Value,
    prefix: &mlform_provider::Value,
    default_prefix: &str,
) -> String {
    if let Some(n) = name.as_str() {
        return n.to_string();
    }
    let p = prefix.as_str().unwrap_or(default_prefix);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{p}{:026}", nanos % 10u128.pow(26))
}

/// The `name_prefix` of a name that [`unique_name`] generated (its 26-digit suffix cut off),
/// as terraform-provider-aws recovers it on import. `Null` for a name chosen by hand or one
/// made from the default prefix (the configuration set neither).
pub fn prefix_of_generated(name: &str) -> mlform_provider::Value {
    let digits = name.chars().rev().take_while(char::is_ascii_digit).count();
    if digits == 26 && name.len() > 26 && &name[..name.len() - 26] != "tf-" {
        mlform_provider::Value::from(&name[..name.len() - 26])
    } else {
        mlform_provider::Value::Null
    }
}

/// Tags as a sorted map value.
pub fn tags_value<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> mlform_provider::Value {
    mlform_provider::Value::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), mlform_provider::Value::from(v)))
            .collect(),
    )
}

/// IAM tags from a tag map value.
pub fn iam_tags(
    v: &mlform_provider::Value,
) -> Result<Vec<aws_sdk_iam::types::Tag>, mlform_provider::ProviderError> {
    crate::client::tag_changes(&mlform_provider::Value::Null, v)
        .1
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| mlform_provider::ProviderError::InvalidConfig(e.to_string()))
        })
        .collect()
}

/// A string attribute, empty when unset.
pub fn string(v: &mlform_provider::Value, name: &str) -> String {
    v.get_attr(name).as_str().unwrap_or_default().to_string()
}

/// A string attribute, `None` when unset.
pub fn opt_str(v: &mlform_provider::Value, name: &str) -> Option<String> {
    v.get_attr(name).as_str().map(str::to_string)
}

/// A number attribute.
pub fn num(v: &mlform_provider::Value, name: &str) -> Option<f64> {
    v.get_attr(name).as_f64()
}

/// A whole-number attribute.
pub fn int(v: &mlform_provider::Value, name: &str) -> Option<i32> {
    v.get_attr(name).as_f64().map(|n| n as i32)
}

/// A map value's string entries as the SDKs take them (tags, environment,
/// hyperparameters); `None` when there are none.
pub fn string_map(v: &mlform_provider::Value) -> Option<std::collections::HashMap<String, String>> {
    let pairs = crate::client::tag_changes(&mlform_provider::Value::Null, v).1;
    (!pairs.is_empty()).then(|| pairs.into_iter().collect())
}

/// An optional whole number from an SDK as a value.
pub fn int_value(n: Option<i32>) -> mlform_provider::Value {
    n.map(|n| mlform_provider::Value::from(n as i64))
        .unwrap_or(mlform_provider::Value::Null)
}

/// An optional SDK field as a value, `Null` when absent.
pub fn opt_value<T: Into<mlform_provider::Value>>(v: Option<T>) -> mlform_provider::Value {
    v.map(Into::into).unwrap_or(mlform_provider::Value::Null)
}
