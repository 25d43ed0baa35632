//! The `kubernetes` state backend's object store, laid out as Terraform's kubernetes
//! backend: each workspace's state in a Secret `tfstate-WORKSPACE-SUFFIX` (data key
//! `tfstate`, gzip-compressed, labelled `tfstate=true`, `tfstateSecretSuffix`,
//! `tfstateWorkspace`), its lock in a Lease `lock-tfstate-WORKSPACE-SUFFIX` whose
//! `holderIdentity` is the lock ID and whose `lockInfo` annotation holds the lock
//! information. Journal segments are Secrets of their own, labelled with the state they
//! belong to, so Terraform does not list them as workspaces.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::api::{DeleteParams, ListParams, ObjectMeta, PostParams};
use kube::{Api, Client};
use mlform_provider::{ObjectStore, StoreError, Value};

/// The backend block's arguments.
pub const ARGUMENTS: &[&str] = &[
    "secret_suffix",
    "namespace",
    "labels",
    "in_cluster_config",
    "config_path",
    "config_paths",
    "config_context",
    "host",
    "token",
    "insecure",
    "cluster_ca_certificate",
    "client_certificate",
    "client_key",
];

/// Arguments Terraform takes that mlform refuses, and why.
pub const REFUSED: &[(&str, &str)] = &[
    ("exec", "exec credential plugins are not implemented for the backend; use config_path with a kubeconfig that has them, or token"),
    ("config_context_auth_info", "select a context with config_context instead"),
    ("config_context_cluster", "select a context with config_context instead"),
    ("username", "basic authentication is not supported by Kubernetes 1.19+; use token or client certificates"),
    ("password", "basic authentication is not supported by Kubernetes 1.19+; use token or client certificates"),
];

/// Kubernetes refuses Secrets larger than 1 MiB.
pub const MAX_SECRET_BYTES: usize = 1 << 20;
const LOCK_SUFFIX: &str = ".tflock";
const JOURNAL_MARK: &str = ".journal/";
const KEY_ANNOTATION: &str = "mlform.io/object-key";
const JOURNAL_LABEL: &str = "mlform.io/journal-of";

/// Where the backend's workspaces are: `tfstate-NAME-SUFFIX`.
pub struct KubernetesLayout {
    pub secret_suffix: String,
}

impl KubernetesLayout {
    pub fn key(&self, workspace: &str) -> String {
        format!("tfstate-{workspace}-{}", self.secret_suffix)
    }

    pub fn workspace_of<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.strip_prefix("tfstate-")?
            .strip_suffix(&format!("-{}", self.secret_suffix))
            .filter(|w| !w.is_empty())
    }
}

fn string(config: &Value, name: &str) -> Option<String> {
    config
        .get_attr(name)
        .strip_marks()
        .as_str()
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn flag(config: &Value, name: &str) -> bool {
    match config.get_attr(name).strip_marks() {
        Value::Bool(b) => b,
        Value::String(s) => s == "true",
        _ => false,
    }
}

fn config_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("The backend \"kubernetes\": {e}"))
}

async fn client(config: &Value) -> Result<Client, StoreError> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let options = kube::config::KubeConfigOptions {
        context: string(config, "config_context"),
        ..Default::default()
    };
    let path = string(config, "config_path")
        .or_else(|| {
            config
                .get_attr("config_paths")
                .strip_marks()
                .as_list()
                .and_then(|l| l.first().and_then(|v| v.as_str().map(str::to_string)))
        })
        .or_else(|| {
            std::env::var("KUBE_CONFIG_PATH")
                .ok()
                .filter(|s| !s.is_empty())
        });
    let mut kube_config = if flag(config, "in_cluster_config") {
        kube::Config::incluster().map_err(config_err)?
    } else if let Some(p) = path {
        let expanded = match p.strip_prefix("~/") {
            Some(rest) => {
                std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(rest)
            }
            None => std::path::PathBuf::from(&p),
        };
        let file = kube::config::Kubeconfig::read_from(&expanded)
            .map_err(|e| config_err(format!("reading the kubeconfig {p}: {e}")))?;
        kube::Config::from_custom_kubeconfig(file, &options)
            .await
            .map_err(|e| config_err(format!("the kubeconfig {p}: {e}")))?
    } else if let Some(host) = string(config, "host") {
        let uri = host
            .parse()
            .map_err(|e| config_err(format!("host {host:?}: {e}")))?;
        kube::Config::new(uri)
    } else {
        return Err(config_err(
            "set config_path (or KUBE_CONFIG_PATH), host, or in_cluster_config = true",
        ));
    };
    if let Some(host) = string(config, "host") {
        kube_config.cluster_url = host
            .parse()
            .map_err(|e| config_err(format!("host {host:?}: {e}")))?;
    }
    if let Some(token) = string(config, "token") {
        kube_config.auth_info.token = Some(token.into());
    }
    if let Some(ca) = string(config, "cluster_ca_certificate") {
        kube_config.root_cert = Some(pem_certs(&ca)?);
    }
    if let (Some(cert), Some(key)) = (
        string(config, "client_certificate"),
        string(config, "client_key"),
    ) {
        kube_config.auth_info.client_certificate_data = Some(base64_std(cert.as_bytes()));
        kube_config.auth_info.client_key_data = Some(base64_std(key.as_bytes()).into());
    }
    if flag(config, "insecure") {
        kube_config.accept_invalid_certs = true;
    }
    Client::try_from(kube_config).map_err(|e| config_err(format!("client: {e}")))
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The DER certificates of a PEM bundle.
fn pem_certs(pem: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in pem.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN CERTIFICATE") {
            current = Some(String::new());
        } else if line.starts_with("-----END CERTIFICATE") {
            if let Some(b64) = current.take() {
                out.push(decode_base64(&b64).ok_or_else(|| {
                    config_err("cluster_ca_certificate is not a valid PEM certificate")
                })?);
            }
        } else if let Some(c) = current.as_mut() {
            c.push_str(line);
        }
    }
    if out.is_empty() {
        return Err(config_err(
            "cluster_ca_certificate holds no PEM certificate",
        ));
    }
    Ok(out)
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Builds the store and layout of a `backend "kubernetes"` block.
pub async fn kubernetes_store(
    config: &Value,
) -> Result<(Arc<dyn ObjectStore>, KubernetesLayout), StoreError> {
    let suffix = string(config, "secret_suffix").ok_or_else(|| {
        StoreError::Config("The backend \"kubernetes\" needs the argument \"secret_suffix\"; set it in the backend block or with -backend-config=\"secret_suffix=...\"".into())
    })?;
    if !suffix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(config_err(format!(
            "secret_suffix {suffix:?} must be lowercase letters, digits, '-' or '.' (it is part of a Secret name)"
        )));
    }
    let namespace = string(config, "namespace")
        .or_else(|| {
            std::env::var("KUBE_NAMESPACE")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "default".into());
    let mut labels = BTreeMap::new();
    if let Some(m) = config.get_attr("labels").strip_marks().as_map() {
        for (k, v) in m.iter() {
            if let Some(v) = v.as_str() {
                labels.insert(k.clone(), v.to_string());
            }
        }
    }
    let client = client(config).await?;
    let layout = KubernetesLayout {
        secret_suffix: suffix.clone(),
    };
    Ok((
        Arc::new(KubernetesStore {
            secrets: Api::namespaced(client.clone(), &namespace),
            leases: Api::namespaced(client, &namespace),
            namespace,
            suffix,
            labels,
        }),
        layout,
    ))
}

struct KubernetesStore {
    secrets: Api<Secret>,
    leases: Api<Lease>,
    namespace: String,
    suffix: String,
    labels: BTreeMap<String, String>,
}

fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

fn api_err(operation: &'static str, key: &str, e: kube::Error) -> StoreError {
    StoreError::Api {
        operation,
        key: key.to_string(),
        message: e.to_string(),
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

fn gunzip(bytes: &[u8], key: &str) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(256 << 20)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Api {
            operation: "reading",
            key: key.to_string(),
            message: format!("the tfstate data is not gzip-compressed: {e}"),
        })?;
    Ok(out)
}

impl KubernetesStore {
    /// The Secret name of a state or journal key (`/` is not allowed in names).
    fn secret_name(key: &str) -> String {
        key.replace(JOURNAL_MARK, "-journal-").replace('/', "-")
    }

    fn state_of_journal(key: &str) -> Option<&str> {
        key.split_once(JOURNAL_MARK).map(|(s, _)| s)
    }

    fn secret(&self, key: &str, bytes: &[u8]) -> Result<Secret, StoreError> {
        let data = gzip(bytes);
        if data.len() > MAX_SECRET_BYTES {
            return Err(StoreError::Api {
                operation: "writing",
                key: key.to_string(),
                message: format!(
                    "the compressed state is {} KiB, over Kubernetes' limit of 1 MiB for a Secret",
                    data.len() >> 10
                ),
            });
        }
        let mut labels = self.labels.clone();
        let mut annotations = BTreeMap::new();
        match Self::state_of_journal(key) {
            Some(state) => {
                labels.insert(JOURNAL_LABEL.into(), state.to_string());
                annotations.insert(KEY_ANNOTATION.into(), key.to_string());
            }
            None => {
                labels.insert("tfstate".into(), "true".into());
                labels.insert("tfstateSecretSuffix".into(), self.suffix.clone());
                let workspace = KubernetesLayout {
                    secret_suffix: self.suffix.clone(),
                }
                .workspace_of(key)
                .unwrap_or_default()
                .to_string();
                labels.insert("tfstateWorkspace".into(), workspace);
                labels.insert("app.kubernetes.io/managed-by".into(), "terraform".into());
            }
        }
        Ok(Secret {
            metadata: ObjectMeta {
                name: Some(Self::secret_name(key)),
                namespace: Some(self.namespace.clone()),
                labels: Some(labels),
                annotations: Some(annotations).filter(|a| !a.is_empty()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([("tfstate".to_string(), ByteString(data))])),
            type_: Some("Opaque".into()),
            ..Default::default()
        })
    }

    fn lease_name(key: &str) -> String {
        format!("lock-{}", key.trim_end_matches(LOCK_SUFFIX))
    }

    async fn lock_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.leases.get_opt(&Self::lease_name(key)).await {
            Ok(Some(lease)) => {
                let held = lease
                    .spec
                    .as_ref()
                    .and_then(|s| s.holder_identity.as_ref())
                    .is_some_and(|h| !h.is_empty());
                Ok(held.then(|| {
                    lease
                        .metadata
                        .annotations
                        .and_then(|a| a.get("lockInfo").cloned())
                        .unwrap_or_else(|| "{}".into())
                        .into_bytes()
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(api_err("reading", key, e)),
        }
    }

    async fn lock_create(&self, key: &str, info: Vec<u8>) -> Result<bool, StoreError> {
        let id = serde_json::from_slice::<serde_json::Value>(&info)
            .ok()
            .and_then(|v| v.get("ID").and_then(|i| i.as_str()).map(str::to_string))
            .unwrap_or_default();
        let info = String::from_utf8_lossy(&info).to_string();
        let name = Self::lease_name(key);
        let held = |mut lease: Lease| {
            let spec = lease.spec.get_or_insert_with(Default::default);
            spec.holder_identity = Some(id.clone());
            lease
                .metadata
                .annotations
                .get_or_insert_with(Default::default)
                .insert("lockInfo".into(), info.clone());
            lease
        };
        let fresh = held(Lease {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(self.namespace.clone()),
                labels: Some(self.labels.clone()).filter(|l| !l.is_empty()),
                ..Default::default()
            },
            ..Default::default()
        });
        match self.leases.create(&PostParams::default(), &fresh).await {
            Ok(_) => return Ok(true),
            Err(e) if is_status(&e, 409) => {}
            Err(e) => return Err(api_err("locking", key, e)),
        }
        // The Lease exists (Terraform keeps it after unlocking): take it only when free,
        // with its resourceVersion so that two takers cannot both win.
        let Some(existing) = self
            .leases
            .get_opt(&name)
            .await
            .map_err(|e| api_err("locking", key, e))?
        else {
            return Ok(false);
        };
        if existing
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.as_ref())
            .is_some_and(|h| !h.is_empty())
        {
            return Ok(false);
        }
        match self
            .leases
            .replace(&name, &PostParams::default(), &held(existing))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_status(&e, 409) => Ok(false),
            Err(e) => Err(api_err("locking", key, e)),
        }
    }

    async fn lock_delete(&self, key: &str) -> Result<(), StoreError> {
        let name = Self::lease_name(key);
        let Some(mut lease) = self
            .leases
            .get_opt(&name)
            .await
            .map_err(|e| api_err("unlocking", key, e))?
        else {
            return Ok(());
        };
        if let Some(spec) = lease.spec.as_mut() {
            spec.holder_identity = None;
        }
        if let Some(a) = lease.metadata.annotations.as_mut() {
            a.remove("lockInfo");
        }
        self.leases
            .replace(&name, &PostParams::default(), &lease)
            .await
            .map_err(|e| api_err("unlocking", key, e))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ObjectStore for KubernetesStore {
    fn locate(&self, key: &str) -> String {
        if key.ends_with(LOCK_SUFFIX) {
            format!("lease {}/{}", self.namespace, Self::lease_name(key))
        } else {
            format!("secret {}/{}", self.namespace, Self::secret_name(key))
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if key.ends_with(LOCK_SUFFIX) {
            return self.lock_get(key).await;
        }
        match self.secrets.get_opt(&Self::secret_name(key)).await {
            Ok(Some(secret)) => match secret.data.and_then(|d| d.get("tfstate").cloned()) {
                Some(data) => Ok(Some(gunzip(&data.0, key)?)),
                None => Ok(None),
            },
            Ok(None) => Ok(None),
            Err(e) => Err(api_err("reading", key, e)),
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let secret = self.secret(key, &bytes)?;
        let name = Self::secret_name(key);
        for _ in 0..5 {
            match self.secrets.create(&PostParams::default(), &secret).await {
                Ok(_) => return Ok(()),
                Err(e) if is_status(&e, 409) => {}
                Err(e) => return Err(api_err("writing", key, e)),
            }
            let Some(existing) = self
                .secrets
                .get_opt(&name)
                .await
                .map_err(|e| api_err("writing", key, e))?
            else {
                continue;
            };
            let mut updated = secret.clone();
            updated.metadata.resource_version = existing.metadata.resource_version;
            match self
                .secrets
                .replace(&name, &PostParams::default(), &updated)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if is_status(&e, 409) || is_status(&e, 404) => continue,
                Err(e) => return Err(api_err("writing", key, e)),
            }
        }
        Err(StoreError::Api {
            operation: "writing",
            key: key.to_string(),
            message: "the Secret kept changing under the write (5 attempts)".into(),
        })
    }

    async fn create(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        if key.ends_with(LOCK_SUFFIX) {
            return self.lock_create(key, bytes).await;
        }
        let secret = self.secret(key, &bytes)?;
        match self.secrets.create(&PostParams::default(), &secret).await {
            Ok(_) => Ok(true),
            Err(e) if is_status(&e, 409) => Ok(false),
            Err(e) => Err(api_err("creating", key, e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        if key.ends_with(LOCK_SUFFIX) {
            return self.lock_delete(key).await;
        }
        match self
            .secrets
            .delete(&Self::secret_name(key), &DeleteParams::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(e) => Err(api_err("deleting", key, e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let (selector, journal) = match Self::state_of_journal(prefix) {
            Some(state) => (format!("{JOURNAL_LABEL}={state}"), true),
            None => (
                format!("tfstate=true,tfstateSecretSuffix={}", self.suffix),
                false,
            ),
        };
        let mut keys = Vec::new();
        let mut params = ListParams::default().labels(&selector).limit(500);
        loop {
            let page = self
                .secrets
                .list(&params)
                .await
                .map_err(|e| api_err("listing", prefix, e))?;
            for s in &page.items {
                let key = if journal {
                    s.metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(KEY_ANNOTATION).cloned())
                } else {
                    s.metadata.name.clone()
                };
                if let Some(k) = key.filter(|k| k.starts_with(prefix)) {
                    keys.push(k);
                }
            }
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(c) => params = params.continue_token(&c),
                None => break,
            }
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_terraform() {
        let layout = KubernetesLayout {
            secret_suffix: "ml-platform".into(),
        };
        assert_eq!(layout.key("default"), "tfstate-default-ml-platform");
        assert_eq!(
            layout.workspace_of("tfstate-team-a-ml-platform"),
            Some("team-a")
        );
        assert_eq!(
            KubernetesStore::lease_name("tfstate-default-ml-platform.tflock"),
            "lock-tfstate-default-ml-platform"
        );
        assert_eq!(
            KubernetesStore::secret_name(
                "tfstate-default-s.journal/000000000003-ab12cd34/00000001"
            ),
            "tfstate-default-s-journal-000000000003-ab12cd34-00000001"
        );
        let b64 = base64_std(b"hello, world");
        assert_eq!(decode_base64(&b64).unwrap(), b"hello, world");
    }
}
