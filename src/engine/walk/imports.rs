//! `import` blocks during plan: the IDs each targets, and reading the objects they adopt.

use super::*;

impl<'a> Walk<'a> {
    /// The IDs that root `import` blocks give instances of `key` in module instance `mi`.
    pub(super) fn import_ids(
        &self,
        mi: &ModulePath,
        key: &ResourceKey,
    ) -> Result<HashMap<Option<Key>, String>, Vec<Diagnostic>> {
        let mut out: HashMap<Option<Key>, String> = HashMap::new();
        let mut diags = Vec::new();
        let root = &self.e.config;
        let root_path: ModulePath = Vec::new();
        for im in &root.imports {
            let fixed_key = im.to.key.clone();
            if &im.to.resource != key || &im.to.module != mi {
                continue;
            }
            let values = self.values.locked();
            let one = |each: Option<(Value, Value)>| -> Result<(Option<Key>, String), Diagnostic> {
                let scope = self.scope(&values, &root_path, root, None, each);
                let mut ev = Evaluator::new(&scope, im.id.file);
                let id = ev.eval(&im.id.expr)?;
                if !id.is_wholly_known() {
                    return Err(Diagnostic::error("Invalid import id argument", "The import block \"id\" argument depends on values that cannot be determined until apply.").at(im.id.span()));
                }
                let id = to_string(&id.strip_marks()).ok_or_else(|| {
                    Diagnostic::error(
                        "Invalid import id argument",
                        format!(
                            "The import ID must be a string, but it is {}.",
                            id.type_name()
                        ),
                    )
                    .at(im.id.span())
                })?;
                let k = match &im.to_key {
                    None => fixed_key.clone(),
                    Some(e) => {
                        let v = ev.eval(&e.expr)?.strip_marks();
                        match (&v, v.as_f64()) {
                            (Value::String(s), _) => Some(Key::Str(s.clone())),
                            (_, Some(n)) if n.fract() == 0.0 => Some(Key::Int(n as i64)),
                            _ => return Err(Diagnostic::error("Invalid import address", format!("The instance key of an import target must be a string or a whole number, but it is {}.", v.type_name())).at(e.span())),
                        }
                    }
                };
                Ok((k, id))
            };
            let mut found = Vec::new();
            match &im.for_each {
                None => found.push(one(None)),
                Some(f) => {
                    let scope = self.scope(&values, &root_path, root, None, None);
                    let v = Evaluator::new(&scope, f.file)
                        .eval(&f.expr)
                        .map_err(|d| vec![d])?;
                    let (v, _) = split_mark(v);
                    let items: Vec<(Value, Value)> = match v {
                        Value::Map(m) => {
                            m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()
                        }
                        Value::Set(items) | Value::List(items) => {
                            items.into_iter().map(|v| (v.clone(), v)).collect()
                        }
                        Value::Unknown => {
                            diags.push(Diagnostic::error("Invalid for_each argument", "The import block's for_each depends on values that cannot be determined until apply.").at(f.span()));
                            continue;
                        }
                        other => {
                            diags.push(Diagnostic::error("Invalid for_each argument", format!("The import block's for_each must be a map, set or list, but it is {}.", other.type_name())).at(f.span()));
                            continue;
                        }
                    };
                    for each in items {
                        found.push(one(Some(each)));
                    }
                }
            }
            for r in found {
                match r {
                    Ok((k, id)) => {
                        let addr = InstanceAddr {
                            module: mi.clone(),
                            resource: key.clone(),
                            key: k.clone(),
                        };
                        if out.insert(k, id).is_some() {
                            diags.push(
                                Diagnostic::error(
                                    "Duplicate import configuration",
                                    format!("More than one import block imports to {addr}."),
                                )
                                .at(im.span.clone()),
                            );
                        }
                    }
                    Err(d) => diags.push(d),
                }
            }
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    /// Reads the object an import block names, as the prior state of its instance.
    pub(super) async fn import_object(
        &self,
        addr: &InstanceAddr,
        id: &str,
        res: &Arc<dyn Resource>,
    ) -> Result<Value, Diagnostic> {
        let _permit = self.sem.acquire().await.expect("semaphore");
        let addr_s = addr.to_string();
        self.reporter.event(Event::Importing { addr: &addr_s, id });
        match self.retry(&addr_s, || res.import(id)).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id \"{id}\". Only pre-existing objects can be imported; check that the id is correct."))),
            Err(e) => Err(Diagnostic::error("Import failed", format!("{addr}: {e}"))),
        }
    }
}
