//! Application Auto Scaling: `aws_appautoscaling_target` (a scalable dimension with its
//! capacity range, for example a SageMaker variant's instance count) and
//! `aws_appautoscaling_policy` (target tracking with predefined or custom metrics and
//! cooldowns, or step scaling). Both are keyed by service namespace, resource ID and
//! dimension; a change of those replaces them, everything else is updated in place.
//! Import IDs as terraform-provider-aws: `namespace/resource-id/dimension` for a target and
//! `namespace/resource-id/dimension/policy-name` for a policy.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, CustomizedMetricSpecification, MetricAggregationType, MetricDimension,
    MetricStatistic, MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalingPolicy, ServiceNamespace, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingScalingPolicyConfiguration,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, Value, ValueMap,
};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult};
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
        .attr("arn", Attribute::computed(Type::String))
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::InvalidConfig(e.to_string())
}

/// What names a scalable target: its service namespace, resource ID and dimension.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct Key {
    service_namespace: String,
    resource_id: String,
    scalable_dimension: String,
}

impl Key {
    fn namespace(&self) -> ServiceNamespace {
        ServiceNamespace::from(self.service_namespace.as_str())
    }
    fn dimension(&self) -> ScalableDimension {
        ScalableDimension::from(self.scalable_dimension.as_str())
    }
    fn import_model(id: &str, with_policy: bool) -> Result<Value, ProviderError> {
        let (namespace, resource_id, dimension, name) = split_import_id(id, with_policy)?;
        let mut m = Value::object([
            ("service_namespace", Value::from(namespace)),
            ("resource_id", Value::from(resource_id.as_str())),
            ("scalable_dimension", Value::from(dimension)),
            ("id", Value::from(resource_id.as_str())),
        ]);
        if let (true, Value::Map(m)) = (with_policy, &mut m) {
            m.insert("name".into(), Value::from(name.as_str()));
            m.insert("id".into(), Value::from(name));
        }
        Ok(m)
    }
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

#[derive(Default)]
pub struct Target;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TargetModel {
    id: String,
    #[serde(flatten)]
    key: Key,
    min_capacity: i32,
    max_capacity: i32,
    role_arn: Option<String>,
    arn: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
}

async fn register(c: &Clients, m: &TargetModel, tags: bool) -> Result<(), ProviderError> {
    c.autoscaling
        .register_scalable_target()
        .service_namespace(m.key.namespace())
        .resource_id(&m.key.resource_id)
        .scalable_dimension(m.key.dimension())
        .min_capacity(m.min_capacity)
        .max_capacity(m.max_capacity)
        .set_role_arn(m.role_arn.clone())
        .set_tags(
            Some(m.tags_all.clone().unwrap_or_default().into_iter().collect())
                .filter(|t: &std::collections::HashMap<_, _>| tags && !t.is_empty()),
        )
        .send()
        .await
        .call("application-autoscaling:RegisterScalableTarget")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Target {
    type Model = TargetModel;
    const TYPE: &'static str = "aws_appautoscaling_target";
    const TAGGED: bool = true;
    const ID_ATTRIBUTE: Option<&'static str> = Some("resource_id");

    fn schema() -> Schema {
        key_schema(Schema::new())
            .attr("min_capacity", Attribute::required(Type::Number))
            .attr("max_capacity", Attribute::required(Type::Number))
            .attr("role_arn", Attribute::optional_computed(Type::String))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        Key::import_model(id, false)
    }

    async fn create(
        &self,
        c: &Clients,
        m: &TargetModel,
    ) -> Result<Created<TargetModel>, ProviderError> {
        register(c, m, true).await?;
        Ok(m.key.resource_id.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &TargetModel,
    ) -> Result<Option<TargetModel>, ProviderError> {
        let out = c
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(m.key.namespace())
            .resource_ids(&m.key.resource_id)
            .scalable_dimension(m.key.dimension())
            .send()
            .await
            .call("application-autoscaling:DescribeScalableTargets")?;
        let Some(t) = out.scalable_targets().iter().find(|t| {
            t.resource_id() == m.key.resource_id
                && t.scalable_dimension().as_str() == m.key.scalable_dimension
        }) else {
            return Ok(None);
        };
        let arn = t.scalable_target_arn().map(str::to_string);
        let tags = match &arn {
            Some(arn) => c
                .autoscaling
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .call("application-autoscaling:ListTagsForResource")?
                .tags
                .unwrap_or_default()
                .into_iter()
                .collect(),
            None => BTreeMap::new(),
        };
        Ok(Some(TargetModel {
            id: t.resource_id().to_string(),
            key: Key {
                service_namespace: t.service_namespace().as_str().to_string(),
                resource_id: t.resource_id().to_string(),
                scalable_dimension: t.scalable_dimension().as_str().to_string(),
            },
            min_capacity: t.min_capacity(),
            max_capacity: t.max_capacity(),
            role_arn: Some(t.role_arn().to_string()).filter(|r| !r.is_empty()),
            arn,
            tags_all: Some(tags),
        }))
    }

    /// RegisterScalableTarget on an existing target updates it; tags go separately.
    async fn update(
        &self,
        c: &Clients,
        _old: &TargetModel,
        new: &TargetModel,
    ) -> Result<(), ProviderError> {
        register(c, new, false).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &TargetModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        let Some(arn) = &m.arn else {
            return Ok(());
        };
        if !remove.is_empty() {
            c.autoscaling
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .call("application-autoscaling:UntagResource")?;
        }
        if !set.is_empty() {
            c.autoscaling
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .call("application-autoscaling:TagResource")?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &TargetModel) -> Result<(), ProviderError> {
        c.autoscaling
            .deregister_scalable_target()
            .service_namespace(m.key.namespace())
            .resource_id(&m.key.resource_id)
            .scalable_dimension(m.key.dimension())
            .send()
            .await
            .gone_ok("application-autoscaling:DeregisterScalableTarget")
    }
}

// ---- aws_appautoscaling_policy ----------------------------------------------------------------

#[derive(Default)]
pub struct Policy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PolicyModel {
    id: String,
    #[serde(flatten)]
    key: Key,
    name: String,
    policy_type: Option<String>,
    arn: Option<String>,
    alarm_arns: Vec<String>,
    step_scaling_policy_configuration: Option<StepConfig>,
    target_tracking_scaling_policy_configuration: Option<TrackingConfig>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct StepConfig {
    adjustment_type: Option<String>,
    cooldown: Option<i32>,
    metric_aggregation_type: Option<String>,
    min_adjustment_magnitude: Option<i32>,
    step_adjustment: Vec<Step>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Step {
    metric_interval_lower_bound: Option<f64>,
    metric_interval_upper_bound: Option<f64>,
    scaling_adjustment: i32,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TrackingConfig {
    target_value: f64,
    disable_scale_in: Option<bool>,
    scale_in_cooldown: Option<i32>,
    scale_out_cooldown: Option<i32>,
    predefined_metric_specification: Option<Predefined>,
    customized_metric_specification: Option<Customized>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Predefined {
    predefined_metric_type: String,
    resource_label: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Customized {
    metric_name: String,
    namespace: String,
    statistic: String,
    unit: Option<String>,
    dimensions: Vec<NameValue>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NameValue {
    name: String,
    value: String,
}

fn block(nesting: Nesting, block: Schema) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items: 0,
        max_items: (nesting == Nesting::Single).then_some(1),
        force_new: false,
    }
}

fn policy_schema() -> Schema {
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
        .block("step_adjustment", block(Nesting::Set, step_adjustment));
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
        .block("dimensions", block(Nesting::Set, dimension));
    let target_tracking = Schema::new()
        .attr("target_value", Attribute::required(Type::Number))
        .attr("disable_scale_in", Attribute::optional(Type::Bool))
        .attr("scale_in_cooldown", Attribute::optional(Type::Number))
        .attr("scale_out_cooldown", Attribute::optional(Type::Number))
        .block(
            "predefined_metric_specification",
            block(Nesting::Single, predefined),
        )
        .block(
            "customized_metric_specification",
            block(Nesting::Single, customized),
        );
    key_schema(Schema::new())
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("policy_type", Attribute::optional_computed(Type::String))
        .attr("alarm_arns", Attribute::computed(Type::list(Type::String)))
        .block(
            "step_scaling_policy_configuration",
            block(Nesting::Single, step),
        )
        .block(
            "target_tracking_scaling_policy_configuration",
            block(Nesting::Single, target_tracking),
        )
}

fn step_config(s: &StepConfig) -> Result<StepScalingPolicyConfiguration, ProviderError> {
    let adjustments = s
        .step_adjustment
        .iter()
        .map(|a| {
            StepAdjustment::builder()
                .set_metric_interval_lower_bound(a.metric_interval_lower_bound)
                .set_metric_interval_upper_bound(a.metric_interval_upper_bound)
                .scaling_adjustment(a.scaling_adjustment)
                .build()
                .map_err(invalid)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StepScalingPolicyConfiguration::builder()
        .set_adjustment_type(s.adjustment_type.as_deref().map(AdjustmentType::from))
        .set_cooldown(s.cooldown)
        .set_metric_aggregation_type(
            s.metric_aggregation_type
                .as_deref()
                .map(MetricAggregationType::from),
        )
        .set_min_adjustment_magnitude(s.min_adjustment_magnitude)
        .set_step_adjustments(Some(adjustments))
        .build())
}

fn tracking_config(
    t: &TrackingConfig,
) -> Result<TargetTrackingScalingPolicyConfiguration, ProviderError> {
    let predefined = t
        .predefined_metric_specification
        .as_ref()
        .map(|p| {
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::from(p.predefined_metric_type.as_str()))
                .set_resource_label(p.resource_label.clone())
                .build()
                .map_err(invalid)
        })
        .transpose()?;
    let customized = t
        .customized_metric_specification
        .as_ref()
        .map(|c| {
            let dimensions = c
                .dimensions
                .iter()
                .map(|d| {
                    MetricDimension::builder()
                        .name(&d.name)
                        .value(&d.value)
                        .build()
                        .map_err(invalid)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, ProviderError>(
                CustomizedMetricSpecification::builder()
                    .metric_name(&c.metric_name)
                    .namespace(&c.namespace)
                    .statistic(MetricStatistic::from(c.statistic.as_str()))
                    .set_unit(c.unit.clone())
                    .set_dimensions((!dimensions.is_empty()).then_some(dimensions))
                    .build(),
            )
        })
        .transpose()?;
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(t.target_value)
        .set_disable_scale_in(t.disable_scale_in)
        .set_scale_in_cooldown(t.scale_in_cooldown)
        .set_scale_out_cooldown(t.scale_out_cooldown)
        .set_predefined_metric_specification(predefined)
        .set_customized_metric_specification(customized)
        .build()
        .map_err(invalid)
}

/// The policy in the model's shape, from DescribeScalingPolicies.
fn live_policy(p: &ScalingPolicy) -> PolicyModel {
    let step = p.step_scaling_policy_configuration().map(|s| StepConfig {
        adjustment_type: s.adjustment_type().map(|a| a.as_str().to_string()),
        cooldown: s.cooldown(),
        metric_aggregation_type: s.metric_aggregation_type().map(|a| a.as_str().to_string()),
        min_adjustment_magnitude: s.min_adjustment_magnitude(),
        step_adjustment: s
            .step_adjustments()
            .iter()
            .map(|a| Step {
                metric_interval_lower_bound: a.metric_interval_lower_bound(),
                metric_interval_upper_bound: a.metric_interval_upper_bound(),
                scaling_adjustment: a.scaling_adjustment(),
            })
            .collect(),
    });
    let tracking = p
        .target_tracking_scaling_policy_configuration()
        .map(|t| TrackingConfig {
            target_value: t.target_value(),
            disable_scale_in: t.disable_scale_in(),
            scale_in_cooldown: t.scale_in_cooldown(),
            scale_out_cooldown: t.scale_out_cooldown(),
            predefined_metric_specification: t.predefined_metric_specification().map(|m| {
                Predefined {
                    predefined_metric_type: m.predefined_metric_type().as_str().to_string(),
                    resource_label: m.resource_label().map(str::to_string),
                }
            }),
            customized_metric_specification: t.customized_metric_specification().map(|c| {
                Customized {
                    metric_name: c.metric_name().unwrap_or_default().to_string(),
                    namespace: c.namespace().unwrap_or_default().to_string(),
                    statistic: c.statistic().map_or("", |s| s.as_str()).to_string(),
                    unit: c.unit().map(str::to_string),
                    dimensions: c
                        .dimensions()
                        .iter()
                        .map(|d| NameValue {
                            name: d.name().to_string(),
                            value: d.value().to_string(),
                        })
                        .collect(),
                }
            }),
        });
    PolicyModel {
        id: p.policy_name().to_string(),
        key: Key {
            service_namespace: p.service_namespace().as_str().to_string(),
            resource_id: p.resource_id().to_string(),
            scalable_dimension: p.scalable_dimension().as_str().to_string(),
        },
        name: p.policy_name().to_string(),
        policy_type: Some(p.policy_type().as_str().to_string()),
        arn: Some(p.policy_arn().to_string()),
        alarm_arns: p
            .alarms()
            .iter()
            .map(|a| a.alarm_arn().to_string())
            .collect(),
        step_scaling_policy_configuration: step,
        target_tracking_scaling_policy_configuration: tracking,
    }
}

const STEP: &str = "step_scaling_policy_configuration";
const TRACKING: &str = "target_tracking_scaling_policy_configuration";

#[async_trait::async_trait]
impl AwsResource for Policy {
    type Model = PolicyModel;
    const TYPE: &'static str = "aws_appautoscaling_policy";
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        policy_schema()
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        Key::import_model(id, true)
    }

    /// The policy type follows from the configuration block when left out; step scaling
    /// aggregates by Average unless told; a changed configuration rewrites the alarms of a
    /// target-tracking policy.
    fn modify_plan(prior: Option<&Value>, planned: &mut ValueMap) {
        let set = |k: &str| planned.get(k).is_some_and(|v| !v.is_null());
        let inferred = if set(TRACKING) && !set(STEP) {
            "TargetTrackingScaling"
        } else {
            "StepScaling"
        };
        let current = planned.get("policy_type").cloned().unwrap_or(Value::Null);
        // A type kept from state follows the configuration's block; a written one stays.
        let from_state = prior.is_some_and(|p| p.get_attr("policy_type").same_data(&current));
        if current.is_null() || current.is_unknown() || from_state {
            planned.insert("policy_type".into(), Value::from(inferred));
        }
        if let Some(Value::Map(s)) = planned.get_mut(STEP) {
            if s.get("metric_aggregation_type")
                .is_none_or(|v| v.is_null() || v.is_unknown())
            {
                s.insert("metric_aggregation_type".into(), Value::from("Average"));
            }
        }
        if let Some(prior) = prior {
            let changed = [STEP, TRACKING].iter().any(|k| {
                !prior
                    .get_attr(k)
                    .same_data(planned.get(*k).unwrap_or(&Value::Null))
            });
            if changed {
                planned.insert("alarm_arns".into(), Value::Unknown);
            }
        }
    }

    fn validate(p: &ValueMap) -> Result<(), ProviderError> {
        let set = |k: &str| p.get(k).is_some_and(|v| !v.is_null());
        if set(STEP) && set(TRACKING) {
            return Err(invalid(format!(
                "set one of {STEP} and {TRACKING}, not both"
            )));
        }
        if p.get("policy_type").and_then(Value::as_str) == Some("TargetTrackingScaling")
            && !set(TRACKING)
        {
            return Err(invalid(format!(
                "policy_type TargetTrackingScaling needs a {TRACKING} block"
            )));
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PolicyModel,
    ) -> Result<Created<PolicyModel>, ProviderError> {
        self.update(c, m, m).await?;
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &PolicyModel,
    ) -> Result<Option<PolicyModel>, ProviderError> {
        let out = c
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(m.key.namespace())
            .resource_id(&m.key.resource_id)
            .scalable_dimension(m.key.dimension())
            .policy_names(&m.name)
            .send()
            .await
            .call("application-autoscaling:DescribeScalingPolicies")?;
        Ok(out
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == m.name && p.resource_id() == m.key.resource_id)
            .map(live_policy))
    }

    /// PutScalingPolicy creates and replaces a policy.
    async fn update(
        &self,
        c: &Clients,
        _old: &PolicyModel,
        m: &PolicyModel,
    ) -> Result<(), ProviderError> {
        c.autoscaling
            .put_scaling_policy()
            .policy_name(&m.name)
            .policy_type(PolicyType::from(
                m.policy_type.as_deref().unwrap_or("StepScaling"),
            ))
            .service_namespace(m.key.namespace())
            .resource_id(&m.key.resource_id)
            .scalable_dimension(m.key.dimension())
            .set_step_scaling_policy_configuration(
                m.step_scaling_policy_configuration
                    .as_ref()
                    .map(step_config)
                    .transpose()?,
            )
            .set_target_tracking_scaling_policy_configuration(
                m.target_tracking_scaling_policy_configuration
                    .as_ref()
                    .map(tracking_config)
                    .transpose()?,
            )
            .send()
            .await
            .call("application-autoscaling:PutScalingPolicy")?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &PolicyModel) -> Result<(), ProviderError> {
        c.autoscaling
            .delete_scaling_policy()
            .policy_name(&m.name)
            .service_namespace(m.key.namespace())
            .resource_id(&m.key.resource_id)
            .scalable_dimension(m.key.dimension())
            .send()
            .await
            .gone_ok("application-autoscaling:DeleteScalingPolicy")
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
