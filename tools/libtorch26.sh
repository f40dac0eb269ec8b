#!/usr/bin/env bash
# Builds the native layer against libtorch 2.6 and runs the .NET test suite on it, inside a Debian 13 (trixie)
# root, without touching the host's packages (the host stays on Debian 12's libtorch 1.13).
#
#   bash tools/libtorch26.sh            # make or reuse the root, build build/native-2.6, run every test project
#   bash tools/libtorch26.sh build      # only make the root and build build/native-2.6
#   bash tools/libtorch26.sh bench      # tools/bench against Python PyTorch 2.6 in the root -> tools/bench/results-2.6.md
#   bash tools/libtorch26.sh run CMD..  # run CMD in the root with the repository, dotnet and DISTILLDIFF_NATIVE set
#   bash tools/libtorch26.sh cuda-check # compile the native layer's CUDA paths against Debian 13's CUDA libtorch headers
#
# The root is made once per machine with debootstrap and kept in $DISTILLDIFF_ROOT26 (default
# /var/cache/distilldiff/trixie, outside the repository); a second run reuses it. The repository and the host's
# dotnet (and its NuGet cache) are bind-mounted into it at the same paths, in a private mount namespace, so the
# mounts vanish with the command. The host builds the .NET solution (tools/setup.sh); the root only runs it, with
# DISTILLDIFF_NATIVE pointing at build/native-2.6. Needs root (debootstrap, chroot, mount).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${DISTILLDIFF_ROOT26:-/var/cache/distilldiff/trixie}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# libopenblas0-pthread: Debian's libtorch calls the generic libblas.so.3, which is the reference BLAS unless
# OpenBLAS provides it (as tools/setup.sh does on the host).
# libgloo-dev: Gloo's headers, which the c10d process group (native/src/distributed.cpp) needs and libtorch-dev does
# not pull in.
# fonts-dejavu-core: the plot tests render text (as tools/setup.sh installs on the host).
packages=(libtorch-dev python3-torch cmake g++ make libopenblas0-pthread libgloo-dev fonts-dejavu-core)

log() { printf '\033[1m[libtorch2.6]\033[0m %s\n' "$*"; }
die() { echo "libtorch26.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and bind mounts); run it with sudo"

# ---- the root: made once, atomically (built in a temporary folder, renamed when complete) ----
make_root() {
  mkdir -p "$(dirname "$root")"
  exec 9>"$root.lock"
  flock 9   # another job on this machine may be making it right now
  if [ -f "$root/.distilldiff-ready" ]; then
    # A root made before a package joined the list gets it now.
    local missing=() p
    for p in "${packages[@]}"; do
      dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      log "installing ${missing[*]} in the root"
      cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
      in_ns "$root" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing[*]}" \
        >/dev/null || die "installing ${missing[*]} in the root failed"
      in_ns "$root" apt-get clean
    fi
    exec 9>&-
    return
  fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap on the host"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  local tmp="$root.partial"
  rm -rf "$tmp"
  log "debootstrap trixie into $root (once per machine)"
  local t0=$SECONDS out; out=$(mktemp)
  debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$out" 2>&1 || { tail -20 "$out" >&2; die "debootstrap failed (log: $out)"; }
  log "installing ${packages[*]}"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  in_ns "$tmp" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages[*]}" \
    >"$out" 2>&1 || { tail -20 "$out" >&2; die "installing packages in the root failed (log: $out)"; }
  rm -f "$out"
  in_ns "$tmp" apt-get clean
  dpkg-query --admindir="$tmp/var/lib/dpkg" -W -f='${Package} ${Version}\n' libtorch-dev python3-torch >"$tmp/.distilldiff-ready"
  mv "$tmp" "$root"
  log "root ready in $((SECONDS - t0)) s: $(tr '\n' ' ' <"$root/.distilldiff-ready")"
  exec 9>&-
}

# Runs a command chrooted into $1 in a private mount namespace: /proc, /dev, the repository, dotnet, the NuGet
# cache, /tmp and the host's data sets are bind-mounted at their host paths and unmounted when the command ends.
in_ns() {
  local r=$1; shift
  local dotnet_dir=""; command -v dotnet >/dev/null && dotnet_dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
  # OpenBLAS's own thread pool defaults to every core and ignores libtorch's thread count until the engine sets one
  # (run.threads); one thread unless the caller says otherwise (README, "BLAS").
  local blas_threads=${OPENBLAS_NUM_THREADS:-1}
  unshare --mount --propagation private -- bash -euc '
    r=$1 repo=$2 dotnet_dir=$3 blas_threads=$4; shift 4
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    bind() { [ -e "$1" ] || return 0; mkdir -p "$r$1"; mount --bind "$1" "$r$1"; }
    bind "$repo"
    [ -n "$dotnet_dir" ] && bind "$dotnet_dir"
    bind "$HOME/.nuget"
    bind /usr/share/datasets
    bind /tmp
    exec chroot "$r" /usr/bin/env -i PATH="${dotnet_dir:+$dotnet_dir:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      HOME="$HOME" LANG=C.UTF-8 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
      DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1 OPENBLAS_NUM_THREADS="$blas_threads" \
      DISTILLDIFF_NATIVE="$repo/build/native-2.6" ${EXTRA_ENV:-} bash -c "cd \"\$0\" && exec \"\$@\"" "$repo" "$@"
  ' _ "$r" "$repo" "$dotnet_dir" "$blas_threads" "$@"
}

build_native() {
  log "building the native layer against libtorch $(awk '/^libtorch-dev/ {print $2}' "$root/.distilldiff-ready") (build/native-2.6)"
  local out; out=$(mktemp)
  if ! in_ns "$root" bash -c 'cmake -S native -B build/native-2.6 -DCMAKE_BUILD_TYPE=Release && cmake --build build/native-2.6 -j"$(nproc)"' >"$out" 2>&1; then
    grep -E "error|Error" "$out" | head -40 >&2 || tail -40 "$out" >&2
    die "native build against libtorch 2.6 failed (full log: $out)"
  fi
  grep -E "warning" "$out" | head -20 || true
  rm -f "$out"
}

# ---- compile-only check of the CUDA code paths (opt-in: `cuda-check`) ----
# Debian 13 serves a CUDA build of libtorch 2.6 (libtorch-cuda-dev, contrib) and the CUDA toolkit's headers
# (nvidia-cuda-dev, non-free), but no GPU here can run it. So the native sources are compiled (g++ -fsyntax-only,
# no link) with DD_WITH_CUDA against those headers: the CUDA-graph, stream and NCCL code (native/src/cuda.cpp,
# distributed.cpp) cannot rot unseen on CPU machines. The packages are never installed into the root: their .debs
# are fetched with a private apt configuration (contrib and non-free lists kept under $cuda_dir/apt) and unpacked,
# headers only, into $cuda_dir (the root's /opt/distilldiff-cuda, which nothing else uses), so the root the test
# suite runs in stays exactly as it was. About 1.1 GB of downloads once per machine; about 40 MB kept.
# Measured on the 2-core machine: the check fails (as it should) when a CUDA path does not compile, e.g. it caught
# the missing <nv/target> before libcu++-dev joined the list.
cuda_dir=/opt/distilldiff-cuda
# libcu++-dev: <nv/target>, which the CUDA 12 headers (cuda_fp16.h) include; nvidia-cuda-dev only depends on it.
cuda_packages=(libtorch-cuda-dev nvidia-cuda-dev libcu++-dev libnccl-dev)
cuda_headers() {
  exec 9>"$root.cuda.lock"
  flock 9
  # .ready names the packages unpacked: a list that has grown since is fetched again.
  if [ "$(cat "$root$cuda_dir/.ready" 2>/dev/null)" != "${cuda_packages[*]}" ]; then
    log "fetching ${cuda_packages[*]} (headers only, into the root's $cuda_dir; once per machine)"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    in_ns "$root" bash -euc '
      d=$1; shift
      rm -rf "$d"; mkdir -p "$d/apt/lists/partial" "$d/apt/cache/archives/partial" "$d/debs" "$d/tree"
      echo "deb '"$mirror"' trixie main contrib non-free" >"$d/apt/sources.list"
      o=(-o Dir::Etc::SourceList="$d/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$d/apt/lists" -o Dir::Cache="$d/apt/cache")
      apt-get "${o[@]}" -qq update
      cd "$d/debs" && apt-get "${o[@]}" -qq download "$@"
      for f in "$d"/debs/*.deb; do dpkg-deb -x "$f" "$d/tree"; done
      mv "$d/tree/usr/include" "$d/include"
      dpkg-deb -f "$d"/debs/libtorch-cuda-dev_*.deb Version >"$d/version"
      rm -rf "$d/tree" "$d/debs" "$d/apt"
    ' _ "$cuda_dir" "${cuda_packages[@]}" || die "fetching the CUDA headers failed"
    echo "${cuda_packages[*]}" >"$root$cuda_dir/.ready"
  fi
  exec 9>&-
}
cuda_check() {
  cuda_headers
  log "compile-only check of native/src/*.cpp with DD_WITH_CUDA against libtorch-cuda-dev $(cat "$root$cuda_dir/version")"
  # The include order puts the CUDA libtorch's headers before the root's CPU libtorch-dev ones (same paths).
  in_ns "$root" bash -euc '
    d=$1; fails=0
    for f in native/src/*.cpp; do
      if ! g++ -std=c++17 -fsyntax-only -Wall -Wno-unused-parameter -D_GLIBCXX_USE_CXX11_ABI=1 -DDD_WITH_CUDA=1 \
          -DDD_EXPECT_CUDA_GRAPHS=1 -I native/src -isystem "$d/include" -isystem "$d/include/torch/csrc/api/include" "$f"; then
        echo "FAILED: $f"; fails=$((fails + 1))
      else
        echo "ok: $f"
      fi
    done
    [ $fails -eq 0 ]
  ' _ "$cuda_dir"
}

make_root
case "${1:-test}" in
  build) build_native ;;
  run) shift; in_ns "$root" "$@" ;;
  bench)
    build_native
    dotnet build tools/bench/DistillDiff.Bench/DistillDiff.Bench.csproj -c Release -nologo -v q -clp:ErrorsOnly
    in_ns "$root" env BENCH_NO_BUILD=1 BENCH_OUT=tools/bench/results-2.6.md ${BENCH_THREADS:+BENCH_THREADS="$BENCH_THREADS"} \
      ${BENCH_REPEATS:+BENCH_REPEATS="$BENCH_REPEATS"} ${BENCH_DEFAULT_MALLOC:+BENCH_DEFAULT_MALLOC="$BENCH_DEFAULT_MALLOC"} bash tools/bench/run.sh
    ;;
  test)
    build_native
    [ -f src/DistillDiff.Cli/bin/Release/net10.0/distilldiff.dll ] || die "build the .NET solution on the host first (bash tools/setup.sh)"
    log "dotnet test against libtorch 2.6"
    # The headless-Chromium report tests do not touch libtorch and run in the host suite; the root has no browser.
    in_ns "$root" dotnet test DistillDiff.sln -c Release --no-build -nologo --filter "FullyQualifiedName!~RunReportTests"
    ;;
  cuda-check) cuda_check ;;
  *) die "unknown command '$1' (expected test, build, bench, run or cuda-check)" ;;
esac
