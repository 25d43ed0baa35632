//! Typed resources in terraform-provider-kubernetes's shape, one implementation for every
//! [`Kind`]: `metadata` is a block list of one, so `kubernetes_namespace.x.metadata[0].name`
//! (the documented idiom) works, with `name`, `namespace`, `labels`, `annotations` and the
//! computed `uid`, `resource_version` and `generation`; the kind's own attributes come
//! from its field table ([`crate::shape`]).
//!
//! Objects are written with server-side apply under the field manager `mlform`; drift is
//! read on the labels and annotations the configuration sets, and on the kind's fields as
//! [`crate::shape::decode`] reads them. A new name or namespace, or a change to a force-new
//! field, replaces the object. Create and update wait for what the kind's `wait_for_*`
//! setting asks (a rollout, a load balancer's address, a bound claim), watching the object
//! with kube's runtime waiter (`await_condition`) until the `timeouts`; delete waits until
//! the object is gone. Import ID: `NAMESPACE/NAME`, or `NAME` for cluster-scoped kinds.

use std::time::Duration;

use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use mlform_provider::{
    parse_timeout, Attribute, NestedBlock, Nesting, PathStep, PlanRequest, Planned, ProviderError,
    Resource, Schema, Type, Value,
};
use serde_json::{json, Map, Value as J};

use crate::fields::project;
use crate::kinds::{Body, Kind, Wait};
use crate::manifest::{rollout_pending, wait_gone};
use crate::shape::{self, Read};
use crate::{classify, is_not_found, Identity, Kube};

/// The default of each `timeouts` entry, as the provider's.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The schema of a typed kind: `metadata`, the kind's attributes, `id`, `timeouts`.
pub fn schema(kind: &Kind) -> Schema {
    let mut metadata = Schema::new()
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("labels", Attribute::optional(Type::map(Type::String)))
        .attr("annotations", Attribute::optional(Type::map(Type::String)))
        .attr("uid", Attribute::computed(Type::String))
        .attr("resource_version", Attribute::computed(Type::String))
        .attr("generation", Attribute::computed(Type::Number));
    if kind.namespaced {
        metadata = metadata.attr(
            "namespace",
            Attribute::optional(Type::String)
                .force_new()
                .default("default"),
        );
    }
    let timeouts = Schema::new()
        .attr("create", Attribute::optional(Type::String))
        .attr("update", Attribute::optional(Type::String))
        .attr("delete", Attribute::optional(Type::String));
    let body = match &kind.body {
        Body::Fields(fields) => shape::schema(fields),
        Body::Custom { attributes, .. } => attributes(),
    };
    let mut s = body
        .attr("id", Attribute::computed(Type::String))
        .block(
            "metadata",
            NestedBlock {
                nesting: Nesting::List,
                block: metadata,
                min_items: 1,
                max_items: Some(1),
                force_new: false,
            },
        )
        .block(
            "timeouts",
            NestedBlock {
                nesting: Nesting::Single,
                block: timeouts,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
            },
        );
    s.description = format!(
        "A {} ({}), as terraform-provider-kubernetes's {}.",
        kind.kind,
        kind.api_versions[0],
        kind.type_name()
    );
    s
}

/// The one `metadata` block of a value.
fn meta(v: &Value) -> Value {
    match v.get_attr("metadata").strip_marks() {
        Value::List(items) => items.into_iter().next().unwrap_or(Value::Null),
        other => other,
    }
}

fn meta_str(v: &Value, name: &str) -> Option<String> {
    meta(v).get_attr(name).as_str().map(str::to_string)
}

fn with_meta(state: &mut Value, f: impl FnOnce(&mut mlform_provider::ValueMap)) {
    if let Value::Map(m) = state {
        if let Some(Value::List(items)) = m.get_mut("metadata") {
            if let Some(Value::Map(meta)) = items.first_mut() {
                f(meta);
            }
        }
    }
}

pub struct Typed {
    pub kind: &'static Kind,
    pub kube: Kube,
}

impl Typed {
    fn identity(&self, v: &Value, api_version: &str) -> Identity {
        Identity {
            api_version: api_version.into(),
            kind: self.kind.kind.into(),
            namespace: self
                .kind
                .namespaced
                .then(|| meta_str(v, "namespace").unwrap_or_else(|| "default".into())),
            name: meta_str(v, "name").unwrap_or_default(),
        }
    }

    fn id_of(&self, v: &Value) -> String {
        let id = self.identity(v, "");
        match id.namespace {
            Some(ns) => format!("{ns}/{}", id.name),
            None => id.name,
        }
    }

    /// The kind's API identity for `v`, at the first of its versions the server serves.
    async fn locate(&self, v: &Value) -> Result<Identity, ProviderError> {
        let versions = self.kind.api_versions;
        if let [only] = versions {
            return Ok(self.identity(v, only));
        }
        for version in versions {
            if self.kube.knows(version, self.kind.kind) {
                return Ok(self.identity(v, version));
            }
        }
        for version in versions {
            let id = self.identity(v, version);
            match self.kube.api(&id).await {
                Ok(_) => return Ok(id),
                Err(ProviderError::InvalidConfig(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ProviderError::InvalidConfig(format!(
            "the API server serves {} in none of {}",
            self.kind.kind,
            versions.join(", ")
        )))
    }

    fn encode_body(&self, v: &Value) -> Result<Map<String, J>, ProviderError> {
        match &self.kind.body {
            Body::Fields(fields) => shape::encode(fields, v, ""),
            Body::Custom { encode, .. } => encode(v),
        }
    }

    fn manifest(&self, v: &Value, id: &Identity) -> Result<J, ProviderError> {
        let m = meta(v);
        let mut metadata = json!({"name": id.name});
        if let Some(ns) = &id.namespace {
            metadata["namespace"] = J::String(ns.clone());
        }
        for k in ["labels", "annotations"] {
            if let Some(map) = m.get_attr(k).strip_marks().as_map() {
                metadata[k] = Value::Map(map.clone()).to_json();
            }
        }
        let mut obj = self.encode_body(v)?;
        obj.insert("apiVersion".into(), J::String(id.api_version.clone()));
        obj.insert("kind".into(), J::String(self.kind.kind.into()));
        obj.insert("metadata".into(), metadata);
        Ok(J::Object(obj))
    }

    /// The state for `base` (planned or prior) from the live object.
    fn state(&self, base: &Value, live: &J, read: Read) -> Result<Value, ProviderError> {
        let mut m = meta(base).as_map().cloned().unwrap_or_default();
        for k in ["labels", "annotations"] {
            let owned = meta(base).get_attr(k).strip_marks();
            let seen = match (owned.as_map(), live.pointer(&format!("/metadata/{k}"))) {
                (Some(_), Some(l)) => project(l, &owned.to_json()),
                _ => None,
            };
            m.insert(
                k.into(),
                seen.map(|x| Value::from_json(&x)).unwrap_or(Value::Null),
            );
        }
        for (k, field) in [("uid", "uid"), ("resource_version", "resourceVersion")] {
            if let Some(x) = live
                .pointer(&format!("/metadata/{field}"))
                .and_then(J::as_str)
            {
                m.insert(k.into(), Value::from(x));
            }
        }
        m.insert(
            "generation".into(),
            live.pointer("/metadata/generation")
                .map(Value::from_json)
                .unwrap_or(Value::from(0i64)),
        );
        let mut out = base.strip_marks().as_map().cloned().unwrap_or_default();
        let body = match &self.kind.body {
            Body::Fields(fields) => shape::decode(fields, live, base, read),
            Body::Custom { decode, .. } => decode(live, base),
        };
        for (k, x) in body {
            out.insert(k, x);
        }
        out.insert("metadata".into(), Value::List(vec![Value::Map(m)]));
        out.insert("id".into(), Value::from(self.id_of(base)));
        let schema = schema(self.kind);
        let shaped = schema.conform(&Value::Map(out));
        Ok(mark_sensitive(shaped, &schema))
    }

    /// Writes the object, then waits for what the kind asks; a failed wait leaves the
    /// written object in state.
    async fn apply(&self, planned: &Value, timeout_key: &str) -> Result<Value, ProviderError> {
        let id = self.locate(planned).await?;
        let (api, _, _) = self.kube.api(&id).await?;
        let shape = self.manifest(planned, &id)?;
        let what = format!("apply {}", self.kind.kind);
        let obj = api
            .patch(
                &id.name,
                &PatchParams::apply("mlform").force(),
                &Patch::Apply(&shape),
            )
            .await
            .map_err(|e| classify(&what, &e))?;
        let live = serde_json::to_value(&obj).map_err(|e| ProviderError::Api(e.to_string()))?;
        let state = self.state(planned, &live, Read::Owned)?;
        let timeout = parse_timeout(
            planned.get_attr("timeouts").get_attr(timeout_key).as_str(),
            DEFAULT_TIMEOUT,
        );
        match self.wait(planned, &id, timeout).await {
            Ok(Some(latest)) => self.state(planned, &latest, Read::Owned),
            Ok(None) => Ok(state),
            Err(e) => Err(ProviderError::incomplete(state, e)),
        }
    }

    /// Waits for the kind's `wait_for_*` condition; the object as last seen when there was one.
    async fn wait(
        &self,
        planned: &Value,
        id: &Identity,
        timeout: Duration,
    ) -> Result<Option<J>, ProviderError> {
        let on = |attr: &str| planned.get_attr(attr).strip_marks().as_bool() == Some(true);
        let spec_type = planned
            .get_attr("spec")
            .as_list()
            .and_then(|s| s.first())
            .map(|s| s.get_attr("type").strip_marks())
            .unwrap_or(Value::Null);
        let (target, check): (Identity, Check) = match self.kind.wait {
            Wait::Rollout if on("wait_for_rollout") => (id.clone(), rollout_check),
            Wait::LoadBalancer
                if on("wait_for_load_balancer")
                    && (self.kind.kind != "Service"
                        || spec_type.as_str() == Some("LoadBalancer")) =>
            {
                (id.clone(), load_balancer_check)
            }
            Wait::Bound if on("wait_until_bound") => (id.clone(), |_, live| {
                let phase = live.pointer("/status/phase").and_then(J::as_str);
                Ok((phase != Some("Bound"))
                    .then(|| format!("phase {}", phase.unwrap_or("unknown"))))
            }),
            Wait::Completion if on("wait_for_completion") => (id.clone(), completion_check),
            Wait::DefaultServiceAccount if on("wait_for_default_service_account") => (
                Identity {
                    api_version: "v1".into(),
                    kind: "ServiceAccount".into(),
                    namespace: Some(id.name.clone()),
                    name: "default".into(),
                },
                |_, _| Ok(None),
            ),
            _ => return Ok(None),
        };
        let (api, _, _) = self.kube.api(&target).await?;
        let what = match self.kind.wait {
            Wait::Rollout => format!("{} {} to roll out", self.kind.kind, id.name),
            Wait::LoadBalancer => format!(
                "{} {} to get a load balancer address",
                self.kind.kind, id.name
            ),
            Wait::Bound => format!("PersistentVolumeClaim {} to be bound", id.name),
            Wait::Completion => format!("Job {} to complete", id.name),
            _ => format!("namespace {} to have its default service account", id.name),
        };
        // Watched with kube's runtime waiter; a condition that errors (a stalled rollout)
        // ends the wait too, and is reported below.
        let kind = self.kind.kind;
        let as_json = |o: &DynamicObject| serde_json::to_value(o).unwrap_or(J::Null);
        let done = move |o: Option<&DynamicObject>| {
            o.is_some_and(|o| !matches!(check(kind, &as_json(o)), Ok(Some(_))))
        };
        let waited = tokio::time::timeout(
            timeout,
            kube::runtime::wait::await_condition(api.clone(), &target.name, done),
        )
        .await;
        let seen = match waited {
            Ok(Ok(Some(obj))) => as_json(&obj),
            Ok(Ok(None)) => {
                return Err(ProviderError::Api(format!(
                    "{} {} disappeared while waiting",
                    target.kind, target.name
                )))
            }
            Ok(Err(e)) => return Err(ProviderError::Transient(format!("watching {what}: {e}"))),
            Err(_) => {
                // Name what is still pending, as the other waits do.
                let last = match api.get_opt(&target.name).await {
                    Ok(Some(o)) => check(kind, &as_json(&o))?.unwrap_or_else(|| "ready".into()),
                    Ok(None) => "not found".into(),
                    Err(e) => e.to_string(),
                };
                return Err(ProviderError::Timeout {
                    what: format!("{what} (last seen: {last})"),
                    seconds: timeout.as_secs(),
                });
            }
        };
        check(kind, &seen)?;
        Ok((target.kind == self.kind.kind).then_some(seen))
    }

    async fn get(&self, v: &Value) -> Result<Option<J>, ProviderError> {
        let id = self.locate(v).await?;
        let (api, _, _) = self.kube.api(&id).await?;
        let what = format!("get {}", self.kind.kind);
        match api
            .get_opt(&id.name)
            .await
            .map_err(|e| classify(&what, &e))?
        {
            Some(obj) => Ok(Some(
                serde_json::to_value(&obj).map_err(|e| ProviderError::Api(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }
}

/// Why the object of a kind is not yet what a wait asks (`None`: it is), or an error when
/// it never will be.
type Check = fn(&str, &J) -> Result<Option<String>, ProviderError>;

/// A workload's rollout: pending while not updated and ready; an error once a
/// Deployment's controller reports the progress deadline exceeded.
fn rollout_check(kind: &str, live: &J) -> Result<Option<String>, ProviderError> {
    let stalled = live
        .pointer("/status/conditions")
        .and_then(J::as_array)
        .and_then(|cs| {
            cs.iter().find(|c| {
                c.get("type").and_then(J::as_str) == Some("Progressing")
                    && c.get("reason").and_then(J::as_str) == Some("ProgressDeadlineExceeded")
            })
        });
    if let Some(c) = stalled {
        return Err(ProviderError::Api(format!(
            "the rollout failed: {}",
            c.get("message")
                .and_then(J::as_str)
                .unwrap_or("progress deadline exceeded")
        )));
    }
    Ok(rollout_pending(kind, live))
}

/// A Job's run: pending until its Complete condition; an error once it has Failed.
fn completion_check(_: &str, live: &J) -> Result<Option<String>, ProviderError> {
    let condition = |kind: &str| {
        live.pointer("/status/conditions")
            .and_then(J::as_array)
            .and_then(|cs| {
                cs.iter().find(|c| {
                    c.get("type").and_then(J::as_str) == Some(kind)
                        && c.get("status").and_then(J::as_str) == Some("True")
                })
            })
            .cloned()
    };
    if let Some(failed) = condition("Failed") {
        let text = |k: &str| {
            failed
                .get(k)
                .and_then(J::as_str)
                .unwrap_or_default()
                .to_string()
        };
        return Err(ProviderError::Api(format!(
            "the job failed: {} {}",
            text("reason"),
            text("message")
        )));
    }
    if condition("Complete").is_some() {
        return Ok(None);
    }
    let count = |k: &str| {
        live.pointer(&format!("/status/{k}"))
            .and_then(J::as_i64)
            .unwrap_or(0)
    };
    Ok(Some(format!(
        "{} active, {} succeeded, {} failed",
        count("active"),
        count("succeeded"),
        count("failed")
    )))
}

fn load_balancer_check(_: &str, live: &J) -> Result<Option<String>, ProviderError> {
    let ingress = live
        .pointer("/status/loadBalancer/ingress")
        .and_then(J::as_array)
        .is_some_and(|a| !a.is_empty());
    Ok((!ingress).then(|| "no ingress address yet".to_string()))
}

fn mark_sensitive(v: Value, schema: &Schema) -> Value {
    match v {
        Value::Map(mut m) => {
            for (name, a) in &schema.attributes {
                if a.sensitive {
                    if let Some(x) = m.remove(name) {
                        let x = if x.is_null() {
                            x
                        } else {
                            x.strip_marks().into_sensitive()
                        };
                        m.insert(name.clone(), x);
                    }
                }
            }
            Value::Map(m)
        }
        other => other,
    }
}

#[async_trait::async_trait]
impl Resource for Typed {
    fn schema(&self) -> Schema {
        schema(self.kind)
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let schema = self.schema();
        let moved = request.prior.is_some_and(|prior| {
            meta_str(prior, "name") != meta_str(request.config, "name")
                || (self.kind.namespaced
                    && meta_str(prior, "namespace").unwrap_or_else(|| "default".into())
                        != meta_str(request.config, "namespace")
                            .unwrap_or_else(|| "default".into()))
        });
        let mut p = match &self.kind.body {
            Body::Custom { .. } => mlform_provider::plan_by_schema(&schema, request.clone())?,
            Body::Fields(fields) => {
                // The configuration's values with defaults; computed fields come from the
                // prior, unless a force-new change replaces the object.
                let mut p = mlform_provider::plan_by_schema(
                    &schema,
                    PlanRequest {
                        prior: None,
                        config: request.config,
                    },
                )?;
                let configured = p.state.clone();
                if let Some(prior) = request.prior.filter(|_| !moved) {
                    shape::fill_computed(fields, &mut p.state, Some(prior));
                    shape::keep_equivalent(fields, &mut p.state, prior);
                    shape::replace_paths(
                        fields,
                        &p.state,
                        prior,
                        &mut Vec::new(),
                        &mut p.requires_replace,
                    );
                }
                if request.prior.is_none() || moved || !p.requires_replace.is_empty() {
                    p.state = configured;
                    shape::fill_computed(fields, &mut p.state, None);
                }
                p
            }
        };
        let replacing = moved || !p.requires_replace.is_empty();
        let id = Value::from(self.id_of(request.config));
        if let Value::Map(m) = &mut p.state {
            m.insert("id".into(), id);
        }
        let prior_meta = request.prior.map(meta).unwrap_or(Value::Null);
        let namespaced = self.kind.namespaced;
        with_meta(&mut p.state, |meta| {
            for k in ["uid", "resource_version", "generation"] {
                let keep = !replacing
                    && prior_meta.get_attr(k).is_wholly_known()
                    && !prior_meta.get_attr(k).is_null();
                meta.insert(
                    k.into(),
                    if keep {
                        prior_meta.get_attr(k).clone()
                    } else {
                        Value::Unknown
                    },
                );
            }
            if namespaced && !meta.get("namespace").is_some_and(|n| !n.is_null()) {
                meta.insert("namespace".into(), Value::from("default"));
            }
        });
        // An in-place change gets a new resourceVersion.
        let changed = request
            .prior
            .is_some_and(|prior| !prior.same_data(&p.state));
        if changed && !replacing {
            with_meta(&mut p.state, |meta| {
                meta.insert("resource_version".into(), Value::Unknown);
                meta.insert("generation".into(), Value::Unknown);
            });
        }
        if moved {
            p.requires_replace
                .push(vec![PathStep::GetAttr("metadata".into())]);
        }
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        match self.get(prior).await? {
            Some(live) => Ok(Some(self.state(prior, &live, Read::Owned)?)),
            None => Ok(None),
        }
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.apply(planned, "create").await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.apply(planned, "update").await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let id = self.locate(prior).await?;
        let (api, _, _) = self.kube.api(&id).await?;
        match api.delete(&id.name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(classify(&format!("delete {}", self.kind.kind), &e)),
        }
        let timeout = parse_timeout(
            prior.get_attr("timeouts").get_attr("delete").as_str(),
            DEFAULT_TIMEOUT,
        );
        wait_gone(&api, &id, timeout).await
    }

    async fn import(&self, id_text: &str) -> Result<Option<Value>, ProviderError> {
        let (namespace, name) = match (self.kind.namespaced, id_text.split_once('/')) {
            (true, Some((ns, n))) => (Some(ns.to_string()), n.to_string()),
            (true, None) => (Some("default".to_string()), id_text.to_string()),
            (false, _) => (None, id_text.to_string()),
        };
        let mut m = vec![("name", Value::from(name))];
        if let Some(ns) = namespace {
            m.push(("namespace", Value::from(ns)));
        }
        let probe = Value::object([("metadata", Value::List(vec![Value::object(m)]))]);
        let Some(live) = self.get(&probe).await? else {
            return Ok(None);
        };
        // Keys the cluster sets itself (kubernetes.io/metadata.name, ...) are not the user's.
        let user_keys = |p: &str| {
            live.pointer(p)
                .and_then(J::as_object)
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| !k.contains("kubernetes.io/") && !k.contains("k8s.io/"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<Map<_, _>>()
                })
                .filter(|m| !m.is_empty())
                .map(|m| Value::from_json(&J::Object(m)))
                .unwrap_or(Value::Null)
        };
        let mut base_meta = meta(&probe).as_map().cloned().unwrap_or_default();
        base_meta.insert("labels".into(), user_keys("/metadata/labels"));
        base_meta.insert("annotations".into(), user_keys("/metadata/annotations"));
        let base = Value::object([("metadata", Value::List(vec![Value::Map(base_meta)]))]);
        Ok(Some(self.state(&base, &live, Read::All)?))
    }
}
