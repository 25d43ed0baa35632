//! `aws_kms_key`, `aws_kms_alias` and data `aws_kms_key`: customer managed keys for bucket
//! and state encryption. Import IDs: the key ID; the alias name.

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value, ValueMap};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsDataSource, AwsResource, Created, Naming, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Key;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KeyModel {
    id: String,
    arn: Option<String>,
    key_id: Option<String>,
    description: Option<String>,
    key_usage: Option<String>,
    customer_master_key_spec: Option<String>,
    policy: Option<String>,
    bypass_policy_lockout_safety_check: Option<bool>,
    deletion_window_in_days: Option<i32>,
    is_enabled: Option<bool>,
    enable_key_rotation: Option<bool>,
    rotation_period_in_days: Option<i32>,
    multi_region: Option<bool>,
    tags_all: Option<BTreeMap<String, String>>,
}

fn kms_tags(tags: &Option<BTreeMap<String, String>>) -> Result<Vec<Tag>, ProviderError> {
    let pairs = tags.iter().flatten();
    pairs
        .map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| ProviderError::InvalidConfig(e.to_string()))
}

/// Turns key `id`'s rotation on (with `m`'s period) or off, as `m` says.
async fn set_rotation(c: &Clients, id: &str, m: &KeyModel) -> Result<(), ProviderError> {
    if m.enable_key_rotation == Some(true) {
        let req = c.kms.enable_key_rotation().key_id(id);
        let req = req.set_rotation_period_in_days(m.rotation_period_in_days);
        req.send().await.call("kms:EnableKeyRotation")?;
    } else {
        let req = c.kms.disable_key_rotation().key_id(id);
        req.send().await.call("kms:DisableKeyRotation")?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Key {
    type Model = KeyModel;
    const TYPE: &'static str = "aws_kms_key";
    const TAGGED: bool = true;
    const KEEP: &'static [&'static str] = &[
        "deletion_window_in_days",
        "bypass_policy_lockout_safety_check",
    ];
    const POLICIES: &'static [&'static str] = &["policy"];

    /// Switching rotation on or off sets the period AWS reports.
    fn modify_plan(prior: Option<&Value>, planned: &mut ValueMap) {
        let Some(prior) = prior else { return };
        let switched = planned
            .get("enable_key_rotation")
            .is_some_and(|v| !v.same_data(prior.get_attr("enable_key_rotation")));
        let period = planned.get("rotation_period_in_days");
        if switched
            && period.is_some_and(|p| p.same_data(prior.get_attr("rotation_period_in_days")))
        {
            planned.insert("rotation_period_in_days".into(), Value::Unknown);
        }
    }

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String);
        Schema::new()
            .attr("description", Attribute::optional_computed(Type::String))
            .attr("key_usage", text().default("ENCRYPT_DECRYPT").force_new())
            .attr(
                "customer_master_key_spec",
                text().default("SYMMETRIC_DEFAULT").force_new(),
            )
            .attr("policy", Attribute::optional_computed(Type::String))
            .attr(
                "bypass_policy_lockout_safety_check",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr("deletion_window_in_days", Attribute::optional(Type::Number))
            .attr("is_enabled", Attribute::optional(Type::Bool).default(true))
            .attr(
                "enable_key_rotation",
                Attribute::optional(Type::Bool).default(false),
            )
            .attr(
                "rotation_period_in_days",
                Attribute::optional_computed(Type::Number),
            )
            .attr(
                "multi_region",
                Attribute::optional_computed(Type::Bool).force_new(),
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("key_id", Attribute::computed(Type::String))
            .attr("custom_key_store_id", text().force_new())
            .attr("xks_key_id", text().force_new())
    }

    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        for store in ["custom_key_store_id", "xks_key_id"] {
            if planned.get(store).is_some_and(|v| !v.is_null()) {
                return Err(ProviderError::Unsupported(format!(
                    "aws_kms_key: {store} is not supported by mlform: keys in external key stores need a CloudHSM cluster or an XKS proxy, which the local emulator does not offer, so mlform cannot test them; hint: leave {store} null"
                )));
            }
        }
        Ok(())
    }

    async fn create(&self, c: &Clients, m: &KeyModel) -> Result<Created<KeyModel>, ProviderError> {
        let req = c
            .kms
            .create_key()
            .set_description(m.description.clone())
            .set_key_usage(m.key_usage.as_deref().map(KeyUsageType::from))
            .set_key_spec(m.customer_master_key_spec.as_deref().map(KeySpec::from))
            .set_policy(m.policy.clone())
            .set_bypass_policy_lockout_safety_check(m.bypass_policy_lockout_safety_check)
            .set_multi_region(m.multi_region)
            .set_tags(Some(kms_tags(&m.tags_all)?));
        let out = req.send().await.call("kms:CreateKey")?;
        let id = out
            .key_metadata()
            .map(|k| k.key_id().to_string())
            .unwrap_or_default();
        if m.enable_key_rotation == Some(true) {
            set_rotation(c, &id, m).await?;
        }
        if m.is_enabled == Some(false) {
            c.kms
                .disable_key()
                .key_id(&id)
                .send()
                .await
                .call("kms:DisableKey")?;
        }
        Ok(id.into())
    }

    async fn read(&self, c: &Clients, m: &KeyModel) -> Result<Option<KeyModel>, ProviderError> {
        let kms = &c.kms;
        let Some(out) = kms
            .describe_key()
            .key_id(&m.id)
            .send()
            .await
            .found("kms:DescribeKey")?
        else {
            return Ok(None);
        };
        let Some(k) = out.key_metadata() else {
            return Ok(None);
        };
        if k.key_state() == Some(&KeyState::PendingDeletion) {
            return Ok(None);
        }
        let id = k.key_id();
        // Independent reads, made at once: a refresh costs one round trip after DescribeKey.
        let (policy, rotation, tags) = tokio::join!(
            kms.get_key_policy()
                .key_id(id)
                .policy_name("default")
                .send(),
            kms.get_key_rotation_status().key_id(id).send(),
            kms.list_resource_tags().key_id(id).send(),
        );
        let policy = policy.call("kms:GetKeyPolicy")?;
        let rotation = rotation.call("kms:GetKeyRotationStatus")?;
        let tags = tags.call("kms:ListResourceTags")?;
        Ok(Some(KeyModel {
            id: id.to_string(),
            arn: k.arn().map(str::to_string),
            key_id: Some(id.to_string()),
            description: Some(k.description().unwrap_or_default().to_string()),
            key_usage: k.key_usage().map(|u| u.as_str().to_string()),
            customer_master_key_spec: k.key_spec().map(|s| s.as_str().to_string()),
            policy: policy.policy().map(str::to_string),
            is_enabled: Some(k.enabled()),
            enable_key_rotation: Some(rotation.key_rotation_enabled()),
            rotation_period_in_days: rotation.rotation_period_in_days(),
            multi_region: k.multi_region(),
            tags_all: Some(
                tags.tags()
                    .iter()
                    .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                    .collect(),
            ),
            ..KeyModel::default()
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &KeyModel,
        new: &KeyModel,
    ) -> Result<(), ProviderError> {
        let kms = &c.kms;
        if old.description != new.description {
            let req = kms.update_key_description().key_id(&old.id);
            let req = req.description(new.description.clone().unwrap_or_default());
            req.send().await.call("kms:UpdateKeyDescription")?;
        }
        if let Some(p) = new
            .policy
            .as_ref()
            .filter(|p| old.policy.as_ref() != Some(*p))
        {
            let req = kms
                .put_key_policy()
                .key_id(&old.id)
                .policy_name("default")
                .policy(p);
            let req =
                req.set_bypass_policy_lockout_safety_check(new.bypass_policy_lockout_safety_check);
            req.send().await.call("kms:PutKeyPolicy")?;
        }
        if (old.enable_key_rotation, old.rotation_period_in_days)
            != (new.enable_key_rotation, new.rotation_period_in_days)
        {
            set_rotation(c, &old.id, new).await?;
        }
        match (old.is_enabled, new.is_enabled) {
            (a, b) if a == b => {}
            (_, Some(false)) => kms
                .disable_key()
                .key_id(&old.id)
                .send()
                .await
                .call("kms:DisableKey")
                .map(drop)?,
            _ => kms
                .enable_key()
                .key_id(&old.id)
                .send()
                .await
                .call("kms:EnableKey")
                .map(drop)?,
        }
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &KeyModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        if !remove.is_empty() {
            let req = c
                .kms
                .untag_resource()
                .key_id(&m.id)
                .set_tag_keys(Some(remove));
            req.send().await.call("kms:UntagResource")?;
        }
        if !set.is_empty() {
            let tags = kms_tags(&Some(set.into_iter().collect()))?;
            let req = c.kms.tag_resource().key_id(&m.id).set_tags(Some(tags));
            req.send().await.call("kms:TagResource")?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &KeyModel) -> Result<(), ProviderError> {
        let req = c.kms.schedule_key_deletion().key_id(&m.id);
        let req = req.pending_window_in_days(m.deletion_window_in_days.unwrap_or(30));
        req.send().await.gone_ok("kms:ScheduleKeyDeletion")
    }
}

#[derive(Default)]
pub struct Alias;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AliasModel {
    id: String,
    name: Option<String>,
    target_key_id: String,
    arn: Option<String>,
    target_key_arn: Option<String>,
}

#[async_trait::async_trait]
impl AwsResource for Alias {
    type Model = AliasModel;
    const TYPE: &'static str = "aws_kms_alias";
    const NAMING: Option<Naming> = Some(Naming::name("alias/"));

    fn schema() -> Schema {
        Schema::new()
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("target_key_id", Attribute::required(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("target_key_arn", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AliasModel,
    ) -> Result<Created<AliasModel>, ProviderError> {
        let name = m.name.clone().unwrap_or_default();
        if !name.starts_with("alias/") {
            return Err(ProviderError::InvalidConfig(format!(
                "aws_kms_alias name {name:?} must start with \"alias/\""
            )));
        }
        let req = c
            .kms
            .create_alias()
            .alias_name(&name)
            .target_key_id(&m.target_key_id);
        req.send().await.call("kms:CreateAlias")?;
        Ok(name.into())
    }

    async fn read(&self, c: &Clients, m: &AliasModel) -> Result<Option<AliasModel>, ProviderError> {
        let mut pages = c.kms.list_aliases().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.call("kms:ListAliases")?;
            for a in page.aliases() {
                if a.alias_name() != Some(m.id.as_str()) {
                    continue;
                }
                let Some(key) = a.target_key_id() else {
                    continue;
                };
                let key_arn = a.alias_arn().map(|arn| {
                    let base = arn.split(":alias/").next().unwrap_or_default();
                    format!("{base}:key/{key}")
                });
                // The configuration may name the key by ID or by ARN.
                let target = if m.target_key_id.starts_with("arn:") {
                    key_arn.clone().unwrap_or_default()
                } else {
                    key.to_string()
                };
                return Ok(Some(AliasModel {
                    id: m.id.clone(),
                    name: Some(m.id.clone()),
                    target_key_id: target,
                    arn: a.alias_arn().map(str::to_string),
                    target_key_arn: key_arn,
                }));
            }
        }
        Ok(None)
    }

    async fn update(
        &self,
        c: &Clients,
        old: &AliasModel,
        new: &AliasModel,
    ) -> Result<(), ProviderError> {
        let req = c
            .kms
            .update_alias()
            .alias_name(&old.id)
            .target_key_id(&new.target_key_id);
        req.send().await.call("kms:UpdateAlias").map(drop)
    }

    async fn delete(&self, c: &Clients, m: &AliasModel) -> Result<(), ProviderError> {
        c.kms
            .delete_alias()
            .alias_name(&m.id)
            .send()
            .await
            .gone_ok("kms:DeleteAlias")
    }
}

/// data `aws_kms_key`: a key by ID, ARN or alias.
#[derive(Default)]
pub struct KeyData;

#[derive(Deserialize)]
pub struct KeyArgs {
    key_id: String,
}

#[derive(Serialize)]
pub struct KeyOut {
    id: String,
    key_id: String,
    arn: Option<String>,
    description: String,
    enabled: bool,
    key_state: Option<String>,
    key_usage: Option<String>,
    customer_master_key_spec: Option<String>,
    key_manager: Option<String>,
    multi_region: Option<bool>,
    creation_date: Option<String>,
}

#[async_trait::async_trait]
impl AwsDataSource for KeyData {
    type Args = KeyArgs;
    type Out = KeyOut;
    const TYPE: &'static str = "aws_kms_key";

    fn schema() -> Schema {
        let computed = |t| Attribute::computed(t);
        Schema::new()
            .attr("key_id", Attribute::required(Type::String))
            .attr("id", computed(Type::String))
            .attr("arn", computed(Type::String))
            .attr("description", computed(Type::String))
            .attr("enabled", computed(Type::Bool))
            .attr("key_state", computed(Type::String))
            .attr("key_usage", computed(Type::String))
            .attr("customer_master_key_spec", computed(Type::String))
            .attr("key_manager", computed(Type::String))
            .attr("multi_region", computed(Type::Bool))
            .attr("creation_date", computed(Type::String))
    }

    async fn read(&self, c: &Clients, args: KeyArgs) -> Result<KeyOut, ProviderError> {
        let out = c.kms.describe_key().key_id(&args.key_id).send().await;
        let out = out.call("kms:DescribeKey")?;
        let k = out
            .key_metadata()
            .ok_or_else(|| ProviderError::Api(format!("no KMS key {}", args.key_id)))?;
        Ok(KeyOut {
            id: k.key_id().to_string(),
            key_id: args.key_id,
            arn: k.arn().map(str::to_string),
            description: k.description().unwrap_or_default().to_string(),
            enabled: k.enabled(),
            key_state: k.key_state().map(|s| s.as_str().to_string()),
            key_usage: k.key_usage().map(|s| s.as_str().to_string()),
            customer_master_key_spec: k.key_spec().map(|s| s.as_str().to_string()),
            key_manager: k.key_manager().map(|s| s.as_str().to_string()),
            multi_region: k.multi_region(),
            creation_date: k.creation_date().map(|d| d.to_string()),
        })
    }
}
