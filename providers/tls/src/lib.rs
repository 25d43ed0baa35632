//! The built-in `tls` provider (source `registry.terraform.io/hashicorp/tls`):
//! `tls_private_key`, `tls_self_signed_cert`, `tls_cert_request` and
//! `tls_locally_signed_cert`, with hashicorp/tls's attributes and encodings, and
//! `data "tls_certificate"`, which reads a TLS endpoint's chain. What the resources make is
//! made on this machine and lives in state (private keys as sensitive values). Its own crate, so the engine does not rebuild with the crypto
//! crates.

mod cert;
mod certificate_data;
mod key;

use std::sync::Arc;

use mlform_provider::{
    Configured, DataSource, Provider, ProviderError, ProviderSchema, Resource, Value,
};

const RESOURCES: &[&str] = &[
    "tls_private_key",
    "tls_self_signed_cert",
    "tls_cert_request",
    "tls_locally_signed_cert",
];

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidConfig(message.into())
}

/// The `tls` provider.
#[derive(Clone, Copy)]
pub struct TlsProvider;

impl TlsProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(TlsProvider)
    }
}

#[async_trait::async_trait]
impl Provider for TlsProvider {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn source(&self) -> &'static str {
        "registry.terraform.io/hashicorp/tls"
    }

    fn schema(&self) -> ProviderSchema {
        let mut schema = ProviderSchema::default();
        for t in RESOURCES {
            if let Some(r) = self.resource(t) {
                schema.resources.insert(t.to_string(), r.schema());
            }
        }
        if let Some(d) = self.data_source("tls_certificate") {
            schema
                .data_sources
                .insert("tls_certificate".to_string(), d.schema());
        }
        schema
    }

    async fn configure(&self, _config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        Ok(Arc::new(*self))
    }
}

impl Configured for TlsProvider {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        Some(match type_name {
            "tls_private_key" => Arc::new(key::PrivateKey) as Arc<dyn Resource>,
            "tls_self_signed_cert" => Arc::new(cert::Certificate(cert::Kind::SelfSigned)),
            "tls_cert_request" => Arc::new(cert::Certificate(cert::Kind::Request)),
            "tls_locally_signed_cert" => Arc::new(cert::Certificate(cert::Kind::LocallySigned)),
            _ => return None,
        })
    }

    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        match type_name {
            "tls_certificate" => Some(Arc::new(certificate_data::CertificateData)),
            _ => None,
        }
    }
}
