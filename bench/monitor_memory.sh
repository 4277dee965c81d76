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
python3 - "$work" <<'PY'
import json, os, sys
root = sys.argv[1]
gpus = [{"model": "A100-SXM4-80GB", "arch": "ampere",
         "pci_bus_id": "00000000:%02x:00.0" % (0x10 + i),
         "uuid": "GPU-5a1d0c2e-0000-4000-8000-00000000000%d" % i,
         "idle_power_w": 50, "power_limit_w": 400, "sensor": {"counter_read_ms": 0}}
        for i in range(8)]
json.dump({"gpus": gpus}, open(os.path.join(root, "scenario.json"), "w"))
for z, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram"),
                ("intel-rapl:1", "package-1"), ("intel-rapl:1:0", "dram")):
    d = os.path.join(root, "sys/class/powercap", z)
    os.makedirs(d)
    for f, v in (("name", name), ("max_energy_range_uj", "262143328850"), ("energy_uj", "0")):
        open(os.path.join(d, f), "w").write(v + "\n")
PY
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
