#!/bin/sh
# bench/gpu/figures.sh - real-GPU reports for the figures in docs/ (issue 19):
# the same GEMM work in bf16 and in tf32, 5 runs each after a warm-up, so
# `ebench plot bf16.json tf32.json` has confidence intervals from real runs.
# Run after validate.sh or check.sh (it reuses their build). Writes
# $OUT/h100-bf16.json and $OUT/h100-tf32.json.
set -u
OUT=${OUT:-/tmp/ebench-figures}
mkdir -p "$OUT"
. bench/gpu/deps.sh
b=/tmp/ebench-build
for p in bf16 tf32; do
    $b/ebench run -q --repeat 5 --warmup 1 --idle 1 --interval 20 --json "$OUT/gpu-$p.json" \
        -- $b/gemm_load --precision $p --duty 1 --seconds 2 2>&1 | tail -n 3
done
