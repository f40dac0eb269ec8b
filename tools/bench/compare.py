#!/usr/bin/python3
"""Drives the C# (DistillDiff.Bench) and Python (bench_torch.py) benchmark servers in lockstep and reports.

    /usr/bin/python3 tools/bench/compare.py --cs "dotnet tools/bench/DistillDiff.Bench/bin/Release/net10.0/distilldiff-bench.dll" \
        --threads "1 2" --repeats 5 --out tools/bench/results.md

For each thread count both programs start once; then, benchmark by benchmark, the driver warms both up and takes
samples alternately (C#, Python, Python, C#, ...), so each C# sample has a Python partner taken a few milliseconds
away. On a machine whose speed drifts (shared cores) the median of these paired ratios is far steadier than a ratio of
separately taken medians. A first pass runs every benchmark with glibc malloc pinned (MALLOC_PINNED: the framework
cost, reproducible); a second pass runs the training step and inference with malloc defaults (what a user sees).
Prints a Markdown report to stdout and writes it to --out.
"""
import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys

PY_DEFAULT = "/usr/bin/python3 " + os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_torch.py")
PHASES = ["forward + loss", "backward", "optimizer step", "zero_grad + free temporaries"]

# glibc malloc with a fixed 32 MiB mmap threshold and a 1 GiB trim threshold: freed activation buffers stay in the
# heap instead of going back to the OS, so neither side re-faults ~20 MB of fresh pages per training step. With the
# defaults the thresholds move with the allocation history, and a process lands in a "faulting" or a "reusing" regime
# by chance, which swings a step by 20-30% regardless of the framework (see the "glibc malloc defaults" table).
MALLOC_PINNED = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432"}
DEFAULT_MALLOC_IDS = ("train", "train_flat", "infer")

NOTES = """\
How to read this: times are wall-clock per iteration (Stopwatch / time.perf_counter); each cell is the median of all
samples [min–max]. "C#/Py paired" is the median [p25–p75] of the ratios of C# and Python samples taken back to back
(alternating order), the figure to quote; "CPU" is the same for process CPU time (CLOCK_PROCESS_CPUTIME_ID). The first
table pins glibc malloc on both sides: with the defaults, libtorch's CPU allocator (plain malloc/free) hands the
~3 MB activation buffers back to the OS and re-faults them each step in some processes and not in others, depending
on the allocation history, which moves a step by 20-30% whichever the language.

Same work on both sides: same net (10 parameter tensors), same float32 input 32×1×28×28 and target, same
deterministic weights (the "same-work check" losses must match), same AdamW hyper-parameters, same warm-up and
iteration counts, same libtorch shared libraries, same intra-op thread count (`Torch.NumThreads` /
`torch.set_num_threads`). Each C# step/call runs in a `DisposeScope`, and `Net.Forward` opens its own scope (as the
DistillDiff.Models blocks do), so activations are released during backward as in PyTorch; the C#-only A/B shows what
holding them in the step's scope instead costs. Unavoidable differences:
- PyTorch's `AdamW(foreach=True)` keeps `step` as a tensor per parameter (+1 `_foreach_add_` and 2 `.item()` per
  parameter per step) and builds Python lists; the C# AdamW is one native call running the same `_foreach_*` kernels.
- `F.mse_loss` in Python runs an extra `torch.broadcast_tensors` (views); `F.interpolate` computes the size in Python,
  the C# `Functional.Interpolate` asks the native side for the input shape (1 extra native call).
- Python `zero_grad(set_to_none=True)` is passed explicitly (1.13 defaults to False); C# `ZeroGrad` sets to none.
- Python modules run through `nn.Module.__call__` (hook checks); C# modules are plain virtual calls.
- Per-op loops include each language's loop overhead (row "empty loop iteration"); Python `a + b` frees its result by
  refcount, the C# loop calls `Dispose()` on it.
- Phase split: which phase pays for freeing and re-faulting activation memory depends on the allocator's state, so
  compare totals rather than single phases.
"""


class Server:
    def __init__(self, cmd, threads, env=None):
        self.cmd = shlex.split(cmd) + ["--threads", str(threads)]
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                  env={**os.environ, **(env or {})})
        self.ready = self._read()
        if not self.ready.get("ready"):
            raise SystemExit(f"{self.cmd}: no ready message: {self.ready}")

    def _read(self):
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit(f"{self.cmd} exited (rc={self.p.poll()})")
        return json.loads(line)

    def call(self, command):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        r = self._read()
        if "error" in r:
            raise SystemExit(f"{self.cmd}: {r['error']}")
        return r

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait(timeout=30)


def q(xs, f):
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * f
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt(v):
    if v != v:
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def cell(xs, unit):
    return f"{fmt(statistics.median(xs))} {unit} [{fmt(min(xs))}–{fmt(max(xs))}]" if xs else "–"


def ratio_cell(rs):
    return f"{statistics.median(rs):.2f} [{q(rs, 0.25):.2f}–{q(rs, 0.75):.2f}]" if rs else "–"


def log(msg):
    print(f"[compare] {msg}", file=sys.stderr, flush=True)


def run_threads(cs_cmd, py_cmd, threads, repeats, env=None, only=None, label=""):
    cs, py = Server(cs_cmd, threads, env), Server(py_cmd, threads, env)
    try:
        cs_b = {b["id"]: b for b in cs.ready["benchmarks"]}
        py_b = {b["id"]: b for b in py.ready["benchmarks"]}
        for bid, b in py_b.items():
            c = cs_b.get(bid)
            keys = ("name", "unit", "warmup", "iters", "sample_factor")
            if c is None or any(c[k] != b[k] for k in keys):
                raise SystemExit(f"benchmark '{bid}' differs between the C# and Python programs: {c} vs {b}")
        out = dict(threads=threads, cs_info=cs.ready["info"], py_info=py.ready["info"],
                   loss_check=(cs.ready["loss_check"], py.ready["loss_check"]), benches=[], ab=None)
        for bid, b in cs_b.items():
            if only and bid not in only:
                continue
            n = b["sample_factor"] * repeats
            if bid == "train_flat":
                # C#-only A/B: forward temporaries held by the step's scope vs Net.Forward with its own scope.
                log(f"{label}t={threads} A/B train_flat vs train ({n} pairs)")
                cs.call("warmup train_flat")
                cs.call("warmup train")
                flat, own = [], []
                for i in range(n):
                    for bid2 in (("train_flat", "train") if i % 2 == 0 else ("train", "train_flat")):
                        (flat if bid2 == "train_flat" else own).append(cs.call(f"run {bid2}"))
                out["ab"] = dict(flat=flat, own=own)
                continue
            log(f"{label}t={threads} {bid} ({n} samples per side)")
            sides = [("cs", cs)] + ([("py", py)] if bid in py_b else [])
            for _, s in sides:
                s.call(f"warmup {bid}")
            samples = {"cs": [], "py": []}
            for i in range(n):
                order = sides if i % 2 == 0 else list(reversed(sides))
                for name, s in order:
                    samples[name].append(s.call(f"run {bid}"))
            out["benches"].append(dict(id=bid, meta=b, cs=samples["cs"], py=samples["py"] if bid in py_b else None))
        out["cs_end"] = cs.call("info")
        return out
    finally:
        cs.close()
        py.close()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def libtorch_package():
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libtorch-dev"], capture_output=True, text=True)
        return r.stdout.strip() or "?"
    except OSError:
        return "?"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def bench_rows(L, runs, ids, summary=None, faults=False):
    """One row per benchmark and thread count: C# and Python medians [min–max], paired ratios (wall, CPU)."""
    head = "| benchmark | threads | C# DistillDiff | Python PyTorch | C#/Py paired | C#/Py paired CPU |"
    L.append(head + (" minor faults per iter C# / Py |" if faults else ""))
    L.append("|---|---:|---:|---:|---:|---:|" + ("---:|" if faults else ""))
    for bid in ids:
        for r in runs:
            b = next((x for x in r["benches"] if x["id"] == bid), None)
            if b is None or b["py"] is None:
                continue
            unit = b["meta"]["unit"]
            cw, pw = [s["wall"] for s in b["cs"]], [s["wall"] for s in b["py"]]
            cc, pc = [s["cpu"] for s in b["cs"]], [s["cpu"] for s in b["py"]]
            rw = [c / p for c, p in zip(cw, pw) if p > 0]
            rc = [c / p for c, p in zip(cc, pc) if p > 0]
            if summary is not None:
                summary.setdefault(bid, []).append((r["threads"], statistics.median(rw) if rw else float("nan")))
            row = (f"| {b['meta']['name']} | {r['threads']} | {cell(cw, unit)} | {cell(pw, unit)} | "
                   f"{ratio_cell(rw)} | {ratio_cell(rc)} |")
            if faults:
                row += (f" {statistics.median(s['faults'] for s in b['cs']):.0f} / "
                        f"{statistics.median(s['faults'] for s in b['py']):.0f} |")
            L.append(row)
    L.append("")


def ab_row(r, malloc):
    ab = r.get("ab")
    if not ab:
        return None
    fw, ow = [s["wall"] for s in ab["flat"]], [s["wall"] for s in ab["own"]]
    d = [f - o for f, o in zip(fw, ow)]
    ff, of = statistics.median(s["faults"] for s in ab["flat"]), statistics.median(s["faults"] for s in ab["own"])
    return (f"| A/B train step ({malloc}): forward temporaries held by the step's scope vs `Net.Forward` with its own "
            f"scope: time per step; paired difference; minor faults per step | {r['threads']} | {cell(fw, 'ms')} vs "
            f"{cell(ow, 'ms')}; {statistics.median(d):+.2f} ms [{q(d, .25):+.2f}–{q(d, .75):+.2f}]; "
            f"{ff:.0f} vs {of:.0f} |")


def summary_text(summary, ids):
    short = dict(train="train step", adamw="AdamW", infer="inference", add="a+b", mul="mul(2.0)", dim="dim")
    return "; ".join(f"{short[bid]} " + " ".join(f"{v:.2f}x@t{t}" for t, v in summary[bid])
                     for bid in ids if bid in summary)


def report(runs, default_runs, repeats, load_before, load_after):
    L = []
    first = runs[0]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L.append("# DistillDiff C# engine vs PyTorch: small conv-net benchmark")
    L.append("")
    L.append(f"- date: {now}")
    L.append(f"- CPU: {cpu_model()} ({os.cpu_count()} logical cores)")
    L.append(f"- libtorch: {first['cs_info'].get('libtorch')} as reported by the native layer (Debian libtorch-dev "
             f"{libtorch_package()}); PyTorch {first['py_info'].get('torch')} on the same shared libraries")
    L.append(f"- runtimes: {first['cs_info'].get('runtime')} (Release build), Python {first['py_info'].get('python')}")
    L.append(f"- intra-op threads (both sides): {', '.join(str(r['threads']) for r in runs)}; --repeats {repeats} "
             "(samples per benchmark = its sample factor × repeats)")
    L.append(f"- load average (1/5/15 min) before: {load_before}; after: {load_after} (a shared machine: other jobs "
             "may run concurrently)")
    L.append("")
    L.append(f"Framework cost, both sides with glibc malloc pinned (`GLIBC_TUNABLES={MALLOC_PINNED['GLIBC_TUNABLES']}`: "
             "freed activations stay in the heap, no page-fault churn):")
    L.append("")
    summary, dsummary = {}, {}
    bench_rows(L, runs, [b["id"] for b in first["benches"]], summary)

    if default_runs:
        L.append("As a user runs it, glibc malloc defaults (page faults depend on the allocator's history, so these "
                 "rows swing between runs on both sides):")
        L.append("")
        bench_rows(L, default_runs, [b["id"] for b in default_runs[0]["benches"]], dsummary, faults=True)

    L.append("Training step, per phase (median ms; malloc pinned):")
    L.append("")
    L.append("| phase | " + " | ".join(f"C# t={r['threads']} | Py t={r['threads']}" for r in runs) + " |")
    L.append("|---|" + "---:|" * (2 * len(runs)))
    for k, ph in enumerate(PHASES + ["minor page faults per step"]):
        cells = []
        for r in runs:
            b = next(x for x in r["benches"] if x["id"] == "train")
            for side in ("cs", "py"):
                v = [s["phases"][k] for s in b[side] if "phases" in s] if ph in PHASES else [s["faults"] for s in b[side]]
                cells.append(fmt(statistics.median(v)) if v else "–")
        L.append(f"| {ph} | " + " | ".join(cells) + " |")
    L.append("")

    L.append("C#-only diagnostics:")
    L.append("")
    L.append("| measurement | threads | C# |")
    L.append("|---|---:|---:|")
    for r in runs:
        for b in r["benches"]:
            if b["py"] is None:
                L.append(f"| {b['meta']['name']} | {r['threads']} | {cell([s['wall'] for s in b['cs']], b['meta']['unit'])} |")
    for rs, malloc in ((runs, "malloc pinned"), (default_runs or [], "malloc defaults")):
        for r in rs:
            row = ab_row(r, malloc)
            if row:
                L.append(row)
    for r in runs:
        byid = {b["id"]: b for b in r["benches"]}
        tr, add = byid["train"]["cs"], byid["add"]["cs"]
        if "alloc_bytes" not in tr[0] or "finalized_tensors" not in r["cs_end"]:
            continue  # --cs is not the C# program (e.g. comparing two Python configurations)
        L.append(f"| managed bytes allocated per train step / per `a + b`; gen0 GCs in all train samples; tensors "
                 f"owned by the step's scope; tensors freed by finalizers | {r['threads']} | "
                 f"{statistics.median(s['alloc_bytes'] for s in tr):.0f} B / "
                 f"{statistics.median(s['alloc_bytes'] for s in add):.0f} B; {sum(s['gen0'] for s in tr)}; "
                 f"{r['cs_end']['tensors_owned_by_step_scope']}; {r['cs_end']['finalized_tensors']} |")
    L.append("")

    diffs, c_l, p_l = [], None, None
    for r in runs + (default_runs or []):
        c_l, p_l = r["loss_check"]
        diffs += [abs(a - b) for a, b in zip(c_l, p_l)]
    ok = max(diffs) <= 1e-5 * max(1.0, abs(p_l[0]))
    L.append(f"Same-work check (losses of the first 3 training steps from identical weights and data): C# "
             f"{['%.7f' % v for v in c_l]}, Python {['%.7f' % v for v in p_l]}; max |diff| {max(diffs):.1e}: "
             f"{'OK' if ok else 'MISMATCH'}")
    L.append("")
    L.append(NOTES)
    line = ("ratio (C#/Python, median of paired samples, <1 = C# faster; malloc pinned): "
            + summary_text(summary, ["train", "adamw", "infer", "add", "mul", "dim"]))
    if dsummary:
        line += " | malloc defaults: " + summary_text(dsummary, ["train", "infer"])
    L.append(line)
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cs", required=True, help="command that starts the C# benchmark server")
    ap.add_argument("--py", default=PY_DEFAULT, help="command that starts the Python benchmark server")
    ap.add_argument("--threads", default="1 2")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out")
    ap.add_argument("--json", help="also write the raw samples here")
    ap.add_argument("--no-default-malloc", action="store_true",
                    help="skip the second pass (train step and inference with glibc malloc defaults)")
    args = ap.parse_args()

    load_before = loadavg()
    threads = [int(t) for t in args.threads.split()]
    runs = [run_threads(args.cs, args.py, t, args.repeats, env=MALLOC_PINNED, label="[malloc pinned] ")
            for t in threads]
    default_runs = [] if args.no_default_malloc else [
        run_threads(args.cs, args.py, t, args.repeats, only=DEFAULT_MALLOC_IDS, label="[malloc defaults] ")
        for t in threads]
    load_after = loadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(pinned=runs, defaults=default_runs), f)
    text = report(runs, default_runs, args.repeats, load_before, load_after)
    print(text, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
