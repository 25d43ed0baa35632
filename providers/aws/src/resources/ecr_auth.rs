//! Registry credentials from ECR's GetAuthorizationToken: the `aws_ecr_authorization_token`
//! data source (as terraform-provider-aws has it) and the login `mlform image push` uses for
//! ECR registries, as `docker login` would with the token's user name and password.

use base64::Engine;
use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsDataSource, SdkResult};
use crate::Clients;

/// A registry's user name and password, decoded from an authorization token.
pub struct EcrLogin {
    pub user_name: String,
    pub password: String,
    /// `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`
    pub proxy_endpoint: String,
    /// RFC 3339; tokens last 12 hours.
    pub expires_at: String,
    pub authorization_token: String,
}

/// The account and region of an ECR registry host (`ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]`),
/// or `None` for any other registry.
pub fn ecr_registry(host: &str) -> Option<(String, String)> {
    let host = host.split(':').next()?;
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let (account, rest) = rest.split_once(".dkr.ecr")?;
    let region = rest
        .strip_prefix("-fips.")
        .or_else(|| rest.strip_prefix('.'))?;
    let valid_region = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) && valid_region)
        .then(|| (account.to_string(), region.to_string()))
}

/// Calls GetAuthorizationToken (for `registry_id`'s registry, or the caller's) and decodes it.
pub async fn get_token(
    ecr: &aws_sdk_ecr::Client,
    registry_id: Option<&str>,
) -> Result<EcrLogin, ProviderError> {
    // Deprecated by AWS (a token is good for every registry the caller may use), but still
    // what terraform-provider-aws sends for `registry_id`.
    #[allow(deprecated)]
    let out = ecr
        .get_authorization_token()
        .set_registry_ids(registry_id.map(|r| vec![r.to_string()]))
        .send()
        .await
        .call("ecr:GetAuthorizationToken")?;
    let data = out.authorization_data().first().ok_or_else(|| {
        ProviderError::Api("ecr:GetAuthorizationToken returned no authorization data".into())
    })?;
    let token = data.authorization_token().unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(ProviderError::Api(
            "ecr:GetAuthorizationToken returned a token that is not base64 of USER:PASSWORD".into(),
        ));
    };
    Ok(EcrLogin {
        user_name: user.to_string(),
        password: password.to_string(),
        proxy_endpoint: data.proxy_endpoint().unwrap_or_default().to_string(),
        expires_at: data
            .expires_at()
            .and_then(|t| {
                t.fmt(aws_sdk_ecr::primitives::DateTimeFormat::DateTime)
                    .ok()
            })
            .unwrap_or_default(),
        authorization_token: token.to_string(),
    })
}

/// Logs in to the ECR registry `host` with the default AWS configuration (environment,
/// profile, instance role; `AWS_ENDPOINT_URL_ECR` honoured), in the host's region.
pub async fn login(host: &str) -> Result<EcrLogin, ProviderError> {
    let (account, region) = ecr_registry(host).ok_or_else(|| {
        ProviderError::InvalidConfig(format!(
            "{host} is not an ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com)"
        ))
    })?;
    login_with(Some(region), Some(&account)).await
}

/// Logs in to the caller's (or `registry_id`'s) ECR registry in `region`, or in the region
/// the AWS configuration names.
pub async fn login_with(
    region: Option<String>,
    registry_id: Option<&str>,
) -> Result<EcrLogin, ProviderError> {
    let mut loader = crate::http::sdk_defaults();
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r));
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(ProviderError::InvalidConfig(
            "no AWS region for the ECR login: set AWS_REGION, or push to ACCOUNT.dkr.ecr.REGION.amazonaws.com".into(),
        ));
    }
    get_token(&aws_sdk_ecr::Client::new(&sdk), registry_id).await
}

#[derive(Default)]
pub struct AuthorizationTokenData;

#[derive(Deserialize)]
pub struct TokenArgs {
    registry_id: Option<String>,
}

#[derive(Serialize)]
pub struct TokenOut {
    id: String,
    registry_id: Option<String>,
    authorization_token: String,
    expires_at: String,
    password: String,
    proxy_endpoint: String,
    user_name: String,
}

#[async_trait::async_trait]
impl AwsDataSource for AuthorizationTokenData {
    type Args = TokenArgs;
    type Out = TokenOut;
    const TYPE: &'static str = "aws_ecr_authorization_token";

    fn schema() -> Schema {
        let computed = |t| Attribute::computed(t);
        Schema::new()
            .attr("registry_id", Attribute::optional(Type::String))
            .attr("id", computed(Type::String))
            .attr("authorization_token", computed(Type::String).sensitive())
            .attr("expires_at", computed(Type::String))
            .attr("password", computed(Type::String).sensitive())
            .attr("proxy_endpoint", computed(Type::String))
            .attr("user_name", computed(Type::String))
    }

    async fn read(&self, c: &Clients, args: TokenArgs) -> Result<TokenOut, ProviderError> {
        let login = get_token(&c.ecr, args.registry_id.as_deref()).await?;
        Ok(TokenOut {
            id: c.region.clone(),
            registry_id: args.registry_id,
            authorization_token: login.authorization_token,
            expires_at: login.expires_at,
            password: login.password,
            proxy_endpoint: login.proxy_endpoint,
            user_name: login.user_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ecr_registry;

    #[test]
    fn recognizes_ecr_registry_hosts() {
        assert_eq!(
            ecr_registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012".into(), "eu-west-1".into()))
        );
        assert_eq!(
            ecr_registry("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"),
            Some(("123456789012".into(), "us-east-1".into()))
        );
        assert_eq!(
            ecr_registry("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            Some(("123456789012".into(), "cn-north-1".into()))
        );
        for other in [
            "127.0.0.1:5000",
            "ghcr.io",
            "12345.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr..amazonaws.com",
            "public.ecr.aws",
        ] {
            assert_eq!(ecr_registry(other), None, "{other}");
        }
    }
}
