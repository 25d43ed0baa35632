//! Application Auto Scaling: `aws_appautoscaling_target` (a scalable dimension with its
//! capacity range, for example a SageMaker variant's instance count) and
//! `aws_appautoscaling_policy` (target tracking with predefined or custom metrics and
//! cooldowns, or step scaling). Both are keyed by service namespace, resource ID and
//! dimension; a change of those replaces them, everything else is updated in place.
//! Import IDs as terraform-provider-aws: `namespace/resource-id/dimension` for a target and
//! `namespace/resource-id/dimension/policy-name` for a policy.

use std::sync::Arc;

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, CustomizedMetricSpecification, MetricAggregationType, MetricDimension,
    MetricStatistic, MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalingPolicy, ServiceNamespace, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingScalingPolicyConfiguration,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};

use super::{int, int_value, num, opt_str, opt_value, string};
use crate::error::classify;
use crate::Clients;

fn key_schema(schema: Schema) -> Schema {
    schema
        .attr(
            "service_namespace",
            Attribute::required(Type::String).force_new(),
        )
        .attr("resource_id", Attribute::required(Type::String).force_new())
        .attr(
            "scalable_dimension",
            Attribute::required(Type::String).force_new(),
        )
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::InvalidConfig(e.to_string())
}

/// Splits `namespace/resource-id/dimension[/policy-name]`; the resource ID may contain `/`.
fn split_import_id(
    id: &str,
    with_policy: bool,
) -> Result<(String, String, String, String), ProviderError> {
    let parts: Vec<&str> = id.split('/').collect();
    let need = if with_policy { 4 } else { 3 };
    if parts.len() < need {
        let shape = if with_policy {
            "service-namespace/resource-id/scalable-dimension/policy-name"
        } else {
            "service-namespace/resource-id/scalable-dimension"
        };
        return Err(ProviderError::InvalidConfig(format!(
            "import ID {id:?} is not of the form {shape}"
        )));
    }
    let (policy, rest) = if with_policy {
        (
            parts[parts.len() - 1].to_string(),
            &parts[..parts.len() - 1],
        )
    } else {
        (String::new(), &parts[..])
    };
    Ok((
        rest[0].to_string(),
        rest[1..rest.len() - 1].join("/"),
        rest[rest.len() - 1].to_string(),
        policy,
    ))
}

// ---- aws_appautoscaling_target ----------------------------------------------------------------

pub fn target_schema() -> Schema {
    key_schema(Schema::new())
        .attr("min_capacity", Attribute::required(Type::Number))
        .attr("max_capacity", Attribute::required(Type::Number))
        .attr("role_arn", Attribute::optional_computed(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
}

pub struct Target {
    pub clients: Arc<Clients>,
}

impl Target {
    async fn describe(
        &self,
        namespace: &str,
        resource_id: &str,
        dimension: &str,
    ) -> Result<Option<aws_sdk_applicationautoscaling::types::ScalableTarget>, ProviderError> {
        let out = self
            .clients
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::from(namespace))
            .resource_ids(resource_id)
            .scalable_dimension(ScalableDimension::from(dimension))
            .send()
            .await
            .map_err(|e| classify("application-autoscaling:DescribeScalableTargets", &e))?;
        Ok(out
            .scalable_targets()
            .iter()
            .find(|t| {
                t.resource_id() == resource_id && t.scalable_dimension().as_str() == dimension
            })
            .cloned())
    }

    async fn register(&self, planned: &Value) -> Result<String, ProviderError> {
        let mut req = self
            .clients
            .autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::from(
                string(planned, "service_namespace").as_str(),
            ))
            .resource_id(string(planned, "resource_id"))
            .scalable_dimension(ScalableDimension::from(
                string(planned, "scalable_dimension").as_str(),
            ))
            .set_min_capacity(int(planned, "min_capacity"))
            .set_max_capacity(int(planned, "max_capacity"))
            .set_role_arn(opt_str(planned, "role_arn"));
        req = req.set_tags(super::string_map(planned.get_attr("tags_all")));
        let out = req
            .send()
            .await
            .map_err(|e| classify("application-autoscaling:RegisterScalableTarget", &e))?;
        Ok(out.scalable_target_arn().unwrap_or_default().to_string())
    }

    async fn live_tags(&self, arn: &str) -> Result<Value, ProviderError> {
        if arn.is_empty() {
            return Ok(Value::Map(Default::default()));
        }
        let out = self
            .clients
            .autoscaling
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| classify("application-autoscaling:ListTagsForResource", &e))?;
        Ok(super::tags_value(
            out.tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ))
    }

    fn finish(&self, planned: &Value, arn: &str, role_arn: Option<&str>) -> Value {
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(string(planned, "resource_id")));
        m.insert("arn".into(), Value::from(arn));
        if let Some(r) = role_arn {
            m.insert("role_arn".into(), Value::from(r));
        }
        Value::Map(m)
    }
}

#[async_trait::async_trait]
impl Resource for Target {
    fn schema(&self) -> Schema {
        target_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        m.insert(
            "tags_all".into(),
            self.clients.tags_all(request.config.get_attr("tags")),
        );
        m.insert("id".into(), request.config.get_attr("resource_id").clone());
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(t) = self
            .describe(
                &string(prior, "service_namespace"),
                &string(prior, "resource_id"),
                &string(prior, "scalable_dimension"),
            )
            .await?
        else {
            return Ok(None);
        };
        let mut m = prior.as_map().cloned().unwrap_or_default();
        let arn = t.scalable_target_arn().unwrap_or_default().to_string();
        m.insert(
            "service_namespace".into(),
            Value::from(t.service_namespace().as_str()),
        );
        m.insert("resource_id".into(), Value::from(t.resource_id()));
        m.insert(
            "scalable_dimension".into(),
            Value::from(t.scalable_dimension().as_str()),
        );
        m.insert("id".into(), Value::from(t.resource_id()));
        m.insert("min_capacity".into(), Value::from(t.min_capacity() as f64));
        m.insert("max_capacity".into(), Value::from(t.max_capacity() as f64));
        if !t.role_arn().is_empty() {
            m.insert("role_arn".into(), Value::from(t.role_arn()));
        }
        m.insert("arn".into(), Value::from(arn.as_str()));
        let all = self.live_tags(&arn).await?;
        m.insert(
            "tags".into(),
            self.clients.own_tags(&all, prior.get_attr("tags")),
        );
        m.insert("tags_all".into(), all);
        Ok(Some(target_schema().conform(&Value::Map(m))))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let arn = self.register(planned).await?;
        let live = self
            .describe(
                &string(planned, "service_namespace"),
                &string(planned, "resource_id"),
                &string(planned, "scalable_dimension"),
            )
            .await?;
        let role = live.as_ref().map(|t| t.role_arn().to_string());
        Ok(self.finish(planned, &arn, role.as_deref().filter(|r| !r.is_empty())))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        // RegisterScalableTarget on an existing target updates it; tags go separately.
        let mut untagged = planned.strip_marks();
        if let Value::Map(m) = &mut untagged {
            m.insert("tags_all".into(), Value::Null);
        }
        self.register(&untagged).await?;
        let arn = string(prior, "arn");
        if !arn.is_empty()
            && !prior
                .get_attr("tags_all")
                .same_data(planned.get_attr("tags_all"))
        {
            let (removed, set) = crate::client::tag_changes(
                prior.get_attr("tags_all"),
                planned.get_attr("tags_all"),
            );
            if !removed.is_empty() {
                self.clients
                    .autoscaling
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| classify("application-autoscaling:UntagResource", &e))?;
            }
            if !set.is_empty() {
                self.clients
                    .autoscaling
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .map_err(|e| classify("application-autoscaling:TagResource", &e))?;
            }
        }
        let role = string(prior, "role_arn");
        Ok(self.finish(
            planned,
            &arn,
            planned
                .get_attr("role_arn")
                .as_str()
                .or(Some(role.as_str()).filter(|r| !r.is_empty())),
        ))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .autoscaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::from(
                string(prior, "service_namespace").as_str(),
            ))
            .resource_id(string(prior, "resource_id"))
            .scalable_dimension(ScalableDimension::from(
                string(prior, "scalable_dimension").as_str(),
            ))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if crate::error::code(&e) == "ObjectNotFoundException" => Ok(()),
            Err(e) => Err(classify(
                "application-autoscaling:DeregisterScalableTarget",
                &e,
            )),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let (namespace, resource_id, dimension, _) = split_import_id(id, false)?;
        let prior = Value::object([
            ("service_namespace", Value::from(namespace)),
            ("resource_id", Value::from(resource_id)),
            ("scalable_dimension", Value::from(dimension)),
        ]);
        self.read(&prior).await
    }
}

// ---- aws_appautoscaling_policy ----------------------------------------------------------------

pub fn policy_schema() -> Schema {
    let step_adjustment = Schema::new()
        .attr(
            "metric_interval_lower_bound",
            Attribute::optional(Type::Number),
        )
        .attr(
            "metric_interval_upper_bound",
            Attribute::optional(Type::Number),
        )
        .attr("scaling_adjustment", Attribute::required(Type::Number));
    let step = Schema::new()
        .attr("adjustment_type", Attribute::optional(Type::String))
        .attr("cooldown", Attribute::optional(Type::Number))
        .attr(
            "metric_aggregation_type",
            Attribute::optional_computed(Type::String),
        )
        .attr(
            "min_adjustment_magnitude",
            Attribute::optional(Type::Number),
        )
        .block("step_adjustment", block(Nesting::Set, step_adjustment, 0));
    let predefined = Schema::new()
        .attr("predefined_metric_type", Attribute::required(Type::String))
        .attr("resource_label", Attribute::optional(Type::String));
    let dimension = Schema::new()
        .attr("name", Attribute::required(Type::String))
        .attr("value", Attribute::required(Type::String));
    let customized = Schema::new()
        .attr("metric_name", Attribute::required(Type::String))
        .attr("namespace", Attribute::required(Type::String))
        .attr("statistic", Attribute::required(Type::String))
        .attr("unit", Attribute::optional(Type::String))
        .block("dimensions", block(Nesting::Set, dimension, 0));
    let target_tracking = Schema::new()
        .attr("target_value", Attribute::required(Type::Number))
        .attr("disable_scale_in", Attribute::optional(Type::Bool))
        .attr("scale_in_cooldown", Attribute::optional(Type::Number))
        .attr("scale_out_cooldown", Attribute::optional(Type::Number))
        .block(
            "predefined_metric_specification",
            block(Nesting::Single, predefined, 0),
        )
        .block(
            "customized_metric_specification",
            block(Nesting::Single, customized, 0),
        );
    key_schema(Schema::new())
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("policy_type", Attribute::optional_computed(Type::String))
        .attr("alarm_arns", Attribute::computed(Type::list(Type::String)))
        .block(
            "step_scaling_policy_configuration",
            block(Nesting::Single, step, 0),
        )
        .block(
            "target_tracking_scaling_policy_configuration",
            block(Nesting::Single, target_tracking, 0),
        )
}

fn block(nesting: Nesting, block: Schema, min_items: usize) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items,
        max_items: if nesting == Nesting::Single {
            Some(1)
        } else {
            None
        },
        force_new: false,
    }
}

pub struct Policy {
    pub clients: Arc<Clients>,
}

fn step_config(v: &Value) -> StepScalingPolicyConfiguration {
    let mut b = StepScalingPolicyConfiguration::builder()
        .set_adjustment_type(
            opt_str(v, "adjustment_type").map(|s| AdjustmentType::from(s.as_str())),
        )
        .set_cooldown(int(v, "cooldown"))
        .set_metric_aggregation_type(
            opt_str(v, "metric_aggregation_type").map(|s| MetricAggregationType::from(s.as_str())),
        )
        .set_min_adjustment_magnitude(int(v, "min_adjustment_magnitude"));
    for a in v.get_attr("step_adjustment").as_list().unwrap_or_default() {
        if let Ok(adj) = StepAdjustment::builder()
            .set_metric_interval_lower_bound(num(a, "metric_interval_lower_bound"))
            .set_metric_interval_upper_bound(num(a, "metric_interval_upper_bound"))
            .set_scaling_adjustment(int(a, "scaling_adjustment"))
            .build()
        {
            b = b.step_adjustments(adj);
        }
    }
    b.build()
}

fn target_tracking_config(
    v: &Value,
) -> Result<TargetTrackingScalingPolicyConfiguration, ProviderError> {
    let mut b = TargetTrackingScalingPolicyConfiguration::builder()
        .set_target_value(num(v, "target_value"))
        .set_disable_scale_in(v.get_attr("disable_scale_in").as_bool())
        .set_scale_in_cooldown(int(v, "scale_in_cooldown"))
        .set_scale_out_cooldown(int(v, "scale_out_cooldown"));
    let pre = v.get_attr("predefined_metric_specification");
    if !pre.is_null() {
        b = b.predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::from(
                    string(pre, "predefined_metric_type").as_str(),
                ))
                .set_resource_label(opt_str(pre, "resource_label"))
                .build()
                .map_err(invalid)?,
        );
    }
    let custom = v.get_attr("customized_metric_specification");
    if !custom.is_null() {
        let mut c = CustomizedMetricSpecification::builder()
            .metric_name(string(custom, "metric_name"))
            .namespace(string(custom, "namespace"))
            .statistic(MetricStatistic::from(string(custom, "statistic").as_str()))
            .set_unit(opt_str(custom, "unit"));
        for d in custom.get_attr("dimensions").as_list().unwrap_or_default() {
            c = c.dimensions(
                MetricDimension::builder()
                    .name(string(d, "name"))
                    .value(string(d, "value"))
                    .build()
                    .map_err(invalid)?,
            );
        }
        b = b.customized_metric_specification(c.build());
    }
    b.build().map_err(invalid)
}

/// The policy as mlform's state shape, from DescribeScalingPolicies.
fn policy_value(p: &ScalingPolicy) -> Value {
    let step = p.step_scaling_policy_configuration().map(|s| {
        Value::object([
            (
                "adjustment_type",
                s.adjustment_type()
                    .map(|a| Value::from(a.as_str()))
                    .unwrap_or(Value::Null),
            ),
            ("cooldown", int_value(s.cooldown())),
            (
                "metric_aggregation_type",
                s.metric_aggregation_type()
                    .map(|a| Value::from(a.as_str()))
                    .unwrap_or(Value::Null),
            ),
            (
                "min_adjustment_magnitude",
                int_value(s.min_adjustment_magnitude()),
            ),
            (
                "step_adjustment",
                Value::List(
                    s.step_adjustments()
                        .iter()
                        .map(|a| {
                            Value::object([
                                (
                                    "metric_interval_lower_bound",
                                    a.metric_interval_lower_bound()
                                        .map(Value::from)
                                        .unwrap_or(Value::Null),
                                ),
                                (
                                    "metric_interval_upper_bound",
                                    a.metric_interval_upper_bound()
                                        .map(Value::from)
                                        .unwrap_or(Value::Null),
                                ),
                                (
                                    "scaling_adjustment",
                                    Value::from(a.scaling_adjustment() as f64),
                                ),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    });
    let tracking = p.target_tracking_scaling_policy_configuration().map(|t| {
        Value::object([
            ("target_value", Value::from(t.target_value())),
            (
                "disable_scale_in",
                t.disable_scale_in().map(Value::Bool).unwrap_or(Value::Null),
            ),
            ("scale_in_cooldown", int_value(t.scale_in_cooldown())),
            ("scale_out_cooldown", int_value(t.scale_out_cooldown())),
            (
                "predefined_metric_specification",
                t.predefined_metric_specification()
                    .map(|m| {
                        Value::object([
                            (
                                "predefined_metric_type",
                                Value::from(m.predefined_metric_type().as_str()),
                            ),
                            (
                                "resource_label",
                                m.resource_label().map(Value::from).unwrap_or(Value::Null),
                            ),
                        ])
                    })
                    .unwrap_or(Value::Null),
            ),
            (
                "customized_metric_specification",
                t.customized_metric_specification()
                    .map(|c| {
                        Value::object([
                            ("metric_name", opt_value(c.metric_name())),
                            ("namespace", opt_value(c.namespace())),
                            (
                                "statistic",
                                c.statistic()
                                    .map(|s| Value::from(s.as_str()))
                                    .unwrap_or(Value::Null),
                            ),
                            ("unit", opt_value(c.unit())),
                            (
                                "dimensions",
                                Value::List(
                                    c.dimensions()
                                        .iter()
                                        .map(|d| {
                                            Value::object([
                                                ("name", Value::from(d.name())),
                                                ("value", Value::from(d.value())),
                                            ])
                                        })
                                        .collect(),
                                ),
                            ),
                        ])
                    })
                    .unwrap_or(Value::Null),
            ),
        ])
    });
    Value::object([
        ("name", Value::from(p.policy_name())),
        ("id", Value::from(p.policy_name())),
        ("arn", Value::from(p.policy_arn())),
        ("policy_type", Value::from(p.policy_type().as_str())),
        (
            "service_namespace",
            Value::from(p.service_namespace().as_str()),
        ),
        ("resource_id", Value::from(p.resource_id())),
        (
            "scalable_dimension",
            Value::from(p.scalable_dimension().as_str()),
        ),
        (
            "alarm_arns",
            Value::List(
                p.alarms()
                    .iter()
                    .map(|a| Value::from(a.alarm_arn()))
                    .collect(),
            ),
        ),
        (
            "step_scaling_policy_configuration",
            step.unwrap_or(Value::Null),
        ),
        (
            "target_tracking_scaling_policy_configuration",
            tracking.unwrap_or(Value::Null),
        ),
    ])
}

impl Policy {
    async fn find(
        &self,
        namespace: &str,
        resource_id: &str,
        dimension: &str,
        name: &str,
    ) -> Result<Option<ScalingPolicy>, ProviderError> {
        let out = self
            .clients
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::from(namespace))
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::from(dimension))
            .policy_names(name)
            .send()
            .await
            .map_err(|e| classify("application-autoscaling:DescribeScalingPolicies", &e))?;
        Ok(out
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name && p.resource_id() == resource_id)
            .cloned())
    }

    async fn put(&self, planned: &Value) -> Result<Value, ProviderError> {
        let policy_type = opt_str(planned, "policy_type").unwrap_or_else(|| "StepScaling".into());
        let mut req = self
            .clients
            .autoscaling
            .put_scaling_policy()
            .policy_name(string(planned, "name"))
            .policy_type(PolicyType::from(policy_type.as_str()))
            .service_namespace(ServiceNamespace::from(
                string(planned, "service_namespace").as_str(),
            ))
            .resource_id(string(planned, "resource_id"))
            .scalable_dimension(ScalableDimension::from(
                string(planned, "scalable_dimension").as_str(),
            ));
        let step = planned.get_attr("step_scaling_policy_configuration");
        if !step.is_null() {
            req = req.step_scaling_policy_configuration(step_config(step));
        }
        let tracking = planned.get_attr("target_tracking_scaling_policy_configuration");
        if !tracking.is_null() {
            req =
                req.target_tracking_scaling_policy_configuration(target_tracking_config(tracking)?);
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify("application-autoscaling:PutScalingPolicy", &e))?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("arn".into(), Value::from(out.policy_arn()));
        m.insert("id".into(), Value::from(string(planned, "name")));
        m.insert("policy_type".into(), Value::from(policy_type));
        m.insert(
            "alarm_arns".into(),
            Value::List(
                out.alarms()
                    .iter()
                    .map(|a| Value::from(a.alarm_arn()))
                    .collect(),
            ),
        );
        if let Some(Value::Map(s)) = m.get_mut("step_scaling_policy_configuration") {
            if s.get("metric_aggregation_type")
                .is_none_or(|v| v.is_null() || v.is_unknown())
            {
                s.insert("metric_aggregation_type".into(), Value::from("Average"));
            }
        }
        Ok(policy_schema().conform(&Value::Map(m)))
    }
}

#[async_trait::async_trait]
impl Resource for Policy {
    fn schema(&self) -> Schema {
        policy_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let config = request.config;
        let step = !config
            .get_attr("step_scaling_policy_configuration")
            .is_null();
        let tracking = !config
            .get_attr("target_tracking_scaling_policy_configuration")
            .is_null();
        let declared = config.get_attr("policy_type").as_str();
        let policy_type = match (declared, step, tracking) {
            (_, true, true) => {
                return Err(ProviderError::InvalidConfig(
                    "set one of step_scaling_policy_configuration and target_tracking_scaling_policy_configuration, not both".into(),
                ))
            }
            (Some(t), _, _) => t.to_string(),
            (None, _, true) => "TargetTrackingScaling".to_string(),
            (None, _, false) => "StepScaling".to_string(),
        };
        if policy_type == "TargetTrackingScaling" && !tracking {
            return Err(ProviderError::InvalidConfig(
                "policy_type TargetTrackingScaling needs a target_tracking_scaling_policy_configuration block".into(),
            ));
        }
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        m.insert("policy_type".into(), Value::from(policy_type));
        m.insert("id".into(), config.get_attr("name").clone());
        if let Some(Value::Map(s)) = m.get_mut("step_scaling_policy_configuration") {
            if s.get("metric_aggregation_type")
                .is_none_or(|v| v.is_null() || v.is_unknown())
            {
                s.insert("metric_aggregation_type".into(), Value::from("Average"));
            }
        }
        if request.prior.is_some() && p.requires_replace.is_empty() {
            // PutScalingPolicy rewrites the alarms of a target-tracking policy.
            let config_changed = request
                .prior
                .map(|prior| {
                    [
                        "step_scaling_policy_configuration",
                        "target_tracking_scaling_policy_configuration",
                    ]
                    .iter()
                    .any(|k| {
                        !prior
                            .get_attr(k)
                            .same_data(m.get(*k).unwrap_or(&Value::Null))
                    })
                })
                .unwrap_or(false);
            if config_changed {
                m.insert("alarm_arns".into(), Value::Unknown);
            }
        }
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(p) = self
            .find(
                &string(prior, "service_namespace"),
                &string(prior, "resource_id"),
                &string(prior, "scalable_dimension"),
                &string(prior, "name"),
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(policy_schema().conform(&policy_value(&p))))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .autoscaling
            .delete_scaling_policy()
            .policy_name(string(prior, "name"))
            .service_namespace(ServiceNamespace::from(
                string(prior, "service_namespace").as_str(),
            ))
            .resource_id(string(prior, "resource_id"))
            .scalable_dimension(ScalableDimension::from(
                string(prior, "scalable_dimension").as_str(),
            ))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if crate::error::code(&e) == "ObjectNotFoundException" => Ok(()),
            Err(e) => Err(classify("application-autoscaling:DeleteScalingPolicy", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let (namespace, resource_id, dimension, name) = split_import_id(id, true)?;
        let prior = Value::object([
            ("service_namespace", Value::from(namespace)),
            ("resource_id", Value::from(resource_id)),
            ("scalable_dimension", Value::from(dimension)),
            ("name", Value::from(name)),
        ]);
        self.read(&prior).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_keep_slashes_of_the_resource_id() {
        let (ns, id, dim, name) = split_import_id(
            "sagemaker/endpoint/scorer/variant/variant-1/sagemaker:variant:DesiredInstanceCount/invocations",
            true,
        )
        .unwrap();
        assert_eq!(ns, "sagemaker");
        assert_eq!(id, "endpoint/scorer/variant/variant-1");
        assert_eq!(dim, "sagemaker:variant:DesiredInstanceCount");
        assert_eq!(name, "invocations");
        let (_, id, dim, _) =
            split_import_id("ecs/service/c/s/ecs:service:DesiredCount", false).unwrap();
        assert_eq!(id, "service/c/s");
        assert_eq!(dim, "ecs:service:DesiredCount");
        assert!(split_import_id("sagemaker/x", false).is_err());
    }
}
