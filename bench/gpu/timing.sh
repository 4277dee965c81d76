#!/bin/sh
# bench/gpu/timing.sh - how the real energy readings behave in time (issue 11,
# about 1.5 minutes): bench/gpu/nvml_timing.c alone on the GPU under a steady
# load, a 0.5 s on / 0.5 s off load and no load. Writes $OUT/timing.md and
# $OUT/timing.tar.gz (the raw traces). Carry .gpu-debs as for validate.sh.
set -u
OUT=${OUT:-/tmp/ebench-timing}
mkdir -p "$OUT" /tmp/t
. bench/gpu/deps.sh
b=/tmp/ebench-build
{ cmake -S . -B $b -DCMAKE_BUILD_TYPE=Release -DEBENCH_TESTS=OFF -DEBENCH_WERROR=OFF &&
  cmake --build $b -j 16 --target ebench &&
  nvcc -O2 -arch=sm_90 -I include bench/gpu/gemm_load.cu -o $b/gemm_load \
      -L $b -lebench -lcublas -Xlinker -rpath=$b &&
  cc -O2 -std=c11 bench/gpu/nvml_timing.c -o $b/nvml_timing -ldl; } > "$OUT/build.log" 2>&1 ||
  { tail -n 30 "$OUT/build.log"; exit 1; }
S="$OUT/timing.md"
{ uname -r; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; } > "$S"
export EBENCH_TRACK=off  # the load's own libebench: plain 10 Hz reads
$b/gemm_load --precision bf16 --duty 1 --seconds 10 > /dev/null 2>&1 &
sleep 1.5; $b/nvml_timing steady 8 /tmp/t >> "$S" 2>&1; wait
$b/gemm_load --precision bf16 --duty 0.5 --period 1.0 --seconds 10 > /dev/null 2>&1 &
sleep 1.5; $b/nvml_timing square 8 /tmp/t >> "$S" 2>&1; wait
sleep 1; $b/nvml_timing idle 4 /tmp/t >> "$S" 2>&1
(cd /tmp/t && tar czf "$OUT/timing.tar.gz" .)
cat "$S"
