//! `aws_s3_object`: an object from `content`, `content_base64` or a `source` file (streamed;
//! files over 64 MiB go up in 16 MiB multipart chunks), with its headers, metadata,
//! encryption, storage class, Object Lock settings and tags sent with each upload and read
//! back. A changed `etag` or `source_hash` (for example `filemd5("model.onnx")`) makes a
//! changed file an update. Import ID: `bucket/key`.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::Digest;
use mlform_provider::{
    Attribute, PlanRequest, Planned, ProviderError, Resource, Schema, Type, Value,
};

use crate::error::{classify, code, status};
use crate::Clients;

const MULTIPART_THRESHOLD: u64 = 64 * 1024 * 1024;
const PART_SIZE: u64 = 16 * 1024 * 1024;

pub fn schema() -> Schema {
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("key", Attribute::required(Type::String).force_new())
        .attr("source", Attribute::optional(Type::String))
        .attr("content", Attribute::optional(Type::String))
        .attr("content_base64", Attribute::optional(Type::String))
        .attr("content_type", Attribute::optional_computed(Type::String))
        .attr("etag", Attribute::optional_computed(Type::String))
        .attr("source_hash", Attribute::optional(Type::String))
        .attr("id", Attribute::computed(Type::String))
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
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
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

/// The object settings sent with each upload (headers of PutObject and
/// CreateMultipartUpload), from the planned state.
macro_rules! with_settings {
    ($req:expr, $planned:expr, $tagging:expr) => {{
        let p = $planned;
        let text = |k: &str| p.get_attr(k).as_str().map(str::to_string);
        let mut req = $req
            .set_cache_control(text("cache_control"))
            .set_content_disposition(text("content_disposition"))
            .set_content_encoding(text("content_encoding"))
            .set_content_language(text("content_language"))
            .set_website_redirect_location(text("website_redirect"))
            .set_storage_class(
                text("storage_class").map(|c| aws_sdk_s3::types::StorageClass::from(c.as_str())),
            )
            .set_server_side_encryption(
                text("server_side_encryption")
                    .map(|c| aws_sdk_s3::types::ServerSideEncryption::from(c.as_str())),
            )
            .set_ssekms_key_id(text("kms_key_id"))
            .set_bucket_key_enabled(p.get_attr("bucket_key_enabled").as_bool())
            .set_acl(text("acl").map(|c| aws_sdk_s3::types::ObjectCannedAcl::from(c.as_str())))
            .set_object_lock_legal_hold_status(
                text("object_lock_legal_hold_status")
                    .map(|c| aws_sdk_s3::types::ObjectLockLegalHoldStatus::from(c.as_str())),
            )
            .set_object_lock_mode(
                text("object_lock_mode")
                    .map(|c| aws_sdk_s3::types::ObjectLockMode::from(c.as_str())),
            )
            .set_object_lock_retain_until_date(retain_until(p)?)
            .set_tagging($tagging);
        if let Some(m) = p.get_attr("metadata").as_map() {
            for (k, v) in m {
                if let Some(v) = v.as_str() {
                    req = req.metadata(k, v);
                }
            }
        }
        req
    }};
}

fn retain_until(p: &Value) -> Result<Option<aws_sdk_s3::primitives::DateTime>, ProviderError> {
    use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    p.get_attr("object_lock_retain_until_date")
        .as_str()
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
fn tagging(tags_all: &Value) -> Option<String> {
    let m = tags_all.as_map()?;
    if m.is_empty() {
        return None;
    }
    Some(
        m.iter()
            .filter_map(|(k, v)| {
                v.as_str()
                    .map(|v| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
            })
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

pub struct S3Object {
    pub clients: Arc<Clients>,
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

fn inline_bytes(v: &Value) -> Result<Option<Vec<u8>>, ProviderError> {
    if let Some(c) = v.get_attr("content").as_str() {
        return Ok(Some(c.as_bytes().to_vec()));
    }
    if let Some(b) = v.get_attr("content_base64").as_str() {
        return decode_base64(b).map(Some).ok_or_else(|| {
            ProviderError::InvalidConfig("content_base64 is not valid base64".into())
        });
    }
    Ok(None)
}

fn key_of(v: &Value) -> (String, String) {
    (
        v.get_attr("bucket")
            .as_str()
            .unwrap_or_default()
            .to_string(),
        v.get_attr("key").as_str().unwrap_or_default().to_string(),
    )
}

fn opt(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or(Value::Null)
}

/// What S3 reports about an object, read back after every upload and refresh.
const READ_BACK: &[&str] = &[
    "cache_control",
    "content_disposition",
    "content_encoding",
    "content_language",
    "website_redirect",
    "metadata",
    "storage_class",
    "server_side_encryption",
    "kms_key_id",
    "bucket_key_enabled",
    "object_lock_legal_hold_status",
    "object_lock_mode",
    "object_lock_retain_until_date",
];

/// Settings S3 chooses when the configuration leaves them out.
const SERVER_SET: &[&str] = &[
    "storage_class",
    "server_side_encryption",
    "kms_key_id",
    "bucket_key_enabled",
];

impl S3Object {
    async fn live_tags(&self, bucket: &str, key: &str) -> Result<Value, ProviderError> {
        let out = self
            .clients
            .s3
            .get_object_tagging()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify("s3:GetObjectTagging", &e))?;
        Ok(super::tags_value(
            out.tag_set().iter().map(|t| (t.key(), t.value())),
        ))
    }

    /// Deletes every version and delete marker of the key, lifting legal holds and
    /// bypassing governance-mode retention (`force_destroy`).
    async fn delete_all_versions(&self, bucket: &str, key: &str) -> Result<(), ProviderError> {
        let s3 = &self.clients.s3;
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

    async fn upload(&self, planned: &Value) -> Result<Value, ProviderError> {
        let (bucket, key) = key_of(planned);
        let content_type = planned
            .get_attr("content_type")
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| "binary/octet-stream".into());
        let s3 = &self.clients.s3;
        let tags = tagging(planned.get_attr("tags_all"));
        if let Some(bytes) = inline_bytes(planned)? {
            with_settings!(s3.put_object(), planned, tags.clone())
                .bucket(&bucket)
                .key(&key)
                .content_type(&content_type)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map_err(|e| classify("s3:PutObject", &e))?;
        } else if let Some(path) = planned.get_attr("source").as_str() {
            let size = std::fs::metadata(path)
                .map_err(|e| {
                    ProviderError::InvalidConfig(format!("cannot read source {path}: {e}"))
                })?
                .len();
            if size <= MULTIPART_THRESHOLD {
                let body = ByteStream::from_path(path).await.map_err(|e| {
                    ProviderError::InvalidConfig(format!("cannot read source {path}: {e}"))
                })?;
                with_settings!(s3.put_object(), planned, tags.clone())
                    .bucket(&bucket)
                    .key(&key)
                    .content_type(&content_type)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| classify("s3:PutObject", &e))?;
            } else {
                self.multipart(planned, &content_type, path, size).await?;
            }
        } else {
            return Err(ProviderError::InvalidConfig(
                "one of source, content or content_base64 must be set".into(),
            ));
        }
        let live = self.head(&bucket, &key).await?.ok_or_else(|| {
            ProviderError::Api(format!(
                "object s3://{bucket}/{key} is missing right after upload"
            ))
        })?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        for k in ["etag", "content_type", "version_id", "id"] {
            m.insert(k.into(), live.get_attr(k).clone());
        }
        for k in SERVER_SET {
            if !m.get(*k).is_some_and(Value::is_wholly_known) {
                m.insert(k.to_string(), live.get_attr(k).clone());
            }
        }
        // A configured etag is kept as written (it may be in another case).
        if let Some(e) = planned.get_attr("etag").as_str() {
            m.insert("etag".into(), Value::from(e));
        }
        Ok(Value::Map(m))
    }

    async fn multipart(
        &self,
        planned: &Value,
        content_type: &str,
        path: &str,
        size: u64,
    ) -> Result<(), ProviderError> {
        let (bucket, key) = key_of(planned);
        let (bucket, key) = (bucket.as_str(), key.as_str());
        let s3 = &self.clients.s3;
        let tags = tagging(planned.get_attr("tags_all"));
        let upload = with_settings!(s3.create_multipart_upload(), planned, tags)
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

    async fn head(&self, bucket: &str, key: &str) -> Result<Option<Value>, ProviderError> {
        match self
            .clients
            .s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => Ok(Some(Value::object([
                (
                    "etag",
                    Value::from(o.e_tag().unwrap_or_default().trim_matches('"')),
                ),
                (
                    "content_type",
                    o.content_type().map(Value::from).unwrap_or(Value::Null),
                ),
                (
                    "version_id",
                    o.version_id().map(Value::from).unwrap_or(Value::Null),
                ),
                ("id", Value::from(key)),
                ("cache_control", opt(o.cache_control())),
                ("content_disposition", opt(o.content_disposition())),
                ("content_encoding", opt(o.content_encoding())),
                ("content_language", opt(o.content_language())),
                ("website_redirect", opt(o.website_redirect_location())),
                (
                    "metadata",
                    o.metadata()
                        .filter(|m| !m.is_empty())
                        .map(|m| {
                            Value::Map(
                                m.iter()
                                    .map(|(k, v)| (k.to_lowercase(), Value::from(v.as_str())))
                                    .collect(),
                            )
                        })
                        .unwrap_or(Value::Null),
                ),
                (
                    "storage_class",
                    Value::from(o.storage_class().map_or("STANDARD", |c| c.as_str())),
                ),
                (
                    "server_side_encryption",
                    opt(o.server_side_encryption().map(|e| e.as_str())),
                ),
                ("kms_key_id", opt(o.ssekms_key_id())),
                (
                    "bucket_key_enabled",
                    Value::Bool(o.bucket_key_enabled().unwrap_or(false)),
                ),
                (
                    "object_lock_legal_hold_status",
                    opt(o.object_lock_legal_hold_status().map(|s| s.as_str())),
                ),
                (
                    "object_lock_mode",
                    opt(o.object_lock_mode().map(|s| s.as_str())),
                ),
                (
                    "object_lock_retain_until_date",
                    o.object_lock_retain_until_date()
                        .and_then(|d| d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok())
                        .map(Value::from)
                        .unwrap_or(Value::Null),
                ),
            ]))),
            Err(e)
                if status(&e) == Some(404)
                    || code(&e) == "NotFound"
                    || code(&e) == "NoSuchKey"
                    || code(&e) == "NoSuchBucket" =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("s3:GetObject", &e)),
        }
    }
}

#[async_trait::async_trait]
impl Resource for S3Object {
    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let (bucket, key) = key_of(prior);
        let Some(live) = self.head(&bucket, &key).await? else {
            return Ok(None);
        };
        let mut m = prior.as_map().cloned().unwrap_or_default();
        for k in ["content_type", "version_id", "id"].iter().chain(READ_BACK) {
            m.insert(k.to_string(), live.get_attr(k).clone());
        }
        // No metadata is what an empty `metadata = {}` wrote: not drift.
        if live.get_attr("metadata").is_null()
            && prior
                .get_attr("metadata")
                .as_map()
                .is_some_and(|m| m.is_empty())
        {
            m.insert("metadata".into(), prior.get_attr("metadata").clone());
        }
        let tags_all = self.live_tags(&bucket, &key).await?;
        m.insert(
            "tags".into(),
            self.clients.own_tags(&tags_all, prior.get_attr("tags")),
        );
        m.insert("tags_all".into(), tags_all);
        let etag = live
            .get_attr("etag")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !prior
            .get_attr("etag")
            .as_str()
            .is_some_and(|p| p.eq_ignore_ascii_case(&etag))
        {
            m.insert("etag".into(), Value::from(etag));
        }
        Ok(Some(Value::Map(m)))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        let body_attrs = ["content", "content_base64", "source", "source_hash"];
        let body_changed = request.prior.is_none_or(|prior| {
            body_attrs
                .iter()
                .any(|a| !prior.get_attr(a).same_data(request.config.get_attr(a)))
        }) || !p.requires_replace.is_empty();
        if request.config.get_attr("etag").is_null() && body_changed {
            // The MD5 of inline content is known now; a file's only after upload.
            let etag = match (
                request.config.get_attr("content").as_str(),
                request.config.get_attr("content_base64").as_str(),
            ) {
                (Some(c), _) => Value::from(hex::encode(md5::Md5::digest(c.as_bytes()))),
                (None, Some(b)) => decode_base64(b)
                    .map(|d| Value::from(hex::encode(md5::Md5::digest(&d))))
                    .unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            };
            m.insert("etag".into(), etag);
            m.insert("version_id".into(), Value::Unknown);
        }
        if request.config.get_attr("content_type").is_null() && request.prior.is_none() {
            m.insert("content_type".into(), Value::from("binary/octet-stream"));
        }
        if let Some(k) = request.config.get_attr("key").as_str() {
            m.insert("id".into(), Value::from(k));
        }
        m.insert(
            "tags_all".into(),
            object_tags_all(&self.clients, request.config),
        );
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.upload(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.upload(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let (bucket, key) = key_of(prior);
        if prior.get_attr("force_destroy").as_bool() == Some(true) {
            return self.delete_all_versions(&bucket, &key).await;
        }
        match self
            .clients
            .s3
            .delete_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(404) || code(&e) == "NoSuchBucket" => Ok(()),
            Err(e) => Err(classify("s3:DeleteObject", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let id = id.strip_prefix("s3://").unwrap_or(id);
        let Some((bucket, key)) = id.split_once('/') else {
            return Err(ProviderError::Unsupported(format!(
                "import ID {id:?} must be BUCKET/KEY"
            )));
        };
        let prior = Value::object([("bucket", Value::from(bucket)), ("key", Value::from(key))]);
        let Some(v) = self.read(&prior).await? else {
            return Ok(None);
        };
        let mut m = v.as_map().cloned().unwrap_or_default();
        for k in [
            "source",
            "content",
            "content_base64",
            "source_hash",
            "acl",
            "force_destroy",
        ] {
            m.insert(k.into(), Value::Null);
        }
        let all = m.get("tags_all").cloned().unwrap_or(Value::Null);
        m.insert("tags".into(), self.clients.own_tags(&all, &Value::Null));
        Ok(Some(Value::Map(m)))
    }
}
