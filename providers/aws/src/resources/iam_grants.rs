//! Who belongs where, and instance profiles: memberships (`aws_iam_user_group_membership`,
//! `aws_iam_group_membership`), the exclusive `aws_iam_policy_attachment` and
//! `aws_iam_instance_profile`. Import IDs as terraform-provider-aws: `USER/GROUP1/GROUP2`,
//! the group name, the profile name. Per-holder policy grants are in `iam_policy_grants`.

use std::collections::BTreeSet;

use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use super::iam_tags::{from_sdk, retag, to_sdk, Tags};
use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

/// `aws_iam_user_group_membership`: some of a user's groups (others are left alone).
#[derive(Default)]
pub struct UserGroups;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UserGroupsModel {
    id: String,
    user: String,
    groups: BTreeSet<String>,
}

async fn change_groups(
    c: &Clients,
    user: &str,
    add: &BTreeSet<String>,
    remove: &BTreeSet<String>,
) -> Result<(), ProviderError> {
    for g in add {
        let req = c.iam.add_user_to_group().user_name(user).group_name(g);
        req.send().await.call("iam:AddUserToGroup")?;
    }
    for g in remove {
        let req = c.iam.remove_user_from_group().user_name(user).group_name(g);
        req.send().await.gone_ok("iam:RemoveUserFromGroup")?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for UserGroups {
    type Model = UserGroupsModel;
    const TYPE: &'static str = "aws_iam_user_group_membership";

    fn schema() -> Schema {
        Schema::new()
            .attr("user", Attribute::required(Type::String).force_new())
            .attr("groups", Attribute::required(Type::set(Type::String)))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let mut parts = id.split('/');
        let user = parts.next().filter(|u| !u.is_empty());
        let groups: Vec<Value> = parts.map(Value::from).collect();
        match user {
            Some(user) if !groups.is_empty() => Ok(Value::object([
                ("id", Value::from(id)),
                ("user", Value::from(user)),
                ("groups", Value::set_from(groups)),
            ])),
            _ => Err(ProviderError::Unsupported(format!(
                "import ID {id:?}: expected USER/GROUP1/GROUP2"
            ))),
        }
    }

    async fn create(
        &self,
        c: &Clients,
        m: &UserGroupsModel,
    ) -> Result<Created<UserGroupsModel>, ProviderError> {
        change_groups(c, &m.user, &m.groups, &BTreeSet::new()).await?;
        let groups: Vec<&str> = m.groups.iter().map(String::as_str).collect();
        Ok(format!("{}/{}", m.user, groups.join("/")).into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &UserGroupsModel,
    ) -> Result<Option<UserGroupsModel>, ProviderError> {
        let mut now = BTreeSet::new();
        let mut pages = c
            .iam
            .list_groups_for_user()
            .user_name(&m.user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = page.found("iam:ListGroupsForUser")? else {
                return Ok(None);
            };
            now.extend(page.groups().iter().map(|g| g.group_name().to_string()));
        }
        let groups: BTreeSet<String> = m.groups.intersection(&now).cloned().collect();
        Ok(Some(UserGroupsModel {
            id: m.id.clone(),
            user: m.user.clone(),
            groups,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &UserGroupsModel,
        new: &UserGroupsModel,
    ) -> Result<(), ProviderError> {
        let add = new.groups.difference(&old.groups).cloned().collect();
        let remove = old.groups.difference(&new.groups).cloned().collect();
        change_groups(c, &old.user, &add, &remove).await
    }

    async fn delete(&self, c: &Clients, m: &UserGroupsModel) -> Result<(), ProviderError> {
        change_groups(c, &m.user, &BTreeSet::new(), &m.groups).await
    }
}

/// `aws_iam_group_membership`: all the users of a group (others are removed).
#[derive(Default)]
pub struct GroupUsers;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct GroupUsersModel {
    id: String,
    name: String,
    group: String,
    users: BTreeSet<String>,
}

#[async_trait::async_trait]
impl AwsResource for GroupUsers {
    type Model = GroupUsersModel;
    const TYPE: &'static str = "aws_iam_group_membership";
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        Schema::new()
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("group", Attribute::required(Type::String).force_new())
            .attr("users", Attribute::required(Type::set(Type::String)))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::Unsupported(format!(
            "aws_iam_group_membership cannot be imported (as in terraform-provider-aws); import {id:?} as aws_iam_user_group_membership instead"
        )))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &GroupUsersModel,
    ) -> Result<Created<GroupUsersModel>, ProviderError> {
        for u in &m.users {
            change_groups(c, u, &BTreeSet::from([m.group.clone()]), &BTreeSet::new()).await?;
        }
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &GroupUsersModel,
    ) -> Result<Option<GroupUsersModel>, ProviderError> {
        let mut users = BTreeSet::new();
        let mut pages = c
            .iam
            .get_group()
            .group_name(&m.group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = page.found("iam:GetGroup")? else {
                return Ok(None);
            };
            users.extend(page.users().iter().map(|u| u.user_name().to_string()));
        }
        Ok(Some(GroupUsersModel {
            id: m.id.clone(),
            name: m.name.clone(),
            group: m.group.clone(),
            users,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &GroupUsersModel,
        new: &GroupUsersModel,
    ) -> Result<(), ProviderError> {
        let group = BTreeSet::from([new.group.clone()]);
        for u in new.users.difference(&old.users) {
            change_groups(c, u, &group, &BTreeSet::new()).await?;
        }
        for u in old.users.difference(&new.users) {
            change_groups(c, u, &BTreeSet::new(), &group).await?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &GroupUsersModel) -> Result<(), ProviderError> {
        let group = BTreeSet::from([m.group.clone()]);
        for u in &m.users {
            change_groups(c, u, &BTreeSet::new(), &group).await?;
        }
        Ok(())
    }
}

/// `aws_iam_instance_profile`: the role an EC2 or SageMaker notebook instance assumes.
#[derive(Default)]
pub struct InstanceProfile;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InstanceProfileModel {
    id: String,
    name: String,
    path: Option<String>,
    role: Option<String>,
    arn: Option<String>,
    unique_id: Option<String>,
    create_date: Option<String>,
    tags_all: Tags,
}

#[async_trait::async_trait]
impl AwsResource for InstanceProfile {
    type Model = InstanceProfileModel;
    const TYPE: &'static str = "aws_iam_instance_profile";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming::name("terraform-"));
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                "path",
                Attribute::optional(Type::String).default("/").force_new(),
            )
            .attr("role", Attribute::optional(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("unique_id", Attribute::computed(Type::String))
            .attr("create_date", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &InstanceProfileModel,
    ) -> Result<Created<InstanceProfileModel>, ProviderError> {
        let req = c
            .iam
            .create_instance_profile()
            .instance_profile_name(&m.name)
            .set_path(m.path.clone());
        req.set_tags(Some(to_sdk(&m.tags_all)?))
            .send()
            .await
            .call("iam:CreateInstanceProfile")?;
        let new = InstanceProfileModel {
            id: m.name.clone(),
            ..InstanceProfileModel::default()
        };
        self.update(c, &new, m).await?;
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &InstanceProfileModel,
    ) -> Result<Option<InstanceProfileModel>, ProviderError> {
        let out = c
            .iam
            .get_instance_profile()
            .instance_profile_name(&m.id)
            .send()
            .await;
        let Some(p) = out
            .found("iam:GetInstanceProfile")?
            .and_then(|o| o.instance_profile)
        else {
            return Ok(None);
        };
        Ok(Some(InstanceProfileModel {
            id: p.instance_profile_name().into(),
            name: p.instance_profile_name().into(),
            path: Some(p.path().into()),
            role: p.roles().first().map(|r| r.role_name().to_string()),
            arn: Some(p.arn().into()),
            unique_id: Some(p.instance_profile_id().into()),
            create_date: Some(p.create_date().to_string()),
            tags_all: from_sdk(p.tags()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &InstanceProfileModel,
        new: &InstanceProfileModel,
    ) -> Result<(), ProviderError> {
        if old.role == new.role {
            return Ok(());
        }
        if let Some(role) = &old.role {
            let req = c
                .iam
                .remove_role_from_instance_profile()
                .instance_profile_name(&old.id)
                .role_name(role);
            req.send()
                .await
                .gone_ok("iam:RemoveRoleFromInstanceProfile")?;
        }
        if let Some(role) = &new.role {
            let req = c
                .iam
                .add_role_to_instance_profile()
                .instance_profile_name(&old.id)
                .role_name(role);
            req.send().await.call("iam:AddRoleToInstanceProfile")?;
        }
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &InstanceProfileModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag!(
            c.iam.untag_instance_profile().instance_profile_name(&m.id),
            c.iam.tag_instance_profile().instance_profile_name(&m.id),
            "InstanceProfile",
            remove,
            set
        )
    }

    async fn delete(&self, c: &Clients, m: &InstanceProfileModel) -> Result<(), ProviderError> {
        let gone = InstanceProfileModel {
            role: None,
            ..InstanceProfileModel::default()
        };
        self.update(c, m, &gone).await?;
        let req = c.iam.delete_instance_profile().instance_profile_name(&m.id);
        req.send().await.gone_ok("iam:DeleteInstanceProfile")
    }
}

/// `aws_iam_policy_attachment`: every user, role and group one managed policy is attached
/// to. Exclusive, as in terraform-provider-aws: attachments made elsewhere are drift and
/// are detached by the next apply.
#[derive(Default)]
pub struct PolicyAttachment;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PolicyAttachmentModel {
    id: String,
    name: String,
    policy_arn: String,
    // Empty is null, as the configuration leaves an absent list.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    users: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    roles: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    groups: BTreeSet<String>,
}

#[derive(Clone, Copy)]
enum Holder {
    User,
    Role,
    Group,
}

async fn attach(
    c: &Clients,
    holder: Holder,
    name: &str,
    policy_arn: &str,
    on: bool,
) -> Result<(), ProviderError> {
    match (holder, on) {
        (Holder::User, true) => c
            .iam
            .attach_user_policy()
            .user_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .call("iam:AttachUserPolicy")
            .map(drop),
        (Holder::User, false) => c
            .iam
            .detach_user_policy()
            .user_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .gone_ok("iam:DetachUserPolicy"),
        (Holder::Role, true) => c
            .iam
            .attach_role_policy()
            .role_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .call("iam:AttachRolePolicy")
            .map(drop),
        (Holder::Role, false) => c
            .iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .gone_ok("iam:DetachRolePolicy"),
        (Holder::Group, true) => c
            .iam
            .attach_group_policy()
            .group_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .call("iam:AttachGroupPolicy")
            .map(drop),
        (Holder::Group, false) => c
            .iam
            .detach_group_policy()
            .group_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .gone_ok("iam:DetachGroupPolicy"),
    }
}

impl PolicyAttachmentModel {
    fn holders(&self) -> [(Holder, &BTreeSet<String>); 3] {
        [
            (Holder::User, &self.users),
            (Holder::Role, &self.roles),
            (Holder::Group, &self.groups),
        ]
    }
}

#[async_trait::async_trait]
impl AwsResource for PolicyAttachment {
    type Model = PolicyAttachmentModel;
    const TYPE: &'static str = "aws_iam_policy_attachment";
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        Schema::new()
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("policy_arn", Attribute::required(Type::String).force_new())
            .attr("users", Attribute::optional(Type::set(Type::String)))
            .attr("roles", Attribute::optional(Type::set(Type::String)))
            .attr("groups", Attribute::optional(Type::set(Type::String)))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::Unsupported(format!(
            "aws_iam_policy_attachment cannot be imported (as in terraform-provider-aws); import {id:?} with aws_iam_role_policy_attachment, aws_iam_user_policy_attachment or aws_iam_group_policy_attachment instead"
        )))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PolicyAttachmentModel,
    ) -> Result<Created<PolicyAttachmentModel>, ProviderError> {
        if m.users.is_empty() && m.roles.is_empty() && m.groups.is_empty() {
            return Err(ProviderError::InvalidConfig(
                "aws_iam_policy_attachment needs at least one of users, roles or groups".into(),
            ));
        }
        for (holder, names) in m.holders() {
            for n in names {
                attach(c, holder, n, &m.policy_arn, true).await?;
            }
        }
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &PolicyAttachmentModel,
    ) -> Result<Option<PolicyAttachmentModel>, ProviderError> {
        let mut out = PolicyAttachmentModel {
            id: m.id.clone(),
            name: m.name.clone(),
            policy_arn: m.policy_arn.clone(),
            ..Default::default()
        };
        let mut pages = c
            .iam
            .list_entities_for_policy()
            .policy_arn(&m.policy_arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = page.found("iam:ListEntitiesForPolicy")? else {
                return Ok(None);
            };
            out.users.extend(
                page.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name().map(str::to_string)),
            );
            out.roles.extend(
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_string)),
            );
            out.groups.extend(
                page.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_string)),
            );
        }
        if out.users.is_empty() && out.roles.is_empty() && out.groups.is_empty() {
            return Ok(None);
        }
        Ok(Some(out))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &PolicyAttachmentModel,
        new: &PolicyAttachmentModel,
    ) -> Result<(), ProviderError> {
        for ((holder, before), (_, after)) in old.holders().into_iter().zip(new.holders()) {
            for n in after.difference(before) {
                attach(c, holder, n, &new.policy_arn, true).await?;
            }
            for n in before.difference(after) {
                attach(c, holder, n, &new.policy_arn, false).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &PolicyAttachmentModel) -> Result<(), ProviderError> {
        for (holder, names) in m.holders() {
            for n in names {
                attach(c, holder, n, &m.policy_arn, false).await?;
            }
        }
        Ok(())
    }
}
