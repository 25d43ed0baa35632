//! `aws_s3_bucket_lifecycle_configuration`: the bucket's lifecycle rules (expire scratch
//! data, move old checkpoints to colder storage, abort stale multipart uploads). The whole
//! rule list is written at once with PutBucketLifecycleConfiguration, so every change but the
//! bucket is in place. Import ID: the bucket name.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::{DateTime, DateTimeFormat as DateFormat};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, Tag, Transition,
    TransitionDefaultMinimumObjectSize, TransitionStorageClass,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{bucket, built};
use super::s3_replication::KeyValue;
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

fn block(nesting: Nesting, block: Schema) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items: 0,
        max_items: (nesting == Nesting::Single).then_some(1),
        force_new: false,
    }
}

fn lifecycle_schema() -> Schema {
    let tag = Schema::new()
        .attr("key", Attribute::required(Type::String))
        .attr("value", Attribute::required(Type::String));
    let and = Schema::new()
        .attr("prefix", Attribute::optional(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr(
            "object_size_greater_than",
            Attribute::optional(Type::Number),
        )
        .attr("object_size_less_than", Attribute::optional(Type::Number));
    let filter = Schema::new()
        .attr("prefix", Attribute::optional(Type::String))
        .attr(
            "object_size_greater_than",
            Attribute::optional(Type::Number),
        )
        .attr("object_size_less_than", Attribute::optional(Type::Number))
        .block("tag", block(Nesting::Single, tag))
        .block("and", block(Nesting::Single, and));
    let expiration = Schema::new()
        .attr("date", Attribute::optional(Type::String))
        .attr("days", Attribute::optional(Type::Number))
        .attr(
            "expired_object_delete_marker",
            Attribute::optional(Type::Bool),
        );
    let noncurrent_expiration = Schema::new()
        .attr("noncurrent_days", Attribute::optional(Type::Number))
        .attr(
            "newer_noncurrent_versions",
            Attribute::optional(Type::Number),
        );
    let transition = Schema::new()
        .attr("date", Attribute::optional(Type::String))
        .attr("days", Attribute::optional(Type::Number))
        .attr("storage_class", Attribute::required(Type::String));
    let noncurrent_transition = Schema::new()
        .attr("noncurrent_days", Attribute::optional(Type::Number))
        .attr(
            "newer_noncurrent_versions",
            Attribute::optional(Type::Number),
        )
        .attr("storage_class", Attribute::required(Type::String));
    let abort = Schema::new().attr("days_after_initiation", Attribute::optional(Type::Number));
    let rule = Schema::new()
        .attr("id", Attribute::required(Type::String))
        .attr("status", Attribute::required(Type::String))
        .block("filter", block(Nesting::Single, filter))
        .block("expiration", block(Nesting::Single, expiration))
        .block(
            "noncurrent_version_expiration",
            block(Nesting::Single, noncurrent_expiration),
        )
        .block("transition", block(Nesting::Set, transition))
        .block(
            "noncurrent_version_transition",
            block(Nesting::Set, noncurrent_transition),
        )
        .block(
            "abort_incomplete_multipart_upload",
            block(Nesting::Single, abort),
        );
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr(
            "transition_default_minimum_object_size",
            Attribute::optional_computed(Type::String).describe(
                "`all_storage_classes_128K` (AWS's default) or `varies_by_storage_class`.",
            ),
        )
        .block(
            "rule",
            NestedBlock {
                nesting: Nesting::List,
                block: rule,
                min_items: 1,
                max_items: Some(1000),
                force_new: false,
            },
        )
}

#[derive(Default)]
pub struct Lifecycle;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LifecycleModel {
    id: String,
    bucket: String,
    transition_default_minimum_object_size: Option<String>,
    rule: Vec<Rule>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Rule {
    id: String,
    status: String,
    filter: Option<Filter>,
    expiration: Option<Expiration>,
    noncurrent_version_expiration: Option<NoncurrentExpiration>,
    transition: Vec<Transitions>,
    noncurrent_version_transition: Vec<NoncurrentTransitions>,
    abort_incomplete_multipart_upload: Option<Abort>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    prefix: Option<String>,
    object_size_greater_than: Option<i64>,
    object_size_less_than: Option<i64>,
    tag: Option<KeyValue>,
    and: Option<And>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct And {
    prefix: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    object_size_greater_than: Option<i64>,
    object_size_less_than: Option<i64>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Expiration {
    date: Option<String>,
    days: Option<i32>,
    expired_object_delete_marker: Option<bool>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NoncurrentExpiration {
    noncurrent_days: Option<i32>,
    newer_noncurrent_versions: Option<i32>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Transitions {
    date: Option<String>,
    days: Option<i32>,
    storage_class: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NoncurrentTransitions {
    noncurrent_days: Option<i32>,
    newer_noncurrent_versions: Option<i32>,
    storage_class: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Abort {
    days_after_initiation: Option<i32>,
}

fn s3_tag(key: &str, value: &str) -> Result<Tag, ProviderError> {
    built(
        Tag::builder().key(key).value(value).build(),
        "rule.filter tag",
    )
}

/// A rule's `date` (RFC 3339, midnight UTC as S3 requires), read as the SDK's date.
fn date(text: Option<&str>) -> Result<Option<DateTime>, ProviderError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    DateTime::from_str(&full, DateFormat::DateTime)
        .map(Some)
        .map_err(|e| {
            ProviderError::InvalidConfig(format!(
                "date {text:?} is not an RFC 3339 date (like \"2027-01-01T00:00:00Z\"): {e}"
            ))
        })
}

fn date_text(d: Option<&DateTime>) -> Option<String> {
    d.and_then(|d| d.fmt(DateFormat::DateTime).ok())
}

fn filter(f: &Filter) -> Result<LifecycleRuleFilter, ProviderError> {
    let mut filter = LifecycleRuleFilter::builder()
        .set_prefix(f.prefix.clone())
        .set_object_size_greater_than(f.object_size_greater_than)
        .set_object_size_less_than(f.object_size_less_than);
    if let Some(t) = &f.tag {
        filter = filter.tag(s3_tag(&t.key, &t.value)?);
    }
    if let Some(a) = &f.and {
        let mut and = LifecycleRuleAndOperator::builder()
            .set_prefix(a.prefix.clone())
            .set_object_size_greater_than(a.object_size_greater_than)
            .set_object_size_less_than(a.object_size_less_than);
        for (k, v) in a.tags.iter().flatten() {
            and = and.tags(s3_tag(k, v)?);
        }
        filter = filter.and(and.build());
    }
    Ok(filter.build())
}

fn rule(r: &Rule) -> Result<LifecycleRule, ProviderError> {
    let mut b = LifecycleRule::builder()
        .id(&r.id)
        .status(ExpirationStatus::from(r.status.as_str()))
        .set_filter(r.filter.as_ref().map(filter).transpose()?);
    if let Some(e) = &r.expiration {
        b = b.expiration(
            LifecycleExpiration::builder()
                .set_date(date(e.date.as_deref())?)
                .set_days(e.days)
                .set_expired_object_delete_marker(e.expired_object_delete_marker)
                .build(),
        );
    }
    if let Some(n) = &r.noncurrent_version_expiration {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .set_noncurrent_days(n.noncurrent_days)
                .set_newer_noncurrent_versions(n.newer_noncurrent_versions)
                .build(),
        );
    }
    for t in &r.transition {
        b = b.transitions(
            Transition::builder()
                .set_date(date(t.date.as_deref())?)
                .set_days(t.days)
                .storage_class(TransitionStorageClass::from(t.storage_class.as_str()))
                .build(),
        );
    }
    for t in &r.noncurrent_version_transition {
        b = b.noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(t.noncurrent_days)
                .set_newer_noncurrent_versions(t.newer_noncurrent_versions)
                .storage_class(TransitionStorageClass::from(t.storage_class.as_str()))
                .build(),
        );
    }
    if let Some(a) = &r.abort_incomplete_multipart_upload {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .set_days_after_initiation(a.days_after_initiation)
                .build(),
        );
    }
    built(b.build(), "rule")
}

fn live_rule(r: &LifecycleRule) -> Rule {
    let storage = |c: Option<&TransitionStorageClass>| c.map(|c| c.as_str().to_string());
    Rule {
        id: r.id().unwrap_or_default().to_string(),
        status: r.status().as_str().to_string(),
        filter: r.filter().map(|f| Filter {
            prefix: f.prefix().map(str::to_string),
            object_size_greater_than: f.object_size_greater_than(),
            object_size_less_than: f.object_size_less_than(),
            tag: f.tag().map(|t| KeyValue {
                key: t.key().to_string(),
                value: t.value().to_string(),
            }),
            and: f.and().map(|a| And {
                prefix: a.prefix().map(str::to_string),
                tags: (!a.tags().is_empty()).then(|| {
                    a.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                }),
                object_size_greater_than: a.object_size_greater_than(),
                object_size_less_than: a.object_size_less_than(),
            }),
        }),
        expiration: r.expiration().map(|e| Expiration {
            date: date_text(e.date()),
            days: e.days(),
            expired_object_delete_marker: e.expired_object_delete_marker(),
        }),
        noncurrent_version_expiration: r.noncurrent_version_expiration().map(|n| {
            NoncurrentExpiration {
                noncurrent_days: n.noncurrent_days(),
                newer_noncurrent_versions: n.newer_noncurrent_versions(),
            }
        }),
        transition: r
            .transitions()
            .iter()
            .map(|t| Transitions {
                date: date_text(t.date()),
                days: t.days(),
                storage_class: storage(t.storage_class()).unwrap_or_default(),
            })
            .collect(),
        noncurrent_version_transition: r
            .noncurrent_version_transitions()
            .iter()
            .map(|t| NoncurrentTransitions {
                noncurrent_days: t.noncurrent_days(),
                newer_noncurrent_versions: t.newer_noncurrent_versions(),
                storage_class: storage(t.storage_class()).unwrap_or_default(),
            })
            .collect(),
        abort_incomplete_multipart_upload: r.abort_incomplete_multipart_upload().map(|a| Abort {
            days_after_initiation: a.days_after_initiation(),
        }),
    }
}

#[async_trait::async_trait]
impl AwsResource for Lifecycle {
    type Model = LifecycleModel;
    const TYPE: &'static str = "aws_s3_bucket_lifecycle_configuration";

    fn schema() -> Schema {
        lifecycle_schema()
    }

    async fn create(
        &self,
        c: &Clients,
        m: &LifecycleModel,
    ) -> Result<Created<LifecycleModel>, ProviderError> {
        self.update(c, m, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &LifecycleModel,
    ) -> Result<Option<LifecycleModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let Some(out) =
            c.s3.get_bucket_lifecycle_configuration()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetLifecycleConfiguration")?
        else {
            return Ok(None);
        };
        Ok(Some(LifecycleModel {
            id: b.clone(),
            bucket: b,
            transition_default_minimum_object_size: out
                .transition_default_minimum_object_size()
                .map(|s| s.as_str().to_string()),
            rule: out.rules().iter().map(live_rule).collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &LifecycleModel,
        m: &LifecycleModel,
    ) -> Result<(), ProviderError> {
        let rules = m.rule.iter().map(rule).collect::<Result<Vec<_>, _>>()?;
        c.s3.put_bucket_lifecycle_configuration()
            .bucket(&m.bucket)
            .set_transition_default_minimum_object_size(
                m.transition_default_minimum_object_size
                    .as_deref()
                    .map(TransitionDefaultMinimumObjectSize::from),
            )
            .lifecycle_configuration(built(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build(),
                "rule",
            )?)
            .send()
            .await
            .call("s3:PutLifecycleConfiguration")?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &LifecycleModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_lifecycle()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:PutLifecycleConfiguration")
    }
}
