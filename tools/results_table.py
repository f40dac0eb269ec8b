#!/usr/bin/env python3
"""Markdown step-count tables from DistillDiff evaluation files: the numbers of docs/results.md.

    python3 tools/results_table.py EVAL_DIR RUN_DIR...

EVAL_DIR holds one folder per `distilldiff eval` (each with eval.json); every RUN_DIR is a training run whose
step_curve.json holds its end-of-phase evaluations. One table per image metric (rows: model and sampler; columns:
sampling steps), then teacher agreement and speed for the models evaluated with --teacher.
"""
import json
import os
import sys

METRICS = [("fd", "FD (classifier features)"), ("kid", "KID (unbiased, cubic polynomial kernel, as stored)"), ("precision", "precision"),
           ("recall", "recall"), ("fd_pool7", "FD of 7×7-pooled pixels (second opinion)")]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def series_of_run(run):
    """(label, {steps: metrics}) per series of a run's end-of-phase evaluation, in the order they were measured."""
    name = os.path.basename(os.path.normpath(run))
    out = {}
    for p in load_json(os.path.join(run, "step_curve.json")):
        label = f"{name}: {p.get('series') or p['model'] + ' (' + p['sampler'] + ')'}"
        out.setdefault(label, {})[p["steps"]] = p["metrics"]
    return list(out.items())


def series_of_eval(folder):
    name = os.path.basename(os.path.normpath(folder))
    out = {}
    for r in load_json(os.path.join(folder, "eval.json"))["rows"]:
        out.setdefault(f"eval {name}: {r['model']} ({r['sampler']})", {})[r["steps"]] = r["metrics"]
    return list(out.items())


def fmt(v):
    if v is None:
        return ""
    return f"{v:.4f}" if abs(v) < 10 else f"{v:.2f}"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: results_table.py EVAL_DIR [RUN_DIR...]")
    eval_dir, runs = sys.argv[1], sys.argv[2:]
    series = []
    for run in runs:
        series += series_of_run(run)
    evals = sorted(d for d in os.listdir(eval_dir) if os.path.isfile(os.path.join(eval_dir, d, "eval.json")))
    for d in evals:
        series += series_of_eval(os.path.join(eval_dir, d))
    # A model measured twice with the same seed (the teacher in each run that distils it) gives the same numbers:
    # drop a series whose points all repeat another's (keeping the longer, else the first).
    def repeats(i, j):
        a, b = series[i][1], series[j][1]
        return set(a) <= set(b) and all(a[s] == b[s] for s in a) and (len(b) > len(a) or j < i)
    kept = [series[i] for i in range(len(series)) if not any(repeats(i, j) for j in range(len(series)) if j != i)]
    series = kept
    steps = sorted({s for _, pts in series for s in pts})
    first = load_json(os.path.join(eval_dir, evals[0], "eval.json")) if evals else {}
    print(f"Reference: {first.get('reference', '?')}; samples per point: {first.get('num_samples', '?')}; "
          f"device {first.get('device', '?')}, libtorch {first.get('lib_torch', '?')}, {first.get('threads', '?')} thread(s)\n")
    for key, title in METRICS:
        rows = [(label, pts) for label, pts in series if any(key in m for m in pts.values())]
        if not rows:
            continue
        print(f"**{title}**\n")
        print("| model (sampler) \\ steps | " + " | ".join(str(s) for s in steps) + " |")
        print("|---|" + "---:|" * len(steps))
        for label, pts in rows:
            print(f"| {label} | " + " | ".join(fmt(pts.get(s, {}).get(key)) for s in steps) + " |")
        print()
    agree = [(label, s, m) for label, pts in series for s, m in sorted(pts.items()) if "psnr_vs_teacher" in m]
    if agree:
        print("**teacher agreement and speed** (PSNR and classifier-feature distance to the teacher's 64-step sample "
              "from the same noise and label; speed on this machine)\n")
        print("| model (sampler) | steps | PSNR dB | feature distance | ms/sample b1 | ms/sample b64 | samples/s b64 |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, s, m in agree:
            print(f"| {label} | {s} | {fmt(m.get('psnr_vs_teacher'))} | {fmt(m.get('feature_distance_vs_teacher'))} | "
                  f"{fmt(m.get('ms_per_sample_b1'))} | {fmt(m.get('ms_per_sample_b64'))} | {fmt(m.get('samples_per_s_b64'))} |")
        print()


if __name__ == "__main__":
    main()
