//! The object store behind `backend "s3"`: the backend block's arguments, as Terraform's S3
//! backend reads them, turned into an S3 client, and the five [`ObjectStore`] calls on one
//! bucket. Locks are created with a conditional write (`If-None-Match: *`), as Terraform
//! 1.11 does with `use_lockfile`.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use mlform_provider::{ObjectStore, StoreError, Value};

/// What the S3 backend's arguments say beyond the bucket: where the state object is.
#[derive(Debug, Clone)]
pub struct S3Layout {
    pub key: String,
    pub workspace_key_prefix: String,
    pub use_lockfile: bool,
}

/// Arguments Terraform's S3 backend takes that mlform reads.
pub const ARGUMENTS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "encrypt",
    "kms_key_id",
    "acl",
    "use_lockfile",
    "workspace_key_prefix",
    "endpoints",
    "use_path_style",
    "force_path_style",
    "profile",
    "access_key",
    "secret_key",
    "token",
    "skip_credentials_validation",
    "skip_region_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_s3_checksum",
    "max_retries",
];

/// Arguments of Terraform's S3 backend mlform refuses, with the reason.
pub const REFUSED: &[(&str, &str)] = &[
    ("dynamodb_table", "DynamoDB locking is deprecated in Terraform 1.11 and not implemented by mlform; set use_lockfile = true"),
    ("dynamodb_endpoint", "DynamoDB locking is not implemented by mlform; set use_lockfile = true"),
    ("assume_role", "assuming a role for the backend is not implemented yet; run mlform with the role's credentials in the environment"),
    ("assume_role_with_web_identity", "assuming a role for the backend is not implemented yet; run mlform with the role's credentials in the environment"),
    ("sse_customer_key", "SSE-C (customer-provided keys) is not implemented; use kms_key_id"),
    ("shared_credentials_files", "use AWS_SHARED_CREDENTIALS_FILE, which mlform's SDK reads"),
    ("shared_config_files", "use AWS_CONFIG_FILE, which mlform's SDK reads"),
];

/// A string argument, unmarked.
pub(crate) fn string(config: &Value, name: &str) -> Option<String> {
    config
        .get_attr(name)
        .strip_marks()
        .as_str()
        .map(str::to_string)
}

/// A bool argument; `-backend-config=KEY=VALUE` gives strings, so "true" counts too.
fn flag(config: &Value, name: &str) -> bool {
    let v = config.get_attr(name).strip_marks();
    v.as_bool() == Some(true) || v.as_str() == Some("true")
}

/// Builds the store and layout from the merged backend configuration.
pub async fn s3_store(config: &Value) -> Result<(Arc<dyn ObjectStore>, S3Layout), StoreError> {
    let required = |name: &str| {
        string(config, name).filter(|s| !s.is_empty()).ok_or_else(|| {
            StoreError::Config(format!(
                "The backend \"s3\" needs the argument \"{name}\"; set it in the backend block or with -backend-config=\"{name}=...\""
            ))
        })
    };
    let bucket = required("bucket")?;
    let key = required("key")?;
    if key.starts_with('/') || key.ends_with('/') {
        return Err(StoreError::Config(format!(
            "The backend \"s3\" key {key:?} must not start or end with \"/\""
        )));
    }
    let region = string(config, "region")
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .ok_or_else(|| {
            StoreError::Config(
                "The backend \"s3\" needs a region: set region in the backend block, or AWS_REGION"
                    .into(),
            )
        })?;
    let workspace_key_prefix =
        string(config, "workspace_key_prefix").unwrap_or_else(|| "env:".into());
    if workspace_key_prefix.starts_with('/') || workspace_key_prefix.ends_with('/') {
        return Err(StoreError::Config(format!(
            "The backend \"s3\" workspace_key_prefix {workspace_key_prefix:?} must not start or end with \"/\""
        )));
    }

    let mut loader = crate::http::sdk_defaults().region(aws_config::Region::new(region));
    if let Some(p) = string(config, "profile") {
        loader = loader.profile_name(p);
    }
    match (string(config, "access_key"), string(config, "secret_key")) {
        (Some(ak), Some(sk)) => {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                ak,
                sk,
                string(config, "token"),
                None,
                "mlform-backend-block",
            ));
        }
        (None, None) => {}
        _ => {
            return Err(StoreError::Config(
                "The backend \"s3\" needs access_key and secret_key together".into(),
            ))
        }
    }
    let retries = config.get_attr("max_retries").strip_marks();
    if let Some(n) = retries
        .as_f64()
        .or_else(|| retries.as_str().and_then(|t| t.parse().ok()))
    {
        loader = loader.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(n.max(1.0) as u32),
        );
    }
    let sdk = loader.load().await;
    let endpoints = config.get_attr("endpoints").strip_marks();
    let endpoint = |svc: &str| string(&endpoints, svc);
    let mut s3 = aws_sdk_s3::config::Builder::from(&sdk);
    if let Some(url) = endpoint("s3") {
        s3 = s3.endpoint_url(url);
    }
    if flag(config, "use_path_style") || flag(config, "force_path_style") {
        s3 = s3.force_path_style(true);
    }
    if flag(config, "skip_s3_checksum") {
        s3 = s3.request_checksum_calculation(
            aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
        );
    }
    if !flag(config, "skip_credentials_validation") {
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
        if let Some(url) = endpoint("sts") {
            sts = sts.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(sts.build())
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                StoreError::Config(format!(
                    "validating the S3 backend's credentials with sts:GetCallerIdentity failed: {}; set skip_credentials_validation = true to skip this check",
                    aws_sdk_sts::error::DisplayErrorContext(&e)
                ))
            })?;
    }
    let store = S3Store {
        client: aws_sdk_s3::Client::from_conf(s3.build()),
        bucket,
        encrypt: flag(config, "encrypt"),
        kms_key_id: string(config, "kms_key_id"),
        acl: string(config, "acl"),
    };
    Ok((
        Arc::new(store),
        S3Layout {
            key,
            workspace_key_prefix,
            use_lockfile: flag(config, "use_lockfile"),
        },
    ))
}

struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    encrypt: bool,
    kms_key_id: Option<String>,
    acl: Option<String>,
}

fn api_error<E, R>(
    operation: &'static str,
    key: &str,
    e: aws_sdk_s3::error::SdkError<E, R>,
) -> StoreError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = match e.as_service_error() {
        Some(s) if s.code() == Some("NoSuchBucket") => {
            "the S3 bucket does not exist; create it first (mlform does not create its own state bucket)".to_string()
        }
        Some(s) => format!(
            "{}: {}",
            s.code().unwrap_or("error"),
            s.message().unwrap_or("no message")
        ),
        None => aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
    };
    StoreError::Api {
        operation,
        key: key.to_string(),
        message,
    }
}

impl S3Store {
    fn put_request(
        &self,
        key: &str,
        bytes: Vec<u8>,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        if let Some(kms) = &self.kms_key_id {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        } else if self.encrypt {
            put = put.server_side_encryption(ServerSideEncryption::Aes256);
        }
        if let Some(acl) = &self.acl {
            put = put.acl(acl.as_str().into());
        }
        put
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    fn locate(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(|e| StoreError::Api {
                    operation: "reading",
                    key: key.to_string(),
                    message: e.to_string(),
                })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(api_error("GetObject", key, e)),
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.put_request(key, bytes)
            .send()
            .await
            .map_err(|e| api_error("PutObject", key, e))?;
        Ok(())
    }

    async fn create(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        match self.put_request(key, bytes).if_none_match("*").send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.raw_response()
                    .is_some_and(|r| matches!(r.status().as_u16(), 409 | 412)) =>
            {
                Ok(false)
            }
            Err(e) => Err(api_error("PutObject", key, e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| api_error("DeleteObject", key, e))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| api_error("ListObjectsV2", prefix, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
        }
        keys.sort();
        Ok(keys)
    }
}
