//! Evaluation of HCL expressions: values, references, type constraints and functions.

mod call;
mod cidr;
mod crypto;
mod encoding;
pub mod expr;
mod format;
pub mod functions;
mod gocompat;
mod goflate;
pub mod hclwrite;
pub mod refs;
mod template;
pub mod time;
pub mod types;
mod yamldecode;
