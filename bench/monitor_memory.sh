#!/bin/sh
# bench/monitor_memory.sh - resident memory of `ebench monitor --interval 10
# --format csv` over N readings of 8 simulated GPUs and 4 RAPL zones of a
# fake sysfs (docs/BENCHMARKS.md, "Memory on long runs"); VmRSS every 10 s.
#   bench/monitor_memory.sh [EBENCH] [READINGS]
set -eu
bin=${1:-build/ebench}
count=${2:-12000}
sim=${SIM:-build/sim/libnvidia-ml.so.1}
work=$(mktemp -d /tmp/eb-monitor.XXXXXX)
python3 "$(dirname "$0")/sim_node.py" "$work"
EBENCH_NVML_LIBRARY=$sim EBENCH_SIM_CONFIG=$work/scenario.json EBENCH_SYSFS_ROOT=$work/sys \
    "$bin" monitor --interval 10 --format csv --count "$count" > "$work/out.csv" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
t=0
while sleep 10 && [ -d "/proc/$pid" ]; do
    t=$((t + 10))
    echo "t=${t}s rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status") kB rows=$(wc -l < "$work/out.csv")"
done
wait $pid || true
echo "rows: $(wc -l < "$work/out.csv")"
