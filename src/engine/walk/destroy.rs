//! Destroy steps: planning deletes of orphans and of everything under `-destroy`, and
//! executing deletes, including the old half of replacements and deposed objects.

use super::*;

impl<'a> Walk<'a> {
    pub(super) async fn destroy_node(
        &self,
        i: NodeIndex,
        node: &Node,
        key: &ResourceKey,
    ) -> NodeResult {
        let in_config = self
            .e
            .config
            .descendant(&node.module)
            .is_some_and(|m| m.resources.contains_key(key));
        if self.targeted.as_ref().is_some_and(|t| !t.contains_key(&i)) {
            return Ok(());
        }
        match self.phase {
            Phase::Validate => Ok(()),
            Phase::Plan => {
                if self.opts.mode == PlanMode::RefreshOnly {
                    return Ok(());
                }
                let provider = self
                    .e
                    .config
                    .descendant(&node.module)
                    .and_then(|m| m.resources.get(key))
                    .map(|r| r.provider.clone())
                    .or_else(|| {
                        self.prior
                            .instances
                            .iter()
                            .chain(self.prior.deposed.iter())
                            .find(|(a, _)| {
                                &a.resource == key
                                    && crate::addr::config_path(&a.module) == node.module
                            })
                            .and_then(|(_, s)| {
                                crate::engine::parse_provider_state_string(
                                    &self.e.registry,
                                    &s.provider,
                                )
                            })
                    });
                let Some(provider) = provider else {
                    return Ok(());
                };
                let res = self.resource_impl(&provider, &node.module, key)?;
                let schema = res.schema();
                let mut diags = Vec::new();
                if !in_config || self.opts.mode == PlanMode::Destroy {
                    let prevent = self.opts.mode == PlanMode::Destroy
                        && self
                            .e
                            .config
                            .descendant(&node.module)
                            .and_then(|m| m.resources.get(key))
                            .is_some_and(|r| r.lifecycle.prevent_destroy);
                    let span = self
                        .e
                        .config
                        .descendant(&node.module)
                        .and_then(|m| m.resources.get(key))
                        .and_then(|r| r.span.clone());
                    let addrs: Vec<InstanceAddr> = self
                        .state_index
                        .get(&(node.module.clone(), key.clone()))
                        .into_iter()
                        .flatten()
                        .filter(|a| self.targets_instance(i, a))
                        .cloned()
                        .collect();
                    let destroy_mode = self.opts.mode == PlanMode::Destroy;
                    self.plan_deletes(
                        &addrs,
                        &res,
                        &schema,
                        prevent,
                        span,
                        |a| {
                            if destroy_mode {
                                String::new()
                            } else {
                                format!("{} is not in configuration", a.resource_addr())
                            }
                        },
                        &mut diags,
                    )
                    .await;
                }
                let deposed: Vec<(InstanceAddr, InstanceState)> = self
                    .prior
                    .deposed
                    .iter()
                    .filter(|(a, _)| {
                        &a.resource == key && crate::addr::config_path(&a.module) == node.module
                    })
                    .map(|(a, s)| (a.clone(), s.clone()))
                    .collect();
                for (a, s) in deposed {
                    self.out.locked().changes.push(ResourceChange { previous_addr: None,
 importing: None,
 blocks: Default::default(), addr: a, deposed: true, action: Action::Delete, before: Some(s.value.clone()), after: None, requires_replace: vec![], reason: Some("deposed object left by an interrupted create_before_destroy replacement".into()), provider: s.provider.clone(), dependencies: s.dependencies.clone(), create_before_destroy: true });
                }
                if diags.is_empty() {
                    Ok(())
                } else {
                    Err(diags.into())
                }
            }
            Phase::Apply => {
                let plan = self.plan.expect("apply has a plan");
                let deletes: Vec<&ResourceChange> = self
                    .plan_by_resource
                    .get(&(node.module.clone(), key.clone()))
                    .into_iter()
                    .flatten()
                    .map(|i| &plan.changes[*i])
                    .filter(|c| {
                        matches!(
                            c.action,
                            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
                        )
                    })
                    .collect();
                if deletes.is_empty() {
                    return Ok(());
                }
                let provider = deletes
                    .iter()
                    .find_map(|c| {
                        crate::engine::parse_provider_state_string(&self.e.registry, &c.provider)
                    })
                    .unwrap_or(ProviderRef {
                        name: key
                            .type_name
                            .split('_')
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        alias: None,
                    });
                let res = self
                    .resource_impl(&provider, &node.module, key)
                    .map_err(|d| Fail::Fatal(vec![d]))?;
                let results = futures_util::future::join_all(deletes.into_iter().map(|c| {
                    let res = self.instance_impl(&res, &node.module, key, &c.addr.key);
                    async move {
                        if self.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
                            return Err(None);
                        }
                        let _permit = self.sem.acquire().await.expect("semaphore");
                        let deposed = c.deposed || c.action == Action::CreateThenDelete;
                        let before = if c.action == Action::CreateThenDelete {
                            match self.state.locked().deposed.get(&c.addr).cloned() {
                                Some(s) => s.value,
                                None => return Ok(()),
                            }
                        } else {
                            c.before.clone().unwrap_or(Value::Null)
                        };
                        let a = if deposed {
                            format!("{} (deposed object)", c.addr)
                        } else {
                            c.addr.to_string()
                        };
                        let id = before
                            .get_attr("id")
                            .as_str()
                            .filter(|_| !before.get_attr("id").is_sensitive())
                            .map(str::to_string);
                        self.reporter.event(Event::Started {
                            addr: &a,
                            action: Action::Delete,
                            id: id.as_deref(),
                        });
                        let started = Instant::now();
                        match self
                            .with_progress(
                                &a,
                                Action::Delete,
                                self.retry(&a, || res.delete(&before)),
                            )
                            .await
                        {
                            Ok(()) => {
                                let record = if deposed {
                                    Record::RemoveDeposed {
                                        addr: c.addr.clone(),
                                    }
                                } else {
                                    Record::Remove {
                                        addr: c.addr.clone(),
                                    }
                                };
                                self.commit(&record).await.map_err(Some)?;
                                self.reporter.event(Event::Finished {
                                    addr: &a,
                                    action: Action::Delete,
                                    elapsed: started.elapsed(),
                                    id: None,
                                });
                                self.out.locked().counts.destroyed += 1;
                                Ok(())
                            }
                            Err(e) => {
                                let msg = e.to_string();
                                self.reporter.event(Event::Failed {
                                    addr: &a,
                                    action: Action::Delete,
                                    message: &msg,
                                });
                                self.failed.store(true, Ordering::SeqCst);
                                Err(Some(Diagnostic::error(format!("Error deleting {a}"), msg)))
                            }
                        }
                    }
                }))
                .await;
                let diags: Vec<Diagnostic> = results
                    .into_iter()
                    .filter_map(|r| r.err().flatten())
                    .collect();
                if !diags.is_empty()
                    || self.failed.load(Ordering::SeqCst)
                    || self.stop.load(Ordering::SeqCst)
                {
                    return Err(Fail::Fatal(diags));
                }
                Ok(())
            }
        }
    }
}
