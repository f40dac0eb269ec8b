#!/usr/bin/env python3
"""Markdown deployment tables from the `distilldiff eval` runs of tools/fmnist_deploy.sh.

    python3 tools/deploy_table.py DEPLOY_DIR

DEPLOY_DIR holds eval-<N>steps/eval.json for each student (1, 2, 4 steps), each scoring the float student and its
deployment variants on the same noise. Rows: variant and where it ran; columns: quality at each step count, then
latency (ms per sample at batch 1 and 64) at each step count, then teacher agreement where measured.
"""
import json
import os
import re
import sys

# Row-name suffix (after "student-Nsteps") -> (variant, backend). Names come from DeployModels.RowName.
VARIANTS = [
    ("", ("fp32", "libtorch")),
    (".fp32.ort", ("fp32", "ONNX Runtime")),
    (".w8a8.ort", ("W8A8 (MSE ranges, split shortcut)", "ONNX Runtime int8 kernels")),
    (".w8a8.minmax.nosplit.ort", ("W8A8 (naive min-max)", "ONNX Runtime int8 kernels")),
    (".w8a8.fq", ("W8A8 (MSE ranges, split shortcut)", "libtorch fake-quant")),
    (".w4a8.fq", ("W4A8 (MSE ranges, split shortcut)", "libtorch fake-quant")),
    (".w4a8.minmax.nosplit.fq", ("W4A8 (naive min-max)", "libtorch fake-quant")),
]


def fmt(v, digits=4):
    if v is None:
        return ""
    return f"{v:.{digits}f}" if abs(v) < 10 else f"{v:.2f}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: deploy_table.py DEPLOY_DIR")
    root = sys.argv[1]
    evals = {}
    for d in sorted(os.listdir(root)):
        m = re.fullmatch(r"eval-(\d+)steps", d)
        path = os.path.join(root, d, "eval.json")
        if m and os.path.isfile(path):
            with open(path) as f:
                evals[int(m.group(1))] = json.load(f)
    if not evals:
        sys.exit(f"error: no eval-<N>steps/eval.json in {root}")
    steps = sorted(evals)
    # metrics[(variant, backend)][steps] = metrics
    table = {}
    for n, e in evals.items():
        for r in e["rows"]:
            m = re.fullmatch(r"student-\d+steps(.*)", r["model"])
            suffix = m.group(1) if m else None
            label = dict(VARIANTS).get(suffix, (r["model"], "?"))
            table.setdefault(label, {})[n] = r["metrics"]
    order = [v for _, v in VARIANTS if v in table] + [k for k in table if k not in dict(VARIANTS).values()]
    first = evals[steps[0]]
    print(f"Reference: {first.get('reference', '?')}; {first.get('num_samples', '?')} samples per point; "
          f"device {first.get('device', '?')}, libtorch {first.get('lib_torch', '?')}, {first.get('threads', '?')} thread(s)"
          + (f"; teacher {first['teacher']}" if first.get("teacher") else "") + "\n")

    def block(title, keys):
        cols = [(n, k, h) for n in steps for k, h in keys]
        print(f"**{title}**\n")
        print("| variant | backend | " + " | ".join(f"{h}, {n} step{'s' if n > 1 else ''}" for n, _, h in cols) + " |")
        print("|---|---|" + "---:|" * len(cols))
        for label in order:
            pts = table[label]
            print(f"| {label[0]} | {label[1]} | " + " | ".join(fmt(pts.get(n, {}).get(k)) for n, k, _ in cols) + " |")
        print()

    block("Quality (lower is better): FD and KID in the pinned classifier's feature space", [("fd", "FD"), ("kid", "KID")])
    block("Latency: ms per sample, whole N-step sample, median of the timed runs", [("ms_per_sample_b1", "b1"), ("ms_per_sample_b64", "b64")])
    if any("psnr_vs_teacher" in m for pts in table.values() for m in pts.values()):
        block("Teacher agreement: PSNR (dB, higher is better) to the teacher's sample from the same noise and label",
              [("psnr_vs_teacher", "PSNR")])


if __name__ == "__main__":
    main()
