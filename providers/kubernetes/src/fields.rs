//! Field ownership: which parts of a live object a field manager owns (the `fieldsV1` sets
//! of `metadata.managedFields`), and the projection of an object onto the paths a manifest
//! sets. Drift is computed on these projections only, so a field mlform never set (an
//! HPA's `spec.replicas`) is never drift.

use serde_json::{Map, Value as J};

/// The live object restricted to the paths present in `shape` (the manifest as written):
/// objects key by key, lists item by item (by `name` when the items have one, else by
/// position). What the live object lacks is left out.
pub fn project(live: &J, shape: &J) -> Option<J> {
    match (live, shape) {
        (J::Object(l), J::Object(s)) => {
            let mut out = Map::new();
            for (k, sv) in s {
                if let Some(v) = l.get(k).and_then(|lv| project(lv, sv)) {
                    out.insert(k.clone(), v);
                }
            }
            Some(J::Object(out))
        }
        (J::Array(l), J::Array(s)) => {
            let keyed = s.iter().all(|i| i.get("name").is_some_and(J::is_string));
            let mut out = Vec::new();
            for (i, sv) in s.iter().enumerate() {
                let lv = if keyed {
                    l.iter().find(|x| x.get("name") == sv.get("name"))
                } else {
                    l.get(i)
                };
                if let Some(v) = lv.and_then(|lv| project(lv, sv)) {
                    out.push(v);
                }
            }
            Some(J::Array(out))
        }
        (l, _) => Some(l.clone()),
    }
}

/// The live object restricted to the fields `manager` owns through Apply (its `fieldsV1`
/// set), plus the object's identity (apiVersion, kind, name, namespace).
pub fn owned_by(live: &J, manager: &str) -> J {
    let mut out = Map::new();
    for k in ["apiVersion", "kind"] {
        if let Some(v) = live.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let entries = live
        .pointer("/metadata/managedFields")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    for e in entries {
        if e.get("manager").and_then(J::as_str) != Some(manager)
            || e.get("operation").and_then(J::as_str) != Some("Apply")
        {
            continue;
        }
        if let Some(fields) = e.get("fieldsV1") {
            if let Some(J::Object(m)) = select(live, fields) {
                merge(&mut out, m);
            }
        }
    }
    let meta = out
        .entry("metadata")
        .or_insert_with(|| J::Object(Map::new()));
    if let J::Object(meta) = meta {
        for k in ["name", "namespace"] {
            if let Some(v) = live.pointer(&format!("/metadata/{k}")) {
                meta.insert(k.into(), v.clone());
            }
        }
    }
    J::Object(out)
}

fn merge(into: &mut Map<String, J>, from: Map<String, J>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(J::Object(a)), J::Object(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// The parts of `live` a `fieldsV1` set names: `f:name` fields, `k:{...}` list items by
/// their merge keys, `v:...` set values, `i:N` list indexes.
fn select(live: &J, fields: &J) -> Option<J> {
    let set = fields.as_object()?;
    if set.is_empty() || (set.len() == 1 && set.contains_key(".")) {
        return Some(live.clone());
    }
    match live {
        J::Object(obj) => {
            let mut out = Map::new();
            for (key, sub) in set {
                if let Some(name) = key.strip_prefix("f:") {
                    if let Some(v) = obj.get(name).and_then(|v| select(v, sub)) {
                        out.insert(name.to_string(), v);
                    }
                }
            }
            Some(J::Object(out))
        }
        J::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                for (key, sub) in set {
                    if let Some(k) = key.strip_prefix("k:") {
                        let Ok(keys) = serde_json::from_str::<Map<String, J>>(k) else {
                            continue;
                        };
                        if keys.iter().all(|(kk, kv)| item.get(kk) == Some(kv)) {
                            // The merge keys identify the item and belong to its owner.
                            if let Some(J::Object(mut v)) = select(item, sub) {
                                v.extend(keys);
                                out.push(J::Object(v));
                            }
                        }
                    } else if let Some(v) = key.strip_prefix("v:") {
                        if serde_json::from_str::<J>(v).is_ok_and(|v| &v == item) {
                            out.push(item.clone());
                        }
                    }
                }
            }
            for (key, sub) in set {
                if let Some(i) = key.strip_prefix("i:").and_then(|i| i.parse::<usize>().ok()) {
                    if let Some(v) = items.get(i).and_then(|v| select(v, sub)) {
                        out.push(v);
                    }
                }
            }
            Some(J::Array(out))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn projection_keeps_only_the_manifests_paths() {
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "uid": "1", "labels": {"app": "web", "other": "x"}},
            "spec": {"replicas": 5, "template": {"spec": {"containers": [
                {"name": "side", "image": "s"}, {"name": "app", "image": "a:2", "imagePullPolicy": "Always"}]}}}});
        let shape = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}}}});
        assert_eq!(
            project(&live, &shape).unwrap(),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a:2"}]}}}})
        );
    }

    #[test]
    fn owned_fields_follow_the_managers_fields_v1() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "ns", "labels": {"a": "1", "b": "2"},
                "managedFields": [
                    {"manager": "mlform", "operation": "Apply", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:data": {"f:x": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}},
                    {"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:data": {"f:y": {}}, "f:metadata": {"f:labels": {"f:b": {}}}}}]},
            "data": {"x": "1", "y": "2"}});
        assert_eq!(
            owned_by(&live, "mlform"),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "ns", "labels": {"a": "1"}},
                "data": {"x": "1"}})
        );
    }

    #[test]
    fn list_items_by_merge_key() {
        let live = json!({"ports": [{"port": 80, "protocol": "TCP", "name": "http"}, {"port": 443, "protocol": "TCP"}]});
        let fields = json!({"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}, "f:name": {}}}});
        assert_eq!(
            select(&live, &fields).unwrap(),
            json!({"ports": [{"port": 80, "protocol": "TCP", "name": "http"}]})
        );
    }
}
