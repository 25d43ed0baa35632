//! The per-resource `region` argument of terraform-provider-aws 6: every resource of a
//! regional service takes an optional `region`, planned as the provider's when left out and
//! stored in state. [`Regional`] adds it around any resource, so no resource handles it.
//!
//! State written before the argument existed keeps a null region (no drift, no change)
//! until the configuration sets one. One configured provider talks to one region: a `region` other than the provider's is
//! refused at plan with a hint to use a provider alias, rather than sent to the wrong place.

use std::sync::Arc;

use mlform_provider::{
    Attribute, DataSource, PathStep, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};

/// Whether `type_name` belongs to a regional service. IAM is global: its resources and data
/// sources take no `region` in terraform-provider-aws 6.
pub fn is_regional(type_name: &str) -> bool {
    !type_name.starts_with("aws_iam_")
}

/// The data sources that read a regional service and take `region` (the others either have
/// their own `region` argument with another meaning, or read a global service).
pub const REGIONAL_DATA_SOURCES: &[&str] = &[
    "aws_kms_key",
    "aws_ecr_authorization_token",
    "aws_availability_zones",
];

/// `schema` with the optional, computed, replace-forcing `region`.
pub fn with_region(schema: Schema) -> Schema {
    schema.attr(
        "region",
        Attribute::optional_computed(Type::String)
            .force_new()
            .describe("Region the object lives in; defaults to the provider's."),
    )
}

/// Refuses a known `region` other than the provider's.
fn check_region(type_name: &str, provider: &str, region: &Value) -> Result<(), ProviderError> {
    match region.strip_marks().as_str() {
        Some(r) if r != provider => Err(ProviderError::InvalidConfig(format!(
            "{type_name}: region = {r:?} differs from the provider's region {provider:?}; one \
             provider configuration works in one region. Hint: add a provider \"aws\" block \
             with alias = \"{alias}\" and region = \"{r}\", and set provider = aws.{alias} \
             on the resource instead",
            alias = r.replace('-', "_"),
        ))),
        _ => Ok(()),
    }
}

/// A resource with the `region` argument.
pub struct Regional {
    pub inner: Arc<dyn Resource>,
    pub type_name: &'static str,
    pub region: String,
}

fn without_region(v: &Value) -> Value {
    match v {
        Value::Map(m) if m.contains_key("region") => {
            let mut m = m.clone();
            m.remove("region");
            Value::Map(m)
        }
        other => other.clone(),
    }
}

fn set_region(mut v: Value, region: &Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.insert("region".into(), region.clone());
    }
    v
}

impl Regional {
    fn check(&self, region: &Value) -> Result<(), ProviderError> {
        check_region(self.type_name, &self.region, region)
    }

    fn provider_region(&self) -> Value {
        Value::from(self.region.as_str())
    }

    /// The region a stored object is in: its recorded one, or the provider's for state
    /// written before the argument existed.
    fn region_of(&self, prior: &Value) -> Value {
        match prior.get_attr("region") {
            Value::String(s) => Value::from(s.as_str()),
            _ => self.provider_region(),
        }
    }

    fn finish(
        &self,
        r: Result<Value, ProviderError>,
        region: &Value,
    ) -> Result<Value, ProviderError> {
        r.map(|v| set_region(v, region))
            .map_err(|e| e.map_state(|v| set_region(v, region)))
    }
}

#[async_trait::async_trait]
impl Resource for Regional {
    fn schema(&self) -> Schema {
        with_region(self.inner.schema())
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let region = self.region_of(prior);
        let live = self.inner.read(&without_region(prior)).await?;
        Ok(live.map(|v| set_region(v, &region)))
    }

    fn normalize(&self, prior: &Value, live: Value) -> Value {
        // State written before the argument existed keeps its null region: not drift.
        let region = if prior.is_null() || !prior.get_attr("region").is_null() {
            live.get_attr("region").clone()
        } else {
            Value::Null
        };
        let normalized = self
            .inner
            .normalize(&without_region(prior), without_region(&live));
        set_region(normalized, &region)
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let wanted = request.config.get_attr("region").strip_marks();
        self.check(&wanted)?;
        let legacy = request
            .prior
            .is_some_and(|p| p.get_attr("region").is_null());
        let region = match (wanted.is_null(), legacy) {
            (false, _) => wanted.clone(),
            // State written before the argument existed: no change until it is set.
            (true, true) => Value::Null,
            (true, false) => self.provider_region(),
        };
        let config = without_region(request.config);
        let prior = request.prior.map(without_region);
        let mut planned = self.inner.plan(PlanRequest {
            prior: prior.as_ref(),
            config: &config,
        })?;
        if let Some(prior) = request.prior {
            let was = self.region_of(prior);
            if region.is_wholly_known() && !region.is_null() && was != region {
                planned
                    .requires_replace
                    .push(vec![PathStep::GetAttr("region".into())]);
            }
        }
        planned.state = set_region(planned.state, &region);
        Ok(planned)
    }

    async fn dry_run(
        &self,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let region = planned.get_attr("region").clone();
        let prior = prior.map(without_region);
        let out = self
            .inner
            .dry_run(prior.as_ref(), &without_region(planned))
            .await?;
        Ok(out.map(|v| set_region(v, &region)))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let region = planned.get_attr("region").clone();
        self.check(&region)?;
        let r = self.inner.create(&without_region(planned)).await;
        self.finish(r, &self.provider_region())
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let region = planned.get_attr("region").clone();
        self.check(&region)?;
        let r = self
            .inner
            .update(&without_region(prior), &without_region(planned))
            .await;
        self.finish(r, &self.provider_region())
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        self.check(&self.region_of(prior))?;
        self.inner.delete(&without_region(prior)).await
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let state = self.inner.import(id).await?;
        Ok(state.map(|v| set_region(v, &self.provider_region())))
    }
}

/// A data source's `schema` with the optional, computed `region`.
pub fn with_data_region(schema: Schema) -> Schema {
    schema.attr(
        "region",
        Attribute::optional_computed(Type::String)
            .describe("Region to read in; defaults to the provider's."),
    )
}

/// A data source with the `region` argument: the provider's region, or refused.
pub struct RegionalData {
    pub inner: Arc<dyn DataSource>,
    pub type_name: &'static str,
    pub region: String,
}

#[async_trait::async_trait]
impl DataSource for RegionalData {
    fn schema(&self) -> Schema {
        with_data_region(self.inner.schema())
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        check_region(self.type_name, &self.region, config.get_attr("region"))?;
        let out = self.inner.read(&without_region(config)).await?;
        Ok(set_region(out, &Value::from(self.region.as_str())))
    }
}
