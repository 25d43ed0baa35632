#!/usr/bin/env python3
"""Engine benchmark: apply (all creates) and no-change plan of N terraform_data resources
(N/10 chains of 10, with references and interpolation), mlform against Terraform when it is
on PATH, in one run. Prints a markdown table of medians and peak memory.

With --shape objects, each resource's input is an object (name, team, replicas, tags,
ports, description) and triggers_replace names the previous resource's id: the shape where
state values, not the graph, dominate memory.

With --tf-state-from-mlform, Terraform's apply is not timed: its state is written from the
state mlform's apply produced (Terraform's v4 format, dynamic values with their types), and
only Terraform's no-change plan is measured. For the objects shape Terraform's own apply at
N = 2000 takes longer than a session (its state records every transitive dependency).

Usage: python3 tests/bench/engine.py [--sizes 1000,5000] [--reps 3] [--tf-reps 1] [--shape chains|objects] [--tf-state-from-mlform]
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
MLFORM = os.environ.get("MLFORM_BIN", os.path.join(ROOT, "target", "release", "mlform"))


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
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return elapsed, rss


SHAPES = {"chains": config, "objects": objects_config}
SHAPE = "chains"


def cty_type(v):
    """Terraform's JSON type of a value decoded from JSON (objects and tuples, as literals)."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return ["tuple", [cty_type(x) for x in v]]
    if isinstance(v, dict):
        return ["object", {k: cty_type(x) for k, x in v.items()}]
    return "dynamic"


def terraform_state_from_mlform(d):
    """Writes terraform.tfstate (format 4) for the terraform_data resources mlform applied."""
    import json
    with open(os.path.join(d, "mlform.tfstate")) as f:
        ours = json.load(f)
    resources = []
    for r in ours["resources"]:
        instances = []
        for inst in r["instances"]:
            a = inst["attributes"]
            attrs = {"id": a["id"]}
            for k in ("input", "output", "triggers_replace"):
                v = a.get(k)
                attrs[k] = None if v is None else {"value": v, "type": cty_type(v)}
            instances.append({"schema_version": 0, "attributes": attrs, "sensitive_attributes": []})
        resources.append({"mode": r["mode"], "type": r["type"], "name": r["name"],
                          "provider": r["provider"], "instances": instances})
    state = {"version": 4, "terraform_version": "1.11.4", "serial": ours["serial"],
             "lineage": ours["lineage"], "outputs": {}, "resources": resources, "check_results": None}
    with open(os.path.join(d, "terraform.tfstate"), "w") as f:
        json.dump(state, f)


TF_STATE_FROM_MLFORM = False


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
            plan = ["terraform", "plan", "-input=false", "-parallelism=10", "-detailed-exitcode"]
            if TF_STATE_FROM_MLFORM:
                subprocess.run([MLFORM, "apply", "-auto-approve"], cwd=d, check=True, stdout=subprocess.DEVNULL)
                terraform_state_from_mlform(d)
                apply = None
        if apply is None:
            t, m = float("nan"), float("nan")
        else:
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
    ap.add_argument("--tf-state-from-mlform", action="store_true")
    args = ap.parse_args()
    global SHAPE, TF_STATE_FROM_MLFORM
    SHAPE = args.shape
    TF_STATE_FROM_MLFORM = args.tf_state_from_mlform
    if not os.path.exists(MLFORM):
        sys.exit("build first: cargo build --release")
    # --tf-reps 0 measures mlform alone.
    tf = shutil.which("terraform") if args.tf_reps > 0 else None
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
