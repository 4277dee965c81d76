#!/bin/sh
# bench/gpu/validate.sh - the whole H100 validation in one call on the GPU
# machine (issue 8). Builds ebench (jansson from the carried .gpu-debs/, see
# fetch-debs.sh), the CUDA workload and the NVML probe, then writes to $OUT:
#   info.txt        ebench info on the real driver
#   nvml.md         NVML call latencies, real update periods, driver version
#   table.md        the reference table for H100 (idle, light, medium, heavy
#                   x fp32, tf32, bf16): power, TFLOPS, TFLOPS/W
#   methods.md      counter vs integrated instant power vs 1 s average power
#   overhead.txt    the sampler's CPU share at 10 and 100 Hz on the real GPU
#   reports.tar.gz  every JSON report
# Call: device run with carry [".gpu-debs"], command "sh bench/gpu/validate.sh".
set -eu
OUT=${OUT:-/tmp/ebench-validate}
mkdir -p "$OUT"
top=$(pwd)
deps=/tmp/ebench-deps
mkdir -p "$deps"
for f in .gpu-debs/*.deb; do dpkg -x "$f" "$deps"; done
pcdir=$(dirname "$(find "$deps" -name jansson.pc | head -n 1)")
sed -i "s|^prefix=.*|prefix=$deps/usr|" "$pcdir/jansson.pc"
export PKG_CONFIG_PATH="$pcdir"
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
# no pkg-config on the image: the carried pkgconf
if ! command -v pkg-config > /dev/null 2>&1; then
    export PKG_CONFIG="$deps/usr/bin/pkgconf"
fi
build=/tmp/ebench-build
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEBENCH_TESTS=OFF -DEBENCH_WERROR=OFF \
    > "$OUT/build.log" 2>&1
cmake --build "$build" -j 16 >> "$OUT/build.log" 2>&1
nvcc -O2 -arch=sm_90 -I include bench/gpu/gemm_load.cu -o "$build/gemm_load" \
    -L "$build" -lebench -lcublas -Xlinker -rpath="$build" >> "$OUT/build.log" 2>&1
cc -O2 -std=c11 bench/gpu/nvml_probe.c -o "$build/nvml_probe" -ldl >> "$OUT/build.log" 2>&1
eb="$build/ebench"

# 1. what the real driver offers
{ nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv; echo; "$eb" info; } \
    > "$OUT/info.txt" 2>&1

# 2. NVML latencies and update periods, with the GPU busy (a heavy load runs)
"$build/gemm_load" --precision bf16 --duty 1 --seconds 12 > /dev/null &
sleep 2
"$build/nvml_probe" > "$OUT/nvml.md" 2>&1
wait

# 3. the reference table: each load level and precision, 3 runs after an idle
#    baseline; gemm_load's window carries its FLOPs (phase markers)
mkdir -p "$OUT/reports"
for prec in fp32 tf32 bf16; do
    for level in light:0.2 medium:0.5 heavy:1.0; do
        name=${level%%:*}; duty=${level#*:}
        "$eb" run -q --idle 3 --repeat 3 --interval 20 \
            --json "$OUT/reports/$prec-$name.json" --csv "$OUT/reports/$prec-$name.csv" \
            -- "$build/gemm_load" --precision "$prec" --duty "$duty" --seconds 4 \
            >> "$OUT/runs.log" 2>&1
    done
done
python3 bench/gpu/table.py "$OUT/reports" > "$OUT/table.md" 2> "$OUT/methods.md" || true

# 4. the sampler's own cost next to the real driver
"$build/eb_overhead" real > "$OUT/overhead.txt" 2>&1 || true
(cd "$OUT" && tar czf reports.tar.gz reports && rm -rf reports)
cat "$OUT/info.txt" "$OUT/nvml.md" "$OUT/table.md" "$OUT/overhead.txt"
