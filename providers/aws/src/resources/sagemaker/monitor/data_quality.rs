//! `aws_sagemaker_data_quality_job_definition`: what a monitoring job runs, on which
//! endpoint's captured data (or batch transform output), and where it writes its report.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::{
    BatchTransformInput, DataQualityAppSpecification, DataQualityBaselineConfig,
    DataQualityJobInput, EndpointInput, MonitoringClusterConfig, MonitoringConstraintsResource,
    MonitoringCsvDatasetFormat, MonitoringDatasetFormat, MonitoringJsonDatasetFormat,
    MonitoringNetworkConfig, MonitoringOutput, MonitoringOutputConfig, MonitoringResources,
    MonitoringS3Output, MonitoringStatisticsResource, MonitoringStoppingCondition,
    ProcessingInstanceType, ProcessingS3DataDistributionType, ProcessingS3InputMode,
    ProcessingS3UploadMode, VpcConfig,
};
use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::{live_tags, one, set_sagemaker_tags, tags_of};
use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

fn text() -> Attribute {
    Attribute::optional(Type::String).force_new()
}

fn needed(ty: Type) -> Attribute {
    Attribute::required(ty).force_new()
}

fn s3_uri_block() -> Schema {
    Schema::new().attr("s3_uri", text())
}

fn input_modes(s: Schema) -> Schema {
    s.attr("local_path", text().default("/opt/ml/processing/input"))
        .attr(
            "s3_data_distribution_type",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "s3_input_mode",
            Attribute::optional_computed(Type::String).force_new(),
        )
}

fn job_definition_schema() -> Schema {
    let app = Schema::new()
        .attr("image_uri", needed(Type::String))
        .attr(
            "environment",
            Attribute::optional(Type::map(Type::String)).force_new(),
        )
        .attr("post_analytics_processor_source_uri", text())
        .attr("record_preprocessor_source_uri", text());
    let baseline = Schema::new()
        .block("constraints_resource", one(s3_uri_block(), false))
        .block("statistics_resource", one(s3_uri_block(), false));
    let format = Schema::new()
        .block(
            "csv",
            one(
                Schema::new().attr("header", Attribute::optional(Type::Bool).force_new()),
                false,
            ),
        )
        .block(
            "json",
            one(
                Schema::new().attr("line", Attribute::optional(Type::Bool).force_new()),
                false,
            ),
        );
    let batch = input_modes(
        Schema::new()
            .attr("data_captured_destination_s3_uri", needed(Type::String))
            .block("dataset_format", one(format, true)),
    );
    let endpoint = input_modes(Schema::new().attr("endpoint_name", needed(Type::String)));
    let input = Schema::new()
        .block("batch_transform_input", one(batch, false))
        .block("endpoint_input", one(endpoint, false));
    let s3_output = Schema::new()
        .attr("s3_uri", needed(Type::String))
        .attr("local_path", text().default("/opt/ml/processing/output"))
        .attr(
            "s3_upload_mode",
            Attribute::optional_computed(Type::String).force_new(),
        );
    let output = Schema::new().attr("kms_key_id", text()).block(
        "monitoring_outputs",
        one(Schema::new().block("s3_output", one(s3_output, true)), true),
    );
    let cluster = Schema::new()
        .attr("instance_count", needed(Type::Number))
        .attr("instance_type", needed(Type::String))
        .attr("volume_size_in_gb", needed(Type::Number))
        .attr("volume_kms_key_id", text());
    let vpc = Schema::new()
        .attr("security_group_ids", needed(Type::set(Type::String)))
        .attr("subnets", needed(Type::set(Type::String)));
    let network = Schema::new()
        .attr(
            "enable_inter_container_traffic_encryption",
            Attribute::optional(Type::Bool).force_new(),
        )
        .attr(
            "enable_network_isolation",
            Attribute::optional(Type::Bool).force_new(),
        )
        .block("vpc_config", one(vpc, false));
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("arn", Attribute::computed(Type::String))
        // No API changes a job definition: a new role is a new definition.
        .attr("role_arn", needed(Type::String))
        .block("data_quality_app_specification", one(app, true))
        .block("data_quality_baseline_config", one(baseline, false))
        .block("data_quality_job_input", one(input, true))
        .block("data_quality_job_output_config", one(output, true))
        .block(
            "job_resources",
            one(
                Schema::new().block("cluster_config", one(cluster, true)),
                true,
            ),
        )
        .block("network_config", one(network, false))
        .block(
            "stopping_condition",
            one(
                Schema::new().attr(
                    "max_runtime_in_seconds",
                    Attribute::optional(Type::Number).force_new(),
                ),
                false,
            ),
        )
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct JobDefinitionModel {
    id: String,
    name: String,
    arn: Option<String>,
    role_arn: String,
    data_quality_app_specification: Vec<AppSpec>,
    data_quality_baseline_config: Vec<Baseline>,
    data_quality_job_input: Vec<JobInput>,
    data_quality_job_output_config: Vec<OutputConfig>,
    job_resources: Vec<Resources>,
    network_config: Vec<Network>,
    stopping_condition: Vec<Stopping>,
    tags_all: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct AppSpec {
    image_uri: String,
    environment: Option<BTreeMap<String, String>>,
    post_analytics_processor_source_uri: Option<String>,
    record_preprocessor_source_uri: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct S3Uri {
    s3_uri: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Baseline {
    constraints_resource: Vec<S3Uri>,
    statistics_resource: Vec<S3Uri>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct JobInput {
    batch_transform_input: Vec<BatchInput>,
    endpoint_input: Vec<EndpointIn>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct BatchInput {
    data_captured_destination_s3_uri: String,
    dataset_format: Vec<Format>,
    local_path: Option<String>,
    s3_data_distribution_type: Option<String>,
    s3_input_mode: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Format {
    csv: Vec<Csv>,
    json: Vec<Json>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Csv {
    header: Option<bool>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Json {
    line: Option<bool>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct EndpointIn {
    endpoint_name: String,
    local_path: Option<String>,
    s3_data_distribution_type: Option<String>,
    s3_input_mode: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct OutputConfig {
    kms_key_id: Option<String>,
    monitoring_outputs: Vec<Output>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Output {
    s3_output: Vec<S3Out>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct S3Out {
    s3_uri: String,
    local_path: Option<String>,
    s3_upload_mode: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Resources {
    cluster_config: Vec<Cluster>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Cluster {
    instance_count: i32,
    instance_type: String,
    volume_size_in_gb: i32,
    volume_kms_key_id: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Network {
    enable_inter_container_traffic_encryption: Option<bool>,
    enable_network_isolation: Option<bool>,
    vpc_config: Vec<Vpc>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Vpc {
    security_group_ids: Vec<String>,
    subnets: Vec<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Stopping {
    max_runtime_in_seconds: Option<i32>,
}

fn s3_input_mode(v: &Option<String>) -> Option<ProcessingS3InputMode> {
    v.as_deref().map(ProcessingS3InputMode::from)
}

fn distribution(v: &Option<String>) -> Option<ProcessingS3DataDistributionType> {
    v.as_deref().map(ProcessingS3DataDistributionType::from)
}

fn job_input(m: &JobInput) -> DataQualityJobInput {
    let endpoint = m.endpoint_input.first().map(|e| {
        EndpointInput::builder()
            .endpoint_name(&e.endpoint_name)
            .set_local_path(e.local_path.clone())
            .set_s3_input_mode(s3_input_mode(&e.s3_input_mode))
            .set_s3_data_distribution_type(distribution(&e.s3_data_distribution_type))
            .build()
    });
    let batch = m.batch_transform_input.first().map(|b| {
        let format = b.dataset_format.first().map(|f| {
            MonitoringDatasetFormat::builder()
                .set_csv(f.csv.first().map(|c| {
                    MonitoringCsvDatasetFormat::builder()
                        .set_header(c.header)
                        .build()
                }))
                .set_json(f.json.first().map(|j| {
                    MonitoringJsonDatasetFormat::builder()
                        .set_line(j.line)
                        .build()
                }))
                .build()
        });
        BatchTransformInput::builder()
            .data_captured_destination_s3_uri(&b.data_captured_destination_s3_uri)
            .set_dataset_format(format)
            .set_local_path(b.local_path.clone())
            .set_s3_input_mode(s3_input_mode(&b.s3_input_mode))
            .set_s3_data_distribution_type(distribution(&b.s3_data_distribution_type))
            .build()
    });
    DataQualityJobInput::builder()
        .set_endpoint_input(endpoint)
        .set_batch_transform_input(batch)
        .build()
}

fn job_input_model(i: &DataQualityJobInput) -> JobInput {
    let modes = |m: Option<&ProcessingS3InputMode>,
                 d: Option<&ProcessingS3DataDistributionType>| {
        (
            m.map(|m| m.as_str().to_string()),
            d.map(|d| d.as_str().to_string()),
        )
    };
    JobInput {
        endpoint_input: i
            .endpoint_input()
            .map(|e| {
                let (mode, dist) = modes(e.s3_input_mode(), e.s3_data_distribution_type());
                EndpointIn {
                    endpoint_name: e.endpoint_name().unwrap_or_default().to_string(),
                    local_path: e.local_path().map(str::to_string),
                    s3_input_mode: mode,
                    s3_data_distribution_type: dist,
                }
            })
            .into_iter()
            .collect(),
        batch_transform_input: i
            .batch_transform_input()
            .map(|b| {
                let (mode, dist) = modes(b.s3_input_mode(), b.s3_data_distribution_type());
                BatchInput {
                    data_captured_destination_s3_uri: b
                        .data_captured_destination_s3_uri()
                        .unwrap_or_default()
                        .to_string(),
                    dataset_format: b
                        .dataset_format()
                        .map(|f| Format {
                            csv: f
                                .csv()
                                .map(|c| Csv { header: c.header() })
                                .into_iter()
                                .collect(),
                            json: f
                                .json()
                                .map(|j| Json { line: j.line() })
                                .into_iter()
                                .collect(),
                        })
                        .into_iter()
                        .collect(),
                    local_path: b.local_path().map(str::to_string),
                    s3_input_mode: mode,
                    s3_data_distribution_type: dist,
                }
            })
            .into_iter()
            .collect(),
    }
}

fn output_config(m: &OutputConfig) -> MonitoringOutputConfig {
    MonitoringOutputConfig::builder()
        .set_kms_key_id(m.kms_key_id.clone())
        .set_monitoring_outputs(Some(
            m.monitoring_outputs
                .iter()
                .map(|o| {
                    MonitoringOutput::builder()
                        .set_s3_output(o.s3_output.first().map(|s| {
                            MonitoringS3Output::builder()
                                .s3_uri(&s.s3_uri)
                                .set_local_path(s.local_path.clone())
                                .set_s3_upload_mode(
                                    s.s3_upload_mode
                                        .as_deref()
                                        .map(ProcessingS3UploadMode::from),
                                )
                                .build()
                        }))
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn output_model(o: &MonitoringOutputConfig) -> OutputConfig {
    OutputConfig {
        kms_key_id: o.kms_key_id().map(str::to_string),
        monitoring_outputs: o
            .monitoring_outputs()
            .iter()
            .map(|o| Output {
                s3_output: o
                    .s3_output()
                    .map(|s| S3Out {
                        s3_uri: s.s3_uri().unwrap_or_default().to_string(),
                        local_path: s.local_path().map(str::to_string),
                        s3_upload_mode: s.s3_upload_mode().map(|m| m.as_str().to_string()),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect(),
    }
}

fn network(m: &Network) -> MonitoringNetworkConfig {
    MonitoringNetworkConfig::builder()
        .set_enable_inter_container_traffic_encryption(m.enable_inter_container_traffic_encryption)
        .set_enable_network_isolation(m.enable_network_isolation)
        .set_vpc_config(m.vpc_config.first().map(|v| {
            VpcConfig::builder()
                .set_security_group_ids(Some(v.security_group_ids.clone()))
                .set_subnets(Some(v.subnets.clone()))
                .build()
        }))
        .build()
}

fn network_model(n: &MonitoringNetworkConfig) -> Option<Network> {
    let vpc: Vec<Vpc> = n
        .vpc_config()
        .map(|v| Vpc {
            security_group_ids: v.security_group_ids().to_vec(),
            subnets: v.subnets().to_vec(),
        })
        .into_iter()
        .collect();
    let empty = n.enable_inter_container_traffic_encryption().is_none()
        && n.enable_network_isolation().is_none()
        && vpc.is_empty();
    (!empty).then(|| Network {
        enable_inter_container_traffic_encryption: n.enable_inter_container_traffic_encryption(),
        enable_network_isolation: n.enable_network_isolation(),
        vpc_config: vpc,
    })
}

#[derive(Default)]
pub struct DataQualityJobDefinition;

#[async_trait::async_trait]
impl AwsResource for DataQualityJobDefinition {
    type Model = JobDefinitionModel;
    const TYPE: &'static str = "aws_sagemaker_data_quality_job_definition";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-"));
    /// AWS chooses a stopping condition when none is given.
    const COMPUTED_BLOCKS: &'static [&'static str] = &["stopping_condition"];

    fn schema() -> Schema {
        job_definition_schema()
    }

    async fn create(
        &self,
        c: &Clients,
        m: &JobDefinitionModel,
    ) -> Result<Created<JobDefinitionModel>, ProviderError> {
        let app = m.data_quality_app_specification.first().map(|a| {
            DataQualityAppSpecification::builder()
                .image_uri(&a.image_uri)
                .set_environment(a.environment.clone().map(|e| e.into_iter().collect()))
                .set_post_analytics_processor_source_uri(
                    a.post_analytics_processor_source_uri.clone(),
                )
                .set_record_preprocessor_source_uri(a.record_preprocessor_source_uri.clone())
                .build()
        });
        let baseline = m.data_quality_baseline_config.first().map(|b| {
            DataQualityBaselineConfig::builder()
                .set_constraints_resource(b.constraints_resource.first().map(|r| {
                    MonitoringConstraintsResource::builder()
                        .set_s3_uri(r.s3_uri.clone())
                        .build()
                }))
                .set_statistics_resource(b.statistics_resource.first().map(|r| {
                    MonitoringStatisticsResource::builder()
                        .set_s3_uri(r.s3_uri.clone())
                        .build()
                }))
                .build()
        });
        let resources = m.job_resources.first().map(|r| {
            MonitoringResources::builder()
                .set_cluster_config(r.cluster_config.first().map(|cc| {
                    MonitoringClusterConfig::builder()
                        .instance_count(cc.instance_count)
                        .instance_type(ProcessingInstanceType::from(cc.instance_type.as_str()))
                        .volume_size_in_gb(cc.volume_size_in_gb)
                        .set_volume_kms_key_id(cc.volume_kms_key_id.clone())
                        .build()
                }))
                .build()
        });
        let stopping = m.stopping_condition.first().and_then(|s| {
            s.max_runtime_in_seconds.map(|secs| {
                MonitoringStoppingCondition::builder()
                    .max_runtime_in_seconds(secs)
                    .build()
            })
        });
        c.sagemaker
            .create_data_quality_job_definition()
            .job_definition_name(&m.name)
            .role_arn(&m.role_arn)
            .set_data_quality_app_specification(app)
            .set_data_quality_baseline_config(baseline)
            .set_data_quality_job_input(m.data_quality_job_input.first().map(job_input))
            .set_data_quality_job_output_config(
                m.data_quality_job_output_config.first().map(output_config),
            )
            .set_job_resources(resources)
            .set_network_config(m.network_config.first().map(network))
            .set_stopping_condition(stopping)
            .set_tags(Some(tags_of(&m.tags_all)).filter(|t| !t.is_empty()))
            .send()
            .await
            .call("sagemaker:CreateDataQualityJobDefinition")?;
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &JobDefinitionModel,
    ) -> Result<Option<JobDefinitionModel>, ProviderError> {
        let Some(d) = c
            .sagemaker
            .describe_data_quality_job_definition()
            .job_definition_name(&m.id)
            .send()
            .await
            .found("sagemaker:DescribeDataQualityJobDefinition")?
        else {
            return Ok(None);
        };
        let arn = d.job_definition_arn().unwrap_or_default().to_string();
        let app = d.data_quality_app_specification().map(|a| AppSpec {
            image_uri: a.image_uri().unwrap_or_default().to_string(),
            environment: a
                .environment()
                .filter(|e| !e.is_empty())
                .map(|e| e.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            post_analytics_processor_source_uri: a
                .post_analytics_processor_source_uri()
                .map(str::to_string),
            record_preprocessor_source_uri: a.record_preprocessor_source_uri().map(str::to_string),
        });
        let baseline = d
            .data_quality_baseline_config()
            .map(|b| Baseline {
                constraints_resource: b
                    .constraints_resource()
                    .map(|r| S3Uri {
                        s3_uri: r.s3_uri().map(str::to_string),
                    })
                    .into_iter()
                    .collect(),
                statistics_resource: b
                    .statistics_resource()
                    .map(|r| S3Uri {
                        s3_uri: r.s3_uri().map(str::to_string),
                    })
                    .into_iter()
                    .collect(),
            })
            .filter(|b| !b.constraints_resource.is_empty() || !b.statistics_resource.is_empty());
        let resources = d.job_resources().map(|r| Resources {
            cluster_config: r
                .cluster_config()
                .map(|cc| Cluster {
                    instance_count: cc.instance_count().unwrap_or_default(),
                    instance_type: cc
                        .instance_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    volume_size_in_gb: cc.volume_size_in_gb().unwrap_or_default(),
                    volume_kms_key_id: cc.volume_kms_key_id().map(str::to_string),
                })
                .into_iter()
                .collect(),
        });
        let stopping: Vec<Stopping> = d
            .stopping_condition()
            .and_then(|s| s.max_runtime_in_seconds())
            .map(|secs| Stopping {
                max_runtime_in_seconds: Some(secs),
            })
            .into_iter()
            .collect();
        Ok(Some(JobDefinitionModel {
            id: m.id.clone(),
            name: d.job_definition_name().unwrap_or_default().to_string(),
            role_arn: d.role_arn().unwrap_or_default().to_string(),
            data_quality_app_specification: app.into_iter().collect(),
            data_quality_baseline_config: baseline.into_iter().collect(),
            data_quality_job_input: d
                .data_quality_job_input()
                .map(job_input_model)
                .into_iter()
                .collect(),
            data_quality_job_output_config: d
                .data_quality_job_output_config()
                .map(output_model)
                .into_iter()
                .collect(),
            job_resources: resources.into_iter().collect(),
            network_config: d
                .network_config()
                .and_then(network_model)
                .into_iter()
                .collect(),
            stopping_condition: stopping,
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &JobDefinitionModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        set_sagemaker_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &JobDefinitionModel) -> Result<(), ProviderError> {
        c.sagemaker
            .delete_data_quality_job_definition()
            .job_definition_name(&m.id)
            .send()
            .await
            .gone_ok("sagemaker:DeleteDataQualityJobDefinition")
    }
}
