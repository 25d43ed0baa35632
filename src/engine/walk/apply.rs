//! Executing a resource's planned changes: create, update and the create half of
//! replacements, each made durable in the journal before it counts as done.

use super::*;

impl<'a> Walk<'a> {
    pub(super) async fn apply_resource(
        &self,
        i: NodeIndex,
        node: &Node,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        let plan = self.plan.expect("apply has a plan");
        let _ = node;
        for mi in mis {
            let addr_prefix = format!("{}{key}", prefix(mi));
            if self.plan_deferred.contains(&addr_prefix) {
                self.deferred.locked().insert(i, addr_prefix);
                self.keep_state_values(mi, key);
                continue;
            }
            let expanded = {
                let values = self.values.locked();
                self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())
                    .map_err(|d| Fail::Fatal(vec![d]))?
            };
            let Expanded::Keys(expansion, keys) = expanded else {
                self.keep_state_values(mi, key);
                continue;
            };
            if key.mode == Mode::Data {
                self.apply_data(mi, m, key, schema, expansion, keys, plan)
                    .await?;
                continue;
            }
            let res = self
                .resource_impl(&rc.provider, &crate::addr::config_path(mi), key)
                .map_err(|d| Fail::Fatal(vec![d]))?;
            let mut inst_values = Instances::new(expansion);
            let mut jobs = Vec::new();
            for (k, each_value) in keys {
                let addr = InstanceAddr {
                    module: mi.clone(),
                    resource: key.clone(),
                    key: k.clone(),
                };
                let current = self.state.locked().instances.get(&addr).cloned();
                let Some(change) = self.planned_change(plan, &addr) else {
                    if let Some(c) = current {
                        inst_values.values.insert(k, c.value);
                    }
                    continue;
                };
                match change.action {
                    Action::NoOp | Action::Read | Action::Delete => {
                        let v = change
                            .before
                            .clone()
                            .or(current.as_ref().map(|c| c.value.clone()))
                            .unwrap_or(Value::Null);
                        if let Some(c) = &current {
                            if !c.value.same_data(&v) && change.action == Action::NoOp {
                                let record = Record::Put {
                                    addr: addr.clone(),
                                    instance: InstanceState {
                                        value: v.clone(),
                                        ..c.clone()
                                    },
                                };
                                self.commit(&record)
                                    .await
                                    .map_err(|d| Fail::Fatal(vec![d]))?;
                            }
                        }
                        inst_values.values.insert(k, v);
                        continue;
                    }
                    _ => {}
                }
                let (count, each) = self.instance_keys(&k, each_value);
                // Update from the refreshed object the plan was made against, not the older state.
                let prior = if change.action == Action::Update {
                    change
                        .before
                        .clone()
                        .or_else(|| current.as_ref().map(|c| c.value.clone()))
                } else {
                    None
                };
                let final_planned = {
                    let values = self.values.locked();
                    let scope = self.scope(&values, mi, m, count, each.clone());
                    let mut ev = Evaluator::new(&scope, rc.body.file);
                    let config = eval_body(
                        &mut ev,
                        rc.body.file,
                        &rc.body.body,
                        schema,
                        &addr.to_string(),
                        rc.span.clone(),
                    )
                    .map_err(Fail::Fatal)?;
                    let config = match &prior {
                        Some(p) => apply_ignore_changes(config, p, &rc.lifecycle.ignore_changes),
                        None => config,
                    };
                    let planned = res
                        .plan(PlanRequest {
                            prior: prior.as_ref(),
                            config: &config,
                        })
                        .map_err(|e| {
                            Fail::Fatal(vec![Diagnostic::error(
                                "Provider produced an invalid plan",
                                format!("{addr}: {e}"),
                            )])
                        })?;
                    mark_schema_sensitive(planned.state, schema)
                };
                if let Some(attr) = inconsistent(
                    change.after.as_ref().unwrap_or(&Value::Null),
                    &final_planned,
                ) {
                    return Err(Fail::Fatal(vec![Diagnostic::error("Inconsistent final plan", format!("When applying {addr}, the planned value of \"{attr}\" changed from what the saved plan recorded. Nothing was changed for this resource; run plan again."))]));
                }
                jobs.push((
                    addr,
                    change.clone(),
                    prior,
                    final_planned,
                    current,
                    (count, each),
                ));
            }
            let deps = self.g.resource_deps.get(&i).cloned().unwrap_or_default();
            let provider_string = provider_state_string(&self.e.registry, &rc.provider);
            let results = futures_util::future::join_all(jobs.into_iter().map(
                |(addr, change, prior, planned, current, (count, each))| {
                    let res =
                        self.instance_impl(&res, &crate::addr::config_path(mi), key, &addr.key);
                    let deps = deps.clone();
                    let provider_string = provider_string.clone();
                    async move {
                        if self.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
                            return (addr, Err(None));
                        }
                        let _permit = self.sem.acquire().await.expect("semaphore");
                        if self.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
                            return (addr, Err(None));
                        }
                        if change.action == Action::CreateThenDelete {
                            if let Some(c) = &current {
                                if let Err(d) = self
                                    .commit(&Record::Depose {
                                        addr: addr.clone(),
                                        instance: c.clone(),
                                    })
                                    .await
                                {
                                    return (addr, Err(Some(vec![d])));
                                }
                            }
                        }
                        let a = addr.to_string();
                        let shown_action = if change.action.is_replace() {
                            Action::Create
                        } else {
                            change.action
                        };
                        let id = prior.as_ref().and_then(|p| {
                            p.get_attr("id")
                                .as_str()
                                .filter(|_| !p.get_attr("id").is_sensitive())
                                .map(str::to_string)
                        });
                        self.reporter.event(Event::Started {
                            addr: &a,
                            action: shown_action,
                            id: id.as_deref(),
                        });
                        let started = Instant::now();
                        let result = self
                            .with_progress(
                                &a,
                                shown_action,
                                self.retry(&a, || async {
                                    match &prior {
                                        Some(p) => res.update(p, &planned).await,
                                        None => res.create(&planned).await,
                                    }
                                }),
                            )
                            .await;
                        match result {
                            Ok(v) => {
                                let v = mark_schema_sensitive(
                                    v.with_sensitive_paths(&planned.sensitive_paths()),
                                    schema,
                                );
                                let record = Record::Put {
                                    addr: addr.clone(),
                                    instance: InstanceState {
                                        provider: provider_string,
                                        value: v.clone(),
                                        dependencies: deps,
                                        create_before_destroy: change.create_before_destroy,
                                        model: crate::engine::models::signature_of(
                                            &self.e.root_dir,
                                            &v,
                                        ),
                                        tainted: false,
                                    },
                                };
                                if let Err(d) = self.commit(&record).await {
                                    return (addr, Err(Some(vec![d])));
                                }
                                let id = v
                                    .get_attr("id")
                                    .as_str()
                                    .filter(|_| !v.get_attr("id").is_sensitive())
                                    .map(str::to_string);
                                self.reporter.event(Event::Finished {
                                    addr: &a,
                                    action: shown_action,
                                    elapsed: started.elapsed(),
                                    id: id.as_deref(),
                                });
                                {
                                    let mut out = self.out.locked();
                                    match change.action {
                                        Action::Update => out.counts.changed += 1,
                                        _ => out.counts.added += 1,
                                    }
                                }
                                // As in Terraform, postconditions are checked again once every
                                // attribute is known; the object stays in state either way.
                                if let Err(d) =
                                    self.postconditions_hold(mi, m, rc, &a, count, each, &v)
                                {
                                    self.failed.store(true, Ordering::SeqCst);
                                    return (addr, Err(Some(d)));
                                }
                                (addr, Ok(v))
                            }
                            Err(e) => {
                                let msg = e.to_string();
                                // What the failed call left behind is durable before the
                                // failure is reported, so a rollback (or the next plan) sees it.
                                if let ProviderError::Incomplete { state, .. } = e {
                                    let v = mark_schema_sensitive(
                                        state.with_sensitive_paths(&planned.sensitive_paths()),
                                        schema,
                                    );
                                    let record = Record::Put {
                                        addr: addr.clone(),
                                        instance: InstanceState {
                                            provider: provider_string,
                                            value: v,
                                            dependencies: deps,
                                            create_before_destroy: change.create_before_destroy,
                                            model: None,
                                            tainted: prior.is_none(),
                                        },
                                    };
                                    if let Err(d) = self.commit(&record).await {
                                        self.failed.store(true, Ordering::SeqCst);
                                        return (addr, Err(Some(vec![d])));
                                    }
                                }
                                self.reporter.event(Event::Failed {
                                    addr: &a,
                                    action: shown_action,
                                    message: &msg,
                                });
                                self.failed.store(true, Ordering::SeqCst);
                                let verb = if prior.is_some() {
                                    "updating"
                                } else {
                                    "creating"
                                };
                                (
                                    addr,
                                    Err(Some(vec![Diagnostic::error(
                                        format!("Error {verb} {a}"),
                                        msg,
                                    )
                                    .at(rc.span.clone())])),
                                )
                            }
                        }
                    }
                },
            ))
            .await;
            let mut diags = Vec::new();
            let mut stopped = false;
            for (addr, r) in results {
                match r {
                    Ok(v) => {
                        inst_values.values.insert(addr.key.clone(), v);
                    }
                    Err(Some(d)) => diags.extend(d),
                    Err(None) => stopped = true,
                }
            }
            self.values
                .locked()
                .module_mut(mi)
                .resources
                .insert(key.clone(), inst_values);
            if !diags.is_empty() {
                return Err(Fail::Fatal(diags));
            }
            if stopped {
                return Err(Fail::Fatal(vec![]));
            }
        }
        Ok(())
    }

    /// A resource's (or data source's) postconditions against the object apply or a read
    /// returned.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn postconditions_hold(
        &self,
        mi: &ModulePath,
        m: &Module,
        rc: &crate::config::Resource,
        what: &str,
        count: Option<i64>,
        each: Option<(Value, Value)>,
        value: &Value,
    ) -> Result<(), Vec<Diagnostic>> {
        if rc.lifecycle.postconditions.is_empty() {
            return Ok(());
        }
        let values = self.values.locked();
        let scope = EvalScope {
            self_value: Some(value.clone()),
            ..self.scope(&values, mi, m, count, each)
        };
        let mut ev = Evaluator::new(&scope, rc.body.file);
        self.check_conditions(
            &rc.lifecycle.postconditions,
            &mut ev,
            what,
            "Resource postcondition",
        )
    }
}
