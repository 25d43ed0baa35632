//! IAM users and groups: `aws_iam_user`, `aws_iam_group` and `aws_iam_access_key`. Users
//! and groups are known by name and renamed in place. Import IDs: the user or group name;
//! the access key ID.

use aws_sdk_iam::types::StatusType;
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use super::iam_tags::{from_sdk, retag, to_sdk, Tags};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

fn name_and_path() -> Schema {
    Schema::new()
        .attr("name", Attribute::required(Type::String))
        .attr("path", Attribute::optional(Type::String).default("/"))
        .attr("arn", Attribute::computed(Type::String))
        .attr("unique_id", Attribute::computed(Type::String))
}

#[derive(Default)]
pub struct User;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UserModel {
    id: String,
    name: String,
    path: Option<String>,
    permissions_boundary: Option<String>,
    force_destroy: Option<bool>,
    arn: Option<String>,
    unique_id: Option<String>,
    tags_all: Tags,
}

#[async_trait::async_trait]
impl AwsResource for User {
    type Model = UserModel;
    const TYPE: &'static str = "aws_iam_user";
    const TAGGED: bool = true;
    const KEEP: &'static [&'static str] = &["force_destroy"];
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        name_and_path()
            .attr("permissions_boundary", Attribute::optional(Type::String))
            .attr(
                "force_destroy",
                Attribute::optional(Type::Bool).default(false),
            )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &UserModel,
    ) -> Result<Created<UserModel>, ProviderError> {
        let req = c
            .iam
            .create_user()
            .user_name(&m.name)
            .set_path(m.path.clone());
        let req = req.set_permissions_boundary(m.permissions_boundary.clone());
        req.set_tags(Some(to_sdk(&m.tags_all)?))
            .send()
            .await
            .call("iam:CreateUser")?;
        Ok(m.name.clone().into())
    }

    async fn read(&self, c: &Clients, m: &UserModel) -> Result<Option<UserModel>, ProviderError> {
        let out = c
            .iam
            .get_user()
            .user_name(&m.id)
            .send()
            .await
            .found("iam:GetUser")?;
        let Some(u) = out.and_then(|o| o.user) else {
            return Ok(None);
        };
        Ok(Some(UserModel {
            id: u.user_name().into(),
            name: u.user_name().into(),
            path: Some(u.path().into()),
            permissions_boundary: u
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
            arn: Some(u.arn().into()),
            unique_id: Some(u.user_id().into()),
            tags_all: from_sdk(u.tags()),
            force_destroy: None,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &UserModel,
        new: &UserModel,
    ) -> Result<(), ProviderError> {
        let iam = &c.iam;
        if (&old.name, &old.path) != (&new.name, &new.path) {
            let req = iam
                .update_user()
                .user_name(&old.id)
                .new_user_name(&new.name);
            req.set_new_path(new.path.clone())
                .send()
                .await
                .call("iam:UpdateUser")?;
        }
        if old.permissions_boundary != new.permissions_boundary {
            match &new.permissions_boundary {
                Some(arn) => {
                    let req = iam.put_user_permissions_boundary().user_name(&new.name);
                    let req = req.permissions_boundary(arn).send();
                    req.await.call("iam:PutUserPermissionsBoundary")?;
                }
                None => {
                    let req = iam.delete_user_permissions_boundary().user_name(&new.name);
                    req.send()
                        .await
                        .gone_ok("iam:DeleteUserPermissionsBoundary")?;
                }
            }
        }
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &UserModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag!(
            c.iam.untag_user().user_name(&m.name),
            c.iam.tag_user().user_name(&m.name),
            "User",
            remove,
            set
        )
    }

    async fn delete(&self, c: &Clients, m: &UserModel) -> Result<(), ProviderError> {
        let (iam, user) = (&c.iam, m.id.as_str());
        // A user still in a group cannot be deleted; Terraform removes the memberships.
        let Some(groups) = iam
            .list_groups_for_user()
            .user_name(user)
            .send()
            .await
            .found("iam:ListGroupsForUser")?
        else {
            return Ok(());
        };
        for g in groups.groups() {
            let req = iam
                .remove_user_from_group()
                .user_name(user)
                .group_name(g.group_name());
            req.send().await.gone_ok("iam:RemoveUserFromGroup")?;
        }
        if m.force_destroy == Some(true) {
            let keys = iam
                .list_access_keys()
                .user_name(user)
                .send()
                .await
                .call("iam:ListAccessKeys")?;
            for k in keys.access_key_metadata() {
                let req = iam
                    .delete_access_key()
                    .user_name(user)
                    .set_access_key_id(k.access_key_id().map(str::to_string));
                req.send().await.gone_ok("iam:DeleteAccessKey")?;
            }
            iam.delete_login_profile()
                .user_name(user)
                .send()
                .await
                .gone_ok("iam:DeleteLoginProfile")?;
            let inline = iam
                .list_user_policies()
                .user_name(user)
                .send()
                .await
                .call("iam:ListUserPolicies")?;
            for p in inline.policy_names() {
                let req = iam.delete_user_policy().user_name(user).policy_name(p);
                req.send().await.gone_ok("iam:DeleteUserPolicy")?;
            }
            let attached = iam
                .list_attached_user_policies()
                .user_name(user)
                .send()
                .await
                .call("iam:ListAttachedUserPolicies")?;
            for p in attached.attached_policies() {
                let req = iam
                    .detach_user_policy()
                    .user_name(user)
                    .set_policy_arn(p.policy_arn().map(str::to_string));
                req.send().await.gone_ok("iam:DetachUserPolicy")?;
            }
        }
        iam.delete_user()
            .user_name(user)
            .send()
            .await
            .gone_ok("iam:DeleteUser")
    }
}

#[derive(Default)]
pub struct Group;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct GroupModel {
    id: String,
    name: String,
    path: Option<String>,
    arn: Option<String>,
    unique_id: Option<String>,
}

#[async_trait::async_trait]
impl AwsResource for Group {
    type Model = GroupModel;
    const TYPE: &'static str = "aws_iam_group";
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    fn schema() -> Schema {
        name_and_path()
    }

    async fn create(
        &self,
        c: &Clients,
        m: &GroupModel,
    ) -> Result<Created<GroupModel>, ProviderError> {
        let req = c
            .iam
            .create_group()
            .group_name(&m.name)
            .set_path(m.path.clone());
        req.send().await.call("iam:CreateGroup")?;
        Ok(m.name.clone().into())
    }

    async fn read(&self, c: &Clients, m: &GroupModel) -> Result<Option<GroupModel>, ProviderError> {
        let out = c
            .iam
            .get_group()
            .group_name(&m.id)
            .send()
            .await
            .found("iam:GetGroup")?;
        let Some(g) = out.and_then(|o| o.group) else {
            return Ok(None);
        };
        Ok(Some(GroupModel {
            id: g.group_name().into(),
            name: g.group_name().into(),
            path: Some(g.path().into()),
            arn: Some(g.arn().into()),
            unique_id: Some(g.group_id().into()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &GroupModel,
        new: &GroupModel,
    ) -> Result<(), ProviderError> {
        let req = c
            .iam
            .update_group()
            .group_name(&old.id)
            .new_group_name(&new.name);
        req.set_new_path(new.path.clone())
            .send()
            .await
            .call("iam:UpdateGroup")
            .map(drop)
    }

    async fn delete(&self, c: &Clients, m: &GroupModel) -> Result<(), ProviderError> {
        c.iam
            .delete_group()
            .group_name(&m.id)
            .send()
            .await
            .gone_ok("iam:DeleteGroup")
    }
}

#[derive(Default)]
pub struct AccessKey;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AccessKeyModel {
    id: String,
    user: String,
    status: Option<String>,
    secret: Option<String>,
    ses_smtp_password_v4: Option<String>,
    create_date: Option<String>,
}

/// The SES SMTP password of a secret access key in `region`: AWS's published SigV4
/// derivation (HMAC-SHA256 chain over a fixed date, the region, `ses`, `aws4_request` and
/// `SendRawEmail`, prefixed with version byte 4, base64).
fn ses_smtp_password_v4(secret: &str, region: &str) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    type HmacSha256 = Hmac<sha2::Sha256>;
    let sign = |key: &[u8], message: &str| -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    let mut signature = sign(format!("AWS4{secret}").as_bytes(), "11111111");
    for part in [region, "ses", "aws4_request", "SendRawEmail"] {
        signature = sign(&signature, part);
    }
    let mut bytes = vec![0x04];
    bytes.extend(signature);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[async_trait::async_trait]
impl AwsResource for AccessKey {
    type Model = AccessKeyModel;
    const TYPE: &'static str = "aws_iam_access_key";
    // The secret is only ever returned by CreateAccessKey.
    const KEEP: &'static [&'static str] = &["secret", "ses_smtp_password_v4"];

    fn schema() -> Schema {
        Schema::new()
            .attr("user", Attribute::required(Type::String).force_new())
            .attr(
                "status",
                Attribute::optional(Type::String).default("Active"),
            )
            .attr("secret", Attribute::computed(Type::String).sensitive())
            .attr(
                "ses_smtp_password_v4",
                Attribute::computed(Type::String).sensitive(),
            )
            .attr("create_date", Attribute::computed(Type::String))
            .attr(
                "pgp_key",
                Attribute::optional(Type::String)
                    .force_new()
                    .describe("Not supported: the secret stays sensitive in state instead."),
            )
            .attr("key_fingerprint", Attribute::computed(Type::String))
            .attr("encrypted_secret", Attribute::computed(Type::String))
            .attr(
                "encrypted_ses_smtp_password_v4",
                Attribute::computed(Type::String),
            )
    }

    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        if planned.get("pgp_key").is_some_and(|v| !v.is_null()) {
            return Err(ProviderError::Unsupported(
                "aws_iam_access_key: pgp_key is not supported by mlform; the secret is kept as a sensitive value in state (read it with nonsensitive() or mlform output -raw), so leave pgp_key out".into(),
            ));
        }
        Ok(())
    }

    fn modify_plan(_prior: Option<&Value>, planned: &mut mlform_provider::ValueMap) {
        // Only set when pgp_key is, which mlform refuses.
        for k in [
            "key_fingerprint",
            "encrypted_secret",
            "encrypted_ses_smtp_password_v4",
        ] {
            planned.insert(k.to_string(), Value::Null);
        }
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AccessKeyModel,
    ) -> Result<Created<AccessKeyModel>, ProviderError> {
        let out = c
            .iam
            .create_access_key()
            .user_name(&m.user)
            .send()
            .await
            .call("iam:CreateAccessKey")?;
        let key = out
            .access_key()
            .ok_or_else(|| ProviderError::Api("iam:CreateAccessKey returned no key".into()))?;
        if m.status.as_deref() == Some("Inactive") {
            let req = c
                .iam
                .update_access_key()
                .user_name(&m.user)
                .access_key_id(key.access_key_id());
            req.status(StatusType::Inactive)
                .send()
                .await
                .call("iam:UpdateAccessKey")?;
        }
        Ok(Created {
            id: key.access_key_id().to_string(),
            only_at_create: Some(AccessKeyModel {
                secret: Some(key.secret_access_key().to_string()),
                ses_smtp_password_v4: Some(ses_smtp_password_v4(
                    key.secret_access_key(),
                    &c.region,
                )),
                ..AccessKeyModel::default()
            }),
        })
    }

    async fn read(
        &self,
        c: &Clients,
        m: &AccessKeyModel,
    ) -> Result<Option<AccessKeyModel>, ProviderError> {
        let user = if m.user.is_empty() {
            // Import by key ID alone: the key's last use names its user.
            let out = c
                .iam
                .get_access_key_last_used()
                .access_key_id(&m.id)
                .send()
                .await
                .found("iam:GetAccessKeyLastUsed")?;
            match out.and_then(|o| o.user_name) {
                Some(u) => u,
                None => return Ok(None),
            }
        } else {
            m.user.clone()
        };
        let Some(keys) = c
            .iam
            .list_access_keys()
            .user_name(&user)
            .send()
            .await
            .found("iam:ListAccessKeys")?
        else {
            return Ok(None);
        };
        let Some(k) = keys
            .access_key_metadata()
            .iter()
            .find(|k| k.access_key_id() == Some(m.id.as_str()))
        else {
            return Ok(None);
        };
        Ok(Some(AccessKeyModel {
            id: m.id.clone(),
            user,
            status: k.status().map(|s| s.as_str().to_string()),
            secret: None,
            ses_smtp_password_v4: None,
            create_date: k.create_date().map(|d| d.to_string()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &AccessKeyModel,
        new: &AccessKeyModel,
    ) -> Result<(), ProviderError> {
        let status = StatusType::from(new.status.as_deref().unwrap_or("Active"));
        let req = c
            .iam
            .update_access_key()
            .user_name(&old.user)
            .access_key_id(&old.id);
        req.status(status)
            .send()
            .await
            .call("iam:UpdateAccessKey")
            .map(drop)
    }

    async fn delete(&self, c: &Clients, m: &AccessKeyModel) -> Result<(), ProviderError> {
        let req = c
            .iam
            .delete_access_key()
            .user_name(&m.user)
            .access_key_id(&m.id);
        req.send().await.gone_ok("iam:DeleteAccessKey")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ses_smtp_password_follows_the_published_derivation() {
        // The value AWS's own Python example computes for this example secret.
        assert_eq!(
            super::ses_smtp_password_v4("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"),
            "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
        );
    }
}
