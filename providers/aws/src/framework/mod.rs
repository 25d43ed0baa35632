//! The AWS resource framework: a resource type is a typed model plus the API calls that
//! create, read, update and delete it. What every AWS resource does alike is done here,
//! once: the `id`, `tags` / `tags_all` with the provider's default tags, `name` /
//! `name_prefix` with generated names, not-found handling, waiting until a created object
//! can be read, the Terraform rule that known planned values are what apply returns, and
//! import by ID. [`Managed`] turns an [`AwsResource`] into the engine's `Resource`.

mod data;
pub mod list_blocks;
mod model;
pub mod region;
pub mod sdk;

use std::sync::Arc;
use std::time::Duration;

use mlform_provider::{
    poll_until, Attribute, PlanRequest, Planned, Poll, ProviderError, Resource, Schema, Type, Value,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Clients;

pub use data::{make_data, AwsDataSource};
pub use model::Timeouts;
use model::{from_value, to_value};
pub use sdk::SdkResult;

/// How a resource's name is chosen when the configuration leaves it out: `name_prefix`
/// (or `default_prefix`) followed by a unique suffix, as terraform-provider-aws does.
pub struct Naming {
    pub default_prefix: &'static str,
    /// The name's attribute (`name`; `bucket` for a bucket).
    pub attribute: &'static str,
    /// Its prefix's attribute (`name_prefix`; `bucket_prefix`).
    pub prefix_attribute: &'static str,
    /// The flag that makes a generated name end in `.fifo` (`fifo_topic`, `fifo_queue`).
    pub fifo_flag: Option<&'static str>,
}

impl Naming {
    /// `name`, generated from `name_prefix` or `default_prefix`.
    pub const fn name(default_prefix: &'static str) -> Naming {
        Naming {
            default_prefix,
            attribute: "name",
            prefix_attribute: "name_prefix",
            fifo_flag: None,
        }
    }

    /// This naming, with `.fifo` after a generated name when the bool `flag` is set.
    pub const fn fifo_when(self, flag: &'static str) -> Naming {
        Naming {
            fifo_flag: Some(flag),
            ..self
        }
    }
}

/// How long a created object may take to become readable (IAM and KMS are eventually
/// consistent; terraform-provider-aws waits the same way).
pub const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

/// What a create call made: the new object's `id`, and the values only the create call
/// returns (an access key's secret), which no read can recover: its [`KEEP`] attributes
/// are taken from `only_at_create`.
///
/// [`KEEP`]: AwsResource::KEEP
pub struct Created<M> {
    pub id: String,
    pub only_at_create: Option<M>,
}

impl<M> From<String> for Created<M> {
    fn from(id: String) -> Created<M> {
        Created {
            id,
            only_at_create: None,
        }
    }
}

/// One AWS resource type written against the framework.
///
/// The contract, on top of [`Resource`]'s:
/// * `Model` is the resource's attributes as a serde struct whose field names are the
///   attribute names. Null attributes arrive as absent fields (mark optional fields
///   `#[serde(default)]`); fields the model leaves out are kept from configuration.
/// * [`schema`](AwsResource::schema) declares the type's own attributes; the framework adds
///   `id`, `tags` / `tags_all` when [`TAGGED`](AwsResource::TAGGED), and `name_prefix` when
///   [`NAMING`](AwsResource::NAMING) is set (then `name`, or the naming's own attribute,
///   must be optional + computed + force_new). Plan modifiers (force_new, defaults) live on the attributes.
/// * [`create`](AwsResource::create) receives the planned model with its name chosen and
///   `tags_all` filled, and returns the new object's `id` (and what only create returns). The framework then reads it
///   back (waiting until it is visible) and keeps every planned value that was known.
/// * [`read`](AwsResource::read) reads the object whose `id` (and, where the ID is not
///   enough, other identifying fields) the given model holds. It returns `None` when the
///   object is gone, and fills `tags_all` with the object's tags when the type is tagged.
///   Attributes the API never returns are listed in [`KEEP`](AwsResource::KEEP) and kept
///   from state.
/// * [`update`](AwsResource::update) changes in place everything but tags; it is called
///   only when something besides tags changed. Tags go through
///   [`set_tags`](AwsResource::set_tags) with just the keys to remove and the pairs to set.
/// * [`delete`](AwsResource::delete) may fail with "not found" freely: use
///   [`SdkResult::gone_ok`].
/// * Import reads the model [`import_model`](AwsResource::import_model) builds from the
///   import ID, the same ID format as terraform-provider-aws.
#[async_trait::async_trait]
pub trait AwsResource: Default + Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Send + Sync;

    /// The resource type name (`aws_kms_key`).
    const TYPE: &'static str;
    /// Whether the type takes `tags` (and computes `tags_all`).
    const TAGGED: bool = false;
    /// Whether the name (`name`) may be generated from its prefix (`name_prefix`).
    const NAMING: Option<Naming> = None;
    /// Arguments the API never returns (write-only settings): read keeps them from state,
    /// import leaves them null, and a null one is not planned to change to its schema
    /// default (so importing what a configuration leaves at its defaults plans nothing).
    const KEEP: &'static [&'static str] = &[];
    /// Attributes holding IAM policy JSON, compared by meaning: a policy written another way
    /// (key order, a one-element list for a string) is neither a change nor drift.
    const POLICIES: &'static [&'static str] = &[];
    /// Blocks that are optional and computed (AWS fills them in when left out): a block the
    /// configuration leaves out keeps the prior's value, and is neither a change nor drift.
    const COMPUTED_BLOCKS: &'static [&'static str] = &[];
    /// The attribute the `id` equals when it is one (IAM users and groups are known by their
    /// name, and renamed in place): a change to it plans a new `id`.
    const ID_ATTRIBUTE: Option<&'static str> = None;

    fn schema() -> Schema;

    /// What to read for import ID `id`. Default: the model whose `id` is `id`.
    fn import_model(id: &str) -> Result<Value, ProviderError> {
        Ok(Value::object([("id", Value::from(id))]))
    }

    /// The planned `tags_all` of a tagged type: the provider's default tags overlaid by
    /// the configuration's `tags`. A type with its own default tags (an S3 object's
    /// `override_provider`) says so here.
    fn plan_tags_all(c: &Clients, config: &Value) -> Value {
        c.tags_all(config.get_attr("tags"))
    }

    /// Fills, in the configuration before it is planned, what AWS defaults by the
    /// configuration's shape (a block left out, a position in a list): planned as if
    /// written, so a default neither changes nor replaces anything. Default: nothing.
    fn fill_config(config: &mut mlform_provider::ValueMap) {
        let _ = config;
    }

    /// Adjusts the planned state after the schema's rules (plan is pure: no I/O). Use it to
    /// plan as unknown what an update will recompute (a rotation period when rotation is
    /// switched on).
    fn modify_plan(prior: Option<&Value>, planned: &mut mlform_provider::ValueMap) {
        let _ = (prior, planned);
    }

    /// Why the plan replaces the object, shown with the plan (called only for a
    /// replacement); an error when it cannot be replaced as planned. Default: no reason.
    fn replace_reason(
        prior: &Value,
        planned: &mlform_provider::ValueMap,
    ) -> Result<Option<String>, ProviderError> {
        let _ = (prior, planned);
        Ok(None)
    }

    /// Fills planned values that follow from the provider's settings (names and ARNs built
    /// from the region) and checks those the settings decide, after
    /// [`modify_plan`](AwsResource::modify_plan). Default: nothing.
    fn plan_in_region(
        c: &Clients,
        planned: &mut mlform_provider::ValueMap,
    ) -> Result<(), ProviderError> {
        let _ = (c, planned);
        Ok(())
    }

    /// Checks the planned values against the API's rules, so a value AWS would refuse fails
    /// the plan rather than the apply. Values not known yet are skipped. Default: no rules
    /// beyond the schema's.
    fn validate(planned: &mlform_provider::ValueMap) -> Result<(), ProviderError> {
        let _ = planned;
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Self::Model,
    ) -> Result<Created<Self::Model>, ProviderError>;

    /// Waits until a just-created object is ready for use (SageMaker's InService). It runs
    /// after [`create`](AwsResource::create), with the new `id` in `model`; when it fails,
    /// the object stays in state with the error (as Terraform keeps a tainted one), so
    /// nothing made is lost. Default: nothing to wait for.
    async fn wait_created(&self, c: &Clients, model: &Self::Model) -> Result<(), ProviderError> {
        let _ = (c, model);
        Ok(())
    }

    async fn read(
        &self,
        c: &Clients,
        model: &Self::Model,
    ) -> Result<Option<Self::Model>, ProviderError>;

    async fn update(
        &self,
        c: &Clients,
        prior: &Self::Model,
        planned: &Self::Model,
    ) -> Result<(), ProviderError> {
        let _ = (c, prior, planned);
        Err(ProviderError::Unsupported(format!(
            "{} cannot be updated in place",
            Self::TYPE
        )))
    }

    async fn set_tags(
        &self,
        c: &Clients,
        model: &Self::Model,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        let _ = (c, model, remove, set);
        Err(ProviderError::Unsupported(format!(
            "{} takes no tags",
            Self::TYPE
        )))
    }

    async fn delete(&self, c: &Clients, model: &Self::Model) -> Result<(), ProviderError>;
}

/// A block written as a list of at most one, as terraform-provider-aws declares its
/// blocks (`x[0].y`); modelled as a `Vec` of zero or one.
pub fn list_of_one(block: Schema, required: bool) -> mlform_provider::NestedBlock {
    mlform_provider::NestedBlock {
        nesting: mlform_provider::Nesting::List,
        block,
        min_items: usize::from(required),
        max_items: Some(1),
        force_new: false,
    }
}

/// The full schema of `R`: its own attributes plus the framework's.
pub fn schema_of<R: AwsResource>() -> Schema {
    let mut s = R::schema().attr("id", Attribute::computed(Type::String));
    if R::TAGGED {
        s = s
            .attr("tags", Attribute::optional(Type::map(Type::String)))
            .attr("tags_all", Attribute::computed(Type::map(Type::String)));
    }
    if let Some(naming) = &R::NAMING {
        s = s.attr(
            naming.prefix_attribute,
            Attribute::optional(Type::String).force_new(),
        );
    }
    s
}

/// Builds the engine-facing resource of `R`.
pub fn make<R: AwsResource>(clients: Arc<Clients>) -> Arc<dyn Resource> {
    Arc::new(Managed::<R> {
        clients,
        resource: R::default(),
        schema: schema_of::<R>(),
    })
}

/// An [`AwsResource`] seen as the engine's [`Resource`].
pub struct Managed<R: AwsResource> {
    clients: Arc<Clients>,
    resource: R,
    schema: Schema,
}

impl<R: AwsResource> Managed<R> {
    fn model(&self, v: &Value) -> Result<R::Model, ProviderError> {
        from_value(R::TYPE, v)
    }

    fn value(&self, m: &R::Model) -> Value {
        to_value(&self.schema, m)
    }

    /// The state after a refresh: what the API says, plus what it cannot say.
    fn refreshed(&self, prior: &Value, live: Value) -> Value {
        let mut m = live.as_map().cloned().unwrap_or_default();
        let keep = R::KEEP
            .iter()
            .copied()
            .chain(R::NAMING.as_ref().map(|n| n.prefix_attribute));
        for k in keep {
            m.insert(k.to_string(), prior.get_attr(k).clone());
        }
        if R::TAGGED {
            let all = m.get("tags_all").cloned().unwrap_or(Value::Null);
            m.insert(
                "tags".into(),
                self.clients.own_tags(&all, prior.get_attr("tags")),
            );
        }
        Value::Map(m)
    }

    /// The state after create or update: every known planned value, the rest from `live`.
    fn applied(&self, planned: &Value, live: Value) -> Value {
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        let live = live.as_map().cloned().unwrap_or_default();
        for (k, v) in m.iter_mut() {
            if !v.is_wholly_known() {
                *v = live.get(k).cloned().unwrap_or(Value::Null);
            }
        }
        Value::Map(m)
    }

    /// Reads the object `model` names, waiting until it is visible.
    async fn read_back(&self, model: &R::Model, id: &str) -> Result<R::Model, ProviderError> {
        poll_until(
            &format!("{} {id} to be readable", R::TYPE),
            PROPAGATION_TIMEOUT,
            || async {
                Ok(match self.resource.read(&self.clients, model).await? {
                    Some(live) => Poll::Ready(live),
                    None => Poll::Pending("not found".into()),
                })
            },
        )
        .await
    }
}

#[async_trait::async_trait]
impl<R: AwsResource> Resource for Managed<R> {
    fn schema(&self) -> Schema {
        self.schema.clone()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        if prior.get_attr("id").is_null() {
            return Ok(None);
        }
        let model = self.model(prior)?;
        let Some(live) = self.resource.read(&self.clients, &model).await? else {
            return Ok(None);
        };
        Ok(Some(self.refreshed(prior, self.value(&live))))
    }

    fn normalize(&self, prior: &Value, mut live: Value) -> Value {
        if let Value::Map(m) = &mut live {
            keep_equivalent_policies::<R>(prior, m);
        }
        live
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut config = with_computed_blocks::<R>(request.config, request.prior);
        if let Value::Map(m) = &mut config {
            R::fill_config(m);
        }
        let request = PlanRequest {
            config: &config,
            ..request
        };
        let mut planned = mlform_provider::plan_by_schema(&self.schema, request.clone())?;
        let mut m = planned.state.as_map().cloned().unwrap_or_default();
        if R::TAGGED {
            m.insert(
                "tags_all".into(),
                R::plan_tags_all(&self.clients, request.config),
            );
        }
        if let Some(prior) = request.prior {
            keep_equivalent_policies::<R>(prior, &mut m);
            keep_imported_defaults::<R>(&self.schema, prior, &mut m);
        }
        if let Some(attr) = R::ID_ATTRIBUTE {
            let id = m.get(attr).cloned().unwrap_or(Value::Unknown);
            let id = if id.is_null() { Value::Unknown } else { id };
            m.insert("id".into(), id);
        }
        R::modify_plan(request.prior, &mut m);
        R::plan_in_region(&self.clients, &mut m)?;
        R::validate(&m)?;
        if let (Some(prior), false) = (request.prior, planned.requires_replace.is_empty()) {
            planned.replace_reason = R::replace_reason(prior, &m)?;
        }
        planned.state = Value::Map(m);
        Ok(planned)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let mut planned = planned.clone();
        if let Some(naming) = R::NAMING
            .as_ref()
            .filter(|n| !planned.get_attr(n.attribute).is_wholly_known())
        {
            let mut name = crate::resources::unique_name(
                &Value::Null,
                planned.get_attr(naming.prefix_attribute),
                naming.default_prefix,
            );
            if naming
                .fifo_flag
                .is_some_and(|flag| planned.get_attr(flag).as_bool() == Some(true))
            {
                name.push_str(".fifo");
            }
            if let Value::Map(m) = &mut planned {
                m.insert(naming.attribute.into(), Value::from(name));
            }
        }
        let model = self.model(&planned)?;
        let created = self.resource.create(&self.clients, &model).await?;
        let id = created.id;
        let mut written = self.value(&model);
        if let Value::Map(m) = &mut written {
            m.insert("id".into(), Value::from(id.as_str()));
        }
        if let Err(e) = self
            .resource
            .wait_created(&self.clients, &self.model(&written)?)
            .await
        {
            return Err(ProviderError::incomplete(
                self.applied(&planned, written),
                e,
            ));
        }
        let live = self.read_back(&self.model(&written)?, &id).await?;
        let mut live = self.value(&live);
        if let (Some(extra), Value::Map(m)) = (created.only_at_create, &mut live) {
            let extra = self.value(&extra);
            for k in R::KEEP {
                m.insert(k.to_string(), extra.get_attr(k).clone());
            }
        }
        Ok(self.applied(&planned, live))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let mut planned_now = planned.clone();
        if let Value::Map(m) = &mut planned_now {
            if !m.get("id").is_some_and(Value::is_wholly_known) {
                let id = R::ID_ATTRIBUTE
                    .and_then(|a| m.get(a).cloned())
                    .unwrap_or_else(|| prior.get_attr("id").clone());
                m.insert("id".into(), id);
            }
        }
        let (old, new) = (self.model(prior)?, self.model(&planned_now)?);
        let tag_keys = ["tags", "tags_all"];
        let others_changed = self
            .schema
            .argument_names()
            .any(|k| !tag_keys.contains(&k) && !prior.get_attr(k).same_data(planned.get_attr(k)));
        if others_changed {
            self.resource.update(&self.clients, &old, &new).await?;
        }
        let (was, now) = (prior.get_attr("tags_all"), planned.get_attr("tags_all"));
        if R::TAGGED && !was.same_data(now) {
            let (remove, _) = crate::client::tag_changes(was, now);
            let set = crate::client::tag_changes(&Value::Null, now)
                .1
                .into_iter()
                .filter(|(k, v)| was.get_attr(k).as_str() != Some(v.as_str()))
                .collect();
            self.resource
                .set_tags(&self.clients, &new, remove, set)
                .await?;
        }
        let id = planned_now
            .get_attr("id")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let live = self.read_back(&new, &id).await?;
        Ok(self.applied(planned, self.value(&live)))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        self.resource
            .delete(&self.clients, &self.model(prior)?)
            .await
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let model = self.model(&R::import_model(id)?)?;
        let Some(live) = self.resource.read(&self.clients, &model).await? else {
            return Ok(None);
        };
        // As a refresh from nothing: what the API cannot say is null.
        let mut state = self.refreshed(&Value::Null, self.value(&live));
        if let (Some(naming), Value::Map(m)) = (&R::NAMING, &mut state) {
            // A name generated from the type's own default prefix had no prefix set.
            let prefix = m
                .get(naming.attribute)
                .and_then(Value::as_str)
                .map(|name| match naming.fifo_flag {
                    Some(_) => name.strip_suffix(".fifo").unwrap_or(name),
                    None => name,
                })
                .map(crate::resources::prefix_of_generated)
                .filter(|p| p.as_str() != Some(naming.default_prefix))
                .unwrap_or(Value::Null);
            m.insert(naming.prefix_attribute.into(), prefix);
        }
        Ok(Some(state))
    }
}

/// Puts `prior`'s text back wherever `new` holds the same policy written differently.
fn keep_equivalent_policies<R: AwsResource>(prior: &Value, new: &mut mlform_provider::ValueMap) {
    for k in R::POLICIES {
        if let (Some(old), Some(text)) = (
            prior.get_attr(k).as_str(),
            new.get(*k).and_then(Value::as_str),
        ) {
            if old != text && crate::policy::equivalent(old, text) {
                new.insert(k.to_string(), Value::from(old));
            }
        }
    }
}

/// Keeps null the [`KEEP`](AwsResource::KEEP) arguments an import left null while the
/// configuration asks for their default, as the AWS provider's plugin SDK compares an unset
/// value with the default.
fn keep_imported_defaults<R: AwsResource>(
    schema: &Schema,
    prior: &Value,
    planned: &mut mlform_provider::ValueMap,
) {
    for k in R::KEEP {
        let default = schema.attributes.get(*k).and_then(|a| a.default.as_ref());
        if prior.get_attr(k).is_null() && default.is_some() && planned.get(*k) == default {
            planned.insert((*k).to_string(), Value::Null);
        }
    }
}

/// `config` with the [`COMPUTED_BLOCKS`](AwsResource::COMPUTED_BLOCKS) it leaves out taken
/// from `prior`.
fn with_computed_blocks<R: AwsResource>(config: &Value, prior: Option<&Value>) -> Value {
    let (Some(prior), Some(map)) = (prior, config.as_map()) else {
        return config.clone();
    };
    let mut map = map.clone();
    for name in R::COMPUTED_BLOCKS {
        let unset = map
            .get(*name)
            .is_none_or(|v| v.is_null() || v.as_list().is_some_and(<[Value]>::is_empty));
        if unset {
            map.insert(name.to_string(), prior.get_attr(name).clone());
        }
    }
    Value::Map(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Created at once, never ready.
    #[derive(Default)]
    struct NeverReady;

    #[derive(Serialize, Deserialize, Default)]
    #[serde(default)]
    struct Model {
        id: String,
        name: String,
    }

    #[async_trait::async_trait]
    impl AwsResource for NeverReady {
        type Model = Model;
        const TYPE: &'static str = "aws_test_never_ready";

        fn schema() -> Schema {
            Schema::new().attr("name", Attribute::required(Type::String))
        }

        async fn create(&self, _: &Clients, m: &Model) -> Result<Created<Model>, ProviderError> {
            Ok(format!("{}-id", m.name).into())
        }

        async fn wait_created(&self, _: &Clients, m: &Model) -> Result<(), ProviderError> {
            Err(ProviderError::Api(format!("{} is Failed", m.id)))
        }

        async fn read(&self, _: &Clients, m: &Model) -> Result<Option<Model>, ProviderError> {
            Ok(Some(Model {
                id: m.id.clone(),
                name: m.name.clone(),
            }))
        }

        async fn delete(&self, _: &Clients, _: &Model) -> Result<(), ProviderError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_wait_keeps_the_created_object_in_state() {
        let config = Value::object([
            ("region", Value::from("us-east-1")),
            ("access_key", Value::from("test")),
            ("secret_key", Value::from("test")),
            // No call leaves the process.
            ("skip_credentials_validation", Value::Bool(true)),
        ]);
        let clients = Arc::new(Clients::from_config(&config).await.unwrap());
        let resource = make::<NeverReady>(clients);
        let planned = Value::object([("name", Value::from("scorer")), ("id", Value::Unknown)]);
        match resource.create(&planned).await {
            Err(ProviderError::Incomplete { state, error }) => {
                assert_eq!(state.get_attr("id").as_str(), Some("scorer-id"));
                assert_eq!(state.get_attr("name").as_str(), Some("scorer"));
                assert!(error.to_string().contains("scorer-id is Failed"), "{error}");
            }
            other => panic!("expected the object kept with the error, got {other:?}"),
        }
    }
}
