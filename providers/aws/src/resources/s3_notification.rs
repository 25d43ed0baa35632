//! `aws_s3_bucket_notification`: the bucket's whole notification configuration — SNS
//! topics, SQS queues and Lambda functions told of object events (a new training data
//! drop starting a pipeline), with key prefix / suffix filters, and EventBridge. It owns
//! the configuration: delivery set up elsewhere shows as drift. Keyed and imported by
//! bucket; delete clears the configuration.

use aws_sdk_s3::types::{
    Event, EventBridgeConfiguration, FilterRule, FilterRuleName, LambdaFunctionConfiguration,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    TopicConfiguration,
};
use mlform_provider::{Attribute, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{block, bucket, bucket_schema, built};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Notification;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NotificationModel {
    id: String,
    bucket: String,
    eventbridge: Option<bool>,
    topic: Vec<Target>,
    queue: Vec<Target>,
    lambda_function: Vec<Target>,
}

/// One destination; only the ARN attribute of its own block is set.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct Target {
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lambda_function_arn: Option<String>,
    events: Vec<String>,
    filter_prefix: Option<String>,
    filter_suffix: Option<String>,
}

const KINDS: [(&str, &str); 3] = [
    ("topic", "topic_arn"),
    ("queue", "queue_arn"),
    ("lambda_function", "lambda_function_arn"),
];

impl Target {
    fn arn(&self) -> String {
        self.topic_arn
            .clone()
            .or_else(|| self.queue_arn.clone())
            .or_else(|| self.lambda_function_arn.clone())
            .unwrap_or_default()
    }

    /// A target of block `kind` (`topic`, `queue`, `lambda_function`) with `arn`.
    fn of(kind: &str, arn: Option<&str>) -> Target {
        let arn = arn.map(str::to_string);
        match kind {
            "topic" => Target {
                topic_arn: arn,
                ..Default::default()
            },
            "queue" => Target {
                queue_arn: arn,
                ..Default::default()
            },
            _ => Target {
                lambda_function_arn: arn,
                ..Default::default()
            },
        }
    }

    fn filter(&self) -> Result<Option<NotificationConfigurationFilter>, ProviderError> {
        let mut rules = Vec::new();
        for (name, value) in [
            (FilterRuleName::Prefix, &self.filter_prefix),
            (FilterRuleName::Suffix, &self.filter_suffix),
        ] {
            if let Some(v) = value {
                rules.push(FilterRule::builder().name(name).value(v).build());
            }
        }
        if rules.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                .build(),
        ))
    }

    fn events(&self) -> Vec<Event> {
        self.events
            .iter()
            .map(|e| Event::from(e.as_str()))
            .collect()
    }

    /// Reads a destination back; `rules` are the key filter's prefix and suffix.
    fn read(
        kind: &str,
        id: Option<&str>,
        arn: Option<&str>,
        events: &[Event],
        filter: Option<&NotificationConfigurationFilter>,
    ) -> Target {
        let rule = |name: FilterRuleName| {
            filter
                .and_then(|f| f.key())
                .map(|k| k.filter_rules())
                .unwrap_or_default()
                .iter()
                .find(|r| {
                    r.name()
                        .is_some_and(|n| n.as_str().eq_ignore_ascii_case(name.as_str()))
                })
                .and_then(|r| r.value().map(str::to_string))
        };
        Target {
            id: id.map(str::to_string),
            events: events.iter().map(|e| e.as_str().to_string()).collect(),
            filter_prefix: rule(FilterRuleName::Prefix),
            filter_suffix: rule(FilterRuleName::Suffix),
            ..Target::of(kind, arn)
        }
    }
}

fn target_schema(arn: &str) -> Schema {
    Schema::new()
        .attr("id", Attribute::optional_computed(Type::String))
        .attr(arn, Attribute::required(Type::String))
        .attr("events", Attribute::required(Type::set(Type::String)))
        .attr("filter_prefix", Attribute::optional(Type::String))
        .attr("filter_suffix", Attribute::optional(Type::String))
}

async fn put(c: &Clients, m: &NotificationModel) -> Result<(), ProviderError> {
    let mut config = NotificationConfiguration::builder();
    for t in &m.topic {
        config = config.topic_configurations(built(
            TopicConfiguration::builder()
                .set_id(t.id.clone())
                .topic_arn(t.arn())
                .set_events(Some(t.events()))
                .set_filter(t.filter()?)
                .build(),
            "topic",
        )?);
    }
    for q in &m.queue {
        config = config.queue_configurations(built(
            QueueConfiguration::builder()
                .set_id(q.id.clone())
                .queue_arn(q.arn())
                .set_events(Some(q.events()))
                .set_filter(q.filter()?)
                .build(),
            "queue",
        )?);
    }
    for l in &m.lambda_function {
        config = config.lambda_function_configurations(built(
            LambdaFunctionConfiguration::builder()
                .set_id(l.id.clone())
                .lambda_function_arn(l.arn())
                .set_events(Some(l.events()))
                .set_filter(l.filter()?)
                .build(),
            "lambda_function",
        )?);
    }
    if m.eventbridge == Some(true) {
        config = config.event_bridge_configuration(EventBridgeConfiguration::builder().build());
    }
    c.s3.put_bucket_notification_configuration()
        .bucket(&m.bucket)
        .notification_configuration(config.build())
        .send()
        .await
        .call("s3:PutBucketNotificationConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Notification {
    type Model = NotificationModel;
    const TYPE: &'static str = "aws_s3_bucket_notification";

    fn schema() -> Schema {
        let mut s = bucket_schema().attr(
            "eventbridge",
            Attribute::optional(Type::Bool).default(false),
        );
        for (kind, arn) in KINDS {
            s = s.block(kind, block(Nesting::List, target_schema(arn), 0));
        }
        s
    }

    async fn create(
        &self,
        c: &Clients,
        m: &NotificationModel,
    ) -> Result<Created<NotificationModel>, ProviderError> {
        put(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &NotificationModel,
    ) -> Result<Option<NotificationModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let Some(out) =
            c.s3.get_bucket_notification_configuration()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketNotificationConfiguration")?
        else {
            return Ok(None);
        };
        Ok(Some(NotificationModel {
            id: b.clone(),
            bucket: b,
            eventbridge: Some(out.event_bridge_configuration().is_some()),
            topic: out
                .topic_configurations()
                .iter()
                .map(|t| Target::read("topic", t.id(), Some(t.topic_arn()), t.events(), t.filter()))
                .collect(),
            queue: out
                .queue_configurations()
                .iter()
                .map(|q| Target::read("queue", q.id(), Some(q.queue_arn()), q.events(), q.filter()))
                .collect(),
            lambda_function: out
                .lambda_function_configurations()
                .iter()
                .map(|l| {
                    Target::read(
                        "lambda_function",
                        l.id(),
                        Some(l.lambda_function_arn()),
                        l.events(),
                        l.filter(),
                    )
                })
                .collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &NotificationModel,
        planned: &NotificationModel,
    ) -> Result<(), ProviderError> {
        put(c, planned).await
    }

    async fn delete(&self, c: &Clients, m: &NotificationModel) -> Result<(), ProviderError> {
        c.s3.put_bucket_notification_configuration()
            .bucket(&m.bucket)
            .notification_configuration(NotificationConfiguration::builder().build())
            .send()
            .await
            .gone_ok("s3:PutBucketNotificationConfiguration")
    }
}
