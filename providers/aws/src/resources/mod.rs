//! The resource types and data sources of the AWS provider, one module each.

mod autoscaling;
mod caller_identity;
mod cloudwatch;
mod cloudwatch_composite;
mod declared_only;
mod ec2_data;
mod ecr;
pub(crate) mod ecr_auth;
mod ecr_registry;
mod iam_account;
mod iam_credentials;
mod iam_data;
mod iam_grants;
mod iam_policy;
mod iam_policy_document;
mod iam_policy_grants;
mod iam_role;
mod iam_tags;
mod iam_users;
mod kms;
mod kms_grant;
mod lambda_permission;
mod meta;
mod s3_account;
mod s3_bucket;
mod s3_bucket_acl;
mod s3_bucket_config;
mod s3_bucket_extras;
mod s3_expected_owner;
mod s3_exports;
mod s3_lifecycle;
mod s3_notification;
mod s3_object;
mod s3_object_lock;
mod s3_replication;
mod s3_reports;
mod s3_website;
mod sagemaker;
mod sns;
mod sns_subscription;
mod sqs;
mod sqs_queue;
mod training;

use std::sync::Arc;

use mlform_provider::{DataSource, Resource, Schema};

use crate::framework::{list_blocks, region, AwsDataSource};

use crate::framework::{make, make_data, schema_of};
use crate::Clients;

type Make = fn(Arc<Clients>) -> Arc<dyn Resource>;
type MakeData = fn(Arc<Clients>) -> Arc<dyn DataSource>;

/// Every data source: its name, schema and constructor, in one place.
const DATA_SOURCES: &[(&str, fn() -> Schema, MakeData)] = &[
    ("aws_caller_identity", caller_identity::schema, |c| {
        Arc::new(caller_identity::CallerIdentity { clients: c })
    }),
    (
        "aws_iam_policy_document",
        iam_policy_document::schema,
        |_| Arc::new(iam_policy_document::PolicyDocument),
    ),
    (
        "aws_kms_key",
        kms::KeyData::schema,
        make_data::<kms::KeyData>,
    ),
    (
        "aws_partition",
        meta::PartitionData::schema,
        make_data::<meta::PartitionData>,
    ),
    (
        "aws_region",
        meta::RegionData::schema,
        make_data::<meta::RegionData>,
    ),
    ("aws_arn", meta::ArnData::schema, make_data::<meta::ArnData>),
    (
        "aws_availability_zones",
        ec2_data::AvailabilityZones::schema,
        make_data::<ec2_data::AvailabilityZones>,
    ),
    (
        "aws_cloudfront_log_delivery_canonical_user_id",
        meta::LogDeliveryCanonicalUser::schema,
        make_data::<meta::LogDeliveryCanonicalUser>,
    ),
    (
        "aws_canonical_user_id",
        meta::CanonicalUser::schema,
        make_data::<meta::CanonicalUser>,
    ),
    (
        "aws_iam_role",
        iam_data::RoleData::schema,
        make_data::<iam_data::RoleData>,
    ),
    (
        "aws_iam_policy",
        iam_data::PolicyData::schema,
        make_data::<iam_data::PolicyData>,
    ),
    (
        "aws_ecr_authorization_token",
        ecr_auth::AuthorizationTokenData::schema,
        make_data::<ecr_auth::AuthorizationTokenData>,
    ),
    (
        "aws_service_principal",
        meta::ServicePrincipalData::schema,
        make_data::<meta::ServicePrincipalData>,
    ),
];

/// A `RESOURCES` entry for a type known by schema and refused by name
/// ([`declared_only::DeclaredOnly`]).
macro_rules! declared_only {
    ($type_name:literal, $schema:ident, $reason:ident) => {
        ($type_name, declared_only::$schema, |_| {
            Arc::new(declared_only::DeclaredOnly {
                type_name: $type_name,
                schema: declared_only::$schema,
                reason: declared_only::$reason,
            })
        })
    };
}

/// Every resource type: its name, schema and constructor, in one place.
const RESOURCES: &[(&str, fn() -> Schema, Make)] = &[
    (
        "aws_cloudwatch_composite_alarm",
        schema_of::<cloudwatch_composite::CompositeAlarm>,
        make::<cloudwatch_composite::CompositeAlarm>,
    ),
    ("aws_sns_topic", schema_of::<sns::Topic>, make::<sns::Topic>),
    (
        "aws_sns_topic_subscription",
        schema_of::<sns_subscription::Subscription>,
        make::<sns_subscription::Subscription>,
    ),
    (
        "aws_sns_topic_policy",
        schema_of::<sns::TopicPolicy>,
        make::<sns::TopicPolicy>,
    ),
    (
        "aws_sns_topic_data_protection_policy",
        schema_of::<sns::DataProtectionPolicy>,
        make::<sns::DataProtectionPolicy>,
    ),
    (
        "aws_ecr_repository",
        schema_of::<ecr::Repository>,
        make::<ecr::Repository>,
    ),
    (
        "aws_ecr_lifecycle_policy",
        schema_of::<ecr::LifecyclePolicy>,
        make::<ecr::LifecyclePolicy>,
    ),
    (
        "aws_ecr_repository_policy",
        schema_of::<ecr::RepositoryPolicy>,
        make::<ecr::RepositoryPolicy>,
    ),
    (
        "aws_ecr_registry_policy",
        schema_of::<ecr_registry::RegistryPolicy>,
        make::<ecr_registry::RegistryPolicy>,
    ),
    (
        "aws_ecr_registry_scanning_configuration",
        schema_of::<ecr_registry::ScanningConfiguration>,
        make::<ecr_registry::ScanningConfiguration>,
    ),
    (
        "aws_ecr_replication_configuration",
        schema_of::<ecr_registry::Replication>,
        make::<ecr_registry::Replication>,
    ),
    declared_only!(
        "aws_ecr_pull_through_cache_rule",
        pull_through_cache_rule_schema,
        PULL_THROUGH_CACHE_REASON
    ),
    declared_only!(
        "aws_ecr_repository_creation_template",
        repository_creation_template_schema,
        CREATION_TEMPLATE_REASON
    ),
    declared_only!(
        "aws_ecrpublic_repository",
        ecrpublic_repository_schema,
        ECR_PUBLIC_REASON
    ),
    declared_only!(
        "aws_ecrpublic_repository_policy",
        ecrpublic_repository_policy_schema,
        ECR_PUBLIC_REASON
    ),
    ("aws_kms_key", schema_of::<kms::Key>, make::<kms::Key>),
    ("aws_kms_alias", schema_of::<kms::Alias>, make::<kms::Alias>),
    (
        "aws_kms_grant",
        schema_of::<kms_grant::Grant>,
        make::<kms_grant::Grant>,
    ),
    declared_only!(
        "aws_kms_external_key",
        external_key_schema,
        EXTERNAL_KEY_REASON
    ),
    declared_only!(
        "aws_kms_replica_key",
        replica_key_schema,
        REPLICA_KEY_REASON
    ),
    declared_only!(
        "aws_kms_replica_external_key",
        replica_external_key_schema,
        EXTERNAL_KEY_REASON
    ),
    (
        "aws_iam_user",
        schema_of::<iam_users::User>,
        make::<iam_users::User>,
    ),
    (
        "aws_iam_group",
        schema_of::<iam_users::Group>,
        make::<iam_users::Group>,
    ),
    (
        "aws_iam_user_policy_attachment",
        schema_of::<iam_policy_grants::Attachment<{ iam_policy_grants::USER }>>,
        make::<iam_policy_grants::Attachment<{ iam_policy_grants::USER }>>,
    ),
    (
        "aws_iam_group_policy_attachment",
        schema_of::<iam_policy_grants::Attachment<{ iam_policy_grants::GROUP }>>,
        make::<iam_policy_grants::Attachment<{ iam_policy_grants::GROUP }>>,
    ),
    (
        "aws_iam_user_policy",
        schema_of::<iam_policy_grants::InlinePolicy<{ iam_policy_grants::USER }>>,
        make::<iam_policy_grants::InlinePolicy<{ iam_policy_grants::USER }>>,
    ),
    (
        "aws_iam_group_policy",
        schema_of::<iam_policy_grants::InlinePolicy<{ iam_policy_grants::GROUP }>>,
        make::<iam_policy_grants::InlinePolicy<{ iam_policy_grants::GROUP }>>,
    ),
    (
        "aws_iam_user_group_membership",
        schema_of::<iam_grants::UserGroups>,
        make::<iam_grants::UserGroups>,
    ),
    (
        "aws_iam_policy_attachment",
        schema_of::<iam_grants::PolicyAttachment>,
        make::<iam_grants::PolicyAttachment>,
    ),
    (
        "aws_iam_group_membership",
        schema_of::<iam_grants::GroupUsers>,
        make::<iam_grants::GroupUsers>,
    ),
    (
        "aws_iam_instance_profile",
        schema_of::<iam_grants::InstanceProfile>,
        make::<iam_grants::InstanceProfile>,
    ),
    (
        "aws_iam_openid_connect_provider",
        schema_of::<iam_account::OidcProvider>,
        make::<iam_account::OidcProvider>,
    ),
    (
        "aws_iam_saml_provider",
        schema_of::<iam_account::SamlProvider>,
        make::<iam_account::SamlProvider>,
    ),
    (
        "aws_iam_account_alias",
        schema_of::<iam_account::AccountAlias>,
        make::<iam_account::AccountAlias>,
    ),
    (
        "aws_iam_service_linked_role",
        schema_of::<iam_account::ServiceLinkedRole>,
        make::<iam_account::ServiceLinkedRole>,
    ),
    (
        "aws_iam_user_login_profile",
        schema_of::<iam_credentials::LoginProfile>,
        make::<iam_credentials::LoginProfile>,
    ),
    (
        "aws_iam_user_ssh_key",
        schema_of::<iam_credentials::SshKey>,
        make::<iam_credentials::SshKey>,
    ),
    (
        "aws_iam_account_password_policy",
        schema_of::<iam_credentials::PasswordPolicy>,
        make::<iam_credentials::PasswordPolicy>,
    ),
    (
        "aws_iam_access_key",
        schema_of::<iam_users::AccessKey>,
        make::<iam_users::AccessKey>,
    ),
    (
        "aws_s3_bucket",
        schema_of::<s3_bucket::S3Bucket>,
        make::<s3_bucket::S3Bucket>,
    ),
    (
        "aws_s3_bucket_acl",
        schema_of::<s3_bucket_acl::BucketAcl>,
        make::<s3_bucket_acl::BucketAcl>,
    ),
    (
        "aws_s3_bucket_ownership_controls",
        schema_of::<s3_bucket_extras::OwnershipControlsResource>,
        make::<s3_bucket_extras::OwnershipControlsResource>,
    ),
    (
        "aws_s3_bucket_accelerate_configuration",
        schema_of::<s3_bucket_extras::Accelerate>,
        make::<s3_bucket_extras::Accelerate>,
    ),
    (
        "aws_s3_bucket_request_payment_configuration",
        schema_of::<s3_bucket_extras::RequestPayment>,
        make::<s3_bucket_extras::RequestPayment>,
    ),
    (
        "aws_s3_bucket_cors_configuration",
        schema_of::<s3_bucket_extras::Cors>,
        make::<s3_bucket_extras::Cors>,
    ),
    (
        "aws_s3_bucket_logging",
        schema_of::<s3_bucket_extras::Logging>,
        make::<s3_bucket_extras::Logging>,
    ),
    (
        "aws_s3_bucket_notification",
        schema_of::<s3_notification::Notification>,
        make::<s3_notification::Notification>,
    ),
    (
        "aws_s3_bucket_website_configuration",
        schema_of::<s3_website::Website>,
        make::<s3_website::Website>,
    ),
    (
        "aws_s3_bucket_object_lock_configuration",
        schema_of::<s3_object_lock::ObjectLock>,
        make::<s3_object_lock::ObjectLock>,
    ),
    declared_only!(
        "aws_s3_directory_bucket",
        directory_bucket_schema,
        DIRECTORY_BUCKET_REASON
    ),
    declared_only!(
        "aws_s3_bucket_metadata_configuration",
        metadata_configuration_schema,
        METADATA_REASON
    ),
    (
        "aws_s3_bucket_replication_configuration",
        schema_of::<s3_replication::Replication>,
        make::<s3_replication::Replication>,
    ),
    (
        "aws_s3_bucket_metric",
        schema_of::<s3_reports::Metric>,
        make::<s3_reports::Metric>,
    ),
    (
        "aws_s3_bucket_intelligent_tiering_configuration",
        schema_of::<s3_reports::IntelligentTiering>,
        make::<s3_reports::IntelligentTiering>,
    ),
    (
        "aws_s3_bucket_analytics_configuration",
        schema_of::<s3_exports::Analytics>,
        make::<s3_exports::Analytics>,
    ),
    (
        "aws_s3_bucket_inventory",
        schema_of::<s3_exports::Inventory>,
        make::<s3_exports::Inventory>,
    ),
    (
        "aws_s3_bucket_versioning",
        schema_of::<s3_bucket_config::Versioning>,
        make::<s3_bucket_config::Versioning>,
    ),
    (
        "aws_s3_account_public_access_block",
        schema_of::<s3_account::AccountPublicAccessBlock>,
        make::<s3_account::AccountPublicAccessBlock>,
    ),
    (
        "aws_s3_bucket_public_access_block",
        schema_of::<s3_bucket_config::PublicAccessBlock>,
        make::<s3_bucket_config::PublicAccessBlock>,
    ),
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        schema_of::<s3_bucket_config::Encryption>,
        make::<s3_bucket_config::Encryption>,
    ),
    (
        "aws_s3_bucket_policy",
        schema_of::<s3_bucket_config::BucketPolicy>,
        make::<s3_bucket_config::BucketPolicy>,
    ),
    (
        "aws_s3_bucket_lifecycle_configuration",
        schema_of::<s3_lifecycle::Lifecycle>,
        make::<s3_lifecycle::Lifecycle>,
    ),
    (
        "aws_s3_object",
        schema_of::<s3_object::S3Object>,
        make::<s3_object::S3Object>,
    ),
    (
        "aws_sagemaker_model",
        schema_of::<sagemaker::Model>,
        make::<sagemaker::Model>,
    ),
    (
        "aws_sagemaker_endpoint_configuration",
        schema_of::<sagemaker::EndpointConfig>,
        make::<sagemaker::EndpointConfig>,
    ),
    (
        "aws_sagemaker_endpoint",
        schema_of::<sagemaker::Endpoint>,
        make::<sagemaker::Endpoint>,
    ),
    (
        "aws_sagemaker_notebook_instance",
        schema_of::<sagemaker::notebook::NotebookInstance>,
        make::<sagemaker::notebook::NotebookInstance>,
    ),
    (
        "aws_sagemaker_model_package_group",
        schema_of::<sagemaker::model_package_group::ModelPackageGroup>,
        make::<sagemaker::model_package_group::ModelPackageGroup>,
    ),
    (
        "aws_sagemaker_domain",
        schema_of::<sagemaker::studio::Domain>,
        make::<sagemaker::studio::Domain>,
    ),
    (
        "aws_sagemaker_user_profile",
        schema_of::<sagemaker::studio::UserProfile>,
        make::<sagemaker::studio::UserProfile>,
    ),
    (
        "aws_sagemaker_data_quality_job_definition",
        schema_of::<sagemaker::monitor::DataQualityJobDefinition>,
        make::<sagemaker::monitor::DataQualityJobDefinition>,
    ),
    (
        "aws_sagemaker_monitoring_schedule",
        schema_of::<sagemaker::monitor::MonitoringSchedule>,
        make::<sagemaker::monitor::MonitoringSchedule>,
    ),
    (
        "aws_sagemaker_training_job",
        schema_of::<training::TrainingJob>,
        make::<training::TrainingJob>,
    ),
    (
        "aws_appautoscaling_target",
        schema_of::<autoscaling::Target>,
        make::<autoscaling::Target>,
    ),
    (
        "aws_appautoscaling_policy",
        schema_of::<autoscaling::Policy>,
        make::<autoscaling::Policy>,
    ),
    (
        "aws_cloudwatch_metric_alarm",
        schema_of::<cloudwatch::MetricAlarm>,
        make::<cloudwatch::MetricAlarm>,
    ),
    (
        "aws_iam_role",
        schema_of::<iam_role::Role>,
        make::<iam_role::Role>,
    ),
    (
        "aws_sqs_queue",
        schema_of::<sqs_queue::Queue>,
        make::<sqs_queue::Queue>,
    ),
    (
        "aws_sqs_queue_policy",
        schema_of::<sqs::QueueDocument<{ sqs::POLICY }>>,
        make::<sqs::QueueDocument<{ sqs::POLICY }>>,
    ),
    (
        "aws_sqs_queue_redrive_policy",
        schema_of::<sqs::QueueDocument<{ sqs::REDRIVE }>>,
        make::<sqs::QueueDocument<{ sqs::REDRIVE }>>,
    ),
    (
        "aws_sqs_queue_redrive_allow_policy",
        schema_of::<sqs::QueueDocument<{ sqs::REDRIVE_ALLOW }>>,
        make::<sqs::QueueDocument<{ sqs::REDRIVE_ALLOW }>>,
    ),
    (
        "aws_lambda_permission",
        schema_of::<lambda_permission::Permission>,
        make::<lambda_permission::Permission>,
    ),
    (
        "aws_iam_policy",
        schema_of::<iam_policy::IamPolicy>,
        make::<iam_policy::IamPolicy>,
    ),
    (
        "aws_iam_role_policy",
        schema_of::<iam_policy_grants::InlinePolicy<{ iam_policy_grants::ROLE }>>,
        make::<iam_policy_grants::InlinePolicy<{ iam_policy_grants::ROLE }>>,
    ),
    (
        "aws_iam_role_policy_attachment",
        schema_of::<iam_policy_grants::Attachment<{ iam_policy_grants::ROLE }>>,
        make::<iam_policy_grants::Attachment<{ iam_policy_grants::ROLE }>>,
    ),
];

pub use meta::is_known_region;

pub fn resource_schemas() -> Vec<(&'static str, Schema)> {
    RESOURCES
        .iter()
        .map(|(name, schema, _)| {
            let mut schema = schema();
            if s3_expected_owner::TYPES.contains(name) {
                schema = s3_expected_owner::with_expected_owner(schema);
            }
            let schema = if region::is_regional(name) {
                region::with_region(schema)
            } else {
                schema
            };
            (*name, list_blocks::lists_of_one(&schema))
        })
        .collect()
}

pub fn data_source_schemas() -> Vec<(&'static str, Schema)> {
    DATA_SOURCES
        .iter()
        .map(|(name, schema, _)| {
            let schema = schema();
            let schema = if region::REGIONAL_DATA_SOURCES.contains(name) {
                region::with_data_region(schema)
            } else {
                schema
            };
            (*name, schema)
        })
        .collect()
}

pub fn resource(type_name: &str, clients: Arc<Clients>) -> Option<Arc<dyn Resource>> {
    let (name, _, make) = RESOURCES.iter().find(|(name, _, _)| *name == type_name)?;
    let region = clients.region.clone();
    let inner = if s3_expected_owner::TYPES.contains(name) {
        Arc::new(s3_expected_owner::ExpectedOwner {
            make: *make,
            clients,
        })
    } else {
        make(clients)
    };
    let inner: Arc<dyn Resource> = if region::is_regional(name) {
        Arc::new(region::Regional {
            inner,
            type_name: name,
            region,
        })
    } else {
        inner
    };
    Some(list_blocks::ListBlocks::wrap(inner))
}

pub fn data_source(type_name: &str, clients: Arc<Clients>) -> Option<Arc<dyn DataSource>> {
    let (name, _, make) = DATA_SOURCES
        .iter()
        .find(|(name, _, _)| *name == type_name)?;
    let region = clients.region.clone();
    let inner = make(clients);
    Some(if region::REGIONAL_DATA_SOURCES.contains(name) {
        Arc::new(region::RegionalData {
            inner,
            type_name: name,
            region,
        })
    } else {
        inner
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
