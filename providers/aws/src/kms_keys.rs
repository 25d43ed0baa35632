//! The `aws_kms` key provider of state and plan encryption, as OpenTofu's: KMS
//! `GenerateDataKey` (key spec AES_256) makes each data key and `Decrypt` unwraps it; only
//! the wrapped key (`ciphertext_blob`) is stored with the sealed object.

use mlform_provider::{KeyService, Value};

use crate::backend::string;

/// The key provider's arguments.
pub const ARGUMENTS: &[&str] = &[
    "kms_key_id",
    "key_spec",
    "region",
    "profile",
    "access_key",
    "secret_key",
    "token",
    "endpoints",
];

/// A configured `key_provider "aws_kms"`.
pub struct KmsKeys {
    key_id: String,
    region: String,
    profile: Option<String>,
    static_keys: Option<(String, String, Option<String>)>,
    endpoint: Option<String>,
}

impl KmsKeys {
    /// Checks the arguments; the first KMS call happens only when a key is needed.
    pub fn new(config: &Value) -> Result<KmsKeys, String> {
        if let Some(m) = config.as_map() {
            if let Some(k) = m.keys().find(|k| !ARGUMENTS.contains(&k.as_str())) {
                return Err(format!("unknown argument \"{k}\""));
            }
        }
        let key_id =
            string(config, "kms_key_id").ok_or("needs kms_key_id (a key ID, ARN or alias/NAME)")?;
        match string(config, "key_spec").as_deref() {
            Some("AES_256") => {}
            Some(other) => {
                return Err(format!(
                    "key_spec {other:?} must be AES_256 (aes_gcm takes 256-bit keys)"
                ))
            }
            None => return Err("needs key_spec = \"AES_256\"".into()),
        }
        let region = string(config, "region")
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .ok_or("needs a region: set region, or AWS_REGION")?;
        let static_keys = match (string(config, "access_key"), string(config, "secret_key")) {
            (Some(a), Some(s)) => Some((a, s, string(config, "token"))),
            (None, None) => None,
            _ => return Err("needs access_key and secret_key together".into()),
        };
        Ok(KmsKeys {
            key_id,
            region,
            profile: string(config, "profile"),
            static_keys,
            endpoint: string(&config.get_attr("endpoints").strip_marks(), "kms"),
        })
    }

    async fn client(&self) -> aws_sdk_kms::Client {
        let mut loader =
            crate::http::sdk_defaults().region(aws_config::Region::new(self.region.clone()));
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        if let Some((a, s, t)) = &self.static_keys {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                a,
                s,
                t.clone(),
                None,
                "mlform-key-provider",
            ));
        }
        let sdk = loader.load().await;
        let mut conf = aws_sdk_kms::config::Builder::from(&sdk);
        if let Some(url) = &self.endpoint {
            conf = conf.endpoint_url(url);
        }
        aws_sdk_kms::Client::from_conf(conf.build())
    }
}

fn key_of(bytes: &[u8], what: &str) -> Result<[u8; 32], String> {
    bytes
        .try_into()
        .map_err(|_| format!("KMS {what} returned a {}-byte key, not 32", bytes.len()))
}

#[async_trait::async_trait]
impl KeyService for KmsKeys {
    fn describe(&self) -> String {
        format!("KMS key {}", self.key_id)
    }

    async fn generate(&self) -> Result<([u8; 32], Vec<u8>), String> {
        let out = self
            .client()
            .await
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "kms:GenerateDataKey with {}: {}",
                    self.key_id,
                    aws_sdk_kms::error::DisplayErrorContext(&e)
                )
            })?;
        let plain = out
            .plaintext()
            .ok_or("kms:GenerateDataKey returned no key")?;
        let wrapped = out
            .ciphertext_blob()
            .ok_or("kms:GenerateDataKey returned no ciphertext")?;
        Ok((
            key_of(plain.as_ref(), "GenerateDataKey")?,
            wrapped.as_ref().to_vec(),
        ))
    }

    async fn unwrap(&self, wrapped: &[u8]) -> Result<[u8; 32], String> {
        let out = self
            .client()
            .await
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(wrapped.to_vec()))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "kms:Decrypt with {}: {}",
                    self.key_id,
                    aws_sdk_kms::error::DisplayErrorContext(&e)
                )
            })?;
        let plain = out.plaintext().ok_or("kms:Decrypt returned no key")?;
        key_of(plain.as_ref(), "Decrypt")
    }
}
