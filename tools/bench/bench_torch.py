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
import math
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


# ---------------------------------------------------------------- `bench_torch.py gpu`: tools/gpu/bench.sh's peer
# Twin of tools/bench/DistillDiff.Bench/GpuBench.cs: the Fashion-MNIST UNet (loaded from the model folder the C# side
# wrote, so both start from the same weights), the same fixed inputs, training step and "pd" sampler, the same counts.

def wave(shape, freq, cos, device):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(0, n, dtype=torch.float64) * freq
    return (i.cos() if cos else i.sin()).to(torch.float32).to(device).reshape(shape)


def gpu_timesteps(batch, device):
    return ((torch.arange(0, batch, dtype=torch.float32, device=device) + 0.5) / batch) * 1000 - 1


def gpu_labels(batch, device):
    return (torch.arange(batch, device=device) % 10).long()


def gpu_time(body, warmup, iters, repeats, device):
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        body()
    sync()
    all_ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iters):
            body()
        sync()
        all_ms.append((time.perf_counter() - t0) * 1e3 / iters)
    return sorted(all_ms)[len(all_ms) // 2], all_ms


# cosine-logSNR schedule of DistillDiff.Diffusion (CosineLogSnrSchedule): lambda(t) = -2 log tan(a t + b), clipped.
_B = math.atan(math.exp(-0.5 * 20))
_A = math.atan(math.exp(-0.5 * -20)) - _B


def alpha_sigma(t):
    lam = min(max(-2 * math.log(math.tan(_A * min(max(t, 0), 1) + _B)), -20), 20)
    return math.sqrt(1 / (1 + math.exp(-lam))), math.sqrt(1 / (1 + math.exp(lam)))


def pd_sample(model, steps, batch, labels, gen, device):
    """The "pd" sampler (continuous-time DDIM on t = i / n) with v-prediction, as DistillDiff's Sampling + ContinuousDdim."""
    with torch.no_grad():
        x = torch.randn((batch, 1, 28, 28), generator=gen, device=device)
        for i in range(steps, 0, -1):
            t, s = i / steps, (i - 1) / steps
            a_t, s_t = alpha_sigma(t)
            v = model(x, torch.full((batch,), t * 1000 - 1, device=device), labels)
            x0 = a_t * x - s_t * v
            if i == 1:
                return x0
            eps = s_t * x + a_t * v
            a_s, s_s = alpha_sigma(s)
            x = a_s * x0 + s_s * eps
    return x


def gpu_main(argv):
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import unet_torch

    ap = argparse.ArgumentParser(prog="bench_torch.py gpu")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dir", required=True, help="the C# side's output folder (model/, check.safetensors)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sample-batches", default="1,64")
    ap.add_argument("--sample-steps", default="1,4")
    ap.add_argument("--sample-iters", type=int, default=20)
    a = ap.parse_args(argv)
    device = torch.device(a.device)
    torch.manual_seed(0)
    model = unet_torch.load(os.path.join(a.dir, "model"), device)
    result = dict(side="pytorch", device=str(device), torch=torch.__version__, batch=a.batch,
                  parameters=sum(p.numel() for p in model.parameters()))

    # Same work: this model's output on the C# side's check input against the C# output.
    check = unet_torch.read_safetensors(os.path.join(a.dir, "check.safetensors"))
    with torch.no_grad():
        out = model(check["input"].to(device), check["timesteps"].to(device), check["labels"].to(device)).cpu()
    result["same_work_max_abs_diff"] = float((out - check["output"]).abs().max())
    result["same_work_output_max_abs"] = float(check["output"].abs().max())

    initial = {k: v.clone() for k, v in model.state_dict().items()}
    train = {}
    for precision in ("fp32", "bf16"):
        if precision == "bf16" and device.type == "cpu" and tuple(int(p) for p in torch.__version__.split(".")[:2]) < (2, 4):
            train[precision] = dict(skipped=f"bf16 autocast on the CPU needs PyTorch 2.4+ (this is {torch.__version__})")
            continue
        model.load_state_dict(initial)
        model.train()
        z, target = wave([a.batch, 1, 28, 28], 0.01, False, device), wave([a.batch, 1, 28, 28], 0.013, True, device)
        ts, y = gpu_timesteps(a.batch, device), gpu_labels(a.batch, device)
        # fused=True on CUDA as DistillDiff's AdamW there; foreach on the CPU (its _foreach path).
        fused = device.type == "cuda"
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, **(dict(fused=True) if fused else dict(foreach=True)))

        def step():
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = F.mse_loss(model(z, ts, y).float(), target)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        med, all_ms = gpu_time(step, a.warmup, a.iters, a.repeats, device)
        train[precision] = dict(median_ms=med, all_ms=all_ms)
    result["train_ms"] = train
    model.load_state_dict(initial)
    model.eval()

    sampling = []
    for steps in [int(v) for v in a.sample_steps.split(",")]:
        for batch in [int(v) for v in a.sample_batches.split(",")]:
            gen = torch.Generator(device=device)
            gen.manual_seed(0)
            labels = gpu_labels(batch, device)
            med, all_ms = gpu_time(lambda: pd_sample(model, steps, batch, labels, gen, device), a.warmup, 1, a.sample_iters, device)
            sampling.append(dict(steps=steps, batch=batch, path="eager", median_ms=med, all_ms=all_ms))
    result["sample_ms"] = sampling
    with open(os.path.join(a.dir, "pytorch.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"bench_torch.py gpu: {device}, results in {os.path.join(a.dir, 'pytorch.json')}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["gpu"]:
        gpu_main(sys.argv[2:])
    else:
        main()
