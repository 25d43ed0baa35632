//! The built-in providers: `terraform` with `terraform_data` (it stores a value; tests and
//! benchmarks use it because it does no I/O), `random` (module `random`), `null`
//! (`null_resource`), `time`, `local` (files on this machine) and `http` (`data "http"`, the
//! health gate of a deploy), which behave as Terraform's own and hashicorp/random, /null,
//! /time, /local and /http, so the same `.tf` files
//! run under both tools; and mlform's own `mlform` (`mlform_serving_image`, the model
//! server's image pushed to a registry).

mod http;
mod local;
mod null;
mod random;
mod remote_state;
mod serving_image;
mod table;
mod time;

pub use http::HttpProvider;
pub use local::LocalProvider;
pub use null::NullProvider;
pub use random::RandomProvider;
pub use remote_state::RemoteStateReader;
pub use serving_image::MlformProvider;
pub use time::TimeProvider;

use std::sync::Arc;

use mlform_provider::{
    Attribute, Configured, DataSource, PathStep, PlanRequest, Planned, Provider, ProviderError,
    ProviderSchema, Resource, Schema, Type, Value,
};

/// The `terraform` provider (source `terraform.io/builtin/terraform`).
pub struct TerraformProvider {
    remote_state: Option<Arc<dyn RemoteStateReader>>,
}

impl TerraformProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(TerraformProvider { remote_state: None })
    }

    /// The provider with `terraform_remote_state`, reading backends through `reader`.
    pub fn with_remote_state(reader: Arc<dyn RemoteStateReader>) -> Arc<dyn Provider> {
        Arc::new(TerraformProvider {
            remote_state: Some(reader),
        })
    }
}

#[async_trait::async_trait]
impl Provider for TerraformProvider {
    fn name(&self) -> &'static str {
        "terraform"
    }

    fn source(&self) -> &'static str {
        "terraform.io/builtin/terraform"
    }

    fn schema(&self) -> ProviderSchema {
        let mut schema = ProviderSchema::default();
        schema
            .resources
            .insert("terraform_data".into(), TerraformData.schema());
        schema
            .data_sources
            .insert("terraform_remote_state".into(), remote_state::schema());
        schema
    }

    async fn configure(&self, _config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        Ok(Arc::new(Builtin {
            remote_state: self.remote_state.clone(),
        }))
    }
}

struct Builtin {
    remote_state: Option<Arc<dyn RemoteStateReader>>,
}

impl Configured for Builtin {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        (type_name == "terraform_data").then(|| Arc::new(TerraformData) as Arc<dyn Resource>)
    }

    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        (type_name == "terraform_remote_state").then(|| {
            Arc::new(remote_state::RemoteState {
                reader: self.remote_state.clone(),
            }) as Arc<dyn DataSource>
        })
    }
}

/// `terraform_data`: `input` is copied to `output` on apply; a change of `triggers_replace`
/// replaces the object; `id` is a random UUID.
pub struct TerraformData;

#[async_trait::async_trait]
impl Resource for TerraformData {
    fn schema(&self) -> Schema {
        Schema::new()
            .attr(
                "id",
                Attribute::computed(Type::String).describe("A random UUID."),
            )
            .attr(
                "input",
                Attribute::optional(Type::Any)
                    .describe("A value stored in state and copied to `output`."),
            )
            .attr(
                "output",
                Attribute::computed(Type::Any).describe("The value of `input` after apply."),
            )
            .attr(
                "triggers_replace",
                Attribute::optional(Type::Any)
                    .describe("A change of this value replaces the resource."),
            )
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(prior.clone()))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let input = request.config.get_attr("input").clone();
        let triggers = request.config.get_attr("triggers_replace").clone();
        let mut requires_replace = Vec::new();
        let (id, output) = match request.prior {
            None => (Value::Unknown, unknown_like(&input)),
            Some(prior) => {
                if !prior.get_attr("triggers_replace").same_data(&triggers) {
                    requires_replace.push(vec![PathStep::GetAttr("triggers_replace".into())]);
                }
                let input_same = prior.get_attr("input").same_data(&input);
                let id = if requires_replace.is_empty() {
                    prior.get_attr("id").clone()
                } else {
                    Value::Unknown
                };
                let output = if input_same && requires_replace.is_empty() {
                    prior.get_attr("output").clone()
                } else {
                    unknown_like(&input)
                };
                (id, output)
            }
        };
        let state = Value::object([
            ("id", id),
            ("input", input),
            ("output", output),
            ("triggers_replace", triggers),
        ]);
        Ok(Planned {
            state,
            requires_replace,
            replace_reason: None,
        })
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        Ok(applied(planned, uuid::Uuid::new_v4().to_string()))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let id = prior
            .get_attr("id")
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(applied(planned, id))
    }

    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(Some(Value::object([
            ("id", Value::from(id)),
            ("input", Value::Null),
            ("output", Value::Null),
            ("triggers_replace", Value::Null),
        ])))
    }
}

/// `output` is unknown until apply, and sensitive when `input` as a whole is. Marks inside
/// `input` reach `output` by path when it is copied at apply, so `output.image` stays visible
/// while `output.dsn` is hidden, as in Terraform.
fn unknown_like(input: &Value) -> Value {
    Value::Unknown.mark_sensitive_if(input.is_sensitive())
}

fn applied(planned: &Value, id: String) -> Value {
    let input = planned.get_attr("input").clone();
    Value::object([
        ("id", Value::from(id)),
        ("input", input.clone()),
        ("output", input),
        (
            "triggers_replace",
            planned.get_attr("triggers_replace").clone(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(input: Value, triggers: Value) -> Value {
        Value::object([("input", input), ("triggers_replace", triggers)])
    }

    #[test]
    fn create_plans_unknown_id_and_output() {
        let planned = TerraformData
            .plan(PlanRequest {
                prior: None,
                config: &config("a".into(), Value::Null),
            })
            .unwrap();
        assert!(planned.state.get_attr("id").is_unknown());
        assert!(planned.state.get_attr("output").is_unknown());
        assert!(planned.requires_replace.is_empty());
    }

    #[tokio::test]
    async fn trigger_change_replaces_and_input_change_updates() {
        let created = TerraformData
            .create(&config("a".into(), Value::from(1.0)))
            .await
            .unwrap();
        let same = TerraformData
            .plan(PlanRequest {
                prior: Some(&created),
                config: &config("a".into(), Value::from(1.0)),
            })
            .unwrap();
        assert!(same.state.same_data(&created));
        let updated = TerraformData
            .plan(PlanRequest {
                prior: Some(&created),
                config: &config("b".into(), Value::from(1.0)),
            })
            .unwrap();
        assert!(updated.requires_replace.is_empty());
        assert!(updated.state.get_attr("output").is_unknown());
        let replaced = TerraformData
            .plan(PlanRequest {
                prior: Some(&created),
                config: &config("a".into(), Value::from(2.0)),
            })
            .unwrap();
        assert_eq!(replaced.requires_replace.len(), 1);
    }

    #[test]
    fn sensitive_input_keeps_output_sensitive() {
        let planned = TerraformData
            .plan(PlanRequest {
                prior: None,
                config: &config(Value::from("s3cr3t").into_sensitive(), Value::Null),
            })
            .unwrap();
        assert!(planned.state.get_attr("output").is_sensitive());
    }

    #[tokio::test]
    async fn marks_inside_input_reach_output_by_path() {
        let input = Value::object([
            ("dsn", Value::from("postgres://s3cr3t").into_sensitive()),
            ("image", Value::from("trainer:1.4")),
        ]);
        let planned = TerraformData
            .plan(PlanRequest {
                prior: None,
                config: &config(input, Value::Null),
            })
            .unwrap();
        assert!(!planned.state.get_attr("output").is_sensitive());
        let applied = TerraformData.create(&planned.state).await.unwrap();
        let output = applied.get_attr("output");
        assert!(output.get_attr("dsn").is_sensitive());
        assert!(!output.get_attr("image").is_sensitive());
    }
}
