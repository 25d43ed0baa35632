//! `mlform history`: the applies and destroys recorded in the state (newest last), with how
//! each ended and what a rollback undid; `-json` for scripts.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Ctx, StateArgs};
use crate::state::history::RunRecord;

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Print the records as JSON.
    #[arg(long)]
    json: bool,
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
}

fn rollback_text(r: &RunRecord) -> String {
    let Some(rb) = &r.rollback else {
        return String::new();
    };
    let mut text = rb.totals();
    if !rb.left.is_empty() {
        text.push_str(&format!("; left: {}", rb.left.join(", ")));
    }
    text
}

/// The records as a table, one line each.
pub fn render(history: &[RunRecord]) -> String {
    if history.is_empty() {
        return "No applies are recorded in this state yet.\n".into();
    }
    let rows: Vec<[String; 8]> = history
        .iter()
        .map(|r| {
            [
                r.serial.to_string(),
                r.time.clone(),
                r.operation.clone(),
                r.result.as_str().to_string(),
                r.added.to_string(),
                r.changed.to_string(),
                r.destroyed.to_string(),
                rollback_text(r),
            ]
        })
        .collect();
    let header = [
        "SERIAL",
        "ENDED",
        "OPERATION",
        "RESULT",
        "ADDED",
        "CHANGED",
        "DESTROYED",
        "ROLLBACK",
    ];
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        text.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

pub async fn history(ctx: &Ctx, args: HistoryArgs) -> CliResult {
    let sargs = StateArgs {
        state: args.state.clone(),
        lock: false,
        lock_timeout: "0s".into(),
    };
    let state = super::load_state(&ctx.backend(&sargs).await?).await?;
    if args.json {
        let doc = serde_json::json!({
            "format_version": "1.0",
            "lineage": state.lineage,
            "serial": state.serial,
            "runs": state.history,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("history serializes")
        );
    } else {
        print!("{}", render(&state.history));
    }
    Ok(0)
}
