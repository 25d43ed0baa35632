//! The built-in `local` provider (source `registry.terraform.io/hashicorp/local`):
//! `local_file` and `local_sensitive_file` write a file on the machine running mlform,
//! `data "local_file"` reads one. As in hashicorp/local, a file that was deleted or changed
//! outside mlform is gone from state at refresh, so the next plan writes it again; every
//! argument replaces the file. Paths are relative to the working directory.

use std::path::Path;
use std::sync::Arc;

use crate::table::Table;
use base64::Engine as _;
use mlform_provider::{
    plan_by_schema, Attribute, DataSource, PlanRequest, Planned, Provider, ProviderError, Resource,
    Schema, Type, Value, ValueMap,
};
use sha1::Digest as _;

/// The largest file `data "local_file"` reads: 64 MiB, as the `file` function.
const MAX_READ: u64 = 64 << 20;

/// The `local` provider.
pub struct LocalProvider;

impl LocalProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(Table {
            name: "local",
            source: "registry.terraform.io/hashicorp/local",
            resources: &["local_file", "local_sensitive_file"],
            data_sources: &["local_file"],
            resource: |t| match t {
                "local_file" => Some(Arc::new(LocalFile { sensitive: false }) as Arc<dyn Resource>),
                "local_sensitive_file" => Some(Arc::new(LocalFile { sensitive: true })),
                _ => None,
            },
            data_source: |t| {
                (t == "local_file").then(|| Arc::new(LocalFileData) as Arc<dyn DataSource>)
            },
        })
    }
}

fn io(what: &str, path: &str, e: std::io::Error) -> ProviderError {
    ProviderError::Api(format!("{what} {path}: {e}"))
}

/// The checksums hashicorp/local exposes, and `id` (the SHA-1).
fn checksums(m: &mut ValueMap, bytes: &[u8]) {
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let sha1 = sha1::Sha1::digest(bytes);
    let sha256 = sha2::Sha256::digest(bytes);
    let sha512 = sha2::Sha512::digest(bytes);
    let md5 = md5::Md5::digest(bytes);
    m.insert("id".into(), Value::string(hex(&sha1)));
    m.insert("content_md5".into(), Value::string(hex(&md5)));
    m.insert("content_sha1".into(), Value::string(hex(&sha1)));
    m.insert("content_sha256".into(), Value::string(hex(&sha256)));
    m.insert("content_base64sha256".into(), Value::string(b64(&sha256)));
    m.insert("content_sha512".into(), Value::string(hex(&sha512)));
    m.insert("content_base64sha512".into(), Value::string(b64(&sha512)));
}

const CHECKSUMS: &[&str] = &[
    "id",
    "content_md5",
    "content_sha1",
    "content_sha256",
    "content_base64sha256",
    "content_sha512",
    "content_base64sha512",
];

fn with_checksums(s: Schema) -> Schema {
    CHECKSUMS
        .iter()
        .fold(s, |s, n| s.attr(n, Attribute::computed(Type::String)))
}

struct LocalFile {
    sensitive: bool,
}

impl LocalFile {
    fn type_name(&self) -> &'static str {
        if self.sensitive {
            "local_sensitive_file"
        } else {
            "local_file"
        }
    }

    /// The bytes to write, from exactly one of the content arguments.
    fn content(&self, planned: &Value) -> Result<Vec<u8>, ProviderError> {
        let given: Vec<(&str, &Value)> =
            ["content", "sensitive_content", "content_base64", "source"]
                .into_iter()
                .map(|n| (n, planned.get_attr(n)))
                .filter(|(_, v)| !v.is_null())
                .collect();
        let [(name, v)] = given.as_slice() else {
            return Err(ProviderError::Api(
                "exactly one of content, sensitive_content, content_base64 and source must be set"
                    .into(),
            ));
        };
        let text = v.unmark().0.as_str().unwrap_or_default();
        match *name {
            "content_base64" => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| ProviderError::Api(format!("content_base64 is not base64: {e}"))),
            "source" => std::fs::read(text).map_err(|e| io("reading", text, e)),
            _ => Ok(text.as_bytes().to_vec()),
        }
    }
}

fn permissions(v: &Value, name: &str) -> Result<u32, ProviderError> {
    let text = v.get_attr(name).as_str().unwrap_or("0777");
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|p| *p <= 0o7777)
        .ok_or_else(|| ProviderError::Api(format!("{name} {text:?} is not an octal file mode")))
}

#[async_trait::async_trait]
impl Resource for LocalFile {
    fn schema(&self) -> Schema {
        let content = Attribute::optional(Type::String).force_new();
        let s = Schema::new()
            .attr("filename", Attribute::required(Type::String).force_new())
            .attr(
                "content",
                if self.sensitive {
                    content.clone().sensitive()
                } else {
                    content.clone()
                },
            )
            .attr(
                "content_base64",
                if self.sensitive {
                    content.clone().sensitive()
                } else {
                    content.clone()
                },
            )
            .attr("source", content)
            .attr(
                "file_permission",
                Attribute::optional(Type::String)
                    .force_new()
                    .default(if self.sensitive { "0700" } else { "0777" }),
            )
            .attr(
                "directory_permission",
                Attribute::optional(Type::String)
                    .force_new()
                    .default("0777"),
            );
        let s = if self.sensitive {
            s
        } else {
            s.attr(
                "sensitive_content",
                Attribute::optional(Type::String).force_new().sensitive(),
            )
        };
        with_checksums(s)
    }

    /// Gone when the file is missing or its content changed.
    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(path) = prior.get_attr("filename").as_str() else {
            return Ok(None);
        };
        let Ok(bytes) = std::fs::read(path) else {
            return Ok(None);
        };
        let sha1: String = sha1::Sha1::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((prior.get_attr("id").as_str() == Some(sha1.as_str())).then(|| prior.clone()))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        plan_by_schema(&self.schema(), request)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let bytes = self.content(planned)?;
        let path = planned
            .get_attr("filename")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let file_mode = permissions(planned, "file_permission")?;
        let dir_mode = permissions(planned, "directory_permission")?;
        if let Some(dir) = Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, dir_mode);
            builder
                .create(dir)
                .map_err(|e| io("creating the directory of", &path, e))?;
        }
        std::fs::write(&path, &bytes).map_err(|e| io("writing", &path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file_mode))
                .map_err(|e| io("setting the mode of", &path, e))?;
        }
        let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
        checksums(&mut m, &bytes);
        Ok(Value::Map(m))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        if let Some(path) = prior.get_attr("filename").as_str() {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io("deleting", path, e)),
            }
        }
        Ok(())
    }

    async fn import(&self, _id: &str) -> Result<Option<Value>, ProviderError> {
        Err(ProviderError::Api(format!(
            "{} cannot be imported (hashicorp/local does not support it either)",
            self.type_name()
        )))
    }
}

/// `data "local_file"`: a file's content, as text and base64, with its checksums.
struct LocalFileData;

#[async_trait::async_trait]
impl DataSource for LocalFileData {
    fn schema(&self) -> Schema {
        with_checksums(
            Schema::new()
                .attr("filename", Attribute::required(Type::String))
                .attr("content", Attribute::computed(Type::String))
                .attr("content_base64", Attribute::computed(Type::String)),
        )
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let path = config.get_attr("filename").as_str().unwrap_or_default();
        let size = std::fs::metadata(path)
            .map_err(|e| io("reading", path, e))?
            .len();
        if size > MAX_READ {
            return Err(ProviderError::Api(format!(
                "{path} is larger than 64 MiB, the limit on files data \"local_file\" reads"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| io("reading", path, e))?;
        let mut m: ValueMap = config.as_map().cloned().unwrap_or_default();
        m.insert(
            "content".into(),
            Value::string(String::from_utf8_lossy(&bytes).into_owned()),
        );
        m.insert(
            "content_base64".into(),
            Value::string(base64::engine::general_purpose::STANDARD.encode(&bytes)),
        );
        checksums(&mut m, &bytes);
        Ok(Value::Map(m))
    }
}
