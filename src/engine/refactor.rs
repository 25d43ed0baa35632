//! Refactoring before a run: `moved` blocks give objects in the prior state their new
//! addresses, and `removed` blocks say which objects leave management and whether they are
//! destroyed. Both act on state only, before the graph is built, so the walk sees the state
//! as if the objects had always had their new addresses.

use std::collections::BTreeMap;

use crate::addr::{InstanceAddr, ModulePath, Target};
use crate::config::{Module, Moved, Removed};
use crate::diag::Diagnostic;
use crate::state::{Record, State};

/// What applying the `moved` statements did to a state.
#[derive(Default)]
pub struct Moves {
    /// New address → the address the object had in the prior state.
    pub previous: BTreeMap<InstanceAddr, InstanceAddr>,
    /// The state records that make the moves durable, in order.
    pub records: Vec<Record>,
    pub diags: Vec<Diagnostic>,
}

fn statements<'m, T>(
    m: &'m Module,
    path: &mut Vec<String>,
    pick: fn(&Module) -> &Vec<T>,
    out: &mut Vec<(Vec<String>, &'m T)>,
) {
    for s in pick(m) {
        out.push((path.clone(), s));
    }
    for (name, child) in &m.children {
        path.push(name.clone());
        statements(child, path, pick, out);
        path.pop();
    }
}

/// `addr` relative to the module instance `declared_in` (a config path), or `None` when the
/// address lies outside it. Returns the module instance prefix and the relative address.
fn relative(declared_in: &[String], addr: &InstanceAddr) -> Option<(ModulePath, InstanceAddr)> {
    if addr.module.len() < declared_in.len()
        || addr
            .module
            .iter()
            .zip(declared_in)
            .any(|((n, _), d)| n != d)
    {
        return None;
    }
    let (prefix, rest) = addr.module.split_at(declared_in.len());
    Some((
        prefix.to_vec(),
        InstanceAddr {
            module: rest.to_vec(),
            resource: addr.resource.clone(),
            key: addr.key.clone(),
        },
    ))
}

/// Where a `moved` statement sends one (relative) address, if it applies.
fn destination(from: &Target, to: &Target, rel: &InstanceAddr) -> Option<InstanceAddr> {
    match (from, to) {
        (Target::Instance(f), Target::Instance(t)) => (f == rel).then(|| t.clone()),
        (Target::Resource(fm, fr), Target::Resource(tm, tr)) => {
            (fm == &rel.module && fr == &rel.resource).then(|| InstanceAddr {
                module: tm.clone(),
                resource: tr.clone(),
                key: rel.key.clone(),
            })
        }
        (Target::Module(fm), Target::Module(tm)) => {
            let n = fm.len();
            if rel.module.len() < n || rel.module[..n - 1] != fm[..n - 1] {
                return None;
            }
            let (f_name, f_key) = &fm[n - 1];
            let (name, key) = &rel.module[n - 1];
            if name != f_name || (f_key.is_some() && f_key != key) {
                return None;
            }
            let mut module = tm.clone();
            if f_key.is_none() {
                // A whole module call moves with its instance keys.
                if let Some(last) = module.last_mut() {
                    if last.1.is_none() {
                        last.1 = key.clone();
                    }
                }
            }
            module.extend(rel.module[n..].iter().cloned());
            Some(InstanceAddr {
                module,
                resource: rel.resource.clone(),
                key: rel.key.clone(),
            })
        }
        _ => None,
    }
}

fn with_prefix(prefix: &ModulePath, rel: InstanceAddr) -> InstanceAddr {
    let mut module = prefix.clone();
    module.extend(rel.module);
    InstanceAddr {
        module,
        resource: rel.resource,
        key: rel.key,
    }
}

/// Whether the configuration has any `moved` statement (so the state needs a copy to move in).
pub fn has_moves(config: &Module) -> bool {
    !config.moved.is_empty() || config.children.values().any(has_moves)
}

/// Applies every `moved` statement of the configuration to `state`. Chains (`a` → `b`,
/// `b` → `c`) resolve in any declaration order; a move whose destination already holds an
/// object is not made, with a warning.
pub fn apply_moves(config: &Module, state: &mut State) -> Moves {
    let mut stmts: Vec<(Vec<String>, &Moved)> = Vec::new();
    statements(config, &mut Vec::new(), |m| &m.moved, &mut stmts);
    let mut moves = Moves {
        previous: BTreeMap::new(),
        records: Vec::new(),
        diags: Vec::new(),
    };
    for (path, m) in &stmts {
        if let Some(d) = still_declared(config, path, m) {
            moves.diags.push(d);
        }
    }
    if moves.diags.iter().any(Diagnostic::is_error) {
        return moves;
    }
    // Each pass moves what it can; a chain of n statements settles in at most n passes.
    for _ in 0..=stmts.len() {
        let mut moved_any = false;
        for (path, m) in &stmts {
            let addrs: Vec<InstanceAddr> = state
                .instances
                .keys()
                .chain(state.deposed.keys())
                .cloned()
                .collect();
            for addr in addrs {
                let Some((prefix, rel)) = relative(path, &addr) else {
                    continue;
                };
                let Some(dest) = destination(&m.from, &m.to, &rel) else {
                    continue;
                };
                let dest = with_prefix(&prefix, dest);
                if state.instances.contains_key(&dest) {
                    moves.diags.push(
                        Diagnostic::warning(
                            "Object already exists at the move destination",
                            format!("The statement moving {} to {} was not applied to {addr}: {dest} already has an object in state.", m.from, m.to),
                        )
                        .at(m.span.clone())
                        .hint(format!("Remove one of the two objects (mlform state rm {dest}) if the move should happen.")),
                    );
                    continue;
                }
                if let Some(inst) = state.instances.remove(&addr) {
                    moves.records.push(Record::Remove { addr: addr.clone() });
                    moves.records.push(Record::Put {
                        addr: dest.clone(),
                        instance: inst.clone(),
                    });
                    state.instances.insert(dest.clone(), inst);
                }
                if let Some(inst) = state.deposed.remove(&addr) {
                    moves
                        .records
                        .push(Record::RemoveDeposed { addr: addr.clone() });
                    moves.records.push(Record::Depose {
                        addr: dest.clone(),
                        instance: inst.clone(),
                    });
                    state.deposed.insert(dest.clone(), inst);
                }
                let origin = moves.previous.remove(&addr).unwrap_or(addr);
                moves.previous.insert(dest, origin);
                moved_any = true;
            }
        }
        if !moved_any {
            break;
        }
    }
    moves
}

/// A whole resource or module call cannot move away while its block is still declared.
fn still_declared(config: &Module, path: &[String], m: &Moved) -> Option<Diagnostic> {
    let module = config.descendant(path)?;
    let declared = match &m.from {
        Target::Resource(fm, fr) => {
            let mut p: Vec<String> = path.to_vec();
            p.extend(fm.iter().map(|(n, _)| n.clone()));
            config
                .descendant(&p)
                .is_some_and(|d| d.resources.contains_key(fr))
        }
        Target::Module(fm) if fm.len() == 1 && fm[0].1.is_none() => {
            module.module_calls.contains_key(&fm[0].0)
        }
        _ => false,
    };
    declared.then(|| {
        Diagnostic::error(
            "Moved object still exists",
            format!("This statement declares a move from {}, but that {} is still declared in the configuration.", m.from, if matches!(m.from, Target::Module(_)) { "module call" } else { "resource" }),
        )
        .at(m.span.clone())
        .hint("Change the block's name to the new address, or remove the moved block.")
    })
}

/// One `removed` statement that matches an object in state.
pub struct Removal {
    pub destroy: bool,
}

/// Which state objects `removed` blocks cover, and errors for blocks whose resource or
/// module is still declared.
pub fn removals(
    config: &Module,
    state: &State,
) -> (BTreeMap<InstanceAddr, Removal>, Vec<Diagnostic>) {
    let mut stmts: Vec<(Vec<String>, &Removed)> = Vec::new();
    statements(config, &mut Vec::new(), |m| &m.removed, &mut stmts);
    let mut out = BTreeMap::new();
    let mut diags = Vec::new();
    for (path, r) in stmts {
        let mut cfg_path: Vec<String> = path.clone();
        let declared = match &r.from {
            Target::Resource(m, res) => {
                cfg_path.extend(m.iter().map(|(n, _)| n.clone()));
                config
                    .descendant(&cfg_path)
                    .is_some_and(|d| d.resources.contains_key(res))
            }
            Target::Module(m) => {
                cfg_path.extend(m.iter().map(|(n, _)| n.clone()));
                config.descendant(&cfg_path).is_some()
            }
            Target::Instance(_) => false,
        };
        if declared {
            diags.push(
                Diagnostic::error(
                    "Removed object still exists",
                    format!("This removed block refers to {}, which is still declared in the configuration.", r.from),
                )
                .at(r.span.clone())
                .hint("Remove the resource or module block, or remove this removed block."),
            );
            continue;
        }
        for addr in state.instances.keys().chain(state.deposed.keys()) {
            let Some((_, rel)) = relative(&path, addr) else {
                continue;
            };
            let hit = match &r.from {
                Target::Resource(m, res) => {
                    rel.resource == *res
                        && rel.module.len() == m.len()
                        && rel.module.iter().zip(m).all(|((a, _), (b, _))| a == b)
                }
                Target::Module(m) => {
                    rel.module.len() >= m.len()
                        && rel.module.iter().zip(m).all(|((a, _), (b, _))| a == b)
                }
                Target::Instance(_) => false,
            };
            if hit {
                out.insert(addr.clone(), Removal { destroy: r.destroy });
            }
        }
    }
    (out, diags)
}
