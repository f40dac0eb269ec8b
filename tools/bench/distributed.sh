#!/usr/bin/env bash
# Data-parallel throughput of the Fashion-MNIST UNet teacher (recipes/fmnist-teacher.yaml) at one global batch:
# 1 process x 1 thread, 1 process x 2 threads, 2 processes x 1 thread (distilldiff train --nproc 2, Gloo over
# loopback). samples/s = global batch x steps / seconds, timed from metrics.jsonl between the first and the last
# logged step (so start-up, data loading and the first step are not counted).
#   STEPS=40 BATCH=64 RUNS="1x1 1x2 2x1" bash tools/bench/distributed.sh    (RUNS: processes x threads each)
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${STEPS:-40}; batch=${BATCH:-64}; runs=${RUNS:-1x1 1x2 2x1}; out=$(mktemp -d)
run() {
  local nproc=$1 threads=$2 name="$1proc-$2thread" per=$((batch / $1))
  DISTILLDIFF_NO_PROGRESS=1 ./distilldiff train recipes/fmnist-teacher.yaml --run-dir "$out/$name" --nproc "$nproc" \
    --set run.threads="$threads" --set run.log_every=5 --set run.tensor_board=false --set teacher.steps="$steps" \
    --set teacher.batch_size="$per" --set eval.steps=[1] --set eval.num_samples=64 --set eval.grid_samples=16 >/dev/null 2>&1
  python3 - "$out/$name/metrics.jsonl" "$name" "$batch" "$nproc" "$per" "$threads" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"teacher"' in l]
a, b = rows[0], rows[-1]
sps = (b['step'] - a['step']) * int(sys.argv[3]) / (b['time'] - a['time'])
print(f"| {sys.argv[2]} | {sys.argv[4]} x {sys.argv[5]} | {sys.argv[6]} | {sps:.1f} | {(b['time'] - a['time']) / (b['step'] - a['step']) * 1000:.0f} ms |")
PY
}
echo "Fashion-MNIST UNet teacher, global batch $batch, $steps steps, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | processes x per-rank batch | threads each | samples/s | time per step |"
echo "|---|---|---:|---:|---:|"
for r in $runs; do run "${r%x*}" "${r#*x}"; done
rm -rf "$out"
