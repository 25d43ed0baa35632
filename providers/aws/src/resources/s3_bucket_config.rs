//! The bucket sub-resources of terraform-provider-aws's S3 model: versioning, public access
//! block, default encryption and bucket policy. Each is keyed by `bucket` (a change of bucket
//! replaces it) and imported by the bucket name.

use aws_sdk_s3::types::{
    BucketVersioningStatus, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use mlform_provider::{Attribute, Nesting, ProviderError, Schema, Type, Value, ValueMap};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{block, bucket, bucket_schema, built, one_of};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

/// Checks the string at `block.attr` of the planned values against `allowed`, when known.
fn check(p: &ValueMap, block: &str, attr: &str, allowed: &[&str]) -> Result<(), ProviderError> {
    let v = p.get(block).unwrap_or(&Value::Null);
    let items = v
        .as_list()
        .map(<[Value]>::to_vec)
        .unwrap_or_else(|| vec![v.clone()]);
    for item in items {
        if let Some(s) = item.get_attr(attr).as_str() {
            one_of(s, allowed, &format!("{block}.{attr}"))?;
        }
    }
    Ok(())
}

// ---- versioning ---------------------------------------------------------------------------

#[derive(Default)]
pub struct Versioning;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct VersioningModel {
    id: String,
    bucket: String,
    mfa: Option<String>,
    versioning_configuration: VersioningConfig,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct VersioningConfig {
    status: String,
    mfa_delete: Option<String>,
}

async fn put_versioning(
    c: &Clients,
    b: &str,
    status: BucketVersioningStatus,
    mfa: Option<&str>,
    mfa_delete: Option<&str>,
) -> Result<(), ProviderError> {
    c.s3.put_bucket_versioning()
        .bucket(b)
        .set_mfa(mfa.map(str::to_string))
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(status)
                .set_mfa_delete(mfa_delete.map(aws_sdk_s3::types::MfaDelete::from))
                .build(),
        )
        .send()
        .await
        .call("s3:PutBucketVersioning")?;
    Ok(())
}

async fn put_versioning_of(c: &Clients, m: &VersioningModel) -> Result<(), ProviderError> {
    let v = &m.versioning_configuration;
    // S3 has no "Disabled": a bucket whose versioning was never on reads as Disabled.
    let status = if v.status == "Enabled" {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    put_versioning(
        c,
        &m.bucket,
        status,
        m.mfa.as_deref(),
        v.mfa_delete.as_deref(),
    )
    .await
}

#[async_trait::async_trait]
impl AwsResource for Versioning {
    type Model = VersioningModel;
    const TYPE: &'static str = "aws_s3_bucket_versioning";
    /// The MFA device serial and code are only ever sent, never read back.
    const KEEP: &'static [&'static str] = &["mfa"];

    fn schema() -> Schema {
        let config = Schema::new()
            .attr("status", Attribute::required(Type::String))
            .attr("mfa_delete", Attribute::optional(Type::String));
        bucket_schema()
            .attr(
                "mfa",
                Attribute::optional(Type::String).describe(
                    "The MFA device serial and its current code, space-separated (needed to change mfa_delete).",
                ),
            )
            .block(
                "versioning_configuration",
                block(Nesting::Single, config, 1),
            )
    }

    fn validate(p: &ValueMap) -> Result<(), ProviderError> {
        let block = "versioning_configuration";
        check(p, block, "status", &["Enabled", "Suspended", "Disabled"])?;
        check(p, block, "mfa_delete", &["Enabled", "Disabled"])
    }

    async fn create(
        &self,
        c: &Clients,
        m: &VersioningModel,
    ) -> Result<Created<VersioningModel>, ProviderError> {
        put_versioning_of(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &VersioningModel,
    ) -> Result<Option<VersioningModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let Some(out) =
            c.s3.get_bucket_versioning()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketVersioning")?
        else {
            return Ok(None);
        };
        Ok(Some(VersioningModel {
            id: b.clone(),
            bucket: b,
            mfa: None,
            versioning_configuration: VersioningConfig {
                status: out.status().map_or("Disabled", |s| s.as_str()).to_string(),
                // S3 answers MFA Delete only once it was ever set.
                mfa_delete: out
                    .mfa_delete()
                    .map(|d| d.as_str().to_string())
                    .or_else(|| m.versioning_configuration.mfa_delete.clone()),
            },
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &VersioningModel,
        new: &VersioningModel,
    ) -> Result<(), ProviderError> {
        put_versioning_of(c, new).await
    }

    /// Versioning cannot be switched off once on; as terraform-provider-aws does, delete
    /// suspends it.
    async fn delete(&self, c: &Clients, m: &VersioningModel) -> Result<(), ProviderError> {
        if m.versioning_configuration.status != "Enabled" {
            return Ok(());
        }
        let b = bucket(&m.id, &m.bucket);
        c.s3.put_bucket_versioning()
            .bucket(b)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Suspended)
                    .build(),
            )
            .send()
            .await
            .gone_ok("s3:PutBucketVersioning")
    }
}

// ---- public access block ---------------------------------------------------------------------

#[derive(Default)]
pub struct PublicAccessBlock;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PublicAccessModel {
    id: String,
    bucket: String,
    block_public_acls: bool,
    block_public_policy: bool,
    ignore_public_acls: bool,
    restrict_public_buckets: bool,
    skip_destroy: Option<bool>,
}

#[async_trait::async_trait]
impl AwsResource for PublicAccessBlock {
    type Model = PublicAccessModel;
    const TYPE: &'static str = "aws_s3_bucket_public_access_block";
    /// Only mlform's setting, never the bucket's.
    const KEEP: &'static [&'static str] = &["skip_destroy"];

    fn schema() -> Schema {
        let mut s = bucket_schema();
        for f in [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ] {
            s = s.attr(f, Attribute::optional(Type::Bool).default(false));
        }
        s.attr(
            "skip_destroy",
            Attribute::optional(Type::Bool)
                .describe("On destroy, forget the block and leave it on the bucket."),
        )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PublicAccessModel,
    ) -> Result<Created<PublicAccessModel>, ProviderError> {
        self.update(c, m, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &PublicAccessModel,
    ) -> Result<Option<PublicAccessModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_public_access_block()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketPublicAccessBlock")?;
        let Some(config) = out.and_then(|o| o.public_access_block_configuration) else {
            return Ok(None);
        };
        Ok(Some(PublicAccessModel {
            id: b.clone(),
            bucket: b,
            block_public_acls: config.block_public_acls().unwrap_or(false),
            block_public_policy: config.block_public_policy().unwrap_or(false),
            ignore_public_acls: config.ignore_public_acls().unwrap_or(false),
            restrict_public_buckets: config.restrict_public_buckets().unwrap_or(false),
            skip_destroy: None,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &PublicAccessModel,
        m: &PublicAccessModel,
    ) -> Result<(), ProviderError> {
        c.s3.put_public_access_block()
            .bucket(&m.bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(m.block_public_acls)
                    .block_public_policy(m.block_public_policy)
                    .ignore_public_acls(m.ignore_public_acls)
                    .restrict_public_buckets(m.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .call("s3:PutBucketPublicAccessBlock")?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &PublicAccessModel) -> Result<(), ProviderError> {
        if m.skip_destroy == Some(true) {
            return Ok(());
        }
        c.s3.delete_public_access_block()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:DeleteBucketPublicAccessBlock")
    }
}

// ---- default encryption ----------------------------------------------------------------------

#[derive(Default)]
pub struct Encryption;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EncryptionModel {
    id: String,
    bucket: String,
    rule: Vec<EncryptionRule>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EncryptionRule {
    bucket_key_enabled: Option<bool>,
    blocked_encryption_types: Option<Vec<String>>,
    apply_server_side_encryption_by_default: Option<ByDefault>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ByDefault {
    sse_algorithm: String,
    kms_master_key_id: Option<String>,
}

fn encryption_rule(r: &EncryptionRule) -> Result<ServerSideEncryptionRule, ProviderError> {
    let mut rule = ServerSideEncryptionRule::builder().set_bucket_key_enabled(r.bucket_key_enabled);
    if let Some(d) = &r.apply_server_side_encryption_by_default {
        rule = rule.apply_server_side_encryption_by_default(built(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(d.sse_algorithm.as_str()))
                .set_kms_master_key_id(d.kms_master_key_id.clone())
                .build(),
            "rule.apply_server_side_encryption_by_default",
        )?);
    }
    if let Some(types) = &r.blocked_encryption_types {
        rule = rule.blocked_encryption_types(
            aws_sdk_s3::types::BlockedEncryptionTypes::builder()
                .set_encryption_type(Some(
                    types
                        .iter()
                        .map(|t| aws_sdk_s3::types::EncryptionType::from(t.as_str()))
                        .collect(),
                ))
                .build(),
        );
    }
    Ok(rule.build())
}

fn live_rule(r: &ServerSideEncryptionRule, prior: Option<&EncryptionRule>) -> EncryptionRule {
    EncryptionRule {
        // S3 reports false for a rule that never set it; the configuration's null stays.
        bucket_key_enabled: r
            .bucket_key_enabled()
            .filter(|on| *on || prior.is_some_and(|p| p.bucket_key_enabled.is_some())),
        blocked_encryption_types: r.blocked_encryption_types().map(|b| {
            b.encryption_type()
                .iter()
                .map(|t| t.as_str().to_string())
                .collect()
        }),
        apply_server_side_encryption_by_default: r.apply_server_side_encryption_by_default().map(
            |d| ByDefault {
                sse_algorithm: d.sse_algorithm().as_str().to_string(),
                kms_master_key_id: d.kms_master_key_id().map(str::to_string),
            },
        ),
    }
}

#[async_trait::async_trait]
impl AwsResource for Encryption {
    type Model = EncryptionModel;
    const TYPE: &'static str = "aws_s3_bucket_server_side_encryption_configuration";

    fn schema() -> Schema {
        let by_default = Schema::new()
            .attr("sse_algorithm", Attribute::required(Type::String))
            .attr("kms_master_key_id", Attribute::optional(Type::String));
        let rule = Schema::new()
            .attr("bucket_key_enabled", Attribute::optional(Type::Bool))
            .attr(
                "blocked_encryption_types",
                Attribute::optional_computed(Type::list(Type::String))
                    .describe("Encryption types S3 refuses for new objects: `SSE-C`, or `NONE`."),
            )
            .block(
                "apply_server_side_encryption_by_default",
                block(Nesting::Single, by_default, 0),
            );
        bucket_schema().block("rule", block(Nesting::List, rule, 1))
    }

    fn validate(p: &ValueMap) -> Result<(), ProviderError> {
        for r in p.get("rule").and_then(Value::as_list).unwrap_or_default() {
            for t in r
                .get_attr("blocked_encryption_types")
                .as_list()
                .unwrap_or_default()
            {
                if let Some(t) = t.as_str() {
                    one_of(t, &["SSE-C", "NONE"], "rule.blocked_encryption_types")?;
                }
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &EncryptionModel,
    ) -> Result<Created<EncryptionModel>, ProviderError> {
        self.update(c, m, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &EncryptionModel,
    ) -> Result<Option<EncryptionModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_encryption()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetEncryptionConfiguration")?;
        let Some(config) = out.and_then(|o| o.server_side_encryption_configuration) else {
            return Ok(None);
        };
        let rule = config
            .rules()
            .iter()
            .enumerate()
            .map(|(i, r)| live_rule(r, m.rule.get(i)))
            .collect();
        Ok(Some(EncryptionModel {
            id: b.clone(),
            bucket: b,
            rule,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &EncryptionModel,
        m: &EncryptionModel,
    ) -> Result<(), ProviderError> {
        let rules = m
            .rule
            .iter()
            .map(encryption_rule)
            .collect::<Result<_, _>>()?;
        let config = built(
            ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(rules))
                .build(),
            "rule",
        )?;
        c.s3.put_bucket_encryption()
            .bucket(&m.bucket)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .call("s3:PutEncryptionConfiguration")?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &EncryptionModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_encryption()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:PutEncryptionConfiguration")
    }
}

// ---- bucket policy ----------------------------------------------------------------------------

#[derive(Default)]
pub struct BucketPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PolicyModel {
    id: String,
    bucket: String,
    policy: String,
}

#[async_trait::async_trait]
impl AwsResource for BucketPolicy {
    type Model = PolicyModel;
    const TYPE: &'static str = "aws_s3_bucket_policy";
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        bucket_schema().attr("policy", Attribute::required(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PolicyModel,
    ) -> Result<Created<PolicyModel>, ProviderError> {
        self.update(c, m, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &PolicyModel,
    ) -> Result<Option<PolicyModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_policy()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketPolicy")?;
        Ok(out.map(|o| PolicyModel {
            id: b.clone(),
            bucket: b,
            policy: o.policy.unwrap_or_default(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &PolicyModel,
        m: &PolicyModel,
    ) -> Result<(), ProviderError> {
        c.s3.put_bucket_policy()
            .bucket(&m.bucket)
            .policy(&m.policy)
            .send()
            .await
            .call("s3:PutBucketPolicy")?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &PolicyModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_policy()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:DeleteBucketPolicy")
    }
}
