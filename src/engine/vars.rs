//! Root module variable values from every source Terraform reads, with its precedence (later
//! wins): `TF_VAR_name` environment variables, `terraform.tfvars`, `terraform.tfvars.json`,
//! `*.auto.tfvars` / `*.auto.tfvars.json` in lexical order, then `-var` and `-var-file` in
//! command-line order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::structure::Structure;
use hcl_edit::Span as _;
use mlform_provider::Value;

use crate::config::Module;
use crate::diag::{did_you_mean, Diagnostic, Sources, Span};
use crate::eval::expr::eval_constant;
use crate::eval::types::TypeConstraint;

/// A command-line variable argument, in order.
#[derive(Debug, Clone)]
pub enum VarArg {
    /// `-var 'name=value'`
    Var(String),
    /// `-var-file=FILE`
    File(PathBuf),
}

enum Raw {
    /// A string from the command line or environment; parsed according to the variable's type.
    Text(String),
    Value(Value),
}

/// Collects and resolves root variable values. Values are not yet converted to their types
/// (the engine does that, with validation).
pub fn resolve(
    dir: &Path,
    config: &Module,
    args: &[VarArg],
    env: &[(String, String)],
    sources: &mut Sources,
) -> Result<BTreeMap<String, Value>, Vec<Diagnostic>> {
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
    let mut diags = Vec::new();
    for (k, v) in env {
        if let Some(name) = k.strip_prefix("TF_VAR_") {
            if config.variables.contains_key(name) {
                raw.insert(name.to_string(), Raw::Text(v.clone()));
            }
        }
    }
    let mut files = Vec::new();
    for f in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = dir.join(f);
        if p.is_file() {
            files.push(p);
        }
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.to_string_lossy().ends_with(".auto.tfvars")
                        || p.to_string_lossy().ends_with(".auto.tfvars.json")
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    for f in files {
        read_file(&f, dir, config, &mut raw, sources, &mut diags, false);
    }
    for arg in args {
        match arg {
            VarArg::Var(s) => match s.split_once('=') {
                Some((name, value)) => {
                    let name = name.trim();
                    if !config.variables.contains_key(name) {
                        diags.push(
                            Diagnostic::error("Value for undeclared variable", format!("A variable named \"{name}\" was assigned on the command line, but the root module does not declare a variable of that name."))
                                .hint(did_you_mean(name, config.variables.keys().map(String::as_str)).unwrap_or_else(|| format!("To use this value, add a `variable \"{name}\" {{}}` block to the configuration."))),
                        );
                        continue;
                    }
                    raw.insert(name.to_string(), Raw::Text(value.to_string()));
                }
                None => diags.push(Diagnostic::error("Invalid -var option", format!("The given -var option \"{s}\" is not correctly specified: it must be a variable name and value separated by an equals sign, like -var=\"key=value\"."))),
            },
            VarArg::File(path) => {
                let p = if path.is_absolute() { path.clone() } else { dir.join(path) };
                if !p.is_file() {
                    diags.push(Diagnostic::error("Failed to read variables file", format!("Given variables file {} does not exist.", path.display())));
                    continue;
                }
                read_file(&p, dir, config, &mut raw, sources, &mut diags, true);
            }
        }
    }
    let mut out = BTreeMap::new();
    for (name, r) in raw {
        let var = &config.variables[&name];
        let v = match r {
            Raw::Value(v) => v,
            Raw::Text(s) => match var.type_constraint {
                TypeConstraint::Any
                | TypeConstraint::String
                | TypeConstraint::Number
                | TypeConstraint::Bool => Value::String(s),
                _ => match hcl_edit::parser::parse_expr(&s)
                    .map_err(|e| e.message().to_string())
                    .and_then(|e| eval_constant(&e))
                {
                    Ok(v) => v,
                    Err(e) => {
                        diags.push(Diagnostic::error("Invalid value for variable", format!("The value given for variable \"{name}\" is not a valid HCL expression for type {}: {e}.", var.type_constraint)));
                        continue;
                    }
                },
            },
        };
        out.insert(name, v);
    }
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(out)
    }
}

fn read_file(
    path: &Path,
    dir: &Path,
    config: &Module,
    raw: &mut BTreeMap<String, Raw>,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
    explicit: bool,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read variables file",
                format!("Could not read {}: {e}.", path.display()),
            ));
            return;
        }
    };
    let name = path
        .strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .to_string();
    let file = sources.add(name.clone(), path.to_path_buf(), text.clone());
    let undeclared = |var: &str, span: Option<Span>, diags: &mut Vec<Diagnostic>| {
        let d = Diagnostic::warning("Value for undeclared variable", format!("The file {name} assigns a value to \"{var}\", but the root module does not declare a variable of that name."))
            .at(span)
            .hint(did_you_mean(var, config.variables.keys().map(String::as_str)).unwrap_or_else(|| "Remove the assignment or declare the variable.".into()));
        diags.push(if explicit {
            Diagnostic {
                severity: crate::diag::Severity::Error,
                ..d
            }
        } else {
            d
        });
    };
    if name.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => {
                for (k, v) in m {
                    if config.variables.contains_key(&k) {
                        raw.insert(k, Raw::Value(Value::from_json(&v)));
                    } else {
                        undeclared(&k, None, diags);
                    }
                }
            }
            _ => diags.push(Diagnostic::error(
                "Invalid variables file",
                format!("{name} must contain a JSON object of variable values."),
            )),
        }
        return;
    }
    match hcl_edit::parser::parse_body(&text) {
        Ok(body) => {
            for s in body.iter() {
                match s {
                    Structure::Attribute(a) => {
                        let key = a.key.as_str();
                        let span = a.key.span().map(|range| Span { file, range });
                        if !config.variables.contains_key(key) {
                            undeclared(key, span, diags);
                            continue;
                        }
                        match eval_constant(&a.value) {
                            Ok(v) => {
                                // A value that cannot have the variable's type is reported
                                // where it was written, not at the declaration.
                                let var = &config.variables[key];
                                if let Err(e) =
                                    crate::eval::types::convert(&v, &var.type_constraint)
                                {
                                    let shown = if var.sensitive {
                                        String::new()
                                    } else {
                                        format!(" The value given was {v}.")
                                    };
                                    diags.push(
                                        Diagnostic::error(
                                            "Invalid value for input variable",
                                            format!("The value in {name} is not suitable for var.{key}: {e}.{shown}"),
                                        )
                                        .at(a.value.span().map(|range| Span { file, range })),
                                    );
                                    continue;
                                }
                                raw.insert(key.to_string(), Raw::Value(v));
                            }
                            Err(e) => diags.push(
                                Diagnostic::error(
                                    "Variables not allowed",
                                    format!("Values in a variables file must be constants: {e}"),
                                )
                                .at(a.value.span().map(|range| Span { file, range })),
                            ),
                        }
                    }
                    Structure::Block(b) => diags.push(
                        Diagnostic::error(
                            "Unexpected block",
                            "A variables file contains only assignments (name = value).",
                        )
                        .at(b.ident.span().map(|range| Span { file, range })),
                    ),
                }
            }
        }
        Err(e) => {
            let off = e.location().offset().min(text.len());
            diags.push(
                Diagnostic::error(
                    "Invalid HCL syntax",
                    format!("The variables file could not be parsed: {}.", e.message()),
                )
                .at(Some(Span {
                    file,
                    range: off..off + 1,
                })),
            );
        }
    }
}
