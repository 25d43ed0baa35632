//! `aws_sagemaker_model`: the container an endpoint serves (`primary_container`, or an
//! inference pipeline of `container` blocks), with its image settings, model data source
//! and multi-model cache, and how it may reach the network (`enable_network_isolation`,
//! `vpc_config`). Every argument but the tags replaces the model, as in
//! terraform-provider-aws.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::{
    ContainerDefinition, ContainerMode, ImageConfig as SmImageConfig, ModelCacheSetting,
    ModelCompressionType, ModelDataSource, MultiModelConfig, RepositoryAccessMode,
    RepositoryAuthConfig, S3ModelDataSource, S3ModelDataType, VpcConfig,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, ValueMap};
use serde::{Deserialize, Serialize};

use super::monitor::{live_tags, tags_of};
use super::not_found;
use crate::error::classify;
use crate::framework::{AwsResource, Created, Naming};
use crate::Clients;

fn block(nesting: Nesting, block: Schema, min: usize, max: Option<usize>) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items: min,
        max_items: max,
        force_new: true,
    }
}

fn container_schema() -> Schema {
    let auth = Schema::new().attr(
        "repository_credentials_provider_arn",
        Attribute::required(Type::String),
    );
    let image_config = Schema::new()
        .attr("repository_access_mode", Attribute::required(Type::String))
        .block(
            "repository_auth_config",
            block(Nesting::Single, auth, 0, Some(1)),
        );
    let s3_source = Schema::new()
        .attr("s3_uri", Attribute::required(Type::String))
        .attr("s3_data_type", Attribute::required(Type::String))
        .attr("compression_type", Attribute::required(Type::String));
    let data_source = Schema::new().block(
        "s3_data_source",
        block(Nesting::Single, s3_source, 1, Some(1)),
    );
    let multi_model = Schema::new().attr(
        "model_cache_setting",
        Attribute::optional_computed(Type::String).default("Enabled"),
    );
    Schema::new()
        .attr("image", Attribute::optional(Type::String))
        .attr("model_data_url", Attribute::optional(Type::String))
        .attr("environment", Attribute::optional(Type::map(Type::String)))
        .attr(
            "mode",
            Attribute::optional_computed(Type::String).default("SingleModel"),
        )
        .attr("container_hostname", Attribute::optional(Type::String))
        .attr("model_package_name", Attribute::optional(Type::String))
        .block(
            "image_config",
            block(Nesting::Single, image_config, 0, Some(1)),
        )
        .block(
            "model_data_source",
            block(Nesting::Single, data_source, 0, Some(1)),
        )
        .block(
            "multi_model_config",
            block(Nesting::Single, multi_model, 0, Some(1)),
        )
}

fn model_schema() -> Schema {
    let vpc = Schema::new()
        .attr("subnets", Attribute::required(Type::set(Type::String)))
        .attr(
            "security_group_ids",
            Attribute::required(Type::set(Type::String)),
        );
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "execution_role_arn",
            Attribute::required(Type::String).force_new(),
        )
        .attr(
            "enable_network_isolation",
            Attribute::optional(Type::Bool).force_new().default(false),
        )
        .block(
            "primary_container",
            block(Nesting::Single, container_schema(), 0, Some(1)),
        )
        .block(
            "container",
            block(Nesting::List, container_schema(), 0, Some(15)),
        )
        .block("vpc_config", block(Nesting::Single, vpc, 0, Some(1)))
}

#[derive(Default)]
pub struct Model;

type Map = BTreeMap<String, String>;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ModelModel {
    id: String,
    name: String,
    arn: Option<String>,
    execution_role_arn: String,
    enable_network_isolation: bool,
    primary_container: Option<Container>,
    container: Vec<Container>,
    vpc_config: Option<Vpc>,
    tags_all: Option<Map>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Container {
    image: Option<String>,
    model_data_url: Option<String>,
    environment: Option<Map>,
    mode: Option<String>,
    container_hostname: Option<String>,
    model_package_name: Option<String>,
    image_config: Option<ImageConfig>,
    model_data_source: Option<DataSource>,
    multi_model_config: Option<MultiModel>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ImageConfig {
    repository_access_mode: String,
    repository_auth_config: Option<AuthConfig>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AuthConfig {
    repository_credentials_provider_arn: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DataSource {
    s3_data_source: S3Source,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct S3Source {
    s3_uri: String,
    s3_data_type: String,
    compression_type: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MultiModel {
    model_cache_setting: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Vpc {
    subnets: Vec<String>,
    security_group_ids: Vec<String>,
}

fn definition(c: &Container) -> ContainerDefinition {
    let image_config = c.image_config.as_ref().map(|ic| {
        SmImageConfig::builder()
            .repository_access_mode(RepositoryAccessMode::from(
                ic.repository_access_mode.as_str(),
            ))
            .set_repository_auth_config(ic.repository_auth_config.as_ref().map(|a| {
                RepositoryAuthConfig::builder()
                    .repository_credentials_provider_arn(&a.repository_credentials_provider_arn)
                    .build()
            }))
            .build()
    });
    let data_source = c.model_data_source.as_ref().map(|d| {
        let s3 = &d.s3_data_source;
        ModelDataSource::builder()
            .s3_data_source(
                S3ModelDataSource::builder()
                    .s3_uri(&s3.s3_uri)
                    .s3_data_type(S3ModelDataType::from(s3.s3_data_type.as_str()))
                    .compression_type(ModelCompressionType::from(s3.compression_type.as_str()))
                    .build(),
            )
            .build()
    });
    ContainerDefinition::builder()
        .set_image(c.image.clone())
        .set_model_data_url(c.model_data_url.clone())
        .set_container_hostname(c.container_hostname.clone())
        .set_model_package_name(c.model_package_name.clone())
        .set_mode(c.mode.as_deref().map(ContainerMode::from))
        .set_environment(
            c.environment
                .clone()
                .filter(|e| !e.is_empty())
                .map(|e| e.into_iter().collect()),
        )
        .set_image_config(image_config)
        .set_model_data_source(data_source)
        .set_multi_model_config(c.multi_model_config.as_ref().map(|m| {
            MultiModelConfig::builder()
                .set_model_cache_setting(
                    m.model_cache_setting
                        .as_deref()
                        .map(ModelCacheSetting::from),
                )
                .build()
        }))
        .build()
}

/// One container as DescribeModel reports it, with SageMaker's documented defaults where
/// the answer leaves them out (SingleModel, a multi-model cache Enabled) and `prior`'s
/// empty environment kept (an empty map is not sent, and reads back as none).
fn live_container(c: &ContainerDefinition, prior: Option<&Container>) -> Container {
    let s = |v: Option<&str>| v.map(str::to_string);
    let environment = c
        .environment()
        .filter(|e| !e.is_empty())
        .map(|e| e.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .or_else(|| {
            prior
                .and_then(|p| p.environment.as_ref())
                .filter(|e| e.is_empty())
                .cloned()
        });
    Container {
        image: s(c.image()),
        model_data_url: s(c.model_data_url()),
        environment,
        mode: Some(c.mode().map_or("SingleModel", |m| m.as_str()).to_string()),
        container_hostname: s(c.container_hostname()),
        model_package_name: s(c.model_package_name()),
        image_config: c.image_config().map(|ic| ImageConfig {
            repository_access_mode: ic
                .repository_access_mode()
                .map_or("", |m| m.as_str())
                .to_string(),
            repository_auth_config: ic.repository_auth_config().map(|a| AuthConfig {
                repository_credentials_provider_arn: a
                    .repository_credentials_provider_arn()
                    .unwrap_or_default()
                    .to_string(),
            }),
        }),
        model_data_source: c
            .model_data_source()
            .and_then(|d| d.s3_data_source())
            .map(|d| DataSource {
                s3_data_source: S3Source {
                    s3_uri: d.s3_uri().unwrap_or_default().to_string(),
                    s3_data_type: d.s3_data_type().map_or("", |t| t.as_str()).to_string(),
                    compression_type: d.compression_type().map_or("", |t| t.as_str()).to_string(),
                },
            }),
        multi_model_config: c.multi_model_config().map(|m| MultiModel {
            model_cache_setting: Some(
                m.model_cache_setting()
                    .map_or("Enabled", |s| s.as_str())
                    .to_string(),
            ),
        }),
    }
}

#[async_trait::async_trait]
impl AwsResource for Model {
    type Model = ModelModel;
    const TYPE: &'static str = "aws_sagemaker_model";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("tf-"));
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        model_schema()
    }

    fn validate(p: &ValueMap) -> Result<(), ProviderError> {
        let primary = p.get("primary_container").is_some_and(|v| !v.is_null());
        let pipeline = p
            .get("container")
            .and_then(|v| v.as_list())
            .is_some_and(|l| !l.is_empty());
        if primary == pipeline {
            return Err(ProviderError::InvalidConfig(
                "aws_sagemaker_model needs either primary_container or container blocks (an inference pipeline), not both".into(),
            ));
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ModelModel,
    ) -> Result<Created<ModelModel>, ProviderError> {
        let vpc = m.vpc_config.as_ref().map(|v| {
            VpcConfig::builder()
                .set_subnets(Some(v.subnets.clone()))
                .set_security_group_ids(Some(v.security_group_ids.clone()))
                .build()
        });
        let tags = tags_of(&m.tags_all);
        c.sagemaker
            .create_model()
            .model_name(&m.name)
            .execution_role_arn(&m.execution_role_arn)
            .set_primary_container(m.primary_container.as_ref().map(definition))
            .set_containers(
                Some(m.container.iter().map(definition).collect::<Vec<_>>())
                    .filter(|c| !c.is_empty()),
            )
            .set_vpc_config(vpc)
            .enable_network_isolation(m.enable_network_isolation)
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateModel", &e))?;
        Ok(m.name.clone().into())
    }

    async fn read(&self, c: &Clients, m: &ModelModel) -> Result<Option<ModelModel>, ProviderError> {
        let out = match c.sagemaker.describe_model().model_name(&m.id).send().await {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeModel", &e)),
        };
        // A container with neither image nor model package, or a VPC configuration with
        // no subnets, is no container or VPC at all (the emulator answers such empty ones).
        let real =
            |c: &&ContainerDefinition| c.image().is_some() || c.model_package_name().is_some();
        let arn = out.model_arn().unwrap_or_default().to_string();
        Ok(Some(ModelModel {
            id: m.id.clone(),
            name: out.model_name().unwrap_or(&m.id).to_string(),
            execution_role_arn: out.execution_role_arn().unwrap_or_default().to_string(),
            enable_network_isolation: out.enable_network_isolation().unwrap_or(false),
            primary_container: out
                .primary_container()
                .filter(real)
                .map(|c| live_container(c, m.primary_container.as_ref())),
            container: out
                .containers()
                .iter()
                .enumerate()
                .map(|(i, c)| live_container(c, m.container.get(i)))
                .collect(),
            vpc_config: out
                .vpc_config()
                .filter(|v| !v.subnets().is_empty())
                .map(|v| Vpc {
                    subnets: v.subnets().to_vec(),
                    security_group_ids: v.security_group_ids().to_vec(),
                }),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &ModelModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &ModelModel) -> Result<(), ProviderError> {
        match c.sagemaker.delete_model().model_name(&m.id).send().await {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteModel", &e)),
        }
    }
}
