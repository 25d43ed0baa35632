//! Which backend and workspace a command uses. `init` merges the backend block with
//! `-backend-config` and saves the result in `.mlform/backend.json`; later commands use the
//! saved settings and refuse to run when the block changed since ("Backend initialization
//! required"), as Terraform does. The selected workspace is in `.mlform/environment`
//! unless `TF_WORKSPACE` names one. Stores are built here for each backend type, and
//! `terraform_remote_state` reads other configurations' outputs through the same path.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::structure::Structure;
use mlform_provider::{ProviderError, Value};
use serde::{Deserialize, Serialize};

use super::{CliError, Ctx, StateArgs};
use crate::config::{BackendBlock, EncryptionBlock, Module};
use crate::diag::{Diagnostic, Sources};
use crate::state::backend::{Backend, RemoteLayout, StateLock, Workspaces, DEFAULT_WORKSPACE};
use crate::state::encryption::Encryption;
use crate::state::local::LocalBackend;

const SETTINGS_DIR: &str = ".mlform";

/// Arguments of `backend "local"`.
const LOCAL_ARGUMENTS: &[&str] = &["path", "workspace_dir"];

/// What `init` saved: the backend type, its merged arguments, and the block's own
/// arguments (to notice when the configuration changes).
#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub struct Settings {
    #[serde(rename = "type")]
    pub kind: String,
    pub config: serde_json::Value,
    pub file_config: serde_json::Value,
}

fn settings_path(dir: &Path) -> PathBuf {
    dir.join(SETTINGS_DIR).join("backend.json")
}

fn environment_path(dir: &Path) -> PathBuf {
    dir.join(SETTINGS_DIR).join("environment")
}

pub fn saved_settings(dir: &Path) -> Result<Option<Settings>, CliError> {
    let path = settings_path(dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            CliError::Message(format!(
                "{} is not valid backend settings ({e}); run mlform init -reconfigure",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Message(format!(
            "reading {}: {e}",
            path.display()
        ))),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::Message(format!("writing {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::rename(&tmp, path).map_err(fail)
}

pub fn save_settings(dir: &Path, settings: Option<&Settings>) -> Result<(), CliError> {
    let path = settings_path(dir);
    match settings {
        Some(s) => write_private(
            &path,
            &serde_json::to_vec_pretty(s).expect("settings serialize"),
        ),
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::Message(format!(
                "removing {}: {e}",
                path.display()
            ))),
            _ => Ok(()),
        },
    }
}

/// The selected workspace: `TF_WORKSPACE`, else `.mlform/environment`, else "default".
pub fn current_workspace(dir: &Path) -> String {
    if let Ok(ws) = std::env::var("TF_WORKSPACE") {
        if !ws.is_empty() {
            return ws;
        }
    }
    std::fs::read_to_string(environment_path(dir))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_string())
}

pub fn select_workspace(dir: &Path, name: &str) -> Result<(), CliError> {
    if std::env::var("TF_WORKSPACE").is_ok_and(|w| !w.is_empty()) {
        return Err(CliError::Message(format!(
            "The selected workspace is currently overridden using the TF_WORKSPACE\nenvironment variable.\n\nTo select a new workspace, either update this environment variable or unset\nit and then run this command again. (Asked to select {name:?}.)"
        )));
    }
    write_private(&environment_path(dir), name.as_bytes())
}

/// The block's arguments as one object value.
pub fn block_config(block: &BackendBlock) -> Value {
    Value::object(
        block
            .arguments
            .iter()
            .map(|a| (a.name.clone(), a.value.clone())),
    )
}

/// Unknown and refused arguments, at their location.
pub fn check_block(block: &BackendBlock) -> Vec<Diagnostic> {
    let known: &[&str] = match block.kind.as_str() {
        "local" => LOCAL_ARGUMENTS,
        "s3" => mlform_provider_aws::backend::ARGUMENTS,
        "kubernetes" => mlform_provider_kubernetes::backend::ARGUMENTS,
        other => {
            return vec![Diagnostic::error(
                "Unsupported backend type",
                format!("mlform does not support the backend \"{other}\"."),
            )
            .at(block.span.clone())
            .hint("mlform stores state with the \"local\", \"s3\" and \"kubernetes\" backends.")]
        }
    };
    let refused: &[(&str, &str)] = match block.kind.as_str() {
        "s3" => mlform_provider_aws::backend::REFUSED,
        "kubernetes" => mlform_provider_kubernetes::backend::REFUSED,
        _ => &[],
    };
    let mut diags = Vec::new();
    for arg in &block.arguments {
        if let Some((_, why)) = refused.iter().find(|(n, _)| *n == arg.name) {
            diags.push(
                Diagnostic::error(
                    "Unsupported backend argument",
                    format!(
                        "The argument \"{}\" of the {} backend is not supported by mlform.",
                        arg.name, block.kind
                    ),
                )
                .at(arg.span.clone())
                .hint(*why),
            );
        } else if !known.contains(&arg.name.as_str()) {
            let d = Diagnostic::error(
                "Unsupported argument",
                format!(
                    "An argument named \"{}\" is not expected in a {} backend block.",
                    arg.name, block.kind
                ),
            )
            .at(arg.span.clone());
            diags.push(
                match crate::diag::did_you_mean(&arg.name, known.iter().copied()) {
                    Some(h) => d.hint(h),
                    None => d,
                },
            );
        }
    }
    diags
}

/// `-backend-config` values: `KEY=VALUE` pairs, or files of `key = value` lines.
pub fn backend_config_args(dir: &Path, args: &[String]) -> Result<Vec<(String, Value)>, CliError> {
    let mut out = Vec::new();
    for arg in args {
        let path = dir.join(arg);
        if path.is_file() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::Message(format!("reading {}: {e}", path.display())))?;
            let body = hcl_edit::parser::parse_body(&text).map_err(|e| {
                CliError::Message(format!(
                    "{} is not a valid backend configuration file: {e}",
                    path.display()
                ))
            })?;
            for s in body.iter() {
                match s {
                    Structure::Attribute(a) => {
                        let v = crate::eval::expr::eval_constant(&a.value).map_err(|e| {
                            CliError::Message(format!("{}: {}: {e}", path.display(), a.key.as_str()))
                        })?;
                        out.push((a.key.as_str().to_string(), v));
                    }
                    Structure::Block(b) => {
                        return Err(CliError::Message(format!(
                            "{}: blocks (\"{}\") are not expected in a backend configuration file; write attributes",
                            path.display(),
                            b.ident.as_str()
                        )))
                    }
                }
            }
        } else if let Some((k, v)) = arg.split_once('=') {
            out.push((k.trim().to_string(), Value::from(v)));
        } else {
            return Err(CliError::Message(format!(
                "-backend-config={arg:?}: no such file, and not a KEY=VALUE pair"
            )));
        }
    }
    Ok(out)
}

/// Builds a configured backend from its type and merged arguments.
pub async fn open(kind: &str, config: &Value, dir: &Path) -> Result<Workspaces, CliError> {
    let text = |name: &str| {
        config
            .get_attr(name)
            .strip_marks()
            .as_str()
            .map(str::to_string)
    };
    match kind {
        "local" => {
            let path = text("path");
            let workspace_dir = text("workspace_dir");
            Ok(Workspaces::local(dir, path.as_deref(), workspace_dir.as_deref()))
        }
        "s3" => {
            let (store, layout) = mlform_provider_aws::backend::s3_store(config)
                .await
                .map_err(|e| CliError::Message(format!("Failed to configure the backend \"s3\": {e}")))?;
            Ok(Workspaces::Remote {
                store,
                layout: RemoteLayout::Prefixed {
                    key: layout.key,
                    workspace_key_prefix: layout.workspace_key_prefix,
                },
                locking: layout.use_lockfile,
                sealer: Default::default(),
            })
        }
        "kubernetes" => {
            let (store, layout) = mlform_provider_kubernetes::backend::kubernetes_store(config)
                .await
                .map_err(|e| {
                    CliError::Message(format!(
                        "Failed to configure the backend \"kubernetes\": {e}"
                    ))
                })?;
            Ok(Workspaces::Remote {
                store,
                layout: RemoteLayout::Named {
                    suffix: layout.secret_suffix,
                },
                // The kubernetes backend always locks, with a Lease.
                locking: true,
                sealer: Default::default(),
            })
        }
        other => Err(CliError::Message(format!(
            "mlform does not support the backend \"{other}\"; it stores state with the \"local\", \"s3\" and \"kubernetes\" backends"
        ))),
    }
}

/// Terraform's "Backend initialization required" error with its reason.
pub fn init_required(reason: &str) -> CliError {
    CliError::Message(format!(
        "Backend initialization required, please run \"mlform init\"\n\nReason: {reason}\n\nThe \"backend\" is the interface that mlform uses to store state,\nperform operations, etc. If this message is showing up, it means that the\nmlform configuration you're using is using a custom configuration for\nthe mlform backend.\n\nChanges to backend configurations require reinitialization. This allows\nmlform to set up the new configuration, copy existing state, etc. Please run\n\"mlform init\" with either the \"-reconfigure\" or \"-migrate-state\" flags to\nuse the current configuration.\n\nIf the change reason above is incorrect, please verify your configuration\nhasn't changed and try again. At this point, no changes to your existing\nconfiguration or state have been made."
    ))
}

/// What of a configuration decides where and how its state is stored.
#[derive(Clone, Default)]
pub struct StateConfig {
    pub backend: Option<BackendBlock>,
    pub encryption: Option<EncryptionBlock>,
}

impl StateConfig {
    pub fn of(module: &Module) -> StateConfig {
        StateConfig {
            backend: module.backend.clone(),
            encryption: module.encryption.clone(),
        }
    }

    /// The sealers, with the `TF_ENCRYPTION` environment variable (HCL of an encryption
    /// block's body) merged over the configuration's block, as OpenTofu does.
    pub fn encryption(&self) -> Result<Encryption, CliError> {
        let mut block = self.encryption.clone();
        if let Ok(text) = std::env::var("TF_ENCRYPTION") {
            if !text.trim().is_empty() {
                let body = hcl_edit::parser::parse_body(&text).map_err(|e| {
                    CliError::Message(format!(
                        "TF_ENCRYPTION is not a valid encryption configuration: {e}"
                    ))
                })?;
                let mut diags = Vec::new();
                let into = block.get_or_insert_with(EncryptionBlock::default);
                crate::config::read_encryption(0, &body, into, &mut diags);
                if let Some(d) = diags.iter().find(|d| d.is_error()) {
                    return Err(CliError::Message(format!(
                        "TF_ENCRYPTION: {}: {}",
                        d.summary, d.detail
                    )));
                }
            }
        }
        let services = |kind: &str,
                        args: &Value|
         -> Option<Result<Arc<dyn mlform_provider::KeyService>, String>> {
            (kind == "aws_kms").then(|| {
                mlform_provider_aws::kms_keys::KmsKeys::new(args)
                    .map(|k| Arc::new(k) as Arc<dyn mlform_provider::KeyService>)
            })
        };
        Encryption::from_block(block.as_ref(), &services)
            .map_err(|e| CliError::Message(format!("Invalid encryption configuration: {e}")))
    }
}

impl Ctx {
    /// The root module's backend and encryption blocks, read from disk. Problems elsewhere
    /// in the configuration (a child module gone, say) do not matter here: state commands
    /// and saved plans work without them; the blocks' own problems are checked when used.
    pub fn state_config(&self) -> Result<StateConfig, CliError> {
        let mut sources = Sources::default();
        let (module, _) = crate::config::load_lenient(&self.dir, &mut sources);
        Ok(StateConfig::of(&module))
    }

    /// The configured backend, as `init` saved it; the backend block must not have changed.
    pub async fn workspaces(&self) -> Result<Workspaces, CliError> {
        self.workspaces_with(self.state_config()?).await
    }

    /// As [`Ctx::workspaces`], for a backend block already loaded (a saved plan's).
    pub async fn workspaces_with(&self, config: StateConfig) -> Result<Workspaces, CliError> {
        let sealer = config.encryption()?.state;
        Ok(self
            .unsealed_workspaces(config.backend)
            .await?
            .sealed(sealer))
    }

    async fn unsealed_workspaces(
        &self,
        block: Option<BackendBlock>,
    ) -> Result<Workspaces, CliError> {
        let saved = saved_settings(&self.dir)?;
        match (block, saved) {
            (Some(block), saved) if block.kind != "local" => {
                let diags = check_block(&block);
                if !diags.is_empty() {
                    return Err(CliError::Diagnostics(diags, self.sources_for_diags()));
                }
                let file_config = block_config(&block).to_json();
                match saved {
                    None => Err(init_required(&format!(
                        "Initial configuration of the requested backend \"{}\"",
                        block.kind
                    ))),
                    Some(s) if s.kind != block.kind || s.file_config != file_config => {
                        Err(init_required("Backend configuration block has changed"))
                    }
                    Some(s) => open(&s.kind, &Value::from_json(&s.config), &self.dir).await,
                }
            }
            (block, Some(s)) if s.kind != "local" => Err(init_required(&format!(
                "Unsetting the previously set backend \"{}\"{}",
                s.kind,
                if block.is_some() {
                    " (the configuration now uses \"local\")"
                } else {
                    ""
                }
            ))),
            (block, _) => {
                let config = block.as_ref().map(block_config).unwrap_or(Value::Null);
                if let Some(b) = &block {
                    let diags = check_block(b);
                    if !diags.is_empty() {
                        return Err(CliError::Diagnostics(diags, self.sources_for_diags()));
                    }
                }
                open("local", &config, &self.dir).await
            }
        }
    }

    fn sources_for_diags(&self) -> Sources {
        let mut sources = Sources::default();
        let _ = crate::config::load(&self.dir, &mut sources);
        sources
    }

    /// The selected workspace's state (`-state=PATH` names a local file instead).
    pub async fn backend(&self, args: &StateArgs) -> Result<Backend, CliError> {
        self.backend_with(args, self.state_config()?).await
    }

    /// As [`Ctx::backend`], with the backend block of a configuration already loaded.
    pub async fn backend_with(
        &self,
        args: &StateArgs,
        config: StateConfig,
    ) -> Result<Backend, CliError> {
        if let Some(p) = &args.state {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                self.dir.join(p)
            };
            return Ok(Backend::Local(LocalBackend {
                path,
                sealer: config.encryption()?.state,
            }));
        }
        let workspaces = self.workspaces_with(config).await?;
        let ws = current_workspace(&self.dir);
        let backend = workspaces.backend(&ws);
        if ws != DEFAULT_WORKSPACE && !workspaces.list().await?.contains(&ws) {
            return Err(CliError::Message(format!(
                "Currently selected workspace \"{ws}\" does not exist\n\nCreate it with: mlform workspace new {ws}"
            )));
        }
        Ok(backend)
    }

    /// Takes the state lock unless `-lock=false`.
    pub async fn lock(
        &self,
        backend: &Backend,
        args: &StateArgs,
        operation: &str,
    ) -> Result<Option<StateLock>, CliError> {
        if !args.lock {
            return Ok(None);
        }
        let timeout = super::parse_duration(&args.lock_timeout).ok_or_else(|| {
            CliError::Message(format!(
                "invalid -lock-timeout value {:?}: use a duration such as 10s or 2m",
                args.lock_timeout
            ))
        })?;
        Ok(backend.lock(operation, timeout).await?)
    }
}

/// Reads other configurations' outputs for `terraform_remote_state`; relative local paths
/// are relative to the root module, as in Terraform.
pub struct RemoteStates {
    pub dir: PathBuf,
    /// The reading configuration's encryption (`remote_state_data_sources`), built only
    /// when a remote state is read.
    pub state_config: StateConfig,
}

#[async_trait::async_trait]
impl mlform_provider_builtin::RemoteStateReader for RemoteStates {
    async fn outputs(
        &self,
        backend: &str,
        config: &Value,
        workspace: &str,
    ) -> Result<Value, ProviderError> {
        let fail =
            |e: String| ProviderError::InvalidConfig(format!("reading the remote state: {e}"));
        let sealer = self
            .state_config
            .encryption()
            .map_err(|e| fail(e.to_string()))?
            .remote_state;
        let workspaces = open(backend, config, &self.dir)
            .await
            .map_err(|e| fail(e.to_string()))?
            .sealed(sealer);
        let state = workspaces
            .backend(workspace)
            .load()
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(Value::object(state.outputs.into_iter().map(|(name, o)| {
            let value = if o.sensitive {
                o.value.into_sensitive()
            } else {
                o.value
            };
            (name, value)
        })))
    }
}

/// The registry entry for `terraform`, with `terraform_remote_state` wired to backends.
pub fn terraform_provider(
    dir: &Path,
    state_config: StateConfig,
) -> Arc<dyn mlform_provider::Provider> {
    mlform_provider_builtin::TerraformProvider::with_remote_state(Arc::new(RemoteStates {
        dir: dir.to_path_buf(),
        state_config,
    }))
}
