//! The human renderer: plans, drift and outputs in the shape Terraform users read every day
//! (`+ create`, `~ update in-place`, `-/+` replacements, `# forces replacement`,
//! `(known after apply)`, `(sensitive value)`, hidden unchanged attributes), colour only
//! when asked.

use std::fmt::Write as _;

use mlform_provider::Value;

use super::diff::{diff, Change, Diff, Kind, IDENTIFYING};
use crate::config::Mode;
use crate::plan::{Action, BlockNesting, BlockShape, Drift, Plan, PlanMode, ResourceChange};

/// Rendering style.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint(text, "1")
    }

    fn sym(&self, sym: &str) -> String {
        let code = match sym.trim() {
            "+" => "32",
            "-" => "31",
            "~" => "33",
            "-/+" | "+/-" => "33",
            "<=" => "36",
            _ => return sym.to_string(),
        };
        self.paint(sym, code)
    }
}

const RULE: &str = "─────────────────────────────────────────────────────────────────────────────";

/// Renders a plan (without the refresh progress lines printed while planning).
pub fn render_plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let visible: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.previous_addr.is_some() || c.importing.is_some())
        .collect();

    let drift = plan.shown_drift();
    if !drift.is_empty() {
        render_drift(&mut out, plan.mode, &drift, style);
    }

    let output_changes: Vec<_> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if plan.mode == PlanMode::RefreshOnly {
        if plan.drift.is_empty() {
            out.push_str(&style.bold("No changes."));
            out.push_str(" Your infrastructure still matches the configuration.\n\nmlform has checked that the real remote objects still match the result of your\nmost recent changes, and found no differences.\n");
        } else {
            out.push_str("This is a refresh-only plan, so mlform will not take any actions to undo\nthese. If you were expecting these changes then you can apply this plan to\nrecord the updated values in the mlform state without changing any remote\nobjects.\n");
        }
    } else if visible.is_empty() && output_changes.is_empty() {
        out.push_str(&style.bold("No changes."));
        if plan.mode == PlanMode::Destroy {
            out.push_str(" No objects need to be destroyed.\n\nEither you have not created any objects yet or the existing objects were\nalready deleted outside of mlform.\n");
        } else {
            out.push_str(" Your infrastructure matches the configuration.\n\nmlform has compared your real infrastructure against your configuration\nand found no differences, so no changes are needed.\n");
        }
    } else {
        if !visible.is_empty() {
            let mut actions: Vec<Action> = visible
                .iter()
                .map(|c| c.action)
                .filter(|a| !matches!(a, Action::NoOp | Action::Forget))
                .collect();
            let order = |a: &Action| {
                [
                    Action::Create,
                    Action::Update,
                    Action::Delete,
                    Action::DeleteThenCreate,
                    Action::CreateThenDelete,
                    Action::Read,
                ]
                .iter()
                .position(|x| x == a)
                .unwrap_or(9)
            };
            actions.sort_by_key(order);
            actions.dedup();
            // Moves, imports and forgets have no symbol: a plan of only those has no legend.
            if !actions.is_empty() {
                out.push_str("mlform used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n");
                for a in actions {
                    let _ = writeln!(
                        out,
                        "{} {}",
                        style.sym(&format!("{:>3}", a.symbol())),
                        a.legend()
                    );
                }
                out.push('\n');
            }
            out.push_str("mlform will perform the following actions:\n");
            for c in &visible {
                out.push('\n');
                render_change(&mut out, c, style);
            }
            out.push('\n');
            if let Some(order) = plan.rollout_order() {
                out.push_str("Rollout order (each step waits for the ones before it):\n");
                for (n, c) in order.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "  {:>2}. {:<3} {}",
                        n + 1,
                        style.sym(c.action.symbol()),
                        c.addr
                    );
                }
                out.push('\n');
            }
            render_model_changes(&mut out, plan, &style);
            render_guards(&mut out, plan, &style);
        } else {
            out.push_str("Changes to Outputs:\n");
        }
        let (add, change, destroy) = plan.counts();
        if !visible.is_empty() {
            let imports = match plan.imports() {
                0 => String::new(),
                n => format!("{n} to import, "),
            };
            let _ = writeln!(
                out,
                "{} {imports}{add} to add, {change} to change, {destroy} to destroy.",
                style.bold("Plan:")
            );
        }
        if !output_changes.is_empty() {
            if !visible.is_empty() {
                out.push_str("\nChanges to Outputs:\n");
            }
            let width = output_changes
                .iter()
                .map(|o| o.name.len())
                .max()
                .unwrap_or(0);
            for o in output_changes {
                let d = diff(o.before.as_ref(), o.after.as_ref(), &[]);
                render_attr(
                    &mut out,
                    2,
                    &o.name,
                    width,
                    &d,
                    style,
                    At {
                        top: true,
                        json: false,
                        map: false,
                    },
                );
            }
            if visible.is_empty() && plan.mode == PlanMode::Normal {
                out.push_str("\nYou can apply this plan to save these new output values to the mlform\nstate, without changing any real infrastructure.\n");
            }
        }
    }
    if !plan.deferred.is_empty() {
        out.push_str("\nDeferred until a later run (their instances are not known yet):\n");
        for d in &plan.deferred {
            let _ = writeln!(out, "  # {} ({})", d.addr, d.reason);
        }
        out.push_str("Apply this plan, then plan again to see the changes to these resources.\n");
    }
    out
}

fn render_drift(out: &mut String, mode: PlanMode, drift: &[Drift], style: Style) {
    out.push_str(&style.bold("Note: Objects have changed outside of mlform"));
    out.push_str("\n\nmlform detected the following changes made outside of mlform since the\nlast \"mlform apply\" which may have affected this plan:\n");
    for d in drift {
        out.push('\n');
        match &d.after {
            None => {
                let _ = writeln!(
                    out,
                    "  # {} has been deleted",
                    style.bold(&d.addr.to_string())
                );
                let change = ResourceChange {
                    previous_addr: None,
                    importing: None,
                    blocks: Default::default(),
                    addr: d.addr.clone(),
                    deposed: false,
                    action: Action::Delete,
                    before: Some(d.before.clone()),
                    after: None,
                    requires_replace: vec![],
                    reason: None,
                    provider: d.provider.clone(),
                    dependencies: vec![],
                    create_before_destroy: false,
                };
                render_body(out, &change, style);
            }
            Some(after) => {
                let _ = writeln!(out, "  # {} has changed", style.bold(&d.addr.to_string()));
                let change = ResourceChange {
                    previous_addr: None,
                    importing: None,
                    blocks: Default::default(),
                    addr: d.addr.clone(),
                    deposed: false,
                    action: Action::Update,
                    before: Some(d.before.clone()),
                    after: Some(after.clone()),
                    requires_replace: vec![],
                    reason: None,
                    provider: d.provider.clone(),
                    dependencies: vec![],
                    create_before_destroy: false,
                };
                render_body(out, &change, style);
            }
        }
    }
    if mode != PlanMode::RefreshOnly {
        out.push_str("\nUnless you have made equivalent changes to your configuration, or ignored the\nrelevant attributes using ignore_changes, the following plan may include\nactions to undo or respond to these changes.\n");
    }
    let _ = writeln!(out, "\n{RULE}\n");
}

fn header(c: &ResourceChange) -> Vec<String> {
    let a = c.addr.to_string();
    let addr = if c.deposed {
        format!("{a} (deposed object)")
    } else {
        a
    };
    let mut lines = vec![match c.action {
        Action::Create => format!("{addr} will be created"),
        Action::Update => format!("{addr} will be updated in-place"),
        Action::Delete => format!("{addr} will be destroyed"),
        Action::Read => format!("{addr} will be read during apply"),
        Action::DeleteThenCreate | Action::CreateThenDelete => match c.reason.as_deref() {
            Some(r) if r.starts_with("replacement requested") => {
                format!("{addr} will be replaced, as requested")
            }
            Some(r) if r.starts_with("replace_triggered_by") => {
                format!("{addr} will be replaced due to changes in replace_triggered_by")
            }
            Some(crate::plan::TAINTED) => format!("{addr} is tainted, so must be replaced"),
            _ => format!("{addr} must be replaced"),
        },
        Action::NoOp => match (&c.previous_addr, &c.importing) {
            (Some(p), _) => format!("{p} has moved to {addr}"),
            (None, Some(_)) => format!("{addr} will be imported"),
            (None, None) => format!("{addr} is unchanged"),
        },
        Action::Forget => {
            format!("{addr} will no longer be managed by mlform, but will not be destroyed")
        }
    }];
    if let (Some(p), false) = (&c.previous_addr, c.action == Action::NoOp) {
        lines.push(format!("(moved from {p})"));
    }
    if let (Some(id), false) = (&c.importing, c.action == Action::NoOp) {
        lines.push(format!(
            "(imported from {})",
            serde_json::Value::String(id.clone())
        ));
    }
    // Forgets and imports carry notes, not causes: "(destroy = false is set ...)",
    // "(config will be generated)".
    if c.action == Action::Forget || c.importing.is_some() {
        if let Some(r) = &c.reason {
            lines.push(format!("({r})"));
        }
    } else if let Some(r) = &c.reason {
        if !c.action.is_replace()
            || !(r.starts_with("replacement requested")
                || r.starts_with("replace_triggered_by")
                || r == crate::plan::TAINTED)
        {
            lines.push(format!("(because {r})"));
        }
    }
    lines
}

/// Renders one resource change: its comment header and body.
pub fn render_change(out: &mut String, c: &ResourceChange, style: Style) {
    for (i, line) in header(c).iter().enumerate() {
        let text = if i == 0 {
            style.bold(line)
        } else {
            line.clone()
        };
        // A forget is set one column left, as Terraform does, so it stands out from changes.
        let indent = if c.action == Action::Forget {
            " "
        } else {
            "  "
        };
        let _ = writeln!(out, "{indent}# {text}");
    }
    render_body(out, c, style);
}

fn render_body(out: &mut String, c: &ResourceChange, style: Style) {
    // A move without changes, or a forget, shows the object as it stands.
    let d = match c.action {
        Action::NoOp | Action::Forget => diff(c.before.as_ref(), c.before.as_ref(), &[]),
        _ => diff(c.before.as_ref(), c.after.as_ref(), &c.requires_replace),
    };
    let keyword = if c.addr.resource.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let sym = if c.action == Action::Forget {
        format!(" {}", c.action.symbol())
    } else {
        format!("{:>3}", c.action.symbol())
    };
    let _ = writeln!(
        out,
        "{} {keyword} \"{}\" \"{}\" {{",
        style.sym(&sym),
        c.addr.resource.type_name,
        c.addr.resource.name
    );
    if let Kind::Object { attrs } = &d.kind {
        render_resource_entries(
            out,
            4,
            attrs,
            &c.blocks,
            style,
            matches!(
                c.action,
                Action::Update
                    | Action::DeleteThenCreate
                    | Action::CreateThenDelete
                    | Action::NoOp
                    | Action::Forget
            ),
        );
    }
    out.push_str("    }\n");
}

pub(super) fn is_ident(k: &str) -> bool {
    crate::config::is_identifier(k)
}

pub(super) fn key_text(k: &str) -> String {
    if is_ident(k) {
        k.to_string()
    } else {
        serde_json::Value::String(k.to_string()).to_string()
    }
}

/// Where a value is being rendered.
#[derive(Clone, Copy)]
struct At {
    /// Directly in a resource body or an output line: null attributes are left out and a
    /// deletion ends with `-> null`.
    top: bool,
    /// Inside `jsonencode(...)`: unchanged attributes of updated objects are hidden.
    json: bool,
    /// The value is a map attribute: its keys print quoted, as Terraform prints map keys.
    map: bool,
}

/// Renders the entries of an object at `indent` (the column of the closing brace). When
/// `hide_unchanged`, unchanged entries are counted instead of shown (identifying attributes
/// at the top of a resource are always shown).
/// A resource body (or a nested block's): its attributes, then its nested blocks as
/// Terraform prints them (`+ production_variants {`), null attributes left out.
fn render_resource_entries(
    out: &mut String,
    indent: usize,
    attrs: &[(String, Diff)],
    blocks: &BlockShape,
    style: Style,
    hide_unchanged: bool,
) {
    let at = At {
        top: true,
        json: false,
        map: false,
    };
    let (block_entries, plain): (Vec<&(String, Diff)>, Vec<&(String, Diff)>) = attrs
        .iter()
        .partition(|(k, d)| blocks.is_block(k) && is_block_value(d));
    let plain: Vec<(String, Diff)> = plain.into_iter().cloned().collect();
    render_object_entries(out, indent, &plain, style, at, hide_unchanged, &|k| {
        blocks.is_map(k)
    });
    let mut hidden = 0;
    let mut first = true;
    for (name, d) in block_entries {
        let (nesting, inner) = &blocks.0[name];
        let items: Vec<&Diff> = match (&d.kind, nesting) {
            (Kind::Object { .. }, BlockNesting::Single) => vec![d],
            (Kind::List { items }, _) => items.iter().collect(),
            _ => vec![],
        };
        for item in items {
            let Kind::Object { attrs: item_attrs } = &item.kind else {
                continue;
            };
            if hide_unchanged && item.change == Change::NoOp {
                hidden += 1;
                continue;
            }
            if first && !plain.iter().all(|(_, d)| absent(d)) || !first {
                out.push('\n');
            }
            first = false;
            let pad = " ".repeat(indent + 2);
            let replace = if item.forces_replacement || d.forces_replacement {
                " # forces replacement"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{pad}{} {name} {{{replace}",
                style.sym(&item.change.symbol().to_string())
            );
            render_resource_entries(
                out,
                indent + 4,
                item_attrs,
                inner,
                style,
                hide_unchanged || item.change == Change::Update,
            );
            let _ = writeln!(out, "{pad}  }}");
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n{}# ({hidden} unchanged block{} hidden)",
            " ".repeat(indent + 4),
            if hidden == 1 { "" } else { "s" }
        );
    }
}

/// Whether a diff has the shape of nested blocks (an object, or a list of objects); anything
/// else (null, unknown, sensitive) is printed as an attribute.
fn is_block_value(d: &Diff) -> bool {
    match &d.kind {
        Kind::Object { .. } => true,
        Kind::List { items } => items.iter().all(|i| matches!(i.kind, Kind::Object { .. })),
        Kind::Primitive { .. } => absent(d),
        _ => false,
    }
}

/// `at.map` says the entries are a map's (keys quoted, "element" in the hidden count);
/// `child_is_map` which entries hold maps themselves.
fn render_object_entries(
    out: &mut String,
    indent: usize,
    attrs: &[(String, Diff)],
    style: Style,
    at: At,
    hide_unchanged: bool,
    child_is_map: &dyn Fn(&str) -> bool,
) {
    let label = |k: &str| {
        if at.map {
            serde_json::Value::String(k.to_string()).to_string()
        } else {
            key_text(k)
        }
    };
    let hidden_here = |k: &str, d: &Diff| {
        hide_unchanged && d.change == Change::NoOp && !(at.top && IDENTIFYING.contains(&k))
    };
    let shown: Vec<&(String, Diff)> = attrs
        .iter()
        .filter(|(k, d)| !(at.top && absent(d)) && !hidden_here(k, d))
        .collect();
    let hidden = attrs
        .iter()
        .filter(|(k, d)| !(at.top && absent(d)) && hidden_here(k, d))
        .count();
    // A map's keys align over all its keys, hidden ones included (Terraform's map renderer).
    let width = if at.map {
        attrs.iter().map(|(k, _)| label(k).len()).max()
    } else {
        shown.iter().map(|(k, _)| label(k).len()).max()
    }
    .unwrap_or(0);
    for (k, d) in shown {
        let child = At {
            map: child_is_map(k),
            ..at
        };
        render_attr(out, indent + 2, &label(k), width, d, style, child);
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{}# ({hidden} unchanged {}{} hidden)",
            " ".repeat(indent + 4),
            if at.map { "element" } else { "attribute" },
            if hidden == 1 { "" } else { "s" }
        );
    }
}

/// True when there is nothing to show: null or absent on both sides.
fn absent(d: &Diff) -> bool {
    match &d.kind {
        Kind::Primitive { before, after } => {
            before.as_ref().is_none_or(Value::is_null) && after.as_ref().is_none_or(Value::is_null)
        }
        _ => false,
    }
}

fn prim(v: &Option<Value>) -> String {
    match v {
        None => "null".into(),
        Some(v) => v.to_string(),
    }
}

/// Renders `SYM label = value` at `indent` (the column of the symbol).
fn render_attr(
    out: &mut String,
    indent: usize,
    label: &str,
    width: usize,
    d: &Diff,
    style: Style,
    at: At,
) {
    render_entry(out, indent, &format!("{label:width$} = "), "", d, style, at);
}

/// Renders one value at `indent`: `SYM {label}value{suffix}`, over several lines for
/// collections, JSON documents and heredocs. Attributes pass `key = ` as label; list
/// elements pass an empty label and a `,` suffix.
fn render_entry(
    out: &mut String,
    indent: usize,
    label: &str,
    suffix: &str,
    d: &Diff,
    style: Style,
    at: At,
) {
    let pad = " ".repeat(indent);
    let lead = format!("{pad}{} {label}", style.sym(&d.change.symbol().to_string()));
    let replace = if d.forces_replacement {
        " # forces replacement"
    } else {
        ""
    };
    let tail_null = if d.change == Change::Delete && at.top {
        " -> null"
    } else {
        ""
    };
    let inner = At {
        top: false,
        json: at.json,
        map: false,
    };
    let entries = At {
        map: at.map,
        ..inner
    };
    match &d.kind {
        Kind::Primitive { before, after } => {
            let text = match d.change {
                Change::NoOp | Change::Create => prim(after),
                Change::Delete => format!("{}{tail_null}", prim(before)),
                Change::Update => format!("{} -> {}", prim(before), prim(after)),
            };
            let _ = writeln!(out, "{lead}{text}{replace}{suffix}");
        }
        Kind::Sensitive { .. } => {
            let _ = writeln!(out, "{lead}(sensitive value){tail_null}{replace}{suffix}");
        }
        Kind::Unknown { before } => {
            let after_unknown = format!(" -> (known after apply){suffix}");
            match before.as_deref() {
                Some(Diff {
                    kind: Kind::Object { attrs },
                    ..
                }) if !attrs.is_empty() => {
                    let _ = writeln!(out, "{lead}{{{replace}");
                    render_object_entries(out, indent + 2, attrs, style, entries, false, &|_| {
                        false
                    });
                    let _ = writeln!(out, "{pad}  }}{after_unknown}");
                }
                Some(Diff {
                    kind: Kind::List { items },
                    ..
                }) if !items.is_empty() => {
                    let _ = writeln!(out, "{lead}[{replace}");
                    render_list_items(out, indent + 4, items, style, inner, false);
                    let _ = writeln!(out, "{pad}  ]{after_unknown}");
                }
                Some(Diff {
                    kind: Kind::Json { inner: body },
                    ..
                }) => {
                    let _ = writeln!(out, "{lead}jsonencode({replace}");
                    render_json_body(out, indent, body, style);
                    let _ = writeln!(out, "{pad}  ){after_unknown}");
                }
                Some(Diff {
                    kind: Kind::Text { before, .. },
                    ..
                }) => {
                    let _ = writeln!(out, "{lead}<<-EOT{replace}");
                    render_text_lines(
                        out,
                        indent + 4,
                        before.as_deref(),
                        None,
                        Change::Delete,
                        style,
                    );
                    let _ = writeln!(out, "{pad}  EOT{after_unknown}");
                }
                Some(Diff {
                    kind: Kind::Sensitive { .. },
                    ..
                }) => {
                    let _ = writeln!(
                        out,
                        "{lead}(sensitive value) -> (known after apply){replace}{suffix}"
                    );
                }
                Some(Diff {
                    kind: Kind::Primitive { before, .. },
                    ..
                }) => {
                    let _ = writeln!(
                        out,
                        "{lead}{} -> (known after apply){replace}{suffix}",
                        prim(before)
                    );
                }
                Some(Diff {
                    kind: Kind::Object { .. },
                    ..
                }) => {
                    let _ = writeln!(out, "{lead}{{}} -> (known after apply){replace}{suffix}");
                }
                Some(Diff {
                    kind: Kind::List { .. },
                    ..
                }) => {
                    let _ = writeln!(out, "{lead}[] -> (known after apply){replace}{suffix}");
                }
                _ => {
                    let _ = writeln!(out, "{lead}(known after apply){replace}{suffix}");
                }
            }
        }
        Kind::Object { attrs } if attrs.is_empty() => {
            let _ = writeln!(out, "{lead}{{}}{tail_null}{replace}{suffix}");
        }
        Kind::Object { attrs } => {
            let _ = writeln!(out, "{lead}{{{replace}");
            // As Terraform: a null attribute of an object value that comes or goes is
            // shown coming or going with it (`+ k = null`).
            let with_nulls: Vec<_>;
            let attrs = if matches!(d.change, Change::Create | Change::Delete) {
                with_nulls = attrs
                    .iter()
                    .map(|(k, x)| {
                        let mut x = x.clone();
                        if x.change == Change::NoOp
                            && matches!(&x.kind, Kind::Primitive { before, after }
                                if before.as_ref().is_none_or(Value::is_null)
                                    && after.as_ref().is_none_or(Value::is_null))
                        {
                            x.change = d.change;
                        }
                        (k.clone(), x)
                    })
                    .collect();
                &with_nulls
            } else {
                attrs
            };
            render_object_entries(
                out,
                indent + 2,
                attrs,
                style,
                entries,
                // Terraform hides unchanged elements of an updated map, and unchanged
                // attributes of updated objects inside jsonencode(...).
                (at.json || at.map) && d.change == Change::Update,
                &|_| false,
            );
            let _ = writeln!(out, "{pad}  }}{tail_null}{suffix}");
        }
        Kind::List { items } if items.is_empty() => {
            let _ = writeln!(out, "{lead}[]{tail_null}{replace}{suffix}");
        }
        Kind::List { items } => {
            let _ = writeln!(out, "{lead}[{replace}");
            render_list_items(
                out,
                indent + 4,
                items,
                style,
                inner,
                d.change == Change::Update,
            );
            let _ = writeln!(out, "{pad}  ]{tail_null}{suffix}");
        }
        Kind::Json { inner: body } => {
            let _ = writeln!(out, "{lead}jsonencode({replace}");
            render_json_body(out, indent, body, style);
            let _ = writeln!(out, "{pad}  ){tail_null}{suffix}");
        }
        Kind::Text { before, after } => {
            let _ = writeln!(out, "{lead}<<-EOT{replace}");
            render_text_lines(
                out,
                indent + 4,
                before.as_deref(),
                after.as_deref(),
                d.change,
                style,
            );
            let _ = writeln!(out, "{pad}  EOT{tail_null}{suffix}");
        }
    }
}

/// Lines of a heredoc: marked `-`/`+` at `indent` on update, unmarked otherwise.
fn render_text_lines(
    out: &mut String,
    indent: usize,
    before: Option<&str>,
    after: Option<&str>,
    change: Change,
    style: Style,
) {
    let pad = " ".repeat(indent);
    let whole = matches!(change, Change::Create | Change::Delete);
    for line in similar::TextDiff::from_lines(before.unwrap_or_default(), after.unwrap_or_default())
        .iter_all_changes()
    {
        let s = match line.tag() {
            _ if whole => " ",
            similar::ChangeTag::Equal => " ",
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
        };
        let _ = writeln!(
            out,
            "{pad}{} {}",
            style.sym(s),
            line.value().trim_end_matches('\n')
        );
    }
}

/// The body of `jsonencode(...)`: the encoded object or array, its symbol at `indent + 4`.
fn render_json_body(out: &mut String, indent: usize, inner: &Diff, style: Style) {
    let pad = " ".repeat(indent);
    let sym = style.sym(
        &(if inner.change == Change::Update {
            '~'
        } else {
            ' '
        })
        .to_string(),
    );
    let update = inner.change == Change::Update;
    let at = At {
        top: false,
        json: true,
        map: false,
    };
    match &inner.kind {
        Kind::Object { attrs } => {
            let _ = writeln!(out, "{pad}    {sym} {{");
            render_object_entries(out, indent + 6, attrs, style, at, update, &|_| false);
            let _ = writeln!(out, "{pad}      }}");
        }
        Kind::List { items } => {
            let _ = writeln!(out, "{pad}    {sym} [");
            render_list_items(out, indent + 8, items, style, at, update);
            let _ = writeln!(out, "{pad}      ]");
        }
        _ => {}
    }
}

/// List elements at `indent`. On update, unchanged elements more than one away from a
/// change are counted instead of shown, as Terraform does.
fn render_list_items(
    out: &mut String,
    indent: usize,
    items: &[Diff],
    style: Style,
    at: At,
    update: bool,
) {
    let changed: Vec<bool> = items.iter().map(|d| d.change != Change::NoOp).collect();
    let any_changed = changed.contains(&true);
    let visible = |i: usize| {
        !update
            || !any_changed
            || changed[i]
            || (i > 0 && changed[i - 1])
            || changed.get(i + 1).copied().unwrap_or(false)
    };
    let mut hidden_run = 0;
    let flush = |out: &mut String, n: &mut usize| {
        if *n > 0 {
            let _ = writeln!(
                out,
                "{}  # ({n} unchanged element{} hidden)",
                " ".repeat(indent),
                if *n == 1 { "" } else { "s" }
            );
            *n = 0;
        }
    };
    for (i, d) in items.iter().enumerate() {
        if !visible(i) {
            hidden_run += 1;
            continue;
        }
        flush(out, &mut hidden_run);
        render_entry(
            out,
            indent,
            "",
            ",",
            d,
            style,
            At {
                top: false,
                json: at.json,
                map: false,
            },
        );
    }
    flush(out, &mut hidden_run);
}

/// What guards each endpoint or Deployment being rolled out; an unguarded one says so.
fn render_guards(out: &mut String, plan: &Plan, style: &Style) {
    if plan.guards.is_empty() {
        return;
    }
    out.push_str("Guards of the rollouts in this plan:\n");
    for g in &plan.guards {
        let _ = writeln!(out, "  {}:", g.address);
        if g.unguarded() {
            let _ = writeln!(
                out,
                "    {} no alarm watches it and no health gate is read after it",
                style.bold("unguarded:")
            );
            continue;
        }
        let list = |names: &[String]| names.join(", ");
        if !g.alarms.is_empty() {
            let _ = writeln!(out, "    alarms: {}", list(&g.alarms));
        }
        if !g.auto_rollback_alarms.is_empty() {
            let _ = writeln!(
                out,
                "    blue/green traffic shift rolls back on: {}",
                list(&g.auto_rollback_alarms)
            );
        }
        if !g.gates.is_empty() {
            let _ = writeln!(
                out,
                "    health gates (their postconditions fail the apply): {}",
                list(&g.gates)
            );
        }
    }
    out.push_str("A failed step or gate stops the apply; with -rollback=auto (or MLFORM_ROLLBACK=auto) it also undoes what the apply finished.\n\n");
}

/// The models updated objects ship, input by input: what changes and what breaks clients.
fn render_model_changes(out: &mut String, plan: &Plan, style: &Style) {
    if plan.model_changes.is_empty() {
        return;
    }
    out.push_str("Model signature changes (inputs and outputs of the ONNX models shipped):\n");
    for m in &plan.model_changes {
        let _ = writeln!(out, "  {} ({}):", m.address, m.file);
        for c in &m.changes {
            let (sym, what) = match (&c.before, &c.after) {
                (Some(b), Some(a)) => ("~", format!("{b} -> {a}")),
                (Some(b), None) => ("-", b.to_string()),
                (None, Some(a)) => ("+", a.to_string()),
                (None, None) => continue,
            };
            let _ = write!(out, "    {} {} {what}", style.sym(sym), c.side.as_str());
            match &c.breaking {
                Some(why) => {
                    let _ = writeln!(out, "  {}: {why}", style.bold("breaking"));
                }
                None => out.push('\n'),
            }
        }
    }
    if plan.model_changes.iter().any(|m| m.is_breaking()) {
        out.push_str("Clients still sending the old requests will fail; `mlform check` reports this as MLF304.\n");
    }
    out.push('\n');
}
