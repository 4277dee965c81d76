#!/bin/sh
# Exercise 1: measure power during kernels. Runs kernels under `ebench run`,
# keeps the power trace (CSV) and the report (JSON), prints the steady-state
# average power, and draws the trace with the kernels shaded.
#   examples/ex01-power-measurement/run.sh [BUILD_DIR] [OUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
out=${2:-$here/out}
mkdir -p "$out"
# No GPU here? Use the simulated one (drop these two lines on a GPU machine).
export EBENCH_NVML_LIBRARY="${EBENCH_NVML_LIBRARY:-$build/sim/libnvidia-ml.so.1}"
export EBENCH_SIM_CONFIG="${EBENCH_SIM_CONFIG:-$here/../../sim/scenarios/demo.json}"

"$build/ebench" run --interval 20 --csv "$out/trace.csv" --json "$out/report.json" \
    -- "$build/examples/ex01_kernels"
echo "power trace: $out/trace.csv ($(wc -l < "$out/trace.csv") rows)"
"$build/ebench" report "$out/report.json" | awk '/steady state/ { on = 1 } on && !/^   |steady/ { exit } on'

if command -v gnuplot >/dev/null 2>&1; then
    "$build/ebench" plot "$out/report.json" -o "$out/trace.png"
fi
# the simulated driver's shared memory for this scenario is no longer needed
case "$EBENCH_NVML_LIBRARY" in
*/sim/libnvidia-ml.so.1) "$build/sim/ebench-sim-load" --forget || true ;;
esac
