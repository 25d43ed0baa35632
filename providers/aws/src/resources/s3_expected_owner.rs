//! The `expected_bucket_owner` argument of the S3 bucket configurations: the account that
//! must own the bucket. Every S3 call for the resource then carries it, so S3 refuses to
//! configure a bucket of another account, and the account joins the ID after the bucket
//! (`BUCKET,ACCOUNT`, or `BUCKET,ACCOUNT,ACL` for an ACL; also the import ID), as in
//! terraform-provider-aws. [`ExpectedOwner`] adds this around a bucket
//! configuration type, so none of them handles it.

use std::sync::Arc;

use mlform_provider::{
    Attribute, PathStep, PlanRequest, Planned, ProviderError, Resource, Schema, Type, Value,
};

use crate::Clients;

/// The bucket configuration types that take `expected_bucket_owner`.
pub const TYPES: &[&str] = &[
    "aws_s3_bucket_accelerate_configuration",
    "aws_s3_bucket_acl",
    "aws_s3_bucket_cors_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_object_lock_configuration",
    "aws_s3_bucket_request_payment_configuration",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_website_configuration",
];

const OWNER: &str = "expected_bucket_owner";

pub fn with_expected_owner(schema: Schema) -> Schema {
    schema.attr(
        OWNER,
        Attribute::optional(Type::String)
            .force_new()
            .describe("Account ID that must own the bucket."),
    )
}

/// A bucket configuration type with `expected_bucket_owner`.
pub struct ExpectedOwner {
    pub make: fn(Arc<Clients>) -> Arc<dyn Resource>,
    pub clients: Arc<Clients>,
}

fn owner_of(v: &Value) -> Option<String> {
    v.get_attr(OWNER).strip_marks().as_str().map(str::to_string)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An ID without its account part: `BUCKET,ACCOUNT[,REST]` becomes `BUCKET[,REST]` (the
/// ACL's ID carries its canned ACL last), and the account.
fn split_owner(id: &str) -> (String, Option<String>) {
    let mut parts: Vec<&str> = id.split(',').collect();
    if parts.len() >= 2 && is_account_id(parts[1]) {
        let owner = parts.remove(1).to_string();
        (parts.join(","), Some(owner))
    } else {
        (id.to_string(), None)
    }
}

/// `inner`'s ID with the account after the bucket.
fn join_owner(inner: &str, owner: &str) -> String {
    match inner.split_once(',') {
        Some((bucket, rest)) => format!("{bucket},{owner},{rest}"),
        None => format!("{inner},{owner}"),
    }
}

/// `v` as the wrapped type knows it: without the owner, and without it in its ID.
fn inner_view(v: &Value) -> Value {
    let Value::Map(m) = v else {
        return v.clone();
    };
    let mut m = m.clone();
    m.remove(OWNER);
    if let Some(Value::String(id)) = m.get("id") {
        let (inner, _) = split_owner(id);
        m.insert("id".into(), Value::from(inner));
    }
    Value::Map(m)
}

/// `v` as the user sees it: with the owner, and the owner in its ID.
fn outer_view(mut v: Value, owner: Option<&str>) -> Value {
    if let Value::Map(m) = &mut v {
        m.insert(OWNER.into(), owner.map_or(Value::Null, Value::from));
        if let (Some(owner), Some(Value::String(id))) = (owner, m.get("id")) {
            let id = join_owner(id, owner);
            m.insert("id".into(), Value::from(id));
        }
    }
    v
}

impl ExpectedOwner {
    fn inner(&self, owner: Option<&str>) -> Arc<dyn Resource> {
        match owner {
            Some(o) => (self.make)(Arc::new(self.clients.expecting_bucket_owner(o))),
            None => (self.make)(self.clients.clone()),
        }
    }

    fn finish(
        &self,
        r: Result<Value, ProviderError>,
        owner: Option<&str>,
    ) -> Result<Value, ProviderError> {
        r.map(|v| outer_view(v, owner))
            .map_err(|e| e.map_state(|v| outer_view(v, owner)))
    }
}

#[async_trait::async_trait]
impl Resource for ExpectedOwner {
    fn schema(&self) -> Schema {
        with_expected_owner(self.inner(None).schema())
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let owner = owner_of(prior);
        let live = self
            .inner(owner.as_deref())
            .read(&inner_view(prior))
            .await?;
        Ok(live.map(|v| outer_view(v, owner.as_deref())))
    }

    fn normalize(&self, prior: &Value, live: Value) -> Value {
        let owner = owner_of(&live);
        let normalized = self
            .inner(owner.as_deref())
            .normalize(&inner_view(prior), inner_view(&live));
        outer_view(normalized, owner.as_deref())
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let config_owner = request.config.get_attr(OWNER).strip_marks();
        let owner = owner_of(request.config);
        let prior = request.prior.map(inner_view);
        let mut planned = self.inner(owner.as_deref()).plan(PlanRequest {
            prior: prior.as_ref(),
            config: &inner_view(request.config),
        })?;
        if let Some(was) = request.prior.map(owner_of) {
            if config_owner.is_wholly_known() && was != owner {
                planned
                    .requires_replace
                    .push(vec![PathStep::GetAttr(OWNER.into())]);
            }
        }
        planned.state = outer_view(planned.state, owner.as_deref());
        if config_owner.is_unknown() {
            if let Value::Map(m) = &mut planned.state {
                m.insert(OWNER.into(), Value::Unknown);
                m.insert("id".into(), Value::Unknown);
            }
        }
        Ok(planned)
    }

    async fn dry_run(
        &self,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let owner = owner_of(planned);
        let prior = prior.map(inner_view);
        let out = self
            .inner(owner.as_deref())
            .dry_run(prior.as_ref(), &inner_view(planned))
            .await?;
        Ok(out.map(|v| outer_view(v, owner.as_deref())))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let owner = owner_of(planned);
        let r = self
            .inner(owner.as_deref())
            .create(&inner_view(planned))
            .await;
        self.finish(r, owner.as_deref())
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let owner = owner_of(planned);
        let r = self
            .inner(owner.as_deref())
            .update(&inner_view(prior), &inner_view(planned))
            .await;
        self.finish(r, owner.as_deref())
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let owner = owner_of(prior);
        self.inner(owner.as_deref())
            .delete(&inner_view(prior))
            .await
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let (inner, owner) = split_owner(id);
        let state = self.inner(owner.as_deref()).import(&inner).await?;
        Ok(state.map(|v| outer_view(v, owner.as_deref())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_sits_after_the_bucket_in_ids() {
        assert_eq!(
            split_owner("b,123456789012"),
            ("b".into(), Some("123456789012".into()))
        );
        assert_eq!(
            split_owner("b,123456789012,private"),
            ("b,private".into(), Some("123456789012".into()))
        );
        assert_eq!(split_owner("b,private"), ("b,private".into(), None));
        assert_eq!(
            join_owner("b,private", "123456789012"),
            "b,123456789012,private"
        );
        assert_eq!(join_owner("b", "123456789012"), "b,123456789012");
    }
}
