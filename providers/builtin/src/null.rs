//! The built-in `null` provider (source `registry.terraform.io/hashicorp/null`):
//! `null_resource`, which does nothing but get replaced when its `triggers` change.

use std::sync::Arc;

use crate::table::{no_data_source, Table};
use mlform_provider::{
    plan_by_schema, Attribute, PlanRequest, Planned, Provider, ProviderError, Resource, Schema,
    Type, Value, ValueMap,
};
use rand::Rng;

/// The `null` provider.
pub struct NullProvider;

impl NullProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(Table {
            name: "null",
            source: "registry.terraform.io/hashicorp/null",
            resources: &["null_resource"],
            data_sources: &[],
            resource: |t| {
                (t == "null_resource").then(|| Arc::new(NullResource) as Arc<dyn Resource>)
            },
            data_source: no_data_source,
        })
    }
}

/// `null_resource`: `id` is a random number, as hashicorp/null makes it.
struct NullResource;

#[async_trait::async_trait]
impl Resource for NullResource {
    fn schema(&self) -> Schema {
        Schema::new()
            .attr(
                "triggers",
                Attribute::optional(Type::map(Type::String))
                    .force_new()
                    .describe("A change of any value replaces the resource."),
            )
            .attr("id", Attribute::computed(Type::String))
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(prior.clone()))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        plan_by_schema(&self.schema(), request)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
        let id: u64 = rand::rngs::OsRng.gen_range(0..i64::MAX as u64);
        m.insert("id".into(), Value::string(id.to_string()));
        Ok(Value::Map(m))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(Some(Value::object([
            ("id", Value::from(id)),
            ("triggers", Value::Null),
        ])))
    }
}
