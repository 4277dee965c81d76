#!/bin/sh
# bench/exporter.sh - ebench export against prometheus-node-exporter, both
# serving the same fake RAPL tree (two packages with DRAM), measured by wrk in
# the same run: throughput, latency percentiles, and memory.
#   bench/exporter.sh [BUILD_DIR] [SECONDS]
set -eu
build=$(cd "${1:-build}" && pwd)
secs=${2:-10}
for tool in wrk prometheus-node-exporter; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install $tool)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'kill $eb $ne 2>/dev/null; rm -rf "$tmp"' EXIT
for z in 0:package-0 0:0:dram 1:package-1 1:0:dram; do
    dir=$tmp/sys/class/powercap/intel-rapl:${z%:*}
    mkdir -p "$dir"
    echo "${z##*:}" > "$dir/name"
    echo 262143328850 > "$dir/max_energy_range_uj"
    echo 123456789 > "$dir/energy_uj"
done
EBENCH_SYSFS_ROOT=$tmp/sys EBENCH_NVML_LIBRARY=/nonexistent \
    "$build/ebench" export --listen 127.0.0.1:19471 --interval 1000 2>/dev/null &
eb=$!
prometheus-node-exporter --path.sysfs="$tmp/sys" --collector.disable-defaults --collector.rapl \
    --web.listen-address=127.0.0.1:19472 >/dev/null 2>&1 &
ne=$!
sleep 2
# memory after the load: resident, proportional (shared pages split between
# their users) and anonymous (what the process itself allocated)
mem() { awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Pss_Anon:/ { a = $2 }
             END { printf "%d / %d / %d kB", r, p, a }' "/proc/$1/smaps_rollup"; }
echo "| server | threads x connections | requests/s | p50 | p99 | memory after: RSS / PSS / anonymous |"
echo "|---|---|---|---|---|---|"
for conf in "1 1" "2 16"; do
    set -- $conf
    for who in ebench:19471:$eb node_exporter:19472:$ne; do
        name=${who%%:*}; rest=${who#*:}; port=${rest%%:*}; pid=${rest#*:}
        out=$(wrk -t"$1" -c"$2" -d"${secs}s" --latency "http://127.0.0.1:$port/metrics")
        rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
        p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
        p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
        echo "| $name | $1 x $2 | $rps | $p50 | $p99 | $(mem "$pid") |"
    done
done
