//! The built-in `mlform` provider: `mlform_serving_image`, the model server's OCI image
//! (server binary, ONNX Runtime, optionally a model) built and pushed to a registry without
//! a container engine. A resource, not a data source: pushing is a change to the world, so
//! it belongs to apply; the digest is worked out at plan time (the build is deterministic),
//! so a new binary or model shows in the plan as a new `digest` and `uri`, and everything
//! that names the image (a SageMaker model's `primary_container.image`, a Deployment) shows
//! its rollout.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlform_image::push::{docker_credentials, Credentials, RegistryClient};
use mlform_image::{BuildSpec, Image, Reference};
use mlform_provider::{
    Attribute, Configured, DataSource, NestedBlock, Nesting, PathStep, PlanRequest, Planned,
    Provider, ProviderError, ProviderSchema, Resource, Schema, Type, Value, ValueMap,
};
use sha2::{Digest, Sha256};

const SERVING_IMAGE: &str = "mlform_serving_image";

/// The `mlform` provider. Its block takes `registry_auth { address, username, password }`
/// blocks, as the Docker provider's does, so an ECR token from
/// `data.aws_ecr_authorization_token` reaches every push, refresh and delete of the run.
/// Registries without a block use the Docker config file and its credential helpers.
pub struct MlformProvider;

impl MlformProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(MlformProvider)
    }
}

fn registry_auth_schema() -> Schema {
    Schema::new()
        .attr(
            "address",
            Attribute::required(Type::String)
                .describe("The registry: HOST[:PORT], with or without https://."),
        )
        .attr("username", Attribute::required(Type::String))
        .attr("password", Attribute::required(Type::String).sensitive())
}

/// `https://HOST:PORT/` → `HOST:PORT`, as registry references name hosts.
fn registry_host(address: &str) -> String {
    let a = address
        .strip_prefix("https://")
        .or_else(|| address.strip_prefix("http://"))
        .unwrap_or(address);
    a.split('/').next().unwrap_or(a).to_ascii_lowercase()
}

#[async_trait::async_trait]
impl Provider for MlformProvider {
    fn name(&self) -> &'static str {
        "mlform"
    }

    fn source(&self) -> &'static str {
        "mlform.dev/builtin/mlform"
    }

    fn schema(&self) -> ProviderSchema {
        let mut schema = ProviderSchema {
            provider: Schema::new().block(
                "registry_auth",
                NestedBlock {
                    nesting: Nesting::List,
                    block: registry_auth_schema(),
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            ),
            ..ProviderSchema::default()
        };
        schema
            .resources
            .insert(SERVING_IMAGE.into(), ServingImage::default().schema());
        schema
    }

    async fn configure(&self, config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        let mut auths = Vec::new();
        for block in config
            .get_attr("registry_auth")
            .as_list()
            .unwrap_or_default()
        {
            let block = block.strip_marks();
            // Values from data sources are unknown while validating; the block is used once
            // they are known (plan and apply configure the provider again).
            if ["address", "username", "password"]
                .iter()
                .any(|f| block.get_attr(f).is_unknown())
            {
                continue;
            }
            let field = |name: &str| -> Result<String, ProviderError> {
                block
                    .get_attr(name)
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| {
                        ProviderError::InvalidConfig(format!(
                            "registry_auth.{name} must be set to a string"
                        ))
                    })
            };
            let host = registry_host(&field("address")?);
            if auths.iter().any(|(h, _)| h == &host) {
                return Err(ProviderError::InvalidConfig(format!(
                    "two registry_auth blocks name the registry {host}; keep one"
                )));
            }
            auths.push((
                host,
                Credentials {
                    username: field("username")?,
                    password: field("password")?,
                },
            ));
        }
        Ok(Arc::new(ConfiguredMlform {
            image: Arc::new(ServingImage { auths }),
        }))
    }
}

struct ConfiguredMlform {
    image: Arc<ServingImage>,
}

impl Configured for ConfiguredMlform {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        (type_name == SERVING_IMAGE).then(|| self.image.clone() as Arc<dyn Resource>)
    }

    fn data_source(&self, _type_name: &str) -> Option<Arc<dyn DataSource>> {
        None
    }
}

#[derive(Default)]
struct ServingImage {
    /// Credentials by registry host, from the provider's `registry_auth` blocks.
    auths: Vec<(String, Credentials)>,
}

impl ServingImage {
    /// The provider's `registry_auth` for the registry, else the Docker config's.
    fn credentials(&self, reference: &Reference) -> Result<Option<Credentials>, ProviderError> {
        let host = reference.registry.to_ascii_lowercase();
        match self.auths.iter().find(|(h, _)| *h == host) {
            Some((_, c)) => Ok(Some(c.clone())),
            None => docker_credentials(&reference.registry).map_err(err),
        }
    }

    fn client<'a>(
        &self,
        config: &Value,
        reference: &'a Reference,
    ) -> Result<RegistryClient<'a>, ProviderError> {
        let insecure = config.get_attr("insecure").as_bool().unwrap_or(false);
        RegistryClient::new(reference, self.credentials(reference)?, insecure).map_err(err)
    }
}

fn string(v: &Value, attr: &str) -> Option<String> {
    v.get_attr(attr).as_str().map(str::to_string)
}

fn err(e: mlform_image::ImageError) -> ProviderError {
    match e {
        mlform_image::ImageError::Http { .. } => ProviderError::Transient(e.to_string()),
        mlform_image::ImageError::Input(_) | mlform_image::ImageError::Read { .. } => {
            ProviderError::InvalidConfig(e.to_string())
        }
        other => ProviderError::Api(other.to_string()),
    }
}

/// What the image is built from, with the defaults filled in.
fn spec(config: &Value) -> Result<BuildSpec, ProviderError> {
    let server = match string(config, "server") {
        Some(s) => PathBuf::from(s),
        None => std::env::current_exe()
            .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?
            .with_file_name("mlform-serve"),
    };
    let ort_library = string(config, "ort_library")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from))
        .ok_or_else(|| {
            ProviderError::InvalidConfig(
                "mlform_serving_image needs ONNX Runtime's library: set ort_library or ORT_DYLIB_PATH".into(),
            )
        })?;
    for (what, p) in [("server", &server), ("ort_library", &ort_library)] {
        if !p.is_file() {
            return Err(ProviderError::InvalidConfig(format!(
                "mlform_serving_image: {what} {} does not exist{}",
                p.display(),
                if what == "server" {
                    " (build it with `cargo build --release -p mlform-serve`, or set server)"
                } else {
                    ""
                }
            )));
        }
    }
    Ok(BuildSpec {
        server,
        ort_library,
        model: string(config, "model").map(PathBuf::from),
    })
}

/// A key for the inputs as they are on disk (path, size, modification time): the digest of
/// an image is cached under it, so plans do not rebuild an unchanged image.
fn inputs_key(spec: &BuildSpec) -> Option<String> {
    let mut h = Sha256::new();
    for p in [
        Some(&spec.server),
        Some(&spec.ort_library),
        spec.model.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        let m = std::fs::metadata(p).ok()?;
        let mtime = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        h.update(format!("{}\0{}\0{mtime}\0", p.display(), m.len()).as_bytes());
    }
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    Some(format!("{:x}", h.finalize()))
}

fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/mlform/image-digests"))
}

/// The digest the image will have: from the cache, or by building it.
fn planned_digest(spec: &BuildSpec) -> Result<String, ProviderError> {
    let cached = inputs_key(spec).zip(cache_dir()).map(|(k, d)| d.join(k));
    if let Some(digest) = cached
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .filter(|d| d.starts_with("sha256:"))
    {
        return Ok(digest.trim().to_string());
    }
    let image = mlform_image::build(spec).map_err(err)?;
    if let Some(p) = cached {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&p, image.digest());
    }
    Ok(image.digest().to_string())
}

fn reference(config: &Value) -> Result<Reference, ProviderError> {
    let repository = string(config, "repository").unwrap_or_default();
    let tag = string(config, "tag").unwrap_or_else(|| "latest".into());
    Reference::parse(&format!("{repository}:{tag}"))
        .map_err(|e| ProviderError::InvalidConfig(e.to_string()))
}

fn with(planned: &Value, digest: &str, reference: &Reference) -> Value {
    let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
    let uri = reference.with_digest(digest);
    m.insert("digest".into(), Value::from(digest));
    m.insert("uri".into(), Value::from(uri.as_str()));
    m.insert("id".into(), Value::from(uri.as_str()));
    if m.get("tag").is_none_or(Value::is_null) {
        m.insert("tag".into(), Value::from(reference.tag.as_str()));
    }
    Value::Map(m)
}

async fn build_and_push(
    image_type: &ServingImage,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let spec = spec(planned)?;
    let image: Image = tokio::task::spawn_blocking(move || mlform_image::build(&spec))
        .await
        .map_err(|e| ProviderError::Api(format!("the image build stopped: {e}")))?
        .map_err(err)?;
    if let Some(want) = planned.get_attr("digest").as_str() {
        if want != image.digest() {
            return Err(ProviderError::Api(format!(
                "the image built now has digest {}, but the plan has {want}: the server, runtime or model changed since the plan; plan again",
                image.digest()
            )));
        }
    }
    let reference = reference(planned)?;
    let digest = image_type
        .client(planned, &reference)?
        .push(&image)
        .await
        .map_err(err)?;
    Ok(with(planned, &digest, &reference))
}

#[async_trait::async_trait]
impl Resource for ServingImage {
    fn schema(&self) -> Schema {
        Schema::new()
            .attr("repository", Attribute::required(Type::String).force_new().describe("Where the image goes: HOST[:PORT]/REPOSITORY (an ECR repository URL, a local registry)."))
            .attr("tag", Attribute::optional_computed(Type::String).force_new().describe("The tag pushed; default `latest`."))
            .attr("model", Attribute::optional(Type::String).describe("An ONNX model baked in under /opt/ml/model."))
            .attr("server", Attribute::optional(Type::String).describe("The mlform-serve binary; default: the one beside mlform."))
            .attr("ort_library", Attribute::optional(Type::String).describe("ONNX Runtime's library; default: $ORT_DYLIB_PATH."))
            .attr("insecure", Attribute::optional(Type::Bool).describe("Speak plain HTTP to the registry (loopback registries always are)."))
            .attr("keep_remotely", Attribute::optional(Type::Bool).default(false).describe("Leave the image in the registry on destroy."))
            .attr("digest", Attribute::computed(Type::String).describe("The manifest digest (sha256:…), known at plan."))
            .attr("uri", Attribute::computed(Type::String).describe("REPOSITORY@DIGEST: what a SageMaker model or a Deployment should run."))
            .attr("id", Attribute::computed(Type::String))
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(digest) = string(prior, "digest") else {
            return Ok(None);
        };
        let reference = reference(prior)?;
        let mut client = self.client(prior, &reference)?;
        // Gone from the registry, or the tag moved to another image: drift.
        match client.manifest_digest(&reference.tag).await.map_err(err)? {
            None => Ok(None),
            Some(d) if d == digest => Ok(Some(prior.clone())),
            Some(other) => Ok(Some(with(prior, &other, &reference))),
        }
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut config: ValueMap = request.config.as_map().cloned().unwrap_or_default();
        if config.get("keep_remotely").is_none_or(Value::is_null) {
            config.insert("keep_remotely".into(), Value::from(false));
        }
        let config = Value::Map(config);
        let reference = reference(&config)?;
        let mut requires_replace = Vec::new();
        if let Some(prior) = request.prior {
            for a in ["repository", "tag"] {
                let tag_default = a == "tag" && config.get_attr(a).is_null();
                if !tag_default && !prior.get_attr(a).same_data(config.get_attr(a)) {
                    requires_replace.push(vec![PathStep::GetAttr(a.into())]);
                }
            }
        }
        let inputs_known = ["model", "server", "ort_library"]
            .iter()
            .all(|a| !matches!(config.get_attr(a), Value::Unknown));
        let state = if inputs_known {
            let digest = planned_digest(&spec(&config)?)?;
            with(&config, &digest, &reference)
        } else {
            let mut m: ValueMap = config.as_map().cloned().unwrap_or_default();
            for a in ["digest", "uri", "id"] {
                m.insert(a.into(), Value::Unknown);
            }
            Value::Map(m)
        };
        Ok(Planned {
            state,
            requires_replace,
            replace_reason: None,
        })
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        build_and_push(self, planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        build_and_push(self, planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        if prior.get_attr("keep_remotely").as_bool() == Some(true) {
            return Ok(());
        }
        let Some(digest) = string(prior, "digest") else {
            return Ok(());
        };
        let reference = reference(prior)?;
        self.client(prior, &reference)?
            .delete_manifest(&digest)
            .await
            .map_err(err)
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        // HOST/REPOSITORY:TAG; the build inputs are the configuration's.
        let reference =
            Reference::parse(id).map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        let mut client =
            RegistryClient::new(&reference, self.credentials(&reference)?, false).map_err(err)?;
        let Some(digest) = client.manifest_digest(&reference.tag).await.map_err(err)? else {
            return Ok(None);
        };
        let repository = format!("{}/{}", reference.registry, reference.repository);
        Ok(Some(with(
            &Value::object([
                ("repository", Value::from(repository.as_str())),
                ("tag", Value::from(reference.tag.as_str())),
                ("keep_remotely", Value::from(false)),
            ]),
            &digest,
            &reference,
        )))
    }
}
