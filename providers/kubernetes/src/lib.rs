//! The Kubernetes provider: the `provider "kubernetes"` block (`config_path`,
//! `config_context`, or in-cluster / `KUBECONFIG` configuration, as in Terraform's kubernetes
//! provider), `kubernetes_manifest` (server-side apply of any kind, custom resources
//! included, found through API discovery), the typed resources of [`typed`] (namespaces,
//! config maps, secrets, service accounts, deployments, services, autoscalers, RBAC,
//! quotas, limit ranges and network policies, listed in [`kinds`], with `metadata` and
//! nested blocks as lists) and the
//! `kubernetes_resource` data source. Built on kube's dynamic API, so any API server version
//! works. [`backend`] is the store of the `kubernetes` state backend.

pub mod backend;
mod fields;
mod kinds;
mod manifest;
mod shape;
mod typed;

use kube::api::{ApiResource, DynamicObject};
use kube::discovery::{ApiCapabilities, Scope};
use kube::{Api, Client};
use mlform_provider::{
    Attribute, Configured, DataSource, Provider, ProviderError, ProviderSchema, Resource, Schema,
    Type, Value,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The `kubernetes` provider (source `registry.terraform.io/hashicorp/kubernetes`).
pub struct KubernetesProvider;

impl KubernetesProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(KubernetesProvider)
    }
}

fn provider_schema() -> Schema {
    Schema::new()
        .attr(
            "config_path",
            Attribute::optional(Type::String).describe(
                "Path to a kubeconfig file; defaults to KUBECONFIG, ~/.kube/config or in-cluster.",
            ),
        )
        .attr("config_context", Attribute::optional(Type::String))
}

#[async_trait::async_trait]
impl Provider for KubernetesProvider {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn source(&self) -> &'static str {
        "registry.terraform.io/hashicorp/kubernetes"
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema {
            provider: provider_schema(),
            ..ProviderSchema::default()
        };
        s.resources
            .insert("kubernetes_manifest".into(), manifest::schema());
        for kind in kinds::KINDS {
            for name in kind.type_names {
                s.resources.insert((*name).into(), typed::schema(kind));
            }
        }
        s.data_sources
            .insert("kubernetes_resource".into(), manifest::data_schema());
        s
    }

    async fn configure(&self, config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        // kube and the AWS SDK share one rustls crypto provider: aws-lc-rs.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let path = config.get_attr("config_path").strip_marks();
        let context = config.get_attr("config_context").strip_marks();
        let options = kube::config::KubeConfigOptions {
            context: context.as_str().map(str::to_string),
            ..Default::default()
        };
        let kube_config = match path.as_str() {
            Some(p) => {
                let file = kube::config::Kubeconfig::read_from(expand_home(p)).map_err(|e| {
                    ProviderError::InvalidConfig(format!("reading kubeconfig {p}: {e}"))
                })?;
                kube::Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|e| ProviderError::InvalidConfig(format!("kubeconfig {p}: {e}")))?
            }
            None if options.context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| ProviderError::InvalidConfig(format!("kubeconfig: {e}")))?,
            None => kube::Config::infer().await.map_err(|e| {
                ProviderError::InvalidConfig(format!(
                    "no Kubernetes configuration: set config_path, KUBECONFIG, or run in a cluster ({e})"
                ))
            })?,
        };
        let client = Client::try_from(kube_config)
            .map_err(|e| ProviderError::InvalidConfig(format!("Kubernetes client: {e}")))?;
        Ok(Arc::new(KubeConfigured {
            client: Kube {
                client,
                kinds: Arc::default(),
            },
        }))
    }
}

fn expand_home(p: &str) -> std::path::PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(rest)
        }
        None => std::path::PathBuf::from(p),
    }
}

struct KubeConfigured {
    client: Kube,
}

impl Configured for KubeConfigured {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        Some(match type_name {
            "kubernetes_manifest" => Arc::new(manifest::Manifest {
                kube: self.client.clone(),
            }),
            other => {
                let kind = kinds::find(other)?;
                Arc::new(typed::Typed {
                    kind,
                    kube: self.client.clone(),
                })
            }
        })
    }

    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        match type_name {
            "kubernetes_resource" => Some(Arc::new(manifest::ResourceData {
                kube: self.client.clone(),
            })),
            _ => None,
        }
    }
}

/// A configured client and the dynamic-API helpers the resources share.
#[derive(Clone)]
pub(crate) struct Kube {
    pub client: Client,
    /// Kinds found through discovery, by (apiVersion, kind): one lookup per kind and run.
    /// Only successes are kept, so a CRD created during the run is found once it exists.
    kinds: Arc<Mutex<HashMap<(String, String), (ApiResource, ApiCapabilities)>>>,
}

/// An object's identity: what `apiVersion`, `kind`, `metadata.namespace/name` say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Identity {
    pub fn of(manifest: &serde_json::Value) -> Result<Identity, ProviderError> {
        let get = |p: &str| {
            manifest
                .pointer(p)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let missing =
            |what: &str| ProviderError::InvalidConfig(format!("the manifest needs {what}"));
        Ok(Identity {
            api_version: get("/apiVersion").ok_or_else(|| missing("apiVersion"))?,
            kind: get("/kind").ok_or_else(|| missing("kind"))?,
            namespace: get("/metadata/namespace"),
            name: get("/metadata/name").ok_or_else(|| missing("metadata.name"))?,
        })
    }

    /// `apiVersion=v1,kind=ConfigMap,namespace=ns,name=x` (the import ID format).
    pub fn parse_import_id(id: &str) -> Result<Identity, ProviderError> {
        let mut api_version = None;
        let mut kind = None;
        let mut namespace = None;
        let mut name = None;
        for part in id.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                ProviderError::InvalidConfig(format!(
                    "import ID {id:?} is not of the form apiVersion=...,kind=...,namespace=...,name=..."
                ))
            })?;
            let v = v.trim().to_string();
            match k.trim() {
                "apiVersion" => api_version = Some(v),
                "kind" => kind = Some(v),
                "namespace" => namespace = Some(v),
                "name" => name = Some(v),
                other => {
                    return Err(ProviderError::InvalidConfig(format!(
                        "unknown key {other:?} in import ID {id:?}"
                    )))
                }
            }
        }
        let need = |v: Option<String>, what: &str| {
            v.ok_or_else(|| ProviderError::InvalidConfig(format!("import ID {id:?} lacks {what}")))
        };
        Ok(Identity {
            api_version: need(api_version, "apiVersion")?,
            kind: need(kind, "kind")?,
            namespace,
            name: need(name, "name")?,
        })
    }

    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!(
                "apiVersion={},kind={},namespace={ns},name={}",
                self.api_version, self.kind, self.name
            ),
            None => format!(
                "apiVersion={},kind={},name={}",
                self.api_version, self.kind, self.name
            ),
        }
    }
}

impl Kube {
    /// Whether discovery has already found this kind at this version.
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.kinds
            .lock()
            .expect("kinds")
            .contains_key(&(api_version.to_string(), kind.to_string()))
    }

    /// Finds the kind through API discovery (custom resources included) and returns the API
    /// for the object, namespaced when the kind is (the namespace defaults to `default`).
    pub async fn api(
        &self,
        id: &Identity,
    ) -> Result<(Api<DynamicObject>, ApiResource, ApiCapabilities), ProviderError> {
        let key = (id.api_version.clone(), id.kind.clone());
        let known = self.kinds.lock().expect("kinds").get(&key).cloned();
        let (ar, caps) = match known {
            Some(found) => found,
            None => {
                let (group, version) = match id.api_version.split_once('/') {
                    Some((g, v)) => (g.to_string(), v.to_string()),
                    None => (String::new(), id.api_version.clone()),
                };
                let gvk = kube::api::GroupVersionKind::gvk(&group, &version, &id.kind);
                let found = kube::discovery::pinned_kind(&self.client, &gvk)
                    .await
                    .map_err(|e| {
                        // No such group version, or the group version without this kind.
                        let missing = matches!(&e, kube::Error::Api(s) if s.code == 404)
                            || matches!(
                                &e,
                                kube::Error::Discovery(
                                    kube::error::DiscoveryError::MissingKind(_)
                                )
                            );
                        if missing {
                            ProviderError::InvalidConfig(format!(
                                "the API server has no kind {} in {}: is its CustomResourceDefinition installed?",
                                id.kind, id.api_version
                            ))
                        } else {
                            classify("discover", &e)
                        }
                    })?;
                self.kinds.lock().expect("kinds").insert(key, found.clone());
                found
            }
        };
        let api = match caps.scope {
            Scope::Namespaced => Api::namespaced_with(
                self.client.clone(),
                id.namespace.as_deref().unwrap_or("default"),
                &ar,
            ),
            Scope::Cluster => Api::all_with(self.client.clone(), &ar),
        };
        Ok((api, ar, caps))
    }
}

/// Maps kube errors onto the provider contract.
pub(crate) fn classify(what: &str, e: &kube::Error) -> ProviderError {
    match e {
        kube::Error::Api(s) => {
            let text = format!("{what}: {} ({}, HTTP {})", s.message, s.reason, s.code);
            match s.code {
                401 | 403 => ProviderError::PermissionDenied(format!(
                    "{text}; grant the caller's role this verb on the resource"
                )),
                429 | 500..=599 => ProviderError::Transient(text),
                _ => ProviderError::Api(text),
            }
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            ProviderError::Transient(format!("{what}: {e}"))
        }
        _ => ProviderError::Api(format!("{what}: {e}")),
    }
}

pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
