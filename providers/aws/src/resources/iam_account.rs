//! Account-wide IAM objects: `aws_iam_openid_connect_provider` (IRSA and CI federation),
//! `aws_iam_saml_provider`, `aws_iam_account_alias` and `aws_iam_service_linked_role`.
//! Import IDs: the provider or role ARN; the alias.

use std::collections::BTreeSet;

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::iam_tags::{from_sdk, retag, to_sdk, Tags};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct OidcProvider;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OidcModel {
    id: String,
    url: String,
    client_id_list: BTreeSet<String>,
    thumbprint_list: Option<Vec<String>>,
    arn: Option<String>,
    tags_all: Tags,
}

#[async_trait::async_trait]
impl AwsResource for OidcProvider {
    type Model = OidcModel;
    const TYPE: &'static str = "aws_iam_openid_connect_provider";
    const TAGGED: bool = true;

    fn schema() -> Schema {
        Schema::new()
            .attr("url", Attribute::required(Type::String).force_new())
            .attr(
                "client_id_list",
                Attribute::required(Type::set(Type::String)),
            )
            .attr(
                "thumbprint_list",
                Attribute::optional_computed(Type::list(Type::String)),
            )
            .attr("arn", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &OidcModel,
    ) -> Result<Created<OidcModel>, ProviderError> {
        let req = c.iam.create_open_id_connect_provider().url(&m.url);
        let req = req.set_client_id_list(Some(m.client_id_list.iter().cloned().collect()));
        let req = req
            .set_thumbprint_list(m.thumbprint_list.clone())
            .set_tags(Some(to_sdk(&m.tags_all)?));
        let out = req.send().await.call("iam:CreateOpenIDConnectProvider")?;
        Ok(out
            .open_id_connect_provider_arn()
            .unwrap_or_default()
            .to_string()
            .into())
    }

    async fn read(&self, c: &Clients, m: &OidcModel) -> Result<Option<OidcModel>, ProviderError> {
        let out = c
            .iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&m.id)
            .send()
            .await;
        let Some(p) = out.found("iam:GetOpenIDConnectProvider")? else {
            return Ok(None);
        };
        Ok(Some(OidcModel {
            id: m.id.clone(),
            // IAM keeps the URL without its scheme; CreateOpenIDConnectProvider requires https.
            url: format!("https://{}", p.url().unwrap_or_default()),
            client_id_list: p.client_id_list().iter().cloned().collect(),
            thumbprint_list: Some(p.thumbprint_list().to_vec()),
            arn: Some(m.id.clone()),
            tags_all: from_sdk(p.tags()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &OidcModel,
        new: &OidcModel,
    ) -> Result<(), ProviderError> {
        let arn = &old.id;
        for id in new.client_id_list.difference(&old.client_id_list) {
            let req = c
                .iam
                .add_client_id_to_open_id_connect_provider()
                .open_id_connect_provider_arn(arn);
            req.client_id(id)
                .send()
                .await
                .call("iam:AddClientIDToOpenIDConnectProvider")?;
        }
        for id in old.client_id_list.difference(&new.client_id_list) {
            let req = c
                .iam
                .remove_client_id_from_open_id_connect_provider()
                .open_id_connect_provider_arn(arn);
            req.client_id(id)
                .send()
                .await
                .call("iam:RemoveClientIDFromOpenIDConnectProvider")?;
        }
        if let Some(t) = new
            .thumbprint_list
            .as_ref()
            .filter(|t| Some(*t) != old.thumbprint_list.as_ref())
        {
            let req = c
                .iam
                .update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(arn);
            req.set_thumbprint_list(Some(t.clone()))
                .send()
                .await
                .call("iam:UpdateOpenIDConnectProviderThumbprint")?;
        }
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &OidcModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        retag!(
            c.iam
                .untag_open_id_connect_provider()
                .open_id_connect_provider_arn(&m.id),
            c.iam
                .tag_open_id_connect_provider()
                .open_id_connect_provider_arn(&m.id),
            "OpenIDConnectProvider",
            remove,
            set
        )
    }

    async fn delete(&self, c: &Clients, m: &OidcModel) -> Result<(), ProviderError> {
        let req = c
            .iam
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(&m.id);
        req.send().await.gone_ok("iam:DeleteOpenIDConnectProvider")
    }
}

#[derive(Default)]
pub struct SamlProvider;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SamlModel {
    id: String,
    name: String,
    saml_metadata_document: String,
    arn: Option<String>,
    valid_until: Option<String>,
}

#[async_trait::async_trait]
impl AwsResource for SamlProvider {
    type Model = SamlModel;
    const TYPE: &'static str = "aws_iam_saml_provider";

    fn schema() -> Schema {
        Schema::new()
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("saml_metadata_document", Attribute::required(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("valid_until", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &SamlModel,
    ) -> Result<Created<SamlModel>, ProviderError> {
        let req = c
            .iam
            .create_saml_provider()
            .name(&m.name)
            .saml_metadata_document(&m.saml_metadata_document);
        let out = req.send().await.call("iam:CreateSAMLProvider")?;
        Ok(out
            .saml_provider_arn()
            .unwrap_or_default()
            .to_string()
            .into())
    }

    async fn read(&self, c: &Clients, m: &SamlModel) -> Result<Option<SamlModel>, ProviderError> {
        let out = c
            .iam
            .get_saml_provider()
            .saml_provider_arn(&m.id)
            .send()
            .await;
        let Some(p) = out.found("iam:GetSAMLProvider")? else {
            return Ok(None);
        };
        Ok(Some(SamlModel {
            id: m.id.clone(),
            name: m.id.rsplit('/').next().unwrap_or_default().into(),
            saml_metadata_document: p.saml_metadata_document().unwrap_or_default().into(),
            arn: Some(m.id.clone()),
            valid_until: p.valid_until().map(|d| d.to_string()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &SamlModel,
        new: &SamlModel,
    ) -> Result<(), ProviderError> {
        let req = c.iam.update_saml_provider().saml_provider_arn(&old.id);
        req.saml_metadata_document(&new.saml_metadata_document)
            .send()
            .await
            .call("iam:UpdateSAMLProvider")
            .map(drop)
    }

    async fn delete(&self, c: &Clients, m: &SamlModel) -> Result<(), ProviderError> {
        c.iam
            .delete_saml_provider()
            .saml_provider_arn(&m.id)
            .send()
            .await
            .gone_ok("iam:DeleteSAMLProvider")
    }
}

#[derive(Default)]
pub struct AccountAlias;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AliasModel {
    id: String,
    account_alias: String,
}

#[async_trait::async_trait]
impl AwsResource for AccountAlias {
    type Model = AliasModel;
    const TYPE: &'static str = "aws_iam_account_alias";
    const ID_ATTRIBUTE: Option<&'static str> = Some("account_alias");

    fn schema() -> Schema {
        Schema::new().attr(
            "account_alias",
            Attribute::required(Type::String).force_new(),
        )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &AliasModel,
    ) -> Result<Created<AliasModel>, ProviderError> {
        c.iam
            .create_account_alias()
            .account_alias(&m.account_alias)
            .send()
            .await
            .call("iam:CreateAccountAlias")?;
        Ok(m.account_alias.clone().into())
    }

    async fn read(&self, c: &Clients, m: &AliasModel) -> Result<Option<AliasModel>, ProviderError> {
        let out = c
            .iam
            .list_account_aliases()
            .send()
            .await
            .call("iam:ListAccountAliases")?;
        let found = out.account_aliases().iter().any(|a| *a == m.id);
        Ok(found.then(|| AliasModel {
            id: m.id.clone(),
            account_alias: m.id.clone(),
        }))
    }

    async fn delete(&self, c: &Clients, m: &AliasModel) -> Result<(), ProviderError> {
        c.iam
            .delete_account_alias()
            .account_alias(&m.id)
            .send()
            .await
            .gone_ok("iam:DeleteAccountAlias")
    }
}

#[derive(Default)]
pub struct ServiceLinkedRole;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LinkedRoleModel {
    id: String,
    aws_service_name: String,
    custom_suffix: Option<String>,
    description: Option<String>,
    name: Option<String>,
    path: Option<String>,
    arn: Option<String>,
    unique_id: Option<String>,
    create_date: Option<String>,
    tags_all: Tags,
}

#[async_trait::async_trait]
impl AwsResource for ServiceLinkedRole {
    type Model = LinkedRoleModel;
    const TYPE: &'static str = "aws_iam_service_linked_role";
    const TAGGED: bool = true;
    // AWS's own role names contain `_` too; the suffix given at create is kept from state.
    const KEEP: &'static [&'static str] = &["custom_suffix"];

    fn schema() -> Schema {
        let computed = || Attribute::computed(Type::String);
        Schema::new()
            .attr(
                "aws_service_name",
                Attribute::required(Type::String).force_new(),
            )
            .attr(
                "custom_suffix",
                Attribute::optional(Type::String).force_new(),
            )
            .attr("description", Attribute::optional(Type::String))
            .attr("name", computed())
            .attr("path", computed())
            .attr("arn", computed())
            .attr("unique_id", computed())
            .attr("create_date", computed())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &LinkedRoleModel,
    ) -> Result<Created<LinkedRoleModel>, ProviderError> {
        let req = c
            .iam
            .create_service_linked_role()
            .aws_service_name(&m.aws_service_name);
        let req = req
            .set_custom_suffix(m.custom_suffix.clone())
            .set_description(m.description.clone());
        let out = req.send().await.call("iam:CreateServiceLinkedRole")?;
        let role = out.role().ok_or_else(|| {
            ProviderError::Api("iam:CreateServiceLinkedRole returned no role".into())
        })?;
        if m.tags_all.as_ref().is_some_and(|t| !t.is_empty()) {
            let req = c
                .iam
                .tag_role()
                .role_name(role.role_name())
                .set_tags(Some(to_sdk(&m.tags_all)?));
            req.send().await.call("iam:TagRole")?;
        }
        Ok(role.arn().to_string().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &LinkedRoleModel,
    ) -> Result<Option<LinkedRoleModel>, ProviderError> {
        // arn:aws:iam::ACCOUNT:role/aws-service-role/SERVICE/NAME
        let mut parts = m.id.rsplit('/');
        let (Some(name), Some(service)) = (parts.next(), parts.next()) else {
            return Err(ProviderError::Unsupported(format!(
                "{:?} is not a service-linked role ARN",
                m.id
            )));
        };
        let out = c
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .found("iam:GetRole")?;
        let Some(r) = out.and_then(|o| o.role) else {
            return Ok(None);
        };
        Ok(Some(LinkedRoleModel {
            id: m.id.clone(),
            aws_service_name: service.into(),
            custom_suffix: None,
            description: r.description().map(str::to_string),
            name: Some(r.role_name().into()),
            path: Some(r.path().into()),
            arn: Some(r.arn().into()),
            unique_id: Some(r.role_id().into()),
            create_date: Some(r.create_date().to_string()),
            tags_all: from_sdk(r.tags()),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &LinkedRoleModel,
        new: &LinkedRoleModel,
    ) -> Result<(), ProviderError> {
        let name = old.name.clone().unwrap_or_default();
        let req = c
            .iam
            .update_role()
            .role_name(name)
            .description(new.description.clone().unwrap_or_default());
        req.send().await.call("iam:UpdateRole").map(drop)
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &LinkedRoleModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        let name = m.name.clone().unwrap_or_default();
        retag!(
            c.iam.untag_role().role_name(&name),
            c.iam.tag_role().role_name(&name),
            "Role",
            remove,
            set
        )
    }

    async fn delete(&self, c: &Clients, m: &LinkedRoleModel) -> Result<(), ProviderError> {
        let name = m.name.clone().unwrap_or_default();
        c.iam
            .delete_service_linked_role()
            .role_name(name)
            .send()
            .await
            .gone_ok("iam:DeleteServiceLinkedRole")
    }
}
