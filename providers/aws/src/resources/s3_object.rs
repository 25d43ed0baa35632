//! `aws_s3_object`: an object from `content`, `content_base64` or a `source` file (streamed;
//! files over 64 MiB go up in 16 MiB multipart chunks), with its headers, metadata,
//! encryption, storage class, Object Lock settings and tags sent with each upload and read
//! back. A changed `etag` or `source_hash` (for example `filemd5("model.onnx")`) makes a
//! changed file an update; a change of tags alone re-tags the object without a new upload.
//! Import ID: `bucket/key`.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::Digest;
use mlform_provider::{Attribute, ProviderError, Schema, Type, Value, ValueMap};
use serde::{Deserialize, Serialize};

use crate::error::{classify, code, status};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

const MULTIPART_THRESHOLD: u64 = 64 * 1024 * 1024;
const PART_SIZE: u64 = 16 * 1024 * 1024;

fn object_schema() -> Schema {
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("key", Attribute::required(Type::String).force_new())
        .attr("source", Attribute::optional(Type::String))
        .attr("content", Attribute::optional(Type::String))
        .attr("content_base64", Attribute::optional(Type::String))
        .attr("content_type", Attribute::optional_computed(Type::String))
        .attr("etag", Attribute::optional_computed(Type::String))
        .attr("source_hash", Attribute::optional(Type::String))
        .attr("version_id", Attribute::computed(Type::String))
        .attr("cache_control", Attribute::optional(Type::String))
        .attr("content_disposition", Attribute::optional(Type::String))
        .attr("content_encoding", Attribute::optional(Type::String))
        .attr("content_language", Attribute::optional(Type::String))
        .attr("website_redirect", Attribute::optional(Type::String))
        .attr("metadata", Attribute::optional(Type::map(Type::String)))
        .attr("storage_class", Attribute::optional_computed(Type::String))
        .attr(
            "server_side_encryption",
            Attribute::optional_computed(Type::String),
        )
        .attr("kms_key_id", Attribute::optional_computed(Type::String))
        .attr(
            "bucket_key_enabled",
            Attribute::optional_computed(Type::Bool),
        )
        .attr(
            "acl",
            Attribute::optional(Type::String).describe("A canned ACL, sent with each upload."),
        )
        .attr(
            "object_lock_legal_hold_status",
            Attribute::optional(Type::String),
        )
        .attr("object_lock_mode", Attribute::optional(Type::String))
        .attr(
            "object_lock_retain_until_date",
            Attribute::optional(Type::String),
        )
        .attr(
            "force_destroy",
            Attribute::optional(Type::Bool)
                .describe("Delete every version, bypassing governance-mode retention."),
        )
        .block(
            "override_provider",
            mlform_provider::NestedBlock {
                nesting: mlform_provider::Nesting::List,
                block: Schema::new().block(
                    "default_tags",
                    mlform_provider::NestedBlock {
                        nesting: mlform_provider::Nesting::List,
                        block: Schema::new()
                            .attr("tags", Attribute::optional(Type::map(Type::String))),
                        min_items: 0,
                        max_items: Some(1),
                        force_new: false,
                    },
                ),
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        )
}

#[derive(Default)]
pub struct S3Object;

type Map = BTreeMap<String, String>;

#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct ObjectModel {
    id: String,
    bucket: String,
    key: String,
    source: Option<String>,
    content: Option<String>,
    content_base64: Option<String>,
    content_type: Option<String>,
    etag: Option<String>,
    source_hash: Option<String>,
    version_id: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    website_redirect: Option<String>,
    metadata: Option<Map>,
    storage_class: Option<String>,
    server_side_encryption: Option<String>,
    kms_key_id: Option<String>,
    bucket_key_enabled: Option<bool>,
    acl: Option<String>,
    object_lock_legal_hold_status: Option<String>,
    object_lock_mode: Option<String>,
    object_lock_retain_until_date: Option<String>,
    force_destroy: Option<bool>,
    override_provider: Option<serde_json::Value>,
    tags_all: Option<Map>,
}

/// The object settings sent with each upload (headers of PutObject and
/// CreateMultipartUpload).
macro_rules! with_settings {
    ($req:expr, $m:expr) => {{
        let m = $m;
        $req.set_cache_control(m.cache_control.clone())
            .set_content_disposition(m.content_disposition.clone())
            .set_content_encoding(m.content_encoding.clone())
            .set_content_language(m.content_language.clone())
            .set_website_redirect_location(m.website_redirect.clone())
            .set_storage_class(
                m.storage_class
                    .as_deref()
                    .map(aws_sdk_s3::types::StorageClass::from),
            )
            .set_server_side_encryption(
                m.server_side_encryption
                    .as_deref()
                    .map(aws_sdk_s3::types::ServerSideEncryption::from),
            )
            .set_ssekms_key_id(m.kms_key_id.clone())
            .set_bucket_key_enabled(m.bucket_key_enabled)
            .set_acl(
                m.acl
                    .as_deref()
                    .map(aws_sdk_s3::types::ObjectCannedAcl::from),
            )
            .set_object_lock_legal_hold_status(
                m.object_lock_legal_hold_status
                    .as_deref()
                    .map(aws_sdk_s3::types::ObjectLockLegalHoldStatus::from),
            )
            .set_object_lock_mode(
                m.object_lock_mode
                    .as_deref()
                    .map(aws_sdk_s3::types::ObjectLockMode::from),
            )
            .set_object_lock_retain_until_date(retain_until(m)?)
            .set_metadata(
                m.metadata
                    .clone()
                    .filter(|m| !m.is_empty())
                    .map(|m| m.into_iter().collect()),
            )
            .set_tagging(tagging(m.tags_all.as_ref()))
    }};
}

fn retain_until(
    m: &ObjectModel,
) -> Result<Option<aws_sdk_s3::primitives::DateTime>, ProviderError> {
    use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    m.object_lock_retain_until_date
        .as_deref()
        .map(|t| {
            DateTime::from_str(t, DateTimeFormat::DateTime).map_err(|e| {
                ProviderError::InvalidConfig(format!(
                    "object_lock_retain_until_date {t:?} is not an RFC 3339 time: {e}"
                ))
            })
        })
        .transpose()
}

/// The `Tagging` header: the object's tags as a URL query string.
fn tagging(tags_all: Option<&Map>) -> Option<String> {
    let tags = tags_all.filter(|t| !t.is_empty())?;
    Some(
        tags.iter()
            .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
            .collect::<Vec<_>>()
            .join("&"),
    )
}

/// `tags_all` of an object: the provider's default tags (or the `override_provider`'s),
/// overlaid by its own.
fn object_tags_all(clients: &Clients, config: &Value) -> Value {
    let tags = config.get_attr("tags");
    let overridden = config
        .get_attr("override_provider")
        .as_list()
        .and_then(|l| l.first().cloned());
    match overridden {
        Some(o) => {
            let defaults = o
                .get_attr("default_tags")
                .as_list()
                .and_then(|l| l.first().cloned())
                .map(|d| d.get_attr("tags").clone())
                .unwrap_or(Value::Null);
            let mut all = defaults.as_map().cloned().unwrap_or_default();
            if tags.is_unknown() || defaults.is_unknown() {
                return Value::Unknown;
            }
            for (k, v) in tags.as_map().cloned().unwrap_or_default() {
                all.insert(k, v);
            }
            Value::Map(all)
        }
        None => clients.tags_all(tags),
    }
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

fn inline_bytes(m: &ObjectModel) -> Result<Option<Vec<u8>>, ProviderError> {
    if let Some(c) = &m.content {
        return Ok(Some(c.as_bytes().to_vec()));
    }
    if let Some(b) = &m.content_base64 {
        return decode_base64(b).map(Some).ok_or_else(|| {
            ProviderError::InvalidConfig("content_base64 is not valid base64".into())
        });
    }
    Ok(None)
}

/// The arguments whose change uploads the object again (tags alone are re-tagged).
const BODY: &[&str] = &["content", "content_base64", "source", "source_hash"];

async fn multipart(
    c: &Clients,
    m: &ObjectModel,
    content_type: &str,
    path: &str,
    size: u64,
) -> Result<(), ProviderError> {
    let (bucket, key) = (m.bucket.as_str(), m.key.as_str());
    let s3 = &c.s3;
    let upload = with_settings!(s3.create_multipart_upload(), m)
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .send()
        .await
        .map_err(|e| classify("s3:PutObject", &e))?;
    let id = upload.upload_id().unwrap_or_default().to_string();
    let result: Result<Vec<CompletedPart>, ProviderError> = async {
        let mut parts = Vec::new();
        let mut offset = 0u64;
        let mut number = 1i32;
        while offset < size {
            let len = PART_SIZE.min(size - offset);
            let body = ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(aws_sdk_s3::primitives::Length::Exact(len))
                .build()
                .await
                .map_err(|e| {
                    ProviderError::InvalidConfig(format!("cannot read source {path}: {e}"))
                })?;
            let out = s3
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .part_number(number)
                .body(body)
                .send()
                .await
                .map_err(|e| classify("s3:PutObject", &e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .build(),
            );
            offset += len;
            number += 1;
        }
        Ok(parts)
    }
    .await;
    match result {
        Ok(parts) => {
            s3.complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| classify("s3:PutObject", &e))?;
            Ok(())
        }
        Err(e) => {
            // All or nothing: abort so no orphaned parts are left behind.
            let _ = s3
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .send()
                .await;
            Err(e)
        }
    }
}

/// Deletes every version and delete marker of the key, lifting legal holds and
/// bypassing governance-mode retention (`force_destroy`).
async fn delete_all_versions(c: &Clients, bucket: &str, key: &str) -> Result<(), ProviderError> {
    let s3 = &c.s3;
    loop {
        let out = match s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if status(&e) == Some(404) || code(&e) == "NoSuchBucket" => return Ok(()),
            Err(e) => return Err(classify("s3:ListBucketVersions", &e)),
        };
        let versions: Vec<Option<String>> = out
            .versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .map(|v| v.version_id().map(str::to_string))
            .chain(
                out.delete_markers()
                    .iter()
                    .filter(|m| m.key() == Some(key))
                    .map(|m| m.version_id().map(str::to_string)),
            )
            .collect();
        if versions.is_empty() {
            return Ok(());
        }
        for version in versions {
            let delete = || {
                s3.delete_object()
                    .bucket(bucket)
                    .key(key)
                    .set_version_id(version.clone())
                    .bypass_governance_retention(true)
                    .send()
            };
            if let Err(e) = delete().await {
                if code(&e) != "AccessDenied" {
                    return Err(classify("s3:DeleteObjectVersion", &e));
                }
                // A legal hold blocks any delete: lift it, as terraform-provider-aws
                // does for force_destroy, and try again.
                s3.put_object_legal_hold()
                    .bucket(bucket)
                    .key(key)
                    .set_version_id(version.clone())
                    .legal_hold(
                        aws_sdk_s3::types::ObjectLockLegalHold::builder()
                            .status(aws_sdk_s3::types::ObjectLockLegalHoldStatus::Off)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| classify("s3:PutObjectLegalHold", &e))?;
                delete()
                    .await
                    .map_err(|e| classify("s3:DeleteObjectVersion", &e))?;
            }
        }
    }
}

/// Uploads the object with all its settings: inline content at once, a file streamed
/// (in parts past the multipart threshold).
async fn upload(c: &Clients, m: &ObjectModel) -> Result<(), ProviderError> {
    let content_type = m
        .content_type
        .clone()
        .unwrap_or_else(|| "binary/octet-stream".into());
    let s3 = &c.s3;
    let body = if let Some(bytes) = inline_bytes(m)? {
        ByteStream::from(bytes)
    } else if let Some(path) = &m.source {
        let size = std::fs::metadata(path)
            .map_err(|e| ProviderError::InvalidConfig(format!("cannot read source {path}: {e}")))?
            .len();
        if size > MULTIPART_THRESHOLD {
            return multipart(c, m, &content_type, path, size).await;
        }
        ByteStream::from_path(path)
            .await
            .map_err(|e| ProviderError::InvalidConfig(format!("cannot read source {path}: {e}")))?
    } else {
        return Err(ProviderError::InvalidConfig(
            "one of source, content or content_base64 must be set".into(),
        ));
    };
    with_settings!(s3.put_object(), m)
        .bucket(&m.bucket)
        .key(&m.key)
        .content_type(&content_type)
        .body(body)
        .send()
        .await
        .call("s3:PutObject")?;
    Ok(())
}

async fn object_tags(c: &Clients, bucket: &str, key: &str) -> Result<Map, ProviderError> {
    let out =
        c.s3.get_object_tagging()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .call("s3:GetObjectTagging")?;
    Ok(out
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// The object as HeadObject and GetObjectTagging report it; what S3 cannot say (the body's
/// source, the ACL sent) stays as the prior holds it.
async fn live_object(
    c: &Clients,
    prior: &ObjectModel,
) -> Result<Option<ObjectModel>, ProviderError> {
    let (bucket, key) = (prior.bucket.as_str(), prior.key.as_str());
    let o = match c.s3.head_object().bucket(bucket).key(key).send().await {
        Err(e) if code(&e) == "NoSuchKey" || status(&e) == Some(404) => return Ok(None),
        other => match other.found("s3:GetObject")? {
            Some(o) => o,
            None => return Ok(None),
        },
    };
    let s = |v: Option<&str>| v.map(str::to_string);
    let etag = o.e_tag().unwrap_or_default().trim_matches('"').to_string();
    let metadata: Option<Map> = o
        .metadata()
        .filter(|m| !m.is_empty())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_lowercase(), v.clone()))
                .collect()
        })
        // No metadata is what an empty `metadata = {}` wrote: not drift.
        .or_else(|| prior.metadata.clone().filter(|m| m.is_empty()));
    Ok(Some(ObjectModel {
        id: key.to_string(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        content_type: s(o.content_type()),
        // An etag written in another case is the same etag.
        etag: Some(match &prior.etag {
            Some(p) if p.eq_ignore_ascii_case(&etag) => p.clone(),
            _ => etag,
        }),
        version_id: s(o.version_id()),
        cache_control: s(o.cache_control()),
        content_disposition: s(o.content_disposition()),
        content_encoding: s(o.content_encoding()),
        content_language: s(o.content_language()),
        website_redirect: s(o.website_redirect_location()),
        metadata,
        storage_class: Some(
            o.storage_class()
                .map_or("STANDARD", |c| c.as_str())
                .to_string(),
        ),
        server_side_encryption: s(o.server_side_encryption().map(|e| e.as_str())),
        kms_key_id: s(o.ssekms_key_id()),
        bucket_key_enabled: Some(o.bucket_key_enabled().unwrap_or(false)),
        object_lock_legal_hold_status: s(o.object_lock_legal_hold_status().map(|s| s.as_str())),
        object_lock_mode: s(o.object_lock_mode().map(|s| s.as_str())),
        object_lock_retain_until_date: o
            .object_lock_retain_until_date()
            .and_then(|d| d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok()),
        tags_all: Some(object_tags(c, bucket, key).await?),
        ..ObjectModel::default()
    }))
}

#[async_trait::async_trait]
impl AwsResource for S3Object {
    type Model = ObjectModel;
    const TYPE: &'static str = "aws_s3_object";
    const TAGGED: bool = true;
    const ID_ATTRIBUTE: Option<&'static str> = Some("key");
    /// What S3 never returns: the body's source, and settings sent but not stored.
    const KEEP: &'static [&'static str] = &[
        "source",
        "content",
        "content_base64",
        "source_hash",
        "acl",
        "force_destroy",
        "override_provider",
    ];

    fn schema() -> Schema {
        object_schema()
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let id = id.strip_prefix("s3://").unwrap_or(id);
        let Some((bucket, key)) = id.split_once('/') else {
            return Err(ProviderError::Unsupported(format!(
                "import ID {id:?} must be BUCKET/KEY"
            )));
        };
        Ok(Value::object([
            ("id", Value::from(key)),
            ("bucket", Value::from(bucket)),
            ("key", Value::from(key)),
        ]))
    }

    fn plan_tags_all(c: &Clients, config: &Value) -> Value {
        object_tags_all(c, config)
    }

    /// A new body has a new version, and inline content's MD5 is its ETag, known now (a
    /// file's only after upload); any other change but tags (a configured `etag` too)
    /// uploads again, making a new version.
    fn modify_plan(prior: Option<&Value>, planned: &mut ValueMap) {
        let get = |m: &ValueMap, k: &str| m.get(k).cloned().unwrap_or(Value::Null);
        let changed = |k: &str| prior.is_none_or(|p| !p.get_attr(k).same_data(&get(planned, k)));
        let body_changed = BODY.iter().any(|k| changed(k)) || changed("bucket") || changed("key");
        let etag_from_prior = prior
            .is_none_or(|p| p.get_attr("etag").same_data(&get(planned, "etag")))
            || get(planned, "etag").is_unknown();
        if body_changed && etag_from_prior {
            let text = |k: &str| planned.get(k).and_then(Value::as_str).map(str::to_string);
            let etag = match (text("content"), text("content_base64")) {
                (Some(c), _) => Value::from(hex::encode(md5::Md5::digest(c.as_bytes()))),
                (None, Some(b)) => decode_base64(&b)
                    .map(|d| Value::from(hex::encode(md5::Md5::digest(&d))))
                    .unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            };
            planned.insert("etag".into(), etag);
        }
        let reuploads = match prior {
            None => true,
            Some(p) => planned.iter().any(|(k, v)| {
                !matches!(k.as_str(), "tags" | "tags_all" | "version_id" | "id")
                    && !p.get_attr(k).same_data(v)
            }),
        };
        if reuploads {
            planned.insert("version_id".into(), Value::Unknown);
        }
        if prior.is_none()
            && planned
                .get("content_type")
                .is_none_or(|v| v.is_null() || v.is_unknown())
        {
            planned.insert("content_type".into(), Value::from("binary/octet-stream"));
        }
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ObjectModel,
    ) -> Result<Created<ObjectModel>, ProviderError> {
        upload(c, m).await?;
        Ok(m.key.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ObjectModel,
    ) -> Result<Option<ObjectModel>, ProviderError> {
        live_object(c, m).await
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &ObjectModel,
        new: &ObjectModel,
    ) -> Result<(), ProviderError> {
        upload(c, new).await
    }

    /// S3 replaces an object's whole tag set at once.
    async fn set_tags(
        &self,
        c: &Clients,
        m: &ObjectModel,
        _remove: Vec<String>,
        _set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        use aws_sdk_s3::types::{Tag, Tagging};
        let tags = m
            .tags_all
            .iter()
            .flatten()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::InvalidConfig(format!("tags: {e}")))?;
        if tags.is_empty() {
            return c
                .s3
                .delete_object_tagging()
                .bucket(&m.bucket)
                .key(&m.key)
                .send()
                .await
                .gone_ok("s3:DeleteObjectTagging");
        }
        c.s3.put_object_tagging()
            .bucket(&m.bucket)
            .key(&m.key)
            .tagging(
                Tagging::builder()
                    .set_tag_set(Some(tags))
                    .build()
                    .map_err(|e| ProviderError::InvalidConfig(format!("tags: {e}")))?,
            )
            .send()
            .await
            .call("s3:PutObjectTagging")?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &ObjectModel) -> Result<(), ProviderError> {
        if m.force_destroy == Some(true) {
            return delete_all_versions(c, &m.bucket, &m.key).await;
        }
        c.s3.delete_object()
            .bucket(&m.bucket)
            .key(&m.key)
            .send()
            .await
            .gone_ok("s3:DeleteObject")
    }
}
