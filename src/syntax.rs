//! Syntax helpers shared by configuration loading and evaluation, reading HCL as written
//! without evaluating it: literal strings, object keys, static attribute paths, lexical path
//! normalization. A leaf: it depends on no other module of the crate, so `config` and
//! `eval` can both use it without importing each other.

use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, TraversalOperator};
use mlform_provider::{Path as ValuePath, PathStep};

/// Removes `.` and `..` components without touching the file system.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `path` relative to `base`, both absolute, lexically (with `..` where `path` is outside
/// `base`): how Terraform writes `path.module`. `.` when they are the same.
pub fn relative_path(path: &Path, base: &Path) -> PathBuf {
    let path = normalize_path(path);
    let base = normalize_path(base);
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

pub fn object_key_name(key: &hcl_edit::expr::ObjectKey) -> Option<String> {
    match key {
        hcl_edit::expr::ObjectKey::Ident(id) => Some(id.as_str().to_string()),
        hcl_edit::expr::ObjectKey::Expression(e) => literal_string(e).or_else(|| match e {
            Expression::Variable(v) => Some(v.as_str().to_string()),
            _ => None,
        }),
    }
}

/// The string of a literal (a plain string or a template without interpolation).
pub fn literal_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().to_string()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for el in t.iter() {
                out.push_str(el.as_literal()?.value());
            }
            Some(out)
        }
        _ => None,
    }
}

/// A static attribute path (`tags`, `tags["team"]`, `rule[0].id`), as used by ignore_changes.
pub fn static_path(expr: &Expression) -> Option<ValuePath> {
    match expr {
        Expression::Variable(v) => Some(vec![PathStep::GetAttr(v.as_str().to_string())]),
        Expression::String(s) => Some(vec![PathStep::GetAttr(s.value().to_string())]),
        Expression::Traversal(t) => {
            let mut path = static_path(&t.expr)?;
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(a) => {
                        path.push(PathStep::Key(a.as_str().to_string()))
                    }
                    TraversalOperator::Index(Expression::Number(n)) => {
                        path.push(PathStep::Index(n.as_u64()? as usize))
                    }
                    TraversalOperator::Index(e) => path.push(PathStep::Key(literal_string(e)?)),
                    TraversalOperator::LegacyIndex(n) => {
                        path.push(PathStep::Index(*n.value() as usize))
                    }
                    _ => return None,
                }
            }
            Some(path)
        }
        _ => None,
    }
}

/// Whether a name can be written bare in HCL (a block label, an attribute, an object key).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}
