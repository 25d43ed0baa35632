//! A resource node's entry point and its refresh: reading prior instances back from the
//! provider (bounded by the parallelism semaphore), or keeping state values where nothing is
//! planned.

use super::*;

impl<'a> Walk<'a> {
    pub(super) fn instances_from_state(
        &self,
        st: &State,
        mi: &ModulePath,
        key: &ResourceKey,
    ) -> Instances {
        let mut inst = Instances::new(Expansion::Single);
        let mut any = false;
        for (addr, s) in st.resource_instances(mi, key) {
            inst.expansion = match &addr.key {
                None => Expansion::Single,
                Some(Key::Int(_)) => Expansion::Count,
                Some(Key::Str(_)) => Expansion::ForEach,
            };
            inst.values.insert(addr.key.clone(), s.value.clone());
            any = true;
        }
        if !any {
            inst.expansion = Expansion::Count;
        }
        inst
    }

    pub(super) fn keep_state_values(&self, mi: &ModulePath, key: &ResourceKey) {
        let inst = if self.phase == Phase::Apply {
            let st = self.state.locked();
            self.instances_from_state(&st, mi, key)
        } else {
            self.instances_from_state(self.prior, mi, key)
        };
        self.values
            .locked()
            .module_mut(mi)
            .resources
            .insert(key.clone(), inst);
    }

    pub(super) async fn resource_node(
        &self,
        i: NodeIndex,
        node: &Node,
        key: &ResourceKey,
        inherited: Option<String>,
    ) -> NodeResult {
        let m = self.module(&node.module);
        let rc = &m.resources[key];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        let schema = self
            .e
            .registry
            .schema(&rc.provider.name, key)
            .cloned()
            .unwrap_or_default();
        if let (Some(reason), true) = (&inherited, self.phase != Phase::Validate) {
            for mi in &mis {
                self.keep_state_values(mi, key);
                if self.phase == Phase::Plan {
                    self.out.locked().deferred.push(Deferred {
                        addr: format!("{}{key}", prefix(mi)),
                        reason: format!(
                            "depends on {reason}, whose instances are not known until apply"
                        ),
                    });
                }
            }
            return Ok(());
        }
        if self.targeted.as_ref().is_some_and(|t| !t.contains_key(&i)) {
            for mi in &mis {
                self.keep_state_values(mi, key);
            }
            return Ok(());
        }
        match self.phase {
            Phase::Validate => self.validate_resource(&mis, m, key, &schema),
            Phase::Plan => self.plan_resource(i, node, &mis, m, key, &schema).await,
            Phase::Apply => self.apply_resource(i, node, &mis, m, key, &schema).await,
        }
    }

    pub(super) fn validate_resource(
        &self,
        mis: &[ModulePath],
        m: &Module,
        key: &ResourceKey,
        schema: &Schema,
    ) -> NodeResult {
        let rc = &m.resources[key];
        for mi in mis {
            let mut values = self.values.locked();
            let expanded = self.expand(&values, mi, m, rc.count.as_ref(), rc.for_each.as_ref())?;
            let (count, each) = match (rc.count.is_some(), rc.for_each.is_some()) {
                (true, _) => (Some(0), None),
                (_, true) => (None, Some((Value::Unknown, Value::Unknown))),
                _ => (None, None),
            };
            let _ = expanded;
            {
                let scope = self.scope(&values, mi, m, count, each);
                let mut ev = Evaluator::new(&scope, rc.body.file);
                eval_body(
                    &mut ev,
                    rc.body.file,
                    &rc.body.body,
                    schema,
                    &format!("{key}"),
                    rc.span.clone(),
                )?;
            }
            values
                .module_mut(mi)
                .resources
                .insert(key.clone(), Instances::new(Expansion::Unknown));
        }
        Ok(())
    }

    pub(super) async fn refresh(
        &self,
        addr: &InstanceAddr,
        inst: &InstanceState,
        res: &Arc<dyn Resource>,
        schema: &Schema,
    ) -> Result<Option<Value>, Diagnostic> {
        if !self.opts.refresh {
            return Ok(Some(inst.value.clone()));
        }
        let _permit = self.sem.acquire().await.expect("semaphore");
        let addr_s = addr.to_string();
        let id = inst
            .value
            .get_attr("id")
            .as_str()
            .filter(|_| !inst.value.get_attr("id").is_sensitive())
            .map(str::to_string);
        self.reporter.event(Event::Refreshing {
            addr: &addr_s,
            id: id.as_deref(),
        });
        let live = self
            .retry(&addr_s, || res.read(&inst.value))
            .await
            .map_err(|e| {
                Diagnostic::error(
                    "Failed to refresh resource",
                    format!("Reading {addr_s}: {e}"),
                )
            })?;
        if live.is_some() {
            self.reporter.event(Event::Refreshed {
                addr: &addr_s,
                id: id.as_deref(),
            });
        }
        let live = live.map(|l| {
            mark_schema_sensitive(
                res.normalize(&inst.value, l)
                    .with_sensitive_paths(&inst.value.sensitive_paths()),
                schema,
            )
        });
        let drifted = match &live {
            None => true,
            Some(l) => !l.same_data(&inst.value),
        };
        if drifted {
            self.out.locked().drift.push(Drift {
                addr: addr.clone(),
                before: inst.value.clone(),
                after: live.clone(),
                provider: inst.provider.clone(),
            });
        }
        Ok(live)
    }
}
