//! A provider described by its table: name, registry source, and the functions that build
//! each resource type and data source by name. The utility providers are tables; the
//! engine sees ordinary `Provider`s.

use std::sync::Arc;

use mlform_provider::{
    Configured, DataSource, Provider, ProviderError, ProviderSchema, Resource, Value,
};

/// A provider with no configuration of its own, as a table of its types.
#[derive(Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub source: &'static str,
    pub resources: &'static [&'static str],
    pub data_sources: &'static [&'static str],
    pub resource: fn(&str) -> Option<Arc<dyn Resource>>,
    pub data_source: fn(&str) -> Option<Arc<dyn DataSource>>,
}

/// For tables without data sources.
pub fn no_data_source(_type_name: &str) -> Option<Arc<dyn DataSource>> {
    None
}

#[async_trait::async_trait]
impl Provider for Table {
    fn name(&self) -> &'static str {
        self.name
    }

    fn source(&self) -> &'static str {
        self.source
    }

    fn schema(&self) -> ProviderSchema {
        let mut schema = ProviderSchema::default();
        for t in self.resources {
            if let Some(r) = (self.resource)(t) {
                schema.resources.insert(t.to_string(), r.schema());
            }
        }
        for t in self.data_sources {
            if let Some(d) = (self.data_source)(t) {
                schema.data_sources.insert(t.to_string(), d.schema());
            }
        }
        schema
    }

    async fn configure(&self, _config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        Ok(Arc::new(*self))
    }
}

impl Configured for Table {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        (self.resource)(type_name)
    }

    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        (self.data_source)(type_name)
    }
}
