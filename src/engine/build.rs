//! Builds the run's dependency graph from the configuration tree and the prior state:
//! references and `depends_on` become edges, every managed resource gets a destroy step
//! ordered in reverse, orphans from state get destroy steps of their own, and
//! create_before_destroy (inherited by dependencies, as in Terraform) flips the order of a
//! replacement's two halves.

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::graph::NodeIndex;

use super::Registry;
use crate::addr::config_resource_addr;
use crate::config::{Mode, Module, ProviderRef, ResourceKey};
use crate::diag::{did_you_mean, Diagnostic, Span};
use crate::eval::refs::{body_refs, expr_refs, RefAt, Reference};
use crate::graph::Dag;
use crate::state::State;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Var(String),
    Local(String),
    Output(String),
    Call(String),
    Resource(ResourceKey),
    /// Deletes of a resource's instances: orphans, the old half of replacements, `-destroy`.
    Destroy(ResourceKey),
    Provider(ProviderRef),
    /// A `check` block: assertions that warn, never block.
    Check(String),
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Module config path (call names).
    pub module: Vec<String>,
    pub kind: NodeKind,
    pub span: Option<Span>,
}

impl Node {
    /// The configuration address, as shown in messages (`module.a.local.x`).
    pub fn label(&self) -> String {
        let prefix: String = self.module.iter().map(|m| format!("module.{m}.")).collect();
        match &self.kind {
            NodeKind::Var(n) => format!("{prefix}var.{n}"),
            NodeKind::Local(n) => format!("{prefix}local.{n}"),
            NodeKind::Output(n) => format!("{prefix}output.{n}"),
            NodeKind::Call(n) => format!("{prefix}module.{n}"),
            NodeKind::Resource(k) => format!("{prefix}{k}"),
            NodeKind::Destroy(k) => format!("{prefix}{k} (destroy)"),
            NodeKind::Provider(p) => format!("provider[\"{p}\"]"),
            NodeKind::Check(n) => format!("{prefix}check.{n}"),
        }
    }
}

/// The graph and what the walk needs to know about it.
pub struct Graph {
    pub dag: Dag<Node>,
    pub index: HashMap<(Vec<String>, NodeKind), NodeIndex>,
    /// Per resource node: configuration addresses of the resources it depends on.
    pub resource_deps: HashMap<NodeIndex, Vec<String>>,
    /// Resources that replace with create_before_destroy (declared or inherited).
    pub create_before_destroy: HashSet<NodeIndex>,
}

/// Builds the graph. Errors are configuration mistakes: undeclared references, unknown
/// resource types, cycles.
pub fn build_graph(
    config: &Module,
    state: &State,
    registry: &Registry,
) -> Result<Graph, Vec<Diagnostic>> {
    let mut g = Graph {
        dag: Dag::default(),
        index: HashMap::new(),
        resource_deps: HashMap::new(),
        create_before_destroy: HashSet::new(),
    };
    let mut diags = Vec::new();
    let mut providers_used: BTreeSet<ProviderRef> = BTreeSet::new();
    add_nodes(
        config,
        &mut Vec::new(),
        &mut g,
        &mut providers_used,
        registry,
        &mut diags,
    );

    // Orphans: resources in state whose block is gone.
    let mut orphan_deps: Vec<(NodeIndex, Vec<String>)> = Vec::new();
    let mut seen = HashSet::new();
    for (addr, inst) in &state.instances {
        let module = crate::addr::config_path(&addr.module);
        if addr.resource.mode == Mode::Data {
            continue;
        }
        let key = (module.clone(), NodeKind::Resource(addr.resource.clone()));
        if g.index.contains_key(&key) || !seen.insert(key.clone()) {
            continue;
        }
        let dkey = (module.clone(), NodeKind::Destroy(addr.resource.clone()));
        let i = g.dag.add(Node {
            module: module.clone(),
            kind: dkey.1.clone(),
            span: None,
        });
        g.index.insert(dkey, i);
        orphan_deps.push((i, inst.dependencies.clone()));
        match super::parse_provider_state_string(registry, &inst.provider) {
            Some(p) => {
                providers_used.insert(p);
            }
            None => diags.push(Diagnostic::error(
                "Invalid provider in state",
                format!(
                    "The state of {addr} names provider {:?}, which mlform does not know.",
                    inst.provider
                ),
            )),
        }
    }
    for addr in state.deposed.keys() {
        let module = crate::addr::config_path(&addr.module);
        let dkey = (module.clone(), NodeKind::Destroy(addr.resource.clone()));
        if !g.index.contains_key(&dkey) {
            let i = g.dag.add(Node {
                module,
                kind: dkey.1.clone(),
                span: None,
            });
            g.index.insert(dkey, i);
        }
    }

    for p in &providers_used {
        let i = g.dag.add(Node {
            module: vec![],
            kind: NodeKind::Provider(p.clone()),
            span: config
                .providers
                .iter()
                .find(|b| b.name == p.name && b.alias == p.alias)
                .and_then(|b| b.span.clone()),
        });
        g.index.insert((vec![], NodeKind::Provider(p.clone())), i);
    }

    add_edges(config, &mut Vec::new(), &mut g, registry, &mut diags);

    // Resource dependencies: nearest resource ancestors, through locals, variables and outputs.
    let mut memo: HashMap<NodeIndex, BTreeSet<NodeIndex>> = HashMap::new();
    let resource_nodes: Vec<NodeIndex> = g
        .dag
        .graph
        .node_indices()
        .filter(|i| matches!(g.dag.node(*i).kind, NodeKind::Resource(_)))
        .collect();
    let mut deps_of: HashMap<NodeIndex, BTreeSet<NodeIndex>> = HashMap::new();
    if g.dag.check_acyclic().is_ok() {
        for &r in &resource_nodes {
            let mut set = BTreeSet::new();
            for d in g.dag.dependencies(r).collect::<Vec<_>>() {
                set.extend(nearest_resources(&g.dag, d, &mut memo));
            }
            deps_of.insert(r, set);
        }
    }
    for (&r, deps) in &deps_of {
        let addrs = deps
            .iter()
            .filter_map(|d| match &g.dag.node(*d).kind {
                NodeKind::Resource(k) if k.mode == Mode::Managed => {
                    Some(config_resource_addr(&g.dag.node(*d).module, k))
                }
                _ => None,
            })
            .collect();
        g.resource_deps.insert(r, addrs);
    }

    // create_before_destroy, inherited by everything a create_before_destroy resource depends on.
    let mut stack: Vec<NodeIndex> = resource_nodes
        .iter()
        .copied()
        .filter(|i| {
            let n = g.dag.node(*i);
            matches!(&n.kind, NodeKind::Resource(k) if config.descendant(&n.module).and_then(|m| m.resources.get(k)).is_some_and(|r| r.lifecycle.create_before_destroy || registry.schema(&r.provider.name, k).is_some_and(|s| s.create_before_destroy)))
        })
        .collect();
    while let Some(i) = stack.pop() {
        if g.create_before_destroy.insert(i) {
            stack.extend(deps_of.get(&i).into_iter().flatten().copied());
        }
    }

    // Destroy ordering.
    let by_addr: HashMap<String, NodeIndex> = g
        .index
        .iter()
        .filter_map(|((m, k), i)| match k {
            NodeKind::Destroy(r) => Some((config_resource_addr(m, r), *i)),
            _ => None,
        })
        .collect();
    for &r in &resource_nodes {
        let node = g.dag.node(r).clone();
        let NodeKind::Resource(k) = &node.kind else {
            continue;
        };
        if k.mode == Mode::Data {
            continue;
        }
        let Some(&destroy) = g
            .index
            .get(&(node.module.clone(), NodeKind::Destroy(k.clone())))
        else {
            continue;
        };
        let cbd = g.create_before_destroy.contains(&r);
        if cbd {
            g.dag.edge(r, destroy);
        } else {
            g.dag.edge(destroy, r);
        }
        for dep in deps_of.get(&r).cloned().unwrap_or_default() {
            let dn = g.dag.node(dep).clone();
            let NodeKind::Resource(dk) = &dn.kind else {
                continue;
            };
            if dk.mode == Mode::Data {
                continue;
            }
            if let Some(&dep_destroy) = g
                .index
                .get(&(dn.module.clone(), NodeKind::Destroy(dk.clone())))
            {
                g.dag.edge(destroy, dep_destroy);
            }
        }
    }
    // As Terraform: the old object of a create_before_destroy replacement is destroyed after
    // everything that depends on it, directly or not, has moved to the new one.
    let mut dependents_of: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
    for (&r, deps) in &deps_of {
        for &d in deps {
            dependents_of.entry(d).or_default().push(r);
        }
    }
    let cbd: Vec<NodeIndex> = g.create_before_destroy.iter().copied().collect();
    for x in cbd {
        let node = g.dag.node(x).clone();
        let NodeKind::Resource(k) = &node.kind else {
            continue;
        };
        let Some(&destroy) = g
            .index
            .get(&(node.module.clone(), NodeKind::Destroy(k.clone())))
        else {
            continue;
        };
        let mut seen = HashSet::new();
        let mut stack = dependents_of.get(&x).cloned().unwrap_or_default();
        while let Some(r) = stack.pop() {
            if seen.insert(r) {
                g.dag.edge(r, destroy);
                stack.extend(dependents_of.get(&r).into_iter().flatten().copied());
            }
        }
    }
    for (orphan, deps) in orphan_deps {
        for d in deps {
            if let Some(&dep_destroy) = by_addr.get(&d) {
                g.dag.edge(orphan, dep_destroy);
            }
        }
    }
    // Every node using a provider waits for its configuration.
    let nodes: Vec<NodeIndex> = g.dag.graph.node_indices().collect();
    for i in nodes {
        let n = g.dag.node(i).clone();
        let provider = match &n.kind {
            NodeKind::Resource(k) => config
                .descendant(&n.module)
                .and_then(|m| m.resources.get(k))
                .map(|r| r.provider.clone()),
            NodeKind::Destroy(k) => config
                .descendant(&n.module)
                .and_then(|m| m.resources.get(k))
                .map(|r| r.provider.clone())
                .or_else(|| {
                    state
                        .instances
                        .iter()
                        .chain(state.deposed.iter())
                        .find(|(a, _)| {
                            &a.resource == k && crate::addr::config_path(&a.module) == n.module
                        })
                        .and_then(|(_, s)| {
                            super::parse_provider_state_string(registry, &s.provider)
                        })
                }),
            _ => None,
        };
        if let Some(p) = provider {
            if let Some(&pi) = g.index.get(&(vec![], NodeKind::Provider(p))) {
                g.dag.edge(pi, i);
            }
        }
    }

    if let Err(cycle) = g.dag.check_acyclic() {
        let names: Vec<String> = cycle.iter().map(|i| g.dag.node(*i).label()).collect();
        let span = cycle.iter().find_map(|i| g.dag.node(*i).span.clone());
        diags.push(
            Diagnostic::error("Cycle in configuration", format!("These objects depend on each other in a cycle: {}.", if names.is_empty() { "(unknown)".to_string() } else { format!("{} → {}", names.join(" → "), names[0]) }))
                .at(span)
                .hint("Break the cycle by removing one of the references, or by moving a shared value into a local or variable that does not depend on the others."),
        );
    }
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(g)
    }
}

fn nearest_resources(
    dag: &Dag<Node>,
    i: NodeIndex,
    memo: &mut HashMap<NodeIndex, BTreeSet<NodeIndex>>,
) -> BTreeSet<NodeIndex> {
    if matches!(dag.node(i).kind, NodeKind::Resource(_)) {
        return BTreeSet::from([i]);
    }
    if matches!(
        dag.node(i).kind,
        NodeKind::Provider(_) | NodeKind::Destroy(_)
    ) {
        return BTreeSet::new();
    }
    if let Some(s) = memo.get(&i) {
        return s.clone();
    }
    let mut set = BTreeSet::new();
    for d in dag.dependencies(i).collect::<Vec<_>>() {
        set.extend(nearest_resources(dag, d, memo));
    }
    memo.insert(i, set.clone());
    set
}

fn add_nodes(
    m: &Module,
    path: &mut Vec<String>,
    g: &mut Graph,
    providers: &mut BTreeSet<ProviderRef>,
    registry: &Registry,
    diags: &mut Vec<Diagnostic>,
) {
    let add = |g: &mut Graph, kind: NodeKind, span: Option<Span>| {
        let i = g.dag.add(Node {
            module: path.clone(),
            kind: kind.clone(),
            span,
        });
        g.index.insert((path.clone(), kind), i);
    };
    for (n, v) in &m.variables {
        add(g, NodeKind::Var(n.clone()), v.span.clone());
    }
    for (n, l) in &m.locals {
        add(g, NodeKind::Local(n.clone()), l.value.span());
    }
    for (n, o) in &m.outputs {
        add(g, NodeKind::Output(n.clone()), o.span.clone());
    }
    for (n, c) in &m.module_calls {
        add(g, NodeKind::Call(n.clone()), c.span.clone());
    }
    for c in &m.checks {
        add(g, NodeKind::Check(c.name.clone()), c.span.clone());
    }
    for (k, r) in &m.resources {
        match registry.get(&r.provider.name) {
            None => {
                diags.push(
                    Diagnostic::error("Unknown resource type", format!("The provider \"{}\" needed by {} \"{}\" is not available in this build of mlform.", r.provider.name, k.type_name, k.name))
                        .at(r.span.clone())
                        .hint(did_you_mean(&k.type_name, registry.type_names(k.mode).iter().map(String::as_str)).unwrap_or_else(|| format!("Known resource types: {}.", registry.type_names(k.mode).join(", ")))),
                );
                continue;
            }
            Some(_) if registry.schema(&r.provider.name, k).is_none() => {
                diags.push(
                    Diagnostic::error(
                        if k.mode == Mode::Data {
                            "Invalid data source"
                        } else {
                            "Invalid resource type"
                        },
                        format!(
                            "The provider \"{}\" does not support {} \"{}\".",
                            r.provider.name,
                            if k.mode == Mode::Data {
                                "data source"
                            } else {
                                "resource type"
                            },
                            k.type_name
                        ),
                    )
                    .at(r.span.clone())
                    .hint(
                        did_you_mean(
                            &k.type_name,
                            registry.type_names(k.mode).iter().map(String::as_str),
                        )
                        .unwrap_or_default(),
                    ),
                );
                continue;
            }
            Some(_) => {}
        }
        if r.provider.alias.is_some()
            && !m
                .providers
                .iter()
                .any(|p| p.name == r.provider.name && p.alias == r.provider.alias)
            && path.is_empty()
        {
            diags.push(
                Diagnostic::error(
                    "Provider configuration not present",
                    format!(
                        "{k} refers to provider configuration {}, which is not declared.",
                        r.provider
                    ),
                )
                .at(r.span.clone())
                .hint(format!(
                    "Add a `provider \"{}\" {{ alias = \"{}\" }}` block.",
                    r.provider.name,
                    r.provider.alias.clone().unwrap_or_default()
                )),
            );
        }
        providers.insert(r.provider.clone());
        add(g, NodeKind::Resource(k.clone()), r.span.clone());
        if k.mode == Mode::Managed {
            add(g, NodeKind::Destroy(k.clone()), r.span.clone());
        }
    }
    for (name, child) in &m.children {
        path.push(name.clone());
        add_nodes(child, path, g, providers, registry, diags);
        path.pop();
    }
}

fn ref_targets(
    m: &Module,
    path: &[String],
    r: &RefAt,
    g: &Graph,
    file: crate::diag::FileId,
    diags: &mut Vec<Diagnostic>,
) -> Vec<NodeIndex> {
    let span = r.range.clone().map(|range| Span { file, range });
    let p = path.to_vec();
    let lookup = |kind: NodeKind| g.index.get(&(p.clone(), kind)).copied();
    match &r.reference {
        Reference::Var(n) => match lookup(NodeKind::Var(n.clone())) {
            Some(i) => vec![i],
            None => {
                diags.push(
                    Diagnostic::error(
                        "Reference to undeclared input variable",
                        format!("An input variable with the name \"{n}\" has not been declared."),
                    )
                    .at(span)
                    .hint(
                        did_you_mean(n, m.variables.keys().map(String::as_str)).unwrap_or_else(
                            || format!("Declare it with a `variable \"{n}\" {{}}` block."),
                        ),
                    ),
                );
                vec![]
            }
        },
        Reference::Local(n) => match lookup(NodeKind::Local(n.clone())) {
            Some(i) => vec![i],
            None => {
                diags.push(
                    Diagnostic::error(
                        "Reference to undeclared local value",
                        format!("A local value with the name \"{n}\" has not been declared."),
                    )
                    .at(span)
                    .hint(did_you_mean(n, m.locals.keys().map(String::as_str)).unwrap_or_default()),
                );
                vec![]
            }
        },
        Reference::Module(call, out) => {
            let Some(child) = m.children.get(call) else {
                if !m.module_calls.contains_key(call) {
                    diags.push(
                        Diagnostic::error(
                            "Reference to undeclared module",
                            format!("No module call named \"{call}\" is declared in this module."),
                        )
                        .at(span)
                        .hint(
                            did_you_mean(call, m.module_calls.keys().map(String::as_str))
                                .unwrap_or_default(),
                        ),
                    );
                }
                return vec![];
            };
            let mut cp = p.clone();
            cp.push(call.clone());
            let mut out_nodes = vec![];
            match out {
                Some(o) if child.outputs.contains_key(o) => {
                    out_nodes.extend(g.index.get(&(cp, NodeKind::Output(o.clone()))).copied())
                }
                Some(o) => {
                    let keyed = m
                        .module_calls
                        .get(call)
                        .is_some_and(|c| c.count.is_some() || c.for_each.is_some());
                    if keyed {
                        out_nodes.extend(child.outputs.keys().filter_map(|o| {
                            g.index
                                .get(&(cp.clone(), NodeKind::Output(o.clone())))
                                .copied()
                        }));
                    } else {
                        diags.push(
                            Diagnostic::error(
                                "Unsupported attribute",
                                format!("Module \"{call}\" has no output named \"{o}\"."),
                            )
                            .at(span)
                            .hint(
                                did_you_mean(o, child.outputs.keys().map(String::as_str))
                                    .unwrap_or_else(|| {
                                        "Declare it with an output block in the module.".into()
                                    }),
                            ),
                        );
                    }
                }
                None => out_nodes.extend(child.outputs.keys().filter_map(|o| {
                    g.index
                        .get(&(cp.clone(), NodeKind::Output(o.clone())))
                        .copied()
                })),
            }
            // An output waits for its call; a reference to no output (a module without
            // any) still waits for the call's expansion.
            if out_nodes.is_empty() {
                out_nodes.extend(lookup(NodeKind::Call(call.clone())));
            }
            out_nodes
        }
        Reference::Resource(k) => match lookup(NodeKind::Resource(k.clone())) {
            Some(i) => vec![i],
            None if m.resources.contains_key(k) => vec![], // its type was rejected above
            None => {
                let candidates: Vec<String> = m
                    .resources
                    .keys()
                    .filter(|c| c.mode == k.mode)
                    .map(|c| c.to_string())
                    .collect();
                diags.push(
                    Diagnostic::error(
                        "Reference to undeclared resource",
                        format!(
                            "A {} \"{}\" \"{}\" has not been declared in {}.",
                            if k.mode == Mode::Data {
                                "data resource"
                            } else {
                                "managed resource"
                            },
                            k.type_name,
                            k.name,
                            if path.is_empty() {
                                "the root module".to_string()
                            } else {
                                format!("module.{}", path.join(".module."))
                            }
                        ),
                    )
                    .at(span)
                    .hint(
                        did_you_mean(&k.to_string(), candidates.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                "Check the resource type and name, or declare the resource.".into()
                            }),
                    ),
                );
                vec![]
            }
        },
    }
}

fn add_edges(
    m: &Module,
    path: &mut Vec<String>,
    g: &mut Graph,
    registry: &Registry,
    diags: &mut Vec<Diagnostic>,
) {
    if !path.is_empty() {
        for im in &m.imports {
            diags.push(
                Diagnostic::error(
                    "Invalid import configuration",
                    format!("An import block was found in module.{}. Import blocks are only allowed in the root module.", path.join(".module.")),
                )
                .at(im.span.clone())
                .hint("Move the block to the root module and give `to` the full address, such as module.NAME.TYPE.NAME."),
            );
        }
    }
    let mut pending: Vec<(NodeIndex, NodeIndex)> = Vec::new();
    let me = |g: &Graph, kind: NodeKind| g.index.get(&(path.clone(), kind)).copied();
    let connect = |g: &Graph,
                   node: Option<NodeIndex>,
                   refs: Vec<RefAt>,
                   file: crate::diag::FileId,
                   diags: &mut Vec<Diagnostic>,
                   pending: &mut Vec<(NodeIndex, NodeIndex)>| {
        let Some(node) = node else { return };
        for r in refs {
            check_attribute(m, &r, registry, file, diags);
            for t in ref_targets(m, path, &r, g, file, diags) {
                if t != node {
                    pending.push((t, node));
                } else if !matches!(g.dag.node(node).kind, NodeKind::Var(_)) {
                    diags.push(
                        Diagnostic::error(
                            "Self-referential block",
                            format!("{} refers to itself.", g.dag.node(node).label()),
                        )
                        .at(r.range.clone().map(|range| Span { file, range }))
                        .hint("Use `self` inside postconditions, or refer to another object."),
                    );
                }
            }
        }
    };
    for (n, v) in &m.variables {
        for c in &v.validations {
            let refs: Vec<RefAt> = expr_refs(&c.condition.expr)
                .into_iter()
                .chain(expr_refs(&c.error_message.expr))
                .filter(|r| r.reference != Reference::Var(n.clone()))
                .collect();
            connect(
                g,
                me(g, NodeKind::Var(n.clone())),
                refs,
                c.condition.file,
                diags,
                &mut pending,
            );
        }
    }
    for (n, l) in &m.locals {
        connect(
            g,
            me(g, NodeKind::Local(n.clone())),
            expr_refs(&l.value.expr),
            l.value.file,
            diags,
            &mut pending,
        );
    }
    for (n, o) in &m.outputs {
        let node = me(g, NodeKind::Output(n.clone()));
        connect(
            g,
            node,
            expr_refs(&o.value.expr),
            o.value.file,
            diags,
            &mut pending,
        );
        for c in &o.preconditions {
            connect(
                g,
                node,
                expr_refs(&c.condition.expr)
                    .into_iter()
                    .chain(expr_refs(&c.error_message.expr))
                    .collect(),
                c.condition.file,
                diags,
                &mut pending,
            );
        }
        for d in &o.depends_on {
            connect(g, node, expr_refs(&d.expr), d.file, diags, &mut pending);
            depends_on_modules(g, path, node, &d.expr, &mut pending);
        }
    }
    for (n, c) in &m.module_calls {
        let node = me(g, NodeKind::Call(n.clone()));
        // The call expands the module (count, for_each, depends_on); each input feeds only
        // the child's variable node, as in Terraform, so modules may read each other's
        // outputs without a cycle.
        for e in c
            .count
            .iter()
            .chain(c.for_each.iter())
            .chain(c.depends_on.iter())
        {
            connect(g, node, expr_refs(&e.expr), e.file, diags, &mut pending);
        }
        let mut cp = path.clone();
        cp.push(n.clone());
        for (input, e) in &c.inputs {
            let target = g
                .index
                .get(&(cp.clone(), NodeKind::Var(input.clone())))
                .copied()
                .or(node);
            connect(g, target, expr_refs(&e.expr), e.file, diags, &mut pending);
        }
        for e in &c.depends_on {
            depends_on_modules(g, path, node, &e.expr, &mut pending);
        }
    }
    for (k, r) in &m.resources {
        let node = me(g, NodeKind::Resource(k.clone()));
        let file = r.body.file;
        connect(g, node, body_refs(&r.body.body), file, diags, &mut pending);
        for e in r
            .count
            .iter()
            .chain(r.for_each.iter())
            .chain(r.depends_on.iter())
            .chain(r.lifecycle.replace_triggered_by.iter())
        {
            connect(g, node, expr_refs(&e.expr), e.file, diags, &mut pending);
        }
        for e in &r.depends_on {
            depends_on_modules(g, path, node, &e.expr, &mut pending);
        }
        for c in r
            .lifecycle
            .preconditions
            .iter()
            .chain(r.lifecycle.postconditions.iter())
        {
            connect(
                g,
                node,
                expr_refs(&c.condition.expr)
                    .into_iter()
                    .chain(expr_refs(&c.error_message.expr))
                    .collect(),
                c.condition.file,
                diags,
                &mut pending,
            );
        }
    }
    for c in &m.checks {
        let node = me(g, NodeKind::Check(c.name.clone()));
        for a in &c.asserts {
            connect(
                g,
                node,
                expr_refs(&a.condition.expr)
                    .into_iter()
                    .chain(expr_refs(&a.error_message.expr))
                    .collect(),
                a.condition.file,
                diags,
                &mut pending,
            );
        }
    }
    if path.is_empty() {
        for im in &m.imports {
            let (module, resource) = (&im.to.module, &im.to.resource);
            let cfg: Vec<String> = module.iter().map(|(n, _)| n.clone()).collect();
            let Some(node) = g
                .index
                .get(&(cfg, NodeKind::Resource(resource.clone())))
                .copied()
            else {
                diags.push(
                    Diagnostic::error(
                        "Configuration for import target does not exist",
                        format!("The configuration for the given import target {} does not exist. All target instances must have an associated configuration to be imported.", im.to),
                    )
                    .at(im.span.clone())
                    .hint(format!("Add a `resource \"{}\" \"{}\" {{}}` block, or run plan with -generate-config-out=FILE to have mlform write one.", resource.type_name, resource.name)),
                );
                continue;
            };
            let declared = m
                .descendant(&module.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
                .and_then(|d| d.resources.get(resource))
                .map(|r| r.provider.clone());
            if let (Some(wanted), Some(declared)) = (&im.provider, &declared) {
                if wanted != declared {
                    diags.push(
                        Diagnostic::error(
                            "Invalid import provider argument",
                            format!("The import block uses provider {wanted}, but {} uses provider {declared}; an object is imported with the provider its resource uses.", im.to),
                        )
                        .at(im.span.clone())
                        .hint(format!("Set `provider = {declared}` in the import block, or change the resource's provider.")),
                    );
                }
            }
            let refs: Vec<RefAt> = expr_refs(&im.id.expr)
                .into_iter()
                .chain(im.for_each.iter().flat_map(|e| expr_refs(&e.expr)))
                .chain(im.to_key.iter().flat_map(|e| expr_refs(&e.expr)))
                .collect();
            connect(g, Some(node), refs, im.id.file, diags, &mut pending);
        }
        for p in &m.providers {
            let node = g
                .index
                .get(&(
                    vec![],
                    NodeKind::Provider(crate::config::ProviderRef {
                        name: p.name.clone(),
                        alias: p.alias.clone(),
                    }),
                ))
                .copied();
            connect(
                g,
                node,
                body_refs(&p.body.body),
                p.body.file,
                diags,
                &mut pending,
            );
        }
    }
    for (a, b) in pending {
        g.dag.edge(a, b);
    }
    // A child module's nodes wait for the call that expands it. Its destroy steps do not:
    // they act on state, and ordering them after the call would tie the destroy order of
    // the module's resources to whatever feeds the call (a cycle Terraform does not have).
    for name in m.children.keys() {
        let Some(call) = me(g, NodeKind::Call(name.clone())) else {
            continue;
        };
        let mut cp = path.clone();
        cp.push(name.clone());
        let mut children: Vec<NodeIndex> = g
            .index
            .iter()
            .filter(|((p, kind), _)| p.starts_with(&cp) && !matches!(kind, NodeKind::Destroy(_)))
            .map(|(_, i)| *i)
            .collect();
        children.sort();
        for c in children {
            g.dag.edge(call, c);
        }
    }
    for (name, child) in &m.children {
        path.push(name.clone());
        add_edges(child, path, g, registry, diags);
        path.pop();
    }
}

/// `depends_on = [module.x]` waits for every resource of module x and its descendants, as in
/// Terraform, not only for the module's outputs.
fn depends_on_modules(
    g: &Graph,
    path: &[String],
    node: Option<NodeIndex>,
    expr: &hcl_edit::expr::Expression,
    pending: &mut Vec<(NodeIndex, NodeIndex)>,
) {
    let Some(node) = node else { return };
    for r in expr_refs(expr) {
        let Reference::Module(call, _) = &r.reference else {
            continue;
        };
        let mut cp = path.to_vec();
        cp.push(call.clone());
        let mut targets: Vec<NodeIndex> = g
            .index
            .iter()
            .filter(|((p, kind), _)| p.starts_with(&cp) && matches!(kind, NodeKind::Resource(_)))
            .map(|(_, i)| *i)
            .collect();
        targets.sort();
        pending.extend(
            targets
                .into_iter()
                .filter(|t| *t != node)
                .map(|t| (t, node)),
        );
    }
}

/// `aws_s3_bucket.data.arnn`: an attribute a resource's schema does not have is a mistake
/// validate reports, with the closest name, as Terraform does.
fn check_attribute(
    m: &Module,
    r: &RefAt,
    registry: &Registry,
    file: crate::diag::FileId,
    diags: &mut Vec<Diagnostic>,
) {
    let (Reference::Resource(k), Some(attr)) = (&r.reference, &r.attr) else {
        return;
    };
    let Some(rc) = m.resources.get(k) else {
        return;
    };
    // On a resource with count or for_each, a name right after the address is an instance key.
    let repeated = rc.count.is_some() || rc.for_each.is_some();
    if repeated != r.keyed {
        return;
    }
    let Some(schema) = registry.schema(&rc.provider.name, k) else {
        return;
    };
    if schema.attributes.contains_key(attr) || schema.blocks.contains_key(attr) {
        return;
    }
    let names = schema
        .attributes
        .keys()
        .chain(schema.blocks.keys())
        .map(String::as_str);
    diags.push(
        Diagnostic::error(
            "Unsupported attribute",
            format!("{k} has no argument, nested block, or exported attribute named \"{attr}\"."),
        )
        .at(r.range.clone().map(|range| Span { file, range }))
        .hint(did_you_mean(attr, names).unwrap_or_else(|| {
            format!(
                "The attributes of {} are listed in its provider's documentation.",
                k.type_name
            )
        })),
    );
}
