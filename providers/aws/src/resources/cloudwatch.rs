//! `aws_cloudwatch_metric_alarm`: an alarm on one metric (latency, errors, invocations), or
//! on metric math and anomaly detection bands (`metric_query`, `threshold_metric_id`), with
//! its actions. PutMetricAlarm both creates and updates, so everything but the name changes
//! in place. Import ID: the alarm name. Also the alarm tagging both alarm kinds share.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm as LiveAlarm, MetricDataQuery, MetricStat,
    StandardUnit, Statistic, Tag,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, Value, ValueMap,
};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct MetricAlarm;

type Map = BTreeMap<String, String>;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricAlarmModel {
    id: String,
    alarm_name: String,
    alarm_description: Option<String>,
    comparison_operator: String,
    evaluation_periods: Option<i32>,
    datapoints_to_alarm: Option<i32>,
    metric_name: Option<String>,
    namespace: Option<String>,
    period: Option<i32>,
    statistic: Option<String>,
    extended_statistic: Option<String>,
    threshold: Option<f64>,
    unit: Option<String>,
    dimensions: Option<Map>,
    actions_enabled: Option<bool>,
    alarm_actions: Option<Vec<String>>,
    ok_actions: Option<Vec<String>>,
    insufficient_data_actions: Option<Vec<String>>,
    treat_missing_data: Option<String>,
    evaluate_low_sample_count_percentiles: Option<String>,
    threshold_metric_id: Option<String>,
    metric_query: Vec<MetricQuery>,
    arn: Option<String>,
    tags_all: Option<Map>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricQuery {
    id: String,
    account_id: Option<String>,
    expression: Option<String>,
    label: Option<String>,
    period: Option<i32>,
    return_data: bool,
    metric: Option<QueryMetric>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct QueryMetric {
    metric_name: String,
    namespace: Option<String>,
    period: Option<i32>,
    stat: String,
    unit: Option<String>,
    dimensions: Option<Map>,
}

fn metric_query_schema() -> Schema {
    let metric = Schema::new()
        .attr("metric_name", Attribute::required(Type::String))
        .attr("namespace", Attribute::optional(Type::String))
        .attr("period", Attribute::required(Type::Number))
        .attr("stat", Attribute::required(Type::String))
        .attr("unit", Attribute::optional(Type::String))
        .attr("dimensions", Attribute::optional(Type::map(Type::String)));
    Schema::new()
        .attr("id", Attribute::required(Type::String))
        .attr("account_id", Attribute::optional(Type::String))
        .attr("expression", Attribute::optional(Type::String))
        .attr("label", Attribute::optional(Type::String))
        .attr("period", Attribute::optional(Type::Number))
        .attr(
            "return_data",
            Attribute::optional(Type::Bool).default(false),
        )
        .block(
            "metric",
            NestedBlock {
                nesting: Nesting::Single,
                block: metric,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        )
}

fn dimensions(d: Option<&Map>) -> Option<Vec<Dimension>> {
    d.map(|d| {
        d.iter()
            .map(|(k, v)| Dimension::builder().name(k).value(v).build())
            .collect()
    })
}

fn live_dimensions(d: &[Dimension]) -> Option<Map> {
    let map: Map = d
        .iter()
        .map(|d| {
            let part = |s: Option<&str>| s.unwrap_or_default().to_string();
            (part(d.name()), part(d.value()))
        })
        .collect();
    (!map.is_empty()).then_some(map)
}

/// A string list as read, kept an empty list where the configuration wrote one.
pub(super) fn read_list(live: &[String], prior: Option<&Vec<String>>) -> Option<Vec<String>> {
    (!live.is_empty() || prior.is_some()).then(|| live.to_vec())
}

fn query(q: &MetricQuery) -> MetricDataQuery {
    let stat = q.metric.as_ref().map(|m| {
        MetricStat::builder()
            .metric(
                Metric::builder()
                    .metric_name(&m.metric_name)
                    .set_namespace(m.namespace.clone())
                    .set_dimensions(dimensions(m.dimensions.as_ref()))
                    .build(),
            )
            .set_period(m.period)
            .stat(&m.stat)
            .set_unit(m.unit.as_deref().map(StandardUnit::from))
            .build()
    });
    MetricDataQuery::builder()
        .id(&q.id)
        .set_account_id(q.account_id.clone())
        .set_expression(q.expression.clone())
        .set_label(q.label.clone())
        .set_period(q.period)
        .return_data(q.return_data)
        .set_metric_stat(stat)
        .build()
}

fn live_query(q: &MetricDataQuery) -> MetricQuery {
    MetricQuery {
        id: q.id().unwrap_or_default().to_string(),
        account_id: q.account_id().map(str::to_string),
        expression: q.expression().map(str::to_string),
        label: q.label().map(str::to_string),
        period: q.period(),
        return_data: q.return_data().unwrap_or(false),
        metric: q.metric_stat().map(|st| {
            let m = st.metric();
            QueryMetric {
                metric_name: m
                    .and_then(|m| m.metric_name())
                    .unwrap_or_default()
                    .to_string(),
                namespace: m.and_then(|m| m.namespace()).map(str::to_string),
                period: st.period(),
                stat: st.stat().unwrap_or_default().to_string(),
                unit: st.unit().map(|u| u.as_str().to_string()),
                dimensions: live_dimensions(m.map(|m| m.dimensions()).unwrap_or_default()),
            }
        }),
    }
}

async fn put(
    c: &Clients,
    m: &MetricAlarmModel,
    tags: Option<Vec<Tag>>,
) -> Result<(), ProviderError> {
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name(&m.alarm_name)
        .set_alarm_description(m.alarm_description.clone())
        .comparison_operator(ComparisonOperator::from(m.comparison_operator.as_str()))
        .set_evaluation_periods(m.evaluation_periods)
        .set_datapoints_to_alarm(m.datapoints_to_alarm)
        .set_metric_name(m.metric_name.clone())
        .set_namespace(m.namespace.clone())
        .set_period(m.period)
        .set_statistic(m.statistic.as_deref().map(Statistic::from))
        .set_extended_statistic(m.extended_statistic.clone())
        .set_threshold(m.threshold)
        .set_unit(m.unit.as_deref().map(StandardUnit::from))
        .set_dimensions(dimensions(m.dimensions.as_ref()))
        .set_actions_enabled(m.actions_enabled)
        .set_alarm_actions(m.alarm_actions.clone())
        .set_ok_actions(m.ok_actions.clone())
        .set_insufficient_data_actions(m.insufficient_data_actions.clone())
        .set_treat_missing_data(m.treat_missing_data.clone())
        .set_evaluate_low_sample_count_percentile(m.evaluate_low_sample_count_percentiles.clone())
        .set_threshold_metric_id(m.threshold_metric_id.clone())
        .set_metrics(
            (!m.metric_query.is_empty()).then(|| m.metric_query.iter().map(query).collect()),
        )
        .set_tags(tags)
        .send()
        .await
        .call("cloudwatch:PutMetricAlarm")?;
    Ok(())
}

/// The tags to create an alarm with (PutMetricAlarm and PutCompositeAlarm take them).
pub(super) fn create_tags(tags_all: Option<&Map>) -> Option<Vec<Tag>> {
    let tags: Vec<Tag> = tags_all
        .into_iter()
        .flatten()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    (!tags.is_empty()).then_some(tags)
}

/// An alarm's tags, by its ARN.
pub(super) async fn alarm_tags(c: &Clients, arn: Option<&str>) -> Result<Map, ProviderError> {
    let Some(arn) = arn else {
        return Ok(Map::new());
    };
    Ok(c.cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .call("cloudwatch:ListTagsForResource")?
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// Deletes an alarm of either kind, by its name.
pub(super) async fn delete_alarm(c: &Clients, name: &str) -> Result<(), ProviderError> {
    c.cloudwatch
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .gone_ok("cloudwatch:DeleteAlarms")
}

/// Removes and sets an alarm's tags, by its ARN.
pub(super) async fn retag_alarm(
    c: &Clients,
    arn: Option<&str>,
    remove: Vec<String>,
    set: Vec<(String, String)>,
) -> Result<(), ProviderError> {
    let Some(arn) = arn else {
        return Ok(());
    };
    if !remove.is_empty() {
        c.cloudwatch
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .call("cloudwatch:UntagResource")?;
    }
    if !set.is_empty() {
        let tags = set
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        c.cloudwatch
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .call("cloudwatch:TagResource")?;
    }
    Ok(())
}

fn is_set(p: &ValueMap, k: &str) -> bool {
    p.get(k).is_some_and(|v| !v.is_null())
}

fn invalid(text: String) -> Result<(), ProviderError> {
    Err(ProviderError::InvalidConfig(text))
}

#[async_trait::async_trait]
impl AwsResource for MetricAlarm {
    type Model = MetricAlarmModel;
    const TYPE: &'static str = "aws_cloudwatch_metric_alarm";
    const TAGGED: bool = true;
    const ID_ATTRIBUTE: Option<&'static str> = Some("alarm_name");

    fn schema() -> Schema {
        let actions = || Attribute::optional(Type::set(Type::String));
        Schema::new()
            .attr("alarm_name", Attribute::required(Type::String).force_new())
            .attr("alarm_description", Attribute::optional(Type::String))
            .attr("comparison_operator", Attribute::required(Type::String))
            .attr("evaluation_periods", Attribute::required(Type::Number))
            .attr("datapoints_to_alarm", Attribute::optional(Type::Number))
            .attr("metric_name", Attribute::optional(Type::String))
            .attr("namespace", Attribute::optional(Type::String))
            .attr("period", Attribute::optional(Type::Number))
            .attr("statistic", Attribute::optional(Type::String))
            .attr("extended_statistic", Attribute::optional(Type::String))
            .attr("threshold", Attribute::optional(Type::Number))
            .attr("unit", Attribute::optional(Type::String))
            .attr("dimensions", Attribute::optional(Type::map(Type::String)))
            .attr(
                "actions_enabled",
                Attribute::optional(Type::Bool).default(true),
            )
            .attr("alarm_actions", actions())
            .attr("ok_actions", actions())
            .attr("insufficient_data_actions", actions())
            .attr(
                "treat_missing_data",
                Attribute::optional(Type::String).default("missing"),
            )
            .attr(
                "evaluate_low_sample_count_percentiles",
                Attribute::optional(Type::String),
            )
            .attr("threshold_metric_id", Attribute::optional(Type::String))
            .block(
                "metric_query",
                NestedBlock {
                    nesting: Nesting::Set,
                    block: metric_query_schema(),
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            )
            .attr("arn", Attribute::computed(Type::String))
    }

    fn validate(p: &ValueMap) -> Result<(), ProviderError> {
        if is_set(p, "statistic") && is_set(p, "extended_statistic") {
            return invalid("set statistic or extended_statistic, not both".into());
        }
        let has_queries = p
            .get("metric_query")
            .and_then(Value::as_list)
            .is_some_and(|q| !q.is_empty());
        let single_metric = [
            "metric_name",
            "namespace",
            "period",
            "statistic",
            "extended_statistic",
            "dimensions",
        ];
        if let Some(single) = single_metric.iter().find(|k| has_queries && is_set(p, k)) {
            return invalid(format!(
                "\"{single}\" conflicts with metric_query: an alarm watches one metric or a set of metric queries, not both"
            ));
        }
        if is_set(p, "threshold") && is_set(p, "threshold_metric_id") {
            return invalid(
                "set threshold or threshold_metric_id (an anomaly detection band), not both".into(),
            );
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &MetricAlarmModel,
    ) -> Result<Created<MetricAlarmModel>, ProviderError> {
        put(c, m, create_tags(m.tags_all.as_ref())).await?;
        Ok(m.alarm_name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &MetricAlarmModel,
    ) -> Result<Option<MetricAlarmModel>, ProviderError> {
        let out = c
            .cloudwatch
            .describe_alarms()
            .alarm_names(&m.id)
            .send()
            .await
            .call("cloudwatch:DescribeAlarms")?;
        let Some(a) = out
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some(m.id.as_str()))
        else {
            return Ok(None);
        };
        Ok(Some(live_alarm(c, a, m).await?))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &MetricAlarmModel,
        new: &MetricAlarmModel,
    ) -> Result<(), ProviderError> {
        // Tags go through set_tags; PutMetricAlarm without tags leaves them as they are.
        put(c, new, None).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &MetricAlarmModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag_alarm(c, m.arn.as_deref(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &MetricAlarmModel) -> Result<(), ProviderError> {
        delete_alarm(c, &m.id).await
    }
}

async fn live_alarm(
    c: &Clients,
    a: &LiveAlarm,
    prior: &MetricAlarmModel,
) -> Result<MetricAlarmModel, ProviderError> {
    let s = |v: Option<&str>| v.map(str::to_string);
    let arn = s(a.alarm_arn());
    Ok(MetricAlarmModel {
        id: prior.id.clone(),
        alarm_name: s(a.alarm_name()).unwrap_or_else(|| prior.id.clone()),
        alarm_description: s(a.alarm_description()),
        comparison_operator: s(a.comparison_operator().map(|o| o.as_str())).unwrap_or_default(),
        evaluation_periods: a.evaluation_periods(),
        datapoints_to_alarm: a.datapoints_to_alarm(),
        metric_name: s(a.metric_name()),
        namespace: s(a.namespace()),
        period: a.period(),
        statistic: s(a.statistic().map(|v| v.as_str())),
        extended_statistic: s(a.extended_statistic()),
        threshold: a.threshold(),
        unit: s(a.unit().map(|u| u.as_str())),
        dimensions: live_dimensions(a.dimensions())
            .or_else(|| prior.dimensions.as_ref().map(|_| Map::new())),
        actions_enabled: Some(a.actions_enabled().unwrap_or(true)),
        alarm_actions: read_list(a.alarm_actions(), prior.alarm_actions.as_ref()),
        ok_actions: read_list(a.ok_actions(), prior.ok_actions.as_ref()),
        insufficient_data_actions: read_list(
            a.insufficient_data_actions(),
            prior.insufficient_data_actions.as_ref(),
        ),
        treat_missing_data: Some(s(a.treat_missing_data()).unwrap_or_else(|| "missing".into())),
        evaluate_low_sample_count_percentiles: s(a.evaluate_low_sample_count_percentile()),
        threshold_metric_id: s(a.threshold_metric_id()),
        metric_query: a.metrics().iter().map(live_query).collect(),
        tags_all: Some(alarm_tags(c, arn.as_deref()).await?),
        arn,
    })
}
