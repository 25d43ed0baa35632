//! `aws_s3_bucket_acl`: a bucket's access control list, as a canned `acl` or as an
//! `access_control_policy` of grants and an owner. A canned ACL cannot be read back by
//! name, so it is kept as written; a configured policy is compared grant by grant. Import
//! ID: `BUCKET` or `BUCKET,ACL`, as terraform-provider-aws takes them.

use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, Grant as SdkGrant, Grantee as SdkGrantee, Owner,
    Permission, Type as GranteeType,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, Value};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{block, bucket_schema, one_of};
use crate::framework::{AwsResource, Created, SdkResult};
use crate::Clients;

const CANNED: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "log-delivery-write",
];

const PERMISSIONS: &[&str] = &["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"];

#[derive(Default)]
pub struct BucketAcl;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AclModel {
    id: String,
    bucket: String,
    acl: Option<String>,
    access_control_policy: Option<PolicyModel>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct PolicyModel {
    grant: Vec<GrantModel>,
    owner: OwnerModel,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct GrantModel {
    grantee: GranteeModel,
    permission: String,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct GranteeModel {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    uri: Option<String>,
    email_address: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct OwnerModel {
    id: String,
    display_name: Option<String>,
}

fn sdk_policy(p: &PolicyModel) -> Result<AccessControlPolicy, ProviderError> {
    let mut grants = Vec::new();
    for g in &p.grant {
        one_of(&g.permission, PERMISSIONS, "grant.permission")?;
        one_of(
            &g.grantee.kind,
            &["CanonicalUser", "Group", "AmazonCustomerByEmail"],
            "grant.grantee.type",
        )?;
        let grantee = SdkGrantee::builder()
            .r#type(GranteeType::from(g.grantee.kind.as_str()))
            .set_id(g.grantee.id.clone())
            .set_uri(g.grantee.uri.clone())
            .set_email_address(g.grantee.email_address.clone())
            .build()
            .map_err(|e| ProviderError::InvalidConfig(format!("grant.grantee: {e}")))?;
        grants.push(
            SdkGrant::builder()
                .grantee(grantee)
                .permission(Permission::from(g.permission.as_str()))
                .build(),
        );
    }
    Ok(AccessControlPolicy::builder()
        .set_grants(Some(grants))
        .owner(
            Owner::builder()
                .id(&p.owner.id)
                .set_display_name(p.owner.display_name.clone())
                .build(),
        )
        .build())
}

async fn put_acl(c: &Clients, m: &AclModel) -> Result<(), ProviderError> {
    let req = c.s3.put_bucket_acl().bucket(&m.bucket);
    let req = match (&m.acl, &m.access_control_policy) {
        (Some(acl), None) => {
            one_of(acl, CANNED, "acl")?;
            req.acl(BucketCannedAcl::from(acl.as_str()))
        }
        (None, Some(p)) => req.access_control_policy(sdk_policy(p)?),
        _ => {
            return Err(ProviderError::InvalidConfig(
                "aws_s3_bucket_acl needs acl or access_control_policy, not both".into(),
            ))
        }
    };
    req.send().await.call("s3:PutBucketAcl")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for BucketAcl {
    type Model = AclModel;
    const TYPE: &'static str = "aws_s3_bucket_acl";

    fn schema() -> Schema {
        let grantee = Schema::new()
            .attr("type", Attribute::required(Type::String))
            .attr("id", Attribute::optional(Type::String))
            .attr("uri", Attribute::optional(Type::String))
            .attr("email_address", Attribute::optional(Type::String));
        let grant = Schema::new()
            .attr("permission", Attribute::required(Type::String))
            .block("grantee", block(Nesting::Single, grantee, 1));
        let owner = Schema::new()
            .attr("id", Attribute::required(Type::String))
            .attr("display_name", Attribute::optional(Type::String));
        let policy = Schema::new()
            .block("grant", block(Nesting::Set, grant, 0))
            .block("owner", block(Nesting::Single, owner, 1));
        bucket_schema()
            .attr("acl", Attribute::optional(Type::String))
            .block(
                "access_control_policy",
                NestedBlock {
                    max_items: Some(1),
                    ..block(Nesting::Single, policy, 0)
                },
            )
    }

    fn import_model(id: &str) -> Result<Value, ProviderError> {
        let (bucket, acl) = match id.split_once(',') {
            Some((b, a)) => (b, Some(a)),
            None => (id, None),
        };
        Ok(Value::object([
            ("id", Value::from(id)),
            ("bucket", Value::from(bucket)),
            ("acl", acl.map(Value::from).unwrap_or(Value::Null)),
        ]))
    }

    async fn create(&self, c: &Clients, m: &AclModel) -> Result<Created<AclModel>, ProviderError> {
        put_acl(c, m).await?;
        Ok(match &m.acl {
            Some(acl) => format!("{},{acl}", m.bucket),
            None => m.bucket.clone(),
        }
        .into())
    }

    async fn read(&self, c: &Clients, m: &AclModel) -> Result<Option<AclModel>, ProviderError> {
        let bucket = if m.bucket.is_empty() {
            m.id.split(',').next().unwrap_or_default().to_string()
        } else {
            m.bucket.clone()
        };
        let Some(out) =
            c.s3.get_bucket_acl()
                .bucket(&bucket)
                .send()
                .await
                .found("s3:GetBucketAcl")?
        else {
            return Ok(None);
        };
        // A canned ACL is kept as written; the grants are compared only when they are what
        // the configuration manages.
        let policy = m.acl.is_none().then(|| PolicyModel {
            grant: out
                .grants()
                .iter()
                .filter_map(|g| {
                    let e = g.grantee()?;
                    Some(GrantModel {
                        grantee: GranteeModel {
                            kind: e.r#type().as_str().to_string(),
                            id: e.id().map(str::to_string),
                            uri: e.uri().map(str::to_string),
                            email_address: e.email_address().map(str::to_string),
                        },
                        permission: g.permission()?.as_str().to_string(),
                    })
                })
                .collect(),
            owner: OwnerModel {
                id: out
                    .owner()
                    .and_then(|o| o.id())
                    .unwrap_or_default()
                    .to_string(),
                display_name: m
                    .access_control_policy
                    .as_ref()
                    .and_then(|p| p.owner.display_name.clone())
                    .or_else(|| {
                        out.owner()
                            .and_then(|o| o.display_name())
                            .map(str::to_string)
                    })
                    .filter(|_| {
                        m.access_control_policy
                            .as_ref()
                            .is_none_or(|p| p.owner.display_name.is_some())
                    }),
            },
        });
        Ok(Some(AclModel {
            id: m.id.clone(),
            bucket,
            acl: m.acl.clone(),
            access_control_policy: policy,
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &AclModel,
        new: &AclModel,
    ) -> Result<(), ProviderError> {
        put_acl(c, new).await
    }

    /// An ACL cannot be removed; as terraform-provider-aws, delete leaves the bucket's ACL
    /// as it is and forgets it.
    async fn delete(&self, _c: &Clients, _m: &AclModel) -> Result<(), ProviderError> {
        Ok(())
    }
}
