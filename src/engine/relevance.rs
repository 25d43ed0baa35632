//! Relevant attributes: which resource attributes can affect what a plan changes, as
//! Terraform 1.2+ works them out to decide which drift to show. Starting from every
//! resource with a planned change and every changed root output, references are followed
//! through locals, module inputs and outputs, and the configurations of the resources they
//! reach; each resource attribute met on the way contributes.

use std::collections::BTreeSet;

use crate::addr::config_resource_addr;
use crate::config::Module;
use crate::eval::refs::{body_refs, expr_refs, RefAt, Reference};
use crate::plan::{Action, Plan, RelevantAttr};

/// A module by its configuration path (call names, no instance keys).
type ConfigPath = Vec<String>;

/// The attributes that contribute to `plan`'s changes, sorted and without repeats.
pub fn relevant_attributes(root: &Module, plan: &Plan) -> Vec<RelevantAttr> {
    let mut walk = Walk {
        root,
        seen: BTreeSet::new(),
        found: BTreeSet::new(),
        queue: Vec::new(),
    };
    for change in &plan.changes {
        if change.action == Action::NoOp {
            continue;
        }
        let path: ConfigPath = change.addr.module.iter().map(|(c, _)| c.clone()).collect();
        walk.follow_resource(&path, &change.addr.resource);
    }
    for output in &plan.outputs {
        if output.action == Action::NoOp {
            continue;
        }
        if let Some(o) = root.outputs.get(&output.name) {
            walk.push(&[], expr_refs(&o.value.expr));
        }
    }
    while let Some((path, r)) = walk.queue.pop() {
        walk.visit(path, r);
    }
    walk.found.into_iter().collect()
}

struct Walk<'a> {
    root: &'a Module,
    /// What has been expanded already: (module, reference).
    seen: BTreeSet<(ConfigPath, Reference)>,
    found: BTreeSet<RelevantAttr>,
    queue: Vec<(ConfigPath, RefAt)>,
}

impl Walk<'_> {
    fn push(&mut self, path: &[String], refs: Vec<RefAt>) {
        self.queue
            .extend(refs.into_iter().map(|r| (path.to_vec(), r)));
    }

    /// The references of a resource's configuration, once.
    fn follow_resource(&mut self, path: &[String], key: &crate::addr::ResourceKey) {
        if !self
            .seen
            .insert((path.to_vec(), Reference::Resource(key.clone())))
        {
            return;
        }
        let Some(rc) = self
            .root
            .descendant(path)
            .and_then(|m| m.resources.get(key))
        else {
            return;
        };
        let mut refs = body_refs(&rc.body.body);
        for e in rc.count.iter().chain(&rc.for_each).chain(&rc.depends_on) {
            refs.extend(expr_refs(&e.expr));
        }
        self.push(path, refs);
    }

    fn visit(&mut self, path: ConfigPath, r: RefAt) {
        let Some(m) = self.root.descendant(&path) else {
            return;
        };
        match &r.reference {
            Reference::Resource(key) => {
                let instance = r
                    .instance
                    .as_ref()
                    .map(|k| k.to_string())
                    .unwrap_or_default();
                self.found.insert(RelevantAttr {
                    resource: format!("{}{instance}", config_resource_addr(&path, key)),
                    attribute: r.path.clone(),
                });
                self.follow_resource(&path, key);
            }
            Reference::Local(name) => {
                if self.seen.insert((path.clone(), r.reference.clone())) {
                    if let Some(l) = m.locals.get(name) {
                        self.push(&path, expr_refs(&l.value.expr));
                    }
                }
            }
            Reference::Var(name) => {
                // A module's input is the calling module's argument expression.
                if let Some((call, parent)) = path.split_last() {
                    if self.seen.insert((path.clone(), r.reference.clone())) {
                        let arg = self
                            .root
                            .descendant(parent)
                            .and_then(|p| p.module_calls.get(call))
                            .and_then(|c| c.inputs.get(name));
                        if let Some(arg) = arg {
                            self.push(parent, expr_refs(&arg.expr));
                        }
                    }
                }
            }
            Reference::Module(call, output) => {
                if !self.seen.insert((path.clone(), r.reference.clone())) {
                    return;
                }
                let Some(child) = m.children.get(call) else {
                    return;
                };
                let mut child_path = path.clone();
                child_path.push(call.clone());
                let outputs: Vec<_> = match output {
                    Some(o) => child.outputs.get(o).into_iter().collect(),
                    None => child.outputs.values().collect(),
                };
                let refs: Vec<RefAt> = outputs
                    .into_iter()
                    .flat_map(|o| expr_refs(&o.value.expr))
                    .collect();
                self.push(&child_path, refs);
            }
        }
    }
}
