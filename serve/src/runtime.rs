//! ONNX Runtime: loading the shared library (from a flag or `ORT_DYLIB_PATH`), opening
//! models, and the per-model pipeline: a bounded request queue, a batcher that combines
//! concurrent requests along the batch dimension (up to a row count or a delay), and worker
//! threads that each own a session and split results back to their callers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::{DynValue, Tensor as OrtTensor, TensorElementType, ValueType};
use tokio::sync::{mpsc, oneshot};

use super::metrics::Metrics;
use super::tensor::{BadRequest, DType, Data, IoSpec, Tensor};

/// Errors of the serving runtime.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The ONNX Runtime library could not be found or loaded.
    #[error("cannot load the ONNX Runtime library{}: {reason}\n\nmlform serve loads ONNX Runtime at run time. Get it from PyPI's onnxruntime wheel, for example:\n  python3 -m pip download onnxruntime==1.32.0 --no-deps -d /tmp/ort && unzip -o /tmp/ort/onnxruntime-*.whl 'onnxruntime/capi/*' -d /tmp/ort\nthen set ORT_DYLIB_PATH=/tmp/ort/onnxruntime/capi/libonnxruntime.so.1.32.0 (or pass --ort-library PATH).", path.as_ref().map(|p| format!(" at {}", p.display())).unwrap_or_default())]
    Runtime {
        path: Option<PathBuf>,
        reason: String,
    },
    /// A model file could not be opened by ONNX Runtime.
    #[error("cannot load model {path}: {reason}")]
    Model { path: String, reason: String },
    /// The request does not fit the model.
    #[error(transparent)]
    BadRequest(#[from] BadRequest),
    /// The model's queue is full.
    #[error(
        "model \"{model}\" is overloaded: its queue of {capacity} requests is full; retry later"
    )]
    Overloaded { model: String, capacity: usize },
    /// The request waited longer than the request timeout.
    #[error("the request timed out after {0} ms")]
    Timeout(u64),
    /// Inference failed inside ONNX Runtime.
    #[error("inference failed: {0}")]
    Inference(String),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
}

static RUNTIME: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// Loads ONNX Runtime once per process.
pub fn init_runtime(
    path: Option<&Path>,
) -> Result<&'static ort::environment::Environment, ServeError> {
    let path: Option<PathBuf> = path
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from));
    let Some(path) = path else {
        return Err(ServeError::Runtime {
            path: None,
            reason: "no library given: ORT_DYLIB_PATH is not set".into(),
        });
    };
    if !path.is_file() {
        return Err(ServeError::Runtime {
            path: Some(path),
            reason: "no such file".into(),
        });
    }
    let result = RUNTIME.get_or_init(|| {
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        builder
            .with_name("mlform-serve")
            .build()
            .map_err(|e| e.to_string())
    });
    result.as_ref().map_err(|reason| ServeError::Runtime {
        path: Some(path),
        reason: reason.clone(),
    })
}

fn dtype_of(t: TensorElementType) -> Option<DType> {
    Some(match t {
        TensorElementType::Float32 => DType::F32,
        TensorElementType::Float64 => DType::F64,
        TensorElementType::Int32 => DType::I32,
        TensorElementType::Int64 => DType::I64,
        TensorElementType::Uint8 => DType::U8,
        TensorElementType::Int8 => DType::I8,
        TensorElementType::Bool => DType::Bool,
        _ => return None,
    })
}

fn spec_of(name: &str, ty: &ValueType, path: &str) -> Result<IoSpec, ServeError> {
    match (ty.tensor_type().and_then(dtype_of), ty.tensor_shape()) {
        (Some(dtype), Some(shape)) => Ok(IoSpec { name: name.to_string(), dtype, shape: shape.iter().copied().collect() }),
        _ => Err(ServeError::Model { path: path.to_string(), reason: format!("input or output \"{name}\" is not a tensor of a supported type (FP32, FP64, INT32, INT64, UINT8, INT8, BOOL)") }),
    }
}

/// Serving settings of one model.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// Intra-op threads per session.
    pub threads: usize,
    /// Sessions (worker threads) per model.
    pub workers: usize,
    /// Rows combined into one run; 1 disables batching.
    pub max_batch_size: usize,
    pub max_batch_delay: Duration,
    /// Requests waiting for a batch before new ones are refused.
    pub max_queue: usize,
}

struct Job {
    inputs: Vec<Tensor>,
    rows: usize,
    reply: oneshot::Sender<Result<Vec<Tensor>, ServeError>>,
    enqueued: Instant,
}

struct Batch {
    jobs: Vec<Job>,
}

/// A loaded model: its interface and the queue feeding its batcher.
pub struct Model {
    pub name: String,
    pub path: String,
    pub inputs: Vec<IoSpec>,
    pub outputs: Vec<IoSpec>,
    /// Batched mode: requests go through the batcher to the worker threads.
    queue: Option<mpsc::Sender<Job>>,
    /// Unbatched mode: each request takes a pooled session.
    direct: Option<Direct>,
    capacity: usize,
    depth: Arc<AtomicI64>,
    pub ready: AtomicBool,
    metrics: Arc<Metrics>,
}

/// Sessions used by unbatched requests. `admit` bounds running plus waiting requests (the
/// queue), `slots` the running ones. Inferences that take under [`INLINE_LIMIT`] on average
/// run in place on the request's thread (no thread hand-offs); longer ones on the blocking pool
/// so they never hold up health checks.
struct Direct {
    /// Idle sessions. A session goes back here before its slot is released, even when the
    /// request that took it is dropped while the inference runs (a client hung up), so a slot
    /// always finds a session.
    pool: Arc<std::sync::Mutex<Vec<Session>>>,
    admit: tokio::sync::Semaphore,
    slots: Arc<tokio::sync::Semaphore>,
    /// Moving average of inference time, in nanoseconds.
    average_ns: AtomicU64,
}

const INLINE_LIMIT: Duration = Duration::from_micros(500);

/// Folds one run's time into a moving average of run times (in nanoseconds; `u64::MAX`
/// until the first run).
fn record_run(average_ns: &AtomicU64, took: Duration) {
    let now = took.as_nanos().min(u64::MAX as u128 / 2) as u64;
    let prev = average_ns.load(Ordering::Relaxed);
    average_ns.store(
        if prev == u64::MAX {
            now
        } else {
            prev - prev / 8 + now / 8
        },
        Ordering::Relaxed,
    );
}

fn open_session(
    env: &ort::environment::Environment,
    path: &Path,
    threads: usize,
) -> Result<Session, ServeError> {
    let err = |e: String| ServeError::Model {
        path: path.display().to_string(),
        reason: e,
    };
    Session::builder(env)
        .map_err(|e| err(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(|e| err(e.to_string()))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| err(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| err(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| err(e.to_string()))
}

impl Model {
    /// Opens the model with `options.workers` sessions and starts its batcher.
    pub fn load(
        env: &'static ort::environment::Environment,
        name: &str,
        path: &Path,
        options: &ModelOptions,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Model>, ServeError> {
        let path_s = path.display().to_string();
        let mut sessions = Vec::new();
        for _ in 0..options.workers.max(1) {
            sessions.push(open_session(env, path, options.threads)?);
        }
        let inputs = sessions[0]
            .inputs()
            .iter()
            .map(|o| spec_of(o.name(), o.dtype(), &path_s))
            .collect::<Result<Vec<_>, _>>()?;
        let outputs = sessions[0]
            .outputs()
            .iter()
            .map(|o| spec_of(o.name(), o.dtype(), &path_s))
            .collect::<Result<Vec<_>, _>>()?;
        if options.max_batch_size <= 1 {
            let n = sessions.len();
            return Ok(Arc::new(Model {
                name: name.to_string(),
                path: path_s,
                inputs,
                outputs,
                queue: None,
                direct: Some(Direct {
                    pool: Arc::new(std::sync::Mutex::new(sessions)),
                    admit: tokio::sync::Semaphore::new(options.max_queue.max(1) + n),
                    slots: Arc::new(tokio::sync::Semaphore::new(n)),
                    average_ns: AtomicU64::new(u64::MAX),
                }),
                capacity: options.max_queue.max(1),
                depth: Arc::new(AtomicI64::new(0)),
                ready: AtomicBool::new(false),
                metrics,
            }));
        }
        let (queue, rx) = mpsc::channel::<Job>(options.max_queue.max(1));
        let depth = Arc::new(AtomicI64::new(0));
        let shared = Arc::new(Loops {
            rx: tokio::sync::Mutex::new(rx),
            busy: AtomicUsize::new(0),
            loops: sessions.len(),
            average_ns: AtomicU64::new(u64::MAX),
            max_rows: options.max_batch_size.max(1),
            max_delay: options.max_batch_delay,
            capacity: options.max_queue.max(1),
            depth: depth.clone(),
            metrics: metrics.clone(),
            name: name.to_string(),
            outputs: outputs.clone(),
        });
        for session in sessions {
            tokio::spawn(batch_loop(shared.clone(), session));
        }
        Ok(Arc::new(Model {
            name: name.to_string(),
            path: path_s,
            inputs,
            outputs,
            queue: Some(queue),
            direct: None,
            capacity: options.max_queue.max(1),
            depth,
            ready: AtomicBool::new(false),
            metrics,
        }))
    }

    /// Runs one request through the queue. Refuses at once when the queue is full.
    pub async fn infer(
        &self,
        inputs: Vec<Tensor>,
        timeout: Duration,
    ) -> Result<Vec<Tensor>, ServeError> {
        let _in_flight = InFlight::enter(&self.metrics, &self.name);
        let result = self.infer_queued(inputs, timeout).await;
        match &result {
            Err(ServeError::Overloaded { .. }) => self.metrics.shed(&self.name),
            Err(ServeError::Timeout(_)) => self.metrics.timed_out(&self.name),
            _ => {}
        }
        result
    }

    async fn infer_queued(
        &self,
        inputs: Vec<Tensor>,
        timeout: Duration,
    ) -> Result<Vec<Tensor>, ServeError> {
        let rows = inputs
            .first()
            .and_then(|t| t.shape.first())
            .copied()
            .unwrap_or(1)
            .max(0) as usize;
        if let Some(direct) = &self.direct {
            return self.infer_direct(direct, inputs, rows, timeout).await;
        }
        let (reply, rx) = oneshot::channel();
        let job = Job {
            inputs,
            rows,
            reply,
            enqueued: Instant::now(),
        };
        match self
            .queue
            .as_ref()
            .expect("batched mode has a queue")
            .try_send(job)
        {
            Ok(()) => {
                let d = self.depth.fetch_add(1, Ordering::SeqCst) + 1;
                self.metrics.queue_depth(&self.name, d, self.capacity);
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                return Err(ServeError::Overloaded {
                    model: self.name.clone(),
                    capacity: self.capacity,
                })
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(ServeError::ShuttingDown),
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ServeError::ShuttingDown),
            Err(_) => Err(ServeError::Timeout(timeout.as_millis() as u64)),
        }
    }

    async fn infer_direct(
        &self,
        direct: &Direct,
        inputs: Vec<Tensor>,
        rows: usize,
        timeout: Duration,
    ) -> Result<Vec<Tensor>, ServeError> {
        let enqueued = Instant::now();
        let Ok(_admitted) = direct.admit.try_acquire() else {
            return Err(ServeError::Overloaded {
                model: self.name.clone(),
                capacity: self.capacity,
            });
        };
        let slot = match direct.slots.clone().try_acquire_owned() {
            Ok(s) => s,
            Err(_) => {
                let waiting = self.depth.fetch_add(1, Ordering::SeqCst) + 1;
                self.metrics.queue_depth(&self.name, waiting, self.capacity);
                let slot =
                    tokio::time::timeout(timeout, direct.slots.clone().acquire_owned()).await;
                let waiting = self.depth.fetch_sub(1, Ordering::SeqCst) - 1;
                self.metrics.queue_depth(&self.name, waiting, self.capacity);
                match slot {
                    Ok(Ok(s)) => s,
                    Ok(Err(_)) => return Err(ServeError::ShuttingDown),
                    Err(_) => return Err(ServeError::Timeout(timeout.as_millis() as u64)),
                }
            }
        };
        let Some(mut session) = direct.pool.lock().ok().and_then(|mut p| p.pop()) else {
            return Err(ServeError::Inference(
                "no idle session although a slot was free".into(),
            ));
        };
        let started = Instant::now();
        let outputs = self.outputs.clone();
        let pool = direct.pool.clone();
        // Runs, then gives the session back and only then the slot.
        let run = move || {
            let r = run_inputs(&mut session, &inputs, &outputs);
            if let Ok(mut p) = pool.lock() {
                p.push(session);
            }
            drop(slot);
            r
        };
        let result =
            if Duration::from_nanos(direct.average_ns.load(Ordering::Relaxed)) < INLINE_LIMIT {
                run()
            } else {
                match tokio::task::spawn_blocking(run).await {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(ServeError::Inference(format!(
                            "inference thread failed: {e}"
                        )))
                    }
                }
            };
        let took = started.elapsed();
        record_run(&direct.average_ns, took);
        self.metrics
            .batch(&self.name, rows, rows, took, started - enqueued);
        result.map_err(ServeError::Inference)
    }

    /// Runs one inference on zeros (dynamic dimensions as 1), then marks the model ready.
    pub async fn warm_up(&self) -> Result<(), ServeError> {
        let inputs = self
            .inputs
            .iter()
            .map(|s| {
                let shape: Vec<i64> = s
                    .shape
                    .iter()
                    .map(|d| if *d < 0 { 1 } else { *d })
                    .collect();
                let n = shape.iter().product::<i64>().max(0) as usize;
                Tensor {
                    name: s.name.clone(),
                    shape,
                    data: Data::zeros(s.dtype, n),
                }
            })
            .collect();
        self.infer(inputs, Duration::from_secs(60)).await?;
        self.ready.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// Non-batch dimensions must agree for requests to share a run.
fn signature(inputs: &[Tensor]) -> Vec<Vec<i64>> {
    inputs
        .iter()
        .map(|t| t.shape.iter().skip(1).copied().collect())
        .collect()
}

/// State shared by a model's batch loops.
struct Loops {
    rx: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    /// Loops running an inference now.
    busy: AtomicUsize,
    loops: usize,
    /// Moving average of one run, in nanoseconds.
    average_ns: AtomicU64,
    max_rows: usize,
    max_delay: Duration,
    /// The queue's capacity (--max-queue).
    capacity: usize,
    depth: Arc<AtomicI64>,
    metrics: Arc<Metrics>,
    name: String,
    outputs: Vec<IoSpec>,
}

/// One loop per session: takes the queue, forms a batch, lets the queue go, runs the batch.
/// A batch leaves when it is full; when nothing more is queued and it holds one request or
/// another loop is free (so a lone request never waits); or at the latest after `max_delay`. While a loop runs, requests
/// pile up for the next one: batches grow with load. Runs shorter than [`INLINE_LIMIT`] on
/// average happen in place (no thread hand-offs); longer ones on the blocking pool, so they
/// never hold up health checks.
async fn batch_loop(shared: Arc<Loops>, session: Session) {
    let mut session = Some(session);
    let mut held: Option<Job> = None;
    loop {
        let jobs = {
            let mut rx = shared.rx.lock().await;
            let taken = || {
                let d = shared.depth.fetch_sub(1, Ordering::SeqCst) - 1;
                shared.metrics.queue_depth(&shared.name, d, shared.capacity);
            };
            let first = match held.take() {
                Some(j) => j,
                None => match rx.recv().await {
                    Some(j) => {
                        taken();
                        j
                    }
                    None => return,
                },
            };
            let sig = signature(&first.inputs);
            let mut rows = first.rows;
            let mut jobs = vec![first];
            let deadline = tokio::time::Instant::now() + shared.max_delay;
            while rows < shared.max_rows {
                // A lone request never waits, and nothing waits while another session is free.
                let free = shared.loops - shared.busy.load(Ordering::SeqCst) > 1;
                let next = match rx.try_recv() {
                    Ok(j) => Some(j),
                    Err(_) if free || jobs.len() == 1 => None,
                    Err(_) => tokio::time::timeout_at(deadline, rx.recv())
                        .await
                        .ok()
                        .flatten(),
                };
                let Some(j) = next else { break };
                taken();
                if signature(&j.inputs) != sig || rows + j.rows > shared.max_rows {
                    held = Some(j);
                    break;
                }
                rows += j.rows;
                jobs.push(j);
            }
            shared.busy.fetch_add(1, Ordering::SeqCst);
            jobs
        };
        let batch = Batch { jobs };
        let inline = Duration::from_nanos(shared.average_ns.load(Ordering::Relaxed)) < INLINE_LIMIT;
        let started = Instant::now();
        if inline {
            run_and_reply(
                session.as_mut().expect("session"),
                batch,
                &shared.outputs,
                &shared.metrics,
                &shared.name,
                shared.max_rows,
            );
        } else {
            let mut s = session.take().expect("session");
            let sh = shared.clone();
            match tokio::task::spawn_blocking(move || {
                run_and_reply(
                    &mut s,
                    batch,
                    &sh.outputs,
                    &sh.metrics,
                    &sh.name,
                    sh.max_rows,
                );
                s
            })
            .await
            {
                Ok(s) => session = Some(s),
                Err(_) => {
                    shared.busy.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
            }
        }
        record_run(&shared.average_ns, started.elapsed());
        shared.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a request in flight until it is answered or its caller goes away.
struct InFlight<'a> {
    metrics: &'a Metrics,
    model: &'a str,
}

impl<'a> InFlight<'a> {
    fn enter(metrics: &'a Metrics, model: &'a str) -> InFlight<'a> {
        metrics.in_flight(model, 1);
        InFlight { metrics, model }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.metrics.in_flight(self.model, -1);
    }
}

fn to_ort(t: &Tensor) -> Result<DynValue, String> {
    let shape = t.shape.clone();
    macro_rules! mk {
        ($v:expr) => {
            OrtTensor::from_array((shape, $v.clone()))
                .map(|x| x.into_dyn())
                .map_err(|e| e.to_string())
        };
    }
    match &t.data {
        Data::F32(v) => mk!(v),
        Data::F64(v) => mk!(v),
        Data::I32(v) => mk!(v),
        Data::I64(v) => mk!(v),
        Data::U8(v) => mk!(v),
        Data::I8(v) => mk!(v),
        Data::Bool(v) => mk!(v),
    }
}

fn from_ort(name: &str, dtype: DType, v: &DynValue) -> Result<Tensor, String> {
    macro_rules! ex {
        ($t:ty, $variant:ident) => {{
            let (shape, data) = v.try_extract_tensor::<$t>().map_err(|e| e.to_string())?;
            Tensor {
                name: name.to_string(),
                shape: shape.iter().copied().collect(),
                data: Data::$variant(data.to_vec()),
            }
        }};
    }
    Ok(match dtype {
        DType::F32 => ex!(f32, F32),
        DType::F64 => ex!(f64, F64),
        DType::I32 => ex!(i32, I32),
        DType::I64 => ex!(i64, I64),
        DType::U8 => ex!(u8, U8),
        DType::I8 => ex!(i8, I8),
        DType::Bool => ex!(bool, Bool),
    })
}

fn run_batch(
    session: &mut Session,
    jobs: &[Job],
    outputs: &[IoSpec],
) -> Result<Vec<Tensor>, String> {
    // Concatenate every input along the batch dimension.
    let mut merged: Vec<Tensor> = jobs[0].inputs.clone();
    for job in &jobs[1..] {
        for (m, t) in merged.iter_mut().zip(&job.inputs) {
            m.data.extend(&t.data);
            if let Some(d) = m.shape.first_mut() {
                *d += t.shape.first().copied().unwrap_or(0);
            }
        }
    }
    run_inputs(session, &merged, outputs)
}

/// Runs one set of input tensors through a session.
fn run_inputs(
    session: &mut Session,
    merged: &[Tensor],
    outputs: &[IoSpec],
) -> Result<Vec<Tensor>, String> {
    let values: Vec<(
        std::borrow::Cow<'_, str>,
        ort::session::SessionInputValue<'_>,
    )> = merged
        .iter()
        .map(|t| to_ort(t).map(|v| (std::borrow::Cow::from(t.name.as_str()), v.into())))
        .collect::<Result<_, _>>()?;
    let result = session.run(values).map_err(|e| e.to_string())?;
    outputs
        .iter()
        .map(|o| from_ort(&o.name, o.dtype, &result[o.name.as_str()]))
        .collect()
}

/// Runs a batch and sends each caller its own rows of every output.
fn run_and_reply(
    session: &mut Session,
    batch: Batch,
    outputs: &[IoSpec],
    metrics: &Metrics,
    name: &str,
    max_rows: usize,
) {
    let jobs: Vec<Job> = batch
        .jobs
        .into_iter()
        .filter(|j| !j.reply.is_closed())
        .collect();
    if jobs.is_empty() {
        return;
    }
    let rows: usize = jobs.iter().map(|j| j.rows).sum();
    let started = Instant::now();
    let result = run_batch(session, &jobs, outputs);
    let waited = jobs
        .iter()
        .map(|j| started - j.enqueued)
        .max()
        .unwrap_or_default();
    metrics.batch(name, rows, max_rows, started.elapsed(), waited);
    match result {
        Ok(merged) if jobs.len() == 1 => {
            let job = jobs.into_iter().next().expect("one job");
            let _ = job.reply.send(Ok(merged));
        }
        Ok(merged) => {
            let mut offset = 0usize;
            for job in jobs {
                let mut parts = Vec::with_capacity(merged.len());
                for out in &merged {
                    let total_rows = out.shape.first().copied().unwrap_or(0).max(1) as usize;
                    if total_rows != rows {
                        // An output without a batch dimension goes whole to every caller.
                        parts.push(out.clone());
                        continue;
                    }
                    let per_row = out.data.len() / total_rows;
                    let mut shape = out.shape.clone();
                    shape[0] = job.rows as i64;
                    parts.push(Tensor {
                        name: out.name.clone(),
                        shape,
                        data: out
                            .data
                            .slice(offset * per_row..(offset + job.rows) * per_row),
                    });
                }
                offset += job.rows;
                let _ = job.reply.send(Ok(parts));
            }
        }
        Err(e) => {
            for job in jobs {
                let _ = job.reply.send(Err(ServeError::Inference(e.clone())));
            }
        }
    }
}
