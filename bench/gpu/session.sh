#!/bin/sh
# bench/gpu/session.sh - everything one lent GPU session checks, in one call
# (about 4 minutes): check.sh (windows, sampler cost, ebench run), timing.sh
# (how the energy readings behave in time), then `ebench info`, `ebench
# monitor`, Python's sync="torch" on real work (torch_sync.py) and a --repeat
# run whose report comes back for the docs. Carry .gpu-debs.
set -u
OUT=${OUT:-/tmp/ebench-session}
export OUT
mkdir -p "$OUT"
t0=$(date +%s)
sh bench/gpu/check.sh > /dev/null 2>&1; echo "check.sh: rc $? at $(( $(date +%s) - t0 )) s"
sh bench/gpu/timing.sh > /dev/null 2>&1; echo "timing.sh: rc $? at $(( $(date +%s) - t0 )) s"
. bench/gpu/deps.sh
b=/tmp/ebench-build
X="$OUT/extra.md"
{
  echo '## ebench info'; $b/ebench info 2>&1
  echo '## ebench monitor --count 3 --interval 500'; $b/ebench monitor --count 3 --interval 500 2>&1
  echo '## torch_sync.py'
  EBENCH_LIBRARY=$b/libebench.so.2 PYTHONPATH=python timeout 120 python3 bench/gpu/torch_sync.py 2>&1
  echo '## ebench run --repeat 3 --idle 1 gemm_load --duty 0.5 --seconds 2'
  $b/ebench run --repeat 3 --idle 1 --interval 20 --json "$OUT/h100_repeat.json" \
      -- $b/gemm_load --precision bf16 --duty 0.5 --seconds 2 2>&1
} > "$X" 2>&1
echo "extra: at $(( $(date +%s) - t0 )) s"
cat "$OUT/check.md" "$OUT/timing.md" "$X"
