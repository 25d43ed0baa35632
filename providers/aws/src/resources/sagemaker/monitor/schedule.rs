//! `aws_sagemaker_monitoring_schedule`: when a monitoring job definition runs. Its
//! configuration updates in place; create and update wait until it is Scheduled.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sagemaker::types::{
    MonitoringScheduleConfig, MonitoringType, ScheduleConfig, ScheduleStatus,
};
use mlform_provider::{poll_until, Attribute, NestedBlock, Poll, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::{live_tags, one, set_sagemaker_tags, tags_of};
use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

fn schedule_schema() -> Schema {
    let schedule = Schema::new().attr("schedule_expression", Attribute::required(Type::String));
    let config = Schema::new()
        .attr(
            "monitoring_job_definition_name",
            Attribute::required(Type::String),
        )
        .attr("monitoring_type", Attribute::required(Type::String))
        .block(
            "schedule_config",
            NestedBlock {
                force_new: false,
                ..one(schedule, false)
            },
        );
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("arn", Attribute::computed(Type::String))
        .block(
            "monitoring_schedule_config",
            NestedBlock {
                force_new: false,
                ..one(config, true)
            },
        )
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ScheduleModel {
    id: String,
    name: String,
    arn: Option<String>,
    monitoring_schedule_config: Vec<ScheduleConfigModel>,
    tags_all: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct ScheduleConfigModel {
    monitoring_job_definition_name: String,
    monitoring_type: String,
    schedule_config: Vec<Cron>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Cron {
    schedule_expression: String,
}

const MONITORING_TYPES: &[&str] = &[
    "DataQuality",
    "ModelQuality",
    "ModelBias",
    "ModelExplainability",
];

/// The rules SageMaker applies to a schedule configuration: a known monitoring type, a
/// cron expression.
fn check(monitoring_type: Option<&str>, expression: Option<&str>) -> Result<(), ProviderError> {
    if let Some(t) = monitoring_type.filter(|t| !MONITORING_TYPES.contains(t)) {
        return Err(ProviderError::InvalidConfig(format!(
            "monitoring_type {t:?} is not one of {}",
            MONITORING_TYPES.join(", ")
        )));
    }
    if let Some(e) = expression.filter(|e| !e.starts_with("cron")) {
        return Err(ProviderError::InvalidConfig(format!(
            "schedule_expression {e:?} must be a cron expression (cron(0 * ? * * *) runs hourly)"
        )));
    }
    Ok(())
}

fn schedule_config(m: &ScheduleModel) -> Result<Option<MonitoringScheduleConfig>, ProviderError> {
    let Some(cfg) = m.monitoring_schedule_config.first() else {
        return Ok(None);
    };
    check(
        Some(&cfg.monitoring_type),
        cfg.schedule_config
            .first()
            .map(|c| c.schedule_expression.as_str()),
    )?;
    Ok(Some(
        MonitoringScheduleConfig::builder()
            .monitoring_job_definition_name(&cfg.monitoring_job_definition_name)
            .monitoring_type(MonitoringType::from(cfg.monitoring_type.as_str()))
            .set_schedule_config(cfg.schedule_config.first().map(|c| {
                ScheduleConfig::builder()
                    .schedule_expression(&c.schedule_expression)
                    .build()
            }))
            .build(),
    ))
}

/// Waits until the schedule is Scheduled (terraform-provider-aws waits the same way); a
/// Failed schedule is an error with SageMaker's reason.
async fn wait_scheduled(c: &Clients, name: &str) -> Result<(), ProviderError> {
    poll_until(
        &format!("monitoring schedule {name} to be Scheduled"),
        Duration::from_secs(120),
        || async {
            let out = c
                .sagemaker
                .describe_monitoring_schedule()
                .monitoring_schedule_name(name)
                .send()
                .await
                .call("sagemaker:DescribeMonitoringSchedule")?;
            Ok(match out.monitoring_schedule_status() {
                Some(ScheduleStatus::Scheduled) => Poll::Ready(()),
                Some(ScheduleStatus::Failed) => {
                    return Err(ProviderError::Api(format!(
                        "monitoring schedule {name} failed: {}",
                        out.failure_reason().unwrap_or("no reason given")
                    )))
                }
                other => Poll::Pending(format!("status {other:?}")),
            })
        },
    )
    .await
}

#[derive(Default)]
pub struct MonitoringSchedule;

#[async_trait::async_trait]
impl AwsResource for MonitoringSchedule {
    type Model = ScheduleModel;
    const TYPE: &'static str = "aws_sagemaker_monitoring_schedule";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-"));

    fn schema() -> Schema {
        schedule_schema()
    }

    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        let Some(cfg) = planned
            .get("monitoring_schedule_config")
            .and_then(|v| v.as_list())
            .and_then(|l| l.first())
        else {
            return Ok(());
        };
        check(
            cfg.get_attr("monitoring_type").as_str(),
            cfg.get_attr("schedule_config")
                .as_list()
                .and_then(|l| l.first())
                .and_then(|c| c.get_attr("schedule_expression").as_str()),
        )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ScheduleModel,
    ) -> Result<Created<ScheduleModel>, ProviderError> {
        c.sagemaker
            .create_monitoring_schedule()
            .monitoring_schedule_name(&m.name)
            .set_monitoring_schedule_config(schedule_config(m)?)
            .set_tags(Some(tags_of(&m.tags_all)).filter(|t| !t.is_empty()))
            .send()
            .await
            .call("sagemaker:CreateMonitoringSchedule")?;
        Ok(m.name.clone().into())
    }

    async fn wait_created(&self, c: &Clients, m: &ScheduleModel) -> Result<(), ProviderError> {
        wait_scheduled(c, &m.name).await
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ScheduleModel,
    ) -> Result<Option<ScheduleModel>, ProviderError> {
        let Some(out) = c
            .sagemaker
            .describe_monitoring_schedule()
            .monitoring_schedule_name(&m.id)
            .send()
            .await
            .found("sagemaker:DescribeMonitoringSchedule")?
        else {
            return Ok(None);
        };
        let arn = out
            .monitoring_schedule_arn()
            .unwrap_or_default()
            .to_string();
        let config = out
            .monitoring_schedule_config()
            .map(|cfg| ScheduleConfigModel {
                monitoring_job_definition_name: cfg
                    .monitoring_job_definition_name()
                    .unwrap_or_default()
                    .to_string(),
                monitoring_type: cfg
                    .monitoring_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                schedule_config: cfg
                    .schedule_config()
                    .map(|s| Cron {
                        schedule_expression: s
                            .schedule_expression()
                            .unwrap_or_default()
                            .to_string(),
                    })
                    .into_iter()
                    .collect(),
            });
        Ok(Some(ScheduleModel {
            id: m.id.clone(),
            name: out
                .monitoring_schedule_name()
                .unwrap_or_default()
                .to_string(),
            monitoring_schedule_config: config.into_iter().collect(),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &ScheduleModel,
        planned: &ScheduleModel,
    ) -> Result<(), ProviderError> {
        c.sagemaker
            .update_monitoring_schedule()
            .monitoring_schedule_name(&planned.id)
            .set_monitoring_schedule_config(schedule_config(planned)?)
            .send()
            .await
            .call("sagemaker:UpdateMonitoringSchedule")?;
        wait_scheduled(c, &planned.id).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &ScheduleModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        set_sagemaker_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &ScheduleModel) -> Result<(), ProviderError> {
        c.sagemaker
            .delete_monitoring_schedule()
            .monitoring_schedule_name(&m.id)
            .send()
            .await
            .gone_ok("sagemaker:DeleteMonitoringSchedule")?;
        poll_until(
            &format!("monitoring schedule {} to be deleted", m.id),
            Duration::from_secs(300),
            || async {
                Ok(
                    match c
                        .sagemaker
                        .describe_monitoring_schedule()
                        .monitoring_schedule_name(&m.id)
                        .send()
                        .await
                        .found("sagemaker:DescribeMonitoringSchedule")?
                    {
                        None => Poll::Ready(()),
                        Some(_) => Poll::Pending("still there".into()),
                    },
                )
            },
        )
        .await
    }
}
