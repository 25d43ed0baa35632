//! The bucket sub-resources of terraform-provider-aws's S3 model: versioning, public access
//! block, default encryption and bucket policy. Each is keyed by `bucket` (a change of bucket
//! replaces it) and imported by the bucket name.

use std::sync::Arc;

use aws_sdk_s3::types::{
    BucketVersioningStatus, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};

use crate::error::{classify, code, status};
use crate::policy::equivalent;
use crate::Clients;

fn bucket_of(v: &Value) -> String {
    v.get_attr("bucket")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn gone<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    codes: &[&str],
) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    let c = code(e);
    c == "NoSuchBucket" || codes.contains(&c.as_str()) || status(e) == Some(404)
}

fn with_id(planned: &Value) -> Value {
    let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
    let b = bucket_of(planned);
    m.insert("id".into(), Value::from(b));
    Value::Map(m)
}

fn single(block: Schema) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Single,
        block,
        min_items: 1,
        max_items: Some(1),
        force_new: false,
    }
}

// ---- versioning ---------------------------------------------------------------------------

pub fn versioning_schema() -> Schema {
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "mfa",
            Attribute::optional(Type::String)
                .describe("The MFA device serial and its current code, space-separated (needed to change mfa_delete)."),
        )
        .block(
            "versioning_configuration",
            single(
                Schema::new()
                    .attr("status", Attribute::required(Type::String))
                    .attr("mfa_delete", Attribute::optional(Type::String)),
            ),
        )
}

pub struct Versioning {
    pub clients: Arc<Clients>,
}

impl Versioning {
    async fn put(&self, planned: &Value) -> Result<Value, ProviderError> {
        let status = planned
            .get_attr("versioning_configuration")
            .get_attr("status")
            .as_str()
            .unwrap_or("Enabled")
            .to_string();
        if !["Enabled", "Suspended", "Disabled"].contains(&status.as_str()) {
            return Err(ProviderError::InvalidConfig(format!("versioning_configuration.status must be Enabled, Suspended or Disabled, not {status:?}")));
        }
        let s = if status == "Enabled" {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        let mfa_delete = planned
            .get_attr("versioning_configuration")
            .get_attr("mfa_delete")
            .as_str()
            .map(|m| {
                if matches!(m, "Enabled" | "Disabled") {
                    Ok(aws_sdk_s3::types::MfaDelete::from(m))
                } else {
                    Err(ProviderError::InvalidConfig(format!(
                        "versioning_configuration.mfa_delete must be Enabled or Disabled, not {m:?}"
                    )))
                }
            })
            .transpose()?;
        self.clients
            .s3
            .put_bucket_versioning()
            .bucket(bucket_of(planned))
            .set_mfa(planned.get_attr("mfa").as_str().map(str::to_string))
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(s)
                    .set_mfa_delete(mfa_delete)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| classify("s3:PutBucketVersioning", &e))?;
        Ok(with_id(planned))
    }
}

#[async_trait::async_trait]
impl Resource for Versioning {
    fn schema(&self) -> Schema {
        versioning_schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let bucket = bucket_of(prior);
        let out = match self
            .clients
            .s3
            .get_bucket_versioning()
            .bucket(&bucket)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if gone(&e, &[]) => return Ok(None),
            Err(e) => return Err(classify("s3:GetBucketVersioning", &e)),
        };
        let status = out
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Disabled".into());
        let mut cfg = prior
            .get_attr("versioning_configuration")
            .as_map()
            .cloned()
            .unwrap_or_default();
        cfg.insert("status".into(), Value::from(status));
        match out.mfa_delete() {
            Some(m) => {
                cfg.insert("mfa_delete".into(), Value::from(m.as_str()));
            }
            None => {
                cfg.entry("mfa_delete".into()).or_insert(Value::Null);
            }
        }
        Ok(Some(Value::object([
            ("bucket", Value::from(bucket.as_str())),
            ("id", Value::from(bucket.as_str())),
            // The MFA code is only ever sent, never read back.
            ("mfa", prior.get_attr("mfa").clone()),
            ("versioning_configuration", Value::Map(cfg)),
        ])))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        // S3 cannot turn versioning off once on; as terraform-provider-aws does, suspend it.
        if prior
            .get_attr("versioning_configuration")
            .get_attr("status")
            .as_str()
            == Some("Enabled")
        {
            match self
                .clients
                .s3
                .put_bucket_versioning()
                .bucket(bucket_of(prior))
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Suspended)
                        .build(),
                )
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if gone(&e, &[]) => {}
                Err(e) => return Err(classify("s3:PutBucketVersioning", &e)),
            }
        }
        Ok(())
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(&Value::object([("bucket", Value::from(id))]))
            .await
    }
}

// ---- public access block ---------------------------------------------------------------------

const PAB: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

pub fn public_access_block_schema() -> Schema {
    let mut s = Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("id", Attribute::computed(Type::String));
    for f in PAB {
        s = s.attr(f, Attribute::optional(Type::Bool));
    }
    s.attr(
        "skip_destroy",
        Attribute::optional(Type::Bool)
            .describe("On destroy, forget the block and leave it on the bucket."),
    )
}

pub struct PublicAccessBlock {
    pub clients: Arc<Clients>,
}

impl PublicAccessBlock {
    async fn put(&self, planned: &Value) -> Result<Value, ProviderError> {
        let b = |f: &str| planned.get_attr(f).as_bool().unwrap_or(false);
        let cfg = PublicAccessBlockConfiguration::builder()
            .block_public_acls(b(PAB[0]))
            .block_public_policy(b(PAB[1]))
            .ignore_public_acls(b(PAB[2]))
            .restrict_public_buckets(b(PAB[3]))
            .build();
        self.clients
            .s3
            .put_public_access_block()
            .bucket(bucket_of(planned))
            .public_access_block_configuration(cfg)
            .send()
            .await
            .map_err(|e| classify("s3:PutBucketPublicAccessBlock", &e))?;
        let mut m = with_id(planned).as_map().cloned().unwrap_or_default();
        for f in PAB {
            m.insert(f.into(), Value::Bool(b(f)));
        }
        Ok(Value::Map(m))
    }
}

#[async_trait::async_trait]
impl Resource for PublicAccessBlock {
    fn schema(&self) -> Schema {
        public_access_block_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request)?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        for f in PAB {
            if m.get(f).is_none_or(Value::is_null) {
                m.insert(f.into(), Value::Bool(false));
            }
        }
        if let Some(b) = m.get("bucket").and_then(|v| v.as_str()).map(str::to_string) {
            m.insert("id".into(), Value::from(b));
        }
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let bucket = bucket_of(prior);
        let out = match self
            .clients
            .s3
            .get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if gone(&e, &["NoSuchPublicAccessBlockConfiguration"]) => return Ok(None),
            Err(e) => return Err(classify("s3:GetBucketPublicAccessBlock", &e)),
        };
        let c = out.public_access_block_configuration();
        let get = |v: Option<bool>| Value::Bool(v.unwrap_or(false));
        Ok(Some(Value::object([
            ("bucket", Value::from(bucket.as_str())),
            ("id", Value::from(bucket.as_str())),
            (PAB[0], get(c.and_then(|c| c.block_public_acls()))),
            (PAB[1], get(c.and_then(|c| c.block_public_policy()))),
            (PAB[2], get(c.and_then(|c| c.ignore_public_acls()))),
            (PAB[3], get(c.and_then(|c| c.restrict_public_buckets()))),
            // Only mlform's setting, never the bucket's.
            ("skip_destroy", prior.get_attr("skip_destroy").clone()),
        ])))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        if prior.get_attr("skip_destroy").as_bool() == Some(true) {
            return Ok(());
        }
        match self
            .clients
            .s3
            .delete_public_access_block()
            .bucket(bucket_of(prior))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if gone(&e, &["NoSuchPublicAccessBlockConfiguration"]) => Ok(()),
            Err(e) => Err(classify("s3:PutBucketPublicAccessBlock", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(&Value::object([("bucket", Value::from(id))]))
            .await
    }
}

// ---- default encryption ----------------------------------------------------------------------

pub fn encryption_schema() -> Schema {
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
            NestedBlock {
                nesting: Nesting::Single,
                block: by_default,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        );
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("id", Attribute::computed(Type::String))
        .block(
            "rule",
            NestedBlock {
                nesting: Nesting::List,
                block: rule,
                min_items: 1,
                max_items: None,
                force_new: false,
            },
        )
}

pub struct Encryption {
    pub clients: Arc<Clients>,
}

impl Encryption {
    async fn put(&self, planned: &Value) -> Result<Value, ProviderError> {
        let mut rules = Vec::new();
        for r in planned.get_attr("rule").as_list().unwrap_or_default() {
            let d = r.get_attr("apply_server_side_encryption_by_default");
            let mut rule = ServerSideEncryptionRule::builder();
            if !d.is_null() {
                let alg = d.get_attr("sse_algorithm").as_str().unwrap_or("AES256");
                let mut by = ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(alg));
                if let Some(k) = d.get_attr("kms_master_key_id").as_str() {
                    by = by.kms_master_key_id(k);
                }
                rule = rule.apply_server_side_encryption_by_default(
                    by.build()
                        .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?,
                );
            }
            if let Some(b) = r.get_attr("bucket_key_enabled").as_bool() {
                rule = rule.bucket_key_enabled(b);
            }
            if let Some(types) = r.get_attr("blocked_encryption_types").as_list() {
                let types = types
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|t| {
                        if matches!(t, "SSE-C" | "NONE") {
                            Ok(aws_sdk_s3::types::EncryptionType::from(t))
                        } else {
                            Err(ProviderError::InvalidConfig(format!(
                                "rule.blocked_encryption_types: {t:?} is not an encryption type S3 can block (SSE-C or NONE)"
                            )))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rule = rule.blocked_encryption_types(
                    aws_sdk_s3::types::BlockedEncryptionTypes::builder()
                        .set_encryption_type(Some(types))
                        .build(),
                );
            }
            rules.push(rule.build());
        }
        let cfg = ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        self.clients
            .s3
            .put_bucket_encryption()
            .bucket(bucket_of(planned))
            .server_side_encryption_configuration(cfg)
            .send()
            .await
            .map_err(|e| classify("s3:PutEncryptionConfiguration", &e))?;
        Ok(with_id(planned))
    }
}

#[async_trait::async_trait]
impl Resource for Encryption {
    fn schema(&self) -> Schema {
        encryption_schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let bucket = bucket_of(prior);
        let out = match self
            .clients
            .s3
            .get_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if gone(&e, &["ServerSideEncryptionConfigurationNotFoundError"]) => {
                return Ok(None)
            }
            Err(e) => return Err(classify("s3:GetEncryptionConfiguration", &e)),
        };
        let rules: Vec<Value> = out
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let d = r.apply_server_side_encryption_by_default().map(|d| {
                    Value::object([
                        ("sse_algorithm", Value::from(d.sse_algorithm().as_str())),
                        (
                            "kms_master_key_id",
                            d.kms_master_key_id()
                                .map(Value::from)
                                .unwrap_or(Value::Null),
                        ),
                    ])
                });
                Value::object([
                    (
                        "apply_server_side_encryption_by_default",
                        d.unwrap_or(Value::Null),
                    ),
                    (
                        "bucket_key_enabled",
                        r.bucket_key_enabled()
                            .map(Value::Bool)
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "blocked_encryption_types",
                        r.blocked_encryption_types()
                            .map(|b| {
                                Value::List(
                                    b.encryption_type()
                                        .iter()
                                        .map(|t| Value::from(t.as_str()))
                                        .collect(),
                                )
                            })
                            .unwrap_or(Value::Null),
                    ),
                ])
            })
            .collect();
        // Keep the configuration's null for bucket_key_enabled when AWS reports the default.
        let rules = match prior.get_attr("rule").as_list() {
            Some(prior_rules) if prior_rules.len() == rules.len() => rules
                .into_iter()
                .zip(prior_rules)
                .map(|(live, p)| {
                    let mut m = live.as_map().cloned().unwrap_or_default();
                    if p.get_attr("bucket_key_enabled").is_null()
                        && m.get("bucket_key_enabled").and_then(|v| v.as_bool()) == Some(false)
                    {
                        m.insert("bucket_key_enabled".into(), Value::Null);
                    }
                    Value::Map(m)
                })
                .collect(),
            _ => rules,
        };
        Ok(Some(Value::object([
            ("bucket", Value::from(bucket.as_str())),
            ("id", Value::from(bucket.as_str())),
            ("rule", Value::List(rules)),
        ])))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.put(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .s3
            .delete_bucket_encryption()
            .bucket(bucket_of(prior))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if gone(&e, &[]) => Ok(()),
            Err(e) => Err(classify("s3:PutEncryptionConfiguration", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(&Value::object([("bucket", Value::from(id))]))
            .await
    }
}

// ---- bucket policy ----------------------------------------------------------------------------

pub fn policy_schema() -> Schema {
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("policy", Attribute::required(Type::String))
        .attr("id", Attribute::computed(Type::String))
}

pub struct BucketPolicy {
    pub clients: Arc<Clients>,
}

#[async_trait::async_trait]
impl Resource for BucketPolicy {
    fn schema(&self) -> Schema {
        policy_schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        if let (Some(prior), Some(new)) =
            (request.prior, request.config.get_attr("policy").as_str())
        {
            if let Some(old) = prior.get_attr("policy").as_str() {
                if equivalent(old, new) {
                    let mut m = p.state.as_map().cloned().unwrap_or_default();
                    m.insert("policy".into(), Value::from(old));
                    p.state = Value::Map(m);
                }
            }
        }
        Ok(p)
    }

    fn normalize(&self, prior: &Value, live: Value) -> Value {
        match (
            prior.get_attr("policy").as_str(),
            live.get_attr("policy").as_str(),
        ) {
            (Some(p), Some(l)) if p != l && equivalent(p, l) => {
                let mut m = live.as_map().cloned().unwrap_or_default();
                m.insert("policy".into(), Value::from(p));
                Value::Map(m)
            }
            _ => live,
        }
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let bucket = bucket_of(prior);
        match self
            .clients
            .s3
            .get_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
        {
            Ok(o) => Ok(Some(Value::object([
                ("bucket", Value::from(bucket.as_str())),
                ("id", Value::from(bucket.as_str())),
                ("policy", Value::from(o.policy().unwrap_or_default())),
            ]))),
            Err(e) if gone(&e, &["NoSuchBucketPolicy"]) => Ok(None),
            Err(e) => Err(classify("s3:GetBucketPolicy", &e)),
        }
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.clients
            .s3
            .put_bucket_policy()
            .bucket(bucket_of(planned))
            .policy(planned.get_attr("policy").as_str().unwrap_or_default())
            .send()
            .await
            .map_err(|e| classify("s3:PutBucketPolicy", &e))?;
        Ok(with_id(planned))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.create(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .s3
            .delete_bucket_policy()
            .bucket(bucket_of(prior))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if gone(&e, &["NoSuchBucketPolicy"]) => Ok(()),
            Err(e) => Err(classify("s3:DeleteBucketPolicy", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(&Value::object([("bucket", Value::from(id))]))
            .await
    }
}
