#!/usr/bin/env bash
# Runs every CPU-sized Fashion-MNIST recipe and evaluates what they publish: the numbers of docs/results.md.
#   bash tools/fmnist_cpu.sh [out-dir]       (default checkpoints/; about an hour on 2 CPU cores)
# Two to three trainings run side by side, one thread each (the recipes' run.threads): the v-teacher then its PD and
# ADD students, and ProDiff with its own x0 teacher. Then the step-count evaluations, the reports and the tables
# (out-dir/fmnist-cpu-results.md). A stopped run is resumed where it stopped when this script is run again.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
out="${1:-checkpoints}"
dd=./distilldiff
log() { printf '%s %s\n' "$(date +%T)" "$*"; }

# train RECIPE: runs it into $out/<name>, resuming a stopped run, skipping a finished one (its step_curve.json).
train() {
  local recipe="recipes/$1.yaml" dir="$out/$1"; shift
  if [ -f "$dir/step_curve.json" ] && [ -d "$dir/models" ]; then log "$dir is finished; skipped"; return 0; fi
  local t0=$SECONDS
  if [ -f "$dir/state/latest" ]; then
    log "resume $dir"; $dd resume "$dir" > "$out/logs/$(basename "$dir").log" 2>&1
  else
    log "train $recipe -> $dir"; $dd train "$recipe" --run-dir "$dir" --overwrite "$@" > "$out/logs/$(basename "$dir").log" 2>&1
  fi
  log "done $dir in $((SECONDS - t0)) s"
  echo "$(basename "$dir") $((SECONDS - t0))" >> "$out/logs/wall_s.txt"
}

mkdir -p "$out/logs"
teacher="$out/fmnist-cpu-teacher/models/teacher"
t0=$SECONDS
( train fmnist-cpu-teacher &&
  { train fmnist-cpu-pd --set "teacher.checkpoint=$teacher" & p=$!
    train fmnist-cpu-add --set "teacher.checkpoint=$teacher"; a=$?; wait $p && [ $a = 0 ]; } ) & chain=$!
train fmnist-cpu-prodiff & prodiff=$!
wait $chain; wait $prodiff
log "all trainings done in $((SECONDS - t0)) s"

ev="$out/fmnist-cpu-eval"
steps=1,2,4,8,16,32,64
pd="$out/fmnist-cpu-pd/models"
x0="$out/fmnist-cpu-prodiff/models"
add="$out/fmnist-cpu-add/models/student-add"
evaluate() { # NAME ARGS...: one `distilldiff eval` into $ev/NAME, timed
  local name=$1; shift; local s=$SECONDS
  [ -f "$ev/$name/eval.json" ] && { log "$ev/$name exists; skipped"; return 0; }
  log "eval $name: $dd eval $*"
  $dd eval "$@" --out "$ev/$name.tmp" > "$out/logs/eval-$name.log" 2>&1
  rm -rf "$ev/$name"; mv "$ev/$name.tmp" "$ev/$name"
  echo "eval-$name $((SECONDS - s))" >> "$out/logs/wall_s.txt"
}
mkdir -p "$ev"
# Two evaluations at a time, one thread each; `wait PID` makes a failed one stop the script.
evaluate teacher-ddim "$teacher" --steps $steps --sampler ddim --speed-batches none & p=$!
evaluate teacher-dpmpp "$teacher" --steps $steps --sampler dpmpp_2m --speed-batches none; wait $p
evaluate x0-teacher-ddim "$x0/teacher" --steps $steps --sampler ddim --speed-batches none & p=$!
evaluate pd-students "$pd"/student-{1,2,4,8}steps --steps 1,2,4,8 --teacher "$teacher" --teacher-steps 64; wait $p
evaluate add-student "$add" --steps 1,2,4 --sampler few_step --teacher "$teacher" --teacher-steps 64 & p=$!
evaluate prodiff-students "$x0"/student-{1,2}steps --steps 1,2,4 --teacher "$x0/teacher" --teacher-steps 64; wait $p
for r in fmnist-cpu-teacher fmnist-cpu-pd fmnist-cpu-prodiff fmnist-cpu-add; do $dd report "$out/$r" > /dev/null; done
python3 tools/results_table.py "$ev" "$out"/fmnist-cpu-{teacher,pd,prodiff,add} > "$out/fmnist-cpu-results.md"
log "tables in $out/fmnist-cpu-results.md; total $((SECONDS - t0)) s"
