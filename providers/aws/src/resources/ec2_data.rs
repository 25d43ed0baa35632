//! `data "aws_availability_zones"`: the Availability Zones of the provider's region, as
//! terraform-provider-aws reads them with DescribeAvailabilityZones — filtered by `state`
//! and `filter` blocks on the server, then by `exclude_names` / `exclude_zone_ids`, with
//! `names` and `zone_ids` in zone-name order and `id` the region.

use aws_sdk_ec2::types::Filter as Ec2Filter;
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsDataSource, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct AvailabilityZones;

#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
pub struct Filter {
    name: String,
    values: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ZonesArgs {
    all_availability_zones: Option<bool>,
    exclude_names: Option<Vec<String>>,
    exclude_zone_ids: Option<Vec<String>>,
    filter: Vec<Filter>,
    state: Option<String>,
}

#[derive(Serialize)]
pub struct Zones {
    id: String,
    all_availability_zones: Option<bool>,
    exclude_names: Option<Vec<String>>,
    exclude_zone_ids: Option<Vec<String>>,
    filter: Vec<Filter>,
    state: Option<String>,
    group_names: Vec<String>,
    names: Vec<String>,
    zone_ids: Vec<String>,
}

const STATES: &[&str] = &["available", "information", "impaired", "unavailable"];

#[async_trait::async_trait]
impl AwsDataSource for AvailabilityZones {
    type Args = ZonesArgs;
    type Out = Zones;
    const TYPE: &'static str = "aws_availability_zones";

    fn schema() -> Schema {
        let strings = || Attribute::optional(Type::set(Type::String));
        let filter = Schema::new()
            .attr("name", Attribute::required(Type::String))
            .attr("values", Attribute::required(Type::set(Type::String)));
        Schema::new()
            .attr(
                "all_availability_zones",
                Attribute::optional(Type::Bool)
                    .describe("Also list Local Zones and Wavelength Zones, opted in or not."),
            )
            .attr("exclude_names", strings())
            .attr("exclude_zone_ids", strings())
            .attr(
                "state",
                Attribute::optional(Type::String)
                    .describe("available, information, impaired or unavailable."),
            )
            .block(
                "filter",
                NestedBlock {
                    nesting: Nesting::Set,
                    block: filter,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            )
            .attr("id", Attribute::computed(Type::String))
            .attr("group_names", Attribute::computed(Type::set(Type::String)))
            .attr("names", Attribute::computed(Type::list(Type::String)))
            .attr("zone_ids", Attribute::computed(Type::list(Type::String)))
    }

    async fn read(&self, c: &Clients, args: ZonesArgs) -> Result<Zones, ProviderError> {
        let mut filters: Vec<Ec2Filter> = args
            .filter
            .iter()
            .map(|f| {
                Ec2Filter::builder()
                    .name(&f.name)
                    .set_values(Some(f.values.clone()))
                    .build()
            })
            .collect();
        if let Some(state) = &args.state {
            if !STATES.contains(&state.as_str()) {
                return Err(ProviderError::InvalidConfig(format!(
                    "state must be one of {}, not {state:?}",
                    STATES.join(", ")
                )));
            }
            filters.push(Ec2Filter::builder().name("state").values(state).build());
        }
        let out = c
            .ec2
            .describe_availability_zones()
            .set_all_availability_zones(args.all_availability_zones)
            .set_filters((!filters.is_empty()).then_some(filters))
            .send()
            .await
            .call("ec2:DescribeAvailabilityZones")?;
        let excluded = |list: &Option<Vec<String>>, v: Option<&str>| {
            v.is_some_and(|v| list.iter().flatten().any(|x| x == v))
        };
        let mut zones: Vec<_> = out
            .availability_zones()
            .iter()
            .filter(|z| {
                !excluded(&args.exclude_names, z.zone_name())
                    && !excluded(&args.exclude_zone_ids, z.zone_id())
            })
            .collect();
        zones.sort_by(|a, b| a.zone_name().cmp(&b.zone_name()));
        let mut group_names: Vec<String> = zones
            .iter()
            .filter_map(|z| z.group_name().map(str::to_string))
            .collect();
        group_names.sort();
        group_names.dedup();
        Ok(Zones {
            id: c.region.clone(),
            names: zones
                .iter()
                .filter_map(|z| z.zone_name().map(str::to_string))
                .collect(),
            zone_ids: zones
                .iter()
                .filter_map(|z| z.zone_id().map(str::to_string))
                .collect(),
            group_names,
            all_availability_zones: args.all_availability_zones,
            exclude_names: args.exclude_names,
            exclude_zone_ids: args.exclude_zone_ids,
            filter: args.filter,
            state: args.state,
        })
    }
}
