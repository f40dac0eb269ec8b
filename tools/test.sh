#!/usr/bin/env bash
# The test command: sets up what is missing (tools/setup.sh), then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
log=$(mktemp)
status=0
dotnet test DistillDiff.sln -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?
# One closing line over all test projects: "N passed, N failed".
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $status
