#!/bin/sh
# bench/flaky.sh - the whole test suite N times in a row with the machine
# loaded, to find tests that fail at random (docs/BENCHMARKS.md, "Flakiness").
#   bench/flaky.sh [RUNS] [BUSY]   RUNS (20) suites, BUSY (nproc) busy loops
#                                   at normal priority beside them
# Run from the source tree after `make`; prints each run's failures and a
# summary; exits 1 if any run failed.
set -eu
runs=${1:-20}
busy=${2:-$(nproc)}
build=${BUILD:-build}
[ -x "$build/tests/test_cli" ] || { echo "flaky.sh: build first (make)" >&2; exit 2; }
pids=""
for _ in $(seq "$busy"); do
    sh -c 'while :; do :; done' &
    pids="$pids $!"
done
trap 'kill $pids 2>/dev/null' EXIT INT TERM
failed=0
start=$(date +%s)
for i in $(seq "$runs"); do
    t0=$(date +%s)
    if (cd "$build" && ctest -j "$(nproc)" --timeout 300 --output-on-failure > "flaky-$i.log" 2>&1); then
        echo "run $i: all passed ($(( $(date +%s) - t0 )) s)"
    else
        failed=$((failed + 1))
        echo "run $i: FAILED ($(( $(date +%s) - t0 )) s): $(grep -E '^\s+[0-9]+ - ' "$build/flaky-$i.log" | tr -s ' ' | tr '\n' ';')"
    fi
done
echo "flaky.sh: $runs runs, $failed with a failure, $busy busy loops beside, $(( $(date +%s) - start )) s"
[ "$failed" -eq 0 ]
