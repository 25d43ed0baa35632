//! Variables, locals, outputs, check blocks, module calls (count / for_each expansion) and
//! provider configurations: the nodes that evaluate values rather than change objects.

use super::*;

impl<'a> Walk<'a> {
    pub(super) fn var_node(&self, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let var = &m.variables[name];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        let mut diags = Vec::new();
        // A default must fit the declared type, whatever value is given (Terraform checks
        // this at validate).
        if let Some(d) = &var.default {
            if let Ok(v) = eval_constant(&d.expr) {
                if !v.is_null() {
                    if let Err(e) = convert(&v, &var.type_constraint) {
                        return Err(Diagnostic::error(
                            "Invalid default value for variable",
                            format!("This default value is not compatible with the variable's type constraint: {e}."),
                        )
                        .at(d.span())
                        .into());
                    }
                }
            }
        }
        for mi in mis {
            let raw = if mi.is_empty() {
                if self.phase == Phase::Validate {
                    Some(Value::Unknown)
                } else {
                    self.root_vars.get(name).cloned()
                }
            } else {
                self.module_input(node, &mi, name)?
            };
            let raw = match raw {
                Some(v)
                    if !(v.is_null()
                        && (!var.nullable || var.default.is_some())
                        && mi.is_empty())
                        && !(v.is_null() && !var.nullable) =>
                {
                    v
                }
                _ => match &var.default {
                    Some(d) => match eval_constant(&d.expr) {
                        Ok(v) => v,
                        Err(e) => {
                            diags.push(
                                Diagnostic::error("Invalid default value for variable", e)
                                    .at(d.span()),
                            );
                            continue;
                        }
                    },
                    None if mi.is_empty() => {
                        diags.push(
                            Diagnostic::error("No value for required variable", format!("The root module input variable \"{name}\" is not set, and has no default value."))
                                .at(var.span.clone())
                                .hint(format!("Use -var=\"{name}=...\", a terraform.tfvars file, or the TF_VAR_{name} environment variable.")),
                        );
                        continue;
                    }
                    None => Value::Null,
                },
            };
            let mut v = match convert(&raw, &var.type_constraint) {
                Ok(v) => v,
                Err(e) => {
                    let shown = if var.sensitive {
                        String::new()
                    } else {
                        format!(" The value given was {raw}.")
                    };
                    diags.push(
                        Diagnostic::error(
                            "Invalid value for input variable",
                            format!("The given value is not suitable for var.{name}: {e}.{shown}"),
                        )
                        .at(var.span.clone())
                        .hint(format!("The variable's type is {}.", var.type_constraint)),
                    );
                    continue;
                }
            };
            if v.is_null() && !var.nullable {
                diags.push(
                    Diagnostic::error(
                        "Required variable not set",
                        format!("The variable \"{name}\" is not nullable, and its value is null."),
                    )
                    .at(var.span.clone()),
                );
                continue;
            }
            if self.phase == Phase::Validate && !mi.is_empty() {
                // As Terraform's validate walk: every module's inputs are unknown, so what a
                // module switches off by its inputs is still checked, for any inputs.
                v = Value::Unknown;
            }
            v = v.mark_sensitive_if(var.sensitive);
            let mut values = self.values.locked();
            values.module_mut(&mi).vars.insert(name.to_string(), v);
            if !var.validations.is_empty() {
                let scope = self.scope(&values, &mi, m, None, None);
                let mut ev = Evaluator::new(&scope, 0);
                if let Err(mut d) = self.check_conditions(
                    &var.validations,
                    &mut ev,
                    &format!("var.{name}"),
                    "Invalid value for variable",
                ) {
                    for d in &mut d {
                        d.summary = "Invalid value for variable".into();
                    }
                    diags.append(&mut d);
                }
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags.into())
        }
    }

    /// The value the calling module gives input `name` of module instance `mi`: its
    /// argument evaluated in the caller's scope (with the instance's `count.index` or
    /// `each`), `None` when the call leaves it out. Each input is its own node, so a module
    /// can read another module's outputs while that one reads its own.
    fn module_input(
        &self,
        node: &Node,
        mi: &ModulePath,
        name: &str,
    ) -> Result<Option<Value>, Fail> {
        let Some(((call_name, key), parent)) = mi.split_last() else {
            return Ok(None);
        };
        let parent_cfg = self.module(&node.module[..node.module.len() - 1]);
        let Some(expr) = parent_cfg
            .module_calls
            .get(call_name)
            .and_then(|c| c.inputs.get(name))
        else {
            return Ok(None);
        };
        let values = self.values.locked();
        let each_value = values.modules.get(mi).and_then(|v| v.each_value.clone());
        let (count, each) = self.instance_keys(key, each_value);
        let parent: ModulePath = parent.to_vec();
        let scope = self.scope(&values, &parent, parent_cfg, count, each);
        Ok(Some(Evaluator::new(&scope, expr.file).eval(&expr.expr)?))
    }

    pub(super) fn local_node(&self, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let local = &m.locals[name];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        for mi in mis {
            let mut values = self.values.locked();
            let v = {
                let scope = self.scope(&values, &mi, m, None, None);
                Evaluator::new(&scope, local.value.file).eval(&local.value.expr)?
            };
            values.module_mut(&mi).locals.insert(name.to_string(), v);
        }
        Ok(())
    }

    pub(super) fn output_node(&self, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let o = &m.outputs[name];
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        for mi in mis {
            let mut values = self.values.locked();
            let v = {
                let scope = self.scope(&values, &mi, m, None, None);
                let mut ev = Evaluator::new(&scope, o.value.file);
                if self.phase != Phase::Validate {
                    self.check_conditions(
                        &o.preconditions,
                        &mut ev,
                        &format!("output.{name}"),
                        "Module output value precondition",
                    )?;
                }
                ev.eval(&o.value.expr)?
            };
            if mi.is_empty() && v.contains_sensitive() && !o.sensitive {
                return Err(Diagnostic::error("Output refers to sensitive values", format!("The output \"{name}\" is derived from sensitive values, so it must be marked sensitive to be shown."))
                    .at(o.span.clone())
                    .hint("Add `sensitive = true` to the output block, or wrap the value in nonsensitive() if it is safe to show.")
                    .into());
            }
            let v = v.mark_sensitive_if(o.sensitive);
            if mi.is_empty() {
                drop(values);
                self.record_root_output(name, v, o.sensitive);
            } else {
                let (call, key) = mi.last().cloned().expect("child module path");
                let parent: ModulePath = mi[..mi.len() - 1].to_vec();
                if let Some(inst) = values.module_mut(&parent).calls.get_mut(&call) {
                    if let Some(Value::Map(map)) = inst.values.get_mut(&key) {
                        map.insert(name.to_string(), v);
                    }
                }
            }
        }
        Ok(())
    }

    /// A `check` block: each failing assertion is a warning, on plan and again on apply; an
    /// assertion that is not known yet, or fails to evaluate, is reported and never blocks.
    pub(super) fn check_node(&self, node: &Node, name: &str) -> NodeResult {
        if self.phase == Phase::Validate {
            return Ok(());
        }
        let m = self.module(&node.module);
        let Some(c) = m.checks.iter().find(|c| c.name == name) else {
            return Ok(());
        };
        let Some(mis) = self.instances_of(&node.module) else {
            return Ok(());
        };
        let mut warnings = Vec::new();
        let mut instances = Vec::new();
        for mi in mis {
            let values = self.values.locked();
            let scope = self.scope(&values, &mi, m, None, None);
            let what = format!("{}check.{name}", prefix(&mi));
            let mut status = CheckStatus::Pass;
            let mut problems = Vec::new();
            for a in &c.asserts {
                let mut ev = Evaluator::new(&scope, a.condition.file);
                if ev.eval(&a.condition.expr).is_ok_and(|v| v.is_unknown()) {
                    if status == CheckStatus::Pass {
                        status = CheckStatus::Unknown;
                    }
                    continue;
                }
                if let Err(diags) = self.check_conditions(
                    std::slice::from_ref(a),
                    &mut ev,
                    &what,
                    "Check block assertion",
                ) {
                    status = CheckStatus::Fail;
                    for mut d in diags {
                        problems.push(
                            d.detail
                                .split("\n\n")
                                .next()
                                .unwrap_or_default()
                                .to_string(),
                        );
                        d.severity = crate::diag::Severity::Warning;
                        warnings.push(d);
                    }
                }
            }
            instances.push(CheckInstance {
                address: what,
                status,
                problems,
            });
        }
        let status = if instances.iter().any(|i| i.status == CheckStatus::Fail) {
            CheckStatus::Fail
        } else if instances.iter().any(|i| i.status == CheckStatus::Unknown) {
            CheckStatus::Unknown
        } else {
            CheckStatus::Pass
        };
        let mut out = self.out.locked();
        out.diags.extend(warnings);
        out.checks.push(CheckResult {
            address: format!(
                "{}check.{name}",
                node.module
                    .iter()
                    .map(|m| format!("module.{m}."))
                    .collect::<String>()
            ),
            name: name.to_string(),
            status,
            instances,
        });
        Ok(())
    }

    pub(super) fn record_root_output(&self, name: &str, v: Value, sensitive: bool) {
        match self.phase {
            Phase::Validate => {}
            Phase::Plan => {
                if self.opts.mode == PlanMode::Destroy {
                    return;
                }
                let before = self.prior.outputs.get(name).map(|o| o.value.clone());
                // As Terraform: a null output that was null (or absent) before is no change.
                let was_null = before.as_ref().is_none_or(Value::is_null);
                let action = match &before {
                    _ if was_null && v.is_null() => Action::NoOp,
                    None => Action::Create,
                    Some(b) if b.same_data(&v) => Action::NoOp,
                    Some(_) => Action::Update,
                };
                self.out.locked().outputs.push(OutputChange {
                    name: name.to_string(),
                    action,
                    before,
                    after: Some(v),
                    sensitive,
                });
            }
            Phase::Apply => {
                self.out.locked().root_outputs.insert(
                    name.to_string(),
                    OutputState {
                        value: v,
                        sensitive,
                    },
                );
            }
        }
    }

    pub(super) fn expand(
        &self,
        values: &Values,
        mi: &ModulePath,
        m: &Module,
        count: Option<&crate::config::Expr>,
        for_each: Option<&crate::config::Expr>,
    ) -> Result<Expanded, Diagnostic> {
        let scope = self.scope(values, mi, m, None, None);
        if let Some(c) = count {
            let v = Evaluator::new(&scope, c.file).eval(&c.expr)?;
            let (v, _) = split_mark(v);
            if v.is_unknown() {
                return Ok(Expanded::Unknown);
            }
            let n = crate::eval::types::to_number(&v).ok_or_else(|| {
                Diagnostic::error(
                    "Invalid count argument",
                    format!(
                        "The count argument must be a whole number, but it is {}.",
                        v.type_name()
                    ),
                )
                .at(c.span())
            })?;
            if n.is_negative() || !n.is_integer() {
                return Err(Diagnostic::error(
                    "Invalid count argument",
                    format!(
                        "The count argument must be a non-negative whole number, but it is {n}."
                    ),
                )
                .at(c.span()));
            }
            let n = match n.to_usize().filter(|n| *n <= crate::engine::MAX_INSTANCES) {
                Some(n) => n,
                None => return Err(Diagnostic::error(
                    "Invalid count argument",
                    format!(
                        "The count argument is {n}, more than {}, the limit on instances of one resource or module call.",
                        crate::engine::MAX_INSTANCES
                    ),
                )
                .at(c.span())
                .hint("Split the resource, or check the expression: a count this large is usually a mistake.")),
            };
            return Ok(Expanded::Keys(
                Expansion::Count,
                (0..n as i64).map(|i| (Some(Key::Int(i)), None)).collect(),
            ));
        }
        if let Some(f) = for_each {
            let v = Evaluator::new(&scope, f.file).eval(&f.expr)?;
            if v.is_sensitive() {
                return Err(Diagnostic::error("Invalid for_each argument", "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: the instance keys would reveal them.").at(f.span()).hint("Use nonsensitive() on the keys if they are safe to show."));
            }
            let (v, _) = split_mark(v);
            return match v {
                Value::Unknown => Ok(Expanded::Unknown),
                Value::Map(m) => {
                    Ok(Expanded::Keys(Expansion::ForEach, m.into_iter().map(|(k, v)| (Some(Key::Str(k)), Some(v))).collect()))
                }
                Value::Set(items) => {
                    let mut keys = Vec::new();
                    for item in items {
                        if item.is_unknown() {
                            return Ok(Expanded::Unknown);
                        }
                        let Some(s) = item.as_str() else {
                            return Err(Diagnostic::error("Invalid for_each set argument", format!("The given for_each argument is a set of {}; a set must contain strings.", item.type_name())).at(f.span()));
                        };
                        keys.push((Some(Key::Str(s.to_string())), Some(Value::from(s))));
                    }
                    Ok(Expanded::Keys(Expansion::ForEach, keys))
                }
                Value::List(_) => Err(Diagnostic::error("Invalid for_each argument", "The for_each argument must be a map, or a set of strings, and you have provided a list.").at(f.span()).hint("Convert it with toset(), as in for_each = toset(var.names).")),
                Value::Null => Err(Diagnostic::error("Invalid for_each argument", "The for_each argument is null; it must be a map or a set of strings.").at(f.span())),
                other => Err(Diagnostic::error("Invalid for_each argument", format!("The for_each argument must be a map, or a set of strings, and you have provided a value of type {}.", other.type_name())).at(f.span())),
            };
        }
        Ok(Expanded::Keys(Expansion::Single, vec![(None, None)]))
    }

    pub(super) fn call_node(&self, i: NodeIndex, node: &Node, name: &str) -> NodeResult {
        let m = self.module(&node.module);
        let call = &m.module_calls[name];
        let child = &m.children[name];
        let mut child_path = node.module.clone();
        child_path.push(name.to_string());
        let mut diags = Vec::new();
        for input in call.inputs.keys() {
            if !child.variables.contains_key(input) {
                diags.push(
                    Diagnostic::error("Unsupported argument", format!("An argument named \"{input}\" is not expected here: module \"{name}\" declares no such variable."))
                        .at(call.inputs[input].span())
                        .hint(crate::diag::did_you_mean(input, child.variables.keys().map(String::as_str)).unwrap_or_else(|| "Declare the variable in the module, or remove the argument.".into())),
                );
            }
        }
        for (vn, v) in &child.variables {
            if v.default.is_none() && !call.inputs.contains_key(vn) {
                diags.push(Diagnostic::error("Missing required argument", format!("The argument \"{vn}\" is required by module \"{name}\", but no definition was found.")).at(call.span.clone()).hint(format!("Add {vn} = ... to the module block.")));
            }
        }
        if !diags.is_empty() {
            return Err(diags.into());
        }
        let Some(mis) = self.instances_of(&node.module) else {
            self.values.locked().expansions.insert(child_path, None);
            return Ok(());
        };
        let mut children = Vec::new();
        let mut unknown = false;
        for mi in mis {
            let mut values = self.values.locked();
            let expanded =
                self.expand(&values, &mi, m, call.count.as_ref(), call.for_each.as_ref())?;
            let (expansion, keys) = match expanded {
                Expanded::Unknown if self.phase == Phase::Validate => {
                    match (&call.count, &call.for_each) {
                        (Some(_), _) => (Expansion::Count, vec![(Some(Key::Int(0)), None)]),
                        (_, Some(_)) => (
                            Expansion::ForEach,
                            vec![(Some(Key::Str(String::new())), Some(Value::Unknown))],
                        ),
                        _ => (Expansion::Single, vec![(None, None)]),
                    }
                }
                Expanded::Unknown => {
                    unknown = true;
                    let addr = format!("{}module.{name}", prefix(&mi));
                    self.deferred.locked().insert(i, addr.clone());
                    self.out.locked().deferred.push(Deferred { addr, reason: "count or for_each of this module depends on values known only after apply".into() });
                    values
                        .module_mut(&mi)
                        .calls
                        .insert(name.to_string(), Instances::new(Expansion::Unknown));
                    continue;
                }
                Expanded::Keys(e, k) => (e, k),
            };
            let mut inst = Instances::new(expansion);
            for (key, each_value) in keys {
                let mut child_mi = mi.clone();
                child_mi.push((name.to_string(), key.clone()));
                values.module_mut(&child_mi).each_value = each_value;
                inst.values.insert(key, Value::Map(BTreeMap::new().into()));
                children.push(child_mi);
            }
            values.module_mut(&mi).calls.insert(name.to_string(), inst);
        }
        self.values
            .locked()
            .expansions
            .insert(child_path, if unknown { None } else { Some(children) });
        Ok(())
    }

    pub(super) async fn provider_node(&self, node: &Node, p: &ProviderRef) -> NodeResult {
        let Some((provider, schema)) = self.e.registry.get(&p.name) else {
            return Err(Diagnostic::error(
                "Unknown provider",
                format!(
                    "The provider \"{}\" is not available in this build of mlform.",
                    p.name
                ),
            )
            .into());
        };
        let root = &self.e.config;
        let block = root
            .providers
            .iter()
            .find(|b| b.name == p.name && b.alias == p.alias);
        let config = {
            let values = self.values.locked();
            let root_path: ModulePath = vec![];
            let scope = self.scope(&values, &root_path, root, None, None);
            match block {
                Some(b) => {
                    let mut ev = Evaluator::new(&scope, b.body.file);
                    eval_body(
                        &mut ev,
                        b.body.file,
                        &b.body.body,
                        &schema.provider,
                        &format!("the provider \"{p}\" block"),
                        node.span.clone(),
                    )?
                }
                None => {
                    let mut ev = Evaluator::new(&scope, 0);
                    eval_body(
                        &mut ev,
                        0,
                        &hcl_edit::structure::Body::new(),
                        &schema.provider,
                        &format!("the provider \"{p}\" configuration"),
                        None,
                    )?
                }
            }
        };
        if self.phase == Phase::Validate {
            return Ok(());
        }
        match provider.configure(&config).await {
            Ok(c) => {
                self.providers.locked().insert(p.clone(), c);
                Ok(())
            }
            Err(e) => Err(Diagnostic::error(
                "Failed to configure provider",
                format!("Provider \"{p}\" could not be configured: {e}"),
            )
            .at(node.span.clone())
            .into()),
        }
    }

    // ---- resources -----------------------------------------------------------------
}
