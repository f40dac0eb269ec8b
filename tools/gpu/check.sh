#!/usr/bin/env bash
# The lent GPU machine's whole check, in one command that keeps to a time budget (docs/gpu.md):
#
#   bash tools/gpu/check.sh [--budget SECONDS] [--stages LIST] [--pack FILE|DIR] [--out DIR] [--cpu] ...
#
# Stages, in order (each one's output in OUT/<stage>.log, its status line in OUT/summary.md):
#   unpack  the pack of tools/gpu/pack.sh (.NET runtime, CLI, test executables, benchmark) into --work
#   build   the native layer against `python3 -c 'import torch'`'s libtorch (torch.utils.cmake_prefix_path, the same
#           _GLIBCXX_USE_CXX11_ABI as torch) into build/native-gpu; then `distilldiff info` through it
#   tests   every test executable of the pack (xunit v3, no SDK), CUDA tests enabled where libtorch sees a GPU
#   bench   tools/gpu/bench.sh DIR, when that script exists (the C#-against-PyTorch speed comparison)
#   fmnist  a short Fashion-MNIST teacher, its PD and ADD students (recipes/<--recipes>-{teacher,pd,add}.yaml), then
#           `distilldiff eval` of each
# A stage that fails does not stop the next ones unless they need it (tests, bench and fmnist need unpack and build);
# a stage is skipped when less budget is left than it needs, and each runs under a timeout of what is left, so the
# summary is always written. A rerun with --stages NAME,... redoes only those (build reuses its CMake folder).
#
# The device tool returns at most 8 files from $OUT, so OUT holds only summary.md, one log per stage and
# artifacts.tar.gz (per-project test results, benchmark tables, training logs, plots, samples, eval tables),
# refreshed after every stage; the big files (checkpoints) stay in --work.
#
# --cpu runs the same stages on a machine without a GPU, with tiny sizes: build reuses $DISTILLDIFF_NATIVE or
# build/native (or builds against the host's libtorch), training runs a few steps. The test suite runs it this way
# (tests/DistillDiff.Training.Tests/GpuCheckScriptTests.cs).
#
# Exit code: 0 when every selected stage passed, 3 when one failed, timed out or was skipped for the budget, 1 (with
# one `error:` line) for bad arguments.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
self="$here/tools/gpu/check.sh"

# ---------------------------------------------------------------------------------------------------------------
# Stage bodies. Each runs as its own process (`check.sh --stage-body NAME`, under `timeout`), with the settings
# exported by the driver below; stdout and stderr go to OUT/<stage>.log, one result line to $CHECK_WORK/<stage>.result.
# ---------------------------------------------------------------------------------------------------------------
result() { echo "$*" >"$CHECK_WORK/$CHECK_STAGE.result"; }

body_unpack() {
  local pack=$CHECK_PACK dir
  if [ -d "$pack" ]; then
    dir=$pack
    echo "using the unpacked pack $dir"
  else
    dir="$CHECK_WORK/pack"
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    echo "unpacking $pack into $dir"
    if command -v xz >/dev/null; then
      tar -C "$dir" -xJf "$pack" || return 1
    else
      # No xz binary (a minimal image): Python's tarfile reads .tar.xz and restores the hard links pack.sh made.
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$pack" "$dir" || return 1
    fi
  fi
  [ -f "$dir/MANIFEST" ] && cat "$dir/MANIFEST"
  [ -x "$dir/dotnet/dotnet" ] || { echo "the pack has no dotnet/dotnet"; return 1; }
  [ -f "$dir/src/DistillDiff.Cli/bin/Release/net10.0/distilldiff.dll" ] || { echo "the pack has no CLI"; return 1; }
  "$dir/dotnet/dotnet" --list-runtimes || return 1
  echo "$dir" >"$CHECK_WORK/pack.dir"
  local n; n=$(ls -d "$dir"/tests/*/bin/Release/net10.0 2>/dev/null | wc -l)
  result "$(sed -n 's/^runtime: //p' "$dir/MANIFEST" 2>/dev/null | head -1); $n test projects; pack $(sed -n 's/^commit: //p' "$dir/MANIFEST" 2>/dev/null | head -1)"
}

body_build() {
  local native
  if [ "$CHECK_MODE" = cpu ]; then
    # On this project's CPU machines the native layer is built already (tools/setup.sh, tools/libtorch26.sh): reuse
    # the one the environment names, else build/native, else build it against the host's libtorch.
    native=${DISTILLDIFF_NATIVE:-$here/build/native}
    [ -d "$native" ] || native=$(dirname "$native")
    if [ ! -f "$native/libdistilldiff_native.so" ]; then
      native="$here/build/native"
      cmake -S "$here/native" -B "$native" -DCMAKE_BUILD_TYPE=Release && cmake --build "$native" -j"$(nproc)" || return 1
    else
      echo "reusing $native/libdistilldiff_native.so"
    fi
  else
    native="$here/build/native-gpu"
    local prefix abi
    prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') || { echo "python3 cannot import torch"; return 1; }
    abi=$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))') || return 1
    python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "devices", torch.cuda.device_count(), "cxx11 abi", torch.compiled_with_cxx11_abi())'
    echo "cmake prefix: $prefix"
    # Torch's CMake config picks CUDA architectures for any CUDA code; name the GPU's own (9.0 on an H100/H200)
    # rather than let it guess.
    if [ -z "${TORCH_CUDA_ARCH_LIST:-}" ] && command -v nvidia-smi >/dev/null; then
      TORCH_CUDA_ARCH_LIST=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')
      [ -n "$TORCH_CUDA_ARCH_LIST" ] && export TORCH_CUDA_ARCH_LIST && echo "TORCH_CUDA_ARCH_LIST=$TORCH_CUDA_ARCH_LIST"
    fi
    local gen=()
    # Ninja when there is one, but only for a new folder: CMake refuses to switch generators in an existing one.
    [ ! -f "$native/CMakeCache.txt" ] && command -v ninja >/dev/null && gen=(-G Ninja)
    # TorchConfig.cmake adds torch's own -D_GLIBCXX_USE_CXX11_ABI; stating it here too makes a mismatch between the
    # headers and torch's binaries impossible to miss (a redefinition warning) instead of an undefined symbol at load.
    cmake -S "$here/native" -B "$native" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_FLAGS="-D_GLIBCXX_USE_CXX11_ABI=$abi" || return 1
    cmake --build "$native" -j"$(nproc)" || return 1
  fi
  echo "$native" >"$CHECK_WORK/native.dir"
  export DISTILLDIFF_NATIVE=$native
  local pack info; pack=$(cat "$CHECK_WORK/pack.dir")
  info=$("$pack/src/DistillDiff.Cli/bin/Release/net10.0/distilldiff" info 2>&1) || { echo "$info"; echo "distilldiff info failed through $native"; return 1; }
  echo "$info"
  result "$(echo "$info" | awk '/^libtorch / { v = $2 } /^CUDA / { $1 = ""; c = $0 } END { printf "libtorch %s; CUDA%s", v, c }') ($native)"
}

body_tests() {
  local pack dir name rc filters=() results="$CHECK_WORK/artifacts/tests"
  pack=$(cat "$CHECK_WORK/pack.dir")
  mkdir -p "$results"
  # The report tests render HTML in headless Chromium; a machine without it leaves them out, as the 2.6 suite does.
  if [ ! -x /usr/bin/chromium ] && [ ! -x /usr/bin/chromium-browser ]; then
    filters=(-class- '*.RunReportTests')
    echo "no chromium here: RunReportTests are left out"
  fi
  # One runner process per project; up to CHECK_JOBS at once. Each writes its console log and xunit XML.
  # Extra runner arguments (--test-args, e.g. "-class *.CudaTests"), split on spaces.
  [ -n "$CHECK_TEST_ARGS" ] && { read -r -a extra <<<"$CHECK_TEST_ARGS"; filters+=("${extra[@]}"); }
  local dirs=()
  for dir in "$pack"/tests/*/bin/Release/net10.0; do
    name=$(basename "$(dirname "$(dirname "$(dirname "$dir")")")")
    # --projects Engine,Training: only those (a rerun of the ones that failed).
    [ -z "$CHECK_PROJECTS" ] || [[ ",$CHECK_PROJECTS," == *",$name,"* || ",$CHECK_PROJECTS," == *",$(echo "$name" | sed 's/^DistillDiff\.//; s/\.Tests$//'),"* ]] || continue
    [ -d "$dir" ] && dirs+=("$dir")
  done
  [ ${#dirs[@]} -gt 0 ] || { echo "no test projects in $pack/tests"; return 1; }
  printf '%s\n' "${dirs[@]}" | xargs -P "$CHECK_JOBS" -I{} bash -c '
    dir=$1 results=$2; shift 2
    name=$(basename "$(dirname "$(dirname "$(dirname "$dir")")")")
    start=$SECONDS
    "$DOTNET_ROOT/dotnet" "$dir/$name.dll" -noColor -noLogo -result-xml "$results/$name.xml" "$@" >"$results/$name.log" 2>&1
    echo "$name: exit $? in $((SECONDS - start)) s"
  ' _ {} "$results" "${filters[@]}"
  # The runner ends with "<project>  Total: N, Errors: E, Failed: F, Skipped: S, Not Run: R, Time: ...". A project
  # without that line crashed: it counts as failed.
  local p=0 f=0 s=0 broken=() failed=()
  for dir in "${dirs[@]}"; do
    name=$(basename "$(dirname "$(dirname "$(dirname "$dir")")")")
    local line; line=$(grep -E "^ +$name +Total: " "$results/$name.log" | tail -1)
    if [ -z "$line" ]; then broken+=("$name"); f=$((f + 1)); tail -30 "$results/$name.log"; continue; fi
    read -r total errors fails skips notrun < <(echo "$line" | sed -E 's/.*Total: ([0-9]+), Errors: ([0-9]+), Failed: ([0-9]+), Skipped: ([0-9]+), Not Run: ([0-9]+).*/\1 \2 \3 \4 \5/')
    p=$((p + total - fails - skips - notrun)); f=$((f + fails + errors)); s=$((s + skips))
    [ $((fails + errors)) -gt 0 ] && { failed+=("$name"); grep -E "\[FAIL\]" "$results/$name.log" | head -20; }
    echo "$line" | sed 's/^ *//'
  done
  local detail="$p passed, $f failed, $s skipped"
  [ ${#failed[@]} -gt 0 ] && detail+="; failing: ${failed[*]}"
  [ ${#broken[@]} -gt 0 ] && detail+="; no summary (crashed): ${broken[*]}"
  [ -n "$CHECK_PROJECTS" ] && detail+="; projects: $CHECK_PROJECTS"
  [ -n "$CHECK_TEST_ARGS" ] && detail+="; runner arguments: $CHECK_TEST_ARGS"
  [[ " ${filters[*]} " == *" *.RunReportTests "* ]] && detail+="; RunReportTests left out (no chromium)"
  result "$detail"
  [ "$f" -eq 0 ]
}

body_bench() {
  local script="$here/tools/gpu/bench.sh"
  if [ ! -f "$script" ]; then
    echo "tools/gpu/bench.sh is not in this tree"
    result "skipped: no tools/gpu/bench.sh"
    return 0
  fi
  mkdir -p "$CHECK_WORK/artifacts/bench"
  # bench.sh looks for the benchmark in the checkout's build output, which the GPU machine does not have: point it at
  # the pack's copy (same repository path), run through the packed runtime.
  local pack bench_dll mode=()
  pack=$(cat "$CHECK_WORK/pack.dir" 2>/dev/null || true)
  bench_dll="$pack/tools/bench/DistillDiff.Bench/bin/Release/net10.0/distilldiff-bench.dll"
  [ -n "$pack" ] && [ -f "$bench_dll" ] && export DISTILLDIFF_BENCH="dotnet $bench_dll"
  [ "$CHECK_MODE" = cpu ] && mode=(--cpu)
  bash "$script" "$CHECK_WORK/artifacts/bench" "${mode[@]}" || return 1
  result "tables in artifacts.tar.gz: bench/$(cd "$CHECK_WORK/artifacts/bench" && ls | head -5 | tr '\n' ' ')"
}

body_fmnist() {
  local pack dd runs="$CHECK_WORK/fmnist" art="$CHECK_WORK/artifacts/fmnist" r
  pack=$(cat "$CHECK_WORK/pack.dir")
  dd="$pack/src/DistillDiff.Cli/bin/Release/net10.0/distilldiff"
  for r in teacher pd add; do
    [ -f "$here/recipes/$CHECK_RECIPES-$r.yaml" ] || { echo "recipes/$CHECK_RECIPES-$r.yaml not found"; return 1; }
  done
  rm -rf "$runs" "$art" && mkdir -p "$runs" "$art"
  # Sizes: the recipes' own on a GPU unless given; a few steps on --cpu (the point there is the plumbing).
  # Students are evaluated at 1, 2 and 4 steps against the teacher's 64-step samples (the eval defaults).
  local common=(--set "eval.num_samples=$CHECK_EVAL_SAMPLES") t_set=() pd_set=() add_set=() speed=() few=1,2,4 agree=()
  [ -n "$CHECK_TEACHER_STEPS" ] && t_set+=(--set "teacher.steps=$CHECK_TEACHER_STEPS" --set "teacher.warmup_steps=$(( CHECK_TEACHER_STEPS < 200 ? 1 : 200 ))")
  [ -n "$CHECK_PD_UPDATES" ] && pd_set+=(--set "distill.updates_per_round=$CHECK_PD_UPDATES")
  [ -n "$CHECK_PD_START" ] && pd_set+=(--set "distill.start_steps=$CHECK_PD_START")
  [ -n "$CHECK_ADD_UPDATES" ] && add_set+=(--set "distill.updates=$CHECK_ADD_UPDATES" --set "distill.warmup_steps=1")
  if [ "$CHECK_MODE" = cpu ]; then
    # A UNet with 8-16 channels: the stage's commands, files and tables are what a CPU run checks, not quality.
    # The teacher, PD and ADD runs all get it, since the students start from the teacher's weights.
    common+=(--set run.log_every=1 --set "eval.steps=[1,2]" --set eval.grid_samples=16 --set run.threads=1
      --set "model.block_out_channels=[8,16,16]" --set model.norm_num_groups=4 --set model.attention_head_dim=8)
    t_set+=(--set teacher.batch_size=8)
    pd_set+=(--set distill.batch_size=8)
    add_set+=(--set distill.batch_size=8 --set distill.r1_every=1)
    speed=(--speed-batches none)
    few=1,2
    agree=(--teacher-steps 4)
  fi
  local teacher="$runs/teacher/models/teacher" t0
  step() { # NAME CMD...: one timed command, its output in the stage log and in artifacts/fmnist/NAME.log
    local name=$1; shift; t0=$SECONDS
    echo "== $name: $*"
    "$@" >"$art/$name.log" 2>&1; local rc=$?
    tail -15 "$art/$name.log"
    echo "== $name: exit $rc in $((SECONDS - t0)) s"
    echo "$name $((SECONDS - t0))" >>"$art/wall_s.txt"
    return $rc
  }
  step teacher "$dd" train "recipes/$CHECK_RECIPES-teacher.yaml" --run-dir "$runs/teacher" --overwrite "${common[@]}" "${t_set[@]}" || return 1
  step pd "$dd" train "recipes/$CHECK_RECIPES-pd.yaml" --run-dir "$runs/pd" --overwrite --set "teacher.checkpoint=$teacher" "${common[@]}" "${pd_set[@]}" || return 1
  step add "$dd" train "recipes/$CHECK_RECIPES-add.yaml" --run-dir "$runs/add" --overwrite --set "teacher.checkpoint=$teacher" "${common[@]}" "${add_set[@]}" || return 1
  local students=() n
  for n in 1 2 4; do [ -d "$runs/pd/models/student-${n}steps" ] && students+=("$runs/pd/models/student-${n}steps"); done
  step eval-teacher "$dd" eval "$teacher" --steps "$CHECK_EVAL_STEPS" --sampler ddim --num-samples "$CHECK_EVAL_SAMPLES" "${speed[@]}" --out "$art/eval-teacher" || return 1
  step eval-pd "$dd" eval "${students[@]}" --steps "$few" --num-samples "$CHECK_EVAL_SAMPLES" --teacher "$teacher" "${agree[@]}" "${speed[@]}" --out "$art/eval-pd" || return 1
  step eval-add "$dd" eval "$runs/add/models/student-add" --steps "$few" --sampler few_step --num-samples "$CHECK_EVAL_SAMPLES" --teacher "$teacher" "${agree[@]}" "${speed[@]}" --out "$art/eval-add" || return 1
  # What comes back: each run's logs, metrics, step curve, plots and sample grids; not its checkpoints.
  for r in teacher pd add; do
    mkdir -p "$art/$r"
    (cd "$runs/$r" && cp -r config.yaml train.log metrics.jsonl step_curve.json plots samples "$art/$r/" 2>/dev/null)
  done
  result "teacher, PD, ADD trained and evaluated ($(awk '{ s += $2 } END { print s }' "$art/wall_s.txt") s); eval tables in artifacts.tar.gz: fmnist/eval-*/eval.csv"
}

if [ "${1:-}" = --stage-body ]; then
  export CHECK_STAGE=$2
  cd "$here" || exit 1
  "body_$2"
  exit $?
fi

# ---------------------------------------------------------------------------------------------------------------
# The driver: arguments, budget, the summary.
# ---------------------------------------------------------------------------------------------------------------
die() { echo "error: $*" >&2; exit 1; }
mode=gpu
budget=540
stages=unpack,build,tests,bench,fmnist
pack="$here/.gpu/pack.tar.xz"
out=${OUT:-}
work="$here/.gpu/check"
jobs=
recipes=fmnist-cpu
projects= test_args=
teacher_steps= pd_updates= pd_start= add_updates= eval_samples= eval_steps=
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) mode=cpu; shift ;;
    --budget) need_value "$@"; budget=$2; shift 2 ;;
    --stages) need_value "$@"; stages=$2; shift 2 ;;
    --pack) need_value "$@"; pack=$2; shift 2 ;;
    --out) need_value "$@"; out=$2; shift 2 ;;
    --work) need_value "$@"; work=$2; shift 2 ;;
    --jobs) need_value "$@"; jobs=$2; shift 2 ;;
    --recipes) need_value "$@"; recipes=$2; shift 2 ;;
    --projects) need_value "$@"; projects=$2; shift 2 ;;
    --test-args) need_value "$@"; test_args=$2; shift 2 ;;
    --teacher-steps) need_value "$@"; teacher_steps=$2; shift 2 ;;
    --pd-start) need_value "$@"; pd_start=$2; shift 2 ;;
    --pd-updates) need_value "$@"; pd_updates=$2; shift 2 ;;
    --add-updates) need_value "$@"; add_updates=$2; shift 2 ;;
    --eval-samples) need_value "$@"; eval_samples=$2; shift 2 ;;
    --eval-steps) need_value "$@"; eval_steps=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see bash tools/gpu/check.sh --help)" ;;
  esac
done
posint() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }
posint --budget "$budget"
[ -z "$jobs" ] || posint --jobs "$jobs"
for v in "--teacher-steps:$teacher_steps" "--pd-start:$pd_start" "--pd-updates:$pd_updates" "--add-updates:$add_updates" "--eval-samples:$eval_samples"; do
  [ -z "${v#*:}" ] || posint "${v%%:*}" "${v#*:}"
done
[ -z "$eval_steps" ] || [[ "$eval_steps" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--eval-steps must be comma-separated positive integers, got '$eval_steps'"
all_stages=(unpack build tests bench fmnist)
IFS=, read -r -a selected <<<"$stages"
for s in "${selected[@]}"; do
  [[ " ${all_stages[*]} " == *" $s "* ]] || die "unknown stage '$s' in --stages (expected some of: ${all_stages[*]})"
done
[ -e "$pack" ] || die "no pack at $pack: run bash tools/gpu/pack.sh first (or name one with --pack)"
[ -n "$out" ] || out="$here/.gpu/out"
mkdir -p "$out" "$work" || die "cannot make $out or $work"
out=$(cd "$out" && pwd); work=$(cd "$work" && pwd)
case "$pack" in /*) ;; *) pack="$(pwd)/$pack" ;; esac

if [ "$mode" = cpu ]; then
  : "${teacher_steps:=3}" "${pd_start:=4}" "${pd_updates:=2}" "${add_updates:=2}" "${eval_samples:=32}" "${eval_steps:=1,2}"
  : "${jobs:=1}"
else
  : "${eval_samples:=2000}" "${eval_steps:=1,2,4,8,16,32,64}"
  : "${jobs:=$(( $(nproc) / 2 > 8 ? 8 : ($(nproc) / 2 < 1 ? 1 : $(nproc) / 2) ))}"
fi
# Seconds a stage needs at least to be worth starting: it is skipped when less is left.
declare -A need
if [ "$mode" = cpu ]; then need=([unpack]=2 [build]=2 [tests]=5 [bench]=5 [fmnist]=20)
else need=([unpack]=20 [build]=60 [tests]=150 [bench]=60 [fmnist]=120); fi
reserve=15   # kept back for the last artifacts.tar.gz and summary.md

rm -f "$work"/*.result
# An earlier run's unpacked pack and native build stay usable for a rerun that leaves those stages out.
[[ ",$stages," == *",unpack,"* ]] && rm -f "$work/pack.dir"
[[ ",$stages," == *",build,"* ]] && rm -f "$work/native.dir"
rm -rf "$work/artifacts" && mkdir -p "$work/artifacts"
rm -f "$out"/summary.md "$out"/*.log "$out"/artifacts.tar.gz

export CHECK_MODE=$mode CHECK_PACK=$pack CHECK_WORK=$work CHECK_JOBS=$jobs CHECK_RECIPES=$recipes CHECK_PROJECTS=$projects CHECK_TEST_ARGS=$test_args
export CHECK_TEACHER_STEPS=$teacher_steps CHECK_PD_START=$pd_start CHECK_PD_UPDATES=$pd_updates CHECK_ADD_UPDATES=$add_updates
export CHECK_EVAL_SAMPLES=$eval_samples CHECK_EVAL_STEPS=$eval_steps
# The apps run on the pack's runtime (DOTNET_ROOT; PATH, because tests start `dotnet distilldiff.dll`), without
# ICU (a bare machine may lack libicu; the 2.6 suite runs the same way), and with the launcher's malloc and
# OpenBLAS settings (./distilldiff).
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DISTILLDIFF_NO_PROGRESS=1
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

start=$SECONDS
left() { echo $((budget - (SECONDS - start))); }
declare -A status detail secs
machine() {
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1
  else
    echo "no GPU ($(nproc) CPU cores)"
  fi
}
machine_line=$(machine)
write_summary() {
  local s f=0 ok=0 skipped=0
  {
    echo "# DistillDiff device check"
    echo
    echo "- mode: $mode; budget $budget s; used $((SECONDS - start)) s"
    echo "- machine: $machine_line"
    local manifest; manifest="$(cat "$work/pack.dir" 2>/dev/null)/MANIFEST"
    echo "- pack: $pack$( [ -f "$pack" ] && echo " ($(stat -c %s "$pack") bytes)")$( [ -f "$manifest" ] && echo "; built from $(sed -n 's/^commit: //p' "$manifest")")"
    echo
    for s in "${all_stages[@]}"; do
      [ -n "${status[$s]:-}" ] || continue
      echo "- $s: ${status[$s]}${secs[$s]:+ in ${secs[$s]} s}${detail[$s]:+: ${detail[$s]}}"
      case "${status[$s]}" in ok) ok=$((ok + 1)) ;; skipped*) skipped=$((skipped + 1)) ;; reused*) ;; *) f=$((f + 1)) ;; esac
    done
    echo
    echo "check: $ok ok, $f failed, $skipped skipped"
    local t
    for t in "$work"/artifacts/bench/*.md; do [ -f "$t" ] && { echo; echo "## bench: $(basename "$t")"; echo; cat "$t"; }; done
    for t in "$work"/artifacts/fmnist/eval-*/eval.csv; do
      [ -f "$t" ] && { echo; echo "## fmnist $(basename "$(dirname "$t")")"; echo; echo '```'; cat "$t"; echo '```'; }
    done
  } >"$out/summary.md.partial"
  mv "$out/summary.md.partial" "$out/summary.md"
}
bundle() {
  tar -C "$work/artifacts" -czf "$out/artifacts.tar.gz.partial" . 2>/dev/null && mv "$out/artifacts.tar.gz.partial" "$out/artifacts.tar.gz"
}

declare -A state=([unpack]=pack.dir [build]=native.dir)
failed_before() { # STAGE...: whether any of them did not end ok (or, left out of --stages, left no result before)
  local s
  for s in "$@"; do
    if [[ ",$stages," == *",$s,"* ]]; then
      [ "${status[$s]:-}" = ok ] || return 0
    elif [ -f "$work/${state[$s]}" ]; then
      status[$s]="reused from an earlier run ($(cat "$work/${state[$s]}"))"
    else
      return 0
    fi
  done
  return 1
}
for s in "${all_stages[@]}"; do
  [[ ",$stages," == *",$s,"* ]] || continue
  case $s in
    build) failed_before unpack && { status[$s]="skipped (needs unpack)"; write_summary; continue; } ;;
    tests|bench|fmnist) failed_before unpack build && { status[$s]="skipped (needs unpack and build)"; write_summary; continue; } ;;
  esac
  l=$(left)
  if [ "$l" -lt $((need[$s] + reserve)) ]; then
    status[$s]="skipped (budget: $l s left, needs about ${need[$s]} s)"
    echo "[check] $s: ${status[$s]}"
    write_summary
    continue
  fi
  status[$s]=running; write_summary
  echo "[check] $s: started with $l s left"
  t0=$SECONDS
  [ -f "$work/native.dir" ] && export DISTILLDIFF_NATIVE=$(cat "$work/native.dir")
  if [ -f "$work/pack.dir" ]; then
    export DOTNET_ROOT="$(cat "$work/pack.dir")/dotnet" DISTILLDIFF_PACK="$(cat "$work/pack.dir")"
    export PATH="$DOTNET_ROOT:$PATH"
  fi
  timeout --kill-after=10 $((l - reserve)) bash "$self" --stage-body "$s" >"$out/$s.log" 2>&1
  rc=$?
  secs[$s]=$((SECONDS - t0))
  if [ $rc -eq 0 ]; then status[$s]=ok
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status[$s]="TIMEOUT (stopped at the budget)"
  else status[$s]="FAILED (exit $rc; see $s.log)"; fi
  [ -f "$work/$s.result" ] && detail[$s]=$(cat "$work/$s.result")
  echo "[check] $s: ${status[$s]} in ${secs[$s]} s${detail[$s]:+: ${detail[$s]}}"
  cp "$out/$s.log" "$work/artifacts/$s.log" 2>/dev/null
  bundle
  write_summary
done
bundle
write_summary
echo "[check] summary: $out/summary.md"
grep -q '^check: [0-9]* ok, 0 failed, 0 skipped$' "$out/summary.md" && exit 0
exit 3
