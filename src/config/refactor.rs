//! Refactoring and checking blocks of a module, read into typed statements: `moved` (an
//! object's address changed), `removed` (stop managing an object, destroying it or not),
//! `import` (adopt an existing object) and `check` (assertions that warn, never block).

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::Block;

use super::{block_span, bool_attr, check_known_args, collect_check, span_of, Check, Expr, Module};
use crate::addr::{parse_target, InstanceAddr, Target};
use crate::config::Mode;
use crate::diag::{Diagnostic, FileId, Span};

/// `moved { from = A  to = B }`, with addresses relative to the declaring module.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: Target,
    pub to: Target,
    pub span: Option<Span>,
}

/// `removed { from = A  lifecycle { destroy = BOOL } }`.
#[derive(Debug, Clone)]
pub struct Removed {
    /// A resource (no instance key) or a module call (no key), relative to the declaring module.
    pub from: Target,
    /// `false`: forget the objects, leave them running.
    pub destroy: bool,
    pub span: Option<Span>,
}

/// `check "NAME" { assert { condition  error_message } ... }`.
#[derive(Debug, Clone)]
pub struct CheckBlock {
    pub name: String,
    pub asserts: Vec<Check>,
    pub span: Option<Span>,
}

fn address(file: FileId, block: &Block, name: &str, diags: &mut Vec<Diagnostic>) -> Option<Target> {
    let what = block.ident.as_str();
    let Some(attr) = block.body.get_attribute(name) else {
        diags.push(
            Diagnostic::error(
                "Missing required argument",
                format!("The {what} block needs a `{name}` argument."),
            )
            .at(block_span(file, block)),
        );
        return None;
    };
    match parse_target(&attr.value.to_string()) {
        Ok(t) => Some(t),
        Err(_) => {
            diags.push(
                Diagnostic::error(
                    "Invalid address",
                    format!("The `{name}` argument of a {what} block must be a static address of a resource, a resource instance or a module call."),
                )
                .at(span_of(file, &attr.value))
                .hint("For example terraform_data.a, terraform_data.a[0] or module.network; variables and expressions are not allowed here."),
            );
            None
        }
    }
}

fn refuse_data(file: FileId, block: &Block, t: &Target, diags: &mut Vec<Diagnostic>) -> bool {
    let data = match t {
        Target::Resource(_, r) => r.mode == Mode::Data,
        Target::Instance(i) => i.resource.mode == Mode::Data,
        Target::Module(_) => false,
    };
    if data {
        diags.push(
            Diagnostic::error(
                "Invalid address",
                format!(
                    "A {} block cannot name a data resource: data sources keep no objects to move or remove.",
                    block.ident.as_str()
                ),
            )
            .at(block_span(file, block)),
        );
    }
    data
}

pub(super) fn collect_moved(
    module: &mut Module,
    file: FileId,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    check_known_args(file, &block.body, &["from", "to"], &[], "moved", diags);
    let span = block_span(file, block);
    let (Some(from), Some(to)) = (
        address(file, block, "from", diags),
        address(file, block, "to", diags),
    ) else {
        return;
    };
    if refuse_data(file, block, &from, diags) || refuse_data(file, block, &to, diags) {
        return;
    }
    let kinds_match = match (&from, &to) {
        (Target::Module(_), Target::Module(_)) => true,
        (
            Target::Resource(_, a)
            | Target::Instance(crate::addr::InstanceAddr { resource: a, .. }),
            Target::Resource(_, b)
            | Target::Instance(crate::addr::InstanceAddr { resource: b, .. }),
        ) => {
            if a.type_name != b.type_name {
                diags.push(
                    Diagnostic::error(
                        "Resource type mismatch",
                        format!("This statement declares a move from {from} to {to}, which is a resource of a different type."),
                    )
                    .at(span.clone())
                    .hint("An object keeps its type when it moves; to change type, remove the old resource and import the object as the new one."),
                );
                return;
            }
            matches!(
                (&from, &to),
                (Target::Resource(..), Target::Resource(..))
                    | (Target::Instance(_), Target::Instance(_))
            )
        }
        _ => false,
    };
    if !kinds_match {
        diags.push(
            Diagnostic::error(
                "Invalid \"moved\" addresses",
                format!("Cannot move {from} to {to}: both addresses must be module calls, both whole resources, or both resource instances."),
            )
            .at(span),
        );
        return;
    }
    if from == to {
        diags.push(
            Diagnostic::error(
                "Redundant move statement",
                format!("This statement declares a move from {from} to the same address."),
            )
            .at(span),
        );
        return;
    }
    module.moved.push(Moved { from, to, span });
}

pub(super) fn collect_removed(
    module: &mut Module,
    file: FileId,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    check_known_args(
        file,
        &block.body,
        &["from"],
        &["lifecycle"],
        "removed",
        diags,
    );
    let span = block_span(file, block);
    let Some(from) = address(file, block, "from", diags) else {
        return;
    };
    if refuse_data(file, block, &from, diags) {
        return;
    }
    let keyed = match &from {
        Target::Instance(_) => true,
        Target::Resource(m, _) | Target::Module(m) => m.iter().any(|(_, k)| k.is_some()),
    };
    if keyed {
        diags.push(
            Diagnostic::error(
                "Invalid \"removed\" address",
                format!("The `from` address {from} names an instance; a removed block applies to a whole resource or module call."),
            )
            .at(span)
            .hint("Remove the instance key, as in `from = terraform_data.a`."),
        );
        return;
    }
    let mut destroy = true;
    for lc in block.body.get_blocks("lifecycle") {
        check_known_args(file, &lc.body, &["destroy"], &[], "lifecycle", diags);
        if let Some(d) = bool_attr(file, &lc.body, "destroy", diags) {
            destroy = d;
        }
    }
    module.removed.push(Removed {
        from,
        destroy,
        span,
    });
}

pub(super) fn collect_check_block(
    module: &mut Module,
    file: FileId,
    block: &Block,
    name: String,
    diags: &mut Vec<Diagnostic>,
) {
    check_known_args(file, &block.body, &[], &["assert", "data"], "check", diags);
    // Scoped data sources: read like any other, but a failed read warns instead of failing.
    for b in block.body.get_blocks("data") {
        if b.labels.len() != 2 {
            diags.push(
                Diagnostic::error(
                    "Missing name for block",
                    "A data block expects 2 labels: the type and the name.",
                )
                .at(block_span(file, b)),
            );
            continue;
        }
        let key = crate::config::ResourceKey {
            mode: Mode::Data,
            type_name: b.labels[0].as_str().to_string(),
            name: b.labels[1].as_str().to_string(),
        };
        let mut r = super::collect_resource(file, key.clone(), b, block_span(file, b), diags);
        r.check = Some(name.clone());
        if module.resources.insert(key.clone(), r).is_some() {
            diags.push(
                Diagnostic::error(
                    "Duplicate data resource",
                    format!("A data resource named {key} was already declared."),
                )
                .at(block_span(file, b)),
            );
        }
    }
    let asserts: Vec<Check> = block
        .body
        .get_blocks("assert")
        .filter_map(|b| collect_check(file, b, diags))
        .collect();
    if asserts.is_empty() {
        diags.push(
            Diagnostic::error(
                "Missing required block",
                format!("The check block \"{name}\" needs at least one `assert` block."),
            )
            .at(block_span(file, block)),
        );
        return;
    }
    if module.checks.iter().any(|c| c.name == name) {
        diags.push(
            Diagnostic::error(
                "Duplicate check block",
                format!("A check block named \"{name}\" was already declared."),
            )
            .at(block_span(file, block)),
        );
        return;
    }
    module.checks.push(CheckBlock {
        name,
        asserts,
        span: block_span(file, block),
    });
}

/// `import { to = ADDR  id = EXPR  for_each = EXPR  provider = REF }` (root module only).
#[derive(Debug, Clone)]
pub struct Import {
    /// The target instance, with its module path (static keys); no key for a resource
    /// without count or for_each, or when `to_key` computes it.
    pub to: InstanceAddr,
    /// An instance key computed per `for_each` element (`to = t.n[each.key]`).
    pub to_key: Option<Expr>,
    pub id: Expr,
    pub for_each: Option<Expr>,
    pub provider: Option<super::ProviderRef>,
    pub span: Option<Span>,
}

pub(super) fn collect_import(
    module: &mut Module,
    file: FileId,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    check_known_args(
        file,
        &block.body,
        &["to", "id", "for_each", "provider"],
        &[],
        "import",
        diags,
    );
    let span = block_span(file, block);
    let (Some(to), Some(id)) = (
        block.body.get_attribute("to"),
        block.body.get_attribute("id"),
    ) else {
        diags.push(
            Diagnostic::error(
                "Missing required argument",
                "An import block needs both `to` and `id`.",
            )
            .at(span),
        );
        return;
    };
    // A final index that is not a literal (`[each.key]`) is evaluated per for_each element.
    let (target_text, to_key) = match &to.value {
        Expression::Traversal(t) => match t.operators.last().map(|o| o.value()) {
            Some(TraversalOperator::Index(e))
                if super::literal_string(e).is_none() && !matches!(e, Expression::Number(_)) =>
            {
                let mut prefix = t.clone();
                prefix.operators.pop();
                (
                    Expression::Traversal(prefix).to_string(),
                    Some(Expr {
                        file,
                        expr: e.clone(),
                    }),
                )
            }
            _ => (to.value.to_string(), None),
        },
        other => (other.to_string(), None),
    };
    let target = match parse_target(&target_text) {
        Ok(t @ (Target::Resource(..) | Target::Instance(_))) => t,
        _ => {
            diags.push(
                Diagnostic::error(
                    "Invalid import address",
                    "The `to` argument must be the address of a managed resource or resource instance.",
                )
                .at(span_of(file, &to.value))
                .hint("For example terraform_data.a, terraform_data.a[0] or terraform_data.a[each.key]."),
            );
            return;
        }
    };
    if refuse_data(file, block, &target, diags) {
        return;
    }
    let target = match target {
        Target::Instance(i) => i,
        Target::Resource(module, resource) => InstanceAddr {
            module,
            resource,
            key: None,
        },
        Target::Module(_) => return,
    };
    if to_key.is_some() && target.key.is_some() {
        diags.push(
            Diagnostic::error(
                "Invalid import address",
                "The `to` address has more than one instance key.",
            )
            .at(span_of(file, &to.value)),
        );
        return;
    }
    let for_each = block.body.get_attribute("for_each").map(|a| Expr {
        file,
        expr: a.value.clone(),
    });
    if to_key.is_some() && for_each.is_none() {
        diags.push(
            Diagnostic::error("Invalid import address", "The `to` address has a computed instance key, which needs `for_each` in the import block.")
                .at(span_of(file, &to.value)),
        );
        return;
    }
    let provider = match block.body.get_attribute("provider") {
        Some(a) => match super::provider_ref(&a.value) {
            Some(p) => Some(p),
            None => {
                diags.push(Diagnostic::error("Invalid provider reference", "The `provider` argument takes a provider name, optionally with an alias: aws or aws.west.").at(span_of(file, &a.value)));
                return;
            }
        },
        None => None,
    };
    module.imports.push(Import {
        to: target,
        to_key,
        id: Expr {
            file,
            expr: id.value.clone(),
        },
        for_each,
        provider,
        span,
    });
}
