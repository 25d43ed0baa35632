//! `aws_sagemaker_endpoint`: the endpoint and its deployment configuration (blue/green
//! traffic shifting, alarm rollback); create and update wait for InService within the
//! `timeouts`, and a Failed endpoint is an error with SageMaker's reason.

use std::collections::BTreeMap;
use std::time::Duration;

use mlform_provider::{poll_until, Poll};
use serde::{Deserialize, Serialize};

use super::monitor::{live_tags, tags_of};
use super::*;
use crate::framework::{AwsResource, Created, Naming, Timeouts};

fn endpoint_schema() -> Schema {
    let timeouts = Schema::new()
        .attr("create", Attribute::optional(Type::String))
        .attr("update", Attribute::optional(Type::String))
        .attr("delete", Attribute::optional(Type::String));
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("arn", Attribute::computed(Type::String))
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

#[derive(Default)]
pub struct Endpoint;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EndpointModel {
    id: String,
    name: String,
    arn: Option<String>,
    endpoint_config_name: String,
    /// In the schema's shape; converted with the SDK's types below.
    deployment_config: Option<serde_json::Value>,
    timeouts: Option<Timeouts>,
    tags_all: Option<BTreeMap<String, String>>,
}

impl EndpointModel {
    fn deployment_config(&self) -> Option<DeploymentConfig> {
        self.deployment_config
            .as_ref()
            .and_then(|d| deployment_config(&Value::from_json(d)))
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

/// Waits for InService; Failed is an error with SageMaker's reason.
async fn wait_in_service(c: &Clients, name: &str, timeout: Duration) -> Result<(), ProviderError> {
    poll_until(
        &format!("endpoint {name} to be InService"),
        timeout,
        || async {
            let out = c
                .sagemaker
                .describe_endpoint()
                .endpoint_name(name)
                .send()
                .await
                .map_err(|e| classify("sagemaker:DescribeEndpoint", &e))?;
            Ok(match out.endpoint_status() {
                Some(EndpointStatus::InService) => Poll::Ready(()),
                Some(EndpointStatus::Failed) => {
                    return Err(ProviderError::Api(format!(
                        "endpoint {name} failed: {}",
                        out.failure_reason().unwrap_or("no reason given")
                    )))
                }
                Some(other) => Poll::Pending(other.as_str().to_string()),
                None => Poll::Pending("no status yet".into()),
            })
        },
    )
    .await
}

#[async_trait::async_trait]
impl AwsResource for Endpoint {
    type Model = EndpointModel;
    const TYPE: &'static str = "aws_sagemaker_endpoint";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("tf-"));
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");
    /// mlform's own settings, never SageMaker's.
    const KEEP: &'static [&'static str] = &["timeouts"];

    fn schema() -> Schema {
        endpoint_schema()
    }

    async fn create(
        &self,
        c: &Clients,
        m: &EndpointModel,
    ) -> Result<Created<EndpointModel>, ProviderError> {
        let tags = tags_of(&m.tags_all);
        c.sagemaker
            .create_endpoint()
            .endpoint_name(&m.name)
            .endpoint_config_name(&m.endpoint_config_name)
            .set_deployment_config(m.deployment_config())
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateEndpoint", &e))?;
        Ok(m.name.clone().into())
    }

    async fn wait_created(&self, c: &Clients, m: &EndpointModel) -> Result<(), ProviderError> {
        wait_in_service(
            c,
            &m.id,
            Timeouts::of(m.timeouts.as_ref(), "create", Duration::from_secs(3600)),
        )
        .await
    }

    async fn read(
        &self,
        c: &Clients,
        m: &EndpointModel,
    ) -> Result<Option<EndpointModel>, ProviderError> {
        let out = match c
            .sagemaker
            .describe_endpoint()
            .endpoint_name(&m.id)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeEndpoint", &e)),
        };
        let arn = out.endpoint_arn().unwrap_or_default().to_string();
        // SageMaker reports the deployment configuration of the last update only.
        let deployment_config = out
            .last_deployment_config()
            .map(|d| deployment_config_value(d).to_json())
            .or_else(|| m.deployment_config.clone());
        Ok(Some(EndpointModel {
            id: m.id.clone(),
            name: out.endpoint_name().unwrap_or(&m.id).to_string(),
            endpoint_config_name: out.endpoint_config_name().unwrap_or_default().to_string(),
            deployment_config,
            timeouts: None,
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    /// A new endpoint configuration (or deployment configuration) rolls the endpoint:
    /// blue/green as configured, and SageMaker rolls back by itself when an auto-rollback
    /// alarm fires; the wait reports the failure, and the state keeps the prior
    /// configuration.
    async fn update(
        &self,
        c: &Clients,
        old: &EndpointModel,
        new: &EndpointModel,
    ) -> Result<(), ProviderError> {
        if old.endpoint_config_name == new.endpoint_config_name
            && old.deployment_config == new.deployment_config
        {
            return Ok(());
        }
        c.sagemaker
            .update_endpoint()
            .endpoint_name(&new.id)
            .endpoint_config_name(&new.endpoint_config_name)
            .set_deployment_config(new.deployment_config())
            .send()
            .await
            .map_err(|e| classify("sagemaker:UpdateEndpoint", &e))?;
        wait_in_service(
            c,
            &new.id,
            Timeouts::of(new.timeouts.as_ref(), "update", Duration::from_secs(3600)),
        )
        .await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &EndpointModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &EndpointModel) -> Result<(), ProviderError> {
        match c
            .sagemaker
            .delete_endpoint()
            .endpoint_name(&m.id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("sagemaker:DeleteEndpoint", &e)),
        }
        poll_until(
            &format!("endpoint {} to be deleted", m.id),
            Timeouts::of(m.timeouts.as_ref(), "delete", Duration::from_secs(1800)),
            || async {
                Ok(
                    match c
                        .sagemaker
                        .describe_endpoint()
                        .endpoint_name(&m.id)
                        .send()
                        .await
                    {
                        Err(e) if not_found(&e) => Poll::Ready(()),
                        Err(e) => return Err(classify("sagemaker:DescribeEndpoint", &e)),
                        Ok(o) => Poll::Pending(
                            o.endpoint_status()
                                .map_or("no status", |s| s.as_str())
                                .to_string(),
                        ),
                    },
                )
            },
        )
        .await
    }
}
