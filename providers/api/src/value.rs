//! `Value`: the single dynamic value type of configuration, state and plans, with the two
//! marks that travel with data: `Unknown` (known only after apply) and `Sensitive` (redacted
//! in every output, and contagious: whatever is computed from a sensitive value is sensitive).

use crate::number::Number;
use crate::value_map::ValueMap;
use std::fmt;

/// A configuration, state or plan value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// A list or tuple.
    List(Vec<Value>),
    /// A set: kept sorted and without duplicates.
    Set(Vec<Value>),
    /// A map or object; keys are kept sorted, as Terraform prints them.
    Map(ValueMap),
    /// A value known only after apply.
    Unknown,
    /// A sensitive value: never printed, never written to plan JSON, logs or comments.
    Sensitive(Box<Value>),
}

/// One step of a path into a value.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum PathStep {
    GetAttr(String),
    Index(usize),
    Key(String),
}

/// A path into a value, from the resource's root object.
pub type Path = Vec<PathStep>;

/// Formats a path the way Terraform does in messages: `input["a"][0]`.
pub fn path_to_string(path: &[PathStep]) -> String {
    let mut out = String::new();
    for (i, step) in path.iter().enumerate() {
        match step {
            PathStep::GetAttr(name) if i == 0 => out.push_str(name),
            PathStep::GetAttr(name) => {
                out.push('.');
                out.push_str(name)
            }
            PathStep::Index(n) => out.push_str(&format!("[{n}]")),
            PathStep::Key(k) => out.push_str(&format!("[{k:?}]")),
        }
    }
    out
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Wraps `self` as sensitive when `sensitive` is true (never double-wraps).
    pub fn mark_sensitive_if(self, sensitive: bool) -> Value {
        if sensitive {
            self.into_sensitive()
        } else {
            self
        }
    }

    /// Marks the value sensitive. Null stays null: there is nothing to hide.
    pub fn into_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) | Value::Null => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// The value with a top-level sensitive mark removed, and whether there was one.
    pub fn unmark(&self) -> (&Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.unmark().0, true),
            v => (v, false),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmark().0, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.unmark().0, Value::Unknown)
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// True when no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// True when any part of the value is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) | Value::Set(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmark().0 {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmark().0 {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The nearest float64 of a number.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::to_f64)
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.unmark().0 {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// A number that is a whole number in `i64`'s range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::to_i64)
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    pub fn as_map(&self) -> Option<&ValueMap> {
        match self.unmark().0 {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Elements of a list or set.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmark().0 {
            Value::List(items) | Value::Set(items) => Some(items),
            _ => None,
        }
    }

    /// The block of a nested block of at most one, which providers show as a list of at
    /// most one (`x[0]`): the list's item (`Null` for an empty list), or the value itself
    /// when it is not a list.
    pub fn one_block(&self) -> &Value {
        static NULL: Value = Value::Null;
        match self.unmark().0 {
            Value::List(items) | Value::Set(items) => items.first().unwrap_or(&NULL),
            other => other,
        }
    }

    /// An attribute of an object, `Null` when absent.
    pub fn get_attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.as_map().and_then(|m| m.get(name)).unwrap_or(&NULL)
    }

    /// The value at `path`, if present.
    pub fn at_path(&self, path: &[PathStep]) -> Option<&Value> {
        let mut cur = self;
        for step in path {
            cur = match (step, cur.unmark().0) {
                (PathStep::GetAttr(k) | PathStep::Key(k), Value::Map(m)) => m.get(k)?,
                (PathStep::Index(i), Value::List(items) | Value::Set(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Short type name for messages: "string", "number", "list", "object"...
    pub fn type_name(&self) -> &'static str {
        match self.unmark().0 {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(_) => unreachable!("unmarked above"),
        }
    }

    /// Equality of the data, ignoring sensitive marks. Unknown equals nothing but Unknown.
    pub fn same_data(&self, other: &Value) -> bool {
        match (self.unmark().0, other.unmark().0) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_data(y))
            }
            // A set read back from state (JSON has no sets) is a list: compare as sets.
            (Value::List(a), Value::Set(_)) | (Value::Set(_), Value::List(a)) => {
                let other = if matches!(self.unmark().0, Value::List(_)) {
                    other
                } else {
                    self
                };
                Value::set_from(a.clone()).same_data(other)
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same_data(vb))
            }
            _ => false,
        }
    }

    /// Builds a set: sorts and removes duplicates.
    pub fn set_from(mut items: Vec<Value>) -> Value {
        items.sort_by(Value::set_order);
        items.dedup_by(|a, b| a.same_data(b));
        Value::Set(items)
    }

    /// Terraform's order of set elements: numbers by value, strings lexically, others by
    /// their JSON text.
    fn set_order(a: &Value, b: &Value) -> std::cmp::Ordering {
        match (a.unmark().0, b.unmark().0) {
            (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (x, y) => x.to_json().to_string().cmp(&y.to_json().to_string()),
        }
    }

    /// Converts to JSON with marks stripped: sensitive data in clear, unknown as null.
    /// Use only where the result is stored (state, plan file), never printed. Negative zero
    /// is stored as 0, as Terraform's wire format stores it.
    pub fn to_json(&self) -> serde_json::Value {
        self.json(false)
    }

    /// `to_json` that keeps negative zero, as Terraform's `jsonencode` does.
    pub fn to_json_exact(&self) -> serde_json::Value {
        self.json(true)
    }

    fn json(&self, exact: bool) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) if !exact && n.is_zero() => J::from(0),
            Value::Number(n) => J::Number(n.to_json()),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) | Value::Set(items) => {
                J::Array(items.iter().map(|v| v.json(exact)).collect())
            }
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.json(exact))).collect()),
            Value::Sensitive(v) => v.json(exact),
        }
    }

    /// Converts from JSON; arrays become lists and objects become maps.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(Number::from_json(n)),
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            J::Object(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Paths of every sensitive part, and the value with those marks removed.
    pub fn sensitive_paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        collect_marked(self, &mut Vec::new(), &mut out, &|v| {
            matches!(v, Value::Sensitive(_))
        });
        out
    }

    /// Paths of every unknown part.
    pub fn unknown_paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        collect_marked(self, &mut Vec::new(), &mut out, &|v| {
            matches!(v.unmark().0, Value::Unknown)
        });
        out
    }

    /// Marks the parts at `paths` sensitive (paths that do not exist are ignored).
    pub fn with_sensitive_paths(mut self, paths: &[Path]) -> Value {
        for path in paths {
            if let Some(slot) = self.at_path_mut(path) {
                let v = std::mem::take(slot);
                *slot = v.into_sensitive();
            }
        }
        self
    }

    fn at_path_mut(&mut self, path: &[PathStep]) -> Option<&mut Value> {
        let mut cur = self;
        for step in path {
            let inner = match cur {
                Value::Sensitive(inner) => inner.as_mut(),
                v => v,
            };
            cur = match (step, inner) {
                (PathStep::GetAttr(k) | PathStep::Key(k), Value::Map(m)) => m.get_mut(k)?,
                (PathStep::Index(i), Value::List(items) | Value::Set(items)) => {
                    items.get_mut(*i)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Removes every sensitive mark, deeply.
    pub fn strip_marks(&self) -> Value {
        match self {
            Value::Sensitive(v) => v.strip_marks(),
            Value::List(items) => Value::List(items.iter().map(Value::strip_marks).collect()),
            Value::Set(items) => Value::Set(items.iter().map(Value::strip_marks).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.strip_marks()))
                    .collect(),
            ),
            v => v.clone(),
        }
    }
}

fn collect_marked(v: &Value, path: &mut Path, out: &mut Vec<Path>, hit: &dyn Fn(&Value) -> bool) {
    if hit(v) {
        out.push(path.clone());
        if !matches!(v, Value::Sensitive(_)) {
            return;
        }
    }
    match v.unmark().0 {
        Value::List(items) | Value::Set(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                collect_marked(item, path, out, hit);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, item) in m {
                path.push(if path.is_empty() {
                    PathStep::GetAttr(k.clone())
                } else {
                    PathStep::Key(k.clone())
                });
                collect_marked(item, path, out, hit);
                path.pop();
            }
        }
        _ => {}
    }
}

impl fmt::Display for Value {
    /// A compact HCL-like rendering; sensitive parts print as `(sensitive value)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::List(items) | Value::Set(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
        }
    }
}

impl PartialEq for Value {
    /// Equality of data and marks.
    fn eq(&self, other: &Value) -> bool {
        self.is_sensitive() == other.is_sensitive()
            && self.same_data(other)
            && self.sensitive_paths() == other.sensitive_paths()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    /// A float64 number; NaN and infinities have no number and become null.
    fn from(n: f64) -> Value {
        Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.into())
    }
}
impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::Number(n.into())
    }
}
impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_paths_round_trip() {
        let v = Value::object([
            ("a", Value::from("x").into_sensitive()),
            (
                "b",
                Value::List(vec![Value::from(1.0), Value::from("s").into_sensitive()]),
            ),
        ]);
        let paths = v.sensitive_paths();
        assert_eq!(paths.len(), 2);
        let restored = v.strip_marks().with_sensitive_paths(&paths);
        assert_eq!(restored, v);
        assert!(!v.strip_marks().contains_sensitive());
    }

    #[test]
    fn sets_are_sorted_and_unique() {
        let s = Value::set_from(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(s.to_json(), serde_json::json!(["a", "b"]));
    }

    #[test]
    fn numbers_print_like_hcl() {
        assert_eq!(Value::from(3.0).to_string(), "3");
        assert_eq!(Value::from(2.5).to_string(), "2.5");
    }
}
