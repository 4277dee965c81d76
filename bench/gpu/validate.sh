#!/bin/sh
# bench/gpu/validate.sh - the whole GPU validation in one call on the GPU
# machine (issue 11, about 6 minutes). Builds ebench (jansson from the carried
# .gpu-debs/, see fetch-debs.sh), the CUDA workload, the NVML probe and the
# real-GPU windows check, then writes to $OUT (the device tool returns at most
# eight files):
#   summary.md     ebench info, NVML latencies and update periods, the windows
#                  check (steady, bursty, square load), the reference table,
#                  the three methods, the sampler's cost
#   data.tar.gz    every JSON/CSV report, the counter/power traces and windows
#                  of the windows check (bench/gpu/analyse.py reads them), runs.log
#   build.log
# Call: device run with carry [".gpu-debs"], command "sh bench/gpu/validate.sh".
set -u
OUT=${OUT:-/tmp/ebench-validate}
mkdir -p "$OUT"
. bench/gpu/deps.sh
data=/tmp/ebench-data
mkdir -p "$data/reports" "$data/traces"
S="$OUT/summary.md"
step() { echo "== $* ($(date +%T))" | tee -a "$S" >&2; }
build=/tmp/ebench-build
step build
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEBENCH_TESTS=OFF -DEBENCH_WERROR=OFF &&
  cmake --build "$build" -j 16 &&
  nvcc -O2 -arch=sm_90 -I include bench/gpu/gemm_load.cu -o "$build/gemm_load" \
      -L "$build" -lebench -lcublas -Xlinker -rpath="$build" &&
  cc -O2 -std=c11 bench/gpu/nvml_probe.c -o "$build/nvml_probe" -ldl &&
  cc -O2 -std=c11 -I include bench/gpu/windows_real.c -o "$build/windows_real" \
      -L "$build" -lebench -Wl,-rpath="$build" -ldl -lpthread -lm; } > "$OUT/build.log" 2>&1 ||
  { step "build FAILED"; tail -n 30 "$OUT/build.log" >> "$S"; cat "$S"; exit 1; }
eb="$build/ebench"
load="$build/gemm_load"

step "1. ebench info on the real driver"
{ nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv;
  nvidia-smi | head -n 4 | tail -n 2; echo; "$eb" info; } >> "$S" 2>&1

step "2. NVML latencies and update periods (heavy bf16 load)"
"$load" --precision bf16 --duty 1 --seconds 12 > /dev/null 2>&1 &
sleep 2
"$build/nvml_probe" >> "$S" 2>&1
wait

step "3. windows on the real GPU: | load | length | n | ebench vs linear ref | ends vs linear | 1 Hz poll vs linear | ebench vs shaped ref | ends vs shaped |"
for spec in "steady 1 0.1" "bursty 0.3 0.1" "square 0.5 1.0"; do
    set -- $spec
    "$load" --precision bf16 --duty "$2" --period "$3" --seconds 23 > /dev/null 2>&1 &
    sleep 1.5
    "$build/windows_real" "$1" 20 "$data/traces" >> "$S" 2>> "$data/traces/windows.log"
    wait
done
cat "$data/traces/windows.log" >> "$S"

step "4. reference table"
for prec in fp32 tf32 bf16; do
    for level in light:0.2 medium:0.5 heavy:1.0; do
        name=${level%%:*}; duty=${level#*:}
        "$eb" run -q --idle 2 --repeat 3 --interval 20 \
            --json "$data/reports/$prec-$name.json" --csv "$data/reports/$prec-$name.csv" \
            -- "$load" --precision "$prec" --duty "$duty" --seconds 3 \
            >> "$data/runs.log" 2>&1
    done
done
python3 bench/gpu/table.py "$data/reports" >> "$S" 2> "$data/methods.txt"
cat "$data/methods.txt" >> "$S"

step "5. the sampler's cost on the real driver"
"$build/eb_overhead" real >> "$S" 2>&1
step done
(cd "$data" && tar czf "$OUT/data.tar.gz" .)
cat "$S"
