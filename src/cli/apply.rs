//! `mlform apply` and `mlform destroy`: plan (or load a saved plan), confirm, execute. Every
//! finished resource is durable in the state journal before it counts as done; the journal
//! is folded into a new state snapshot at the end, also after errors and interrupts.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::Args;

use super::{CliError, CliResult, Ctx, PlanFlags};
use crate::plan::{Plan, PlanMode};
use crate::render::human::{render_plan, Style};
use crate::render::values::{console, render_outputs};
use crate::state::history::{RunRecord, RunResult};

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// Skip interactive approval of the plan before applying.
    #[arg(long = "auto-approve")]
    auto_approve: bool,
    /// A saved plan file from `mlform plan -out`.
    plan_file: Option<PathBuf>,
    /// `auto`: when a step fails, undo what this apply finished; `off` (the default, as
    /// Terraform): keep it and fix forward. Also MLFORM_ROLLBACK.
    #[arg(long, value_name = "auto|off")]
    rollback: Option<String>,
    /// Machine-readable output: one JSON message per line, as Terraform's `-json` (needs
    /// -auto-approve or a saved plan).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub flags: PlanFlags,
}

fn confirm(destroy: bool) -> Result<bool, CliError> {
    if !is_terminal::is_terminal(std::io::stdin()) {
        return Err(CliError::Message("No value for required variable \"approve\": mlform can't ask for confirmation because there is no terminal. Run with -auto-approve to apply without confirmation.".into()));
    }
    if destroy {
        print!("\nDo you really want to destroy all resources?\n  mlform will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm.\n\n  Enter a value: ");
    } else {
        print!("\nDo you want to perform these actions?\n  mlform will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    }
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Message(format!("reading confirmation: {e}")))?;
    Ok(line.trim() == "yes")
}

/// The history record of this run.
fn run_record(
    plan: &Plan,
    counts: &crate::engine::ApplyCounts,
    diagnostics: &[crate::diag::Diagnostic],
    interrupted: bool,
    rollback: Option<&crate::engine::RollbackReport>,
    serial: u64,
) -> RunRecord {
    let failed = diagnostics.iter().any(|d| d.is_error());
    let result = match (interrupted, failed, rollback) {
        (true, _, _) => RunResult::Interrupted,
        (false, true, Some(r)) if r.complete() => RunResult::RolledBack,
        (false, true, Some(_)) => RunResult::RollbackIncomplete,
        (false, true, None) => RunResult::Failed,
        (false, false, _) => RunResult::Applied,
    };
    RunRecord {
        serial,
        time: crate::eval::time::now_rfc3339(),
        operation: if plan.mode == PlanMode::Destroy {
            "destroy"
        } else {
            "apply"
        }
        .into(),
        result,
        added: counts.added,
        changed: counts.changed,
        destroyed: counts.destroyed,
        rollback: rollback.map(|r| r.record()),
    }
}

/// The rollback mode from -rollback or MLFORM_ROLLBACK.
pub(super) fn rollback_mode(flag: Option<&str>) -> Result<bool, CliError> {
    let env = std::env::var("MLFORM_ROLLBACK").ok();
    let (value, from) = match (flag, env.as_deref()) {
        (Some(v), _) => (v, "-rollback"),
        (None, Some(v)) if !v.is_empty() => (v, "MLFORM_ROLLBACK"),
        _ => return Ok(false),
    };
    match value {
        "auto" => Ok(true),
        "off" => Ok(false),
        other => Err(CliError::Message(format!(
            "Invalid rollback mode\n\n{from} is \"{other}\"; it must be \"auto\" (undo a failed apply's finished changes) or \"off\" (keep them, as Terraform does)."
        ))),
    }
}

pub async fn apply(ctx: &Ctx, args: ApplyArgs, destroy: bool) -> CliResult {
    let json = args.json;
    match apply_run(ctx, args, destroy).await {
        // Under -json, configuration errors are messages of the stream too.
        Err(CliError::Diagnostics(d, sources)) if json => {
            for diag in &d {
                println!(
                    "{}",
                    crate::render::json_stream::diagnostic_event(diag, &sources)
                );
            }
            Ok(1)
        }
        other => other,
    }
}

async fn apply_run(ctx: &Ctx, args: ApplyArgs, destroy: bool) -> CliResult {
    let rollback = rollback_mode(args.rollback.as_deref())?;
    if args.json && args.plan_file.is_none() && !args.auto_approve {
        return Err(CliError::Message("Plan file or auto-approve required\n\nmlform cannot ask for interactive approval when -json is set. You can either apply a saved plan file, or enable the -auto-approve option.".into()));
    }
    let json = args.json;
    if json {
        println!(
            "{}",
            crate::render::json_stream::plan_events(&Plan::default()).remove(0)
        );
    }
    let saved = match &args.plan_file {
        Some(p) => {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                ctx.dir.join(p)
            };
            if path.is_dir() {
                return Err(CliError::Message(format!("{} is a directory; to apply the configuration in another directory use -chdir={}", p.display(), p.display())));
            }
            if !ctx.var_args.is_empty() {
                return Err(CliError::Message("Can't set variables when applying a saved plan: the plan already records the variable values it was made with.".into()));
            }
            let plan = crate::plan::file::load(&path, &ctx.state_config()?.encryption()?.plan)?;
            if plan.errored {
                return Err(CliError::Message(format!("Saved plan is not applyable\n\nThe plan in {} was made by a plan that failed with errors, so it cannot be applied. Fix the errors and run plan again.", p.display())));
            }
            Some(plan)
        }
        None => None,
    };
    let (engine, plan, state, lock, backend) = match saved {
        Some(plan) => {
            let engine = ctx.engine_from_plan(&plan)?;
            let backend = ctx
                .backend_with(
                    &args.flags.state,
                    super::backend::StateConfig::of(&engine.config),
                )
                .await?;
            let lock = ctx
                .lock(&backend, &args.flags.state, "OperationTypeApply")
                .await?;
            let state = super::load_state(&backend).await?;
            let workspace = super::backend::current_workspace(&ctx.dir);
            if !plan.workspace.is_empty() && plan.workspace != workspace {
                return Err(CliError::Message(format!(
                    "Saved plan is for a different workspace\n\nThe given plan file was created for the workspace \"{}\", but the selected workspace is \"{workspace}\". Select that workspace, or run plan again.",
                    plan.workspace
                )));
            }
            if state.lineage != plan.prior_lineage && !plan.prior_lineage.is_empty()
                || state.serial != plan.prior_serial
            {
                return Err(CliError::Message(format!(
                    "Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by another operation after the plan was created (state serial {} now, {} when planned). Run plan again.",
                    state.serial, plan.prior_serial
                )));
            }
            engine
                .check_saved_plan(&plan, &state)
                .map_err(|d| CliError::Diagnostics(vec![d], engine.sources.clone()))?;
            if rollback && plan.mode != PlanMode::Destroy && !json {
                print!("{}", crate::render::rollback::render_irreversible(&plan));
            }
            (engine, plan, state, lock, backend)
        }
        None => {
            let (engine, plan, state, lock, backend) =
                super::plan::make_plan(ctx, &args.flags, destroy, json, json, "OperationTypeApply")
                    .await?;
            if json {
                for event in crate::render::json_stream::plan_events(&plan)
                    .into_iter()
                    .skip(1)
                {
                    println!("{event}");
                }
            } else {
                println!();
                print!("{}", render_plan(&plan, Style { color: ctx.color }));
                if rollback && !destroy {
                    print!("{}", crate::render::rollback::render_irreversible(&plan));
                }
            }
            if !plan.has_changes() {
                if state.lineage.is_empty() {
                    // As Terraform: the first apply writes a state, even an empty one.
                    let mut first = state.clone();
                    first.lineage = uuid::Uuid::new_v4().to_string();
                    first.serial = 1;
                    backend.write_snapshot(&first).await?;
                }
                if let Some(lock) = lock {
                    lock.release().await?;
                }
                if json {
                    println!(
                        "{}",
                        crate::render::json_stream::apply_summary(&Default::default(), destroy)
                    );
                    print_outputs_json(&state, &plan);
                } else {
                    println!("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.");
                    print_outputs(&state, &plan);
                }
                return Ok(0);
            }
            if !args.auto_approve {
                if !confirm(plan.mode == PlanMode::Destroy)? {
                    println!("\nApply cancelled.");
                    return Ok(1);
                }
                // As Terraform: a blank line after the answer; none after -auto-approve.
                if !json {
                    println!();
                }
            }
            (engine, plan, state, lock, backend)
        }
    };
    let mut engine = engine;
    engine.rollback = rollback && plan.mode != PlanMode::Destroy;
    let mut state = state;
    if state.lineage.is_empty() {
        state.lineage = uuid::Uuid::new_v4().to_string();
    }
    // A journal left by an interrupted run was folded in on load; the backend persists it
    // first so the new journal starts from a snapshot that matches.
    let journal = backend.open_journal(&state).await?;
    let progress: Box<dyn crate::engine::Reporter> = if json {
        Box::new(super::progress_json::JsonProgress::new())
    } else {
        Box::new(super::progress::Progress::new(false))
    };
    let result = engine
        .apply(
            &plan,
            state,
            journal,
            args.flags.parallelism.max(1),
            &ctx.stop,
            progress.as_ref(),
        )
        .await;
    let mut final_state = result.state;
    final_state.serial += 1;
    crate::state::history::push(
        &mut final_state.history,
        run_record(
            &plan,
            &result.counts,
            &result.diagnostics,
            result.interrupted,
            result.rollback.as_ref(),
            final_state.serial,
        ),
    );
    backend.write_snapshot(&final_state).await?;
    if let Some(lock) = lock {
        lock.release().await?;
    }
    let c = result.counts;
    if json {
        if let Some(report) = &result.rollback {
            println!("{}", crate::render::json_stream::rollback_event(report));
        }
        for d in &result.diagnostics {
            println!(
                "{}",
                crate::render::json_stream::diagnostic_event(d, &engine.sources)
            );
        }
        if result.diagnostics.iter().any(|d| d.is_error()) || result.interrupted {
            return Ok(1);
        }
        println!(
            "{}",
            crate::render::json_stream::apply_summary(&c, plan.mode == PlanMode::Destroy)
        );
        print_outputs_json(&final_state, &plan);
        return Ok(0);
    }
    if let Some(report) = &result.rollback {
        print!("{}", crate::render::rollback::render_rollback(report));
    }
    if !result.diagnostics.is_empty() {
        ctx.print_diags(&result.diagnostics, &engine.sources);
    }
    if result.diagnostics.iter().any(|d| d.is_error()) || result.interrupted {
        return Ok(1);
    }
    if plan.mode == PlanMode::Destroy {
        println!("\nDestroy complete! Resources: {} destroyed.", c.destroyed);
    } else {
        let imported = match c.imported {
            0 => String::new(),
            n => format!("{n} imported, "),
        };
        println!(
            "\nApply complete! Resources: {imported}{} added, {} changed, {} destroyed.",
            c.added, c.changed, c.destroyed
        );
    }
    if !plan.deferred.is_empty() {
        println!("\n{} resource(s) were deferred because their instances were not known; run plan again to see their changes.", plan.deferred.len());
    }
    print_outputs(&final_state, &plan);
    Ok(0)
}

fn print_outputs(state: &crate::state::State, plan: &Plan) {
    if plan.mode == PlanMode::Destroy || state.outputs.is_empty() {
        return;
    }
    let outs: Vec<(String, mlform_provider::Value, bool)> = state
        .outputs
        .iter()
        .map(|(k, o)| (k.clone(), o.value.clone(), o.sensitive))
        .collect();
    print!("\nOutputs:\n\n{}", render_outputs(&outs, console));
}

/// The `outputs` message of `apply -json`: each output's value, left out when sensitive.
fn print_outputs_json(state: &crate::state::State, plan: &Plan) {
    if plan.mode == PlanMode::Destroy || state.outputs.is_empty() {
        return;
    }
    let outputs: serde_json::Map<String, serde_json::Value> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            let hidden = o.sensitive || !o.value.sensitive_paths().is_empty();
            let mut v = serde_json::json!({ "sensitive": hidden });
            if !hidden {
                v["value"] = o.value.strip_marks().to_json();
            }
            (k.clone(), v)
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({"@level": "info", "@message": format!("Outputs: {}", outputs.len()), "@module": "mlform.ui", "@timestamp": crate::eval::time::now_rfc3339(), "type": "outputs", "outputs": outputs})
    );
}
