//! `aws_sagemaker_endpoint_configuration`: production variants, serverless settings and data
//! capture; any change replaces it, the new configuration created before the old is
//! deleted.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::{
    CaptureContentTypeHeader, CaptureMode, CaptureOption, DataCaptureConfig, ProductionVariant,
    ProductionVariantAcceleratorType, ProductionVariantCoreDumpConfig,
    ProductionVariantInferenceAmiVersion, ProductionVariantInstanceType,
    ProductionVariantServerlessConfig,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, Value, ValueMap,
};
use serde::{Deserialize, Serialize};

use super::monitor::{live_tags, tags_of};
use super::{not_found, optional_single};
use crate::error::classify;
use crate::framework::{AwsResource, Created, Naming};
use crate::Clients;

fn config_schema() -> Schema {
    let serverless = Schema::new()
        .attr("max_concurrency", Attribute::required(Type::Number))
        .attr("memory_size_in_mb", Attribute::required(Type::Number));
    let variant = Schema::new()
        .attr("variant_name", Attribute::optional_computed(Type::String))
        .attr("model_name", Attribute::required(Type::String))
        .attr("initial_instance_count", Attribute::optional(Type::Number))
        .attr("instance_type", Attribute::optional(Type::String))
        .attr(
            "initial_variant_weight",
            Attribute::optional_computed(Type::Number),
        )
        .attr("accelerator_type", Attribute::optional(Type::String))
        .attr(
            "container_startup_health_check_timeout_in_seconds",
            Attribute::optional(Type::Number),
        )
        .attr(
            "model_data_download_timeout_in_seconds",
            Attribute::optional(Type::Number),
        )
        .attr("volume_size_in_gb", Attribute::optional(Type::Number))
        .attr("enable_ssm_access", Attribute::optional(Type::Bool))
        .attr("inference_ami_version", Attribute::optional(Type::String))
        .block(
            "core_dump_config",
            NestedBlock {
                nesting: Nesting::List,
                block: Schema::new()
                    .attr("destination_s3_uri", Attribute::required(Type::String))
                    .attr("kms_key_id", Attribute::optional(Type::String)),
                min_items: 0,
                max_items: Some(1),
                force_new: true,
            },
        )
        .block(
            "serverless_config",
            NestedBlock {
                nesting: Nesting::Single,
                block: serverless,
                min_items: 0,
                max_items: Some(1),
                force_new: true,
            },
        );
    let capture = Schema::new()
        .attr("enable_capture", Attribute::optional(Type::Bool))
        .attr(
            "initial_sampling_percentage",
            Attribute::required(Type::Number),
        )
        .attr("destination_s3_uri", Attribute::required(Type::String))
        .attr("kms_key_id", Attribute::optional(Type::String))
        .block(
            "capture_options",
            NestedBlock {
                nesting: Nesting::List,
                block: Schema::new().attr("capture_mode", Attribute::required(Type::String)),
                min_items: 1,
                max_items: Some(2),
                force_new: true,
            },
        )
        .block(
            "capture_content_type_header",
            optional_single(
                Schema::new()
                    .attr(
                        "csv_content_types",
                        Attribute::optional(Type::set(Type::String)),
                    )
                    .attr(
                        "json_content_types",
                        Attribute::optional(Type::set(Type::String)),
                    ),
                true,
            ),
        );
    let mut schema = Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("arn", Attribute::computed(Type::String))
        .attr("kms_key_arn", Attribute::optional(Type::String).force_new())
        .block("data_capture_config", optional_single(capture, true))
        .block(
            "production_variants",
            NestedBlock {
                nesting: Nesting::List,
                block: variant,
                min_items: 1,
                max_items: Some(10),
                force_new: true,
            },
        );
    schema.create_before_destroy = true;
    schema
}

#[derive(Default)]
pub struct EndpointConfig;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConfigModel {
    id: String,
    name: String,
    arn: Option<String>,
    kms_key_arn: Option<String>,
    production_variants: Vec<Variant>,
    data_capture_config: Option<Capture>,
    tags_all: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Variant {
    variant_name: Option<String>,
    model_name: String,
    initial_instance_count: Option<i32>,
    instance_type: Option<String>,
    initial_variant_weight: Option<f64>,
    accelerator_type: Option<String>,
    container_startup_health_check_timeout_in_seconds: Option<i32>,
    model_data_download_timeout_in_seconds: Option<i32>,
    volume_size_in_gb: Option<i32>,
    enable_ssm_access: Option<bool>,
    inference_ami_version: Option<String>,
    core_dump_config: Vec<CoreDump>,
    serverless_config: Option<Serverless>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CoreDump {
    destination_s3_uri: String,
    kms_key_id: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Serverless {
    max_concurrency: i32,
    memory_size_in_mb: i32,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Capture {
    enable_capture: Option<bool>,
    initial_sampling_percentage: i32,
    destination_s3_uri: String,
    kms_key_id: Option<String>,
    capture_options: Vec<CaptureModeModel>,
    capture_content_type_header: Option<ContentTypes>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CaptureModeModel {
    capture_mode: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ContentTypes {
    csv_content_types: Option<Vec<String>>,
    json_content_types: Option<Vec<String>>,
}

fn variant(v: &Variant) -> ProductionVariant {
    ProductionVariant::builder()
        .set_variant_name(v.variant_name.clone())
        .model_name(&v.model_name)
        .initial_variant_weight(v.initial_variant_weight.unwrap_or(1.0) as f32)
        .set_initial_instance_count(v.initial_instance_count)
        .set_instance_type(
            v.instance_type
                .as_deref()
                .map(ProductionVariantInstanceType::from),
        )
        .set_accelerator_type(
            v.accelerator_type
                .as_deref()
                .map(ProductionVariantAcceleratorType::from),
        )
        .set_container_startup_health_check_timeout_in_seconds(
            v.container_startup_health_check_timeout_in_seconds,
        )
        .set_model_data_download_timeout_in_seconds(v.model_data_download_timeout_in_seconds)
        .set_volume_size_in_gb(v.volume_size_in_gb)
        .set_enable_ssm_access(v.enable_ssm_access)
        .set_inference_ami_version(
            v.inference_ami_version
                .as_deref()
                .map(ProductionVariantInferenceAmiVersion::from),
        )
        .set_core_dump_config(v.core_dump_config.first().map(|d| {
            ProductionVariantCoreDumpConfig::builder()
                .destination_s3_uri(&d.destination_s3_uri)
                .set_kms_key_id(d.kms_key_id.clone())
                .build()
        }))
        .set_serverless_config(v.serverless_config.as_ref().map(|s| {
            ProductionVariantServerlessConfig::builder()
                .max_concurrency(s.max_concurrency)
                .memory_size_in_mb(s.memory_size_in_mb)
                .build()
        }))
        .build()
}

/// A variant as DescribeEndpointConfig reports it; a weight SageMaker holds as a 32-bit
/// float keeps the configuration's spelling (`0.1` is not drift).
fn live_variant(p: &ProductionVariant, prior: Option<&Variant>) -> Variant {
    let weight =
        p.initial_variant_weight()
            .map(|w| match prior.and_then(|v| v.initial_variant_weight) {
                Some(was) if was as f32 == w => was,
                _ => f64::from(w),
            });
    Variant {
        variant_name: p.variant_name().map(str::to_string),
        model_name: p.model_name().unwrap_or_default().to_string(),
        initial_instance_count: p.initial_instance_count(),
        instance_type: p.instance_type().map(|t| t.as_str().to_string()),
        initial_variant_weight: weight,
        accelerator_type: p.accelerator_type().map(|t| t.as_str().to_string()),
        container_startup_health_check_timeout_in_seconds: p
            .container_startup_health_check_timeout_in_seconds(),
        model_data_download_timeout_in_seconds: p.model_data_download_timeout_in_seconds(),
        volume_size_in_gb: p.volume_size_in_gb(),
        enable_ssm_access: p.enable_ssm_access(),
        inference_ami_version: p.inference_ami_version().map(|t| t.as_str().to_string()),
        core_dump_config: p
            .core_dump_config()
            .map(|d| CoreDump {
                destination_s3_uri: d.destination_s3_uri().unwrap_or_default().to_string(),
                kms_key_id: d.kms_key_id().map(str::to_string),
            })
            .into_iter()
            .collect(),
        serverless_config: p.serverless_config().map(|s| Serverless {
            max_concurrency: s.max_concurrency().unwrap_or_default(),
            memory_size_in_mb: s.memory_size_in_mb().unwrap_or_default(),
        }),
    }
}

fn capture(d: &Capture) -> DataCaptureConfig {
    DataCaptureConfig::builder()
        .set_enable_capture(d.enable_capture)
        .initial_sampling_percentage(d.initial_sampling_percentage)
        .destination_s3_uri(&d.destination_s3_uri)
        .set_kms_key_id(d.kms_key_id.clone())
        .set_capture_options(Some(
            d.capture_options
                .iter()
                .map(|o| {
                    CaptureOption::builder()
                        .capture_mode(CaptureMode::from(o.capture_mode.as_str()))
                        .build()
                })
                .collect(),
        ))
        .set_capture_content_type_header(d.capture_content_type_header.as_ref().map(|h| {
            CaptureContentTypeHeader::builder()
                .set_csv_content_types(h.csv_content_types.clone())
                .set_json_content_types(h.json_content_types.clone())
                .build()
        }))
        .build()
}

fn live_capture(d: &DataCaptureConfig, prior: Option<&Capture>) -> Capture {
    let list = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    Capture {
        // SageMaker reports a capture left unset as on; the configuration's null stays.
        enable_capture: d
            .enable_capture()
            .filter(|_| prior.is_none_or(|p| p.enable_capture.is_some())),
        initial_sampling_percentage: d.initial_sampling_percentage().unwrap_or_default(),
        destination_s3_uri: d.destination_s3_uri().unwrap_or_default().to_string(),
        kms_key_id: d.kms_key_id().map(str::to_string),
        capture_options: d
            .capture_options()
            .iter()
            .map(|o| CaptureModeModel {
                capture_mode: o.capture_mode().map_or("", |m| m.as_str()).to_string(),
            })
            .collect(),
        capture_content_type_header: d.capture_content_type_header().map(|h| ContentTypes {
            csv_content_types: list(h.csv_content_types()),
            json_content_types: list(h.json_content_types()),
        }),
    }
}

#[async_trait::async_trait]
impl AwsResource for EndpointConfig {
    type Model = ConfigModel;
    const TYPE: &'static str = "aws_sagemaker_endpoint_configuration";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("tf-"));
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        config_schema()
    }

    fn replace_reason(
        _prior: &Value,
        _planned: &ValueMap,
    ) -> Result<Option<String>, ProviderError> {
        Ok(Some(
            "an endpoint configuration cannot change in place; a new one is created first and the endpoint switches to it".into(),
        ))
    }

    /// The defaults SageMaker fills in are known now: variant-N names and weight 1.
    fn fill_config(config: &mut ValueMap) {
        let Some(Value::List(variants)) = config.get("production_variants").cloned() else {
            return;
        };
        let filled = variants
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let mut vm = v.as_map().cloned().unwrap_or_default();
                let unset = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v.is_unknown());
                if unset(vm.get("variant_name")) {
                    vm.insert(
                        "variant_name".into(),
                        Value::from(format!("variant-{}", i + 1)),
                    );
                }
                if unset(vm.get("initial_variant_weight")) {
                    vm.insert("initial_variant_weight".into(), Value::from(1.0));
                }
                Value::Map(vm)
            })
            .collect();
        config.insert("production_variants".into(), Value::List(filled));
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ConfigModel,
    ) -> Result<Created<ConfigModel>, ProviderError> {
        let tags = tags_of(&m.tags_all);
        c.sagemaker
            .create_endpoint_config()
            .endpoint_config_name(&m.name)
            .set_production_variants(Some(m.production_variants.iter().map(variant).collect()))
            .set_data_capture_config(m.data_capture_config.as_ref().map(capture))
            .set_kms_key_id(m.kms_key_arn.clone())
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateEndpointConfig", &e))?;
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ConfigModel,
    ) -> Result<Option<ConfigModel>, ProviderError> {
        let out = match c
            .sagemaker
            .describe_endpoint_config()
            .endpoint_config_name(&m.id)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeEndpointConfig", &e)),
        };
        let arn = out.endpoint_config_arn().unwrap_or_default().to_string();
        Ok(Some(ConfigModel {
            id: m.id.clone(),
            name: out.endpoint_config_name().unwrap_or(&m.id).to_string(),
            kms_key_arn: out.kms_key_id().map(str::to_string),
            production_variants: out
                .production_variants()
                .iter()
                .enumerate()
                .map(|(i, p)| live_variant(p, m.production_variants.get(i)))
                .collect(),
            data_capture_config: out
                .data_capture_config()
                // An empty capture configuration (no destination) is none.
                .filter(|d| d.destination_s3_uri().is_some_and(|u| !u.is_empty()))
                .map(|d| live_capture(d, m.data_capture_config.as_ref())),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &ConfigModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &ConfigModel) -> Result<(), ProviderError> {
        match c
            .sagemaker
            .delete_endpoint_config()
            .endpoint_config_name(&m.id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteEndpointConfig", &e)),
        }
    }
}
