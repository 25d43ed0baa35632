//! `mlform serve` and `mlform model inspect`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{CliError, CliResult};
use crate::serve::{self, runtime::ModelOptions, ServeOptions};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// An ONNX model file to serve.
    #[arg(long, value_name = "PATH.onnx")]
    model: Option<PathBuf>,
    /// The name the model is served under (default: the file name without .onnx).
    #[arg(long)]
    name: Option<String>,
    /// A directory of .onnx models to serve, each under its file name.
    #[arg(long = "model-dir", value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    host: String,
    /// Port to listen on (SageMaker sends traffic to 8080).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// ONNX Runtime intra-op threads per session.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Sessions per model run in parallel (default: cores / threads).
    #[arg(long)]
    workers: Option<usize>,
    /// Rows combined into one inference run; 1 turns batching off.
    #[arg(long = "max-batch-size", default_value_t = 32)]
    max_batch_size: usize,
    /// How long a batch waits for more requests.
    #[arg(long = "max-batch-delay-ms", default_value_t = 2)]
    max_batch_delay_ms: u64,
    /// Requests queued per model before new ones get 429.
    #[arg(long = "max-queue", default_value_t = 256)]
    max_queue: usize,
    /// A request waiting longer gets 503.
    #[arg(long = "request-timeout-ms", default_value_t = 10_000)]
    request_timeout_ms: u64,
    /// Largest accepted request body.
    #[arg(long = "max-body-bytes", default_value_t = 16 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Path of libonnxruntime (default: $ORT_DYLIB_PATH).
    #[arg(long = "ort-library", value_name = "PATH")]
    ort_library: Option<PathBuf>,
}

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
    let models =
        serve::collect_models(args.model, args.name, args.model_dir).map_err(CliError::Message)?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = args.threads.max(1);
    let options = ServeOptions {
        models,
        host: args.host,
        port: args.port,
        ort_library: args.ort_library,
        model: ModelOptions {
            threads,
            workers: args.workers.unwrap_or((cores / threads).max(1)),
            max_batch_size: args.max_batch_size.max(1),
            max_batch_delay: Duration::from_millis(args.max_batch_delay_ms),
            max_queue: args.max_queue.max(1),
        },
        request_timeout: Duration::from_millis(args.request_timeout_ms.max(1)),
        max_body_bytes: args.max_body_bytes,
    };
    let names: Vec<String> = options
        .models
        .iter()
        .map(|(n, p)| format!("{n} ({})", p.display()))
        .collect();
    serve::serve(options, |addr| {
        eprintln!(
            "mlform serve: listening on http://{addr}; models: {}",
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
