//! `mlform plan`: refresh, plan, render; optionally save the plan (`-out`).

use clap::Args;

use super::{CliError, CliResult, Ctx, PlanFlags};
use crate::addr::parse_target;
use crate::engine::{Engine, Options};
use crate::plan::{Action, Plan, PlanMode};
use crate::render::human::{render_plan, Style};

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Write the plan to the given path, to be applied later with `mlform apply PATH`.
    #[arg(long, value_name = "PATH")]
    out: Option<std::path::PathBuf>,
    /// Return exit code 2 when the plan has changes (0: none, 1: error).
    #[arg(long = "detailed-exitcode")]
    detailed_exitcode: bool,
    /// Stream machine-readable UI events, one JSON object per line.
    #[arg(long)]
    json: bool,
    /// Also write the plan as a pull-request comment in markdown to the given path.
    #[arg(long, value_name = "PATH")]
    markdown: Option<std::path::PathBuf>,
    /// Write resource blocks for `import` blocks that have none to this new file, then plan.
    #[arg(long = "generate-config-out", value_name = "PATH")]
    generate_config_out: Option<std::path::PathBuf>,
    /// Skip the built-in policy checks (see `mlform check`).
    #[arg(long = "no-checks")]
    no_checks: bool,
    #[command(flatten)]
    pub flags: PlanFlags,
}

/// Builds planning options from flags; address errors are reported as diagnostics.
pub(super) fn options(flags: &PlanFlags, destroy: bool) -> Result<Options, CliError> {
    let parse = |list: &[String], flag: &str| -> Result<Vec<crate::addr::Target>, CliError> {
        list.iter()
            .map(|s| {
                parse_target(s)
                    .map_err(|e| CliError::Message(format!("Invalid {flag} address: {e}")))
            })
            .collect()
    };
    if flags.destroy && flags.refresh_only {
        return Err(CliError::Message("Incompatible plan mode options: the -destroy and -refresh-only options are mutually exclusive.".into()));
    }
    if flags.minimal_refresh && (flags.refresh_only || !flags.refresh) {
        return Err(CliError::Message("Incompatible refresh options: -minimal-refresh refreshes what changed; it cannot be combined with -refresh-only or -refresh=false.".into()));
    }
    if flags.parallelism == 0 {
        return Err(CliError::Message(
            "The -parallelism value must be at least 1.".into(),
        ));
    }
    Ok(Options {
        mode: if flags.destroy || destroy {
            PlanMode::Destroy
        } else if flags.refresh_only {
            PlanMode::RefreshOnly
        } else {
            PlanMode::Normal
        },
        refresh: flags.refresh,
        minimal_refresh: flags.minimal_refresh,
        targets: parse(&flags.target, "-target")?,
        replace: parse(&flags.replace, "-replace")?,
        parallelism: flags.parallelism,
    })
}

/// Loads configuration, variables and state, and plans. Shared by plan and apply.
pub(super) async fn make_plan(
    ctx: &Ctx,
    flags: &PlanFlags,
    destroy: bool,
    quiet: bool,
    json: bool,
    operation: &str,
) -> Result<
    (
        Engine,
        Plan,
        crate::state::State,
        Option<crate::state::backend::StateLock>,
        crate::state::backend::Backend,
    ),
    CliError,
> {
    let mut engine = ctx.load_engine()?;
    let variables = ctx.variables(&mut engine)?;
    let opts = options(flags, destroy)?;
    let backend = ctx
        .backend_with(
            &flags.state,
            super::backend::StateConfig::of(&engine.config),
        )
        .await?;
    let lock = ctx.lock(&backend, &flags.state, operation).await?;
    let state = super::load_state(&backend).await?;
    let progress: Box<dyn crate::engine::Reporter> = if json {
        Box::new(super::progress_json::JsonProgress::new())
    } else {
        Box::new(super::progress::Progress::new(quiet))
    };
    let (mut plan, warnings) = engine
        .plan(&state, &variables, &opts, &ctx.stop, progress.as_ref())
        .await
        .map_err(|d| CliError::Diagnostics(d, engine.sources.clone()))?;
    plan.variables = variables;
    ctx.print_diags(&warnings, &engine.sources);
    if !opts.targets.is_empty() && !quiet {
        println!("\nWarning: Resource targeting is in effect\n\nYou are creating a plan with the -target option, which means that the result\nof this plan may not represent all of the changes requested by the current\nconfiguration.\n");
    }
    Ok((engine, plan, state, lock, backend))
}

pub async fn plan(ctx: &Ctx, args: PlanArgs) -> CliResult {
    let generated = match &args.generate_config_out {
        Some(out) => super::generate::generate(ctx, out).await?,
        None => Vec::new(),
    };
    if args.json {
        println!(
            "{}",
            crate::render::json_stream::plan_events(&Plan::default()).remove(0)
        );
    }
    let (engine, mut plan, _, _lock, _) = match make_plan(
        ctx,
        &args.flags,
        false,
        args.json,
        args.json,
        "OperationTypePlan",
    )
    .await
    {
        Ok(r) => r,
        Err(CliError::Diagnostics(d, s)) if args.json => {
            for diag in &d {
                println!(
                    "{}",
                    serde_json::json!({"@level": "error", "@message": format!("Error: {}", diag.summary), "type": "diagnostic", "diagnostic": {"severity": "error", "summary": diag.summary, "detail": diag.detail}})
                );
            }
            let _ = s;
            return Ok(1);
        }
        Err(e) => return Err(e),
    };
    for c in plan.changes.iter_mut() {
        if c.importing.is_some() && generated.contains(&c.addr.to_string()) {
            c.reason = Some("config will be generated".into());
        }
    }
    if args.json {
        for event in crate::render::json_stream::plan_events(&plan)
            .into_iter()
            .skip(1)
        {
            println!("{event}");
        }
    } else {
        let outputs_change = plan.outputs.iter().any(|o| o.action != Action::NoOp);
        if !plan.changes.is_empty() || !plan.drift.is_empty() || outputs_change {
            println!();
        }
        print!("{}", render_plan(&plan, Style { color: ctx.color }));
        // A pipeline that applies with MLFORM_ROLLBACK=auto sees what it could not undo.
        if plan.mode != PlanMode::Destroy && super::apply::rollback_mode(None).unwrap_or(false) {
            print!("{}", crate::render::rollback::render_irreversible(&plan));
        }
    }
    let findings = if args.no_checks {
        Vec::new()
    } else {
        crate::review::checks::check(&plan, &plan.config_files)
    };
    if !args.json && findings.iter().any(|f| f.suppressed.is_none()) {
        println!(
            "\n{}",
            crate::review::checks::render_text(&findings).trim_end()
        );
    }
    if let Some(md) = &args.markdown {
        let path = if md.is_absolute() {
            md.clone()
        } else {
            ctx.dir.join(md)
        };
        let text = crate::render::markdown::render(
            &plan,
            &findings,
            crate::render::markdown::GITHUB_COMMENT_LIMIT,
        );
        std::fs::write(&path, text).map_err(|e| {
            CliError::Message(format!(
                "Failed to write the markdown to {}: {e}",
                md.display()
            ))
        })?;
    }
    if let (Some(out), false, false) = (&args.generate_config_out, generated.is_empty(), args.json)
    {
        println!(
            "\n{}\n\nmlform has generated configuration and written it to {} for {}. Please\nreview the configuration and edit it as necessary before adding it to version\ncontrol.",
            "─".repeat(77),
            out.display(),
            generated.join(", ")
        );
    }
    if let Some(out) = &args.out {
        let path = if out.is_absolute() {
            out.clone()
        } else {
            ctx.dir.join(out)
        };
        crate::plan::file::save(
            &plan,
            &path,
            &super::backend::StateConfig::of(&engine.config)
                .encryption()?
                .plan,
        )?;
        if !args.json {
            println!("\n{}\n\nSaved the plan to: {}\n\nTo perform exactly these actions, run the following command to apply:\n    mlform apply {:?}", "─".repeat(77), out.display(), out.display().to_string());
        }
    } else if !args.json && plan.has_changes() {
        println!("\n{}\n\nNote: You didn't use the -out option to save this plan, so mlform can't\nguarantee to take exactly these actions if you run \"mlform apply\" now.", "─".repeat(77));
    }
    let _ = engine;
    Ok(if args.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}
