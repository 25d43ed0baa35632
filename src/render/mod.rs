//! Rendering: the differ ([`diff`]) computes what changed once; the renderers turn plans,
//! drift and outputs into human text ([`human`]) and JSON ([`json`]).

pub mod diff;
pub mod human;
pub mod json;
