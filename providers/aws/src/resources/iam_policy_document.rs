//! Data source `aws_iam_policy_document`: statement blocks rendered to policy JSON, with no
//! remote call, as terraform-provider-aws does: source documents first, then this
//! document's statements, then override documents, a statement replacing the one before it
//! with the same `Sid`; keys in the provider's order, and its CRC-32 `id`.

use mlform_provider::{
    Attribute, DataSource, NestedBlock, Nesting, ProviderError, Schema, Type, Value,
};
use serde_json::{json, Map, Value as J};

pub fn schema() -> Schema {
    let principals = Schema::new()
        .attr("type", Attribute::required(Type::String))
        .attr("identifiers", Attribute::required(Type::set(Type::String)));
    let condition = Schema::new()
        .attr("test", Attribute::required(Type::String))
        .attr("variable", Attribute::required(Type::String))
        .attr("values", Attribute::required(Type::list(Type::String)));
    let list = |b: Schema| NestedBlock {
        nesting: Nesting::List,
        block: b,
        min_items: 0,
        max_items: None,
        force_new: false,
    };
    let statement = Schema::new()
        .attr("sid", Attribute::optional(Type::String))
        .attr("effect", Attribute::optional(Type::String))
        .attr("actions", Attribute::optional(Type::set(Type::String)))
        .attr("not_actions", Attribute::optional(Type::set(Type::String)))
        .attr("resources", Attribute::optional(Type::set(Type::String)))
        .attr(
            "not_resources",
            Attribute::optional(Type::set(Type::String)),
        )
        .block("principals", list(principals.clone()))
        .block("not_principals", list(principals))
        .block("condition", list(condition));
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("json", Attribute::computed(Type::String))
        .attr("minified_json", Attribute::computed(Type::String))
        .attr("version", Attribute::optional(Type::String))
        .attr("policy_id", Attribute::optional(Type::String))
        .attr(
            "source_policy_documents",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr(
            "override_policy_documents",
            Attribute::optional(Type::list(Type::String)),
        )
        .block("statement", list(statement))
}

pub struct PolicyDocument;

fn strings(v: &Value) -> Vec<String> {
    v.as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One string stays a string; several become an array.
fn one_or_many(items: Vec<String>) -> J {
    if items.len() == 1 {
        J::String(items.into_iter().next().expect("one"))
    } else {
        json!(items)
    }
}

fn principals(blocks: &Value) -> Option<J> {
    let list = blocks.as_list()?;
    if list.is_empty() {
        return None;
    }
    let mut m: Map<String, J> = Map::new();
    for p in list {
        let ty = p.get_attr("type").as_str().unwrap_or_default().to_string();
        let ids = strings(p.get_attr("identifiers"));
        if ty == "*" {
            return Some(J::String("*".into()));
        }
        m.insert(ty, one_or_many(ids));
    }
    Some(J::Object(m))
}

/// The document: sources, then this one, then overrides, merged by `Sid`.
pub fn render(config: &Value) -> Result<J, ProviderError> {
    let mut merged = Map::new();
    for text in strings(config.get_attr("source_policy_documents")) {
        let source = parse("source_policy_documents", &text)?;
        if let Some(dup) = duplicate_sid(&source) {
            return Err(ProviderError::InvalidConfig(format!(
                "aws_iam_policy_document: duplicate Sid {dup:?} in source_policy_documents"
            )));
        }
        merge(&mut merged, source);
    }
    let own = render_own(config);
    if let Some(dup) = duplicate_sid(&own) {
        return Err(ProviderError::InvalidConfig(format!(
            "aws_iam_policy_document: duplicate statement sid {dup:?}; hint: each statement's sid must be unique"
        )));
    }
    merge(&mut merged, own);
    for text in strings(config.get_attr("override_policy_documents")) {
        merge(&mut merged, parse("override_policy_documents", &text)?);
    }
    Ok(J::Object(merged))
}

fn parse(attr: &str, text: &str) -> Result<J, ProviderError> {
    match serde_json::from_str::<J>(text) {
        Ok(doc @ J::Object(_)) => Ok(doc),
        Ok(_) => Err(ProviderError::InvalidConfig(format!(
            "aws_iam_policy_document: {attr} holds JSON that is not a policy object"
        ))),
        Err(e) => Err(ProviderError::InvalidConfig(format!(
            "aws_iam_policy_document: {attr} holds invalid JSON: {e}"
        ))),
    }
}

fn sid(statement: &J) -> Option<&str> {
    statement
        .get("Sid")
        .and_then(J::as_str)
        .filter(|s| !s.is_empty())
}

fn duplicate_sid(doc: &J) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    statements(doc)
        .iter()
        .filter_map(sid)
        .find(|s| !seen.insert(*s))
        .map(str::to_string)
}

fn statements(doc: &J) -> Vec<J> {
    match doc.get("Statement") {
        Some(J::Array(items)) => items.clone(),
        Some(one @ J::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// Merges `next` into `into`: its Version and Id win; a statement with the Sid of an earlier
/// one takes its place, others are appended.
fn merge(into: &mut Map<String, J>, next: J) {
    for key in ["Version", "Id"] {
        if let Some(v) = next.get(key).filter(|v| v.as_str() != Some("")) {
            into.insert(key.into(), v.clone());
        }
    }
    // `into` only ever holds the array this function wrote.
    let mut merged = into
        .get("Statement")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    for st in statements(&next) {
        match sid(&st).and_then(|s| merged.iter().position(|m| sid(m) == Some(s))) {
            Some(i) => merged[i] = st,
            None => merged.push(st),
        }
    }
    into.insert("Statement".into(), J::Array(merged));
}

/// Serializes a policy in terraform-provider-aws's key order (Version, Id, Statement; Sid,
/// Effect, Action … Condition), other maps sorted, as Go's encoder does.
struct Ordered<'a>(&'a J);

const KEY_ORDER: &[&str] = &[
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

impl serde::Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            J::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                let rank = |k: &str| KEY_ORDER.iter().position(|o| *o == k).unwrap_or(usize::MAX);
                keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
                let mut map = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    map.serialize_entry(k, &Ordered(&m[k]))?;
                }
                map.end()
            }
            J::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(&Ordered(i))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

fn render_own(config: &Value) -> J {
    let mut doc = Map::new();
    let version = config.get_attr("version").as_str().unwrap_or("2012-10-17");
    doc.insert("Version".into(), J::String(version.to_string()));
    if let Some(id) = config.get_attr("policy_id").as_str() {
        doc.insert("Id".into(), J::String(id.into()));
    }
    let mut statements = Vec::new();
    for s in config.get_attr("statement").as_list().unwrap_or_default() {
        let mut st = Map::new();
        if let Some(sid) = s.get_attr("sid").as_str() {
            st.insert("Sid".into(), J::String(sid.into()));
        }
        st.insert(
            "Effect".into(),
            J::String(s.get_attr("effect").as_str().unwrap_or("Allow").to_string()),
        );
        for (attr, key) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            let v = strings(s.get_attr(attr));
            if !v.is_empty() {
                st.insert(key.into(), one_or_many(v));
            }
        }
        if let Some(p) = principals(s.get_attr("principals")) {
            st.insert("Principal".into(), p);
        }
        if let Some(p) = principals(s.get_attr("not_principals")) {
            st.insert("NotPrincipal".into(), p);
        }
        if let Some(conds) = s.get_attr("condition").as_list().filter(|c| !c.is_empty()) {
            let mut c: Map<String, J> = Map::new();
            for cond in conds {
                let test = cond
                    .get_attr("test")
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let var = cond
                    .get_attr("variable")
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let entry = c.entry(test).or_insert_with(|| J::Object(Map::new()));
                if let J::Object(m) = entry {
                    m.insert(var, one_or_many(strings(cond.get_attr("values"))));
                }
            }
            st.insert("Condition".into(), J::Object(c));
        }
        statements.push(J::Object(st));
    }
    doc.insert("Statement".into(), J::Array(statements));
    J::Object(doc)
}

#[async_trait::async_trait]
impl DataSource for PolicyDocument {
    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let mut doc = render(config)?;
        if let J::Object(m) = &mut doc {
            m.entry("Version")
                .or_insert_with(|| J::String("2012-10-17".into()));
        }
        let pretty = serde_json::to_string_pretty(&Ordered(&doc))
            .map_err(|e| ProviderError::Api(e.to_string()))?;
        let minified =
            serde_json::to_string(&Ordered(&doc)).map_err(|e| ProviderError::Api(e.to_string()))?;
        let mut out = config.as_map().cloned().unwrap_or_default();
        out.insert(
            "id".into(),
            Value::from(string_hashcode(&pretty).to_string()),
        );
        out.insert("json".into(), Value::from(pretty));
        out.insert("minified_json".into(), Value::from(minified));
        Ok(Value::Map(out))
    }
}

/// terraform-provider-aws's `StringHashcode`: the CRC-32 (IEEE) of the text as a 64-bit
/// Go `int` (so never negative).
fn string_hashcode(text: &str) -> u32 {
    crc32fast::hash(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sid: &str, action: &str) -> Value {
        Value::object([
            ("sid", Value::from(sid)),
            ("effect", Value::Null),
            ("actions", Value::set_from(vec![Value::from(action)])),
            ("resources", Value::set_from(vec![Value::from("*")])),
        ])
    }

    #[tokio::test]
    async fn sources_then_statements_then_overrides_merge_by_sid() {
        let source = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
        let over = r#"{"Statement":{"Sid":"Write","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}}"#;
        let config = Value::object([
            (
                "source_policy_documents",
                Value::List(vec![Value::from(source)]),
            ),
            (
                "override_policy_documents",
                Value::List(vec![Value::from(over)]),
            ),
            (
                "statement",
                Value::List(vec![
                    statement("Read", "s3:GetObjectVersion"),
                    statement("Write", "s3:PutObject"),
                ]),
            ),
        ]);
        let out = PolicyDocument.read(&config).await.unwrap();
        let json = out.get_attr("minified_json").as_str().unwrap();
        assert_eq!(
            json,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObjectVersion","Resource":"*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},{"Sid":"Write","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}"#
        );
        let pretty = out.get_attr("json").as_str().unwrap();
        assert_eq!(
            out.get_attr("id").as_str().unwrap(),
            crc32fast::hash(pretty.as_bytes()).to_string()
        );
    }

    #[tokio::test]
    async fn duplicate_sids_are_an_error() {
        let config = Value::object([(
            "statement",
            Value::List(vec![
                statement("A", "s3:GetObject"),
                statement("A", "s3:PutObject"),
            ]),
        )]);
        let e = PolicyDocument.read(&config).await.unwrap_err().to_string();
        assert!(e.contains("duplicate statement sid \"A\""), "{e}");
    }
}
