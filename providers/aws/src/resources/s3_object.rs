//! `aws_s3_object`: an object from `content`, `content_base64` or a `source` file (streamed;
//! files over 64 MiB go up in 16 MiB multipart chunks). A changed `etag` or `source_hash`
//! (for example `filemd5("model.onnx")`) makes a changed file an update. Import ID:
//! `bucket/key`.

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

impl S3Object {
    async fn upload(&self, planned: &Value) -> Result<Value, ProviderError> {
        let (bucket, key) = key_of(planned);
        let content_type = planned
            .get_attr("content_type")
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| "binary/octet-stream".into());
        let s3 = &self.clients.s3;
        if let Some(bytes) = inline_bytes(planned)? {
            s3.put_object()
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
                s3.put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .content_type(&content_type)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| classify("s3:PutObject", &e))?;
            } else {
                self.multipart(&bucket, &key, &content_type, path, size)
                    .await?;
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
        // A configured etag is kept as written (it may be in another case).
        if let Some(e) = planned.get_attr("etag").as_str() {
            m.insert("etag".into(), Value::from(e));
        }
        Ok(Value::Map(m))
    }

    async fn multipart(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        path: &str,
        size: u64,
    ) -> Result<(), ProviderError> {
        let s3 = &self.clients.s3;
        let upload = s3
            .create_multipart_upload()
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
        for k in ["content_type", "version_id", "id"] {
            m.insert(k.into(), live.get_attr(k).clone());
        }
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
        for k in ["source", "content", "content_base64", "source_hash"] {
            m.insert(k.into(), Value::Null);
        }
        Ok(Some(Value::Map(m)))
    }
}
