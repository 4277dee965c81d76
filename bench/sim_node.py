#!/usr/bin/env python3
"""bench/sim_node.py DIR [--phases] - a simulated node for the memory
benchmarks (soak.sh, exporter_scrapes.sh, monitor_memory.sh): DIR/scenario.json
with 8 simulated A100s whose counter reads take no time (with --phases their
power switches between two levels every few seconds), and DIR/sys, a fake
sysfs with 4 RAPL zones (two packages with DRAM), DIR/proc a fake procfs."""
import json
import os
import sys

root = sys.argv[1]
phases = "--phases" in sys.argv[2:]
gpus = []
for i in range(8):
    g = {"model": "A100-SXM4-80GB", "arch": "ampere",
         "pci_bus_id": "00000000:%02x:00.0" % (0x10 + i),
         "uuid": "GPU-5a1d0c2e-0000-4000-8000-00000000000%d" % i,
         "idle_power_w": 50, "power_limit_w": 400, "sensor": {"counter_read_ms": 0}}
    if phases:
        g["phases"] = [{"seconds": 7.3, "power_w": 120 + 30 * i},
                       {"seconds": 4.1, "power_w": 380}]
        g["repeat"] = True
    gpus.append(g)
with open(os.path.join(root, "scenario.json"), "w") as fh:
    json.dump({"gpus": gpus}, fh)
for zone, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram"),
                   ("intel-rapl:1", "package-1"), ("intel-rapl:1:0", "dram")):
    d = os.path.join(root, "sys/class/powercap", zone)
    os.makedirs(d)
    for f, v in (("name", name), ("max_energy_range_uj", "262143328850"), ("energy_uj", "0")):
        with open(os.path.join(d, f), "w") as fh:
            fh.write(v + "\n")
os.makedirs(os.path.join(root, "proc"))
with open(os.path.join(root, "proc/stat"), "w") as fh:
    fh.write("cpu  100 0 100 800 0 0 0 0 0 0\n")
with open(os.path.join(root, "proc/cpuinfo"), "w") as fh:
    fh.write("processor\t: 0\n")
