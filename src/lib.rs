//! mlform: plan and apply ML platforms as code. The library holds the engine (configuration,
//! evaluation, graph, state, plan, apply, rendering) and the command line; `main.rs` only
//! calls [`cli::run`].

pub mod addr;
pub mod cli;
pub mod config;
pub mod diag;
pub mod engine;
pub mod eval;
pub mod fmt;
pub mod graph;
pub mod plan;
pub mod render;
pub mod review;
pub mod state;
pub mod syntax;
pub mod testing;
