//! Data source `aws_iam_policy_document`: statement blocks rendered to policy JSON, with no
//! remote call, as terraform-provider-aws does.

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

pub fn render(config: &Value) -> J {
    let mut doc = Map::new();
    doc.insert(
        "Version".into(),
        J::String(
            config
                .get_attr("version")
                .as_str()
                .unwrap_or("2012-10-17")
                .to_string(),
        ),
    );
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
        let doc = render(config);
        let pretty =
            serde_json::to_string_pretty(&doc).map_err(|e| ProviderError::Api(e.to_string()))?;
        let minified = doc.to_string();
        let mut out = config.as_map().cloned().unwrap_or_default();
        out.insert("json".into(), Value::from(pretty));
        out.insert("minified_json".into(), Value::from(minified.clone()));
        out.insert(
            "id".into(),
            Value::from(format!(
                "{:x}",
                minified.len() as u64 * 2654435761 % 4294967291
            )),
        );
        Ok(Value::Map(out))
    }
}
