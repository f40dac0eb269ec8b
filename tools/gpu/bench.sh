#!/usr/bin/env bash
# GPU benchmark, device side: DistillDiff against Python PyTorch eager on the same GPU, in one run.
#   - the Fashion-MNIST UNet training step (configs/model/unet2d-fmnist.yaml, batch 128), fp32 and bf16 autocast;
#   - 1- and 4-step student sampling latency ("pd" sampler) at batch 1 and 64, DistillDiff eager and with CUDA graphs.
# Writes OUT/bench.md (the table, with time ratios DistillDiff / PyTorch) and OUT/bench.json (both sides' raw numbers).
#
#   bash tools/gpu/bench.sh OUT           # on the GPU machine (tools/gpu/check.sh calls it)
#   bash tools/gpu/bench.sh OUT --cpu     # the same script on the CPU with tiny counts (the test suite runs this)
#
# Environment:
#   DISTILLDIFF_BENCH   the command that runs the C# benchmark (default: distilldiff-bench on PATH, else
#                       dotnet tools/bench/DistillDiff.Bench/bin/Release/net10.0/distilldiff-bench.dll)
#   DISTILLDIFF_NATIVE  folder of libdistilldiff_native.so (as for every DistillDiff program)
#   PYTHON              the Python with torch (default: python3 on the GPU machine, /usr/bin/python3 with --cpu)
#   BENCH_ITERS, BENCH_REPEATS, BENCH_SAMPLE_ITERS, BENCH_WARMUP   counts (defaults: 20, 5, 20, 5; --cpu: 1, 1, 1, 1)
# Exit: 0 with the table written; 1 when a side failed or the same-work check failed (the table says which).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
die() { echo "error: bench.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: bash tools/gpu/bench.sh OUT [--cpu]"
out=$1; shift
cpu=0
for a in "$@"; do
  case "$a" in
    --cpu) cpu=1 ;;
    *) die "unknown argument '$a' (expected --cpu)" ;;
  esac
done
mkdir -p "$out" || die "cannot make $out"
out="$(cd "$out" && pwd)"
cd "$repo"

if [ $cpu = 1 ]; then
  device=cpu; py=${PYTHON:-/usr/bin/python3}
  # Tiny: the script's whole path on a 2-core machine in well under a minute.
  counts=(--batch 8 --warmup "${BENCH_WARMUP:-1}" --iters "${BENCH_ITERS:-1}" --repeats "${BENCH_REPEATS:-1}"
          --sample-batches 1,4 --sample-steps 1,4 --sample-iters "${BENCH_SAMPLE_ITERS:-1}")
else
  device=cuda; py=${PYTHON:-python3}
  counts=(--batch 128 --warmup "${BENCH_WARMUP:-5}" --iters "${BENCH_ITERS:-20}" --repeats "${BENCH_REPEATS:-5}"
          --sample-batches 1,64 --sample-steps 1,4 --sample-iters "${BENCH_SAMPLE_ITERS:-20}")
fi

if [ -n "${DISTILLDIFF_BENCH:-}" ]; then
  read -r -a bench <<<"$DISTILLDIFF_BENCH"
elif command -v distilldiff-bench >/dev/null 2>&1; then
  bench=(distilldiff-bench)
else
  dll=tools/bench/DistillDiff.Bench/bin/Release/net10.0/distilldiff-bench.dll
  [ -f "$dll" ] || die "$dll is missing: build it (dotnet build tools/bench/DistillDiff.Bench -c Release) or set DISTILLDIFF_BENCH"
  bench=(dotnet "$dll")
fi
"$py" -c 'import torch' 2>/dev/null || die "$py cannot import torch (set PYTHON)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "[bench] DistillDiff side (${bench[*]} gpu --device $device)" >&2
"${bench[@]}" gpu --device "$device" --out "$work" "${counts[@]}" >"$work/csharp.log" 2>&1 \
  || { cat "$work/csharp.log" >&2; cp "$work/csharp.log" "$out/bench-csharp.log"; die "the DistillDiff side failed (log: $out/bench-csharp.log)"; }
echo "[bench] PyTorch side ($py tools/bench/bench_torch.py gpu --device $device)" >&2
PYTHONUNBUFFERED=1 "$py" tools/bench/bench_torch.py gpu --device "$device" --dir "$work" "${counts[@]}" >"$work/pytorch.log" 2>&1 \
  || { cat "$work/pytorch.log" >&2; cp "$work/pytorch.log" "$out/bench-pytorch.log"; die "the PyTorch side failed (log: $out/bench-pytorch.log)"; }
"$py" "$here/bench_report.py" "$work" "$out/bench.md" "$out/bench.json"
