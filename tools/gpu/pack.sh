#!/usr/bin/env bash
# Packs what the lent GPU machine needs to run DistillDiff's .NET side, which it cannot build (it has no dotnet):
# the .NET runtime once (this machine's Microsoft.NETCore.App shared runtime and the `dotnet` host) and the Release
# build outputs of the CLI, of every test project (xunit v3 executables) and of tools/bench, at their repository
# paths, so that tests finding the repository by walking up from their own folder (and the native layer's loader)
# behave as they do here. The native layer is not packed: tools/gpu/check.sh builds it there against the machine's
# PyTorch from native/, which travels as tracked files.
#
#   bash tools/gpu/pack.sh [--out FILE] [--no-build]     (default .gpu/pack.tar.xz; docs/gpu.md)
#
# Everything that travels to the device machine (tracked files, untracked files git does not ignore, and the carried
# paths) must fit 64 MiB together, so this prints the tarball's size next to the rest of the tree and fails when
# the sum is over. Why not `dotnet publish --self-contained` per app: each of the 10 apps would carry its own runtime
# and the tests call `dotnet distilldiff.dll`, which a self-contained app has no `dotnet` for; one shared runtime
# serves all of them, and the apps stay the framework-dependent binaries that CI tests here.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
out=.gpu/pack.tar.xz
build=1
limit=$((64 * 1024 * 1024))
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "error: --out needs a file" >&2; exit 1; }; out=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (expected --out FILE or --no-build)" >&2; exit 1 ;;
  esac
done
log() { printf '\033[1m[pack]\033[0m %s\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }
command -v dotnet >/dev/null || die "dotnet is not on PATH (pack.sh runs on a machine with the .NET SDK)"
command -v xz >/dev/null || die "xz is not installed (apt-get install xz-utils)"

apps=(src/DistillDiff.Cli tools/bench/DistillDiff.Bench)
for t in tests/DistillDiff.*.Tests; do apps+=("$t"); done

if [ $build = 1 ]; then
  log "building the solution (Release)"
  blog=$(mktemp)
  nice -n 15 dotnet build DistillDiff.sln -c Release -nologo -v quiet >"$blog" 2>&1 || { grep -E "error" "$blog" | head -20 >&2; die "dotnet build failed (log: $blog)"; }
  rm -f "$blog"
fi

# The runtime the apps run on here: the host (dotnet, host/fxr) and the Microsoft.NETCore.App version they roll
# forward to. The SDK, ASP.NET Core and the packs stay behind.
droot=$(dirname "$(readlink -f "$(command -v dotnet)")")
rt=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { v = $2 } END { print v }')
[ -n "$rt" ] || die "no Microsoft.NETCore.App 10.x runtime in $droot"
fxr=$(ls "$droot/host/fxr" | sort -V | tail -1)

stage=$(mktemp -d "${TMPDIR:-/tmp}/distilldiff-pack.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dotnet/host/fxr" "$stage/dotnet/shared/Microsoft.NETCore.App"
cp -a "$droot/dotnet" "$stage/dotnet/"
cp -a "$droot/host/fxr/$fxr" "$stage/dotnet/host/fxr/"
cp -a "$droot/shared/Microsoft.NETCore.App/$rt" "$stage/dotnet/shared/Microsoft.NETCore.App/"

for app in "${apps[@]}"; do
  bin="$app/bin/Release/net10.0"
  [ -d "$bin" ] || die "$bin is missing: build the solution first (bash tools/setup.sh, or run pack.sh without --no-build)"
  mkdir -p "$stage/$bin"
  # Left out: other platforms' native libraries (the portable build carries SkiaSharp and ONNX Runtime for 18 RIDs;
  # the host only loads linux-x64's), and this machine's libdistilldiff_native.so, built against a libtorch the GPU
  # machine does not have: there the loader must find the CUDA build that check.sh names in DISTILLDIFF_NATIVE.
  tar -C "$bin" --exclude='./runtimes/*' --exclude='./libdistilldiff_native.so' -cf - . | tar -C "$stage/$bin" -xf -
  if [ -d "$bin/runtimes/linux-x64" ]; then
    mkdir -p "$stage/$bin/runtimes"
    cp -a "$bin/runtimes/linux-x64" "$stage/$bin/runtimes/"
  fi
done

# The 10 apps share most of their assemblies (the test projects each hold the whole engine, ScottPlot, SkiaSharp,
# ONNX Runtime): identical files become hard links, which tar stores once.
hardlink -q "$stage" >/dev/null

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
{
  echo "# DistillDiff GPU pack"
  echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $commit$([ "$dirty" -gt 0 ] && echo " (+$dirty changed files)")"
  echo "runtime: Microsoft.NETCore.App $rt, hostfxr $fxr"
  echo "apps:"
  for app in "${apps[@]}"; do echo "  $app/bin/Release/net10.0"; done
} >"$stage/MANIFEST"

mkdir -p "$(dirname "$out")"
log "compressing into $out"
# -9e with a 64 MiB dictionary: the shared runtime and the apps' assemblies compress together.
tar -C "$stage" -cf - . | xz -T"$(nproc)" -9e >"$out.partial"
mv "$out.partial" "$out"

size=$(stat -c %s "$out")
# What travels beside it: tracked files and untracked files that git does not ignore.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s -- 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
unpacked=$(du -sb "$stage" | cut -f1)
log "pack: $out, $(mib "$size") ($(mib "$unpacked") unpacked); working tree: $(mib "$tree"); together $(mib $((size + tree))) of $(mib $limit)"
case "$out" in
  /*) rel=${out#"$repo"/} ;;
  *) rel=$out ;;
esac
git check-ignore -q "$rel" 2>/dev/null || log "warning: $rel is not ignored by git, so it would travel twice (tracked tree and carry)"
[ $((size + tree)) -le $limit ] || die "the pack and the working tree are $(mib $((size + tree))) together, over the 64 MiB that travels to the device machine"
