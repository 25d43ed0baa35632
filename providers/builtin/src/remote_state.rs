//! `data "terraform_remote_state"`: another configuration's root outputs, read from its
//! backend. Reading a backend is the engine's business, so the provider asks a
//! [`RemoteStateReader`] the binary supplies.

use std::sync::Arc;

use mlform_provider::{Attribute, DataSource, ProviderError, Schema, Type, Value};

/// Reads the root module outputs of one workspace of a configured backend.
#[async_trait::async_trait]
pub trait RemoteStateReader: Send + Sync {
    /// The outputs as an object, sensitive outputs marked sensitive. A workspace with no
    /// state yet has no outputs.
    async fn outputs(
        &self,
        backend: &str,
        config: &Value,
        workspace: &str,
    ) -> Result<Value, ProviderError>;
}

pub(crate) struct RemoteState {
    pub reader: Option<Arc<dyn RemoteStateReader>>,
}

pub(crate) fn schema() -> Schema {
    Schema::new()
        .attr(
            "backend",
            Attribute::required(Type::String).describe("The backend type: local or s3."),
        )
        .attr(
            "config",
            Attribute::optional(Type::Any).describe("The backend's arguments."),
        )
        .attr(
            "defaults",
            Attribute::optional(Type::Any)
                .describe("Values used for outputs the state does not have."),
        )
        .attr(
            "workspace",
            Attribute::optional(Type::String).describe("The workspace to read (default)."),
        )
        .attr(
            "outputs",
            Attribute::computed(Type::Any).describe("The root module's output values."),
        )
}

#[async_trait::async_trait]
impl DataSource for RemoteState {
    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let Some(reader) = &self.reader else {
            return Err(ProviderError::InvalidConfig(
                "terraform_remote_state is not available in this context".into(),
            ));
        };
        let backend = config
            .get_attr("backend")
            .strip_marks()
            .as_str()
            .unwrap_or_default()
            .to_string();
        let workspace = config
            .get_attr("workspace")
            .strip_marks()
            .as_str()
            .unwrap_or("default")
            .to_string();
        let outputs = reader
            .outputs(&backend, config.get_attr("config"), &workspace)
            .await?;
        let mut merged = config
            .get_attr("defaults")
            .as_map()
            .cloned()
            .unwrap_or_default();
        if let Some(read) = outputs.as_map() {
            for (k, v) in read.iter() {
                merged.insert(k.clone(), v.clone());
            }
        }
        let mut out = config.as_map().cloned().unwrap_or_default();
        out.insert("outputs".into(), Value::Map(merged));
        if out.get("workspace").is_none_or(Value::is_null) {
            out.insert("workspace".into(), Value::from("default"));
        }
        let out = Value::Map(out);
        Ok(out)
    }
}
