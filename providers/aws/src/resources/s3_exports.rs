//! Reports S3 writes into another bucket, each a configuration the source bucket keeps by
//! name: `aws_s3_bucket_analytics_configuration` (storage class analysis exports) and
//! `aws_s3_bucket_inventory` (inventory reports). ID and import ID: `BUCKET:NAME`.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AnalyticsAndOperator, AnalyticsConfiguration, AnalyticsExportDestination, AnalyticsFilter,
    AnalyticsS3BucketDestination, AnalyticsS3ExportFileFormat, InventoryConfiguration,
    InventoryDestination, InventoryEncryption, InventoryFilter, InventoryFormat,
    InventoryFrequency, InventoryIncludedObjectVersions, InventoryOptionalField,
    InventoryS3BucketDestination, InventorySchedule, Ssekms, Sses3, StorageClassAnalysis,
    StorageClassAnalysisDataExport, StorageClassAnalysisSchemaVersion,
};
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{built, one_of};
use super::s3_reports::{
    filter_schema, import_by_bucket_and_name, joined, named_schema, nonempty, parts, s3_tags,
    tag_map, Filter,
};
use crate::framework::{list_of_one as one, AwsResource, Created, SdkResult};
use crate::Clients;

// ---- storage class analysis ----------------------------------------------------------------------

#[derive(Default)]
pub struct Analytics;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AnalyticsModel {
    id: String,
    bucket: String,
    name: String,
    filter: Vec<Filter>,
    storage_class_analysis: Vec<ClassAnalysis>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ClassAnalysis {
    data_export: Vec<DataExport>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DataExport {
    output_schema_version: Option<String>,
    destination: Vec<ExportDestination>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ExportDestination {
    s3_bucket_destination: Vec<BucketDestination>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct BucketDestination {
    bucket_arn: String,
    bucket_account_id: Option<String>,
    format: Option<String>,
    prefix: Option<String>,
}

fn analytics_filter(f: &Filter) -> Result<Option<AnalyticsFilter>, ProviderError> {
    let tags = s3_tags(f.tags.as_ref().unwrap_or(&BTreeMap::new()))?;
    Ok(if f.conditions() > 1 {
        Some(AnalyticsFilter::And(
            AnalyticsAndOperator::builder()
                .set_prefix(nonempty(&f.prefix).map(str::to_string))
                .set_tags(Some(tags))
                .build(),
        ))
    } else if let Some(p) = nonempty(&f.prefix) {
        Some(AnalyticsFilter::Prefix(p.to_string()))
    } else {
        tags.into_iter().next().map(AnalyticsFilter::Tag)
    })
}

fn analytics_filter_model(f: &AnalyticsFilter) -> Filter {
    match f {
        AnalyticsFilter::And(a) => Filter {
            prefix: a.prefix().map(str::to_string),
            tags: tag_map(a.tags()),
            ..Filter::default()
        },
        AnalyticsFilter::Prefix(p) => Filter {
            prefix: Some(p.clone()),
            ..Filter::default()
        },
        AnalyticsFilter::Tag(t) => Filter {
            tags: tag_map(std::slice::from_ref(t)),
            ..Filter::default()
        },
        _ => Filter::default(),
    }
}

fn class_analysis(a: &ClassAnalysis) -> Result<StorageClassAnalysis, ProviderError> {
    let Some(export) = a.data_export.first() else {
        return Ok(StorageClassAnalysis::builder().build());
    };
    let Some(dest) = export
        .destination
        .first()
        .and_then(|d| d.s3_bucket_destination.first())
    else {
        return Err(ProviderError::InvalidConfig(
            "storage_class_analysis.data_export needs destination { s3_bucket_destination { bucket_arn } }".into(),
        ));
    };
    let format = dest.format.as_deref().unwrap_or("CSV");
    one_of(format, &["CSV"], "s3_bucket_destination.format")?;
    let version = export.output_schema_version.as_deref().unwrap_or("V_1");
    one_of(version, &["V_1"], "data_export.output_schema_version")?;
    let s3 = built(
        AnalyticsS3BucketDestination::builder()
            .bucket(&dest.bucket_arn)
            .set_bucket_account_id(dest.bucket_account_id.clone())
            .format(AnalyticsS3ExportFileFormat::from(format))
            .set_prefix(dest.prefix.clone())
            .build(),
        "s3_bucket_destination",
    )?;
    let export = built(
        StorageClassAnalysisDataExport::builder()
            .output_schema_version(StorageClassAnalysisSchemaVersion::from(version))
            .destination(
                AnalyticsExportDestination::builder()
                    .s3_bucket_destination(s3)
                    .build(),
            )
            .build(),
        "data_export",
    )?;
    Ok(StorageClassAnalysis::builder().data_export(export).build())
}

fn class_analysis_model(a: &StorageClassAnalysis) -> Vec<ClassAnalysis> {
    let data_export = a
        .data_export()
        .map(|e| DataExport {
            output_schema_version: Some(e.output_schema_version().as_str().to_string()),
            destination: e
                .destination()
                .and_then(|d| d.s3_bucket_destination())
                .map(|d| ExportDestination {
                    s3_bucket_destination: vec![BucketDestination {
                        bucket_arn: d.bucket().to_string(),
                        bucket_account_id: d.bucket_account_id().map(str::to_string),
                        format: Some(d.format().as_str().to_string()),
                        prefix: d.prefix().map(str::to_string),
                    }],
                })
                .into_iter()
                .collect(),
        })
        .into_iter()
        .collect::<Vec<_>>();
    if data_export.is_empty() {
        Vec::new()
    } else {
        vec![ClassAnalysis { data_export }]
    }
}

async fn put_analytics(c: &Clients, m: &AnalyticsModel) -> Result<(), ProviderError> {
    let filter = match m.filter.first() {
        Some(f) => analytics_filter(f)?,
        None => None,
    };
    let analysis = match m.storage_class_analysis.first() {
        Some(a) => class_analysis(a)?,
        None => StorageClassAnalysis::builder().build(),
    };
    let config = built(
        AnalyticsConfiguration::builder()
            .id(&m.name)
            .set_filter(filter)
            .storage_class_analysis(analysis)
            .build(),
        "aws_s3_bucket_analytics_configuration",
    )?;
    c.s3.put_bucket_analytics_configuration()
        .bucket(&m.bucket)
        .id(&m.name)
        .analytics_configuration(config)
        .send()
        .await
        .call("s3:PutAnalyticsConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Analytics {
    type Model = AnalyticsModel;
    const TYPE: &'static str = "aws_s3_bucket_analytics_configuration";

    fn schema() -> Schema {
        let destination = Schema::new()
            .attr("bucket_arn", Attribute::required(Type::String))
            .attr("bucket_account_id", Attribute::optional(Type::String))
            .attr("format", Attribute::optional(Type::String).default("CSV"))
            .attr("prefix", Attribute::optional(Type::String));
        let export = Schema::new()
            .attr(
                "output_schema_version",
                Attribute::optional(Type::String).default("V_1"),
            )
            .block(
                "destination",
                one(
                    Schema::new().block("s3_bucket_destination", one(destination, true)),
                    true,
                ),
            );
        named_schema()
            .block("filter", one(filter_schema(false), false))
            .block(
                "storage_class_analysis",
                one(Schema::new().block("data_export", one(export, true)), false),
            )
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        import_by_bucket_and_name(Self::TYPE, id)
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AnalyticsModel,
    ) -> Result<Created<AnalyticsModel>, ProviderError> {
        put_analytics(c, m).await?;
        Ok(joined(&m.bucket, &m.name).into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &AnalyticsModel,
    ) -> Result<Option<AnalyticsModel>, ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        let out =
            c.s3.get_bucket_analytics_configuration()
                .bucket(&bucket)
                .id(&name)
                .send()
                .await
                .found("s3:GetAnalyticsConfiguration")?;
        let Some(config) = out.as_ref().and_then(|o| o.analytics_configuration()) else {
            return Ok(None);
        };
        Ok(Some(AnalyticsModel {
            id: joined(&bucket, &name),
            bucket,
            name,
            filter: config
                .filter()
                .map(analytics_filter_model)
                .into_iter()
                .collect(),
            storage_class_analysis: config
                .storage_class_analysis()
                .map(class_analysis_model)
                .unwrap_or_default(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &AnalyticsModel,
        new: &AnalyticsModel,
    ) -> Result<(), ProviderError> {
        put_analytics(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &AnalyticsModel) -> Result<(), ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        c.s3.delete_bucket_analytics_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .gone_ok("s3:PutAnalyticsConfiguration")
    }
}

// ---- inventory reports ---------------------------------------------------------------------------

#[derive(Default)]
pub struct Inventory;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InventoryModel {
    id: String,
    bucket: String,
    name: String,
    enabled: Option<bool>,
    included_object_versions: String,
    optional_fields: Option<Vec<String>>,
    schedule: Vec<Schedule>,
    filter: Vec<Filter>,
    destination: Vec<InventoryDest>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Schedule {
    frequency: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InventoryDest {
    bucket: Vec<InventoryBucket>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InventoryBucket {
    bucket_arn: String,
    format: String,
    account_id: Option<String>,
    prefix: Option<String>,
    encryption: Vec<Encryption>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Encryption {
    sse_kms: Vec<KmsKey>,
    sse_s3: Vec<Empty>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KmsKey {
    key_id: String,
}

#[derive(Serialize, Deserialize, Default)]
pub struct Empty {}

fn inventory_destination(d: &InventoryBucket) -> Result<InventoryDestination, ProviderError> {
    one_of(
        &d.format,
        &["CSV", "ORC", "Parquet"],
        "destination.bucket.format",
    )?;
    let encryption = match d.encryption.first() {
        Some(e) if !e.sse_kms.is_empty() && !e.sse_s3.is_empty() => {
            return Err(ProviderError::InvalidConfig(
                "destination.bucket.encryption takes sse_kms or sse_s3, not both".into(),
            ))
        }
        Some(e) => Some(match e.sse_kms.first() {
            Some(k) => InventoryEncryption::builder()
                .ssekms(built(
                    Ssekms::builder().key_id(&k.key_id).build(),
                    "sse_kms",
                )?)
                .build(),
            None => InventoryEncryption::builder()
                .sses3(Sses3::builder().build())
                .build(),
        }),
        None => None,
    };
    let s3 = built(
        InventoryS3BucketDestination::builder()
            .bucket(&d.bucket_arn)
            .format(InventoryFormat::from(d.format.as_str()))
            .set_account_id(d.account_id.clone())
            .set_prefix(d.prefix.clone())
            .set_encryption(encryption)
            .build(),
        "destination.bucket",
    )?;
    Ok(InventoryDestination::builder()
        .s3_bucket_destination(s3)
        .build())
}

async fn put_inventory(c: &Clients, m: &InventoryModel) -> Result<(), ProviderError> {
    one_of(
        &m.included_object_versions,
        &["All", "Current"],
        "included_object_versions",
    )?;
    let (Some(schedule), Some(dest)) = (
        m.schedule.first(),
        m.destination.first().and_then(|d| d.bucket.first()),
    ) else {
        return Err(ProviderError::InvalidConfig(
            "aws_s3_bucket_inventory needs schedule { frequency } and destination { bucket { bucket_arn, format } }".into(),
        ));
    };
    one_of(
        &schedule.frequency,
        &["Daily", "Weekly"],
        "schedule.frequency",
    )?;
    let filter = match m.filter.first().and_then(|f| nonempty(&f.prefix)) {
        Some(p) => Some(built(
            InventoryFilter::builder().prefix(p).build(),
            "filter",
        )?),
        None => None,
    };
    let config = built(
        InventoryConfiguration::builder()
            .id(&m.name)
            .is_enabled(m.enabled.unwrap_or(true))
            .included_object_versions(InventoryIncludedObjectVersions::from(
                m.included_object_versions.as_str(),
            ))
            .set_optional_fields(m.optional_fields.as_ref().map(|fields| {
                fields
                    .iter()
                    .map(|f| InventoryOptionalField::from(f.as_str()))
                    .collect()
            }))
            .schedule(built(
                InventorySchedule::builder()
                    .frequency(InventoryFrequency::from(schedule.frequency.as_str()))
                    .build(),
                "schedule",
            )?)
            .set_filter(filter)
            .destination(inventory_destination(dest)?)
            .build(),
        "aws_s3_bucket_inventory",
    )?;
    c.s3.put_bucket_inventory_configuration()
        .bucket(&m.bucket)
        .id(&m.name)
        .inventory_configuration(config)
        .send()
        .await
        .call("s3:PutInventoryConfiguration")?;
    Ok(())
}

fn inventory_model(
    bucket: String,
    name: String,
    config: &InventoryConfiguration,
) -> InventoryModel {
    let destination = config
        .destination()
        .and_then(|d| d.s3_bucket_destination())
        .map(|d| InventoryDest {
            bucket: vec![InventoryBucket {
                bucket_arn: d.bucket().to_string(),
                format: d.format().as_str().to_string(),
                account_id: d.account_id().map(str::to_string),
                prefix: d.prefix().map(str::to_string),
                encryption: d
                    .encryption()
                    .map(|e| Encryption {
                        sse_kms: e
                            .ssekms()
                            .map(|k| KmsKey {
                                key_id: k.key_id().to_string(),
                            })
                            .into_iter()
                            .collect(),
                        sse_s3: e.sses3().map(|_| Empty {}).into_iter().collect(),
                    })
                    .into_iter()
                    .collect(),
            }],
        });
    let fields: Vec<String> = config
        .optional_fields()
        .iter()
        .map(|f| f.as_str().to_string())
        .collect();
    InventoryModel {
        id: joined(&bucket, &name),
        bucket,
        name,
        enabled: Some(config.is_enabled()),
        included_object_versions: config.included_object_versions().as_str().to_string(),
        optional_fields: (!fields.is_empty()).then_some(fields),
        schedule: config
            .schedule()
            .map(|s| Schedule {
                frequency: s.frequency().as_str().to_string(),
            })
            .into_iter()
            .collect(),
        filter: config
            .filter()
            .map(|f| Filter {
                prefix: Some(f.prefix().to_string()),
                ..Filter::default()
            })
            .into_iter()
            .collect(),
        destination: destination.into_iter().collect(),
    }
}

#[async_trait::async_trait]
impl AwsResource for Inventory {
    type Model = InventoryModel;
    const TYPE: &'static str = "aws_s3_bucket_inventory";

    fn schema() -> Schema {
        let encryption = Schema::new()
            .block(
                "sse_kms",
                one(
                    Schema::new().attr("key_id", Attribute::required(Type::String)),
                    false,
                ),
            )
            .block("sse_s3", one(Schema::new(), false));
        let bucket = Schema::new()
            .attr("bucket_arn", Attribute::required(Type::String))
            .attr("format", Attribute::required(Type::String))
            .attr("account_id", Attribute::optional(Type::String))
            .attr("prefix", Attribute::optional(Type::String))
            .block("encryption", one(encryption, false));
        named_schema()
            .attr("enabled", Attribute::optional(Type::Bool).default(true))
            .attr(
                "included_object_versions",
                Attribute::required(Type::String),
            )
            .attr(
                "optional_fields",
                Attribute::optional(Type::set(Type::String)),
            )
            .block(
                "schedule",
                one(
                    Schema::new().attr("frequency", Attribute::required(Type::String)),
                    true,
                ),
            )
            .block(
                "filter",
                one(
                    Schema::new().attr("prefix", Attribute::optional(Type::String)),
                    false,
                ),
            )
            .block(
                "destination",
                one(Schema::new().block("bucket", one(bucket, true)), true),
            )
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        import_by_bucket_and_name(Self::TYPE, id)
    }

    async fn create(
        &self,
        c: &Clients,
        m: &InventoryModel,
    ) -> Result<Created<InventoryModel>, ProviderError> {
        put_inventory(c, m).await?;
        Ok(joined(&m.bucket, &m.name).into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &InventoryModel,
    ) -> Result<Option<InventoryModel>, ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        let out =
            c.s3.get_bucket_inventory_configuration()
                .bucket(&bucket)
                .id(&name)
                .send()
                .await
                .found("s3:GetInventoryConfiguration")?;
        Ok(out
            .as_ref()
            .and_then(|o| o.inventory_configuration())
            .map(|config| inventory_model(bucket, name, config)))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &InventoryModel,
        new: &InventoryModel,
    ) -> Result<(), ProviderError> {
        put_inventory(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &InventoryModel) -> Result<(), ProviderError> {
        let (bucket, name) = parts(&m.id, &m.bucket, &m.name);
        c.s3.delete_bucket_inventory_configuration()
            .bucket(bucket)
            .id(name)
            .send()
            .await
            .gone_ok("s3:PutInventoryConfiguration")
    }
}
