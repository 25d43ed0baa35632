//! The built-in `random` provider (source `registry.terraform.io/hashicorp/random`), with
//! hashicorp/random's resource types, attributes and import IDs: random_id, random_string,
//! random_password, random_integer, random_uuid, random_pet and random_shuffle. Every
//! argument replaces the object when it changes (`keepers` exists for that alone); values
//! come from the operating system's generator, or from `seed` where the type takes one.

use std::sync::Arc;

use crate::table::{no_data_source, Table};
use base64::Engine as _;
use mlform_provider::{
    plan_by_schema, Attribute, BigUint, PlanRequest, Planned, Provider, ProviderError, Resource,
    Schema, Type, Value, ValueMap,
};
use rand::{Rng, RngCore, SeedableRng};

mod words;

/// The `random` provider.
pub struct RandomProvider;

impl RandomProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(Table {
            name: "random",
            source: "registry.terraform.io/hashicorp/random",
            resources: TYPES,
            data_sources: &[],
            resource,
            data_source: no_data_source,
        })
    }
}

const TYPES: &[&str] = &[
    "random_id",
    "random_string",
    "random_password",
    "random_integer",
    "random_uuid",
    "random_pet",
    "random_shuffle",
];

fn resource(type_name: &str) -> Option<Arc<dyn Resource>> {
    let kind = match type_name {
        "random_id" => Kind::Id,
        "random_string" => Kind::String { password: false },
        "random_password" => Kind::String { password: true },
        "random_integer" => Kind::Integer,
        "random_uuid" => Kind::Uuid,
        "random_pet" => Kind::Pet,
        "random_shuffle" => Kind::Shuffle,
        _ => return None,
    };
    Some(Arc::new(Random(kind)))
}

#[derive(Clone, Copy)]
enum Kind {
    Id,
    String { password: bool },
    Integer,
    Uuid,
    Pet,
    Shuffle,
}

struct Random(Kind);

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

fn keepers() -> Attribute {
    Attribute::optional(Type::map(Type::String))
        .force_new()
        .describe("Arbitrary values that, when changed, generate a new value.")
}

fn input(ty: Type) -> Attribute {
    Attribute::required(ty).force_new()
}

fn option(ty: Type) -> Attribute {
    Attribute::optional(ty).force_new()
}

fn bad(message: impl Into<String>) -> ProviderError {
    ProviderError::Api(message.into())
}

fn int_attr(v: &Value, name: &str) -> Result<Option<i64>, ProviderError> {
    match v.get_attr(name) {
        Value::Null => Ok(None),
        n => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{name} must be a whole number"))),
    }
}

fn bool_attr(v: &Value, name: &str) -> bool {
    v.get_attr(name).as_bool().unwrap_or(true)
}

/// A generator: the system's, or one seeded from `seed` (the same seed, the same values).
fn rng(seed: Option<&str>) -> Box<dyn RngCore> {
    match seed {
        Some(s) => {
            // FNV-1a: a stable hash of the seed text.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in s.bytes() {
                h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
            Box::new(rand::rngs::StdRng::seed_from_u64(h))
        }
        None => Box::new(rand::rngs::OsRng),
    }
}

impl Random {
    /// An imported object: what the ID tells, schema defaults for the rest.
    fn with_defaults(&self, mut m: ValueMap) -> Value {
        for (name, attr) in &self.schema().attributes {
            if !m.contains_key(name.as_str()) {
                m.insert(name.clone(), attr.default.clone().unwrap_or(Value::Null));
            }
        }
        Value::Map(m)
    }

    fn generate(&self, planned: &Value) -> Result<Value, ProviderError> {
        let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
        match self.0 {
            Kind::Id => {
                let n = int_attr(planned, "byte_length")?.unwrap_or(0);
                if n < 1 {
                    return Err(bad("byte_length must be at least 1"));
                }
                let mut bytes = vec![0u8; n as usize];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                id_values(
                    &mut m,
                    &bytes,
                    planned.get_attr("prefix").as_str().unwrap_or(""),
                );
            }
            Kind::String { password } => {
                let result = random_string(planned)?;
                m.insert(
                    "result".into(),
                    Value::string(&result).mark_sensitive_if(password),
                );
                if password {
                    let hash = bcrypt::hash(&result, bcrypt::DEFAULT_COST)
                        .map_err(|e| bad(format!("hashing the password: {e}")))?;
                    m.insert("bcrypt_hash".into(), Value::string(hash).into_sensitive());
                    m.insert("id".into(), Value::from("none"));
                } else {
                    m.insert("id".into(), Value::string(result));
                }
            }
            Kind::Integer => {
                let min = int_attr(planned, "min")?.unwrap_or(0);
                let max = int_attr(planned, "max")?.unwrap_or(0);
                if max < min {
                    return Err(bad(
                        "minimum value needs to be smaller than or equal to maximum value",
                    ));
                }
                let result = rng(planned.get_attr("seed").as_str()).gen_range(min..=max);
                m.insert("result".into(), Value::from(result));
                m.insert("id".into(), Value::string(result.to_string()));
            }
            Kind::Uuid => {
                let id = uuid::Uuid::new_v4().to_string();
                m.insert("result".into(), Value::string(&id));
                m.insert("id".into(), Value::string(id));
            }
            Kind::Pet => {
                let name = words::pet(
                    &mut rand::rngs::OsRng,
                    int_attr(planned, "length")?.unwrap_or(2).max(1) as usize,
                    planned.get_attr("separator").as_str().unwrap_or("-"),
                    planned.get_attr("prefix").as_str(),
                );
                m.insert("id".into(), Value::string(name));
            }
            Kind::Shuffle => {
                let mut items: Vec<Value> = planned
                    .get_attr("input")
                    .as_list()
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default();
                let mut r = rng(planned.get_attr("seed").as_str());
                for i in (1..items.len()).rev() {
                    items.swap(i, r.gen_range(0..=i));
                }
                if let Some(n) = int_attr(planned, "result_count")? {
                    if n < 0 {
                        return Err(bad("result_count must not be negative"));
                    }
                    items.truncate(n as usize);
                }
                m.insert("result".into(), Value::List(items));
                m.insert("id".into(), Value::from("-"));
            }
        }
        Ok(Value::Map(m))
    }
}

/// The encodings of random_id's bytes, each after `prefix` but `id`.
fn id_values(m: &mut ValueMap, bytes: &[u8], prefix: &str) {
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let std = base64::engine::general_purpose::STANDARD.encode(bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dec = BigUint::from_bytes_be(bytes).to_string();
    m.insert("id".into(), Value::string(&url));
    m.insert("b64_url".into(), Value::string(format!("{prefix}{url}")));
    m.insert("b64_std".into(), Value::string(format!("{prefix}{std}")));
    m.insert("hex".into(), Value::string(format!("{prefix}{hex}")));
    m.insert("dec".into(), Value::string(format!("{prefix}{dec}")));
}

/// random_string's rule: the minimum of each class first, the rest from every enabled
/// class, then shuffled.
fn random_string(planned: &Value) -> Result<String, ProviderError> {
    let length = int_attr(planned, "length")?.unwrap_or(0);
    if !(1..=1_000_000).contains(&length) {
        return Err(bad("length must be between 1 and 1000000"));
    }
    let special = planned
        .get_attr("override_special")
        .as_str()
        .unwrap_or(SPECIAL)
        .to_string();
    let classes = [
        (bool_attr(planned, "lower"), "min_lower", LOWER.to_string()),
        (bool_attr(planned, "upper"), "min_upper", UPPER.to_string()),
        (
            bool_attr(planned, "numeric") && bool_attr(planned, "number"),
            "min_numeric",
            NUMERIC.to_string(),
        ),
        (bool_attr(planned, "special"), "min_special", special),
    ];
    let mut r = rand::rngs::OsRng;
    let mut out: Vec<char> = Vec::new();
    let mut pool: Vec<char> = Vec::new();
    for (enabled, min_name, chars) in &classes {
        let chars: Vec<char> = chars.chars().collect();
        let min = int_attr(planned, min_name)?.unwrap_or(0).max(0);
        for _ in 0..min {
            if !chars.is_empty() {
                out.push(chars[r.gen_range(0..chars.len())]);
            }
        }
        if *enabled {
            pool.extend(chars);
        }
    }
    if pool.is_empty() && (out.len() as i64) < length {
        return Err(bad(
            "at least one of lower, upper, numeric and special must be true",
        ));
    }
    while (out.len() as i64) < length {
        out.push(pool[r.gen_range(0..pool.len())]);
    }
    for i in (1..out.len()).rev() {
        out.swap(i, r.gen_range(0..=i));
    }
    Ok(out.into_iter().collect())
}

#[async_trait::async_trait]
impl Resource for Random {
    fn schema(&self) -> Schema {
        let s = Schema::new().attr("keepers", keepers());
        match self.0 {
            Kind::Id => s
                .attr(
                    "byte_length",
                    input(Type::Number).describe("The number of random bytes."),
                )
                .attr("prefix", option(Type::String))
                .attr("id", Attribute::computed(Type::String))
                .attr("b64_url", Attribute::computed(Type::String))
                .attr("b64_std", Attribute::computed(Type::String))
                .attr("hex", Attribute::computed(Type::String))
                .attr("dec", Attribute::computed(Type::String)),
            Kind::String { password } => {
                let result = Attribute::computed(Type::String);
                let s = s
                    .attr(
                        "length",
                        input(Type::Number).describe("The length of the string."),
                    )
                    .attr("lower", option(Type::Bool).default(true))
                    .attr("upper", option(Type::Bool).default(true))
                    .attr("numeric", option(Type::Bool).default(true))
                    .attr(
                        "number",
                        option(Type::Bool)
                            .default(true)
                            .describe("Deprecated spelling of `numeric`; both must allow digits."),
                    )
                    .attr("special", option(Type::Bool).default(true))
                    .attr("min_lower", option(Type::Number).default(0i64))
                    .attr("min_upper", option(Type::Number).default(0i64))
                    .attr("min_numeric", option(Type::Number).default(0i64))
                    .attr("min_special", option(Type::Number).default(0i64))
                    .attr("override_special", option(Type::String))
                    .attr("id", Attribute::computed(Type::String));
                if password {
                    s.attr("result", result.sensitive())
                        .attr("bcrypt_hash", Attribute::computed(Type::String).sensitive())
                } else {
                    s.attr("result", result)
                }
            }
            Kind::Integer => s
                .attr("min", input(Type::Number))
                .attr("max", input(Type::Number))
                .attr("seed", option(Type::String))
                .attr("id", Attribute::computed(Type::String))
                .attr("result", Attribute::computed(Type::Number)),
            Kind::Uuid => s
                .attr("id", Attribute::computed(Type::String))
                .attr("result", Attribute::computed(Type::String)),
            Kind::Pet => s
                .attr("length", option(Type::Number).default(2i64))
                .attr("separator", option(Type::String).default("-"))
                .attr("prefix", option(Type::String))
                .attr("id", Attribute::computed(Type::String)),
            Kind::Shuffle => s
                .attr("input", input(Type::list(Type::String)))
                .attr("result_count", option(Type::Number))
                .attr("seed", option(Type::String))
                .attr("id", Attribute::computed(Type::String))
                .attr("result", Attribute::computed(Type::list(Type::String))),
        }
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(prior.clone()))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        plan_by_schema(&self.schema(), request)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        self.generate(planned)
    }

    /// Every argument replaces; an update only records what did not change.
    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let defaults = |v: Vec<(&str, Value)>| self.with_defaults(v.into_iter().collect());
        Ok(Some(match self.0 {
            Kind::Id => {
                let (prefix, b64) = id.split_once(',').unwrap_or(("", id));
                let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(b64)
                    .map_err(|_| bad(format!("{b64:?} is not URL-safe base64 without padding")))?;
                let mut m: ValueMap = [("byte_length", Value::from(bytes.len()))]
                    .into_iter()
                    .collect();
                if !prefix.is_empty() {
                    m.insert("prefix".into(), Value::from(prefix));
                }
                id_values(&mut m, &bytes, prefix);
                self.with_defaults(m)
            }
            Kind::String { password } => {
                let len = id.chars().count();
                let mut v = vec![
                    ("length", Value::from(len)),
                    ("result", Value::from(id).mark_sensitive_if(password)),
                    ("id", Value::from(if password { "none" } else { id })),
                ];
                if password {
                    let hash = bcrypt::hash(id, bcrypt::DEFAULT_COST)
                        .map_err(|e| bad(format!("hashing the password: {e}")))?;
                    v.push(("bcrypt_hash", Value::string(hash).into_sensitive()));
                }
                defaults(v)
            }
            Kind::Integer => {
                let parts: Vec<&str> = id.split(',').collect();
                let num = |s: &str| {
                    s.parse::<i64>()
                        .map_err(|_| bad(format!("{s:?} is not a whole number")))
                };
                let (result, min, max, seed) = match parts.as_slice() {
                    [r, a, b] => (num(r)?, num(a)?, num(b)?, None),
                    [r, a, b, s] => (num(r)?, num(a)?, num(b)?, Some(*s)),
                    _ => {
                        return Err(bad(format!(
                            "invalid import ID {id:?}: expected result,min,max or result,min,max,seed"
                        )))
                    }
                };
                defaults(vec![
                    ("result", Value::from(result)),
                    ("min", Value::from(min)),
                    ("max", Value::from(max)),
                    ("seed", seed.map(Value::from).unwrap_or(Value::Null)),
                    ("id", Value::from(result.to_string())),
                ])
            }
            Kind::Uuid => {
                let u = uuid::Uuid::parse_str(id)
                    .map_err(|_| bad(format!("{id:?} is not a UUID")))?;
                defaults(vec![
                    ("result", Value::string(u.to_string())),
                    ("id", Value::string(u.to_string())),
                ])
            }
            Kind::Pet | Kind::Shuffle => {
                return Err(bad(
                    "this resource type cannot be imported (hashicorp/random does not support it either)",
                ))
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(kind: &str, config: Value) -> Value {
        let r = resource(kind).unwrap();
        r.plan(PlanRequest {
            config: &config,
            prior: None,
        })
        .unwrap()
        .state
    }

    #[tokio::test]
    async fn strings_follow_their_rules() {
        let config = Value::object([
            ("length", Value::from(24i64)),
            ("special", Value::Bool(false)),
            ("min_upper", Value::from(5i64)),
        ]);
        let p = planned("random_string", config);
        assert_eq!(p.get_attr("lower"), &Value::Bool(true));
        let s = resource("random_string").unwrap().create(&p).await.unwrap();
        let result = s.get_attr("result").as_str().unwrap().to_string();
        assert_eq!(result.chars().count(), 24);
        assert!(result.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(result.chars().filter(char::is_ascii_uppercase).count() >= 5);
        assert_eq!(s.get_attr("id").as_str(), Some(result.as_str()));
    }

    #[tokio::test]
    async fn passwords_are_sensitive_and_hashed() {
        let p = planned(
            "random_password",
            Value::object([("length", Value::from(16i64))]),
        );
        let s = resource("random_password")
            .unwrap()
            .create(&p)
            .await
            .unwrap();
        assert!(s.get_attr("result").is_sensitive());
        let (hash, _) = s.get_attr("bcrypt_hash").unmark();
        let (pw, _) = s.get_attr("result").unmark();
        assert!(bcrypt::verify(pw.as_str().unwrap(), hash.as_str().unwrap()).unwrap());
        assert_eq!(s.get_attr("id").as_str(), Some("none"));
    }

    #[tokio::test]
    async fn seeded_values_repeat_and_ids_import() {
        let config = Value::object([
            ("min", Value::from(1i64)),
            ("max", Value::from(1000i64)),
            ("seed", Value::from("team-a")),
        ]);
        let r = resource("random_integer").unwrap();
        let a = r
            .create(&planned("random_integer", config.clone()))
            .await
            .unwrap();
        let b = r.create(&planned("random_integer", config)).await.unwrap();
        assert_eq!(a.get_attr("result"), b.get_attr("result"));
        let imported = r.import("7,1,10").await.unwrap().unwrap();
        assert_eq!(imported.get_attr("result"), &Value::from(7i64));
        let id = resource("random_id")
            .unwrap()
            .import("pre-,p-9E")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(id.get_attr("hex").as_str(), Some("pre-a7ef44"));
        assert_eq!(id.get_attr("byte_length"), &Value::from(3i64));
    }

    #[tokio::test]
    async fn pets_and_shuffles() {
        let p = planned("random_pet", Value::object([("length", Value::from(3i64))]));
        let s = resource("random_pet").unwrap().create(&p).await.unwrap();
        assert_eq!(s.get_attr("id").as_str().unwrap().split('-').count(), 3);
        let config = Value::object([
            (
                "input",
                Value::List(vec!["a".into(), "b".into(), "c".into()]),
            ),
            ("result_count", Value::from(2i64)),
        ]);
        let s = resource("random_shuffle")
            .unwrap()
            .create(&planned("random_shuffle", config))
            .await
            .unwrap();
        assert_eq!(s.get_attr("result").as_list().unwrap().len(), 2);
    }
}
