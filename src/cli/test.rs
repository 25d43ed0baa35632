//! `mlform test`: runs the configuration's `*.tftest.hcl` files (see [`crate::testing`]).

use std::path::PathBuf;

use clap::Args;

use super::{CliError, CliResult, Ctx};
use crate::testing::{Printer, Runner, TestOptions};

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Only run this test file (a path relative to the configuration; repeatable).
    #[arg(long, value_name = "FILE")]
    filter: Vec<String>,
    /// The directory of test files besides the configuration's own.
    #[arg(long = "test-directory", value_name = "DIR", default_value = "tests")]
    test_directory: String,
    /// Set a value for one of the input variables (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    var: Vec<String>,
    /// Load variable values from the given file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_file: Vec<PathBuf>,
    /// Print the plan or state of each run.
    #[arg(long)]
    verbose: bool,
    /// Also write the results as JUnit XML to this file.
    #[arg(long = "junit-xml", value_name = "FILE")]
    junit_xml: Option<PathBuf>,
    /// Limit the number of concurrent operations within a run.
    #[arg(long, default_value_t = 10)]
    parallelism: usize,
}

pub async fn test(ctx: &Ctx, args: TestArgs) -> CliResult {
    let printer = Printer {
        color: ctx.color,
        verbose: args.verbose,
    };
    let runner = Runner::new(
        TestOptions {
            dir: ctx.dir.clone(),
            test_directory: args.test_directory.clone(),
            filter: args.filter.clone(),
            var_args: ctx.var_args.clone(),
            env: std::env::vars().collect(),
            registry: super::registry(&ctx.dir),
            verbose: args.verbose,
            parallelism: args.parallelism.max(1),
        },
        &ctx.stop,
    );
    let mut printer = printer;
    let outcome = match runner.run(&mut printer).await {
        Ok(o) => o,
        Err((diags, sources)) => return Err(CliError::Diagnostics(diags, sources)),
    };
    printer.summary(&outcome);
    if let Some(path) = &args.junit_xml {
        let path = if path.is_absolute() {
            path.clone()
        } else {
            ctx.dir.join(path)
        };
        std::fs::write(&path, crate::testing::report::junit(&outcome)).map_err(|e| {
            CliError::Message(format!(
                "Failed to write the JUnit XML report to {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(if outcome.success() { 0 } else { 1 })
}
