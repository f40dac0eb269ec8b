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
packages=(cmake g++ make dataset-fashion-mnist libopenblas0-pthread)
[ -z "${LIBTORCH:-}" ] && packages+=(libtorch-dev)
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
log "building the native layer (build/native)"
cmake -S native -B build/native -DCMAKE_BUILD_TYPE=Release "${prefix[@]}" >/dev/null
cmake --build build/native -j"$(nproc)" 2>&1 | grep -E "error|warning: " || true
test -f build/native/libdistilldiff_native.so || { echo "native build failed" >&2; exit 1; }

log "building the .NET solution (Release)"
dotnet build DistillDiff.sln -c Release -v quiet -nologo 2>&1 | grep -E "error|warn|Error|Elapsed" || true
test -f src/DistillDiff.Cli/bin/Release/net10.0/distilldiff.dll || { echo ".NET build failed" >&2; exit 1; }
log "ready: ./distilldiff --help"
