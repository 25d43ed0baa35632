//! Evaluates a resource, data source or provider block body against its schema: arguments
//! converted to their declared types, nested and `dynamic` blocks expanded, unknown names
//! and missing required arguments reported with "did you mean" hints.

use std::collections::BTreeMap;

use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span as _;
use mlform_provider::{Nesting, Schema, Value};

use crate::diag::{did_you_mean, Diagnostic, FileId, Span};
use crate::eval::expr::{split_mark, Evaluator};
use crate::eval::types::convert_schema;

pub fn eval_body(
    ev: &mut Evaluator<'_>,
    file: FileId,
    body: &Body,
    schema: &Schema,
    what: &str,
    block_span: Option<Span>,
) -> Result<Value, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut out = BTreeMap::new();
    let mut blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut unknown_blocks: Vec<String> = Vec::new();
    let mut failed_blocks: std::collections::HashMap<String, usize> = Default::default();
    let span_of = |n: &dyn hcl_edit::Span| n.span().map(|range| Span { file, range });

    for s in body.iter() {
        match s {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str();
                match schema.attributes.get(name) {
                    Some(a) if !(a.required || a.optional) => diags.push(
                        Diagnostic::error("Invalid or unknown key", format!("The argument \"{name}\" of {what} is computed: its value is decided by the provider and cannot be set."))
                            .at(span_of(&attr.key))
                            .hint("Remove this argument."),
                    ),
                    Some(a) => match ev.eval(&attr.value) {
                        Ok(v) => match convert_schema(&v, &a.ty) {
                            Ok(v) => {
                                out.insert(name.to_string(), v.mark_sensitive_if(a.sensitive));
                            }
                            Err(e) => diags.push(Diagnostic::error("Incorrect attribute value type", format!("Inappropriate value for attribute \"{name}\": {e}.")).at(span_of(&attr.value))),
                        },
                        Err(d) => diags.push(d),
                    },
                    None if schema.blocks.contains_key(name) => diags.push(
                        Diagnostic::error("Unsupported argument", format!("An argument named \"{name}\" is not expected here; \"{name}\" is a block in {what}."))
                            .at(span_of(&attr.key))
                            .hint(format!("Write it as a block: {name} {{ ... }}")),
                    ),
                    None => diags.push(
                        Diagnostic::error("Unsupported argument", format!("An argument named \"{name}\" is not expected in {what}."))
                            .at(span_of(&attr.key))
                            .hint(did_you_mean(name, schema.argument_names()).unwrap_or_else(|| format!("Accepted arguments: {}.", schema.argument_names().collect::<Vec<_>>().join(", ")))),
                    ),
                }
            }
            Structure::Block(block) => {
                let kind = block.ident.as_str();
                if kind == "dynamic" {
                    match eval_dynamic(ev, file, block, schema, what) {
                        Ok(Some((name, values))) => blocks.entry(name).or_default().extend(values),
                        Ok(None) => unknown_blocks.push(
                            block
                                .labels
                                .first()
                                .map(|l| l.as_str().to_string())
                                .unwrap_or_default(),
                        ),
                        Err(mut d) => diags.append(&mut d),
                    }
                    continue;
                }
                match schema.blocks.get(kind) {
                    Some(nested) => match eval_body(
                        ev,
                        file,
                        &block.body,
                        &nested.block,
                        &format!("a {kind} block"),
                        span_of(&block.ident),
                    ) {
                        Ok(v) => blocks.entry(kind.to_string()).or_default().push(v),
                        Err(mut d) => {
                            // Present but wrong: its own errors say so, not a count error.
                            *failed_blocks.entry(kind.to_string()).or_default() += 1;
                            diags.append(&mut d)
                        }
                    },
                    None => diags.push(
                        Diagnostic::error(
                            "Unsupported block type",
                            format!("Blocks of type \"{kind}\" are not expected in {what}."),
                        )
                        .at(span_of(&block.ident))
                        .hint(
                            did_you_mean(
                                kind,
                                schema
                                    .blocks
                                    .keys()
                                    .map(String::as_str)
                                    .chain(schema.attributes.keys().map(String::as_str)),
                            )
                            .unwrap_or_default(),
                        ),
                    ),
                }
            }
        }
    }

    for (name, a) in &schema.attributes {
        if a.required && !out.contains_key(name) {
            diags.push(
                Diagnostic::error("Missing required argument", format!("The argument \"{name}\" is required, but no definition was found in {what}."))
                    .at(block_span.clone())
                    .hint(format!("Add {name} = ... to the block.")),
            );
        }
        out.entry(name.clone()).or_insert(Value::Null);
    }
    for (name, nested) in &schema.blocks {
        if unknown_blocks.contains(name) {
            out.insert(name.clone(), Value::Unknown);
            continue;
        }
        let values = blocks.remove(name).unwrap_or_default();
        let present = values.len() + failed_blocks.get(name).copied().unwrap_or(0);
        if present < nested.min_items {
            diags.push(
                Diagnostic::error(
                    "Insufficient blocks",
                    format!(
                        "At least {} \"{name}\" block(s) are required in {what}.",
                        nested.min_items
                    ),
                )
                .at(block_span.clone()),
            );
        }
        if let Some(max) = nested.max_items {
            if values.len() > max {
                diags.push(
                    Diagnostic::error(
                        "Too many blocks",
                        format!("No more than {max} \"{name}\" block(s) are allowed in {what}."),
                    )
                    .at(block_span.clone()),
                );
            }
        }
        let v = match nested.nesting {
            Nesting::Single => values.into_iter().next().unwrap_or(Value::Null),
            Nesting::List => Value::List(values),
            Nesting::Set => Value::set_from(values),
        };
        out.insert(name.clone(), v);
    }
    if diags.is_empty() {
        Ok(Value::Map(out.into()))
    } else {
        Err(diags)
    }
}

/// Expands `dynamic "NAME" { for_each = ..., iterator = it, content { ... } }`. `Ok(None)`
/// when for_each is unknown.
fn eval_dynamic(
    ev: &mut Evaluator<'_>,
    file: FileId,
    block: &Block,
    schema: &Schema,
    what: &str,
) -> Result<Option<(String, Vec<Value>)>, Vec<Diagnostic>> {
    let span = block.ident.span().map(|range| Span { file, range });
    let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
        return Err(vec![Diagnostic::error(
            "Missing name for block",
            "A dynamic block needs a label naming the block type to generate.",
        )
        .at(span)]);
    };
    let Some(nested) = schema.blocks.get(&name) else {
        return Err(vec![Diagnostic::error(
            "Unsupported block type",
            format!("Blocks of type \"{name}\" are not expected in {what}."),
        )
        .at(span)
        .hint(
            did_you_mean(&name, schema.blocks.keys().map(String::as_str)).unwrap_or_default(),
        )]);
    };
    let Some(for_each) = block.body.get_attribute("for_each") else {
        return Err(vec![Diagnostic::error(
            "Missing required argument",
            "A dynamic block needs a for_each argument.",
        )
        .at(span)]);
    };
    let iterator = block
        .body
        .get_attribute("iterator")
        .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
        .unwrap_or_else(|| name.clone());
    let Some(content) = block.body.get_blocks("content").next() else {
        return Err(vec![Diagnostic::error(
            "Missing required block",
            "A dynamic block needs a content block.",
        )
        .at(span)]);
    };
    let coll = ev.eval(&for_each.value).map_err(|d| vec![d])?;
    let (coll, _) = split_mark(coll);
    let items: Vec<(Value, Value)> = match coll {
        Value::Unknown => return Ok(None),
        Value::Null => Vec::new(),
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i), v))
            .collect(),
        Value::Set(items) => items.into_iter().map(|v| (v.clone(), v)).collect(),
        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        other => {
            return Err(vec![Diagnostic::error(
                "Invalid dynamic for_each value",
                format!(
                    "for_each of a dynamic block must be a collection, but got {}.",
                    other.type_name()
                ),
            )
            .at(for_each.value.span().map(|range| Span { file, range }))])
        }
    };
    let mut values = Vec::new();
    let mut diags = Vec::new();
    for (k, v) in items {
        ev.bind(&iterator, Value::object([("key", k), ("value", v)]));
        let r = eval_body(
            ev,
            file,
            &content.body,
            &nested.block,
            &format!("a {name} block"),
            span.clone(),
        );
        ev.unbind();
        match r {
            Ok(v) => values.push(v),
            Err(mut d) => diags.append(&mut d),
        }
    }
    if diags.is_empty() {
        Ok(Some((name, values)))
    } else {
        Err(diags)
    }
}
