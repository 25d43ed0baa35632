//! References: which named objects an expression or block body reads (`var.x`, `local.y`,
//! `module.m.out`, `aws_s3_bucket.data`, `data.x.y`), found statically so the graph can order
//! evaluation before anything is evaluated.

use std::collections::HashSet;
use std::ops::Range;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span as _;

use crate::addr::{Key, Mode, PathKey, ResourceKey};

/// A named object an expression refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    Var(String),
    Local(String),
    /// `module.NAME` or `module.NAME.OUTPUT`.
    Module(String, Option<String>),
    Resource(ResourceKey),
}

/// A reference and where it was written.
#[derive(Debug, Clone)]
pub struct RefAt {
    pub reference: Reference,
    pub range: Option<Range<usize>>,
    /// The attribute path after the resource address, when statically known (`.id`).
    pub attr: Option<String>,
    /// Whether an instance key or splat stands between the address and `attr`
    /// (`aws_s3_bucket.data[0].arn`).
    pub keyed: bool,
    /// For a resource: the literal instance key written after its address, if any.
    pub instance: Option<Key>,
    /// For a resource: the attribute path after the address (and instance key or splat), as
    /// far as it is literal: `.tags["env"]` is `tags`, `env`.
    pub path: Vec<PathKey>,
}

fn literal_key(op: &TraversalOperator) -> Option<PathKey> {
    match op {
        TraversalOperator::GetAttr(a) => Some(PathKey::Name(a.as_str().to_string())),
        TraversalOperator::Index(Expression::String(s)) => {
            Some(PathKey::Name(s.value().to_string()))
        }
        TraversalOperator::Index(Expression::Number(n)) => n.as_i64().map(PathKey::Index),
        TraversalOperator::LegacyIndex(n) => Some(PathKey::Index(*n.value() as i64)),
        _ => None,
    }
}

/// The instance key and literal path of the operators after a resource's address.
fn instance_and_path(ops: &[TraversalOperator]) -> (Option<Key>, Vec<PathKey>) {
    let mut rest = ops;
    let mut instance = None;
    match rest.first() {
        Some(TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)) => {
            rest = &rest[1..];
        }
        Some(op @ (TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))) => {
            instance = match literal_key(op) {
                Some(PathKey::Name(s)) => Some(Key::Str(s)),
                Some(PathKey::Index(i)) => Some(Key::Int(i)),
                None => None,
            };
            rest = &rest[1..];
        }
        _ => {}
    }
    let path = rest.iter().map_while(literal_key).collect();
    (instance, path)
}

const RESERVED_ROOTS: &[&str] = &[
    "var",
    "local",
    "module",
    "data",
    "count",
    "each",
    "path",
    "terraform",
    "self",
];

/// References made by an expression.
pub fn expr_refs(expr: &Expression) -> Vec<RefAt> {
    let mut out = Vec::new();
    walk_expr(expr, &mut Vec::new(), &mut out);
    out
}

/// References made by every attribute and nested block of a body (dynamic blocks included).
pub fn body_refs(body: &Body) -> Vec<RefAt> {
    let mut out = Vec::new();
    walk_body(body, &mut Vec::new(), &mut out);
    out
}

fn walk_body(body: &Body, bound: &mut Vec<String>, out: &mut Vec<RefAt>) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => walk_expr(&a.value, bound, out),
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                let iterator = b
                    .body
                    .get_attribute("iterator")
                    .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
                    .or_else(|| b.labels.first().map(|l| l.as_str().to_string()))
                    .unwrap_or_default();
                if let Some(fe) = b.body.get_attribute("for_each") {
                    walk_expr(&fe.value, bound, out);
                }
                bound.push(iterator);
                for content in b.body.get_blocks("content") {
                    walk_body(&content.body, bound, out);
                }
                bound.pop();
            }
            Structure::Block(b) => walk_body(&b.body, bound, out),
        }
    }
}

fn walk_template(t: &Template, bound: &mut Vec<String>, out: &mut Vec<RefAt>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk_expr(&i.expr, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    walk_expr(&d.if_expr.cond_expr, bound, out);
                    walk_template(&d.if_expr.template, bound, out);
                    if let Some(e) = &d.else_expr {
                        walk_template(&e.template, bound, out);
                    }
                }
                Directive::For(d) => {
                    let f = &d.for_expr;
                    walk_expr(&f.collection_expr, bound, out);
                    let n = bound.len();
                    bound.push(f.value_var.as_str().to_string());
                    if let Some(k) = &f.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    walk_template(&f.template, bound, out);
                    bound.truncate(n);
                }
            },
        }
    }
}

fn walk_expr(expr: &Expression, bound: &mut Vec<String>, out: &mut Vec<RefAt>) {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => {}
        Expression::Array(items) => items.iter().for_each(|e| walk_expr(e, bound, out)),
        Expression::Object(obj) => {
            for (k, v) in obj.iter() {
                if let hcl_edit::expr::ObjectKey::Expression(e) = k {
                    // A bare identifier as a key is a literal name, not a reference.
                    if !matches!(e, Expression::Variable(_)) {
                        walk_expr(e, bound, out);
                    }
                }
                walk_expr(v.expr(), bound, out);
            }
        }
        Expression::StringTemplate(t) => walk_template(t, bound, out),
        Expression::HeredocTemplate(h) => walk_template(&h.template, bound, out),
        Expression::Parenthesis(p) => walk_expr(p.inner(), bound, out),
        Expression::Variable(_) => {}
        Expression::Conditional(c) => {
            walk_expr(&c.cond_expr, bound, out);
            walk_expr(&c.true_expr, bound, out);
            walk_expr(&c.false_expr, bound, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| walk_expr(e, bound, out)),
        Expression::UnaryOp(u) => walk_expr(&u.expr, bound, out),
        Expression::BinaryOp(b) => {
            walk_expr(&b.lhs_expr, bound, out);
            walk_expr(&b.rhs_expr, bound, out);
        }
        Expression::ForExpr(f) => {
            walk_expr(&f.intro.collection_expr, bound, out);
            let n = bound.len();
            bound.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            if let Some(k) = &f.key_expr {
                walk_expr(k, bound, out);
            }
            walk_expr(&f.value_expr, bound, out);
            if let Some(c) = &f.cond {
                walk_expr(&c.expr, bound, out);
            }
            bound.truncate(n);
        }
        Expression::Traversal(t) => {
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op.value() {
                    walk_expr(e, bound, out);
                }
            }
            match &t.expr {
                Expression::Variable(root) => {
                    let root = root.as_str();
                    if bound.iter().any(|b| b == root) {
                        return;
                    }
                    let names: Vec<Option<&str>> = t
                        .operators
                        .iter()
                        .map(|op| match op.value() {
                            TraversalOperator::GetAttr(a) => Some(a.as_str()),
                            _ => None,
                        })
                        .collect();
                    let name = |i: usize| names.get(i).copied().flatten().map(str::to_string);
                    let reference = match root {
                        "var" => name(0).map(Reference::Var),
                        "local" => name(0).map(Reference::Local),
                        "module" => name(0).map(|m| Reference::Module(m, name(1))),
                        "data" => match (name(0), name(1)) {
                            (Some(ty), Some(n)) => Some(Reference::Resource(ResourceKey {
                                mode: Mode::Data,
                                type_name: ty,
                                name: n,
                            })),
                            _ => None,
                        },
                        r if RESERVED_ROOTS.contains(&r) => None,
                        ty => name(0).map(|n| {
                            Reference::Resource(ResourceKey {
                                mode: Mode::Managed,
                                type_name: ty.to_string(),
                                name: n,
                            })
                        }),
                    };
                    if let Some(reference) = reference {
                        let attr_index = match &reference {
                            Reference::Resource(k) if k.mode == Mode::Data => 2,
                            Reference::Resource(_) => 1,
                            _ => usize::MAX,
                        };
                        let mut keyed = false;
                        let attr = t.operators.get(attr_index).and_then(|op| match op.value() {
                            TraversalOperator::GetAttr(a) => Some(a.as_str().to_string()),
                            _ => {
                                keyed = true;
                                t.operators
                                    .get(attr_index + 1)
                                    .and_then(|op| match op.value() {
                                        TraversalOperator::GetAttr(a) => {
                                            Some(a.as_str().to_string())
                                        }
                                        _ => None,
                                    })
                            }
                        });
                        let (instance, path) = match &reference {
                            Reference::Resource(_) => {
                                let ops: Vec<TraversalOperator> = t
                                    .operators
                                    .iter()
                                    .skip(attr_index)
                                    .map(|o| o.value().clone())
                                    .collect();
                                instance_and_path(&ops)
                            }
                            _ => (None, Vec::new()),
                        };
                        out.push(RefAt {
                            reference,
                            range: t.span(),
                            attr,
                            keyed,
                            instance,
                            path,
                        });
                    }
                }
                other => walk_expr(other, bound, out),
            }
        }
    }
}

/// The distinct references of a list, in order.
pub fn dedup(refs: Vec<RefAt>) -> Vec<RefAt> {
    let mut seen = HashSet::new();
    refs.into_iter()
        .filter(|r| seen.insert(r.reference.clone()))
        .collect()
}
