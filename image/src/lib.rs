//! OCI images of the model server, without a container engine: [`build`] assembles the
//! server binary, ONNX Runtime, every shared library they load and optionally a model into
//! a deterministic image (same inputs, same digest); [`layout`] writes and reads it as an OCI
//! image layout (a directory or a tarball `docker load` takes); [`push`] sends it to any
//! registry over the distribution API.

pub mod build;
pub mod layout;
pub mod push;
pub mod reference;

pub use build::{build, BuildSpec};
pub use reference::Reference;

use sha2::{Digest, Sha256};

/// Media types of what mlform writes.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// Errors of building, storing and pushing images.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(String),
    #[error("{path} is not an OCI image layout mlform can read: {reason}")]
    Layout { path: String, reason: String },
    #[error("the registry {registry} refused {action}: {reason}")]
    Registry {
        registry: String,
        action: String,
        reason: String,
    },
    #[error("cannot reach the registry {registry}: {source}")]
    Http {
        registry: String,
        #[source]
        source: reqwest::Error,
    },
}

/// A content-addressed blob.
#[derive(Debug, Clone)]
pub struct Blob {
    pub media_type: &'static str,
    pub digest: String,
    pub bytes: Vec<u8>,
}

impl Blob {
    pub fn new(media_type: &'static str, bytes: Vec<u8>) -> Blob {
        Blob {
            media_type,
            digest: sha256(&bytes),
            bytes,
        }
    }

    fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({"mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len()})
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A built image: its manifest, config and layers.
#[derive(Debug, Clone)]
pub struct Image {
    pub manifest: Blob,
    pub config: Blob,
    pub layers: Vec<Blob>,
}

impl Image {
    /// The digest a registry knows the image by.
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }

    /// Assembles the manifest around a config and layers.
    pub fn assemble(config: Blob, layers: Vec<Blob>) -> Image {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": config.descriptor(),
            "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        let bytes = serde_json::to_vec(&manifest).expect("a manifest serializes");
        Image {
            manifest: Blob::new(MANIFEST_TYPE, bytes),
            config,
            layers,
        }
    }
}
