//! The one mapping between a typed resource's schema and its Kubernetes object: a static
//! table of [`Field`]s (terraform-provider-kubernetes's snake_case name, the object's
//! camelCase name, a value kind, and the schema flags) from which the schema, the object
//! written, the state read back and the computed parts of a plan are all derived. Kinds
//! are data, not code: no kind has its own converter.
//!
//! Block fields are lists in the schema (`spec[0].template[0]`), as in the provider; one
//! with `max == 1` is an object in Kubernetes, any other an array. Reading back keeps to
//! what the configuration owns: a field the base value (prior state or plan) leaves unset is
//! read only when it is computed, so fields set by other managers are not drift; a field the
//! server omits because it is empty or at its default keeps the base's value; quantities
//! the server rewrites (`0.5` → `500m`) keep the configuration's spelling.

use mlform_provider::{
    Attribute, NestedBlock, Nesting, Path, PathStep, ProviderError, Schema, Type, Value,
};
use serde_json::{Map, Value as J};

/// How a field's value is held in the schema and in the object.
#[derive(Clone, Copy)]
pub enum Ty {
    Str,
    Int,
    Bool,
    StrList,
    StrSet,
    IntSet,
    StrMap,
    /// Pod template labels of a Job: a string map in which the labels the Job controller
    /// adds (`controller-uid`, `job-name`) are read only where the base has them.
    JobLabels,
    /// A map of resource quantities (`cpu = "500m"`), compared by value.
    Quantities,
    /// One quantity as a string.
    Quantity,
    /// A string in the schema, an integer in the object (`replicas = "2"`, `run_as_user`).
    IntText,
    /// A string in the schema; an integer in the object when it is all digits (ports).
    IntOrText,
    /// An octal file mode string in the schema (`"0644"`), an integer in the object.
    Octal,
    /// A nested block.
    Block(&'static [Field]),
}

/// Whether a field is set by configuration, by the server, or both.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Set {
    Required,
    Optional,
    /// Optional; when unset, the server's value is read and kept.
    OptionalComputed,
    /// Only the server sets it; never written.
    Computed,
    /// Optional and never written: a setting of mlform's (`wait_for_rollout`).
    Local,
}

/// A schema default.
#[derive(Clone, Copy)]
pub enum Fallback {
    None,
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

/// One field of a typed kind.
#[derive(Clone, Copy)]
pub struct Field {
    pub tf: &'static str,
    /// The object's name for it; empty when it is the camelCase of `tf`.
    pub k8s: &'static str,
    pub ty: Ty,
    pub set: Set,
    pub default: Fallback,
    pub force_new: bool,
    pub min: usize,
    /// For blocks: at most this many (0: any number); 1 makes it an object in Kubernetes.
    pub max: usize,
}

impl Field {
    pub const fn opt(tf: &'static str, ty: Ty) -> Field {
        Field {
            tf,
            k8s: "",
            ty,
            set: Set::Optional,
            default: Fallback::None,
            force_new: false,
            min: 0,
            max: 0,
        }
    }
    pub const fn req(tf: &'static str, ty: Ty) -> Field {
        Field {
            set: Set::Required,
            ..Field::opt(tf, ty)
        }
    }
    /// A block of at most one, an object in Kubernetes.
    pub const fn one(tf: &'static str, fields: &'static [Field]) -> Field {
        Field {
            max: 1,
            ..Field::opt(tf, Ty::Block(fields))
        }
    }
    /// A block of any number, an array in Kubernetes.
    pub const fn many(tf: &'static str, fields: &'static [Field]) -> Field {
        Field::opt(tf, Ty::Block(fields))
    }
    pub const fn k8s(self, name: &'static str) -> Field {
        Field { k8s: name, ..self }
    }
    pub const fn required(self) -> Field {
        Field {
            set: Set::Required,
            min: if matches!(self.ty, Ty::Block(_)) {
                1
            } else {
                0
            },
            ..self
        }
    }
    pub const fn computed(self) -> Field {
        Field {
            set: Set::OptionalComputed,
            ..self
        }
    }
    pub const fn read_only(self) -> Field {
        Field {
            set: Set::Computed,
            ..self
        }
    }
    pub const fn local(self) -> Field {
        Field {
            set: Set::Local,
            ..self
        }
    }
    pub const fn force_new(self) -> Field {
        Field {
            force_new: true,
            ..self
        }
    }
    pub const fn text(self, d: &'static str) -> Field {
        Field {
            default: Fallback::Str(d),
            ..self
        }
    }
    pub const fn int(self, d: i64) -> Field {
        Field {
            default: Fallback::Int(d),
            ..self
        }
    }
    pub const fn bool(self, d: bool) -> Field {
        Field {
            default: Fallback::Bool(d),
            ..self
        }
    }
    pub const fn max(self, max: usize) -> Field {
        Field { max, ..self }
    }

    fn object_name(&self) -> String {
        if !self.k8s.is_empty() {
            return self.k8s.to_string();
        }
        let mut out = String::new();
        let mut upper = false;
        for c in self.tf.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    fn computed_by_server(&self) -> bool {
        matches!(self.set, Set::OptionalComputed | Set::Computed)
    }

    fn default_value(&self) -> Option<Value> {
        match self.default {
            Fallback::None => None,
            Fallback::Str(s) => Some(Value::from(s)),
            Fallback::Int(i) => Some(Value::from(i)),
            Fallback::Bool(b) => Some(Value::Bool(b)),
        }
    }
}

/// The schema of a table of fields.
pub fn schema(fields: &[Field]) -> Schema {
    let mut s = Schema::new();
    for f in fields {
        if let Ty::Block(inner) = f.ty {
            s = s.block(
                f.tf,
                NestedBlock {
                    nesting: Nesting::List,
                    block: schema(inner),
                    min_items: f.min,
                    max_items: (f.max > 0).then_some(f.max),
                    force_new: f.force_new,
                },
            );
            continue;
        }
        let ty = match f.ty {
            Ty::Str | Ty::IntText | Ty::IntOrText | Ty::Octal | Ty::Quantity => Type::String,
            Ty::Int => Type::Number,
            Ty::Bool => Type::Bool,
            Ty::StrList => Type::list(Type::String),
            Ty::StrSet => Type::set(Type::String),
            Ty::IntSet => Type::set(Type::Number),
            Ty::StrMap | Ty::JobLabels | Ty::Quantities => Type::map(Type::String),
            Ty::Block(_) => unreachable!("blocks handled above"),
        };
        let mut a = match f.set {
            Set::Required => Attribute::required(ty),
            Set::Optional | Set::Local => Attribute::optional(ty),
            Set::OptionalComputed => Attribute::optional_computed(ty),
            Set::Computed => Attribute::computed(ty),
        };
        if let Some(d) = f.default_value() {
            a = a.default(d);
        }
        if f.force_new {
            a = a.force_new();
        }
        s = s.attr(f.tf, a);
    }
    s
}

/// A configuration error at a field path (`spec[0].replicas`).
fn bad(path: &str, what: String) -> ProviderError {
    ProviderError::InvalidConfig(format!("{path}: {what}"))
}

/// The object's fields for a planned (or prior) value: written fields only, unknown and
/// null values left out.
pub fn encode(
    fields: &[Field],
    value: &Value,
    path: &str,
) -> Result<Map<String, J>, ProviderError> {
    let mut out = Map::new();
    let value = value.strip_marks();
    for f in fields {
        if matches!(f.set, Set::Computed | Set::Local) {
            continue;
        }
        let v = value.get_attr(f.tf);
        if v.is_null() || v.is_unknown() {
            continue;
        }
        // A field at an empty default (`false`, `0`) is what the server assumes when it is
        // left out, and older servers may not know the field at all.
        if f.default_value()
            .is_some_and(|d| is_empty_value(&d) && d.same_data(v))
        {
            continue;
        }
        let here = if path.is_empty() {
            f.tf.to_string()
        } else {
            format!("{path}.{}", f.tf)
        };
        if let Some(j) = encode_value(f, v, &here)? {
            out.insert(f.object_name(), j);
        }
    }
    Ok(out)
}

fn encode_value(f: &Field, v: &Value, path: &str) -> Result<Option<J>, ProviderError> {
    let text = || v.as_str().unwrap_or_default().to_string();
    Ok(Some(match f.ty {
        Ty::Block(inner) => {
            let items = v.as_list().unwrap_or_default();
            let mut objs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if item.is_unknown() {
                    continue;
                }
                objs.push(J::Object(encode(inner, item, &format!("{path}[{i}]"))?));
            }
            if f.max == 1 {
                match objs.into_iter().next() {
                    Some(o) => o,
                    None => return Ok(None),
                }
            } else {
                J::Array(objs)
            }
        }
        Ty::IntText => {
            let t = text();
            J::from(
                t.trim()
                    .parse::<i64>()
                    .map_err(|_| bad(path, format!("{t:?} is not a whole number")))?,
            )
        }
        Ty::IntOrText => {
            let t = text();
            match t.parse::<i64>() {
                Ok(n) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => J::from(n),
                _ => J::String(t),
            }
        }
        Ty::Octal => {
            let t = text();
            J::from(parse_octal(&t).ok_or_else(|| {
                bad(
                    path,
                    format!("{t:?} is not an octal file mode such as \"0644\""),
                )
            })?)
        }
        Ty::Quantity => {
            let t = text();
            if quantity(&t).is_none() {
                return Err(bad(path, format!("{t:?} is not a Kubernetes quantity")));
            }
            J::String(t)
        }
        Ty::Quantities => {
            if let Some(m) = v.as_map() {
                for (k, q) in m.iter() {
                    let t = q.as_str().unwrap_or_default();
                    if quantity(t).is_none() {
                        return Err(bad(
                            &format!("{path}[\"{k}\"]"),
                            format!(
                                "{t:?} is not a Kubernetes quantity (such as \"500m\" or \"2Gi\")"
                            ),
                        ));
                    }
                }
            }
            v.to_json()
        }
        _ => v.to_json(),
    }))
}

fn parse_octal(t: &str) -> Option<i64> {
    let digits = t.trim().trim_start_matches("0o");
    if digits.is_empty() {
        return None;
    }
    i64::from_str_radix(digits, 8).ok()
}

/// How a field is read back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Fields the base sets, and the server's computed ones.
    Owned,
    /// Every field the object has (import).
    All,
}

/// The attributes of `fields` as the live object holds them, for `base` (the planned or
/// prior value, whose unset fields stay unset unless computed, or everything for import).
pub fn decode(fields: &[Field], live: &J, base: &Value, read: Read) -> Vec<(String, Value)> {
    let base = base.strip_marks();
    fields
        .iter()
        .map(|f| {
            let bv = base.get_attr(f.tf);
            let v = if f.set == Set::Local {
                if bv.is_null() {
                    f.default_value().unwrap_or(Value::Null)
                } else {
                    bv.clone()
                }
            } else {
                let wanted = read == Read::All || f.computed_by_server() || is_set(bv);
                if wanted {
                    decode_value(f, live.get(f.object_name()), bv, read)
                } else if matches!(f.ty, Ty::Block(_)) {
                    Value::List(Vec::new())
                } else {
                    Value::Null
                }
            };
            (f.tf.to_string(), v)
        })
        .collect()
}

fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::List(items) => !items.is_empty(),
        _ => true,
    }
}

/// Empty values the server omits from the object (`false`, `0`, `""`, `{}`, `[]`).
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Number(_) => v.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

fn decode_value(f: &Field, lv: Option<&J>, bv: &Value, read: Read) -> Value {
    let Some(lv) = lv.filter(|j| !j.is_null()) else {
        // Omitted because empty or defaulted (or unknown to an older server): the base stands.
        let keep = is_empty_value(bv)
            || f.default_value()
                .is_some_and(|d| d.same_data(bv) && !matches!(f.ty, Ty::Block(_)));
        let empty_default = f.default_value().filter(is_empty_value);
        return if keep {
            bv.clone()
        } else if let (Some(d), false) = (empty_default, is_set(bv)) {
            // Read whole (import): an omitted false / 0 / "" is the default it stands for.
            d
        } else if matches!(f.ty, Ty::Block(_)) {
            Value::List(Vec::new())
        } else {
            Value::Null
        };
    };
    match f.ty {
        Ty::Block(inner) => {
            let items: Vec<&J> = match lv {
                J::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            let base_items = bv.as_list().unwrap_or_default();
            Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let (b, r) = match base_items.get(i) {
                            Some(b) if !b.is_unknown() => (b.clone(), read),
                            // An element the base lacks (or does not know yet) is read whole.
                            _ => (Value::Null, Read::All),
                        };
                        Value::Map(decode(inner, item, &b, r).into_iter().collect())
                    })
                    .collect(),
            )
        }
        Ty::IntText | Ty::IntOrText => match lv {
            J::Number(n) => Value::from(n.to_string()),
            other => Value::from_json(other),
        },
        Ty::Octal => match lv.as_i64() {
            Some(n) if bv.as_str().and_then(parse_octal) == Some(n) => bv.clone(),
            Some(n) => Value::from(format!("0{n:o}")),
            None => Value::from_json(lv),
        },
        Ty::Quantity => match (lv.as_str(), bv.as_str()) {
            (Some(l), Some(b)) if same_quantity(l, b) => bv.clone(),
            _ => Value::from_json(lv),
        },
        Ty::Quantities => {
            let Some(m) = lv.as_object() else {
                return Value::from_json(lv);
            };
            let base = bv.as_map();
            Value::object(m.iter().map(|(k, q)| {
                let l = q.as_str().unwrap_or_default();
                let b = base.and_then(|b| b.get(k)).and_then(Value::as_str);
                let text = match b {
                    Some(b) if same_quantity(l, b) => b.to_string(),
                    _ => l.to_string(),
                };
                (k.clone(), Value::from(text))
            }))
        }
        Ty::StrSet | Ty::IntSet => match lv {
            J::Array(a) => Value::set_from(a.iter().map(Value::from_json).collect()),
            other => Value::from_json(other),
        },
        Ty::JobLabels => {
            let Some(m) = lv.as_object() else {
                return Value::from_json(lv);
            };
            let base = bv.as_map();
            Value::object(
                m.iter()
                    .filter(|(k, _)| {
                        !JOB_CONTROLLER_LABELS.contains(&k.as_str())
                            || base.is_some_and(|b| b.contains_key(k.as_str()))
                    })
                    .map(|(k, v)| (k.clone(), Value::from_json(v))),
            )
        }
        _ => Value::from_json(lv),
    }
}

/// The labels the Job controller puts on a Job's pod template (and selector).
const JOB_CONTROLLER_LABELS: &[&str] = &[
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];

/// Fills the planned value's unset computed fields: from the prior value when there is one
/// (element by element in lists), else unknown until apply.
pub fn fill_computed(fields: &[Field], planned: &mut Value, prior: Option<&Value>) {
    let Value::Map(m) = planned else {
        return;
    };
    for f in fields {
        let old = prior.map(|p| p.get_attr(f.tf));
        let cur = m.get(f.tf).cloned().unwrap_or(Value::Null);
        if f.computed_by_server() && !is_set(&cur) {
            let v = match old {
                Some(o) => o.clone(),
                None => Value::Unknown,
            };
            m.insert(f.tf.to_string(), v);
            continue;
        }
        if let (Ty::Block(inner), Value::List(items)) = (f.ty, cur) {
            let old_items = old.and_then(Value::as_list).unwrap_or_default();
            let filled = items
                .into_iter()
                .enumerate()
                .map(|(i, mut item)| {
                    fill_computed(inner, &mut item, old_items.get(i));
                    item
                })
                .collect();
            m.insert(f.tf.to_string(), Value::List(filled));
        }
    }
}

/// Keeps the prior's spelling where the planned value is the same amount written another
/// way (`cpu = "0.5"` against a stored `500m`, mode `"420"`... `"0644"`), so an imported or
/// server-rewritten value is no change, as the provider's diff suppression does.
pub fn keep_equivalent(fields: &[Field], planned: &mut Value, prior: &Value) {
    let Value::Map(m) = planned else {
        return;
    };
    for f in fields {
        let old = prior.get_attr(f.tf);
        let Some(cur) = m.get_mut(f.tf) else {
            continue;
        };
        match f.ty {
            Ty::Quantity => {
                if let (Some(a), Some(b)) = (cur.as_str(), old.as_str()) {
                    if same_quantity(a, b) {
                        *cur = old.clone();
                    }
                }
            }
            Ty::Octal => {
                if let (Some(a), Some(b)) = (cur.as_str(), old.as_str()) {
                    if parse_octal(a).is_some() && parse_octal(a) == parse_octal(b) {
                        *cur = old.clone();
                    }
                }
            }
            Ty::Quantities => {
                if let (Value::Map(now), Some(was)) = (&mut *cur, old.as_map()) {
                    for (k, v) in now.iter_mut() {
                        let before = was.get(k).and_then(Value::as_str);
                        if let (Some(a), Some(b)) = (v.as_str(), before) {
                            if same_quantity(a, b) {
                                *v = Value::from(b);
                            }
                        }
                    }
                }
            }
            Ty::Block(inner) => {
                if let (Value::List(items), Some(olds)) = (&mut *cur, old.as_list()) {
                    for (item, o) in items.iter_mut().zip(olds) {
                        keep_equivalent(inner, item, o);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The paths of force-new fields whose planned value differs from the prior's: a change
/// there replaces the object. Unset computed fields and unknown values do not count.
pub fn replace_paths(
    fields: &[Field],
    planned: &Value,
    prior: &Value,
    at: &mut Path,
    out: &mut Vec<Path>,
) {
    for f in fields {
        let (new, old) = (planned.get_attr(f.tf), prior.get_attr(f.tf));
        at.push(PathStep::GetAttr(f.tf.to_string()));
        if f.force_new {
            let unset = !is_set(new) && f.computed_by_server();
            if !unset && new.is_wholly_known() && !new.strip_marks().same_data(&old.strip_marks()) {
                out.push(at.clone());
            }
        } else if let Ty::Block(inner) = f.ty {
            let (n, o) = (
                new.as_list().unwrap_or_default(),
                old.as_list().unwrap_or_default(),
            );
            for (i, (x, y)) in n.iter().zip(o).enumerate() {
                at.push(PathStep::Index(i));
                replace_paths(inner, x, y, at, out);
                at.pop();
            }
        }
        at.pop();
    }
}

/// A quantity's value (`"1.5Gi"`, `"500m"`, `"2e3"`), or `None` when it is not one.
pub fn quantity(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    Some(n * scale)
}

fn same_quantity(a: &str, b: &str) -> bool {
    match (quantity(a), quantity(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-9),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PORT: &[Field] = &[
        Field::req("container_port", Ty::Int),
        Field::opt("protocol", Ty::Str).text("TCP"),
    ];
    const CONTAINER: &[Field] = &[
        Field::req("name", Ty::Str),
        Field::opt("image_pull_policy", Ty::Str).computed(),
        Field::many("port", PORT).k8s("ports"),
        Field::opt("resources", Ty::Quantities),
        Field::opt("tty", Ty::Bool).bool(false),
    ];
    const SPEC: &[Field] = &[
        Field::opt("replicas", Ty::IntText).computed(),
        Field::many("container", CONTAINER).k8s("containers"),
        Field::opt("mode", Ty::Octal),
    ];

    fn v(j: J) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn names_are_camel_case_unless_given() {
        assert_eq!(
            Field::opt("image_pull_policy", Ty::Str).object_name(),
            "imagePullPolicy"
        );
        assert_eq!(
            Field::many("container", CONTAINER)
                .k8s("containers")
                .object_name(),
            "containers"
        );
    }

    #[test]
    fn encodes_blocks_numbers_and_modes_and_leaves_out_empty_defaults() {
        let planned = v(json!({"replicas": "2", "mode": "0644", "container": [
            {"name": "app", "image_pull_policy": null, "tty": false,
             "resources": {"cpu": "500m"}, "port": [{"container_port": 8080, "protocol": "TCP"}]}]}));
        let out = encode(SPEC, &planned, "spec[0]").unwrap();
        assert_eq!(
            J::Object(out),
            json!({"replicas": 2, "mode": 420, "containers": [
                {"name": "app", "resources": {"cpu": "500m"},
                 "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]})
        );
        let e = encode(SPEC, &v(json!({"replicas": "two"})), "spec[0]").unwrap_err();
        assert!(
            e.to_string()
                .contains("spec[0].replicas: \"two\" is not a whole number"),
            "{e}"
        );
    }

    #[test]
    fn reads_back_what_the_base_owns_and_what_the_server_computes() {
        let live = json!({"replicas": 3, "mode": 420, "containers": [
            {"name": "app", "imagePullPolicy": "IfNotPresent", "resources": {"cpu": "0.5"},
             "ports": [{"containerPort": 8080, "protocol": "TCP"}], "stdin": true}]});
        let base = v(json!({"replicas": null, "mode": "0644", "container": [
            {"name": "app", "tty": false, "resources": {"cpu": "500m"},
             "port": [{"container_port": 8080, "protocol": "TCP"}]}]}));
        let got = Value::Map(
            decode(SPEC, &live, &base, Read::Owned)
                .into_iter()
                .collect(),
        );
        assert_eq!(got.get_attr("replicas"), &Value::from("3"));
        assert_eq!(got.get_attr("mode"), &Value::from("0644"));
        let c = &got.get_attr("container").as_list().unwrap()[0];
        assert_eq!(
            c.get_attr("image_pull_policy"),
            &Value::from("IfNotPresent")
        );
        // Omitted because false: the base's false stands.
        assert_eq!(c.get_attr("tty"), &Value::Bool(false));
        // Rewritten by the server, same value: the configuration's spelling stands.
        assert_eq!(
            c.get_attr("resources").get_attr("cpu"),
            &Value::from("500m")
        );
    }

    #[test]
    fn computed_fields_come_from_the_prior_or_are_unknown() {
        let mut planned =
            v(json!({"replicas": null, "container": [{"name": "a", "image_pull_policy": null}]}));
        fill_computed(SPEC, &mut planned, None);
        assert!(planned.get_attr("replicas").is_unknown());
        let prior = v(
            json!({"replicas": "3", "container": [{"name": "a", "image_pull_policy": "Always"}]}),
        );
        let mut planned =
            v(json!({"replicas": null, "container": [{"name": "a", "image_pull_policy": null}]}));
        fill_computed(SPEC, &mut planned, Some(&prior));
        assert_eq!(planned.get_attr("replicas"), &Value::from("3"));
        assert_eq!(
            planned.get_attr("container").as_list().unwrap()[0].get_attr("image_pull_policy"),
            &Value::from("Always")
        );
    }

    #[test]
    fn quantities_compare_by_value() {
        assert!(same_quantity("0.5", "500m"));
        assert!(same_quantity("1Gi", "1073741824"));
        assert!(same_quantity("1k", "1000"));
        assert!(!same_quantity("1Gi", "1G"));
        assert_eq!(quantity("2e3"), Some(2000.0));
        assert_eq!(quantity("1.5x"), None);
    }
}
