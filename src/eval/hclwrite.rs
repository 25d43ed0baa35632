//! Values written back as HCL, the way Terraform's hclwrite writes them: the
//! `provider::terraform::` functions (`encode_expr`, `encode_tfvars`, `decode_tfvars`) and
//! the resource blocks `plan -generate-config-out` writes.

use std::collections::BTreeMap;

use mlform_provider::Value;

/// A string literal: JSON-style escapes, and template sequences escaped (`$${`, `%%{`).
fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An object key: bare when it is an identifier, quoted otherwise.
pub fn key(k: &str) -> String {
    if crate::syntax::is_identifier(k) {
        k.to_string()
    } else {
        string_literal(k)
    }
}

/// A value as an HCL expression; nested objects are indented from `indent`.
pub fn expr(v: &Value, indent: usize) -> String {
    match v {
        Value::Null | Value::Unknown => "null".into(),
        // A secret is never written out in clear.
        Value::Sensitive(_) => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_literal(s),
        Value::List(items) | Value::Set(items) => {
            let inner: Vec<String> = items.iter().map(|i| expr(i, indent)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let mut out = String::from("{\n");
            out.push_str(&attributes(m, indent + 2));
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
    }
}

/// `name = value` lines at `indent`, keys in byte order, `=` aligned.
pub fn attributes(m: &mlform_provider::ValueMap, indent: usize) -> String {
    let width = m.keys().map(|k| key(k).chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in m {
        let k = key(k);
        let pad = width - k.chars().count();
        out.push_str(&format!(
            "{}{k}{} = {}\n",
            " ".repeat(indent),
            " ".repeat(pad),
            expr(v, indent)
        ));
    }
    out
}

/// `provider::terraform::encode_tfvars`: an object as the contents of a .tfvars file.
pub fn encode_tfvars(v: &Value) -> Result<String, String> {
    match v {
        Value::Map(m) => Ok(attributes(m, 0)),
        Value::Null => Err("cannot encode a null value as tfvars".into()),
        other => Err(format!(
            "the value to encode must be an object, not {}",
            other.type_name()
        )),
    }
}

/// `provider::terraform::decode_tfvars`: the contents of a .tfvars file as an object.
pub fn decode_tfvars(text: &str) -> Result<Value, String> {
    let body = hcl_edit::parser::parse_body(text)
        .map_err(|e| format!("invalid tfvars syntax: {}", e.message()))?;
    let mut out = BTreeMap::new();
    for s in body.iter() {
        match s {
            hcl_edit::structure::Structure::Attribute(a) => {
                let v = super::expr::eval_constant(&a.value).map_err(|e| {
                    format!("the value of {} is not a constant: {e}", a.key.as_str())
                })?;
                out.insert(a.key.as_str().to_string(), v);
            }
            hcl_edit::structure::Structure::Block(b) => {
                return Err(format!(
                    "blocks are not allowed in tfvars, found {}",
                    b.ident.as_str()
                ))
            }
        }
    }
    Ok(Value::Map(out.into()))
}
