//! `init`, `validate`, `fmt`, `graph` and `version`.

use std::path::{Path, PathBuf};

use clap::{ArgAction, Args};

use super::{CliError, CliResult, Ctx};
use crate::diag::{Diagnostic, Sources, Span};

pub async fn init(ctx: &Ctx, args: super::InitArgs) -> CliResult {
    super::get::install_modules(&ctx.dir, args.upgrade == Some(true)).await?;
    let engine = ctx.load_engine()?;
    println!("\nInitializing the backend...");
    if args.backend != Some(false) {
        init_backend(ctx, &engine, &args).await?;
    }
    println!("\nInitializing provider plugins...");
    let mut names: Vec<String> = engine.config.required_providers.keys().cloned().collect();
    fn collect(m: &crate::config::Module, out: &mut Vec<String>) {
        for r in m.resources.values() {
            out.push(r.provider.name.clone());
        }
        for c in m.children.values() {
            collect(c, out);
        }
    }
    collect(&engine.config, &mut names);
    names.sort();
    names.dedup();
    let mut missing = Vec::new();
    for n in &names {
        match engine.registry.get(n) {
            Some((p, _)) => println!("- Using built-in provider {} ({})", p.source(), n),
            None => missing.push(n.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::Diagnostics(
            missing
                .iter()
                .map(|n| Diagnostic::error("Provider not available", format!("The configuration needs provider \"{n}\", which is not built into this mlform.")).hint(format!("Built-in providers: {}.", names.iter().filter(|x| engine.registry.get(x).is_some()).cloned().collect::<Vec<_>>().join(", "))))
                .collect(),
            engine.sources,
        ));
    }
    println!("\nmlform has been successfully initialized!\n\nYou may now begin working with mlform. Try running \"mlform plan\" to see\nany changes that are required for your infrastructure.");
    Ok(0)
}

/// Configures the backend: merges the block with -backend-config, checks it works, moves
/// state when asked, and saves the settings later commands use.
async fn init_backend(
    ctx: &Ctx,
    engine: &crate::engine::Engine,
    args: &super::InitArgs,
) -> Result<(), CliError> {
    use super::backend::{self as b, Settings};
    let block = engine.config.backend.as_ref();
    if let Some(block) = block {
        let diags = b::check_block(block);
        if !diags.is_empty() {
            return Err(CliError::Diagnostics(diags, engine.sources.clone()));
        }
    }
    let kind = block
        .map(|x| x.kind.clone())
        .unwrap_or_else(|| "local".into());
    let file_config = block
        .map(b::block_config)
        .unwrap_or(mlform_provider::Value::object(Vec::<(String, _)>::new()));
    let mut merged = file_config.as_map().cloned().unwrap_or_default();
    for (k, v) in b::backend_config_args(&ctx.dir, &args.backend_config)? {
        merged.insert(k, v);
    }
    let merged = mlform_provider::Value::Map(merged);
    let saved = b::saved_settings(&ctx.dir)?;
    let wanted = (kind != "local" || !args.backend_config.is_empty()).then(|| Settings {
        kind: kind.clone(),
        config: merged.to_json(),
        file_config: file_config.to_json(),
    });
    if saved == wanted {
        return Ok(());
    }
    let changed = saved.is_some();
    if changed
        && saved.as_ref().map(|s| &s.file_config) != wanted.as_ref().map(|s| &s.file_config)
        && !args.reconfigure
        && !args.migrate_state
    {
        return Err(CliError::Message("Backend configuration changed\n\nA change in the backend configuration has been detected, which may require migrating existing state.\n\nIf you wish to attempt automatic migration of the state, use \"mlform init -migrate-state\".\nIf you wish to store the current configuration with no changes to the state, use \"mlform init -reconfigure\".".into()));
    }
    let sealer = b::StateConfig::of(&engine.config).encryption()?.state;
    let new = b::open(&kind, &merged, &ctx.dir)
        .await?
        .sealed(sealer.clone());
    let new_workspaces = new.list().await?;
    let old = match &saved {
        Some(s) => Some(
            b::open(
                &s.kind,
                &mlform_provider::Value::from_json(&s.config),
                &ctx.dir,
            )
            .await?
            .sealed(sealer.clone()),
        ),
        None if kind != "local" => Some(
            crate::state::backend::Workspaces::local(&ctx.dir, None, None).sealed(sealer.clone()),
        ),
        None => None,
    };
    if let (Some(old), false) = (&old, args.reconfigure) {
        let mut pending = Vec::new();
        for ws in old.list().await? {
            let state = old.backend(&ws).load().await?;
            if !state.instances.is_empty() || !state.outputs.is_empty() {
                pending.push((ws, state));
            }
        }
        if !pending.is_empty() && !args.migrate_state {
            return Err(CliError::Message(format!("Existing state was found in the previous backend\n\nThe workspace(s) {} hold state in the previous backend. Run \"mlform init -migrate-state\" to copy it to the backend \"{kind}\", or \"mlform init -reconfigure\" to leave it where it is.", pending.iter().map(|(w, _)| format!("\"{w}\"")).collect::<Vec<_>>().join(", "))));
        }
        for (ws, state) in pending {
            let target = new.backend(&ws);
            let existing = target.load().await?;
            if (!existing.instances.is_empty() || !existing.outputs.is_empty()) && !args.force_copy
            {
                return Err(CliError::Message(format!("The workspace \"{ws}\" already has state in the backend \"{kind}\". Run init -migrate-state -force-copy to overwrite it with the previous backend's state.")));
            }
            if ws != crate::state::backend::DEFAULT_WORKSPACE && !new_workspaces.contains(&ws) {
                new.create(&ws).await?;
            }
            target.write_snapshot(&state).await?;
            println!("Copied the state of workspace \"{ws}\" to the backend \"{kind}\".");
        }
    }
    b::save_settings(&ctx.dir, wanted.as_ref())?;
    if kind != "local" {
        println!("\nSuccessfully configured the backend \"{kind}\"! mlform will automatically\nuse this backend unless the backend configuration changes.");
    }
    Ok(())
}

pub async fn validate(ctx: &Ctx, json: bool) -> CliResult {
    let engine = match ctx.load_engine() {
        Ok(e) => e,
        Err(CliError::Diagnostics(d, s)) if json => {
            print_validate_json(&d, &s);
            return Ok(1);
        }
        Err(e) => return Err(e),
    };
    let diags = engine.validate().await;
    if json {
        print_validate_json(&diags, &engine.sources);
        return Ok(if diags.iter().any(Diagnostic::is_error) {
            1
        } else {
            0
        });
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(CliError::Diagnostics(diags, engine.sources));
    }
    ctx.print_diags(&diags, &engine.sources);
    println!("Success! The configuration is valid.");
    Ok(0)
}

fn span_json(span: &Option<Span>, sources: &Sources) -> serde_json::Value {
    match span {
        Some(s) => {
            let (line, col) = sources.line_col(s);
            let end = Span {
                file: s.file,
                range: s.range.end..s.range.end,
            };
            let (eline, ecol) = sources.line_col(&end);
            serde_json::json!({"filename": sources.get(s.file).name, "start": {"line": line, "column": col, "byte": s.range.start}, "end": {"line": eline, "column": ecol, "byte": s.range.end}})
        }
        None => serde_json::Value::Null,
    }
}

fn print_validate_json(diags: &[Diagnostic], sources: &Sources) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let out = serde_json::json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": diags.len() - errors,
        "diagnostics": diags.iter().map(|d| serde_json::json!({
            "severity": if d.is_error() { "error" } else { "warning" },
            "summary": d.summary,
            "detail": match &d.hint { Some(h) => format!("{} {h}", d.detail), None => d.detail.clone() },
            "range": span_json(&d.span, sources),
        })).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Check if the input is formatted; exit 3 when it is not. Nothing is written.
    #[arg(long)]
    check: bool,
    /// Display diffs of formatting changes.
    #[arg(long)]
    diff: bool,
    /// Also process files in subdirectories.
    #[arg(long)]
    recursive: bool,
    /// List files whose formatting differs.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set, default_value = "true")]
    list: bool,
    /// Write the result to the source files.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set, default_value = "true")]
    write: bool,
    /// Files or directories to format (default: the working directory).
    paths: Vec<PathBuf>,
}

fn tf_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if p.is_dir() {
            if recursive && !name.starts_with('.') {
                tf_files(&p, recursive, out)?;
            }
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") {
            out.push(p);
        }
    }
    Ok(())
}

pub fn fmt(ctx: &Ctx, args: FmtArgs) -> CliResult {
    let mut files = Vec::new();
    let roots = if args.paths.is_empty() {
        vec![ctx.dir.clone()]
    } else {
        args.paths
            .iter()
            .map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    ctx.dir.join(p)
                }
            })
            .collect()
    };
    for r in roots {
        if r.is_dir() {
            tf_files(&r, args.recursive, &mut files)
                .map_err(|e| CliError::Message(format!("reading {}: {e}", r.display())))?;
        } else if r.is_file() {
            files.push(r);
        } else {
            return Err(CliError::Message(format!(
                "No file or directory at {}",
                r.display()
            )));
        }
    }
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut changed = 0;
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| CliError::Message(format!("reading {}: {e}", f.display())))?;
        let name = super::display(&ctx.dir, &f);
        match crate::fmt::format_source(&text) {
            Ok(formatted) if formatted != text => {
                changed += 1;
                if args.list {
                    println!("{name}");
                }
                if args.diff {
                    let diff = similar::TextDiff::from_lines(&text, &formatted);
                    print!(
                        "{}",
                        diff.unified_diff()
                            .header(&format!("old/{name}"), &format!("new/{name}"))
                    );
                }
                if args.write && !args.check {
                    std::fs::write(&f, formatted)
                        .map_err(|e| CliError::Message(format!("writing {}: {e}", f.display())))?;
                }
            }
            Ok(_) => {}
            Err((offset, msg)) => {
                let id = sources.add(name, f.clone(), text);
                diags.push(
                    Diagnostic::error(
                        "Invalid HCL syntax",
                        format!("The file could not be parsed: {msg}. It was not formatted."),
                    )
                    .at(Some(Span {
                        file: id,
                        range: offset..offset + 1,
                    })),
                );
            }
        }
    }
    if !diags.is_empty() {
        return Err(CliError::Diagnostics(diags, sources));
    }
    Ok(if args.check && changed > 0 { 3 } else { 0 })
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The graph to draw (plan, apply); both draw the full dependency graph.
    #[arg(long = "type", default_value = "plan")]
    graph_type: String,
    #[command(flatten)]
    state: super::StateArgs,
}

pub async fn graph(ctx: &Ctx, args: GraphArgs) -> CliResult {
    let engine = ctx.load_engine()?;
    let state = super::load_state(&ctx.backend(&args.state).await?).await?;
    let g = crate::engine::build_graph(&engine.config, &state, &engine.registry)
        .map_err(|d| CliError::Diagnostics(d, engine.sources.clone()))?;
    let _ = args.graph_type;
    println!("digraph {{\n\tcompound = \"true\"\n\tnewrank = \"true\"\n\tsubgraph \"root\" {{");
    let dag = &g.dag;
    let mut lines = Vec::new();
    for i in dag.graph.node_indices() {
        let label = dag.node(i).label();
        lines.push(format!(
            "\t\t\"[root] {label}\" [label = \"{label}\", shape = \"{}\"]",
            if matches!(
                dag.node(i).kind,
                crate::engine::NodeKind::Resource(_) | crate::engine::NodeKind::Destroy(_)
            ) {
                "box"
            } else {
                "note"
            }
        ));
    }
    for e in dag.graph.edge_indices() {
        let (a, b) = dag.graph.edge_endpoints(e).expect("edge");
        lines.push(format!(
            "\t\t\"[root] {}\" -> \"[root] {}\"",
            dag.node(b).label(),
            dag.node(a).label()
        ));
    }
    lines.sort();
    for l in lines {
        println!("{l}");
    }
    println!("\t}}\n}}");
    Ok(0)
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    #[arg(long)]
    json: bool,
}

pub fn version(args: VersionArgs) -> CliResult {
    let reg = super::registry(std::path::Path::new("."));
    let mut providers: Vec<String> = Vec::new();
    for n in ["terraform", "aws", "kubernetes"] {
        if let Some((p, _)) = reg.get(n) {
            providers.push(p.source().to_string());
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({"mlform_version": env!("CARGO_PKG_VERSION"), "platform": format!("{}_{}", std::env::consts::OS, std::env::consts::ARCH), "provider_selections": providers})
        );
    } else {
        println!(
            "mlform v{}\non {}_{}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        for p in providers {
            println!("+ provider {p} (built in)");
        }
    }
    Ok(0)
}
