//! `aws_cloudwatch_composite_alarm`: an alarm whose state is a rule over other alarms
//! (`ALARM("latency") OR ALARM("errors")`), so one page fires for an endpoint in trouble
//! instead of one per symptom. Known by its name (import ID); PutCompositeAlarm creates and
//! replaces it whole, so an update puts every argument again.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::Tag;
use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::cloudwatch::{alarm_tags, create_tags, delete_alarm, read_list, retag_alarm};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct CompositeAlarm;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CompositeAlarmModel {
    id: String,
    alarm_name: String,
    alarm_rule: String,
    alarm_description: Option<String>,
    actions_enabled: Option<bool>,
    alarm_actions: Option<Vec<String>>,
    ok_actions: Option<Vec<String>>,
    insufficient_data_actions: Option<Vec<String>>,
    arn: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
}

async fn put(
    c: &Clients,
    m: &CompositeAlarmModel,
    tags: Option<Vec<Tag>>,
) -> Result<(), ProviderError> {
    c.cloudwatch
        .put_composite_alarm()
        .alarm_name(&m.alarm_name)
        .alarm_rule(&m.alarm_rule)
        .set_alarm_description(m.alarm_description.clone())
        .actions_enabled(m.actions_enabled.unwrap_or(true))
        .set_alarm_actions(m.alarm_actions.clone())
        .set_ok_actions(m.ok_actions.clone())
        .set_insufficient_data_actions(m.insufficient_data_actions.clone())
        .set_tags(tags)
        .send()
        .await
        .call("cloudwatch:PutCompositeAlarm")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for CompositeAlarm {
    type Model = CompositeAlarmModel;
    const TYPE: &'static str = "aws_cloudwatch_composite_alarm";
    const TAGGED: bool = true;
    const ID_ATTRIBUTE: Option<&'static str> = Some("alarm_name");

    fn schema() -> Schema {
        let actions = || Attribute::optional(Type::set(Type::String));
        Schema::new()
            .attr("alarm_name", Attribute::required(Type::String).force_new())
            .attr("alarm_rule", Attribute::required(Type::String))
            .attr("alarm_description", Attribute::optional(Type::String))
            .attr(
                "actions_enabled",
                Attribute::optional(Type::Bool).default(true),
            )
            .attr("alarm_actions", actions())
            .attr("ok_actions", actions())
            .attr("insufficient_data_actions", actions())
            .attr("arn", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &CompositeAlarmModel,
    ) -> Result<Created<CompositeAlarmModel>, ProviderError> {
        put(c, m, create_tags(m.tags_all.as_ref())).await?;
        Ok(m.alarm_name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &CompositeAlarmModel,
    ) -> Result<Option<CompositeAlarmModel>, ProviderError> {
        let out = c
            .cloudwatch
            .describe_alarms()
            .alarm_names(&m.id)
            .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
            .send()
            .await
            .call("cloudwatch:DescribeAlarms")?;
        let Some(a) = out.composite_alarms().first() else {
            return Ok(None);
        };
        let arn = a.alarm_arn().map(str::to_string);
        let tags = alarm_tags(c, arn.as_deref()).await?;
        Ok(Some(CompositeAlarmModel {
            id: m.id.clone(),
            alarm_name: a.alarm_name().unwrap_or(&m.id).to_string(),
            alarm_rule: a.alarm_rule().unwrap_or_default().to_string(),
            alarm_description: a.alarm_description().map(str::to_string),
            actions_enabled: Some(a.actions_enabled().unwrap_or(true)),
            alarm_actions: read_list(a.alarm_actions(), m.alarm_actions.as_ref()),
            ok_actions: read_list(a.ok_actions(), m.ok_actions.as_ref()),
            insufficient_data_actions: read_list(
                a.insufficient_data_actions(),
                m.insufficient_data_actions.as_ref(),
            ),
            arn,
            tags_all: Some(tags),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &CompositeAlarmModel,
        planned: &CompositeAlarmModel,
    ) -> Result<(), ProviderError> {
        // Tags go through set_tags; PutCompositeAlarm without tags leaves them as they are.
        put(c, planned, None).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &CompositeAlarmModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag_alarm(c, m.arn.as_deref(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &CompositeAlarmModel) -> Result<(), ProviderError> {
        delete_alarm(c, &m.id).await
    }
}
