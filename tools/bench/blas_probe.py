#!/usr/bin/python3
"""Which BLAS this PyTorch calls, and how fast: median time of a 256x128 @ 128x128 float32 matmul (the shape of
the README's BLAS note), of an MLP training step (quickstart-sized: 4 Linear layers, batch 256, AdamW; its backward
is BLAS gemms) and of a conv-net training step (the benchmark's convolutions), 1 intra-op thread.

    /usr/bin/python3 tools/bench/blas_probe.py                          # OpenBLAS with its own default thread pool
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/bench/blas_probe.py   # OpenBLAS on one thread
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas /usr/bin/python3 tools/bench/blas_probe.py   # reference BLAS (libblas3)
    bash tools/libtorch26.sh run /usr/bin/python3 tools/bench/blas_probe.py                     # the same on PyTorch 2.6
"""
import statistics
import time

import torch
import torch.nn.functional as F


def median_ms(f, n):
    for _ in range(3):
        f()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    a, b = torch.randn(256, 128), torch.randn(128, 128)
    mm = median_ms(lambda: a @ b, 200)
    w1 = torch.randn(32, 1, 3, 3, requires_grad=True)
    w2 = torch.randn(1, 32, 3, 3, requires_grad=True)
    x = torch.randn(32, 1, 28, 28)

    def step():
        y = F.conv2d(F.silu(F.conv2d(x, w1, padding=1)), w2, padding=1)
        y.square().mean().backward()

    conv = median_ms(step, 20)
    net = torch.nn.Sequential(torch.nn.Linear(66, 128), torch.nn.SiLU(), torch.nn.Linear(128, 128), torch.nn.SiLU(),
                              torch.nn.Linear(128, 128), torch.nn.SiLU(), torch.nn.Linear(128, 2))
    opt = torch.optim.AdamW(net.parameters(), 1e-3, foreach=True)
    xm, ym = torch.randn(256, 66), torch.randn(256, 2)

    def mlp_step():
        loss = F.mse_loss(net(xm), ym)
        opt.zero_grad()
        loss.backward()
        opt.step()

    mlp = median_ms(mlp_step, 200)
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line and ".so" in line})
    print(f"torch {torch.__version__}  blas {' '.join(libs)}  matmul 256x128x128 {mm:.3f} ms  "
          f"MLP train step {mlp:.3f} ms  conv train step {conv:.2f} ms")


if __name__ == "__main__":
    main()
