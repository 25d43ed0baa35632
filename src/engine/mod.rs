//! The engine: from a loaded configuration and prior state to a [`Plan`], and from a plan to
//! applied changes. It builds one dependency graph per run (variables, locals, outputs,
//! module calls, resources, their destroy steps and provider configurations), then walks it
//! with bounded provider concurrency. Evaluation, refresh and planning happen in one walk;
//! apply walks the same graph again, executing exactly what the plan recorded.

mod body;
mod build;
pub mod events;
pub(crate) mod models;
mod refactor;
mod relevance;
pub mod values;
pub mod vars;
mod walk;

pub use walk::{RollbackReport, Undo};

/// The most instances one resource or module call may expand to with `count`: 100,000.
/// Each planned instance costs memory, and a count in the millions is a mistake that would
/// otherwise run the machine out of memory before saying anything.
pub const MAX_INSTANCES: usize = 100_000;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use mlform_provider::{Provider, ProviderSchema, Schema, Value};

use crate::addr::Target;
use crate::config::{Mode, Module, ProviderRef, ResourceKey};
use crate::diag::{Diagnostic, Sources, Span};
use crate::plan::{Action, Plan, PlanMode};
use crate::state::Journal;
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
        r.add(mlform_provider_builtin::RandomProvider::new());
        r.add(mlform_provider_builtin::NullProvider::new());
        r.add(mlform_provider_builtin::TimeProvider::new());
        r.add(mlform_provider_builtin::LocalProvider::new());
        r.add(mlform_provider_builtin::HttpProvider::new());
        r.add(mlform_provider_tls::TlsProvider::new());
        r.add(mlform_provider_builtin::MlformProvider::new());
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
    /// Refresh only instances whose configuration plans a change against their state
    /// (`-minimal-refresh`); the rest keep their state values, and drift on them is not
    /// looked for.
    pub minimal_refresh: bool,
    pub targets: Vec<Target>,
    pub replace: Vec<Target>,
    pub parallelism: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: PlanMode::Normal,
            refresh: true,
            minimal_refresh: false,
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
    /// The selected workspace (`terraform.workspace`).
    pub workspace: String,
    /// Resources and data sources replaced by mocks (`mlform test` overrides).
    pub overrides: Overrides,
    /// Where plan and apply leave the values of their walk (`mlform test` evaluates its
    /// assertions against them); `None` drops them.
    pub values_out: Option<ValuesOut>,
    /// Whether a failed apply undoes its finished changes (`apply -rollback=auto`).
    pub rollback: bool,
}

/// The values a walk ended with, for whoever asked to keep them.
pub type ValuesOut = Arc<std::sync::Mutex<Option<values::Values>>>;

/// Resources and data sources that call no provider: `mlform test`'s `override_resource`
/// and `override_data`, by configuration address.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub entries: Vec<Override>,
}

#[derive(Debug, Clone)]
pub struct Override {
    /// The configuration path of the module (call names), empty for the root module.
    pub module: Vec<String>,
    pub key: ResourceKey,
    /// One instance (`aws_s3_bucket.b["x"]`); `None` for all of them.
    pub instance: Option<crate::addr::Key>,
    pub values: mlform_provider::mock::MockValues,
}

impl Overrides {
    /// The override of every instance of a resource.
    pub fn find(
        &self,
        module: &[String],
        key: &ResourceKey,
    ) -> Option<&mlform_provider::mock::MockValues> {
        self.entries
            .iter()
            .rev()
            .find(|o| o.module == module && &o.key == key && o.instance.is_none())
            .map(|o| &o.values)
    }

    /// The override of one instance, when one names it.
    pub fn find_instance(
        &self,
        module: &[String],
        key: &ResourceKey,
        instance: &Option<crate::addr::Key>,
    ) -> Option<&mlform_provider::mock::MockValues> {
        instance.as_ref()?;
        self.entries
            .iter()
            .rev()
            .find(|o| o.module == module && &o.key == key && &o.instance == instance)
            .map(|o| &o.values)
    }
}

/// Result of an apply.
pub struct ApplyResult {
    pub state: State,
    pub diagnostics: Vec<Diagnostic>,
    pub counts: ApplyCounts,
    pub interrupted: bool,
    /// Present when the apply failed and rollback ran.
    pub rollback: Option<RollbackReport>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ApplyCounts {
    pub imported: usize,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
}

impl Engine {
    /// Validates the configuration: references, types, schemas, cycles; no provider calls.
    pub async fn validate(&self) -> Vec<Diagnostic> {
        let mut state = State::default();
        let variables = BTreeMap::new();
        // Moves on an empty state do nothing but check the statements.
        let mut refactoring = refactor::apply_moves(&self.config, &mut state).diags;
        refactoring.extend(refactor::removals(&self.config, &state).1);
        if refactoring.iter().any(Diagnostic::is_error) {
            return refactoring;
        }
        match walk::Walk::run_plan(
            self,
            &state,
            &variables,
            &Options::default(),
            Phase::Validate,
            Default::default(),
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
        // Moves act on a copy of the prior state, made only when there is something to move.
        let mut moved_state = None;
        let moves = if refactor::has_moves(&self.config) {
            let mut state = prior.clone();
            let moves = refactor::apply_moves(&self.config, &mut state);
            moved_state = Some(state);
            moves
        } else {
            refactor::Moves::default()
        };
        let planning = moved_state.as_ref().unwrap_or(prior);
        let (removals, removal_diags) = refactor::removals(&self.config, planning);
        let mut diags = moves.diags;
        diags.extend(removal_diags);
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        let (mut plan, warnings) = walk::Walk::run_plan(
            self,
            planning,
            variables,
            options,
            Phase::Plan,
            removals
                .iter()
                .filter(|(_, r)| !r.destroy)
                .map(|(a, _)| a.clone())
                .collect(),
            stop,
            reporter,
        )
        .await?;
        // The plan compares against the state it was made from, before any move.
        plan.prior_lineage = prior.lineage.clone();
        plan.prior_serial = prior.serial;
        for c in &mut plan.changes {
            if let Some(schema) = parse_provider_state_string(&self.registry, &c.provider)
                .and_then(|p| self.registry.schema(&p.name, &c.addr.resource))
            {
                c.blocks = crate::plan::BlockShape::of(schema);
            }
            if !c.deposed {
                c.previous_addr = moves.previous.get(&c.addr).cloned();
            }
        }
        diags.extend(warnings);
        if plan.changes.iter().any(|c| c.action == Action::Forget) {
            let mut forgotten: Vec<String> = plan
                .changes
                .iter()
                .filter(|c| c.action == Action::Forget)
                .map(|c| format!(" - {}", c.addr))
                .collect();
            forgotten.sort();
            diags.push(Diagnostic::warning(
                "Some objects will no longer be managed by mlform",
                format!("If you apply this plan, mlform will discard its tracking information for the following objects, but it will not delete them:\n{}\n\nAfter applying this plan, mlform will no longer manage these objects. You will need to import them into mlform to manage them again.", forgotten.join("\n")),
            ));
        }
        Ok((plan, diags))
    }

    /// Refuses a saved plan that does not fit this configuration and state: a change of an
    /// instance that neither the configuration nor the state has would otherwise be
    /// silently skipped.
    pub fn check_saved_plan(&self, plan: &Plan, state: &State) -> Result<(), Diagnostic> {
        for c in &plan.changes {
            let in_config = self
                .config
                .descendant(&crate::addr::config_path(&c.addr.module))
                .is_some_and(|m| m.resources.contains_key(&c.addr.resource));
            let in_state =
                state.instances.contains_key(&c.addr) || state.deposed.contains_key(&c.addr);
            if !in_config && !in_state {
                return Err(Diagnostic::error(
                    "Invalid saved plan",
                    format!("The saved plan has a change for {}, which is neither in the plan's configuration nor in the state.", c.addr),
                )
                .hint("The plan file was edited or is corrupt; run plan again."));
            }
        }
        Ok(())
    }

    /// Applies `plan` on top of `state`, recording every finished resource in `journal`.
    /// The plan's moves and forgets are made durable first: they need no provider call.
    pub async fn apply(
        &self,
        plan: &Plan,
        state: State,
        journal: Journal,
        parallelism: usize,
        stop: &AtomicBool,
        reporter: &dyn Reporter,
    ) -> ApplyResult {
        let mut records = Vec::new();
        let mut state = state;
        if plan.mode != PlanMode::RefreshOnly {
            records = refactor::apply_moves(&self.config, &mut state).records;
        }
        let mut imported = 0;
        for c in plan.changes.iter().filter(|c| c.importing.is_some()) {
            let Some(before) = &c.before else { continue };
            if state.instances.contains_key(&c.addr) {
                continue;
            }
            let instance = crate::state::InstanceState {
                provider: c.provider.clone(),
                value: before.clone(),
                dependencies: c.dependencies.clone(),
                create_before_destroy: c.create_before_destroy,
                model: None,
                tainted: false,
            };
            records.push(crate::state::Record::Put {
                addr: c.addr.clone(),
                instance: instance.clone(),
            });
            state.instances.insert(c.addr.clone(), instance);
            imported += 1;
        }
        for c in plan.changes.iter().filter(|c| c.action == Action::Forget) {
            if state.instances.remove(&c.addr).is_some() {
                records.push(crate::state::Record::Remove {
                    addr: c.addr.clone(),
                });
            }
        }
        for r in &records {
            if let Err(err) = journal.append(r).await {
                return ApplyResult {
                    state,
                    diagnostics: vec![Diagnostic::error("Failed to save state", err.to_string())],
                    counts: ApplyCounts::default(),
                    interrupted: false,
                    rollback: None,
                };
            }
        }
        for c in plan.changes.iter().filter(|c| c.importing.is_some()) {
            let addr = c.addr.to_string();
            let id = c.importing.as_deref().unwrap_or_default();
            reporter.event(events::Event::Imported { addr: &addr, id });
        }
        let mut result =
            walk::Walk::run_apply(self, plan, state, journal, parallelism, stop, reporter).await;
        result.counts.imported = imported;
        result
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
        let value = self
            .read_for_import(addr, &rc.provider, id, variables)
            .await?;
        Ok(crate::state::InstanceState {
            provider: provider_state_string(&self.registry, &rc.provider),
            value,
            dependencies: vec![],
            create_before_destroy: rc.lifecycle.create_before_destroy,
            model: None,
            tainted: false,
        })
    }

    /// Configures `provider` from the root module's provider block and reads the object with
    /// import ID `id` as a value of `addr`'s resource type. Needs no resource block, so
    /// `plan -generate-config-out` can write one from the result.
    pub async fn read_for_import(
        &self,
        addr: &crate::addr::InstanceAddr,
        provider_ref: &ProviderRef,
        id: &str,
        variables: &BTreeMap<String, Value>,
    ) -> Result<Value, Vec<Diagnostic>> {
        let Some((provider, schema)) = self.registry.get(&provider_ref.name) else {
            return Err(vec![Diagnostic::error(
                "Unknown provider",
                format!("The provider \"{}\" is not available.", provider_ref.name),
            )]);
        };
        let mut values = values::Values {
            workspace: self.workspace.clone(),
            ..values::Values::default()
        };
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
            .find(|b| b.name == provider_ref.name && b.alias == provider_ref.alias);
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
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(vec![Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id \"{id}\". Only pre-existing objects can be imported; check that the id is correct."))]),
            Err(e) => Err(vec![Diagnostic::error("Import failed", format!("{addr}: {e}"))]),
        }
    }
}
