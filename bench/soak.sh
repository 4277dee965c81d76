#!/bin/sh
# bench/soak.sh - resident memory of `ebench run --interval 1` over a long run:
# 8 simulated GPUs (counter reads that take no time) and 4 RAPL zones of a fake
# sysfs, the full timeline streamed to --csv (docs/BENCHMARKS.md, "Memory on
# long runs"). RSS every 10 s, then the sampler's CPU time and the timeline
# file's rows per domain.
#   bench/soak.sh [EBENCH] [SECONDS] [CSV]
# CSV defaults to /dev/null (the writer runs, nothing lands on disk); give a
# file to keep the timeline (30 minutes at 1 kHz: about 1 GB), or "none" for no
# timeline file (no writer: the sampler's CPU time alone).
set -eu
bin=${1:-build/ebench}
secs=${2:-1800}
csv=${3:-/dev/null}
sim=${SIM:-build/sim/libnvidia-ml.so.1}
work=$(mktemp -d /tmp/eb-soak.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, os, sys
root = sys.argv[1]
gpus = [{"model": "A100-SXM4-80GB", "arch": "ampere",
         "pci_bus_id": "00000000:%02x:00.0" % (0x10 + i),
         "uuid": "GPU-5a1d0c2e-0000-4000-8000-00000000000%d" % i,
         "idle_power_w": 50, "power_limit_w": 400, "sensor": {"counter_read_ms": 0},
         "phases": [{"seconds": 7.3, "power_w": 120 + 30 * i}, {"seconds": 4.1, "power_w": 380}],
         "repeat": True}
        for i in range(8)]
json.dump({"gpus": gpus}, open(os.path.join(root, "scenario.json"), "w"))
for z, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram"),
                ("intel-rapl:1", "package-1"), ("intel-rapl:1:0", "dram")):
    d = os.path.join(root, "sys/class/powercap", z)
    os.makedirs(d)
    for f, v in (("name", name), ("max_energy_range_uj", "262143328850"), ("energy_uj", "0")):
        open(os.path.join(d, f), "w").write(v + "\n")
os.makedirs(os.path.join(root, "proc"))
open(os.path.join(root, "proc/stat"), "w").write("cpu  100 0 100 800 0 0 0 0 0 0\n")
open(os.path.join(root, "proc/cpuinfo"), "w").write("processor\t: 0\n")
PY
EBENCH_NVML_LIBRARY=$sim EBENCH_SIM_CONFIG=$work/scenario.json \
    EBENCH_SYSFS_ROOT=$work/sys EBENCH_PROCFS_ROOT=$work/proc \
    "$bin" run -q --interval 1 ${CHECKPOINT:+--checkpoint $CHECKPOINT} \
    $([ "$csv" = none ] || echo --csv "$csv") --json "$work/r.json" -- sleep "$secs" &
pid=$!
sleep 1
# the measuring process: ebench itself (sleep is its child)
for t in $(seq 10 10 "$secs"); do
    sleep 10
    [ -d "/proc/$pid" ] || break
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat")
    echo "t=${t}s rss=${rss} kB cpu=${cpu} s"
done
wait $pid
python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("ticks %d over %.0f s, %d domains" % (r["ticks"], r["elapsed_s"] if "elapsed_s" in r else 0,
                                            len(r["domains"])))
for w in r.get("warnings", []):
    print("warning:", w)
PY
