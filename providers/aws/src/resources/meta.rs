//! Facts about where the provider runs, computed without an API call as
//! terraform-provider-aws computes them: data `aws_partition`, `aws_region`, `aws_arn`
//! and `aws_service_principal`; and `aws_canonical_user_id`, the one that asks S3.

use mlform_provider::{Attribute, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsDataSource, SdkResult};
use crate::Clients;

/// A partition: its name, DNS suffix and reverse DNS prefix.
pub struct Partition {
    pub name: &'static str,
    pub dns_suffix: &'static str,
    pub reverse_dns_prefix: &'static str,
}

/// The partition a region belongs to, by its prefix.
pub fn partition_of(region: &str) -> Partition {
    let (name, dns_suffix, reverse_dns_prefix) = match region {
        r if r.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"),
        r if r.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com", "com.amazonaws"),
        r if r.starts_with("us-isob-") => ("aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s"),
        r if r.starts_with("us-isof-") => ("aws-iso-f", "csp.hci.ic.gov", "gov.ic.hci.csp"),
        r if r.starts_with("us-iso-") => ("aws-iso", "c2s.ic.gov", "gov.ic.c2s"),
        r if r.starts_with("eu-isoe-") => ("aws-iso-e", "cloud.adc-e.uk", "uk.adc-e.cloud"),
        _ => ("aws", "amazonaws.com", "com.amazonaws"),
    };
    Partition {
        name,
        dns_suffix,
        reverse_dns_prefix,
    }
}

/// Region descriptions, as the EC2 DescribeRegions / SSM public parameters name them.
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
];

/// Whether `region` is one mlform knows (what `skip_region_validation = false` checks).
pub fn is_known_region(region: &str) -> bool {
    REGIONS.iter().any(|(r, _)| *r == region)
}

#[derive(Default)]
pub struct PartitionData;

#[derive(Deserialize)]
pub struct NoArgs {}

#[derive(Serialize)]
pub struct PartitionOut {
    id: String,
    partition: String,
    dns_suffix: String,
    reverse_dns_prefix: String,
}

#[async_trait::async_trait]
impl AwsDataSource for PartitionData {
    type Args = NoArgs;
    type Out = PartitionOut;
    const TYPE: &'static str = "aws_partition";

    fn schema() -> Schema {
        ["id", "partition", "dns_suffix", "reverse_dns_prefix"]
            .into_iter()
            .fold(Schema::new(), |s, a| {
                s.attr(a, Attribute::computed(Type::String))
            })
    }

    async fn read(&self, c: &Clients, _: NoArgs) -> Result<PartitionOut, ProviderError> {
        let p = partition_of(&c.region);
        Ok(PartitionOut {
            id: p.name.into(),
            partition: p.name.into(),
            dns_suffix: p.dns_suffix.into(),
            reverse_dns_prefix: p.reverse_dns_prefix.into(),
        })
    }
}

#[derive(Default)]
pub struct RegionData;

#[derive(Deserialize)]
pub struct RegionArgs {
    name: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
}

#[derive(Serialize)]
pub struct RegionOut {
    id: String,
    name: String,
    region: String,
    endpoint: String,
    description: String,
}

#[async_trait::async_trait]
impl AwsDataSource for RegionData {
    type Args = RegionArgs;
    type Out = RegionOut;
    const TYPE: &'static str = "aws_region";

    fn schema() -> Schema {
        Schema::new()
            .attr("name", Attribute::optional_computed(Type::String))
            .attr("region", Attribute::optional_computed(Type::String))
            .attr("endpoint", Attribute::optional_computed(Type::String))
            .attr("id", Attribute::computed(Type::String))
            .attr("description", Attribute::computed(Type::String))
    }

    async fn read(&self, c: &Clients, args: RegionArgs) -> Result<RegionOut, ProviderError> {
        let by_endpoint = args.endpoint.as_deref().and_then(|e| {
            let e = e.strip_prefix("https://").unwrap_or(e);
            REGIONS.iter().map(|(r, _)| *r).find(|r| endpoint(r) == e)
        });
        let region = args
            .region
            .or(args.name)
            .or(by_endpoint.map(str::to_string))
            .unwrap_or_else(|| c.region.clone());
        let Some((_, description)) = REGIONS.iter().find(|(r, _)| *r == region) else {
            return Err(ProviderError::InvalidConfig(format!(
                "aws_region: no region named {region:?}; hint: regions are named like \"us-east-1\""
            )));
        };
        Ok(RegionOut {
            id: region.clone(),
            name: region.clone(),
            endpoint: endpoint(&region),
            region,
            description: description.to_string(),
        })
    }
}

fn endpoint(region: &str) -> String {
    format!("ec2.{region}.{}", partition_of(region).dns_suffix)
}

#[derive(Default)]
pub struct ArnData;

#[derive(Deserialize)]
pub struct ArnArgs {
    arn: String,
}

#[derive(Serialize)]
pub struct ArnOut {
    id: String,
    arn: String,
    partition: String,
    service: String,
    region: String,
    account: String,
    resource: String,
}

#[async_trait::async_trait]
impl AwsDataSource for ArnData {
    type Args = ArnArgs;
    type Out = ArnOut;
    const TYPE: &'static str = "aws_arn";

    fn schema() -> Schema {
        [
            "id",
            "partition",
            "service",
            "region",
            "account",
            "resource",
        ]
        .into_iter()
        .fold(Schema::new(), |s, a| {
            s.attr(a, Attribute::computed(Type::String))
        })
        .attr("arn", Attribute::required(Type::String))
    }

    async fn read(&self, _: &Clients, args: ArnArgs) -> Result<ArnOut, ProviderError> {
        let parts: Vec<&str> = args.arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts[..] else {
            return Err(invalid_arn(&args.arn));
        };
        if prefix != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(invalid_arn(&args.arn));
        }
        Ok(ArnOut {
            id: args.arn.clone(),
            partition: partition.into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
            arn: args.arn,
        })
    }
}

fn invalid_arn(arn: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "aws_arn: {arn:?} is not an ARN; hint: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"
    ))
}

#[derive(Default)]
pub struct ServicePrincipalData;

#[derive(Deserialize)]
pub struct ServicePrincipalArgs {
    service_name: String,
    region: Option<String>,
}

#[derive(Serialize)]
pub struct ServicePrincipalOut {
    id: String,
    service_name: String,
    region: String,
    name: String,
    suffix: String,
}

#[async_trait::async_trait]
impl AwsDataSource for ServicePrincipalData {
    type Args = ServicePrincipalArgs;
    type Out = ServicePrincipalOut;
    const TYPE: &'static str = "aws_service_principal";

    fn schema() -> Schema {
        Schema::new()
            .attr("service_name", Attribute::required(Type::String))
            .attr("region", Attribute::optional_computed(Type::String))
            .attr("id", Attribute::computed(Type::String))
            .attr("name", Attribute::computed(Type::String))
            .attr("suffix", Attribute::computed(Type::String))
    }

    async fn read(
        &self,
        c: &Clients,
        args: ServicePrincipalArgs,
    ) -> Result<ServicePrincipalOut, ProviderError> {
        let region = args.region.unwrap_or_else(|| c.region.clone());
        // Principals end in amazonaws.com everywhere but for a few services of the China
        // and ISO partitions, which use the partition's DNS suffix.
        let partition = partition_of(&region);
        let own_suffix = matches!(
            (partition.name, args.service_name.as_str()),
            ("aws-iso", "cloudhsm" | "config" | "logs" | "workspaces")
                | ("aws-iso-b", "dms" | "logs")
                | ("aws-cn", "codedeploy" | "elasticmapreduce" | "logs")
        );
        let suffix = if own_suffix {
            partition.dns_suffix
        } else {
            "amazonaws.com"
        };
        Ok(ServicePrincipalOut {
            id: format!("{}.{region}.{suffix}", args.service_name),
            name: format!("{}.{suffix}", args.service_name),
            suffix: suffix.into(),
            service_name: args.service_name,
            region,
        })
    }
}

/// Data `aws_canonical_user_id`: the account's S3 canonical user, which bucket ACLs name.
#[derive(Default)]
pub struct CanonicalUser;

#[derive(Serialize)]
pub struct CanonicalUserOut {
    id: String,
    display_name: String,
}

#[async_trait::async_trait]
impl AwsDataSource for CanonicalUser {
    type Args = NoArgs;
    type Out = CanonicalUserOut;
    const TYPE: &'static str = "aws_canonical_user_id";

    fn schema() -> Schema {
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("display_name", Attribute::computed(Type::String))
    }

    async fn read(&self, c: &Clients, _args: NoArgs) -> Result<CanonicalUserOut, ProviderError> {
        let out = c.s3.list_buckets().send().await.call("s3:ListBuckets")?;
        let owner = out
            .owner()
            .ok_or_else(|| ProviderError::Api("s3:ListBuckets answered without an owner".into()))?;
        Ok(CanonicalUserOut {
            id: owner.id().unwrap_or_default().to_string(),
            display_name: owner.display_name().unwrap_or_default().to_string(),
        })
    }
}

/// `aws_cloudfront_log_delivery_canonical_user_id`: the canonical user of CloudFront's
/// `awslogsdelivery` account in a region's partition (grant it on a log bucket's ACL), as
/// AWS publishes it; no API call.
#[derive(Default)]
pub struct LogDeliveryCanonicalUser;

#[derive(Deserialize)]
pub struct RegionOnlyArgs {
    region: Option<String>,
}

#[derive(Serialize)]
pub struct LogDeliveryOut {
    id: String,
    region: String,
}

#[async_trait::async_trait]
impl AwsDataSource for LogDeliveryCanonicalUser {
    type Args = RegionOnlyArgs;
    type Out = LogDeliveryOut;
    const TYPE: &'static str = "aws_cloudfront_log_delivery_canonical_user_id";

    fn schema() -> Schema {
        Schema::new()
            .attr("region", Attribute::optional_computed(Type::String))
            .attr("id", Attribute::computed(Type::String))
    }

    async fn read(
        &self,
        c: &Clients,
        args: RegionOnlyArgs,
    ) -> Result<LogDeliveryOut, ProviderError> {
        let region = args.region.unwrap_or_else(|| c.region.clone());
        let id = if partition_of(&region).name == "aws-cn" {
            "a52cb28745c0c06e84ec548334e44bfa7fc2a85c54af20cd59e4969344b7af56"
        } else {
            "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"
        };
        Ok(LogDeliveryOut {
            id: id.into(),
            region,
        })
    }
}
