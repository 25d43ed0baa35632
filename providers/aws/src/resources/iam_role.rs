//! `aws_iam_role`: a role with its trust policy (compared by meaning, so a reformatted
//! policy is not a change), permissions boundary and, when configured, its exclusive set of
//! `inline_policy` blocks. Import ID: the role name. Delete detaches managed policies and
//! removes inline ones first, as AWS requires.

use std::collections::BTreeSet;

use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::iam_tags::{from_sdk, retag, to_sdk, Tags};
use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Role;

#[derive(Serialize, Deserialize, Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(default)]
pub struct InlinePolicy {
    name: String,
    policy: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RoleModel {
    id: String,
    name: String,
    path: Option<String>,
    assume_role_policy: String,
    description: Option<String>,
    max_session_duration: Option<i32>,
    permissions_boundary: Option<String>,
    force_detach_policies: Option<bool>,
    inline_policy: BTreeSet<InlinePolicy>,
    arn: Option<String>,
    unique_id: Option<String>,
    create_date: Option<String>,
    tags_all: Tags,
}

#[async_trait::async_trait]
impl AwsResource for Role {
    type Model = RoleModel;
    const TYPE: &'static str = "aws_iam_role";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-"));
    const KEEP: &'static [&'static str] = &["force_detach_policies"];
    const POLICIES: &'static [&'static str] = &["assume_role_policy"];
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        let inline = Schema::new()
            .attr("name", Attribute::optional(Type::String))
            .attr("policy", Attribute::optional(Type::String));
        Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                "path",
                Attribute::optional(Type::String).default("/").force_new(),
            )
            .attr(
                "assume_role_policy",
                Attribute::required(Type::String).describe("The trust policy (JSON)."),
            )
            .attr("description", Attribute::optional(Type::String))
            .attr(
                "max_session_duration",
                Attribute::optional(Type::Number).default(3600i64),
            )
            .attr("permissions_boundary", Attribute::optional(Type::String))
            .attr(
                "force_detach_policies",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("unique_id", Attribute::computed(Type::String))
            .attr("create_date", Attribute::computed(Type::String))
            .block(
                "inline_policy",
                NestedBlock {
                    nesting: Nesting::Set,
                    block: inline,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &RoleModel,
    ) -> Result<Created<RoleModel>, ProviderError> {
        let req = c
            .iam
            .create_role()
            .role_name(&m.name)
            .assume_role_policy_document(&m.assume_role_policy);
        let req = req
            .set_path(m.path.clone())
            .set_description(m.description.clone());
        let req = req
            .set_max_session_duration(m.max_session_duration)
            .set_permissions_boundary(m.permissions_boundary.clone());
        req.set_tags(Some(to_sdk(&m.tags_all)?))
            .send()
            .await
            .call("iam:CreateRole")?;
        put_inline(c, &m.name, &BTreeSet::new(), &m.inline_policy).await?;
        Ok(m.name.clone().into())
    }

    async fn read(&self, c: &Clients, m: &RoleModel) -> Result<Option<RoleModel>, ProviderError> {
        let out = c
            .iam
            .get_role()
            .role_name(&m.id)
            .send()
            .await
            .found("iam:GetRole")?;
        let Some(r) = out.and_then(|o| o.role) else {
            return Ok(None);
        };
        // Inline policies are tracked only when the configuration manages them.
        let mut inline_policy = BTreeSet::new();
        if !m.inline_policy.is_empty() {
            let names = c
                .iam
                .list_role_policies()
                .role_name(&m.id)
                .send()
                .await
                .call("iam:ListRolePolicies")?;
            for name in names.policy_names() {
                let p = c
                    .iam
                    .get_role_policy()
                    .role_name(&m.id)
                    .policy_name(name)
                    .send()
                    .await;
                if let Some(p) = p.found("iam:GetRolePolicy")? {
                    let known = m.inline_policy.iter().find(|i| &i.name == name);
                    let text = crate::policy::decode(p.policy_document());
                    let same = known.is_some_and(|k| crate::policy::equivalent(&k.policy, &text));
                    let policy = if same {
                        known.map(|k| k.policy.clone()).unwrap_or(text)
                    } else {
                        text
                    };
                    inline_policy.insert(InlinePolicy {
                        name: name.clone(),
                        policy,
                    });
                }
            }
        }
        Ok(Some(RoleModel {
            id: r.role_name().into(),
            name: r.role_name().into(),
            path: Some(r.path().into()),
            assume_role_policy: r
                .assume_role_policy_document()
                .map(crate::policy::decode)
                .unwrap_or_default(),
            description: r.description().map(str::to_string),
            max_session_duration: Some(r.max_session_duration().unwrap_or(3600)),
            permissions_boundary: r
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
            force_detach_policies: None,
            inline_policy,
            arn: Some(r.arn().into()),
            unique_id: Some(r.role_id().into()),
            create_date: Some(r.create_date().to_string()),
            tags_all: from_sdk(r.tags()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &RoleModel,
        new: &RoleModel,
    ) -> Result<(), ProviderError> {
        let (iam, name) = (&c.iam, old.id.as_str());
        if old.assume_role_policy != new.assume_role_policy {
            let req = iam
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(&new.assume_role_policy);
            req.send().await.call("iam:UpdateAssumeRolePolicy")?;
        }
        if (&old.description, old.max_session_duration)
            != (&new.description, new.max_session_duration)
        {
            let req = iam
                .update_role()
                .role_name(name)
                .description(new.description.clone().unwrap_or_default());
            req.set_max_session_duration(new.max_session_duration)
                .send()
                .await
                .call("iam:UpdateRole")?;
        }
        if old.permissions_boundary != new.permissions_boundary {
            match &new.permissions_boundary {
                Some(arn) => iam
                    .put_role_permissions_boundary()
                    .role_name(name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .call("iam:PutRolePermissionsBoundary")
                    .map(drop)?,
                None => iam
                    .delete_role_permissions_boundary()
                    .role_name(name)
                    .send()
                    .await
                    .gone_ok("iam:DeleteRolePermissionsBoundary")?,
            }
        }
        put_inline(c, name, &old.inline_policy, &new.inline_policy).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &RoleModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag!(
            c.iam.untag_role().role_name(&m.id),
            c.iam.tag_role().role_name(&m.id),
            "Role",
            remove,
            set
        )
    }

    async fn delete(&self, c: &Clients, m: &RoleModel) -> Result<(), ProviderError> {
        let (iam, name) = (&c.iam, m.id.as_str());
        let Some(attached) = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .found("iam:ListAttachedRolePolicies")?
        else {
            return Ok(());
        };
        for arn in attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
        {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .gone_ok("iam:DetachRolePolicy")?;
        }
        let inline = iam
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .call("iam:ListRolePolicies")?;
        for p in inline.policy_names() {
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(p)
                .send()
                .await
                .gone_ok("iam:DeleteRolePolicy")?;
        }
        iam.delete_role()
            .role_name(name)
            .send()
            .await
            .gone_ok("iam:DeleteRole")
    }
}

/// Makes the role's inline policies go from `old` to `new`.
async fn put_inline(
    c: &Clients,
    role: &str,
    old: &BTreeSet<InlinePolicy>,
    new: &BTreeSet<InlinePolicy>,
) -> Result<(), ProviderError> {
    for p in new.difference(old).filter(|p| !p.name.is_empty()) {
        let req = c
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name(&p.name)
            .policy_document(&p.policy);
        req.send().await.call("iam:PutRolePolicy")?;
    }
    for p in old.iter().filter(|p| !new.iter().any(|n| n.name == p.name)) {
        c.iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(&p.name)
            .send()
            .await
            .gone_ok("iam:DeleteRolePolicy")?;
    }
    Ok(())
}
