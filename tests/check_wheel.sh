#!/bin/sh
# `pip install .` offline into a fresh venv builds a wheel with libebench
# inside (setuptools as Debian ships it), and the module works from a fresh
# shell with nothing but the venv.
#   check_wheel.sh SOURCE_DIR
set -eu
src=$1
tmp=$(mktemp -d /tmp/ebench-wheel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv"
EBENCH_WHEEL_WORK="$tmp/work" "$tmp/venv/bin/pip" install --no-build-isolation --no-index \
    --quiet "$src" > "$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; exit 1; }
# the source distribution carries what the wheel is built from
(cd "$src" && EBENCH_WHEEL_WORK="$tmp/sdist-work" /usr/bin/python3 setup.py -q sdist -d "$tmp/sdist" \
    > "$tmp/sdist.log" 2>&1) || { cat "$tmp/sdist.log"; exit 1; }
for f in CMakeLists.txt src/lib/bench.c include/ebench.h sim/nvml_sim.c ebench.pc.in; do
    tar -tzf "$tmp"/sdist/*.tar.gz | grep -q "/$f\$" || { echo "the sdist lacks $f"; exit 1; }
done
site=$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')
[ -e "$site/libebench.so.2" ] || { echo "the wheel has no libebench.so.2 in $site"; exit 1; }
env -i PATH=/usr/bin:/bin HOME="$tmp" EBENCH_NVML_LIBRARY=/nonexistent "$tmp/venv/bin/python" -c '
import os, energy_benchmark
here = os.path.dirname(energy_benchmark.__file__)
b = energy_benchmark.EnergyBenchmark()
with b.window("w") as m:
    pass
assert m.duration_s >= 0 and "w" in b.results, b.results
print("wheel: ok, module and library in", here)'
