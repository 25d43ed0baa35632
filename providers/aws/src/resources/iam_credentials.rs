//! How IAM users sign in: `aws_iam_user_login_profile` (a console password mlform generates
//! and keeps sensitive), `aws_iam_user_ssh_key` (a public key for CodeCommit and friends)
//! and `aws_iam_account_password_policy` (the account's password rules, one per account).
//! Import IDs: the user name; `USER:KEY-ID:ENCODING`; anything (the policy is the account's).

use aws_sdk_iam::types::{EncodingType, StatusType};
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

// ---- console password ---------------------------------------------------------------------------

#[derive(Default)]
pub struct LoginProfile;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoginProfileModel {
    id: String,
    user: String,
    password_length: Option<u32>,
    password_reset_required: Option<bool>,
    password: Option<String>,
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
const SYMBOLS: &[u8] = b"!@#$%^&*()_+-=[]{}|'";

/// A password of `length` characters holding at least one of each class, so it meets any
/// account password policy's character rules.
fn generate_password(length: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
    let mut chars: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS]
        .iter()
        .map(|class| class[rng.gen_range(0..class.len())])
        .collect();
    while chars.len() < length {
        chars.push(all[rng.gen_range(0..all.len())]);
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.gen_range(0..=i));
    }
    String::from_utf8(chars).unwrap_or_default()
}

#[async_trait::async_trait]
impl AwsResource for LoginProfile {
    type Model = LoginProfileModel;
    const TYPE: &'static str = "aws_iam_user_login_profile";
    /// The password is only known when mlform generates it.
    const KEEP: &'static [&'static str] = &["password", "password_length"];

    fn schema() -> Schema {
        Schema::new()
            .attr("user", Attribute::required(Type::String).force_new())
            .attr(
                "password_length",
                Attribute::optional(Type::Number).force_new().default(20.0),
            )
            .attr(
                "password_reset_required",
                Attribute::optional_computed(Type::Bool).force_new(),
            )
            .attr("password", Attribute::computed(Type::String).sensitive())
            .attr(
                "pgp_key",
                Attribute::optional(Type::String)
                    .force_new()
                    .describe("Not supported: the password stays sensitive in state instead."),
            )
            .attr("key_fingerprint", Attribute::computed(Type::String))
            .attr("encrypted_password", Attribute::computed(Type::String))
    }

    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        if planned.get("pgp_key").is_some_and(|v| !v.is_null()) {
            return Err(ProviderError::Unsupported(
                "aws_iam_user_login_profile: pgp_key is not supported by mlform; the password is kept as a sensitive value in state (read it with mlform output -raw), so leave pgp_key out".into(),
            ));
        }
        Ok(())
    }

    fn modify_plan(_prior: Option<&Value>, planned: &mut mlform_provider::ValueMap) {
        // Only set when pgp_key is, which mlform refuses.
        for k in ["key_fingerprint", "encrypted_password"] {
            planned.insert(k.to_string(), Value::Null);
        }
    }

    async fn create(
        &self,
        c: &Clients,
        m: &LoginProfileModel,
    ) -> Result<Created<LoginProfileModel>, ProviderError> {
        let length = m.password_length.unwrap_or(20);
        if !(5..=128).contains(&length) {
            return Err(ProviderError::InvalidConfig(format!(
                "password_length must be between 5 and 128, not {length}"
            )));
        }
        let password = generate_password(length as usize);
        c.iam
            .create_login_profile()
            .user_name(&m.user)
            .password(&password)
            .set_password_reset_required(m.password_reset_required)
            .send()
            .await
            .call("iam:CreateLoginProfile")?;
        Ok(Created {
            id: m.user.clone(),
            only_at_create: Some(LoginProfileModel {
                password: Some(password),
                password_length: Some(length),
                ..LoginProfileModel::default()
            }),
        })
    }

    async fn read(
        &self,
        c: &Clients,
        m: &LoginProfileModel,
    ) -> Result<Option<LoginProfileModel>, ProviderError> {
        let user = if m.user.is_empty() { &m.id } else { &m.user };
        let out = c
            .iam
            .get_login_profile()
            .user_name(user)
            .send()
            .await
            .found("iam:GetLoginProfile")?;
        Ok(out
            .and_then(|o| o.login_profile)
            .map(|p| LoginProfileModel {
                id: p.user_name().to_string(),
                user: p.user_name().to_string(),
                password_reset_required: Some(p.password_reset_required()),
                ..LoginProfileModel::default()
            }))
    }

    async fn delete(&self, c: &Clients, m: &LoginProfileModel) -> Result<(), ProviderError> {
        c.iam
            .delete_login_profile()
            .user_name(&m.user)
            .send()
            .await
            .gone_ok("iam:DeleteLoginProfile")
    }
}

// ---- SSH public key -------------------------------------------------------------------------------

#[derive(Default)]
pub struct SshKey;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SshKeyModel {
    id: String,
    username: String,
    public_key: String,
    encoding: String,
    status: Option<String>,
    ssh_public_key_id: Option<String>,
    fingerprint: Option<String>,
}

#[async_trait::async_trait]
impl AwsResource for SshKey {
    type Model = SshKeyModel;
    const TYPE: &'static str = "aws_iam_user_ssh_key";

    fn schema() -> Schema {
        Schema::new()
            .attr("username", Attribute::required(Type::String).force_new())
            .attr("public_key", Attribute::required(Type::String).force_new())
            .attr("encoding", Attribute::required(Type::String).force_new())
            .attr("status", Attribute::optional_computed(Type::String))
            .attr("ssh_public_key_id", Attribute::computed(Type::String))
            .attr("fingerprint", Attribute::computed(Type::String))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let parts: Vec<&str> = id.split(':').collect();
        let [user, key, encoding] = parts[..] else {
            return Err(ProviderError::InvalidConfig(format!(
                "aws_iam_user_ssh_key: import ID {id:?} is not USER:SSH-KEY-ID:ENCODING"
            )));
        };
        Ok(Value::object([
            ("id", Value::from(key)),
            ("username", Value::from(user)),
            ("encoding", Value::from(encoding)),
        ]))
    }

    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        if let Some(e) = planned.get("encoding").and_then(Value::as_str) {
            if !matches!(e, "SSH" | "PEM") {
                return Err(ProviderError::InvalidConfig(format!(
                    "encoding must be SSH or PEM, not {e:?}"
                )));
            }
        }
        if let Some(s) = planned.get("status").and_then(Value::as_str) {
            if !matches!(s, "Active" | "Inactive") {
                return Err(ProviderError::InvalidConfig(format!(
                    "status must be Active or Inactive, not {s:?}"
                )));
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &SshKeyModel,
    ) -> Result<Created<SshKeyModel>, ProviderError> {
        let out = c
            .iam
            .upload_ssh_public_key()
            .user_name(&m.username)
            .ssh_public_key_body(&m.public_key)
            .send()
            .await
            .call("iam:UploadSSHPublicKey")?;
        let id = out
            .ssh_public_key()
            .map(|k| k.ssh_public_key_id().to_string())
            .ok_or_else(|| ProviderError::Api("iam:UploadSSHPublicKey returned no key".into()))?;
        if m.status.as_deref() == Some("Inactive") {
            c.iam
                .update_ssh_public_key()
                .user_name(&m.username)
                .ssh_public_key_id(&id)
                .status(StatusType::Inactive)
                .send()
                .await
                .call("iam:UpdateSSHPublicKey")?;
        }
        Ok(id.into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &SshKeyModel,
    ) -> Result<Option<SshKeyModel>, ProviderError> {
        let out = c
            .iam
            .get_ssh_public_key()
            .user_name(&m.username)
            .ssh_public_key_id(&m.id)
            .encoding(EncodingType::from(m.encoding.as_str()))
            .send()
            .await
            .found("iam:GetSSHPublicKey")?;
        Ok(out.and_then(|o| o.ssh_public_key).map(|k| SshKeyModel {
            id: k.ssh_public_key_id().to_string(),
            username: k.user_name().to_string(),
            // The configuration's text, unless AWS holds another key under this ID.
            public_key: if m.public_key.is_empty()
                || k.ssh_public_key_body().trim() != m.public_key.trim()
            {
                k.ssh_public_key_body().to_string()
            } else {
                m.public_key.clone()
            },
            encoding: m.encoding.clone(),
            status: Some(k.status().as_str().to_string()),
            ssh_public_key_id: Some(k.ssh_public_key_id().to_string()),
            fingerprint: Some(k.fingerprint().to_string()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &SshKeyModel,
        new: &SshKeyModel,
    ) -> Result<(), ProviderError> {
        c.iam
            .update_ssh_public_key()
            .user_name(&old.username)
            .ssh_public_key_id(&old.id)
            .status(StatusType::from(new.status.as_deref().unwrap_or("Active")))
            .send()
            .await
            .call("iam:UpdateSSHPublicKey")
            .map(drop)
    }

    async fn delete(&self, c: &Clients, m: &SshKeyModel) -> Result<(), ProviderError> {
        c.iam
            .delete_ssh_public_key()
            .user_name(&m.username)
            .ssh_public_key_id(&m.id)
            .send()
            .await
            .gone_ok("iam:DeleteSSHPublicKey")
    }
}

// ---- account password policy ------------------------------------------------------------------------

#[derive(Default)]
pub struct PasswordPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PasswordPolicyModel {
    id: String,
    minimum_password_length: Option<i32>,
    require_lowercase_characters: Option<bool>,
    require_uppercase_characters: Option<bool>,
    require_numbers: Option<bool>,
    require_symbols: Option<bool>,
    allow_users_to_change_password: Option<bool>,
    max_password_age: Option<i32>,
    password_reuse_prevention: Option<i32>,
    hard_expiry: Option<bool>,
    expire_passwords: Option<bool>,
}

/// The ID terraform-provider-aws gives the account's one policy.
const POLICY_ID: &str = "iam-account-password-policy";

async fn put_policy(c: &Clients, m: &PasswordPolicyModel) -> Result<(), ProviderError> {
    c.iam
        .update_account_password_policy()
        .set_minimum_password_length(m.minimum_password_length)
        .set_require_lowercase_characters(m.require_lowercase_characters)
        .set_require_uppercase_characters(m.require_uppercase_characters)
        .set_require_numbers(m.require_numbers)
        .set_require_symbols(m.require_symbols)
        .set_allow_users_to_change_password(m.allow_users_to_change_password)
        .set_max_password_age(m.max_password_age.filter(|n| *n > 0))
        .set_password_reuse_prevention(m.password_reuse_prevention.filter(|n| *n > 0))
        .set_hard_expiry(m.hard_expiry)
        .send()
        .await
        .call("iam:UpdateAccountPasswordPolicy")
        .map(drop)
}

#[async_trait::async_trait]
impl AwsResource for PasswordPolicy {
    type Model = PasswordPolicyModel;
    const TYPE: &'static str = "aws_iam_account_password_policy";

    fn schema() -> Schema {
        let flag = || Attribute::optional_computed(Type::Bool);
        Schema::new()
            .attr(
                "minimum_password_length",
                Attribute::optional(Type::Number).default(6.0),
            )
            .attr("require_lowercase_characters", flag())
            .attr("require_uppercase_characters", flag())
            .attr("require_numbers", flag())
            .attr("require_symbols", flag())
            .attr(
                "allow_users_to_change_password",
                Attribute::optional(Type::Bool).default(true),
            )
            .attr(
                "max_password_age",
                Attribute::optional_computed(Type::Number),
            )
            .attr(
                "password_reuse_prevention",
                Attribute::optional_computed(Type::Number),
            )
            .attr("hard_expiry", flag())
            .attr("expire_passwords", Attribute::computed(Type::Bool))
    }

    fn import_model(_id: &str) -> Result<Value, ProviderError> {
        Ok(Value::object([("id", Value::from(POLICY_ID))]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PasswordPolicyModel,
    ) -> Result<Created<PasswordPolicyModel>, ProviderError> {
        put_policy(c, m).await?;
        Ok(POLICY_ID.to_string().into())
    }

    async fn read(
        &self,
        c: &Clients,
        _m: &PasswordPolicyModel,
    ) -> Result<Option<PasswordPolicyModel>, ProviderError> {
        let out = c
            .iam
            .get_account_password_policy()
            .send()
            .await
            .found("iam:GetAccountPasswordPolicy")?;
        Ok(out
            .and_then(|o| o.password_policy)
            .map(|p| PasswordPolicyModel {
                id: POLICY_ID.into(),
                minimum_password_length: p.minimum_password_length(),
                require_lowercase_characters: Some(p.require_lowercase_characters()),
                require_uppercase_characters: Some(p.require_uppercase_characters()),
                require_numbers: Some(p.require_numbers()),
                require_symbols: Some(p.require_symbols()),
                allow_users_to_change_password: Some(p.allow_users_to_change_password()),
                max_password_age: Some(p.max_password_age().unwrap_or(0)),
                password_reuse_prevention: Some(p.password_reuse_prevention().unwrap_or(0)),
                hard_expiry: Some(p.hard_expiry().unwrap_or(false)),
                expire_passwords: Some(p.expire_passwords()),
            }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &PasswordPolicyModel,
        new: &PasswordPolicyModel,
    ) -> Result<(), ProviderError> {
        put_policy(c, new).await
    }

    async fn delete(&self, c: &Clients, _m: &PasswordPolicyModel) -> Result<(), ProviderError> {
        c.iam
            .delete_account_password_policy()
            .send()
            .await
            .gone_ok("iam:DeleteAccountPasswordPolicy")
    }
}
