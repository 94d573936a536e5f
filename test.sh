#!/usr/bin/env bash
# Runs the whole test suite, as CI does (.ci/run calls exactly this). Prints a final
# "tests: N passed, N failed, N skipped" line. Extra arguments go to `dotnet test` (e.g. --filter Boot).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --quiet

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! dotnet build FastSpinnRelay.sln -c Release -nologo -v quiet >"$log" 2>&1; then
    cat "$log" >&2   # the build output only matters when it failed
    exit 1
fi
set +e
# A hung test is killed (and reported) after 5 minutes instead of stalling CI.
dotnet test FastSpinnRelay.sln -c Release --no-build -nologo --blame-hang-timeout 5m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ...").
read -r passed failed skipped < <(awk '
    /(Passed|Failed)! +- +Failed:/ {
        gsub(",", ""); for (i = 1; i <= NF; i++) {
            if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
        }
    }
    END { printf "%d %d %d\n", p, f, s }' "$log")
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
    echo "test.sh: no test ran" >&2
    exit 1
fi
exit "$status"
