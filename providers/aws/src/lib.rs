//! The AWS provider: the `provider "aws"` block (region, profile, static keys, default_tags,
//! endpoints for the local emulator, the skip_* switches of terraform-provider-aws) and one
//! module per resource type, named and shaped as in terraform-provider-aws. Clients are the
//! official `aws-sdk-*` crates over the standard credential chain.

pub mod backend;
mod client;
mod error;
mod framework;
pub mod http;
pub mod kms_keys;
pub mod policy;
mod resources;

use std::sync::Arc;

use mlform_provider::{
    Attribute, Configured, DataSource, NestedBlock, Nesting, Provider, ProviderError,
    ProviderSchema, Resource, Schema, Type, Value,
};

pub use client::Clients;
pub use resources::ecr_auth::{
    ecr_registry, login as ecr_login, login_with as ecr_login_with, EcrLogin,
};

/// The `aws` provider (source `registry.terraform.io/hashicorp/aws`).
pub struct AwsProvider;

impl AwsProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(AwsProvider)
    }
}

const ENDPOINT_SERVICES: &[&str] = &[
    "s3",
    "iam",
    "sts",
    "sagemaker",
    "applicationautoscaling",
    "cloudwatch",
    "kms",
    "sns",
    "ecr",
    "sqs",
    "lambda",
    "ec2",
    "s3control",
];

fn provider_schema() -> Schema {
    let mut endpoints = Schema::new();
    for s in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(s, Attribute::optional(Type::String));
    }
    Schema::new()
        .attr(
            "region",
            Attribute::optional(Type::String)
                .describe("AWS region; defaults to AWS_REGION / the profile's region."),
        )
        .attr("profile", Attribute::optional(Type::String))
        .attr("access_key", Attribute::optional(Type::String).sensitive())
        .attr("secret_key", Attribute::optional(Type::String).sensitive())
        .attr("token", Attribute::optional(Type::String).sensitive())
        .attr("s3_use_path_style", Attribute::optional(Type::Bool))
        .attr(
            "skip_credentials_validation",
            Attribute::optional(Type::Bool),
        )
        .attr(
            "skip_requesting_account_id",
            Attribute::optional(Type::Bool),
        )
        .attr("skip_metadata_api_check", Attribute::optional(Type::Bool))
        .attr(
            "skip_region_validation",
            Attribute::optional(Type::Bool)
                .describe("Accept a region mlform does not know (a new one)."),
        )
        .attr("max_retries", Attribute::optional(Type::Number))
        .block(
            "endpoints",
            NestedBlock {
                nesting: Nesting::Single,
                block: endpoints,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        )
        .block(
            "default_tags",
            NestedBlock {
                nesting: Nesting::Single,
                block: Schema::new().attr("tags", Attribute::optional(Type::map(Type::String))),
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        )
}

#[async_trait::async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn source(&self) -> &'static str {
        "registry.terraform.io/hashicorp/aws"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema {
            provider: provider_schema(),
            ..ProviderSchema::default()
        };
        for (name, schema) in resources::resource_schemas() {
            s.resources.insert(name.to_string(), schema);
        }
        for (name, schema) in resources::data_source_schemas() {
            s.data_sources.insert(name.to_string(), schema);
        }
        s
    }

    async fn configure(&self, config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        let clients = Clients::from_config(config).await?;
        Ok(Arc::new(AwsConfigured {
            clients: Arc::new(clients),
        }))
    }
}

struct AwsConfigured {
    clients: Arc<Clients>,
}

impl Configured for AwsConfigured {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        resources::resource(type_name, self.clients.clone())
    }

    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        resources::data_source(type_name, self.clients.clone())
    }
}
