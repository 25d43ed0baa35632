//! An instance's attributes in the state and journal files, read and written straight
//! between JSON text and `Value`. A `serde_json::Value` tree in between would hold the
//! whole state a second time, several times the size of the text, at the moment a plan
//! peaks in memory (state loaded, configuration parsed).

use std::fmt;

use mlform_provider::{Number, Value, ValueMap};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// How serde_json (with `arbitrary_precision`, which keeps every digit) hands a number to a
/// visitor: a one-entry map under this key, holding the number's text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A value stored as JSON: marks stripped, unknown as null, negative zero as 0 (what
/// `Value::to_json` gives, without the intermediate tree).
#[derive(Debug, Clone)]
pub(crate) struct Attributes(pub Value);

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Json(&self.0).serialize(s)
    }
}

struct Json<'a>(&'a Value);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null | Value::Unknown => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) if n.is_zero() => s.serialize_u64(0),
            Value::Number(n) => n.to_json().serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::List(items) | Value::Set(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Json(item))?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &Json(v))?;
                }
                map.end()
            }
            Value::Sensitive(inner) => Json(inner).serialize(s),
        }
    }
}

impl<'de> de::Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(Attributes)
    }
}

struct ValueVisitor;

struct Element(Value);

impl<'de> de::Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(Element)
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(Number::from_i64(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(Number::from_u64(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Element(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == NUMBER_TOKEN && entries.is_empty() {
                let text: String = map.next_value()?;
                return Ok(Value::Number(Number::from_json_text(&text)));
            }
            let Element(v) = map.next_value()?;
            entries.push((key, v));
        }
        Ok(Value::Map(entries.into_iter().collect::<ValueMap>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_what_value_json_does() {
        let text = r#"{"b":[1,2.5,12345678901234567890123,-0.1],"a":{"s":"x","n":null,"t":true}}"#;
        let Attributes(v) = serde_json::from_str(text).unwrap();
        let via_tree = Value::from_json(&serde_json::from_str(text).unwrap());
        assert_eq!(v, via_tree);
        assert_eq!(
            serde_json::to_string(&Attributes(v.clone())).unwrap(),
            serde_json::to_string(&via_tree.to_json()).unwrap()
        );
        let big = v.get_attr("b").as_list().unwrap()[2].clone();
        assert_eq!(big.to_string(), "12345678901234567890123");
    }
}
