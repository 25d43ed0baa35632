//! `aws_sns_topic`, `aws_sns_topic_subscription` and `aws_sns_topic_policy`: where alarms
//! and pipelines send their notifications, and who may publish there. A topic is known by its ARN (import ID); its settings are topic
//! attributes; a FIFO topic's name ends in `.fifo`. A subscription is known by its ARN.

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
    tags_all: Option<BTreeMap<String, String>>,
}

/// The topic attributes an update may set, by attribute name and model value.
fn settable(m: &TopicModel) -> Vec<(&'static str, Option<String>)> {
    vec![
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
    ]
}

#[async_trait::async_trait]
impl AwsResource for Topic {
    type Model = TopicModel;
    const TYPE: &'static str = "aws_sns_topic";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-"));
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        Schema::new()
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

#[derive(Default)]
pub struct Subscription;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SubscriptionModel {
    id: String,
    arn: Option<String>,
    topic_arn: String,
    protocol: String,
    endpoint: String,
    raw_message_delivery: Option<bool>,
    filter_policy: Option<String>,
    owner_id: Option<String>,
    pending_confirmation: Option<bool>,
}

#[async_trait::async_trait]
impl AwsResource for Subscription {
    type Model = SubscriptionModel;
    const TYPE: &'static str = "aws_sns_topic_subscription";
    const POLICIES: &'static [&'static str] = &["filter_policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr("topic_arn", Attribute::required(Type::String).force_new())
            .attr("protocol", Attribute::required(Type::String).force_new())
            .attr("endpoint", Attribute::required(Type::String).force_new())
            .attr(
                "raw_message_delivery",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr("filter_policy", Attribute::optional(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String))
            .attr("pending_confirmation", Attribute::computed(Type::Bool))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &SubscriptionModel,
    ) -> Result<Created<SubscriptionModel>, ProviderError> {
        let mut attributes = std::collections::HashMap::new();
        if m.raw_message_delivery == Some(true) {
            attributes.insert("RawMessageDelivery".to_string(), "true".to_string());
        }
        if let Some(p) = &m.filter_policy {
            attributes.insert("FilterPolicy".to_string(), p.clone());
        }
        let out = c
            .sns
            .subscribe()
            .topic_arn(&m.topic_arn)
            .protocol(&m.protocol)
            .endpoint(&m.endpoint)
            .set_attributes(Some(attributes).filter(|a| !a.is_empty()))
            .return_subscription_arn(true)
            .send()
            .await
            .call("sns:Subscribe")?;
        Ok(out
            .subscription_arn()
            .unwrap_or_default()
            .to_string()
            .into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &SubscriptionModel,
    ) -> Result<Option<SubscriptionModel>, ProviderError> {
        let Some(out) = c
            .sns
            .get_subscription_attributes()
            .subscription_arn(&m.id)
            .send()
            .await
            .found("sns:GetSubscriptionAttributes")?
        else {
            return Ok(None);
        };
        let a = out.attributes().cloned().unwrap_or_default();
        let get = |k: &str| a.get(k).cloned().filter(|v| !v.is_empty());
        Ok(Some(SubscriptionModel {
            id: m.id.clone(),
            arn: Some(m.id.clone()),
            topic_arn: get("TopicArn").unwrap_or_else(|| m.topic_arn.clone()),
            protocol: get("Protocol").unwrap_or_else(|| m.protocol.clone()),
            endpoint: get("Endpoint").unwrap_or_else(|| m.endpoint.clone()),
            raw_message_delivery: Some(get("RawMessageDelivery").as_deref() == Some("true")),
            filter_policy: get("FilterPolicy"),
            owner_id: get("Owner"),
            pending_confirmation: Some(get("PendingConfirmation").as_deref() == Some("true")),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &SubscriptionModel,
        new: &SubscriptionModel,
    ) -> Result<(), ProviderError> {
        let changes = [
            (
                "RawMessageDelivery",
                old.raw_message_delivery != new.raw_message_delivery,
                new.raw_message_delivery.unwrap_or(false).to_string(),
            ),
            (
                "FilterPolicy",
                old.filter_policy != new.filter_policy,
                new.filter_policy.clone().unwrap_or_default(),
            ),
        ];
        for (name, changed, value) in changes {
            if changed {
                c.sns
                    .set_subscription_attributes()
                    .subscription_arn(&old.id)
                    .attribute_name(name)
                    .attribute_value(value)
                    .send()
                    .await
                    .call("sns:SetSubscriptionAttributes")?;
            }
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &SubscriptionModel) -> Result<(), ProviderError> {
        c.sns
            .unsubscribe()
            .subscription_arn(&m.id)
            .send()
            .await
            .gone_ok("sns:Unsubscribe")
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
