//! `aws_sagemaker_model_package_group`: a group of versioned models in the SageMaker model
//! registry, where training pipelines register candidates and deployments pick approved
//! ones. Only its tags change in place; known and imported by name.

use std::collections::BTreeMap;

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::monitor::{live_tags, tags_of};
use super::not_found;
use crate::error::classify;
use crate::framework::{AwsResource, Created};
use crate::Clients;

#[derive(Default)]
pub struct ModelPackageGroup;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ModelPackageGroupModel {
    id: String,
    model_package_group_name: String,
    model_package_group_description: Option<String>,
    arn: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
}

#[async_trait::async_trait]
impl AwsResource for ModelPackageGroup {
    type Model = ModelPackageGroupModel;
    const TYPE: &'static str = "aws_sagemaker_model_package_group";
    const TAGGED: bool = true;
    const ID_ATTRIBUTE: Option<&'static str> = Some("model_package_group_name");

    fn schema() -> Schema {
        Schema::new()
            .attr(
                "model_package_group_name",
                Attribute::required(Type::String).force_new(),
            )
            .attr(
                "model_package_group_description",
                Attribute::optional(Type::String).force_new(),
            )
            .attr("arn", Attribute::computed(Type::String))
    }

    fn import_model(id: &str) -> Result<mlform_provider::Value, ProviderError> {
        Ok(mlform_provider::Value::object([
            ("id", mlform_provider::Value::from(id)),
            ("model_package_group_name", mlform_provider::Value::from(id)),
        ]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ModelPackageGroupModel,
    ) -> Result<Created<ModelPackageGroupModel>, ProviderError> {
        let tags = tags_of(&m.tags_all);
        c.sagemaker
            .create_model_package_group()
            .model_package_group_name(&m.model_package_group_name)
            .set_model_package_group_description(m.model_package_group_description.clone())
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateModelPackageGroup", &e))?;
        Ok(m.model_package_group_name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ModelPackageGroupModel,
    ) -> Result<Option<ModelPackageGroupModel>, ProviderError> {
        let out = match c
            .sagemaker
            .describe_model_package_group()
            .model_package_group_name(&m.id)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeModelPackageGroup", &e)),
        };
        let arn = out
            .model_package_group_arn()
            .unwrap_or_default()
            .to_string();
        Ok(Some(ModelPackageGroupModel {
            id: m.id.clone(),
            model_package_group_name: out
                .model_package_group_name()
                .unwrap_or_default()
                .to_string(),
            model_package_group_description: out
                .model_package_group_description()
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &ModelPackageGroupModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &ModelPackageGroupModel) -> Result<(), ProviderError> {
        match c
            .sagemaker
            .delete_model_package_group()
            .model_package_group_name(&m.id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(classify("sagemaker:DeleteModelPackageGroup", &e)),
        }
    }
}
