//! The engine: from a loaded configuration and prior state to a [`Plan`], and from a plan to
//! applied changes. It builds one dependency graph per run (variables, locals, outputs,
//! module calls, resources, their destroy steps and provider configurations), then walks it
//! with bounded provider concurrency. Evaluation, refresh and planning happen in one walk;
//! apply walks the same graph again, executing exactly what the plan recorded.

mod body;
mod build;
pub mod events;
pub mod values;
pub mod vars;
mod walk;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use mlform_provider::{Provider, ProviderSchema, Schema, Value};

use crate::addr::Target;
use crate::config::{Mode, Module, ProviderRef, ResourceKey};
use crate::diag::{Diagnostic, Sources, Span};
use crate::plan::{Plan, PlanMode};
use crate::state::local::Journal;
use crate::state::State;

pub use build::{build_graph, Node, NodeKind};
pub use events::{Event, Reporter};

/// The providers this build of mlform knows, by local name.
#[derive(Clone, Default)]
pub struct Registry {
    providers: BTreeMap<String, (Arc<dyn Provider>, ProviderSchema)>,
}

impl Registry {
    /// The providers compiled into this binary.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        r.add(mlform_provider_builtin::TerraformProvider::new());
        r
    }

    pub fn add(&mut self, provider: Arc<dyn Provider>) {
        let schema = provider.schema();
        self.providers
            .insert(provider.name().to_string(), (provider, schema));
    }

    pub fn get(&self, name: &str) -> Option<&(Arc<dyn Provider>, ProviderSchema)> {
        self.providers.get(name)
    }

    pub fn by_source(&self, source: &str) -> Option<&str> {
        self.providers
            .iter()
            .find(|(_, (p, _))| p.source() == source)
            .map(|(n, _)| n.as_str())
    }

    /// The schema of a resource type or data source.
    pub fn schema(&self, provider: &str, key: &ResourceKey) -> Option<&Schema> {
        let (_, s) = self.providers.get(provider)?;
        match key.mode {
            Mode::Managed => s.resources.get(&key.type_name),
            Mode::Data => s.data_sources.get(&key.type_name),
        }
    }

    /// Every resource type name of a mode, for "did you mean" hints.
    pub fn type_names(&self, mode: Mode) -> Vec<String> {
        self.providers
            .values()
            .flat_map(|(_, s)| match mode {
                Mode::Managed => s.resources.keys().cloned().collect::<Vec<_>>(),
                Mode::Data => s.data_sources.keys().cloned().collect(),
            })
            .collect()
    }

    pub fn source(&self, provider: &str) -> String {
        self.providers
            .get(provider)
            .map(|(p, _)| p.source().to_string())
            .unwrap_or_else(|| format!("registry.terraform.io/hashicorp/{provider}"))
    }
}

/// The state file's provider string: `provider["SOURCE"]` or `provider["SOURCE"].alias`.
pub fn provider_state_string(registry: &Registry, p: &ProviderRef) -> String {
    let base = format!("provider[\"{}\"]", registry.source(&p.name));
    match &p.alias {
        Some(a) => format!("{base}.{a}"),
        None => base,
    }
}

/// Parses [`provider_state_string`] back into a provider reference.
pub fn parse_provider_state_string(registry: &Registry, s: &str) -> Option<ProviderRef> {
    let rest = s.strip_prefix("provider[\"")?;
    let (source, tail) = rest.split_once("\"]")?;
    let name = registry
        .by_source(source)
        .map(str::to_string)
        .unwrap_or_else(|| source.rsplit('/').next().unwrap_or(source).to_string());
    let alias = tail.strip_prefix('.').map(str::to_string);
    Some(ProviderRef { name, alias })
}

/// What kind of walk this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Check the configuration with unknown inputs; no provider calls.
    Validate,
    Plan,
    Apply,
}

/// Options of a plan.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: PlanMode,
    pub refresh: bool,
    pub targets: Vec<Target>,
    pub replace: Vec<Target>,
    pub parallelism: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            parallelism: 10,
        }
    }
}

/// A loaded configuration with the providers to run it.
pub struct Engine {
    pub config: Module,
    pub sources: Sources,
    /// The root module directory (absolute).
    pub root_dir: PathBuf,
    pub registry: Registry,
    /// The configuration files as read, saved into plan files.
    pub config_files: Vec<(String, String)>,
}

/// Result of an apply.
pub struct ApplyResult {
    pub state: State,
    pub diagnostics: Vec<Diagnostic>,
    pub counts: ApplyCounts,
    pub interrupted: bool,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ApplyCounts {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
}

impl Engine {
    /// Validates the configuration: references, types, schemas, cycles; no provider calls.
    pub async fn validate(&self) -> Vec<Diagnostic> {
        let state = State::default();
        let variables = BTreeMap::new();
        match walk::Walk::run_plan(
            self,
            &state,
            &variables,
            &Options::default(),
            Phase::Validate,
            &AtomicBool::new(false),
            &events::Silent,
        )
        .await
        {
            Ok((_, diags)) => diags,
            Err(diags) => diags,
        }
    }

    /// Plans changes from `prior` state. Never writes anything.
    pub async fn plan(
        &self,
        prior: &State,
        variables: &BTreeMap<String, Value>,
        options: &Options,
        stop: &AtomicBool,
        reporter: &dyn Reporter,
    ) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
        walk::Walk::run_plan(self, prior, variables, options, Phase::Plan, stop, reporter).await
    }

    /// Applies `plan` on top of `state`, recording every finished resource in `journal`.
    pub async fn apply(
        &self,
        plan: &Plan,
        state: State,
        journal: Journal,
        parallelism: usize,
        stop: &AtomicBool,
        reporter: &dyn Reporter,
    ) -> ApplyResult {
        walk::Walk::run_apply(self, plan, state, journal, parallelism, stop, reporter).await
    }

    pub fn span_text(&self, span: &Option<Span>) -> String {
        match span {
            Some(s) => {
                let (line, col) = self.sources.line_col(s);
                format!("{}:{line}:{col}", self.sources.get(s.file).name)
            }
            None => String::new(),
        }
    }
}

impl Engine {
    /// Reads an existing object by its import ID into a state instance for `addr`, whose
    /// resource block must exist in the configuration.
    pub async fn import(
        &self,
        addr: &crate::addr::InstanceAddr,
        id: &str,
        variables: &BTreeMap<String, Value>,
    ) -> Result<crate::state::InstanceState, Vec<Diagnostic>> {
        let module = self
            .config
            .descendant(&crate::addr::config_path(&addr.module));
        let Some(rc) = module.and_then(|m| m.resources.get(&addr.resource)) else {
            return Err(vec![Diagnostic::error(
                "Configuration for import target does not exist",
                format!(
                    "The configuration does not contain a resource block for {}.",
                    addr.resource_addr()
                ),
            )
            .hint(format!(
                "Add a `resource \"{}\" \"{}\" {{}}` block before importing.",
                addr.resource.type_name, addr.resource.name
            ))]);
        };
        if addr.resource.mode != Mode::Managed {
            return Err(vec![Diagnostic::error(
                "Invalid import address",
                "Only managed resources can be imported.",
            )]);
        }
        let Some((provider, schema)) = self.registry.get(&rc.provider.name) else {
            return Err(vec![Diagnostic::error(
                "Unknown provider",
                format!("The provider \"{}\" is not available.", rc.provider.name),
            )]);
        };
        let mut values = values::Values::default();
        let root_path: crate::addr::ModulePath = vec![];
        for (name, var) in &self.config.variables {
            let raw = variables
                .get(name)
                .cloned()
                .or_else(|| {
                    var.default
                        .as_ref()
                        .and_then(|d| crate::eval::expr::eval_constant(&d.expr).ok())
                })
                .unwrap_or(Value::Unknown);
            let v = crate::eval::types::convert(&raw, &var.type_constraint)
                .unwrap_or(Value::Unknown)
                .mark_sensitive_if(var.sensitive);
            values.module_mut(&root_path).vars.insert(name.clone(), v);
        }
        let block = self
            .config
            .providers
            .iter()
            .find(|b| b.name == rc.provider.name && b.alias == rc.provider.alias);
        let scope = values::EvalScope {
            values: &values,
            module: &root_path,
            config: &self.config,
            module_dir: self.config.dir.clone(),
            root_dir: &self.root_dir,
            count_index: None,
            each: None,
            self_value: None,
        };
        let config = match block {
            Some(b) => body::eval_body(
                &mut crate::eval::expr::Evaluator::new(&scope, b.body.file),
                b.body.file,
                &b.body.body,
                &schema.provider,
                "the provider block",
                b.span.clone(),
            )?,
            None => body::eval_body(
                &mut crate::eval::expr::Evaluator::new(&scope, 0),
                0,
                &hcl_edit::structure::Body::new(),
                &schema.provider,
                "the provider configuration",
                None,
            )?,
        };
        let configured = provider.configure(&config).await.map_err(|e| {
            vec![Diagnostic::error(
                "Failed to configure provider",
                e.to_string(),
            )]
        })?;
        let res = configured
            .resource(&addr.resource.type_name)
            .ok_or_else(|| {
                vec![Diagnostic::error(
                    "Invalid resource type",
                    addr.resource.type_name.clone(),
                )]
            })?;
        match res.import(id).await {
            Ok(Some(v)) => Ok(crate::state::InstanceState { provider: provider_state_string(&self.registry, &rc.provider), value: v, dependencies: vec![], create_before_destroy: rc.lifecycle.create_before_destroy }),
            Ok(None) => Err(vec![Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id \"{id}\". Only pre-existing objects can be imported; check that the id is correct."))]),
            Err(e) => Err(vec![Diagnostic::error("Import failed", format!("{addr}: {e}"))]),
        }
    }
}
