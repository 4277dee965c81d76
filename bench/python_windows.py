#!/usr/bin/env python3
"""bench/python_windows.py - resident memory as windows accumulate through the
Python module (issue 16): N windows of `with bench.window("step")` on a
default bench (its sampler thread at 100 ms, whatever sources this machine
has), RSS every tenth, then how long print_results takes over all of them.
Figures in docs/BENCHMARKS.md.
    PYTHONPATH=python EBENCH_LIBRARY=build/libebench.so.2 \\
        python3 bench/python_windows.py [N]      (default 1000000)
"""
import os
import sys
import time

from energy_benchmark import EnergyBenchmark


def rss_kb(field="VmRSS:"):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    bench = EnergyBenchmark()
    base = rss_kb()
    print(f"windows   RSS MiB   bytes/window   (start {base / 1024:.1f} MiB)")
    t0 = time.monotonic()
    for i in range(1, n + 1):
        with bench.window("step"):
            pass
        if i % max(n // 10, 1) == 0:
            kb = rss_kb()
            print(f"{i:8d}  {kb / 1024:8.1f}  {(kb - base) * 1024 / i:12.1f}", flush=True)
    t1 = time.monotonic()
    with open(os.devnull, "w") as devnull:
        saved = os.dup(1)
        os.dup2(devnull.fileno(), 1)
        try:
            bench.print_results()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    t2 = time.monotonic()
    print(f"with-block: {(t1 - t0) / n * 1e6:.2f} us per window; print_results over all: "
          f"{t2 - t1:.2f} s; peak RSS {rss_kb('VmHWM:') / 1024:.1f} MiB")
    bench.close()


if __name__ == "__main__":
    main()
