//! The server's command-line flags, shared by `mlform serve` and the image's `mlform-serve`
//! binary so that both take the same flags with the same defaults.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::runtime::ModelOptions;
use crate::server::ConnectionLimits;
use crate::ServeOptions;

/// Where SageMaker puts model artifacts; served when no model is named.
pub const SAGEMAKER_MODEL_DIR: &str = "/opt/ml/model";

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// An ONNX model file to serve.
    #[arg(long, value_name = "PATH.onnx")]
    pub model: Option<PathBuf>,
    /// The name the model is served under (default: the file name without .onnx).
    #[arg(long)]
    pub name: Option<String>,
    /// A directory of .onnx models to serve, each under its file name (default when no
    /// model is named: /opt/ml/model, where SageMaker puts them).
    #[arg(long = "model-dir", value_name = "DIR")]
    pub model_dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub host: String,
    /// Port of the HTTP protocols (SageMaker sends traffic to 8080).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Port of KServe V2 gRPC (not served unless given; the image sets 8081).
    #[arg(long = "grpc-port", env = "MLFORM_GRPC_PORT")]
    pub grpc_port: Option<u16>,
    /// ONNX Runtime intra-op threads per session.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Sessions per model run in parallel (default: cores / threads).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Rows combined into one inference run; 1 turns batching off.
    #[arg(long = "max-batch-size", default_value_t = 32)]
    pub max_batch_size: usize,
    /// How long a batch waits for more requests.
    #[arg(long = "max-batch-delay-ms", default_value_t = 2)]
    pub max_batch_delay_ms: u64,
    /// Requests queued per model before new ones get 429.
    #[arg(long = "max-queue", default_value_t = 256)]
    pub max_queue: usize,
    /// A request waiting longer gets 503.
    #[arg(long = "request-timeout-ms", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Largest accepted request body; a larger declared Content-Length gets 413 at once.
    #[arg(long = "max-body-bytes", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest wait for a request's headers, which is also how long a kept-alive connection
    /// may sit idle between requests, and for its body.
    #[arg(long = "header-timeout-ms", default_value_t = 30_000)]
    pub header_timeout_ms: u64,
    /// Open connections at most; more are answered 503 and closed.
    #[arg(long = "max-connections", default_value_t = 1024)]
    pub max_connections: usize,
    /// Path of libonnxruntime (default: $ORT_DYLIB_PATH).
    #[arg(long = "ort-library", value_name = "PATH")]
    pub ort_library: Option<PathBuf>,
}

impl ServeArgs {
    /// The server's options; fails when no model is given and /opt/ml/model does not exist.
    pub fn into_options(self) -> Result<ServeOptions, String> {
        let model_dir = match (&self.model, self.model_dir) {
            (None, None) if std::path::Path::new(SAGEMAKER_MODEL_DIR).is_dir() => {
                Some(PathBuf::from(SAGEMAKER_MODEL_DIR))
            }
            (_, d) => d,
        };
        let models = crate::collect_models(self.model, self.name, model_dir)?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let threads = self.threads.max(1);
        Ok(ServeOptions {
            models,
            host: self.host,
            port: self.port,
            grpc_port: self.grpc_port,
            ort_library: self.ort_library,
            model: ModelOptions {
                threads,
                workers: self.workers.unwrap_or((cores / threads).max(1)),
                max_batch_size: self.max_batch_size.max(1),
                max_batch_delay: Duration::from_millis(self.max_batch_delay_ms),
                max_queue: self.max_queue.max(1),
            },
            request_timeout: Duration::from_millis(self.request_timeout_ms.max(1)),
            max_body_bytes: self.max_body_bytes,
            limits: ConnectionLimits {
                header_timeout: Duration::from_millis(self.header_timeout_ms.max(1)),
                max_connections: self.max_connections.max(1),
            },
        })
    }
}
