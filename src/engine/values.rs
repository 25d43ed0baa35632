//! The values known so far in a walk, per module instance (variables, locals, resources,
//! module call outputs), and the [`Scope`] that expressions resolve names against.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use mlform_provider::Value;

use crate::addr::{Key, ModulePath};
use crate::config::{Mode, Module, ResourceKey};
use crate::diag::did_you_mean;
use crate::eval::expr::{Scope, ScopeError, Step};
use crate::eval::types::{static_kind, Kind};

/// How a resource or module call expands into instances.
#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    Single,
    Count,
    ForEach,
    /// count / for_each is not known yet: the whole value is unknown.
    Unknown,
}

/// The instances of a resource (or module call), by key.
#[derive(Debug, Clone)]
pub struct Instances {
    pub expansion: Expansion,
    pub values: BTreeMap<Option<Key>, Value>,
}

impl Instances {
    pub fn new(expansion: Expansion) -> Instances {
        Instances {
            expansion,
            values: BTreeMap::new(),
        }
    }

    /// The value a reference to the whole resource sees: an object, a list (count) or a map (for_each).
    pub fn aggregate(&self) -> Value {
        match self.expansion {
            Expansion::Unknown => Value::Unknown,
            Expansion::Single => self.values.get(&None).cloned().unwrap_or(Value::Null),
            Expansion::Count => Value::List(self.values.values().cloned().collect()),
            Expansion::ForEach => Value::Map(
                self.values
                    .iter()
                    .filter_map(|(k, v)| match k {
                        Some(Key::Str(s)) => Some((s.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }

    fn instance(&self, key: &Value) -> Option<Value> {
        let k = match (&self.expansion, key.unmark().0) {
            (Expansion::Count, Value::Number(n)) => Key::Int(n.to_i64()?),
            (Expansion::ForEach, Value::String(s)) => Key::Str(s.clone()),
            _ => return None,
        };
        self.values.get(&Some(k)).cloned()
    }
}

/// Values of one module instance.
#[derive(Debug, Default)]
pub struct ModuleValues {
    /// This instance's `each.value` in its calling module's `for_each` (its input
    /// expressions are evaluated with it, each by the variable node it feeds).
    pub each_value: Option<Value>,
    pub vars: HashMap<String, Value>,
    pub locals: HashMap<String, Value>,
    pub outputs: BTreeMap<String, Value>,
    pub resources: HashMap<ResourceKey, Instances>,
    pub calls: HashMap<String, Instances>,
}

/// Every module instance's values, and how each configured module expanded.
#[derive(Debug, Default)]
pub struct Values {
    pub modules: HashMap<ModulePath, ModuleValues>,
    /// Module config path → its instances; `None` when its expansion is not known yet.
    pub expansions: HashMap<Vec<String>, Option<Vec<ModulePath>>>,
    /// The run's clock, for `timestamp`, `plantimestamp` and `uuid`.
    pub clock: crate::eval::functions::Clock,
    /// `terraform.workspace`; empty means "default".
    pub workspace: String,
}

impl Values {
    pub fn module_mut(&mut self, path: &ModulePath) -> &mut ModuleValues {
        self.modules.entry(path.clone()).or_default()
    }
}

/// Names visible to an expression in one module instance.
pub struct EvalScope<'a> {
    pub values: &'a Values,
    pub module: &'a ModulePath,
    pub config: &'a Module,
    pub module_dir: PathBuf,
    pub root_dir: &'a Path,
    pub count_index: Option<i64>,
    pub each: Option<(Value, Value)>,
    pub self_value: Option<Value>,
}

impl EvalScope<'_> {
    fn module_values(&self) -> Option<&ModuleValues> {
        self.values.modules.get(self.module)
    }
}

fn attr(steps: &[Step], i: usize) -> Option<&str> {
    match steps.get(i) {
        Some(Step::Attr(a)) => Some(a.as_str()),
        _ => None,
    }
}

impl Scope for EvalScope<'_> {
    fn working_dir(&self) -> &Path {
        self.root_dir
    }

    fn clock(&self) -> Option<&crate::eval::functions::Clock> {
        Some(&self.values.clock)
    }

    fn kind_of(&self, root: &str, name: &str) -> Option<Kind> {
        match root {
            "var" => self.config.variables.get(name)?.type_constraint.kind(),
            // A local's kind is its expression's; locals it names are not followed.
            "local" => static_kind(&self.config.locals.get(name)?.value.expr, &|root, name| {
                (root == "var").then(|| self.kind_of(root, name)).flatten()
            }),
            _ => None,
        }
    }

    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), ScopeError> {
        let mv = self.module_values();
        match root {
            "var" => {
                let name = attr(steps, 0).ok_or_else(|| ScopeError::new("Invalid reference", "A reference to \"var\" must be followed by a variable name, as in var.region."))?;
                if !self.config.variables.contains_key(name) {
                    return Err(ScopeError::new("Reference to undeclared input variable", format!("An input variable with the name \"{name}\" has not been declared."))
                        .hint(Some(did_you_mean(name, self.config.variables.keys().map(String::as_str)).unwrap_or_else(|| format!("Declare it with a `variable \"{name}\" {{}}` block.")))));
                }
                Ok((mv.and_then(|m| m.vars.get(name)).cloned().unwrap_or(Value::Unknown), 1))
            }
            "local" => {
                let name = attr(steps, 0).ok_or_else(|| ScopeError::new("Invalid reference", "A reference to \"local\" must be followed by a name, as in local.tags."))?;
                if !self.config.locals.contains_key(name) {
                    return Err(ScopeError::new("Reference to undeclared local value", format!("A local value with the name \"{name}\" has not been declared."))
                        .hint(did_you_mean(name, self.config.locals.keys().map(String::as_str))));
                }
                Ok((mv.and_then(|m| m.locals.get(name)).cloned().unwrap_or(Value::Unknown), 1))
            }
            "module" => {
                let name = attr(steps, 0).ok_or_else(|| ScopeError::new("Invalid reference", "A reference to \"module\" must be followed by a module call name."))?;
                if !self.config.module_calls.contains_key(name) {
                    return Err(ScopeError::new("Reference to undeclared module", format!("No module call named \"{name}\" is declared in this module."))
                        .hint(did_you_mean(name, self.config.module_calls.keys().map(String::as_str))));
                }
                let agg = mv.and_then(|m| m.calls.get(name)).map(Instances::aggregate).unwrap_or(Value::Unknown);
                if let (Some(out), Some(child)) = (attr(steps, 1), self.config.children.get(name)) {
                    if !child.outputs.contains_key(out) && matches!(agg, Value::Map(_)) && !self.config.module_calls[name].count.is_some() && !self.config.module_calls[name].for_each.is_some() {
                        return Err(ScopeError::new("Unsupported attribute", format!("Module \"{name}\" has no output named \"{out}\".")).hint(did_you_mean(out, child.outputs.keys().map(String::as_str))));
                    }
                }
                Ok((agg, 1))
            }
            "count" => match (attr(steps, 0), self.count_index) {
                (Some("index"), Some(i)) => Ok((Value::from(i as i64), 1)),
                (Some("index"), None) => Err(ScopeError::new("Reference to \"count\" in non-counted context", "The \"count\" object can only be used in resource and module blocks that set the count argument.")),
                _ => Err(ScopeError::new("Invalid reference", "The \"count\" object has only the attribute \"index\".")),
            },
            "each" => match (attr(steps, 0), &self.each) {
                (Some("key"), Some((k, _))) => Ok((k.clone(), 1)),
                (Some("value"), Some((_, v))) => Ok((v.clone(), 1)),
                (_, None) => Err(ScopeError::new("Reference to \"each\" in context without for_each", "The \"each\" object can only be used in resource and module blocks that set the for_each argument.")),
                _ => Err(ScopeError::new("Invalid reference", "The \"each\" object has only the attributes \"key\" and \"value\".")),
            },
            "path" => {
                // As Terraform: path.module and path.root relative to the working directory
                // (the root module), so state and plans do not carry this machine's paths.
                let dir = match attr(steps, 0) {
                    Some("module") => crate::syntax::relative_path(&self.module_dir, self.root_dir),
                    Some("root") => std::path::PathBuf::from("."),
                    Some("cwd") => std::env::current_dir().unwrap_or_default(),
                    _ => return Err(ScopeError::new("Invalid reference", "The \"path\" object has the attributes \"module\", \"root\" and \"cwd\".")),
                };
                Ok((Value::String(dir.to_string_lossy().to_string()), 1))
            }
            "terraform" => match attr(steps, 0) {
                Some("workspace") => Ok((
                    Value::from(if self.values.workspace.is_empty() {
                        "default"
                    } else {
                        self.values.workspace.as_str()
                    }),
                    1,
                )),
                _ => Err(ScopeError::new("Invalid reference", "The \"terraform\" object has only the attribute \"workspace\".")),
            },
            "self" => match &self.self_value {
                Some(v) => Ok((v.clone(), 0)),
                None => Err(ScopeError::new("Invalid \"self\" reference", "\"self\" can only be used in postconditions and provisioners of a resource.")),
            },
            "data" => {
                let (Some(ty), Some(name)) = (attr(steps, 0), attr(steps, 1)) else {
                    return Err(ScopeError::new("Invalid reference", "A data source reference has the form data.TYPE.NAME."));
                };
                self.resource(ResourceKey { mode: Mode::Data, type_name: ty.to_string(), name: name.to_string() }, &steps[2..]).map(|(v, n)| (v, n + 2))
            }
            ty => {
                let Some(name) = attr(steps, 0) else {
                    let mut hint = None;
                    if self.module_values().is_some() {
                        hint = did_you_mean(ty, ["var", "local", "module", "data", "count", "each", "path", "self"]);
                    }
                    return Err(ScopeError::new("Invalid reference", format!("\"{ty}\" is not a known name. A reference to a resource type must be followed by the resource name, as in {ty}.example.")).hint(hint));
                };
                self.resource(ResourceKey { mode: Mode::Managed, type_name: ty.to_string(), name: name.to_string() }, &steps[1..]).map(|(v, n)| (v, n + 1))
            }
        }
    }
}

impl EvalScope<'_> {
    fn resource(&self, key: ResourceKey, rest: &[Step]) -> Result<(Value, usize), ScopeError> {
        if !self.config.resources.contains_key(&key) {
            let candidates: Vec<String> = self
                .config
                .resources
                .keys()
                .filter(|k| k.mode == key.mode)
                .map(|k| k.to_string())
                .collect();
            return Err(ScopeError::new(
                "Reference to undeclared resource",
                format!(
                    "A {} \"{}\" \"{}\" has not been declared in this module.",
                    if key.mode == Mode::Data {
                        "data resource"
                    } else {
                        "managed resource"
                    },
                    key.type_name,
                    key.name
                ),
            )
            .hint(did_you_mean(
                &key.to_string(),
                candidates.iter().map(String::as_str),
            )));
        }
        let Some(instances) = self.module_values().and_then(|m| m.resources.get(&key)) else {
            return Ok((Value::Unknown, 0));
        };
        if let Some(Step::Index(k)) = rest.first() {
            if let Some(v) = instances.instance(k) {
                return Ok((v, 1));
            }
        }
        Ok((instances.aggregate(), 0))
    }
}
