#!/usr/bin/python3
"""The Python module energy_benchmark, with Debian's python3 and unittest.

Run by ctest as: test_python.py LIBEBENCH SIM_LIB. The quick start users know
must run verbatim; windows, work, results and save_json must agree with what
the simulated GPU drew; a missing libebench must say where it looked.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

LIB, SIM_LIB, EBENCH = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.join(os.path.dirname(HERE), "python")

QUICK_START = '''from energy_benchmark import EnergyBenchmark

bench = EnergyBenchmark()

@bench.measure
def my_workload():
    # Your GPU code
    pass

my_workload()
bench.print_results()
'''


def env(tmp, **extra):
    e = dict(os.environ, PYTHONPATH=PYDIR, EBENCH_LIBRARY=LIB,
             EBENCH_NVML_LIBRARY="/nonexistent/libnvidia-ml.so.1",
             EBENCH_SYSFS_ROOT=os.path.join(tmp, "sys"))
    e.update(extra)
    return e


def python(code, environ):
    return subprocess.run(["/usr/bin/python3", "-c", code], env=environ,
                          capture_output=True, text=True, timeout=60)


class QuickStart(unittest.TestCase):
    def test_runs_verbatim(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = python(QUICK_START, env(tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ebench results (1 window measured)", p.stdout)
        self.assertIn(" my_workload: 1 call, ", p.stdout)
        self.assertIn("model (estimate)", p.stdout)  # no sensor here: said so


class OnSimulatedGpu(unittest.TestCase):
    def test_window_work_results_json(self):
        code = '''
import ctypes, json, os, sys, time
from energy_benchmark import EnergyBenchmark
sim = ctypes.CDLL(os.environ["EBENCH_NVML_LIBRARY"])
sim.ebsim_set_utilization.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_double]
sim.ebsim_true_energy_j.restype = ctypes.c_double
sim.ebsim_true_energy_j.argtypes = [ctypes.c_uint, ctypes.c_double, ctypes.c_double]
sim.ebsim_now.restype = ctypes.c_double
cfg = os.environ["EBENCH_SIM_CONFIG"].encode()

bench = EnergyBenchmark()

@bench.measure(name="heavy", work={"flop": 19e12})
def heavy():
    sim.ebsim_set_utilization(cfg, 0, 1.0)
    time.sleep(1.0)
    sim.ebsim_set_utilization(cfg, 0, 0.0)

t0 = sim.ebsim_now()
heavy()
t1 = sim.ebsim_now()
with bench.window("rest", work={"sample": 8}):
    time.sleep(0.5)
bench.save_json(sys.argv[1])
print(json.dumps({"results": bench.results, "truth": sim.ebsim_true_energy_j(0, t0, t1)}))
bench.close()
sim.ebsim_forget(cfg)
'''
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "gpu.json")
            with open(scenario, "w") as fh:
                json.dump({"gpus": [{"live": True, "sensor": {"energy_update_ms": 10}}]}, fh)
            report = os.path.join(tmp, "r.json")
            p = subprocess.run(["/usr/bin/python3", "-c", code, report],
                               env=env(tmp, EBENCH_NVML_LIBRARY=SIM_LIB,
                                       EBENCH_SIM_CONFIG=scenario),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            out = json.loads(p.stdout)
            with open(report) as fh:
                saved = json.load(fh)
        heavy = out["results"]["heavy"]
        self.assertEqual(heavy["calls"], 1)
        # 1 s at 400 W; the counter moves every 10 ms here, so each end of the
        # window, where the power steps by 350 W, costs at most 3.5 J: 5% is wide
        self.assertAlmostEqual(heavy["domains"]["nvidia0"], out["truth"], delta=0.05 * out["truth"])
        self.assertAlmostEqual(out["truth"], 400, delta=10)
        self.assertIn("rest", out["results"])
        self.assertEqual(saved["schema"], "ebench-report/1")
        self.assertTrue(saved["domains"][0]["simulated"])


    def test_measurements_and_options(self):
        code = '''
import ctypes, json, math, os, sys, time
from energy_benchmark import EnergyBenchmark, EbenchError, Measurement
sim = ctypes.CDLL(os.environ["EBENCH_NVML_LIBRARY"])
sim.ebsim_set_utilization.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_double]
sim.ebsim_true_energy_j.restype = ctypes.c_double
sim.ebsim_true_energy_j.argtypes = [ctypes.c_uint, ctypes.c_double, ctypes.c_double]
sim.ebsim_now.restype = ctypes.c_double
cfg = os.environ["EBENCH_SIM_CONFIG"].encode()
out = {}
bench = EnergyBenchmark(gpus="nvidia1", interval_ms=20, cpu_tdp_w=150)
t0 = sim.ebsim_now()
with bench.window("heavy", work={"flop": 19e12}) as m:
    sim.ebsim_set_utilization(cfg, 1, 1.0)
    time.sleep(0.8)
    sim.ebsim_set_utilization(cfg, 1, 0.0)
t1 = sim.ebsim_now()
out["m"] = {"type": type(m).__name__, "domains": m.domains, "energy_j": m.energy_j,
            "duration_s": m.duration_s, "efficiency": m.efficiency, "simulated": m.simulated,
            "estimated": m.estimated, "avg_power_w": m.avg_power_w}
out["truth"] = sim.ebsim_true_energy_j(1, t0, t1)
bench.begin_window("pair")
time.sleep(0.2)
e = bench.end_window("pair")
out["pair"] = e.duration_s
@bench.measure
def twice(x):
    time.sleep(0.05)
    return 2 * x
out["ret"] = twice(21)
out["last"] = twice.last.name
time.sleep(0.2)
settled = bench.window_result("heavy")
out["settled"] = [settled.final, settled.domains["nvidia1"]]
try:
    bench.end_window("pair")
except EbenchError as err:
    out["twice"] = str(err)
bench.close()
try:
    bench.begin_window("after")
except EbenchError as err:
    out["closed"] = str(err)
for kw in ({"gpus": "nvidia7"}, {"gpus": "2"}, {"interval_ms": 0}, {"cpu_tdp_w": -5}):
    try:
        EnergyBenchmark(**kw)
    except ValueError as err:
        out[json.dumps(kw)] = str(err)
print(json.dumps(out))
sim.ebsim_forget(cfg)
'''
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "gpu.json")
            with open(scenario, "w") as fh:
                json.dump({"gpus": [{"live": True, "sensor": {"energy_update_ms": 10}},
                                    {"live": True, "sensor": {"energy_update_ms": 10}}]}, fh)
            p = subprocess.run(["/usr/bin/python3", "-c", code],
                               env=env(tmp, EBENCH_NVML_LIBRARY=SIM_LIB,
                                       EBENCH_SIM_CONFIG=scenario),
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        m = out["m"]
        self.assertEqual(m["type"], "Measurement")
        self.assertEqual(list(m["domains"]), ["nvidia1", "cpu"])  # --gpus nvidia1 only
        self.assertAlmostEqual(m["domains"]["nvidia1"], out["truth"], delta=0.05 * out["truth"])
        self.assertGreater(m["duration_s"], 0.79)
        self.assertAlmostEqual(m["efficiency"]["flop"], 19e12 / m["energy_j"], delta=1)
        self.assertEqual(m["simulated"], ["nvidia1"])
        self.assertEqual(m["estimated"], ["cpu"])
        self.assertAlmostEqual(m["avg_power_w"], m["energy_j"] / m["duration_s"], delta=1e-6)
        self.assertGreater(out["pair"], 0.19)
        self.assertEqual(out["ret"], 42)
        self.assertEqual(out["last"], "twice")
        self.assertTrue(out["settled"][0])
        self.assertAlmostEqual(out["settled"][1], out["truth"], delta=0.05 * out["truth"])
        self.assertIn('"pair"', out["twice"])
        self.assertIn("closed", out["closed"])
        self.assertIn("nvidia7' matches no GPU", out['{"gpus": "nvidia7"}'])
        self.assertIn("EnergyBenchmark(gpus='2')", out['{"gpus": "2"}'])
        self.assertIn("interval_ms=0", out['{"interval_ms": 0}'])
        self.assertIn("cpu_tdp_w=-5", out['{"cpu_tdp_w": -5}'])


class Sync(unittest.TestCase):
    """Each window's edges wait for the framework's queued GPU work: a stand-in
    torch module records the calls (Debian's python3-torch pulls 229 packages)."""

    def test_edges_wait_in_order(self):
        code = '''
import json, sys
sys.path.insert(0, sys.argv[1])
import torch
from energy_benchmark import EnergyBenchmark, EbenchError
out = {}
bench = EnergyBenchmark()
out["detected"] = bench.sync
with bench.window("step") as m:
    torch.calls.append("work")
out["calls"] = list(torch.calls)
out["m_sync"] = m.sync
bench.begin_window("b")
torch.calls.append("work")
bench.end_window("b")
out["calls2"] = torch.calls[3:]
out["none"] = EnergyBenchmark(sync=None).sync

n = [0]
def flaky():
    n[0] += 1
    if n[0] == 2:
        raise RuntimeError("device lost")
b2 = EnergyBenchmark(sync=flaky)
out["callable"] = b2.sync
b2.begin_window("w")
try:
    b2.end_window("w")
except EbenchError as e:
    out["raised"] = str(e)
try:
    b2.end_window("w")
except EbenchError as e:
    out["closed_anyway"] = str(e)
out["kept"] = b2.results["w"]["calls"]
def always():
    raise ValueError("no")
b3 = EnergyBenchmark(sync=always)
try:
    b3.begin_window("never")
except EbenchError as e:
    out["at_start"] = str(e)
try:
    EnergyBenchmark(sync="tensorflow")
except ValueError as e:
    out["unknown"] = str(e)
print(json.dumps(out))
'''
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "torch"))
            with open(os.path.join(tmp, "torch", "__init__.py"), "w") as fh:
                fh.write("calls = []\n"
                         "class cuda:\n"
                         "    @staticmethod\n"
                         "    def is_available():\n"
                         "        return True\n"
                         "    @staticmethod\n"
                         "    def synchronize():\n"
                         "        calls.append('sync')\n")
            p = subprocess.run(["/usr/bin/python3", "-c", code, tmp], env=env(tmp),
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["detected"], "torch")
        self.assertEqual(out["calls"], ["sync", "work", "sync"])
        self.assertEqual(out["calls2"], ["sync", "work", "sync"])
        self.assertEqual(out["m_sync"], "torch")
        self.assertIsNone(out["none"])
        self.assertEqual(out["callable"], "callable")
        self.assertEqual(out["raised"], "window 'w': the callable sync at its end raised "
                                        "RuntimeError: device lost")
        self.assertIn("no window of that name is open", out["closed_anyway"])
        self.assertEqual(out["kept"], 1)
        self.assertEqual(out["at_start"], "window 'never': the callable sync at its start "
                                          "raised ValueError: no")
        self.assertIn("sync='tensorflow'", out["unknown"])


class RealTorch(unittest.TestCase):
    """Debian's python3-torch (CPU only): found when imported, nothing to wait
    for without a CUDA device; with one (its cuda functions stood in for, as
    this machine has none) synchronize is called at both edges, in order,
    around real tensor work."""

    def test_torch(self):
        code = '''
import json
import torch
from energy_benchmark import EnergyBenchmark
out = {"cpu_only": EnergyBenchmark().sync}
calls = []
torch.cuda.is_available = lambda: True
torch.cuda.synchronize = lambda: calls.append("sync")
bench = EnergyBenchmark()
out["detected"] = bench.sync
with bench.window("matmul") as m:
    a = torch.ones(256, 256)
    calls.append("work %d" % int((a @ a).sum()))
out["calls"] = calls
out["m_sync"] = m.sync
out["results_sync"] = bench.results["matmul"]["sync"]
print(json.dumps(out))
'''
        try:
            import torch  # noqa: F401
        except ImportError:
            self.skipTest("python3-torch is not installed (scripts/install-deps installs it)")
        with tempfile.TemporaryDirectory() as tmp:
            p = python(code, env(tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertIsNone(out["cpu_only"])
        self.assertEqual(out["detected"], "torch")
        self.assertEqual(out["calls"], ["sync", "work %d" % (256 ** 3), "sync"])
        self.assertEqual(out["m_sync"], "torch")
        self.assertEqual(out["results_sync"], "torch")


class Threads(unittest.TestCase):
    def test_two_threads(self):
        code = '''
import json, threading
from energy_benchmark import EnergyBenchmark, EbenchError
bench = EnergyBenchmark(interval_ms=5)
def work(name):
    for _ in range(200):
        with bench.window(name):
            pass
ts = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
for t in ts:
    t.start()
for t in ts:
    t.join()
r = bench.results
out = {"a": r["a"]["calls"], "b": r["b"]["calls"], "last": bench.window_result("a").name}
bench.close()
try:
    bench.results
except EbenchError as e:
    out["closed"] = str(e)
print(json.dumps(out))
'''
        with tempfile.TemporaryDirectory() as tmp:
            p = python(code, env(tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual((out["a"], out["b"]), (200, 200))
        self.assertEqual(out["last"], "a")
        self.assertIn("closed", out["closed"])


class Misuse(unittest.TestCase):
    """What a review found: close() under another thread's call, Ctrl-C in a
    sync, bad indices and names, async functions, CPU options."""

    def test_misuse(self):
        code = '''
import json, threading, time
from energy_benchmark import EnergyBenchmark, EbenchError
out = {}
b = EnergyBenchmark(interval_ms=5)
def worker():
    try:
        while True:
            with b.window("s"):
                pass
            b.results
    except EbenchError as e:
        out["worker"] = str(e)
t = threading.Thread(target=worker)
t.start()
time.sleep(0.3)
b.close()
t.join()
n = [0]
def sync():
    n[0] += 1
    if n[0] == 2:
        raise KeyboardInterrupt
b2 = EnergyBenchmark(sync=sync)
try:
    with b2.window("step"):
        pass
except KeyboardInterrupt:
    out["interrupted"] = b2.results["step"]["calls"]
for args in (("step", -10), ("step", 5)):
    try:
        b2.window_result(*args)
    except IndexError as e:
        out[repr(args)] = str(e)
for name in ("a\\0evil", 3):
    try:
        b2.begin_window(name)
    except (ValueError, TypeError) as e:
        out[repr(name)] = type(e).__name__
try:
    @b2.measure
    async def step():
        pass
except TypeError as e:
    out["async"] = str(e)
for kw in ({"cpu_tdp_w": 50, "cpu_idle_w": 80}, {"cpu_tdp_w": float("inf")},
           {"interval_ms": 0.5}):
    try:
        EnergyBenchmark(**kw)
    except ValueError as e:
        out[repr(sorted(kw.items()))] = str(e)
print(json.dumps(out))
'''
        with tempfile.TemporaryDirectory() as tmp:
            p = python(code, env(tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["worker"], "this EnergyBenchmark is closed")
        self.assertEqual(out["interrupted"], 1)
        self.assertIn("closed 1 time", out["('step', -10)"])
        self.assertIn("closed 1 time", out["('step', 5)"])
        self.assertEqual(out["'a\\x00evil'"], "ValueError")
        self.assertEqual(out["3"], "TypeError")
        self.assertIn("coroutine or generator", out["async"])
        self.assertIn("above the TDP", out["[('cpu_idle_w', 80), ('cpu_tdp_w', 50)]"])
        self.assertIn("finite", out["[('cpu_tdp_w', inf)]"])
        self.assertIn("from 1 to", out["[('interval_ms', 0.5)]"])


class Failures(unittest.TestCase):
    def test_work_only_for_calls_that_returned(self):
        # issue 14: @measure(work=...) with 3 failing calls of 4 recorded 4x
        # the work; and a fork() while the sampler runs leaves the child a
        # clear error, not a hang
        code = '''
import json, os, sys
from energy_benchmark import EnergyBenchmark, EbenchError
bench = EnergyBenchmark()

@bench.measure(work={"sample": 10})
def step(fail):
    if fail:
        raise ValueError("bad batch")

for fail in (True, False, True, True):
    try:
        step(fail)
    except ValueError:
        pass
bench.save_json(sys.argv[1])
pid = os.fork()
if pid == 0:
    try:
        with bench.window("child"):
            pass
        os._exit(3)
    except EbenchError as e:
        os._exit(0 if "opened before fork()" in str(e) else 4)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
'''
        with tempfile.TemporaryDirectory() as tmp:
            report = os.path.join(tmp, "r.json")
            p = subprocess.run(["/usr/bin/python3", "-c", code, report], env=env(tmp),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.strip(), "0")
            with open(report) as fh:
                step = [w for w in json.load(fh)["windows"] if w["name"] == "step"][0]
        self.assertEqual(step["calls"], 4)  # every call measured
        self.assertEqual(step["work"][0]["amount"], 10)  # the one that returned


def under_ebench_run(test, code):
    """The script code run by `ebench run --json`: its process and the report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        p = subprocess.run([EBENCH, "run", "-q", "--json", report, "--",
                            "/usr/bin/python3", "-c", code], env=env(tmp),
                           capture_output=True, text=True, timeout=60)
        test.assertEqual(p.returncode, 0, p.stderr)
        with open(report) as fh:
            return p, json.load(fh)


class PhaseMarkers(unittest.TestCase):
    def test_windows_reach_the_parent(self):
        code = ('from energy_benchmark import EnergyBenchmark\n'
                'import time\n'
                'bench = EnergyBenchmark()\n'
                'import json\n'
                'with bench.window("py-phase", work={"token": 4096}):\n'
                '    time.sleep(0.2)\n'
                'print(json.dumps(bench.results["py-phase"]))\n')
        p, r = under_ebench_run(self, code)
        windows = {w["name"]: w for w in r["windows"]}
        self.assertIn("py-phase", windows)
        self.assertAlmostEqual(windows["py-phase"]["duration_s"], 0.2, delta=0.1)
        self.assertEqual(windows["py-phase"]["work"][0]["unit"], "token")
        # the script gets its window's figures back from the parent (issue 13):
        # not None, the same as the parent's report
        mine = json.loads(p.stdout)
        self.assertIsNotNone(mine["energy_j"])
        self.assertAlmostEqual(mine["energy_j"], windows["py-phase"]["energy_j"],
                               delta=1e-6 + 1e-3 * windows["py-phase"]["energy_j"])
        self.assertEqual(sorted(mine["domains"]),
                         sorted(d["id"] for d in windows["py-phase"]["domains"]))
        self.assertEqual(mine["estimated"], ["cpu"])  # the CPU model says it is one


class ReservedNames(unittest.TestCase):
    def test_program_window_named_run(self):
        # issue 15: a program's own window called "run" joined ebench run's
        # (one run printed as "(2 runs)", +-904%); it is kept apart
        code = ('from energy_benchmark import EnergyBenchmark\n'
                'import time\n'
                'bench = EnergyBenchmark()\n'
                'with bench.window("run", work={"sample": 3}):\n'
                '    time.sleep(0.1)\n')
        _, r = under_ebench_run(self, code)
        names = [w["name"] for w in r["windows"]]
        self.assertIn("run (program)", names)
        self.assertEqual(names.count("run"), 1)
        self.assertIsNone(r["repetitions"])
        mine = [w for w in r["windows"] if w["name"] == "run (program)"][0]
        self.assertEqual(mine["work"][0]["unit"], "sample")


class MissingLibrary(unittest.TestCase):
    def test_explicit_path(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = python(QUICK_START, env(tmp, EBENCH_LIBRARY="/nonexistent/libebench.so.2"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot load libebench from EBENCH_LIBRARY=/nonexistent/libebench.so.2",
                      p.stderr)

    def test_says_where_it_looked(self):
        with tempfile.TemporaryDirectory() as tmp:
            pydir = os.path.join(tmp, "python")
            os.makedirs(pydir)
            shutil.copy(os.path.join(PYDIR, "energy_benchmark.py"), pydir)
            e = env(tmp, PYTHONPATH=pydir)
            del e["EBENCH_LIBRARY"]
            e.pop("LD_LIBRARY_PATH", None)
            p = python(QUICK_START, e)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot find libebench; looked in: EBENCH_LIBRARY (not set); "
                      + os.path.join(pydir, "libebench.so.2") + " (no such file)", p.stderr)
        self.assertIn("set EBENCH_LIBRARY=/path/to/libebench.so.2", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
