#!/usr/bin/python3
"""Python/PyTorch half of the DistillDiff-vs-PyTorch benchmark. Driver: tools/bench/run.sh → tools/bench/compare.py.

Mirrors tools/bench/DistillDiff.Bench/Program.cs benchmark for benchmark (same ids, net, shapes, dtypes, op sequence,
deterministic weights and data, warm-up and iteration counts): keep the two files in step. Like the C# program it is a
line-protocol server, so the driver can take C# and Python samples alternately a few milliseconds apart:

    /usr/bin/python3 tools/bench/bench_torch.py --threads N   → {"ready": true, ...}
    stdin: "warmup <id>" | "run <id>" | "info" | "quit"        → one JSON line each

Run it with the system interpreter (/usr/bin/python3): that is the Debian PyTorch, built on the same libtorch as
build/native/libdistilldiff_native.so.
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, HEIGHT, WIDTH = 32, 28, 28


class Net(nn.Module):
    """conv(1→32) GN SiLU → conv(32→32, stride 2) GN SiLU → nearest upsample to 28×28, + skip → conv(32→1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.gn1 = nn.GroupNorm(8, 32)
        self.conv2 = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.gn2 = nn.GroupNorm(8, 32)
        self.conv3 = nn.Conv2d(32, 1, 3, padding=1)

    def forward(self, x):
        h1 = F.silu(self.gn1(self.conv1(x)))
        h2 = F.silu(self.gn2(self.conv2(h1)))
        up = F.interpolate(h2, size=(HEIGHT, WIDTH), mode="nearest")
        return self.conv3(up + h1)


def deterministic(shape, k, cos):
    """sin(k·i) or cos(k·i) for i = 0..n-1, float32: bit-identical to the C# side's tensors."""
    n = 1
    for d in shape:
        n *= d
    t = torch.arange(0.0, float(n), 1.0, dtype=torch.float32).mul(k)
    return (t.cos() if cos else t.sin()).reshape(shape)


def deterministic_init(m):
    """Parameters (sorted by name) set to 0.2·sin(0.37·(i + 1000·index)), as in Program.cs."""
    with torch.no_grad():
        for k, (_, p) in enumerate(sorted(m.named_parameters(), key=lambda kv: kv[0])):
            v = torch.arange(0.0, float(p.numel()), 1.0, dtype=torch.float32).add(1000.0 * k).mul(0.37).sin().mul(0.2)
            p.copy_(v.reshape(p.shape))


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if torch.get_num_threads() != args.threads:
        raise SystemExit(f"asked for {args.threads} threads, torch reports {torch.get_num_threads()}")
    torch.manual_seed(0)

    net = Net()
    deterministic_init(net)
    x = deterministic([BATCH, 1, HEIGHT, WIDTH], 0.01, cos=False)
    y = deterministic([BATCH, 1, HEIGHT, WIDTH], 0.013, cos=True)
    # foreach=True: the multi-tensor (_foreach_*) path, as the C# AdamW; 1.13 has no fused CPU AdamW.
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, foreach=True)

    # Same-work check: losses of the first 3 steps from identical weights and data (compare.py compares them).
    losses = []
    for _ in range(3):
        loss = F.mse_loss(net(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)  # C# ZeroGrad sets gradients to none; 1.13's default is set_to_none=False

    last_phases = [None]

    def train_steps(n):
        pc = time.perf_counter
        for _ in range(n):
            t0 = pc()
            loss = F.mse_loss(net(x), y)
            t1 = pc()
            loss.backward()
            t2 = pc()
            opt.step()
            t3 = pc()
            opt.zero_grad(set_to_none=True)
            del loss  # frees the step's graph, as the C# DisposeScope does
            t4 = pc()
            last_phases[0] = [(t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3]

    def adamw_prepare():
        F.mse_loss(net(x), y).backward()  # gradients from one backward, kept across the steps

    def adamw_steps(n):
        for _ in range(n):
            opt.step()

    def infer(n):
        for _ in range(n):
            with torch.no_grad():
                net(x)

    a = torch.full([1], 1.5)
    b = torch.full([1], 2.5)

    def add_loop(n):
        for _ in range(n):
            a + b  # the result is freed at once (refcount 0)

    def mul_loop(n):
        for _ in range(n):
            a.mul(2.0)

    def dim_loop(n):
        for _ in range(n):
            a.dim()

    def shape_loop(n):
        for _ in range(n):
            len(a.shape)

    def grad_mode_loop(n):
        f = torch.is_grad_enabled
        for _ in range(n):
            f()

    def empty_loop(n):
        for _ in range(n):
            pass

    # channels_last and bf16-autocast variants of the train step and the forward (Program.cs has the same), on a second
    # net (converted once) with its own optimizer; bf16 only where CPU autocast trains (libtorch / PyTorch 2.4+).
    net_cl = Net()
    deterministic_init(net_cl)
    net_cl = net_cl.to(memory_format=torch.channels_last)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    opt_cl = torch.optim.AdamW(net_cl.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, foreach=True)

    def train_with(model, optimizer, inp, bf16):
        def body(n):
            for _ in range(n):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = F.mse_loss(model(inp), y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                del loss
        return body

    def infer_with(model, inp, bf16):
        def body(n):
            for _ in range(n):
                with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    model(inp)
        return body

    variants = [
        ("train_cl", "train step, channels_last", "ms", 1e3, 5, 1, 5, train_with(net_cl, opt_cl, x_cl, False), None),
        ("infer_cl", "forward only, no_grad, channels_last", "ms", 1e3, 5, 1, 5, infer_with(net_cl, x_cl, False), None),
    ]
    if tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4):
        variants += [
            ("train_bf16", "train step, bf16 autocast", "ms", 1e3, 5, 1, 5, train_with(net, opt, x, True), None),
            ("infer_bf16", "forward only, no_grad, bf16 autocast", "ms", 1e3, 5, 1, 5, infer_with(net, x, True), None),
            ("train_bf16_cl", "train step, bf16 autocast, channels_last", "ms", 1e3, 5, 1, 5,
             train_with(net_cl, opt_cl, x_cl, True), None),
        ]

    # id, name, unit, scale, warmup, iters per sample, sample factor, body, prepare: as in Program.cs
    benches = [
        ("train", "train step (fwd+loss+bwd+AdamW+zero_grad)", "ms", 1e3, 5, 1, 5, train_steps, None),
        ("adamw", "AdamW step alone (10 params, 10.3k elems)", "us", 1e6, 20, 50, 3, adamw_steps, adamw_prepare),
        ("infer", "forward only, no_grad", "ms", 1e3, 5, 1, 5, infer, None),
        ("add", "a + b, 1 elem (result freed at once)", "us", 1e6, 5000, 5000, 3, add_loop, None),
        ("mul", "x.Mul(2.0), 1 elem (result freed at once)", "us", 1e6, 5000, 5000, 3, mul_loop, None),
        ("dim", "x.Dim (native metadata call)", "us", 1e6, 5000, 20000, 3, dim_loop, None),
        ("shape", "x.Shape (native call + long[] alloc)", "us", 1e6, 5000, 20000, 3, shape_loop, None),
        ("grad_mode", "grad-mode query (bare native call)", "us", 1e6, 5000, 20000, 3, grad_mode_loop, None),
        ("loop", "empty loop iteration", "us", 1e6, 5000, 20000, 3, empty_loop, None),
    ] + variants
    by_id = {bm[0]: bm for bm in benches}

    def reply(o):
        sys.stdout.write(json.dumps(o) + "\n")
        sys.stdout.flush()

    reply(dict(
        ready=True,
        info=dict(side="python", threads=torch.get_num_threads(), torch=torch.__version__,
                  python=sys.version.split()[0], parallel_info=torch.__config__.parallel_info()),
        loss_check=losses,
        benchmarks=[dict(id=i, name=nm, unit=u, warmup=w, iters=it, sample_factor=sf, csharp_only=False)
                    for (i, nm, u, _, w, it, sf, _, _) in benches],
    ))

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        try:
            if cmd[0] == "warmup":
                _, _, _, _, warmup, _, _, body, prepare = by_id[cmd[1]]
                if prepare:
                    prepare()
                body(warmup)
                reply(dict(ok=True))
            elif cmd[0] == "run":
                _, _, _, scale, _, iters, _, body, _ = by_id[cmd[1]]
                last_phases[0] = None
                f0 = minor_faults()
                c0 = time.process_time()  # CLOCK_PROCESS_CPUTIME_ID, as CpuSeconds() in Program.cs
                t0 = time.perf_counter()
                body(iters)
                wall = time.perf_counter() - t0
                cpu = time.process_time() - c0
                r = dict(wall=wall / iters * scale, cpu=cpu / iters * scale, faults=(minor_faults() - f0) / iters)
                if last_phases[0] is not None:
                    r["phases"] = last_phases[0]
                reply(r)
            elif cmd[0] == "info":
                reply(dict())
            else:
                reply(dict(error=f"unknown command {line.strip()!r}"))
        except (KeyError, IndexError) as e:
            reply(dict(error=f"bad command {line.strip()!r}: {e}"))


if __name__ == "__main__":
    main()
