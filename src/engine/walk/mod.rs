//! One walk of the graph: what each node does when it runs, in validate, plan and apply.
//!
//! * Variables, locals, outputs and module calls evaluate in every module instance.
//! * A resource node expands count / for_each, refreshes its prior instances (bounded by the
//!   parallelism semaphore), evaluates each instance's configuration against the schema and
//!   asks the provider to plan it; in apply it executes the planned create / update and makes
//!   each finished instance durable in the journal before it counts as done.
//! * A destroy node plans deletes of orphans (and everything, with `-destroy`) and executes
//!   deletes, including the old half of replacements.
//! * When count / for_each is unknown, the resource is deferred (not planned, not failed), and
//!   so is everything that depends on it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use mlform_provider::{Configured, PathStep, PlanRequest, ProviderError, Resource, Schema, Value};
use petgraph::graph::NodeIndex;

use super::body::eval_body;
use super::build::{build_graph, Graph, Node, NodeKind};
use super::events::{Event, Reporter};
use super::values::{EvalScope, Expansion, Instances, Values};
use super::{provider_state_string, ApplyCounts, ApplyResult, Engine, Options, Phase};
use crate::addr::InstanceAddr;
use crate::addr::{Key, ModulePath};
use crate::config::{Check, IgnoreChanges, Mode, Module, ProviderRef, ResourceKey};
use crate::diag::{Diagnostic, Span};
use crate::eval::expr::{eval_constant, split_mark, Evaluator};
use crate::eval::types::{convert, to_string};
use crate::graph::Outcome;
use crate::plan::{
    Action, CheckInstance, CheckResult, CheckStatus, Deferred, Drift, OutputChange, Plan, PlanMode,
    ResourceChange,
};
use crate::state::Journal;
use crate::state::{InstanceState, OutputState, Record, State};

mod apply;
mod data;
mod destroy;
mod exec;
mod imports;
mod nodes;
mod plan;
mod refresh;
mod rollback;

pub use rollback::{RollbackReport, Undo};

#[derive(Default)]
struct Collected {
    changes: Vec<ResourceChange>,
    checks: Vec<CheckResult>,
    drift: Vec<Drift>,
    outputs: Vec<OutputChange>,
    deferred: Vec<Deferred>,
    diags: Vec<Diagnostic>,
    counts: ApplyCounts,
    /// Root output values after apply; parts still unknown (`format("%s", null)`) are
    /// stored as null, and an output that was unknown is kept although null, as Terraform
    /// keeps it.
    root_outputs: BTreeMap<String, OutputState>,
}

enum Fail {
    /// Dependents are skipped; the walk goes on.
    Node(Vec<Diagnostic>),
    /// Nothing new starts (an apply error).
    Fatal(Vec<Diagnostic>),
}

impl From<Vec<Diagnostic>> for Fail {
    fn from(d: Vec<Diagnostic>) -> Fail {
        Fail::Node(d)
    }
}
impl From<Diagnostic> for Fail {
    fn from(d: Diagnostic) -> Fail {
        Fail::Node(vec![d])
    }
}

type NodeResult = Result<(), Fail>;

/// Locks that outlive a panicking node: the walk catches the panic and reports it, so the
/// data behind a poisoned lock is still the best there is and the other nodes go on.
trait Locked<T> {
    fn locked(&self) -> std::sync::MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> std::sync::MutexGuard<'_, T> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The instance keys a resource or module call expands to.
enum Expanded {
    Unknown,
    Keys(Expansion, Vec<(Option<Key>, Option<Value>)>),
}

pub(super) struct Walk<'a> {
    e: &'a Engine,
    g: Graph,
    phase: Phase,
    opts: Options,
    prior: &'a State,
    root_vars: &'a BTreeMap<String, Value>,
    plan: Option<&'a Plan>,
    values: Mutex<Values>,
    out: Mutex<Collected>,
    providers: Mutex<HashMap<ProviderRef, Arc<dyn Configured>>>,
    deferred: Mutex<HashMap<NodeIndex, String>>,
    sem: tokio::sync::Semaphore,
    stop: &'a AtomicBool,
    failed: AtomicBool,
    reporter: &'a dyn Reporter,
    state: Mutex<State>,
    journal: Option<Journal>,
    /// Apply with rollback on: instances in the order their changes became durable.
    finished: Mutex<Vec<InstanceAddr>>,
    /// Resource nodes selected by -target; `true` when all their instances are selected.
    targeted: Option<HashMap<NodeIndex, bool>>,
    /// Output nodes evaluated under `-target` (plan and its apply); `None` without targets.
    targeted_outputs: Option<HashSet<NodeIndex>>,
    state_index: HashMap<(Vec<String>, ResourceKey), Vec<InstanceAddr>>,
    plan_deferred: HashSet<String>,
    /// Apply: the plan's changes by instance address (and deposed flag).
    plan_index: HashMap<(InstanceAddr, bool), usize>,
    /// Apply: the plan's changes by configuration resource.
    plan_by_resource: HashMap<(Vec<String>, ResourceKey), Vec<usize>>,
    /// Plan: objects `removed` blocks forget; they are neither refreshed nor destroyed.
    forget: HashSet<InstanceAddr>,
}

impl<'a> Walk<'a> {
    fn new(
        e: &'a Engine,
        g: Graph,
        phase: Phase,
        opts: Options,
        prior: &'a State,
        root_vars: &'a BTreeMap<String, Value>,
        plan: Option<&'a Plan>,
        stop: &'a AtomicBool,
        reporter: &'a dyn Reporter,
    ) -> Walk<'a> {
        let mut state_index: HashMap<(Vec<String>, ResourceKey), Vec<InstanceAddr>> =
            HashMap::new();
        for addr in prior.instances.keys() {
            state_index
                .entry((
                    crate::addr::config_path(&addr.module),
                    addr.resource.clone(),
                ))
                .or_default()
                .push(addr.clone());
        }
        let mut values = Values::default();
        values.workspace = e.workspace.clone();
        values.expansions.insert(vec![], Some(vec![vec![]]));
        if phase != Phase::Validate {
            values.clock = crate::eval::functions::Clock {
                plan_timestamp: Some(
                    plan.map(|p| p.timestamp.clone())
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(crate::eval::time::now_rfc3339),
                ),
                applying: phase == Phase::Apply,
            };
        }
        let parallelism = opts.parallelism.max(1);
        Walk {
            e,
            g,
            phase,
            opts,
            prior,
            root_vars,
            plan,
            values: Mutex::new(values),
            out: Mutex::new(Collected::default()),
            providers: Mutex::new(HashMap::new()),
            deferred: Mutex::new(HashMap::new()),
            sem: tokio::sync::Semaphore::new(parallelism),
            stop,
            failed: AtomicBool::new(false),
            reporter,
            // The state apply writes to; run_apply fills it. Plan reads `prior` only.
            state: Mutex::new(State::default()),
            journal: None,
            finished: Mutex::new(Vec::new()),
            targeted: None,
            targeted_outputs: None,
            state_index,
            plan_deferred: plan
                .map(|p| p.deferred.iter().map(|d| d.addr.clone()).collect())
                .unwrap_or_default(),
            plan_index: plan
                .map(|p| {
                    p.changes
                        .iter()
                        .enumerate()
                        .map(|(i, c)| ((c.addr.clone(), c.deposed), i))
                        .collect()
                })
                .unwrap_or_default(),
            plan_by_resource: plan
                .map(|p| {
                    let mut m: HashMap<(Vec<String>, ResourceKey), Vec<usize>> = HashMap::new();
                    for (i, c) in p.changes.iter().enumerate() {
                        m.entry((
                            crate::addr::config_path(&c.addr.module),
                            c.addr.resource.clone(),
                        ))
                        .or_default()
                        .push(i);
                    }
                    m
                })
                .unwrap_or_default(),
            forget: HashSet::new(),
        }
    }

    pub(super) async fn run_plan(
        e: &Engine,
        prior: &State,
        root_vars: &BTreeMap<String, Value>,
        opts: &Options,
        phase: Phase,
        forget: HashSet<InstanceAddr>,
        stop: &AtomicBool,
        reporter: &dyn Reporter,
    ) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
        let g = build_graph(&e.config, prior, &e.registry)?;
        let mut walk = Walk::new(
            e,
            g,
            phase,
            opts.clone(),
            prior,
            root_vars,
            None,
            stop,
            reporter,
        );
        walk.targeted = walk.compute_targets();
        walk.targeted_outputs = walk
            .targeted
            .as_ref()
            .map(|selected| outputs_following(&walk.g.dag, selected));
        walk.forget = forget;
        let report = walk.g.dag.walk(stop, |i| walk.run_node(i)).await;
        walk.hand_over_values();
        let mut out = std::mem::take(&mut *walk.out.locked());
        let timestamp = walk
            .values
            .locked()
            .clock
            .plan_timestamp
            .clone()
            .unwrap_or_default();
        if report.stopped {
            out.diags.push(Diagnostic::error(
                "Operation interrupted",
                "The plan was interrupted; nothing was changed.",
            ));
        }
        if phase == Phase::Plan {
            let declared: HashSet<&String> = e.config.outputs.keys().collect();
            for (name, o) in &prior.outputs {
                if !declared.contains(name) || opts.mode == PlanMode::Destroy {
                    if !out.outputs.iter().any(|c| &c.name == name)
                        || opts.mode == PlanMode::Destroy
                    {
                        out.outputs.retain(|c| &c.name != name);
                        out.outputs.push(OutputChange {
                            name: name.clone(),
                            action: Action::Delete,
                            before: Some(o.value.clone()),
                            after: None,
                            sensitive: o.sensitive,
                        });
                    }
                }
            }
        }
        out.changes
            .sort_by(|a, b| a.addr.cmp(&b.addr).then(a.deposed.cmp(&b.deposed)));
        out.drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        out.outputs.sort_by(|a, b| a.name.cmp(&b.name));
        out.checks.sort_by(|a, b| a.address.cmp(&b.address));
        dedup_diags(&mut out.diags);
        if out.diags.iter().any(Diagnostic::is_error) {
            return Err(out.diags);
        }
        let mut plan = Plan {
            mode: opts.mode,
            changes: out.changes,
            drift: out.drift,
            outputs: out.outputs,
            deferred: out.deferred,
            variables: BTreeMap::new(),
            config_files: e.config_files.clone(),
            prior_lineage: prior.lineage.clone(),
            prior_serial: prior.serial,
            workspace: e.workspace.clone(),
            targets: opts.targets.iter().map(|t| t.to_string()).collect(),
            errored: false,
            checks: out.checks,
            timestamp,
            relevant_attributes: Vec::new(),
            model_changes: Vec::new(),
            guards: Vec::new(),
        };
        plan.relevant_attributes = super::relevance::relevant_attributes(&e.config, &plan);
        plan.model_changes = super::models::model_changes(&e.root_dir, &plan, prior);
        plan.guards = crate::plan::guards::guards(&e.config, &plan);
        Ok((plan, out.diags))
    }

    pub(super) async fn run_apply(
        e: &Engine,
        plan: &Plan,
        state: State,
        journal: Journal,
        parallelism: usize,
        stop: &AtomicBool,
        reporter: &dyn Reporter,
    ) -> ApplyResult {
        let g = match build_graph(&e.config, &state, &e.registry) {
            Ok(g) => g,
            Err(diagnostics) => {
                return ApplyResult {
                    state,
                    diagnostics,
                    counts: ApplyCounts::default(),
                    interrupted: false,
                    rollback: None,
                }
            }
        };
        let opts = Options {
            mode: plan.mode,
            refresh: false,
            minimal_refresh: false,
            targets: Vec::new(),
            replace: Vec::new(),
            parallelism,
        };
        let prior = state.clone();
        let mut g = g;
        if e.rollback {
            rollback::order_destroys_last(&mut g, plan);
        }
        let mut walk = Walk::new(
            e,
            g,
            Phase::Apply,
            opts,
            &prior,
            &plan.variables,
            Some(plan),
            stop,
            reporter,
        );
        *walk.state.locked() = state;
        walk.journal = Some(journal);
        // The plan's -target decides which root outputs the apply evaluates, as it did for
        // the plan (the apply itself only carries out the planned changes).
        let targets: Vec<crate::addr::Target> = plan
            .targets
            .iter()
            .filter_map(|t| crate::addr::parse_target(t).ok())
            .collect();
        walk.targeted_outputs =
            select_targets(&walk.g.dag, &targets, plan.mode == PlanMode::Destroy)
                .map(|selected| outputs_following(&walk.g.dag, &selected));
        let report = walk.g.dag.walk(stop, |i| walk.run_node(i)).await;
        // Only a failure rolls back: an interrupt is the user's stop, and keeps what finished.
        let rolled_back = if e.rollback && walk.failed.load(Ordering::SeqCst) && !report.stopped {
            Some(walk.roll_back(&prior).await)
        } else {
            None
        };
        walk.hand_over_values();
        let mut out = std::mem::take(&mut *walk.out.locked());
        let mut final_state = std::mem::take(&mut *walk.state.locked());
        if !walk.failed.load(Ordering::SeqCst) && !report.stopped {
            let mut outputs = final_state.outputs.clone();
            for (name, o) in std::mem::take(&mut out.root_outputs) {
                outputs.insert(name, o);
            }
            // As in Terraform, a null output is not stored: it is absent from `output`.
            outputs.retain(|name, o| {
                e.config.outputs.contains_key(name)
                    && plan.mode != PlanMode::Destroy
                    && !o.value.is_null()
            });
            for o in outputs.values_mut() {
                if !o.value.is_wholly_known() {
                    o.value = unknown_as_null(std::mem::take(&mut o.value));
                }
            }
            if outputs != final_state.outputs {
                if let Some(j) = &walk.journal {
                    let record = Record::Outputs {
                        outputs: outputs.clone(),
                    };
                    if let Err(err) = j.append(&record).await {
                        out.diags
                            .push(Diagnostic::error("Failed to save state", err.to_string()));
                    }
                }
                final_state.outputs = outputs;
            }
        }
        if report.stopped {
            out.diags.push(Diagnostic::error("Operation interrupted", "The apply was interrupted. Resources finished before the interrupt are saved in state; run plan again to see what remains."));
        }
        dedup_diags(&mut out.diags);
        ApplyResult {
            state: final_state,
            diagnostics: out.diags,
            counts: out.counts,
            interrupted: report.stopped,
            rollback: rolled_back,
        }
    }

    fn planned_change<'p>(
        &self,
        plan: &'p Plan,
        addr: &InstanceAddr,
    ) -> Option<&'p ResourceChange> {
        self.plan_index
            .get(&(addr.clone(), false))
            .map(|i| &plan.changes[*i])
    }

    fn compute_targets(&self) -> Option<HashMap<NodeIndex, bool>> {
        select_targets(
            &self.g.dag,
            &self.opts.targets,
            self.opts.mode == PlanMode::Destroy,
        )
    }

    /// Whether the root output at node `i` is evaluated: always, unless `-target` is in
    /// effect and the output does not follow from what it selects.
    fn output_in_target(&self, i: NodeIndex) -> bool {
        self.targeted_outputs
            .as_ref()
            .is_none_or(|selected| selected.contains(&i))
    }

    fn targets_instance(&self, i: NodeIndex, addr: &InstanceAddr) -> bool {
        match &self.targeted {
            None => true,
            Some(sel) => match sel.get(&i) {
                None => false,
                Some(true) => true,
                Some(false) => self.opts.targets.iter().any(|t| t.matches(addr)),
            },
        }
    }

    async fn run_node(&self, i: NodeIndex) -> Outcome {
        let node = self.g.dag.node(i).clone();
        let inherited = {
            let d = self.deferred.locked();
            self.g.dag.dependencies(i).find_map(|x| d.get(&x).cloned())
        };
        let run = async {
            match &node.kind {
                NodeKind::Var(n) => self.var_node(&node, n),
                NodeKind::Local(n) => self.local_node(&node, n),
                NodeKind::Output(_) if node.module.is_empty() && !self.output_in_target(i) => {
                    Ok(())
                }
                NodeKind::Output(n) => self.output_node(&node, n),
                NodeKind::Call(n) => self.call_node(i, &node, n),
                NodeKind::Provider(p) => self.provider_node(&node, p).await,
                NodeKind::Resource(k) => self.resource_node(i, &node, k, inherited.clone()).await,
                NodeKind::Destroy(k) => self.destroy_node(i, &node, k).await,
                NodeKind::Check(n) => self.check_node(&node, n),
            }
        };
        let result = match std::panic::AssertUnwindSafe(run).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(Fail::Fatal(vec![Diagnostic::error(
                    "Internal error",
                    format!("mlform failed unexpectedly while working on {}: {what}. Nothing new was started; what finished before is saved in state.", node.label()),
                )
                .hint("This is a bug in mlform; please report it with the configuration that caused it.")]))
            }
        };
        if let Some(reason) = inherited {
            self.deferred.locked().entry(i).or_insert(reason);
        }
        match result {
            Ok(()) => Outcome::Done,
            Err(Fail::Node(d)) => {
                self.out.locked().diags.extend(d);
                Outcome::Failed
            }
            Err(Fail::Fatal(d)) => {
                self.failed.store(true, Ordering::SeqCst);
                self.out.locked().diags.extend(d);
                Outcome::Fatal
            }
        }
    }

    /// `count.index` and `each` for an instance key. In validate, `each` is unknown.
    fn instance_keys(
        &self,
        key: &Option<Key>,
        each_value: Option<Value>,
    ) -> (Option<i64>, Option<(Value, Value)>) {
        match (key, each_value) {
            (Some(Key::Int(n)), _) => (Some(*n), None),
            (Some(Key::Str(_)), Some(v)) if self.phase == Phase::Validate => {
                (None, Some((Value::Unknown, v)))
            }
            (Some(Key::Str(s)), Some(v)) => (None, Some((Value::from(s.as_str()), v))),
            _ => (None, None),
        }
    }

    fn module(&self, path: &[String]) -> &Module {
        self.e
            .config
            .descendant(path)
            .expect("graph nodes come from configuration")
    }

    fn instances_of(&self, path: &[String]) -> Option<Vec<ModulePath>> {
        self.values.locked().expansions.get(path).cloned().flatten()
    }

    fn scope<'v>(
        &'v self,
        values: &'v Values,
        mi: &'v ModulePath,
        m: &'v Module,
        count: Option<i64>,
        each: Option<(Value, Value)>,
    ) -> EvalScope<'v> {
        EvalScope {
            values,
            module: mi,
            config: m,
            module_dir: m.dir.clone(),
            root_dir: &self.e.root_dir,
            count_index: count,
            each,
            self_value: None,
        }
    }

    fn check_conditions(
        &self,
        checks: &[Check],
        ev: &mut Evaluator<'_>,
        what: &str,
        kind: &str,
    ) -> Result<(), Vec<Diagnostic>> {
        let mut diags = Vec::new();
        for c in checks {
            match ev.eval(&c.condition.expr) {
                Ok(v) if v.is_unknown() => {}
                Ok(v) => match v.as_bool() {
                    Some(true) => {}
                    Some(false) => {
                        let msg = ev
                            .eval(&c.error_message.expr)
                            .ok()
                            .and_then(|m| {
                                if m.is_sensitive() {
                                    Some("(sensitive value)".to_string())
                                } else {
                                    to_string(&m)
                                }
                            })
                            .unwrap_or_else(|| "The condition is false.".into());
                        diags.push(
                            Diagnostic::error(
                                format!("{kind} failed"),
                                format!(
                                    "{msg}\n\nThis was checked by the {} of {what}.",
                                    kind.to_lowercase()
                                ),
                            )
                            .at(c.condition.span())
                            .checkable(what),
                        );
                    }
                    None => diags.push(
                        Diagnostic::error(
                            "Invalid condition result",
                            "A condition must produce a bool.",
                        )
                        .at(c.condition.span()),
                    ),
                },
                Err(d) => diags.push(d),
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags)
        }
    }

    /// Leaves the walk's values where the engine's `values_out` asks for them.
    fn hand_over_values(&self) {
        if let Some(out) = &self.e.values_out {
            let values = std::mem::take(&mut *self.values.locked());
            *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(values);
        }
    }

    // ---- variables, locals, outputs, module calls, providers --------------------------

    fn configured(&self, p: &ProviderRef) -> Option<Arc<dyn Configured>> {
        self.providers.locked().get(p).cloned()
    }

    fn resource_impl(
        &self,
        p: &ProviderRef,
        module: &[String],
        key: &ResourceKey,
    ) -> Result<Arc<dyn Resource>, Diagnostic> {
        let c = self.configured(p).ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                format!("The provider \"{p}\" needed by {key} is not configured."),
            )
        })?;
        let res = c.resource(&key.type_name).ok_or_else(|| {
            Diagnostic::error(
                "Invalid resource type",
                format!(
                    "The provider \"{p}\" does not support resource type \"{}\".",
                    key.type_name
                ),
            )
        })?;
        Ok(match self.e.overrides.find(module, key) {
            Some(values) => Arc::new(mlform_provider::mock::MockResource {
                schema: res.schema(),
                values: values.clone(),
            }),
            None => res,
        })
    }

    /// The implementation one instance uses: `res`, or a mock when an override names the
    /// instance itself (`mlform test`'s `override_resource { target = x.y[0] }`).
    fn instance_impl(
        &self,
        res: &Arc<dyn Resource>,
        module: &[String],
        key: &ResourceKey,
        instance: &Option<Key>,
    ) -> Arc<dyn Resource> {
        match self.e.overrides.find_instance(module, key, instance) {
            Some(values) => Arc::new(mlform_provider::mock::MockResource {
                schema: res.schema(),
                values: values.clone(),
            }),
            None => res.clone(),
        }
    }

    /// The data source of `key`, or its override.
    fn data_source_impl(
        &self,
        p: &ProviderRef,
        module: &[String],
        key: &ResourceKey,
    ) -> Option<Arc<dyn mlform_provider::DataSource>> {
        let ds = self.configured(p)?.data_source(&key.type_name)?;
        Some(match self.e.overrides.find(module, key) {
            Some(values) => Arc::new(mlform_provider::mock::MockDataSource {
                schema: ds.schema(),
                values: values.clone(),
            }),
            None => ds,
        })
    }
}

fn prefix(mi: &ModulePath) -> String {
    if mi.is_empty() {
        String::new()
    } else {
        format!("{}.", crate::addr::module_path_string(mi))
    }
}

fn prevent_destroy_diag(addr: &InstanceAddr, span: Option<Span>) -> Diagnostic {
    Diagnostic::error("Instance cannot be destroyed", format!("Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed."))
        .at(span)
        .hint("To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using -target.")
}

/// Marks the schema's sensitive attributes (top level) as sensitive.
fn mark_schema_sensitive(v: Value, schema: &Schema) -> Value {
    match v {
        Value::Map(mut m) => {
            for (name, a) in &schema.attributes {
                if a.sensitive {
                    if let Some(x) = m.remove(name) {
                        m.insert(
                            name.clone(),
                            if x.is_null() { x } else { x.into_sensitive() },
                        );
                    }
                }
            }
            Value::Map(m)
        }
        v => v,
    }
}

/// A data source's planned value: its configuration, with computed attributes unknown.
fn unknown_computed(config: Value, schema: &Schema) -> Value {
    match config {
        Value::Map(mut m) => {
            for (name, a) in &schema.attributes {
                if a.computed && m.get(name).is_none_or(Value::is_null) {
                    m.insert(name.clone(), Value::Unknown);
                }
            }
            Value::Map(m)
        }
        v => v,
    }
}

/// Replaces ignored attributes of the configuration with their prior values.
fn apply_ignore_changes(config: Value, prior: &Value, ignore: &IgnoreChanges) -> Value {
    match ignore {
        IgnoreChanges::None => config,
        IgnoreChanges::All => match (config, prior.as_map()) {
            (Value::Map(mut c), Some(p)) => {
                for (k, v) in c.iter_mut() {
                    if let Some(pv) = p.get(k) {
                        *v = pv.clone();
                    }
                }
                Value::Map(c)
            }
            (c, _) => c,
        },
        IgnoreChanges::Paths(paths) => {
            let mut c = config;
            for path in paths {
                let old = prior.at_path(path).cloned();
                c = set_path(c, path, old);
            }
            c
        }
    }
}

fn set_path(v: Value, path: &[PathStep], new: Option<Value>) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return new.unwrap_or(Value::Null);
    };
    let (v, sensitive) = split_mark(v);
    let out = match (first, v) {
        (PathStep::GetAttr(k) | PathStep::Key(k), Value::Map(mut m)) => {
            let child = m.remove(k).unwrap_or(Value::Null);
            if rest.is_empty() && new.is_none() {
                // The prior had no such key: leave it out.
            } else {
                m.insert(k.clone(), set_path(child, rest, new));
            }
            Value::Map(m)
        }
        (PathStep::Index(i), Value::List(mut items)) if *i < items.len() => {
            let child = std::mem::take(&mut items[*i]);
            items[*i] = set_path(child, rest, new);
            Value::List(items)
        }
        (_, v) => v,
    };
    out.mark_sensitive_if(sensitive)
}

/// The first top-level attribute whose planned (known) value changed at apply time.
fn inconsistent(planned: &Value, final_planned: &Value) -> Option<String> {
    let (Some(p), Some(f)) = (planned.as_map(), final_planned.as_map()) else {
        return None;
    };
    for (k, v) in p {
        if v.is_wholly_known() && !f.get(k).is_some_and(|x| x.same_data(v)) {
            return Some(k.clone());
        }
    }
    None
}

fn dedup_diags(diags: &mut Vec<Diagnostic>) {
    let mut seen = Vec::new();
    diags.retain(|d| {
        let key = (d.summary.clone(), d.detail.clone(), d.span.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_changes_keeps_prior_values() {
        let config = Value::object([
            ("a", Value::from("new")),
            (
                "tags",
                Value::object([("team", Value::from("x")), ("env", Value::from("dev"))]),
            ),
        ]);
        let prior = Value::object([
            ("a", Value::from("old")),
            (
                "tags",
                Value::object([("team", Value::from("y")), ("env", Value::from("dev"))]),
            ),
        ]);
        let path = vec![
            PathStep::GetAttr("tags".into()),
            PathStep::Key("team".into()),
        ];
        let out = apply_ignore_changes(config.clone(), &prior, &IgnoreChanges::Paths(vec![path]));
        assert_eq!(out.get_attr("a").as_str(), Some("new"));
        assert_eq!(out.get_attr("tags").get_attr("team").as_str(), Some("y"));
        let all = apply_ignore_changes(config, &prior, &IgnoreChanges::All);
        assert_eq!(all.get_attr("a").as_str(), Some("old"));
    }
}

/// What state keeps of a value with unknown parts: null in their place.
fn unknown_as_null(v: Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.into_iter().map(unknown_as_null).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(unknown_as_null).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| (k, unknown_as_null(v)))
                .collect(),
        ),
        Value::Sensitive(inner) => Value::Sensitive(Box::new(unknown_as_null(*inner))),
        other => other,
    }
}

/// The resource nodes `-target` selects (`true` when all their instances are), with every
/// node they depend on (or, when destroying, every node depending on them); `None`
/// without targets.
fn select_targets(
    dag: &crate::graph::Dag<Node>,
    targets: &[crate::addr::Target],
    destroy: bool,
) -> Option<HashMap<NodeIndex, bool>> {
    if targets.is_empty() {
        return None;
    }
    let mut selected: HashMap<NodeIndex, bool> = HashMap::new();
    let mut stack = Vec::new();
    for i in dag.graph.node_indices() {
        let n = dag.node(i);
        let (NodeKind::Resource(k) | NodeKind::Destroy(k)) = &n.kind else {
            continue;
        };
        let matching: Vec<_> = targets
            .iter()
            .filter(|t| t.may_match(&n.module, k))
            .collect();
        if matching.is_empty() {
            continue;
        }
        let all = matching
            .iter()
            .any(|t| !matches!(t, crate::addr::Target::Instance(_)));
        selected.insert(i, all);
        stack.push(i);
    }
    while let Some(i) = stack.pop() {
        let next: Vec<NodeIndex> = if destroy {
            dag.dependents(i).collect()
        } else {
            dag.dependencies(i).collect()
        };
        for d in next {
            if matches!(
                dag.node(d).kind,
                NodeKind::Resource(_) | NodeKind::Destroy(_)
            ) && !selected.get(&d).copied().unwrap_or(false)
            {
                selected.insert(d, true);
                stack.push(d);
            } else if !selected.contains_key(&d) {
                stack.push(d);
                selected.insert(d, true);
            }
        }
    }
    Some(selected)
}

/// The output nodes Terraform keeps under `-target`: those reached from a selected node
/// through outputs, locals, variables and module calls only (an output that depends on
/// an untargeted resource is not evaluated, and keeps its value in state). Providers lead
/// nowhere.
fn outputs_following(
    dag: &crate::graph::Dag<Node>,
    selected: &HashMap<NodeIndex, bool>,
) -> HashSet<NodeIndex> {
    let passes = |i: NodeIndex| {
        matches!(
            dag.node(i).kind,
            NodeKind::Output(_) | NodeKind::Local(_) | NodeKind::Var(_) | NodeKind::Call(_)
        )
    };
    let mut reached: HashSet<NodeIndex> = selected.keys().copied().collect();
    let mut queue: Vec<NodeIndex> = selected
        .keys()
        .copied()
        .filter(|i| !matches!(dag.node(*i).kind, NodeKind::Provider(_)))
        .collect();
    while let Some(i) = queue.pop() {
        for d in dag.dependents(i) {
            if passes(d) && reached.insert(d) {
                queue.push(d);
            }
        }
    }
    reached
        .into_iter()
        .filter(|i| matches!(dag.node(*i).kind, NodeKind::Output(_)))
        .collect()
}
