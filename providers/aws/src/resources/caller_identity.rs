//! Data source `aws_caller_identity`: the account, ARN and user ID of the caller.

use std::sync::Arc;

use mlform_provider::{Attribute, DataSource, ProviderError, Schema, Type, Value};

use crate::Clients;

pub fn schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("account_id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("user_id", Attribute::computed(Type::String))
}

pub struct CallerIdentity {
    pub clients: Arc<Clients>,
}

#[async_trait::async_trait]
impl DataSource for CallerIdentity {
    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, _config: &Value) -> Result<Value, ProviderError> {
        let out = self
            .clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| crate::error::classify("sts:GetCallerIdentity", &e))?;
        let account = out.account().unwrap_or_default();
        Ok(Value::object([
            ("id", Value::from(account)),
            ("account_id", Value::from(account)),
            ("arn", Value::from(out.arn().unwrap_or_default())),
            ("user_id", Value::from(out.user_id().unwrap_or_default())),
        ]))
    }
}
