//! `kubernetes_namespace`: `metadata { name, labels, annotations }`, applied with
//! server-side apply as field manager `mlform`. A new name replaces it; labels and
//! annotations change in place; drift is read on the keys the configuration sets. Delete
//! waits until the namespace controller has removed it. Import ID: the name.

use std::time::Duration;

use kube::api::{DeleteParams, Patch, PatchParams};
use mlform_provider::{
    Attribute, NestedBlock, Nesting, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};
use serde_json::{json, Value as J};

use crate::fields::project;
use crate::manifest::wait_gone;
use crate::{classify, is_not_found, Identity, Kube};
use mlform_provider::parse_timeout;

pub fn schema() -> Schema {
    let metadata = Schema::new()
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("labels", Attribute::optional(Type::map(Type::String)))
        .attr("annotations", Attribute::optional(Type::map(Type::String)))
        .attr("uid", Attribute::computed(Type::String));
    let timeouts = Schema::new().attr("delete", Attribute::optional(Type::String));
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .block(
            "metadata",
            NestedBlock {
                nesting: Nesting::Single,
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
        )
}

pub struct Namespace {
    pub kube: Kube,
}

fn identity(name: &str) -> Identity {
    Identity {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        namespace: None,
        name: name.to_string(),
    }
}

fn name_of(v: &Value) -> String {
    v.get_attr("metadata")
        .get_attr("name")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn manifest(v: &Value) -> J {
    let meta = v.get_attr("metadata").strip_marks();
    let mut m = json!({"name": name_of(v)});
    for k in ["labels", "annotations"] {
        if let Some(map) = meta.get_attr(k).as_map() {
            m[k] = Value::Map(map.clone()).to_json();
        }
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": m})
}

fn state(base: &Value, live: &J, shape: &J) -> Value {
    let seen = project(live, shape).unwrap_or(J::Null);
    let mut meta = base
        .get_attr("metadata")
        .strip_marks()
        .as_map()
        .cloned()
        .unwrap_or_default();
    for k in ["labels", "annotations"] {
        let v = seen.pointer(&format!("/metadata/{k}"));
        meta.insert(
            k.into(),
            match v {
                Some(v) => Value::from_json(v),
                None => Value::Null,
            },
        );
    }
    if let Some(uid) = live.pointer("/metadata/uid").and_then(J::as_str) {
        meta.insert("uid".into(), Value::from(uid));
    }
    let mut m = base.strip_marks().as_map().cloned().unwrap_or_default();
    m.insert("metadata".into(), Value::Map(meta));
    m.insert("id".into(), Value::from(name_of(base)));
    schema().conform(&Value::Map(m))
}

impl Namespace {
    async fn apply(&self, planned: &Value) -> Result<Value, ProviderError> {
        let id = identity(&name_of(planned));
        let (api, _, _) = self.kube.api(&id).await?;
        let shape = manifest(planned);
        let obj = api
            .patch(
                &id.name,
                &PatchParams::apply("mlform"),
                &Patch::Apply(&shape),
            )
            .await
            .map_err(|e| classify("apply namespace", &e))?;
        let live = serde_json::to_value(&obj).map_err(|e| ProviderError::Api(e.to_string()))?;
        Ok(state(planned, &live, &shape))
    }
}

#[async_trait::async_trait]
impl Resource for Namespace {
    fn schema(&self) -> Schema {
        schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let name = request.config.get_attr("metadata").get_attr("name").clone();
        let renamed = request
            .prior
            .is_some_and(|prior| !prior.get_attr("metadata").get_attr("name").same_data(&name));
        if let Value::Map(m) = &mut p.state {
            m.insert("id".into(), name);
            if let Some(Value::Map(meta)) = m.get_mut("metadata") {
                let uid = match request.prior {
                    Some(prior) if !renamed => prior.get_attr("metadata").get_attr("uid").clone(),
                    _ => Value::Unknown,
                };
                meta.insert("uid".into(), uid);
            }
        }
        if renamed {
            p.requires_replace
                .push(vec![mlform_provider::PathStep::GetAttr("metadata".into())]);
        }
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let id = identity(&name_of(prior));
        let (api, _, _) = self.kube.api(&id).await?;
        let Some(obj) = api
            .get_opt(&id.name)
            .await
            .map_err(|e| classify("get namespace", &e))?
        else {
            return Ok(None);
        };
        let live = serde_json::to_value(&obj).map_err(|e| ProviderError::Api(e.to_string()))?;
        Ok(Some(state(prior, &live, &manifest(prior))))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.apply(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.apply(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let id = identity(&name_of(prior));
        let (api, _, _) = self.kube.api(&id).await?;
        match api.delete(&id.name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(classify("delete namespace", &e)),
        }
        let timeout = parse_timeout(
            prior.get_attr("timeouts").get_attr("delete").as_str(),
            Duration::from_secs(600),
        );
        wait_gone(&api, &id, timeout).await
    }

    async fn import(&self, id_text: &str) -> Result<Option<Value>, ProviderError> {
        let id = identity(id_text);
        let (api, _, _) = self.kube.api(&id).await?;
        let Some(obj) = api
            .get_opt(&id.name)
            .await
            .map_err(|e| classify("get namespace", &e))?
        else {
            return Ok(None);
        };
        let live = serde_json::to_value(&obj).map_err(|e| ProviderError::Api(e.to_string()))?;
        // Keys the cluster sets itself (kubernetes.io/metadata.name, ...) are not the user's.
        let user_keys = |p: &str| {
            live.pointer(p)
                .and_then(J::as_object)
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| !k.contains("kubernetes.io/") && !k.contains("k8s.io/"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<serde_json::Map<_, _>>()
                })
                .filter(|m| !m.is_empty())
                .map(J::Object)
        };
        let labels = user_keys("/metadata/labels");
        let annotations = user_keys("/metadata/annotations");
        let base = Value::object([(
            "metadata",
            Value::object([
                ("name", Value::from(id_text)),
                (
                    "labels",
                    labels.as_ref().map(Value::from_json).unwrap_or(Value::Null),
                ),
                (
                    "annotations",
                    annotations
                        .as_ref()
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                ),
            ]),
        )]);
        let shape = manifest(&base);
        Ok(Some(state(&base, &live, &shape)))
    }
}
