//! Reading `terraform { encryption { ... } }` (OpenTofu's shape): key providers, methods
//! and the `state` / `plan` targets with `enforced` and `fallback`. References between them
//! (`key_provider.pbkdf2.main`, `method.aes_gcm.new`) are read statically; arguments are
//! constants. The same reader takes the `TF_ENCRYPTION` environment variable's text.

use super::*;
use crate::syntax::static_path;
use mlform_provider::PathStep;

/// The encryption block, as written.
#[derive(Debug, Clone, Default)]
pub struct EncryptionBlock {
    pub key_providers: Vec<KeyProviderBlock>,
    pub methods: Vec<MethodBlock>,
    pub state: Option<TargetBlock>,
    pub plan: Option<TargetBlock>,
    /// `remote_state_data_sources { default { } }`: how terraform_remote_state reads.
    pub remote_state: Option<TargetBlock>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct KeyProviderBlock {
    pub kind: String,
    pub name: String,
    pub arguments: mlform_provider::Value,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct MethodBlock {
    pub kind: String,
    pub name: String,
    /// `keys = key_provider.TYPE.NAME`, as ("TYPE", "NAME").
    pub keys: Option<(String, String)>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct TargetBlock {
    /// `method = method.TYPE.NAME`.
    pub method: Option<(String, String)>,
    pub enforced: bool,
    pub fallback: Option<(String, String)>,
    pub span: Option<Span>,
}

fn reference(expr: &Expression, root: &str) -> Option<(String, String)> {
    let path = static_path(expr)?;
    match path.as_slice() {
        [PathStep::GetAttr(r), PathStep::Key(kind), PathStep::Key(name)] if r == root => {
            Some((kind.clone(), name.clone()))
        }
        _ => None,
    }
}

fn bad_reference(file: FileId, attr: &Attribute, root: &str) -> Diagnostic {
    Diagnostic::error(
        "Invalid encryption reference",
        format!(
            "\"{}\" must refer to a {root} block: {root}.TYPE.NAME.",
            attr.key.as_str()
        ),
    )
    .at(span_of(file, &attr.value))
}

fn target(file: FileId, block: &Block, diags: &mut Vec<Diagnostic>) -> TargetBlock {
    let mut t = TargetBlock {
        method: None,
        enforced: false,
        fallback: None,
        span: block_span(file, block),
    };
    for attr in block.body.attributes() {
        match attr.key.as_str() {
            "method" => match reference(&attr.value, "method") {
                Some(r) => t.method = Some(r),
                None => diags.push(bad_reference(file, attr, "method")),
            },
            "enforced" => match crate::eval::expr::eval_constant(&attr.value) {
                Ok(v) if v.as_bool().is_some() => t.enforced = v.as_bool() == Some(true),
                _ => diags.push(
                    Diagnostic::error("Invalid value", "\"enforced\" must be true or false.")
                        .at(span_of(file, &attr.value)),
                ),
            },
            other => diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    format!("An argument named \"{other}\" is not expected here."),
                )
                .at(span_of(file, &attr.key))
                .hint("A state or plan block takes method, enforced and a fallback block."),
            ),
        }
    }
    for inner in block.body.blocks() {
        if inner.ident.as_str() != "fallback" {
            diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    format!(
                        "Blocks of type \"{}\" are not expected here.",
                        inner.ident.as_str()
                    ),
                )
                .at(block_span(file, inner)),
            );
            continue;
        }
        for attr in inner.body.attributes() {
            match (attr.key.as_str(), reference(&attr.value, "method")) {
                ("method", Some(r)) => t.fallback = Some(r),
                ("method", None) => diags.push(bad_reference(file, attr, "method")),
                (other, _) => diags.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!(
                            "An argument named \"{other}\" is not expected in a fallback block."
                        ),
                    )
                    .at(span_of(file, &attr.key)),
                ),
            }
        }
    }
    if t.method.is_none() {
        diags.push(
            Diagnostic::error(
                "Missing required argument",
                "The argument \"method\" is required.",
            )
            .at(t.span.clone()),
        );
    }
    t
}

/// Reads the body of an encryption block into `into` (later blocks of the same type and
/// name replace earlier ones, so `TF_ENCRYPTION` can override the configuration).
pub fn read_encryption(
    file: FileId,
    body: &Body,
    into: &mut EncryptionBlock,
    diags: &mut Vec<Diagnostic>,
) {
    for attr in body.attributes() {
        diags.push(
            Diagnostic::error(
                "Unsupported argument",
                format!(
                    "An argument named \"{}\" is not expected in an encryption block.",
                    attr.key.as_str()
                ),
            )
            .at(span_of(file, &attr.key)),
        );
    }
    for b in body.blocks() {
        let labels: Vec<String> = b.labels.iter().map(|l| l.as_str().to_string()).collect();
        match (b.ident.as_str(), labels.as_slice()) {
            ("key_provider", [kind, name]) => {
                let mut args = Vec::new();
                for attr in b.body.attributes() {
                    match crate::eval::expr::eval_constant(&attr.value) {
                        Ok(v) => args.push((attr.key.as_str().to_string(), v)),
                        Err(e) => diags.push(
                            Diagnostic::error("Invalid key provider argument", e)
                                .at(span_of(file, &attr.value))
                                .hint("Key provider arguments are constants; give secrets through the TF_ENCRYPTION environment variable."),
                        ),
                    }
                }
                into.key_providers
                    .retain(|k| !(k.kind == *kind && k.name == *name));
                into.key_providers.push(KeyProviderBlock {
                    kind: kind.clone(),
                    name: name.clone(),
                    arguments: mlform_provider::Value::object(args),
                    span: block_span(file, b),
                });
            }
            ("method", [kind, name]) => {
                let mut keys = None;
                for attr in b.body.attributes() {
                    match (attr.key.as_str(), reference(&attr.value, "key_provider")) {
                        ("keys", Some(r)) => keys = Some(r),
                        ("keys", None) => diags.push(bad_reference(file, attr, "key_provider")),
                        (other, _) => diags.push(
                            Diagnostic::error(
                                "Unsupported argument",
                                format!("An argument named \"{other}\" is not expected in a method block."),
                            )
                            .at(span_of(file, &attr.key)),
                        ),
                    }
                }
                into.methods.retain(|m| !(m.kind == *kind && m.name == *name));
                into.methods.push(MethodBlock {
                    kind: kind.clone(),
                    name: name.clone(),
                    keys,
                    span: block_span(file, b),
                });
            }
            ("state", []) => into.state = Some(target(file, b, diags)),
            ("plan", []) => into.plan = Some(target(file, b, diags)),
            ("remote_state_data_sources", []) => {
                for inner in b.body.blocks() {
                    match inner.ident.as_str() {
                        "default" => into.remote_state = Some(target(file, inner, diags)),
                        other => diags.push(
                            Diagnostic::error(
                                "Unsupported block type",
                                format!("\"{other}\" blocks in remote_state_data_sources are not supported: every terraform_remote_state reads with the default block's method and fallback."),
                            )
                            .at(block_span(file, inner))
                            .hint("Use default { method = ... fallback { ... } }."),
                        ),
                    }
                }
            }
            (kind, _) => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    format!("Blocks of type \"{kind}\" (with {} label(s)) are not expected in an encryption block.", labels.len()),
                )
                .at(block_span(file, b))
                .hint("An encryption block takes key_provider \"TYPE\" \"NAME\", method \"TYPE\" \"NAME\", state and plan blocks."),
            ),
        }
    }
}
