//! `aws_sagemaker_notebook_instance`: a team's Jupyter sandbox. Create waits until it is
//! InService; an update stops it, changes it and starts it again, as terraform-provider-aws
//! does; delete stops it first (SageMaker deletes only stopped instances). Known and
//! imported by name.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sagemaker::types::{
    DirectInternetAccess, InstanceType, NotebookInstanceStatus, RootAccess,
};
use mlform_provider::{poll_until, Attribute, Poll, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::monitor::{live_tags, tags_of};
use super::not_found;
use crate::error::classify;
use crate::framework::{AwsResource, Created};
use crate::Clients;

const WAIT: Duration = Duration::from_secs(1800);

#[derive(Default)]
pub struct NotebookInstance;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NotebookModel {
    id: String,
    name: String,
    arn: Option<String>,
    role_arn: String,
    instance_type: String,
    volume_size: Option<i32>,
    subnet_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security_groups: Vec<String>,
    kms_key_id: Option<String>,
    lifecycle_config_name: Option<String>,
    root_access: Option<String>,
    direct_internet_access: Option<String>,
    default_code_repository: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    additional_code_repositories: Vec<String>,
    url: Option<String>,
    network_interface_id: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
}

async fn status(c: &Clients, name: &str) -> Result<Option<NotebookInstanceStatus>, ProviderError> {
    match c
        .sagemaker
        .describe_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.notebook_instance_status().cloned()),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(classify("sagemaker:DescribeNotebookInstance", &e)),
    }
}

/// Waits until the instance is `want`; Failed is an error.
async fn wait_for(
    c: &Clients,
    name: &str,
    want: NotebookInstanceStatus,
) -> Result<(), ProviderError> {
    poll_until(
        &format!("notebook instance {name} to be {}", want.as_str()),
        WAIT,
        || async {
            Ok(match status(c, name).await? {
                Some(s) if s == want => Poll::Ready(()),
                Some(NotebookInstanceStatus::Failed) => {
                    return Err(ProviderError::Api(format!(
                        "notebook instance {name} failed"
                    )))
                }
                Some(s) => Poll::Pending(s.as_str().to_string()),
                None => Poll::Pending("not found".into()),
            })
        },
    )
    .await
}

async fn stop(c: &Clients, name: &str) -> Result<(), ProviderError> {
    if matches!(
        status(c, name).await?,
        Some(NotebookInstanceStatus::Stopped | NotebookInstanceStatus::Failed) | None
    ) {
        return Ok(());
    }
    c.sagemaker
        .stop_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
        .map_err(|e| classify("sagemaker:StopNotebookInstance", &e))?;
    wait_for(c, name, NotebookInstanceStatus::Stopped).await
}

#[async_trait::async_trait]
impl AwsResource for NotebookInstance {
    type Model = NotebookModel;
    const TYPE: &'static str = "aws_sagemaker_notebook_instance";
    const TAGGED: bool = true;
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        let set = || Attribute::optional(Type::set(Type::String));
        Schema::new()
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("role_arn", Attribute::required(Type::String))
            .attr("instance_type", Attribute::required(Type::String))
            .attr(
                "volume_size",
                Attribute::optional(Type::Number).default(5i64),
            )
            .attr("subnet_id", text().force_new())
            .attr("security_groups", set().force_new())
            .attr("kms_key_id", text().force_new())
            .attr("lifecycle_config_name", text())
            .attr("root_access", text().default("Enabled"))
            .attr(
                "direct_internet_access",
                text().force_new().default("Enabled"),
            )
            .attr("default_code_repository", text())
            .attr("additional_code_repositories", set())
            .attr("arn", Attribute::computed(Type::String))
            .attr("url", Attribute::computed(Type::String))
            .attr("network_interface_id", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &NotebookModel,
    ) -> Result<Created<NotebookModel>, ProviderError> {
        let tags = tags_of(&m.tags_all);
        c.sagemaker
            .create_notebook_instance()
            .notebook_instance_name(&m.name)
            .role_arn(&m.role_arn)
            .instance_type(InstanceType::from(m.instance_type.as_str()))
            .set_volume_size_in_gb(m.volume_size)
            .set_subnet_id(m.subnet_id.clone())
            .set_security_group_ids(Some(m.security_groups.clone()).filter(|v| !v.is_empty()))
            .set_kms_key_id(m.kms_key_id.clone())
            .set_lifecycle_config_name(m.lifecycle_config_name.clone())
            .set_root_access(m.root_access.as_deref().map(RootAccess::from))
            .set_direct_internet_access(
                m.direct_internet_access
                    .as_deref()
                    .map(DirectInternetAccess::from),
            )
            .set_default_code_repository(m.default_code_repository.clone())
            .set_additional_code_repositories(
                Some(m.additional_code_repositories.clone()).filter(|v| !v.is_empty()),
            )
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateNotebookInstance", &e))?;
        Ok(m.name.clone().into())
    }

    async fn wait_created(&self, c: &Clients, m: &NotebookModel) -> Result<(), ProviderError> {
        wait_for(c, &m.name, NotebookInstanceStatus::InService).await
    }

    async fn read(
        &self,
        c: &Clients,
        m: &NotebookModel,
    ) -> Result<Option<NotebookModel>, ProviderError> {
        let o = match c
            .sagemaker
            .describe_notebook_instance()
            .notebook_instance_name(&m.id)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeNotebookInstance", &e)),
        };
        let arn = o.notebook_instance_arn().unwrap_or_default().to_string();
        Ok(Some(NotebookModel {
            id: m.id.clone(),
            name: o.notebook_instance_name().unwrap_or_default().to_string(),
            role_arn: o.role_arn().unwrap_or_default().to_string(),
            instance_type: o
                .instance_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            volume_size: o.volume_size_in_gb(),
            subnet_id: o.subnet_id().map(str::to_string),
            security_groups: o.security_groups().to_vec(),
            kms_key_id: o.kms_key_id().map(str::to_string),
            lifecycle_config_name: o
                .notebook_instance_lifecycle_config_name()
                .map(str::to_string),
            root_access: o.root_access().map(|r| r.as_str().to_string()),
            direct_internet_access: o.direct_internet_access().map(|d| d.as_str().to_string()),
            default_code_repository: o.default_code_repository().map(str::to_string),
            additional_code_repositories: o.additional_code_repositories().to_vec(),
            url: o.url().map(str::to_string),
            network_interface_id: o.network_interface_id().map(str::to_string),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &NotebookModel,
        m: &NotebookModel,
    ) -> Result<(), ProviderError> {
        stop(c, &m.id).await?;
        c.sagemaker
            .update_notebook_instance()
            .notebook_instance_name(&m.id)
            .role_arn(&m.role_arn)
            .instance_type(InstanceType::from(m.instance_type.as_str()))
            .set_volume_size_in_gb(m.volume_size)
            .set_lifecycle_config_name(m.lifecycle_config_name.clone())
            .set_disassociate_lifecycle_config(Some(m.lifecycle_config_name.is_none()))
            .set_root_access(m.root_access.as_deref().map(RootAccess::from))
            .set_default_code_repository(m.default_code_repository.clone())
            .set_additional_code_repositories(
                Some(m.additional_code_repositories.clone()).filter(|v| !v.is_empty()),
            )
            .send()
            .await
            .map_err(|e| classify("sagemaker:UpdateNotebookInstance", &e))?;
        c.sagemaker
            .start_notebook_instance()
            .notebook_instance_name(&m.id)
            .send()
            .await
            .map_err(|e| classify("sagemaker:StartNotebookInstance", &e))?;
        wait_for(c, &m.id, NotebookInstanceStatus::InService).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &NotebookModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &NotebookModel) -> Result<(), ProviderError> {
        stop(c, &m.id).await?;
        match c
            .sagemaker
            .delete_notebook_instance()
            .notebook_instance_name(&m.id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("sagemaker:DeleteNotebookInstance", &e)),
        }
        poll_until(
            &format!("notebook instance {} to be deleted", m.id),
            WAIT,
            || async {
                Ok(match status(c, &m.id).await? {
                    None => Poll::Ready(()),
                    Some(s) => Poll::Pending(s.as_str().to_string()),
                })
            },
        )
        .await
    }
}
