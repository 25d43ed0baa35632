//! The plan as a pull-request comment in GitHub markdown: counts by action, replacements and
//! destroys called out first, a table of changes, then per team concern (data, security, ML)
//! each change in a collapsible diff with IAM changes spelled out as permissions, drift,
//! deferred resources and policy findings. Stays under GitHub's comment limit by dropping
//! details (with a note), never the summary.

use std::fmt::Write as _;

use crate::plan::{Action, Plan, ResourceChange};
use crate::render::human::{render_change, Style};
use crate::review::checks::{Concern, Finding, Severity};
use crate::review::permissions;

/// GitHub's limit on a comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

fn action_words(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update in place",
        Action::Delete => "destroy",
        Action::DeleteThenCreate => "replace (destroy first)",
        Action::CreateThenDelete => "replace (create first)",
        Action::Read => "read",
        Action::NoOp => "no change",
        Action::Forget => "forget (the object is kept)",
    }
}

/// Moves Terraform's change symbols to the first column so GitHub colours the diff block.
fn diff_block(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        // (mark in column 0, width of the symbol it replaces, the rest of the line)
        let (mark, width, rest) =
            if let Some(r) = trimmed.strip_prefix("-/+").or(trimmed.strip_prefix("+/-")) {
                ('!', 3, r)
            } else if let Some(r) = trimmed.strip_prefix('+') {
                ('+', 1, r)
            } else if let Some(r) = trimmed.strip_prefix('-') {
                ('-', 1, r)
            } else if let Some(r) = trimmed.strip_prefix('~') {
                ('!', 1, r)
            } else {
                (' ', 0, trimmed)
            };
        // The text after the symbol keeps its column.
        let pad = (indent + width).saturating_sub(1);
        let _ = writeln!(out, "{mark}{}{rest}", " ".repeat(pad));
    }
    out.replace("```", "`\u{200b}``")
}

fn is_replace(c: &ResourceChange) -> bool {
    matches!(
        c.action,
        Action::DeleteThenCreate | Action::CreateThenDelete
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders the comment; `limit` is the maximum length in characters.
pub fn render(plan: &Plan, findings: &[Finding], limit: usize) -> String {
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.previous_addr.is_some())
        .collect();
    let active: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    let (add, change, destroy) = plan.counts();

    let mut summary = String::new();
    let _ = writeln!(summary, "## mlform plan\n");
    let drift = plan.shown_drift();
    if changes.is_empty() && drift.is_empty() {
        let _ = writeln!(
            summary,
            "**No changes.** The infrastructure matches the configuration.\n"
        );
    } else {
        let _ = writeln!(
            summary,
            "**Plan: {add} to add, {change} to change, {destroy} to destroy.**\n"
        );
    }
    let mut counts = vec![];
    for (a, label) in [
        (Action::Create, "create"),
        (Action::Update, "update"),
        (Action::DeleteThenCreate, "replace"),
        (Action::Delete, "destroy"),
        (Action::Read, "read"),
        (Action::Forget, "forget"),
    ] {
        let n = changes
            .iter()
            .filter(|c| c.action == a || (a == Action::DeleteThenCreate && is_replace(c)))
            .count();
        if n > 0 {
            counts.push(format!("{label}: {n}"));
        }
    }
    let moved = changes.iter().filter(|c| c.previous_addr.is_some()).count();
    if moved > 0 {
        counts.push(format!("move: {moved}"));
    }
    if !counts.is_empty() {
        let _ = writeln!(summary, "{}\n", counts.join(" · "));
    }

    let replaced: Vec<&&ResourceChange> = changes.iter().filter(|c| is_replace(c)).collect();
    let destroyed: Vec<&&ResourceChange> = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .collect();
    if !replaced.is_empty() || !destroyed.is_empty() {
        let _ = writeln!(summary, "> [!CAUTION]");
        if !destroyed.is_empty() {
            let list: Vec<String> = destroyed.iter().map(|c| format!("`{}`", c.addr)).collect();
            let _ = writeln!(summary, "> **Destroyed:** {}  ", list.join(", "));
        }
        if !replaced.is_empty() {
            let list: Vec<String> = replaced
                .iter()
                .map(|c| match &c.reason {
                    Some(r) => format!("`{}` ({r})", c.addr),
                    None => format!("`{}`", c.addr),
                })
                .collect();
            let _ = writeln!(summary, "> **Replaced:** {}", list.join(", "));
        }
        summary.push('\n');
    }
    let rollout = plan.rollout_order();
    if let Some(order) = &rollout {
        let steps: Vec<String> = order
            .iter()
            .map(|c| format!("`{} {}`", c.action.symbol(), c.addr))
            .collect();
        let _ = writeln!(summary, "**Rollout order:** {}\n", steps.join(" → "));
    }
    for g in &plan.guards {
        let mut parts = Vec::new();
        let quoted = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !g.alarms.is_empty() {
            parts.push(format!("alarms {}", quoted(&g.alarms)));
        }
        if !g.auto_rollback_alarms.is_empty() {
            parts.push(format!(
                "blue/green rollback on {}",
                quoted(&g.auto_rollback_alarms)
            ));
        }
        if !g.gates.is_empty() {
            parts.push(format!("health gates {}", quoted(&g.gates)));
        }
        let guarded = if parts.is_empty() {
            "**unguarded**: no alarm watches it and no health gate is read after it".to_string()
        } else {
            parts.join("; ")
        };
        let _ = writeln!(summary, "**Guards** of `{}`: {guarded}\n", g.address);
    }
    for m in &plan.model_changes {
        let _ = writeln!(
            summary,
            "**Model signature changes** in `{}` (`{}`){}:\n",
            m.address,
            m.file,
            if m.is_breaking() { ", breaking" } else { "" }
        );
        for c in &m.changes {
            let what = match (&c.before, &c.after) {
                (Some(b), Some(a)) => format!("`{b}` → `{a}`"),
                (Some(b), None) => format!("removed `{b}`"),
                (None, Some(a)) => format!("added `{a}`"),
                (None, None) => continue,
            };
            let why = c
                .breaking
                .as_ref()
                .map(|w| format!(" — **breaking**: {w}"))
                .unwrap_or_default();
            let _ = writeln!(summary, "- {} {what}{why}", c.side.as_str());
        }
        summary.push('\n');
    }

    // Review routing: one line per concern with its counts.
    let concerns = [
        Concern::Data,
        Concern::Security,
        Concern::Ml,
        Concern::Other,
    ];
    let concern_of = |c: &ResourceChange| Concern::of_change(c);
    let routing: Vec<(Concern, usize, usize)> = concerns
        .iter()
        .map(|k| {
            (
                *k,
                changes.iter().filter(|c| concern_of(c) == *k).count(),
                active.iter().filter(|f| f.rule.concern == *k).count(),
            )
        })
        .filter(|(_, c, f)| c + f > 0)
        .collect();
    if !routing.is_empty() {
        let _ = writeln!(summary, "| Review | Changes | Findings |\n|---|---:|---:|");
        for (k, c, f) in &routing {
            let _ = writeln!(summary, "| {} | {c} | {f} |", k.title());
        }
        summary.push('\n');
    }

    if !active.is_empty() {
        let errors = active
            .iter()
            .filter(|f| f.rule.severity == Severity::Error)
            .count();
        let _ = writeln!(
            summary,
            "### Policy findings ({}, {})\n\n| Severity | Rule | Resource | Finding |\n|---|---|---|---|",
            plural(active.len(), "finding", "findings"),
            plural(errors, "error", "errors")
        );
        for f in &active {
            let _ = writeln!(
                summary,
                "| {} | `{}` {} | `{}` | {} |",
                f.rule.severity.as_str(),
                f.rule.id,
                f.rule.name,
                f.address,
                f.message.replace('|', "\\|")
            );
        }
        let suppressed = findings.len() - active.len();
        if suppressed > 0 {
            let _ = writeln!(
                summary,
                "\n{} suppressed with `mlform:ignore` and a reason.",
                plural(suppressed, "finding", "findings")
            );
        }
        summary.push('\n');
    }

    if !drift.is_empty() {
        let _ = writeln!(summary, "### Drift: changed outside mlform\n");
        for d in &drift {
            let what = if d.after.is_none() {
                "deleted"
            } else {
                "changed"
            };
            let _ = writeln!(summary, "- `{}` was {what} outside mlform", d.addr);
        }
        summary.push('\n');
    }
    if !plan.deferred.is_empty() {
        let _ = writeln!(summary, "### Deferred to a later plan\n");
        for d in &plan.deferred {
            let _ = writeln!(summary, "- `{}`: {}", d.addr, d.reason);
        }
        summary.push('\n');
    }

    // The table and details, per concern, replacements and destroys first within each.
    let rank = |c: &ResourceChange| match c.action {
        Action::Delete => 0,
        Action::DeleteThenCreate | Action::CreateThenDelete => 1,
        _ => 2,
    };
    let mut table = String::new();
    // (is a heading, text); headings are small and always kept.
    let mut details: Vec<(bool, String)> = Vec::new();
    if !changes.is_empty() {
        let _ = writeln!(
            table,
            "### Changes\n\n| | Resource | Action |\n|---|---|---|"
        );
    }
    for k in concerns {
        let mut group: Vec<&&ResourceChange> =
            changes.iter().filter(|c| concern_of(c) == k).collect();
        if group.is_empty() {
            continue;
        }
        // Destroys and replacements first; then in rollout order where there is one.
        let step = |c: &ResourceChange| {
            rollout
                .as_ref()
                .and_then(|o| o.iter().position(|x| std::ptr::eq(*x, c)))
                .unwrap_or(usize::MAX)
        };
        group.sort_by_key(|c| (rank(c), step(c)));
        for c in &group {
            let _ = writeln!(
                table,
                "| `{}` | `{}` | {} |",
                c.action.symbol(),
                c.addr,
                action_words(c.action)
            );
        }
        details.push((
            true,
            format!(
                "### {} — {}\n\n",
                k.title(),
                plural(group.len(), "change", "changes")
            ),
        ));
        for c in &group {
            let mut body = String::new();
            if let Some(p) = permissions::diff(c) {
                body.push_str("**Permissions**\n\n");
                for g in &p.gained {
                    let flag = if g.is_wildcard() {
                        " ⚠️ wildcard"
                    } else {
                        ""
                    };
                    let _ = writeln!(body, "- ➕ `{g}`{flag}");
                }
                for g in &p.lost {
                    let _ = writeln!(body, "- ➖ `{g}`");
                }
                for a in &p.attached {
                    let _ = writeln!(body, "- ➕ attaches `{a}`");
                }
                for a in &p.detached {
                    let _ = writeln!(body, "- ➖ detaches `{a}`");
                }
                body.push('\n');
            }
            let mut text = String::new();
            render_change(&mut text, c, Style { color: false });
            let _ = write!(body, "```diff\n{}```\n", diff_block(&text));
            details.push((
                false,
                format!(
                    "<details><summary><code>{} {}</code> {}</summary>\n\n{body}\n</details>\n\n",
                    c.action.symbol(),
                    c.addr,
                    action_words(c.action)
                ),
            ));
        }
    }

    let mut out = summary;
    out.push_str(&table);
    out.push('\n');
    let note_room = 300;
    let mut omitted = 0;
    for (heading, text) in details {
        if heading || out.len() + text.len() + note_room <= limit {
            out.push_str(&text);
        } else {
            omitted += 1;
        }
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "> [!NOTE]\n> Details of {} left out to stay under GitHub's comment limit; the summary above is complete. Run `mlform show PLANFILE` for the whole plan.",
            plural(omitted, "change", "changes")
        );
    }
    out
}
