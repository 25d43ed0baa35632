//! Policies granted to one IAM user, group or role: managed policy attachments
//! (`aws_iam_user_policy_attachment`, `aws_iam_group_policy_attachment`,
//! `aws_iam_role_policy_attachment`) and inline policies (`aws_iam_user_policy`,
//! `aws_iam_group_policy`, `aws_iam_role_policy`), one implementation each over the three
//! kinds of holder. Import IDs as terraform-provider-aws: `HOLDER/POLICY_ARN`,
//! `HOLDER:POLICY_NAME`.

use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

/// The kinds of holder, as const generic arguments.
pub const USER: u8 = 0;
pub const GROUP: u8 = 1;
pub const ROLE: u8 = 2;

/// The holder's attribute name (`user`, `group`, `role`).
const fn holder_key(holder: u8) -> &'static str {
    match holder {
        GROUP => "group",
        ROLE => "role",
        _ => "user",
    }
}

fn split_id(id: &str, sep: char, what: &str) -> Result<(String, String), ProviderError> {
    id.split_once(sep)
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| ProviderError::Unsupported(format!("import ID {id:?}: expected {what}")))
}

/// The one of `user`, `group`, `role` a grant's model holds.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct Holder {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
}

impl Holder {
    fn name(&self) -> String {
        self.user
            .clone()
            .or(self.group.clone())
            .or(self.role.clone())
            .unwrap_or_default()
    }
}

/// `aws_iam_{user,group,role}_policy_attachment`.
#[derive(Default)]
pub struct Attachment<const HOLDER: u8>;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AttachmentModel {
    id: String,
    #[serde(flatten)]
    holder: Holder,
    policy_arn: String,
}

#[async_trait::async_trait]
impl<const HOLDER: u8> AwsResource for Attachment<HOLDER> {
    type Model = AttachmentModel;
    const TYPE: &'static str = match HOLDER {
        GROUP => "aws_iam_group_policy_attachment",
        ROLE => "aws_iam_role_policy_attachment",
        _ => "aws_iam_user_policy_attachment",
    };

    fn schema() -> Schema {
        Schema::new()
            .attr(
                holder_key(HOLDER),
                Attribute::required(Type::String).force_new(),
            )
            .attr("policy_arn", Attribute::required(Type::String).force_new())
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let (holder, arn) = split_id(id, '/', "HOLDER/POLICY_ARN")?;
        Ok(Value::object([
            ("id", Value::from(id)),
            (holder_key(HOLDER), Value::from(holder)),
            ("policy_arn", Value::from(arn)),
        ]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AttachmentModel,
    ) -> Result<Created<AttachmentModel>, ProviderError> {
        let holder = m.holder.name();
        let arn = m.policy_arn.as_str();
        match HOLDER {
            GROUP => {
                let req = c.iam.attach_group_policy().group_name(&holder);
                req.policy_arn(arn)
                    .send()
                    .await
                    .call("iam:AttachGroupPolicy")?;
            }
            ROLE => {
                let req = c.iam.attach_role_policy().role_name(&holder);
                req.policy_arn(arn)
                    .send()
                    .await
                    .call("iam:AttachRolePolicy")?;
            }
            _ => {
                let req = c.iam.attach_user_policy().user_name(&holder);
                req.policy_arn(arn)
                    .send()
                    .await
                    .call("iam:AttachUserPolicy")?;
            }
        }
        Ok(format!("{holder}/{arn}").into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &AttachmentModel,
    ) -> Result<Option<AttachmentModel>, ProviderError> {
        let holder = m.holder.name();
        let attached = match HOLDER {
            GROUP => {
                let req = c.iam.list_attached_group_policies().group_name(&holder);
                req.send()
                    .await
                    .found("iam:ListAttachedGroupPolicies")?
                    .map(|o| o.attached_policies)
            }
            ROLE => {
                let req = c.iam.list_attached_role_policies().role_name(&holder);
                req.send()
                    .await
                    .found("iam:ListAttachedRolePolicies")?
                    .map(|o| o.attached_policies)
            }
            _ => {
                let req = c.iam.list_attached_user_policies().user_name(&holder);
                req.send()
                    .await
                    .found("iam:ListAttachedUserPolicies")?
                    .map(|o| o.attached_policies)
            }
        };
        let present = attached
            .flatten()
            .unwrap_or_default()
            .iter()
            .any(|p| p.policy_arn() == Some(m.policy_arn.as_str()));
        Ok(present.then(|| AttachmentModel {
            id: m.id.clone(),
            holder: m.holder.clone(),
            policy_arn: m.policy_arn.clone(),
        }))
    }

    async fn delete(&self, c: &Clients, m: &AttachmentModel) -> Result<(), ProviderError> {
        let holder = m.holder.name();
        let arn = m.policy_arn.as_str();
        match HOLDER {
            GROUP => {
                let req = c.iam.detach_group_policy().group_name(&holder);
                req.policy_arn(arn)
                    .send()
                    .await
                    .gone_ok("iam:DetachGroupPolicy")
            }
            ROLE => {
                let req = c.iam.detach_role_policy().role_name(&holder);
                req.policy_arn(arn)
                    .send()
                    .await
                    .gone_ok("iam:DetachRolePolicy")
            }
            _ => {
                let req = c.iam.detach_user_policy().user_name(&holder);
                req.policy_arn(arn)
                    .send()
                    .await
                    .gone_ok("iam:DetachUserPolicy")
            }
        }
    }
}

/// `aws_iam_{user,group,role}_policy`: an inline policy.
#[derive(Default)]
pub struct InlinePolicy<const HOLDER: u8>;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InlinePolicyModel {
    id: String,
    name: String,
    #[serde(flatten)]
    holder: Holder,
    policy: String,
}

#[async_trait::async_trait]
impl<const HOLDER: u8> AwsResource for InlinePolicy<HOLDER> {
    type Model = InlinePolicyModel;
    const TYPE: &'static str = match HOLDER {
        GROUP => "aws_iam_group_policy",
        ROLE => "aws_iam_role_policy",
        _ => "aws_iam_user_policy",
    };
    const NAMING: Option<Naming> = Some(Naming::name(if HOLDER == ROLE {
        "terraform-"
    } else {
        "tf-"
    }));
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                holder_key(HOLDER),
                Attribute::required(Type::String).force_new(),
            )
            .attr("policy", Attribute::required(Type::String))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let (holder, name) = split_id(id, ':', "HOLDER:POLICY_NAME")?;
        Ok(Value::object([
            ("id", Value::from(id)),
            (holder_key(HOLDER), Value::from(holder)),
            ("name", Value::from(name)),
        ]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &InlinePolicyModel,
    ) -> Result<Created<InlinePolicyModel>, ProviderError> {
        self.update(c, m, m).await?;
        Ok(format!("{}:{}", m.holder.name(), m.name).into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &InlinePolicyModel,
    ) -> Result<Option<InlinePolicyModel>, ProviderError> {
        let holder = m.holder.name();
        let document = match HOLDER {
            GROUP => {
                let req = c.iam.get_group_policy().group_name(&holder);
                req.policy_name(&m.name)
                    .send()
                    .await
                    .found("iam:GetGroupPolicy")?
                    .map(|o| o.policy_document)
            }
            ROLE => {
                let req = c.iam.get_role_policy().role_name(&holder);
                req.policy_name(&m.name)
                    .send()
                    .await
                    .found("iam:GetRolePolicy")?
                    .map(|o| o.policy_document)
            }
            _ => {
                let req = c.iam.get_user_policy().user_name(&holder);
                req.policy_name(&m.name)
                    .send()
                    .await
                    .found("iam:GetUserPolicy")?
                    .map(|o| o.policy_document)
            }
        };
        Ok(document.map(|d| InlinePolicyModel {
            id: m.id.clone(),
            name: m.name.clone(),
            holder: m.holder.clone(),
            policy: crate::policy::decode(&d),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _: &InlinePolicyModel,
        new: &InlinePolicyModel,
    ) -> Result<(), ProviderError> {
        let holder = new.holder.name();
        let (name, doc) = (new.name.as_str(), new.policy.as_str());
        match HOLDER {
            GROUP => {
                let req = c.iam.put_group_policy().group_name(&holder);
                req.policy_name(name)
                    .policy_document(doc)
                    .send()
                    .await
                    .call("iam:PutGroupPolicy")
                    .map(drop)
            }
            ROLE => {
                let req = c.iam.put_role_policy().role_name(&holder);
                req.policy_name(name)
                    .policy_document(doc)
                    .send()
                    .await
                    .call("iam:PutRolePolicy")
                    .map(drop)
            }
            _ => {
                let req = c.iam.put_user_policy().user_name(&holder);
                req.policy_name(name)
                    .policy_document(doc)
                    .send()
                    .await
                    .call("iam:PutUserPolicy")
                    .map(drop)
            }
        }
    }

    async fn delete(&self, c: &Clients, m: &InlinePolicyModel) -> Result<(), ProviderError> {
        let holder = m.holder.name();
        let name = m.name.as_str();
        match HOLDER {
            GROUP => {
                let req = c.iam.delete_group_policy().group_name(&holder);
                req.policy_name(name)
                    .send()
                    .await
                    .gone_ok("iam:DeleteGroupPolicy")
            }
            ROLE => {
                let req = c.iam.delete_role_policy().role_name(&holder);
                req.policy_name(name)
                    .send()
                    .await
                    .gone_ok("iam:DeleteRolePolicy")
            }
            _ => {
                let req = c.iam.delete_user_policy().user_name(&holder);
                req.policy_name(name)
                    .send()
                    .await
                    .gone_ok("iam:DeleteUserPolicy")
            }
        }
    }
}
