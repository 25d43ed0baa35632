//! Automatic rollback of a failed apply: once nothing is in flight, the changes this apply
//! finished are undone in the reverse of the order they finished (a valid reverse
//! dependency order, since a resource finishes only after what it depends on). Created
//! objects are deleted, objects updated in place are updated back to their prior values, and
//! a create-before-destroy replacement whose old object still exists gets the old one back
//! (the new one deleted). Each undo step is durable in the journal before the next starts,
//! so a run killed mid-rollback leaves a state the next apply plans from. What cannot be
//! undone (objects this apply destroyed, replacements whose old object is gone, undo steps
//! that fail) is reported by address with the reason.

use super::*;

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
}

/// Whether two values are the same remote object: the same `id` (or no `id` to tell).
fn same_object(a: &Value, b: &Value) -> bool {
    match (a.get_attr("id").as_str(), b.get_attr("id").as_str()) {
        (Some(x), Some(y)) => x == y,
        _ => true,
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
        // Changes that cannot be undone, known before anything runs: an object this apply
        // destroyed, or replaced with its old object gone. Their dependents stay as they
        // are too: putting them back would point them at an object that no longer exists.
        let stuck: HashSet<String> = {
            let state = self.state.locked();
            order
                .iter()
                .filter(|a| {
                    let was = before.instances.get(*a);
                    let now = state.instances.get(*a);
                    match (was, now) {
                        (Some(_), None) => true,
                        (Some(w), Some(n)) => {
                            !state.deposed.contains_key(*a) && !same_object(&w.value, &n.value)
                        }
                        _ => false,
                    }
                })
                .map(|a| a.config_addr())
                .collect()
        };
        self.reporter.event(Event::RollingBack {
            changes: order.len(),
        });
        for addr in order {
            let Some(change) = self.planned_change(plan, &addr) else {
                continue;
            };
            let a = addr.to_string();
            let (now, deposed) = {
                let state = self.state.locked();
                (
                    state.instances.get(&addr).cloned(),
                    state.deposed.get(&addr).cloned(),
                )
            };
            let was = before.instances.get(&addr);
            if let Some(dep) = now
                .as_ref()
                .and_then(|n| n.dependencies.iter().find(|d| stuck.contains(*d)))
            {
                if !stuck.contains(&addr.config_addr()) {
                    report.left.push((
                        a,
                        format!("depends on {dep}, whose change could not be undone, so it keeps the new values"),
                    ));
                    continue;
                }
            }
            let step = match (was, now) {
                (None, None) => continue,
                (Some(_), None) => {
                    report.left.push((
                        a,
                        "destroyed by this apply; a destroyed object cannot be brought back".into(),
                    ));
                    continue;
                }
                (None, Some(now)) => self.undo_create(&addr, &now).await.map(|()| Undo::Deleted),
                (Some(was), Some(now)) => {
                    if was.value.same_data(&now.value) && deposed.is_none() {
                        continue;
                    }
                    match deposed {
                        Some(old) => self
                            .reinstate(&addr, &now, &old)
                            .await
                            .map(|()| Undo::Reinstated),
                        None if same_object(&was.value, &now.value) => {
                            // Back to what the object was when planned (refreshed), not to
                            // an older state value.
                            let before = InstanceState {
                                value: change.before.clone().unwrap_or_else(|| was.value.clone()),
                                ..was.clone()
                            };
                            self.restore(&addr, &before, &now)
                                .await
                                .map(|()| Undo::Restored)
                        }
                        None => {
                            report.left.push((a, "replaced by this apply; the object it replaced was destroyed, so the new one is kept".into()));
                            continue;
                        }
                    }
                }
            };
            match step {
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
