//! The provider contract. A provider is a set of resource types and data sources; this module
//! is where the rules every implementation follows are written down, once.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{Path, ProviderError, Schema, Value};

/// What a provider declares before it is configured.
#[derive(Debug, Clone, Default)]
pub struct ProviderSchema {
    /// The `provider "NAME" { ... }` block.
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

/// A provider plugin, such as `terraform`, `aws` or `kubernetes`.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// The local name used in configuration (`aws` in `aws_s3_bucket`).
    fn name(&self) -> &'static str;

    /// The source address shown in plans and state (`registry.terraform.io/hashicorp/aws`).
    fn source(&self) -> &'static str;

    fn schema(&self) -> ProviderSchema;

    /// Builds a configured instance from the evaluated `provider` block (an object; null
    /// attributes when absent). One instance per alias. Must not change anything remotely.
    async fn configure(&self, config: &Value) -> Result<Arc<dyn Configured>, ProviderError>;
}

/// A configured provider instance: hands out its resource types and data sources.
pub trait Configured: Send + Sync {
    fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>>;
    fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>>;
}

/// Input of [`Resource::plan`].
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// The refreshed prior state, `None` when the object does not exist yet.
    pub prior: Option<&'a Value>,
    /// The evaluated configuration; may contain `Unknown` parts. Null attributes are unset.
    pub config: &'a Value,
}

/// Output of [`Resource::plan`].
#[derive(Debug, Clone)]
pub struct Planned {
    /// The state the object will have after apply; `Unknown` where the provider learns the
    /// value only while applying (ids, ARNs, outputs of changed inputs).
    pub state: Value,
    /// Attribute paths whose change cannot be made in place. Non-empty means replace.
    pub requires_replace: Vec<Path>,
    /// Why a replacement is needed, in words (for example "training input `hyperparameters` changed").
    pub replace_reason: Option<String>,
}

/// Result of a state upgrade; unused by built-in resources but part of the contract.
pub type StateUpgrade = Value;

/// One managed resource type. The contract:
///
/// * **read never mutates.** `read` only observes the remote object. It returns `None` when
///   the object is gone (deleted outside mlform), otherwise the live state.
/// * **normalization is separate from drift.** `read` reports what the API returned; then the
///   engine calls [`Resource::normalize`], which rewrites representations the API changed
///   without changing meaning (policy JSON key order, server defaults, single-element arrays)
///   back to the prior's form. What still differs after normalization is drift, shown to the
///   user as "changed outside mlform".
/// * **plan is pure.** No I/O; it decides the planned state and which paths force replacement.
///   The engine derives the action (create, update, replace, no-op) from its answer. A type
///   whose API can validate a change without making it may add a read-only
///   [`Resource::dry_run`].
/// * **create and delete are atomic and idempotent.** Create either leaves a complete object
///   and returns its state, or leaves nothing and returns an error (cleaning up partial
///   work) — except when the object exists but a wait for it failed: then it returns
///   [`ProviderError::Incomplete`] with the object, which the engine keeps tainted.
///   Delete of an object that is already gone succeeds. Both wait until the remote API
///   reports the final status (InService, deleted), honouring the configured timeouts.
/// * **update** changes in place only what `plan` said could change in place.
/// * Every returned state is wholly known (no `Unknown` parts) and conforms to the schema.
/// * Transient failures are reported as [`ProviderError::Transient`] so the engine can retry;
///   permission failures as [`ProviderError::PermissionDenied`] naming the missing action.
#[async_trait::async_trait]
pub trait Resource: Send + Sync {
    fn schema(&self) -> Schema;

    /// Observes the remote object described by `prior`. Never mutates anything.
    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError>;

    /// Rewrites `live` into the representation of `prior` where they mean the same thing.
    /// The default keeps `live` as it is.
    fn normalize(&self, prior: &Value, live: Value) -> Value {
        let _ = prior;
        live
    }

    /// Plans the change from `prior` to the configuration. Pure; no I/O.
    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        crate::plan_by_schema(&self.schema(), request)
    }

    /// Asks the remote API what a planned create or update would produce, without changing
    /// anything (a server-side dry run). Called during plan after [`Resource::plan`], only
    /// for wholly known planned values; read-only like `read`. An error (a conflict, a value
    /// the API rejects) fails the plan for this resource. `Some(state)` is the state the
    /// object would be stored with; when it equals `prior`, the change is a no-op (the API
    /// would normalize the configuration to what is already there). Default: no dry run.
    async fn dry_run(
        &self,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let _ = (prior, planned);
        Ok(None)
    }

    /// Creates the object. When it fails after the object exists (a wait that times out,
    /// a status that turns Failed), it returns [`ProviderError::Incomplete`] with the object
    /// as it is, so the engine can keep it (tainted) and a rollback can delete it; any
    /// other error means nothing was created.
    async fn create(&self, planned: &Value) -> Result<Value, ProviderError>;

    /// Updates the object in place from `prior` to `planned`. A failure after the remote
    /// object changed is [`ProviderError::Incomplete`] with the object as it is; updating
    /// from that state back to `prior` must undo it (the rollback does exactly that).
    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError>;

    /// Deletes the object and waits until it is gone. Succeeds if it is already gone.
    async fn delete(&self, prior: &Value) -> Result<(), ProviderError>;

    /// Reads an existing object by its import ID (the same format as terraform-provider-aws
    /// where the concept exists). `None` when no such object exists.
    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError>;
}

/// A data source: reads something during plan. Never mutates.
#[async_trait::async_trait]
pub trait DataSource: Send + Sync {
    fn schema(&self) -> Schema;

    /// Reads the data described by the (wholly known) configuration.
    async fn read(&self, config: &Value) -> Result<Value, ProviderError>;
}
