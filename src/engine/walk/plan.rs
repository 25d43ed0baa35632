//! Planning managed resources: instance by instance against the provider's plan, deletes of
//! orphaned instances, dry runs, replace_triggered_by and ignore_changes.

use super::*;

impl<'a> Walk<'a> {
    pub(super) async fn plan_resource(
        &self,
        i: NodeIndex,
        node: &Node,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        if key.mode == Mode::Data {
            return self.plan_data(&node.module, mis, m, key, schema).await;
        }
        let res = self.resource_impl(&rc.provider, &node.module, key)?;
        let provider_string = provider_state_string(&self.e.registry, &rc.provider);
        let deps = self.g.resource_deps.get(&i).cloned().unwrap_or_default();
        let cbd = self.g.create_before_destroy.contains(&i);
        let mut diags = Vec::new();
        let mut known_modules: HashSet<ModulePath> = HashSet::new();
        for mi in mis {
            known_modules.insert(mi.clone());
            let expanded = {
                let values = self.values.locked();
                self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())?
            };
            let addr_prefix = format!("{}{key}", prefix(mi));
            let (expansion, keys) = match expanded {
                Expanded::Unknown => {
                    self.deferred.locked().insert(i, addr_prefix.clone());
                    self.out.locked().deferred.push(Deferred {
                        addr: addr_prefix,
                        reason: format!("its {} depends on values known only after apply; it will be planned by the next run", if rc.count.is_some() { "count" } else { "for_each" }),
                    });
                    self.keep_state_values(mi, key);
                    continue;
                }
                Expanded::Keys(e, k) => (e, k),
            };
            let priors: Vec<(InstanceAddr, InstanceState)> = self
                .prior
                .resource_instances(mi, key)
                .map(|(a, s)| (a.clone(), s.clone()))
                .collect();
            let desired: HashSet<Option<Key>> = keys.iter().map(|(k, _)| k.clone()).collect();
            let imports = if self.phase == Phase::Plan && self.opts.mode == PlanMode::Normal {
                match self.import_ids(mi, key) {
                    Ok(ids) => ids,
                    Err(mut d) => {
                        diags.append(&mut d);
                        continue;
                    }
                }
            } else {
                HashMap::new()
            };
            for k in imports.keys() {
                if !desired.contains(k) {
                    let addr = InstanceAddr {
                        module: mi.clone(),
                        resource: key.clone(),
                        key: k.clone(),
                    };
                    diags.push(Diagnostic::error("Configuration for import target does not exist", format!("The configuration for the given import target {addr} does not exist: the resource's count or for_each has no such instance.")).at(rc.span.clone()));
                }
            }
            // -minimal-refresh: instances whose configuration plans no change against their
            // state are not read.
            let unchanged: HashSet<Option<Key>> = if self.opts.minimal_refresh
                && self.opts.mode == PlanMode::Normal
            {
                keys.iter()
                    .filter(|(k, each_value)| {
                        let Some((addr, prior)) = priors.iter().find(|(a, _)| &a.key == k) else {
                            return false;
                        };
                        if prior.tainted {
                            return false;
                        }
                        let (count, each) = self.instance_keys(k, each_value.clone());
                        let instance = self.instance_impl(&res, &node.module, key, k);
                        let values = self.values.locked();
                        let scope = self.scope(&values, mi, m, count, each.clone());
                        let mut ev = Evaluator::new(&scope, rc.body.file);
                        self.plan_instance(
                            &mut ev,
                            &values,
                            mi,
                            m,
                            rc,
                            schema,
                            &instance,
                            addr,
                            Some(prior.value.clone()),
                            cbd,
                            count,
                            each,
                        )
                        .is_ok_and(|c| c.action == Action::NoOp)
                    })
                    .map(|(k, _)| k.clone())
                    .collect()
            } else {
                HashSet::new()
            };
            // Refresh every prior instance (targeted ones), concurrently.
            let res_ref = &res;
            let refreshed = futures_util::future::join_all(
                priors
                    .iter()
                    .filter(|(a, _)| self.targets_instance(i, a))
                    .filter(|(a, _)| !unchanged.contains(&a.key))
                    .map(|(a, s)| async move {
                        let res = self.instance_impl(res_ref, &node.module, key, &a.key);
                        (a.clone(), self.refresh(a, s, &res, schema).await)
                    }),
            )
            .await;
            let mut live: HashMap<Option<Key>, Option<Value>> = priors
                .iter()
                .filter(|(a, _)| unchanged.contains(&a.key))
                .map(|(a, s)| (a.key.clone(), Some(s.value.clone())))
                .collect();
            for (a, r) in refreshed {
                match r {
                    Ok(v) => {
                        live.insert(a.key.clone(), v);
                    }
                    Err(d) => diags.push(d),
                }
            }
            let mut inst_values = Instances::new(expansion.clone());
            let mut changes = Vec::new();
            for (a, s) in &priors {
                if !desired.contains(&a.key) {
                    if !self.targets_instance(i, a) || self.opts.mode == PlanMode::RefreshOnly {
                        continue;
                    }
                    let Some(Some(before)) = live.get(&a.key).cloned() else {
                        continue;
                    };
                    if rc.lifecycle.prevent_destroy {
                        diags.push(prevent_destroy_diag(a, rc.span.clone()));
                        continue;
                    }
                    let reason = match (&a.key, &expansion) {
                        (Some(Key::Int(_)), Expansion::Count) => format!(
                            "index {} is out of range for count",
                            a.key.as_ref().unwrap()
                        ),
                        (Some(Key::Str(_)), Expansion::ForEach) => {
                            format!("key {} is not in for_each map", a.key.as_ref().unwrap())
                        }
                        (_, Expansion::Single) => {
                            "the resource no longer has count or for_each".to_string()
                        }
                        _ => "its key does not match the resource's count or for_each".to_string(),
                    };
                    changes.push(ResourceChange {
                        previous_addr: None,
                        importing: None,
                        blocks: Default::default(),
                        addr: a.clone(),
                        deposed: false,
                        action: Action::Delete,
                        before: Some(before),
                        after: None,
                        requires_replace: vec![],
                        reason: Some(reason),
                        provider: s.provider.clone(),
                        dependencies: s.dependencies.clone(),
                        create_before_destroy: false,
                    });
                }
            }
            for (k, each_value) in keys {
                let res = self.instance_impl(&res, &node.module, key, &k);
                let addr = InstanceAddr {
                    module: mi.clone(),
                    resource: key.clone(),
                    key: k.clone(),
                };
                let prior_state = priors.iter().find(|(a, _)| a.key == k).map(|(_, s)| s);
                if !self.targets_instance(i, &addr) {
                    if let Some(s) = prior_state {
                        inst_values.values.insert(k.clone(), s.value.clone());
                    }
                    continue;
                }
                let mut importing = None;
                let before = match prior_state {
                    Some(_) => live.get(&k).cloned().flatten(),
                    None => match imports.get(&k) {
                        Some(id) => match self.import_object(&addr, id, &res).await {
                            Ok(v) => {
                                importing = Some(id.clone());
                                Some(mark_schema_sensitive(v, schema))
                            }
                            Err(d) => {
                                diags.push(d);
                                continue;
                            }
                        },
                        None => None,
                    },
                };
                if self.opts.mode == PlanMode::Destroy {
                    if let Some(b) = before {
                        inst_values.values.insert(k.clone(), b);
                    }
                    continue;
                }
                if self.opts.mode == PlanMode::RefreshOnly {
                    if let Some(b) = &before {
                        inst_values.values.insert(k.clone(), b.clone());
                        changes.push(ResourceChange {
                            previous_addr: None,
                            importing: None,
                            blocks: Default::default(),
                            addr,
                            deposed: false,
                            action: Action::NoOp,
                            before: Some(b.clone()),
                            after: Some(b.clone()),
                            requires_replace: vec![],
                            reason: None,
                            provider: provider_string.clone(),
                            dependencies: prior_state
                                .map(|s| s.dependencies.clone())
                                .unwrap_or_default(),
                            create_before_destroy: cbd,
                        });
                    }
                    continue;
                }
                let (count, each) = self.instance_keys(&k, each_value);
                let planned = {
                    let values = self.values.locked();
                    let scope = self.scope(&values, mi, m, count, each.clone());
                    let mut ev = Evaluator::new(&scope, rc.body.file);
                    self.plan_instance(
                        &mut ev,
                        &values,
                        mi,
                        m,
                        rc,
                        schema,
                        &res,
                        &addr,
                        before.clone(),
                        cbd,
                        count,
                        each,
                    )
                };
                let planned = match planned {
                    Ok(change) if self.phase == Phase::Plan => {
                        self.dry_run(change, &res, rc.span.clone()).await
                    }
                    other => other,
                };
                match planned {
                    Ok(mut change) => {
                        inst_values
                            .values
                            .insert(k.clone(), change.after.clone().unwrap_or(Value::Unknown));
                        change.provider = provider_string.clone();
                        change.dependencies = deps.clone();
                        change.importing = importing;
                        changes.push(change);
                    }
                    Err(mut d) => diags.append(&mut d),
                }
            }
            self.values
                .locked()
                .module_mut(mi)
                .resources
                .insert(key.clone(), inst_values);
            self.out.locked().changes.extend(changes);
        }
        // Instances in module instances that no longer exist.
        if self.opts.mode != PlanMode::RefreshOnly {
            let orphans: Vec<InstanceAddr> = self
                .state_index
                .get(&(node.module.clone(), key.clone()))
                .into_iter()
                .flatten()
                .filter(|a| !known_modules.contains(&a.module) && self.targets_instance(i, a))
                .cloned()
                .collect();
            let module_deferred = self
                .values
                .locked()
                .expansions
                .get(&node.module)
                .is_some_and(|e| e.is_none());
            if !module_deferred {
                self.plan_deletes(
                    &orphans,
                    &res,
                    schema,
                    rc.lifecycle.prevent_destroy,
                    rc.span.clone(),
                    |a| {
                        format!(
                            "{} is not in configuration",
                            crate::addr::module_path_string(&a.module)
                        )
                    },
                    &mut diags,
                )
                .await;
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags.into())
        }
    }

    pub(super) async fn plan_deletes(
        &self,
        addrs: &[InstanceAddr],
        res: &Arc<dyn Resource>,
        schema: &Schema,
        prevent: bool,
        span: Option<Span>,
        reason: impl Fn(&InstanceAddr) -> String,
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut out = Vec::new();
        // Forgotten objects leave the state as they are: no refresh, no provider call.
        for a in addrs.iter().filter(|a| self.forget.contains(*a)) {
            if let Some(s) = self.prior.instances.get(a) {
                out.push(ResourceChange {
                    previous_addr: None,
                    importing: None,
                    blocks: Default::default(),
                    addr: a.clone(),
                    deposed: false,
                    action: Action::Forget,
                    before: Some(s.value.clone()),
                    after: None,
                    requires_replace: vec![],
                    reason: Some("destroy = false is set in the configuration".into()),
                    provider: s.provider.clone(),
                    dependencies: s.dependencies.clone(),
                    create_before_destroy: false,
                });
            }
        }
        let items: Vec<(InstanceAddr, InstanceState)> = addrs
            .iter()
            .filter(|a| !self.forget.contains(*a))
            .filter_map(|a| self.prior.instances.get(a).map(|s| (a.clone(), s.clone())))
            .collect();
        let refreshed = futures_util::future::join_all(items.iter().map(|(a, s)| async move {
            let res = self.instance_impl(
                res,
                &crate::addr::config_path(&a.module),
                &a.resource,
                &a.key,
            );
            (a, s, self.refresh(a, s, &res, schema).await)
        }))
        .await;
        for (a, s, r) in refreshed {
            match r {
                Ok(Some(before)) => {
                    if prevent {
                        diags.push(prevent_destroy_diag(a, span.clone()));
                        continue;
                    }
                    let why = reason(a);
                    out.push(ResourceChange {
                        previous_addr: None,
                        importing: None,
                        blocks: Default::default(),
                        addr: a.clone(),
                        deposed: false,
                        action: Action::Delete,
                        before: Some(before),
                        after: None,
                        requires_replace: vec![],
                        reason: if why.is_empty() { None } else { Some(why) },
                        provider: s.provider.clone(),
                        dependencies: s.dependencies.clone(),
                        create_before_destroy: false,
                    });
                }
                Ok(None) => {}
                Err(d) => diags.push(d),
            }
        }
        self.out.locked().changes.extend(out);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn plan_instance(
        &self,
        ev: &mut Evaluator<'_>,
        values: &Values,
        mi: &ModulePath,
        m: &Module,
        rc: &crate::config::Resource,
        schema: &Schema,
        res: &Arc<dyn Resource>,
        addr: &InstanceAddr,
        before: Option<Value>,
        cbd: bool,
        count: Option<i64>,
        each: Option<(Value, Value)>,
    ) -> Result<ResourceChange, Vec<Diagnostic>> {
        let what = addr.to_string();
        self.check_conditions(
            &rc.lifecycle.preconditions,
            ev,
            &what,
            "Resource precondition",
        )?;
        let config = eval_body(
            ev,
            rc.body.file,
            &rc.body.body,
            schema,
            &what,
            rc.span.clone(),
        )?;
        let config = match &before {
            Some(p) => apply_ignore_changes(config, p, &rc.lifecycle.ignore_changes),
            None => config,
        };
        let provider_err = |e: ProviderError| {
            vec![
                Diagnostic::error("Invalid resource configuration", format!("{what}: {e}"))
                    .at(rc.span.clone()),
            ]
        };
        let planned = res
            .plan(PlanRequest {
                prior: before.as_ref(),
                config: &config,
            })
            .map_err(provider_err)?;
        let forced_by_cli = self.opts.replace.iter().any(|t| t.matches(addr));
        let triggered = self.replace_triggered(rc, mi);
        let tainted = self.prior.instances.get(addr).is_some_and(|s| s.tainted);
        let mut reason = None;
        let (action, after, requires_replace) = match &before {
            None => (Action::Create, planned.state, vec![]),
            Some(p) => {
                if tainted
                    || forced_by_cli
                    || triggered.is_some()
                    || !planned.requires_replace.is_empty()
                {
                    reason = if tainted {
                        Some(crate::plan::TAINTED.to_string())
                    } else if forced_by_cli {
                        Some("replacement requested by -replace".to_string())
                    } else if let Some(t) = triggered {
                        Some(format!("replace_triggered_by {t} changed"))
                    } else {
                        planned.replace_reason.clone()
                    };
                    let fresh = res
                        .plan(PlanRequest {
                            prior: None,
                            config: &config,
                        })
                        .map_err(provider_err)?;
                    if rc.lifecycle.prevent_destroy {
                        return Err(vec![prevent_destroy_diag(addr, rc.span.clone())]);
                    }
                    (
                        if cbd {
                            Action::CreateThenDelete
                        } else {
                            Action::DeleteThenCreate
                        },
                        fresh.state,
                        planned.requires_replace,
                    )
                } else if planned.state.same_data(p) {
                    (Action::NoOp, p.clone(), vec![])
                } else {
                    (Action::Update, planned.state, vec![])
                }
            }
        };
        let after = mark_schema_sensitive(after, schema);
        if !rc.lifecycle.postconditions.is_empty() && after.is_wholly_known() {
            let scope = EvalScope {
                self_value: Some(after.clone()),
                ..self.scope(values, mi, m, count, each)
            };
            let mut ev2 = Evaluator::new(&scope, rc.body.file);
            self.check_conditions(
                &rc.lifecycle.postconditions,
                &mut ev2,
                &what,
                "Resource postcondition",
            )?;
        }
        Ok(ResourceChange {
            previous_addr: None,
            importing: None,
            blocks: Default::default(),
            addr: addr.clone(),
            deposed: false,
            action,
            before,
            after: Some(after),
            requires_replace,
            reason,
            provider: String::new(),
            dependencies: vec![],
            create_before_destroy: cbd,
        })
    }

    /// Lets the provider check a wholly known create or update against its API without
    /// changing anything; a change the API would turn into what is already there is a no-op.
    pub(super) async fn dry_run(
        &self,
        mut change: ResourceChange,
        res: &Arc<dyn Resource>,
        span: Option<Span>,
    ) -> Result<ResourceChange, Vec<Diagnostic>> {
        if !matches!(change.action, Action::Create | Action::Update) {
            return Ok(change);
        }
        let Some(after) = change.after.clone().filter(Value::is_wholly_known) else {
            return Ok(change);
        };
        match res.dry_run(change.before.as_ref(), &after).await {
            Ok(Some(result)) => {
                if let Some(before) = &change.before {
                    if before.same_data(&result) {
                        change.action = Action::NoOp;
                        change.after = Some(before.clone());
                    }
                }
                Ok(change)
            }
            Ok(None) => Ok(change),
            Err(e) => Err(vec![Diagnostic::error(
                "Planned change rejected by the API",
                format!("{}: {e}", change.addr),
            )
            .at(span)]),
        }
    }

    /// The first `replace_triggered_by` reference whose object changes in this plan.
    pub(super) fn replace_triggered(
        &self,
        rc: &crate::config::Resource,
        mi: &ModulePath,
    ) -> Option<String> {
        let out = self.out.locked();
        for e in &rc.lifecycle.replace_triggered_by {
            for r in crate::eval::refs::expr_refs(&e.expr) {
                let crate::eval::refs::Reference::Resource(k) = &r.reference else {
                    continue;
                };
                let hit = out.changes.iter().any(|c| {
                    &c.addr.resource == k
                        && &c.addr.module == mi
                        && match &r.attr {
                            None => !matches!(c.action, Action::NoOp | Action::Read),
                            Some(attr) => {
                                let b = c
                                    .before
                                    .as_ref()
                                    .map(|v| v.get_attr(attr).clone())
                                    .unwrap_or(Value::Null);
                                let a = c
                                    .after
                                    .as_ref()
                                    .map(|v| v.get_attr(attr).clone())
                                    .unwrap_or(Value::Null);
                                !b.same_data(&a)
                                    || matches!(
                                        c.action,
                                        Action::DeleteThenCreate | Action::CreateThenDelete
                                    )
                            }
                        }
                });
                if hit {
                    return Some(format!(
                        "{}{}",
                        k,
                        r.attr.map(|a| format!(".{a}")).unwrap_or_default()
                    ));
                }
            }
        }
        None
    }
}
