//! `aws_sagemaker_model`: the container an endpoint serves (`primary_container`, or an
//! inference pipeline of `container` blocks), with its image settings, model data source
//! and multi-model cache, and how it may reach the network (`enable_network_isolation`,
//! `vpc_config`). Every argument but the tags replaces the model, as in
//! terraform-provider-aws.

use aws_sdk_sagemaker::types::{
    ModelCacheSetting, ModelCompressionType, ModelDataSource, MultiModelConfig,
    RepositoryAccessMode, RepositoryAuthConfig, S3ModelDataSource, S3ModelDataType, VpcConfig,
};

use super::*;

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
        Attribute::optional_computed(Type::String),
    );
    Schema::new()
        .attr("image", Attribute::optional(Type::String))
        .attr("model_data_url", Attribute::optional(Type::String))
        .attr("environment", Attribute::optional(Type::map(Type::String)))
        .attr("mode", Attribute::optional_computed(Type::String))
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

pub fn model_schema() -> Schema {
    let vpc = Schema::new()
        .attr("subnets", Attribute::required(Type::set(Type::String)))
        .attr(
            "security_group_ids",
            Attribute::required(Type::set(Type::String)),
        );
    with_tags(Schema::new())
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

fn text(v: &Value, name: &str) -> Option<String> {
    v.get_attr(name).as_str().map(str::to_string)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn definition(c: &Value) -> Result<ContainerDefinition, ProviderError> {
    let mut d = ContainerDefinition::builder()
        .set_image(text(c, "image"))
        .set_model_data_url(text(c, "model_data_url"))
        .set_container_hostname(text(c, "container_hostname"))
        .set_model_package_name(text(c, "model_package_name"))
        .set_mode(text(c, "mode").map(|m| ContainerMode::from(m.as_str())))
        .set_environment(crate::resources::string_map(c.get_attr("environment")));
    let ic = c.get_attr("image_config");
    if !ic.is_null() {
        let auth = ic.get_attr("repository_auth_config");
        let auth = text(auth, "repository_credentials_provider_arn").map(|arn| {
            RepositoryAuthConfig::builder()
                .repository_credentials_provider_arn(arn)
                .build()
        });
        d = d.image_config(
            aws_sdk_sagemaker::types::ImageConfig::builder()
                .set_repository_access_mode(
                    text(ic, "repository_access_mode")
                        .map(|m| RepositoryAccessMode::from(m.as_str())),
                )
                .set_repository_auth_config(auth)
                .build(),
        );
    }
    let s3 = c.get_attr("model_data_source").get_attr("s3_data_source");
    if !s3.is_null() {
        let source = S3ModelDataSource::builder()
            .set_s3_uri(text(s3, "s3_uri"))
            .set_s3_data_type(text(s3, "s3_data_type").map(|t| S3ModelDataType::from(t.as_str())))
            .set_compression_type(
                text(s3, "compression_type").map(|t| ModelCompressionType::from(t.as_str())),
            )
            .build();
        d = d.model_data_source(ModelDataSource::builder().s3_data_source(source).build());
    }
    let mm = c.get_attr("multi_model_config");
    if !mm.is_null() {
        d = d.multi_model_config(
            MultiModelConfig::builder()
                .set_model_cache_setting(
                    text(mm, "model_cache_setting").map(|s| ModelCacheSetting::from(s.as_str())),
                )
                .build(),
        );
    }
    Ok(d.build())
}

fn opt(v: Option<&str>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

/// The state of one container as DescribeModel reports it; `prior` fills what the API
/// leaves out (an empty environment, set or not, and a defaulted mode).
fn container_value(c: &ContainerDefinition, prior: &Value) -> Value {
    let env = match c.environment() {
        Some(e) if e.is_empty() && prior.get_attr("environment").is_null() => Value::Null,
        Some(e) => Value::Map(
            e.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        ),
        // An empty map is not sent, and reads back as none: the same as configured.
        None if prior
            .get_attr("environment")
            .as_map()
            .is_some_and(|m| m.is_empty()) =>
        {
            prior.get_attr("environment").clone()
        }
        None => Value::Null,
    };
    let image_config = c.image_config().map_or(Value::Null, |ic| {
        Value::object([
            (
                "repository_access_mode",
                opt(ic.repository_access_mode().map(|m| m.as_str())),
            ),
            (
                "repository_auth_config",
                ic.repository_auth_config().map_or(Value::Null, |a| {
                    Value::object([(
                        "repository_credentials_provider_arn",
                        opt(a.repository_credentials_provider_arn()),
                    )])
                }),
            ),
        ])
    });
    let data_source = c
        .model_data_source()
        .and_then(|d| d.s3_data_source())
        .map_or(Value::Null, |s| {
            Value::object([(
                "s3_data_source",
                Value::object([
                    ("s3_uri", opt(s.s3_uri())),
                    ("s3_data_type", opt(s.s3_data_type().map(|t| t.as_str()))),
                    (
                        "compression_type",
                        opt(s.compression_type().map(|t| t.as_str())),
                    ),
                ]),
            )])
        });
    let multi_model = c.multi_model_config().map_or(Value::Null, |m| {
        Value::object([(
            "model_cache_setting",
            m.model_cache_setting()
                .map(|s| Value::from(s.as_str()))
                .unwrap_or(Value::from("Enabled")),
        )])
    });
    Value::object([
        ("image", opt(c.image())),
        ("model_data_url", opt(c.model_data_url())),
        ("environment", env),
        (
            "mode",
            c.mode()
                .map(|x| Value::from(x.as_str()))
                .unwrap_or_else(|| prior.get_attr("mode").clone()),
        ),
        ("container_hostname", opt(c.container_hostname())),
        ("model_package_name", opt(c.model_package_name())),
        ("image_config", image_config),
        ("model_data_source", data_source),
        ("multi_model_config", multi_model),
    ])
}

/// Plans a container's defaulted values: `mode` SingleModel, a multi-model cache Enabled.
fn default_container(v: Value) -> Value {
    let Value::Map(mut c) = v else {
        return v;
    };
    if c.get("mode").is_none_or(Value::is_null) {
        c.insert("mode".into(), Value::from("SingleModel"));
    }
    if let Some(Value::Map(mut mm)) = c.get("multi_model_config").cloned() {
        if mm
            .get("model_cache_setting")
            .is_none_or(|x| x.is_null() || x.is_unknown())
        {
            mm.insert("model_cache_setting".into(), Value::from("Enabled"));
        }
        c.insert("multi_model_config".into(), Value::Map(mm));
    }
    Value::Map(c)
}

fn default_containers(m: &mut mlform_provider::ValueMap) {
    if let Some(pc) = m.get("primary_container").cloned() {
        if !pc.is_null() {
            m.insert("primary_container".into(), default_container(pc));
        }
    }
    if let Some(Value::List(items)) = m.get("container").cloned() {
        m.insert(
            "container".into(),
            Value::List(items.into_iter().map(default_container).collect()),
        );
    }
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
        let primary = !request.config.get_attr("primary_container").is_null();
        let pipeline = request
            .config
            .get_attr("container")
            .as_list()
            .is_some_and(|l| !l.is_empty());
        if primary == pipeline {
            return Err(ProviderError::InvalidConfig(
                "aws_sagemaker_model needs either primary_container or container blocks (an inference pipeline), not both".into(),
            ));
        }
        let mut p = plan_common(&self.schema(), &self.clients, request)?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        default_containers(&mut m);
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
        m.insert(
            "enable_network_isolation".into(),
            Value::Bool(out.enable_network_isolation().unwrap_or(false)),
        );
        // A container with neither image nor model package, or a VPC configuration with
        // no subnets, is no container or VPC at all (the emulator answers such empty ones).
        let real =
            |c: &&ContainerDefinition| c.image().is_some() || c.model_package_name().is_some();
        m.insert(
            "primary_container".into(),
            out.primary_container()
                .filter(real)
                .map_or(Value::Null, |c| {
                    container_value(c, prior.get_attr("primary_container"))
                }),
        );
        let prior_list = prior
            .get_attr("container")
            .as_list()
            .unwrap_or_default()
            .to_vec();
        m.insert(
            "container".into(),
            Value::List(
                out.containers()
                    .iter()
                    .enumerate()
                    .map(|(i, c)| container_value(c, prior_list.get(i).unwrap_or(&Value::Null)))
                    .collect(),
            ),
        );
        m.insert(
            "vpc_config".into(),
            out.vpc_config()
                .filter(|v| !v.subnets().is_empty())
                .map_or(Value::Null, |v| {
                    Value::object([
                        (
                            "subnets",
                            Value::set_from(
                                v.subnets()
                                    .iter()
                                    .map(|x| Value::from(x.as_str()))
                                    .collect(),
                            ),
                        ),
                        (
                            "security_group_ids",
                            Value::set_from(
                                v.security_group_ids()
                                    .iter()
                                    .map(|x| Value::from(x.as_str()))
                                    .collect(),
                            ),
                        ),
                    ])
                }),
        );
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
        let pc = planned.get_attr("primary_container");
        let containers = planned
            .get_attr("container")
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(definition)
            .collect::<Result<Vec<_>, _>>()?;
        let primary = if pc.is_null() {
            None
        } else {
            Some(definition(pc)?)
        };
        let vpc = planned.get_attr("vpc_config");
        let vpc = (!vpc.is_null()).then(|| {
            VpcConfig::builder()
                .set_subnets(Some(strings(vpc.get_attr("subnets"))))
                .set_security_group_ids(Some(strings(vpc.get_attr("security_group_ids"))))
                .build()
        });
        let out = self
            .clients
            .sagemaker
            .create_model()
            .model_name(&name)
            .execution_role_arn(s(planned, "execution_role_arn"))
            .set_primary_container(primary)
            .set_containers(Some(containers).filter(|c| !c.is_empty()))
            .set_vpc_config(vpc)
            .set_enable_network_isolation(planned.get_attr("enable_network_isolation").as_bool())
            .set_tags(Some(sm_tags(planned.get_attr("tags_all"))?))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateModel", &e))?;
        let mut v = finish(planned, &name, out.model_arn().unwrap_or_default());
        if let Value::Map(m) = &mut v {
            default_containers(m);
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
            ("name_prefix", crate::resources::prefix_of_generated(id)),
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
