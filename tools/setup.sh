#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks, builds the native layer and the .NET solution. Idempotent: a second
# run only rebuilds what changed.
#   LIBTORCH=/path/to/libtorch   build against a CUDA libtorch instead of Debian's CPU libtorch-dev
#   LIBTORCH=python              build against the PyTorch installed for python3 (torch.utils.cmake_prefix_path)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# OpenBLAS: Debian's libtorch calls the generic libblas.so.3, which is the slow reference BLAS unless this
# package points it at OpenBLAS (about 18x faster matmuls here).
# fonts-dejavu-core: ScottPlot draws plot text with a system font (SkiaSharp finds none on a bare Debian).
# chromium: the run-report test renders report.html headless and checks the console and a screenshot.
# python3-torch: PyTorch on the same libtorch, the peer of tools/bench and tools/gpu/bench.sh (GpuBenchScriptTests
# runs the latter on the CPU, so the test suite needs it).
packages=(cmake g++ make dataset-fashion-mnist libopenblas0-pthread fonts-dejavu-core chromium python3-torch)
# libgloo-dev: the Gloo headers that c10d's ProcessGroupGloo needs (data-parallel training on CPU).
[ -z "${LIBTORCH:-}" ] && packages+=(libtorch-dev libgloo-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "dotnet (the .NET 10 SDK) is not on PATH: install it (e.g. Debian package dotnet-sdk-10.0) and run again" >&2
  exit 1
fi

prefix=()
case "${LIBTORCH:-}" in
  "") ;;
  python) prefix=(-DCMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')") ;;
  *) prefix=(-DCMAKE_PREFIX_PATH="$LIBTORCH") ;;
esac
# Each build's output is kept in a log: only warnings and errors are shown, and a failed build stops here (a stale
# binary from an earlier build must never stand in for a failed one).
build() {
  local what=$1; shift
  local out; out=$(mktemp)
  if ! "$@" >"$out" 2>&1; then
    grep -E "error|Error" "$out" | head -40 >&2 || tail -40 "$out" >&2
    echo "$what failed (full log: $out)" >&2
    exit 1
  fi
  grep -E "warning" "$out" | head -20 || true
  rm -f "$out"
}
log "building the native layer (build/native)"
build "cmake configure" cmake -S native -B build/native -DCMAKE_BUILD_TYPE=Release "${prefix[@]}"
build "native build" cmake --build build/native -j"$(nproc)"

log "building the .NET solution (Release)"
build ".NET build" dotnet build DistillDiff.sln -c Release -nologo -v quiet
log "ready: ./distilldiff --help"
