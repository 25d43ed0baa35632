//! `aws_s3_bucket_replication_configuration`: the rules by which S3 copies a versioned
//! bucket's new objects to other buckets (filters, destination account, storage class,
//! replica encryption, replication time control and metrics, delete markers, existing
//! objects), with the IAM role S3 assumes to do it. The whole configuration is one object;
//! delete removes it. Import ID: the bucket name.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AccessControlTranslation, DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
    EncryptionConfiguration, ExistingObjectReplication, ExistingObjectReplicationStatus, Metrics,
    MetricsStatus, OwnerOverride, ReplicaModifications, ReplicaModificationsStatus,
    ReplicationConfiguration, ReplicationRule, ReplicationRuleAndOperator, ReplicationRuleFilter,
    ReplicationRuleStatus, ReplicationTime, ReplicationTimeStatus, ReplicationTimeValue,
    SourceSelectionCriteria, SseKmsEncryptedObjects, SseKmsEncryptedObjectsStatus, StorageClass,
    Tag,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{bucket, bucket_schema, built, one_of};
use crate::framework::{list_of_one as one, AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Replication;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ReplicationModel {
    id: String,
    bucket: String,
    role: String,
    token: Option<String>,
    rule: Vec<Rule>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Rule {
    id: Option<String>,
    priority: Option<i32>,
    prefix: Option<String>,
    status: String,
    delete_marker_replication: Vec<StatusOnly>,
    existing_object_replication: Vec<StatusOnly>,
    destination: Vec<Dest>,
    filter: Vec<Filter>,
    source_selection_criteria: Vec<Criteria>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct StatusOnly {
    status: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Dest {
    bucket: String,
    account: Option<String>,
    storage_class: Option<String>,
    access_control_translation: Vec<Owner>,
    encryption_configuration: Vec<ReplicaKey>,
    metrics: Vec<MetricsModel>,
    replication_time: Vec<TimeModel>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Owner {
    owner: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ReplicaKey {
    replica_kms_key_id: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricsModel {
    status: String,
    event_threshold: Vec<Minutes>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TimeModel {
    status: String,
    time: Vec<Minutes>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Minutes {
    minutes: i32,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    prefix: Option<String>,
    tag: Vec<KeyValue>,
    and: Vec<AndModel>,
}

/// A tag in a filter (`key`, `value`); lifecycle rules' filters take it too.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KeyValue {
    pub(super) key: String,
    pub(super) value: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AndModel {
    prefix: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Criteria {
    replica_modifications: Vec<StatusOnly>,
    sse_kms_encrypted_objects: Vec<StatusOnly>,
}

const ON_OFF: &[&str] = &["Enabled", "Disabled"];

fn status_of<'a>(items: &'a [StatusOnly], what: &str) -> Result<Option<&'a str>, ProviderError> {
    match items.first() {
        Some(s) => {
            one_of(&s.status, ON_OFF, what)?;
            Ok(Some(s.status.as_str()))
        }
        None => Ok(None),
    }
}

fn status_list(status: &str) -> Vec<StatusOnly> {
    vec![StatusOnly {
        status: status.to_string(),
    }]
}

fn s3_tag(key: &str, value: &str) -> Result<Tag, ProviderError> {
    built(Tag::builder().key(key).value(value).build(), "filter tag")
}

fn minutes(m: &[Minutes]) -> Option<ReplicationTimeValue> {
    m.first()
        .map(|m| ReplicationTimeValue::builder().minutes(m.minutes).build())
}

fn destination(d: &Dest) -> Result<Destination, ProviderError> {
    let mut b = Destination::builder()
        .bucket(&d.bucket)
        .set_account(d.account.clone())
        .set_storage_class(d.storage_class.as_deref().map(StorageClass::from));
    if let Some(o) = d.access_control_translation.first() {
        one_of(
            &o.owner,
            &["Destination"],
            "access_control_translation.owner",
        )?;
        b = b.access_control_translation(built(
            AccessControlTranslation::builder()
                .owner(OwnerOverride::from(o.owner.as_str()))
                .build(),
            "access_control_translation",
        )?);
    }
    if let Some(k) = d.encryption_configuration.first() {
        b = b.encryption_configuration(
            EncryptionConfiguration::builder()
                .replica_kms_key_id(&k.replica_kms_key_id)
                .build(),
        );
    }
    if let Some(m) = d.metrics.first() {
        one_of(&m.status, ON_OFF, "destination.metrics.status")?;
        b = b.metrics(built(
            Metrics::builder()
                .status(MetricsStatus::from(m.status.as_str()))
                .set_event_threshold(minutes(&m.event_threshold))
                .build(),
            "destination.metrics",
        )?);
    }
    if let Some(t) = d.replication_time.first() {
        one_of(&t.status, ON_OFF, "destination.replication_time.status")?;
        b = b.replication_time(built(
            ReplicationTime::builder()
                .status(ReplicationTimeStatus::from(t.status.as_str()))
                .set_time(minutes(&t.time))
                .build(),
            "destination.replication_time",
        )?);
    }
    built(b.build(), "destination")
}

fn filter(f: &Filter) -> Result<ReplicationRuleFilter, ProviderError> {
    let set = usize::from(f.prefix.is_some()) + f.tag.len().min(1) + f.and.len().min(1);
    if set > 1 {
        return Err(ProviderError::InvalidConfig(
            "rule.filter takes one of prefix, tag and and; combine conditions under and".into(),
        ));
    }
    let mut b = ReplicationRuleFilter::builder().set_prefix(f.prefix.clone());
    if let Some(t) = f.tag.first() {
        b = b.tag(s3_tag(&t.key, &t.value)?);
    }
    if let Some(a) = f.and.first() {
        let tags = a
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| s3_tag(k, v))
            .collect::<Result<Vec<_>, _>>()?;
        b = b.and(
            ReplicationRuleAndOperator::builder()
                .set_prefix(a.prefix.clone())
                .set_tags(Some(tags))
                .build(),
        );
    }
    Ok(b.build())
}

// `prefix` on a rule is deprecated by AWS (use `filter`), and still taken, as by
// terraform-provider-aws.
#[allow(deprecated)]
fn rule(r: &Rule) -> Result<ReplicationRule, ProviderError> {
    one_of(&r.status, ON_OFF, "rule.status")?;
    let Some(dest) = r.destination.first() else {
        return Err(ProviderError::InvalidConfig(
            "each rule needs a destination block".into(),
        ));
    };
    let mut b = ReplicationRule::builder()
        .set_id(r.id.clone())
        .set_priority(r.priority)
        .set_prefix(r.prefix.clone())
        .status(ReplicationRuleStatus::from(r.status.as_str()))
        .destination(destination(dest)?);
    if let Some(f) = r.filter.first() {
        b = b.filter(filter(f)?);
    }
    if let Some(s) = status_of(
        &r.delete_marker_replication,
        "delete_marker_replication.status",
    )? {
        b = b.delete_marker_replication(
            DeleteMarkerReplication::builder()
                .status(DeleteMarkerReplicationStatus::from(s))
                .build(),
        );
    }
    if let Some(s) = status_of(
        &r.existing_object_replication,
        "existing_object_replication.status",
    )? {
        b = b.existing_object_replication(built(
            ExistingObjectReplication::builder()
                .status(ExistingObjectReplicationStatus::from(s))
                .build(),
            "existing_object_replication",
        )?);
    }
    if let Some(c) = r.source_selection_criteria.first() {
        let mut sb = SourceSelectionCriteria::builder();
        if let Some(s) = status_of(&c.replica_modifications, "replica_modifications.status")? {
            sb = sb.replica_modifications(built(
                ReplicaModifications::builder()
                    .status(ReplicaModificationsStatus::from(s))
                    .build(),
                "replica_modifications",
            )?);
        }
        if let Some(s) = status_of(
            &c.sse_kms_encrypted_objects,
            "sse_kms_encrypted_objects.status",
        )? {
            sb = sb.sse_kms_encrypted_objects(built(
                SseKmsEncryptedObjects::builder()
                    .status(SseKmsEncryptedObjectsStatus::from(s))
                    .build(),
                "sse_kms_encrypted_objects",
            )?);
        }
        b = b.source_selection_criteria(sb.build());
    }
    built(b.build(), "rule")
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

#[allow(deprecated)]
fn rule_model(r: &ReplicationRule) -> Rule {
    let minutes_of = |v: Option<&ReplicationTimeValue>| -> Vec<Minutes> {
        v.and_then(ReplicationTimeValue::minutes)
            .map(|minutes| Minutes { minutes })
            .into_iter()
            .collect()
    };
    Rule {
        id: nonempty(r.id()),
        priority: r.priority(),
        prefix: nonempty(r.prefix()),
        status: r.status().as_str().to_string(),
        delete_marker_replication: r
            .delete_marker_replication()
            .and_then(DeleteMarkerReplication::status)
            .map(|s| status_list(s.as_str()))
            .unwrap_or_default(),
        existing_object_replication: r
            .existing_object_replication()
            .map(|e| status_list(e.status().as_str()))
            .unwrap_or_default(),
        destination: r
            .destination()
            .map(|d| Dest {
                bucket: d.bucket().to_string(),
                account: d.account().map(str::to_string),
                storage_class: d.storage_class().map(|s| s.as_str().to_string()),
                access_control_translation: d
                    .access_control_translation()
                    .map(|a| Owner {
                        owner: a.owner().as_str().to_string(),
                    })
                    .into_iter()
                    .collect(),
                encryption_configuration: d
                    .encryption_configuration()
                    .and_then(EncryptionConfiguration::replica_kms_key_id)
                    .map(|k| ReplicaKey {
                        replica_kms_key_id: k.to_string(),
                    })
                    .into_iter()
                    .collect(),
                metrics: d
                    .metrics()
                    .map(|m| MetricsModel {
                        status: m.status().as_str().to_string(),
                        event_threshold: minutes_of(m.event_threshold()),
                    })
                    .into_iter()
                    .collect(),
                replication_time: d
                    .replication_time()
                    .map(|t| TimeModel {
                        status: t.status().as_str().to_string(),
                        time: minutes_of(t.time()),
                    })
                    .into_iter()
                    .collect(),
            })
            .into_iter()
            .collect(),
        filter: r
            .filter()
            .map(|f| Filter {
                prefix: f.prefix().map(str::to_string),
                tag: f
                    .tag()
                    .map(|t| KeyValue {
                        key: t.key().to_string(),
                        value: t.value().to_string(),
                    })
                    .into_iter()
                    .collect(),
                and: f
                    .and()
                    .map(|a| AndModel {
                        prefix: a.prefix().map(str::to_string),
                        tags: (!a.tags().is_empty()).then(|| {
                            a.tags()
                                .iter()
                                .map(|t| (t.key().to_string(), t.value().to_string()))
                                .collect()
                        }),
                    })
                    .into_iter()
                    .collect(),
            })
            .into_iter()
            .collect(),
        source_selection_criteria: r
            .source_selection_criteria()
            .map(|c| Criteria {
                replica_modifications: c
                    .replica_modifications()
                    .map(|m| status_list(m.status().as_str()))
                    .unwrap_or_default(),
                sse_kms_encrypted_objects: c
                    .sse_kms_encrypted_objects()
                    .map(|m| status_list(m.status().as_str()))
                    .unwrap_or_default(),
            })
            .into_iter()
            .collect(),
    }
}

async fn put_replication(c: &Clients, m: &ReplicationModel) -> Result<(), ProviderError> {
    let rules = m.rule.iter().map(rule).collect::<Result<Vec<_>, _>>()?;
    let config = built(
        ReplicationConfiguration::builder()
            .role(&m.role)
            .set_rules(Some(rules))
            .build(),
        "aws_s3_bucket_replication_configuration",
    )?;
    c.s3.put_bucket_replication()
        .bucket(&m.bucket)
        .set_token(m.token.clone())
        .replication_configuration(config)
        .send()
        .await
        .call("s3:PutReplicationConfiguration")?;
    Ok(())
}

fn status_block() -> NestedBlock {
    one(
        Schema::new().attr("status", Attribute::required(Type::String)),
        false,
    )
}

#[async_trait::async_trait]
impl AwsResource for Replication {
    type Model = ReplicationModel;
    const TYPE: &'static str = "aws_s3_bucket_replication_configuration";
    /// The Object Lock token is sent, never read.
    const KEEP: &'static [&'static str] = &["token"];

    fn schema() -> Schema {
        let minutes = || {
            one(
                Schema::new().attr("minutes", Attribute::required(Type::Number)),
                false,
            )
        };
        let destination = Schema::new()
            .attr("bucket", Attribute::required(Type::String))
            .attr("account", Attribute::optional(Type::String))
            .attr("storage_class", Attribute::optional(Type::String))
            .block(
                "access_control_translation",
                one(
                    Schema::new().attr("owner", Attribute::required(Type::String)),
                    false,
                ),
            )
            .block(
                "encryption_configuration",
                one(
                    Schema::new().attr("replica_kms_key_id", Attribute::required(Type::String)),
                    false,
                ),
            )
            .block(
                "metrics",
                one(
                    Schema::new()
                        .attr("status", Attribute::required(Type::String))
                        .block("event_threshold", minutes()),
                    false,
                ),
            )
            .block(
                "replication_time",
                one(
                    Schema::new()
                        .attr("status", Attribute::required(Type::String))
                        .block("time", minutes()),
                    false,
                ),
            );
        let filter = Schema::new()
            .attr("prefix", Attribute::optional(Type::String))
            .block(
                "tag",
                one(
                    Schema::new()
                        .attr("key", Attribute::required(Type::String))
                        .attr("value", Attribute::required(Type::String)),
                    false,
                ),
            )
            .block(
                "and",
                one(
                    Schema::new()
                        .attr("prefix", Attribute::optional(Type::String))
                        .attr("tags", Attribute::optional(Type::map(Type::String))),
                    false,
                ),
            );
        let criteria = Schema::new()
            .block("replica_modifications", status_block())
            .block("sse_kms_encrypted_objects", status_block());
        let rule = Schema::new()
            .attr("id", Attribute::optional_computed(Type::String))
            .attr("priority", Attribute::optional(Type::Number))
            .attr("prefix", Attribute::optional(Type::String))
            .attr("status", Attribute::required(Type::String))
            .block("delete_marker_replication", status_block())
            .block("existing_object_replication", status_block())
            .block("destination", one(destination, true))
            .block("filter", one(filter, false))
            .block("source_selection_criteria", one(criteria, false));
        bucket_schema()
            .attr("role", Attribute::required(Type::String))
            .attr("token", Attribute::optional(Type::String).sensitive())
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

    async fn create(
        &self,
        c: &Clients,
        m: &ReplicationModel,
    ) -> Result<Created<ReplicationModel>, ProviderError> {
        put_replication(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ReplicationModel,
    ) -> Result<Option<ReplicationModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out = match c.s3.get_bucket_replication().bucket(&b).send().await {
            Err(e) if crate::error::code(&e) == "ReplicationConfigurationNotFoundError" => None,
            other => other.found("s3:GetReplicationConfiguration")?,
        };
        let Some(config) = out.as_ref().and_then(|o| o.replication_configuration()) else {
            return Ok(None);
        };
        Ok(Some(ReplicationModel {
            id: b.clone(),
            bucket: b,
            role: config.role().to_string(),
            token: None,
            rule: config.rules().iter().map(rule_model).collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &ReplicationModel,
        new: &ReplicationModel,
    ) -> Result<(), ProviderError> {
        put_replication(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &ReplicationModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_replication()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:PutReplicationConfiguration")
    }
}
