//! `aws_sagemaker_endpoint`: the endpoint and its deployment configuration (blue/green
//! traffic shifting, alarm rollback); create and update wait for InService.

use super::*;

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
        let name = crate::resources::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "tf-",
        );
        let created = self
            .clients
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
        match self.wait_in_service(&name, timeout).await {
            Ok(arn) => Ok(finish(planned, &name, &arn)),
            Err(e) => Err(ProviderError::incomplete(
                finish(planned, &name, created.endpoint_arn().unwrap_or_default()),
                e,
            )),
        }
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
            if let Err(e) = self.wait_in_service(&name, timeout).await {
                return Err(ProviderError::incomplete(
                    finish(planned, &name, &s(prior, "arn")),
                    e,
                ));
            }
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
            ("name_prefix", crate::resources::prefix_of_generated(id)),
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
