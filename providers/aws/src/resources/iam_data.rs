//! Data `aws_iam_role` and `aws_iam_policy`: an existing role by name, an existing managed
//! policy by ARN or by name (with `path_prefix`), with their documents decoded as the
//! resources hold them.

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::iam_tags::{from_sdk, Tags};
use crate::framework::{AwsDataSource, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct RoleData;

#[derive(Deserialize)]
pub struct RoleArgs {
    name: String,
}

#[derive(Serialize)]
pub struct RoleOut {
    id: String,
    name: String,
    arn: String,
    assume_role_policy: String,
    create_date: String,
    description: Option<String>,
    max_session_duration: i32,
    path: String,
    permissions_boundary: Option<String>,
    unique_id: String,
    tags: Tags,
}

#[async_trait::async_trait]
impl AwsDataSource for RoleData {
    type Args = RoleArgs;
    type Out = RoleOut;
    const TYPE: &'static str = "aws_iam_role";

    fn schema() -> Schema {
        let computed = |t| Attribute::computed(t);
        Schema::new()
            .attr("name", Attribute::required(Type::String))
            .attr("id", computed(Type::String))
            .attr("arn", computed(Type::String))
            .attr("assume_role_policy", computed(Type::String))
            .attr("create_date", computed(Type::String))
            .attr("description", computed(Type::String))
            .attr("max_session_duration", computed(Type::Number))
            .attr("path", computed(Type::String))
            .attr("permissions_boundary", computed(Type::String))
            .attr("unique_id", computed(Type::String))
            .attr("tags", computed(Type::map(Type::String)))
    }

    async fn read(&self, c: &Clients, args: RoleArgs) -> Result<RoleOut, ProviderError> {
        let out = c
            .iam
            .get_role()
            .role_name(&args.name)
            .send()
            .await
            .found("iam:GetRole")?;
        let Some(r) = out.and_then(|o| o.role) else {
            return Err(ProviderError::InvalidConfig(format!(
                "no IAM role named \"{}\"",
                args.name
            )));
        };
        Ok(RoleOut {
            id: r.role_name().into(),
            name: r.role_name().into(),
            arn: r.arn().into(),
            assume_role_policy: r
                .assume_role_policy_document()
                .map(crate::policy::decode)
                .unwrap_or_default(),
            create_date: r.create_date().to_string(),
            description: r.description().map(str::to_string),
            max_session_duration: r.max_session_duration().unwrap_or(3600),
            path: r.path().into(),
            permissions_boundary: r
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
            unique_id: r.role_id().into(),
            tags: from_sdk(r.tags()),
        })
    }
}

#[derive(Default)]
pub struct PolicyData;

#[derive(Deserialize)]
pub struct PolicyArgs {
    arn: Option<String>,
    name: Option<String>,
    path_prefix: Option<String>,
}

#[derive(Serialize)]
pub struct PolicyOut {
    id: String,
    arn: String,
    name: String,
    path: String,
    path_prefix: Option<String>,
    description: Option<String>,
    policy: String,
    policy_id: String,
    attachment_count: i32,
    tags: Tags,
}

#[async_trait::async_trait]
impl AwsDataSource for PolicyData {
    type Args = PolicyArgs;
    type Out = PolicyOut;
    const TYPE: &'static str = "aws_iam_policy";

    fn schema() -> Schema {
        let computed = |t| Attribute::computed(t);
        Schema::new()
            .attr("arn", Attribute::optional_computed(Type::String))
            .attr("name", Attribute::optional_computed(Type::String))
            .attr("path_prefix", Attribute::optional(Type::String))
            .attr("id", computed(Type::String))
            .attr("path", computed(Type::String))
            .attr("description", computed(Type::String))
            .attr("policy", computed(Type::String))
            .attr("policy_id", computed(Type::String))
            .attr("attachment_count", computed(Type::Number))
            .attr("tags", computed(Type::map(Type::String)))
    }

    async fn read(&self, c: &Clients, args: PolicyArgs) -> Result<PolicyOut, ProviderError> {
        let arn = match (&args.arn, &args.name) {
            (Some(arn), _) => arn.clone(),
            (None, Some(name)) => {
                // ListPolicies by scope and path; names are unique within an account.
                let mut found = Vec::new();
                let mut marker = None;
                loop {
                    let page = c
                        .iam
                        .list_policies()
                        .set_path_prefix(args.path_prefix.clone())
                        .set_marker(marker)
                        .send()
                        .await
                        .call("iam:ListPolicies")?;
                    found.extend(
                        page.policies()
                            .iter()
                            .filter(|p| p.policy_name() == Some(name.as_str()))
                            .filter_map(|p| p.arn().map(str::to_string)),
                    );
                    marker = page.marker().map(str::to_string);
                    if !page.is_truncated() || marker.is_none() {
                        break;
                    }
                }
                match found.as_slice() {
                    [one] => one.clone(),
                    [] => {
                        return Err(ProviderError::InvalidConfig(format!(
                            "no IAM policy named \"{name}\""
                        )))
                    }
                    _ => {
                        return Err(ProviderError::InvalidConfig(format!(
                        "several IAM policies are named \"{name}\" ({}); give arn or path_prefix",
                        found.join(", ")
                    )))
                    }
                }
            }
            (None, None) => {
                return Err(ProviderError::InvalidConfig(
                    "data \"aws_iam_policy\" needs arn or name".into(),
                ))
            }
        };
        let out = c
            .iam
            .get_policy()
            .policy_arn(&arn)
            .send()
            .await
            .found("iam:GetPolicy")?;
        let Some(p) = out.and_then(|o| o.policy) else {
            return Err(ProviderError::InvalidConfig(format!("no IAM policy {arn}")));
        };
        let version = p.default_version_id().unwrap_or("v1").to_string();
        let doc = c
            .iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(&version)
            .send()
            .await
            .call("iam:GetPolicyVersion")?;
        Ok(PolicyOut {
            id: arn.clone(),
            arn,
            name: p.policy_name().unwrap_or_default().into(),
            path: p.path().unwrap_or("/").into(),
            path_prefix: args.path_prefix,
            description: p.description().map(str::to_string),
            policy: doc
                .policy_version()
                .and_then(|v| v.document())
                .map(crate::policy::decode)
                .unwrap_or_default(),
            policy_id: p.policy_id().unwrap_or_default().into(),
            attachment_count: p.attachment_count().unwrap_or(0),
            tags: from_sdk(p.tags()),
        })
    }
}
