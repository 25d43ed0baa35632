//! `aws_sagemaker_endpoint_configuration`: production variants, serverless settings and data
//! capture; any change replaces it, the new configuration created before the old is
//! deleted.

use super::*;

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
    let mut schema = with_tags(Schema::new())
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

fn number(n: Option<i32>) -> Value {
    n.map(|n| Value::from(f64::from(n))).unwrap_or(Value::Null)
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
        let name = crate::resources::unique_name(
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
            let seconds = |k: &str| v.get_attr(k).as_f64().map(|n| n as i32);
            b = b
                .set_accelerator_type(
                    v.get_attr("accelerator_type")
                        .as_str()
                        .map(aws_sdk_sagemaker::types::ProductionVariantAcceleratorType::from),
                )
                .set_container_startup_health_check_timeout_in_seconds(seconds(
                    "container_startup_health_check_timeout_in_seconds",
                ))
                .set_model_data_download_timeout_in_seconds(seconds(
                    "model_data_download_timeout_in_seconds",
                ))
                .set_volume_size_in_gb(seconds("volume_size_in_gb"))
                .set_enable_ssm_access(v.get_attr("enable_ssm_access").as_bool())
                .set_inference_ami_version(
                    v.get_attr("inference_ami_version")
                        .as_str()
                        .map(aws_sdk_sagemaker::types::ProductionVariantInferenceAmiVersion::from),
                );
            if let Some(dump) = v
                .get_attr("core_dump_config")
                .as_list()
                .and_then(|l| l.first().cloned())
            {
                b = b.core_dump_config(
                    aws_sdk_sagemaker::types::ProductionVariantCoreDumpConfig::builder()
                        .destination_s3_uri(s(&dump, "destination_s3_uri"))
                        .set_kms_key_id(dump.get_attr("kms_key_id").as_str().map(str::to_string))
                        .build(),
                );
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
            .set_kms_key_id(planned.get_attr("kms_key_arn").as_str().map(str::to_string))
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
                    (
                        "accelerator_type",
                        p.accelerator_type()
                            .map(|t| Value::from(t.as_str()))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "container_startup_health_check_timeout_in_seconds",
                        number(p.container_startup_health_check_timeout_in_seconds()),
                    ),
                    (
                        "model_data_download_timeout_in_seconds",
                        number(p.model_data_download_timeout_in_seconds()),
                    ),
                    ("volume_size_in_gb", number(p.volume_size_in_gb())),
                    (
                        "enable_ssm_access",
                        p.enable_ssm_access()
                            .map(Value::Bool)
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "inference_ami_version",
                        p.inference_ami_version()
                            .map(|t| Value::from(t.as_str()))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "core_dump_config",
                        Value::List(
                            p.core_dump_config()
                                .map(|d| {
                                    Value::object([
                                        (
                                            "destination_s3_uri",
                                            Value::from(d.destination_s3_uri().unwrap_or_default()),
                                        ),
                                        (
                                            "kms_key_id",
                                            d.kms_key_id().map(Value::from).unwrap_or(Value::Null),
                                        ),
                                    ])
                                })
                                .into_iter()
                                .collect(),
                        ),
                    ),
                ])
            })
            .collect();
        let prior = Value::object([
            ("name", Value::from(id)),
            (
                "kms_key_arn",
                out.kms_key_id().map(Value::from).unwrap_or(Value::Null),
            ),
            ("name_prefix", crate::resources::prefix_of_generated(id)),
            ("tags", Value::Null),
            ("production_variants", Value::List(variants)),
            (
                "data_capture_config",
                out.data_capture_config()
                    // An empty capture configuration (no destination) is none.
                    .filter(|d| d.destination_s3_uri().is_some_and(|u| !u.is_empty()))
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
