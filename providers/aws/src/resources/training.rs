//! `aws_sagemaker_training_job`: a declarative, reproducible training run. Every input
//! (image, role, data channels, output path, hyperparameters, resources, stopping condition,
//! environment) is part of the run's identity, so any change is a replacement that the plan
//! shows as a new run, naming the inputs that changed. Create starts the job and, unless
//! `wait_for_completion = false`, waits for Completed within `timeouts.create`; Failed and
//! Stopped are errors with SageMaker's reason. `model_artifacts` (the S3 URI of
//! `model.tar.gz`) feeds a downstream `aws_sagemaker_model`. Destroy stops a running job and
//! deletes its record. Import ID: the job name.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, CompressionType, DataSource, OutputDataConfig, ResourceConfig,
    S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, TrainingInputMode,
    TrainingInstanceType, TrainingJobStatus,
};
use mlform_provider::{
    poll_until, Attribute, NestedBlock, Nesting, Poll, ProviderError, Schema, Type, Value, ValueMap,
};
use serde::{Deserialize, Serialize};

use super::sagemaker::not_found;
use crate::error::classify;
use crate::framework::{AwsResource, Created, Naming, Timeouts};
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

/// SageMaker's stopping condition when none is given: one day.
const MAX_RUNTIME: i64 = 86400;

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

fn training_schema() -> Schema {
    let algorithm = Schema::new()
        .attr("training_image", Attribute::required(Type::String))
        .attr(
            "training_input_mode",
            Attribute::optional_computed(Type::String).default("File"),
        );
    let s3 = Schema::new()
        .attr("s3_uri", Attribute::required(Type::String))
        .attr(
            "s3_data_type",
            Attribute::optional_computed(Type::String).default("S3Prefix"),
        )
        .attr(
            "s3_data_distribution_type",
            Attribute::optional_computed(Type::String).default("FullyReplicated"),
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
        .attr(
            "instance_count",
            Attribute::optional_computed(Type::Number).default(1i64),
        )
        .attr(
            "volume_size_in_gb",
            Attribute::optional_computed(Type::Number).default(30i64),
        );
    let stopping = Schema::new().attr(
        "max_runtime_in_seconds",
        Attribute::optional_computed(Type::Number).default(MAX_RUNTIME),
    );
    let timeouts = Schema::new()
        .attr("create", Attribute::optional(Type::String))
        .attr("delete", Attribute::optional(Type::String));
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
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
            Attribute::optional(Type::Bool).default(true),
        )
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

#[derive(Default)]
pub struct TrainingJob;

type Map = BTreeMap<String, String>;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TrainingModel {
    id: String,
    name: String,
    arn: Option<String>,
    role_arn: String,
    hyperparameters: Option<Map>,
    environment: Option<Map>,
    wait_for_completion: Option<bool>,
    training_job_status: Option<String>,
    model_artifacts: Option<String>,
    algorithm_specification: Algorithm,
    input_data_config: Vec<ChannelModel>,
    output_data_config: Output,
    resource_config: Resources,
    stopping_condition: Option<Stopping>,
    timeouts: Option<Timeouts>,
    tags_all: Option<Map>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Algorithm {
    training_image: String,
    training_input_mode: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ChannelModel {
    channel_name: String,
    content_type: Option<String>,
    compression_type: Option<String>,
    input_mode: Option<String>,
    s3_data_source: S3Source,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct S3Source {
    s3_uri: String,
    s3_data_type: Option<String>,
    s3_data_distribution_type: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Output {
    s3_output_path: String,
    kms_key_id: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Resources {
    instance_type: String,
    instance_count: Option<i32>,
    volume_size_in_gb: Option<i32>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Stopping {
    max_runtime_in_seconds: Option<i32>,
}

/// A map SageMaker answers, or the configuration's empty one (an empty map is not sent).
fn live_map(
    live: Option<&std::collections::HashMap<String, String>>,
    prior: Option<&Map>,
) -> Option<Map> {
    live.filter(|m| !m.is_empty())
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .or_else(|| prior.filter(|p| p.is_empty()).cloned())
}

fn channel(c: &ChannelModel) -> Channel {
    let s3 = &c.s3_data_source;
    let source = S3DataSource::builder()
        .s3_uri(&s3.s3_uri)
        .s3_data_type(S3DataType::from(
            s3.s3_data_type.as_deref().unwrap_or("S3Prefix"),
        ))
        .s3_data_distribution_type(S3DataDistribution::from(
            s3.s3_data_distribution_type
                .as_deref()
                .unwrap_or("FullyReplicated"),
        ))
        .build();
    Channel::builder()
        .channel_name(&c.channel_name)
        .set_content_type(c.content_type.clone())
        .set_compression_type(c.compression_type.as_deref().map(CompressionType::from))
        .set_input_mode(c.input_mode.as_deref().map(TrainingInputMode::from))
        .data_source(DataSource::builder().s3_data_source(source).build())
        .build()
}

fn live_channel(c: &Channel, prior: Option<&ChannelModel>) -> ChannelModel {
    let s3 = c.data_source().and_then(|d| d.s3_data_source());
    ChannelModel {
        channel_name: c.channel_name().unwrap_or_default().to_string(),
        content_type: c.content_type().map(str::to_string),
        compression_type: c
            .compression_type()
            .filter(|t| *t != &CompressionType::None)
            .map(|t| t.as_str().to_string()),
        // SageMaker reports the channel's default mode; the configuration's null stays.
        input_mode: c
            .input_mode()
            .map(|t| t.as_str().to_string())
            .filter(|_| prior.is_none_or(|p| p.input_mode.is_some())),
        s3_data_source: S3Source {
            s3_uri: s3.and_then(|s| s.s3_uri()).unwrap_or_default().to_string(),
            s3_data_type: s3
                .and_then(|s| s.s3_data_type())
                .map(|t| t.as_str().to_string()),
            s3_data_distribution_type: s3
                .and_then(|s| s.s3_data_distribution_type())
                .map(|t| t.as_str().to_string()),
        },
    }
}

/// The run as SageMaker reports it.
fn live_job(out: &DescribeTrainingJobOutput, prior: &TrainingModel, tags: Map) -> TrainingModel {
    let s = |v: Option<&str>| v.map(str::to_string);
    let name = out.training_job_name().unwrap_or(&prior.id).to_string();
    TrainingModel {
        id: name.clone(),
        name,
        arn: s(out.training_job_arn()),
        role_arn: out.role_arn().unwrap_or_default().to_string(),
        hyperparameters: live_map(out.hyper_parameters(), prior.hyperparameters.as_ref()),
        environment: live_map(out.environment(), prior.environment.as_ref()),
        wait_for_completion: Some(prior.wait_for_completion.unwrap_or(true)),
        training_job_status: s(out.training_job_status().map(|t| t.as_str())),
        model_artifacts: s(out.model_artifacts().and_then(|a| a.s3_model_artifacts())),
        algorithm_specification: out
            .algorithm_specification()
            .map(|a| Algorithm {
                training_image: a.training_image().unwrap_or_default().to_string(),
                training_input_mode: Some(
                    a.training_input_mode()
                        .map_or("File", |m| m.as_str())
                        .to_string(),
                ),
            })
            .unwrap_or_default(),
        input_data_config: out
            .input_data_config()
            .iter()
            .enumerate()
            .map(|(i, c)| live_channel(c, prior.input_data_config.get(i)))
            .collect(),
        output_data_config: out
            .output_data_config()
            .map(|o| Output {
                s3_output_path: o.s3_output_path().unwrap_or_default().to_string(),
                kms_key_id: s(o.kms_key_id()).filter(|k| !k.is_empty()),
            })
            .unwrap_or_default(),
        resource_config: out
            .resource_config()
            .map(|r| Resources {
                instance_type: r.instance_type().map_or("", |t| t.as_str()).to_string(),
                instance_count: r.instance_count(),
                volume_size_in_gb: r.volume_size_in_gb(),
            })
            .unwrap_or_default(),
        stopping_condition: out.stopping_condition().map(|s| Stopping {
            max_runtime_in_seconds: s.max_runtime_in_seconds(),
        }),
        timeouts: None,
        tags_all: Some(tags),
    }
}

async fn describe(
    c: &Clients,
    name: &str,
) -> Result<Option<DescribeTrainingJobOutput>, ProviderError> {
    match c
        .sagemaker
        .describe_training_job()
        .training_job_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(Some(o)),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(classify("sagemaker:DescribeTrainingJob", &e)),
    }
}

async fn stop(c: &Clients, name: &str) -> Result<(), ProviderError> {
    match c
        .sagemaker
        .stop_training_job()
        .training_job_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(classify("sagemaker:StopTrainingJob", &e)),
    }
}

fn running(status: Option<&TrainingJobStatus>) -> bool {
    matches!(
        status,
        Some(TrainingJobStatus::InProgress | TrainingJobStatus::Stopping)
    )
}

/// The inputs whose planned value differs from the run's.
fn changed_inputs(prior: &Value, planned: &ValueMap) -> Vec<&'static str> {
    INPUTS
        .iter()
        .copied()
        .filter(|k| {
            !prior
                .get_attr(k)
                .same_data(planned.get(*k).unwrap_or(&Value::Null))
        })
        .collect()
}

fn listed(inputs: &[&str]) -> String {
    inputs
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait::async_trait]
impl AwsResource for TrainingJob {
    type Model = TrainingModel;
    const TYPE: &'static str = "aws_sagemaker_training_job";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("tf-"));
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");
    /// mlform's own settings, never SageMaker's.
    const KEEP: &'static [&'static str] = &["timeouts"];

    fn schema() -> Schema {
        training_schema()
    }

    /// SageMaker stops a run after a day when no stopping condition is given.
    fn fill_config(config: &mut ValueMap) {
        if config.get("stopping_condition").is_none_or(Value::is_null) {
            config.insert(
                "stopping_condition".into(),
                Value::object([("max_runtime_in_seconds", Value::from(MAX_RUNTIME))]),
            );
        }
    }

    /// A new run, naming the inputs that changed; a fixed name cannot take a new run, as
    /// SageMaker keeps training job names unique.
    fn replace_reason(prior: &Value, planned: &ValueMap) -> Result<Option<String>, ProviderError> {
        let changed = changed_inputs(prior, planned);
        if changed.is_empty() {
            return Ok(None);
        }
        let name = planned.get("name").and_then(Value::as_str);
        if let Some(fixed) = name.filter(|n| prior.get_attr("name").as_str() == Some(n)) {
            return Err(ProviderError::InvalidConfig(format!(
                "training input {} changed, which needs a new training run, but the run is named {fixed:?} and SageMaker keeps training job names unique; use name_prefix so each run gets a new name",
                listed(&changed)
            )));
        }
        Ok(Some(format!(
            "a new training run: training input {} changed",
            listed(&changed)
        )))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &TrainingModel,
    ) -> Result<Created<TrainingModel>, ProviderError> {
        let a = &m.algorithm_specification;
        let channels: Vec<Channel> = m.input_data_config.iter().map(channel).collect();
        let r = &m.resource_config;
        let tags = super::sagemaker::monitor::tags_of(&m.tags_all);
        let map = |v: &Option<Map>| {
            v.clone()
                .filter(|m| !m.is_empty())
                .map(|m| m.into_iter().collect())
        };
        c.sagemaker
            .create_training_job()
            .training_job_name(&m.name)
            .role_arn(&m.role_arn)
            .algorithm_specification(
                AlgorithmSpecification::builder()
                    .training_image(&a.training_image)
                    .training_input_mode(TrainingInputMode::from(
                        a.training_input_mode.as_deref().unwrap_or("File"),
                    ))
                    .build(),
            )
            .set_input_data_config((!channels.is_empty()).then_some(channels))
            .output_data_config(
                OutputDataConfig::builder()
                    .s3_output_path(&m.output_data_config.s3_output_path)
                    .set_kms_key_id(m.output_data_config.kms_key_id.clone())
                    .build(),
            )
            .resource_config(
                ResourceConfig::builder()
                    .instance_type(TrainingInstanceType::from(r.instance_type.as_str()))
                    .set_instance_count(r.instance_count)
                    .set_volume_size_in_gb(r.volume_size_in_gb)
                    .build(),
            )
            .stopping_condition(
                StoppingCondition::builder()
                    .set_max_runtime_in_seconds(
                        m.stopping_condition
                            .as_ref()
                            .and_then(|s| s.max_runtime_in_seconds),
                    )
                    .build(),
            )
            .set_hyper_parameters(map(&m.hyperparameters))
            .set_environment(map(&m.environment))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateTrainingJob", &e))?;
        Ok(m.name.clone().into())
    }

    /// Waits for Completed unless `wait_for_completion = false`; Failed and Stopped are
    /// errors with SageMaker's reason, and a run still going at the timeout is stopped.
    async fn wait_created(&self, c: &Clients, m: &TrainingModel) -> Result<(), ProviderError> {
        if m.wait_for_completion == Some(false) {
            return Ok(());
        }
        let name = m.id.as_str();
        let waited = poll_until(
            &format!("training job {name} to complete"),
            Timeouts::of(
                m.timeouts.as_ref(),
                "create",
                Duration::from_secs(24 * 3600),
            ),
            || async {
                let out = describe(c, name).await?.ok_or_else(|| {
                    ProviderError::Api(format!("training job {name} disappeared while running"))
                })?;
                Ok(match out.training_job_status() {
                    Some(TrainingJobStatus::Completed) => Poll::Ready(()),
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
                    other => Poll::Pending(other.map_or("no status", |s| s.as_str()).to_string()),
                })
            },
        )
        .await;
        if let Err(ProviderError::Timeout { .. }) = &waited {
            // A run that did not complete in time is not left running.
            let _ = stop(c, name).await;
        }
        waited
    }

    async fn read(
        &self,
        c: &Clients,
        m: &TrainingModel,
    ) -> Result<Option<TrainingModel>, ProviderError> {
        let Some(out) = describe(c, &m.id).await? else {
            return Ok(None);
        };
        let tags = match out.training_job_arn() {
            Some(arn) => super::sagemaker::monitor::live_tags(c, arn).await?,
            None => Map::new(),
        };
        Ok(Some(live_job(&out, m, tags)))
    }

    /// Only mlform's own settings (`wait_for_completion`, `timeouts`) change in place.
    async fn update(
        &self,
        _c: &Clients,
        _old: &TrainingModel,
        _new: &TrainingModel,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &TrainingModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::sagemaker::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    /// Stops a running job, waits until it has stopped, and deletes its record.
    async fn delete(&self, c: &Clients, m: &TrainingModel) -> Result<(), ProviderError> {
        let Some(out) = describe(c, &m.id).await? else {
            return Ok(());
        };
        if running(out.training_job_status()) {
            stop(c, &m.id).await?;
            poll_until(
                &format!("training job {} to stop", m.id),
                Timeouts::of(m.timeouts.as_ref(), "delete", Duration::from_secs(1800)),
                || async {
                    Ok(match describe(c, &m.id).await? {
                        Some(o) if running(o.training_job_status()) => Poll::Pending(
                            o.training_job_status()
                                .map_or("no status", |s| s.as_str())
                                .to_string(),
                        ),
                        _ => Poll::Ready(()),
                    })
                },
            )
            .await?;
        }
        match c
            .sagemaker
            .delete_training_job()
            .training_job_name(&m.id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteTrainingJob", &e)),
        }
    }
}
