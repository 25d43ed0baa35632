//! The expression evaluator: HCL expressions and templates to [`Value`]s, with unknown values
//! propagating through every operation that reads them and sensitive marks carried to every
//! value derived from a sensitive one.

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Directive, Element, Template};
use mlform_provider::{Number, NumberError, Value};

use super::functions;
use super::template::{self, Layout, Literals};
use super::types::{to_bool, to_number, to_string, Kind};
use crate::diag::{did_you_mean, Diagnostic, FileId, Span};

/// One step of a traversal after its root name.
#[derive(Debug, Clone)]
pub enum Step {
    Attr(String),
    Index(Value),
    Splat,
}

/// Where names (`var.x`, `aws_s3_bucket.b`, `count.index`) are looked up.
pub trait Scope {
    /// Resolves `root` followed by (a prefix of) `steps`; returns the value and the number of
    /// steps consumed. The error is a sentence naming what is missing.
    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), ScopeError>;

    /// The directory relative file paths are read from: the working directory (the root
    /// module), as in Terraform, where modules name their own files through `path.module`.
    fn working_dir(&self) -> &Path;

    /// The run's clock, for `timestamp`, `plantimestamp` and `uuid`; none while validating.
    /// The kind Terraform's type system gives `root.name` (`var.x` by its declared type,
    /// `local.x` by its expression), where values alone cannot tell; `None` when unknown.
    fn kind_of(&self, _root: &str, _name: &str) -> Option<Kind> {
        None
    }

    fn clock(&self) -> Option<&functions::Clock> {
        None
    }
}

/// Why a name could not be resolved.
#[derive(Debug, Clone)]
pub struct ScopeError {
    pub summary: String,
    pub detail: String,
    pub hint: Option<String>,
}

impl ScopeError {
    pub fn new(summary: &str, detail: impl Into<String>) -> ScopeError {
        ScopeError {
            summary: summary.into(),
            detail: detail.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: Option<String>) -> ScopeError {
        self.hint = hint;
        self
    }
}

/// A scope with no names; used for constant expressions (type defaults).
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn resolve(&self, root: &str, _steps: &[Step]) -> Result<(Value, usize), ScopeError> {
        Err(ScopeError::new(
            "Variables not allowed",
            format!("\"{root}\" cannot be used here: only constant values are allowed."),
        ))
    }
    fn working_dir(&self) -> &Path {
        Path::new(".")
    }
}

/// Evaluates a constant expression (no references).
pub fn eval_constant(expr: &Expression) -> Result<Value, String> {
    Evaluator::new(&EmptyScope, 0)
        .eval(expr)
        .map_err(|d| d.detail)
}

/// Evaluates expressions of one file against a scope, with local bindings (for-expression
/// variables, dynamic block iterators).
pub struct Evaluator<'a> {
    pub(super) scope: &'a dyn Scope,
    file: FileId,
    pub(super) bindings: Vec<(String, Value)>,
}

pub(super) type R = Result<Value, Diagnostic>;

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Scope, file: FileId) -> Evaluator<'a> {
        Evaluator {
            scope,
            file,
            bindings: Vec::new(),
        }
    }

    pub fn bind(&mut self, name: &str, value: Value) {
        self.bindings.push((name.to_string(), value));
    }

    pub fn unbind(&mut self) {
        self.bindings.pop();
    }

    fn span(&self, node: &impl hcl_edit::Span) -> Option<Span> {
        node.span().map(|range| Span {
            file: self.file,
            range,
        })
    }

    pub(super) fn err(
        &self,
        node: &impl hcl_edit::Span,
        summary: &str,
        detail: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(summary, detail).at(self.span(node))
    }

    pub fn eval(&mut self, expr: &Expression) -> R {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => literal_number(n)
                .map(Value::Number)
                .map_err(|e| self.err(expr, "Invalid number literal", format!("{e}."))),
            Expression::String(s) => Ok(Value::String(nfc(s.value()))),
            Expression::Array(items) => Ok(Value::List(
                items
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<_, _>>()?,
            )),
            Expression::Object(obj) => {
                let mut out = BTreeMap::new();
                let mut sensitive_key = false;
                for (key, value) in obj.iter() {
                    let k = match key {
                        ObjectKey::Ident(id) => Value::String(id.as_str().to_string()),
                        ObjectKey::Expression(Expression::Variable(v)) => {
                            Value::String(v.as_str().to_string())
                        }
                        ObjectKey::Expression(e) => self.eval(e)?,
                    };
                    if k.is_unknown() {
                        return Ok(Value::Unknown);
                    }
                    sensitive_key |= k.is_sensitive();
                    let Some(k) = to_string(&k) else {
                        return Err(self.err(
                            key,
                            "Invalid object key",
                            format!(
                                "Object keys must be strings, but this is {}.",
                                k.type_name()
                            ),
                        ));
                    };
                    out.insert(k, self.eval(value.expr())?);
                }
                Ok(Value::Map(out.into()).mark_sensitive_if(sensitive_key))
            }
            Expression::StringTemplate(t) => {
                // A template that is one interpolation and nothing else is that value, not
                // its string (`"${[1]}"` is a tuple, `"${null}"` is null), as in Terraform.
                let elements: Vec<&Element> = t.iter().collect();
                if let [Element::Interpolation(i)] = elements.as_slice() {
                    return self.eval(&i.expr);
                }
                let literals = template::settle(t, Layout::Quoted);
                self.eval_template(t, &literals)
            }
            Expression::HeredocTemplate(h) => {
                let layout = match h.indent() {
                    Some(indent) => Layout::Flush { indent },
                    None => Layout::Lines,
                };
                let literals = template::settle(&h.template, layout);
                self.eval_template(&h.template, &literals)
            }
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => {
                let name = v.as_str();
                if let Some((_, value)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
                    return Ok(value.clone());
                }
                self.resolve(expr, name, &[])
            }
            Expression::Traversal(t) => {
                let mut steps = Vec::with_capacity(t.operators.len());
                for op in &t.operators {
                    steps.push(match op.value() {
                        TraversalOperator::GetAttr(a) => Step::Attr(a.as_str().to_string()),
                        TraversalOperator::Index(e) => Step::Index(self.eval(e)?),
                        TraversalOperator::LegacyIndex(n) => {
                            Step::Index(Value::from(*n.value() as usize))
                        }
                        TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                            Step::Splat
                        }
                    });
                }
                match &t.expr {
                    Expression::Variable(v)
                        if !self.bindings.iter().any(|(n, _)| n == v.as_str()) =>
                    {
                        self.resolve(expr, v.as_str(), &steps)
                    }
                    inner => {
                        let base = self.eval(inner)?;
                        apply_steps(base, &steps).map_err(|e| self.err(expr, "Invalid index", e))
                    }
                }
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                let (cond, sensitive) = split_mark(cond);
                if cond.is_unknown() {
                    return Ok(Value::Unknown.mark_sensitive_if(sensitive));
                }
                let Some(b) = to_bool(&cond) else {
                    return Err(self.err(
                        &c.cond_expr,
                        "Incorrect condition type",
                        format!(
                            "The condition must be a bool, but it is {}.",
                            cond.type_name()
                        ),
                    ));
                };
                let (chosen, other) = if b {
                    (&c.true_expr, &c.false_expr)
                } else {
                    (&c.false_expr, &c.true_expr)
                };
                let v = self.eval(chosen)?;
                // Both results share one type, as in Terraform; errors in the other result
                // are not this expression's (HCL reports only the chosen one's).
                let v = match self.eval(other) {
                    Ok(o) if !o.is_unknown() && !v.is_unknown() => {
                        let (v, marked) = split_mark(v);
                        crate::eval::types::unify_pair(v, &o.strip_marks())
                            .mark_sensitive_if(marked)
                    }
                    _ => v,
                };
                Ok(v.mark_sensitive_if(sensitive))
            }
            Expression::FuncCall(call) => self.eval_call(call),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                let (v, sensitive) = split_mark(v);
                if v.is_unknown() {
                    return Ok(Value::Unknown.mark_sensitive_if(sensitive));
                }
                let out = match u.operator.value() {
                    UnaryOperator::Neg => to_number(&v).map(|n| Value::Number(n.neg())).ok_or_else(|| self.err(&u.expr, "Invalid operand", format!("Unsuitable value for unary operand: a number is required, but got {}.", v.type_name())))?,
                    UnaryOperator::Not => to_bool(&v).map(|b| Value::Bool(!b)).ok_or_else(|| self.err(&u.expr, "Invalid operand", format!("Unsuitable value for unary operand: a bool is required, but got {}.", v.type_name())))?,
                };
                Ok(out.mark_sensitive_if(sensitive))
            }
            Expression::BinaryOp(b) => self.eval_binary(b),
            Expression::ForExpr(f) => self.eval_for(f),
        }
    }

    fn resolve(&self, expr: &Expression, root: &str, steps: &[Step]) -> R {
        match self.scope.resolve(root, steps) {
            Ok((value, used)) => {
                apply_steps(value, &steps[used..]).map_err(|e| self.err(expr, "Invalid index", e))
            }
            Err(e) => {
                let mut d = self.err(expr, &e.summary, e.detail);
                d.hint = e.hint;
                Err(d)
            }
        }
    }

    fn eval_binary(&mut self, b: &hcl_edit::expr::BinaryOp) -> R {
        use BinaryOperator::*;
        let op = *b.operator.value();
        let lhs = self.eval(&b.lhs_expr)?;
        // Logical operators short-circuit on a known deciding left operand.
        if matches!(op, And | Or) {
            let (l, ls) = split_mark(lhs.clone());
            if let Some(lb) = to_bool(&l) {
                if (op == And && !lb) || (op == Or && lb) {
                    return Ok(Value::Bool(lb).mark_sensitive_if(ls));
                }
            }
        }
        let rhs = self.eval(&b.rhs_expr)?;
        let (l, ls) = split_mark(lhs);
        let (r, rs) = split_mark(rhs);
        let sensitive = ls || rs;
        if matches!(op, Eq | NotEq) {
            if !l.is_wholly_known() || !r.is_wholly_known() {
                // As cty: decided despite unknown parts when the shapes already differ
                // (`var.settings == null` for an object holding an unknown ARN is false).
                return Ok(match decided_eq(&l, &r) {
                    Some(eq) => Value::Bool(if op == Eq { eq } else { !eq }),
                    None => Value::Unknown,
                }
                .mark_sensitive_if(sensitive));
            }
            // Values of different collection types are never equal, as in Terraform.
            let kinds_differ = match (self.kind(&b.lhs_expr), self.kind(&b.rhs_expr)) {
                (Some(a), Some(b)) => a != b && a != Kind::DynamicNull && b != Kind::DynamicNull,
                _ => false,
            };
            let eq = !kinds_differ
                && (l.same_data(&r)
                    || (matches!(
                        (&l, &r),
                        (
                            Value::List(_) | Value::Set(_),
                            Value::List(_) | Value::Set(_)
                        )
                    ) && l.as_list().unwrap().len() == r.as_list().unwrap().len()
                        && l.as_list()
                            .unwrap()
                            .iter()
                            .zip(r.as_list().unwrap())
                            .all(|(a, b)| a.same_data(b))));
            return Ok(Value::Bool(if op == Eq { eq } else { !eq }).mark_sensitive_if(sensitive));
        }
        if l.is_unknown() || r.is_unknown() {
            return Ok(Value::Unknown.mark_sensitive_if(sensitive));
        }
        let out = match op {
            And | Or => {
                let lb = to_bool(&l).ok_or_else(|| {
                    self.err(
                        &b.lhs_expr,
                        "Invalid operand",
                        format!(
                            "Unsuitable value for left operand: a bool is required, but got {}.",
                            l.type_name()
                        ),
                    )
                })?;
                let rb = to_bool(&r).ok_or_else(|| {
                    self.err(
                        &b.rhs_expr,
                        "Invalid operand",
                        format!(
                            "Unsuitable value for right operand: a bool is required, but got {}.",
                            r.type_name()
                        ),
                    )
                })?;
                Value::Bool(if op == And { lb && rb } else { lb || rb })
            }
            _ => {
                let ln = to_number(&l).ok_or_else(|| {
                    self.err(
                        &b.lhs_expr,
                        "Invalid operand",
                        format!(
                            "Unsuitable value for left operand: a number is required, but got {}.",
                            l.type_name()
                        ),
                    )
                })?;
                let rn = to_number(&r).ok_or_else(|| {
                    self.err(
                        &b.rhs_expr,
                        "Invalid operand",
                        format!(
                            "Unsuitable value for right operand: a number is required, but got {}.",
                            r.type_name()
                        ),
                    )
                })?;
                let arith = |r: Result<Number, NumberError>, what: &str| {
                    r.map(Value::Number).map_err(|e| match e {
                        NumberError::DivisionByZero => self.err(
                            &b.rhs_expr,
                            "Division by zero",
                            format!("The right operand of a {what} is zero."),
                        ),
                        e => self.err(&b.rhs_expr, "Number out of range", format!("{e}.")),
                    })
                };
                match op {
                    Plus => arith(ln.add(&rn), "sum")?,
                    Minus => arith(ln.sub(&rn), "difference")?,
                    Mul => arith(ln.mul(&rn), "product")?,
                    Div => arith(ln.div(&rn), "division")?,
                    Mod => arith(ln.rem(&rn), "modulo")?,
                    Less => Value::Bool(ln.total_cmp(&rn).is_lt()),
                    LessEq => Value::Bool(ln.total_cmp(&rn).is_le()),
                    Greater => Value::Bool(ln.total_cmp(&rn).is_gt()),
                    GreaterEq => Value::Bool(ln.total_cmp(&rn).is_ge()),
                    _ => unreachable!("handled above"),
                }
            }
        };
        Ok(out.mark_sensitive_if(sensitive))
    }

    fn eval_for(&mut self, f: &hcl_edit::expr::ForExpr) -> R {
        let coll = self.eval(&f.intro.collection_expr)?;
        let (coll, sensitive) = split_mark(coll);
        if coll.is_unknown() {
            return Ok(Value::Unknown.mark_sensitive_if(sensitive));
        }
        let items: Vec<(Value, Value)> = match &coll {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v.clone()))
                .collect(),
            Value::Set(items) => items.iter().map(|v| (v.clone(), v.clone())).collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
            Value::Null => {
                return Err(self.err(
                    &f.intro.collection_expr,
                    "Iteration over null value",
                    "A null value cannot be used as the collection in a 'for' expression.",
                ))
            }
            other => {
                return Err(self.err(
                    &f.intro.collection_expr,
                    "Iteration over non-iterable value",
                    format!(
                    "A value of type {} cannot be used as the collection in a 'for' expression.",
                    other.type_name()
                ),
                ))
            }
        };
        let value_var = f.intro.value_var.as_str().to_string();
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut any_unknown = false;
        for (k, v) in items {
            let n = self.bindings.len();
            if let Some(kv) = &key_var {
                self.bind(kv, k);
            }
            self.bind(&value_var, v);
            let result = (|| -> Result<(), Diagnostic> {
                if let Some(c) = &f.cond {
                    let cv = self.eval(&c.expr)?;
                    if cv.is_unknown() {
                        any_unknown = true;
                        return Ok(());
                    }
                    match to_bool(&cv) {
                        Some(true) => {}
                        Some(false) => return Ok(()),
                        None => {
                            return Err(self.err(
                                &c.expr,
                                "Invalid 'for' condition",
                                "The condition of a 'for' expression must be a bool.",
                            ))
                        }
                    }
                }
                let value = self.eval(&f.value_expr)?;
                match &f.key_expr {
                    None => list.push(value),
                    Some(ke) => {
                        let key = self.eval(ke)?;
                        if key.is_unknown() {
                            any_unknown = true;
                            return Ok(());
                        }
                        let Some(key) = to_string(&key) else {
                            return Err(self.err(
                                ke,
                                "Invalid object key",
                                "The key expression of a 'for' expression must produce a string.",
                            ));
                        };
                        if f.grouping {
                            groups.entry(key).or_default().push(value);
                        } else if map.contains_key(&key) {
                            return Err(self.err(ke, "Duplicate object key", format!("Two elements produce the key \"{key}\". If duplicates are expected, use the ellipsis (...) after the value expression to group them.")));
                        } else {
                            map.insert(key, value);
                        }
                    }
                }
                Ok(())
            })();
            self.bindings.truncate(n);
            result?;
        }
        if any_unknown {
            return Ok(Value::Unknown.mark_sensitive_if(sensitive));
        }
        let out = match (&f.key_expr, f.grouping) {
            (None, _) => Value::List(list),
            (Some(_), true) => Value::Map(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            ),
            (Some(_), false) => Value::Map(map.into()),
        };
        Ok(out.mark_sensitive_if(sensitive))
    }

    /// Renders a template whose literals' whitespace `literals` has settled.
    fn eval_template(&mut self, t: &Template, literals: &Literals) -> R {
        let mut out = String::new();
        let mut sensitive = false;
        let mut unknown = false;
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_str(literals.text(s)),
                Element::Interpolation(interp) => {
                    let v = self.eval(&interp.expr)?;
                    let (v, s) = split_mark(v);
                    sensitive |= s;
                    if v.is_unknown() {
                        unknown = true;
                        continue;
                    }
                    match to_string(&v) {
                        Some(s) => out.push_str(&s),
                        None if v.is_null() => return Err(self.err(&interp.expr, "Invalid template interpolation value", "The expression result is null. Cannot include a null value in a string template.")),
                        None => return Err(self.err(&interp.expr, "Invalid template interpolation value", format!("Cannot include the given value in a string template: string required, but got {}.", v.type_name())).hint("Use jsonencode() or join() to turn a collection into a string.")),
                    }
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        let cond = self.eval(&d.if_expr.cond_expr)?;
                        let (cond, s) = split_mark(cond);
                        sensitive |= s;
                        if cond.is_unknown() {
                            unknown = true;
                            continue;
                        }
                        let Some(b) = to_bool(&cond) else {
                            return Err(self.err(
                                &d.if_expr.cond_expr,
                                "Invalid template if condition",
                                "The condition of a %{if} directive must be a bool.",
                            ));
                        };
                        let branch = if b {
                            Some(&d.if_expr.template)
                        } else {
                            d.else_expr.as_ref().map(|e| &e.template)
                        };
                        if let Some(tpl) = branch {
                            let v = self.eval_template(tpl, literals)?;
                            let (v, s) = split_mark(v);
                            sensitive |= s;
                            match v {
                                Value::String(s) => out.push_str(&s),
                                _ => unknown = true,
                            }
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        let coll = self.eval(&f.collection_expr)?;
                        let (coll, s) = split_mark(coll);
                        sensitive |= s;
                        let items: Vec<(Value, Value)> = match coll {
                            Value::Unknown => {
                                unknown = true;
                                continue;
                            }
                            Value::List(items) => items
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (Value::from(i), v))
                                .collect(),
                            Value::Set(items) => {
                                items.into_iter().map(|v| (v.clone(), v)).collect()
                            }
                            Value::Map(m) => {
                                m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()
                            }
                            other => {
                                return Err(self.err(
                                    &f.collection_expr,
                                    "Iteration over non-iterable value",
                                    format!(
                                        "A %{{for}} directive needs a collection, but got {}.",
                                        other.type_name()
                                    ),
                                ))
                            }
                        };
                        for (k, v) in items {
                            let n = self.bindings.len();
                            if let Some(kv) = &f.key_var {
                                self.bind(kv.as_str(), k);
                            }
                            self.bind(f.value_var.as_str(), v);
                            let r = self.eval_template(&f.template, literals);
                            self.bindings.truncate(n);
                            let (v, s) = split_mark(r?);
                            sensitive |= s;
                            match v {
                                Value::String(s) => out.push_str(&s),
                                _ => unknown = true,
                            }
                        }
                    }
                },
            }
        }
        let v = if unknown {
            Value::Unknown
        } else {
            Value::String(nfc(&out))
        };
        Ok(v.mark_sensitive_if(sensitive))
    }
}

/// Strings in NFC, as Terraform keeps every string (`"e\u0301"` is `"é"`).
pub fn nfc(s: &str) -> String {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s.to_string()
    } else {
        s.nfc().collect()
    }
}

/// Splits a top-level sensitive mark off a value.
pub fn split_mark(v: Value) -> (Value, bool) {
    match v {
        Value::Sensitive(inner) => (split_mark(*inner).0, true),
        v => (v, false),
    }
}

/// Applies traversal steps to a value (attribute access, indexing, splats).
pub fn apply_steps(mut value: Value, steps: &[Step]) -> Result<Value, String> {
    let mut sensitive = false;
    for (i, step) in steps.iter().enumerate() {
        let (v, s) = split_mark(value);
        sensitive |= s;
        if v.is_unknown() {
            return Ok(Value::Unknown.mark_sensitive_if(sensitive));
        }
        value = match step {
            Step::Splat => {
                let items = match v {
                    Value::List(items) | Value::Set(items) => items,
                    Value::Null => Vec::new(),
                    other => vec![other],
                };
                let rest = &steps[i + 1..];
                let mapped = items
                    .into_iter()
                    .map(|item| apply_steps(item, rest))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(Value::List(mapped).mark_sensitive_if(sensitive));
            }
            Step::Attr(name) => match v {
                Value::Map(mut m) => match m.remove(name) {
                    Some(x) => x,
                    None => {
                        let hint = did_you_mean(name, m.keys().map(String::as_str))
                            .map(|h| format!(" {h}"))
                            .unwrap_or_default();
                        return Err(format!(
                            "This object does not have an attribute named \"{name}\".{hint}"
                        ));
                    }
                },
                Value::Null => {
                    return Err(format!(
                        "Attempt to get attribute \"{name}\" from a null value."
                    ))
                }
                other => {
                    return Err(format!(
                        "Can't access attributes on a value of type {}; did you mean to index it?",
                        other.type_name()
                    ))
                }
            },
            Step::Index(key) => {
                let (key, ks) = split_mark(key.clone());
                sensitive |= ks;
                if key.is_unknown() {
                    return Ok(Value::Unknown.mark_sensitive_if(sensitive));
                }
                match v {
                    Value::List(mut items) | Value::Set(mut items) => {
                        let Some(n) = to_number(&key) else {
                            return Err(format!(
                                "A list is indexed by a number, but the index is {}.",
                                key.type_name()
                            ));
                        };
                        match n.to_usize().filter(|i| *i < items.len()) {
                            Some(i) => items.swap_remove(i),
                            None => return Err(format!("The given index {n} is out of range: the collection has {} element(s).", items.len())),
                        }
                    }
                    Value::Map(mut m) => {
                        let Some(k) = to_string(&key) else {
                            return Err(format!(
                                "A map is indexed by a string, but the key is {}.",
                                key.type_name()
                            ));
                        };
                        match m.remove(&k) {
                            Some(x) => x,
                            None => return Err(format!("The given key \"{k}\" does not identify an element in this collection.")),
                        }
                    }
                    Value::Null => return Err("Cannot index a null value.".into()),
                    other => {
                        return Err(format!(
                            "A value of type {} cannot be indexed.",
                            other.type_name()
                        ))
                    }
                }
            }
        };
    }
    Ok(value.mark_sensitive_if(sensitive))
}

/// A number literal at Terraform's precision, read from its source text.
fn literal_number(
    n: &hcl_edit::Formatted<hcl_edit::Number>,
) -> Result<Number, mlform_provider::NumberError> {
    match n.as_repr() {
        Some(repr) => {
            let text: String = repr.chars().filter(|c| !c.is_whitespace()).collect();
            Number::parse(&text)
        }
        None => n
            .as_f64()
            .and_then(Number::from_f64)
            .ok_or(mlform_provider::NumberError::NotANumber),
    }
}

/// Equality of values with unknown parts, where cty can already tell: null against a known
/// value, collections of different lengths or keys, or a pair of elements that differ
/// before the first unknown one. `None` when it depends on what is not known yet.
fn decided_eq(l: &Value, r: &Value) -> Option<bool> {
    let (l, _) = split_mark(l.clone());
    let (r, _) = split_mark(r.clone());
    let pairwise = |pairs: Vec<(&Value, &Value)>| {
        for (a, b) in pairs {
            match decided_eq(a, b) {
                Some(true) => {}
                other => return other,
            }
        }
        Some(true)
    };
    match (&l, &r) {
        (Value::Unknown, _) | (_, Value::Unknown) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Null, _) | (_, Value::Null) => Some(false),
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return Some(false);
            }
            pairwise(a.iter().zip(b).collect())
        }
        (Value::Set(a), Value::Set(b)) => {
            if a.len() != b.len() && l.is_wholly_known() && r.is_wholly_known() {
                return Some(false);
            }
            (l.is_wholly_known() && r.is_wholly_known()).then(|| l.same_data(&r))
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.len() != b.len() || a.keys().zip(b.keys()).any(|(x, y)| x != y) {
                return Some(false);
            }
            pairwise(a.values().zip(b.values()).collect())
        }
        _ if l.is_wholly_known() && r.is_wholly_known() => Some(l.same_data(&r)),
        _ => Some(false),
    }
}
