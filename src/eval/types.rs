//! Type constraints of input variables (`list(object({ name = string, port = optional(number, 80) }))`)
//! and the conversions HCL applies when a value meets a type: numbers and bools to strings,
//! lists to sets, defaults for optional object attributes.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, TraversalOperator};
use mlform_provider::{Number, Type, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum TypeConstraint {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    Object(BTreeMap<String, ObjectAttr>),
}

/// What Terraform's type of a value says that mlform's untyped values cannot: which kind of
/// collection it is (`tolist([1])` is a list, `[1]` a tuple, and the two are not equal), or
/// that a null has no type at all (the `null` keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    List,
    Tuple,
    Set,
    Map,
    Object,
    DynamicNull,
}

impl TypeConstraint {
    /// The collection kind this type constraint gives its values; `None` for `any` and primitives.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            TypeConstraint::List(_) => Some(Kind::List),
            TypeConstraint::Tuple(_) => Some(Kind::Tuple),
            TypeConstraint::Set(_) => Some(Kind::Set),
            TypeConstraint::Map(_) => Some(Kind::Map),
            TypeConstraint::Object(_) => Some(Kind::Object),
            _ => None,
        }
    }
}

/// The kind of value an expression makes, as far as the expression alone (and `names`, for
/// `var.x` and `local.x`) tells: literals, `for`, the conversion functions and functions that
/// always return lists. `None` where only the value could tell.
pub fn static_kind(expr: &Expression, names: &dyn Fn(&str, &str) -> Option<Kind>) -> Option<Kind> {
    use hcl_edit::expr::TraversalOperator;
    match expr {
        Expression::Null(_) => Some(Kind::DynamicNull),
        Expression::Array(_) => Some(Kind::Tuple),
        Expression::Object(_) => Some(Kind::Object),
        Expression::ForExpr(f) => Some(if f.key_expr.is_some() {
            Kind::Object
        } else {
            Kind::Tuple
        }),
        Expression::Parenthesis(p) => static_kind(p.inner(), names),
        Expression::FuncCall(c) if c.name.namespace.is_empty() => match c.name.name.as_str() {
            "tolist" | "split" | "range" | "sort" | "distinct" | "compact" | "formatlist"
            | "chunklist" => Some(Kind::List),
            "toset" => Some(Kind::Set),
            "tomap" => Some(Kind::Map),
            _ => None,
        },
        Expression::Traversal(t) if t.operators.len() == 1 => {
            match (&t.expr, t.operators[0].value()) {
                (Expression::Variable(root), TraversalOperator::GetAttr(name))
                    if matches!(root.as_str(), "var" | "local") =>
                {
                    names(root.as_str(), name.as_str())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: TypeConstraint,
    pub optional: bool,
    pub default: Option<Value>,
}

impl std::fmt::Display for TypeConstraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeConstraint::Any => f.write_str("any"),
            TypeConstraint::String => f.write_str("string"),
            TypeConstraint::Number => f.write_str("number"),
            TypeConstraint::Bool => f.write_str("bool"),
            TypeConstraint::List(t) => write!(f, "list({t})"),
            TypeConstraint::Set(t) => write!(f, "set({t})"),
            TypeConstraint::Map(t) => write!(f, "map({t})"),
            TypeConstraint::Tuple(ts) => write!(
                f,
                "tuple([{}])",
                ts.iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TypeConstraint::Object(attrs) => {
                let parts: Vec<String> = attrs
                    .iter()
                    .map(|(k, a)| {
                        if a.optional {
                            format!("{k} = optional({})", a.ty)
                        } else {
                            format!("{k} = {}", a.ty)
                        }
                    })
                    .collect();
                write!(f, "object({{{}}})", parts.join(", "))
            }
        }
    }
}

/// Parses a type expression as written in a `variable` block.
pub fn parse_type(expr: &Expression) -> Result<TypeConstraint, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "any" => Ok(TypeConstraint::Any),
            "string" => Ok(TypeConstraint::String),
            "number" => Ok(TypeConstraint::Number),
            "bool" => Ok(TypeConstraint::Bool),
            "list" | "set" | "map" => Err(format!("The {0} type constructor requires one argument specifying the element type, as in {0}(string).", v.as_str())),
            other => Err(format!("\"{other}\" is not a valid type keyword.")),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = |args: &[&Expression]| -> Result<TypeConstraint, String> {
                match args {
                    [a] => parse_type(a),
                    _ => Err(format!("The {name} type constructor takes exactly one argument.")),
                }
            };
            match name {
                "list" => Ok(TypeConstraint::List(Box::new(one(&args)?))),
                "set" => Ok(TypeConstraint::Set(Box::new(one(&args)?))),
                "map" => Ok(TypeConstraint::Map(Box::new(one(&args)?))),
                "tuple" => match args.as_slice() {
                    [Expression::Array(items)] => Ok(TypeConstraint::Tuple(items.iter().map(parse_type).collect::<Result<_, _>>()?)),
                    _ => Err("The tuple type constructor takes a list of element types, as in tuple([string, number]).".into()),
                },
                "object" => match args.as_slice() {
                    [Expression::Object(obj)] => {
                        let mut attrs = BTreeMap::new();
                        for (key, value) in obj.iter() {
                            let Some(name) = crate::syntax::object_key_name(key) else {
                                return Err("Object type attribute names must be identifiers.".into());
                            };
                            attrs.insert(name, parse_object_attr(value.expr())?);
                        }
                        Ok(TypeConstraint::Object(attrs))
                    }
                    _ => Err("The object type constructor takes an object of attribute types, as in object({ name = string }).".into()),
                },
                "optional" => Err("optional(...) is allowed only for attributes of an object type.".into()),
                other => Err(format!("\"{other}\" is not a valid type constructor.")),
            }
        }
        Expression::Traversal(t) if matches!(&t.expr, Expression::Variable(_)) && matches!(t.operators.first().map(|o| o.value()), Some(TraversalOperator::GetAttr(_))) => {
            Err("A type is written without a dot, for example `string`.".into())
        }
        Expression::String(_) => Err("Type constraints are keywords, not strings: write string, not \"string\".".into()),
        _ => Err("This is not a valid type expression.".into()),
    }
}

fn parse_object_attr(expr: &Expression) -> Result<ObjectAttr, String> {
    if let Expression::FuncCall(call) = expr {
        if call.name.name.as_str() == "optional" {
            let args: Vec<&Expression> = call.args.iter().collect();
            let (ty, default) = match args.as_slice() {
                [t] => (parse_type(t)?, None),
                [t, d] => {
                    let ty = parse_type(t)?;
                    let raw = super::expr::eval_constant(d)
                        .map_err(|e| format!("Invalid default for optional attribute: {e}"))?;
                    let default = convert(&raw, &ty)
                        .map_err(|e| format!("Invalid default for optional attribute: {e}"))?;
                    (ty, Some(default))
                }
                _ => return Err("optional() takes a type and an optional default value.".into()),
            };
            return Ok(ObjectAttr {
                ty,
                optional: true,
                default,
            });
        }
    }
    Ok(ObjectAttr {
        ty: parse_type(expr)?,
        optional: false,
        default: None,
    })
}

/// Converts `value` to type `ty`, as HCL does. Errors are sentences.
pub fn convert(value: &Value, ty: &TypeConstraint) -> Result<Value, String> {
    match value {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Sensitive(inner) => return Ok(convert(inner, ty)?.into_sensitive()),
        Value::Null => return Ok(Value::Null),
        _ => {}
    }
    match ty {
        TypeConstraint::Any => Ok(value.clone()),
        TypeConstraint::String => to_string(value)
            .map(Value::String)
            .ok_or_else(|| format!("a string is required, but got {}", describe(value))),
        TypeConstraint::Number => to_number(value)
            .map(Value::Number)
            .ok_or_else(|| format!("a number is required, but got {}", describe(value))),
        TypeConstraint::Bool => to_bool(value)
            .map(Value::Bool)
            .ok_or_else(|| format!("a bool is required, but got {}", describe(value))),
        TypeConstraint::List(elem) | TypeConstraint::Set(elem) => {
            let items = match value {
                Value::List(items) | Value::Set(items) => items,
                _ => {
                    return Err(format!(
                        "a {} is required, but got {}",
                        if matches!(ty, TypeConstraint::List(_)) {
                            "list"
                        } else {
                            "set"
                        },
                        describe(value)
                    ))
                }
            };
            let converted = items
                .iter()
                .enumerate()
                .map(|(i, v)| convert(v, elem).map_err(|e| format!("element {i}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, TypeConstraint::Set(_)) {
                Value::set_from(converted)
            } else {
                Value::List(converted)
            })
        }
        TypeConstraint::Map(elem) => match value {
            Value::Map(m) => Ok(Value::Map(
                m.iter()
                    .map(|(k, v)| {
                        convert(v, elem)
                            .map(|v| (k.clone(), v))
                            .map_err(|e| format!("element {k:?}: {e}"))
                    })
                    .collect::<Result<_, _>>()?,
            )),
            _ => Err(format!("a map is required, but got {}", describe(value))),
        },
        TypeConstraint::Tuple(types) => match value {
            Value::List(items) if items.len() == types.len() => Ok(Value::List(
                items
                    .iter()
                    .zip(types)
                    .map(|(v, t)| convert(v, t))
                    .collect::<Result<_, _>>()?,
            )),
            Value::List(items) => Err(format!(
                "a tuple of {} elements is required, but got {} elements",
                types.len(),
                items.len()
            )),
            _ => Err(format!("a tuple is required, but got {}", describe(value))),
        },
        TypeConstraint::Object(attrs) => match value {
            Value::Map(m) => {
                let mut out = BTreeMap::new();
                for (name, attr) in attrs {
                    match m.get(name) {
                        Some(v) if !v.is_null() => {
                            out.insert(
                                name.clone(),
                                convert(v, &attr.ty)
                                    .map_err(|e| format!("attribute \"{name}\": {e}"))?,
                            );
                        }
                        _ if attr.optional => {
                            out.insert(name.clone(), attr.default.clone().unwrap_or(Value::Null));
                        }
                        Some(_) => {
                            out.insert(name.clone(), Value::Null);
                        }
                        None => return Err(format!("attribute \"{name}\" is required")),
                    }
                }
                Ok(Value::Map(out.into()))
            }
            _ => Err(format!(
                "an object is required, but got {}",
                describe(value)
            )),
        },
    }
}

/// Converts a configuration value to a provider schema type.
pub fn convert_schema(value: &Value, ty: &Type) -> Result<Value, String> {
    convert(value, &from_schema_type(ty))
}

fn from_schema_type(ty: &Type) -> TypeConstraint {
    match ty {
        Type::Any => TypeConstraint::Any,
        Type::String => TypeConstraint::String,
        Type::Number => TypeConstraint::Number,
        Type::Bool => TypeConstraint::Bool,
        Type::List(t) => TypeConstraint::List(Box::new(from_schema_type(t))),
        Type::Set(t) => TypeConstraint::Set(Box::new(from_schema_type(t))),
        Type::Map(t) => TypeConstraint::Map(Box::new(from_schema_type(t))),
        Type::Object(attrs) => TypeConstraint::Object(
            attrs
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        ObjectAttr {
                            ty: from_schema_type(t),
                            optional: true,
                            default: None,
                        },
                    )
                })
                .collect(),
        ),
    }
}

fn describe(value: &Value) -> String {
    match value.unmark().0 {
        Value::List(_) => "a list".into(),
        Value::Set(_) => "a set".into(),
        Value::Map(_) => "an object".into(),
        Value::String(_) => "a string".into(),
        Value::Number(_) => "a number".into(),
        Value::Bool(_) => "a bool".into(),
        _ => "null".into(),
    }
}

pub fn to_string(value: &Value) -> Option<String> {
    match value.unmark().0 {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn to_number(value: &Value) -> Option<Number> {
    match value.unmark().0 {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => Number::parse(s.trim()).ok(),
        _ => None,
    }
}

pub fn to_bool(value: &Value) -> Option<bool> {
    match value.unmark().0 {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Terraform's type unification, for values that must share one type (the elements of a
/// list, set or map, the arguments of coalesce, the two results of a conditional):
/// primitives of different kinds all become strings (`[1, "a", true]` is
/// `["1", "a", "true"]`), lists and maps unify their elements pooled together. Values that
/// already agree, or cannot be unified this way, are returned as they are.
pub fn unify(values: Vec<Value>) -> Vec<Value> {
    #[derive(PartialEq)]
    enum Kind {
        String,
        Number,
        Bool,
        List,
        Map,
        Other,
    }
    let kind = |v: &Value| match v {
        Value::String(_) => Some(Kind::String),
        Value::Number(_) => Some(Kind::Number),
        Value::Bool(_) => Some(Kind::Bool),
        Value::List(_) | Value::Set(_) => Some(Kind::List),
        Value::Map(_) => Some(Kind::Map),
        Value::Null | Value::Unknown => None,
        Value::Sensitive(_) => Some(Kind::Other),
    };
    let kinds: Vec<Kind> = values.iter().filter_map(kind).collect();
    let primitive = |k: &Kind| matches!(k, Kind::String | Kind::Number | Kind::Bool);
    if kinds.iter().all(primitive) {
        if kinds.windows(2).all(|w| w[0] == w[1]) {
            return values;
        }
        return values
            .into_iter()
            .map(|v| match &v {
                Value::Number(_) | Value::Bool(_) => to_string(&v).map(Value::String).unwrap_or(v),
                _ => v,
            })
            .collect();
    }
    if kinds.iter().all(|k| *k == Kind::List) {
        let lens: Vec<usize> = values
            .iter()
            .map(|v| v.as_list().map_or(0, |l| l.len()))
            .collect();
        let pooled: Vec<Value> = values
            .iter()
            .flat_map(|v| v.as_list().map(|l| l.to_vec()).unwrap_or_default())
            .collect();
        let mut unified = unify(pooled).into_iter();
        return values
            .into_iter()
            .zip(lens)
            .map(|(v, n)| match v {
                Value::List(_) => Value::List(unified.by_ref().take(n).collect()),
                Value::Set(_) => Value::set_from(unified.by_ref().take(n).collect()),
                other => other,
            })
            .collect();
    }
    if kinds.iter().all(|k| *k == Kind::Map) {
        let keys: Vec<Vec<String>> = values
            .iter()
            .map(|v| match v {
                Value::Map(m) => m.keys().cloned().collect(),
                _ => Vec::new(),
            })
            .collect();
        let pooled: Vec<Value> = values
            .iter()
            .flat_map(|v| match v {
                Value::Map(m) => m.values().cloned().collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut unified = unify(pooled).into_iter();
        return values
            .into_iter()
            .zip(keys)
            .map(|(v, ks)| match v {
                Value::Map(_) => Value::Map(ks.into_iter().zip(unified.by_ref()).collect()),
                other => other,
            })
            .collect();
    }
    values
}

/// The value of a conditional's chosen result, unified with the other result's type:
/// objects with the same attributes and tuples of the same length unify element by element,
/// anything else as one collection (`true ? 1 : "a"` is `"1"`).
pub fn unify_pair(chosen: Value, other: &Value) -> Value {
    match (chosen, other) {
        (Value::Map(a), Value::Map(b)) if a.keys().eq(b.keys()) => Value::Map(
            a.into_iter()
                .zip(b.values())
                .map(|((k, x), y)| (k, unify_pair(x, y)))
                .collect(),
        ),
        (Value::List(a), Value::List(b)) if a.len() == b.len() => Value::List(
            a.into_iter()
                .zip(b.iter())
                .map(|(x, y)| unify_pair(x, y))
                .collect(),
        ),
        (chosen, other) => unify(vec![chosen, other.clone()])
            .into_iter()
            .next()
            .unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Value {
        let expr = hcl_edit::parser::parse_expr(src).unwrap();
        crate::eval::expr::eval_constant(&expr).unwrap()
    }

    #[test]
    fn values_of_different_collection_types_are_not_equal() {
        for (src, want) in [
            ("tolist([1]) == [1]", false),
            ("[1] == [1]", true),
            ("tolist([1]) == tolist([1])", true),
            ("toset([1]) == tolist([1])", false),
            ("{ a = 1 } == tomap({ a = 1 })", false),
            ("{ a = 1 } != tomap({ a = 1 })", true),
            ("[for x in [1] : x] == [1]", true),
            ("split(\",\", \"a\") == [\"a\"]", false),
            ("null == tolist([])", false),
        ] {
            assert_eq!(eval(src), Value::Bool(want), "{src}");
        }
    }

    #[test]
    fn format_of_the_null_keyword_is_unknown() {
        assert!(eval("format(\"%s\", null)").is_unknown());
        assert!(eval("formatlist(\"%s\", null)").is_unknown());
        assert_eq!(eval("format(\"%v\", 1)"), Value::from("1"));
    }
}
