//! Automatic rollback of a failed apply: once nothing is in flight, the changes this apply
//! finished are undone in the reverse of the order they finished (a valid reverse
//! dependency order, since a resource finishes only after what it depends on). Created
//! objects are deleted, objects updated in place are updated back to their prior values, and
//! a create-before-destroy replacement whose old object still exists gets the old one back
//! (the new one deleted). Each undo step is durable in the journal before the next starts,
//! so a run killed mid-rollback leaves a state the next apply plans from. What cannot be
//! undone (objects this apply destroyed, replacements whose old object is gone, undo steps
//! that fail) is reported by address with the reason. With rollback on, deletes that can
//! wait (objects leaving the configuration, old halves of create_before_destroy
//! replacements) run after every other change, so a failure before them leaves nothing
//! that cannot be undone.

use super::*;
use crate::state::history::RollbackRecord;

/// What one undo step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Created by this apply, deleted again.
    Deleted,
    /// Updated in place, updated back to its prior values.
    Restored,
    /// Replaced with create_before_destroy: the new object deleted, the old one current again.
    Reinstated,
}

/// The outcome of a rollback, in the order the steps ran.
#[derive(Debug, Clone, Default)]
pub struct RollbackReport {
    pub undone: Vec<(String, Undo)>,
    /// Changes left in place, by address, with why.
    pub left: Vec<(String, String)>,
}

impl RollbackReport {
    /// Whether every change of the apply was undone.
    pub fn complete(&self) -> bool {
        self.left.is_empty()
    }

    /// The counts by kind and the addresses left, as the state's history keeps them.
    pub fn record(&self) -> RollbackRecord {
        let count = |kind: Undo| self.undone.iter().filter(|(_, u)| *u == kind).count();
        RollbackRecord {
            deleted: count(Undo::Deleted),
            restored: count(Undo::Restored),
            reinstated: count(Undo::Reinstated),
            left: self.left.iter().map(|(a, _)| a.clone()).collect(),
        }
    }
}

/// With rollback on: makes every destroy node whose deletes can wait run after all resource
/// nodes, except those it must precede (a destroy-first replacement's create, through a
/// chain of destroys). Each edge is added only when the destroy cannot already reach the
/// resource, so no cycle can form.
pub(super) fn order_destroys_last(g: &mut Graph, plan: &Plan) {
    let mut destroy_first: HashSet<(Vec<String>, ResourceKey)> = HashSet::new();
    let mut deferrable: HashSet<(Vec<String>, ResourceKey)> = HashSet::new();
    for c in &plan.changes {
        let key = (
            crate::addr::config_path(&c.addr.module),
            c.addr.resource.clone(),
        );
        match c.action {
            Action::DeleteThenCreate => {
                destroy_first.insert(key);
            }
            Action::Delete | Action::CreateThenDelete => {
                deferrable.insert(key);
            }
            _ => {}
        }
    }
    let resources: Vec<NodeIndex> = g
        .index
        .iter()
        .filter(|((_, k), _)| matches!(k, NodeKind::Resource(_)))
        .map(|(_, i)| *i)
        .collect();
    let mut destroys: Vec<(String, NodeIndex)> = deferrable
        .into_iter()
        .filter(|k| !destroy_first.contains(k))
        .filter_map(|(m, r)| {
            let label = crate::addr::config_resource_addr(&m, &r);
            g.index.get(&(m, NodeKind::Destroy(r))).map(|i| (label, *i))
        })
        .collect();
    destroys.sort();
    for (_, d) in destroys {
        let mut reach = HashSet::new();
        let mut stack = vec![d];
        while let Some(n) = stack.pop() {
            if reach.insert(n) {
                stack.extend(g.dag.dependents(n));
            }
        }
        for &r in &resources {
            if !reach.contains(&r) {
                g.dag.edge(r, d);
            }
        }
    }
}

/// Whether two values are the same remote object: the same `id` (or no `id` to tell).
fn same_object(a: &Value, b: &Value) -> bool {
    match (a.get_attr("id").as_str(), b.get_attr("id").as_str()) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// What undoing one instance's change takes, from its state before the apply and now.
enum Step {
    Nothing,
    /// Created by this apply.
    Delete(InstanceState),
    /// Updated in place.
    Restore {
        was: InstanceState,
        now: InstanceState,
    },
    /// Replaced with create_before_destroy; the old object is still deposed.
    Reinstate {
        now: InstanceState,
        old: InstanceState,
    },
    /// Cannot be undone, and why.
    Stuck(&'static str),
}

impl Step {
    fn of(
        was: Option<&InstanceState>,
        now: Option<&InstanceState>,
        deposed: Option<&InstanceState>,
    ) -> Step {
        match (was, now, deposed) {
            (None, None, _) => Step::Nothing,
            (Some(_), None, _) => {
                Step::Stuck("destroyed by this apply; a destroyed object cannot be brought back")
            }
            (None, Some(now), _) => Step::Delete(now.clone()),
            (Some(_), Some(now), Some(old)) => Step::Reinstate {
                now: now.clone(),
                old: old.clone(),
            },
            (Some(was), Some(now), None) if was.value.same_data(&now.value) => Step::Nothing,
            (Some(was), Some(now), None) if same_object(&was.value, &now.value) => {
                Step::Restore {
                    was: was.clone(),
                    now: now.clone(),
                }
            }
            (Some(_), Some(_), None) => Step::Stuck(
                "replaced by this apply; the object it replaced was destroyed, so the new one is kept",
            ),
        }
    }
}

impl<'a> Walk<'a> {
    /// Undoes what this apply finished, back to `before` (the state the apply started from;
    /// objects updated in place go back to the refreshed values their change was planned on).
    pub(super) async fn roll_back(&self, before: &State) -> RollbackReport {
        let plan = self.plan.expect("apply has a plan");
        // Records that only brought a refreshed value into state are not changes.
        let changed = |addr: &InstanceAddr| {
            self.planned_change(plan, addr)
                .is_some_and(|c| !matches!(c.action, Action::NoOp | Action::Read))
        };
        let finished = self.finished.locked().clone();
        let mut seen = HashSet::new();
        let order: Vec<InstanceAddr> = finished
            .into_iter()
            .rev()
            .filter(|a| changed(a) && seen.insert(a.clone()))
            .collect();
        let mut report = RollbackReport::default();
        if order.is_empty() {
            return report;
        }
        // Each undo step touches only its own instance, so every step is decided up front.
        let steps: Vec<(InstanceAddr, Step)> = {
            let state = self.state.locked();
            order
                .into_iter()
                .map(|addr| {
                    let step = Step::of(
                        before.instances.get(&addr),
                        state.instances.get(&addr),
                        state.deposed.get(&addr),
                    );
                    (addr, step)
                })
                .collect()
        };
        // Dependents of a change that cannot be undone stay as they are too: putting them
        // back would point them at an object that no longer exists.
        let stuck: HashSet<String> = steps
            .iter()
            .filter(|(_, s)| matches!(s, Step::Stuck(_)))
            .map(|(a, _)| a.config_addr())
            .collect();
        self.reporter.event(Event::RollingBack {
            changes: steps.len(),
        });
        for (addr, step) in steps {
            let a = addr.to_string();
            let blocked_by = match &step {
                Step::Delete(now) | Step::Restore { now, .. } | Step::Reinstate { now, .. } => {
                    now.dependencies.iter().find(|d| stuck.contains(*d))
                }
                Step::Nothing | Step::Stuck(_) => None,
            };
            if let Some(dep) = blocked_by {
                report.left.push((
                    a,
                    format!("depends on {dep}, whose change could not be undone, so it keeps the new values"),
                ));
                continue;
            }
            let done = match step {
                Step::Nothing => continue,
                Step::Stuck(why) => {
                    report.left.push((a, why.into()));
                    continue;
                }
                Step::Delete(now) => self.undo_create(&addr, &now).await.map(|()| Undo::Deleted),
                Step::Reinstate { now, old } => self
                    .reinstate(&addr, &now, &old)
                    .await
                    .map(|()| Undo::Reinstated),
                Step::Restore { was, now } => {
                    // Back to what the object was when planned (refreshed), not to an older
                    // state value.
                    let planned_on = self
                        .planned_change(plan, &addr)
                        .and_then(|c| c.before.clone());
                    let was = InstanceState {
                        value: planned_on.unwrap_or(was.value),
                        ..was
                    };
                    self.restore(&addr, &was, &now)
                        .await
                        .map(|()| Undo::Restored)
                }
            };
            match done {
                Ok(undo) => report.undone.push((a, undo)),
                Err(reason) => report.left.push((a, reason)),
            }
        }
        report
    }

    fn impl_for(
        &self,
        addr: &InstanceAddr,
        instance: &InstanceState,
    ) -> Result<Arc<dyn Resource>, String> {
        let provider =
            crate::engine::parse_provider_state_string(&self.e.registry, &instance.provider)
                .ok_or_else(|| format!("its provider {} is unknown", instance.provider))?;
        let module = crate::addr::config_path(&addr.module);
        let res = self
            .resource_impl(&provider, &module, &addr.resource)
            .map_err(|d| d.summary.clone())?;
        Ok(self.instance_impl(&res, &module, &addr.resource, &addr.key))
    }

    /// Runs one provider call of the rollback with the apply's progress events.
    async fn undo_call<T, F, Fut>(
        &self,
        addr: &InstanceAddr,
        action: Action,
        id: Option<&str>,
        f: F,
    ) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let a = addr.to_string();
        self.reporter.event(Event::Started {
            addr: &a,
            action,
            id,
        });
        let started = Instant::now();
        match self.with_progress(&a, action, self.retry(&a, f)).await {
            Ok(v) => {
                self.reporter.event(Event::Finished {
                    addr: &a,
                    action,
                    elapsed: started.elapsed(),
                    id,
                });
                Ok(v)
            }
            Err(e) => {
                let msg = e.to_string();
                self.reporter.event(Event::Failed {
                    addr: &a,
                    action,
                    message: &msg,
                });
                Err(format!("undoing it failed: {msg}"))
            }
        }
    }

    async fn record(&self, record: Record) -> Result<(), String> {
        self.commit(&record)
            .await
            .map_err(|d| format!("{}: {}", d.summary, d.detail))
    }

    async fn undo_create(&self, addr: &InstanceAddr, now: &InstanceState) -> Result<(), String> {
        let res = self.impl_for(addr, now)?;
        let id = visible_id(&now.value);
        self.undo_call(addr, Action::Delete, id.as_deref(), || {
            res.delete(&now.value)
        })
        .await?;
        self.record(Record::Remove { addr: addr.clone() }).await
    }

    async fn restore(
        &self,
        addr: &InstanceAddr,
        was: &InstanceState,
        now: &InstanceState,
    ) -> Result<(), String> {
        let res = self.impl_for(addr, now)?;
        let id = visible_id(&now.value);
        let restored = self
            .undo_call(addr, Action::Update, id.as_deref(), || {
                res.update(&now.value, &was.value)
            })
            .await?;
        let value = restored.with_sensitive_paths(&was.value.sensitive_paths());
        self.record(Record::Put {
            addr: addr.clone(),
            instance: InstanceState {
                value,
                ..was.clone()
            },
        })
        .await
    }

    async fn reinstate(
        &self,
        addr: &InstanceAddr,
        now: &InstanceState,
        old: &InstanceState,
    ) -> Result<(), String> {
        let res = self.impl_for(addr, now)?;
        let id = visible_id(&now.value);
        self.undo_call(addr, Action::Delete, id.as_deref(), || {
            res.delete(&now.value)
        })
        .await?;
        self.record(Record::Put {
            addr: addr.clone(),
            instance: old.clone(),
        })
        .await?;
        self.record(Record::RemoveDeposed { addr: addr.clone() })
            .await
    }
}

/// The object's `id` for progress lines, unless it is sensitive.
fn visible_id(v: &Value) -> Option<String> {
    let id = v.get_attr("id");
    id.as_str()
        .filter(|_| !id.is_sensitive())
        .map(str::to_string)
}
