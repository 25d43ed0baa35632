//! `aws_ecr_repository`, `aws_ecr_lifecycle_policy` and `aws_ecr_repository_policy`: where
//! serving images are pushed, how long they are kept and who may pull them. A repository is
//! known by its name (import ID), with its URL (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`);
//! `force_delete` deletes it with its images. Its two policies are known by the
//! repository's name.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
};
use mlform_provider::{
    poll_until, Attribute, NestedBlock, Nesting, Poll, ProviderError, Schema, Type, ValueMap,
};
use serde::{Deserialize, Serialize};

use crate::error::{classify, code};
use crate::framework::{AwsResource, Created, SdkResult, PROPAGATION_TIMEOUT};
use crate::Clients;

fn single(block: Schema) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Single,
        block,
        min_items: 0,
        max_items: Some(1),
        force_new: false,
    }
}

#[derive(Default)]
pub struct Repository;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RepositoryModel {
    id: String,
    name: String,
    arn: Option<String>,
    registry_id: Option<String>,
    repository_url: Option<String>,
    image_tag_mutability: Option<String>,
    image_tag_mutability_exclusion_filter: Vec<ExclusionFilter>,
    force_delete: Option<bool>,
    image_scanning_configuration: Option<Scanning>,
    encryption_configuration: Option<Encryption>,
    tags_all: Option<BTreeMap<String, String>>,
}

/// A tag pattern exempt from the repository's tag mutability (`latest*`).
#[derive(Serialize, Deserialize, Default, PartialEq, Clone)]
#[serde(default)]
pub struct ExclusionFilter {
    filter: String,
    filter_type: String,
}

const MUTABILITIES: [&str; 4] = [
    "MUTABLE",
    "IMMUTABLE",
    "MUTABLE_WITH_EXCLUSION",
    "IMMUTABLE_WITH_EXCLUSION",
];

fn exclusion_filters(
    m: &RepositoryModel,
) -> Result<Option<Vec<ImageTagMutabilityExclusionFilter>>, ProviderError> {
    if m.image_tag_mutability_exclusion_filter.is_empty() {
        return Ok(None);
    }
    m.image_tag_mutability_exclusion_filter
        .iter()
        .map(|f| {
            ImageTagMutabilityExclusionFilter::builder()
                .filter(&f.filter)
                .filter_type(ImageTagMutabilityExclusionFilterType::from(
                    f.filter_type.as_str(),
                ))
                .build()
                .map_err(|e| ProviderError::InvalidConfig(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[derive(Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Scanning {
    scan_on_push: bool,
}

#[derive(Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Encryption {
    encryption_type: Option<String>,
    kms_key: Option<String>,
}

fn ecr_tags(tags: &[(String, String)]) -> Result<Vec<aws_sdk_ecr::types::Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ecr::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| ProviderError::InvalidConfig(e.to_string()))
}

#[async_trait::async_trait]
impl AwsResource for Repository {
    type Model = RepositoryModel;
    const TYPE: &'static str = "aws_ecr_repository";
    const TAGGED: bool = true;
    const KEEP: &'static [&'static str] = &["force_delete"];
    /// ECR reports scanning settings for every repository (`scan_on_push = false` when none
    /// were asked for); leaving the block out keeps what ECR reports, as the AWS provider's
    /// diff suppression does.
    const COMPUTED_BLOCKS: &'static [&'static str] = &["image_scanning_configuration"];
    const ID_ATTRIBUTE: Option<&'static str> = Some("name");

    /// ECR's rules for tag mutability: one of four modes, and exclusion filters exactly
    /// with the two `_WITH_EXCLUSION` modes.
    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        let Some(mutability) = planned.get("image_tag_mutability").and_then(|v| v.as_str()) else {
            return Ok(());
        };
        if !MUTABILITIES.contains(&mutability) {
            return Err(ProviderError::InvalidConfig(format!(
                "image_tag_mutability {mutability:?} is not one of {}",
                MUTABILITIES.join(", ")
            )));
        }
        let Some(filters) = planned
            .get("image_tag_mutability_exclusion_filter")
            .map(|v| v.as_list().map_or(0, <[_]>::len))
        else {
            return Ok(());
        };
        for f in planned
            .get("image_tag_mutability_exclusion_filter")
            .and_then(|v| v.as_list())
            .unwrap_or_default()
        {
            match f.get_attr("filter_type").as_str() {
                Some("WILDCARD") | None => {}
                Some(other) => {
                    return Err(ProviderError::InvalidConfig(format!(
                        "image_tag_mutability_exclusion_filter: filter_type {other:?} is not WILDCARD, the one type ECR takes"
                    )))
                }
            }
        }
        let with_exclusion = mutability.ends_with("_WITH_EXCLUSION");
        if with_exclusion != (filters > 0) {
            return Err(ProviderError::InvalidConfig(if with_exclusion {
                format!("image_tag_mutability {mutability:?} needs at least one image_tag_mutability_exclusion_filter block; hint: add the tag patterns to exempt, or use {:?}", mutability.trim_end_matches("_WITH_EXCLUSION"))
            } else {
                format!("image_tag_mutability_exclusion_filter blocks need image_tag_mutability = \"{mutability}_WITH_EXCLUSION\"; ECR refuses exclusion filters with {mutability:?}")
            }));
        }
        Ok(())
    }

    fn schema() -> Schema {
        Schema::new()
            .attr("name", Attribute::required(Type::String).force_new())
            .attr(
                "image_tag_mutability",
                Attribute::optional(Type::String).default("MUTABLE"),
            )
            .attr("force_delete", Attribute::optional(Type::Bool))
            .block(
                "image_tag_mutability_exclusion_filter",
                NestedBlock {
                    nesting: Nesting::List,
                    block: Schema::new()
                        .attr("filter", Attribute::required(Type::String))
                        .attr("filter_type", Attribute::required(Type::String)),
                    min_items: 0,
                    max_items: Some(5),
                    force_new: false,
                },
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("registry_id", Attribute::computed(Type::String))
            .attr("repository_url", Attribute::computed(Type::String))
            .block(
                "image_scanning_configuration",
                single(Schema::new().attr("scan_on_push", Attribute::required(Type::Bool))),
            )
            .block(
                "encryption_configuration",
                NestedBlock {
                    force_new: true,
                    ..single(
                        Schema::new()
                            .attr(
                                "encryption_type",
                                Attribute::optional(Type::String).default("AES256"),
                            )
                            .attr("kms_key", Attribute::optional_computed(Type::String)),
                    )
                },
            )
    }

    async fn create(
        &self,
        c: &Clients,
        m: &RepositoryModel,
    ) -> Result<Created<RepositoryModel>, ProviderError> {
        let mutability = m.image_tag_mutability.as_deref().unwrap_or("MUTABLE");
        let mut req = c
            .ecr
            .create_repository()
            .repository_name(&m.name)
            .image_tag_mutability(ImageTagMutability::from(mutability))
            .set_image_tag_mutability_exclusion_filters(exclusion_filters(m)?)
            .set_tags(Some(ecr_tags(
                &m.tags_all
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect::<Vec<_>>(),
            )?));
        if let Some(s) = &m.image_scanning_configuration {
            req = req.image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(s.scan_on_push)
                    .build(),
            );
        }
        if let Some(e) = &m.encryption_configuration {
            let kind = e.encryption_type.as_deref().unwrap_or("AES256");
            req = req.encryption_configuration(
                EncryptionConfiguration::builder()
                    .encryption_type(EncryptionType::from(kind))
                    .set_kms_key(e.kms_key.clone())
                    .build()
                    .map_err(|e| ProviderError::InvalidConfig(e.to_string()))?,
            );
        }
        req.send().await.call("ecr:CreateRepository")?;
        Ok(m.name.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &RepositoryModel,
    ) -> Result<Option<RepositoryModel>, ProviderError> {
        let Some(out) = c
            .ecr
            .describe_repositories()
            .repository_names(&m.id)
            .send()
            .await
            .found("ecr:DescribeRepositories")?
        else {
            return Ok(None);
        };
        let Some(r) = out.repositories().first() else {
            return Ok(None);
        };
        let arn = r.repository_arn().unwrap_or_default().to_string();
        let tags = c
            .ecr
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .call("ecr:ListTagsForResource")?;
        Ok(Some(RepositoryModel {
            id: m.id.clone(),
            name: r.repository_name().unwrap_or_default().to_string(),
            arn: Some(arn),
            registry_id: r.registry_id().map(str::to_string),
            repository_url: r.repository_uri().map(str::to_string),
            image_tag_mutability: r.image_tag_mutability().map(|t| t.as_str().to_string()),
            image_tag_mutability_exclusion_filter: r
                .image_tag_mutability_exclusion_filters()
                .iter()
                .map(|f| ExclusionFilter {
                    filter: f.filter().to_string(),
                    filter_type: f.filter_type().as_str().to_string(),
                })
                .collect(),
            force_delete: None,
            image_scanning_configuration: r.image_scanning_configuration().map(|s| Scanning {
                scan_on_push: s.scan_on_push(),
            }),
            // ECR reports its default (AES256, no key) for every repository; a configuration
            // that does not set the block means that default, not drift.
            encryption_configuration: r
                .encryption_configuration()
                .map(|e| Encryption {
                    encryption_type: Some(e.encryption_type().as_str().to_string()),
                    kms_key: e.kms_key().map(str::to_string),
                })
                .filter(|e| {
                    m.encryption_configuration.is_some()
                        || e.encryption_type.as_deref() != Some("AES256")
                        || e.kms_key.is_some()
                }),
            tags_all: Some(
                tags.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
            ),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &RepositoryModel,
        new: &RepositoryModel,
    ) -> Result<(), ProviderError> {
        if old.image_tag_mutability != new.image_tag_mutability
            || old.image_tag_mutability_exclusion_filter
                != new.image_tag_mutability_exclusion_filter
        {
            c.ecr
                .put_image_tag_mutability()
                .repository_name(&old.id)
                .image_tag_mutability(ImageTagMutability::from(
                    new.image_tag_mutability.as_deref().unwrap_or("MUTABLE"),
                ))
                .set_image_tag_mutability_exclusion_filters(exclusion_filters(new)?)
                .send()
                .await
                .call("ecr:PutImageTagMutability")?;
        }
        if old.image_scanning_configuration != new.image_scanning_configuration {
            c.ecr
                .put_image_scanning_configuration()
                .repository_name(&old.id)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(
                            new.image_scanning_configuration
                                .as_ref()
                                .is_some_and(|s| s.scan_on_push),
                        )
                        .build(),
                )
                .send()
                .await
                .call("ecr:PutImageScanningConfiguration")?;
        }
        Ok(())
    }

    async fn set_tags(
        &self,
        c: &Clients,
        m: &RepositoryModel,
        remove: Vec<String>,
        set: Vec<(String, String)>,
    ) -> Result<(), ProviderError> {
        let arn = m.arn.clone().unwrap_or_default();
        if !remove.is_empty() {
            c.ecr
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .call("ecr:UntagResource")?;
        }
        if !set.is_empty() {
            c.ecr
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(ecr_tags(&set)?))
                .send()
                .await
                .call("ecr:TagResource")?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, m: &RepositoryModel) -> Result<(), ProviderError> {
        c.ecr
            .delete_repository()
            .repository_name(&m.id)
            .force(m.force_delete == Some(true))
            .send()
            .await
            .gone_ok("ecr:DeleteRepository")
    }
}

#[derive(Default)]
pub struct LifecyclePolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LifecyclePolicyModel {
    id: String,
    repository: String,
    policy: String,
    registry_id: Option<String>,
}

async fn put_policy(
    c: &Clients,
    m: &LifecyclePolicyModel,
) -> Result<Option<String>, ProviderError> {
    let out = c
        .ecr
        .put_lifecycle_policy()
        .repository_name(&m.repository)
        .lifecycle_policy_text(&m.policy)
        .send()
        .await
        .call("ecr:PutLifecyclePolicy")?;
    Ok(out.registry_id().map(str::to_string))
}

#[async_trait::async_trait]
impl AwsResource for LifecyclePolicy {
    type Model = LifecyclePolicyModel;
    const TYPE: &'static str = "aws_ecr_lifecycle_policy";
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr("repository", Attribute::required(Type::String).force_new())
            .attr("policy", Attribute::required(Type::String))
            .attr("registry_id", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &LifecyclePolicyModel,
    ) -> Result<Created<LifecyclePolicyModel>, ProviderError> {
        put_policy(c, m).await?;
        Ok(m.repository.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &LifecyclePolicyModel,
    ) -> Result<Option<LifecyclePolicyModel>, ProviderError> {
        let Some(out) = c
            .ecr
            .get_lifecycle_policy()
            .repository_name(&m.id)
            .send()
            .await
            .found("ecr:GetLifecyclePolicy")?
        else {
            return Ok(None);
        };
        Ok(Some(LifecyclePolicyModel {
            id: m.id.clone(),
            repository: out.repository_name().unwrap_or(&m.id).to_string(),
            policy: out.lifecycle_policy_text().unwrap_or_default().to_string(),
            registry_id: out.registry_id().map(str::to_string),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &LifecyclePolicyModel,
        new: &LifecyclePolicyModel,
    ) -> Result<(), ProviderError> {
        put_policy(c, new).await.map(drop)
    }

    async fn delete(&self, c: &Clients, m: &LifecyclePolicyModel) -> Result<(), ProviderError> {
        c.ecr
            .delete_lifecycle_policy()
            .repository_name(&m.id)
            .send()
            .await
            .gone_ok("ecr:DeleteLifecyclePolicy")
    }
}

#[derive(Default)]
pub struct RepositoryPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RepositoryPolicyModel {
    id: String,
    repository: String,
    policy: String,
    registry_id: Option<String>,
}

/// Sets `m`'s policy on its repository. ECR checks the principals a policy names, so a
/// role made a moment ago is "Invalid repository policy provided" until IAM shows it:
/// that answer is retried until [`PROPAGATION_TIMEOUT`], as terraform-provider-aws does.
async fn set_repository_policy(
    c: &Clients,
    m: &RepositoryPolicyModel,
) -> Result<Option<String>, ProviderError> {
    let request = c
        .ecr
        .set_repository_policy()
        .repository_name(&m.repository)
        .policy_text(&m.policy);
    let out = poll_until(
        "the repository policy's principals to be visible",
        PROPAGATION_TIMEOUT,
        || {
            let request = request.clone();
            async move {
                match request.send().await {
                    Ok(out) => Ok(Poll::Ready(out)),
                    Err(e)
                        if code(&e) == "InvalidParameterException"
                            && aws_sdk_ecr::error::ProvideErrorMetadata::message(&e)
                                .is_some_and(|m| m.contains("Invalid repository policy")) =>
                    {
                        Ok(Poll::Pending(code(&e)))
                    }
                    Err(e) => Err(classify("ecr:SetRepositoryPolicy", &e)),
                }
            }
        },
    )
    .await?;
    Ok(out.registry_id().map(str::to_string))
}

#[async_trait::async_trait]
impl AwsResource for RepositoryPolicy {
    type Model = RepositoryPolicyModel;
    const TYPE: &'static str = "aws_ecr_repository_policy";
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr("repository", Attribute::required(Type::String).force_new())
            .attr("policy", Attribute::required(Type::String))
            .attr("registry_id", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &RepositoryPolicyModel,
    ) -> Result<Created<RepositoryPolicyModel>, ProviderError> {
        set_repository_policy(c, m).await?;
        Ok(m.repository.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &RepositoryPolicyModel,
    ) -> Result<Option<RepositoryPolicyModel>, ProviderError> {
        let Some(out) = c
            .ecr
            .get_repository_policy()
            .repository_name(&m.id)
            .send()
            .await
            .found("ecr:GetRepositoryPolicy")?
        else {
            return Ok(None);
        };
        Ok(Some(RepositoryPolicyModel {
            id: m.id.clone(),
            repository: out.repository_name().unwrap_or(&m.id).to_string(),
            policy: out.policy_text().unwrap_or_default().to_string(),
            registry_id: out.registry_id().map(str::to_string),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &RepositoryPolicyModel,
        new: &RepositoryPolicyModel,
    ) -> Result<(), ProviderError> {
        set_repository_policy(c, new).await.map(drop)
    }

    async fn delete(&self, c: &Clients, m: &RepositoryPolicyModel) -> Result<(), ProviderError> {
        c.ecr
            .delete_repository_policy()
            .repository_name(&m.id)
            .send()
            .await
            .gone_ok("ecr:DeleteRepositoryPolicy")
    }
}
