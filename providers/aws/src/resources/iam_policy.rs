//! `aws_iam_policy`: a customer managed policy. A new document becomes the new default
//! version (the oldest other version is dropped first when IAM's five are used); delete
//! removes the other versions, then the policy, and names the cause when it is still
//! attached. Documents compare by meaning. Known and imported by ARN.

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::iam_tags::{from_sdk, retag, to_sdk, Tags};
use crate::error::code;
use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

#[derive(Default)]
pub struct IamPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PolicyModel {
    id: String,
    name: String,
    path: Option<String>,
    description: Option<String>,
    policy: String,
    arn: Option<String>,
    policy_id: Option<String>,
    attachment_count: Option<i32>,
    tags_all: Tags,
}

#[async_trait::async_trait]
impl AwsResource for IamPolicy {
    type Model = PolicyModel;
    const TYPE: &'static str = "aws_iam_policy";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-"));
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                "path",
                Attribute::optional(Type::String).force_new().default("/"),
            )
            .attr("description", Attribute::optional(Type::String).force_new())
            .attr("policy", Attribute::required(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("policy_id", Attribute::computed(Type::String))
            .attr("attachment_count", Attribute::computed(Type::Number))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PolicyModel,
    ) -> Result<Created<PolicyModel>, ProviderError> {
        let out = c
            .iam
            .create_policy()
            .policy_name(&m.name)
            .policy_document(&m.policy)
            .path(m.path.as_deref().unwrap_or("/"))
            .set_description(m.description.clone())
            .set_tags(Some(to_sdk(&m.tags_all)?))
            .send()
            .await
            .call("iam:CreatePolicy")?;
        let arn = out.policy().and_then(|p| p.arn()).unwrap_or_default();
        Ok(arn.to_string().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &PolicyModel,
    ) -> Result<Option<PolicyModel>, ProviderError> {
        let req = c.iam.get_policy().policy_arn(&m.id);
        let Some(out) = req.send().await.found("iam:GetPolicy")? else {
            return Ok(None);
        };
        let Some(p) = out.policy() else {
            return Ok(None);
        };
        let version = p.default_version_id().unwrap_or("v1");
        let req = c.iam.get_policy_version().policy_arn(&m.id);
        let doc = req
            .version_id(version)
            .send()
            .await
            .call("iam:GetPolicyVersion")?;
        Ok(Some(PolicyModel {
            id: m.id.clone(),
            name: p.policy_name().unwrap_or_default().to_string(),
            path: Some(p.path().unwrap_or("/").to_string()),
            description: p.description().map(str::to_string),
            policy: doc
                .policy_version()
                .and_then(|v| v.document())
                .map(crate::policy::decode)
                .unwrap_or_default(),
            arn: Some(m.id.clone()),
            policy_id: p.policy_id().map(str::to_string),
            attachment_count: p.attachment_count(),
            tags_all: from_sdk(p.tags()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &PolicyModel,
        m: &PolicyModel,
    ) -> Result<(), ProviderError> {
        if prior.policy == m.policy {
            return Ok(());
        }
        let req = c.iam.list_policy_versions().policy_arn(&m.id);
        let versions = req.send().await.call("iam:ListPolicyVersions")?;
        if versions.versions().len() >= MAX_VERSIONS {
            // IAM lists versions newest first.
            let oldest = versions
                .versions()
                .iter()
                .filter(|v| !v.is_default_version())
                .filter_map(|v| v.version_id())
                .last();
            if let Some(oldest) = oldest {
                let req = c.iam.delete_policy_version().policy_arn(&m.id);
                req.version_id(oldest)
                    .send()
                    .await
                    .call("iam:DeletePolicyVersion")?;
            }
        }
        let req = c.iam.create_policy_version().policy_arn(&m.id);
        req.policy_document(&m.policy)
            .set_as_default(true)
            .send()
            .await
            .call("iam:CreatePolicyVersion")
            .map(drop)
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &PolicyModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag!(
            c.iam.untag_policy().policy_arn(&m.id),
            c.iam.tag_policy().policy_arn(&m.id),
            "Policy",
            remove,
            set
        )
    }

    async fn delete(&self, c: &Clients, m: &PolicyModel) -> Result<(), ProviderError> {
        let req = c.iam.list_policy_versions().policy_arn(&m.id);
        let Some(versions) = req.send().await.found("iam:ListPolicyVersions")? else {
            return Ok(());
        };
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            if let Some(id) = v.version_id() {
                let req = c.iam.delete_policy_version().policy_arn(&m.id);
                req.version_id(id)
                    .send()
                    .await
                    .gone_ok("iam:DeletePolicyVersion")?;
            }
        }
        match c.iam.delete_policy().policy_arn(&m.id).send().await {
            Err(e) if code(&e) == "DeleteConflict" => Err(ProviderError::Api(format!(
                "policy {} is still attached; detach it (or destroy its attachments) first",
                m.id
            ))),
            other => other.gone_ok("iam:DeletePolicy"),
        }
    }
}
