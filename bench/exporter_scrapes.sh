#!/bin/sh
# bench/exporter_scrapes.sh - resident memory of `ebench export` under a long
# scrape load (issue 16: flat over a million scrapes): 8 simulated GPUs and 4
# RAPL zones of a fake sysfs sampled every INTERVAL ms, scraped back to back by
# wrk (one thread, two connections) for SECONDS; VmRSS every 10 s, then the
# number of scrapes (docs/BENCHMARKS.md, "Memory on long runs").
#   bench/exporter_scrapes.sh [EBENCH] [SECONDS] [INTERVAL] [PORT]
set -eu
bin=${1:-build/ebench}
secs=${2:-240}
interval=${3:-100}
port=${4:-19131}
sim=${SIM:-build/sim/libnvidia-ml.so.1}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
work=$(mktemp -d /tmp/eb-scrapes.XXXXXX)
python3 "$(dirname "$0")/sim_node.py" "$work"
EBENCH_NVML_LIBRARY=$sim EBENCH_SIM_CONFIG=$work/scenario.json EBENCH_SYSFS_ROOT=$work/sys \
    "$bin" export --listen "127.0.0.1:$port" --interval "$interval" > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 2
(
    for t in $(seq 10 10 "$secs"); do
        sleep 10
        echo "t=${t}s rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status") kB"
    done
) &
watch=$!
wrk -t1 -c2 -d"${secs}s" "http://127.0.0.1:$port/metrics" | awk '/requests in/ {print "scrapes:", $1, "in", $4} /Requests\/sec/ {print "scrapes/s:", $2}'
wait $watch 2>/dev/null || true
echo "after: rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status") kB, bytes per scrape: $(curl -s "http://127.0.0.1:$port/metrics" | wc -c)"
