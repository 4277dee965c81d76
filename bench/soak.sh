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
python3 "$(dirname "$0")/sim_node.py" "$work" --phases
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
