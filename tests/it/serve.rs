//! `mlform serve` as a process on loopback, with the real ONNX Runtime library (from PyPI's
//! onnxruntime wheel; downloaded into a cache by the harness when ORT_DYLIB_PATH is not
//! set): results equal Python onnxruntime's, batching keeps rows with their callers, overload
//! answers 429 and the server stays healthy, bad input gets 4xx JSON, SIGTERM drains.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};

const ORT_VERSION: &str = "1.32.0";

/// The ONNX Runtime library: $ORT_DYLIB_PATH, or PyPI's wheel unpacked into a cache.
pub(crate) fn ort_library() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
            return PathBuf::from(p);
        }
        let cache = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into())).join(".cache/mlform").join(format!("onnxruntime-{ORT_VERSION}"));
        let lib = cache.join(format!("onnxruntime/capi/libonnxruntime.so.{ORT_VERSION}"));
        if !lib.exists() {
            std::fs::create_dir_all(&cache).unwrap();
            let status = Command::new("python3")
                .args(["-m", "pip", "download", &format!("onnxruntime=={ORT_VERSION}"), "--no-deps", "--only-binary=:all:", "-q", "-d"])
                .arg(&cache)
                .status()
                .expect("python3 -m pip");
            assert!(status.success(), "pip download of onnxruntime failed");
            let script = "import glob,sys,zipfile\nw=glob.glob(sys.argv[1]+'/onnxruntime-*.whl')[0]\nz=zipfile.ZipFile(w)\nz.extractall(sys.argv[1],[n for n in z.namelist() if n.startswith('onnxruntime/capi/lib')])";
            let status = Command::new("python3").args(["-c", script]).arg(&cache).status().expect("unzip wheel");
            assert!(status.success() && lib.exists(), "could not unpack {}", lib.display());
        }
        lib
    })
    .clone()
}

pub(crate) fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models")
}

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    /// The gRPC address, when started with --grpc-port.
    pub(crate) grpc: Option<String>,
}

impl Server {
    pub(crate) fn start(args: &[&str]) -> Server {
        let mut child = Command::new(crate::support::bin())
            .arg("serve")
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env("ORT_DYLIB_PATH", ort_library())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split(';').next())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        let grpc = line
            .split("gRPC on ")
            .nth(1)
            .and_then(|r| r.split(';').next())
            .map(str::to_string);
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
        });
        let s = Server { child, addr, grpc };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if s.get("/v2/health/ready").0 == 200 {
                return s;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server never became ready");
    }

    pub(crate) fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
        http(&self.addr, method, path, body)
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String, String) {
        self.request("GET", path, b"")
    }

    pub(crate) fn post(&self, path: &str, body: &J) -> (u16, J) {
        let (status, _, text) = self.request("POST", path, body.to_string().as_bytes());
        (
            status,
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("non-JSON answer {status}: {text}")),
        )
    }

    fn terminate(&mut self) -> i32 {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not stop after SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client (one request per connection): status, headers, body.
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn expected() -> J {
    serde_json::from_str(&std::fs::read_to_string(models().join("expected.json")).unwrap()).unwrap()
}

fn assert_close(got: &J, want: &J) {
    let g: Vec<f64> = flat(got);
    let w: Vec<f64> = flat(want);
    assert_eq!(g.len(), w.len());
    for (a, b) in g.iter().zip(&w) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} != {b}");
    }
}

fn flat(v: &J) -> Vec<f64> {
    match v {
        J::Array(a) => a.iter().flat_map(flat).collect(),
        J::Number(n) => vec![n.as_f64().unwrap()],
        _ => vec![],
    }
}

#[test]
fn v2_and_sagemaker_answers_match_python_onnxruntime() {
    let s = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
    let e = expected();
    let (status, out) = s.post("/v2/models/mlp/infer", &json!({"id": "r1", "inputs": [{"name": "features", "shape": [3, 64], "datatype": "FP32", "data": e["mlp"]["features"]}]}));
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["id"], "r1");
    assert_eq!(out["outputs"][0]["name"], "scores");
    assert_eq!(out["outputs"][0]["shape"], json!([3, 8]));
    assert_close(&out["outputs"][0]["data"], &e["mlp"]["scores"]);
    let (status, out) = s.post("/invocations", &json!({"instances": e["mlp"]["features"]}));
    assert_eq!(status, 200, "{out}");
    assert_close(&out["predictions"], &e["mlp"]["scores"]);
    let (status, out) = s.post("/invocations", &e["mlp"]["features"]);
    assert_eq!(status, 200, "{out}");
    assert_close(&out["predictions"], &e["mlp"]["scores"]);
    // Metadata, liveness, readiness, SageMaker ping.
    let (status, _, meta) = s.get("/v2/models/mlp");
    assert_eq!(status, 200);
    let meta: J = serde_json::from_str(&meta).unwrap();
    assert_eq!(
        meta["inputs"],
        json!([{"name": "features", "datatype": "FP32", "shape": [-1, 64]}])
    );
    assert_eq!(s.get("/v2/health/live").0, 200);
    assert_eq!(s.get("/v2/models/mlp/ready").0, 200);
    assert_eq!(s.get("/ping").0, 200);
    // Metrics count what happened.
    let (_, _, metrics) = s.get("/metrics");
    assert!(
        metrics.contains(
            "mlform_serve_requests_total{route=\"/v2/models/{name}/infer\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlform_serve_requests_total{route=\"/invocations\",status=\"200\"} 2"),
        "{metrics}"
    );
    for name in [
        "mlform_serve_request_duration_seconds_bucket",
        "mlform_serve_batch_size_bucket",
        "mlform_serve_inference_duration_seconds_bucket",
        "mlform_serve_queue_depth",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
}

#[test]
fn model_directory_serves_every_model_and_integer_inputs() {
    let s = Server::start(&["--model-dir", models().join("dir").to_str().unwrap()]);
    let e = expected();
    let (status, out) = s.post(
        "/v2/models/adder/infer",
        &json!({"inputs": [
            {"name": "a", "shape": [2, 2], "datatype": "INT64", "data": e["adder"]["a"]},
            {"name": "b", "shape": [2, 2], "datatype": "INT64", "data": e["adder"]["b"]},
        ]}),
    );
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["outputs"][0]["data"], json!([11, 22, 33, 44]));
    assert_eq!(out["outputs"][0]["datatype"], "INT64");
    assert_eq!(s.get("/v2/models/mlp/ready").0, 200);
    assert_eq!(s.get("/v2/models/nope").0, 404);
}

/// A row of the slow model with its first `m` features at 0.5 and the rest at 0: since
/// sin(0) = 0, its output is `m` times that of one nonzero feature, so each row names itself.
fn counted_row(m: usize) -> Vec<f32> {
    (0..64).map(|k| if k < m { 0.5 } else { 0.0 }).collect()
}

fn slow_infer(addr: &str, rows: &[Vec<f32>]) -> Vec<f64> {
    let body = json!({"inputs": [{
        "name": "x",
        "shape": [rows.len(), 64],
        "datatype": "FP32",
        "data": rows.concat(),
    }]});
    let (status, _, text) = http(
        addr,
        "POST",
        "/v2/models/slow/infer",
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{text}");
    let out: J = serde_json::from_str(&text).unwrap();
    assert_eq!(out["outputs"][0]["shape"], json!([rows.len(), 1]));
    out["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Batching without relying on timing: a long first request holds the only session, the
/// callers queue behind it, and the next run takes them together (about 0.1 s per row).
#[test]
fn concurrent_requests_are_batched_and_each_caller_gets_its_own_rows() {
    let s = Server::start(&[
        "--model",
        models().join("slow.onnx").to_str().unwrap(),
        "--max-batch-size",
        "64",
        "--max-batch-delay-ms",
        "20",
        "--workers",
        "1",
        // A loaded test machine runs the slow model many times slower than its 0.1 s a row.
        "--request-timeout-ms",
        "120000",
    ]);
    let addr = s.addr.clone();
    let blocker = {
        let addr = addr.clone();
        std::thread::spawn(move || slow_infer(&addr, &vec![counted_row(64); 4]))
    };
    const CALLERS: usize = 8;
    let callers: Vec<_> = (0..CALLERS)
        .map(|i| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let counts: Vec<usize> = (0..1 + i % 2).map(|k| 2 * i + k + 1).collect();
                let rows: Vec<Vec<f32>> = counts.iter().map(|&m| counted_row(m)).collect();
                (counts, slow_infer(&addr, &rows))
            })
        })
        .collect();
    let unit = blocker.join().unwrap()[0] / 64.0;
    for h in callers {
        let (counts, got) = h.join().unwrap();
        let named: Vec<f64> = got.iter().map(|y| y / unit).collect();
        assert_eq!(named.len(), counts.len());
        for (m, n) in counts.iter().zip(&named) {
            assert!(
                (n - *m as f64).abs() < 0.3,
                "a caller sent {counts:?} and got {named:?}"
            );
        }
    }
    let (_, _, metrics) = s.get("/metrics");
    let runs: f64 = metrics
        .lines()
        .find(|l| l.starts_with("mlform_serve_batch_size_count{model=\"slow\"}"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        runs < (1 + CALLERS) as f64,
        "{CALLERS} callers queued behind one request ran in {runs} inference runs; batching should combine them"
    );
}

/// POSTs `body` once and returns the status (0 when the connection failed).
pub(crate) fn raw_post(addr: &str, path: &str, body: &str) -> u16 {
    std::panic::catch_unwind(|| http(addr, "POST", path, body.as_bytes()).0).unwrap_or(0)
}

pub(crate) fn slow_request() -> String {
    json!({"inputs": [{"name": "x", "shape": [1, 64], "datatype": "FP32", "data": vec![0.5; 64]}]})
        .to_string()
}

#[test]
fn overload_answers_429_and_the_server_stays_healthy() {
    let s = Server::start(&[
        "--model",
        models().join("slow.onnx").to_str().unwrap(),
        "--max-queue",
        "2",
        "--max-batch-size",
        "1",
        "--workers",
        "1",
    ]);
    let addr = s.addr.clone();
    let handles: Vec<_> = (0..12)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let (status, head, text) = http(
                    &addr,
                    "POST",
                    "/v2/models/slow/infer",
                    slow_request().as_bytes(),
                );
                if status == 429 {
                    assert!(
                        head.to_ascii_lowercase().contains("retry-after: 1"),
                        "{head}"
                    );
                    assert!(text.contains("overloaded"), "{text}");
                }
                status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "no request was shed: {statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
    assert_eq!(s.get("/v2/health/ready").0, 200);
    let (status, _) = s.post(
        "/v2/models/slow/infer",
        &serde_json::from_str(&slow_request()).unwrap(),
    );
    assert_eq!(status, 200);
    let (_, _, metrics) = s.get("/metrics");
    assert!(
        metrics.contains("route=\"/v2/models/{name}/infer\",status=\"429\""),
        "{metrics}"
    );
    // The leading indicators: every 429 counted as shed, nothing left in flight, the
    // queue's utilisation and batch fill exposed.
    let shed_429 = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        metrics.contains(&format!(
            "mlform_serve_shed_requests_total{{model=\"slow\"}} {shed_429}"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlform_serve_in_flight_requests{model=\"slow\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlform_serve_queue_utilization_ratio{model=\"slow\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlform_serve_batch_fill_ratio_count{model=\"slow\"}"),
        "{metrics}"
    );
}

#[test]
fn a_request_waiting_past_its_timeout_gets_503() {
    let s = Server::start(&[
        "--model",
        models().join("slow.onnx").to_str().unwrap(),
        "--max-batch-size",
        "1",
        "--workers",
        "1",
        "--request-timeout-ms",
        "30",
    ]);
    let addr = s.addr.clone();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                http(
                    &addr,
                    "POST",
                    "/v2/models/slow/infer",
                    slow_request().as_bytes(),
                )
            })
        })
        .collect();
    let results: Vec<(u16, String, String)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let timed_out: Vec<_> = results.iter().filter(|r| r.0 == 503).collect();
    assert!(
        !timed_out.is_empty(),
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert!(
        timed_out[0].2.contains("timed out after 30 ms"),
        "{}",
        timed_out[0].2
    );
    assert_eq!(s.get("/v2/health/live").0, 200);
    let (_, _, metrics) = s.get("/metrics");
    assert!(
        metrics.contains(&format!(
            "mlform_serve_timed_out_requests_total{{model=\"slow\"}} {}",
            timed_out.len()
        )),
        "{metrics}"
    );
}

#[test]
fn bad_input_gets_a_4xx_json_error_saying_what_was_expected() {
    let s = Server::start(&[
        "--model",
        models().join("mlp.onnx").to_str().unwrap(),
        "--max-body-bytes",
        "100000",
    ]);
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (json!({"inputs": [{"name": "wrong", "shape": [1, 64], "datatype": "FP32", "data": vec![0.0; 64]}]}).to_string().into_bytes(), "/v2/models/mlp/infer", 400, "its inputs are: features FP32 [-1, 64]"),
        (json!({"inputs": [{"name": "features", "shape": [1, 63], "datatype": "FP32", "data": vec![0.0; 63]}]}).to_string().into_bytes(), "/v2/models/mlp/infer", 400, "dimension 1 must be 64"),
        (json!({"inputs": [{"name": "features", "shape": [1, 64], "datatype": "INT64", "data": vec![0; 64]}]}).to_string().into_bytes(), "/v2/models/mlp/infer", 400, "expects FP32"),
        (b"{not json".to_vec(), "/v2/models/mlp/infer", 400, "not valid JSON"),
        (json!({"inputs": [{"name": "features", "shape": [1, 64], "datatype": "FP32", "data": vec![0.0; 64]}], "outputs": [{"name": "nope"}]}).to_string().into_bytes(), "/v2/models/mlp/infer", 400, "no output named \"nope\""),
        (vec![b' '; 200_000], "/v2/models/mlp/infer", 413, "larger than the server's limit"),
        (json!({"instances": [[1, 2], [3]]}).to_string().into_bytes(), "/invocations", 400, "dimension 1 must be 64"),
        (json!({"something": 1}).to_string().into_bytes(), "/invocations", 400, "instances"),
        (json!({"inputs": []}).to_string().into_bytes(), "/v2/models/other/infer", 404, "no model named \"other\""),
    ];
    for (body, path, want, msg) in cases {
        let (status, _, text) = s.request("POST", path, &body);
        assert_eq!(status, want, "{path}: {text}");
        let j: J = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        assert!(
            j["error"].as_str().unwrap().contains(msg),
            "{} should mention {msg}",
            j["error"]
        );
    }
    assert_eq!(s.get("/no/such/route").0, 404);
    assert_eq!(s.get("/v2/health/ready").0, 200);
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_0() {
    let mut s = Server::start(&[
        "--model",
        models().join("slow.onnx").to_str().unwrap(),
        "--max-batch-size",
        "1",
        "--workers",
        "1",
    ]);
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let addr = s.addr.clone();
            std::thread::spawn(move || {
                http(
                    &addr,
                    "POST",
                    "/v2/models/slow/infer",
                    slow_request().as_bytes(),
                )
                .0
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(60));
    let code = s.terminate();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(code, 0);
    assert!(
        statuses.iter().all(|s| *s == 200),
        "in-flight requests were dropped: {statuses:?}"
    );
    assert!(
        TcpStream::connect(&s.addr).is_err(),
        "still accepting after shutdown"
    );
}

#[test]
fn missing_runtime_library_is_a_clear_error() {
    let out = Command::new(crate::support::bin())
        .args(["serve", "--model"])
        .arg(models().join("mlp.onnx"))
        .env_remove("ORT_DYLIB_PATH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ORT_DYLIB_PATH") && err.contains("pip download onnxruntime"),
        "{err}"
    );
}

#[test]
fn model_inspect_reports_the_interface() {
    let text = Command::new(crate::support::bin())
        .args(["model", "inspect"])
        .arg(models().join("mlp.onnx"))
        .output()
        .unwrap();
    insta::assert_snapshot!("model_inspect_text", String::from_utf8_lossy(&text.stdout));
    let json = Command::new(crate::support::bin())
        .args(["model", "inspect", "-json"])
        .arg(models().join("dir/adder.onnx"))
        .output()
        .unwrap();
    insta::assert_snapshot!("model_inspect_json", String::from_utf8_lossy(&json.stdout));
    let bad = Command::new(crate::support::bin())
        .args(["model", "inspect"])
        .arg(models().join("expected.json"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an ONNX model"));
}
