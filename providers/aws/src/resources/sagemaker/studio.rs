//! SageMaker Studio for team sandboxes: `aws_sagemaker_domain` (a VPC-attached Studio
//! domain with its users' default settings) and `aws_sagemaker_user_profile` (one user in
//! it). Create, update and delete wait until SageMaker has finished (InService, or gone);
//! Failed is an error carrying SageMaker's reason. A domain is known and imported by its
//! ID (`d-...`), a user profile by its ARN, as terraform-provider-aws does.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sagemaker::types::{
    AppNetworkAccessType, AppSecurityGroupManagement, AuthMode, DomainSettings,
    DomainSettingsForUpdate, ExecutionRoleIdentityConfig, RetentionPolicy, RetentionType,
};
use mlform_provider::{poll_until, Attribute, Poll, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use super::monitor::{live_tags, tags_of};
use super::not_found;
use super::studio_settings::{self, Settings};
use crate::error::classify;
use crate::framework::{list_of_one as one, AwsResource, Created};
use crate::Clients;

const WAIT: Duration = Duration::from_secs(1800);

#[derive(Default)]
pub struct Domain;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DomainModel {
    id: String,
    domain_name: String,
    auth_mode: String,
    vpc_id: String,
    subnet_ids: Vec<String>,
    kms_key_id: Option<String>,
    app_network_access_type: Option<String>,
    app_security_group_management: Option<String>,
    default_user_settings: Vec<Settings>,
    domain_settings: Vec<DomainSettingsModel>,
    retention_policy: Vec<Retention>,
    arn: Option<String>,
    url: Option<String>,
    home_efs_file_system_id: Option<String>,
    security_group_id_for_domain_boundary: Option<String>,
    single_sign_on_managed_application_instance_id: Option<String>,
    single_sign_on_application_arn: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct DomainSettingsModel {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security_group_ids: Vec<String>,
    execution_role_identity_config: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Retention {
    home_efs_file_system: Option<String>,
}

/// A Studio object's status and failure reason, `None` once it is gone.
type Status = Option<(String, String)>;

async fn domain_status(c: &Clients, id: &str) -> Result<Status, ProviderError> {
    match c.sagemaker.describe_domain().domain_id(id).send().await {
        Ok(o) => Ok(o.status().map(|s| {
            (
                s.as_str().to_string(),
                o.failure_reason().unwrap_or_default().to_string(),
            )
        })),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(classify("sagemaker:DescribeDomain", &e)),
    }
}

/// Waits until `status` answers InService (`gone` false) or nothing (`gone` true); a
/// failed status is an error with SageMaker's reason.
async fn wait_for<F, Fut>(what: &str, gone: bool, status: F) -> Result<(), ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Status, ProviderError>>,
{
    let goal = if gone { "deleted" } else { "InService" };
    poll_until(&format!("{what} to be {goal}"), WAIT, || async {
        Ok(match status().await? {
            None if gone => Poll::Ready(()),
            None => Poll::Pending("not found".into()),
            Some((s, _)) if s == "InService" && !gone => Poll::Ready(()),
            Some((s, why)) if s.ends_with("Failed") => {
                return Err(ProviderError::Api(format!("{what} is {s}: {why}")))
            }
            Some((s, _)) => Poll::Pending(s),
        })
    })
    .await
}

async fn wait_domain(c: &Clients, id: &str, gone: bool) -> Result<(), ProviderError> {
    wait_for(&format!("SageMaker domain {id}"), gone, || {
        domain_status(c, id)
    })
    .await
}

fn domain_settings(m: &DomainModel) -> Option<DomainSettings> {
    m.domain_settings.first().map(|d| {
        DomainSettings::builder()
            .set_security_group_ids(Some(d.security_group_ids.clone()).filter(|v| !v.is_empty()))
            .set_execution_role_identity_config(
                d.execution_role_identity_config
                    .as_deref()
                    .map(ExecutionRoleIdentityConfig::from),
            )
            .build()
    })
}

#[async_trait::async_trait]
impl AwsResource for Domain {
    type Model = DomainModel;
    const TYPE: &'static str = "aws_sagemaker_domain";
    const TAGGED: bool = true;
    /// Only used when deleting.
    const KEEP: &'static [&'static str] = &["retention_policy"];

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        let computed = || Attribute::computed(Type::String);
        Schema::new()
            .attr("domain_name", Attribute::required(Type::String).force_new())
            .attr("auth_mode", Attribute::required(Type::String).force_new())
            .attr("vpc_id", Attribute::required(Type::String).force_new())
            .attr(
                "subnet_ids",
                Attribute::required(Type::set(Type::String)).force_new(),
            )
            .attr("kms_key_id", text().force_new())
            .attr(
                "app_network_access_type",
                text().default("PublicInternetOnly"),
            )
            .attr("app_security_group_management", text())
            .block(
                "default_user_settings",
                one(studio_settings::schema(true), true),
            )
            .block(
                "domain_settings",
                one(
                    Schema::new()
                        .attr(
                            "security_group_ids",
                            Attribute::optional(Type::set(Type::String)),
                        )
                        .attr(
                            "execution_role_identity_config",
                            Attribute::optional_computed(Type::String),
                        ),
                    false,
                ),
            )
            .block(
                "retention_policy",
                one(
                    Schema::new().attr("home_efs_file_system", text().default("Retain")),
                    false,
                ),
            )
            .attr("arn", computed())
            .attr("url", computed())
            .attr("home_efs_file_system_id", computed())
            .attr("security_group_id_for_domain_boundary", computed())
            .attr("single_sign_on_managed_application_instance_id", computed())
            .attr("single_sign_on_application_arn", computed())
    }

    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        for (attr, allowed) in [
            ("auth_mode", &["IAM", "SSO"][..]),
            (
                "app_network_access_type",
                &["PublicInternetOnly", "VpcOnly"][..],
            ),
            (
                "app_security_group_management",
                &["Service", "Customer"][..],
            ),
        ] {
            if let Some(v) = planned.get(attr).and_then(Value::as_str) {
                if !allowed.contains(&v) {
                    return Err(ProviderError::InvalidConfig(format!(
                        "{attr} = {v:?}: expected one of {}",
                        allowed.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &DomainModel,
    ) -> Result<Created<DomainModel>, ProviderError> {
        let tags = tags_of(&m.tags_all);
        let out = c
            .sagemaker
            .create_domain()
            .domain_name(&m.domain_name)
            .auth_mode(AuthMode::from(m.auth_mode.as_str()))
            .vpc_id(&m.vpc_id)
            .set_subnet_ids(Some(m.subnet_ids.clone()))
            .set_kms_key_id(m.kms_key_id.clone())
            .set_app_network_access_type(
                m.app_network_access_type
                    .as_deref()
                    .map(AppNetworkAccessType::from),
            )
            .set_app_security_group_management(
                m.app_security_group_management
                    .as_deref()
                    .map(AppSecurityGroupManagement::from),
            )
            .set_default_user_settings(m.default_user_settings.first().map(Settings::to_sdk))
            .set_domain_settings(domain_settings(m))
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateDomain", &e))?;
        let arn = out.domain_arn().unwrap_or_default();
        let id = arn.rsplit_once("domain/").map(|(_, id)| id).unwrap_or(arn);
        Ok(id.to_string().into())
    }

    async fn wait_created(&self, c: &Clients, m: &DomainModel) -> Result<(), ProviderError> {
        wait_domain(c, &m.id, false).await
    }

    async fn read(
        &self,
        c: &Clients,
        m: &DomainModel,
    ) -> Result<Option<DomainModel>, ProviderError> {
        let o = match c.sagemaker.describe_domain().domain_id(&m.id).send().await {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeDomain", &e)),
        };
        let arn = o.domain_arn().unwrap_or_default().to_string();
        let text = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        Ok(Some(DomainModel {
            id: m.id.clone(),
            domain_name: o.domain_name().unwrap_or_default().to_string(),
            auth_mode: o
                .auth_mode()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            vpc_id: o.vpc_id().unwrap_or_default().to_string(),
            subnet_ids: o.subnet_ids().to_vec(),
            kms_key_id: text(o.kms_key_id()),
            app_network_access_type: o.app_network_access_type().map(|a| a.as_str().to_string()),
            app_security_group_management: o
                .app_security_group_management()
                .map(|a| a.as_str().to_string()),
            default_user_settings: o
                .default_user_settings()
                .map(Settings::from_sdk)
                .into_iter()
                .collect(),
            domain_settings: o
                .domain_settings()
                .map(|d| DomainSettingsModel {
                    security_group_ids: d.security_group_ids().to_vec(),
                    execution_role_identity_config: d
                        .execution_role_identity_config()
                        .map(|e| e.as_str().to_string()),
                })
                .into_iter()
                .collect(),
            retention_policy: Vec::new(),
            url: text(o.url()),
            home_efs_file_system_id: text(o.home_efs_file_system_id()),
            security_group_id_for_domain_boundary: text(o.security_group_id_for_domain_boundary()),
            single_sign_on_managed_application_instance_id: text(
                o.single_sign_on_managed_application_instance_id(),
            ),
            single_sign_on_application_arn: text(o.single_sign_on_application_arn()),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &DomainModel,
        m: &DomainModel,
    ) -> Result<(), ProviderError> {
        let settings = m.domain_settings.first().map(|d| {
            DomainSettingsForUpdate::builder()
                .set_security_group_ids(
                    Some(d.security_group_ids.clone()).filter(|v| !v.is_empty()),
                )
                .set_execution_role_identity_config(
                    d.execution_role_identity_config
                        .as_deref()
                        .map(ExecutionRoleIdentityConfig::from),
                )
                .build()
        });
        c.sagemaker
            .update_domain()
            .domain_id(&m.id)
            .set_default_user_settings(m.default_user_settings.first().map(Settings::to_sdk))
            .set_domain_settings_for_update(settings)
            .set_app_network_access_type(
                m.app_network_access_type
                    .as_deref()
                    .map(AppNetworkAccessType::from),
            )
            .set_app_security_group_management(
                m.app_security_group_management
                    .as_deref()
                    .map(AppSecurityGroupManagement::from),
            )
            .send()
            .await
            .map_err(|e| classify("sagemaker:UpdateDomain", &e))?;
        wait_domain(c, &m.id, false).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &DomainModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &DomainModel) -> Result<(), ProviderError> {
        let retention = m
            .retention_policy
            .first()
            .and_then(|r| r.home_efs_file_system.as_deref())
            .map(|r| {
                RetentionPolicy::builder()
                    .home_efs_file_system(RetentionType::from(r))
                    .build()
            });
        match c
            .sagemaker
            .delete_domain()
            .domain_id(&m.id)
            .set_retention_policy(retention)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("sagemaker:DeleteDomain", &e)),
        }
        wait_domain(c, &m.id, true).await
    }
}

#[derive(Default)]
pub struct UserProfile;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UserProfileModel {
    id: String,
    domain_id: String,
    user_profile_name: String,
    single_sign_on_user_identifier: Option<String>,
    single_sign_on_user_value: Option<String>,
    user_settings: Vec<Settings>,
    arn: Option<String>,
    home_efs_file_system_uid: Option<String>,
    tags_all: Option<BTreeMap<String, String>>,
}

/// The domain and the name in a user profile's ARN (`...:user-profile/DOMAIN/NAME`).
fn profile_of(arn: &str) -> Option<(&str, &str)> {
    arn.rsplit_once("user-profile/")?.1.split_once('/')
}

async fn profile_status(c: &Clients, domain: &str, name: &str) -> Result<Status, ProviderError> {
    match c
        .sagemaker
        .describe_user_profile()
        .domain_id(domain)
        .user_profile_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.status().map(|s| {
            (
                s.as_str().to_string(),
                o.failure_reason().unwrap_or_default().to_string(),
            )
        })),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(classify("sagemaker:DescribeUserProfile", &e)),
    }
}

async fn wait_profile(
    c: &Clients,
    domain: &str,
    name: &str,
    gone: bool,
) -> Result<(), ProviderError> {
    wait_for(&format!("SageMaker user profile {name}"), gone, || {
        profile_status(c, domain, name)
    })
    .await
}

#[async_trait::async_trait]
impl AwsResource for UserProfile {
    type Model = UserProfileModel;
    const TYPE: &'static str = "aws_sagemaker_user_profile";
    const TAGGED: bool = true;

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        Schema::new()
            .attr("domain_id", Attribute::required(Type::String).force_new())
            .attr(
                "user_profile_name",
                Attribute::required(Type::String).force_new(),
            )
            .attr("single_sign_on_user_identifier", text().force_new())
            .attr("single_sign_on_user_value", text().force_new())
            .block("user_settings", one(studio_settings::schema(false), false))
            .attr("arn", Attribute::computed(Type::String))
            .attr(
                "home_efs_file_system_uid",
                Attribute::computed(Type::String),
            )
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        if profile_of(id).is_none() {
            return Err(ProviderError::InvalidConfig(format!(
                "import ID {id:?} is not a user profile ARN (arn:aws:sagemaker:REGION:ACCOUNT:user-profile/DOMAIN/NAME)"
            )));
        }
        Ok(Value::object([("id", Value::from(id))]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &UserProfileModel,
    ) -> Result<Created<UserProfileModel>, ProviderError> {
        let tags = tags_of(&m.tags_all);
        let out = c
            .sagemaker
            .create_user_profile()
            .domain_id(&m.domain_id)
            .user_profile_name(&m.user_profile_name)
            .set_single_sign_on_user_identifier(m.single_sign_on_user_identifier.clone())
            .set_single_sign_on_user_value(m.single_sign_on_user_value.clone())
            .set_user_settings(m.user_settings.first().map(Settings::to_sdk))
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("sagemaker:CreateUserProfile", &e))?;
        Ok(out
            .user_profile_arn()
            .unwrap_or_default()
            .to_string()
            .into())
    }

    async fn wait_created(&self, c: &Clients, m: &UserProfileModel) -> Result<(), ProviderError> {
        wait_profile(c, &m.domain_id, &m.user_profile_name, false).await
    }

    async fn read(
        &self,
        c: &Clients,
        m: &UserProfileModel,
    ) -> Result<Option<UserProfileModel>, ProviderError> {
        let (domain, name) = profile_of(&m.id)
            .ok_or_else(|| ProviderError::Api(format!("{} is not a user profile ARN", m.id)))?;
        let o = match c
            .sagemaker
            .describe_user_profile()
            .domain_id(domain)
            .user_profile_name(name)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(classify("sagemaker:DescribeUserProfile", &e)),
        };
        let arn = o.user_profile_arn().unwrap_or_default().to_string();
        Ok(Some(UserProfileModel {
            id: m.id.clone(),
            domain_id: o.domain_id().unwrap_or_default().to_string(),
            user_profile_name: o.user_profile_name().unwrap_or_default().to_string(),
            single_sign_on_user_identifier: o.single_sign_on_user_identifier().map(str::to_string),
            single_sign_on_user_value: o.single_sign_on_user_value().map(str::to_string),
            user_settings: o
                .user_settings()
                .map(Settings::from_sdk)
                .into_iter()
                .collect(),
            home_efs_file_system_uid: o.home_efs_file_system_uid().map(str::to_string),
            tags_all: Some(live_tags(c, &arn).await?),
            arn: Some(arn),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &UserProfileModel,
        m: &UserProfileModel,
    ) -> Result<(), ProviderError> {
        c.sagemaker
            .update_user_profile()
            .domain_id(&m.domain_id)
            .user_profile_name(&m.user_profile_name)
            .set_user_settings(m.user_settings.first().map(Settings::to_sdk))
            .send()
            .await
            .map_err(|e| classify("sagemaker:UpdateUserProfile", &e))?;
        wait_profile(c, &m.domain_id, &m.user_profile_name, false).await
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &UserProfileModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        super::set_tags(c, m.arn.as_deref().unwrap_or_default(), remove, set).await
    }

    async fn delete(&self, c: &Clients, m: &UserProfileModel) -> Result<(), ProviderError> {
        match c
            .sagemaker
            .delete_user_profile()
            .domain_id(&m.domain_id)
            .user_profile_name(&m.user_profile_name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("sagemaker:DeleteUserProfile", &e)),
        }
        wait_profile(c, &m.domain_id, &m.user_profile_name, true).await
    }
}
