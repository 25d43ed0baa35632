//! `aws_kms_grant`: a grant letting a principal use a KMS key for some operations. Every
//! argument but mlform's `retire_on_delete` replaces the grant (KMS has no update); the
//! grant token only CreateGrant
//! returns is kept in state, sensitive. ID and import ID: `KEY_ID:GRANT_ID` (the key by ID
//! or ARN).

use std::collections::BTreeMap;

use aws_sdk_kms::types::{GrantConstraints, GrantOperation};
use mlform_provider::{
    poll_until, Attribute, NestedBlock, Nesting, Poll, ProviderError, Schema, Type, Value, ValueMap,
};
use serde::{Deserialize, Serialize};

use crate::error::{classify, code};
use crate::framework::{AwsResource, Created, SdkResult, PROPAGATION_TIMEOUT};
use crate::Clients;

#[derive(Default)]
pub struct Grant;

#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct ConstraintModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context_equals: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context_subset: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct GrantModel {
    id: String,
    key_id: String,
    grantee_principal: String,
    operations: Vec<String>,
    name: Option<String>,
    retiring_principal: Option<String>,
    constraints: Vec<ConstraintModel>,
    grant_creation_tokens: Vec<String>,
    retire_on_delete: Option<bool>,
    grant_id: Option<String>,
    grant_token: Option<String>,
}

/// `KEY_ID:GRANT_ID` split; the key may be an ARN (`arn:…:key/KEY:GRANT`).
fn parse_id(id: &str) -> Result<(String, String), ProviderError> {
    let parsed = id
        .rsplit_once(':')
        .filter(|(key, grant)| {
            !key.is_empty() && !grant.is_empty() && (!key.starts_with("arn:") || key.contains('/'))
        })
        .filter(|(key, _)| key.starts_with("arn:") || !key.contains(':'));
    parsed
        .map(|(k, g)| (k.to_string(), g.to_string()))
        .ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "aws_kms_grant ID {id:?} is not KEY_ID:GRANT_ID; hint: import a grant as 1234abcd-12ab-34cd-56ef-1234567890ab:GRANT_ID (the key by ID or ARN)"
            ))
        })
}

/// CreateGrant errors that mean a principal or key made a moment ago is not visible yet.
const NOT_YET_VISIBLE: &[&str] = &[
    "InvalidArnException",
    "DependencyTimeoutException",
    "KMSInternalException",
];

fn constraints(m: &GrantModel) -> Option<GrantConstraints> {
    let c = m.constraints.first()?;
    Some(
        GrantConstraints::builder()
            .set_encryption_context_equals(c.encryption_context_equals.clone().map(hash_map))
            .set_encryption_context_subset(c.encryption_context_subset.clone().map(hash_map))
            .build(),
    )
}

fn hash_map(m: BTreeMap<String, String>) -> std::collections::HashMap<String, String> {
    m.into_iter().collect()
}

fn non_empty(
    m: Option<&std::collections::HashMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    m.filter(|m| !m.is_empty())
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

#[async_trait::async_trait]
impl AwsResource for Grant {
    type Model = GrantModel;
    const TYPE: &'static str = "aws_kms_grant";
    /// Only CreateGrant returns the token; mlform's own switch is never read back.
    const KEEP: &'static [&'static str] =
        &["grant_token", "retire_on_delete", "grant_creation_tokens"];

    fn schema() -> Schema {
        let context = || Attribute::optional(Type::map(Type::String)).force_new();
        Schema::new()
            .attr("key_id", Attribute::required(Type::String).force_new())
            .attr(
                "grantee_principal",
                Attribute::required(Type::String).force_new(),
            )
            .attr(
                "operations",
                Attribute::required(Type::set(Type::String)).force_new(),
            )
            .attr("name", Attribute::optional(Type::String).force_new())
            .attr(
                "retiring_principal",
                Attribute::optional(Type::String).force_new(),
            )
            .attr(
                "grant_creation_tokens",
                Attribute::optional(Type::set(Type::String)).force_new(),
            )
            .attr(
                "retire_on_delete",
                Attribute::optional(Type::Bool)
                    .default(false)
                    .describe("On destroy, retire the grant rather than revoke it (mlform's own switch: changing it changes nothing in AWS)."),
            )
            .attr("grant_id", Attribute::computed(Type::String))
            .attr("grant_token", Attribute::computed(Type::String).sensitive())
            .block(
                "constraints",
                NestedBlock {
                    nesting: Nesting::Set,
                    block: Schema::new()
                        .attr("encryption_context_equals", context())
                        .attr("encryption_context_subset", context()),
                    min_items: 0,
                    max_items: None,
                    force_new: true,
                },
            )
    }

    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        let blocks = planned
            .get("constraints")
            .and_then(Value::as_list)
            .unwrap_or_default();
        let set = blocks
            .iter()
            .flat_map(|b| {
                ["encryption_context_equals", "encryption_context_subset"].map(|k| b.get_attr(k))
            })
            .filter(|v| v.as_map().is_some_and(|m| !m.is_empty()) || v.is_unknown())
            .count();
        if set > 1 {
            return Err(ProviderError::InvalidConfig(
                "a grant takes one constraint: encryption_context_equals or encryption_context_subset, not both; hint: keep one constraints block with one of the two".into(),
            ));
        }
        for op in planned
            .get("operations")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            if let Some(op) = op.as_str() {
                if !GrantOperation::values().contains(&op) {
                    return Err(ProviderError::InvalidConfig(format!(
                        "operations: {op:?} is not a KMS grant operation; hint: one of {}",
                        GrantOperation::values().join(", ")
                    )));
                }
            }
        }
        Ok(())
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let (key, grant) = parse_id(id)?;
        Ok(Value::object([
            ("id", Value::from(id)),
            ("key_id", Value::from(key)),
            ("grant_id", Value::from(grant)),
        ]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &GrantModel,
    ) -> Result<Created<GrantModel>, ProviderError> {
        let request = c
            .kms
            .create_grant()
            .key_id(&m.key_id)
            .grantee_principal(&m.grantee_principal)
            .set_operations(Some(
                m.operations
                    .iter()
                    .map(|o| GrantOperation::from(o.as_str()))
                    .collect(),
            ))
            .set_name(m.name.clone())
            .set_retiring_principal(m.retiring_principal.clone())
            .set_constraints(constraints(m))
            .set_grant_tokens(
                (!m.grant_creation_tokens.is_empty()).then(|| m.grant_creation_tokens.clone()),
            );
        let out = poll_until(
            "the grant's key and principals to be visible",
            PROPAGATION_TIMEOUT,
            || {
                let request = request.clone();
                async move {
                    match request.send().await {
                        Ok(out) => Ok(Poll::Ready(out)),
                        Err(e) if NOT_YET_VISIBLE.contains(&code(&e).as_str()) => {
                            Ok(Poll::Pending(code(&e)))
                        }
                        Err(e) => Err(classify("kms:CreateGrant", &e)),
                    }
                }
            },
        )
        .await?;
        let grant_id = out.grant_id().unwrap_or_default().to_string();
        Ok(Created {
            id: format!("{}:{grant_id}", m.key_id),
            only_at_create: Some(GrantModel {
                grant_token: out.grant_token().map(str::to_string),
                retire_on_delete: m.retire_on_delete,
                grant_creation_tokens: m.grant_creation_tokens.clone(),
                ..GrantModel::default()
            }),
        })
    }

    async fn read(&self, c: &Clients, m: &GrantModel) -> Result<Option<GrantModel>, ProviderError> {
        let (key, grant_id) = parse_id(&m.id)?;
        let mut pages = c
            .kms
            .list_grants()
            .key_id(&key)
            .limit(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = page.found("kms:ListGrants")? else {
                return Ok(None);
            };
            let Some(g) = page
                .grants()
                .iter()
                .find(|g| g.grant_id() == Some(grant_id.as_str()))
            else {
                continue;
            };
            let constraints = g
                .constraints()
                .map(|c| ConstraintModel {
                    encryption_context_equals: non_empty(c.encryption_context_equals()),
                    encryption_context_subset: non_empty(c.encryption_context_subset()),
                })
                .filter(|c| {
                    c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some()
                });
            return Ok(Some(GrantModel {
                id: m.id.clone(),
                key_id: key,
                grantee_principal: g.grantee_principal().unwrap_or_default().to_string(),
                operations: g
                    .operations()
                    .iter()
                    .map(|o| o.as_str().to_string())
                    .collect(),
                name: g.name().filter(|n| !n.is_empty()).map(str::to_string),
                retiring_principal: g.retiring_principal().map(str::to_string),
                constraints: constraints.into_iter().collect(),
                grant_id: Some(grant_id),
                ..GrantModel::default()
            }));
        }
        Ok(None)
    }

    /// Only `retire_on_delete` changes in place (every other argument replaces the grant),
    /// and it is mlform's own: nothing to send.
    async fn update(
        &self,
        _c: &Clients,
        _old: &GrantModel,
        _new: &GrantModel,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &GrantModel) -> Result<(), ProviderError> {
        let (key, grant_id) = parse_id(&m.id)?;
        if m.retire_on_delete == Some(true) {
            c.kms
                .retire_grant()
                .key_id(&key)
                .grant_id(&grant_id)
                .send()
                .await
                .gone_ok("kms:RetireGrant")?;
        } else {
            c.kms
                .revoke_grant()
                .key_id(&key)
                .grant_id(&grant_id)
                .send()
                .await
                .gone_ok("kms:RevokeGrant")?;
        }
        poll_until("the grant to be gone", PROPAGATION_TIMEOUT, || async {
            Ok(match self.read(c, m).await? {
                Some(_) => Poll::Pending("still listed".into()),
                None => Poll::Ready(()),
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_ids() {
        assert_eq!(
            parse_id("1234abcd-12ab:f00d").unwrap(),
            ("1234abcd-12ab".into(), "f00d".into())
        );
        assert_eq!(
            parse_id("arn:aws:kms:us-east-1:123456789012:key/1234abcd:f00d").unwrap(),
            (
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd".into(),
                "f00d".into()
            )
        );
        for bad in ["1234abcd", "a:b:c", ":f00d", "arn:aws:kms:us-east-1:1:key"] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
    }
}
