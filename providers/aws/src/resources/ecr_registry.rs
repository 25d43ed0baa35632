//! The settings of the account's ECR registry itself, each a resource known (and imported)
//! by the registry ID, which is the account ID: `aws_ecr_registry_policy` (who may
//! replicate into it or create repositories in it), `aws_ecr_registry_scanning_configuration`
//! (which repositories are scanned, and when) and `aws_ecr_replication_configuration`
//! (which repositories are copied to other regions and accounts). A registry always has a
//! scanning and a replication configuration, so deleting either puts back ECR's default
//! (basic scanning without rules; no replication rules), as terraform-provider-aws does.

use aws_sdk_ecr::types::{
    RegistryScanningRule, ReplicationConfiguration, ReplicationDestination, ReplicationRule,
    RepositoryFilter, RepositoryFilterType, ScanFrequency, ScanType, ScanningRepositoryFilter,
    ScanningRepositoryFilterType,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type, ValueMap};
use serde::{Deserialize, Serialize};

use crate::framework::{list_of_one, AwsResource, Created, SdkResult};
use crate::Clients;

fn blocks(nesting: Nesting, block: Schema, min_items: usize, max_items: usize) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items,
        max_items: Some(max_items),
        force_new: false,
    }
}

fn filter_schema() -> Schema {
    Schema::new()
        .attr("filter", Attribute::required(Type::String))
        .attr("filter_type", Attribute::required(Type::String))
}

fn build_error(e: aws_sdk_ecr::error::BuildError) -> ProviderError {
    ProviderError::InvalidConfig(e.to_string())
}

/// Checks that `value` is one of `allowed`, naming `what` when it is not.
fn one_of(what: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), ProviderError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ProviderError::InvalidConfig(format!(
            "{what} {v:?} is not one of {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// The registry a read found, or `None` when the model names another registry (an import
/// ID that is not this account's).
fn this_registry(m_id: &str, found: Option<&str>) -> Option<String> {
    let found = found.unwrap_or(m_id);
    (m_id.is_empty() || m_id == found).then(|| found.to_string())
}

#[derive(Default)]
pub struct RegistryPolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RegistryPolicyModel {
    id: String,
    policy: String,
    registry_id: Option<String>,
}

async fn put_registry_policy(c: &Clients, policy: &str) -> Result<String, ProviderError> {
    let out = c
        .ecr
        .put_registry_policy()
        .policy_text(policy)
        .send()
        .await
        .call("ecr:PutRegistryPolicy")?;
    Ok(out.registry_id().unwrap_or_default().to_string())
}

#[async_trait::async_trait]
impl AwsResource for RegistryPolicy {
    type Model = RegistryPolicyModel;
    const TYPE: &'static str = "aws_ecr_registry_policy";
    const POLICIES: &'static [&'static str] = &["policy"];

    fn schema() -> Schema {
        Schema::new()
            .attr("policy", Attribute::required(Type::String))
            .attr("registry_id", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &RegistryPolicyModel,
    ) -> Result<Created<RegistryPolicyModel>, ProviderError> {
        Ok(put_registry_policy(c, &m.policy).await?.into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &RegistryPolicyModel,
    ) -> Result<Option<RegistryPolicyModel>, ProviderError> {
        let Some(out) = c
            .ecr
            .get_registry_policy()
            .send()
            .await
            .found("ecr:GetRegistryPolicy")?
        else {
            return Ok(None);
        };
        Ok(
            this_registry(&m.id, out.registry_id()).map(|id| RegistryPolicyModel {
                registry_id: Some(id.clone()),
                id,
                policy: out.policy_text().unwrap_or_default().to_string(),
            }),
        )
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &RegistryPolicyModel,
        new: &RegistryPolicyModel,
    ) -> Result<(), ProviderError> {
        put_registry_policy(c, &new.policy).await.map(drop)
    }

    async fn delete(&self, c: &Clients, _m: &RegistryPolicyModel) -> Result<(), ProviderError> {
        c.ecr
            .delete_registry_policy()
            .send()
            .await
            .gone_ok("ecr:DeleteRegistryPolicy")
    }
}

#[derive(Default)]
pub struct ScanningConfiguration;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ScanningModel {
    id: String,
    scan_type: String,
    rule: Vec<ScanRule>,
    registry_id: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ScanRule {
    scan_frequency: String,
    repository_filter: Vec<Filter>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    filter: String,
    filter_type: String,
}

async fn put_scanning(
    c: &Clients,
    scan_type: &str,
    rules: &[ScanRule],
) -> Result<(), ProviderError> {
    let rules = rules
        .iter()
        .map(|r| {
            let filters = r
                .repository_filter
                .iter()
                .map(|f| {
                    ScanningRepositoryFilter::builder()
                        .filter(&f.filter)
                        .filter_type(ScanningRepositoryFilterType::from(f.filter_type.as_str()))
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            RegistryScanningRule::builder()
                .scan_frequency(ScanFrequency::from(r.scan_frequency.as_str()))
                .set_repository_filters(Some(filters))
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    c.ecr
        .put_registry_scanning_configuration()
        .scan_type(ScanType::from(scan_type))
        .set_rules(Some(rules))
        .send()
        .await
        .call("ecr:PutRegistryScanningConfiguration")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for ScanningConfiguration {
    type Model = ScanningModel;
    const TYPE: &'static str = "aws_ecr_registry_scanning_configuration";

    fn schema() -> Schema {
        let rule = Schema::new()
            .attr("scan_frequency", Attribute::required(Type::String))
            .block(
                "repository_filter",
                blocks(Nesting::Set, filter_schema(), 1, 100),
            );
        Schema::new()
            .attr("scan_type", Attribute::required(Type::String))
            .block("rule", blocks(Nesting::Set, rule, 0, 2))
            .attr("registry_id", Attribute::computed(Type::String))
    }

    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        one_of(
            "scan_type",
            planned.get("scan_type").and_then(|v| v.as_str()),
            &["BASIC", "ENHANCED"],
        )?;
        let rules = planned
            .get("rule")
            .and_then(|v| v.as_list())
            .unwrap_or_default();
        for rule in rules {
            one_of(
                "rule: scan_frequency",
                rule.get_attr("scan_frequency").as_str(),
                &["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"],
            )?;
            for f in rule
                .get_attr("repository_filter")
                .as_list()
                .unwrap_or_default()
            {
                one_of(
                    "rule: repository_filter: filter_type",
                    f.get_attr("filter_type").as_str(),
                    &["WILDCARD"],
                )?;
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ScanningModel,
    ) -> Result<Created<ScanningModel>, ProviderError> {
        put_scanning(c, &m.scan_type, &m.rule).await?;
        let out = c
            .ecr
            .get_registry_scanning_configuration()
            .send()
            .await
            .call("ecr:GetRegistryScanningConfiguration")?;
        Ok(out.registry_id().unwrap_or_default().to_string().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ScanningModel,
    ) -> Result<Option<ScanningModel>, ProviderError> {
        let out = c
            .ecr
            .get_registry_scanning_configuration()
            .send()
            .await
            .call("ecr:GetRegistryScanningConfiguration")?;
        let Some(id) = this_registry(&m.id, out.registry_id()) else {
            return Ok(None);
        };
        let config = out.scanning_configuration();
        Ok(Some(ScanningModel {
            registry_id: Some(id.clone()),
            id,
            scan_type: config
                .and_then(|s| s.scan_type())
                .map_or("BASIC", |t| t.as_str())
                .to_string(),
            rule: config
                .map(|s| s.rules())
                .unwrap_or_default()
                .iter()
                .map(|r| ScanRule {
                    scan_frequency: r.scan_frequency().as_str().to_string(),
                    repository_filter: r
                        .repository_filters()
                        .iter()
                        .map(|f| Filter {
                            filter: f.filter().to_string(),
                            filter_type: f.filter_type().as_str().to_string(),
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &ScanningModel,
        new: &ScanningModel,
    ) -> Result<(), ProviderError> {
        put_scanning(c, &new.scan_type, &new.rule).await
    }

    async fn delete(&self, c: &Clients, _m: &ScanningModel) -> Result<(), ProviderError> {
        put_scanning(c, "BASIC", &[]).await
    }
}

#[derive(Default)]
pub struct Replication;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ReplicationModel {
    id: String,
    replication_configuration: Vec<ReplicationConfig>,
    registry_id: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ReplicationConfig {
    rule: Vec<ReplicationRuleModel>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ReplicationRuleModel {
    destination: Vec<Destination>,
    repository_filter: Vec<Filter>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Destination {
    region: String,
    registry_id: String,
}

async fn put_replication(c: &Clients, rules: &[ReplicationRuleModel]) -> Result<(), ProviderError> {
    let rules = rules
        .iter()
        .map(|r| {
            let destinations = r
                .destination
                .iter()
                .map(|d| {
                    ReplicationDestination::builder()
                        .region(&d.region)
                        .registry_id(&d.registry_id)
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let filters = r
                .repository_filter
                .iter()
                .map(|f| {
                    RepositoryFilter::builder()
                        .filter(&f.filter)
                        .filter_type(RepositoryFilterType::from(f.filter_type.as_str()))
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            ReplicationRule::builder()
                .set_destinations(Some(destinations))
                .set_repository_filters((!filters.is_empty()).then_some(filters))
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    c.ecr
        .put_replication_configuration()
        .replication_configuration(
            ReplicationConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .call("ecr:PutReplicationConfiguration")?;
    Ok(())
}

fn rules_of(m: &ReplicationModel) -> &[ReplicationRuleModel] {
    m.replication_configuration
        .first()
        .map_or(&[], |c| c.rule.as_slice())
}

#[async_trait::async_trait]
impl AwsResource for Replication {
    type Model = ReplicationModel;
    const TYPE: &'static str = "aws_ecr_replication_configuration";

    fn schema() -> Schema {
        let destination = Schema::new()
            .attr("region", Attribute::required(Type::String))
            .attr("registry_id", Attribute::required(Type::String));
        let rule = Schema::new()
            .block("destination", blocks(Nesting::List, destination, 1, 25))
            .block(
                "repository_filter",
                blocks(Nesting::List, filter_schema(), 0, 100),
            );
        Schema::new()
            .block(
                "replication_configuration",
                list_of_one(
                    Schema::new().block("rule", blocks(Nesting::List, rule, 1, 10)),
                    false,
                ),
            )
            .attr("registry_id", Attribute::computed(Type::String))
    }

    fn validate(planned: &ValueMap) -> Result<(), ProviderError> {
        let configs = planned
            .get("replication_configuration")
            .and_then(|v| v.as_list())
            .unwrap_or_default();
        for rule in configs
            .iter()
            .flat_map(|c| c.get_attr("rule").as_list().unwrap_or_default())
        {
            for f in rule
                .get_attr("repository_filter")
                .as_list()
                .unwrap_or_default()
            {
                one_of(
                    "replication_configuration: rule: repository_filter: filter_type",
                    f.get_attr("filter_type").as_str(),
                    &["PREFIX_MATCH"],
                )?;
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        c: &Clients,
        m: &ReplicationModel,
    ) -> Result<Created<ReplicationModel>, ProviderError> {
        put_replication(c, rules_of(m)).await?;
        let out = c
            .ecr
            .describe_registry()
            .send()
            .await
            .call("ecr:DescribeRegistry")?;
        Ok(out.registry_id().unwrap_or_default().to_string().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &ReplicationModel,
    ) -> Result<Option<ReplicationModel>, ProviderError> {
        let out = c
            .ecr
            .describe_registry()
            .send()
            .await
            .call("ecr:DescribeRegistry")?;
        let Some(id) = this_registry(&m.id, out.registry_id()) else {
            return Ok(None);
        };
        let rules: Vec<ReplicationRuleModel> = out
            .replication_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| ReplicationRuleModel {
                destination: r
                    .destinations()
                    .iter()
                    .map(|d| Destination {
                        region: d.region().to_string(),
                        registry_id: d.registry_id().to_string(),
                    })
                    .collect(),
                repository_filter: r
                    .repository_filters()
                    .iter()
                    .map(|f| Filter {
                        filter: f.filter().to_string(),
                        filter_type: f.filter_type().as_str().to_string(),
                    })
                    .collect(),
            })
            .collect();
        Ok(Some(ReplicationModel {
            registry_id: Some(id.clone()),
            id,
            replication_configuration: if rules.is_empty() {
                Vec::new()
            } else {
                vec![ReplicationConfig { rule: rules }]
            },
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &ReplicationModel,
        new: &ReplicationModel,
    ) -> Result<(), ProviderError> {
        put_replication(c, rules_of(new)).await
    }

    async fn delete(&self, c: &Clients, _m: &ReplicationModel) -> Result<(), ProviderError> {
        put_replication(c, &[]).await
    }
}
