#!/usr/bin/env python3
"""Joins the two halves of tools/gpu/bench.sh (distilldiff-bench gpu -> csharp.json, bench_torch.py gpu -> pytorch.json)
into one Markdown table of medians and DistillDiff / PyTorch time ratios (below 1: DistillDiff is faster).

    bench_report.py WORKDIR OUT.md OUT.json

Exits 1 (after writing the table) when the same-work check fails: the two sides' UNets disagree on the same weights
and input, or differ in parameter count, so their times would not be comparable.
"""
import json
import sys


def main():
    work, md_path, json_path = sys.argv[1:4]
    cs = json.load(open(f"{work}/csharp.json"))
    py = json.load(open(f"{work}/pytorch.json"))
    diff, scale = py["same_work_max_abs_diff"], max(1.0, py["same_work_output_max_abs"])
    same = diff <= 1e-3 * scale and cs["parameters"] == py["parameters"]

    def ms(v):
        return f"{v:.3f}" if v >= 0.1 else f"{v:.4f}"

    rows = []
    for precision in ("fp32", "bf16"):
        c, p = cs["train_ms"][precision], py["train_ms"][precision]
        name = f"train step {precision}, batch {cs['batch']}"
        if "skipped" in c or "skipped" in p:
            rows.append((name, "skipped", "skipped", (c.get("skipped") or p.get("skipped"))))
        else:
            rows.append((name, ms(c["median_ms"]), ms(p["median_ms"]), f"{c['median_ms'] / p['median_ms']:.2f}"))
    eager = {(r["steps"], r["batch"]): r for r in py["sample_ms"]}
    for r in cs["sample_ms"]:
        p = eager[(r["steps"], r["batch"])]
        path = {"eager": "eager", "cuda_graph": "CUDA graph", "static_buffers": "static buffers, no graph (CPU)"}[r["path"]]
        rows.append((f"sample {r['steps']} step{'s' if r['steps'] > 1 else ''}, batch {r['batch']}, DistillDiff {path}",
                     ms(r["median_ms"]), ms(p["median_ms"]), f"{r['median_ms'] / p['median_ms']:.2f}"))

    lines = [
        f"# GPU benchmark: DistillDiff vs PyTorch eager ({cs['device']})",
        "",
        f"- DistillDiff on libtorch {cs['libtorch']}; PyTorch {py['torch']} in the same run, same device.",
        f"- Model: configs/model/unet2d-fmnist.yaml ({cs['parameters']:,} parameters; PyTorch twin tools/bench/unet_torch.py: "
        f"{py['parameters']:,}), the same initial weights on both sides.",
        f"- Same-work check (forward on a fixed input, same weights): max |DistillDiff - PyTorch| = {diff:.3g} "
        f"(outputs up to {py['same_work_output_max_abs']:.3g}): {'PASS' if same else 'FAIL'}.",
        f"- Training step: forward, MSE, backward, AdamW{' (fused on both sides)' if cs['fused_adamw'] else ' (_foreach on both sides)'}, zero_grad; "
        f"medians of repeats, ms per step. Sampling: the \"pd\" sampler (v-prediction, cosine-logSNR), latency of one "
        f"whole sampler call, ms; PyTorch column is eager in every row. CUDA graphs supported here: {'yes' if cs['cuda_graphs_supported'] else 'no'}.",
        "- Ratio = DistillDiff / PyTorch time (below 1: DistillDiff faster).",
        "",
        "| benchmark | DistillDiff ms | PyTorch eager ms | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    open(md_path, "w").write("\n".join(lines) + "\n")
    json.dump(dict(distilldiff=cs, pytorch=py, same_work=same), open(json_path, "w"), indent=1)
    print("\n".join(lines))
    if not same:
        print("bench_report.py: the same-work check failed: the two models differ, the times are not comparable", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
