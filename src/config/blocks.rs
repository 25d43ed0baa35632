//! Reading one file's blocks into the typed configuration: the top-level block kinds,
//! their labels and arguments, variables, resources with their meta-arguments and
//! lifecycle, and the structural diagnostics (unknown blocks and arguments, duplicates).

use super::*;

pub(super) fn span_of(file: FileId, node: &impl hcl_edit::Span) -> Option<Span> {
    node.span().map(|range| Span { file, range })
}

pub(super) fn block_span(file: FileId, block: &Block) -> Option<Span> {
    // Point at the block header (type and labels), not the whole body.
    let start = block.ident.span()?.start;
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .map(|r| r.end)
        .unwrap_or_else(|| block.ident.span().map(|r| r.end).unwrap_or(start));
    Some(Span {
        file,
        range: start..end,
    })
}

pub(super) const TOP_LEVEL_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "resource",
    "data",
    "output",
    "module",
    "moved",
    "removed",
    "import",
    "check",
];

pub(super) fn collect_body(
    module: &mut Module,
    file: FileId,
    body: Body,
    diags: &mut Vec<Diagnostic>,
) {
    for structure in body.into_iter() {
        match structure {
            Structure::Attribute(attr) => diags.push(
                Diagnostic::error("Unsupported argument", format!("An argument named \"{}\" is not expected at the top level of a configuration file.", attr.key.as_str()))
                    .at(span_of(file, &attr.key))
                    .hint("Top-level arguments belong inside a block such as `locals { ... }`."),
            ),
            Structure::Block(block) => collect_block(module, file, block, diags),
        }
    }
}

pub(super) fn labels(
    file: FileId,
    block: &Block,
    n: usize,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    if block.labels.len() != n {
        diags.push(
            Diagnostic::error(
                if block.labels.len() < n {
                    "Missing name for block"
                } else {
                    "Extraneous label for block"
                },
                format!(
                    "A {} block expects {n} label(s): {what}.",
                    block.ident.as_str()
                ),
            )
            .at(block_span(file, block)),
        );
        return None;
    }
    Some(
        block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect(),
    )
}

pub(super) fn collect_block(
    module: &mut Module,
    file: FileId,
    block: Block,
    diags: &mut Vec<Diagnostic>,
) {
    let kind = block.ident.as_str().to_string();
    let span = block_span(file, &block);
    match kind.as_str() {
        "terraform" => collect_terraform(module, file, &block, diags),
        "provider" => {
            let Some(l) = labels(file, &block, 1, "the provider name", diags) else {
                return;
            };
            let alias = block
                .body
                .get_attribute("alias")
                .and_then(|a| literal_string(&a.value));
            if module
                .providers
                .iter()
                .any(|p| p.name == l[0] && p.alias == alias)
            {
                diags.push(
                    Diagnostic::error(
                        "Duplicate provider configuration",
                        format!(
                            "A provider configuration for \"{}\" was already given{}.",
                            l[0],
                            alias
                                .as_ref()
                                .map(|a| format!(" with alias \"{a}\""))
                                .unwrap_or_default()
                        ),
                    )
                    .at(span)
                    .hint("Give each additional configuration a distinct `alias`."),
                );
                return;
            }
            let mut body = block.body.clone();
            body.remove_attribute("alias");
            body.remove_attribute("version");
            module.providers.push(ProviderBlock {
                name: l[0].clone(),
                alias,
                body: BodyRef { file, body },
                span,
            });
        }
        "variable" => {
            let Some(l) = labels(file, &block, 1, "the variable name", diags) else {
                return;
            };
            if module.variables.contains_key(&l[0]) {
                diags.push(
                    Diagnostic::error(
                        "Duplicate variable declaration",
                        format!("A variable named \"{}\" was already declared.", l[0]),
                    )
                    .at(span),
                );
                return;
            }
            let v = collect_variable(file, l[0].clone(), &block, span, diags);
            module.variables.insert(l[0].clone(), v);
        }
        "locals" => {
            for s in block.body.iter() {
                match s {
                    Structure::Attribute(attr) => {
                        let name = attr.key.as_str().to_string();
                        if module.locals.contains_key(&name) {
                            diags.push(
                                Diagnostic::error(
                                    "Duplicate local value definition",
                                    format!("A local value named \"{name}\" was already defined."),
                                )
                                .at(span_of(file, &attr.key)),
                            );
                            continue;
                        }
                        module.locals.insert(
                            name.clone(),
                            Local {
                                name,
                                value: Expr {
                                    file,
                                    expr: attr.value.clone(),
                                },
                            },
                        );
                    }
                    Structure::Block(b) => diags.push(
                        Diagnostic::error(
                            "Unexpected block",
                            "A locals block contains only arguments (name = value).",
                        )
                        .at(block_span(file, b)),
                    ),
                }
            }
        }
        "resource" | "data" => {
            let Some(l) = labels(file, &block, 2, "the resource type and name", diags) else {
                return;
            };
            let mode = if kind == "resource" {
                Mode::Managed
            } else {
                Mode::Data
            };
            let key = ResourceKey {
                mode,
                type_name: l[0].clone(),
                name: l[1].clone(),
            };
            if module.resources.contains_key(&key) {
                diags.push(
                    Diagnostic::error(
                        "Duplicate resource configuration",
                        format!("A {kind} block for {key} was already declared."),
                    )
                    .at(span)
                    .hint("Each resource must have a unique type and name within a module."),
                );
                return;
            }
            if !is_identifier(&l[1]) {
                diags.push(Diagnostic::error("Invalid resource name", format!("\"{}\" is not a valid name: names start with a letter or underscore and contain letters, digits, underscores and dashes.", l[1])).at(span));
                return;
            }
            let r = collect_resource(file, key.clone(), &block, span, diags);
            module.resources.insert(key, r);
        }
        "output" => {
            let Some(l) = labels(file, &block, 1, "the output name", diags) else {
                return;
            };
            let name = l[0].clone();
            let Some(value) = block.body.get_attribute("value") else {
                diags.push(
                    Diagnostic::error(
                        "Missing required argument",
                        format!("The output \"{name}\" needs a `value` argument."),
                    )
                    .at(span),
                );
                return;
            };
            let mut preconditions = Vec::new();
            for b in block.body.get_blocks("precondition") {
                if let Some(c) = collect_check(file, b, diags) {
                    preconditions.push(c);
                }
            }
            let out = Output {
                name: name.clone(),
                value: Expr {
                    file,
                    expr: value.value.clone(),
                },
                sensitive: bool_attr(file, &block.body, "sensitive", diags).unwrap_or(false),
                description: block
                    .body
                    .get_attribute("description")
                    .and_then(|a| literal_string(&a.value)),
                preconditions,
                depends_on: list_items(file, &block.body, "depends_on"),
                span,
            };
            check_known_args(
                file,
                &block.body,
                &[
                    "value",
                    "sensitive",
                    "description",
                    "depends_on",
                    "ephemeral",
                ],
                &["precondition"],
                "output",
                diags,
            );
            if module.outputs.insert(name.clone(), out).is_some() {
                diags.push(
                    Diagnostic::error(
                        "Duplicate output definition",
                        format!("An output named \"{name}\" was already defined."),
                    )
                    .at(block_span(file, &block)),
                );
            }
        }
        "module" => {
            let Some(l) = labels(file, &block, 1, "the module call name", diags) else {
                return;
            };
            let name = l[0].clone();
            let Some(source) = block
                .body
                .get_attribute("source")
                .and_then(|a| literal_string(&a.value))
            else {
                diags.push(
                    Diagnostic::error(
                        "Missing required argument",
                        format!("The module \"{name}\" needs a literal `source` string."),
                    )
                    .at(span),
                );
                return;
            };
            let version = match block.body.get_attribute("version") {
                None => None,
                Some(a) => match literal_string(&a.value) {
                    Some(v) => Some((v, span_of(file, &a.value))),
                    None => {
                        diags.push(
                            Diagnostic::error(
                                "Invalid version constraint",
                                "A module's version must be a literal string, such as \"~> 1.2\".",
                            )
                            .at(span_of(file, &a.value)),
                        );
                        None
                    }
                },
            };
            let mut inputs = BTreeMap::new();
            let mut count = None;
            let mut for_each = None;
            for attr in block.body.attributes() {
                let key = attr.key.as_str();
                let e = Expr {
                    file,
                    expr: attr.value.clone(),
                };
                match key {
                    "source" | "version" | "providers" | "depends_on" => {}
                    "count" => count = Some(e),
                    "for_each" => for_each = Some(e),
                    _ => {
                        inputs.insert(key.to_string(), e);
                    }
                }
            }
            if count.is_some() && for_each.is_some() {
                diags.push(Diagnostic::error("Invalid combination of \"count\" and \"for_each\"", "The count and for_each meta-arguments are mutually exclusive; only one may be used.").at(span.clone()));
            }
            let call = ModuleCall {
                name: name.clone(),
                source,
                version,
                inputs,
                count,
                for_each,
                depends_on: list_items(file, &block.body, "depends_on"),
                span,
            };
            if module.module_calls.insert(name.clone(), call).is_some() {
                diags.push(
                    Diagnostic::error(
                        "Duplicate module call",
                        format!("A module call named \"{name}\" was already defined."),
                    )
                    .at(block_span(file, &block)),
                );
            }
        }
        "moved" => refactor::collect_moved(module, file, &block, diags),
        "removed" => refactor::collect_removed(module, file, &block, diags),
        "import" => refactor::collect_import(module, file, &block, diags),
        "check" => {
            let Some(l) = labels(file, &block, 1, "the check name", diags) else {
                return;
            };
            refactor::collect_check_block(module, file, &block, l[0].clone(), diags);
        }
        other => diags.push(
            Diagnostic::error(
                "Unsupported block type",
                format!("Blocks of type \"{other}\" are not expected here."),
            )
            .at(span)
            .hint(
                did_you_mean(other, TOP_LEVEL_BLOCKS.iter().copied()).unwrap_or_else(|| {
                    format!("Top-level blocks are: {}.", TOP_LEVEL_BLOCKS.join(", "))
                }),
            ),
        ),
    }
}

/// Hosts whose `hashicorp/TYPE` providers mlform has built in.
const PROVIDER_HOSTS: &[&str] = &["registry.terraform.io", "registry.opentofu.org"];

/// Checks a `required_providers` source against the providers built into mlform, which are
/// chosen by local name: the source must be `[HOST/]hashicorp/NAME` for the same NAME (or
/// `terraform.io/builtin/terraform`, `mlform.dev/builtin/mlform`), so a local name never
/// silently stands for another provider than the one written.
fn check_provider_source(local: &str, source: &str) -> Result<(), (&'static str, String, String)> {
    let parts: Vec<&str> = source.split('/').collect();
    let (host, namespace, kind) = match parts.as_slice() {
        [kind] => ("registry.terraform.io", "hashicorp", *kind),
        [namespace, kind] => ("registry.terraform.io", *namespace, *kind),
        [host, namespace, kind] => (*host, *namespace, *kind),
        _ => {
            return Err((
                "Invalid provider source string",
                format!("The source \"{source}\" is not a provider source address."),
                "A provider source is [HOSTNAME/]NAMESPACE/TYPE, such as \"hashicorp/aws\".".into(),
            ))
        }
    };
    let builtin = [("terraform.io", "terraform"), ("mlform.dev", "mlform")]
        .iter()
        .any(|(h, k)| host.eq_ignore_ascii_case(h) && namespace == "builtin" && kind == *k);
    let hashicorp = PROVIDER_HOSTS.iter().any(|h| host.eq_ignore_ascii_case(h))
        && namespace.eq_ignore_ascii_case("hashicorp");
    if !builtin && !hashicorp {
        return Err((
            "Provider not available",
            format!("The provider \"{source}\" is not built into mlform: mlform runs its own built-in providers, which implement hashicorp's."),
            format!("Use source = \"hashicorp/{kind}\" if that is the provider meant; third-party providers cannot run under mlform."),
        ));
    }
    if !kind.eq_ignore_ascii_case(local) {
        return Err((
            "Unsupported provider local name",
            format!("The local name \"{local}\" stands for \"{source}\"; mlform finds its built-in providers by local name, so a local name other than the provider's type is not supported."),
            format!("Name it \"{kind}\" here and in the provider blocks and `provider` arguments that use it."),
        ));
    }
    Ok(())
}

pub(super) fn collect_terraform(
    module: &mut Module,
    file: FileId,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    for b in block.body.blocks() {
        match b.ident.as_str() {
            "required_providers" => {
                for attr in b.body.attributes() {
                    // A bare string is the older form: a version constraint, not a source.
                    let source = match &attr.value {
                        Expression::Object(obj) => obj
                            .iter()
                            .find(|(k, _)| object_key_name(k).as_deref() == Some("source"))
                            .and_then(|(_, v)| literal_string(v.expr())),
                        _ => None,
                    };
                    let local = attr.key.as_str();
                    if let Some(source) = &source {
                        if let Err((summary, detail, hint)) = check_provider_source(local, source)
                        {
                            diags.push(
                                Diagnostic::error(summary, detail)
                                    .at(span_of(file, &attr.value))
                                    .hint(hint),
                            );
                        }
                    }
                    module
                        .required_providers
                        .insert(local.to_string(), source.unwrap_or_default());
                }
            }
            "backend" => {
                let kind = b
                    .labels
                    .first()
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default();
                if module.backend.is_some() {
                    diags.push(
                        Diagnostic::error(
                            "Duplicate backend configuration",
                            "A module may have only one backend configuration.",
                        )
                        .at(block_span(file, b)),
                    );
                    continue;
                }
                let mut arguments = Vec::new();
                for attr in b.body.attributes() {
                    let mut evaluator = crate::eval::expr::Evaluator::new(&crate::eval::expr::EmptyScope, file);
                    match evaluator.eval(&attr.value) {
                        Ok(value) => arguments.push(BackendArgument {
                            name: attr.key.as_str().to_string(),
                            value,
                            span: span_of(file, &attr.key),
                        }),
                        Err(d) => diags.push(d.hint("A backend block takes constant values only; pass what varies with -backend-config at init.")),
                    }
                }
                for inner in b.body.blocks() {
                    diags.push(
                        Diagnostic::error(
                            "Unsupported block type",
                            format!("Blocks of type \"{}\" are not expected in a backend block.", inner.ident.as_str()),
                        )
                        .at(block_span(file, inner))
                        .hint("Since Terraform 1.6 backend settings such as endpoints and assume_role are attributes: write `endpoints = { s3 = \"...\" }`."),
                    );
                }
                module.backend = Some(BackendBlock {
                    kind,
                    arguments,
                    span: block_span(file, b),
                });
            }
            "encryption" => {
                let into = module.encryption.get_or_insert_with(|| EncryptionBlock {
                    span: block_span(file, b),
                    ..EncryptionBlock::default()
                });
                read_encryption(file, &b.body, into, diags);
            }
            "cloud" => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    "The `cloud` block is not supported by mlform.",
                )
                .at(block_span(file, b)),
            ),
            // Module metadata for a provider's telemetry (terraform-aws-modules set a user
            // agent with it). mlform's providers send no telemetry, so it changes nothing;
            // docs/language.md says so.
            "provider_meta" if b.labels.len() == 1 => {}
            other => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    format!("Blocks of type \"{other}\" inside the terraform block are not supported by mlform."),
                )
                .at(block_span(file, b))
                .hint("The terraform block takes required_providers and backend blocks; remove this block or move its settings."),
            ),
        }
    }
}

pub(super) fn bool_attr(
    file: FileId,
    body: &Body,
    name: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<bool> {
    let attr = body.get_attribute(name)?;
    match &attr.value {
        Expression::Bool(b) => Some(*b.value()),
        other => {
            diags.push(
                Diagnostic::error(
                    "Invalid value",
                    format!("The `{name}` argument must be a literal true or false."),
                )
                .at(span_of(file, other)),
            );
            None
        }
    }
}

pub(super) fn list_items(file: FileId, body: &Body, name: &str) -> Vec<Expr> {
    match body.get_attribute(name).map(|a| &a.value) {
        Some(Expression::Array(items)) => items
            .iter()
            .map(|e| Expr {
                file,
                expr: e.clone(),
            })
            .collect(),
        Some(other) => vec![Expr {
            file,
            expr: other.clone(),
        }],
        None => Vec::new(),
    }
}

pub(super) fn collect_check(
    file: FileId,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) -> Option<Check> {
    let cond = block.body.get_attribute("condition");
    let msg = block.body.get_attribute("error_message");
    match (cond, msg) {
        (Some(c), Some(m)) => Some(Check {
            condition: Expr {
                file,
                expr: c.value.clone(),
            },
            error_message: Expr {
                file,
                expr: m.value.clone(),
            },
        }),
        _ => {
            diags.push(
                Diagnostic::error(
                    "Missing required argument",
                    format!(
                        "A {} block needs both `condition` and `error_message`.",
                        block.ident.as_str()
                    ),
                )
                .at(block_span(file, block)),
            );
            None
        }
    }
}

pub(super) fn check_known_args(
    file: FileId,
    body: &Body,
    attrs: &[&str],
    blocks: &[&str],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) if !attrs.contains(&a.key.as_str()) => diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    format!(
                        "An argument named \"{}\" is not expected in a {what} block.",
                        a.key.as_str()
                    ),
                )
                .at(span_of(file, &a.key))
                .hint(
                    did_you_mean(a.key.as_str(), attrs.iter().copied())
                        .unwrap_or_else(|| format!("Expected one of: {}.", attrs.join(", "))),
                ),
            ),
            Structure::Block(b) if !blocks.contains(&b.ident.as_str()) => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    format!(
                        "Blocks of type \"{}\" are not expected in a {what} block.",
                        b.ident.as_str()
                    ),
                )
                .at(block_span(file, b))
                .hint(did_you_mean(b.ident.as_str(), blocks.iter().copied()).unwrap_or_default()),
            ),
            _ => {}
        }
    }
}

pub(super) fn collect_variable(
    file: FileId,
    name: String,
    block: &Block,
    span: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Variable {
    check_known_args(
        file,
        &block.body,
        &[
            "type",
            "default",
            "description",
            "sensitive",
            "nullable",
            "ephemeral",
        ],
        &["validation"],
        "variable",
        diags,
    );
    let type_constraint = match block.body.get_attribute("type") {
        Some(attr) => match crate::eval::types::parse_type(&attr.value) {
            Ok(t) => t,
            Err(msg) => {
                diags.push(Diagnostic::error("Invalid type specification", msg).at(span_of(file, &attr.value)).hint("Types are written as string, number, bool, any, list(T), set(T), map(T), tuple([...]) or object({...})."));
                TypeConstraint::Any
            }
        },
        None => TypeConstraint::Any,
    };
    let mut validations = Vec::new();
    for b in block.body.get_blocks("validation") {
        if let Some(c) = collect_check(file, b, diags) {
            validations.push(c);
        }
    }
    Variable {
        name,
        type_constraint,
        default: block.body.get_attribute("default").map(|a| Expr {
            file,
            expr: a.value.clone(),
        }),
        description: block
            .body
            .get_attribute("description")
            .and_then(|a| literal_string(&a.value)),
        sensitive: bool_attr(file, &block.body, "sensitive", diags).unwrap_or(false),
        nullable: bool_attr(file, &block.body, "nullable", diags).unwrap_or(true),
        validations,
        span,
    }
}

/// Meta-arguments handled by the engine, removed from the body the provider sees.
pub(super) const RESOURCE_META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
];

pub(super) fn collect_resource(
    file: FileId,
    key: ResourceKey,
    block: &Block,
    span: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Resource {
    let body = &block.body;
    let attr_expr = |name: &str| {
        body.get_attribute(name).map(|a| Expr {
            file,
            expr: a.value.clone(),
        })
    };
    let count = attr_expr("count");
    let for_each = attr_expr("for_each");
    if count.is_some() && for_each.is_some() {
        diags.push(Diagnostic::error("Invalid combination of \"count\" and \"for_each\"", "The count and for_each meta-arguments are mutually exclusive; only one may be used.").at(span.clone()));
    }
    let default_provider = key.type_name.split('_').next().unwrap_or("").to_string();
    let provider = match body.get_attribute("provider") {
        Some(attr) => {
            match provider_ref(&attr.value) {
                Some(p) => p,
                None => {
                    diags.push(Diagnostic::error("Invalid provider reference", "The provider argument takes a bare reference such as `aws` or `aws.west`.").at(span_of(file, &attr.value)));
                    ProviderRef {
                        name: default_provider,
                        alias: None,
                    }
                }
            }
        }
        None => ProviderRef {
            name: default_provider,
            alias: None,
        },
    };
    let mut lifecycle = Lifecycle::default();
    for lc in body.get_blocks("lifecycle") {
        for s in lc.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "create_before_destroy" => lifecycle.create_before_destroy = matches!(&a.value, Expression::Bool(b) if *b.value()),
                    "prevent_destroy" => lifecycle.prevent_destroy = matches!(&a.value, Expression::Bool(b) if *b.value()),
                    "ignore_changes" => lifecycle.ignore_changes = ignore_changes(file, &a.value, diags),
                    "replace_triggered_by" => {
                        if let Expression::Array(items) = &a.value {
                            lifecycle.replace_triggered_by = items.iter().map(|e| Expr { file, expr: e.clone() }).collect();
                        }
                    }
                    other => diags.push(
                        Diagnostic::error("Unsupported argument", format!("An argument named \"{other}\" is not expected in a lifecycle block."))
                            .at(span_of(file, &a.key))
                            .hint(did_you_mean(other, ["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"]).unwrap_or_default()),
                    ),
                },
                Structure::Block(b) => match b.ident.as_str() {
                    "precondition" => lifecycle.preconditions.extend(collect_check(file, b, diags)),
                    "postcondition" => lifecycle.postconditions.extend(collect_check(file, b, diags)),
                    other => diags.push(Diagnostic::error("Unsupported block type", format!("Blocks of type \"{other}\" are not expected in a lifecycle block.")).at(block_span(file, b))),
                },
            }
        }
    }
    let mut stripped = body.clone();
    for meta in RESOURCE_META {
        stripped.remove_attribute(meta);
        stripped.remove_blocks(meta);
    }
    Resource {
        key,
        provider,
        count,
        for_each,
        depends_on: list_items(file, body, "depends_on"),
        lifecycle,
        body: BodyRef {
            file,
            body: stripped,
        },
        span,
        check: None,
    }
}

pub(super) fn provider_ref(expr: &Expression) -> Option<ProviderRef> {
    match expr {
        Expression::Variable(v) => Some(ProviderRef {
            name: v.as_str().to_string(),
            alias: None,
        }),
        Expression::Traversal(t) => {
            let Expression::Variable(v) = &t.expr else {
                return None;
            };
            match t.operators.as_slice() {
                [op] => match op.value() {
                    TraversalOperator::GetAttr(a) => Some(ProviderRef {
                        name: v.as_str().to_string(),
                        alias: Some(a.as_str().to_string()),
                    }),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

pub(super) fn ignore_changes(
    file: FileId,
    expr: &Expression,
    diags: &mut Vec<Diagnostic>,
) -> IgnoreChanges {
    match expr {
        Expression::Variable(v) if v.as_str() == "all" => IgnoreChanges::All,
        Expression::String(s) if s.value() == "all" => IgnoreChanges::All,
        Expression::Array(items) => {
            let mut paths = Vec::new();
            for item in items.iter() {
                match crate::syntax::static_path(item) {
                    Some(p) => paths.push(p),
                    None => diags.push(Diagnostic::error("Invalid ignore_changes entry", "Each entry must be an attribute reference such as `tags` or `tags[\"team\"]`.").at(span_of(file, item))),
                }
            }
            IgnoreChanges::Paths(paths)
        }
        other => {
            diags.push(
                Diagnostic::error(
                    "Invalid ignore_changes value",
                    "ignore_changes takes a list of attribute references, or `all`.",
                )
                .at(span_of(file, other)),
            );
            IgnoreChanges::None
        }
    }
}
