//! Typed resources in terraform-provider-kubernetes's shape: `metadata` is a block list of
//! one, so `kubernetes_namespace.x.metadata[0].name` (the documented idiom) works, with
//! `name`, `namespace`, `labels`, `annotations` and the computed `uid`,
//! `resource_version` and `generation`; each kind adds its own top-level attributes.
//! Objects are written with server-side apply under the field manager `mlform`; drift is
//! read on the labels and annotations the configuration sets, and in full on the kind's
//! own attributes. A new name or namespace replaces the object. Delete waits until the
//! object is gone. Import ID: `NAMESPACE/NAME`, or `NAME` for cluster-scoped kinds.

use std::time::Duration;

use kube::api::{DeleteParams, Patch, PatchParams};
use mlform_provider::{
    parse_timeout, Attribute, NestedBlock, Nesting, PathStep, PlanRequest, Planned, ProviderError,
    Resource, Schema, Type, Value,
};
use serde_json::{json, Map, Value as J};

use crate::fields::project;
use crate::manifest::wait_gone;
use crate::{classify, is_not_found, Identity, Kube};

/// One typed kind: its Terraform type, its API identity and its own attributes.
pub struct Kind {
    pub type_name: &'static str,
    pub api_version: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    /// The kind's top-level attributes, besides `metadata`, `id` and `timeouts`.
    pub attributes: fn() -> Schema,
    /// The object's fields (besides metadata) for the planned attributes.
    pub encode: fn(&Value) -> Result<Map<String, J>, ProviderError>,
    /// The attributes as the live object holds them.
    pub decode: fn(&J, &Value) -> Vec<(String, Value)>,
}

/// Every typed kind.
pub const KINDS: &[Kind] = &[
    Kind {
        type_name: "kubernetes_namespace",
        api_version: "v1",
        kind: "Namespace",
        namespaced: false,
        attributes: Schema::new,
        encode: |_| Ok(Map::new()),
        decode: |_, _| Vec::new(),
    },
    Kind {
        type_name: "kubernetes_config_map",
        api_version: "v1",
        kind: "ConfigMap",
        namespaced: true,
        attributes: || {
            Schema::new()
                .attr("data", Attribute::optional(Type::map(Type::String)))
                .attr("binary_data", Attribute::optional(Type::map(Type::String)))
                .attr("immutable", Attribute::optional(Type::Bool))
        },
        encode: |v| {
            let mut m = Map::new();
            for (attr, field) in [
                ("data", "data"),
                ("binary_data", "binaryData"),
                ("immutable", "immutable"),
            ] {
                let x = v.get_attr(attr).strip_marks();
                if !x.is_null() {
                    m.insert(field.into(), x.to_json());
                }
            }
            Ok(m)
        },
        decode: |live, _| {
            [
                ("data", "data"),
                ("binary_data", "binaryData"),
                ("immutable", "immutable"),
            ]
            .iter()
            .map(|(attr, field)| {
                (
                    attr.to_string(),
                    live.get(*field)
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                )
            })
            .collect()
        },
    },
    Kind {
        type_name: "kubernetes_secret",
        api_version: "v1",
        kind: "Secret",
        namespaced: true,
        attributes: || {
            Schema::new()
                .attr(
                    "data",
                    Attribute::optional(Type::map(Type::String))
                        .sensitive()
                        .describe("Plain values; written base64-encoded, as the provider does."),
                )
                .attr(
                    "binary_data",
                    Attribute::optional(Type::map(Type::String))
                        .sensitive()
                        .describe("Values already base64-encoded."),
                )
                .attr(
                    "type",
                    Attribute::optional(Type::String)
                        .force_new()
                        .default("Opaque"),
                )
                .attr("immutable", Attribute::optional(Type::Bool))
        },
        encode: |v| {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut data = Map::new();
            if let Some(m) = v.get_attr("data").strip_marks().as_map() {
                for (k, x) in m.iter() {
                    data.insert(
                        k.clone(),
                        J::String(b64.encode(x.as_str().unwrap_or_default())),
                    );
                }
            }
            if let Some(m) = v.get_attr("binary_data").strip_marks().as_map() {
                for (k, x) in m.iter() {
                    let text = x.as_str().unwrap_or_default();
                    if b64.decode(text).is_err() {
                        return Err(ProviderError::InvalidConfig(format!(
                            "binary_data[\"{k}\"] is not base64; put plain values in data"
                        )));
                    }
                    data.insert(k.clone(), J::String(text.to_string()));
                }
            }
            let mut m = Map::new();
            m.insert("data".into(), J::Object(data));
            m.insert(
                "type".into(),
                J::String(
                    v.get_attr("type")
                        .strip_marks()
                        .as_str()
                        .unwrap_or("Opaque")
                        .to_string(),
                ),
            );
            let immutable = v.get_attr("immutable").strip_marks();
            if !immutable.is_null() {
                m.insert("immutable".into(), immutable.to_json());
            }
            Ok(m)
        },
        decode: |live, prior| {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            // Keys the configuration gave as binary stay encoded; the rest are decoded.
            let binary: Vec<String> = prior
                .get_attr("binary_data")
                .strip_marks()
                .as_map()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let mut data = Vec::new();
            let mut bin = Vec::new();
            if let Some(m) = live.get("data").and_then(J::as_object) {
                for (k, x) in m {
                    let text = x.as_str().unwrap_or_default();
                    if binary.contains(k) {
                        bin.push((k.clone(), Value::from(text)));
                    } else {
                        let plain = b64
                            .decode(text)
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok());
                        match plain {
                            Some(p) => data.push((k.clone(), Value::from(p))),
                            None => bin.push((k.clone(), Value::from(text))),
                        }
                    }
                }
            }
            let map = |entries: Vec<(String, Value)>| {
                if entries.is_empty() {
                    Value::Null
                } else {
                    Value::object(entries).into_sensitive()
                }
            };
            vec![
                ("data".into(), map(data)),
                ("binary_data".into(), map(bin)),
                (
                    "type".into(),
                    live.get("type")
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                ),
                (
                    "immutable".into(),
                    live.get("immutable")
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                ),
            ]
        },
    },
    Kind {
        type_name: "kubernetes_service_account",
        api_version: "v1",
        kind: "ServiceAccount",
        namespaced: true,
        attributes: || {
            Schema::new().attr(
                "automount_service_account_token",
                Attribute::optional(Type::Bool).default(true),
            )
        },
        encode: |v| {
            let mut m = Map::new();
            let a = v.get_attr("automount_service_account_token").strip_marks();
            if !a.is_null() {
                m.insert("automountServiceAccountToken".into(), a.to_json());
            }
            Ok(m)
        },
        decode: |live, _| {
            vec![(
                "automount_service_account_token".into(),
                live.get("automountServiceAccountToken")
                    .map(Value::from_json)
                    .unwrap_or(Value::Bool(true)),
            )]
        },
    },
];

impl Kind {
    pub fn schema(&self) -> Schema {
        let mut metadata = Schema::new()
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("labels", Attribute::optional(Type::map(Type::String)))
            .attr("annotations", Attribute::optional(Type::map(Type::String)))
            .attr("uid", Attribute::computed(Type::String))
            .attr("resource_version", Attribute::computed(Type::String))
            .attr("generation", Attribute::computed(Type::Number));
        if self.namespaced {
            metadata = metadata.attr(
                "namespace",
                Attribute::optional(Type::String)
                    .force_new()
                    .default("default"),
            );
        }
        let timeouts = Schema::new().attr("delete", Attribute::optional(Type::String));
        let mut s = (self.attributes)()
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
            self.kind, self.api_version, self.type_name
        );
        s
    }
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

pub struct Typed {
    pub kind: &'static Kind,
    pub kube: Kube,
}

impl Typed {
    fn identity(&self, v: &Value) -> Identity {
        Identity {
            api_version: self.kind.api_version.into(),
            kind: self.kind.kind.into(),
            namespace: self
                .kind
                .namespaced
                .then(|| meta_str(v, "namespace").unwrap_or_else(|| "default".into())),
            name: meta_str(v, "name").unwrap_or_default(),
        }
    }

    fn id_of(&self, v: &Value) -> String {
        let id = self.identity(v);
        match id.namespace {
            Some(ns) => format!("{ns}/{}", id.name),
            None => id.name,
        }
    }

    fn manifest(&self, v: &Value) -> Result<J, ProviderError> {
        let id = self.identity(v);
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
        let mut obj = (self.kind.encode)(v)?;
        obj.insert("apiVersion".into(), J::String(self.kind.api_version.into()));
        obj.insert("kind".into(), J::String(self.kind.kind.into()));
        obj.insert("metadata".into(), metadata);
        Ok(J::Object(obj))
    }

    /// The state for `base` (planned or prior) from the live object.
    fn state(&self, base: &Value, live: &J) -> Result<Value, ProviderError> {
        let shape = self.manifest(base)?;
        let seen = project(live, &shape).unwrap_or(J::Null);
        let mut m = meta(base).as_map().cloned().unwrap_or_default();
        for k in ["labels", "annotations"] {
            m.insert(
                k.into(),
                seen.pointer(&format!("/metadata/{k}"))
                    .map(Value::from_json)
                    .unwrap_or(Value::Null),
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
        for (k, x) in (self.kind.decode)(live, base) {
            out.insert(k, x);
        }
        out.insert("metadata".into(), Value::List(vec![Value::Map(m)]));
        out.insert("id".into(), Value::from(self.id_of(base)));
        let schema = self.kind.schema();
        let shaped = schema.conform(&Value::Map(out));
        Ok(mark_sensitive(shaped, &schema))
    }

    async fn apply(&self, planned: &Value) -> Result<Value, ProviderError> {
        let id = self.identity(planned);
        let (api, _, _) = self.kube.api(&id).await?;
        let shape = self.manifest(planned)?;
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
        self.state(planned, &live)
    }

    async fn get(&self, v: &Value) -> Result<Option<J>, ProviderError> {
        let id = self.identity(v);
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
        self.kind.schema()
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let moved = request.prior.is_some_and(|prior| {
            let before = self.identity(prior);
            let after = self.identity(request.config);
            before.name != after.name || before.namespace != after.namespace
        });
        let id = Value::from(self.id_of(request.config));
        if let Value::Map(m) = &mut p.state {
            m.insert("id".into(), id);
            if let Some(Value::List(items)) = m.get_mut("metadata") {
                if let Some(Value::Map(meta)) = items.first_mut() {
                    let prior_meta = request.prior.map(meta_of).unwrap_or(Value::Null);
                    for k in ["uid", "resource_version", "generation"] {
                        let keep = !moved
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
                    if !meta.get("namespace").is_some_and(|n| !n.is_null()) && self.kind.namespaced
                    {
                        meta.insert("namespace".into(), Value::from("default"));
                    }
                }
            }
        }
        // An in-place change gets a new resourceVersion.
        let changed = request
            .prior
            .is_some_and(|prior| !prior.same_data(&p.state));
        if changed && !moved {
            if let Value::Map(m) = &mut p.state {
                if let Some(Value::List(items)) = m.get_mut("metadata") {
                    if let Some(Value::Map(meta)) = items.first_mut() {
                        meta.insert("resource_version".into(), Value::Unknown);
                        meta.insert("generation".into(), Value::Unknown);
                    }
                }
            }
        }
        if moved {
            p.requires_replace
                .push(vec![PathStep::GetAttr("metadata".into())]);
        }
        Ok(p)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        match self.get(prior).await? {
            Some(live) => Ok(Some(self.state(prior, &live)?)),
            None => Ok(None),
        }
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.apply(planned).await
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.apply(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let id = self.identity(prior);
        let (api, _, _) = self.kube.api(&id).await?;
        match api.delete(&id.name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(classify(&format!("delete {}", self.kind.kind), &e)),
        }
        let timeout = parse_timeout(
            prior.get_attr("timeouts").get_attr("delete").as_str(),
            Duration::from_secs(600),
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
        let mut base = Value::object([("metadata", Value::List(vec![Value::Map(base_meta)]))]);
        if let Value::Map(b) = &mut base {
            for (k, x) in (self.kind.decode)(&live, &Value::Null) {
                b.insert(k, x);
            }
        }
        Ok(Some(self.state(&base, &live)?))
    }
}

fn meta_of(v: &Value) -> Value {
    meta(v)
}
