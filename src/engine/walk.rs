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
use crate::state::local::Journal;
use crate::state::{InstanceState, OutputState, Record, State};

#[derive(Default)]
struct Collected {
    changes: Vec<ResourceChange>,
    checks: Vec<CheckResult>,
    drift: Vec<Drift>,
    outputs: Vec<OutputChange>,
    deferred: Vec<Deferred>,
    diags: Vec<Diagnostic>,
    counts: ApplyCounts,
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
    /// Resource nodes selected by -target; `true` when all their instances are selected.
    targeted: Option<HashMap<NodeIndex, bool>>,
    state_index: HashMap<(Vec<String>, ResourceKey), Vec<InstanceAddr>>,
    plan_deferred: HashSet<String>,
    /// Apply: the plan's changes by instance address (and deposed flag).
    plan_index: HashMap<(InstanceAddr, bool), usize>,
    /// Apply: the plan's changes by configuration resource.
    plan_by_resource: HashMap<(Vec<String>, ResourceKey), Vec<usize>>,
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
        values.expansions.insert(vec![], Some(vec![vec![]]));
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
            state: Mutex::new(prior.clone()),
            journal: None,
            targeted: None,
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
        }
    }

    pub(super) async fn run_plan(
        e: &Engine,
        prior: &State,
        root_vars: &BTreeMap<String, Value>,
        opts: &Options,
        phase: Phase,
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
        let report = walk.g.dag.walk(stop, |i| walk.run_node(i)).await;
        let mut out = std::mem::take(&mut *walk.out.locked());
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
        let plan = Plan {
            mode: opts.mode,
            changes: out.changes,
            drift: out.drift,
            outputs: out.outputs,
            deferred: out.deferred,
            variables: BTreeMap::new(),
            config_files: e.config_files.clone(),
            prior_lineage: prior.lineage.clone(),
            prior_serial: prior.serial,
            targets: opts.targets.iter().map(|t| t.to_string()).collect(),
            errored: false,
            checks: out.checks,
        };
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
                }
            }
        };
        let opts = Options {
            mode: plan.mode,
            refresh: false,
            targets: Vec::new(),
            replace: Vec::new(),
            parallelism,
        };
        let prior = state.clone();
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
        let report = walk.g.dag.walk(stop, |i| walk.run_node(i)).await;
        let mut out = std::mem::take(&mut *walk.out.locked());
        let mut final_state = std::mem::take(&mut *walk.state.locked());
        if !walk.failed.load(Ordering::SeqCst) && !report.stopped {
            let mut outputs = final_state.outputs.clone();
            for (name, o) in out.root_outputs {
                outputs.insert(name, o);
            }
            // As in Terraform, a null output is not stored: it is absent from `output`.
            outputs.retain(|name, o| {
                e.config.outputs.contains_key(name)
                    && plan.mode != PlanMode::Destroy
                    && !o.value.is_null()
            });
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
        if self.opts.targets.is_empty() {
            return None;
        }
        let dag = &self.g.dag;
        let mut selected: HashMap<NodeIndex, bool> = HashMap::new();
        let mut stack = Vec::new();
        for i in dag.graph.node_indices() {
            let n = dag.node(i);
            let (NodeKind::Resource(k) | NodeKind::Destroy(k)) = &n.kind else {
                continue;
            };
            let matching: Vec<_> = self
                .opts
                .targets
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
        let destroy = self.opts.mode == PlanMode::Destroy;
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

    /// The IDs that root `import` blocks give instances of `key` in module instance `mi`.
    fn import_ids(
        &self,
        mi: &ModulePath,
        key: &ResourceKey,
    ) -> Result<HashMap<Option<Key>, String>, Vec<Diagnostic>> {
        use crate::addr::Target;
        let mut out: HashMap<Option<Key>, String> = HashMap::new();
        let mut diags = Vec::new();
        let root = &self.e.config;
        let root_path: ModulePath = Vec::new();
        for im in &root.imports {
            let (module, resource, fixed_key) = match &im.to {
                Target::Resource(m, r) => (m, r, None),
                Target::Instance(i) => (&i.module, &i.resource, i.key.clone()),
                Target::Module(_) => continue,
            };
            if resource != key || module != mi {
                continue;
            }
            let values = self.values.locked();
            let one = |each: Option<(Value, Value)>| -> Result<(Option<Key>, String), Diagnostic> {
                let scope = self.scope(&values, &root_path, root, None, each);
                let mut ev = Evaluator::new(&scope, im.id.file);
                let id = ev.eval(&im.id.expr)?;
                if !id.is_wholly_known() {
                    return Err(Diagnostic::error("Invalid import id argument", "The import block \"id\" argument depends on values that cannot be determined until apply.").at(im.id.span()));
                }
                let id = to_string(&id.strip_marks()).ok_or_else(|| {
                    Diagnostic::error(
                        "Invalid import id argument",
                        format!(
                            "The import ID must be a string, but it is {}.",
                            id.type_name()
                        ),
                    )
                    .at(im.id.span())
                })?;
                let k = match &im.to_key {
                    None => fixed_key.clone(),
                    Some(e) => {
                        let v = ev.eval(&e.expr)?.strip_marks();
                        match (&v, v.as_f64()) {
                            (Value::String(s), _) => Some(Key::Str(s.clone())),
                            (_, Some(n)) if n.fract() == 0.0 => Some(Key::Int(n as i64)),
                            _ => return Err(Diagnostic::error("Invalid import address", format!("The instance key of an import target must be a string or a whole number, but it is {}.", v.type_name())).at(e.span())),
                        }
                    }
                };
                Ok((k, id))
            };
            let mut found = Vec::new();
            match &im.for_each {
                None => found.push(one(None)),
                Some(f) => {
                    let scope = self.scope(&values, &root_path, root, None, None);
                    let v = Evaluator::new(&scope, f.file)
                        .eval(&f.expr)
                        .map_err(|d| vec![d])?;
                    let (v, _) = split_mark(v);
                    let items: Vec<(Value, Value)> = match v {
                        Value::Map(m) => {
                            m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()
                        }
                        Value::Set(items) | Value::List(items) => {
                            items.into_iter().map(|v| (v.clone(), v)).collect()
                        }
                        Value::Unknown => {
                            diags.push(Diagnostic::error("Invalid for_each argument", "The import block's for_each depends on values that cannot be determined until apply.").at(f.span()));
                            continue;
                        }
                        other => {
                            diags.push(Diagnostic::error("Invalid for_each argument", format!("The import block's for_each must be a map, set or list, but it is {}.", other.type_name())).at(f.span()));
                            continue;
                        }
                    };
                    for each in items {
                        found.push(one(Some(each)));
                    }
                }
            }
            for r in found {
                match r {
                    Ok((k, id)) => {
                        let addr = InstanceAddr {
                            module: mi.clone(),
                            resource: key.clone(),
                            key: k.clone(),
                        };
                        if out.insert(k, id).is_some() {
                            diags.push(
                                Diagnostic::error(
                                    "Duplicate import configuration",
                                    format!("More than one import block imports to {addr}."),
                                )
                                .at(im.span.clone()),
                            );
                        }
                    }
                    Err(d) => diags.push(d),
                }
            }
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    /// Reads the object an import block names, as the prior state of its instance.
    async fn import_object(
        &self,
        addr: &InstanceAddr,
        id: &str,
        res: &Arc<dyn Resource>,
    ) -> Result<Value, Diagnostic> {
        let _permit = self.sem.acquire().await.expect("semaphore");
        let addr_s = addr.to_string();
        self.reporter.event(Event::Importing { addr: &addr_s, id });
        match self.retry(&addr_s, || res.import(id)).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id \"{id}\". Only pre-existing objects can be imported; check that the id is correct."))),
            Err(e) => Err(Diagnostic::error("Import failed", format!("{addr}: {e}"))),
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
                            .at(c.condition.span()),
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

    // ---- variables, locals, outputs, module calls, providers --------------------------

    fn var_node(&self, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let var = &m.variables[name];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        let mut diags = Vec::new();
        // A default must fit the declared type, whatever value is given (Terraform checks
        // this at validate).
        if let Some(d) = &var.default {
            if let Ok(v) = eval_constant(&d.expr) {
                if !v.is_null() {
                    if let Err(e) = convert(&v, &var.type_constraint) {
                        return Err(Diagnostic::error(
                            "Invalid default value for variable",
                            format!("This default value is not compatible with the variable's type constraint: {e}."),
                        )
                        .at(d.span())
                        .into());
                    }
                }
            }
        }
        for mi in mis {
            let raw = if mi.is_empty() {
                if self.phase == Phase::Validate {
                    Some(Value::Unknown)
                } else {
                    self.root_vars.get(name).cloned()
                }
            } else {
                self.values
                    .locked()
                    .modules
                    .get(&mi)
                    .and_then(|v| v.inputs.get(name).cloned())
            };
            let raw = match raw {
                Some(v)
                    if !(v.is_null()
                        && (!var.nullable || var.default.is_some())
                        && mi.is_empty())
                        && !(v.is_null() && !var.nullable) =>
                {
                    v
                }
                _ => match &var.default {
                    Some(d) => match eval_constant(&d.expr) {
                        Ok(v) => v,
                        Err(e) => {
                            diags.push(
                                Diagnostic::error("Invalid default value for variable", e)
                                    .at(d.span()),
                            );
                            continue;
                        }
                    },
                    None if mi.is_empty() => {
                        diags.push(
                            Diagnostic::error("No value for required variable", format!("The root module input variable \"{name}\" is not set, and has no default value."))
                                .at(var.span.clone())
                                .hint(format!("Use -var=\"{name}=...\", a terraform.tfvars file, or the TF_VAR_{name} environment variable.")),
                        );
                        continue;
                    }
                    None => Value::Null,
                },
            };
            let mut v = match convert(&raw, &var.type_constraint) {
                Ok(v) => v,
                Err(e) => {
                    let shown = if var.sensitive {
                        String::new()
                    } else {
                        format!(" The value given was {raw}.")
                    };
                    diags.push(
                        Diagnostic::error(
                            "Invalid value for input variable",
                            format!("The given value is not suitable for var.{name}: {e}.{shown}"),
                        )
                        .at(var.span.clone())
                        .hint(format!("The variable's type is {}.", var.type_constraint)),
                    );
                    continue;
                }
            };
            if v.is_null() && !var.nullable {
                diags.push(
                    Diagnostic::error(
                        "Required variable not set",
                        format!("The variable \"{name}\" is not nullable, and its value is null."),
                    )
                    .at(var.span.clone()),
                );
                continue;
            }
            v = v.mark_sensitive_if(var.sensitive);
            let mut values = self.values.locked();
            values.module_mut(&mi).vars.insert(name.to_string(), v);
            if !var.validations.is_empty() {
                let scope = self.scope(&values, &mi, m, None, None);
                let mut ev = Evaluator::new(&scope, 0);
                if let Err(mut d) = self.check_conditions(
                    &var.validations,
                    &mut ev,
                    &format!("var.{name}"),
                    "Invalid value for variable",
                ) {
                    for d in &mut d {
                        d.summary = "Invalid value for variable".into();
                    }
                    diags.append(&mut d);
                }
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags.into())
        }
    }

    fn local_node(&self, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let local = &m.locals[name];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        for mi in mis {
            let mut values = self.values.locked();
            let v = {
                let scope = self.scope(&values, &mi, m, None, None);
                Evaluator::new(&scope, local.value.file).eval(&local.value.expr)?
            };
            values.module_mut(&mi).locals.insert(name.to_string(), v);
        }
        Ok(())
    }

    fn output_node(&self, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let o = &m.outputs[name];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        for mi in mis {
            let mut values = self.values.locked();
            let v = {
                let scope = self.scope(&values, &mi, m, None, None);
                let mut ev = Evaluator::new(&scope, o.value.file);
                if self.phase != Phase::Validate {
                    self.check_conditions(
                        &o.preconditions,
                        &mut ev,
                        &format!("output.{name}"),
                        "Module output value precondition",
                    )?;
                }
                ev.eval(&o.value.expr)?
            };
            if mi.is_empty() && v.contains_sensitive() && !o.sensitive {
                return Err(Diagnostic::error("Output refers to sensitive values", format!("The output \"{name}\" is derived from sensitive values, so it must be marked sensitive to be shown."))
                    .at(o.span.clone())
                    .hint("Add `sensitive = true` to the output block, or wrap the value in nonsensitive() if it is safe to show.")
                    .into());
            }
            let v = v.mark_sensitive_if(o.sensitive);
            if mi.is_empty() {
                drop(values);
                self.record_root_output(name, v, o.sensitive);
            } else {
                let (call, key) = mi.last().cloned().expect("child module path");
                let parent: ModulePath = mi[..mi.len() - 1].to_vec();
                if let Some(inst) = values.module_mut(&parent).calls.get_mut(&call) {
                    if let Some(Value::Map(map)) = inst.values.get_mut(&key) {
                        map.insert(name.to_string(), v);
                    }
                }
            }
        }
        Ok(())
    }

    /// A `check` block: each failing assertion is a warning, on plan and again on apply; an
    /// assertion that is not known yet, or fails to evaluate, is reported and never blocks.
    fn check_node(&self, node: &Node, name: &str) -> NodeResult {
        if self.phase == Phase::Validate {
            return Ok(());
        }
        let m = self.module(&node.module);
        let Some(c) = m.checks.iter().find(|c| c.name == name) else {
            return Ok(());
        };
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        let mut warnings = Vec::new();
        let mut instances = Vec::new();
        for mi in mis {
            let values = self.values.locked();
            let scope = self.scope(&values, &mi, m, None, None);
            let what = format!("{}check.{name}", prefix(&mi));
            let mut status = CheckStatus::Pass;
            let mut problems = Vec::new();
            for a in &c.asserts {
                let mut ev = Evaluator::new(&scope, a.condition.file);
                if ev.eval(&a.condition.expr).is_ok_and(|v| v.is_unknown()) {
                    if status == CheckStatus::Pass {
                        status = CheckStatus::Unknown;
                    }
                    continue;
                }
                if let Err(diags) = self.check_conditions(
                    std::slice::from_ref(a),
                    &mut ev,
                    &what,
                    "Check block assertion",
                ) {
                    status = CheckStatus::Fail;
                    for mut d in diags {
                        problems.push(
                            d.detail
                                .split("\n\n")
                                .next()
                                .unwrap_or_default()
                                .to_string(),
                        );
                        d.severity = crate::diag::Severity::Warning;
                        warnings.push(d);
                    }
                }
            }
            instances.push(CheckInstance {
                address: what,
                status,
                problems,
            });
        }
        let status = if instances.iter().any(|i| i.status == CheckStatus::Fail) {
            CheckStatus::Fail
        } else if instances.iter().any(|i| i.status == CheckStatus::Unknown) {
            CheckStatus::Unknown
        } else {
            CheckStatus::Pass
        };
        let mut out = self.out.locked();
        out.diags.extend(warnings);
        out.checks.push(CheckResult {
            address: format!(
                "{}check.{name}",
                node.module
                    .iter()
                    .map(|m| format!("module.{m}."))
                    .collect::<String>()
            ),
            name: name.to_string(),
            status,
            instances,
        });
        Ok(())
    }

    fn record_root_output(&self, name: &str, v: Value, sensitive: bool) {
        match self.phase {
            Phase::Validate => {}
            Phase::Plan => {
                if self.opts.mode == PlanMode::Destroy {
                    return;
                }
                let before = self.prior.outputs.get(name).map(|o| o.value.clone());
                let action = match &before {
                    None => Action::Create,
                    Some(b) if b.same_data(&v) => Action::NoOp,
                    Some(_) => Action::Update,
                };
                self.out.locked().outputs.push(OutputChange {
                    name: name.to_string(),
                    action,
                    before,
                    after: Some(v),
                    sensitive,
                });
            }
            Phase::Apply => {
                if v.is_wholly_known() {
                    self.out.locked().root_outputs.insert(
                        name.to_string(),
                        OutputState {
                            value: v,
                            sensitive,
                        },
                    );
                }
            }
        }
    }

    fn expand(
        &self,
        values: &Values,
        mi: &ModulePath,
        m: &Module,
        count: Option<&crate::config::Expr>,
        for_each: Option<&crate::config::Expr>,
    ) -> Result<Expanded, Diagnostic> {
        let scope = self.scope(values, mi, m, None, None);
        if let Some(c) = count {
            let v = Evaluator::new(&scope, c.file).eval(&c.expr)?;
            let (v, _) = split_mark(v);
            if v.is_unknown() {
                return Ok(Expanded::Unknown);
            }
            let n = v
                .as_f64()
                .or_else(|| crate::eval::types::to_number(&v))
                .ok_or_else(|| {
                    Diagnostic::error(
                        "Invalid count argument",
                        format!(
                            "The count argument must be a whole number, but it is {}.",
                            v.type_name()
                        ),
                    )
                    .at(c.span())
                })?;
            if n < 0.0 || n.fract() != 0.0 {
                return Err(Diagnostic::error(
                    "Invalid count argument",
                    format!(
                        "The count argument must be a non-negative whole number, but it is {}.",
                        mlform_provider::format_number(n)
                    ),
                )
                .at(c.span()));
            }
            if n > super::MAX_INSTANCES as f64 {
                return Err(Diagnostic::error(
                    "Invalid count argument",
                    format!(
                        "The count argument is {}, more than {}, the limit on instances of one resource or module call.",
                        mlform_provider::format_number(n),
                        super::MAX_INSTANCES
                    ),
                )
                .at(c.span())
                .hint("Split the resource, or check the expression: a count this large is usually a mistake."));
            }
            return Ok(Expanded::Keys(
                Expansion::Count,
                (0..n as i64).map(|i| (Some(Key::Int(i)), None)).collect(),
            ));
        }
        if let Some(f) = for_each {
            let v = Evaluator::new(&scope, f.file).eval(&f.expr)?;
            if v.is_sensitive() {
                return Err(Diagnostic::error("Invalid for_each argument", "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: the instance keys would reveal them.").at(f.span()).hint("Use nonsensitive() on the keys if they are safe to show."));
            }
            let (v, _) = split_mark(v);
            return match v {
                Value::Unknown => Ok(Expanded::Unknown),
                Value::Map(m) => {
                    Ok(Expanded::Keys(Expansion::ForEach, m.into_iter().map(|(k, v)| (Some(Key::Str(k)), Some(v))).collect()))
                }
                Value::Set(items) => {
                    let mut keys = Vec::new();
                    for item in items {
                        if item.is_unknown() {
                            return Ok(Expanded::Unknown);
                        }
                        let Some(s) = item.as_str() else {
                            return Err(Diagnostic::error("Invalid for_each set argument", format!("The given for_each argument is a set of {}; a set must contain strings.", item.type_name())).at(f.span()));
                        };
                        keys.push((Some(Key::Str(s.to_string())), Some(Value::from(s))));
                    }
                    Ok(Expanded::Keys(Expansion::ForEach, keys))
                }
                Value::List(_) => Err(Diagnostic::error("Invalid for_each argument", "The for_each argument must be a map, or a set of strings, and you have provided a list.").at(f.span()).hint("Convert it with toset(), as in for_each = toset(var.names).")),
                Value::Null => Err(Diagnostic::error("Invalid for_each argument", "The for_each argument is null; it must be a map or a set of strings.").at(f.span())),
                other => Err(Diagnostic::error("Invalid for_each argument", format!("The for_each argument must be a map, or a set of strings, and you have provided a value of type {}.", other.type_name())).at(f.span())),
            };
        }
        Ok(Expanded::Keys(Expansion::Single, vec![(None, None)]))
    }

    fn call_node(&self, i: NodeIndex, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let call = &m.module_calls[name];
        let child = &m.children[name];
        let mut child_path = node.module.clone();
        child_path.push(name.to_string());
        let mut diags = Vec::new();
        for input in call.inputs.keys() {
            if !child.variables.contains_key(input) {
                diags.push(
                    Diagnostic::error("Unsupported argument", format!("An argument named \"{input}\" is not expected here: module \"{name}\" declares no such variable."))
                        .at(call.inputs[input].span())
                        .hint(crate::diag::did_you_mean(input, child.variables.keys().map(String::as_str)).unwrap_or_else(|| "Declare the variable in the module, or remove the argument.".into())),
                );
            }
        }
        for (vn, v) in &child.variables {
            if v.default.is_none() && !call.inputs.contains_key(vn) {
                diags.push(Diagnostic::error("Missing required argument", format!("The argument \"{vn}\" is required by module \"{name}\", but no definition was found.")).at(call.span.clone()).hint(format!("Add {vn} = ... to the module block.")));
            }
        }
        if !diags.is_empty() {
            return Err(diags.into());
        }
        let Some(mis) = self.instances_of(&node.module) else {
            self.values.locked().expansions.insert(child_path, None);
            return Ok(());
        };
        let mut children = Vec::new();
        let mut unknown = false;
        for mi in mis {
            let mut values = self.values.locked();
            let expanded =
                self.expand(&values, &mi, m, call.count.as_ref(), call.for_each.as_ref())?;
            let (expansion, keys) = match expanded {
                Expanded::Unknown if self.phase == Phase::Validate => {
                    match (&call.count, &call.for_each) {
                        (Some(_), _) => (Expansion::Count, vec![(Some(Key::Int(0)), None)]),
                        (_, Some(_)) => (
                            Expansion::ForEach,
                            vec![(Some(Key::Str(String::new())), Some(Value::Unknown))],
                        ),
                        _ => (Expansion::Single, vec![(None, None)]),
                    }
                }
                Expanded::Unknown => {
                    unknown = true;
                    let addr = format!("{}module.{name}", prefix(&mi));
                    self.deferred.locked().insert(i, addr.clone());
                    self.out.locked().deferred.push(Deferred { addr, reason: "count or for_each of this module depends on values known only after apply".into() });
                    values
                        .module_mut(&mi)
                        .calls
                        .insert(name.to_string(), Instances::new(Expansion::Unknown));
                    continue;
                }
                Expanded::Keys(e, k) => (e, k),
            };
            let mut inst = Instances::new(expansion);
            for (key, each_value) in keys {
                let mut child_mi = mi.clone();
                child_mi.push((name.to_string(), key.clone()));
                let (count, each) = self.instance_keys(&key, each_value);
                let mut inputs = BTreeMap::new();
                {
                    let scope = self.scope(&values, &mi, m, count, each);
                    for (k, e) in &call.inputs {
                        if child.variables.contains_key(k) {
                            inputs.insert(k.clone(), Evaluator::new(&scope, e.file).eval(&e.expr)?);
                        }
                    }
                }
                values.module_mut(&child_mi).inputs = inputs;
                inst.values.insert(key, Value::Map(BTreeMap::new()));
                children.push(child_mi);
            }
            values.module_mut(&mi).calls.insert(name.to_string(), inst);
        }
        self.values
            .locked()
            .expansions
            .insert(child_path, if unknown { None } else { Some(children) });
        Ok(())
    }

    async fn provider_node(&self, node: &Node, p: &ProviderRef) -> NodeResult {
        let Some((provider, schema)) = self.e.registry.get(&p.name) else {
            return Err(Diagnostic::error(
                "Unknown provider",
                format!(
                    "The provider \"{}\" is not available in this build of mlform.",
                    p.name
                ),
            )
            .into());
        };
        let root = &self.e.config;
        let block = root
            .providers
            .iter()
            .find(|b| b.name == p.name && b.alias == p.alias);
        let config = {
            let values = self.values.locked();
            let root_path: ModulePath = vec![];
            let scope = self.scope(&values, &root_path, root, None, None);
            match block {
                Some(b) => {
                    let mut ev = Evaluator::new(&scope, b.body.file);
                    eval_body(
                        &mut ev,
                        b.body.file,
                        &b.body.body,
                        &schema.provider,
                        &format!("the provider \"{p}\" block"),
                        node.span.clone(),
                    )?
                }
                None => {
                    let mut ev = Evaluator::new(&scope, 0);
                    eval_body(
                        &mut ev,
                        0,
                        &hcl_edit::structure::Body::new(),
                        &schema.provider,
                        &format!("the provider \"{p}\" configuration"),
                        None,
                    )?
                }
            }
        };
        if self.phase == Phase::Validate {
            return Ok(());
        }
        match provider.configure(&config).await {
            Ok(c) => {
                self.providers.locked().insert(p.clone(), c);
                Ok(())
            }
            Err(e) => Err(Diagnostic::error(
                "Failed to configure provider",
                format!("Provider \"{p}\" could not be configured: {e}"),
            )
            .at(node.span.clone())
            .into()),
        }
    }

    // ---- resources -----------------------------------------------------------------

    fn configured(&self, p: &ProviderRef) -> Option<Arc<dyn Configured>> {
        self.providers.locked().get(p).cloned()
    }

    fn resource_impl(
        &self,
        p: &ProviderRef,
        key: &ResourceKey,
    ) -> Result<Arc<dyn Resource>, Diagnostic> {
        let c = self.configured(p).ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                format!("The provider \"{p}\" needed by {key} is not configured."),
            )
        })?;
        c.resource(&key.type_name).ok_or_else(|| {
            Diagnostic::error(
                "Invalid resource type",
                format!(
                    "The provider \"{p}\" does not support resource type \"{}\".",
                    key.type_name
                ),
            )
        })
    }

    fn instances_from_state(&self, st: &State, mi: &ModulePath, key: &ResourceKey) -> Instances {
        let mut inst = Instances::new(Expansion::Single);
        let mut any = false;
        for (addr, s) in st.resource_instances(mi, key) {
            inst.expansion = match &addr.key {
                None => Expansion::Single,
                Some(Key::Int(_)) => Expansion::Count,
                Some(Key::Str(_)) => Expansion::ForEach,
            };
            inst.values.insert(addr.key.clone(), s.value.clone());
            any = true;
        }
        if !any {
            inst.expansion = Expansion::Count;
        }
        inst
    }

    fn keep_state_values(&self, mi: &ModulePath, key: &ResourceKey) {
        let inst = {
            let st = self.state.locked();
            self.instances_from_state(&st, mi, key)
        };
        self.values
            .locked()
            .module_mut(mi)
            .resources
            .insert(key.clone(), inst);
    }

    async fn resource_node(
        &self,
        i: NodeIndex,
        node: &Node,
        key: &ResourceKey,
        inherited: Option<String>,
    ) -> NodeResult {
        let m = self.module(&node.module);
        let rc = &m.resources[key];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        let schema = self
            .e
            .registry
            .schema(&rc.provider.name, key)
            .cloned()
            .unwrap_or_default();
        if let (Some(reason), true) = (&inherited, self.phase != Phase::Validate) {
            for mi in &mis {
                self.keep_state_values(mi, key);
                if self.phase == Phase::Plan {
                    self.out.locked().deferred.push(Deferred {
                        addr: format!("{}{key}", prefix(mi)),
                        reason: format!(
                            "depends on {reason}, whose instances are not known until apply"
                        ),
                    });
                }
            }
            return Ok(());
        }
        if self.targeted.as_ref().is_some_and(|t| !t.contains_key(&i)) {
            for mi in &mis {
                self.keep_state_values(mi, key);
            }
            return Ok(());
        }
        match self.phase {
            Phase::Validate => self.validate_resource(&mis, m, key, &schema),
            Phase::Plan => self.plan_resource(i, node, &mis, m, key, &schema).await,
            Phase::Apply => self.apply_resource(i, node, &mis, m, key, &schema).await,
        }
    }

    fn validate_resource(
        &self,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        for mi in mis {
            let mut values = self.values.locked();
            let expanded = self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())?;
            let (count, each) = match (rc.count.is_some(), rc.for_each.is_some()) {
                (true, _) => (Some(0), None),
                (_, true) => (None, Some((Value::Unknown, Value::Unknown))),
                _ => (None, None),
            };
            let _ = expanded;
            {
                let scope = self.scope(&values, mi, m, count, each);
                let mut ev = Evaluator::new(&scope, rc.body.file);
                eval_body(
                    &mut ev,
                    rc.body.file,
                    &rc.body.body,
                    schema,
                    &format!("{key}"),
                    rc.span.clone(),
                )?;
            }
            values
                .module_mut(mi)
                .resources
                .insert(key.clone(), Instances::new(Expansion::Unknown));
        }
        Ok(())
    }

    async fn refresh(
        &self,
        addr: &InstanceAddr,
        inst: &InstanceState,
        res: &Arc<dyn Resource>,
        schema: &Schema,
    ) -> Result<Option<Value>, Diagnostic> {
        if !self.opts.refresh {
            return Ok(Some(inst.value.clone()));
        }
        let _permit = self.sem.acquire().await.expect("semaphore");
        let addr_s = addr.to_string();
        let id = inst
            .value
            .get_attr("id")
            .as_str()
            .filter(|_| !inst.value.get_attr("id").is_sensitive())
            .map(str::to_string);
        self.reporter.event(Event::Refreshing {
            addr: &addr_s,
            id: id.as_deref(),
        });
        let live = self
            .retry(&addr_s, || res.read(&inst.value))
            .await
            .map_err(|e| {
                Diagnostic::error(
                    "Failed to refresh resource",
                    format!("Reading {addr_s}: {e}"),
                )
            })?;
        let live = live.map(|l| {
            mark_schema_sensitive(
                res.normalize(&inst.value, l)
                    .with_sensitive_paths(&inst.value.sensitive_paths()),
                schema,
            )
        });
        let drifted = match &live {
            None => true,
            Some(l) => !l.same_data(&inst.value),
        };
        if drifted {
            self.out.locked().drift.push(Drift {
                addr: addr.clone(),
                before: inst.value.clone(),
                after: live.clone(),
                provider: inst.provider.clone(),
            });
        }
        Ok(live)
    }

    async fn plan_resource(
        &self,
        i: NodeIndex,
        node: &Node,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        if key.mode == Mode::Data {
            return self.plan_data(mis, m, key, schema).await;
        }
        let res = self.resource_impl(&rc.provider, key)?;
        let provider_string = provider_state_string(&self.e.registry, &rc.provider);
        let deps = self.g.resource_deps.get(&i).cloned().unwrap_or_default();
        let cbd = self.g.create_before_destroy.contains(&i);
        let mut diags = Vec::new();
        let mut known_modules: HashSet<ModulePath> = HashSet::new();
        for mi in mis {
            known_modules.insert(mi.clone());
            let expanded = {
                let values = self.values.locked();
                self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())?
            };
            let addr_prefix = format!("{}{key}", prefix(mi));
            let (expansion, keys) = match expanded {
                Expanded::Unknown => {
                    self.deferred.locked().insert(i, addr_prefix.clone());
                    self.out.locked().deferred.push(Deferred {
                        addr: addr_prefix,
                        reason: format!("its {} depends on values known only after apply; it will be planned by the next run", if rc.count.is_some() { "count" } else { "for_each" }),
                    });
                    self.keep_state_values(mi, key);
                    continue;
                }
                Expanded::Keys(e, k) => (e, k),
            };
            let priors: Vec<(InstanceAddr, InstanceState)> = self
                .prior
                .resource_instances(mi, key)
                .map(|(a, s)| (a.clone(), s.clone()))
                .collect();
            let desired: HashSet<Option<Key>> = keys.iter().map(|(k, _)| k.clone()).collect();
            let imports = if self.phase == Phase::Plan && self.opts.mode == PlanMode::Normal {
                match self.import_ids(mi, key) {
                    Ok(ids) => ids,
                    Err(mut d) => {
                        diags.append(&mut d);
                        continue;
                    }
                }
            } else {
                HashMap::new()
            };
            for k in imports.keys() {
                if !desired.contains(k) {
                    let addr = InstanceAddr {
                        module: mi.clone(),
                        resource: key.clone(),
                        key: k.clone(),
                    };
                    diags.push(Diagnostic::error("Configuration for import target does not exist", format!("The configuration for the given import target {addr} does not exist: the resource's count or for_each has no such instance.")).at(rc.span.clone()));
                }
            }
            // Refresh every prior instance (targeted ones), concurrently.
            let res_ref = &res;
            let refreshed =
                futures_util::future::join_all(
                    priors
                        .iter()
                        .filter(|(a, _)| self.targets_instance(i, a))
                        .map(|(a, s)| async move {
                            (a.clone(), self.refresh(a, s, res_ref, schema).await)
                        }),
                )
                .await;
            let mut live: HashMap<Option<Key>, Option<Value>> = HashMap::new();
            for (a, r) in refreshed {
                match r {
                    Ok(v) => {
                        live.insert(a.key.clone(), v);
                    }
                    Err(d) => diags.push(d),
                }
            }
            let mut inst_values = Instances::new(expansion.clone());
            let mut changes = Vec::new();
            for (a, s) in &priors {
                if !desired.contains(&a.key) {
                    if !self.targets_instance(i, a) || self.opts.mode == PlanMode::RefreshOnly {
                        continue;
                    }
                    let Some(Some(before)) = live.get(&a.key).cloned() else {
                        continue;
                    };
                    if rc.lifecycle.prevent_destroy {
                        diags.push(prevent_destroy_diag(a, rc.span.clone()));
                        continue;
                    }
                    let reason = match (&a.key, &expansion) {
                        (Some(Key::Int(_)), Expansion::Count) => format!(
                            "index {} is out of range for count",
                            a.key.as_ref().unwrap()
                        ),
                        (Some(Key::Str(_)), Expansion::ForEach) => {
                            format!("key {} is not in for_each map", a.key.as_ref().unwrap())
                        }
                        (_, Expansion::Single) => {
                            "the resource no longer has count or for_each".to_string()
                        }
                        _ => "its key does not match the resource's count or for_each".to_string(),
                    };
                    changes.push(ResourceChange {
                        previous_addr: None,
                        importing: None,
                        blocks: Default::default(),
                        addr: a.clone(),
                        deposed: false,
                        action: Action::Delete,
                        before: Some(before),
                        after: None,
                        requires_replace: vec![],
                        reason: Some(reason),
                        provider: s.provider.clone(),
                        dependencies: s.dependencies.clone(),
                        create_before_destroy: false,
                    });
                }
            }
            for (k, each_value) in keys {
                let addr = InstanceAddr {
                    module: mi.clone(),
                    resource: key.clone(),
                    key: k.clone(),
                };
                let prior_state = priors.iter().find(|(a, _)| a.key == k).map(|(_, s)| s);
                if !self.targets_instance(i, &addr) {
                    if let Some(s) = prior_state {
                        inst_values.values.insert(k.clone(), s.value.clone());
                    }
                    continue;
                }
                let mut importing = None;
                let before = match prior_state {
                    Some(_) => live.get(&k).cloned().flatten(),
                    None => match imports.get(&k) {
                        Some(id) => match self.import_object(&addr, id, &res).await {
                            Ok(v) => {
                                importing = Some(id.clone());
                                Some(mark_schema_sensitive(v, schema))
                            }
                            Err(d) => {
                                diags.push(d);
                                continue;
                            }
                        },
                        None => None,
                    },
                };
                if self.opts.mode == PlanMode::Destroy {
                    if let Some(b) = before {
                        inst_values.values.insert(k.clone(), b);
                    }
                    continue;
                }
                if self.opts.mode == PlanMode::RefreshOnly {
                    if let Some(b) = &before {
                        inst_values.values.insert(k.clone(), b.clone());
                        changes.push(ResourceChange {
                            previous_addr: None,
                            importing: None,
                            blocks: Default::default(),
                            addr,
                            deposed: false,
                            action: Action::NoOp,
                            before: Some(b.clone()),
                            after: Some(b.clone()),
                            requires_replace: vec![],
                            reason: None,
                            provider: provider_string.clone(),
                            dependencies: prior_state
                                .map(|s| s.dependencies.clone())
                                .unwrap_or_default(),
                            create_before_destroy: cbd,
                        });
                    }
                    continue;
                }
                let (count, each) = self.instance_keys(&k, each_value);
                let planned = {
                    let values = self.values.locked();
                    let scope = self.scope(&values, mi, m, count, each.clone());
                    let mut ev = Evaluator::new(&scope, rc.body.file);
                    self.plan_instance(
                        &mut ev,
                        &values,
                        mi,
                        m,
                        rc,
                        schema,
                        &res,
                        &addr,
                        before.clone(),
                        cbd,
                        count,
                        each,
                    )
                };
                let planned = match planned {
                    Ok(change) if self.phase == Phase::Plan => {
                        self.dry_run(change, &res, rc.span.clone()).await
                    }
                    other => other,
                };
                match planned {
                    Ok(mut change) => {
                        inst_values
                            .values
                            .insert(k.clone(), change.after.clone().unwrap_or(Value::Unknown));
                        change.provider = provider_string.clone();
                        change.dependencies = deps.clone();
                        change.importing = importing;
                        changes.push(change);
                    }
                    Err(mut d) => diags.append(&mut d),
                }
            }
            self.values
                .locked()
                .module_mut(mi)
                .resources
                .insert(key.clone(), inst_values);
            self.out.locked().changes.extend(changes);
        }
        // Instances in module instances that no longer exist.
        if self.opts.mode != PlanMode::RefreshOnly {
            let orphans: Vec<InstanceAddr> = self
                .state_index
                .get(&(node.module.clone(), key.clone()))
                .into_iter()
                .flatten()
                .filter(|a| !known_modules.contains(&a.module) && self.targets_instance(i, a))
                .cloned()
                .collect();
            let module_deferred = self
                .values
                .locked()
                .expansions
                .get(&node.module)
                .is_some_and(|e| e.is_none());
            if !module_deferred {
                self.plan_deletes(
                    &orphans,
                    &res,
                    schema,
                    rc.lifecycle.prevent_destroy,
                    rc.span.clone(),
                    |a| {
                        format!(
                            "{} is not in configuration",
                            crate::addr::module_path_string(&a.module)
                        )
                    },
                    &mut diags,
                )
                .await;
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags.into())
        }
    }

    async fn plan_deletes(
        &self,
        addrs: &[InstanceAddr],
        res: &Arc<dyn Resource>,
        schema: &Schema,
        prevent: bool,
        span: Option<Span>,
        reason: impl Fn(&InstanceAddr) -> String,
        diags: &mut Vec<Diagnostic>,
    ) {
        let items: Vec<(InstanceAddr, InstanceState)> = addrs
            .iter()
            .filter_map(|a| self.prior.instances.get(a).map(|s| (a.clone(), s.clone())))
            .collect();
        let refreshed = futures_util::future::join_all(
            items
                .iter()
                .map(|(a, s)| async move { (a, s, self.refresh(a, s, res, schema).await) }),
        )
        .await;
        let mut out = Vec::new();
        for (a, s, r) in refreshed {
            match r {
                Ok(Some(before)) => {
                    if prevent {
                        diags.push(prevent_destroy_diag(a, span.clone()));
                        continue;
                    }
                    let why = reason(a);
                    out.push(ResourceChange {
                        previous_addr: None,
                        importing: None,
                        blocks: Default::default(),
                        addr: a.clone(),
                        deposed: false,
                        action: Action::Delete,
                        before: Some(before),
                        after: None,
                        requires_replace: vec![],
                        reason: if why.is_empty() { None } else { Some(why) },
                        provider: s.provider.clone(),
                        dependencies: s.dependencies.clone(),
                        create_before_destroy: false,
                    });
                }
                Ok(None) => {}
                Err(d) => diags.push(d),
            }
        }
        self.out.locked().changes.extend(out);
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_instance(
        &self,
        ev: &mut Evaluator<'_>,
        values: &Values,
        mi: &ModulePath,
        m: &Module,
        rc: &crate::config::Resource,
        schema: &Schema,
        res: &Arc<dyn Resource>,
        addr: &InstanceAddr,
        before: Option<Value>,
        cbd: bool,
        count: Option<i64>,
        each: Option<(Value, Value)>,
    ) -> Result<ResourceChange, Vec<Diagnostic>> {
        let what = addr.to_string();
        self.check_conditions(
            &rc.lifecycle.preconditions,
            ev,
            &what,
            "Resource precondition",
        )?;
        let config = eval_body(
            ev,
            rc.body.file,
            &rc.body.body,
            schema,
            &what,
            rc.span.clone(),
        )?;
        let config = match &before {
            Some(p) => apply_ignore_changes(config, p, &rc.lifecycle.ignore_changes),
            None => config,
        };
        let provider_err = |e: ProviderError| {
            vec![
                Diagnostic::error("Invalid resource configuration", format!("{what}: {e}"))
                    .at(rc.span.clone()),
            ]
        };
        let planned = res
            .plan(PlanRequest {
                prior: before.as_ref(),
                config: &config,
            })
            .map_err(provider_err)?;
        let forced_by_cli = self.opts.replace.iter().any(|t| t.matches(addr));
        let triggered = self.replace_triggered(rc, mi);
        let mut reason = None;
        let (action, after, requires_replace) = match &before {
            None => (Action::Create, planned.state, vec![]),
            Some(p) => {
                if forced_by_cli || triggered.is_some() || !planned.requires_replace.is_empty() {
                    reason = if forced_by_cli {
                        Some("replacement requested by -replace".to_string())
                    } else if let Some(t) = triggered {
                        Some(format!("replace_triggered_by {t} changed"))
                    } else {
                        planned.replace_reason.clone()
                    };
                    let fresh = res
                        .plan(PlanRequest {
                            prior: None,
                            config: &config,
                        })
                        .map_err(provider_err)?;
                    if rc.lifecycle.prevent_destroy {
                        return Err(vec![prevent_destroy_diag(addr, rc.span.clone())]);
                    }
                    (
                        if cbd {
                            Action::CreateThenDelete
                        } else {
                            Action::DeleteThenCreate
                        },
                        fresh.state,
                        planned.requires_replace,
                    )
                } else if planned.state.same_data(p) {
                    (Action::NoOp, p.clone(), vec![])
                } else {
                    (Action::Update, planned.state, vec![])
                }
            }
        };
        let after = mark_schema_sensitive(after, schema);
        if !rc.lifecycle.postconditions.is_empty() && after.is_wholly_known() {
            let scope = EvalScope {
                self_value: Some(after.clone()),
                ..self.scope(values, mi, m, count, each)
            };
            let mut ev2 = Evaluator::new(&scope, rc.body.file);
            self.check_conditions(
                &rc.lifecycle.postconditions,
                &mut ev2,
                &what,
                "Resource postcondition",
            )?;
        }
        Ok(ResourceChange {
            previous_addr: None,
            importing: None,
            blocks: Default::default(),
            addr: addr.clone(),
            deposed: false,
            action,
            before,
            after: Some(after),
            requires_replace,
            reason,
            provider: String::new(),
            dependencies: vec![],
            create_before_destroy: cbd,
        })
    }

    /// Lets the provider check a wholly known create or update against its API without
    /// changing anything; a change the API would turn into what is already there is a no-op.
    async fn dry_run(
        &self,
        mut change: ResourceChange,
        res: &Arc<dyn Resource>,
        span: Option<Span>,
    ) -> Result<ResourceChange, Vec<Diagnostic>> {
        if !matches!(change.action, Action::Create | Action::Update) {
            return Ok(change);
        }
        let Some(after) = change.after.clone().filter(Value::is_wholly_known) else {
            return Ok(change);
        };
        match res.dry_run(change.before.as_ref(), &after).await {
            Ok(Some(result)) => {
                if let Some(before) = &change.before {
                    if before.same_data(&result) {
                        change.action = Action::NoOp;
                        change.after = Some(before.clone());
                    }
                }
                Ok(change)
            }
            Ok(None) => Ok(change),
            Err(e) => Err(vec![Diagnostic::error(
                "Planned change rejected by the API",
                format!("{}: {e}", change.addr),
            )
            .at(span)]),
        }
    }

    /// The first `replace_triggered_by` reference whose object changes in this plan.
    fn replace_triggered(&self, rc: &crate::config::Resource, mi: &ModulePath) -> Option<String> {
        let out = self.out.locked();
        for e in &rc.lifecycle.replace_triggered_by {
            for r in crate::eval::refs::expr_refs(&e.expr) {
                let crate::eval::refs::Reference::Resource(k) = &r.reference else {
                    continue;
                };
                let hit = out.changes.iter().any(|c| {
                    &c.addr.resource == k
                        && &c.addr.module == mi
                        && match &r.attr {
                            None => !matches!(c.action, Action::NoOp | Action::Read),
                            Some(attr) => {
                                let b = c
                                    .before
                                    .as_ref()
                                    .map(|v| v.get_attr(attr).clone())
                                    .unwrap_or(Value::Null);
                                let a = c
                                    .after
                                    .as_ref()
                                    .map(|v| v.get_attr(attr).clone())
                                    .unwrap_or(Value::Null);
                                !b.same_data(&a)
                                    || matches!(
                                        c.action,
                                        Action::DeleteThenCreate | Action::CreateThenDelete
                                    )
                            }
                        }
                });
                if hit {
                    return Some(format!(
                        "{}{}",
                        k,
                        r.attr.map(|a| format!(".{a}")).unwrap_or_default()
                    ));
                }
            }
        }
        None
    }

    async fn plan_data(
        &self,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        let ds = self
            .configured(&rc.provider)
            .and_then(|c| c.data_source(&key.type_name))
            .ok_or_else(|| {
                Diagnostic::error(
                    "Invalid data source",
                    format!(
                        "The provider \"{}\" does not support data source \"{}\".",
                        rc.provider, key.type_name
                    ),
                )
                .at(rc.span.clone())
            })?;
        let provider_string = provider_state_string(&self.e.registry, &rc.provider);
        for mi in mis {
            // As in Terraform: a read that depends_on a resource with changes pending waits
            // for apply, so it sees the result.
            let waits_for_changes = {
                let out = self.out.locked();
                rc.depends_on.iter().any(|e| {
                    crate::eval::refs::expr_refs(&e.expr)
                        .iter()
                        .any(|r| match &r.reference {
                            crate::eval::refs::Reference::Resource(k) => {
                                out.changes.iter().any(|c| {
                                    &c.addr.resource == k
                                        && &c.addr.module == mi
                                        && !matches!(c.action, Action::NoOp | Action::Read)
                                })
                            }
                            _ => false,
                        })
                })
            };
            let expanded = {
                let values = self.values.locked();
                self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())?
            };
            let Expanded::Keys(expansion, keys) = expanded else {
                self.values
                    .locked()
                    .module_mut(mi)
                    .resources
                    .insert(key.clone(), Instances::new(Expansion::Unknown));
                continue;
            };
            let mut configs = Vec::new();
            for (k, each_value) in keys {
                let (count, each) = self.instance_keys(&k, each_value);
                let values = self.values.locked();
                let scope = self.scope(&values, mi, m, count, each);
                let mut ev = Evaluator::new(&scope, rc.body.file);
                let addr = InstanceAddr {
                    module: mi.clone(),
                    resource: key.clone(),
                    key: k.clone(),
                };
                let config = eval_body(
                    &mut ev,
                    rc.body.file,
                    &rc.body.body,
                    schema,
                    &addr.to_string(),
                    rc.span.clone(),
                )?;
                configs.push((addr, config));
            }
            let reads =
                futures_util::future::join_all(configs.into_iter().map(|(addr, config)| {
                    let ds = ds.clone();
                    async move {
                        if !config.is_wholly_known()
                            || waits_for_changes
                            || self.opts.mode == PlanMode::Destroy
                        {
                            return (addr, config, Ok(None));
                        }
                        let _p = self.sem.acquire().await.expect("semaphore");
                        let a = addr.to_string();
                        self.reporter.event(Event::Reading { addr: &a });
                        let r = self.retry(&a, || ds.read(&config)).await;
                        (addr, config, r.map(Some))
                    }
                }))
                .await;
            let mut inst = Instances::new(expansion);
            for (addr, config, r) in reads {
                match r {
                    Ok(Some(v)) => {
                        let v = mark_schema_sensitive(v, schema);
                        inst.values.insert(addr.key.clone(), v.clone());
                        self.out.locked().changes.push(ResourceChange {
                            previous_addr: None,
                            importing: None,
                            blocks: Default::default(),
                            addr,
                            deposed: false,
                            action: Action::NoOp,
                            before: None,
                            after: Some(v),
                            requires_replace: vec![],
                            reason: None,
                            provider: provider_string.clone(),
                            dependencies: vec![],
                            create_before_destroy: false,
                        });
                    }
                    Ok(None) => {
                        inst.values.insert(addr.key.clone(), Value::Unknown);
                        if self.opts.mode != PlanMode::Destroy {
                            self.out.locked().changes.push(ResourceChange {
                                previous_addr: None,
                                importing: None,
                                blocks: Default::default(),
                                addr,
                                deposed: false,
                                action: Action::Read,
                                before: None,
                                after: Some(unknown_computed(config, schema)),
                                requires_replace: vec![],
                                reason: Some(if waits_for_changes {
                                    "depends on a resource with changes pending".into()
                                } else {
                                    "config refers to values not yet known".into()
                                }),
                                provider: provider_string.clone(),
                                dependencies: vec![],
                                create_before_destroy: false,
                            });
                        }
                    }
                    Err(e) if rc.check.is_some() => {
                        // Scoped to a check block: the check reports, nothing fails.
                        inst.values.insert(addr.key.clone(), Value::Unknown);
                        self.out.locked().diags.push(
                            Diagnostic::warning(
                                "Check block data source failed",
                                format!(
                                    "Reading {addr} for check.{} failed: {e}",
                                    rc.check.as_deref().unwrap_or_default()
                                ),
                            )
                            .at(rc.span.clone()),
                        );
                    }
                    Err(e) => {
                        return Err(Diagnostic::error(
                            "Failed to read data source",
                            format!("Reading {addr}: {e}"),
                        )
                        .at(rc.span.clone())
                        .into())
                    }
                }
            }
            self.values
                .locked()
                .module_mut(mi)
                .resources
                .insert(key.clone(), inst);
        }
        Ok(())
    }

    async fn apply_resource(
        &self,
        i: NodeIndex,
        node: &Node,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        let plan = self.plan.expect("apply has a plan");
        let _ = node;
        for mi in mis {
            let addr_prefix = format!("{}{key}", prefix(mi));
            if self.plan_deferred.contains(&addr_prefix) {
                self.deferred.locked().insert(i, addr_prefix);
                self.keep_state_values(mi, key);
                continue;
            }
            let expanded = {
                let values = self.values.locked();
                self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())
                    .map_err(|d| Fail::Fatal(vec![d]))?
            };
            let Expanded::Keys(expansion, keys) = expanded else {
                self.keep_state_values(mi, key);
                continue;
            };
            if key.mode == Mode::Data {
                self.apply_data(mi, m, key, schema, expansion, keys, plan)
                    .await?;
                continue;
            }
            let res = self
                .resource_impl(&rc.provider, key)
                .map_err(|d| Fail::Fatal(vec![d]))?;
            let mut inst_values = Instances::new(expansion);
            let mut jobs = Vec::new();
            for (k, each_value) in keys {
                let addr = InstanceAddr {
                    module: mi.clone(),
                    resource: key.clone(),
                    key: k.clone(),
                };
                let current = self.state.locked().instances.get(&addr).cloned();
                let Some(change) = self.planned_change(plan, &addr) else {
                    if let Some(c) = current {
                        inst_values.values.insert(k, c.value);
                    }
                    continue;
                };
                match change.action {
                    Action::NoOp | Action::Read | Action::Delete => {
                        let v = change
                            .before
                            .clone()
                            .or(current.as_ref().map(|c| c.value.clone()))
                            .unwrap_or(Value::Null);
                        if let Some(c) = &current {
                            if !c.value.same_data(&v) && change.action == Action::NoOp {
                                let record = Record::Put {
                                    addr: addr.clone(),
                                    instance: InstanceState {
                                        value: v.clone(),
                                        ..c.clone()
                                    },
                                };
                                self.commit(&record)
                                    .await
                                    .map_err(|d| Fail::Fatal(vec![d]))?;
                            }
                        }
                        inst_values.values.insert(k, v);
                        continue;
                    }
                    _ => {}
                }
                let (count, each) = self.instance_keys(&k, each_value);
                // Update from the refreshed object the plan was made against, not the older state.
                let prior = if change.action == Action::Update {
                    change
                        .before
                        .clone()
                        .or_else(|| current.as_ref().map(|c| c.value.clone()))
                } else {
                    None
                };
                let final_planned = {
                    let values = self.values.locked();
                    let scope = self.scope(&values, mi, m, count, each);
                    let mut ev = Evaluator::new(&scope, rc.body.file);
                    let config = eval_body(
                        &mut ev,
                        rc.body.file,
                        &rc.body.body,
                        schema,
                        &addr.to_string(),
                        rc.span.clone(),
                    )
                    .map_err(Fail::Fatal)?;
                    let config = match &prior {
                        Some(p) => apply_ignore_changes(config, p, &rc.lifecycle.ignore_changes),
                        None => config,
                    };
                    let planned = res
                        .plan(PlanRequest {
                            prior: prior.as_ref(),
                            config: &config,
                        })
                        .map_err(|e| {
                            Fail::Fatal(vec![Diagnostic::error(
                                "Provider produced an invalid plan",
                                format!("{addr}: {e}"),
                            )])
                        })?;
                    mark_schema_sensitive(planned.state, schema)
                };
                if let Some(attr) = inconsistent(
                    change.after.as_ref().unwrap_or(&Value::Null),
                    &final_planned,
                ) {
                    return Err(Fail::Fatal(vec![Diagnostic::error("Inconsistent final plan", format!("When applying {addr}, the planned value of \"{attr}\" changed from what the saved plan recorded. Nothing was changed for this resource; run plan again."))]));
                }
                jobs.push((addr, change.clone(), prior, final_planned, current));
            }
            let deps = self.g.resource_deps.get(&i).cloned().unwrap_or_default();
            let provider_string = provider_state_string(&self.e.registry, &rc.provider);
            let results = futures_util::future::join_all(jobs.into_iter().map(
                |(addr, change, prior, planned, current)| {
                    let res = res.clone();
                    let deps = deps.clone();
                    let provider_string = provider_string.clone();
                    async move {
                        if self.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
                            return (addr, Err(None));
                        }
                        let _permit = self.sem.acquire().await.expect("semaphore");
                        if self.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
                            return (addr, Err(None));
                        }
                        if change.action == Action::CreateThenDelete {
                            if let Some(c) = &current {
                                if let Err(d) = self
                                    .commit(&Record::Depose {
                                        addr: addr.clone(),
                                        instance: c.clone(),
                                    })
                                    .await
                                {
                                    return (addr, Err(Some(d)));
                                }
                            }
                        }
                        let a = addr.to_string();
                        let shown_action = if change.action.is_replace() {
                            Action::Create
                        } else {
                            change.action
                        };
                        let id = prior.as_ref().and_then(|p| {
                            p.get_attr("id")
                                .as_str()
                                .filter(|_| !p.get_attr("id").is_sensitive())
                                .map(str::to_string)
                        });
                        self.reporter.event(Event::Started {
                            addr: &a,
                            action: shown_action,
                            id: id.as_deref(),
                        });
                        let started = Instant::now();
                        let result = self
                            .with_progress(
                                &a,
                                shown_action,
                                self.retry(&a, || async {
                                    match &prior {
                                        Some(p) => res.update(p, &planned).await,
                                        None => res.create(&planned).await,
                                    }
                                }),
                            )
                            .await;
                        match result {
                            Ok(v) => {
                                let v = mark_schema_sensitive(
                                    v.with_sensitive_paths(&planned.sensitive_paths()),
                                    schema,
                                );
                                let record = Record::Put {
                                    addr: addr.clone(),
                                    instance: InstanceState {
                                        provider: provider_string,
                                        value: v.clone(),
                                        dependencies: deps,
                                        create_before_destroy: change.create_before_destroy,
                                    },
                                };
                                if let Err(d) = self.commit(&record).await {
                                    return (addr, Err(Some(d)));
                                }
                                let id = v
                                    .get_attr("id")
                                    .as_str()
                                    .filter(|_| !v.get_attr("id").is_sensitive())
                                    .map(str::to_string);
                                self.reporter.event(Event::Finished {
                                    addr: &a,
                                    action: shown_action,
                                    elapsed: started.elapsed(),
                                    id: id.as_deref(),
                                });
                                let mut out = self.out.locked();
                                match change.action {
                                    Action::Update => out.counts.changed += 1,
                                    _ => out.counts.added += 1,
                                }
                                (addr, Ok(v))
                            }
                            Err(e) => {
                                let msg = e.to_string();
                                self.reporter.event(Event::Failed {
                                    addr: &a,
                                    action: shown_action,
                                    message: &msg,
                                });
                                self.failed.store(true, Ordering::SeqCst);
                                let verb = if prior.is_some() {
                                    "updating"
                                } else {
                                    "creating"
                                };
                                (
                                    addr,
                                    Err(Some(
                                        Diagnostic::error(format!("Error {verb} {a}"), msg)
                                            .at(rc.span.clone()),
                                    )),
                                )
                            }
                        }
                    }
                },
            ))
            .await;
            let mut diags = Vec::new();
            let mut stopped = false;
            for (addr, r) in results {
                match r {
                    Ok(v) => {
                        inst_values.values.insert(addr.key.clone(), v);
                    }
                    Err(Some(d)) => diags.push(d),
                    Err(None) => stopped = true,
                }
            }
            self.values
                .locked()
                .module_mut(mi)
                .resources
                .insert(key.clone(), inst_values);
            if !diags.is_empty() {
                return Err(Fail::Fatal(diags));
            }
            if stopped {
                return Err(Fail::Fatal(vec![]));
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_data(
        &self,
        mi: &ModulePath,
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
        expansion: Expansion,
        keys: Vec<(Option<Key>, Option<Value>)>,
        plan: &Plan,
    ) -> NodeResult {
        let rc = &m.resources[key];
        let mut inst = Instances::new(expansion);
        for (k, each_value) in keys {
            let addr = InstanceAddr {
                module: mi.clone(),
                resource: key.clone(),
                key: k.clone(),
            };
            match self.planned_change(plan, &addr) {
                Some(c) if c.action != Action::Read => {
                    inst.values
                        .insert(k, c.after.clone().unwrap_or(Value::Null));
                }
                // Destroying: nothing reads what is being torn down.
                None if plan.mode == PlanMode::Destroy => {
                    inst.values.insert(k, Value::Unknown);
                }
                _ => {
                    let (count, each) = self.instance_keys(&k, each_value);
                    let config = {
                        let values = self.values.locked();
                        let scope = self.scope(&values, mi, m, count, each);
                        let mut ev = Evaluator::new(&scope, rc.body.file);
                        eval_body(
                            &mut ev,
                            rc.body.file,
                            &rc.body.body,
                            schema,
                            &addr.to_string(),
                            rc.span.clone(),
                        )
                        .map_err(Fail::Fatal)?
                    };
                    let ds = self
                        .configured(&rc.provider)
                        .and_then(|c| c.data_source(&key.type_name))
                        .ok_or_else(|| {
                            Fail::Fatal(vec![Diagnostic::error(
                                "Invalid data source",
                                key.to_string(),
                            )])
                        })?;
                    let a = addr.to_string();
                    self.reporter.event(Event::Reading { addr: &a });
                    match self.retry(&a, || ds.read(&config)).await {
                        Ok(v) => {
                            inst.values.insert(k, mark_schema_sensitive(v, schema));
                        }
                        Err(e) if rc.check.is_some() => {
                            inst.values.insert(k, Value::Unknown);
                            self.out.locked().diags.push(Diagnostic::warning(
                                "Check block data source failed",
                                format!(
                                    "Reading {a} for check.{} failed: {e}",
                                    rc.check.as_deref().unwrap_or_default()
                                ),
                            ));
                        }
                        Err(e) => {
                            return Err(Fail::Fatal(vec![Diagnostic::error(
                                "Failed to read data source",
                                format!("Reading {a}: {e}"),
                            )]));
                        }
                    }
                }
            }
        }
        self.values
            .locked()
            .module_mut(mi)
            .resources
            .insert(key.clone(), inst);
        Ok(())
    }

    async fn destroy_node(&self, i: NodeIndex, node: &Node, key: &ResourceKey) -> NodeResult {
        let in_config = self
            .e
            .config
            .descendant(&node.module)
            .is_some_and(|m| m.resources.contains_key(key));
        if self.targeted.as_ref().is_some_and(|t| !t.contains_key(&i)) {
            return Ok(());
        }
        match self.phase {
            Phase::Validate => Ok(()),
            Phase::Plan => {
                if self.opts.mode == PlanMode::RefreshOnly {
                    return Ok(());
                }
                let provider = self
                    .e
                    .config
                    .descendant(&node.module)
                    .and_then(|m| m.resources.get(key))
                    .map(|r| r.provider.clone())
                    .or_else(|| {
                        self.prior
                            .instances
                            .iter()
                            .chain(self.prior.deposed.iter())
                            .find(|(a, _)| {
                                &a.resource == key
                                    && crate::addr::config_path(&a.module) == node.module
                            })
                            .and_then(|(_, s)| {
                                super::parse_provider_state_string(&self.e.registry, &s.provider)
                            })
                    });
                let Some(provider) = provider else {
                    return Ok(());
                };
                let res = self.resource_impl(&provider, key)?;
                let schema = res.schema();
                let mut diags = Vec::new();
                if !in_config || self.opts.mode == PlanMode::Destroy {
                    let prevent = self.opts.mode == PlanMode::Destroy
                        && self
                            .e
                            .config
                            .descendant(&node.module)
                            .and_then(|m| m.resources.get(key))
                            .is_some_and(|r| r.lifecycle.prevent_destroy);
                    let span = self
                        .e
                        .config
                        .descendant(&node.module)
                        .and_then(|m| m.resources.get(key))
                        .and_then(|r| r.span.clone());
                    let addrs: Vec<InstanceAddr> = self
                        .state_index
                        .get(&(node.module.clone(), key.clone()))
                        .into_iter()
                        .flatten()
                        .filter(|a| self.targets_instance(i, a))
                        .cloned()
                        .collect();
                    let destroy_mode = self.opts.mode == PlanMode::Destroy;
                    self.plan_deletes(
                        &addrs,
                        &res,
                        &schema,
                        prevent,
                        span,
                        |a| {
                            if destroy_mode {
                                String::new()
                            } else {
                                format!("{} is not in configuration", a.resource_addr())
                            }
                        },
                        &mut diags,
                    )
                    .await;
                }
                let deposed: Vec<(InstanceAddr, InstanceState)> = self
                    .prior
                    .deposed
                    .iter()
                    .filter(|(a, _)| {
                        &a.resource == key && crate::addr::config_path(&a.module) == node.module
                    })
                    .map(|(a, s)| (a.clone(), s.clone()))
                    .collect();
                for (a, s) in deposed {
                    self.out.locked().changes.push(ResourceChange { previous_addr: None,
 importing: None,
 blocks: Default::default(), addr: a, deposed: true, action: Action::Delete, before: Some(s.value.clone()), after: None, requires_replace: vec![], reason: Some("deposed object left by an interrupted create_before_destroy replacement".into()), provider: s.provider.clone(), dependencies: s.dependencies.clone(), create_before_destroy: true });
                }
                if diags.is_empty() {
                    Ok(())
                } else {
                    Err(diags.into())
                }
            }
            Phase::Apply => {
                let plan = self.plan.expect("apply has a plan");
                let deletes: Vec<&ResourceChange> = self
                    .plan_by_resource
                    .get(&(node.module.clone(), key.clone()))
                    .into_iter()
                    .flatten()
                    .map(|i| &plan.changes[*i])
                    .filter(|c| {
                        matches!(
                            c.action,
                            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
                        )
                    })
                    .collect();
                if deletes.is_empty() {
                    return Ok(());
                }
                let provider = deletes
                    .iter()
                    .find_map(|c| super::parse_provider_state_string(&self.e.registry, &c.provider))
                    .unwrap_or(ProviderRef {
                        name: key
                            .type_name
                            .split('_')
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        alias: None,
                    });
                let res = self
                    .resource_impl(&provider, key)
                    .map_err(|d| Fail::Fatal(vec![d]))?;
                let results = futures_util::future::join_all(deletes.into_iter().map(|c| {
                    let res = res.clone();
                    async move {
                        if self.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
                            return Err(None);
                        }
                        let _permit = self.sem.acquire().await.expect("semaphore");
                        let deposed = c.deposed || c.action == Action::CreateThenDelete;
                        let before = if c.action == Action::CreateThenDelete {
                            match self.state.locked().deposed.get(&c.addr).cloned() {
                                Some(s) => s.value,
                                None => return Ok(()),
                            }
                        } else {
                            c.before.clone().unwrap_or(Value::Null)
                        };
                        let a = if deposed {
                            format!("{} (deposed object)", c.addr)
                        } else {
                            c.addr.to_string()
                        };
                        let id = before
                            .get_attr("id")
                            .as_str()
                            .filter(|_| !before.get_attr("id").is_sensitive())
                            .map(str::to_string);
                        self.reporter.event(Event::Started {
                            addr: &a,
                            action: Action::Delete,
                            id: id.as_deref(),
                        });
                        let started = Instant::now();
                        match self
                            .with_progress(
                                &a,
                                Action::Delete,
                                self.retry(&a, || res.delete(&before)),
                            )
                            .await
                        {
                            Ok(()) => {
                                let record = if deposed {
                                    Record::RemoveDeposed {
                                        addr: c.addr.clone(),
                                    }
                                } else {
                                    Record::Remove {
                                        addr: c.addr.clone(),
                                    }
                                };
                                self.commit(&record).await.map_err(Some)?;
                                self.reporter.event(Event::Finished {
                                    addr: &a,
                                    action: Action::Delete,
                                    elapsed: started.elapsed(),
                                    id: None,
                                });
                                self.out.locked().counts.destroyed += 1;
                                Ok(())
                            }
                            Err(e) => {
                                let msg = e.to_string();
                                self.reporter.event(Event::Failed {
                                    addr: &a,
                                    action: Action::Delete,
                                    message: &msg,
                                });
                                self.failed.store(true, Ordering::SeqCst);
                                Err(Some(Diagnostic::error(format!("Error deleting {a}"), msg)))
                            }
                        }
                    }
                }))
                .await;
                let diags: Vec<Diagnostic> = results
                    .into_iter()
                    .filter_map(|r| r.err().flatten())
                    .collect();
                if !diags.is_empty()
                    || self.failed.load(Ordering::SeqCst)
                    || self.stop.load(Ordering::SeqCst)
                {
                    return Err(Fail::Fatal(diags));
                }
                Ok(())
            }
        }
    }

    /// Makes a state change durable (journal) and visible (in-memory state).
    async fn commit(&self, record: &Record) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            j.append(record).await.map_err(|e| Diagnostic::error("Failed to save state", format!("{e}. The change was made but could not be recorded; check the disk and run plan again.")))?;
        }
        self.state.locked().apply_record(record);
        Ok(())
    }

    async fn retry<T, F, Fut>(&self, addr: &str, mut f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match f().await {
                Err(ProviderError::Transient(msg))
                    if attempt < 6 && !self.stop.load(Ordering::SeqCst) =>
                {
                    self.reporter.event(Event::Retrying {
                        addr,
                        attempt,
                        message: &msg,
                    });
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    async fn with_progress<T>(
        &self,
        addr: &str,
        action: Action,
        fut: impl Future<Output = T>,
    ) -> T {
        let started = Instant::now();
        tokio::pin!(fut);
        let period = Duration::from_secs(10);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                r = &mut fut => return r,
                _ = tick.tick() => self.reporter.event(Event::StillRunning { addr, action, elapsed: started.elapsed() }),
            }
        }
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
