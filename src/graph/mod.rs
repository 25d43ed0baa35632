//! The dependency graph and its walker. [`Dag`] holds nodes and "must run before" edges,
//! reports cycles by naming them, and [`Dag::walk`] runs nodes as soon as their dependencies
//! finish, concurrently, stopping cleanly: after a fatal failure or an interrupt it starts
//! nothing new and waits for what is in flight.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{FuturesUnordered, StreamExt};
use petgraph::graph::{DiGraph, NodeIndex};

/// How a node's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The node failed; nodes that depend on it are skipped, others go on.
    Failed,
    /// The node failed and nothing new may start (apply stops at the first resource error).
    Fatal,
}

/// Summary of a walk.
#[derive(Debug, Default, Clone)]
pub struct WalkReport {
    pub failed: Vec<NodeIndex>,
    /// Nodes not run because a dependency failed or the walk was stopped.
    pub skipped: Vec<NodeIndex>,
    pub stopped: bool,
}

/// A directed acyclic graph of `N`, edges pointing from a dependency to its dependent.
pub struct Dag<N> {
    pub graph: DiGraph<N, ()>,
    /// Edges present, so adding one is O(1) (petgraph's find_edge scans a node's edges).
    edges: std::collections::HashSet<(NodeIndex, NodeIndex)>,
}

impl<N> Default for Dag<N> {
    fn default() -> Self {
        Dag {
            graph: DiGraph::new(),
            edges: std::collections::HashSet::new(),
        }
    }
}

impl<N> Dag<N> {
    pub fn add(&mut self, node: N) -> NodeIndex {
        self.graph.add_node(node)
    }

    /// `before` must finish before `after` starts.
    pub fn edge(&mut self, before: NodeIndex, after: NodeIndex) {
        if before != after && self.edges.insert((before, after)) {
            self.graph.add_edge(before, after, ());
        }
    }

    pub fn node(&self, i: NodeIndex) -> &N {
        &self.graph[i]
    }

    pub fn dependencies(&self, i: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .neighbors_directed(i, petgraph::Direction::Incoming)
    }

    pub fn dependents(&self, i: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .neighbors_directed(i, petgraph::Direction::Outgoing)
    }

    /// `Err` with the nodes of one cycle, in order, when the graph has a cycle.
    pub fn check_acyclic(&self) -> Result<(), Vec<NodeIndex>> {
        if petgraph::algo::toposort(&self.graph, None).is_ok() {
            return Ok(());
        }
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            if scc.len() > 1 {
                // The shortest cycle through the component's first node, so the reported path
                // is a real cycle and the same on every run.
                let members: std::collections::HashSet<_> = scc.iter().copied().collect();
                let start = *scc.iter().min().expect("non-empty component");
                let mut came_from: std::collections::HashMap<NodeIndex, NodeIndex> =
                    std::collections::HashMap::new();
                let mut queue = VecDeque::from([start]);
                while let Some(cur) = queue.pop_front() {
                    let mut next: Vec<NodeIndex> = self
                        .dependents(cur)
                        .filter(|n| members.contains(n))
                        .collect();
                    next.sort();
                    for n in next {
                        if n == start {
                            let mut cycle = vec![cur];
                            let mut at = cur;
                            while at != start {
                                at = came_from[&at];
                                cycle.push(at);
                            }
                            cycle.reverse();
                            return Err(cycle);
                        }
                        if let std::collections::hash_map::Entry::Vacant(e) = came_from.entry(n) {
                            e.insert(cur);
                            queue.push_back(n);
                        }
                    }
                }
                return Err(scc);
            }
        }
        Err(Vec::new())
    }

    /// Runs every node after its dependencies, concurrently. `run` returns the node's future;
    /// `stop` is checked before starting each node.
    pub async fn walk<F, Fut>(&self, stop: &AtomicBool, mut run: F) -> WalkReport
    where
        F: FnMut(NodeIndex) -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let n = self.graph.node_count();
        let mut waiting: Vec<usize> = (0..n)
            .map(|i| self.dependencies(NodeIndex::new(i)).count())
            .collect();
        let mut poisoned = vec![false; n];
        let mut ready: VecDeque<NodeIndex> = (0..n)
            .filter(|&i| waiting[i] == 0)
            .map(NodeIndex::new)
            .collect();
        let mut running = FuturesUnordered::new();
        let mut report = WalkReport::default();
        let mut halted = false;
        let mut finished = 0usize;
        loop {
            while let Some(i) = ready.pop_front() {
                if halted || stop.load(Ordering::SeqCst) {
                    halted = true;
                    report.stopped |= stop.load(Ordering::SeqCst);
                    report.skipped.push(i);
                    finished += 1;
                    continue;
                }
                if poisoned[i.index()] {
                    report.skipped.push(i);
                    finished += 1;
                    for d in self.dependents(i) {
                        poisoned[d.index()] = true;
                        waiting[d.index()] -= 1;
                        if waiting[d.index()] == 0 {
                            ready.push_back(d);
                        }
                    }
                    continue;
                }
                let fut = run(i);
                running.push(async move { (i, fut.await) });
            }
            let Some((i, outcome)) = running.next().await else {
                break;
            };
            finished += 1;
            match outcome {
                Outcome::Done => {}
                Outcome::Failed => report.failed.push(i),
                Outcome::Fatal => {
                    report.failed.push(i);
                    halted = true;
                }
            }
            for d in self.dependents(i) {
                if outcome != Outcome::Done {
                    poisoned[d.index()] = true;
                }
                waiting[d.index()] -= 1;
                if waiting[d.index()] == 0 {
                    ready.push_back(d);
                }
            }
        }
        // Nodes never made ready (their dependencies were skipped while halted).
        if finished < n {
            let seen: std::collections::HashSet<_> = report
                .failed
                .iter()
                .chain(&report.skipped)
                .copied()
                .collect();
            for i in 0..n {
                let idx = NodeIndex::new(i);
                if waiting[i] > 0 && !seen.contains(&idx) {
                    report.skipped.push(idx);
                }
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn walks_in_dependency_order_and_skips_dependents_of_failures() {
        let mut dag = Dag::default();
        let a = dag.add("a");
        let b = dag.add("b");
        let c = dag.add("c");
        let d = dag.add("d");
        dag.edge(a, b);
        dag.edge(b, c);
        dag.edge(a, d);
        let order = Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        let report = dag
            .walk(&stop, |i| {
                let name = *dag.node(i);
                order.lock().unwrap().push(name);
                async move {
                    if name == "b" {
                        Outcome::Failed
                    } else {
                        Outcome::Done
                    }
                }
            })
            .await;
        let order = order.into_inner().unwrap();
        assert_eq!(order[0], "a");
        assert!(!order.contains(&"c"));
        assert!(order.contains(&"d"));
        assert_eq!(report.skipped, vec![c]);
    }

    #[test]
    fn names_a_cycle() {
        let mut dag = Dag::default();
        let a = dag.add("a");
        let b = dag.add("b");
        let c = dag.add("c");
        dag.edge(a, b);
        dag.edge(b, c);
        dag.edge(c, a);
        let cycle = dag.check_acyclic().unwrap_err();
        assert_eq!(cycle.len(), 3);
    }
}
