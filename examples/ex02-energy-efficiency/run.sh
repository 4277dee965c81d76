#!/bin/sh
# Exercise 2: compare two implementations of the same work by energy.
#   examples/ex02-energy-efficiency/run.sh [BUILD_DIR] [OUT_DIR] [N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
out=${2:-$here/out}
n=${3:-384}
reps=3
mkdir -p "$out"
flop=$(awk "BEGIN { printf \"%.0f\", 2 * $n * $n * $n }")
for impl in naive blocked; do
    "$build/ebench" run --quiet --repeat "$reps" --warmup 1 --work "$flop:flop" \
        --json "$out/$impl.json" -- "$build/examples/ex02_matmul" "$impl" "$n"
done
"$build/ebench" compare "$out/naive.json" "$out/blocked.json"
# the figure: energy per run with 95% confidence whiskers, and TFLOP/J
if command -v gnuplot >/dev/null 2>&1; then
    "$build/ebench" plot "$out/naive.json" "$out/blocked.json" -o "$out/compare.png" \
        --title "naive vs blocked matrix product, N = $n, $reps runs each"
fi
