#!/usr/bin/env python3
"""bench/gpu/table.py REPORT_DIR: the H100 reference table from validate.sh's
reports (stdout), and the energy of each run by three methods (stderr): the
energy counter (what ebench uses), integrated instant power, and the 1 s
average a naive poll would read."""
import glob
import json
import os
import sys

d = sys.argv[1]
print("| precision | load | GPU power (W) | idle (W) | TFLOPS | TFLOPS/W | energy per run (J) |")
print("|---|---|---|---|---|---|---|")
for path in sorted(glob.glob(os.path.join(d, "*.json"))):
    prec, level = os.path.basename(path)[:-5].split("-")
    r = json.load(open(path))
    gpu = [x for x in r["domains"] if x["kind"] == "gpu"][0]
    load = [w for w in r["windows"] if w["name"] == "load"]
    if not load:
        continue
    w = load[0]
    gpu_j = [x for x in w["domains"] if x["id"] == gpu["id"]][0]["energy_j"]
    flop = sum(x["amount"] for x in w["work"] if x["unit"] == "flop")
    tflops = flop / 1e12 / w["duration_s"]
    print(f"| {prec} | {level} | {gpu_j / w['duration_s']:.1f} | {gpu['idle_power_w'] or 0:.1f} "
          f"| {tflops:.1f} | {flop / 1e12 / gpu_j:.3f} | {gpu['energy_j']:.1f} |")
    # method comparison from the CSV timeline: counter vs integrated power
    csv = path[:-5] + ".csv"
    rows = [l.split(",") for l in open(csv) if l.startswith(tuple("0123456789"))]
    g = [(float(t), float(p) if p else None, float(e)) for t, dom, p, e in rows if dom == gpu["id"]]
    if len(g) > 2:
        counter = g[-1][2] - g[0][2]
        trap = sum((b[0] - a[0]) * ((a[1] or 0) + (b[1] or 0)) / 2 for a, b in zip(g, g[1:]))
        # what `nvidia-smi -l 1` users do: one reading a second, times one second
        polled, k = 0.0, 1
        for t, p, e in g:
            if t >= g[0][0] + k and p is not None:
                polled += p
                k += 1
        sys.stderr.write(f"{prec} {level}: counter {counter:.1f} J, integrated power {trap:.1f} J, "
                         f"1 Hz poll x 1 s {polled:.1f} J\n")
