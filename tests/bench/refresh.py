#!/usr/bin/env python3
"""Refresh benchmark: what a plan costs when every API call pays a round trip.

N resources on the local AWS emulator (units of an S3 bucket with versioning, public access
block and encryption, plus an IAM role: five resources each), reached through a delay proxy
that holds every request L ms before passing it on (the round trip to a real region). For
each L it times a no-change `plan` with full refresh, counts the requests it made, and
compares with the floor N x (calls per resource) x L / parallelism. Then the same with
`-minimal-refresh` after 1% of the units changed.

Usage: MLFORM_BIN=target/release/mlform python3 tests/bench/refresh.py [--sizes 200,1000]
       [--latencies 20,50] [--reps 3] [--parallelism 10]
Needs the emulator venv the tests make (~/.cache/mlform/venv-moto-5.2.5).
"""
import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLFORM = os.environ.get("MLFORM_BIN", os.path.join(ROOT, "target", "release", "mlform"))
MOTO_PY = os.path.expanduser("~/.cache/mlform/venv-moto-5.2.5/bin/python")
METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ", b"PATCH ")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DelayProxy:
    """A TCP proxy on loopback: each request (a client chunk that starts with an HTTP
    method) waits `latency_ms` before it is forwarded, and is counted."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.latency_ms = 0
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port, backlog=1024)
        )
        self.ready.set()
        self.loop.run_forever()
        server.close()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return

        async def client_to_upstream():
            try:
                while True:
                    chunk = await reader.read(65536)
                    if not chunk:
                        break
                    if chunk.startswith(METHODS):
                        self.requests += 1
                        if self.latency_ms:
                            await asyncio.sleep(self.latency_ms / 1000)
                    up_writer.write(chunk)
                    await up_writer.drain()
            finally:
                up_writer.close()

        async def upstream_to_client():
            try:
                while True:
                    chunk = await up_reader.read(65536)
                    if not chunk:
                        break
                    writer.write(chunk)
                    await writer.drain()
            finally:
                writer.close()

        await asyncio.gather(client_to_upstream(), upstream_to_client(), return_exceptions=True)


def start_emulator():
    port = free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="false")
    proc = subprocess.Popen(
        [MOTO_PY, os.path.join(ROOT, "tests", "aws", "emulator.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("the emulator did not start")


def config(n, url, changed=0):
    out = [
        f'''provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
    s3  = "{url}"
    iam = "{url}"
    sts = "{url}"
  }}
}}
'''
    ]
    for u in range(n // 5):
        description = "changed" if u < changed else "serving role"
        out.append(
            f'''
resource "aws_s3_bucket" "b{u}" {{
  bucket        = "bench-{u}"
  force_destroy = true
}}

resource "aws_s3_bucket_versioning" "b{u}" {{
  bucket = aws_s3_bucket.b{u}.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_public_access_block" "b{u}" {{
  bucket                  = aws_s3_bucket.b{u}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "b{u}" {{
  bucket = aws_s3_bucket.b{u}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}

resource "aws_iam_role" "r{u}" {{
  name               = "bench-{u}"
  description        = "{description}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}] }})
}}
'''
        )
    return "".join(out)


def run(cmd, cwd, ok=(0,)):
    started = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if p.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return elapsed


def measure(proxy, cmd, cwd, reps, ok):
    times, calls = [], []
    for _ in range(reps):
        proxy.requests = 0
        times.append(run(cmd, cwd, ok))
        calls.append(proxy.requests)
    return statistics.median(times), statistics.median(calls)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200,1000")
    ap.add_argument("--latencies", default="20,50")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--parallelism", type=int, default=10)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    latencies = [int(s) for s in args.latencies.split(",")]
    p = args.parallelism
    rows = []
    for n in sizes:
        emulator, port = start_emulator()
        proxy = DelayProxy(port)
        url = f"http://127.0.0.1:{proxy.port}"
        d = tempfile.mkdtemp(prefix=f"mlform-refresh-{n}-")
        try:
            with open(os.path.join(d, "main.tf"), "w") as f:
                f.write(config(n, url))
            run([MLFORM, "apply", "-auto-approve", "-no-color", f"-parallelism={p}"], d)
            for latency in latencies:
                proxy.latency_ms = latency
                full_t, full_calls = measure(
                    proxy, [MLFORM, "plan", "-no-color", "-detailed-exitcode", f"-parallelism={p}"], d, args.reps, (0,)
                )
                cpr = full_calls / n
                floor = n * cpr * latency / 1000 / p
                changed = max(1, n // 100)
                with open(os.path.join(d, "main.tf"), "w") as f:
                    f.write(config(n, url, changed))
                min_t, min_calls = measure(
                    proxy,
                    [MLFORM, "plan", "-no-color", "-detailed-exitcode", "-minimal-refresh", f"-parallelism={p}"],
                    d,
                    args.reps,
                    (2,),
                )
                with open(os.path.join(d, "main.tf"), "w") as f:
                    f.write(config(n, url))
                rows.append((n, latency, full_calls, cpr, full_t, floor, min_calls, min_t, changed))
                print(
                    f"N={n} L={latency}ms: full {full_t:.2f}s, {full_calls} calls ({cpr:.2f}/resource), "
                    f"floor {floor:.2f}s, ratio {floor / full_t:.2f}; minimal {min_t:.2f}s, {min_calls} calls",
                    file=sys.stderr,
                )
            proxy.latency_ms = 0
            run([MLFORM, "destroy", "-auto-approve", "-no-color", f"-parallelism={p}"], d)
        finally:
            emulator.kill()
            shutil.rmtree(d, ignore_errors=True)
    print(f"\nParallelism {p}; medians of {args.reps} runs.\n")
    print("| N | L | calls (full plan) | calls / resource | full plan | floor N*c*L/p | floor / time | -minimal-refresh calls | -minimal-refresh plan |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, latency, calls, cpr, t, floor, mcalls, mt, changed in rows:
        print(
            f"| {n} | {latency} ms | {calls:.0f} | {cpr:.2f} | {t:.2f} s | {floor:.2f} s | {floor / t:.2f} | "
            f"{mcalls:.0f} ({changed} role(s) changed) | {mt:.2f} s |"
        )


if __name__ == "__main__":
    main()
