//! `ValueMap`: the attributes of an object value, kept as one sorted vector. Objects in
//! configurations, state and plans are small and read far more often than changed, so a
//! vector sized to fit holds them in a fraction of a `BTreeMap`'s memory (whose nodes keep
//! room for eleven entries) and iterates in the same, sorted, order. The API is the subset
//! of `BTreeMap`'s that values need.
//!
//! The vector is shared between clones until one of them changes (copy on write): a no-op
//! plan holds each object as prior state, refreshed value, planned before and after, and
//! the value references see, and these are one allocation instead of five.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// A map from attribute name to value, sorted by name.
#[derive(Clone, Default, PartialEq)]
pub struct ValueMap {
    entries: Arc<Vec<(String, Value)>>,
}

type Pair = (String, Value);

impl ValueMap {
    pub fn new() -> ValueMap {
        ValueMap::default()
    }

    /// The entries, for changing: copied first when another clone shares them.
    fn entries_mut(&mut self) -> &mut Vec<Pair> {
        Arc::make_mut(&mut self.entries)
    }

    fn into_entries(self) -> Vec<Pair> {
        Arc::try_unwrap(self.entries).unwrap_or_else(|shared| (*shared).clone())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&Value>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut Value>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        Some(&mut self.entries_mut()[i].1)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`, returning the value it replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.find(key.as_str()) {
            Ok(i) => Some(std::mem::replace(&mut self.entries_mut()[i].1, value)),
            Err(i) => {
                self.entries_mut().insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<Value>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        Some(self.entries_mut().remove(i).1)
    }

    pub fn entry(&mut self, key: String) -> Entry<'_> {
        Entry { map: self, key }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries_mut().retain_mut(|(k, v)| keep(k, v));
    }

    pub fn iter(&self) -> Iter<'_> {
        self.entries.iter().map(pair_ref)
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        self.entries_mut().iter_mut().map(pair_mut)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries_mut().iter_mut().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = String> + ExactSizeIterator {
        self.into_entries().into_iter().map(|(k, _)| k)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.into_entries().into_iter().map(|(_, v)| v)
    }

    pub fn first_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.first().map(pair_ref)
    }
}

fn pair_ref(p: &Pair) -> (&String, &Value) {
    (&p.0, &p.1)
}

fn pair_mut(p: &mut Pair) -> (&String, &mut Value) {
    (&p.0, &mut p.1)
}

pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, Pair>, fn(&'a Pair) -> (&'a String, &'a Value)>;
pub type IterMut<'a> =
    std::iter::Map<std::slice::IterMut<'a, Pair>, fn(&'a mut Pair) -> (&'a String, &'a mut Value)>;

/// A slot of the map, as `BTreeMap::entry` gives.
pub struct Entry<'a> {
    map: &'a mut ValueMap,
    key: String,
}

impl<'a> Entry<'a> {
    pub fn or_insert_with(self, make: impl FnOnce() -> Value) -> &'a mut Value {
        let i = match self.map.find(self.key.as_str()) {
            Ok(i) => i,
            Err(i) => {
                self.map.entries_mut().insert(i, (self.key, make()));
                i
            }
        };
        &mut self.map.entries_mut()[i].1
    }

    pub fn or_insert(self, value: Value) -> &'a mut Value {
        self.or_insert_with(|| value)
    }

    pub fn or_default(self) -> &'a mut Value {
        self.or_insert_with(Value::default)
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for ValueMap {
    /// Later entries win over earlier ones with the same key, as with `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> ValueMap {
        let mut entries: Vec<Pair> = iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<Pair> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        out.shrink_to_fit();
        ValueMap {
            entries: Arc::new(out),
        }
    }
}

impl<K: Into<String>> Extend<(K, Value)> for ValueMap {
    /// Later entries win, as with `BTreeMap`; one sort, however many entries come.
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        let old = std::mem::take(self).into_entries();
        *self = old
            .into_iter()
            .chain(iter.into_iter().map(|(k, v)| (k.into(), v)))
            .collect();
    }
}

impl IntoIterator for ValueMap {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_entries().into_iter()
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut ValueMap {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl<Q> std::ops::Index<&Q> for ValueMap
where
    String: Borrow<Q>,
    Q: Ord + ?Sized,
{
    type Output = Value;
    fn index(&self, key: &Q) -> &Value {
        self.get(key).expect("no entry found for key")
    }
}

impl From<std::collections::BTreeMap<String, Value>> for ValueMap {
    fn from(m: std::collections::BTreeMap<String, Value>) -> ValueMap {
        let mut entries: Vec<Pair> = m.into_iter().collect();
        entries.shrink_to_fit();
        ValueMap {
            entries: Arc::new(entries),
        }
    }
}

impl From<ValueMap> for std::collections::BTreeMap<String, Value> {
    fn from(m: ValueMap) -> Self {
        m.into_entries().into_iter().collect()
    }
}

impl fmt::Debug for ValueMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_sorted_map() {
        let mut m: ValueMap = [
            ("b", Value::from(1i64)),
            ("a", Value::from(2i64)),
            ("b", Value::from(3i64)),
        ]
        .into_iter()
        .collect();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.get("b"), Some(&Value::from(3i64)));
        assert_eq!(m.insert("c".into(), Value::Null), None);
        assert!(m.insert("a".into(), Value::Bool(true)).is_some());
        *m.entry("d".into()).or_default() = Value::from("x");
        assert_eq!(m.remove("c"), Some(Value::Null));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "d"]);
        assert_eq!(m["d"], Value::from("x"));
    }

    #[test]
    fn clones_share_until_one_changes() {
        let a: ValueMap = [("k", Value::from(1i64))].into_iter().collect();
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.entries, &b.entries));
        b.insert("k".into(), Value::from(2i64));
        assert_eq!(a["k"], Value::from(1i64));
        assert_eq!(b["k"], Value::from(2i64));
        assert!(!Arc::ptr_eq(&a.entries, &b.entries));
    }
}
