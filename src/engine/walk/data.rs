//! Data sources: read during plan when their configuration is known, otherwise during apply;
//! their postconditions are checked on what was read (a health gate read at apply fails the
//! apply); a failed read of a check-scoped data source is a warning.

use super::*;

impl<'a> Walk<'a> {
    pub(super) async fn plan_data(
        &self,
        module: &[String],
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        let ds = self
            .data_source_impl(&rc.provider, module, key)
            .ok_or_else(|| {
                Diagnostic::error(
                    "Invalid data source",
                    format!(
                        "The provider \"{}\" does not support data source \"{}\".",
                        rc.provider, key.type_name
                    ),
                )
                .at(rc.span.clone())
            })?;
        let provider_string = provider_state_string(&self.e.registry, &rc.provider);
        for mi in mis {
            // As in Terraform: a read that refers directly to (or depends_on) a managed
            // resource with changes pending waits for apply, so it sees the result.
            let waits_for_changes = {
                let out = self.out.locked();
                let explicit = rc
                    .depends_on
                    .iter()
                    .flat_map(|e| crate::eval::refs::expr_refs(&e.expr));
                let direct = crate::eval::refs::body_refs(&rc.body.body);
                explicit.chain(direct).any(|r| match &r.reference {
                    crate::eval::refs::Reference::Resource(k) => {
                        k.mode == crate::addr::Mode::Managed
                            && out.changes.iter().any(|c| {
                                &c.addr.resource == k
                                    && &c.addr.module == mi
                                    && !matches!(c.action, Action::NoOp | Action::Read)
                            })
                    }
                    _ => false,
                })
            };
            let expanded = {
                let values = self.values.locked();
                self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())?
            };
            let Expanded::Keys(expansion, keys) = expanded else {
                self.values
                    .locked()
                    .module_mut(mi)
                    .resources
                    .insert(key.clone(), Instances::new(Expansion::Unknown));
                continue;
            };
            let mut configs = Vec::new();
            for (k, each_value) in keys {
                let (count, each) = self.instance_keys(&k, each_value);
                let values = self.values.locked();
                let scope = self.scope(&values, mi, m, count, each.clone());
                let mut ev = Evaluator::new(&scope, rc.body.file);
                let addr = InstanceAddr {
                    module: mi.clone(),
                    resource: key.clone(),
                    key: k.clone(),
                };
                let config = eval_body(
                    &mut ev,
                    rc.body.file,
                    &rc.body.body,
                    schema,
                    &addr.to_string(),
                    rc.span.clone(),
                )?;
                configs.push((addr, config, (count, each)));
            }
            let reads =
                futures_util::future::join_all(configs.into_iter().map(|(addr, config, keys)| {
                    let ds = ds.clone();
                    async move {
                        // Destroy plans read too, as Terraform's refresh before a destroy
                        // does: provider blocks fed by data sources (tokens, endpoints) need
                        // the values to delete anything.
                        if !config.is_wholly_known() || waits_for_changes {
                            return (addr, config, keys, Ok(None));
                        }
                        let _p = self.sem.acquire().await.expect("semaphore");
                        let a = addr.to_string();
                        self.reporter.event(Event::Reading { addr: &a });
                        let started = Instant::now();
                        let r = self
                            .retry(&a, || ds.read(&config))
                            .await
                            .map(|v| mark_schema_sensitive(v, schema));
                        if let Ok(v) = &r {
                            read_complete(self.reporter, &a, started, v, &config);
                        }
                        (addr, config, keys, r.map(Some))
                    }
                }))
                .await;
            let mut inst = Instances::new(expansion);
            for (addr, config, (count, each), r) in reads {
                match r {
                    Ok(Some(v)) => {
                        self.postconditions_hold(mi, m, rc, &addr.to_string(), count, each, &v)
                            .map_err(Fail::Node)?;
                        inst.values.insert(addr.key.clone(), v.clone());
                        self.out.locked().changes.push(ResourceChange {
                            previous_addr: None,
                            importing: None,
                            blocks: Default::default(),
                            addr,
                            deposed: false,
                            action: Action::NoOp,
                            before: None,
                            after: Some(v),
                            requires_replace: vec![],
                            reason: None,
                            provider: provider_string.clone(),
                            dependencies: vec![],
                            create_before_destroy: false,
                        });
                    }
                    Ok(None) => {
                        inst.values.insert(addr.key.clone(), Value::Unknown);
                        if self.opts.mode != PlanMode::Destroy {
                            // Terraform names unknown configuration first.
                            let reason = if waits_for_changes && config.is_wholly_known() {
                                "depends on a resource with changes pending"
                            } else {
                                "config refers to values not yet known"
                            };
                            self.out.locked().changes.push(ResourceChange {
                                previous_addr: None,
                                importing: None,
                                blocks: Default::default(),
                                addr,
                                deposed: false,
                                action: Action::Read,
                                before: None,
                                after: Some(unknown_computed(config, schema)),
                                requires_replace: vec![],
                                reason: Some(reason.into()),
                                provider: provider_string.clone(),
                                dependencies: vec![],
                                create_before_destroy: false,
                            });
                        }
                    }
                    Err(e) if rc.check.is_some() => {
                        // Scoped to a check block: the check reports, nothing fails.
                        inst.values.insert(addr.key.clone(), Value::Unknown);
                        self.out
                            .locked()
                            .diags
                            .push(check_read_failed(&addr.to_string(), rc, &e));
                    }
                    Err(e) => {
                        return Err(Diagnostic::error(
                            "Failed to read data source",
                            format!("Reading {addr}: {e}"),
                        )
                        .at(rc.span.clone())
                        .into())
                    }
                }
            }
            self.values
                .locked()
                .module_mut(mi)
                .resources
                .insert(key.clone(), inst);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn apply_data(
        &self,
        mi: &ModulePath,
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
        expansion: Expansion,
        keys: Vec<(Option<Key>, Option<Value>)>,
        plan: &Plan,
    ) -> NodeResult {
        let rc = &m.resources[key];
        let mut inst = Instances::new(expansion);
        for (k, each_value) in keys {
            let addr = InstanceAddr {
                module: mi.clone(),
                resource: key.clone(),
                key: k.clone(),
            };
            match self.planned_change(plan, &addr) {
                Some(c) if c.action != Action::Read => {
                    inst.values
                        .insert(k, c.after.clone().unwrap_or(Value::Null));
                }
                // Destroying: nothing reads what is being torn down.
                None if plan.mode == PlanMode::Destroy => {
                    inst.values.insert(k, Value::Unknown);
                }
                _ => {
                    let (count, each) = self.instance_keys(&k, each_value);
                    let config = {
                        let values = self.values.locked();
                        let scope = self.scope(&values, mi, m, count, each.clone());
                        let mut ev = Evaluator::new(&scope, rc.body.file);
                        eval_body(
                            &mut ev,
                            rc.body.file,
                            &rc.body.body,
                            schema,
                            &addr.to_string(),
                            rc.span.clone(),
                        )
                        .map_err(Fail::Fatal)?
                    };
                    let ds = self
                        .data_source_impl(&rc.provider, &crate::addr::config_path(mi), key)
                        .ok_or_else(|| {
                            Fail::Fatal(vec![Diagnostic::error(
                                "Invalid data source",
                                key.to_string(),
                            )])
                        })?;
                    let a = addr.to_string();
                    self.reporter.event(Event::Reading { addr: &a });
                    let started = Instant::now();
                    match self.retry(&a, || ds.read(&config)).await {
                        Ok(v) => {
                            let v = mark_schema_sensitive(v, schema);
                            read_complete(self.reporter, &a, started, &v, &config);
                            self.postconditions_hold(mi, m, rc, &a, count, each, &v)
                                .map_err(Fail::Fatal)?;
                            inst.values.insert(k, v);
                        }
                        Err(e) if rc.check.is_some() => {
                            inst.values.insert(k, Value::Unknown);
                            self.out.locked().diags.push(check_read_failed(&a, rc, &e));
                        }
                        Err(e) => {
                            return Err(Fail::Fatal(vec![Diagnostic::error(
                                "Failed to read data source",
                                format!("Reading {a}: {e}"),
                            )]));
                        }
                    }
                }
            }
        }
        self.values
            .locked()
            .module_mut(mi)
            .resources
            .insert(key.clone(), inst);
        Ok(())
    }
}

/// The warning for a failed read of a data source scoped to a check block.
fn check_read_failed(addr: &str, rc: &crate::config::Resource, e: &ProviderError) -> Diagnostic {
    Diagnostic::warning(
        "Check block data source failed",
        format!(
            "Reading {addr} for check.{} failed: {e}",
            rc.check.as_deref().unwrap_or_default()
        ),
    )
    .at(rc.span.clone())
}

/// Reports a finished read (`v` marked by its schema), with the object's `id` unless it is
/// sensitive or the
/// configuration holds anything sensitive it may derive from (a token in a URL).
fn read_complete(reporter: &dyn Reporter, addr: &str, started: Instant, v: &Value, config: &Value) {
    let id = v.get_attr("id");
    let shown = id
        .as_str()
        .filter(|_| !id.is_sensitive() && config.sensitive_paths().is_empty());
    reporter.event(Event::ReadComplete {
        addr,
        elapsed: started.elapsed(),
        id: shown,
    });
}
