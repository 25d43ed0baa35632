//! The built-in `time` provider (source `registry.terraform.io/hashicorp/time`), with
//! hashicorp/time's types and attributes: `time_static` (a timestamp fixed at create),
//! `time_offset` (a base timestamp plus an offset), `time_sleep` (waits on create and
//! destroy) and `time_rotating` (gone from state once its rotation time passes, so the next
//! plan creates it again). Times are RFC 3339 in UTC; calendar arithmetic is jiff's.

use std::sync::Arc;

use crate::table::{no_data_source, Table};
use jiff::{Timestamp, ToSpan};
use mlform_provider::{
    plan_by_schema, Attribute, PlanRequest, Planned, Provider, ProviderError, Resource, Schema,
    Type, Value, ValueMap,
};

/// The `time` provider.
pub struct TimeProvider;

impl TimeProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(Table {
            name: "time",
            source: "registry.terraform.io/hashicorp/time",
            resources: TYPES,
            data_sources: &[],
            resource,
            data_source: no_data_source,
        })
    }
}

const TYPES: &[&str] = &["time_static", "time_offset", "time_sleep", "time_rotating"];

fn resource(type_name: &str) -> Option<Arc<dyn Resource>> {
    let kind = match type_name {
        "time_static" => Kind::Static,
        "time_offset" => Kind::Offset,
        "time_sleep" => Kind::Sleep,
        "time_rotating" => Kind::Rotating,
        _ => return None,
    };
    Some(Arc::new(Time(kind)))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Static,
    Offset,
    Sleep,
    Rotating,
}

struct Time(Kind);

const OFFSETS: &[(&str, &str)] = &[
    ("offset_years", "years"),
    ("offset_months", "months"),
    ("offset_days", "days"),
    ("offset_hours", "hours"),
    ("offset_minutes", "minutes"),
    ("offset_seconds", "seconds"),
];

const ROTATIONS: &[(&str, &str)] = &[
    ("rotation_years", "years"),
    ("rotation_months", "months"),
    ("rotation_days", "days"),
    ("rotation_hours", "hours"),
    ("rotation_minutes", "minutes"),
];

/// The parts of a timestamp every time type exposes.
const PARTS: &[&str] = &["year", "month", "day", "hour", "minute", "second", "unix"];

fn bad(message: impl Into<String>) -> ProviderError {
    ProviderError::Api(message.into())
}

fn parse(text: &str, what: &str) -> Result<Timestamp, ProviderError> {
    text.parse::<Timestamp>()
        .map_err(|e| bad(format!("{what} {text:?} is not an RFC 3339 timestamp: {e}")))
}

fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `t` plus whole units, as Go's `AddDate` then `Add` compute it (what hashicorp/time
/// uses): years, months and days move the calendar date and overflow into the next month
/// (January 31 plus one month is March 2 or 3), then hours, minutes and seconds are added.
fn add(t: Timestamp, amounts: &[(i64, &str)]) -> Result<Timestamp, ProviderError> {
    let range = |e: jiff::Error| bad(format!("time out of range: {e}"));
    let get = |unit: &str| -> i64 {
        amounts
            .iter()
            .filter(|(_, u)| *u == unit)
            .map(|(n, _)| n)
            .sum()
    };
    let z = t.to_zoned(jiff::tz::TimeZone::UTC);
    let months = (z.month() as i64 - 1) + get("months");
    let year = z.year() as i64 + get("years") + months.div_euclid(12);
    let month = months.rem_euclid(12) + 1;
    let year = i16::try_from(year).map_err(|_| bad("time out of range"))?;
    let first = jiff::civil::date(year, month as i8, 1);
    let date = first
        .checked_add((z.day() as i64 - 1 + get("days")).days())
        .map_err(range)?;
    let moved = date
        .to_datetime(z.time())
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(range)?
        .timestamp();
    let seconds = get("hours") * 3600 + get("minutes") * 60 + get("seconds");
    moved
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .map_err(range)
}

fn set_parts(m: &mut ValueMap, t: Timestamp) {
    let z = t.to_zoned(jiff::tz::TimeZone::UTC);
    let parts = [
        z.year() as i64,
        z.month() as i64,
        z.day() as i64,
        z.hour() as i64,
        z.minute() as i64,
        z.second() as i64,
        t.as_second(),
    ];
    for (name, v) in PARTS.iter().zip(parts) {
        m.insert(name.to_string(), Value::from(v));
    }
}

fn amounts(v: &Value, names: &[(&str, &'static str)]) -> Vec<(i64, &'static str)> {
    names
        .iter()
        .filter_map(|(attr, unit)| v.get_attr(attr).as_i64().map(|n| (n, *unit)))
        .collect()
}

/// A Go duration (`30s`, `1m30s`, `1.5h`) as jiff reads it.
fn duration(text: &str) -> Result<std::time::Duration, ProviderError> {
    let d: jiff::SignedDuration = text.parse().map_err(|e| {
        bad(format!(
            "{text:?} is not a duration such as \"30s\" or \"1m30s\": {e}"
        ))
    })?;
    std::time::Duration::try_from(d).map_err(|_| bad(format!("{text:?} is negative")))
}

/// The longest `time_sleep` mlform waits: one hour, so a typo cannot hang an apply for days.
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(3600);

async fn sleep(text: Option<&str>) -> Result<(), ProviderError> {
    if let Some(t) = text {
        let d = duration(t)?;
        if d > MAX_SLEEP {
            return Err(bad(format!(
                "{t:?} is longer than one hour, the longest time_sleep mlform waits"
            )));
        }
        tokio::time::sleep(d).await;
    }
    Ok(())
}

impl Time {
    fn computed_times(&self, planned: &Value, now: Timestamp) -> Result<Value, ProviderError> {
        let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
        match self.0 {
            Kind::Static => {
                let t = match planned.get_attr("rfc3339").as_str() {
                    Some(s) => parse(s, "rfc3339")?,
                    None => now,
                };
                m.insert("rfc3339".into(), Value::string(rfc3339(t)));
                m.insert("id".into(), Value::string(rfc3339(t)));
                set_parts(&mut m, t);
            }
            Kind::Offset => {
                let base = match planned.get_attr("base_rfc3339").as_str() {
                    Some(s) => parse(s, "base_rfc3339")?,
                    None => now,
                };
                let offsets = amounts(planned, OFFSETS);
                if offsets.is_empty() {
                    return Err(bad("time_offset needs at least one offset_* argument"));
                }
                let t = add(base, &offsets)?;
                m.insert("base_rfc3339".into(), Value::string(rfc3339(base)));
                m.insert("id".into(), Value::string(rfc3339(base)));
                m.insert("rfc3339".into(), Value::string(rfc3339(t)));
                set_parts(&mut m, t);
            }
            Kind::Sleep => {
                m.insert("id".into(), Value::string(rfc3339(now)));
            }
            Kind::Rotating => {
                let base = match planned.get_attr("rfc3339").as_str() {
                    Some(s) => parse(s, "rfc3339")?,
                    None => now,
                };
                let rotation = match planned.get_attr("rotation_rfc3339").as_str() {
                    Some(s) if amounts(planned, ROTATIONS).is_empty() => {
                        parse(s, "rotation_rfc3339")?
                    }
                    _ => {
                        let r = amounts(planned, ROTATIONS);
                        if r.is_empty() {
                            return Err(bad(
                                "time_rotating needs rotation_rfc3339 or a rotation_* argument",
                            ));
                        }
                        add(base, &r)?
                    }
                };
                m.insert("rfc3339".into(), Value::string(rfc3339(base)));
                m.insert("id".into(), Value::string(rfc3339(base)));
                m.insert("rotation_rfc3339".into(), Value::string(rfc3339(rotation)));
                set_parts(&mut m, base);
            }
        }
        Ok(Value::Map(m))
    }
}

fn triggers() -> Attribute {
    Attribute::optional(Type::map(Type::String))
        .force_new()
        .describe("Arbitrary values that, when changed, replace the resource.")
}

fn parts(s: Schema) -> Schema {
    PARTS
        .iter()
        .fold(s, |s, p| s.attr(p, Attribute::computed(Type::Number)))
}

#[async_trait::async_trait]
impl Resource for Time {
    fn schema(&self) -> Schema {
        let s = Schema::new()
            .attr("triggers", triggers())
            .attr("id", Attribute::computed(Type::String));
        match self.0 {
            Kind::Static => parts(s.attr(
                "rfc3339",
                Attribute::optional_computed(Type::String).force_new(),
            )),
            Kind::Offset => {
                let s = OFFSETS.iter().fold(s, |s, (name, _)| {
                    s.attr(name, Attribute::optional(Type::Number))
                });
                parts(
                    s.attr(
                        "base_rfc3339",
                        Attribute::optional_computed(Type::String).force_new(),
                    )
                    .attr("rfc3339", Attribute::computed(Type::String)),
                )
            }
            Kind::Sleep => s
                .attr("create_duration", Attribute::optional(Type::String))
                .attr("destroy_duration", Attribute::optional(Type::String)),
            Kind::Rotating => {
                let s = ROTATIONS.iter().fold(s, |s, (name, _)| {
                    s.attr(name, Attribute::optional(Type::Number).force_new())
                });
                parts(
                    s.attr(
                        "rfc3339",
                        Attribute::optional_computed(Type::String).force_new(),
                    )
                    .attr(
                        "rotation_rfc3339",
                        Attribute::optional_computed(Type::String).force_new(),
                    ),
                )
            }
        }
    }

    /// A rotating time whose rotation has come is gone: the plan creates it again.
    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        if self.0 == Kind::Rotating {
            if let Some(r) = prior.get_attr("rotation_rfc3339").as_str() {
                if Timestamp::now() >= parse(r, "rotation_rfc3339")? {
                    return Ok(None);
                }
            }
        }
        Ok(Some(prior.clone()))
    }

    /// The schema planner, except that a changed offset updates `time_offset`'s results in
    /// place, and `rfc3339`/`rotation_rfc3339` left unset keep what create chose.
    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut planned = plan_by_schema(&self.schema(), request.clone())?;
        if let (Kind::Offset, Some(prior)) = (self.0, request.prior) {
            let changed = OFFSETS.iter().any(|(name, _)| {
                !prior
                    .get_attr(name)
                    .same_data(request.config.get_attr(name))
            });
            if changed && planned.requires_replace.is_empty() {
                if let Value::Map(m) = &mut planned.state {
                    m.insert("rfc3339".into(), Value::Unknown);
                    for p in PARTS {
                        m.insert(p.to_string(), Value::Unknown);
                    }
                }
            }
        }
        Ok(planned)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        if self.0 == Kind::Sleep {
            sleep(planned.get_attr("create_duration").as_str()).await?;
        }
        self.computed_times(planned, Timestamp::now())
    }

    /// Only `time_offset` updates in place (a changed offset): its results are computed
    /// again from the kept base; every other argument replaces.
    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        match self.0 {
            Kind::Offset => self.computed_times(planned, Timestamp::now()),
            _ => Ok(planned.clone()),
        }
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        if self.0 == Kind::Sleep {
            sleep(prior.get_attr("destroy_duration").as_str()).await?;
        }
        Ok(())
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let mut m = ValueMap::new();
        for name in self.schema().attributes.keys() {
            m.insert(name.clone(), Value::Null);
        }
        match self.0 {
            Kind::Static => {
                m.insert("rfc3339".into(), Value::from(id));
            }
            Kind::Offset => {
                // BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS, as hashicorp/time.
                let parts: Vec<&str> = id.split(',').collect();
                if parts.len() != 7 {
                    return Err(bad(format!(
                        "invalid import ID {id:?}: expected BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS"
                    )));
                }
                m.insert("base_rfc3339".into(), Value::from(parts[0]));
                for ((name, _), n) in OFFSETS.iter().zip(&parts[1..]) {
                    if !n.is_empty() {
                        let v: i64 = n
                            .parse()
                            .map_err(|_| bad(format!("{n:?} is not a whole number")))?;
                        m.insert(name.to_string(), Value::from(v));
                    }
                }
            }
            Kind::Sleep => {
                // CREATE_DURATION,DESTROY_DURATION, as hashicorp/time.
                let (c, d) = id.split_once(',').unwrap_or((id, ""));
                for (name, v) in [("create_duration", c), ("destroy_duration", d)] {
                    if !v.is_empty() {
                        duration(v)?;
                        m.insert(name.into(), Value::from(v));
                    }
                }
                return Ok(Some(Value::Map(
                    self.computed_times(&Value::Map(m), Timestamp::now())?
                        .as_map()
                        .cloned()
                        .unwrap_or_default(),
                )));
            }
            Kind::Rotating => {
                // BASE_RFC3339,ROTATION_RFC3339, as hashicorp/time.
                let Some((base, rotation)) = id.split_once(',') else {
                    return Err(bad(format!(
                        "invalid import ID {id:?}: expected BASE_RFC3339,ROTATION_RFC3339"
                    )));
                };
                m.insert("rfc3339".into(), Value::from(base));
                m.insert("rotation_rfc3339".into(), Value::from(rotation));
            }
        }
        self.computed_times(&Value::Map(m), Timestamp::now())
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn offsets_follow_the_calendar() {
        let base = t("2024-01-31T10:00:00Z");
        assert_eq!(
            rfc3339(add(base, &[(1, "months")]).unwrap()),
            "2024-03-02T10:00:00Z"
        );
        assert_eq!(
            rfc3339(add(base, &[(-1, "years"), (2, "hours")]).unwrap()),
            "2023-01-31T12:00:00Z"
        );
    }

    #[tokio::test]
    async fn static_and_offset_expose_their_parts() {
        let r = resource("time_offset").unwrap();
        let config = Value::object([
            ("base_rfc3339", Value::from("2020-02-28T23:30:00Z")),
            ("offset_days", Value::from(1i64)),
            ("offset_hours", Value::from(1i64)),
        ]);
        let planned = r
            .plan(PlanRequest {
                prior: None,
                config: &config,
            })
            .unwrap()
            .state;
        let s = r.create(&planned).await.unwrap();
        assert_eq!(s.get_attr("rfc3339").as_str(), Some("2020-03-01T00:30:00Z"));
        assert_eq!(s.get_attr("day"), &Value::from(1i64));
        let imported = resource("time_static")
            .unwrap()
            .import("2021-06-01T00:00:00Z")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(imported.get_attr("unix"), &Value::from(1622505600i64));
    }

    #[tokio::test]
    async fn rotation_passed_means_gone() {
        let r = resource("time_rotating").unwrap();
        let old = r
            .import("2020-01-01T00:00:00Z,2020-02-01T00:00:00Z")
            .await
            .unwrap()
            .unwrap();
        assert!(r.read(&old).await.unwrap().is_none());
        assert!(duration("1m30s").unwrap().as_secs() == 90);
        assert!(sleep(Some("2h")).await.is_err());
    }
}
