//! `mlform serve` and `mlform model inspect`.

use std::path::PathBuf;

use clap::Subcommand;
use mlform_serve as serve;

use super::{CliError, CliResult};

pub use mlform_serve::args::ServeArgs;

#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Show an ONNX model's inputs, outputs, opset and producer.
    Inspect {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub async fn serve(args: ServeArgs) -> CliResult {
    let options = args.into_options().map_err(CliError::Message)?;
    let names: Vec<String> = options
        .models
        .iter()
        .map(|(n, p)| format!("{n} ({})", p.display()))
        .collect();
    serve::serve(options, |addr, grpc| {
        eprintln!(
            "mlform serve: listening on http://{addr}; {}models: {}",
            grpc.map(|g| format!("gRPC on {g}; ")).unwrap_or_default(),
            names.join(", ")
        )
    })
    .await
    .map_err(|e| CliError::Message(e.to_string()))?;
    eprintln!("mlform serve: stopped");
    Ok(0)
}

pub fn model(cmd: ModelCommand) -> CliResult {
    match cmd {
        ModelCommand::Inspect { path, json } => {
            let info =
                serve::inspect::inspect(&path).map_err(|e| CliError::Message(e.to_string()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&info.to_json()).unwrap_or_default()
                );
            } else {
                print!("{}", info.to_text());
            }
            Ok(0)
        }
    }
}
