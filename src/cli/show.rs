//! `mlform show` (state or saved plan, text or JSON) and `mlform output`.

use std::path::PathBuf;

use clap::Args;
use mlform_provider::Value;

use super::{CliError, CliResult, Ctx, StateArgs};
use crate::render::human::{render_plan, Style};
use crate::render::values::{console, render_outputs};
use crate::state::State;

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Machine-readable JSON (the shape of `terraform show -json`).
    #[arg(long)]
    json: bool,
    /// The saved plan as a pull-request comment in GitHub markdown, with policy findings.
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// A saved plan file; without it, the current state is shown.
    path: Option<PathBuf>,
    #[command(flatten)]
    state: StateArgs,
}

#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Print the outputs as JSON (sensitive values included, as asked).
    #[arg(long)]
    json: bool,
    /// Print a string output without quotes.
    #[arg(long)]
    raw: bool,
    /// The output to print.
    name: Option<String>,
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
}

pub async fn show(ctx: &Ctx, args: ShowArgs) -> CliResult {
    if let Some(p) = &args.path {
        let path = if p.is_absolute() {
            p.clone()
        } else {
            ctx.dir.join(p)
        };
        if crate::plan::file::is_plan_file(&path) {
            let plan = crate::plan::file::load(&path, &ctx.state_config()?.encryption()?.plan)?;
            let engine = ctx.engine_from_plan(&plan)?;
            if args.markdown {
                let findings = crate::review::checks::check(&plan, &plan.config_files);
                print!(
                    "{}",
                    crate::render::markdown::render(
                        &plan,
                        &findings,
                        crate::render::markdown::GITHUB_COMMENT_LIMIT
                    )
                );
            } else if args.json {
                let reg = engine.registry.clone();
                let json = crate::render::json::plan_json(
                    &plan,
                    Some(&engine.config),
                    &|n| reg.source(n),
                    &|v| engine.config.variables.get(v).is_some_and(|x| x.sensitive),
                );
                println!("{}", serde_json::to_string(&json).unwrap_or_default());
            } else {
                print!("{}", render_plan(&plan, Style { color: ctx.color }));
            }
            return Ok(0);
        }
        if !path.exists() {
            return Err(CliError::Message(format!(
                "Failed to read the given file as a state or plan file: {} does not exist.",
                p.display()
            )));
        }
        if args.markdown {
            return Err(CliError::Message(
                "-markdown shows a saved plan: mlform show -markdown PLANFILE".into(),
            ));
        }
        let state = crate::state::local::LocalBackend {
            path,
            sealer: ctx.state_config()?.encryption()?.state,
        }
        .load()?
        .0;
        return show_state(&state, args.json);
    }
    let backend = ctx.backend(&args.state).await?;
    let state = super::load_state(&backend).await?;
    show_state(&state, args.json)
}

fn show_state(state: &State, json: bool) -> CliResult {
    if json {
        let resources: Vec<serde_json::Value> = state
            .instances
            .iter()
            .map(|(a, s)| {
                serde_json::json!({
                    "address": a.to_string(),
                    "mode": if a.resource.mode == crate::config::Mode::Data { "data" } else { "managed" },
                    "type": a.resource.type_name,
                    "name": a.resource.name,
                    "index": a.key.as_ref().map(crate::addr::Key::to_json),
                    "provider_name": s.provider.trim_start_matches("provider[\"").split("\"]").next().unwrap_or_default(),
                    "values": crate::render::json::redacted(&s.value),
                    "depends_on": s.dependencies,
                })
            })
            .collect();
        let outputs: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "value": if o.sensitive { serde_json::Value::Null } else { crate::render::json::redacted(&o.value).unwrap_or_default() }})))
            .collect();
        println!(
            "{}",
            serde_json::json!({"format_version": "1.0", "values": {"outputs": outputs, "root_module": {"resources": resources}}})
        );
        return Ok(0);
    }
    if state.instances.is_empty() && state.outputs.is_empty() {
        println!("The state file is empty. No resources are represented.");
        return Ok(0);
    }
    if state.instances.is_empty() {
        // As Terraform: a state of outputs alone starts with one more blank line.
        println!();
    }
    print!("{}", crate::render::state::render_state(&state));
    Ok(0)
}

pub async fn output(ctx: &Ctx, args: OutputArgs) -> CliResult {
    let sargs = StateArgs {
        state: args.state.clone(),
        lock: false,
        lock_timeout: "0s".into(),
    };
    let state = super::load_state(&ctx.backend(&sargs).await?).await?;
    match &args.name {
        Some(name) => {
            let Some(o) = state.outputs.get(name) else {
                return Err(CliError::Message(format!("Output \"{name}\" not found\n\nThe output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `mlform apply`, since the state won't be updated with new output variables until that command is run.")));
            };
            if args.json {
                println!("{}", crate::state::output_json(&o.value));
            } else if args.raw {
                match o.value.strip_marks() {
                    Value::String(s) => print!("{s}"),
                    Value::Number(_) | Value::Bool(_) => print!("{}", o.value.strip_marks()),
                    _ => return Err(CliError::Message(format!("Unsupported value for raw output: the output \"{name}\" is not a string, number or bool. Use -json for complex values."))),
                }
            } else if o.sensitive || o.value.contains_sensitive() {
                println!("<sensitive>");
            } else {
                println!("{}", console(&o.value, 0));
            }
        }
        None => {
            if args.json {
                let m: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "type": crate::state::output_type(&o.value), "value": crate::state::output_json(&o.value)})))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
            } else if state.outputs.is_empty() {
                eprintln!("\nWarning: No outputs found\n\nThe state file either has no outputs defined, or all the defined outputs are\nempty. Please define an output in your configuration with the `output` keyword\nand run `mlform refresh` for it to become available.\n");
            } else {
                let outs: Vec<(String, Value, bool)> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| (k.clone(), o.value.clone(), o.sensitive))
                    .collect();
                print!("{}", render_outputs(&outs, console));
            }
        }
    }
    Ok(0)
}
