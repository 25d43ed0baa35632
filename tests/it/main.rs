//! mlform's integration tests: one binary that runs the real `mlform` executable against
//! fixture directories and temporary working directories.

mod aws;
mod aws_identity;
mod aws_ml;
mod aws_monitoring;
mod aws_s3_modules;
mod aws_services;
mod aws_serving;
mod aws_studio;
mod backends;
mod crash;
mod endpoint_modules;
mod examples;
mod fake_provider;
mod fixtures;
mod functions_reference;
mod fuzz;
mod hostile;
mod image;
mod image_auth;
mod kubernetes;
mod kubernetes_typed;
mod lifecycle;
mod module_sources;
mod plan_semantics;
mod property;
mod random;
mod refactoring;
mod review;
mod rollback;
mod rollback_live;
mod serve;
mod serve_clients;
mod support;
mod testing;
mod tls;
