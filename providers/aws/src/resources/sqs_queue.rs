//! `aws_sqs_queue`: a queue that a topic fans out to or a pipeline reads from. Known and
//! imported by its URL; its settings are queue attributes (set at create, changed in place
//! with SetQueueAttributes); a FIFO queue's name ends in `.fifo`. `policy`,
//! `redrive_policy` and `redrive_allow_policy` are optional and computed, so the separate
//! `aws_sqs_queue_*policy` resources may manage them instead.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;
use mlform_provider::{Attribute, ProviderError, Schema, Type, ValueMap};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Queue;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct QueueModel {
    id: String,
    name: String,
    arn: Option<String>,
    url: Option<String>,
    fifo_queue: Option<bool>,
    tags_all: Option<BTreeMap<String, String>>,
    /// The [`SETTINGS`], by argument name (the model's other arguments land here too and
    /// are ignored).
    #[serde(flatten)]
    settings: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Text,
    Flag,
}

/// Queue arguments that are one queue attribute each: (argument, attribute, kind, whether
/// only a FIFO queue takes it, whether AWS fills it in when left out).
const SETTINGS: &[(&str, &str, Kind, bool, bool)] = &[
    ("delay_seconds", "DelaySeconds", Kind::Number, false, false),
    (
        "max_message_size",
        "MaximumMessageSize",
        Kind::Number,
        false,
        true,
    ),
    (
        "message_retention_seconds",
        "MessageRetentionPeriod",
        Kind::Number,
        false,
        false,
    ),
    (
        "receive_wait_time_seconds",
        "ReceiveMessageWaitTimeSeconds",
        Kind::Number,
        false,
        false,
    ),
    (
        "visibility_timeout_seconds",
        "VisibilityTimeout",
        Kind::Number,
        false,
        false,
    ),
    (
        "kms_master_key_id",
        "KmsMasterKeyId",
        Kind::Text,
        false,
        false,
    ),
    (
        "kms_data_key_reuse_period_seconds",
        "KmsDataKeyReusePeriodSeconds",
        Kind::Number,
        false,
        true,
    ),
    (
        "sqs_managed_sse_enabled",
        "SqsManagedSseEnabled",
        Kind::Flag,
        false,
        true,
    ),
    ("policy", "Policy", Kind::Text, false, true),
    ("redrive_policy", "RedrivePolicy", Kind::Text, false, true),
    (
        "redrive_allow_policy",
        "RedriveAllowPolicy",
        Kind::Text,
        false,
        true,
    ),
    (
        "content_based_deduplication",
        "ContentBasedDeduplication",
        Kind::Flag,
        true,
        false,
    ),
    (
        "deduplication_scope",
        "DeduplicationScope",
        Kind::Text,
        true,
        true,
    ),
    (
        "fifo_throughput_limit",
        "FifoThroughputLimit",
        Kind::Text,
        true,
        true,
    ),
];

/// Terraform's defaults for the settings that have one.
const DEFAULTS: &[(&str, i64)] = &[
    ("delay_seconds", 0),
    ("message_retention_seconds", 345_600),
    ("receive_wait_time_seconds", 0),
    ("visibility_timeout_seconds", 30),
];

impl QueueModel {
    /// The attributes this model sets, as SQS takes them (text), by attribute name.
    fn attributes(&self) -> BTreeMap<&'static str, String> {
        let fifo = self.fifo_queue == Some(true);
        SETTINGS
            .iter()
            .filter(|s| fifo || !s.3)
            .filter_map(|(argument, attribute, _, _, _)| {
                let text = match self.settings.get(*argument)? {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((*attribute, text))
            })
            .collect()
    }

    fn url(&self) -> &str {
        self.url.as_deref().unwrap_or(&self.id)
    }
}

fn attribute_names(
    attributes: BTreeMap<&str, String>,
) -> std::collections::HashMap<QueueAttributeName, String> {
    attributes
        .into_iter()
        .map(|(k, v)| (QueueAttributeName::from(k), v))
        .collect()
}

#[async_trait::async_trait]
impl AwsResource for Queue {
    type Model = QueueModel;
    const TYPE: &'static str = "aws_sqs_queue";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-").fifo_when("fifo_queue"));
    const POLICIES: &'static [&'static str] = &["policy", "redrive_policy", "redrive_allow_policy"];

    fn schema() -> Schema {
        let mut schema = Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                "fifo_queue",
                Attribute::optional(Type::Bool).force_new().default(false),
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("url", Attribute::computed(Type::String));
        for (argument, _, kind, _, computed) in SETTINGS {
            let ty = match kind {
                Kind::Number => Type::Number,
                Kind::Text => Type::String,
                Kind::Flag => Type::Bool,
            };
            let attr = match DEFAULTS.iter().find(|(a, _)| a == argument) {
                Some((_, default)) => Attribute::optional(ty).default(*default),
                None if *computed => Attribute::optional_computed(ty),
                None if *argument == "content_based_deduplication" => {
                    Attribute::optional(ty).default(false)
                }
                None => Attribute::optional(ty),
            };
            schema = schema.attr(argument, attr);
        }
        schema
    }

    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        let fifo = planned.get("fifo_queue").and_then(|v| v.as_bool()) == Some(true);
        if let Some(name) = planned.get("name").and_then(|v| v.as_str()) {
            if fifo != name.ends_with(".fifo") {
                return Err(ProviderError::InvalidConfig(format!(
                    "queue name {name:?}: a FIFO queue's name ends in .fifo, and only a FIFO queue's does"
                )));
            }
        }
        if !fifo {
            for (argument, _, _, fifo_only, _) in SETTINGS {
                let set = planned
                    .get(*argument)
                    .is_some_and(|v| !v.is_null() && !v.is_unknown() && v.as_bool() != Some(false));
                if *fifo_only && set {
                    return Err(ProviderError::InvalidConfig(format!(
                        "{argument} is only for FIFO queues; hint: set fifo_queue = true (the name then ends in .fifo)"
                    )));
                }
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &QueueModel,
    ) -> Result<Created<QueueModel>, ProviderError> {
        let fifo = m.fifo_queue == Some(true);
        if fifo != m.name.ends_with(".fifo") {
            return Err(ProviderError::InvalidConfig(format!(
                "queue name {:?}: a FIFO queue's name ends in .fifo, and only a FIFO queue's does; hint: give a FIFO queue its name rather than name_prefix",
                m.name
            )));
        }
        let mut attributes = attribute_names(m.attributes());
        if fifo {
            attributes.insert(QueueAttributeName::FifoQueue, "true".to_string());
        }
        let out = c
            .sqs
            .create_queue()
            .queue_name(&m.name)
            .set_attributes(Some(attributes))
            .set_tags(Some(
                m.tags_all.clone().unwrap_or_default().into_iter().collect(),
            ))
            .send()
            .await
            .call("sqs:CreateQueue")?;
        Ok(out.queue_url().unwrap_or_default().to_string().into())
    }

    async fn read(&self, c: &Clients, m: &QueueModel) -> Result<Option<QueueModel>, ProviderError> {
        let url = m.url().to_string();
        let Some(out) = c
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .found("sqs:GetQueueAttributes")?
        else {
            return Ok(None);
        };
        let a = out.attributes().cloned().unwrap_or_default();
        let get = |k: &str| {
            a.get(&QueueAttributeName::from(k))
                .cloned()
                .filter(|v| !v.is_empty())
        };
        let fifo = get("FifoQueue").as_deref() == Some("true");
        // A flag SQS leaves out (a standard queue has no ContentBasedDeduplication) is off.
        let settings = SETTINGS
            .iter()
            .filter_map(|(argument, attribute, kind, _, _)| {
                let value = match (kind, get(attribute)) {
                    (Kind::Flag, text) => serde_json::Value::Bool(text.as_deref() == Some("true")),
                    (Kind::Number, text) => serde_json::Value::Number(text?.parse().ok()?),
                    (Kind::Text, text) => serde_json::Value::String(text?),
                };
                Some((argument.to_string(), value))
            })
            .collect();
        let tags = c
            .sqs
            .list_queue_tags()
            .queue_url(&url)
            .send()
            .await
            .call("sqs:ListQueueTags")?;
        Ok(Some(QueueModel {
            id: url.clone(),
            name: url.rsplit('/').next().unwrap_or_default().to_string(),
            arn: get("QueueArn"),
            url: Some(url),
            fifo_queue: Some(fifo),
            tags_all: Some(
                tags.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ),
            settings,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &QueueModel,
        new: &QueueModel,
    ) -> Result<(), ProviderError> {
        let before = old.attributes();
        let mut changed: BTreeMap<&str, String> = new
            .attributes()
            .into_iter()
            .filter(|(k, v)| before.get(k) != Some(v))
            .collect();
        // A document left out that was set before is cleared.
        for (argument, attribute, kind, _, computed) in SETTINGS {
            if !computed
                && *kind == Kind::Text
                && before.contains_key(attribute)
                && !new.settings.contains_key(*argument)
            {
                changed.insert(attribute, String::new());
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        c.sqs
            .set_queue_attributes()
            .queue_url(old.url())
            .set_attributes(Some(attribute_names(changed)))
            .send()
            .await
            .call("sqs:SetQueueAttributes")?;
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &QueueModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        if !remove.is_empty() {
            c.sqs
                .untag_queue()
                .queue_url(m.url())
                .set_tag_keys(Some(remove))
                .send()
                .await
                .call("sqs:UntagQueue")?;
        }
        if !set.is_empty() {
            c.sqs
                .tag_queue()
                .queue_url(m.url())
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .call("sqs:TagQueue")?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &QueueModel) -> Result<(), ProviderError> {
        c.sqs
            .delete_queue()
            .queue_url(m.url())
            .send()
            .await
            .gone_ok("sqs:DeleteQueue")
    }
}
