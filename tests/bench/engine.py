#!/usr/bin/env python3
"""Engine benchmark: apply (all creates) and no-change plan of N terraform_data resources
(N/10 chains of 10, with references and interpolation), mlform against Terraform when it is
on PATH, in one run. Prints a markdown table of medians and peak memory.

With --shape objects, each resource's input is an object (name, team, replicas, tags,
ports, description) and triggers_replace names the previous resource's id: the shape where
state values, not the graph, dominate memory.

Usage: python3 tests/bench/engine.py [--sizes 1000,5000] [--reps 3] [--tf-reps 1] [--shape chains|objects]
Build first: cargo build --release
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLFORM = os.path.join(ROOT, "target", "release", "mlform")


def config(n):
    chains = n // 10
    out = []
    for c in range(chains):
        for i in range(10):
            if i == 0:
                out.append(f'resource "terraform_data" "c{c}_{i}" {{\n  input = "chain-{c}"\n}}\n')
            else:
                out.append(
                    f'resource "terraform_data" "c{c}_{i}" {{\n'
                    f'  input = "${{terraform_data.c{c}_{i - 1}.output}}-{i}"\n}}\n'
                )
    return "".join(out)


def objects_config(n):
    out = []
    for i in range(n):
        trigger = f"\n  triggers_replace = terraform_data.r{i - 1}.id" if i > 0 else ""
        out.append(
            f'resource "terraform_data" "r{i}" {{\n'
            f'  input = {{\n'
            f'    name        = "model-server-{i}"\n'
            f'    team        = "team-{i % 10}"\n'
            f'    replicas    = {i % 5 + 1}\n'
            f'    tags        = {{ env = "dev", owner = "team-{i % 10}", cost_center = "ml-{i % 3}" }}\n'
            f'    ports       = [80, 443, {8000 + i % 100}]\n'
            f'    description = "ONNX model server replica {i} of the ML platform"\n'
            f'  }}{trigger}\n'
            f'}}\n'
        )
    return "".join(out)


def timed(cmd, cwd):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak RSS in MiB)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})
    elapsed = time.monotonic() - t0
    if p.returncode not in (0, 2):
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return elapsed, rss


SHAPES = {"chains": config, "objects": objects_config}
SHAPE = "chains"


def run_tool(tool, n, reps):
    applies, plans, rss_apply, rss_plan = [], [], [], []
    for _ in range(reps):
        d = tempfile.mkdtemp(prefix=f"bench-{tool}-{n}-")
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(SHAPES[SHAPE](n))
        if tool == "mlform":
            apply = [MLFORM, "apply", "-auto-approve", "-parallelism=10"]
            plan = [MLFORM, "plan", "-parallelism=10"]
        else:
            subprocess.run(["terraform", "init", "-input=false"], cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            apply = ["terraform", "apply", "-auto-approve", "-input=false", "-parallelism=10"]
            plan = ["terraform", "plan", "-input=false", "-parallelism=10"]
        t, m = timed(apply, d)
        applies.append(t)
        rss_apply.append(m)
        t, m = timed(plan, d)
        plans.append(t)
        rss_plan.append(m)
        shutil.rmtree(d, ignore_errors=True)
    return statistics.median(applies), statistics.median(plans), max(rss_apply), max(rss_plan)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,2000,5000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tf-reps", type=int, default=1)
    ap.add_argument("--tf-max", type=int, default=5000, help="largest N to run under Terraform")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="chains")
    args = ap.parse_args()
    global SHAPE
    SHAPE = args.shape
    if not os.path.exists(MLFORM):
        sys.exit("build first: cargo build --release")
    tf = shutil.which("terraform")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"shape: {SHAPE}; machine: {os.cpu_count()} cores; terraform: {subprocess.run(['terraform', 'version'], capture_output=True, text=True).stdout.splitlines()[0] if tf else 'not on PATH'}")
    print()
    print("| N | tool | apply (median s) | no-change plan (median s) | peak RSS apply (MiB) | peak RSS plan (MiB) |")
    print("|---|---|---|---|---|---|")
    results = {}
    for n in sizes:
        results[("mlform", n)] = run_tool("mlform", n, args.reps)
        a, p, ra, rp = results[("mlform", n)]
        print(f"| {n} | mlform | {a:.3f} | {p:.3f} | {ra:.1f} | {rp:.1f} |", flush=True)
        if tf and n <= args.tf_max:
            results[("terraform", n)] = run_tool("terraform", n, args.tf_reps)
            a, p, ra, rp = results[("terraform", n)]
            print(f"| {n} | terraform | {a:.3f} | {p:.3f} | {ra:.1f} | {rp:.1f} |", flush=True)
    print()
    print("| N | apply speed-up | plan speed-up | apply memory ratio | plan memory ratio |")
    print("|---|---|---|---|---|")
    for n in sizes:
        if ("terraform", n) in results:
            m, t = results[("mlform", n)], results[("terraform", n)]
            print(f"| {n} | {t[0] / m[0]:.0f}x | {t[1] / m[1]:.0f}x | {m[2] / t[2]:.2f} | {m[3] / t[3]:.2f} |")
    base = results[("mlform", sizes[0])]
    print()
    print("mlform growth relative to the smallest N (linear means the ratio tracks N):")
    for n in sizes[1:]:
        m = results[("mlform", n)]
        print(f"- N={n} ({n / sizes[0]:.0f}x): apply {m[0] / base[0]:.1f}x, plan {m[1] / base[1]:.1f}x")


if __name__ == "__main__":
    main()
