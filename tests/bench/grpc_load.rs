//! A small load generator for KServe V2 gRPC (`ModelInfer`), for the serving benchmark:
//! closed loop (`--concurrency N` callers, each sending its next request when the last one
//! is answered, as wrk does over HTTP) or open loop (`--rate R` requests per second sent on
//! schedule whatever the answers, latency counted from the scheduled time so a stalled
//! server cannot hide its queue). Prints one JSON line: rps, p50/p99 in ms, errors.
//!
//! cargo run --release -p mlform-serve --example grpc_load -- --addr 127.0.0.1:8081 \
//!     --model mlp --input features --shape 64 --concurrency 8 --duration 10

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mlform_serve::grpc::messages::{InferInputTensor, ModelInferRequest, ModelInferResponse};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

struct Args {
    addr: String,
    model: String,
    input: String,
    /// Dimensions after the batch dimension.
    shape: Vec<i64>,
    concurrency: usize,
    rate: Option<f64>,
    duration: Duration,
    connections: usize,
}

fn args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:8081".into(),
        model: "mlp".into(),
        input: "features".into(),
        shape: vec![64],
        concurrency: 1,
        rate: None,
        duration: Duration::from_secs(10),
        connections: 2,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--addr" => a.addr = v,
            "--model" => a.model = v,
            "--input" => a.input = v,
            "--shape" => {
                a.shape = v
                    .split(',')
                    .map(|d| d.parse().expect("--shape D,D,..."))
                    .collect()
            }
            "--concurrency" => a.concurrency = v.parse().expect("--concurrency N"),
            "--rate" => a.rate = Some(v.parse().expect("--rate R")),
            "--duration" => a.duration = Duration::from_secs(v.parse().expect("--duration S")),
            "--connections" => a.connections = v.parse().expect("--connections N"),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn request(a: &Args) -> ModelInferRequest {
    let n: i64 = a.shape.iter().product();
    let raw: Vec<u8> = (0..n)
        .flat_map(|i| (0.01 * (i % 100) as f32).to_le_bytes())
        .collect();
    let mut shape = vec![1];
    shape.extend(&a.shape);
    ModelInferRequest {
        model_name: a.model.clone(),
        inputs: vec![InferInputTensor {
            name: a.input.clone(),
            datatype: "FP32".into(),
            shape,
            ..Default::default()
        }],
        raw_input_contents: vec![raw],
        ..Default::default()
    }
}

async fn call(channel: Channel, req: ModelInferRequest) -> bool {
    let mut grpc = tonic::client::Grpc::new(channel);
    if grpc.ready().await.is_err() {
        return false;
    }
    let path = PathAndQuery::from_static("/inference.GRPCInferenceService/ModelInfer");
    let codec = tonic_prost::ProstCodec::<ModelInferRequest, ModelInferResponse>::default();
    grpc.unary(tonic::Request::new(req), path, codec)
        .await
        .is_ok()
}

#[tokio::main]
async fn main() {
    let a = args();
    let mut channels = Vec::new();
    for _ in 0..a.connections.max(1) {
        let ch = Endpoint::from_shared(format!("http://{}", a.addr))
            .expect("address")
            .tcp_nodelay(true)
            .connect()
            .await
            .expect("connect");
        channels.push(ch);
    }
    let req = request(&a);
    // Warm-up.
    for ch in &channels {
        call(ch.clone(), req.clone()).await;
    }
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let start = Instant::now();
    let end = start + a.duration;
    let mut tasks = Vec::new();
    match a.rate {
        None => {
            for i in 0..a.concurrency.max(1) {
                let ch = channels[i % channels.len()].clone();
                let (req, lat, err) = (req.clone(), latencies.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    let mut mine = Vec::new();
                    while Instant::now() < end {
                        let t = Instant::now();
                        if call(ch.clone(), req.clone()).await {
                            mine.push(t.elapsed().as_secs_f64() * 1000.0);
                        } else {
                            *err.lock().unwrap() += 1;
                        }
                    }
                    lat.lock().unwrap().extend(mine);
                }));
            }
        }
        Some(rate) => {
            let interval = Duration::from_secs_f64(1.0 / rate);
            let mut n = 0u64;
            loop {
                let scheduled = start + interval * n as u32;
                if scheduled >= end {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                let ch = channels[n as usize % channels.len()].clone();
                let (req, lat, err) = (req.clone(), latencies.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    if call(ch, req).await {
                        let ms = scheduled.elapsed().as_secs_f64() * 1000.0;
                        lat.lock().unwrap().push(ms);
                    } else {
                        *err.lock().unwrap() += 1;
                    }
                }));
                n += 1;
            }
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(|x, y| x.total_cmp(y));
    let pct = |p: f64| {
        if l.is_empty() {
            0.0
        } else {
            l[((l.len() as f64 * p) as usize).min(l.len() - 1)]
        }
    };
    println!(
        "{{\"rps\": {:.1}, \"p50\": {:.3}, \"p99\": {:.3}, \"requests\": {}, \"errors\": {}}}",
        l.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        l.len(),
        *errors.lock().unwrap()
    );
}
