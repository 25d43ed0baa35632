//! `aws_sagemaker_training_job`: a declarative, reproducible training run. Every input
//! (image, role, data channels, output path, hyperparameters, resources, stopping condition,
//! environment) is part of the run's identity, so any change is a replacement that the plan
//! shows as a new run, naming the inputs that changed. Create starts the job and, unless
//! `wait_for_completion = false`, waits for Completed within `timeouts.create`; Failed and
//! Stopped are errors with SageMaker's reason. `model_artifacts` (the S3 URI of
//! `model.tar.gz`) feeds a downstream `aws_sagemaker_model`. Destroy stops a running job and
//! deletes its record. Import ID: the job name.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, CompressionType, DataSource, OutputDataConfig, ResourceConfig,
    S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, TrainingInputMode,
    TrainingInstanceType, TrainingJobStatus,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PathStep, PlanRequest, Planned, ProviderError, Resource,
    Schema, Type, Value,
};

use super::{int, opt_str, string};
use crate::error::{classify, code};
use crate::Clients;

fn single(block: Schema, required: bool) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Single,
        block,
        min_items: usize::from(required),
        max_items: Some(1),
        force_new: true,
    }
}

/// The inputs that define a run, in the order the replace reason names them.
const INPUTS: &[&str] = &[
    "algorithm_specification",
    "role_arn",
    "input_data_config",
    "output_data_config",
    "hyperparameters",
    "resource_config",
    "stopping_condition",
    "environment",
];

pub fn schema() -> Schema {
    let algorithm = Schema::new()
        .attr("training_image", Attribute::required(Type::String))
        .attr(
            "training_input_mode",
            Attribute::optional_computed(Type::String),
        );
    let s3 = Schema::new()
        .attr("s3_uri", Attribute::required(Type::String))
        .attr("s3_data_type", Attribute::optional_computed(Type::String))
        .attr(
            "s3_data_distribution_type",
            Attribute::optional_computed(Type::String),
        );
    let channel = Schema::new()
        .attr("channel_name", Attribute::required(Type::String))
        .attr("content_type", Attribute::optional(Type::String))
        .attr("compression_type", Attribute::optional(Type::String))
        .attr("input_mode", Attribute::optional(Type::String))
        .block("s3_data_source", single(s3, true));
    let output = Schema::new()
        .attr("s3_output_path", Attribute::required(Type::String))
        .attr("kms_key_id", Attribute::optional(Type::String));
    let resources = Schema::new()
        .attr("instance_type", Attribute::required(Type::String))
        .attr("instance_count", Attribute::optional_computed(Type::Number))
        .attr(
            "volume_size_in_gb",
            Attribute::optional_computed(Type::Number),
        );
    let stopping = Schema::new().attr(
        "max_runtime_in_seconds",
        Attribute::optional_computed(Type::Number),
    );
    let timeouts = Schema::new()
        .attr("create", Attribute::optional(Type::String))
        .attr("delete", Attribute::optional(Type::String));
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("name_prefix", Attribute::optional(Type::String).force_new())
        .attr("role_arn", Attribute::required(Type::String).force_new())
        .attr(
            "hyperparameters",
            Attribute::optional(Type::map(Type::String)).force_new(),
        )
        .attr(
            "environment",
            Attribute::optional(Type::map(Type::String)).force_new(),
        )
        .attr(
            "wait_for_completion",
            Attribute::optional_computed(Type::Bool),
        )
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("training_job_status", Attribute::computed(Type::String))
        .attr(
            "model_artifacts",
            Attribute::computed(Type::String)
                .describe("S3 URI of the trained model.tar.gz, for aws_sagemaker_model."),
        )
        .block("algorithm_specification", single(algorithm, true))
        .block(
            "input_data_config",
            NestedBlock {
                nesting: Nesting::List,
                block: channel,
                min_items: 0,
                max_items: Some(20),
                force_new: true,
            },
        )
        .block("output_data_config", single(output, true))
        .block("resource_config", single(resources, true))
        .block("stopping_condition", single(stopping, false))
        .block(
            "timeouts",
            NestedBlock {
                force_new: false,
                ..single(timeouts, false)
            },
        )
}

pub struct TrainingJob {
    pub clients: Arc<Clients>,
}

/// Fills the defaults SageMaker applies, so the plan shows them and re-plans stay clean.
fn with_defaults(v: &Value) -> Value {
    let Some(mut m) = v.as_map().cloned() else {
        return v.clone();
    };
    let fill = |block: &mut Value, key: &str, default: Value| {
        if let Value::Map(b) = block {
            if b.get(key).is_none_or(Value::is_null) {
                b.insert(key.to_string(), default);
            }
        }
    };
    if let Some(a) = m.get_mut("algorithm_specification") {
        fill(a, "training_input_mode", Value::from("File"));
    }
    if let Some(r) = m.get_mut("resource_config") {
        fill(r, "instance_count", Value::from(1.0));
        fill(r, "volume_size_in_gb", Value::from(30.0));
    }
    match m.get_mut("stopping_condition") {
        Some(s) if !s.is_null() => fill(s, "max_runtime_in_seconds", Value::from(86400.0)),
        _ => {
            m.insert(
                "stopping_condition".into(),
                Value::object([("max_runtime_in_seconds", Value::from(86400.0))]),
            );
        }
    }
    if let Some(Value::List(channels)) = m.get_mut("input_data_config") {
        for c in channels.iter_mut() {
            if let Value::Map(cm) = c {
                if let Some(s3) = cm.get_mut("s3_data_source") {
                    fill(s3, "s3_data_type", Value::from("S3Prefix"));
                    fill(
                        s3,
                        "s3_data_distribution_type",
                        Value::from("FullyReplicated"),
                    );
                }
            }
        }
    }
    Value::Map(m)
}

fn map_value(m: Option<&HashMap<String, String>>, prior: &Value) -> Value {
    match m {
        Some(m) if !m.is_empty() => {
            super::tags_value(m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        }
        _ if prior.is_null() => Value::Null,
        _ => Value::Map(Default::default()),
    }
}

impl TrainingJob {
    async fn describe(
        &self,
        name: &str,
    ) -> Result<Option<DescribeTrainingJobOutput>, ProviderError> {
        match self
            .clients
            .sagemaker
            .describe_training_job()
            .training_job_name(name)
            .send()
            .await
        {
            Ok(o) => Ok(Some(o)),
            Err(e) if super::sagemaker::not_found(&e) || code(&e) == "ResourceNotFound" => Ok(None),
            Err(e) => Err(classify("sagemaker:DescribeTrainingJob", &e)),
        }
    }

    /// Waits for a terminal status; Completed returns the output, Failed and Stopped are errors.
    async fn wait(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<DescribeTrainingJobOutput, ProviderError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(200);
        loop {
            let out = self.describe(name).await?.ok_or_else(|| {
                ProviderError::Api(format!("training job {name} disappeared while running"))
            })?;
            match out.training_job_status() {
                Some(TrainingJobStatus::Completed) => return Ok(out),
                Some(TrainingJobStatus::Failed) => {
                    return Err(ProviderError::Api(format!(
                        "training job {name} failed: {}",
                        out.failure_reason().unwrap_or("no reason given")
                    )))
                }
                Some(TrainingJobStatus::Stopped) => {
                    return Err(ProviderError::Api(format!(
                        "training job {name} was stopped before it completed"
                    )))
                }
                _ => {}
            }
            if started.elapsed() >= timeout {
                return Err(ProviderError::Timeout {
                    what: format!("training job {name} to complete"),
                    seconds: timeout.as_secs(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }

    async fn stop(&self, name: &str) -> Result<(), ProviderError> {
        match self
            .clients
            .sagemaker
            .stop_training_job()
            .training_job_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if super::sagemaker::not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:StopTrainingJob", &e)),
        }
    }
}

fn channel_value(c: &Channel) -> Value {
    let s3 = c
        .data_source()
        .and_then(|d| d.s3_data_source())
        .map(|s| {
            Value::object([
                ("s3_uri", Value::from(s.s3_uri().unwrap_or_default())),
                (
                    "s3_data_type",
                    s.s3_data_type()
                        .map(|t| Value::from(t.as_str()))
                        .unwrap_or(Value::Null),
                ),
                (
                    "s3_data_distribution_type",
                    s.s3_data_distribution_type()
                        .map(|t| Value::from(t.as_str()))
                        .unwrap_or(Value::Null),
                ),
            ])
        })
        .unwrap_or(Value::Null);
    Value::object([
        (
            "channel_name",
            Value::from(c.channel_name().unwrap_or_default()),
        ),
        (
            "content_type",
            c.content_type().map(Value::from).unwrap_or(Value::Null),
        ),
        (
            "compression_type",
            c.compression_type()
                .filter(|t| *t != &CompressionType::None)
                .map(|t| Value::from(t.as_str()))
                .unwrap_or(Value::Null),
        ),
        (
            "input_mode",
            c.input_mode()
                .map(|t| Value::from(t.as_str()))
                .unwrap_or(Value::Null),
        ),
        ("s3_data_source", s3),
    ])
}

/// The run's definition as SageMaker reports it, in mlform's shape.
fn live_value(out: &DescribeTrainingJobOutput, prior: &Value) -> Value {
    let algorithm = out.algorithm_specification().map(|a| {
        Value::object([
            (
                "training_image",
                Value::from(a.training_image().unwrap_or_default()),
            ),
            (
                "training_input_mode",
                Value::from(
                    a.training_input_mode()
                        .map(|m| m.as_str())
                        .unwrap_or("File"),
                ),
            ),
        ])
    });
    let output = out.output_data_config().map(|o| {
        Value::object([
            (
                "s3_output_path",
                Value::from(o.s3_output_path().unwrap_or_default()),
            ),
            (
                "kms_key_id",
                o.kms_key_id()
                    .filter(|k| !k.is_empty())
                    .map(Value::from)
                    .unwrap_or(Value::Null),
            ),
        ])
    });
    let resources = out.resource_config().map(|r| {
        Value::object([
            (
                "instance_type",
                r.instance_type()
                    .map(|t| Value::from(t.as_str()))
                    .unwrap_or(Value::Null),
            ),
            (
                "instance_count",
                r.instance_count()
                    .map(|n| Value::from(n as f64))
                    .unwrap_or(Value::Null),
            ),
            (
                "volume_size_in_gb",
                r.volume_size_in_gb()
                    .map(|n| Value::from(n as f64))
                    .unwrap_or(Value::Null),
            ),
        ])
    });
    let stopping = out.stopping_condition().map(|s| {
        Value::object([(
            "max_runtime_in_seconds",
            s.max_runtime_in_seconds()
                .map(|n| Value::from(n as f64))
                .unwrap_or(Value::Null),
        )])
    });
    let name = out.training_job_name().unwrap_or_default();
    let mut m = prior.as_map().cloned().unwrap_or_default();
    for (k, v) in [
        ("name", Value::from(name)),
        ("id", Value::from(name)),
        (
            "arn",
            Value::from(out.training_job_arn().unwrap_or_default()),
        ),
        (
            "role_arn",
            out.role_arn().map(Value::from).unwrap_or(Value::Null),
        ),
        (
            "hyperparameters",
            map_value(out.hyper_parameters(), prior.get_attr("hyperparameters")),
        ),
        (
            "training_job_status",
            out.training_job_status()
                .map(|s| Value::from(s.as_str()))
                .unwrap_or(Value::Null),
        ),
        (
            "model_artifacts",
            out.model_artifacts()
                .and_then(|a| a.s3_model_artifacts())
                .map(Value::from)
                .unwrap_or(Value::Null),
        ),
        ("algorithm_specification", algorithm.unwrap_or(Value::Null)),
        (
            "input_data_config",
            Value::List(out.input_data_config().iter().map(channel_value).collect()),
        ),
        ("output_data_config", output.unwrap_or(Value::Null)),
        ("resource_config", resources.unwrap_or(Value::Null)),
        ("stopping_condition", stopping.unwrap_or(Value::Null)),
    ] {
        m.insert(k.to_string(), v);
    }
    if m.get("wait_for_completion").is_none_or(Value::is_null) {
        m.insert("wait_for_completion".into(), Value::Bool(true));
    }
    schema().conform(&Value::Map(m))
}

#[async_trait::async_trait]
impl Resource for TrainingJob {
    fn schema(&self) -> Schema {
        schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let config = with_defaults(request.config);
        let request = PlanRequest {
            prior: request.prior,
            config: &config,
        };
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        m.insert(
            "tags_all".into(),
            self.clients.tags_all(config.get_attr("tags")),
        );
        if config.get_attr("wait_for_completion").is_null() {
            m.insert("wait_for_completion".into(), Value::Bool(true));
        }
        if let Some(prior) = request.prior {
            // A generated name stays as long as the prefix does and nothing forces a new run.
            let changed: Vec<&str> = INPUTS
                .iter()
                .copied()
                .filter(|k| !prior.get_attr(k).same_data(config.get_attr(k)))
                .collect();
            if config.get_attr("name").is_null()
                && config
                    .get_attr("name_prefix")
                    .same_data(prior.get_attr("name_prefix"))
            {
                p.requires_replace
                    .retain(|path| path != &vec![PathStep::GetAttr("name".into())]);
                if changed.is_empty() {
                    m.insert("name".into(), prior.get_attr("name").clone());
                }
            }
            if !changed.is_empty() {
                if let Some(fixed) = config
                    .get_attr("name")
                    .as_str()
                    .filter(|n| prior.get_attr("name").as_str() == Some(n))
                {
                    return Err(ProviderError::InvalidConfig(format!(
                        "training input {} changed, which needs a new training run, but the run is named {fixed:?} and SageMaker keeps training job names unique; use name_prefix so each run gets a new name",
                        changed.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                    )));
                }
                p.replace_reason = Some(format!(
                    "a new training run: training input {} changed",
                    changed
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                m.insert("name".into(), Value::Unknown);
            }
        }
        let replacing = request.prior.is_none() || !p.requires_replace.is_empty();
        super::sagemaker::plan_name_and_id(&mut m, replacing);
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(out) = self.describe(&string(prior, "name")).await? else {
            return Ok(None);
        };
        let mut v = live_value(&out, prior);
        let arn = string(&v, "arn");
        if let Value::Map(m) = &mut v {
            let all = super::sagemaker::live_tags(&self.clients, &arn).await?;
            m.insert(
                "tags".into(),
                self.clients.own_tags(&all, prior.get_attr("tags")),
            );
            m.insert("tags_all".into(), all);
            // SageMaker reports the channels' defaults; keep what the configuration left unset.
            if let (Some(Value::List(live)), Some(old)) = (
                m.get("input_data_config").cloned(),
                prior.get_attr("input_data_config").as_list(),
            ) {
                let merged: Vec<Value> = live
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| match (c, old.get(i)) {
                        (Value::Map(mut cm), Some(o)) => {
                            if o.get_attr("input_mode").is_null() {
                                cm.insert("input_mode".into(), Value::Null);
                            }
                            Value::Map(cm)
                        }
                        (c, _) => c,
                    })
                    .collect();
                m.insert("input_data_config".into(), Value::List(merged));
            }
        }
        Ok(Some(v))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = super::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "tf-",
        );
        let a = planned.get_attr("algorithm_specification");
        let algorithm = AlgorithmSpecification::builder()
            .training_image(string(a, "training_image"))
            .training_input_mode(TrainingInputMode::from(
                opt_str(a, "training_input_mode")
                    .unwrap_or_else(|| "File".into())
                    .as_str(),
            ))
            .build();
        let mut channels = Vec::new();
        for c in planned
            .get_attr("input_data_config")
            .as_list()
            .unwrap_or_default()
        {
            let s3 = c.get_attr("s3_data_source");
            let source = S3DataSource::builder()
                .s3_uri(string(s3, "s3_uri"))
                .s3_data_type(S3DataType::from(
                    opt_str(s3, "s3_data_type")
                        .unwrap_or_else(|| "S3Prefix".into())
                        .as_str(),
                ))
                .s3_data_distribution_type(S3DataDistribution::from(
                    opt_str(s3, "s3_data_distribution_type")
                        .unwrap_or_else(|| "FullyReplicated".into())
                        .as_str(),
                ))
                .build();
            channels.push(
                Channel::builder()
                    .channel_name(string(c, "channel_name"))
                    .set_content_type(opt_str(c, "content_type"))
                    .set_compression_type(
                        opt_str(c, "compression_type").map(|t| CompressionType::from(t.as_str())),
                    )
                    .set_input_mode(
                        opt_str(c, "input_mode").map(|t| TrainingInputMode::from(t.as_str())),
                    )
                    .data_source(DataSource::builder().s3_data_source(source).build())
                    .build(),
            );
        }
        let o = planned.get_attr("output_data_config");
        let r = planned.get_attr("resource_config");
        let s = planned.get_attr("stopping_condition");
        let tags = super::sagemaker::sm_tags(planned.get_attr("tags_all"))?;
        let out = self
            .clients
            .sagemaker
            .create_training_job()
            .training_job_name(&name)
            .role_arn(string(planned, "role_arn"))
            .algorithm_specification(algorithm)
            .set_input_data_config((!channels.is_empty()).then_some(channels))
            .output_data_config(
                OutputDataConfig::builder()
                    .s3_output_path(string(o, "s3_output_path"))
                    .set_kms_key_id(opt_str(o, "kms_key_id"))
                    .build(),
            )
            .resource_config(
                ResourceConfig::builder()
                    .instance_type(TrainingInstanceType::from(
                        string(r, "instance_type").as_str(),
                    ))
                    .set_instance_count(int(r, "instance_count"))
                    .set_volume_size_in_gb(int(r, "volume_size_in_gb"))
                    .build(),
            )
            .stopping_condition(
                StoppingCondition::builder()
                    .set_max_runtime_in_seconds(int(s, "max_runtime_in_seconds"))
                    .build(),
            )
            .set_hyper_parameters(super::string_map(planned.get_attr("hyperparameters")))
            .set_environment(super::string_map(planned.get_attr("environment")))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateTrainingJob", &e))?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("name".into(), Value::from(name.as_str()));
        m.insert("id".into(), Value::from(name.as_str()));
        m.insert(
            "arn".into(),
            Value::from(out.training_job_arn().unwrap_or_default()),
        );
        let wait = planned.get_attr("wait_for_completion").as_bool() != Some(false);
        let status = if wait {
            let timeout = mlform_provider::parse_timeout(
                planned.get_attr("timeouts").get_attr("create").as_str(),
                Duration::from_secs(24 * 3600),
            );
            match self.wait(&name, timeout).await {
                Ok(done) => done,
                Err(e) => {
                    // All or nothing: a run that did not complete is not left running.
                    if matches!(e, ProviderError::Timeout { .. }) {
                        let _ = self.stop(&name).await;
                    }
                    return Err(e);
                }
            }
        } else {
            self.describe(&name).await?.ok_or_else(|| {
                ProviderError::Api(format!(
                    "training job {name} was not found after it was created"
                ))
            })?
        };
        m.insert(
            "training_job_status".into(),
            status
                .training_job_status()
                .map(|s| Value::from(s.as_str()))
                .unwrap_or(Value::Null),
        );
        m.insert(
            "model_artifacts".into(),
            status
                .model_artifacts()
                .and_then(|a| a.s3_model_artifacts())
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        Ok(Value::Map(m))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let arn = string(prior, "arn");
        super::sagemaker::update_tags(
            &self.clients,
            &arn,
            prior.get_attr("tags_all"),
            planned.get_attr("tags_all"),
        )
        .await?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        for k in [
            "name",
            "id",
            "arn",
            "training_job_status",
            "model_artifacts",
        ] {
            m.insert(k.into(), prior.get_attr(k).clone());
        }
        Ok(Value::Map(m))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let name = string(prior, "name");
        let Some(out) = self.describe(&name).await? else {
            return Ok(());
        };
        if matches!(
            out.training_job_status(),
            Some(TrainingJobStatus::InProgress | TrainingJobStatus::Stopping)
        ) {
            self.stop(&name).await?;
            let timeout = mlform_provider::parse_timeout(
                prior.get_attr("timeouts").get_attr("delete").as_str(),
                Duration::from_secs(1800),
            );
            let started = Instant::now();
            loop {
                match self.describe(&name).await? {
                    None => return Ok(()),
                    Some(o)
                        if !matches!(
                            o.training_job_status(),
                            Some(TrainingJobStatus::InProgress | TrainingJobStatus::Stopping)
                        ) =>
                    {
                        break
                    }
                    Some(_) if started.elapsed() >= timeout => {
                        return Err(ProviderError::Timeout {
                            what: format!("training job {name} to stop"),
                            seconds: timeout.as_secs(),
                        })
                    }
                    Some(_) => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            }
        }
        match self
            .clients
            .sagemaker
            .delete_training_job()
            .training_job_name(&name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if super::sagemaker::not_found(&e) || code(&e) == "ResourceNotFound" => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteTrainingJob", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let prior = Value::object([
            ("name", Value::from(id)),
            ("name_prefix", super::prefix_of_generated(id)),
        ]);
        self.read(&prior).await
    }
}
