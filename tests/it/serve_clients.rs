//! The model server against what real and hostile clients send: Triton's own Python clients
//! (tritonclient, HTTP and gRPC, in their default modes), the V2 binary tensor data
//! extension, shapes whose element count overflows, out-of-range floats, a declared body
//! over the limit, and idle connections past the connection cap.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};

use crate::serve::{models, Server};

fn mlp(extra: &[&str]) -> Server {
    let model = models().join("mlp.onnx");
    let mut args = vec!["--model", model.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// Sends raw bytes and reads the whole answer (the server closes or `Connection: close`).
fn raw(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn split_answer(answer: &[u8]) -> (String, Vec<u8>) {
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    (
        String::from_utf8_lossy(&answer[..at]).to_string(),
        answer[at + 4..].to_vec(),
    )
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn binary_request(addr: &str, json_head: &J, data: &[u8]) -> (String, Vec<u8>) {
    let head = json_head.to_string();
    let mut body = head.clone().into_bytes();
    body.extend_from_slice(data);
    let req = format!(
        "POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nInference-Header-Content-Length: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        head.len(),
        body.len()
    );
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(&body);
    split_answer(&raw(addr, &bytes))
}

#[test]
fn binary_tensor_data_gives_the_same_answer_as_json() {
    let s = mlp(&[]);
    let features: Vec<f32> = (0..128).map(|i| (i as f32 * 0.37).sin()).collect();
    let (status, json_answer) = s.post(
        "/v2/models/mlp/infer",
        &json!({"inputs": [{"name": "features", "shape": [2, 64], "datatype": "FP32", "data": features}]}),
    );
    assert_eq!(status, 200, "{json_answer}");
    let want: Vec<f32> = json_answer["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    let bytes: Vec<u8> = features.iter().flat_map(|f| f.to_le_bytes()).collect();

    // Binary input, binary output (what tritonclient sends with no outputs named).
    let (head, body) = binary_request(
        &s.addr,
        &json!({"inputs": [{"name": "features", "shape": [2, 64], "datatype": "FP32", "parameters": {"binary_data_size": bytes.len()}}],
                "parameters": {"binary_data_output": true}}),
        &bytes,
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let json_len: usize = header(&head, "inference-header-content-length")
        .expect("the answer gives its JSON length")
        .parse()
        .unwrap();
    let answer: J = serde_json::from_slice(&body[..json_len]).unwrap();
    let out = &answer["outputs"][0];
    assert_eq!(out["datatype"], "FP32");
    let size = out["parameters"]["binary_data_size"].as_u64().unwrap() as usize;
    assert_eq!(size, want.len() * 4);
    assert!(out.get("data").is_none());
    let got: Vec<f32> = body[json_len..json_len + size]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(got, want);

    // Binary input, an output asked for as JSON.
    let (head, body) = binary_request(
        &s.addr,
        &json!({"inputs": [{"name": "features", "shape": [2, 64], "datatype": "FP32", "parameters": {"binary_data_size": bytes.len()}}],
                "outputs": [{"name": json_answer["outputs"][0]["name"], "parameters": {"binary_data": false}}]}),
        &bytes,
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(header(&head, "inference-header-content-length").is_none());
    let answer: J = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        answer["outputs"][0]["data"],
        json_answer["outputs"][0]["data"]
    );

    // Sizes that do not add up are 400s.
    for (declared, sent) in [(bytes.len(), &bytes[..100]), (100, &bytes[..])] {
        let (head, body) = binary_request(
            &s.addr,
            &json!({"inputs": [{"name": "features", "shape": [2, 64], "datatype": "FP32", "parameters": {"binary_data_size": declared}}]}),
            sent,
        );
        assert!(head.starts_with("HTTP/1.1 400"), "{head}");
        let err: J = serde_json::from_slice(&body).unwrap();
        assert!(err["error"].as_str().unwrap().contains("binary"), "{err}");
    }
}

#[test]
fn hostile_tensors_get_400_without_runtime_internals() {
    let s = mlp(&[]);
    let cases = [
        (
            json!({"inputs": [{"name": "features", "shape": [288230376151711744_i64, 64], "datatype": "FP32", "data": []}]}),
            "too large",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [-1, 64], "datatype": "FP32", "data": []}]}),
            "dimension 0",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 64], "datatype": "FP32", "data": vec![1e39; 64]}]}),
            "at most 3.4028235e38",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": vec![1; 40], "datatype": "FP32", "data": [1]}]}),
            "dimensions",
        ),
    ];
    for (body, msg) in cases {
        let (status, answer) = s.post("/v2/models/mlp/infer", &body);
        assert_eq!(status, 400, "{answer}");
        let text = answer["error"].as_str().unwrap();
        assert!(text.contains(msg), "{text} should mention {msg}");
        let lower = text.to_lowercase();
        assert!(
            !lower.contains("onnxruntime")
                && !lower.contains("onnx runtime")
                && !text.contains("Ort"),
            "{text}"
        );
    }
    assert_eq!(s.get("/ping").0, 200);
}

#[test]
fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let s = mlp(&["--max-body-bytes", "100000"]);
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{")
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let n = c
        .read(&mut buf)
        .expect("an answer without sending the body");
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn idle_connections_time_out_and_the_cap_refuses_the_rest() {
    // The header timeout leaves room for a loaded machine: the 21st connection below must
    // arrive while the first 20 are still within it.
    let s = mlp(&["--header-timeout-ms", "2000", "--max-connections", "20"]);
    // 20 idle connections fill the cap; the 21st is answered 503 at once.
    let idle: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    // On a loaded machine the server may not have accepted all 20 yet: ask again, briefly
    // (well within the header timeout).
    let (head, body) = (0..10)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            split_answer(&raw(&s.addr, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"))
        })
        .find(|(head, _)| head.starts_with("HTTP/1.1 503"))
        .unwrap_or_default();
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("--max-connections"));
    // Past the header timeout the server has closed every idle connection...
    for mut c in idle {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 256];
        let n = c.read(&mut buf).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    }
    // ...and serves again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.get("/ping").0 != 200 {
        assert!(Instant::now() < deadline, "the server did not recover");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A client that trickles its headers is cut off too.
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let cut_off = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        slow.write_all(b"X-Slow: 1\r\n").is_err()
    });
    assert!(
        cut_off,
        "a client trickling headers for 5 s was never cut off"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn triton_style_routes_answer() {
    let s = mlp(&[]);
    let (status, _, text) = s.get("/v2");
    assert_eq!(status, 200);
    let meta: J = serde_json::from_str(&text).unwrap();
    assert!(meta["extensions"]
        .as_array()
        .unwrap()
        .contains(&json!("binary_tensor_data")));
    assert_eq!(s.get("/v2/models/mlp/versions/1").0, 200);
    assert_eq!(s.get("/v2/models/mlp/versions/1/ready").0, 200);
    let (status, answer) = s.post(
        "/v2/models/mlp/versions/1/infer",
        &json!({"inputs": [{"name": "features", "shape": [1, 64], "datatype": "FP32", "data": vec![0.5; 64]}]}),
    );
    assert_eq!(status, 200, "{answer}");
}

const TRITONCLIENT_VERSION: &str = "2.73.0";

/// A venv with PyPI's tritonclient[http,grpc], made once under ~/.cache/mlform.
pub(crate) fn tritonclient_python() -> PathBuf {
    // Tests run in parallel; one of them makes the venv.
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(make_tritonclient_venv).clone()
}

fn make_tritonclient_venv() -> PathBuf {
    let venv = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
        .join(".cache/mlform")
        .join(format!("venv-tritonclient-{TRITONCLIENT_VERSION}"));
    let python = venv.join("bin/python");
    let ready = venv.join(".installed");
    if !ready.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv");
        assert!(status.success(), "could not make the tritonclient venv");
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "-q"])
            .arg(format!("tritonclient[http,grpc]=={TRITONCLIENT_VERSION}"))
            .status()
            .expect("pip install tritonclient");
        assert!(status.success(), "pip install tritonclient failed");
        std::fs::write(&ready, "").unwrap();
    }
    python
}

#[test]
fn tritonclient_http_and_grpc_work_in_their_default_modes() {
    let python = tritonclient_python();
    let s = mlp(&["--grpc-port", "0"]);
    let grpc = s.grpc.clone().expect("the server names its gRPC address");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/triton_clients.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&s.addr)
        .arg(&grpc)
        .arg(models().join("expected.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "ok http binary in, binary out",
        "ok http JSON in, JSON out",
        "ok grpc raw in, raw out",
        "ok grpc wrong shape refused",
    ] {
        assert!(stdout.contains(line), "{stdout}");
    }
    // gRPC calls are counted with the HTTP ones.
    let (_, _, metrics) = s.get("/metrics");
    assert!(
        metrics.contains("/inference.GRPCInferenceService/ModelInfer"),
        "{metrics}"
    );
}

#[test]
fn clients_that_hang_up_mid_inference_leave_every_session_usable() {
    let slow = models().join("slow.onnx");
    let s = Server::start(&[
        "--model",
        slow.to_str().unwrap(),
        "--max-batch-size",
        "1",
        "--workers",
        "1",
    ]);
    let body = crate::serve::slow_request();
    let request = format!(
        "POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Each hangs up while its inference runs on the only session.
    for _ in 0..3 {
        let mut c = TcpStream::connect(&s.addr).unwrap();
        c.write_all(request.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        drop(c);
    }
    for _ in 0..3 {
        let (status, answer) = s.post(
            "/v2/models/slow/infer",
            &serde_json::from_str::<J>(&body).unwrap(),
        );
        assert_eq!(status, 200, "{answer}");
    }
}
