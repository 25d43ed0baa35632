//! SageMaker serving: `aws_sagemaker_model`, `aws_sagemaker_endpoint_configuration` (any
//! change replaces it, and the new configuration is created before the old one is deleted)
//! and `aws_sagemaker_endpoint` (create and update wait for InService within the `timeouts`
//! block; a Failed status is an error carrying SageMaker's failure reason). Import IDs: the
//! names.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::types::{
    Alarm as SmAlarm, AutoRollbackConfig, BlueGreenUpdatePolicy, CapacitySize, CapacitySizeType,
    CaptureContentTypeHeader, CaptureMode, CaptureOption, ContainerDefinition, ContainerMode,
    DataCaptureConfig, DeploymentConfig, EndpointStatus, ProductionVariant,
    ProductionVariantInstanceType, ProductionVariantServerlessConfig, Tag, TrafficRoutingConfig,
    TrafficRoutingConfigType,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PathStep, PlanRequest, Planned, ProviderError, Resource,
    Schema, Type, Value,
};

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
    code(e) == "ValidationException"
        && (m.contains("could not find") || m.contains("does not exist") || m.contains("not found"))
}

pub(super) fn sm_tags(v: &Value) -> Result<Vec<Tag>, ProviderError> {
    crate::client::tag_changes(&Value::Null, v)
        .1
        .into_iter()
        .map(|(k, v)| Ok(Tag::builder().key(k).value(v).build()))
        .collect()
}

pub(super) async fn live_tags(c: &Clients, arn: &str) -> Result<Value, ProviderError> {
    let out = c
        .sagemaker
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| classify("sagemaker:ListTags", &e))?;
    Ok(super::tags_value(out.tags().iter().map(|t| {
        (t.key().unwrap_or_default(), t.value().unwrap_or_default())
    })))
}

/// Completes a refreshed object with its live tags (`tags_all`) and its own `tags`.
async fn with_live_tags(
    c: &Clients,
    mut m: mlform_provider::ValueMap,
    prior: &Value,
    arn: &str,
) -> Result<Value, ProviderError> {
    let all = live_tags(c, arn).await?;
    m.insert("tags".into(), c.own_tags(&all, prior.get_attr("tags")));
    m.insert("tags_all".into(), all);
    Ok(Value::Map(m.into()))
}

pub(super) async fn update_tags(
    c: &Clients,
    arn: &str,
    old: &Value,
    new: &Value,
) -> Result<(), ProviderError> {
    if old.same_data(new) {
        return Ok(());
    }
    let (removed, _) = crate::client::tag_changes(old, new);
    if !removed.is_empty() {
        c.sagemaker
            .delete_tags()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| classify("sagemaker:DeleteTags", &e))?;
    }
    let set = sm_tags(new)?;
    if !set.is_empty() {
        c.sagemaker
            .add_tags()
            .resource_arn(arn)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| classify("sagemaker:AddTags", &e))?;
    }
    Ok(())
}

/// Plans tags_all, a generated name kept across updates, and `id` = name.
fn plan_common(
    schema: &Schema,
    clients: &Clients,
    request: PlanRequest<'_>,
) -> Result<Planned, ProviderError> {
    let mut planned = mlform_provider::plan_by_schema(schema, request.clone())?;
    let mut m = planned.state.as_map().cloned().unwrap_or_default();
    m.insert(
        "tags_all".into(),
        clients.tags_all(request.config.get_attr("tags")),
    );
    if let Some(p) = request.prior {
        if request.config.get_attr("name").is_null()
            && request
                .config
                .get_attr("name_prefix")
                .same_data(p.get_attr("name_prefix"))
        {
            m.insert("name".into(), p.get_attr("name").clone());
            planned
                .requires_replace
                .retain(|path| path != &vec![PathStep::GetAttr("name".into())]);
        }
    }
    let replacing = request.prior.is_none() || !planned.requires_replace.is_empty();
    match m.get("name").and_then(|v| v.as_str()).map(str::to_string) {
        Some(n) => {
            m.insert("id".into(), Value::from(n));
        }
        None if replacing => {
            m.insert("name".into(), Value::Unknown);
            m.insert("id".into(), Value::Unknown);
        }
        None => {}
    }
    planned.state = Value::Map(m);
    Ok(planned)
}

fn finish(planned: &Value, name: &str, arn: &str) -> Value {
    let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
    m.insert("name".into(), Value::from(name));
    m.insert("id".into(), Value::from(name));
    m.insert("arn".into(), Value::from(arn));
    Value::Map(m)
}

fn with_tags(schema: Schema) -> Schema {
    schema
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("name_prefix", Attribute::optional(Type::String).force_new())
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
}

// ---- aws_sagemaker_model ----------------------------------------------------------------------

pub fn model_schema() -> Schema {
    let container = Schema::new()
        .attr("image", Attribute::optional(Type::String))
        .attr("model_data_url", Attribute::optional(Type::String))
        .attr("environment", Attribute::optional(Type::map(Type::String)))
        .attr("mode", Attribute::optional_computed(Type::String));
    with_tags(Schema::new())
        .attr(
            "execution_role_arn",
            Attribute::required(Type::String).force_new(),
        )
        .block(
            "primary_container",
            NestedBlock {
                nesting: Nesting::Single,
                block: container,
                min_items: 1,
                max_items: Some(1),
                force_new: true,
            },
        )
}

pub struct Model {
    pub clients: Arc<Clients>,
}

#[async_trait::async_trait]
impl Resource for Model {
    fn schema(&self) -> Schema {
        model_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = plan_common(&self.schema(), &self.clients, request)?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        if let Some(Value::Map(mut pc)) = m.get("primary_container").cloned() {
            if pc.get("mode").is_none_or(Value::is_null) {
                pc.insert("mode".into(), Value::from("SingleModel"));
            }
            m.insert("primary_container".into(), Value::Map(pc));
        }
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let name = s(prior, "name");
        let out = match self
            .clients
            .sagemaker
            .describe_model()
            .model_name(&name)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeModel", &e)),
        };
        let arn = out.model_arn().unwrap_or_default().to_string();
        let mut m = prior.as_map().cloned().unwrap_or_default();
        m.insert("arn".into(), Value::from(arn.as_str()));
        m.insert(
            "execution_role_arn".into(),
            out.execution_role_arn()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        if let Some(c) = out.primary_container() {
            let env = c.environment().map(|e| {
                Value::Map(
                    e.iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                        .collect(),
                )
            });
            let prior_c = prior.get_attr("primary_container");
            m.insert(
                "primary_container".into(),
                Value::object([
                    ("image", c.image().map(Value::from).unwrap_or(Value::Null)),
                    (
                        "model_data_url",
                        c.model_data_url().map(Value::from).unwrap_or(Value::Null),
                    ),
                    (
                        "environment",
                        match env {
                            Some(Value::Map(e))
                                if e.is_empty() && prior_c.get_attr("environment").is_null() =>
                            {
                                Value::Null
                            }
                            Some(e) => e,
                            None => Value::Null,
                        },
                    ),
                    (
                        "mode",
                        c.mode()
                            .map(|x| Value::from(x.as_str()))
                            .unwrap_or_else(|| prior_c.get_attr("mode").clone()),
                    ),
                ]),
            );
        }
        with_live_tags(&self.clients, m, prior, &arn)
            .await
            .map(Some)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = super::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "tf-",
        );
        let c = planned.get_attr("primary_container");
        let mut container = ContainerDefinition::builder();
        if let Some(i) = c.get_attr("image").as_str() {
            container = container.image(i);
        }
        if let Some(u) = c.get_attr("model_data_url").as_str() {
            container = container.model_data_url(u);
        }
        if let Some(mode) = c.get_attr("mode").as_str() {
            container = container.mode(ContainerMode::from(mode));
        }
        container = container.set_environment(super::string_map(c.get_attr("environment")));
        let out = self
            .clients
            .sagemaker
            .create_model()
            .model_name(&name)
            .execution_role_arn(s(planned, "execution_role_arn"))
            .primary_container(container.build())
            .set_tags(Some(sm_tags(planned.get_attr("tags_all"))?))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateModel", &e))?;
        let mut v = finish(planned, &name, out.model_arn().unwrap_or_default());
        if let Value::Map(m) = &mut v {
            if let Some(Value::Map(pc)) = m.get_mut("primary_container") {
                if pc.get("mode").is_none_or(|x| x.is_null() || x.is_unknown()) {
                    pc.insert("mode".into(), Value::from("SingleModel"));
                }
            }
        }
        Ok(v)
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        update_tags(
            &self.clients,
            &s(prior, "arn"),
            prior.get_attr("tags_all"),
            planned.get_attr("tags_all"),
        )
        .await?;
        Ok(finish(planned, &s(prior, "name"), &s(prior, "arn")))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .sagemaker
            .delete_model()
            .model_name(s(prior, "name"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteModel", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let prior = Value::object([
            ("name", Value::from(id)),
            ("name_prefix", super::prefix_of_generated(id)),
            ("tags", Value::Null),
        ]);
        let Some(v) = self.read(&prior).await? else {
            return Ok(None);
        };
        let mut m = v.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(id));
        Ok(Some(Value::Map(m)))
    }
}

// ---- aws_sagemaker_endpoint_configuration -----------------------------------------------------

pub fn config_schema() -> Schema {
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
    let mut schema = with_tags(Schema::new())
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

pub struct EndpointConfig {
    pub clients: Arc<Clients>,
}

fn data_capture_config(v: &Value) -> Option<DataCaptureConfig> {
    if v.is_null() {
        return None;
    }
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_list().map(|l| {
            l.iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
    };
    let header = v.get_attr("capture_content_type_header");
    Some(
        DataCaptureConfig::builder()
            .set_enable_capture(v.get_attr("enable_capture").as_bool())
            .initial_sampling_percentage(
                v.get_attr("initial_sampling_percentage")
                    .as_f64()
                    .unwrap_or(0.0) as i32,
            )
            .destination_s3_uri(s(v, "destination_s3_uri"))
            .set_kms_key_id(v.get_attr("kms_key_id").as_str().map(str::to_string))
            .set_capture_options(Some(
                v.get_attr("capture_options")
                    .as_list()
                    .unwrap_or_default()
                    .iter()
                    .map(|o| {
                        CaptureOption::builder()
                            .capture_mode(CaptureMode::from(s(o, "capture_mode").as_str()))
                            .build()
                    })
                    .collect(),
            ))
            .set_capture_content_type_header((!header.is_null()).then(|| {
                CaptureContentTypeHeader::builder()
                    .set_csv_content_types(strings(header.get_attr("csv_content_types")))
                    .set_json_content_types(strings(header.get_attr("json_content_types")))
                    .build()
            }))
            .build(),
    )
}

fn data_capture_value(d: &DataCaptureConfig) -> Value {
    let set = |items: &[String]| {
        if items.is_empty() {
            Value::Null
        } else {
            Value::set_from(items.iter().map(|i| Value::from(i.as_str())).collect())
        }
    };
    Value::object([
        (
            "enable_capture",
            d.enable_capture().map(Value::Bool).unwrap_or(Value::Null),
        ),
        (
            "initial_sampling_percentage",
            d.initial_sampling_percentage()
                .map(|n| Value::from(n as f64))
                .unwrap_or(Value::Null),
        ),
        (
            "destination_s3_uri",
            d.destination_s3_uri()
                .map(Value::from)
                .unwrap_or(Value::Null),
        ),
        (
            "kms_key_id",
            d.kms_key_id().map(Value::from).unwrap_or(Value::Null),
        ),
        (
            "capture_options",
            Value::List(
                d.capture_options()
                    .iter()
                    .map(|o| {
                        Value::object([(
                            "capture_mode",
                            o.capture_mode()
                                .map(|m| Value::from(m.as_str()))
                                .unwrap_or(Value::Null),
                        )])
                    })
                    .collect(),
            ),
        ),
        (
            "capture_content_type_header",
            d.capture_content_type_header()
                .map(|h| {
                    Value::object([
                        ("csv_content_types", set(h.csv_content_types())),
                        ("json_content_types", set(h.json_content_types())),
                    ])
                })
                .unwrap_or(Value::Null),
        ),
    ])
}

#[async_trait::async_trait]
impl Resource for EndpointConfig {
    fn schema(&self) -> Schema {
        config_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = plan_common(&self.schema(), &self.clients, request.clone())?;
        // Defaults SageMaker fills in are known now: variant-N names and weight 1.
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        if let Some(Value::List(variants)) = m.get("production_variants").cloned() {
            let filled: Vec<Value> = variants
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut vm = v.as_map().cloned().unwrap_or_default();
                    if vm.get("variant_name").is_none_or(Value::is_null) {
                        vm.insert(
                            "variant_name".into(),
                            Value::from(format!("variant-{}", i + 1)),
                        );
                    }
                    if vm.get("initial_variant_weight").is_none_or(Value::is_null) {
                        vm.insert("initial_variant_weight".into(), Value::from(1.0));
                    }
                    Value::Map(vm)
                })
                .collect();
            let filled = Value::List(filled);
            if let Some(prior) = request.prior {
                if prior.get_attr("production_variants").same_data(&filled) {
                    p.requires_replace.retain(|path| {
                        path != &vec![PathStep::GetAttr("production_variants".into())]
                    });
                }
            }
            m.insert("production_variants".into(), filled);
        }
        p.state = Value::Map(m);
        if request.prior.is_some() && p.requires_replace.is_empty() {
            // Nothing forces a new configuration: keep the generated name and ARN.
            let prior = request.prior.expect("checked");
            let mut m = p.state.as_map().cloned().unwrap_or_default();
            for k in ["name", "id", "arn"] {
                m.insert(k.into(), prior.get_attr(k).clone());
            }
            p.state = Value::Map(m);
        }
        if request.prior.is_some() && !p.requires_replace.is_empty() {
            p.replace_reason = Some("an endpoint configuration cannot change in place; a new one is created first and the endpoint switches to it".into());
        }
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let name = s(prior, "name");
        let out = match self
            .clients
            .sagemaker
            .describe_endpoint_config()
            .endpoint_config_name(&name)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeEndpointConfig", &e)),
        };
        let arn = out.endpoint_config_arn().unwrap_or_default().to_string();
        let mut m = prior.as_map().cloned().unwrap_or_default();
        m.insert("arn".into(), Value::from(arn.as_str()));
        with_live_tags(&self.clients, m, prior, &arn)
            .await
            .map(Some)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = super::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "tf-",
        );
        let mut variants = Vec::new();
        let mut stored = Vec::new();
        for (i, v) in planned
            .get_attr("production_variants")
            .as_list()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let variant_name = v
                .get_attr("variant_name")
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("variant-{}", i + 1));
            let weight = v.get_attr("initial_variant_weight").as_f64().unwrap_or(1.0);
            let mut b = ProductionVariant::builder()
                .variant_name(&variant_name)
                .model_name(s(v, "model_name"))
                .initial_variant_weight(weight as f32);
            if let Some(n) = v.get_attr("initial_instance_count").as_f64() {
                b = b.initial_instance_count(n as i32);
            }
            if let Some(t) = v.get_attr("instance_type").as_str() {
                b = b.instance_type(ProductionVariantInstanceType::from(t));
            }
            let sc = v.get_attr("serverless_config");
            if !sc.is_null() {
                b = b.serverless_config(
                    ProductionVariantServerlessConfig::builder()
                        .max_concurrency(
                            sc.get_attr("max_concurrency").as_f64().unwrap_or(1.0) as i32
                        )
                        .memory_size_in_mb(
                            sc.get_attr("memory_size_in_mb").as_f64().unwrap_or(1024.0) as i32,
                        )
                        .build(),
                );
            }
            variants.push(b.build());
            let mut sv = v.as_map().cloned().unwrap_or_default();
            sv.insert("variant_name".into(), Value::from(variant_name));
            sv.insert("initial_variant_weight".into(), Value::from(weight));
            stored.push(Value::Map(sv));
        }
        let out = self
            .clients
            .sagemaker
            .create_endpoint_config()
            .endpoint_config_name(&name)
            .set_production_variants(Some(variants))
            .set_data_capture_config(data_capture_config(planned.get_attr("data_capture_config")))
            .set_tags(Some(sm_tags(planned.get_attr("tags_all"))?))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateEndpointConfig", &e))?;
        let mut v = finish(
            planned,
            &name,
            out.endpoint_config_arn().unwrap_or_default(),
        );
        if let Value::Map(m) = &mut v {
            m.insert("production_variants".into(), Value::List(stored));
        }
        Ok(v)
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        update_tags(
            &self.clients,
            &s(prior, "arn"),
            prior.get_attr("tags_all"),
            planned.get_attr("tags_all"),
        )
        .await?;
        let mut v = finish(planned, &s(prior, "name"), &s(prior, "arn"));
        if let Value::Map(m) = &mut v {
            m.insert(
                "production_variants".into(),
                prior.get_attr("production_variants").clone(),
            );
        }
        Ok(v)
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .sagemaker
            .delete_endpoint_config()
            .endpoint_config_name(s(prior, "name"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteEndpointConfig", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let out = match self
            .clients
            .sagemaker
            .describe_endpoint_config()
            .endpoint_config_name(id)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeEndpointConfig", &e)),
        };
        let variants: Vec<Value> = out
            .production_variants()
            .iter()
            .map(|p| {
                Value::object([
                    (
                        "variant_name",
                        Value::from(p.variant_name().unwrap_or_default()),
                    ),
                    (
                        "model_name",
                        Value::from(p.model_name().unwrap_or_default()),
                    ),
                    (
                        "initial_instance_count",
                        p.initial_instance_count()
                            .map(|n| Value::from(n as f64))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "instance_type",
                        p.instance_type()
                            .map(|t| Value::from(t.as_str()))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "initial_variant_weight",
                        p.initial_variant_weight()
                            .map(|w| Value::from(w as f64))
                            .unwrap_or(Value::Null),
                    ),
                    ("serverless_config", Value::Null),
                ])
            })
            .collect();
        let prior = Value::object([
            ("name", Value::from(id)),
            ("name_prefix", super::prefix_of_generated(id)),
            ("tags", Value::Null),
            ("production_variants", Value::List(variants)),
            (
                "data_capture_config",
                out.data_capture_config()
                    .map(data_capture_value)
                    .unwrap_or(Value::Null),
            ),
        ]);
        let Some(v) = self.read(&prior).await? else {
            return Ok(None);
        };
        let mut m = v.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(id));
        Ok(Some(Value::Map(m)))
    }
}

// ---- aws_sagemaker_endpoint ----------------------------------------------------------------------

pub fn endpoint_schema() -> Schema {
    let timeouts = Schema::new()
        .attr("create", Attribute::optional(Type::String))
        .attr("update", Attribute::optional(Type::String))
        .attr("delete", Attribute::optional(Type::String));
    with_tags(Schema::new())
        .attr("endpoint_config_name", Attribute::required(Type::String))
        .block(
            "deployment_config",
            optional_single(deployment_config_schema(), false),
        )
        .block(
            "timeouts",
            NestedBlock {
                nesting: Nesting::Single,
                block: timeouts,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        )
}

pub struct Endpoint {
    pub clients: Arc<Clients>,
}

fn optional_single(block: Schema, force_new: bool) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Single,
        block,
        min_items: 0,
        max_items: Some(1),
        force_new,
    }
}

fn deployment_config_schema() -> Schema {
    let size = || {
        Schema::new()
            .attr("type", Attribute::required(Type::String))
            .attr("value", Attribute::required(Type::Number))
    };
    let routing = Schema::new()
        .attr("type", Attribute::required(Type::String))
        .attr(
            "wait_interval_in_seconds",
            Attribute::required(Type::Number),
        )
        .block("canary_size", optional_single(size(), false))
        .block("linear_step_size", optional_single(size(), false));
    let blue_green = Schema::new()
        .attr(
            "maximum_execution_timeout_in_seconds",
            Attribute::optional(Type::Number),
        )
        .attr(
            "termination_wait_in_seconds",
            Attribute::optional(Type::Number),
        )
        .block(
            "traffic_routing_configuration",
            NestedBlock {
                min_items: 1,
                ..optional_single(routing, false)
            },
        );
    let alarm = Schema::new().attr("alarm_name", Attribute::required(Type::String));
    let rollback = Schema::new().block(
        "alarms",
        NestedBlock {
            nesting: Nesting::Set,
            block: alarm,
            min_items: 1,
            max_items: Some(10),
            force_new: false,
        },
    );
    Schema::new()
        .block(
            "blue_green_update_policy",
            NestedBlock {
                min_items: 1,
                ..optional_single(blue_green, false)
            },
        )
        .block(
            "auto_rollback_configuration",
            optional_single(rollback, false),
        )
}

fn capacity(v: &Value) -> Option<CapacitySize> {
    (!v.is_null()).then(|| {
        CapacitySize::builder()
            .r#type(CapacitySizeType::from(s(v, "type").as_str()))
            .value(v.get_attr("value").as_f64().unwrap_or(0.0) as i32)
            .build()
    })
}

fn deployment_config(v: &Value) -> Option<DeploymentConfig> {
    if v.is_null() {
        return None;
    }
    let bg = v.get_attr("blue_green_update_policy");
    let routing = bg.get_attr("traffic_routing_configuration");
    let int = |v: &Value, k: &str| v.get_attr(k).as_f64().map(|n| n as i32);
    let policy = BlueGreenUpdatePolicy::builder()
        .traffic_routing_configuration(
            TrafficRoutingConfig::builder()
                .r#type(TrafficRoutingConfigType::from(s(routing, "type").as_str()))
                .set_wait_interval_in_seconds(int(routing, "wait_interval_in_seconds"))
                .set_canary_size(capacity(routing.get_attr("canary_size")))
                .set_linear_step_size(capacity(routing.get_attr("linear_step_size")))
                .build(),
        )
        .set_maximum_execution_timeout_in_seconds(int(bg, "maximum_execution_timeout_in_seconds"))
        .set_termination_wait_in_seconds(int(bg, "termination_wait_in_seconds"))
        .build();
    let rollback = v.get_attr("auto_rollback_configuration");
    let alarms: Vec<SmAlarm> = rollback
        .get_attr("alarms")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|a| SmAlarm::builder().alarm_name(s(a, "alarm_name")).build())
        .collect();
    Some(
        DeploymentConfig::builder()
            .blue_green_update_policy(policy)
            .set_auto_rollback_configuration((!rollback.is_null()).then(|| {
                AutoRollbackConfig::builder()
                    .set_alarms(Some(alarms))
                    .build()
            }))
            .build(),
    )
}

fn capacity_value(c: Option<&CapacitySize>) -> Value {
    c.map(|c| {
        Value::object([
            (
                "type",
                c.r#type()
                    .map(|t| Value::from(t.as_str()))
                    .unwrap_or(Value::Null),
            ),
            (
                "value",
                c.value()
                    .map(|n| Value::from(n as f64))
                    .unwrap_or(Value::Null),
            ),
        ])
    })
    .unwrap_or(Value::Null)
}

/// The deployment configuration SageMaker reports, in mlform's shape.
fn deployment_config_value(d: &DeploymentConfig) -> Value {
    let opt = |n: Option<i32>| n.map(|n| Value::from(n as f64)).unwrap_or(Value::Null);
    let bg = d.blue_green_update_policy().map(|bg| {
        let routing = bg.traffic_routing_configuration().map(|r| {
            Value::object([
                (
                    "type",
                    r.r#type()
                        .map(|t| Value::from(t.as_str()))
                        .unwrap_or(Value::Null),
                ),
                (
                    "wait_interval_in_seconds",
                    opt(r.wait_interval_in_seconds()),
                ),
                ("canary_size", capacity_value(r.canary_size())),
                ("linear_step_size", capacity_value(r.linear_step_size())),
            ])
        });
        Value::object([
            (
                "maximum_execution_timeout_in_seconds",
                opt(bg.maximum_execution_timeout_in_seconds()),
            ),
            (
                "termination_wait_in_seconds",
                opt(bg.termination_wait_in_seconds()),
            ),
            (
                "traffic_routing_configuration",
                routing.unwrap_or(Value::Null),
            ),
        ])
    });
    let rollback = d.auto_rollback_configuration().map(|r| {
        Value::object([(
            "alarms",
            Value::set_from(
                r.alarms()
                    .iter()
                    .map(|a| {
                        Value::object([(
                            "alarm_name",
                            Value::from(a.alarm_name().unwrap_or_default()),
                        )])
                    })
                    .collect(),
            ),
        )])
    });
    deployment_config_schema().conform(&Value::object([
        ("blue_green_update_policy", bg.unwrap_or(Value::Null)),
        (
            "auto_rollback_configuration",
            rollback.unwrap_or(Value::Null),
        ),
    ]))
}

impl Endpoint {
    /// Waits for InService; Failed is an error with SageMaker's reason.
    async fn wait_in_service(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<String, ProviderError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(200);
        loop {
            let out = self
                .clients
                .sagemaker
                .describe_endpoint()
                .endpoint_name(name)
                .send()
                .await
                .map_err(|e| classify("sagemaker:DescribeEndpoint", &e))?;
            match out.endpoint_status() {
                Some(EndpointStatus::InService) => {
                    return Ok(out.endpoint_arn().unwrap_or_default().to_string())
                }
                Some(EndpointStatus::Failed) => {
                    return Err(ProviderError::Api(format!(
                        "endpoint {name} failed: {}",
                        out.failure_reason().unwrap_or("no reason given")
                    )))
                }
                _ => {}
            }
            if started.elapsed() >= timeout {
                return Err(ProviderError::Timeout {
                    what: format!("endpoint {name} to be InService"),
                    seconds: timeout.as_secs(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(15));
        }
    }
}

#[async_trait::async_trait]
impl Resource for Endpoint {
    fn schema(&self) -> Schema {
        endpoint_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        plan_common(&self.schema(), &self.clients, request)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let name = s(prior, "name");
        let out = match self
            .clients
            .sagemaker
            .describe_endpoint()
            .endpoint_name(&name)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeEndpoint", &e)),
        };
        let arn = out.endpoint_arn().unwrap_or_default().to_string();
        let mut m = prior.as_map().cloned().unwrap_or_default();
        m.insert("arn".into(), Value::from(arn.as_str()));
        m.insert(
            "endpoint_config_name".into(),
            out.endpoint_config_name()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        if let Some(d) = out.last_deployment_config() {
            m.insert("deployment_config".into(), deployment_config_value(d));
        }
        with_live_tags(&self.clients, m, prior, &arn)
            .await
            .map(Some)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = super::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "tf-",
        );
        self.clients
            .sagemaker
            .create_endpoint()
            .endpoint_name(&name)
            .endpoint_config_name(s(planned, "endpoint_config_name"))
            .set_deployment_config(deployment_config(planned.get_attr("deployment_config")))
            .set_tags(Some(sm_tags(planned.get_attr("tags_all"))?))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateEndpoint", &e))?;
        let timeout = mlform_provider::parse_timeout(
            planned.get_attr("timeouts").get_attr("create").as_str(),
            Duration::from_secs(3600),
        );
        let arn = self.wait_in_service(&name, timeout).await?;
        Ok(finish(planned, &name, &arn))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let name = s(prior, "name");
        let changed = |k: &str| !prior.get_attr(k).same_data(planned.get_attr(k));
        if changed("endpoint_config_name") || changed("deployment_config") {
            // Blue/green with the deployment configuration; SageMaker rolls back by itself
            // when an auto-rollback alarm fires, and the wait reports the failure.
            self.clients
                .sagemaker
                .update_endpoint()
                .endpoint_name(&name)
                .endpoint_config_name(s(planned, "endpoint_config_name"))
                .set_deployment_config(deployment_config(planned.get_attr("deployment_config")))
                .send()
                .await
                .map_err(|e| classify("sagemaker:UpdateEndpoint", &e))?;
            let timeout = mlform_provider::parse_timeout(
                planned.get_attr("timeouts").get_attr("update").as_str(),
                Duration::from_secs(3600),
            );
            self.wait_in_service(&name, timeout).await?;
        }
        update_tags(
            &self.clients,
            &s(prior, "arn"),
            prior.get_attr("tags_all"),
            planned.get_attr("tags_all"),
        )
        .await?;
        Ok(finish(planned, &name, &s(prior, "arn")))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let name = s(prior, "name");
        match self
            .clients
            .sagemaker
            .delete_endpoint()
            .endpoint_name(&name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("sagemaker:DeleteEndpoint", &e)),
        }
        let timeout = mlform_provider::parse_timeout(
            prior.get_attr("timeouts").get_attr("delete").as_str(),
            Duration::from_secs(1800),
        );
        let started = Instant::now();
        loop {
            match self
                .clients
                .sagemaker
                .describe_endpoint()
                .endpoint_name(&name)
                .send()
                .await
            {
                Err(e) if not_found(&e) => return Ok(()),
                Err(e) => return Err(classify("sagemaker:DescribeEndpoint", &e)),
                Ok(_) if started.elapsed() >= timeout => {
                    return Err(ProviderError::Timeout {
                        what: format!("endpoint {name} to be deleted"),
                        seconds: timeout.as_secs(),
                    })
                }
                Ok(_) => tokio::time::sleep(Duration::from_secs(2)).await,
            }
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let prior = Value::object([
            ("name", Value::from(id)),
            ("name_prefix", super::prefix_of_generated(id)),
            ("tags", Value::Null),
            ("timeouts", Value::Null),
            ("deployment_config", Value::Null),
        ]);
        let Some(v) = self.read(&prior).await? else {
            return Ok(None);
        };
        let mut m = v.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(id));
        Ok(Some(Value::Map(m)))
    }
}
