//! Configurations a bucket keeps by name: `aws_s3_bucket_metric` (CloudWatch request
//! metrics) and `aws_s3_bucket_intelligent_tiering_configuration` (archive tiers) here, and
//! the helpers `s3_exports` shares with them. Their ID and import ID is `BUCKET:NAME`, and
//! filters are sent as terraform-provider-aws sends them: one condition alone, several
//! under `And`.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    IntelligentTieringAccessTier, IntelligentTieringAndOperator, IntelligentTieringConfiguration,
    IntelligentTieringFilter, IntelligentTieringStatus, MetricsAndOperator, MetricsConfiguration,
    MetricsFilter, Tag, Tiering,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{built, one_of};
use crate::framework::{list_of_one as one, AwsResource, Created, SdkResult};
use crate::Clients;

/// `BUCKET:NAME`.
pub(super) fn joined(bucket: &str, name: &str) -> String {
    format!("{bucket}:{name}")
}

/// The bucket and name a model is about: its fields, or its ID when it comes from import.
pub(super) fn parts(id: &str, bucket: &str, name: &str) -> (String, String) {
    if !bucket.is_empty() && !name.is_empty() {
        return (bucket.to_string(), name.to_string());
    }
    match id.split_once(':') {
        Some((b, n)) => (b.to_string(), n.to_string()),
        None => (id.to_string(), String::new()),
    }
}

pub(super) fn import_by_bucket_and_name(kind: &str, id: &str) -> Result<Value, ProviderError> {
    match id.split_once(':') {
        Some((b, n)) if !b.is_empty() && !n.is_empty() => {
            Ok(Value::object([("id", Value::from(id))]))
        }
        _ => Err(ProviderError::InvalidConfig(format!(
            "{kind}: import ID {id:?} is not BUCKET:NAME"
        ))),
    }
}

pub(super) fn named_schema() -> Schema {
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("name", Attribute::required(Type::String).force_new())
}

pub(super) fn s3_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), "filter.tags"))
        .collect()
}

pub(super) fn tag_map(tags: &[Tag]) -> Option<BTreeMap<String, String>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    })
}

pub(super) fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// A filter by prefix and tags (and, for metrics, an access point).
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) access_point: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) tags: Option<BTreeMap<String, String>>,
}

impl Filter {
    /// How many conditions the filter holds (each tag is one).
    pub(super) fn conditions(&self) -> usize {
        usize::from(nonempty(&self.access_point).is_some())
            + usize::from(nonempty(&self.prefix).is_some())
            + self.tags.as_ref().map_or(0, BTreeMap::len)
    }
}

pub(super) fn filter_schema(access_point: bool) -> Schema {
    let s = Schema::new()
        .attr("prefix", Attribute::optional(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)));
    if access_point {
        s.attr("access_point", Attribute::optional(Type::String))
    } else {
        s
    }
}

// ---- request metrics -------------------------------------------------------------------------

#[derive(Default)]
pub struct Metric;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricModel {
    id: String,
    bucket: String,
    name: String,
    filter: Vec<Filter>,
}

fn metrics_filter(f: &Filter) -> Result<Option<MetricsFilter>, ProviderError> {
    let tags = s3_tags(f.tags.as_ref().unwrap_or(&BTreeMap::new()))?;
    Ok(if f.conditions() > 1 {
        Some(MetricsFilter::And(
            MetricsAndOperator::builder()
                .set_access_point_arn(nonempty(&f.access_point).map(str::to_string))
                .set_prefix(nonempty(&f.prefix).map(str::to_string))
                .set_tags(Some(tags))
                .build(),
        ))
    } else if let Some(ap) = nonempty(&f.access_point) {
        Some(MetricsFilter::AccessPointArn(ap.to_string()))
    } else if let Some(p) = nonempty(&f.prefix) {
        Some(MetricsFilter::Prefix(p.to_string()))
    } else {
        tags.into_iter().next().map(MetricsFilter::Tag)
    })
}

fn metric_filter_model(f: &MetricsFilter) -> Filter {
    match f {
        MetricsFilter::And(a) => Filter {
            access_point: a.access_point_arn().map(str::to_string),
            prefix: a.prefix().map(str::to_string),
            tags: tag_map(a.tags()),
        },
        MetricsFilter::AccessPointArn(ap) => Filter {
            access_point: Some(ap.clone()),
            ..Filter::default()
        },
        MetricsFilter::Prefix(p) => Filter {
            prefix: Some(p.clone()),
            ..Filter::default()
        },
        MetricsFilter::Tag(t) => Filter {
            tags: tag_map(std::slice::from_ref(t)),
            ..Filter::default()
        },
        _ => Filter::default(),
    }
}

async fn put_metric(c: &Clients, m: &MetricModel) -> Result<(), ProviderError> {
    let filter = match m.filter.first() {
        Some(f) if f.conditions() == 0 => {
            return Err(ProviderError::InvalidConfig(
                "aws_s3_bucket_metric: filter needs at least one of access_point, prefix, tags (leave filter out to measure the whole bucket)".into(),
            ))
        }
        Some(f) => metrics_filter(f)?,
        None => None,
    };
    let config = built(
        MetricsConfiguration::builder()
            .id(&m.name)
            .set_filter(filter)
            .build(),
        "aws_s3_bucket_metric",
    )?;
    c.s3.put_bucket_metrics_configuration()
        .bucket(&m.bucket)
        .id(&m.name)
        .metrics_configuration(config)
        .send()
        .await
        .call("s3:PutMetricsConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Metric {
    type Model = MetricModel;
    const TYPE: &'static str = "aws_s3_bucket_metric";

    fn schema() -> Schema {
        named_schema().block("filter", one(filter_schema(true), false))
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        import_by_bucket_and_name(Self::TYPE, id)
    }

    async fn create(
        &self,
        c: &Clients,
        m: &MetricModel,
    ) -> Result<Created<MetricModel>, ProviderError> {
        put_metric(c, m).await?;
        Ok(joined(&m.bucket, &m.name).into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &MetricModel,
    ) -> Result<Option<MetricModel>, ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        let out =
            c.s3.get_bucket_metrics_configuration()
                .bucket(&bucket)
                .id(&name)
                .send()
                .await
                .found("s3:GetMetricsConfiguration")?;
        let Some(config) = out.as_ref().and_then(|o| o.metrics_configuration()) else {
            return Ok(None);
        };
        Ok(Some(MetricModel {
            id: joined(&bucket, &name),
            bucket,
            name,
            filter: config
                .filter()
                .map(metric_filter_model)
                .into_iter()
                .collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &MetricModel,
        new: &MetricModel,
    ) -> Result<(), ProviderError> {
        put_metric(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &MetricModel) -> Result<(), ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        c.s3.delete_bucket_metrics_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .gone_ok("s3:PutMetricsConfiguration")
    }
}

// ---- intelligent tiering -----------------------------------------------------------------------

#[derive(Default)]
pub struct IntelligentTiering;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TieringModel {
    id: String,
    bucket: String,
    name: String,
    status: Option<String>,
    filter: Vec<Filter>,
    tiering: Vec<TierModel>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TierModel {
    access_tier: String,
    days: i32,
}

const ACCESS_TIERS: &[&str] = &["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"];

fn tiering_filter(f: &Filter) -> Result<IntelligentTieringFilter, ProviderError> {
    let tags = s3_tags(f.tags.as_ref().unwrap_or(&BTreeMap::new()))?;
    let prefix = nonempty(&f.prefix).map(str::to_string);
    Ok(if f.conditions() > 1 {
        IntelligentTieringFilter::builder()
            .and(
                IntelligentTieringAndOperator::builder()
                    .set_prefix(prefix)
                    .set_tags(Some(tags))
                    .build(),
            )
            .build()
    } else if let Some(tag) = tags.into_iter().next() {
        IntelligentTieringFilter::builder().tag(tag).build()
    } else {
        IntelligentTieringFilter::builder()
            .set_prefix(prefix)
            .build()
    })
}

fn tiering_filter_model(f: &IntelligentTieringFilter) -> Filter {
    match (f.and(), f.tag()) {
        (Some(a), _) => Filter {
            prefix: a.prefix().map(str::to_string),
            tags: tag_map(a.tags()),
            ..Filter::default()
        },
        (None, Some(t)) => Filter {
            tags: tag_map(std::slice::from_ref(t)),
            ..Filter::default()
        },
        (None, None) => Filter {
            prefix: f.prefix().map(str::to_string),
            ..Filter::default()
        },
    }
}

async fn put_tiering(c: &Clients, m: &TieringModel) -> Result<(), ProviderError> {
    let status = m.status.as_deref().unwrap_or("Enabled");
    one_of(status, &["Enabled", "Disabled"], "status")?;
    let mut b = IntelligentTieringConfiguration::builder()
        .id(&m.name)
        .status(IntelligentTieringStatus::from(status));
    if let Some(f) = m.filter.first().filter(|f| f.conditions() > 0) {
        b = b.filter(tiering_filter(f)?);
    }
    for t in &m.tiering {
        one_of(&t.access_tier, ACCESS_TIERS, "tiering.access_tier")?;
        b = b.tierings(built(
            Tiering::builder()
                .access_tier(IntelligentTieringAccessTier::from(t.access_tier.as_str()))
                .days(t.days)
                .build(),
            "tiering",
        )?);
    }
    c.s3.put_bucket_intelligent_tiering_configuration()
        .bucket(&m.bucket)
        .id(&m.name)
        .intelligent_tiering_configuration(built(b.build(), IntelligentTiering::TYPE)?)
        .send()
        .await
        .call("s3:PutIntelligentTieringConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for IntelligentTiering {
    type Model = TieringModel;
    const TYPE: &'static str = "aws_s3_bucket_intelligent_tiering_configuration";

    fn schema() -> Schema {
        named_schema()
            .attr(
                "status",
                Attribute::optional(Type::String).default("Enabled"),
            )
            .block("filter", one(filter_schema(false), false))
            .block(
                "tiering",
                NestedBlock {
                    nesting: Nesting::Set,
                    block: Schema::new()
                        .attr("access_tier", Attribute::required(Type::String))
                        .attr("days", Attribute::required(Type::Number)),
                    min_items: 1,
                    max_items: None,
                    force_new: false,
                },
            )
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        import_by_bucket_and_name(Self::TYPE, id)
    }

    async fn create(
        &self,
        c: &Clients,
        m: &TieringModel,
    ) -> Result<Created<TieringModel>, ProviderError> {
        put_tiering(c, m).await?;
        Ok(joined(&m.bucket, &m.name).into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &TieringModel,
    ) -> Result<Option<TieringModel>, ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        let out =
            c.s3.get_bucket_intelligent_tiering_configuration()
                .bucket(&bucket)
                .id(&name)
                .send()
                .await
                .found("s3:GetIntelligentTieringConfiguration")?;
        let Some(config) = out
            .as_ref()
            .and_then(|o| o.intelligent_tiering_configuration())
        else {
            return Ok(None);
        };
        Ok(Some(TieringModel {
            id: joined(&bucket, &name),
            bucket,
            name,
            status: Some(config.status().as_str().to_string()),
            filter: config
                .filter()
                .map(tiering_filter_model)
                .into_iter()
                .collect(),
            tiering: config
                .tierings()
                .iter()
                .map(|t| TierModel {
                    access_tier: t.access_tier().as_str().to_string(),
                    days: t.days(),
                })
                .collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &TieringModel,
        new: &TieringModel,
    ) -> Result<(), ProviderError> {
        put_tiering(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &TieringModel) -> Result<(), ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        c.s3.delete_bucket_intelligent_tiering_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .gone_ok("s3:PutIntelligentTieringConfiguration")
    }
}
