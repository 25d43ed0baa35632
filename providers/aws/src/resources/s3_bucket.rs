//! `aws_s3_bucket`: a bucket with tags. Import ID: the bucket name. `force_destroy` empties
//! the bucket (all versions) before deleting it.

use std::sync::Arc;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ObjectIdentifier, Tag, Tagging,
};
use mlform_provider::{
    Attribute, PathStep, PlanRequest, Planned, ProviderError, Resource, Schema, Type, Value,
};

use crate::error::{classify, code, status};
use crate::Clients;

pub fn schema() -> Schema {
    Schema::new()
        .attr(
            "bucket",
            Attribute::optional_computed(Type::String)
                .force_new()
                .describe("Bucket name; generated from bucket_prefix when unset."),
        )
        .attr(
            "bucket_prefix",
            Attribute::optional(Type::String).force_new(),
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
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("region", Attribute::computed(Type::String))
        .attr("bucket_region", Attribute::computed(Type::String))
        .attr("hosted_zone_id", Attribute::computed(Type::String))
        .attr("bucket_domain_name", Attribute::computed(Type::String))
        .attr(
            "bucket_regional_domain_name",
            Attribute::computed(Type::String),
        )
}

pub struct S3Bucket {
    pub clients: Arc<Clients>,
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

fn computed_for(name: &str, region: &str) -> [(&'static str, Value); 7] {
    let zone = WEBSITE_HOSTED_ZONES
        .iter()
        .find(|(r, _)| *r == region)
        .map_or(Value::Null, |(_, z)| Value::from(*z));
    [
        ("id", Value::from(name)),
        ("arn", Value::from(format!("arn:aws:s3:::{name}"))),
        ("region", Value::from(region)),
        ("bucket_region", Value::from(region)),
        ("hosted_zone_id", zone),
        (
            "bucket_domain_name",
            Value::from(format!("{name}.s3.amazonaws.com")),
        ),
        (
            "bucket_regional_domain_name",
            Value::from(format!("{name}.s3.{region}.amazonaws.com")),
        ),
    ]
}

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

impl S3Bucket {
    async fn object_lock_enabled(&self, bucket: &str) -> Result<bool, ProviderError> {
        match self
            .clients
            .s3
            .get_object_lock_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .object_lock_configuration()
                .and_then(|c| c.object_lock_enabled())
                .is_some_and(|e| e.as_str() == "Enabled")),
            Err(e)
                if code(&e) == "ObjectLockConfigurationNotFoundError"
                    || status(&e) == Some(404) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify("s3:GetBucketObjectLockConfiguration", &e)),
        }
    }

    async fn tags(&self, bucket: &str) -> Result<Value, ProviderError> {
        match self
            .clients
            .s3
            .get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(super::tags_value(
                out.tag_set().iter().map(|t| (t.key(), t.value())),
            )),
            Err(e) if code(&e) == "NoSuchTagSet" || status(&e) == Some(404) => {
                Ok(Value::Map(Default::default()))
            }
            Err(e) => Err(classify("s3:GetBucketTagging", &e)),
        }
    }

    async fn put_tags(&self, bucket: &str, tags: &Value) -> Result<(), ProviderError> {
        let pairs: Vec<(String, String)> = tags
            .as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if pairs.is_empty() {
            return match self
                .clients
                .s3
                .delete_bucket_tagging()
                .bucket(bucket)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if status(&e) == Some(404) => Ok(()),
                Err(e) => Err(classify("s3:DeleteBucketTagging", &e)),
            };
        }
        let tag_set = pairs
            .into_iter()
            .map(|(k, v)| {
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| ProviderError::InvalidConfig(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tag_set))
            .build()
            .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        self.clients
            .s3
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| classify("s3:PutBucketTagging", &e))?;
        Ok(())
    }

    async fn empty(&self, bucket: &str) -> Result<(), ProviderError> {
        loop {
            let out = self
                .clients
                .s3
                .list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| classify("s3:ListBucketVersions", &e))?;
            let mut ids: Vec<ObjectIdentifier> = Vec::new();
            for v in out.versions() {
                if let Some(k) = v.key() {
                    ids.push(
                        ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(v.version_id().map(str::to_string))
                            .build()
                            .map_err(|e| ProviderError::Api(e.to_string()))?,
                    );
                }
            }
            for m in out.delete_markers() {
                if let Some(k) = m.key() {
                    ids.push(
                        ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(m.version_id().map(str::to_string))
                            .build()
                            .map_err(|e| ProviderError::Api(e.to_string()))?,
                    );
                }
            }
            if ids.is_empty() {
                return Ok(());
            }
            for id in ids {
                let mut req = self.clients.s3.delete_object().bucket(bucket).key(id.key());
                if let Some(v) = id.version_id() {
                    req = req.version_id(v);
                }
                req.send()
                    .await
                    .map_err(|e| classify("s3:DeleteObjectVersion", &e))?;
            }
        }
    }
}

#[async_trait::async_trait]
impl Resource for S3Bucket {
    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(bucket) = prior.get_attr("bucket").as_str().map(str::to_string) else {
            return Ok(None);
        };
        match self.clients.s3.head_bucket().bucket(&bucket).send().await {
            Ok(_) => {}
            Err(e)
                if status(&e) == Some(404)
                    || code(&e) == "NoSuchBucket"
                    || code(&e) == "NotFound" =>
            {
                return Ok(None)
            }
            Err(e) => return Err(classify("s3:HeadBucket", &e)),
        }
        let live_tags = self.tags(&bucket).await?;
        let mut m = prior.as_map().cloned().unwrap_or_default();
        m.insert(
            "object_lock_enabled".into(),
            Value::Bool(self.object_lock_enabled(&bucket).await?),
        );
        if !matches!(m.get("bucket_namespace"), Some(Value::String(_))) {
            m.insert(
                "bucket_namespace".into(),
                Value::from(namespace_of(&bucket, &self.clients.region)),
            );
        }
        for (k, v) in computed_for(&bucket, &self.clients.region) {
            m.insert(k.into(), v);
        }
        // Tags set by default_tags are not drift of `tags`.
        m.insert(
            "tags".into(),
            self.clients.own_tags(&live_tags, prior.get_attr("tags")),
        );
        m.insert("tags_all".into(), live_tags);
        Ok(Some(Value::Map(m)))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut planned = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let replacing = !planned.requires_replace.is_empty() || request.prior.is_none();
        let mut m = planned.state.as_map().cloned().unwrap_or_default();
        m.insert(
            "tags_all".into(),
            self.clients.tags_all(request.config.get_attr("tags")),
        );
        let name = m.get("bucket").cloned().unwrap_or(Value::Unknown);
        match m.get("bucket_namespace").and_then(Value::as_str) {
            Some("global") | None => {}
            Some(ACCOUNT_REGIONAL) => {
                if let Some(n) = name.as_str() {
                    if namespace_of(n, &self.clients.region) != ACCOUNT_REGIONAL {
                        return Err(ProviderError::InvalidConfig(format!(
                            "bucket {n:?} cannot be in the account-regional namespace: such names end in -ACCOUNT_ID-{}-an (for example \"data-111122223333-{}-an\")",
                            self.clients.region, self.clients.region
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
        match name.as_str() {
            Some(n) if replacing => {
                for (k, v) in computed_for(n, &self.clients.region) {
                    m.insert(k.into(), v);
                }
            }
            _ => {}
        }
        if let Some(p) = request.prior {
            // An unset `bucket` keeps the generated name.
            if request.config.get_attr("bucket").is_null()
                && request
                    .config
                    .get_attr("bucket_prefix")
                    .same_data(p.get_attr("bucket_prefix"))
            {
                m.insert("bucket".into(), p.get_attr("bucket").clone());
                planned
                    .requires_replace
                    .retain(|path| path != &vec![PathStep::GetAttr("bucket".into())]);
            }
        }
        planned.state = Value::Map(m);
        Ok(planned)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = super::unique_name(
            planned.get_attr("bucket"),
            planned.get_attr("bucket_prefix"),
            "terraform-",
        );
        let mut req = self.clients.s3.create_bucket().bucket(&name);
        if planned.get_attr("object_lock_enabled").as_bool() == Some(true) {
            req = req.object_lock_enabled_for_bucket(true);
        }
        if let Some(ns) = planned.get_attr("bucket_namespace").as_str() {
            if ns != "global" {
                req = req.bucket_namespace(aws_sdk_s3::types::BucketNamespace::from(ns));
            }
        }
        if self.clients.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(
                        self.clients.region.as_str(),
                    ))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| classify("s3:CreateBucket", &e))?;
        let tags_all = planned.get_attr("tags_all").clone();
        if let Err(e) = self.put_tags(&name, &tags_all).await {
            // All or nothing: do not leave a half-made bucket behind.
            let _ = self.clients.s3.delete_bucket().bucket(&name).send().await;
            return Err(e);
        }
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("bucket".into(), Value::from(name.as_str()));
        let lock = planned.get_attr("object_lock_enabled").as_bool() == Some(true);
        m.insert("object_lock_enabled".into(), Value::Bool(lock));
        if !matches!(m.get("bucket_namespace"), Some(Value::String(_))) {
            m.insert("bucket_namespace".into(), Value::from("global"));
        }
        for (k, v) in computed_for(&name, &self.clients.region) {
            m.insert(k.into(), v);
        }
        m.insert("tags_all".into(), tags_all);
        Ok(Value::Map(m))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let bucket = prior
            .get_attr("bucket")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !prior
            .get_attr("tags_all")
            .same_data(planned.get_attr("tags_all"))
        {
            self.put_tags(&bucket, planned.get_attr("tags_all")).await?;
        }
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        for (k, v) in computed_for(&bucket, &self.clients.region) {
            m.insert(k.into(), v);
        }
        m.insert("bucket".into(), Value::from(bucket.as_str()));
        Ok(Value::Map(m))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let bucket = prior
            .get_attr("bucket")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if prior.get_attr("force_destroy").as_bool() == Some(true) {
            match self.empty(&bucket).await {
                Err(ProviderError::Api(m)) if m.contains("NoSuchBucket") => return Ok(()),
                r => r?,
            }
        }
        match self.clients.s3.delete_bucket().bucket(&bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == "NoSuchBucket" || status(&e) == Some(404) => Ok(()),
            Err(e) if code(&e) == "BucketNotEmpty" => Err(ProviderError::Api(format!("bucket {bucket} is not empty; set force_destroy = true to delete its objects with it"))),
            Err(e) => Err(classify("s3:DeleteBucket", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let prior = Value::object([
            ("bucket", Value::from(id)),
            ("bucket_prefix", Value::Null),
            ("force_destroy", Value::Bool(false)),
            ("tags", Value::Null),
        ]);
        let Some(v) = self.read(&prior).await? else {
            return Ok(None);
        };
        // An imported bucket's tags are its own tags.
        let mut m = v.as_map().cloned().unwrap_or_default();
        let all = m.get("tags_all").cloned().unwrap_or(Value::Null);
        m.insert("tags".into(), self.clients.own_tags(&all, &Value::Null));
        Ok(Some(Value::Map(m)))
    }
}
