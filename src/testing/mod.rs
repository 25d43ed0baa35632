//! `mlform test`: runs the `run` blocks of `*.tftest.hcl` files against a configuration as
//! `terraform test` does. Each file keeps its states in memory (one per module under test),
//! runs plan or apply in order, checks assertions and expected failures, then destroys what
//! it made, newest state first. Mock providers and overrides replace API calls, so a module
//! can be tested with no cloud account.

mod mocks;
pub mod report;
mod scope;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlform_provider::Value;

use crate::addr::Target;
use crate::config::testfile::{RunBlock, RunCommand, TestFile};
use crate::config::Module;
use crate::diag::{Diagnostic, Sources};
use crate::engine::vars::VarArg;
use crate::engine::{Engine, Options, Registry, ValuesOut};
use crate::plan::PlanMode;
use crate::state::{Journal, State};

pub use report::Printer;

/// What `mlform test` was asked to do.
pub struct TestOptions {
    /// The configuration directory (the module under test).
    pub dir: PathBuf,
    /// Where test files are looked for besides `dir` (`-test-directory`, default `tests`).
    pub test_directory: String,
    /// Only these test files, as paths relative to `dir` (`-filter`).
    pub filter: Vec<String>,
    pub var_args: Vec<VarArg>,
    pub env: Vec<(String, String)>,
    /// The real providers; mocks are made from their schemas.
    pub registry: Registry,
    pub verbose: bool,
    pub parallelism: usize,
}

/// The result of a run or a file, ordered from best to worst as Terraform merges them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Skip,
    Pass,
    Fail,
    Error,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Skip => "skip",
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// One run's outcome.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub name: String,
    /// How many `assert` blocks the run has.
    pub asserts: usize,
    pub status: Status,
    pub duration: Duration,
    /// RFC 3339, when the run started.
    pub timestamp: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// One file's outcome.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub name: String,
    pub status: Status,
    pub runs: Vec<RunResult>,
    /// Problems outside any run: the file itself, or its teardown.
    pub diagnostics: Vec<Diagnostic>,
}

/// Every file's outcome, and the sources their diagnostics point into.
pub struct Outcome {
    pub files: Vec<FileResult>,
    pub sources: Sources,
}

impl Outcome {
    pub fn counts(&self) -> (usize, usize, usize) {
        let runs = self.files.iter().flat_map(|f| &f.runs);
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        for r in runs {
            match r.status {
                Status::Pass => passed += 1,
                Status::Skip => skipped += 1,
                Status::Fail | Status::Error => failed += 1,
            }
        }
        (passed, failed, skipped)
    }

    pub fn success(&self) -> bool {
        self.files.iter().all(|f| f.status <= Status::Pass)
    }
}

/// The test files of `dir` and its test directory, sorted, as paths relative to `dir`.
pub fn discover(dir: &Path, test_directory: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (sub, prefix) in [
        (dir.to_path_buf(), String::new()),
        (dir.join(test_directory), format!("{test_directory}/")),
    ] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tftest.hcl"))
            .map(|n| format!("{prefix}{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

/// State under test for one module: kept in memory for the length of a file.
struct StateEntry {
    state: State,
    /// The engine and variables of the last run that used it, to destroy with.
    engine: Engine,
    variables: BTreeMap<String, Value>,
    last_run: String,
}

pub struct Runner<'a> {
    opts: TestOptions,
    stop: &'a AtomicBool,
    sources: Sources,
}

impl<'a> Runner<'a> {
    pub fn new(opts: TestOptions, stop: &'a AtomicBool) -> Runner<'a> {
        Runner {
            opts,
            stop,
            sources: Sources::default(),
        }
    }

    /// Runs every selected file, printing progress as Terraform does.
    pub async fn run(
        mut self,
        printer: &mut Printer,
    ) -> Result<Outcome, (Vec<Diagnostic>, Sources)> {
        let found = discover(&self.opts.dir, &self.opts.test_directory);
        for f in &self.opts.filter {
            if !found.contains(f) {
                printer.warning(&format!(
                    "Unknown test file: the -filter file {f} is not a test file of this configuration; it was ignored."
                ));
            }
        }
        let selected: Vec<String> = found
            .into_iter()
            .filter(|f| self.opts.filter.is_empty() || self.opts.filter.contains(f))
            .collect();
        // A configuration that does not load fails every file alike: say so once.
        if let Err(d) = crate::config::load(&self.opts.dir, &mut self.sources) {
            return Err((d.0, self.sources));
        }
        let mut files = Vec::new();
        for name in selected {
            let path = self.opts.dir.join(&name);
            let parsed = crate::config::testfile::parse_test_file(
                &name,
                &path,
                &self.opts.dir,
                &mut self.sources,
            );
            printer.file_started(&name);
            let result = match parsed {
                Ok(file) => self.run_file(&file, printer).await,
                Err(diags) => FileResult {
                    name: name.clone(),
                    status: Status::Error,
                    runs: Vec::new(),
                    diagnostics: diags,
                },
            };
            printer.file_finished(&result, &self.sources);
            files.push(result);
        }
        Ok(Outcome {
            files,
            sources: self.sources,
        })
    }

    async fn run_file(&mut self, file: &TestFile, printer: &mut Printer) -> FileResult {
        let mut states: BTreeMap<String, StateEntry> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut run_outputs: BTreeMap<String, Value> = BTreeMap::new();
        let run_names: Vec<String> = file.runs.iter().map(|r| r.name.clone()).collect();
        let mut results = Vec::new();
        let mut skip_rest = false;
        for run in &file.runs {
            let started = Instant::now();
            let timestamp = crate::eval::time::now_rfc3339();
            let (status, diagnostics, verbose) = if skip_rest || self.stop.load(Ordering::SeqCst) {
                (Status::Skip, Vec::new(), None)
            } else {
                self.execute(
                    file,
                    run,
                    &run_names,
                    &mut states,
                    &mut order,
                    &mut run_outputs,
                )
                .await
            };
            if status == Status::Error {
                skip_rest = true;
            }
            let result = RunResult {
                name: run.name.clone(),
                asserts: run.asserts.len(),
                status,
                duration: started.elapsed(),
                timestamp,
                diagnostics,
            };
            printer.run_finished(&result, verbose.as_deref(), &self.sources);
            results.push(result);
        }
        printer.tearing_down(&file.name);
        let mut diagnostics = Vec::new();
        for key in order.iter().rev() {
            let Some(entry) = states.remove(key) else {
                continue;
            };
            if let Err(d) = teardown(entry, &file.name, self.opts.parallelism, self.stop).await {
                diagnostics.extend(d);
            }
        }
        let mut status = results
            .iter()
            .map(|r| r.status)
            .max()
            .unwrap_or(Status::Pass)
            .max(Status::Pass);
        if diagnostics.iter().any(Diagnostic::is_error) {
            status = Status::Error;
        }
        if results.iter().all(|r| r.status == Status::Skip) && !results.is_empty() {
            status = Status::Skip;
        }
        FileResult {
            name: file.name.clone(),
            status,
            runs: results,
            diagnostics,
        }
    }

    /// One run block: plan (and apply), expected failures, assertions. Returns its status,
    /// its diagnostics and, with -verbose, the plan or state to print.
    async fn execute(
        &mut self,
        file: &TestFile,
        run: &RunBlock,
        run_names: &[String],
        states: &mut BTreeMap<String, StateEntry>,
        order: &mut Vec<String>,
        run_outputs: &mut BTreeMap<String, Value>,
    ) -> (Status, Vec<Diagnostic>, Option<String>) {
        let module_dir = match &run.module {
            Some((source, _)) => crate::syntax::normalize_path(&self.opts.dir.join(source)),
            None => self.opts.dir.clone(),
        };
        let key = run.state_key.clone().unwrap_or_else(|| {
            run.module
                .as_ref()
                .map(|(s, _)| s.clone())
                .unwrap_or_default()
        });
        let mut config = match crate::config::load(&module_dir, &mut self.sources) {
            Ok(c) => c,
            Err(d) => return (Status::Error, d.0, None),
        };
        let scope_runs = scope::Runs {
            done: run_outputs,
            all: run_names,
        };
        let prepared = match mocks::prepare(
            file,
            run,
            &mut config,
            &self.opts.registry,
            &self.opts.dir,
            &scope_runs,
        ) {
            Ok(p) => p,
            Err(d) => return (Status::Error, d, None),
        };
        let (variables, mut diags) = match self.variables(file, run, &config, &scope_runs) {
            Ok(v) => v,
            Err(d) => return (Status::Error, d, None),
        };
        let captured: ValuesOut = Arc::new(std::sync::Mutex::new(None));
        let engine = Engine {
            config,
            sources: self.sources.clone(),
            root_dir: module_dir.clone(),
            registry: prepared.registry,
            config_files: Vec::new(),
            workspace: "default".into(),
            overrides: prepared.overrides,
            values_out: Some(captured.clone()),
            rollback: false,
        };
        let opts = Options {
            mode: if run.refresh_only {
                PlanMode::RefreshOnly
            } else {
                PlanMode::Normal
            },
            refresh: run.refresh,
            minimal_refresh: false,
            targets: run.target.clone(),
            replace: run.replace.clone(),
            parallelism: self.opts.parallelism,
        };
        let prior = states
            .get(&key)
            .map(|e| e.state.clone())
            .unwrap_or_default();
        let mut expected = Expected::new(&run.expect_failures);
        let reporter = crate::engine::events::Silent;
        let (mut plan, warnings) = match engine
            .plan(&prior, &variables, &opts, self.stop, &reporter)
            .await
        {
            Ok(p) => p,
            Err(errors) => {
                let status = expected.settle(errors, &mut diags);
                return (status, diags, None);
            }
        };
        plan.variables = variables.clone();
        diags.extend(expected.absorb(warnings));
        let mut outputs: BTreeMap<String, Value> = plan
            .outputs
            .iter()
            .filter_map(|o| {
                o.after
                    .clone()
                    .map(|v| (o.name.clone(), v.mark_sensitive_if(o.sensitive)))
            })
            .collect();
        let mut verbose = None;
        let mut applied = None;
        let mut apply_errors = None;
        if run.command == RunCommand::Apply {
            let mut state = prior;
            if state.lineage.is_empty() {
                state.lineage = uuid::Uuid::new_v4().to_string();
            }
            let result = engine
                .apply(
                    &plan,
                    state,
                    Journal::in_memory(),
                    self.opts.parallelism,
                    self.stop,
                    &reporter,
                )
                .await;
            let mut new_state = result.state;
            new_state.serial += 1;
            outputs = new_state
                .outputs
                .iter()
                .map(|(k, o)| (k.clone(), o.value.clone().mark_sensitive_if(o.sensitive)))
                .collect();
            if self.opts.verbose {
                verbose = Some(crate::render::state::render_state(&new_state));
            }
            if result.diagnostics.iter().any(Diagnostic::is_error) {
                apply_errors = Some(result.diagnostics);
            } else {
                diags.extend(expected.absorb(result.diagnostics));
            }
            applied = Some(new_state);
        } else if self.opts.verbose {
            verbose = Some(crate::render::human::render_plan(
                &plan,
                crate::render::human::Style { color: false },
            ));
        }
        let status = match apply_errors {
            Some(errors) => expected.settle(errors, &mut diags),
            None => {
                let values = captured
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .unwrap_or_default();
                let (failed, mut status) = scope::check_asserts(
                    run,
                    &values,
                    &engine.config,
                    &module_dir,
                    &outputs,
                    &scope::Runs {
                        done: run_outputs,
                        all: run_names,
                    },
                );
                diags.extend(failed);
                let missing = expected.missing();
                if !missing.is_empty() {
                    status = Status::Error;
                    diags.extend(missing);
                }
                status
            }
        };
        if let Some(state) = applied {
            if !order.contains(&key) {
                order.push(key.clone());
            }
            states.insert(
                key,
                StateEntry {
                    state,
                    engine,
                    variables,
                    last_run: run.name.clone(),
                },
            );
        }
        run_outputs.insert(run.name.clone(), Value::Map(outputs.into_iter().collect()));
        (status, diags, verbose)
    }

    /// Variable values for a run, later sources winning: environment, tfvars files and
    /// -var/-var-file, then the file's `variables` block, then the run's.
    fn variables(
        &mut self,
        file: &TestFile,
        run: &RunBlock,
        config: &Module,
        runs: &scope::Runs<'_>,
    ) -> Result<(BTreeMap<String, Value>, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut globals = crate::engine::vars::resolve(
            &self.opts.dir,
            config,
            &self.opts.var_args,
            &self.opts.env,
            &mut self.sources,
        )?;
        let mut diags = Vec::new();
        for (name, expr) in &file.variables {
            match scope::eval_in_test(expr, &self.opts.dir, &globals, runs) {
                Ok(v) => {
                    globals.insert(name.clone(), v);
                }
                Err(d) => diags.push(d),
            }
        }
        let mut values = globals.clone();
        let mut warnings = Vec::new();
        for (name, expr) in &run.variables {
            if !config.variables.contains_key(name) {
                warnings.push(
                    Diagnostic::warning(
                        "Value for undeclared variable",
                        format!("The module under test does not declare a variable named \"{name}\", but it is declared in run block \"{}\".", run.name),
                    )
                    .at(expr.span()),
                );
                continue;
            }
            match scope::eval_in_test(expr, &self.opts.dir, &globals, runs) {
                Ok(v) => {
                    values.insert(name.clone(), v);
                }
                Err(d) => diags.push(d),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        values.retain(|k, _| config.variables.contains_key(k));
        Ok((values, warnings))
    }
}

/// Destroys what a file's runs left in one state; what cannot be destroyed is listed.
async fn teardown(
    entry: StateEntry,
    file: &str,
    parallelism: usize,
    stop: &AtomicBool,
) -> Result<(), Vec<Diagnostic>> {
    if entry.state.instances.is_empty() && entry.state.deposed.is_empty() {
        return Ok(());
    }
    let reporter = crate::engine::events::Silent;
    let opts = Options {
        mode: PlanMode::Destroy,
        parallelism,
        ..Options::default()
    };
    let left = |state: &State| -> Diagnostic {
        let list: Vec<String> = state
            .instances
            .keys()
            .chain(state.deposed.keys())
            .map(|a| format!("  - {a}"))
            .collect();
        Diagnostic::error(
            "Failed to clean up after tests",
            format!(
                "mlform left the following resources in state after executing {file}/{}, and they need to be cleaned up manually:\n{}",
                entry.last_run,
                list.join("\n")
            ),
        )
    };
    let (mut plan, _) = match entry
        .engine
        .plan(&entry.state, &entry.variables, &opts, stop, &reporter)
        .await
    {
        Ok(p) => p,
        Err(mut d) => {
            d.push(left(&entry.state));
            return Err(d);
        }
    };
    plan.variables = entry.variables.clone();
    let result = entry
        .engine
        .apply(
            &plan,
            entry.state.clone(),
            Journal::in_memory(),
            parallelism,
            stop,
            &reporter,
        )
        .await;
    if result.diagnostics.iter().any(Diagnostic::is_error) || !result.state.instances.is_empty() {
        let mut d = result.diagnostics;
        d.push(left(&result.state));
        return Err(d);
    }
    Ok(())
}

/// The checkable objects a run expects to fail, and which of them did.
struct Expected {
    entries: Vec<(String, Option<crate::diag::Span>, bool)>,
}

impl Expected {
    fn new(list: &[(String, Option<crate::diag::Span>)]) -> Expected {
        Expected {
            entries: list
                .iter()
                .map(|(a, s)| (a.clone(), s.clone(), false))
                .collect(),
        }
    }

    /// Marks and removes the diagnostics of expected failures; returns the rest.
    fn absorb(&mut self, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diags
            .into_iter()
            .filter(|d| {
                let Some(what) = &d.checkable else {
                    return true;
                };
                let base = strip_keys(what);
                match self
                    .entries
                    .iter_mut()
                    .find(|(a, _, _)| *a == base || a == what)
                {
                    Some(e) => {
                        e.2 = true;
                        false
                    }
                    None => true,
                }
            })
            .collect()
    }

    /// A failed operation: passes when every error was expected and every expectation met.
    fn settle(&mut self, errors: Vec<Diagnostic>, out: &mut Vec<Diagnostic>) -> Status {
        let rest = self.absorb(errors);
        let unexpected = rest.iter().any(Diagnostic::is_error);
        out.extend(rest);
        if unexpected {
            return Status::Error;
        }
        let missing = self.missing();
        if missing.is_empty() {
            Status::Pass
        } else {
            out.extend(missing);
            Status::Error
        }
    }

    fn missing(&self) -> Vec<Diagnostic> {
        self.entries
            .iter()
            .filter(|(_, _, seen)| !seen)
            .map(|(a, span, _)| {
                Diagnostic::error(
                    "Missing expected failure",
                    format!(
                        "The checkable object, {a}, was expected to report an error but did not."
                    ),
                )
                .at(span.clone())
            })
            .collect()
    }
}

/// `aws_s3_bucket.b["x"]` → `aws_s3_bucket.b`: expected failures name objects, not instances.
fn strip_keys(addr: &str) -> String {
    match crate::addr::parse_target(addr) {
        Ok(Target::Instance(i)) => {
            let mut s = String::new();
            for (m, _) in &i.module {
                s.push_str(&format!("module.{m}."));
            }
            s.push_str(&i.resource.to_string());
            s
        }
        _ => {
            // var.x, output.x, check.x
            addr.split('[').next().unwrap_or(addr).to_string()
        }
    }
}
