//! `aws_lambda_permission`: one statement of a Lambda function's resource policy, letting a
//! service or account invoke it (S3 bucket notifications, SNS, EventBridge). Any change
//! replaces the statement. The statement ID is generated from `statement_id_prefix`
//! (default `terraform-`) when unset. Reading finds the statement by its ID in GetPolicy's
//! document and maps its principal and conditions back to the arguments. Import ID:
//! `FUNCTION/STATEMENT_ID` or `FUNCTION:QUALIFIER/STATEMENT_ID`, as terraform-provider-aws.

use mlform_provider::{Attribute, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Permission;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PermissionModel {
    id: String,
    action: String,
    function_name: String,
    principal: String,
    statement_id: Option<String>,
    statement_id_prefix: Option<String>,
    qualifier: Option<String>,
    source_account: Option<String>,
    source_arn: Option<String>,
    event_source_token: Option<String>,
    principal_org_id: Option<String>,
    function_url_auth_type: Option<String>,
}

/// The value of `key` under any operator of a statement's `Condition`.
fn condition(statement: &J, key: &str) -> Option<String> {
    statement
        .get("Condition")?
        .as_object()?
        .values()
        .filter_map(J::as_object)
        .find_map(|ops| {
            ops.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v.as_str().map(str::to_string))
        })
}

/// The statement's principal as the argument was written: a service name, an account, an
/// ARN, or `*`. An account Lambda stored as its root ARN stays the account when the
/// argument said so.
fn principal_of(statement: &J, prior: &str) -> String {
    let p = statement.get("Principal");
    let found = match p {
        Some(J::String(s)) => s.clone(),
        Some(J::Object(m)) => m
            .get("Service")
            .or_else(|| m.get("AWS"))
            .and_then(J::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    if found == format!("arn:aws:iam::{prior}:root") {
        prior.to_string()
    } else {
        found
    }
}

#[async_trait::async_trait]
impl AwsResource for Permission {
    type Model = PermissionModel;
    const TYPE: &'static str = "aws_lambda_permission";
    /// GetPolicy's statement does not carry the token.
    const KEEP: &'static [&'static str] = &["event_source_token"];

    fn schema() -> Schema {
        let text = || Attribute::optional(Type::String).force_new();
        Schema::new()
            .attr("action", Attribute::required(Type::String).force_new())
            .attr(
                "function_name",
                Attribute::required(Type::String).force_new(),
            )
            .attr("principal", Attribute::required(Type::String).force_new())
            .attr(
                "statement_id",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("statement_id_prefix", text())
            .attr("qualifier", text())
            .attr("source_account", text())
            .attr("source_arn", text())
            .attr("event_source_token", text())
            .attr("principal_org_id", text())
            .attr("function_url_auth_type", text())
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let (function, statement) = id
            .rsplit_once('/')
            .filter(|(f, s)| !f.is_empty() && !s.is_empty())
            .ok_or_else(|| {
                ProviderError::InvalidConfig(format!(
                    "import ID {id:?}: expected FUNCTION/STATEMENT_ID or FUNCTION:QUALIFIER/STATEMENT_ID"
                ))
            })?;
        // A qualifier follows the function's name (an ARN's own colons come before it).
        let (function, qualifier) = match function.strip_prefix("arn:") {
            Some(_) if function.matches(':').count() > 6 => {
                let (f, q) = function.rsplit_once(':').unwrap_or((function, ""));
                (f, Some(q))
            }
            Some(_) => (function, None),
            None => match function.split_once(':') {
                Some((f, q)) => (f, Some(q)),
                None => (function, None),
            },
        };
        let mut m = vec![
            ("id", Value::from(statement)),
            ("statement_id", Value::from(statement)),
            ("function_name", Value::from(function)),
        ];
        if let Some(q) = qualifier {
            m.push(("qualifier", Value::from(q)));
        }
        let prefix = super::prefix_of_generated(statement);
        if prefix.as_str().is_some_and(|p| p != "terraform-") {
            m.push(("statement_id_prefix", prefix));
        }
        Ok(Value::object(m))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &PermissionModel,
    ) -> Result<Created<PermissionModel>, ProviderError> {
        let statement = match &m.statement_id {
            Some(s) => s.clone(),
            None => super::unique_name(
                &Value::Null,
                &m.statement_id_prefix
                    .as_deref()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "terraform-",
            ),
        };
        let req = c
            .lambda
            .add_permission()
            .function_name(&m.function_name)
            .statement_id(&statement)
            .action(&m.action)
            .principal(&m.principal)
            .set_qualifier(m.qualifier.clone())
            .set_source_account(m.source_account.clone())
            .set_source_arn(m.source_arn.clone())
            .set_event_source_token(m.event_source_token.clone())
            .set_principal_org_id(m.principal_org_id.clone())
            .set_function_url_auth_type(
                m.function_url_auth_type
                    .as_deref()
                    .map(aws_sdk_lambda::types::FunctionUrlAuthType::from),
            );
        req.send().await.call("lambda:AddPermission")?;
        Ok(statement.into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &PermissionModel,
    ) -> Result<Option<PermissionModel>, ProviderError> {
        let req = c
            .lambda
            .get_policy()
            .function_name(&m.function_name)
            .set_qualifier(m.qualifier.clone());
        let Some(out) = req.send().await.found("lambda:GetPolicy")? else {
            return Ok(None);
        };
        let policy: J = serde_json::from_str(out.policy().unwrap_or("{}")).map_err(|e| {
            ProviderError::Api(format!(
                "lambda:GetPolicy answered a policy that is not JSON: {e}"
            ))
        })?;
        let statements = match policy.get("Statement") {
            Some(J::Array(a)) => a.clone(),
            Some(one @ J::Object(_)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let Some(s) = statements
            .iter()
            .find(|s| s.get("Sid").and_then(J::as_str) == Some(m.id.as_str()))
        else {
            return Ok(None);
        };
        let action = match s.get("Action") {
            Some(J::String(a)) => a.clone(),
            Some(J::Array(a)) => a
                .first()
                .and_then(J::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        };
        Ok(Some(PermissionModel {
            id: m.id.clone(),
            action,
            function_name: m.function_name.clone(),
            principal: principal_of(s, &m.principal),
            statement_id: Some(m.id.clone()),
            statement_id_prefix: m.statement_id_prefix.clone(),
            qualifier: m.qualifier.clone(),
            source_account: condition(s, "AWS:SourceAccount"),
            source_arn: condition(s, "AWS:SourceArn"),
            event_source_token: m.event_source_token.clone(),
            principal_org_id: condition(s, "aws:PrincipalOrgID"),
            function_url_auth_type: condition(s, "lambda:FunctionUrlAuthType"),
        }))
    }

    async fn delete(&self, c: &Clients, m: &PermissionModel) -> Result<(), ProviderError> {
        let req = c
            .lambda
            .remove_permission()
            .function_name(&m.function_name)
            .statement_id(&m.id)
            .set_qualifier(m.qualifier.clone());
        req.send().await.gone_ok("lambda:RemovePermission")
    }
}
