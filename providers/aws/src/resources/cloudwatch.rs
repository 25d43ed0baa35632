//! `aws_cloudwatch_metric_alarm`: an alarm on one metric (latency, errors, invocations), or
//! on metric math and anomaly detection bands (`metric_query`, `threshold_metric_id`), with
//! its actions. PutMetricAlarm both creates and updates, so everything but the name changes
//! in place. Import ID: the alarm name.

use std::sync::Arc;

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, StandardUnit,
    Statistic, Tag,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};

use super::{int, num, opt_str, opt_value, string};
use crate::error::classify;
use crate::Clients;

pub fn schema() -> Schema {
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
        .attr("actions_enabled", Attribute::optional_computed(Type::Bool))
        .attr(
            "alarm_actions",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("ok_actions", Attribute::optional(Type::set(Type::String)))
        .attr(
            "insufficient_data_actions",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr(
            "treat_missing_data",
            Attribute::optional_computed(Type::String),
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
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
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
        .attr("return_data", Attribute::optional(Type::Bool))
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

fn dimensions(v: &Value) -> Vec<Dimension> {
    v.as_map()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            Dimension::builder()
                .name(k)
                .value(v.as_str().unwrap_or_default())
                .build()
        })
        .collect()
}

/// The `metric_query` blocks as PutMetricAlarm's `Metrics`.
fn metric_queries(planned: &Value) -> Option<Vec<MetricDataQuery>> {
    let items = planned.get_attr("metric_query").as_list()?;
    if items.is_empty() {
        return None;
    }
    Some(
        items
            .iter()
            .map(|q| {
                let stat = q.get_attr("metric").as_map().map(|_| {
                    let m = q.get_attr("metric");
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .set_metric_name(opt_str(m, "metric_name"))
                                .set_namespace(opt_str(m, "namespace"))
                                .set_dimensions(Some(dimensions(m.get_attr("dimensions"))))
                                .build(),
                        )
                        .set_period(int(m, "period"))
                        .set_stat(opt_str(m, "stat"))
                        .set_unit(opt_str(m, "unit").map(|u| StandardUnit::from(u.as_str())))
                        .build()
                });
                MetricDataQuery::builder()
                    .id(string(q, "id"))
                    .set_account_id(opt_str(q, "account_id"))
                    .set_expression(opt_str(q, "expression"))
                    .set_label(opt_str(q, "label"))
                    .set_period(int(q, "period"))
                    .set_return_data(q.get_attr("return_data").as_bool())
                    .set_metric_stat(stat)
                    .build()
            })
            .collect(),
    )
}

/// `Metrics` as DescribeAlarms reports them, in the `metric_query` shape.
fn metric_query_value(queries: &[MetricDataQuery]) -> Value {
    let items = queries.iter().map(|q| {
        let metric = q.metric_stat().map(|st| {
            let m = st.metric();
            let dims: Vec<(&str, &str)> = m
                .map(|m| m.dimensions())
                .unwrap_or_default()
                .iter()
                .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
                .collect();
            Value::object([
                ("metric_name", opt_value(m.and_then(|m| m.metric_name()))),
                ("namespace", opt_value(m.and_then(|m| m.namespace()))),
                ("period", opt_value(st.period().map(f64::from))),
                ("stat", opt_value(st.stat())),
                ("unit", opt_value(st.unit().map(|u| u.as_str()))),
                (
                    "dimensions",
                    if dims.is_empty() {
                        Value::Null
                    } else {
                        super::tags_value(dims)
                    },
                ),
            ])
        });
        Value::object([
            ("id", opt_value(q.id())),
            ("account_id", opt_value(q.account_id())),
            ("expression", opt_value(q.expression())),
            ("label", opt_value(q.label())),
            ("period", opt_value(q.period().map(f64::from))),
            ("return_data", Value::Bool(q.return_data().unwrap_or(false))),
            ("metric", metric.unwrap_or(Value::Null)),
        ])
    });
    Value::set_from(items.collect())
}

pub struct MetricAlarmResource {
    pub clients: Arc<Clients>,
}

fn strings(v: &Value, name: &str) -> Option<Vec<String>> {
    v.get_attr(name).as_list().map(|items| {
        items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    })
}

fn string_set(items: &[String], prior: &Value) -> Value {
    if items.is_empty() && prior.is_null() {
        Value::Null
    } else {
        Value::set_from(items.iter().map(|s| Value::from(s.as_str())).collect())
    }
}

impl MetricAlarmResource {
    async fn describe(&self, name: &str) -> Result<Option<MetricAlarm>, ProviderError> {
        let out = self
            .clients
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .map_err(|e| classify("cloudwatch:DescribeAlarms", &e))?;
        Ok(out
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some(name))
            .cloned())
    }

    async fn put(&self, planned: &Value, tags: Option<&Value>) -> Result<(), ProviderError> {
        let mut req = self
            .clients
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(string(planned, "alarm_name"))
            .set_alarm_description(opt_str(planned, "alarm_description"))
            .comparison_operator(ComparisonOperator::from(
                string(planned, "comparison_operator").as_str(),
            ))
            .set_evaluation_periods(int(planned, "evaluation_periods"))
            .set_datapoints_to_alarm(int(planned, "datapoints_to_alarm"))
            .set_metric_name(opt_str(planned, "metric_name"))
            .set_namespace(opt_str(planned, "namespace"))
            .set_period(int(planned, "period"))
            .set_statistic(opt_str(planned, "statistic").map(|s| Statistic::from(s.as_str())))
            .set_extended_statistic(opt_str(planned, "extended_statistic"))
            .set_threshold(num(planned, "threshold"))
            .set_unit(opt_str(planned, "unit").map(|s| StandardUnit::from(s.as_str())))
            .set_actions_enabled(planned.get_attr("actions_enabled").as_bool())
            .set_alarm_actions(strings(planned, "alarm_actions"))
            .set_ok_actions(strings(planned, "ok_actions"))
            .set_insufficient_data_actions(strings(planned, "insufficient_data_actions"))
            .set_treat_missing_data(opt_str(planned, "treat_missing_data"))
            .set_evaluate_low_sample_count_percentile(opt_str(
                planned,
                "evaluate_low_sample_count_percentiles",
            ))
            .set_threshold_metric_id(opt_str(planned, "threshold_metric_id"))
            .set_metrics(metric_queries(planned));
        for (k, v) in planned
            .get_attr("dimensions")
            .as_map()
            .cloned()
            .unwrap_or_default()
        {
            req = req.dimensions(
                Dimension::builder()
                    .name(k)
                    .value(v.as_str().unwrap_or_default())
                    .build(),
            );
        }
        if let Some(tags) = tags {
            let set: Vec<Tag> = crate::client::tag_changes(&Value::Null, tags)
                .1
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            if !set.is_empty() {
                req = req.set_tags(Some(set));
            }
        }
        req.send()
            .await
            .map_err(|e| classify("cloudwatch:PutMetricAlarm", &e))?;
        Ok(())
    }

    async fn live_tags(&self, arn: &str) -> Result<Value, ProviderError> {
        let out = self
            .clients
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| classify("cloudwatch:ListTagsForResource", &e))?;
        Ok(super::tags_value(out.tags().iter().map(|t| {
            (t.key().unwrap_or_default(), t.value().unwrap_or_default())
        })))
    }

    async fn finish(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = string(planned, "alarm_name");
        let live = self.describe(&name).await?.ok_or_else(|| {
            ProviderError::Api(format!(
                "alarm {name} was not found right after PutMetricAlarm"
            ))
        })?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(name.as_str()));
        m.insert("arn".into(), opt_value(live.alarm_arn()));
        Ok(Value::Map(m))
    }
}

#[async_trait::async_trait]
impl Resource for MetricAlarmResource {
    fn schema(&self) -> Schema {
        schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let config = request.config;
        let has_statistic = !config.get_attr("statistic").is_null();
        let has_extended = !config.get_attr("extended_statistic").is_null();
        if has_statistic && has_extended {
            return Err(ProviderError::InvalidConfig(
                "set statistic or extended_statistic, not both".into(),
            ));
        }
        let has_queries = config
            .get_attr("metric_query")
            .as_list()
            .is_some_and(|q| !q.is_empty());
        if has_queries {
            for single in [
                "metric_name",
                "namespace",
                "period",
                "statistic",
                "extended_statistic",
                "dimensions",
            ] {
                if !config.get_attr(single).is_null() {
                    return Err(ProviderError::InvalidConfig(format!(
                        "\"{single}\" conflicts with metric_query: an alarm watches one metric or a set of metric queries, not both"
                    )));
                }
            }
        }
        if !config.get_attr("threshold_metric_id").is_null()
            && !config.get_attr("threshold").is_null()
        {
            return Err(ProviderError::InvalidConfig(
                "set threshold or threshold_metric_id (an anomaly detection band), not both".into(),
            ));
        }
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        let defaults = [
            ("actions_enabled", Value::Bool(true)),
            ("treat_missing_data", Value::from("missing")),
        ];
        for (k, default) in defaults {
            if config.get_attr(k).is_null() {
                m.insert(k.into(), default);
            }
        }
        // return_data defaults to false, as AWS reads it back.
        if let Some(queries) = m.get("metric_query").and_then(Value::as_list) {
            let queries = queries
                .iter()
                .map(|q| {
                    let mut q = q.as_map().cloned().unwrap_or_default();
                    if q.get("return_data").is_none_or(Value::is_null) {
                        q.insert("return_data".into(), Value::Bool(false));
                    }
                    Value::Map(q)
                })
                .collect();
            m.insert("metric_query".into(), Value::set_from(queries));
        }
        m.insert(
            "tags_all".into(),
            self.clients.tags_all(config.get_attr("tags")),
        );
        m.insert("id".into(), config.get_attr("alarm_name").clone());
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(a) = self.describe(&string(prior, "alarm_name")).await? else {
            return Ok(None);
        };
        let arn = a.alarm_arn().unwrap_or_default().to_string();
        let dims: Vec<(&str, &str)> = a
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
            .collect();
        let mut m = prior.as_map().cloned().unwrap_or_default();
        let set = |m: &mut mlform_provider::ValueMap, k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        set(&mut m, "alarm_name", opt_value(a.alarm_name()));
        set(&mut m, "id", opt_value(a.alarm_name()));
        set(&mut m, "arn", Value::from(arn.as_str()));
        set(
            &mut m,
            "alarm_description",
            opt_value(a.alarm_description()),
        );
        set(
            &mut m,
            "comparison_operator",
            opt_value(a.comparison_operator().map(|c| c.as_str())),
        );
        set(
            &mut m,
            "evaluation_periods",
            opt_value(a.evaluation_periods().map(|n| n as f64)),
        );
        set(
            &mut m,
            "datapoints_to_alarm",
            opt_value(a.datapoints_to_alarm().map(|n| n as f64)),
        );
        set(&mut m, "metric_name", opt_value(a.metric_name()));
        set(&mut m, "namespace", opt_value(a.namespace()));
        set(&mut m, "period", opt_value(a.period().map(|n| n as f64)));
        set(
            &mut m,
            "statistic",
            opt_value(a.statistic().map(|s| s.as_str())),
        );
        set(
            &mut m,
            "extended_statistic",
            opt_value(a.extended_statistic()),
        );
        set(&mut m, "threshold", opt_value(a.threshold()));
        set(&mut m, "unit", opt_value(a.unit().map(|u| u.as_str())));
        set(
            &mut m,
            "dimensions",
            if dims.is_empty() && prior.get_attr("dimensions").is_null() {
                Value::Null
            } else {
                super::tags_value(dims)
            },
        );
        set(
            &mut m,
            "actions_enabled",
            opt_value(a.actions_enabled()).or_default(Value::Bool(true)),
        );
        for (k, items) in [
            ("alarm_actions", a.alarm_actions()),
            ("ok_actions", a.ok_actions()),
            ("insufficient_data_actions", a.insufficient_data_actions()),
        ] {
            let v = string_set(items, prior.get_attr(k));
            set(&mut m, k, v);
        }
        set(
            &mut m,
            "treat_missing_data",
            opt_value(a.treat_missing_data()).or_default(Value::from("missing")),
        );
        set(
            &mut m,
            "evaluate_low_sample_count_percentiles",
            opt_value(a.evaluate_low_sample_count_percentile()),
        );
        set(
            &mut m,
            "threshold_metric_id",
            opt_value(a.threshold_metric_id()),
        );
        set(&mut m, "metric_query", metric_query_value(a.metrics()));
        let all = self.live_tags(&arn).await?;
        set(
            &mut m,
            "tags",
            self.clients.own_tags(&all, prior.get_attr("tags")),
        );
        set(&mut m, "tags_all", all);
        Ok(Some(schema().conform(&Value::Map(m))))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned, Some(planned.get_attr("tags_all")))
            .await?;
        self.finish(planned).await
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned, None).await?;
        let arn = string(prior, "arn");
        let (old, new) = (prior.get_attr("tags_all"), planned.get_attr("tags_all"));
        if !old.same_data(new) {
            let (removed, set) = crate::client::tag_changes(old, new);
            if !removed.is_empty() {
                self.clients
                    .cloudwatch
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| classify("cloudwatch:UntagResource", &e))?;
            }
            if !set.is_empty() {
                let tags: Vec<Tag> = set
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect();
                self.clients
                    .cloudwatch
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| classify("cloudwatch:TagResource", &e))?;
            }
        }
        self.finish(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .cloudwatch
            .delete_alarms()
            .alarm_names(string(prior, "alarm_name"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if crate::error::code(&e) == "ResourceNotFound" => Ok(()),
            Err(e) => Err(classify("cloudwatch:DeleteAlarms", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(&Value::object([("alarm_name", Value::from(id))]))
            .await
    }
}

trait OrDefault {
    fn or_default(self, default: Value) -> Value;
}

impl OrDefault for Value {
    fn or_default(self, default: Value) -> Value {
        if self.is_null() {
            default
        } else {
            self
        }
    }
}
