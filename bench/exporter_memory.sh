#!/bin/sh
# bench/exporter_memory.sh - resident memory of `ebench export --interval 1`
# over time, 8 simulated GPUs whose counter reads take no time
# (docs/BENCHMARKS.md, "Memory on long runs").
#   bench/exporter_memory.sh [EBENCH] [SECONDS] [PORT]
set -eu
bin=${1:-build/ebench}
secs=${2:-60}
port=${3:-19121}
sim=${SIM:-build/sim/libnvidia-ml.so.1}
scenario=$(mktemp /tmp/eb-8gpu.XXXXXX.json)
python3 - "$scenario" <<'PY'
import json, sys
gpus = [{"model": "A100-SXM4-80GB", "arch": "ampere",
         "pci_bus_id": "00000000:%02x:00.0" % (0x10 + i),
         "uuid": "GPU-5a1d0c2e-0000-4000-8000-00000000000%d" % i,
         "idle_power_w": 50, "power_limit_w": 400, "sensor": {"counter_read_ms": 0}}
        for i in range(8)]
json.dump({"gpus": gpus}, open(sys.argv[1], "w"))
PY
EBENCH_NVML_LIBRARY=$sim EBENCH_SIM_CONFIG=$scenario \
    "$bin" export --listen "127.0.0.1:$port" --interval 1 > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$scenario"' EXIT
for t in $(seq 10 10 "$secs"); do
    sleep 10
    echo "t=${t}s rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status") kB"
done
