//! Mocks, as `terraform test` defines them: a resource or data source that calls no API and
//! fills its computed attributes from given values or with generated ones. A mock provider
//! keeps the real provider's schema, so configurations validate exactly as against the real
//! one; an override puts a mock in place of one resource of a real provider.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::{
    Configured, DataSource, Nesting, PlanRequest, Planned, Provider, ProviderError, ProviderSchema,
    Resource, Schema, Type, Value,
};

/// Values for one mocked resource type, data source or overridden object.
#[derive(Debug, Clone, Default)]
pub struct MockValues {
    /// An object whose attributes give computed attributes their values; the rest are
    /// generated (strings of 8 random characters, 0, false, empty collections).
    pub values: Value,
    /// Known at plan time (`override_during = plan`) instead of after apply.
    pub during_plan: bool,
}

/// The `mock_resource` and `mock_data` defaults of one mock provider.
#[derive(Debug, Clone, Default)]
pub struct MockDefaults {
    pub resources: BTreeMap<String, MockValues>,
    pub data_sources: BTreeMap<String, MockValues>,
}

/// A provider with the schema of `inner` that calls no API.
pub struct MockProvider {
    inner: Arc<dyn Provider>,
    schema: ProviderSchema,
    defaults: MockDefaults,
}

impl MockProvider {
    pub fn new(inner: Arc<dyn Provider>, defaults: MockDefaults) -> Arc<MockProvider> {
        let schema = inner.schema();
        Arc::new(MockProvider {
            inner,
            schema,
            defaults,
        })
    }
}

#[async_trait::async_trait]
impl Provider for MockProvider {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn source(&self) -> &'static str {
        self.inner.source()
    }
    fn schema(&self) -> ProviderSchema {
        self.schema.clone()
    }
    /// A mock is configured with anything: its provider block is not evaluated against an API.
    async fn configure(&self, _config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        Ok(Arc::new(MockConfigured {
            schema: self.schema.clone(),
            defaults: self.defaults.clone(),
        }))
    }
}

struct MockConfigured {
    schema: ProviderSchema,
    defaults: MockDefaults,
}

impl Configured for MockConfigured {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        let schema = self.schema.resources.get(type_name)?.clone();
        let values = self
            .defaults
            .resources
            .get(type_name)
            .cloned()
            .unwrap_or_default();
        Some(Arc::new(MockResource { schema, values }))
    }
    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        let schema = self.schema.data_sources.get(type_name)?.clone();
        let values = self
            .defaults
            .data_sources
            .get(type_name)
            .cloned()
            .unwrap_or_default();
        Some(Arc::new(MockDataSource { schema, values }))
    }
}

/// A managed resource that creates nothing: reads return the prior state, deletes succeed.
pub struct MockResource {
    pub schema: Schema,
    pub values: MockValues,
}

#[async_trait::async_trait]
impl Resource for MockResource {
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(prior.clone()))
    }
    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut planned = crate::plan_by_schema(&self.schema, request)?;
        if self.values.during_plan {
            planned.state = fill(&planned.state, &self.values.values, &self.schema, true);
        }
        Ok(planned)
    }
    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        Ok(fill(planned, &self.values.values, &self.schema, true))
    }
    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(fill(planned, &self.values.values, &self.schema, true))
    }
    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }
    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let mut v = self
            .schema
            .conform(&Value::object([("id", Value::from(id))]));
        if let Value::Map(m) = &mut v {
            for (name, a) in &self.schema.attributes {
                if a.computed && name != "id" {
                    m.insert(name.clone(), Value::Unknown);
                }
            }
        }
        Ok(Some(fill(&v, &self.values.values, &self.schema, true)))
    }
}

/// A data source that reads nothing: computed attributes the configuration leaves null are
/// filled from the mock values or generated.
pub struct MockDataSource {
    pub schema: Schema,
    pub values: MockValues,
}

#[async_trait::async_trait]
impl DataSource for MockDataSource {
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let shaped = self.schema.conform(config);
        Ok(fill_nulls(&shaped, &self.values.values, &self.schema))
    }
}

/// Replaces unknown computed attributes of `target` with `with`'s values or generated ones;
/// in nested blocks, `with` applies to every element.
fn fill(target: &Value, with: &Value, schema: &Schema, unknown_only: bool) -> Value {
    let Some(map) = target.as_map() else {
        return target.clone();
    };
    let mut out = map.clone();
    for (name, attr) in &schema.attributes {
        let current = map.get(name).cloned().unwrap_or(Value::Null);
        let pick = if unknown_only {
            current.is_unknown()
        } else {
            current.is_null()
        };
        if attr.computed && pick {
            let given = with.as_map().and_then(|w| w.get(name)).cloned();
            let v = match given {
                Some(v) if !v.is_null() => conform_to(&v, &attr.ty),
                _ => generate(&attr.ty),
            };
            out.insert(name.clone(), v.mark_sensitive_if(attr.sensitive));
        } else if !current.is_wholly_known() {
            out.insert(name.clone(), generate_unknowns(&current, &attr.ty));
        }
    }
    for (name, nested) in &schema.blocks {
        let with_nested = with
            .as_map()
            .and_then(|w| w.get(name))
            .cloned()
            .unwrap_or(Value::Null);
        let with_item = match &with_nested {
            Value::List(items) | Value::Set(items) => items.first().cloned().unwrap_or_default(),
            other => other.clone(),
        };
        let current = map.get(name).cloned().unwrap_or(Value::Null);
        let v = match (nested.nesting, current) {
            (_, Value::Unknown) => match nested.nesting {
                Nesting::Single => Value::Null,
                Nesting::List => Value::List(Vec::new()),
                Nesting::Set => Value::Set(Vec::new()),
            },
            (Nesting::Single, v) if !v.is_null() => {
                fill(&v, &with_item, &nested.block, unknown_only)
            }
            (_, Value::List(items)) => Value::List(
                items
                    .iter()
                    .map(|i| fill(i, &with_item, &nested.block, unknown_only))
                    .collect(),
            ),
            (_, Value::Set(items)) => Value::set_from(
                items
                    .iter()
                    .map(|i| fill(i, &with_item, &nested.block, unknown_only))
                    .collect(),
            ),
            (_, v) => v,
        };
        out.insert(name.clone(), v);
    }
    Value::Map(out)
}

fn fill_nulls(target: &Value, with: &Value, schema: &Schema) -> Value {
    fill(target, with, schema, false)
}

/// A value of `ty` for an attribute nobody gave: Terraform's mock generation.
pub fn generate(ty: &Type) -> Value {
    match ty {
        Type::String | Type::Any => Value::String(random_string()),
        Type::Number => Value::from(0i64),
        Type::Bool => Value::Bool(false),
        Type::List(_) => Value::List(Vec::new()),
        Type::Set(_) => Value::Set(Vec::new()),
        Type::Map(_) => Value::Map(Default::default()),
        Type::Object(attrs) => Value::object(attrs.iter().map(|(k, t)| (k.clone(), generate(t)))),
    }
}

/// Replaces the unknown parts of a partly known value with generated ones.
fn generate_unknowns(v: &Value, ty: &Type) -> Value {
    match (v, ty) {
        (Value::Unknown, t) => generate(t),
        (Value::Sensitive(inner), t) => generate_unknowns(inner, t).into_sensitive(),
        (Value::List(items), Type::List(t)) => {
            Value::List(items.iter().map(|i| generate_unknowns(i, t)).collect())
        }
        (Value::Set(items), Type::Set(t)) => {
            Value::set_from(items.iter().map(|i| generate_unknowns(i, t)).collect())
        }
        (Value::Map(m), Type::Map(t)) => Value::Map(
            m.iter()
                .map(|(k, i)| (k.clone(), generate_unknowns(i, t)))
                .collect(),
        ),
        (Value::Map(m), Type::Object(attrs)) => Value::Map(
            m.iter()
                .map(|(k, i)| {
                    let t = attrs.get(k).cloned().unwrap_or(Type::Any);
                    (k.clone(), generate_unknowns(i, &t))
                })
                .collect(),
        ),
        (Value::List(items), _) => Value::List(
            items
                .iter()
                .map(|i| generate_unknowns(i, &Type::Any))
                .collect(),
        ),
        (Value::Map(m), _) => Value::Map(
            m.iter()
                .map(|(k, i)| (k.clone(), generate_unknowns(i, &Type::Any)))
                .collect(),
        ),
        (v, _) => v.clone(),
    }
}

/// Shapes a given value to the attribute's type where it is an object with missing
/// attributes (those are generated, as Terraform fills partial mock objects).
fn conform_to(v: &Value, ty: &Type) -> Value {
    match (v, ty) {
        (Value::Map(m), Type::Object(attrs)) => Value::object(attrs.iter().map(|(k, t)| {
            let given = m.get(k).cloned().unwrap_or(Value::Null);
            let v = if given.is_null() {
                generate(t)
            } else {
                conform_to(&given, t)
            };
            (k.clone(), v)
        })),
        (Value::List(items), Type::Set(_)) => Value::set_from(items.clone()),
        _ => v.clone(),
    }
}

fn random_string() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut n = h.finish();
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..8)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Attribute;

    fn schema() -> Schema {
        Schema::new()
            .attr("name", Attribute::required(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("size", Attribute::computed(Type::Number))
            .attr("tags_all", Attribute::computed(Type::map(Type::String)))
    }

    #[tokio::test]
    async fn create_fills_computed_from_values_and_generates_the_rest() {
        let r = MockResource {
            schema: schema(),
            values: MockValues {
                values: Value::object([("arn", Value::from("arn:aws:s3:::b"))]),
                during_plan: false,
            },
        };
        let config = Value::object([("name", Value::from("b"))]);
        let planned = r
            .plan(PlanRequest {
                prior: None,
                config: &config,
            })
            .unwrap();
        assert!(planned.state.get_attr("arn").is_unknown());
        let created = r.create(&planned.state).await.unwrap();
        assert_eq!(created.get_attr("arn"), &Value::from("arn:aws:s3:::b"));
        assert_eq!(created.get_attr("size"), &Value::from(0i64));
        assert_eq!(created.get_attr("name"), &Value::from("b"));
        assert_eq!(
            created.get_attr("tags_all"),
            &Value::Map(Default::default())
        );
    }

    #[tokio::test]
    async fn during_plan_values_are_known_in_the_plan() {
        let r = MockResource {
            schema: schema(),
            values: MockValues {
                values: Value::object([("arn", Value::from("x"))]),
                during_plan: true,
            },
        };
        let config = Value::object([("name", Value::from("b"))]);
        let planned = r
            .plan(PlanRequest {
                prior: None,
                config: &config,
            })
            .unwrap();
        assert_eq!(planned.state.get_attr("arn"), &Value::from("x"));
        assert_eq!(planned.state.get_attr("arn").as_str().unwrap().len(), 1);
        let s = planned.state.get_attr("tags_all");
        assert!(s.is_wholly_known());
    }

    #[tokio::test]
    async fn data_source_keeps_configured_values_and_generates_strings() {
        let d = MockDataSource {
            schema: schema(),
            values: MockValues::default(),
        };
        let v = d
            .read(&Value::object([("name", Value::from("n"))]))
            .await
            .unwrap();
        assert_eq!(v.get_attr("name"), &Value::from("n"));
        assert_eq!(v.get_attr("arn").as_str().unwrap().len(), 8);
    }
}
