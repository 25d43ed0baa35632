//! The provider contract of mlform: one [`Value`] type shared by configuration, state and
//! plans, the [`Schema`] a resource type declares, and the [`Provider`] / [`Resource`]
//! traits whose doc comments are the contract every provider follows. This crate is light on
//! purpose: provider crates depend on it, never on the engine.

mod error;
mod keys;
pub mod mock;
mod number;
mod planner;
mod provider;
mod schema;
mod store;
mod timeouts;
mod value;
mod value_map;
mod waiter;

pub use error::{error_chain, ProviderError};
pub use keys::KeyService;
pub use num_bigint::BigUint;
pub use number::{Number, NumberError, LITERAL_PRECISION, MAX_BINARY_EXPONENT, MAX_NUMBER_TEXT};
pub use planner::plan_by_schema;
pub use provider::{
    Configured, DataSource, PlanRequest, Planned, Provider, ProviderSchema, Resource, StateUpgrade,
};
pub use schema::{Attribute, NestedBlock, Nesting, Schema, Type};
pub use store::{ObjectStore, StoreError};
pub use timeouts::parse_timeout;
pub use value::{path_to_string, Path, PathStep, Value};
pub use value_map::ValueMap;
pub use waiter::{poll_until, Poll};
