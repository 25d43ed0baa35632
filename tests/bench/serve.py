#!/usr/bin/env python3
"""Serving benchmark: mlform serve (batching off and on) against a Python baseline
(FastAPI + uvicorn + onnxruntime) and an in-process loop of session.run (the ceiling), with
the same model (tests/models/mlp.onnx: 64 -> 256 -> 256 -> 8 floats) and the same load
generator (wrk) at concurrency 1, 8 and 64, in one run on loopback.

Needs: cargo build --release; wrk (apt-get install wrk); a venv with onnxruntime, numpy,
fastapi and uvicorn (created under ~/.cache/mlform/venv-serve when missing).
Usage: python3 tests/bench/serve.py [--duration 10] [--concurrency 1,8,64]
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
MODEL = os.path.join(ROOT, "tests", "models", "mlp.onnx")
MLFORM = os.path.join(ROOT, "target", "release", "mlform")
VENV = os.path.expanduser("~/.cache/mlform/venv-serve")
PY = os.path.join(VENV, "bin", "python")


def ensure_venv():
    if not os.path.exists(PY):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([PY, "-m", "pip", "install", "-q", "onnxruntime==1.32.0", "numpy", "fastapi", "uvicorn"], check=True)
    lib = subprocess.run([PY, "-c", "import onnxruntime, os, glob; print(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), 'capi', 'libonnxruntime.so.*'))[0])"], capture_output=True, text=True, check=True).stdout.strip()
    return lib


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


def run_server(name, cmd, env, ready_url, target, concurrencies, duration, body_file):
    if PIN:
        cmd = ["taskset", "-c", "0"] + cmd
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(ready_url)
        time.sleep(0.5)
        results = []
        for c in concurrencies:
            wrk(target, c, 2, body_file)  # warm-up
            pids = proc_tree(proc.pid)
            c0, t0 = cpu_seconds(pids), time.time()
            r = wrk(target, c, duration, body_file)
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
x = np.random.default_rng(1).standard_normal((1, 64)).astype(np.float32)
counts = [0] * {threads}
stop = time.time() + {duration}
def loop(i):
    s = sessions[i]
    while time.time() < stop:
        s.run(None, {{'features': x}}); counts[i] += 1
ts = [threading.Thread(target=loop, args=(i,)) for i in range({threads})]
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(counts) / {duration})
"""
    return float(subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--concurrency", default="1,8,64")
    ap.add_argument("--pin", action="store_true", help="servers on core 0, the load generator on core 1")
    args = ap.parse_args()
    global PIN
    PIN = args.pin
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    if not os.path.exists(MLFORM):
        sys.exit("build first: cargo build --release")
    lib = ensure_venv()
    row = [round(0.01 * i, 2) for i in range(64)]
    body = json.dumps({"instances": [row]})
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(body)}\n')
    lua.close()
    cores = 1 if PIN else os.cpu_count()
    print(f"layout: {'servers pinned to core 0, wrk to core 1' if PIN else 'servers and wrk share all cores'}")
    print(f"machine: {os.cpu_count()} cores; model: {os.path.relpath(MODEL, ROOT)}; request: 1 row of 64 floats, SageMaker /invocations JSON; wrk {args.duration}s per point")
    results = []
    for name, extra in [("mlform serve (batching off)", ["--max-batch-size", "1"]), ("mlform serve (batching on)", ["--max-batch-size", "64", "--max-batch-delay-ms", "2"])]:
        port = free_port()
        cmd = [MLFORM, "serve", "--model", MODEL, "--host", "127.0.0.1", "--port", str(port), "--threads", "1", "--workers", str(cores)] + extra
        results += run_server(name, cmd, {"ORT_DYLIB_PATH": lib}, f"http://127.0.0.1:{port}/ping", f"http://127.0.0.1:{port}/invocations", concurrencies, args.duration, lua.name)
    port = free_port()
    uvicorn = [PY, "-m", "uvicorn", "serve_baseline:app", "--host", "127.0.0.1", "--port", str(port), "--workers", str(cores), "--log-level", "warning", "--app-dir", os.path.dirname(os.path.abspath(__file__))]
    results += run_server(f"python fastapi+uvicorn ({cores} workers)", uvicorn, {"MODEL": MODEL}, f"http://127.0.0.1:{port}/ping", f"http://127.0.0.1:{port}/invocations", concurrencies, args.duration, lua.name)
    ceiln = ceiling(args.duration, cores)
    print(f"in-process session.run ceiling: {ceiln:.0f} runs/s on {cores} thread(s)")
    by = {(r["server"], r["concurrency"]): r for r in results}
    base = [k for k in by if k[0].startswith("python")][0][0]
    off, on = "mlform serve (batching off)", "mlform serve (batching on)"
    c = max(concurrencies)
    print()
    print(f"at concurrency {c}: batching on / python baseline = {by[(on, c)]['rps'] / by[(base, c)]['rps']:.1f}x req/s, p99 ratio {by[(on, c)]['p99'] / by[(base, c)]['p99']:.2f}")
    print(f"at concurrency {c}: batching off / python baseline = {by[(off, c)]['rps'] / by[(base, c)]['rps']:.1f}x req/s, p99 ratio {by[(off, c)]['p99'] / by[(base, c)]['p99']:.2f}")
    print(f"unbatched throughput / in-process ceiling ({cores} thread(s)) = {max(by[(off, x)]['rps'] for x in concurrencies) / ceiln:.2f}")
    print(f"batching on / off at concurrency {c} = {by[(on, c)]['rps'] / by[(off, c)]['rps']:.2f}x")
    os.unlink(lua.name)


if __name__ == "__main__":
    main()
