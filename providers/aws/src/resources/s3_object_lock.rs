//! `aws_s3_bucket_object_lock_configuration`: Object Lock on a versioned bucket and its
//! default retention (mode, days or years). Object Lock cannot be switched off, so delete
//! removes the retention rule only. Import ID: the bucket name.

use mlform_provider::{Attribute, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{block, bucket, bucket_schema, one_of};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct ObjectLock;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ObjectLockModel {
    id: String,
    bucket: String,
    object_lock_enabled: Option<String>,
    rule: Option<LockRule>,
    token: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LockRule {
    default_retention: Retention,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Retention {
    mode: String,
    days: Option<i32>,
    years: Option<i32>,
}

async fn put_lock(
    c: &Clients,
    b: &str,
    rule: Option<&LockRule>,
    token: Option<&str>,
) -> Result<(), ProviderError> {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };
    let mut config =
        ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled);
    if let Some(r) = rule {
        let d = &r.default_retention;
        one_of(
            &d.mode,
            &["GOVERNANCE", "COMPLIANCE"],
            "rule.default_retention.mode",
        )?;
        if d.days.is_some() == d.years.is_some() {
            return Err(ProviderError::InvalidConfig(
                "rule.default_retention needs days or years, not both".into(),
            ));
        }
        config = config.rule(
            ObjectLockRule::builder()
                .default_retention(
                    DefaultRetention::builder()
                        .mode(ObjectLockRetentionMode::from(d.mode.as_str()))
                        .set_days(d.days)
                        .set_years(d.years)
                        .build(),
                )
                .build(),
        );
    }
    c.s3.put_object_lock_configuration()
        .bucket(b)
        .set_token(token.map(str::to_string))
        .object_lock_configuration(config.build())
        .send()
        .await
        .call("s3:PutObjectLockConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for ObjectLock {
    type Model = ObjectLockModel;
    const TYPE: &'static str = "aws_s3_bucket_object_lock_configuration";
    /// The token that allows enabling Object Lock on an existing bucket; sent, never read.
    const KEEP: &'static [&'static str] = &["token"];

    fn schema() -> Schema {
        let retention = Schema::new()
            .attr("mode", Attribute::required(Type::String))
            .attr("days", Attribute::optional(Type::Number))
            .attr("years", Attribute::optional(Type::Number));
        bucket_schema()
            .attr("token", Attribute::optional(Type::String).sensitive())
            .attr(
                "object_lock_enabled",
                Attribute::optional(Type::String)
                    .force_new()
                    .default("Enabled"),
            )
            .block(
                "rule",
                block(
                    Nesting::Single,
                    Schema::new().block("default_retention", block(Nesting::Single, retention, 1)),
                    0,
                ),
            )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ObjectLockModel,
    ) -> Result<Created<ObjectLockModel>, ProviderError> {
        if let Some(e) = &m.object_lock_enabled {
            one_of(e, &["Enabled"], "object_lock_enabled")?;
        }
        put_lock(c, &m.bucket, m.rule.as_ref(), m.token.as_deref()).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ObjectLockModel,
    ) -> Result<Option<ObjectLockModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out = match c.s3.get_object_lock_configuration().bucket(&b).send().await {
            Err(e) if crate::error::code(&e) == "ObjectLockConfigurationNotFoundError" => None,
            other => other.found("s3:GetObjectLockConfiguration")?,
        };
        let Some(config) = out.and_then(|o| o.object_lock_configuration) else {
            return Ok(None);
        };
        let rule = config
            .rule()
            .and_then(|r| r.default_retention())
            .map(|d| LockRule {
                default_retention: Retention {
                    mode: d.mode().map(|m| m.as_str().to_string()).unwrap_or_default(),
                    // Retention is at least one day or year; 0 means unset.
                    days: d.days().filter(|n| *n > 0),
                    years: d.years().filter(|n| *n > 0),
                },
            });
        Ok(Some(ObjectLockModel {
            id: b.clone(),
            bucket: b,
            object_lock_enabled: config.object_lock_enabled().map(|e| e.as_str().to_string()),
            rule,
            token: None,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &ObjectLockModel,
        new: &ObjectLockModel,
    ) -> Result<(), ProviderError> {
        put_lock(c, &new.bucket, new.rule.as_ref(), new.token.as_deref()).await
    }

    /// Object Lock cannot be switched off once on; as terraform-provider-aws does, delete
    /// removes the default retention rule and leaves the lock enabled.
    async fn delete(&self, c: &Clients, m: &ObjectLockModel) -> Result<(), ProviderError> {
        use aws_sdk_s3::types::{ObjectLockConfiguration, ObjectLockEnabled};
        c.s3.put_object_lock_configuration()
            .bucket(bucket(&m.id, &m.bucket))
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .build(),
            )
            .send()
            .await
            .gone_ok("s3:PutObjectLockConfiguration")
    }
}
