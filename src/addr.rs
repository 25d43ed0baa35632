//! Addresses: how resource instances and module instances are named
//! (`module.team["ml"].aws_s3_bucket.data[0]`), printed and parsed, as in Terraform.

use std::fmt;

use hcl_edit::expr::{Expression, TraversalOperator};

/// Managed resources and data sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

/// Identifies a resource block within one module: mode, type and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

impl std::fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.mode {
            Mode::Managed => write!(f, "{}.{}", self.type_name, self.name),
            Mode::Data => write!(f, "data.{}.{}", self.type_name, self.name),
        }
    }
}

/// One step of a literal attribute path: an attribute or map key, or a list index.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(untagged)]
pub enum PathKey {
    Name(String),
    Index(i64),
}

impl fmt::Display for PathKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathKey::Name(n) => f.write_str(n),
            PathKey::Index(i) => write!(f, "{i}"),
        }
    }
}

/// An instance key from `count` (integer) or `for_each` (string).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Int(i64),
    Str(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "[{i}]"),
            Key::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

impl Key {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Key::Int(i) => serde_json::Value::from(*i),
            Key::Str(s) => serde_json::Value::from(s.as_str()),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Key> {
        match v {
            serde_json::Value::Number(n) => n.as_i64().map(Key::Int),
            serde_json::Value::String(s) => Some(Key::Str(s.clone())),
            _ => None,
        }
    }
}

/// A module instance: the chain of module calls with their keys. Empty is the root module.
pub type ModulePath = Vec<(String, Option<Key>)>;

pub fn module_path_string(path: &[(String, Option<Key>)]) -> String {
    let mut out = String::new();
    for (i, (name, key)) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str("module.");
        out.push_str(name);
        if let Some(k) = key {
            out.push_str(&k.to_string());
        }
    }
    out
}

/// The configuration path of a module instance (call names without keys).
pub fn config_path(path: &[(String, Option<Key>)]) -> Vec<String> {
    path.iter().map(|(n, _)| n.clone()).collect()
}

/// The address of one resource instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddr {
    pub module: ModulePath,
    pub resource: ResourceKey,
    pub key: Option<Key>,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_empty() {
            write!(f, "{}.", module_path_string(&self.module))?;
        }
        write!(f, "{}", self.resource)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

impl InstanceAddr {
    /// The resource address without this instance's key (`module.a["x"].t.n`).
    pub fn resource_addr(&self) -> String {
        let mut s = String::new();
        if !self.module.is_empty() {
            s = format!("{}.", module_path_string(&self.module));
        }
        format!("{s}{}", self.resource)
    }

    /// The configuration address: module call names without keys, and the resource.
    pub fn config_addr(&self) -> String {
        config_resource_addr(&config_path(&self.module), &self.resource)
    }
}

/// `module.a.module.b.terraform_data.x`, the address of a resource block in configuration.
pub fn config_resource_addr(module: &[String], resource: &ResourceKey) -> String {
    let mut s = String::new();
    for m in module {
        s.push_str("module.");
        s.push_str(m);
        s.push('.');
    }
    format!("{s}{resource}")
}

/// An address given on the command line (`-target`, `-replace`, `state show`, `import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A module instance (or all instances of a module call when keys are absent).
    Module(ModulePath),
    /// A whole resource (all its instances).
    Resource(ModulePath, ResourceKey),
    /// One instance.
    Instance(InstanceAddr),
}

impl Target {
    /// Whether an instance is selected by this target.
    pub fn matches(&self, addr: &InstanceAddr) -> bool {
        match self {
            Target::Module(m) => module_prefix_matches(m, &addr.module),
            Target::Resource(m, r) => {
                module_prefix_matches(m, &addr.module)
                    && m.len() == addr.module.len()
                    && r == &addr.resource
            }
            Target::Instance(i) => i == addr,
        }
    }

    /// Whether a resource block (in a module config path) may have instances selected.
    pub fn may_match(&self, module: &[String], resource: &ResourceKey) -> bool {
        match self {
            Target::Module(m) => {
                m.len() <= module.len() && m.iter().zip(module).all(|((a, _), b)| a == b)
            }
            Target::Resource(m, r)
            | Target::Instance(InstanceAddr {
                module: m,
                resource: r,
                ..
            }) => {
                m.len() == module.len()
                    && m.iter().zip(module).all(|((a, _), b)| a == b)
                    && r == resource
            }
        }
    }
}

fn module_prefix_matches(prefix: &ModulePath, path: &ModulePath) -> bool {
    prefix.len() <= path.len()
        && prefix
            .iter()
            .zip(path)
            .all(|((pn, pk), (n, k))| pn == n && (pk.is_none() || pk == k))
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => f.write_str(&module_path_string(m)),
            Target::Resource(m, r) if m.is_empty() => write!(f, "{r}"),
            Target::Resource(m, r) => write!(f, "{}.{r}", module_path_string(m)),
            Target::Instance(i) => write!(f, "{i}"),
        }
    }
}

/// Parses an address such as `module.a["x"].terraform_data.b[0]`.
pub fn parse_target(s: &str) -> Result<Target, String> {
    let bad = || {
        format!("\"{s}\" is not a valid resource address; expected one like terraform_data.example, aws_s3_bucket.data[0] or module.name[\"key\"].type.name.")
    };
    let expr = hcl_edit::parser::parse_expr(s.trim()).map_err(|_| bad())?;
    let (root, ops) = match &expr {
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(v) => (
                v.as_str().to_string(),
                t.operators
                    .iter()
                    .map(|o| o.value().clone())
                    .collect::<Vec<_>>(),
            ),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    enum Tok {
        Name(String),
        Key(Key),
    }
    let mut toks = vec![Tok::Name(root)];
    for op in ops {
        toks.push(match op {
            TraversalOperator::GetAttr(a) => Tok::Name(a.as_str().to_string()),
            TraversalOperator::Index(Expression::Number(n)) => {
                Tok::Key(Key::Int(n.as_i64().ok_or_else(bad)?))
            }
            TraversalOperator::Index(Expression::String(st)) => {
                Tok::Key(Key::Str(st.value().to_string()))
            }
            TraversalOperator::Index(e) => {
                Tok::Key(Key::Str(crate::syntax::literal_string(&e).ok_or_else(bad)?))
            }
            TraversalOperator::LegacyIndex(n) => Tok::Key(Key::Int(*n.value() as i64)),
            _ => return Err(bad()),
        });
    }
    let mut i = 0;
    let mut module = ModulePath::new();
    while matches!(toks.get(i), Some(Tok::Name(n)) if n == "module") {
        let Some(Tok::Name(name)) = toks.get(i + 1) else {
            return Err(bad());
        };
        let key = match toks.get(i + 2) {
            Some(Tok::Key(k)) => {
                i += 1;
                Some(k.clone())
            }
            _ => None,
        };
        module.push((name.clone(), key));
        i += 2;
    }
    if i == toks.len() {
        return if module.is_empty() {
            Err(bad())
        } else {
            Ok(Target::Module(module))
        };
    }
    let mode = if matches!(toks.get(i), Some(Tok::Name(n)) if n == "data") {
        i += 1;
        Mode::Data
    } else {
        Mode::Managed
    };
    let (Some(Tok::Name(ty)), Some(Tok::Name(name))) = (toks.get(i), toks.get(i + 1)) else {
        return Err(bad());
    };
    let resource = ResourceKey {
        mode,
        type_name: ty.clone(),
        name: name.clone(),
    };
    match toks.get(i + 2) {
        None => Ok(Target::Resource(module, resource)),
        Some(Tok::Key(k)) if toks.len() == i + 3 => Ok(Target::Instance(InstanceAddr {
            module,
            resource,
            key: Some(k.clone()),
        })),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_addresses() {
        for s in [
            "terraform_data.a",
            "terraform_data.a[0]",
            "module.m[\"x\"].terraform_data.a[\"k\"]",
            "module.m.module.n.data.t.n",
            "module.m",
        ] {
            assert_eq!(parse_target(s).unwrap().to_string(), s);
        }
        assert!(parse_target("nonsense").is_err());
        assert!(parse_target("a.b.c.d.e").is_err());
    }
}
