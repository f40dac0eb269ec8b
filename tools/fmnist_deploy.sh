#!/usr/bin/env bash
# The deployment table of the CPU Fashion-MNIST PD students (docs/deploy.md): for the 1-, 2- and 4-step students,
# the float model in libtorch and ONNX Runtime, W8A8 with ONNX Runtime's int8 kernels and W8A8 / W4A8 fake-quantized
# in libtorch, each Q-Diffusion-style (MSE ranges, split shortcut) and naive (min-max, one range per concat), all
# scored by one `distilldiff eval` per student on the same noise and labels: FD, KID, ms/sample at batch 1 and 64.
#
#   bash tools/fmnist_deploy.sh [checkpoints-dir] [--num-samples 2000] [--calibration 128] [--speed-repeats 5]
#                               [--steps "1 2 4"] [--teacher] [--out DIR]
#
# checkpoints-dir: the folder tools/fmnist_cpu.sh filled (students in <dir>/fmnist-cpu-pd/models/student-Nsteps,
# default checkpoints) or the PD run itself (<dir>/models/student-Nsteps). --teacher adds PSNR to the teacher's 64-step
# sample (<dir>/fmnist-cpu-teacher/models/teacher, or the run's teacher.checkpoint); it costs a 64-step teacher
# sampling per student. Writes <out>/fmnist-deploy.md (default out: <dir>/fmnist-deploy) and keeps every model,
# quant.json and eval folder there; a finished student's evaluation is reused when the script runs again.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dd="$here/distilldiff"
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

dir=checkpoints; samples=2000; calibration=128; repeats=5; steps="1 2 4"; teacher=0; out=""
positional=0
while [ $# -gt 0 ]; do
  case "$1" in
    --num-samples) samples="${2:?--num-samples needs a value}"; shift 2 ;;
    --calibration) calibration="${2:?--calibration needs a value}"; shift 2 ;;
    --steps) steps="${2:?--steps needs a value}"; shift 2 ;;
    --speed-repeats) repeats="${2:?--speed-repeats needs a value}"; shift 2 ;;
    --teacher) teacher=1; shift ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) die "unknown option '$1' (expected --num-samples, --calibration, --speed-repeats, --steps, --teacher, --out)" ;;
    *) [ $positional = 0 ] || die "one checkpoints folder expected, got '$dir' and '$1'"; dir="$1"; positional=1; shift ;;
  esac
done
[[ "$samples" =~ ^[0-9]+$ && "$samples" -ge 4 ]] || die "--num-samples must be a whole number of at least 4, got '$samples'"
[[ "$repeats" =~ ^[0-9]+$ && "$repeats" -ge 1 ]] || die "--speed-repeats must be a positive whole number, got '$repeats'"
[[ "$calibration" =~ ^[0-9]+$ && "$calibration" -ge 1 ]] || die "--calibration must be a positive whole number, got '$calibration'"
if [ -d "$dir/models" ]; then run="$dir"; else run="$dir/fmnist-cpu-pd"; fi
[ -d "$run/models" ] || die "no PD students in '$run/models' (give the checkpoints folder of tools/fmnist_cpu.sh or a PD run folder)"
for n in $steps; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "--steps must list step counts, e.g. \"1 2 4\"; got '$steps'"
  [ -d "$run/models/student-${n}steps" ] || die "no student '$run/models/student-${n}steps'"
done
out="${out:-$dir/fmnist-deploy}"
mkdir -p "$out"
teacher_args=()
if [ $teacher = 1 ]; then
  t="$dir/fmnist-cpu-teacher/models/teacher"
  [ -d "$t" ] || t="$(sed -n 's/^  checkpoint: *\([^ #]*\).*/\1/p' "$run/config.yaml" | head -1)"
  [ -d "$t" ] || die "--teacher: no teacher folder found ('$dir/fmnist-cpu-teacher/models/teacher', or teacher.checkpoint in $run/config.yaml)"
  teacher_args=(--teacher "$t" --teacher-steps 64)
fi

t0=$SECONDS
for n in $steps; do
  s="$run/models/student-${n}steps"; d="$out/student-${n}steps"; ev="$out/eval-${n}steps"
  if [ -f "$ev/eval.json" ] && [ "$(jq -r .num_samples "$ev/eval.json")" = "$samples" ]; then log "$ev exists; skipped"; continue; fi
  mkdir -p "$d"
  t1=$SECONDS
  "$dd" export "$s" --format onnx --out "$d" >&2
  for w in 8 4; do
    "$dd" quantize "$s" --weights $w --activations 8 --calibration "$calibration" --out "$d" >&2
    "$dd" quantize "$s" --weights $w --activations 8 --range minmax --no-split --calibration "$calibration" --out "$d" >&2
  done
  log "student-${n}steps: exported and quantized in $((SECONDS - t1)) s"
  t1=$SECONDS
  rm -rf "$ev.tmp"
  "$dd" eval "$s" "$d/model.onnx" "$d/model.w8a8.onnx" "$d/model.w8a8.minmax.nosplit.onnx" \
    "$d/model.w8a8.quant.json" "$d/model.w4a8.quant.json" "$d/model.w4a8.minmax.nosplit.quant.json" \
    --steps "$n" --num-samples "$samples" --speed-repeats "$repeats" --device cpu "${teacher_args[@]}" --out "$ev.tmp" >&2
  rm -rf "$ev"; mv "$ev.tmp" "$ev"
  log "student-${n}steps: evaluated in $((SECONDS - t1)) s"
done
python3 "$here/tools/deploy_table.py" "$out" > "$out/fmnist-deploy.md"
log "table in $out/fmnist-deploy.md; total $((SECONDS - t0)) s"
cat "$out/fmnist-deploy.md"
