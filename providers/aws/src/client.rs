//! SDK clients built from the `provider "aws"` block: region, profile, static keys, and
//! per-service endpoint overrides (path-style S3 when an endpoint is set, as the emulator
//! and LocalStack need).

use std::collections::BTreeMap;

use mlform_provider::{ProviderError, Value};

/// The clients of one configured provider, and its default tags.
#[derive(Clone)]
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub kms: aws_sdk_kms::Client,
    pub sns: aws_sdk_sns::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub s3control: aws_sdk_s3control::Client,
    /// The S3 Control endpoint when overridden (`endpoints.s3control` or
    /// `AWS_ENDPOINT_URL`): S3 Control puts the account ID in front of its host name.
    pub s3control_endpoint: Option<String>,
    pub region: String,
    pub default_tags: BTreeMap<String, String>,
}

fn string(v: &Value, name: &str) -> Option<String> {
    v.get_attr(name).strip_marks().as_str().map(str::to_string)
}

impl Clients {
    pub async fn from_config(config: &Value) -> Result<Clients, ProviderError> {
        let mut loader = crate::http::sdk_defaults();
        if let Some(r) = string(config, "region") {
            loader = loader.region(aws_config::Region::new(r));
        }
        if let Some(p) = string(config, "profile") {
            loader = loader.profile_name(p);
        }
        match (string(config, "access_key"), string(config, "secret_key")) {
            (Some(ak), Some(sk)) => {
                let creds = aws_credential_types::Credentials::new(
                    ak,
                    sk,
                    string(config, "token"),
                    None,
                    "mlform-provider-block",
                );
                loader = loader.credentials_provider(creds);
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(ProviderError::InvalidConfig(
                    "access_key and secret_key must be set together".into(),
                ))
            }
            _ => {}
        }
        if let Some(n) = config.get_attr("max_retries").as_f64() {
            loader = loader.retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(n.max(1.0) as u32),
            );
        }
        let sdk = loader.load().await;
        let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
            ProviderError::InvalidConfig(
                "no AWS region: set region in the provider block, or AWS_REGION".into(),
            )
        })?;
        if config.get_attr("skip_region_validation").as_bool() != Some(true)
            && !crate::resources::is_known_region(&region)
        {
            return Err(ProviderError::InvalidConfig(format!(
                "invalid AWS region: {region}; hint: regions are named like \"eu-west-1\"; for a region newer than this mlform, set skip_region_validation = true"
            )));
        }
        let endpoints = config.get_attr("endpoints");
        let endpoint = |svc: &str| string(endpoints, svc);
        let mut s3 = aws_sdk_s3::config::Builder::from(&sdk);
        if let Some(url) = endpoint("s3") {
            s3 = s3.endpoint_url(url).force_path_style(true);
        }
        if config.get_attr("s3_use_path_style").as_bool() == Some(true) {
            s3 = s3.force_path_style(true);
        }
        let mut iam = aws_sdk_iam::config::Builder::from(&sdk);
        if let Some(url) = endpoint("iam") {
            iam = iam.endpoint_url(url);
        }
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
        if let Some(url) = endpoint("sts") {
            sts = sts.endpoint_url(url);
        }
        let mut sagemaker = aws_sdk_sagemaker::config::Builder::from(&sdk);
        if let Some(url) = endpoint("sagemaker") {
            sagemaker = sagemaker.endpoint_url(url);
        }
        let mut autoscaling = aws_sdk_applicationautoscaling::config::Builder::from(&sdk);
        if let Some(url) = endpoint("applicationautoscaling") {
            autoscaling = autoscaling.endpoint_url(url);
        }
        let mut cloudwatch = aws_sdk_cloudwatch::config::Builder::from(&sdk);
        if let Some(url) = endpoint("cloudwatch") {
            cloudwatch = cloudwatch.endpoint_url(url);
        }
        let mut kms = aws_sdk_kms::config::Builder::from(&sdk);
        if let Some(url) = endpoint("kms") {
            kms = kms.endpoint_url(url);
        }
        let mut sns = aws_sdk_sns::config::Builder::from(&sdk);
        if let Some(url) = endpoint("sns") {
            sns = sns.endpoint_url(url);
        }
        let mut ecr = aws_sdk_ecr::config::Builder::from(&sdk);
        if let Some(url) = endpoint("ecr") {
            ecr = ecr.endpoint_url(url);
        }
        let mut sqs = aws_sdk_sqs::config::Builder::from(&sdk);
        if let Some(url) = endpoint("sqs") {
            sqs = sqs.endpoint_url(url);
        }
        let mut lambda = aws_sdk_lambda::config::Builder::from(&sdk);
        if let Some(url) = endpoint("lambda") {
            lambda = lambda.endpoint_url(url);
        }
        let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk);
        if let Some(url) = endpoint("ec2") {
            ec2 = ec2.endpoint_url(url);
        }
        let mut s3control = aws_sdk_s3control::config::Builder::from(&sdk);
        let s3control_endpoint = endpoint("s3control").or_else(|| {
            std::env::var("AWS_ENDPOINT_URL_S3_CONTROL")
                .ok()
                .or_else(|| sdk.endpoint_url().map(str::to_string))
        });
        if let Some(url) = endpoint("s3control") {
            s3control = s3control.endpoint_url(url);
        }
        let default_tags = config
            .get_attr("default_tags")
            .get_attr("tags")
            .as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let clients = Clients {
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            sagemaker: aws_sdk_sagemaker::Client::from_conf(sagemaker.build()),
            autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(autoscaling.build()),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch.build()),
            kms: aws_sdk_kms::Client::from_conf(kms.build()),
            sns: aws_sdk_sns::Client::from_conf(sns.build()),
            ecr: aws_sdk_ecr::Client::from_conf(ecr.build()),
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            lambda: aws_sdk_lambda::Client::from_conf(lambda.build()),
            ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
            s3control: aws_sdk_s3control::Client::from_conf(s3control.build()),
            s3control_endpoint,
            region,
            default_tags,
        };
        if config.get_attr("skip_credentials_validation").as_bool() != Some(true) {
            clients.sts.get_caller_identity().send().await.map_err(|e| ProviderError::InvalidConfig(format!("validating AWS credentials with sts:GetCallerIdentity failed: {e}; set skip_credentials_validation = true to skip this check")))?;
        }
        Ok(clients)
    }

    /// These clients with every S3 request carrying `x-amz-expected-bucket-owner`, so S3
    /// refuses it (403) when the bucket belongs to another account.
    pub fn expecting_bucket_owner(&self, owner: &str) -> Clients {
        let conf = self
            .s3
            .config()
            .to_builder()
            .interceptor(ExpectedBucketOwner(owner.to_string()))
            .build();
        Clients {
            s3: aws_sdk_s3::Client::from_conf(conf),
            ..self.clone()
        }
    }

    /// `tags_all`: the provider's default tags overlaid by the resource's own.
    pub fn tags_all(&self, tags: &Value) -> Value {
        if tags.is_unknown() {
            return Value::Unknown;
        }
        let mut all: BTreeMap<String, Value> = self
            .default_tags
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        if let Some(m) = tags.as_map() {
            for (k, v) in m {
                all.insert(k.clone(), v.clone());
            }
        }
        Value::Map(all.into())
    }
}

impl Clients {
    /// The `tags` attribute seen from a live object's tags: everything but what `default_tags`
    /// put there (unless the configuration set that key itself). Null stays null when empty.
    pub fn own_tags(&self, all: &Value, prior_tags: &Value) -> Value {
        let configured = prior_tags.as_map();
        let own: BTreeMap<String, Value> = all
            .as_map()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, v)| {
                self.default_tags
                    .get(k)
                    .map(|d| v.as_str() != Some(d))
                    .unwrap_or(true)
                    || configured.is_some_and(|t| t.contains_key(k))
            })
            .collect();
        if own.is_empty() && prior_tags.is_null() {
            Value::Null
        } else {
            Value::Map(own.into())
        }
    }
}

/// What changes between two tag maps: keys to remove, and pairs to set.
pub fn tag_changes(old: &Value, new: &Value) -> (Vec<String>, Vec<(String, String)>) {
    let removed = old
        .as_map()
        .map(|m| {
            m.keys()
                .filter(|k| new.as_map().is_none_or(|n| !n.contains_key(*k)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let set = new
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    (removed, set)
}

/// Adds `x-amz-expected-bucket-owner` to each S3 request.
#[derive(Debug)]
struct ExpectedBucketOwner(String);

impl aws_sdk_s3::config::Intercept for ExpectedBucketOwner {
    fn name(&self) -> &'static str {
        "ExpectedBucketOwner"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_sdk_s3::config::RuntimeComponents,
        _: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert("x-amz-expected-bucket-owner", self.0.clone());
        Ok(())
    }
}
