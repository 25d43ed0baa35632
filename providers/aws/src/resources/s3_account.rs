//! `aws_s3_account_public_access_block`: the account-wide S3 public access block, through
//! S3 Control (whose requests go to `ACCOUNT.s3-control.REGION.amazonaws.com`). Keyed and
//! imported by the account ID, the caller's when `account_id` is left out.

use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use mlform_provider::{Attribute, ProviderError, Schema, Type, ValueMap};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct AccountPublicAccessBlock;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AccountModel {
    id: String,
    account_id: Option<String>,
    block_public_acls: bool,
    block_public_policy: bool,
    ignore_public_acls: bool,
    restrict_public_buckets: bool,
}

const SETTINGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The host of an endpoint URL (`http://127.0.0.1:5000/` → `127.0.0.1`).
fn endpoint_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

/// S3 Control puts the account ID in front of the endpoint's host name: an overridden
/// endpoint given as an IP address cannot take it, which is said before any request.
fn check_endpoint(c: &Clients, account: &str) -> Result<(), ProviderError> {
    let Some(url) = &c.s3control_endpoint else {
        return Ok(());
    };
    let host = endpoint_host(url);
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err(ProviderError::InvalidConfig(format!(
            "the S3 Control endpoint {url} is an IP address, but S3 Control sends each request to the host {account}.{host}, which no resolver answers; hint: give endpoints.s3control as a host name whose subdomains reach the same server, such as http://localhost:PORT (names under .localhost are the loopback addresses)"
        )));
    }
    Ok(())
}

impl AccountModel {
    /// The account the block belongs to: the configured one, else the one in state.
    fn account(&self) -> &str {
        self.account_id.as_deref().unwrap_or(&self.id)
    }

    fn configuration(&self) -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(self.block_public_acls)
            .block_public_policy(self.block_public_policy)
            .ignore_public_acls(self.ignore_public_acls)
            .restrict_public_buckets(self.restrict_public_buckets)
            .build()
    }
}

/// Sets the block of `account` to `m`'s settings.
async fn put(c: &Clients, account: &str, m: &AccountModel) -> Result<(), ProviderError> {
    check_endpoint(c, account)?;
    c.s3control
        .put_public_access_block()
        .account_id(account)
        .public_access_block_configuration(m.configuration())
        .send()
        .await
        .call("s3:PutAccountPublicAccessBlock")?;
    Ok(())
}

async fn caller_account(c: &Clients) -> Result<String, ProviderError> {
    let out = c
        .sts
        .get_caller_identity()
        .send()
        .await
        .call("sts:GetCallerIdentity")?;
    Ok(out.account().unwrap_or_default().to_string())
}

#[async_trait::async_trait]
impl AwsResource for AccountPublicAccessBlock {
    type Model = AccountModel;
    const TYPE: &'static str = "aws_s3_account_public_access_block";

    fn schema() -> Schema {
        let mut s = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "account_id",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("The account; the caller's when left out."),
            );
        for f in SETTINGS {
            s = s.attr(f, Attribute::optional(Type::Bool).default(false));
        }
        s
    }

    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        match planned.get("account_id").and_then(|v| v.as_str()) {
            Some(a) if !is_account_id(a) => Err(ProviderError::InvalidConfig(format!(
                "account_id {a:?} is not an AWS account ID; hint: an account ID is 12 digits"
            ))),
            _ => Ok(()),
        }
    }

    fn import_model(id: &str) -> Result<mlform_provider::Value, ProviderError> {
        if !is_account_id(id) {
            return Err(ProviderError::InvalidConfig(format!(
                "import ID {id:?} is not an AWS account ID; hint: import aws_s3_account_public_access_block by its 12-digit account ID"
            )));
        }
        Ok(mlform_provider::Value::object([(
            "id",
            mlform_provider::Value::from(id),
        )]))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AccountModel,
    ) -> Result<Created<AccountModel>, ProviderError> {
        let account = match &m.account_id {
            Some(a) => a.clone(),
            None => caller_account(c).await?,
        };
        put(c, &account, m).await?;
        Ok(account.into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &AccountModel,
    ) -> Result<Option<AccountModel>, ProviderError> {
        let account = m.account();
        check_endpoint(c, account)?;
        let out = c
            .s3control
            .get_public_access_block()
            .account_id(account)
            .send()
            .await
            .found("s3:GetAccountPublicAccessBlock")?;
        let Some(config) = out.and_then(|o| o.public_access_block_configuration) else {
            return Ok(None);
        };
        Ok(Some(AccountModel {
            id: account.to_string(),
            account_id: Some(account.to_string()),
            block_public_acls: config.block_public_acls().unwrap_or(false),
            block_public_policy: config.block_public_policy().unwrap_or(false),
            ignore_public_acls: config.ignore_public_acls().unwrap_or(false),
            restrict_public_buckets: config.restrict_public_buckets().unwrap_or(false),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &AccountModel,
        m: &AccountModel,
    ) -> Result<(), ProviderError> {
        put(c, m.account(), m).await
    }

    async fn delete(&self, c: &Clients, m: &AccountModel) -> Result<(), ProviderError> {
        check_endpoint(c, m.account())?;
        c.s3control
            .delete_public_access_block()
            .account_id(m.account())
            .send()
            .await
            .gone_ok("s3:DeleteAccountPublicAccessBlock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hosts() {
        for (url, host) in [
            ("http://127.0.0.1:5000", "127.0.0.1"),
            ("http://localhost:5000/", "localhost"),
            ("https://[::1]:443/x", "::1"),
            ("http://user@host.example:80", "host.example"),
        ] {
            assert_eq!(endpoint_host(url), host, "{url}");
        }
    }
}
