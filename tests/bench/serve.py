#!/usr/bin/env python3
"""Serving benchmark: mlform serve (batching off and on) against a Python baseline
(FastAPI + uvicorn + onnxruntime) and an in-process loop of session.run (the ceiling), with
the same model (tests/models/mlp.onnx: 64 -> 256 -> 256 -> 8 floats) and the same load
generator (wrk) at concurrency 1, 8 and 64, in one run on loopback.

Needs: cargo build --release (or, for the image's binary alone, cargo build --release -p
mlform-serve: --server target/release/mlform-serve); wrk (apt-get install wrk); a venv with
onnxruntime, numpy, fastapi and uvicorn (created under ~/.cache/mlform/venv-serve when
missing).
Usage: python3 tests/bench/serve.py [--duration 10] [--concurrency 1,8,64]
       [--server PATH] [--requests invocations,v2,binary] [--no-baseline]

--kserve also runs KServe's own Python model server (PyPI kserve 0.15.2, an onnxruntime
predictor written as KServe's docs show: tests/bench/kserve_onnx.py; venv under
~/.cache/mlform/venv-kserve) on the v2 and grpc forms.

--requests picks the request forms: SageMaker rows on /invocations (the default), the V2
JSON body on /v2/models/mlp/infer, the same with the binary tensor data extension, and
grpc: KServe V2 ModelInfer over gRPC, loaded by tests/bench/grpc_load.rs (cargo build
--release -p mlform-serve --example grpc_load) with the same concurrencies, closed loop.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = {
    # name: (file, input, shape after the batch dimension)
    "mlp": (os.path.join(ROOT, "tests", "models", "mlp.onnx"), "features", [64]),
    "image": (os.path.join(ROOT, "tests", "models", "image.onnx"), "pixels", [3, 224, 224]),
}
MODEL, INPUT, SHAPE = MODELS["mlp"]
MLFORM = os.path.join(ROOT, "target", "release", "mlform")
VENV = os.path.expanduser("~/.cache/mlform/venv-serve")
PY = os.path.join(VENV, "bin", "python")


def ensure_venv():
    if not os.path.exists(PY):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([PY, "-m", "pip", "install", "-q", "onnxruntime==1.32.0", "numpy", "fastapi", "uvicorn"], check=True)
    lib = subprocess.run([PY, "-c", "import onnxruntime, os, glob; print(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), 'capi', 'libonnxruntime.so.*'))[0])"], capture_output=True, text=True, check=True).stdout.strip()
    return lib


KSERVE_VENV = os.path.expanduser("~/.cache/mlform/venv-kserve")
KSERVE_PY = os.path.join(KSERVE_VENV, "bin", "python")


def ensure_kserve():
    if not os.path.exists(KSERVE_PY):
        subprocess.run([sys.executable, "-m", "venv", KSERVE_VENV], check=True)
        subprocess.run([KSERVE_PY, "-m", "pip", "install", "-q", "kserve==0.15.2", "onnxruntime==1.32.0", "numpy"], check=True)
    return KSERVE_PY


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(url, timeout=60):
    import urllib.request

    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"server at {url} never became ready")


def proc_tree(pid):
    out = [pid]
    try:
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            out += proc_tree(int(child))
    except OSError:
        pass
    return out


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_mib(pids):
    total = 0
    for p in pids:
        try:
            m = re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{p}/status").read())
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total / 1024


PIN = False


def wrk(url, concurrency, duration, body_file):
    threads = 1 if concurrency == 1 or PIN else 2
    out = subprocess.run(
        (["taskset", "-c", "1"] if PIN else []) + ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{duration}s", "--latency", "-s", body_file, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def lat(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat("50"), "p99": lat("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(1) if errors else ""}


def grpc_load(binary, addr, concurrency, duration):
    out = subprocess.run(
        (["taskset", "-c", "1"] if PIN else []) + [binary, "--addr", addr, "--concurrency", str(concurrency), "--duration", str(duration), "--connections", "2",
         "--model", os.path.splitext(os.path.basename(MODEL))[0], "--input", INPUT, "--shape", ",".join(map(str, SHAPE))],
        capture_output=True, text=True, check=True,
    ).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"rps": r["rps"], "p50": r["p50"], "p99": r["p99"], "non2xx": r["errors"], "errors": ""}


def run_server(name, cmd, env, ready_url, target, concurrencies, duration, body_file, load=None):
    if PIN:
        cmd = ["taskset", "-c", "0"] + cmd
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(ready_url)
        time.sleep(0.5)
        results = []
        for c in concurrencies:
            run = load or (lambda conc, secs: wrk(target, conc, secs, body_file))
            run(c, 2)  # warm-up
            pids = proc_tree(proc.pid)
            c0, t0 = cpu_seconds(pids), time.time()
            r = run(c, duration)
            r["cpu"] = (cpu_seconds(pids) - c0) / (time.time() - t0)
            r["rss"] = rss_mib(proc_tree(proc.pid))
            r["concurrency"] = c
            r["server"] = name
            results.append(r)
            print(f"{name:28} c={c:<3} {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  cpu {r['cpu']:.2f}  rss {r['rss']:.0f} MiB  non2xx {r['non2xx']} {r['errors']}", flush=True)
        return results
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def ceiling(duration, threads):
    code = f"""
import numpy as np, onnxruntime as ort, threading, time
o = ort.SessionOptions(); o.intra_op_num_threads = 1
sessions = [ort.InferenceSession({MODEL!r}, sess_options=o, providers=['CPUExecutionProvider']) for _ in range({threads})]
x = np.random.default_rng(1).standard_normal((1, *{SHAPE!r})).astype(np.float32)
counts = [0] * {threads}
stop = time.time() + {duration}
def loop(i):
    s = sessions[i]
    while time.time() < stop:
        s.run(None, {{{INPUT!r}: x}}); counts[i] += 1
ts = [threading.Thread(target=loop, args=(i,)) for i in range({threads})]
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(counts) / {duration})
"""
    return float(subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout.strip())


def lua_body(path, headers, body):
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="latin-1")
    lines = [f'wrk.method = "POST"', f'wrk.path = "{path}"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    # Lua decimal escapes carry any byte.
    lines.append('wrk.body = "' + "".join(f"\\{b}" for b in body) + '"')
    f.write("\n".join(lines) + "\n")
    f.close()
    return f.name


def request_forms(forms):
    import struct

    n = 1
    for d in SHAPE:
        n *= d
    row = [round(0.01 * (i % 100), 2) for i in range(n)]
    name = os.path.splitext(os.path.basename(MODEL))[0]
    out = {}
    if "invocations" in forms:
        rows = row if len(SHAPE) == 1 else [row]
        out["invocations"] = ("/invocations", {"Content-Type": "application/json"}, json.dumps({"instances": [rows]}).encode())
    if "v2" in forms:
        body = json.dumps({"inputs": [{"name": INPUT, "shape": [1, *SHAPE], "datatype": "FP32", "data": row}]})
        out["v2"] = (f"/v2/models/{name}/infer", {"Content-Type": "application/json"}, body.encode())
    if "binary" in forms:
        raw = struct.pack(f"<{n}f", *row)
        head = json.dumps({"inputs": [{"name": INPUT, "shape": [1, *SHAPE], "datatype": "FP32", "parameters": {"binary_data_size": len(raw)}}], "parameters": {"binary_data_output": True}}).encode()
        out["binary"] = (f"/v2/models/{name}/infer", {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))}, head + raw)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--concurrency", default="1,8,64")
    ap.add_argument("--server", default=None, help="the server binary (mlform, or mlform-serve)")
    ap.add_argument("--requests", default="invocations")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--model", default="mlp", choices=sorted(MODELS))
    ap.add_argument("--kserve", action="store_true")
    ap.add_argument("--grpc-load", default=os.path.join(ROOT, "target", "release", "examples", "grpc_load"))
    ap.add_argument("--pin", action="store_true", help="servers on core 0, the load generator on core 1")
    args = ap.parse_args()
    global PIN, MODEL, INPUT, SHAPE
    PIN = args.pin
    MODEL, INPUT, SHAPE = MODELS[args.model]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    server = args.server or MLFORM
    if not os.path.exists(server):
        sys.exit("build first: cargo build --release")
    serve_cmd = [server] if server.endswith("mlform-serve") else [server, "serve"]
    lib = ensure_venv()
    forms = request_forms(args.requests.split(","))
    grpc = "grpc" in args.requests.split(",")
    cores = 1 if PIN else os.cpu_count()
    print(f"layout: {'servers pinned to core 0, wrk to core 1' if PIN else 'servers and wrk share all cores'}")
    print(f"machine: {os.cpu_count()} cores; model: {os.path.relpath(MODEL, ROOT)}; request: 1 row of 64 floats; server {os.path.relpath(server, ROOT)} ({os.path.getsize(server) / 2**20:.1f} MiB); wrk {args.duration}s per point")
    results = []
    luas = []
    for form, (path, headers, body) in forms.items():
        lua = lua_body(path, headers, body)
        luas.append(lua)
        for name, extra in [(f"{form}, batching off", ["--max-batch-size", "1"]), (f"{form}, batching on", ["--max-batch-size", "64", "--max-batch-delay-ms", "2"])]:
            port = free_port()
            cmd = serve_cmd + ["--model", MODEL, "--host", "127.0.0.1", "--port", str(port), "--threads", "1", "--workers", str(cores)] + extra
            results += run_server(name, cmd, {"ORT_DYLIB_PATH": lib}, f"http://127.0.0.1:{port}/ping", f"http://127.0.0.1:{port}/", concurrencies, args.duration, lua)
    if grpc:
        for name, extra in [("grpc, batching off", ["--max-batch-size", "1"]), ("grpc, batching on", ["--max-batch-size", "64", "--max-batch-delay-ms", "2"])]:
            port, gport = free_port(), free_port()
            cmd = serve_cmd + ["--model", MODEL, "--host", "127.0.0.1", "--port", str(port), "--grpc-port", str(gport), "--threads", "1", "--workers", str(cores)] + extra
            load = lambda conc, secs, gport=gport: grpc_load(args.grpc_load, f"127.0.0.1:{gport}", conc, secs)
            results += run_server(name, cmd, {"ORT_DYLIB_PATH": lib}, f"http://127.0.0.1:{port}/ping", None, concurrencies, args.duration, None, load)
        forms = {**forms, "grpc": None}
    if args.kserve:
        kpy = ensure_kserve()
        name = os.path.splitext(os.path.basename(MODEL))[0]
        kforms = [f for f in ("v2", "grpc") if f in args.requests.split(",")]
        for form in kforms:
            port, gport = free_port(), free_port()
            cmd = [kpy, os.path.join(ROOT, "tests", "bench", "kserve_onnx.py"), MODEL, name, str(port), str(gport), str(cores)]
            if form == "grpc":
                load = lambda conc, secs, gport=gport: grpc_load(args.grpc_load, f"127.0.0.1:{gport}", conc, secs)
                results += run_server("grpc, kserve", cmd, {}, f"http://127.0.0.1:{port}/v2/models/{name}/ready", None, concurrencies, args.duration, None, load)
            else:
                results += run_server("v2, kserve", cmd, {}, f"http://127.0.0.1:{port}/v2/models/{name}/ready", f"http://127.0.0.1:{port}/", concurrencies, args.duration, luas[list(forms).index("v2")])
    if not args.no_baseline and "invocations" in forms:
        port = free_port()
        uvicorn = [PY, "-m", "uvicorn", "serve_baseline:app", "--host", "127.0.0.1", "--port", str(port), "--workers", str(cores), "--log-level", "warning", "--app-dir", os.path.dirname(os.path.abspath(__file__))]
        results += run_server(f"python fastapi+uvicorn ({cores} workers)", uvicorn, {"MODEL": MODEL}, f"http://127.0.0.1:{port}/ping", f"http://127.0.0.1:{port}/", concurrencies, args.duration, luas[0])
    ceiln = ceiling(args.duration, cores)
    print(f"in-process session.run ceiling: {ceiln:.0f} runs/s on {cores} thread(s)")
    by = {(r["server"], r["concurrency"]): r for r in results}
    c = max(concurrencies)
    print()
    for form in forms:
        off, on = f"{form}, batching off", f"{form}, batching on"
        print(f"{form}: unbatched throughput / in-process ceiling ({cores} thread(s)) = {max(by[(off, x)]['rps'] for x in concurrencies) / ceiln:.2f}; batching on / off at concurrency {c} = {by[(on, c)]['rps'] / by[(off, c)]['rps']:.2f}x")
    for form in ("v2", "grpc"):
        k = f"{form}, kserve"
        if (k, c) in by:
            for mode in ("batching off", "batching on"):
                m = f"{form}, {mode}"
                print(f"at concurrency {c}: {m} / kserve = {by[(m, c)]['rps'] / by[(k, c)]['rps']:.1f}x req/s, p99 {by[(m, c)]['p99']:.2f} ms against {by[(k, c)]['p99']:.2f} ms")
    base = [k for k in by if k[0].startswith("python")]
    if base:
        base = base[0][0]
        for name in ["invocations, batching off", "invocations, batching on"]:
            print(f"at concurrency {c}: {name} / python baseline = {by[(name, c)]['rps'] / by[(base, c)]['rps']:.1f}x req/s, p99 ratio {by[(name, c)]['p99'] / by[(base, c)]['p99']:.2f}")
    for lua in luas:
        os.unlink(lua)


if __name__ == "__main__":
    main()
