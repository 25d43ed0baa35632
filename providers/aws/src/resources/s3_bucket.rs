//! `aws_s3_bucket`: a bucket with tags. Import ID: the bucket name. `force_destroy` empties
//! the bucket (all versions) before deleting it. The bucket's ARN, domain names and hosted
//! zone follow from its name and the region, so a plan knows them.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ObjectIdentifier, Tag, Tagging,
};
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value, ValueMap};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::built;
use crate::framework::{AwsResource, Created, Naming, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct S3Bucket;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct BucketModel {
    id: String,
    bucket: String,
    force_destroy: Option<bool>,
    bucket_namespace: Option<String>,
    object_lock_enabled: Option<bool>,
    #[serde(flatten)]
    derived: Derived,
    tags_all: Option<BTreeMap<String, String>>,
}

/// The attributes that follow from a bucket's name and region, known at plan.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Derived {
    arn: Option<String>,
    bucket_region: Option<String>,
    hosted_zone_id: Option<String>,
    bucket_domain_name: Option<String>,
    bucket_regional_domain_name: Option<String>,
}

impl Derived {
    fn of(name: &str, region: &str) -> Derived {
        Derived {
            arn: Some(format!("arn:aws:s3:::{name}")),
            bucket_region: Some(region.to_string()),
            hosted_zone_id: WEBSITE_HOSTED_ZONES
                .iter()
                .find(|(r, _)| *r == region)
                .map(|(_, z)| z.to_string()),
            bucket_domain_name: Some(format!("{name}.s3.amazonaws.com")),
            bucket_regional_domain_name: Some(format!("{name}.s3.{region}.amazonaws.com")),
        }
    }
}

/// The Route 53 hosted zone of S3 website endpoints in each region (for alias records),
/// as AWS lists them.
const WEBSITE_HOSTED_ZONES: &[(&str, &str)] = &[
    ("af-south-1", "Z83WF9RJE8B12"),
    ("ap-east-1", "ZNB98KWMFR0R6"),
    ("ap-northeast-1", "Z2M4EHUR26P7ZW"),
    ("ap-northeast-2", "Z3W03O7B5YMIYP"),
    ("ap-northeast-3", "Z2YQB5RD63NC85"),
    ("ap-south-1", "Z11RGJOFQNVJUP"),
    ("ap-south-2", "Z02976202B4EZMXIPMXF7"),
    ("ap-southeast-1", "Z3O0J2DXBE1FTB"),
    ("ap-southeast-2", "Z1WCIGYICN2BYD"),
    ("ap-southeast-3", "Z01846753K324LI26A3VV"),
    ("ap-southeast-4", "Z0312387243XT5FE14WFO"),
    ("ap-southeast-5", "Z08660063OXLMA7F1FJHU"),
    ("ca-central-1", "Z1QDHH18159H29"),
    ("ca-west-1", "Z03565811Z33SLEZTHOUL"),
    ("cn-north-1", "Z5CN8UMXT92WN"),
    ("cn-northwest-1", "Z282HJ1KT0DH03"),
    ("eu-central-1", "Z21DNDUVLTQW6Q"),
    ("eu-central-2", "Z030506016YDQGETNASS"),
    ("eu-north-1", "Z3BAZG2TWCNX0D"),
    ("eu-south-1", "Z30OZKI7KPW7MI"),
    ("eu-south-2", "Z0081959F7139GRJC19J"),
    ("eu-west-1", "Z1BKCTXD74EZPE"),
    ("eu-west-2", "Z3GKZC51ZF0DB4"),
    ("eu-west-3", "Z3R1K369G5AVDG"),
    ("il-central-1", "Z09640613K4A3MN55U7GU"),
    ("me-central-1", "Z06143092I8HRXZRUZROF"),
    ("me-south-1", "Z1MPMWCPA7YB62"),
    ("sa-east-1", "Z7KQH4QJS55SO"),
    ("us-east-1", "Z3AQBSTGFYJSTF"),
    ("us-east-2", "Z2O1EMRO9K5GLX"),
    ("us-gov-east-1", "Z2NIFVYYW2VKV1"),
    ("us-gov-west-1", "Z31GFT0UA1I2HV"),
    ("us-west-1", "Z2F56UZL2M1ACD"),
    ("us-west-2", "Z3BJ6K6RIION7M"),
];

/// The namespace a bucket name belongs to: account-regional names end in
/// `-ACCOUNT-REGION-an`.
fn namespace_of(bucket: &str, region: &str) -> &'static str {
    let regional = bucket
        .strip_suffix(&format!("-{region}-an"))
        .and_then(|rest| rest.rsplit_once('-'))
        .is_some_and(|(_, account)| {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
        });
    if regional {
        ACCOUNT_REGIONAL
    } else {
        "global"
    }
}

const ACCOUNT_REGIONAL: &str = "account-regional";

async fn object_lock_enabled(c: &Clients, bucket: &str) -> Result<bool, ProviderError> {
    let out = match c
        .s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Err(e) if crate::error::code(&e) == "ObjectLockConfigurationNotFoundError" => None,
        other => other.found("s3:GetBucketObjectLockConfiguration")?,
    };
    Ok(out
        .and_then(|o| o.object_lock_configuration)
        .and_then(|c| c.object_lock_enabled)
        .is_some_and(|e| e.as_str() == "Enabled"))
}

async fn bucket_tags(c: &Clients, bucket: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = match c.s3.get_bucket_tagging().bucket(bucket).send().await {
        Err(e) if crate::error::code(&e) == "NoSuchTagSet" => None,
        other => other.found("s3:GetBucketTagging")?,
    };
    Ok(out
        .map(|o| {
            o.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

/// Writes the bucket's whole tag set (S3 has no per-key tagging).
async fn put_tags(
    c: &Clients,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if tags.is_empty() {
        return c
            .s3
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .gone_ok("s3:DeleteBucketTagging");
    }
    let tag_set = tags
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), "tags"))
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = built(
        Tagging::builder().set_tag_set(Some(tag_set)).build(),
        "tags",
    )?;
    c.s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .call("s3:PutBucketTagging")?;
    Ok(())
}

/// Deletes every object version and delete marker, page by page.
async fn empty(c: &Clients, bucket: &str) -> Result<(), ProviderError> {
    loop {
        let Some(out) =
            c.s3.list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .found("s3:ListBucketVersions")?
        else {
            return Ok(());
        };
        let versions = out
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                out.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        let ids = versions
            .filter_map(|(key, version)| {
                Some(
                    ObjectIdentifier::builder()
                        .key(key?)
                        .set_version_id(version.map(str::to_string))
                        .build(),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::Api(e.to_string()))?;
        if ids.is_empty() {
            return Ok(());
        }
        for id in ids {
            c.s3.delete_object()
                .bucket(bucket)
                .key(id.key())
                .set_version_id(id.version_id().map(str::to_string))
                .send()
                .await
                .gone_ok("s3:DeleteObjectVersion")?;
        }
    }
}

#[async_trait::async_trait]
impl AwsResource for S3Bucket {
    type Model = BucketModel;
    const TYPE: &'static str = "aws_s3_bucket";
    const TAGGED: bool = true;
    const NAMING: Option<Naming> = Some(Naming {
        default_prefix: "terraform-",
        attribute: "bucket",
        prefix_attribute: "bucket_prefix",
        fifo_flag: None,
    });
    const ID_ATTRIBUTE: Option<&'static str> = Some("bucket");
    /// Only mlform's setting, never the bucket's.
    const KEEP: &'static [&'static str] = &["force_destroy"];

    fn schema() -> Schema {
        let computed = || Attribute::computed(Type::String);
        Schema::new()
            .attr(
                "bucket",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("Bucket name; generated from bucket_prefix when unset."),
            )
            .attr(
                "force_destroy",
                Attribute::optional(Type::Bool)
                    .describe("Delete every object (and version) when destroying the bucket."),
            )
            .attr(
                "bucket_namespace",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("`global` (the default) or `account-regional`."),
            )
            .attr(
                "object_lock_enabled",
                Attribute::optional_computed(Type::Bool)
                    .force_new()
                    .describe("Create the bucket with Object Lock (only possible at creation)."),
            )
            .attr("arn", computed())
            .attr("bucket_region", computed())
            .attr("hosted_zone_id", computed())
            .attr("bucket_domain_name", computed())
            .attr("bucket_regional_domain_name", computed())
    }

    fn plan_in_region(c: &Clients, planned: &mut ValueMap) -> Result<(), ProviderError> {
        let region = c.region.as_str();
        let name = planned
            .get("bucket")
            .and_then(Value::as_str)
            .map(str::to_string);
        match planned.get("bucket_namespace").and_then(Value::as_str) {
            Some("global") | None => {}
            Some(ACCOUNT_REGIONAL) => {
                if let Some(n) = &name {
                    if namespace_of(n, region) != ACCOUNT_REGIONAL {
                        return Err(ProviderError::InvalidConfig(format!(
                            "bucket {n:?} cannot be in the account-regional namespace: such names end in -ACCOUNT_ID-{region}-an (for example \"data-111122223333-{region}-an\")"
                        )));
                    }
                }
            }
            Some(other) => {
                return Err(ProviderError::InvalidConfig(format!(
                    "bucket_namespace must be \"global\" or \"account-regional\", not {other:?}"
                )))
            }
        }
        if let Some(n) = name {
            let derived = serde_json::to_value(Derived::of(&n, region)).unwrap_or_default();
            for (k, v) in derived.as_object().into_iter().flatten() {
                planned.insert(k.clone(), Value::from_json(v));
            }
            planned.insert("id".into(), Value::from(n));
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &BucketModel,
    ) -> Result<Created<BucketModel>, ProviderError> {
        let namespace = m
            .bucket_namespace
            .as_deref()
            .filter(|ns| *ns != "global")
            .map(aws_sdk_s3::types::BucketNamespace::from);
        let location = (c.region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(c.region.as_str()))
                .build()
        });
        c.s3.create_bucket()
            .bucket(&m.bucket)
            .set_object_lock_enabled_for_bucket(m.object_lock_enabled.filter(|on| *on))
            .set_bucket_namespace(namespace)
            .set_create_bucket_configuration(location)
            .send()
            .await
            .call("s3:CreateBucket")?;
        if let Err(e) = put_tags(c, &m.bucket, &m.tags_all.clone().unwrap_or_default()).await {
            // All or nothing: do not leave a half-made bucket behind.
            let _ = c.s3.delete_bucket().bucket(&m.bucket).send().await;
            return Err(e);
        }
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &BucketModel,
    ) -> Result<Option<BucketModel>, ProviderError> {
        let bucket = if m.bucket.is_empty() {
            &m.id
        } else {
            &m.bucket
        };
        let found =
            c.s3.head_bucket()
                .bucket(bucket)
                .send()
                .await
                .found("s3:HeadBucket")?;
        if found.is_none() {
            return Ok(None);
        }
        Ok(Some(BucketModel {
            id: bucket.clone(),
            bucket: bucket.clone(),
            force_destroy: m.force_destroy,
            bucket_namespace: Some(
                m.bucket_namespace
                    .clone()
                    .unwrap_or_else(|| namespace_of(bucket, &c.region).to_string()),
            ),
            object_lock_enabled: Some(object_lock_enabled(c, bucket).await?),
            derived: Derived::of(bucket, &c.region),
            tags_all: Some(bucket_tags(c, bucket).await?),
        }))
    }

    /// Only `force_destroy` (mlform's own setting) changes besides tags.
    async fn update(
        &self,
        _c: &Clients,
        _old: &BucketModel,
        _new: &BucketModel,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &BucketModel,
        _remove: Vec<String>,
        _set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        put_tags(c, &m.bucket, &m.tags_all.clone().unwrap_or_default()).await
    }

    async fn delete(&self, c: &Clients, m: &BucketModel) -> Result<(), ProviderError> {
        if m.force_destroy == Some(true) {
            empty(c, &m.bucket).await?;
        }
        match c.s3.delete_bucket().bucket(&m.bucket).send().await {
            Err(e) if crate::error::code(&e) == "BucketNotEmpty" => {
                Err(ProviderError::Api(format!(
                "bucket {} is not empty; set force_destroy = true to delete its objects with it",
                m.bucket
            )))
            }
            other => other.gone_ok("s3:DeleteBucket"),
        }
    }
}
