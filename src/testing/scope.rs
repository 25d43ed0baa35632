//! Names in test files: `run.NAME` (an earlier run's outputs) and `var.NAME` in `variables`
//! blocks; in assertions, also `output.NAME` and everything the module's root scope has.

use std::collections::BTreeMap;
use std::path::Path;

use mlform_provider::Value;

use crate::config::testfile::RunBlock;
use crate::config::{Expr, Module};
use crate::diag::Diagnostic;
use crate::engine::values::{EvalScope, Values};
use crate::eval::expr::{Evaluator, Scope, ScopeError, Step};

/// The runs of a file: those done so far (by outputs) and all of them (by name).
pub struct Runs<'a> {
    pub done: &'a BTreeMap<String, Value>,
    pub all: &'a [String],
}

struct TestScope<'a> {
    dir: &'a Path,
    vars: Option<&'a BTreeMap<String, Value>>,
    runs: &'a Runs<'a>,
    outputs: Option<&'a BTreeMap<String, Value>>,
    module: Option<&'a EvalScope<'a>>,
}

fn attr(steps: &[Step]) -> Option<&str> {
    match steps.first() {
        Some(Step::Attr(a)) => Some(a),
        _ => None,
    }
}

impl Scope for TestScope<'_> {
    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), ScopeError> {
        match root {
            "run" => {
                let name = attr(steps).ok_or_else(|| {
                    ScopeError::new(
                        "Invalid reference",
                        "A reference to \"run\" must be followed by a run block name, as in run.setup.",
                    )
                })?;
                match self.runs.done.get(name) {
                    Some(v) => Ok((v.clone(), 1)),
                    None if self.runs.all.iter().any(|r| r == name) => Err(ScopeError::new(
                        "Reference to unavailable run block",
                        format!("The run block \"{name}\" has not executed yet; only earlier run blocks can be referenced."),
                    )),
                    None => Err(ScopeError::new(
                        "Reference to unknown run block",
                        format!("The run block \"{name}\" does not exist within this test file."),
                    )
                    .hint(crate::diag::did_you_mean(
                        name,
                        self.runs.all.iter().map(String::as_str),
                    ))),
                }
            }
            "output" if self.outputs.is_some() => {
                let outputs = self.outputs.unwrap_or_else(|| unreachable!());
                let name = attr(steps).ok_or_else(|| {
                    ScopeError::new(
                        "Invalid reference",
                        "A reference to \"output\" must be followed by an output name.",
                    )
                })?;
                match outputs.get(name) {
                    Some(v) => Ok((v.clone(), 1)),
                    None => match self.module {
                        Some(m) if m.config.outputs.contains_key(name) => Ok((Value::Null, 1)),
                        _ => Err(ScopeError::new(
                            "Reference to undeclared output value",
                            format!("An output value with the name \"{name}\" has not been declared."),
                        )
                        .hint(crate::diag::did_you_mean(
                            name,
                            outputs.keys().map(String::as_str),
                        ))),
                    },
                }
            }
            "var" if self.vars.is_some() => {
                let vars = self.vars.unwrap_or_else(|| unreachable!());
                let name = attr(steps).ok_or_else(|| {
                    ScopeError::new(
                        "Invalid reference",
                        "A reference to \"var\" must be followed by a variable name.",
                    )
                })?;
                match vars.get(name) {
                    Some(v) => Ok((v.clone(), 1)),
                    None => Err(ScopeError::new(
                        "Reference to unavailable variable",
                        format!("The input variable \"{name}\" is not available here. Within a variables block you can refer to variables set on the command line, in tfvars files or in the file's variables block."),
                    )),
                }
            }
            other => match self.module {
                Some(m) => m.resolve(other, steps),
                None => Err(ScopeError::new(
                    "Invalid reference",
                    format!("\"{other}\" is not available here: a test file's variables and overrides can refer to run.NAME and var.NAME only."),
                )),
            },
        }
    }

    fn working_dir(&self) -> &Path {
        self.dir
    }

    fn clock(&self) -> Option<&crate::eval::functions::Clock> {
        self.module.and_then(|m| m.clock())
    }
}

/// Evaluates a test-file expression (variables, mock values) against global variables and
/// earlier runs.
pub fn eval_in_test(
    expr: &Expr,
    dir: &Path,
    vars: &BTreeMap<String, Value>,
    runs: &Runs<'_>,
) -> Result<Value, Diagnostic> {
    let scope = TestScope {
        dir,
        vars: Some(vars),
        runs,
        outputs: None,
        module: None,
    };
    Evaluator::new(&scope, expr.file).eval(&expr.expr)
}

/// Checks a run's assertions against the values its plan or apply ended with; returns the
/// failures and the status they give the run (an assertion that cannot be evaluated is an
/// error, a false one a failure).
pub fn check_asserts(
    run: &RunBlock,
    values: &Values,
    config: &Module,
    module_dir: &Path,
    outputs: &BTreeMap<String, Value>,
    runs: &Runs<'_>,
) -> (Vec<Diagnostic>, super::Status) {
    let root: crate::addr::ModulePath = Vec::new();
    let module_scope = EvalScope {
        values,
        module: &root,
        config,
        module_dir: module_dir.to_path_buf(),
        root_dir: module_dir,
        count_index: None,
        each: None,
        self_value: None,
    };
    let scope = TestScope {
        dir: module_dir,
        vars: None,
        runs,
        outputs: Some(outputs),
        module: Some(&module_scope),
    };
    let mut failures = Vec::new();
    let mut status = super::Status::Pass;
    for a in &run.asserts {
        let mut ev = Evaluator::new(&scope, a.condition.file);
        match ev.eval(&a.condition.expr) {
            Err(d) => {
                status = super::Status::Error;
                failures.push(d)
            }
            Ok(v) if !v.is_wholly_known() => {
                status = super::Status::Error;
                failures.push(
                Diagnostic::error(
                    "Unknown condition value",
                    "The condition could not be evaluated at this time: it depends on a value known only after apply.",
                )
                .at(a.condition.span())
                .hint("Run this block with command = apply, or make the value known during plan with override_during = plan in its override."),
                )
            }
            Ok(v) => match v.unmark().0 {
                Value::Bool(true) => {}
                Value::Bool(false) => {
                    let message = match Evaluator::new(&scope, a.error_message.file)
                        .eval(&a.error_message.expr)
                    {
                        Ok(m) if m.is_sensitive() => "(sensitive value)".to_string(),
                        Ok(m) => m
                            .unmark()
                            .0
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| "The condition is false.".into()),
                        Err(d) => {
                            status = super::Status::Error;
                            failures.push(d);
                            continue;
                        }
                    };
                    status = status.max(super::Status::Fail);
                    failures.push(
                        Diagnostic::error("Test assertion failed", message).at(a.condition.span()),
                    );
                }
                _ => {
                    status = super::Status::Error;
                    failures.push(
                        Diagnostic::error(
                            "Invalid condition result",
                            "An assert condition must produce a bool.",
                        )
                        .at(a.condition.span()),
                    )
                }
            },
        }
    }
    (failures, status)
}
