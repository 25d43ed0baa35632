//! What a run executes against: the providers (real, or mocks with the real schemas), the
//! test file's provider configurations in place of the module's, and the overrides of
//! resources, data sources and modules.

use std::collections::BTreeMap;
use std::path::Path;

use mlform_provider::mock::{MockDefaults, MockProvider, MockValues};
use mlform_provider::Value;

use super::scope::{eval_in_test, Runs};
use crate::addr::Target;
use crate::config::testfile::{OverrideBlock, OverrideKind, RunBlock, TestFile, TestProvider};
use crate::config::{Expr, Module, ProviderBlock, ProviderRef};
use crate::diag::Diagnostic;
use crate::engine::{Override, Overrides, Registry};

pub struct Prepared {
    pub registry: Registry,
    pub overrides: Overrides,
}

fn eval_object(
    expr: Option<&Expr>,
    dir: &Path,
    runs: &Runs<'_>,
    what: &str,
) -> Result<Value, Diagnostic> {
    let Some(expr) = expr else {
        return Ok(Value::Null);
    };
    let v = eval_in_test(expr, dir, &BTreeMap::new(), runs)?;
    match v.unmark().0 {
        Value::Map(_) | Value::Null => Ok(v),
        other => Err(Diagnostic::error(
            "Invalid replacement value",
            format!(
                "The {what} must be an object, but was {}.",
                other.type_name()
            ),
        )
        .at(expr.span())),
    }
}

/// The test file's provider configuration the module's provider `name` uses in this run.
fn chosen<'f>(
    file: &'f TestFile,
    run: &RunBlock,
    name: &str,
) -> Result<Option<&'f TestProvider>, Diagnostic> {
    let wanted = match run.providers.iter().find(|(n, _)| n == name) {
        Some((_, r)) => r.clone(),
        None if !run.providers.is_empty() => return Ok(None),
        None => ProviderRef {
            name: name.to_string(),
            alias: None,
        },
    };
    match file
        .providers
        .iter()
        .find(|p| p.name == wanted.name && p.alias == wanted.alias)
    {
        Some(p) => Ok(Some(p)),
        None if wanted.alias.is_some() => Err(Diagnostic::error(
            "Provider configuration not present",
            format!("The run block \"{}\" maps {name} to {wanted}, which the test file does not define.", run.name),
        )
        .at(run.span.clone())
        .hint(format!("Add a provider or mock_provider \"{}\" block with alias = \"{}\".", wanted.name, wanted.alias.clone().unwrap_or_default()))),
        None => Ok(None),
    }
}

pub fn prepare(
    file: &TestFile,
    run: &RunBlock,
    config: &mut Module,
    base: &Registry,
    dir: &Path,
    runs: &Runs<'_>,
) -> Result<Prepared, Vec<Diagnostic>> {
    let mut registry = base.clone();
    let mut diags = Vec::new();
    let mut overrides: Vec<&OverrideBlock> = Vec::new();
    let mut names: Vec<String> = file.providers.iter().map(|p| p.name.clone()).collect();
    names.extend(run.providers.iter().map(|(n, _)| n.clone()));
    names.sort();
    names.dedup();
    for name in &names {
        let provider = match chosen(file, run, name) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let Some((real, _)) = registry.get(name).cloned() else {
            diags.push(
                Diagnostic::error(
                    "Unknown provider",
                    format!("The test file configures the provider \"{name}\", which mlform does not have."),
                )
                .at(provider.span.clone()),
            );
            continue;
        };
        match &provider.mock {
            Some(mock) => {
                let mut defaults = MockDefaults::default();
                for (list, into) in [
                    (&mock.resources, &mut defaults.resources),
                    (&mock.data, &mut defaults.data_sources),
                ] {
                    for m in list {
                        match eval_object(m.defaults.as_ref(), dir, runs, "defaults") {
                            Ok(values) => {
                                into.insert(
                                    m.type_name.clone(),
                                    MockValues {
                                        values,
                                        during_plan: m.during_plan,
                                    },
                                );
                            }
                            Err(d) => diags.push(d),
                        }
                    }
                }
                overrides.extend(mock.overrides.iter());
                registry.add(MockProvider::new(real, defaults));
            }
            None => {
                // The test file's configuration replaces the module's default one.
                config
                    .providers
                    .retain(|b| !(b.name == *name && b.alias.is_none()));
                config.providers.push(ProviderBlock {
                    name: name.clone(),
                    alias: None,
                    body: provider.body.clone(),
                    span: provider.span.clone(),
                });
            }
        }
    }
    overrides.extend(file.overrides.iter());
    overrides.extend(run.overrides.iter());
    let mut entries = Vec::new();
    for o in overrides {
        let what = if o.kind == OverrideKind::Module {
            "outputs"
        } else {
            "values"
        };
        let values = match eval_object(o.values.as_ref(), dir, runs, what) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        match (&o.target, o.kind) {
            (Target::Module(path), OverrideKind::Module) => {
                let names: Vec<String> = path.iter().map(|(n, _)| n.clone()).collect();
                if let Err(d) = override_module(config, &names, &values, o) {
                    diags.push(d);
                }
            }
            (Target::Resource(path, key), _)
            | (
                Target::Instance(crate::addr::InstanceAddr {
                    module: path,
                    resource: key,
                    ..
                }),
                _,
            ) => {
                let instance = match &o.target {
                    Target::Instance(a) => a.key.clone(),
                    _ => None,
                };
                let module: Vec<String> = path.iter().map(|(n, _)| n.clone()).collect();
                let declared = config
                    .descendant(&module)
                    .is_some_and(|m| m.resources.contains_key(key));
                if !declared {
                    diags.push(
                        Diagnostic::error(
                            "Override target not found",
                            format!("The override target {} is not declared in the configuration under test.", o.target),
                        )
                        .at(o.span.clone()),
                    );
                    continue;
                }
                entries.push(Override {
                    module,
                    key: key.clone(),
                    instance,
                    values: MockValues {
                        values,
                        during_plan: o.during_plan,
                    },
                });
            }
            _ => {}
        }
    }
    if diags.is_empty() {
        Ok(Prepared {
            registry,
            overrides: Overrides { entries },
        })
    } else {
        Err(diags)
    }
}

/// `override_module`: the module call's contents are not run; its outputs are the given
/// values (null for outputs not given), and its inputs are still evaluated and checked.
fn override_module(
    config: &mut Module,
    path: &[String],
    outputs: &Value,
    block: &OverrideBlock,
) -> Result<(), Diagnostic> {
    let not_found = || {
        Diagnostic::error(
            "Override target not found",
            format!(
                "The override target {} is not a module call of the configuration under test.",
                block.target
            ),
        )
        .at(block.span.clone())
    };
    let (last, parents) = path.split_last().ok_or_else(not_found)?;
    let mut parent = &mut *config;
    for name in parents {
        parent = parent.children.get_mut(name).ok_or_else(not_found)?;
    }
    let child = parent.children.get_mut(last).ok_or_else(not_found)?;
    let given = outputs.as_map().cloned().unwrap_or_default();
    let mut stub = Module {
        dir: child.dir.clone(),
        variables: child.variables.clone(),
        ..Module::default()
    };
    for (name, o) in &child.outputs {
        let v = given.get(name).cloned().unwrap_or(Value::Null);
        let text = crate::eval::hclwrite::expr(&v, 0);
        let expr = match text.parse::<hcl_edit::expr::Expression>() {
            Ok(e) => e,
            Err(_) => {
                return Err(Diagnostic::error(
                    "Invalid replacement value",
                    format!(
                        "The value given for output \"{name}\" of {} cannot be used.",
                        block.target
                    ),
                )
                .at(block.span.clone()))
            }
        };
        let mut out = o.clone();
        out.value = Expr {
            file: o.value.file,
            expr,
        };
        out.preconditions.clear();
        out.depends_on.clear();
        stub.outputs.insert(name.clone(), out);
    }
    for name in given.keys() {
        if !child.outputs.contains_key(name) {
            return Err(Diagnostic::error(
                "Invalid override output",
                format!(
                    "The module {} has no output named \"{name}\".",
                    block.target
                ),
            )
            .at(block.span.clone()));
        }
    }
    *child = stub;
    Ok(())
}
