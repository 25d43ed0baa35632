//! `aws_sns_topic_subscription`: one endpoint (a queue, a function, an HTTPS hook, a
//! Firehose stream) receiving a topic's messages. Known by its ARN (import ID); its settings
//! are subscription attributes.

use std::collections::HashMap;

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

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
    filter_policy_scope: Option<String>,
    delivery_policy: Option<String>,
    redrive_policy: Option<String>,
    replay_policy: Option<String>,
    subscription_role_arn: Option<String>,
    confirmation_timeout_in_minutes: Option<i64>,
    endpoint_auto_confirms: Option<bool>,
    owner_id: Option<String>,
    pending_confirmation: Option<bool>,
    confirmation_was_authenticated: Option<bool>,
}

impl SubscriptionModel {
    /// The subscription attributes mlform sets, by name, as SNS takes them (absent: unset).
    /// The filter scope comes first: SNS reads a filter policy by its scope.
    fn attributes(&self) -> [(&'static str, Option<String>); 7] {
        [
            ("FilterPolicyScope", self.filter_policy_scope.clone()),
            ("FilterPolicy", self.filter_policy.clone()),
            (
                "RawMessageDelivery",
                Some(self.raw_message_delivery == Some(true))
                    .filter(|on| *on)
                    .map(|on| on.to_string()),
            ),
            ("DeliveryPolicy", self.delivery_policy.clone()),
            ("RedrivePolicy", self.redrive_policy.clone()),
            ("ReplayPolicy", self.replay_policy.clone()),
            ("SubscriptionRoleArn", self.subscription_role_arn.clone()),
        ]
    }
}

#[async_trait::async_trait]
impl AwsResource for Subscription {
    type Model = SubscriptionModel;
    const TYPE: &'static str = "aws_sns_topic_subscription";
    const POLICIES: &'static [&'static str] = &[
        "filter_policy",
        "delivery_policy",
        "redrive_policy",
        "replay_policy",
    ];
    /// How long to wait for an HTTP(S) endpoint to confirm, and whether it confirms by
    /// itself: mlform's own settings, never sent to SNS.
    const KEEP: &'static [&'static str] =
        &["confirmation_timeout_in_minutes", "endpoint_auto_confirms"];

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        Schema::new()
            .attr("topic_arn", Attribute::required(Type::String).force_new())
            .attr("protocol", Attribute::required(Type::String).force_new())
            .attr("endpoint", Attribute::required(Type::String).force_new())
            .attr(
                "raw_message_delivery",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr("filter_policy", text())
            .attr(
                "filter_policy_scope",
                Attribute::optional_computed(Type::String),
            )
            .attr("delivery_policy", text())
            .attr("redrive_policy", text())
            .attr("replay_policy", text())
            .attr("subscription_role_arn", text())
            .attr(
                "confirmation_timeout_in_minutes",
                Attribute::optional(Type::Number).default(1i64),
            )
            .attr(
                "endpoint_auto_confirms",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String))
            .attr("pending_confirmation", Attribute::computed(Type::Bool))
            .attr(
                "confirmation_was_authenticated",
                Attribute::computed(Type::Bool),
            )
    }

    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        let text = |k: &str| planned.get(k).and_then(|v| v.as_str());
        if let Some(scope) = text("filter_policy_scope") {
            if !["MessageAttributes", "MessageBody"].contains(&scope) {
                return Err(ProviderError::InvalidConfig(format!(
                    "filter_policy_scope {scope:?} is not MessageAttributes or MessageBody"
                )));
            }
        }
        if text("protocol") == Some("firehose")
            && planned
                .get("subscription_role_arn")
                .is_some_and(|v| v.is_null())
        {
            return Err(ProviderError::InvalidConfig(
                "a firehose subscription needs subscription_role_arn: SNS delivers to Kinesis Data Firehose as that role".into(),
            ));
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &SubscriptionModel,
    ) -> Result<Created<SubscriptionModel>, ProviderError> {
        let attributes: HashMap<String, String> = m
            .attributes()
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect();
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
        let flag = |k: &str| Some(get(k).as_deref() == Some("true"));
        Ok(Some(SubscriptionModel {
            id: m.id.clone(),
            arn: Some(m.id.clone()),
            topic_arn: get("TopicArn").unwrap_or_else(|| m.topic_arn.clone()),
            protocol: get("Protocol").unwrap_or_else(|| m.protocol.clone()),
            endpoint: get("Endpoint").unwrap_or_else(|| m.endpoint.clone()),
            raw_message_delivery: flag("RawMessageDelivery"),
            filter_policy: get("FilterPolicy"),
            filter_policy_scope: get("FilterPolicyScope"),
            delivery_policy: get("DeliveryPolicy"),
            redrive_policy: get("RedrivePolicy"),
            replay_policy: get("ReplayPolicy"),
            subscription_role_arn: get("SubscriptionRoleArn"),
            confirmation_timeout_in_minutes: None,
            endpoint_auto_confirms: None,
            owner_id: get("Owner"),
            pending_confirmation: flag("PendingConfirmation"),
            confirmation_was_authenticated: flag("ConfirmationWasAuthenticated"),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &SubscriptionModel,
        new: &SubscriptionModel,
    ) -> Result<(), ProviderError> {
        for ((name, before), (_, after)) in old.attributes().into_iter().zip(new.attributes()) {
            // A scope left out keeps what SNS holds (it is optional and computed).
            if before == after || (name == "FilterPolicyScope" && after.is_none()) {
                continue;
            }
            let value = match (name, after) {
                (_, Some(v)) => v,
                ("RawMessageDelivery", None) => "false".to_string(),
                (_, None) => String::new(),
            };
            c.sns
                .set_subscription_attributes()
                .subscription_arn(&old.id)
                .attribute_name(name)
                .attribute_value(value)
                .send()
                .await
                .call("sns:SetSubscriptionAttributes")?;
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
