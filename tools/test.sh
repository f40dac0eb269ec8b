#!/usr/bin/env bash
# The test command: sets up what is missing (tools/setup.sh), runs every test project against the host's libtorch
# (Debian 12: 1.13), then again against libtorch 2.6 in a Debian 13 root (tools/libtorch26.sh; skip that second
# suite with DISTILLDIFF_LIBTORCH26=0). Ends with one "libtorch X: N passed, N failed, N skipped" line per suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
# Sums the per-project "Passed!/Failed!" lines of a dotnet test log.
summary() {
  awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
       END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$1"
}
version() { "$@" dotnet src/DistillDiff.Cli/bin/Release/net10.0/distilldiff.dll info 2>/dev/null | awk '/^libtorch/ { print $2 }'; }
log=$(mktemp)
log26=$(mktemp)
trap 'rm -f "$log" "$log26"' EXIT
status=0
host_version=$(version)
dotnet test DistillDiff.sln -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?
lines=("libtorch ${host_version:-?}: $(summary "$log")")
echo "${lines[0]}"
if [ "${DISTILLDIFF_LIBTORCH26:-1}" != 0 ]; then
  bash tools/libtorch26.sh test 2>&1 | tee "$log26" || status=$?
  lines+=("libtorch $(version bash tools/libtorch26.sh run || echo 2.6): $(summary "$log26")")
fi
printf '%s\n' "${lines[@]}"
exit $status
