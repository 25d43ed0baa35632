//! More bucket sub-resources of terraform-provider-aws's S3 model, on the framework:
//! ownership controls, transfer acceleration, request payment, CORS and access logging,
//! and the helpers `s3_website` and `s3_object_lock` share with them. Each is keyed by `bucket` (a change of bucket replaces it), is
//! imported by the bucket name, and on delete puts the bucket back to S3's default.

use aws_sdk_s3::types::{
    AccelerateConfiguration, BucketAccelerateStatus, BucketLoggingStatus, CorsConfiguration,
    CorsRule as SdkCorsRule, LoggingEnabled, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, PartitionDateSource, Payer, RequestPaymentConfiguration, SimplePrefix,
    TargetObjectKeyFormat,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{list_of_one, AwsResource, Created, SdkResult};
use crate::Clients;

pub(super) fn block(nesting: Nesting, block: Schema, min: usize) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items: min,
        max_items: (nesting == Nesting::Single).then_some(1),
        force_new: false,
    }
}

pub(super) fn bucket_schema() -> Schema {
    Schema::new().attr("bucket", Attribute::required(Type::String).force_new())
}

pub(super) fn built<T, E: std::fmt::Display>(
    r: Result<T, E>,
    what: &str,
) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::InvalidConfig(format!("{what}: {e}")))
}

pub(super) fn one_of(value: &str, allowed: &[&str], what: &str) -> Result<(), ProviderError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ProviderError::InvalidConfig(format!(
            "{what} must be one of {}, not {value:?}",
            allowed.join(", ")
        )))
    }
}

/// The bucket a model is about: `bucket`, or the import ID.
pub(super) fn bucket(id: &str, bucket: &str) -> String {
    if bucket.is_empty() {
        id.to_string()
    } else {
        bucket.to_string()
    }
}

// ---- ownership controls --------------------------------------------------------------------

#[derive(Default)]
pub struct OwnershipControlsResource;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OwnershipModel {
    id: String,
    bucket: String,
    rule: OwnershipRule,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OwnershipRule {
    object_ownership: String,
}

const OWNERSHIP: &[&str] = &[
    "BucketOwnerPreferred",
    "ObjectWriter",
    "BucketOwnerEnforced",
];

async fn put_ownership(c: &Clients, m: &OwnershipModel) -> Result<(), ProviderError> {
    one_of(&m.rule.object_ownership, OWNERSHIP, "rule.object_ownership")?;
    let rule = built(
        OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::from(m.rule.object_ownership.as_str()))
            .build(),
        "rule",
    )?;
    let controls = built(OwnershipControls::builder().rules(rule).build(), "rule")?;
    c.s3.put_bucket_ownership_controls()
        .bucket(&m.bucket)
        .ownership_controls(controls)
        .send()
        .await
        .call("s3:PutBucketOwnershipControls")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for OwnershipControlsResource {
    type Model = OwnershipModel;
    const TYPE: &'static str = "aws_s3_bucket_ownership_controls";

    fn schema() -> Schema {
        bucket_schema().block(
            "rule",
            block(
                Nesting::Single,
                Schema::new().attr("object_ownership", Attribute::required(Type::String)),
                1,
            ),
        )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &OwnershipModel,
    ) -> Result<Created<OwnershipModel>, ProviderError> {
        put_ownership(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &OwnershipModel,
    ) -> Result<Option<OwnershipModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_ownership_controls()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketOwnershipControls")?;
        let Some(rule) = out
            .as_ref()
            .and_then(|o| o.ownership_controls())
            .and_then(|c| c.rules().first())
        else {
            return Ok(None);
        };
        Ok(Some(OwnershipModel {
            id: b.clone(),
            bucket: b,
            rule: OwnershipRule {
                object_ownership: rule.object_ownership().as_str().to_string(),
            },
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &OwnershipModel,
        new: &OwnershipModel,
    ) -> Result<(), ProviderError> {
        put_ownership(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &OwnershipModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_ownership_controls()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:DeleteBucketOwnershipControls")
    }
}

// ---- transfer acceleration -----------------------------------------------------------------

#[derive(Default)]
pub struct Accelerate;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AccelerateModel {
    id: String,
    bucket: String,
    status: String,
}

async fn put_accelerate(c: &Clients, b: &str, status: &str) -> Result<(), ProviderError> {
    one_of(status, &["Enabled", "Suspended"], "status")?;
    c.s3.put_bucket_accelerate_configuration()
        .bucket(b)
        .accelerate_configuration(
            AccelerateConfiguration::builder()
                .status(BucketAccelerateStatus::from(status))
                .build(),
        )
        .send()
        .await
        .call("s3:PutBucketAccelerateConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Accelerate {
    type Model = AccelerateModel;
    const TYPE: &'static str = "aws_s3_bucket_accelerate_configuration";

    fn schema() -> Schema {
        bucket_schema().attr("status", Attribute::required(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AccelerateModel,
    ) -> Result<Created<AccelerateModel>, ProviderError> {
        put_accelerate(c, &m.bucket, &m.status).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &AccelerateModel,
    ) -> Result<Option<AccelerateModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_accelerate_configuration()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketAccelerateConfiguration")?;
        let Some(status) = out.and_then(|o| o.status().map(|s| s.as_str().to_string())) else {
            return Ok(None);
        };
        Ok(Some(AccelerateModel {
            id: b.clone(),
            bucket: b,
            status,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &AccelerateModel,
        new: &AccelerateModel,
    ) -> Result<(), ProviderError> {
        put_accelerate(c, &new.bucket, &new.status).await
    }

    async fn delete(&self, c: &Clients, m: &AccelerateModel) -> Result<(), ProviderError> {
        c.s3.put_bucket_accelerate_configuration()
            .bucket(bucket(&m.id, &m.bucket))
            .accelerate_configuration(
                AccelerateConfiguration::builder()
                    .status(BucketAccelerateStatus::Suspended)
                    .build(),
            )
            .send()
            .await
            .gone_ok("s3:PutBucketAccelerateConfiguration")
    }
}

// ---- request payment -----------------------------------------------------------------------

#[derive(Default)]
pub struct RequestPayment;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RequestPaymentModel {
    id: String,
    bucket: String,
    payer: String,
}

async fn put_payer(c: &Clients, b: &str, payer: &str) -> Result<(), ProviderError> {
    one_of(payer, &["BucketOwner", "Requester"], "payer")?;
    let config = built(
        RequestPaymentConfiguration::builder()
            .payer(Payer::from(payer))
            .build(),
        "payer",
    )?;
    c.s3.put_bucket_request_payment()
        .bucket(b)
        .request_payment_configuration(config)
        .send()
        .await
        .call("s3:PutBucketRequestPayment")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for RequestPayment {
    type Model = RequestPaymentModel;
    const TYPE: &'static str = "aws_s3_bucket_request_payment_configuration";

    fn schema() -> Schema {
        bucket_schema().attr("payer", Attribute::required(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &RequestPaymentModel,
    ) -> Result<Created<RequestPaymentModel>, ProviderError> {
        put_payer(c, &m.bucket, &m.payer).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &RequestPaymentModel,
    ) -> Result<Option<RequestPaymentModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_request_payment()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketRequestPayment")?;
        let Some(out) = out else {
            return Ok(None);
        };
        Ok(Some(RequestPaymentModel {
            id: b.clone(),
            bucket: b,
            payer: out
                .payer()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "BucketOwner".into()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &RequestPaymentModel,
        new: &RequestPaymentModel,
    ) -> Result<(), ProviderError> {
        put_payer(c, &new.bucket, &new.payer).await
    }

    async fn delete(&self, c: &Clients, m: &RequestPaymentModel) -> Result<(), ProviderError> {
        let config = built(
            RequestPaymentConfiguration::builder()
                .payer(Payer::BucketOwner)
                .build(),
            "payer",
        )?;
        c.s3.put_bucket_request_payment()
            .bucket(bucket(&m.id, &m.bucket))
            .request_payment_configuration(config)
            .send()
            .await
            .gone_ok("s3:PutBucketRequestPayment")
    }
}

// ---- CORS ----------------------------------------------------------------------------------

#[derive(Default)]
pub struct Cors;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CorsModel {
    id: String,
    bucket: String,
    cors_rule: Vec<CorsRule>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct CorsRule {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowed_headers: Vec<String>,
    allowed_methods: Vec<String>,
    allowed_origins: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    expose_headers: Vec<String>,
    id: Option<String>,
    max_age_seconds: Option<i32>,
}

async fn put_cors(c: &Clients, m: &CorsModel) -> Result<(), ProviderError> {
    let mut rules = Vec::new();
    for r in &m.cors_rule {
        for method in &r.allowed_methods {
            one_of(
                method,
                &["GET", "PUT", "HEAD", "POST", "DELETE"],
                "cors_rule.allowed_methods",
            )?;
        }
        rules.push(built(
            SdkCorsRule::builder()
                .set_allowed_headers(Some(r.allowed_headers.clone()).filter(|v| !v.is_empty()))
                .set_allowed_methods(Some(r.allowed_methods.clone()))
                .set_allowed_origins(Some(r.allowed_origins.clone()))
                .set_expose_headers(Some(r.expose_headers.clone()).filter(|v| !v.is_empty()))
                .set_id(r.id.clone())
                .set_max_age_seconds(r.max_age_seconds)
                .build(),
            "cors_rule",
        )?);
    }
    let config = built(
        CorsConfiguration::builder()
            .set_cors_rules(Some(rules))
            .build(),
        "cors_rule",
    )?;
    c.s3.put_bucket_cors()
        .bucket(&m.bucket)
        .cors_configuration(config)
        .send()
        .await
        .call("s3:PutBucketCors")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Cors {
    type Model = CorsModel;
    const TYPE: &'static str = "aws_s3_bucket_cors_configuration";

    fn schema() -> Schema {
        let rule = Schema::new()
            .attr(
                "allowed_headers",
                Attribute::optional(Type::set(Type::String)),
            )
            .attr(
                "allowed_methods",
                Attribute::required(Type::set(Type::String)),
            )
            .attr(
                "allowed_origins",
                Attribute::required(Type::set(Type::String)),
            )
            .attr(
                "expose_headers",
                Attribute::optional(Type::set(Type::String)),
            )
            .attr("id", Attribute::optional(Type::String))
            .attr("max_age_seconds", Attribute::optional(Type::Number));
        bucket_schema().block("cors_rule", block(Nesting::Set, rule, 1))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &CorsModel,
    ) -> Result<Created<CorsModel>, ProviderError> {
        put_cors(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(&self, c: &Clients, m: &CorsModel) -> Result<Option<CorsModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_cors()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketCors")?;
        let Some(out) = out else {
            return Ok(None);
        };
        let cors_rule = out
            .cors_rules()
            .iter()
            .map(|r| CorsRule {
                allowed_headers: r.allowed_headers().to_vec(),
                allowed_methods: r.allowed_methods().to_vec(),
                allowed_origins: r.allowed_origins().to_vec(),
                expose_headers: r.expose_headers().to_vec(),
                id: r.id().map(str::to_string),
                max_age_seconds: r.max_age_seconds(),
            })
            .collect::<Vec<_>>();
        if cors_rule.is_empty() {
            return Ok(None);
        }
        Ok(Some(CorsModel {
            id: b.clone(),
            bucket: b,
            cors_rule,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &CorsModel,
        new: &CorsModel,
    ) -> Result<(), ProviderError> {
        put_cors(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &CorsModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_cors()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:DeleteBucketCors")
    }
}

// ---- access logging ------------------------------------------------------------------------

#[derive(Default)]
pub struct Logging;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoggingModel {
    id: String,
    bucket: String,
    target_bucket: String,
    target_prefix: String,
    target_object_key_format: Vec<KeyFormat>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KeyFormat {
    partitioned_prefix: Vec<PartitionedPrefix>,
    simple_prefix: Vec<NoFields>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PartitionedPrefix {
    partition_date_source: String,
}

#[derive(Serialize, Deserialize, Default)]
pub struct NoFields {}

fn key_format(f: &KeyFormat) -> Result<TargetObjectKeyFormat, ProviderError> {
    match (f.partitioned_prefix.first(), f.simple_prefix.is_empty()) {
        (Some(p), true) => {
            one_of(
                &p.partition_date_source,
                &["EventTime", "DeliveryTime"],
                "partitioned_prefix.partition_date_source",
            )?;
            Ok(TargetObjectKeyFormat::builder()
                .partitioned_prefix(
                    aws_sdk_s3::types::PartitionedPrefix::builder()
                        .partition_date_source(PartitionDateSource::from(
                            p.partition_date_source.as_str(),
                        ))
                        .build(),
                )
                .build())
        }
        (None, false) => Ok(TargetObjectKeyFormat::builder()
            .simple_prefix(SimplePrefix::builder().build())
            .build()),
        _ => Err(ProviderError::InvalidConfig(
            "target_object_key_format takes exactly one of partitioned_prefix and simple_prefix"
                .into(),
        )),
    }
}

async fn put_logging(c: &Clients, m: &LoggingModel) -> Result<(), ProviderError> {
    let format = match m.target_object_key_format.first() {
        Some(f) => Some(key_format(f)?),
        None => None,
    };
    let status = BucketLoggingStatus::builder()
        .logging_enabled(built(
            LoggingEnabled::builder()
                .target_bucket(&m.target_bucket)
                .target_prefix(&m.target_prefix)
                .set_target_object_key_format(format)
                .build(),
            "target_bucket",
        )?)
        .build();
    c.s3.put_bucket_logging()
        .bucket(&m.bucket)
        .bucket_logging_status(status)
        .send()
        .await
        .call("s3:PutBucketLogging")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Logging {
    type Model = LoggingModel;
    const TYPE: &'static str = "aws_s3_bucket_logging";

    fn schema() -> Schema {
        let format = Schema::new()
            .block(
                "partitioned_prefix",
                list_of_one(
                    Schema::new().attr("partition_date_source", Attribute::required(Type::String)),
                    false,
                ),
            )
            .block("simple_prefix", list_of_one(Schema::new(), false));
        bucket_schema()
            .attr("target_bucket", Attribute::required(Type::String))
            .attr("target_prefix", Attribute::required(Type::String))
            .block("target_object_key_format", list_of_one(format, false))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &LoggingModel,
    ) -> Result<Created<LoggingModel>, ProviderError> {
        put_logging(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &LoggingModel,
    ) -> Result<Option<LoggingModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_logging()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketLogging")?;
        let Some(enabled) = out.as_ref().and_then(|o| o.logging_enabled()) else {
            return Ok(None);
        };
        let format = enabled.target_object_key_format().map(|f| KeyFormat {
            partitioned_prefix: f
                .partitioned_prefix()
                .map(|p| PartitionedPrefix {
                    partition_date_source: p
                        .partition_date_source()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                })
                .into_iter()
                .collect(),
            simple_prefix: f.simple_prefix().map(|_| NoFields {}).into_iter().collect(),
        });
        Ok(Some(LoggingModel {
            id: b.clone(),
            bucket: b,
            target_bucket: enabled.target_bucket().to_string(),
            target_prefix: enabled.target_prefix().to_string(),
            target_object_key_format: format.into_iter().collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &LoggingModel,
        new: &LoggingModel,
    ) -> Result<(), ProviderError> {
        put_logging(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &LoggingModel) -> Result<(), ProviderError> {
        c.s3.put_bucket_logging()
            .bucket(bucket(&m.id, &m.bucket))
            .bucket_logging_status(BucketLoggingStatus::builder().build())
            .send()
            .await
            .gone_ok("s3:PutBucketLogging")
    }
}
