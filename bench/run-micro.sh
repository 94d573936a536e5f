#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite (bench/Micro, project FastSpinnRelay.Bench) in short mode with MemoryDiagnoser,
# sized for CI, and fails when a hot path allocates.
#
#   bench/run-micro.sh [FILTER] [extra BenchmarkDotNet arguments...]
#     FILTER  BenchmarkDotNet --filter glob, default '*' (e.g. '*Eieio*')
#   JOB=dry bench/run-micro.sh   one iteration per benchmark: checks that everything runs, not how fast, and
#                                NOT allocations (BenchmarkDotNet reports under 8 KB per run as 0 B); gate with short
#
# How the gate works: benchmarks (or whole classes) marked [HotPath] in bench/Micro carry an allocation budget,
# 0 B per operation unless [HotPath(MaxBytesPerOperation = N)] says otherwise. After the run, the bench program
# (bench/Micro/AllocationGate.cs) reads BenchmarkDotNet's own summaries (GcStats, per operation, which counts
# every thread) and prints one "alloc-gate:" line per hot-path benchmark. It exits 1 when any is over budget, did
# not run, or was not measured (no [MemoryDiagnoser]), and this script exits with that code. Reports (markdown,
# CSV with the Allocated column) are in BenchmarkDotNet.Artifacts/results/.
#
# The machine is shared: run one BenchmarkDotNet job at a time. The generated project's build may take up to 15
# minutes (BenchmarkDotNet's own limit, 2 minutes, was reached on a loaded 2-core machine and failed the run).
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-*}"
shift || true
job="${JOB:-short}"

./setup.sh --quiet
dotnet build bench/Micro/FastSpinnRelay.Bench.csproj -c Release -nologo -v quiet -clp:ErrorsOnly -clp:NoSummary
set +e
dotnet run -c Release --no-build --project bench/Micro -- \
    --filter "$filter" --job "$job" --memory --exporters csv markdown --buildTimeout 900 "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
    echo "run-micro: FAILED (a hot path allocated over budget, or a benchmark failed; see the alloc-gate lines)" >&2
    exit 1
fi
echo "run-micro: ok"
