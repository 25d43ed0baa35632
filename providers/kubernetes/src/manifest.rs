//! `kubernetes_manifest`: any object, applied with server-side apply under the field manager
//! `mlform` (`field_manager { name, force_conflicts }`). Plan asks the API server for a
//! dry-run apply: a conflict with another manager fails the plan (unless
//! `force_conflicts`), and a change the server would normalize to what is already there is
//! no change. Drift is read on the paths the manifest sets only: a field changed by another
//! manager shows; a field mlform never set (an HPA's `spec.replicas`) never does. `wait`
//! blocks on rollouts, fields or conditions; CustomResourceDefinitions always wait until
//! Established. Delete uses foreground propagation and waits until the object is gone.
//! Import ID: `apiVersion=...,kind=...,namespace=...,name=...`. Also the
//! `kubernetes_resource` data source.

use std::time::{Duration, Instant};

use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use mlform_provider::{
    Attribute, DataSource, NestedBlock, Nesting, PathStep, PlanRequest, Planned, ProviderError,
    Resource, Schema, Type, Value,
};
use serde_json::Value as J;

use crate::fields::{owned_by, project};
use crate::{classify, is_not_found, Identity, Kube};
use mlform_provider::parse_timeout;

const DEFAULT_MANAGER: &str = "mlform";

fn single(block: Schema) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Single,
        block,
        min_items: 0,
        max_items: Some(1),
        force_new: false,
    }
}

pub fn schema() -> Schema {
    let field_manager = Schema::new()
        .attr("name", Attribute::optional(Type::String))
        .attr("force_conflicts", Attribute::optional(Type::Bool));
    let condition = Schema::new()
        .attr("type", Attribute::required(Type::String))
        .attr("status", Attribute::required(Type::String));
    let wait = Schema::new()
        .attr("rollout", Attribute::optional(Type::Bool))
        .attr("fields", Attribute::optional(Type::map(Type::String)))
        .block("condition", single(condition));
    let timeouts = Schema::new()
        .attr("create", Attribute::optional(Type::String))
        .attr("update", Attribute::optional(Type::String))
        .attr("delete", Attribute::optional(Type::String));
    Schema::new()
        .attr(
            "manifest",
            Attribute::required(Type::Any)
                .describe("The object, as an HCL object or yamldecode(file(...))."),
        )
        .attr("id", Attribute::computed(Type::String))
        .block("field_manager", single(field_manager))
        .block("wait", single(wait))
        .block("timeouts", single(timeouts))
}

pub fn data_schema() -> Schema {
    let metadata = Schema::new()
        .attr("name", Attribute::required(Type::String))
        .attr("namespace", Attribute::optional(Type::String));
    Schema::new()
        .attr("api_version", Attribute::required(Type::String))
        .attr("kind", Attribute::required(Type::String))
        .attr("object", Attribute::computed(Type::Any))
        .block(
            "metadata",
            NestedBlock {
                min_items: 1,
                ..single(metadata)
            },
        )
}

pub struct Manifest {
    pub kube: Kube,
}

/// The manifest as JSON without nulls (null means "not set" in HCL, "delete" in SSA).
fn manifest_json(v: &Value) -> J {
    fn strip(j: J) -> J {
        match j {
            J::Object(m) => J::Object(
                m.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, strip(v)))
                    .collect(),
            ),
            J::Array(a) => J::Array(a.into_iter().map(strip).collect()),
            other => other,
        }
    }
    strip(v.get_attr("manifest").strip_marks().to_json())
}

fn manager(v: &Value) -> (String, bool) {
    let fm = v.get_attr("field_manager");
    (
        fm.get_attr("name")
            .as_str()
            .unwrap_or(DEFAULT_MANAGER)
            .to_string(),
        fm.get_attr("force_conflicts").as_bool() == Some(true),
    )
}

/// Server fields that describe the object's life, not its desired state.
fn strip_server_fields(live: &J) -> J {
    let mut j = live.clone();
    if let Some(J::Object(meta)) = j.get_mut("metadata") {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "selfLink",
        ] {
            meta.remove(k);
        }
    }
    if let J::Object(m) = &mut j {
        m.remove("status");
    }
    j
}

fn with_manifest(base: &Value, manifest: J, id: &Identity) -> Value {
    let mut m = base.strip_marks().as_map().cloned().unwrap_or_default();
    m.insert("manifest".into(), Value::from_json(&manifest));
    m.insert("id".into(), Value::from(id.id()));
    schema().conform(&Value::Map(m))
}

fn conflict_error(e: &kube::Error, manager: &str) -> Option<ProviderError> {
    match e {
        kube::Error::Api(s) if s.code == 409 => Some(ProviderError::InvalidConfig(format!(
            "apply conflict for field manager {manager:?}: {}. Another manager owns these fields: leave them out of the manifest, or set field_manager {{ force_conflicts = true }} to take them over",
            s.message
        ))),
        _ => None,
    }
}

impl Manifest {
    async fn apply(&self, planned: &Value, dry_run: bool) -> Result<J, ProviderError> {
        let manifest = manifest_json(planned);
        let id = Identity::of(&manifest)?;
        let (api, _, _) = self.kube.api(&id).await?;
        let (name, force) = manager(planned);
        let mut params = PatchParams::apply(&name);
        if force {
            params = params.force();
        }
        if dry_run {
            params = params.dry_run();
        }
        let obj = api
            .patch(&id.name, &params, &Patch::Apply(&manifest))
            .await
            .map_err(|e| {
                conflict_error(&e, &name).unwrap_or_else(|| classify("server-side apply", &e))
            })?;
        serde_json::to_value(&obj).map_err(|e| ProviderError::Api(e.to_string()))
    }

    async fn get(&self, id: &Identity) -> Result<Option<J>, ProviderError> {
        let (api, _, _) = self.kube.api(id).await?;
        match api.get_opt(&id.name).await {
            Ok(Some(o)) => Ok(Some(
                serde_json::to_value(&o).map_err(|e| ProviderError::Api(e.to_string()))?,
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(classify("get", &e)),
        }
    }

    /// Waits for what `wait` asks, and for a CRD to be Established.
    async fn wait(
        &self,
        planned: &Value,
        id: &Identity,
        timeout: Duration,
    ) -> Result<(), ProviderError> {
        let wait = planned.get_attr("wait");
        let rollout = wait.get_attr("rollout").as_bool() == Some(true);
        let fields: Vec<(String, String)> = wait
            .get_attr("fields")
            .as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let mut condition = wait.get_attr("condition").as_map().map(|c| {
            (
                c.get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                c.get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("True")
                    .to_string(),
            )
        });
        if id.kind == "CustomResourceDefinition" && condition.is_none() {
            condition = Some(("Established".into(), "True".into()));
        }
        if !rollout && fields.is_empty() && condition.is_none() {
            return Ok(());
        }
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            let live = self.get(id).await?.ok_or_else(|| {
                ProviderError::Api(format!("{} {} disappeared while waiting", id.kind, id.name))
            })?;
            let mut pending = Vec::new();
            if rollout {
                if let Some(why) = rollout_pending(&id.kind, &live) {
                    pending.push(why);
                }
            }
            for (path, want) in &fields {
                let got = field_at(&live, path);
                if got.as_deref() != Some(want.as_str()) {
                    pending.push(format!(
                        "{path} is {} (waiting for {want})",
                        got.unwrap_or_else(|| "unset".into())
                    ));
                }
            }
            if let Some((t, s)) = &condition {
                let ok = live
                    .pointer("/status/conditions")
                    .and_then(J::as_array)
                    .is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c.get("type").and_then(J::as_str) == Some(t)
                                && c.get("status").and_then(J::as_str) == Some(s)
                        })
                    });
                if !ok {
                    pending.push(format!("condition {t} is not {s}"));
                }
            }
            if pending.is_empty() && id.kind == "CustomResourceDefinition" {
                pending.extend(self.undiscovered_versions(&live).await);
            }
            if pending.is_empty() {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(ProviderError::Timeout {
                    what: format!("{} {}: {}", id.kind, id.name, pending.join("; ")),
                    seconds: timeout.as_secs(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// The served versions of an Established CRD that API discovery does not list yet (the
    /// API server publishes them a moment after the condition), so that objects of the kind
    /// applied next are found.
    async fn undiscovered_versions(&self, crd: &J) -> Vec<String> {
        let group = crd
            .pointer("/spec/group")
            .and_then(J::as_str)
            .unwrap_or_default();
        let kind = crd
            .pointer("/spec/names/kind")
            .and_then(J::as_str)
            .unwrap_or_default();
        let served = crd
            .pointer("/spec/versions")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter(|v| v.get("served").and_then(J::as_bool) != Some(false))
            .filter_map(|v| v.get("name").and_then(J::as_str));
        let mut missing = Vec::new();
        for version in served {
            let kind_id = Identity {
                api_version: format!("{group}/{version}"),
                kind: kind.to_string(),
                namespace: None,
                name: String::new(),
            };
            if let Err(ProviderError::InvalidConfig(_)) = self.kube.api(&kind_id).await {
                missing.push(format!(
                    "{kind} {group}/{version} is not in API discovery yet"
                ));
            }
        }
        missing
    }

    async fn apply_and_wait(
        &self,
        planned: &Value,
        timeout_key: &str,
    ) -> Result<Value, ProviderError> {
        let applied = self.apply(planned, false).await?;
        let manifest = manifest_json(planned);
        let id = Identity::of(&manifest)?;
        let timeout = parse_timeout(
            planned.get_attr("timeouts").get_attr(timeout_key).as_str(),
            Duration::from_secs(600),
        );
        let stored = project(&applied, &manifest).unwrap_or_else(|| manifest.clone());
        let state = with_manifest(planned, stored, &id);
        match self.wait(planned, &id, timeout).await {
            Ok(()) => Ok(state),
            // Applied but not ready: the object is there, at the new spec.
            Err(e) => Err(ProviderError::incomplete(state, e)),
        }
    }
}

/// Why a workload's rollout is not finished, or `None` when it is (or the kind has none).
pub(crate) fn rollout_pending(kind: &str, live: &J) -> Option<String> {
    let num = |p: &str| live.pointer(p).and_then(J::as_i64).unwrap_or(0);
    let generation = num("/metadata/generation");
    let observed = num("/status/observedGeneration");
    if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") && observed < generation {
        return Some(format!("generation {generation} not observed yet"));
    }
    let desired = live
        .pointer("/spec/replicas")
        .and_then(J::as_i64)
        .unwrap_or(1);
    match kind {
        "Deployment" => {
            let (updated, available) = (
                num("/status/updatedReplicas"),
                num("/status/availableReplicas"),
            );
            (updated < desired || available < desired)
                .then(|| format!("{updated}/{desired} updated, {available}/{desired} available"))
        }
        "StatefulSet" => {
            let (updated, ready) = (num("/status/updatedReplicas"), num("/status/readyReplicas"));
            (updated < desired || ready < desired)
                .then(|| format!("{updated}/{desired} updated, {ready}/{desired} ready"))
        }
        "DaemonSet" => {
            let want = num("/status/desiredNumberScheduled");
            let (updated, ready) = (
                num("/status/updatedNumberScheduled"),
                num("/status/numberReady"),
            );
            (updated < want || ready < want).then(|| format!("{ready}/{want} ready"))
        }
        _ => None,
    }
}

/// The value at a dotted path (`status.phase`, `status.conditions[0].type`) as text.
fn field_at(live: &J, path: &str) -> Option<String> {
    let mut cur = live;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        cur = cur.get(name)?;
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(match cur {
        J::String(s) => s.clone(),
        other => other.to_string(),
    })
}

#[async_trait::async_trait]
impl Resource for Manifest {
    fn schema(&self) -> Schema {
        schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let manifest = request.config.get_attr("manifest");
        if manifest.is_wholly_known() {
            let id = Identity::of(&manifest_json(request.config))?;
            if let Value::Map(m) = &mut p.state {
                m.insert("id".into(), Value::from(id.id()));
            }
            if let Some(prior) = request.prior {
                let before = Identity::of(&manifest_json(prior))?;
                if before != id {
                    p.requires_replace
                        .push(vec![PathStep::GetAttr("manifest".into())]);
                    p.replace_reason =
                        Some("the object's apiVersion, kind, namespace or name changed".into());
                }
            }
        } else if let Value::Map(m) = &mut p.state {
            if request.prior.is_none() {
                m.insert("id".into(), Value::Unknown);
            }
        }
        Ok(p)
    }

    async fn dry_run(
        &self,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let manifest = manifest_json(planned);
        let id = Identity::of(&manifest)?;
        match self.apply(planned, true).await {
            Ok(result) => {
                let stored = project(&result, &manifest).unwrap_or(manifest);
                Ok(Some(with_manifest(planned, stored, &id)))
            }
            // Created in the same run: its namespace or its CRD does not exist yet.
            Err(ProviderError::InvalidConfig(m))
                if m.contains("is its CustomResourceDefinition installed") =>
            {
                Ok(None)
            }
            Err(ProviderError::Api(m)) if prior.is_none() && m.contains("HTTP 404") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let manifest = manifest_json(prior);
        let id = Identity::of(&manifest)?;
        let Some(live) = self.get(&id).await? else {
            return Ok(None);
        };
        let seen = project(&live, &manifest).unwrap_or(J::Null);
        Ok(Some(with_manifest(prior, seen, &id)))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.apply_and_wait(planned, "create").await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.apply_and_wait(planned, "update").await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let manifest = manifest_json(prior);
        let id = Identity::of(&manifest)?;
        let (api, _, _) = match self.kube.api(&id).await {
            Ok(a) => a,
            // The kind itself is gone (its CRD was deleted): so is the object.
            Err(ProviderError::InvalidConfig(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        match api.delete(&id.name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("delete", &e)),
        }
        let timeout = parse_timeout(
            prior.get_attr("timeouts").get_attr("delete").as_str(),
            Duration::from_secs(600),
        );
        wait_gone(&api, &id, timeout).await
    }

    async fn import(&self, id_text: &str) -> Result<Option<Value>, ProviderError> {
        let id = Identity::parse_import_id(id_text)?;
        let Some(live) = self.get(&id).await? else {
            return Ok(None);
        };
        // What mlform applied, when it did; otherwise the object as it stands.
        let owned = owned_by(&live, DEFAULT_MANAGER);
        let has_owned = owned.as_object().is_some_and(|m| {
            m.keys()
                .any(|k| k != "apiVersion" && k != "kind" && k != "metadata")
        }) || owned
            .pointer("/metadata")
            .and_then(J::as_object)
            .is_some_and(|m| m.len() > 2);
        let manifest = if has_owned {
            owned
        } else {
            strip_server_fields(&live)
        };
        Ok(Some(with_manifest(
            &Value::Map(Default::default()),
            manifest,
            &id,
        )))
    }
}

pub(crate) async fn wait_gone(
    api: &kube::Api<DynamicObject>,
    id: &Identity,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        match api.get_opt(&id.name).await {
            Ok(None) => return Ok(()),
            Ok(Some(_)) if started.elapsed() >= timeout => {
                return Err(ProviderError::Timeout {
                    what: format!("{} {} to be deleted", id.kind, id.name),
                    seconds: timeout.as_secs(),
                })
            }
            Ok(Some(_)) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("get", &e)),
        }
    }
}

/// The `kubernetes_resource` data source: reads any object.
pub struct ResourceData {
    pub kube: Kube,
}

#[async_trait::async_trait]
impl DataSource for ResourceData {
    fn schema(&self) -> Schema {
        data_schema()
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let meta = config.get_attr("metadata");
        let id = Identity {
            api_version: config
                .get_attr("api_version")
                .as_str()
                .unwrap_or_default()
                .to_string(),
            kind: config
                .get_attr("kind")
                .as_str()
                .unwrap_or_default()
                .to_string(),
            namespace: meta.get_attr("namespace").as_str().map(str::to_string),
            name: meta
                .get_attr("name")
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let (api, _, _) = self.kube.api(&id).await?;
        let live = api
            .get_opt(&id.name)
            .await
            .map_err(|e| classify("get", &e))?
            .ok_or_else(|| ProviderError::Api(format!("{} {} not found", id.kind, id.id())))?;
        let mut json =
            serde_json::to_value(&live).map_err(|e| ProviderError::Api(e.to_string()))?;
        if let Some(J::Object(m)) = json.get_mut("metadata") {
            m.remove("managedFields");
        }
        let mut m = config.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("object".into(), Value::from_json(&json));
        Ok(Value::Map(m))
    }
}
