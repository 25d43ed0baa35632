//! `aws_s3_bucket_lifecycle_configuration`: the bucket's lifecycle rules (expire scratch
//! data, move old checkpoints to colder storage, abort stale multipart uploads). The whole
//! rule list is written at once with PutBucketLifecycleConfiguration, so every change but the
//! bucket is in place. Import ID: the bucket name.

use std::sync::Arc;

use aws_sdk_s3::primitives::{DateTime, DateTimeFormat as DateFormat};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, Tag, Transition,
    TransitionDefaultMinimumObjectSize, TransitionStorageClass,
};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};

use super::{int, int_value, opt_str, string};
use crate::error::{classify, code, status};
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

pub fn schema() -> Schema {
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
        .attr("id", Attribute::computed(Type::String))
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

pub struct Lifecycle {
    pub clients: Arc<Clients>,
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::InvalidConfig(e.to_string())
}

fn long(v: &Value, name: &str) -> Option<i64> {
    v.get_attr(name).as_f64().map(|n| n as i64)
}

fn s3_tag(key: &str, value: &str) -> Result<Tag, ProviderError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(invalid)
}

fn rule(v: &Value) -> Result<LifecycleRule, ProviderError> {
    let f = v.get_attr("filter");
    let mut filter = LifecycleRuleFilter::builder()
        .set_prefix(opt_str(f, "prefix"))
        .set_object_size_greater_than(long(f, "object_size_greater_than"))
        .set_object_size_less_than(long(f, "object_size_less_than"));
    let t = f.get_attr("tag");
    if !t.is_null() {
        filter = filter.tag(s3_tag(&string(t, "key"), &string(t, "value"))?);
    }
    let a = f.get_attr("and");
    if !a.is_null() {
        let mut and = LifecycleRuleAndOperator::builder()
            .set_prefix(opt_str(a, "prefix"))
            .set_object_size_greater_than(long(a, "object_size_greater_than"))
            .set_object_size_less_than(long(a, "object_size_less_than"));
        for (k, v) in a.get_attr("tags").as_map().cloned().unwrap_or_default() {
            and = and.tags(s3_tag(&k, v.as_str().unwrap_or_default())?);
        }
        filter = filter.and(and.build());
    }
    let mut b = LifecycleRule::builder()
        .id(string(v, "id"))
        .status(ExpirationStatus::from(string(v, "status").as_str()))
        .filter(filter.build());
    let e = v.get_attr("expiration");
    if !e.is_null() {
        b = b.expiration(
            LifecycleExpiration::builder()
                .set_date(date(e)?)
                .set_days(int(e, "days"))
                .set_expired_object_delete_marker(
                    e.get_attr("expired_object_delete_marker").as_bool(),
                )
                .build(),
        );
    }
    let n = v.get_attr("noncurrent_version_expiration");
    if !n.is_null() {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .set_noncurrent_days(int(n, "noncurrent_days"))
                .set_newer_noncurrent_versions(int(n, "newer_noncurrent_versions"))
                .build(),
        );
    }
    for t in v.get_attr("transition").as_list().unwrap_or_default() {
        b = b.transitions(
            Transition::builder()
                .set_date(date(t)?)
                .set_days(int(t, "days"))
                .storage_class(TransitionStorageClass::from(
                    string(t, "storage_class").as_str(),
                ))
                .build(),
        );
    }
    for t in v
        .get_attr("noncurrent_version_transition")
        .as_list()
        .unwrap_or_default()
    {
        b = b.noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(int(t, "noncurrent_days"))
                .set_newer_noncurrent_versions(int(t, "newer_noncurrent_versions"))
                .storage_class(TransitionStorageClass::from(
                    string(t, "storage_class").as_str(),
                ))
                .build(),
        );
    }
    let abort = v.get_attr("abort_incomplete_multipart_upload");
    if !abort.is_null() {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .set_days_after_initiation(int(abort, "days_after_initiation"))
                .build(),
        );
    }
    b.build().map_err(invalid)
}

/// A rule's `date` (RFC 3339, midnight UTC as S3 requires), read as the SDK's date.
fn date(v: &Value) -> Result<Option<DateTime>, ProviderError> {
    let Some(text) = v.get_attr("date").as_str() else {
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

fn date_value(d: Option<&DateTime>) -> Value {
    d.and_then(|d| d.fmt(DateFormat::DateTime).ok())
        .map(Value::from)
        .unwrap_or(Value::Null)
}

fn n64(n: Option<i64>) -> Value {
    n.map(|n| Value::from(n as f64)).unwrap_or(Value::Null)
}

fn rule_value(r: &LifecycleRule) -> Value {
    let filter = r.filter().map(|f| {
        Value::object([
            ("prefix", f.prefix().map(Value::from).unwrap_or(Value::Null)),
            (
                "object_size_greater_than",
                n64(f.object_size_greater_than()),
            ),
            ("object_size_less_than", n64(f.object_size_less_than())),
            (
                "tag",
                f.tag()
                    .map(|t| {
                        Value::object([
                            ("key", Value::from(t.key())),
                            ("value", Value::from(t.value())),
                        ])
                    })
                    .unwrap_or(Value::Null),
            ),
            (
                "and",
                f.and()
                    .map(|a| {
                        Value::object([
                            ("prefix", a.prefix().map(Value::from).unwrap_or(Value::Null)),
                            (
                                "tags",
                                if a.tags().is_empty() {
                                    Value::Null
                                } else {
                                    super::tags_value(a.tags().iter().map(|t| (t.key(), t.value())))
                                },
                            ),
                            (
                                "object_size_greater_than",
                                n64(a.object_size_greater_than()),
                            ),
                            ("object_size_less_than", n64(a.object_size_less_than())),
                        ])
                    })
                    .unwrap_or(Value::Null),
            ),
        ])
    });
    Value::object([
        ("id", r.id().map(Value::from).unwrap_or(Value::Null)),
        ("status", Value::from(r.status().as_str())),
        ("filter", filter.unwrap_or(Value::Null)),
        (
            "expiration",
            r.expiration()
                .map(|e| {
                    Value::object([
                        ("date", date_value(e.date())),
                        ("days", int_value(e.days())),
                        (
                            "expired_object_delete_marker",
                            e.expired_object_delete_marker()
                                .map(Value::Bool)
                                .unwrap_or(Value::Null),
                        ),
                    ])
                })
                .unwrap_or(Value::Null),
        ),
        (
            "noncurrent_version_expiration",
            r.noncurrent_version_expiration()
                .map(|n| {
                    Value::object([
                        ("noncurrent_days", int_value(n.noncurrent_days())),
                        (
                            "newer_noncurrent_versions",
                            int_value(n.newer_noncurrent_versions()),
                        ),
                    ])
                })
                .unwrap_or(Value::Null),
        ),
        (
            "transition",
            Value::List(
                r.transitions()
                    .iter()
                    .map(|t| {
                        Value::object([
                            ("date", date_value(t.date())),
                            ("days", int_value(t.days())),
                            (
                                "storage_class",
                                t.storage_class()
                                    .map(|c| Value::from(c.as_str()))
                                    .unwrap_or(Value::Null),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "noncurrent_version_transition",
            Value::List(
                r.noncurrent_version_transitions()
                    .iter()
                    .map(|t| {
                        Value::object([
                            ("noncurrent_days", int_value(t.noncurrent_days())),
                            (
                                "newer_noncurrent_versions",
                                int_value(t.newer_noncurrent_versions()),
                            ),
                            (
                                "storage_class",
                                t.storage_class()
                                    .map(|c| Value::from(c.as_str()))
                                    .unwrap_or(Value::Null),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "abort_incomplete_multipart_upload",
            r.abort_incomplete_multipart_upload()
                .map(|a| {
                    Value::object([(
                        "days_after_initiation",
                        int_value(a.days_after_initiation()),
                    )])
                })
                .unwrap_or(Value::Null),
        ),
    ])
}

impl Lifecycle {
    async fn put(&self, planned: &Value) -> Result<Value, ProviderError> {
        let rules = planned
            .get_attr("rule")
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(rule)
            .collect::<Result<Vec<_>, _>>()?;
        let bucket = string(planned, "bucket");
        self.clients
            .s3
            .put_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .set_transition_default_minimum_object_size(
                planned
                    .get_attr("transition_default_minimum_object_size")
                    .as_str()
                    .map(TransitionDefaultMinimumObjectSize::from),
            )
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .map_err(invalid)?,
            )
            .send()
            .await
            .map_err(|e| classify("s3:PutLifecycleConfiguration", &e))?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(bucket.as_str()));
        if !m
            .get("transition_default_minimum_object_size")
            .is_some_and(Value::is_wholly_known)
        {
            let live = self
                .clients
                .s3
                .get_bucket_lifecycle_configuration()
                .bucket(&bucket)
                .send()
                .await
                .map_err(|e| classify("s3:GetLifecycleConfiguration", &e))?;
            m.insert(
                "transition_default_minimum_object_size".into(),
                live.transition_default_minimum_object_size()
                    .map(|s| Value::from(s.as_str()))
                    .unwrap_or(Value::Null),
            );
        }
        Ok(Value::Map(m))
    }
}

#[async_trait::async_trait]
impl Resource for Lifecycle {
    fn schema(&self) -> Schema {
        schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        if let Value::Map(m) = &mut p.state {
            m.insert("id".into(), request.config.get_attr("bucket").clone());
        }
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let bucket = string(prior, "bucket");
        let out = match self
            .clients
            .s3
            .get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e)
                if matches!(
                    code(&e).as_str(),
                    "NoSuchBucket" | "NoSuchLifecycleConfiguration"
                ) || status(&e) == Some(404) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(classify("s3:GetLifecycleConfiguration", &e)),
        };
        let rules: Vec<Value> = out.rules().iter().map(rule_value).collect();
        Ok(Some(
            schema().conform(&Value::object([
                ("bucket", Value::from(bucket.as_str())),
                ("id", Value::from(bucket.as_str())),
                (
                    "transition_default_minimum_object_size",
                    out.transition_default_minimum_object_size()
                        .map(|s| Value::from(s.as_str()))
                        .unwrap_or(Value::Null),
                ),
                ("rule", Value::List(rules)),
            ])),
        ))
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
            .delete_bucket_lifecycle()
            .bucket(string(prior, "bucket"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == "NoSuchBucket" || status(&e) == Some(404) => Ok(()),
            Err(e) => Err(classify("s3:PutLifecycleConfiguration", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(&Value::object([("bucket", Value::from(id))]))
            .await
    }
}
