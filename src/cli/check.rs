//! `mlform check`: the built-in policy checks over a saved plan or a fresh one, as text,
//! JSON or SARIF 2.1.0. Exit code 0 when nothing unsuppressed reaches the severity
//! threshold, 2 when something does, 1 on errors.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, CliResult, Ctx, PlanFlags};
use crate::review::checks::{self, Severity};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Output format: text, json or sarif.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "sarif"])]
    format: String,
    /// Lowest severity that makes the exit code 2: note, warning or error.
    #[arg(long = "severity-threshold", default_value = "error")]
    severity_threshold: String,
    /// A saved plan file; without it, mlform plans the configuration first.
    path: Option<PathBuf>,
    #[command(flatten)]
    pub flags: PlanFlags,
}

pub async fn check(ctx: &Ctx, args: CheckArgs) -> CliResult {
    let threshold = Severity::parse(&args.severity_threshold).ok_or_else(|| {
        CliError::Message(format!(
            "Invalid -severity-threshold {:?}: use note, warning or error.",
            args.severity_threshold
        ))
    })?;
    let plan = match &args.path {
        Some(p) => {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                ctx.dir.join(p)
            };
            crate::plan::file::load(&path, &ctx.state_config()?.encryption()?.plan)?
        }
        None => {
            super::plan::make_plan(ctx, &args.flags, false, true, false, "OperationTypePlan")
                .await?
                .1
        }
    };
    let findings = checks::check(&plan, &plan.config_files);
    match args.format.as_str() {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&checks::render_json(&findings)).unwrap_or_default()
        ),
        "sarif" => println!(
            "{}",
            serde_json::to_string_pretty(&checks::render_sarif(
                &findings,
                env!("CARGO_PKG_VERSION")
            ))
            .unwrap_or_default()
        ),
        _ => print!("{}", checks::render_text(&findings)),
    }
    Ok(if checks::failing(&findings, threshold) > 0 {
        2
    } else {
        0
    })
}
