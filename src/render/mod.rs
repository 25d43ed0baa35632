//! Rendering: the differ ([`diff`]) computes what changed once; the renderers turn plans,
//! drift and outputs into human text ([`human`]), JSON ([`json`], the plan document;
//! [`json_stream`], the line-per-message UI stream) and the markdown of a
//! pull-request comment ([`markdown`]); [`state`] prints a state as `show` does;
//! [`rollback`] summarizes the undoing of a failed apply.

pub mod diff;
pub mod human;
pub mod json;
pub mod json_stream;
pub mod markdown;
pub mod rollback;
pub mod state;
pub mod values;
