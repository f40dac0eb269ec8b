#!/usr/bin/env bash
# Times the same small conv-net training step (plus per-op overhead, AdamW alone, no_grad inference) through the
# C# DistillDiff.Engine and through Python PyTorch on the same libtorch, and prints a Markdown table of medians and
# C#/Python ratios (also written to tools/bench/results.md).
#
#   bash tools/bench/run.sh
#
# compare.py starts both programs once per thread count and takes their samples alternately, back to back, so the
# ratios hold up on a machine whose speed drifts. Settings (environment): BENCH_THREADS="1 2" (intra-op threads, the
# same on both sides), BENCH_REPEATS=5 (samples per benchmark = its sample factor × this), BENCH_JSON=file (also keep
# the raw samples), BENCH_OUT=file (default tools/bench/results.md), BENCH_NO_BUILD=1 (use the built C# program).
# Against libtorch 2.6 and Python PyTorch 2.6 in the Debian 13 root: bash tools/libtorch26.sh bench.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

py=/usr/bin/python3   # the Debian PyTorch, built on the same libtorch as the native layer (not a pyenv python)
log() { echo "[bench] $*" >&2; }

# ---- native layer: build only when missing or older than its sources (others may share build/native); a library
# given in DISTILLDIFF_NATIVE (tools/libtorch26.sh bench: the libtorch 2.6 build) is used as it is ----
so=build/native/libdistilldiff_native.so
if [[ -n "${DISTILLDIFF_NATIVE:-}" ]]; then
  log "native layer: $DISTILLDIFF_NATIVE"
elif [[ ! -f "$so" ]] || [[ -n "$(find native -newer "$so" -type f -print -quit)" ]]; then
  log "building the native layer ($so)"
  cmake -S native -B build/native >/dev/null
  cmake --build build/native -j2 >/dev/null
fi

# ---- C# side, Release (a concurrent build can trip over shared obj/ files: retry once) ----
proj=tools/bench/DistillDiff.Bench/DistillDiff.Bench.csproj
build() { dotnet build "$proj" -c Release -nologo -v q -clp:ErrorsOnly; }
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  log "building $proj (Release)"
  buildlog="$(mktemp)"
  trap 'rm -f "$buildlog"' EXIT
  if ! build >"$buildlog" 2>&1; then
    log "build failed, retrying once:"; tail -5 "$buildlog" >&2
    build >&2
  fi
fi
dll=tools/bench/DistillDiff.Bench/bin/Release/net10.0/distilldiff-bench.dll

# The Python peer is Debian's PyTorch on the same libtorch; install it where it is missing, as setup.sh does.
if ! "$py" -c 'import torch' 2>/dev/null && [ "$py" = /usr/bin/python3 ] && ! dpkg -s python3-torch >/dev/null 2>&1; then
  log "installing python3-torch"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
"$py" -c 'import torch' || { log "$py cannot import torch (apt-get install python3-torch)"; exit 1; }

"$py" tools/bench/compare.py \
  --cs "dotnet $dll" \
  --py "$py tools/bench/bench_torch.py" \
  --threads "${BENCH_THREADS:-1 2}" \
  --repeats "${BENCH_REPEATS:-5}" \
  --out "${BENCH_OUT:-tools/bench/results.md}" \
  ${BENCH_JSON:+--json "$BENCH_JSON"}
