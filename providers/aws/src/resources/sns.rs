//! `aws_sns_topic`, `aws_sns_topic_policy` and `aws_sns_topic_data_protection_policy`:
//! where alarms and pipelines send their notifications, who may publish there, and what
//! personal data SNS masks or refuses on the way. A topic is known by its ARN (import ID);
//! its settings are topic attributes; a FIFO topic's name ends in `.fifo`. Each policy is
//! known by its topic's ARN.

use std::collections::BTreeMap;

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Topic;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TopicModel {
    id: String,
    name: String,
    arn: Option<String>,
    owner: Option<String>,
    display_name: Option<String>,
    policy: Option<String>,
    delivery_policy: Option<String>,
    kms_master_key_id: Option<String>,
    fifo_topic: Option<bool>,
    content_based_deduplication: Option<bool>,
    beginning_archive_time: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
    /// The [`PLAIN_SETTINGS`], by argument name (the model's other arguments land here too
    /// and are ignored).
    #[serde(flatten)]
    plain: BTreeMap<String, serde_json::Value>,
}

/// Topic arguments that are one topic attribute each, written as text: (argument, topic
/// attribute, whether it is a number). Delivery status logging per protocol, message
/// signing, tracing and (FIFO) archiving and throughput.
const PLAIN_SETTINGS: &[(&str, &str, bool)] = &[
    (
        "application_success_feedback_role_arn",
        "ApplicationSuccessFeedbackRoleArn",
        false,
    ),
    (
        "application_success_feedback_sample_rate",
        "ApplicationSuccessFeedbackSampleRate",
        true,
    ),
    (
        "application_failure_feedback_role_arn",
        "ApplicationFailureFeedbackRoleArn",
        false,
    ),
    (
        "http_success_feedback_role_arn",
        "HTTPSuccessFeedbackRoleArn",
        false,
    ),
    (
        "http_success_feedback_sample_rate",
        "HTTPSuccessFeedbackSampleRate",
        true,
    ),
    (
        "http_failure_feedback_role_arn",
        "HTTPFailureFeedbackRoleArn",
        false,
    ),
    (
        "lambda_success_feedback_role_arn",
        "LambdaSuccessFeedbackRoleArn",
        false,
    ),
    (
        "lambda_success_feedback_sample_rate",
        "LambdaSuccessFeedbackSampleRate",
        true,
    ),
    (
        "lambda_failure_feedback_role_arn",
        "LambdaFailureFeedbackRoleArn",
        false,
    ),
    (
        "sqs_success_feedback_role_arn",
        "SQSSuccessFeedbackRoleArn",
        false,
    ),
    (
        "sqs_success_feedback_sample_rate",
        "SQSSuccessFeedbackSampleRate",
        true,
    ),
    (
        "sqs_failure_feedback_role_arn",
        "SQSFailureFeedbackRoleArn",
        false,
    ),
    (
        "firehose_success_feedback_role_arn",
        "FirehoseSuccessFeedbackRoleArn",
        false,
    ),
    (
        "firehose_success_feedback_sample_rate",
        "FirehoseSuccessFeedbackSampleRate",
        true,
    ),
    (
        "firehose_failure_feedback_role_arn",
        "FirehoseFailureFeedbackRoleArn",
        false,
    ),
    ("signature_version", "SignatureVersion", true),
    ("tracing_config", "TracingConfig", false),
    ("archive_policy", "ArchivePolicy", false),
    ("fifo_throughput_scope", "FifoThroughputScope", false),
];

/// Plain settings that AWS fills in when left out (planned as unknown, kept thereafter).
const COMPUTED_SETTINGS: [&str; 3] = [
    "signature_version",
    "tracing_config",
    "fifo_throughput_scope",
];

/// A plain setting's text as SNS takes it (`100` for a sample rate).
fn setting_text(m: &TopicModel, argument: &str) -> Option<String> {
    match m.plain.get(argument)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The topic attributes an update may set, by attribute name and model value.
fn settable(m: &TopicModel) -> Vec<(&'static str, Option<String>)> {
    let plain = PLAIN_SETTINGS
        .iter()
        .map(|(argument, attribute, _)| (*attribute, setting_text(m, argument)));
    let mut all = vec![
        ("DisplayName", m.display_name.clone()),
        ("Policy", m.policy.clone()),
        ("DeliveryPolicy", m.delivery_policy.clone()),
        ("KmsMasterKeyId", m.kms_master_key_id.clone()),
        (
            "ContentBasedDeduplication",
            m.content_based_deduplication
                .filter(|_| m.fifo_topic == Some(true))
                .map(|b| b.to_string()),
        ),
    ];
    all.extend(plain);
    all
}

#[async_trait::async_trait]
impl AwsResource for Topic {
    type Model = TopicModel;
    const TYPE: &'static str = "aws_sns_topic";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-").fifo_when("fifo_topic"));
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        let mut schema = Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("display_name", text())
            .attr("policy", Attribute::optional_computed(Type::String))
            .attr("delivery_policy", text())
            .attr("kms_master_key_id", text())
            .attr(
                "fifo_topic",
                Attribute::optional(Type::Bool).force_new().default(false),
            )
            .attr(
                "content_based_deduplication",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner", Attribute::computed(Type::String))
            .attr("beginning_archive_time", Attribute::computed(Type::String));
        for (argument, _, number) in PLAIN_SETTINGS {
            let kind = if *number { Type::Number } else { Type::String };
            schema = schema.attr(
                argument,
                if COMPUTED_SETTINGS.contains(argument) {
                    Attribute::optional_computed(kind)
                } else {
                    Attribute::optional(kind)
                },
            );
        }
        schema
    }

    async fn create(
        &self,
        c: &Clients,
        m: &TopicModel,
    ) -> Result<Created<TopicModel>, ProviderError> {
        let fifo = m.fifo_topic == Some(true);
        if fifo != m.name.ends_with(".fifo") {
            return Err(ProviderError::InvalidConfig(format!(
                "topic name {:?}: a FIFO topic's name ends in .fifo, and only a FIFO topic's does",
                m.name
            )));
        }
        let mut attributes = BTreeMap::new();
        if fifo {
            attributes.insert("FifoTopic".to_string(), "true".to_string());
        }
        for (k, v) in settable(m) {
            if let Some(v) = v {
                attributes.insert(k.to_string(), v);
            }
        }
        let tags = m
            .tags_all
            .iter()
            .flatten()
            .map(|(k, v)| aws_sdk_sns::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        let out = c
            .sns
            .create_topic()
            .name(&m.name)
            .set_attributes(Some(attributes.into_iter().collect()))
            .set_tags(Some(tags))
            .send()
            .await
            .call("sns:CreateTopic")?;
        Ok(out.topic_arn().unwrap_or_default().to_string().into())
    }

    async fn read(&self, c: &Clients, m: &TopicModel) -> Result<Option<TopicModel>, ProviderError> {
        let Some(out) = c
            .sns
            .get_topic_attributes()
            .topic_arn(&m.id)
            .send()
            .await
            .found("sns:GetTopicAttributes")?
        else {
            return Ok(None);
        };
        let a = out.attributes().cloned().unwrap_or_default();
        let get = |k: &str| a.get(k).cloned().filter(|v| !v.is_empty());
        let tags = c
            .sns
            .list_tags_for_resource()
            .resource_arn(&m.id)
            .send()
            .await
            .call("sns:ListTagsForResource")?;
        let name = m.id.rsplit(':').next().unwrap_or_default().to_string();
        Ok(Some(TopicModel {
            id: m.id.clone(),
            name,
            arn: get("TopicArn").or(Some(m.id.clone())),
            owner: get("Owner"),
            display_name: get("DisplayName"),
            policy: get("Policy"),
            delivery_policy: get("DeliveryPolicy"),
            kms_master_key_id: get("KmsMasterKeyId"),
            fifo_topic: Some(get("FifoTopic").as_deref() == Some("true")),
            content_based_deduplication: Some(
                get("ContentBasedDeduplication").as_deref() == Some("true"),
            ),
            beginning_archive_time: get("BeginningArchiveTime"),
            plain: PLAIN_SETTINGS
                .iter()
                .filter_map(|(argument, attribute, number)| {
                    let text = get(attribute)?;
                    let value = if *number {
                        serde_json::Value::Number(text.parse().ok()?)
                    } else {
                        serde_json::Value::String(text)
                    };
                    Some((argument.to_string(), value))
                })
                .collect(),
            tags_all: Some(
                tags.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
            ),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &TopicModel,
        new: &TopicModel,
    ) -> Result<(), ProviderError> {
        for ((name, before), (_, after)) in settable(old).into_iter().zip(settable(new)) {
            if before != after {
                c.sns
                    .set_topic_attributes()
                    .topic_arn(&old.id)
                    .attribute_name(name)
                    .set_attribute_value(Some(after.unwrap_or_default()))
                    .send()
                    .await
                    .call("sns:SetTopicAttributes")?;
            }
        }
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &TopicModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        if !remove.is_empty() {
            c.sns
                .untag_resource()
                .resource_arn(&m.id)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .call("sns:UntagResource")?;
        }
        if !set.is_empty() {
            let tags = set
                .into_iter()
                .map(|(k, v)| aws_sdk_sns::types::Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
            c.sns
                .tag_resource()
                .resource_arn(&m.id)
                .set_tags(Some(tags))
                .send()
                .await
                .call("sns:TagResource")?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &TopicModel) -> Result<(), ProviderError> {
        c.sns
            .delete_topic()
            .topic_arn(&m.id)
            .send()
            .await
            .gone_ok("sns:DeleteTopic")
    }
}

// ---- topic access policy -------------------------------------------------------------------------

/// `aws_sns_topic_policy`: the access policy of a topic, apart from the topic (so a module
/// can grant another service to publish). Delete puts back the policy SNS gives a new topic,
/// as terraform-provider-aws does. Import ID: the topic ARN.
#[derive(Default)]
pub struct TopicPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TopicPolicyModel {
    id: String,
    arn: String,
    policy: String,
    owner: Option<String>,
}

/// The policy SNS gives a new topic: the owning account may do everything with it.
fn default_topic_policy(topic_arn: &str, account: &str) -> String {
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:AddPermission",
                "SNS:RemovePermission",
                "SNS:DeleteTopic",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish"
            ],
            "Resource": topic_arn,
            "Condition": { "StringEquals": { "AWS:SourceOwner": account } }
        }]
    })
    .to_string()
}

/// SetTopicAttributes of `Policy`, its result left for the caller to classify.
async fn put_policy(
    c: &Clients,
    arn: &str,
    policy: &str,
) -> Result<
    aws_sdk_sns::operation::set_topic_attributes::SetTopicAttributesOutput,
    aws_sdk_sns::error::SdkError<
        aws_sdk_sns::operation::set_topic_attributes::SetTopicAttributesError,
        aws_sdk_sns::config::http::HttpResponse,
    >,
> {
    c.sns
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name("Policy")
        .attribute_value(policy)
        .send()
        .await
}

#[async_trait::async_trait]
impl AwsResource for TopicPolicy {
    type Model = TopicPolicyModel;
    const TYPE: &'static str = "aws_sns_topic_policy";
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr("arn", Attribute::required(Type::String).force_new())
            .attr("policy", Attribute::required(Type::String))
            .attr("owner", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &TopicPolicyModel,
    ) -> Result<Created<TopicPolicyModel>, ProviderError> {
        put_policy(c, &m.arn, &m.policy)
            .await
            .call("sns:SetTopicAttributes")?;
        Ok(m.arn.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &TopicPolicyModel,
    ) -> Result<Option<TopicPolicyModel>, ProviderError> {
        let arn = if m.arn.is_empty() { &m.id } else { &m.arn };
        let Some(out) = c
            .sns
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await
            .found("sns:GetTopicAttributes")?
        else {
            return Ok(None);
        };
        let a = out.attributes().cloned().unwrap_or_default();
        Ok(Some(TopicPolicyModel {
            id: arn.clone(),
            arn: arn.clone(),
            policy: a.get("Policy").cloned().unwrap_or_default(),
            owner: a.get("Owner").cloned(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &TopicPolicyModel,
        new: &TopicPolicyModel,
    ) -> Result<(), ProviderError> {
        put_policy(c, &new.arn, &new.policy)
            .await
            .call("sns:SetTopicAttributes")
            .map(drop)
    }

    async fn delete(&self, c: &Clients, m: &TopicPolicyModel) -> Result<(), ProviderError> {
        let account = m
            .owner
            .clone()
            .or_else(|| m.arn.split(':').nth(4).map(str::to_string))
            .unwrap_or_default();
        put_policy(c, &m.arn, &default_topic_policy(&m.arn, &account))
            .await
            .gone_ok("sns:SetTopicAttributes")
    }
}

// ---- data protection policy ------------------------------------------------------------------

/// `aws_sns_topic_data_protection_policy`: the topic's data protection policy (which
/// personal data SNS audits, masks or refuses in messages). Delete puts an empty policy,
/// as terraform-provider-aws does. Import ID: the topic ARN.
#[derive(Default)]
pub struct DataProtectionPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DataProtectionModel {
    id: String,
    arn: String,
    policy: String,
}

async fn put_data_protection(c: &Clients, arn: &str, policy: &str) -> Result<(), ProviderError> {
    c.sns
        .put_data_protection_policy()
        .resource_arn(arn)
        .data_protection_policy(policy)
        .send()
        .await
        .call("sns:PutDataProtectionPolicy")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for DataProtectionPolicy {
    type Model = DataProtectionModel;
    const TYPE: &'static str = "aws_sns_topic_data_protection_policy";
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr("arn", Attribute::required(Type::String).force_new())
            .attr("policy", Attribute::required(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &DataProtectionModel,
    ) -> Result<Created<DataProtectionModel>, ProviderError> {
        put_data_protection(c, &m.arn, &m.policy).await?;
        Ok(m.arn.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &DataProtectionModel,
    ) -> Result<Option<DataProtectionModel>, ProviderError> {
        let Some(out) = c
            .sns
            .get_data_protection_policy()
            .resource_arn(&m.id)
            .send()
            .await
            .found("sns:GetDataProtectionPolicy")?
        else {
            return Ok(None);
        };
        // A topic without a policy answers an empty one: the resource is gone.
        Ok(out
            .data_protection_policy()
            .filter(|p| !p.is_empty())
            .map(|p| DataProtectionModel {
                id: m.id.clone(),
                arn: m.id.clone(),
                policy: p.to_string(),
            }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &DataProtectionModel,
        new: &DataProtectionModel,
    ) -> Result<(), ProviderError> {
        put_data_protection(c, &new.id, &new.policy).await
    }

    async fn delete(&self, c: &Clients, m: &DataProtectionModel) -> Result<(), ProviderError> {
        c.sns
            .put_data_protection_policy()
            .resource_arn(&m.id)
            .data_protection_policy("")
            .send()
            .await
            .gone_ok("sns:PutDataProtectionPolicy")
    }
}
