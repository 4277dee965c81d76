#!/bin/sh
# bench/gpu/check.sh - after a tracker change, the short real-GPU check
# (about 1.5 minutes): windows on a steady and a bursty load (windows_real),
# the sampler's cost on the real driver, `ebench run` at 10 and 100 ms.
# Writes $OUT/check.md and $OUT/check.tar.gz. Carry .gpu-debs.
set -u
OUT=${OUT:-/tmp/ebench-check}
mkdir -p "$OUT" /tmp/c
. bench/gpu/deps.sh
b=/tmp/ebench-build
{ cmake -S . -B $b -DCMAKE_BUILD_TYPE=Release -DEBENCH_TESTS=OFF -DEBENCH_WERROR=OFF &&
  cmake --build $b -j 16 &&
  nvcc -O2 -arch=sm_90 -I include bench/gpu/gemm_load.cu -o $b/gemm_load \
      -L $b -lebench -lcublas -Xlinker -rpath=$b &&
  cc -O2 -std=c11 -I include bench/gpu/windows_real.c -o $b/windows_real \
      -L $b -lebench -Wl,-rpath=$b -ldl -lpthread -lm; } > "$OUT/build.log" 2>&1 ||
  { tail -n 30 "$OUT/build.log"; exit 1; }
S="$OUT/check.md"
{ uname -r; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; git log -1 --format=%h; } > "$S"
for spec in "steady 1 0.1" "bursty 0.3 0.1"; do
    set -- $spec
    EBENCH_TRACK=off $b/gemm_load --precision bf16 --duty "$2" --period "$3" --seconds 19 > /dev/null 2>&1 &
    sleep 1.5
    $b/windows_real "$1" 16 /tmp/c >> "$S" 2>> /tmp/c/windows.log
    wait
done
EBENCH_TRACK=off $b/gemm_load --precision bf16 --duty 1 --seconds 12 > /dev/null 2>&1 &
sleep 1.5
WR_NOREF=1 $b/windows_real noref 9 /tmp/c > /dev/null 2>> /tmp/c/windows.log
wait
cat /tmp/c/windows.log >> "$S"
$b/eb_overhead real >> "$S" 2>&1
for i in 10 100; do
    python3 -c "import resource,subprocess,sys,time
t=time.time(); subprocess.run(sys.argv[1:]); r=resource.getrusage(resource.RUSAGE_CHILDREN)
print('run --interval $i: %.3f s user %.3f s sys, %.2f s wall' % (r.ru_utime, r.ru_stime, time.time()-t))" \
        $b/ebench run -q --interval $i --json /tmp/c/run$i.json -- sleep 4 >> "$S" 2>&1
    python3 -c "import json,sys; d=json.load(open('/tmp/c/run$i.json'))['domains'][0]; print('  ', d['id'], round(d['energy_j'],2), 'J', d.get('counter_tracking'))" >> "$S" 2>&1
done
(cd /tmp/c && tar czf "$OUT/check.tar.gz" .)
cat "$S"
