#!/usr/bin/python3
"""The JSON report of `ebench run` against docs/report.schema.json.

Run by ctest as: check_report_schema.py EBENCH_BIN SCHEMA. Uses Debian's
python3-jsonschema (a real validator), on a fake powercap tree and on a
machine with nothing but the model, and makes sure the schema itself rejects
reports that break it, so a schema that accepts anything cannot pass.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

import jsonschema

EBENCH, SCHEMA_PATH, SIM_LIB, SIM_LOAD = sys.argv[1:5]
del sys.argv[1:5]


def zone(sysfs, d, name, rng, energy):
    path = os.path.join(sysfs, "class/powercap", d)
    os.makedirs(path)
    for f, v in (("name", name), ("max_energy_range_uj", rng), ("energy_uj", energy)):
        with open(os.path.join(path, f), "w") as fh:
            fh.write(f"{v}\n")


class ReportSchema(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA_PATH) as fh:
            cls.schema = json.load(fh)
        jsonschema.Draft7Validator.check_schema(cls.schema)
        cls.validator = jsonschema.Draft7Validator(
            cls.schema, format_checker=jsonschema.FormatChecker())

    def run_ebench(self, tmp, with_rapl, gpus=False):
        sysfs, procfs = os.path.join(tmp, "sys"), os.path.join(tmp, "proc")
        os.makedirs(sysfs)
        os.makedirs(procfs)
        with open(os.path.join(procfs, "stat"), "w") as fh:
            fh.write("cpu  100 0 100 800 0 0 0 0 0 0\n")
        if with_rapl:
            zone(sysfs, "intel-rapl:0", "package-0", 262143328850, 5)
            zone(sysfs, "intel-rapl:0:0", "core", 262143328850, 5)
            zone(sysfs, "intel-rapl:0:1", "dram", 65712999613, 5)
            os.makedirs(os.path.join(sysfs, "class/powercap/intel-rapl:1"))
        env = dict(os.environ, EBENCH_SYSFS_ROOT=sysfs, EBENCH_PROCFS_ROOT=procfs,
                   EBENCH_HOSTNAME="node07",
                   EBENCH_NVML_LIBRARY="/nonexistent/libnvidia-ml.so.1")
        cmd = ["sh", "-c", "exit 5"]
        if gpus:
            scenario = os.path.join(tmp, "gpus.json")
            with open(scenario, "w") as fh:
                json.dump({"gpus": [{"live": True, "pci_bus_id": "00000000:07:00.0"},
                                    {"arch": "pascal", "pci_bus_id": "00000000:08:00.0",
                                     "faults": {"lost_at_s": 0.05}}]}, fh)
            env.update(EBENCH_NVML_LIBRARY=SIM_LIB, EBENCH_SIM_CONFIG=scenario)
            cmd = ["sh", "-c", f"{SIM_LOAD} medium:0.3; exit 5"]
        out = os.path.join(tmp, "r.json")
        if gpus:
            cmd = ["sh", "-c", f"{SIM_LOAD} medium:0.3; {SIM_LOAD} --forget; exit 5"]
        p = subprocess.run([EBENCH, "run", "-q", "-i", "5", "--json", out, "--"] + cmd,
                           env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 5, p.stderr)
        with open(out) as fh:
            return json.load(fh)

    def assertValid(self, report):
        errors = sorted(self.validator.iter_errors(report), key=lambda e: list(e.path))
        self.assertEqual([], [f"{list(e.path)}: {e.message}" for e in errors])

    def test_rapl_report(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = self.run_ebench(tmp, True)
        self.assertValid(r)
        self.assertEqual(r["schema"], "ebench-report/1")
        self.assertEqual(r["hostname"], "node07")
        self.assertEqual(r["command"], ["sh", "-c", "exit 5"])
        self.assertEqual(r["exit_status"], 5)
        self.assertEqual([d["id"] for d in r["domains"]],
                         ["cpu0-package", "cpu0-core", "cpu0-dram"])
        self.assertEqual([d["in_total"] for d in r["domains"]], [True, False, True])
        self.assertEqual(r["domains"][1]["part_of"], "cpu0-package")
        # the counters never moved: 0 J measured, which is a measurement
        self.assertEqual(r["total"]["energy_j"], 0.0)
        self.assertFalse(r["total"]["estimate"])
        whats = [u["what"] for u in r["unavailable"]]
        self.assertIn("intel-rapl:1", whats)
        self.assertIn("cpumodel", whats)
        self.assertIn("NVIDIA", whats)

    def test_model_report(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = self.run_ebench(tmp, False)
        self.assertValid(r)
        self.assertEqual(len(r["domains"]), 1)
        d = r["domains"][0]
        self.assertEqual((d["id"], d["method"], d["estimate"]), ("cpu", "model", True))
        self.assertTrue(r["total"]["estimate"])
        self.assertIn("estimate", d["note"])

    def test_gpu_report(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = self.run_ebench(tmp, False, gpus=True)
        self.assertValid(r)
        gpus = [d for d in r["domains"] if d["kind"] == "gpu"]
        self.assertEqual([g["id"] for g in gpus], ["nvidia0", "nvidia1"])
        self.assertTrue(all(g["simulated"] for g in gpus))
        self.assertEqual(gpus[0]["method"], "counter")
        self.assertEqual(gpus[1]["method"], "power")  # Pascal: no energy counter
        self.assertIsNotNone(gpus[1]["lost_at_s"])
        self.assertIsNone(gpus[0]["lost_at_s"])
        self.assertGreater(gpus[0]["metrics"]["gpu_utilization_avg"], 0)
        self.assertFalse(r["total"]["complete"])  # nvidia1 was lost

    def merge(self, tmp, reports, expect=0):
        paths = []
        for i, r in enumerate(reports):
            paths.append(os.path.join(tmp, f"n{i}.json"))
            with open(paths[-1], "w") as fh:
                json.dump(r, fh)
        out = os.path.join(tmp, "job.json")
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.run([EBENCH, "merge", "--force"] + paths + ["-o", out],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, expect, p.stderr)
        if expect:
            self.assertFalse(os.path.exists(out))  # nothing half-written
            return p.stderr
        with open(out) as fh:
            return json.load(fh)

    def test_merged_reports_pass_the_schema(self):
        # issue 14: a first input without accounting.pue or job.step dropped
        # those objects; ticks near 2^63 overflowed; whatever merge is given,
        # what it writes passes the schema, or it refuses with the file's name
        with tempfile.TemporaryDirectory() as tmp:
            for sub in ("a", "b"):
                os.makedirs(os.path.join(tmp, sub))
            a = self.run_ebench(os.path.join(tmp, "a"), True)
            b = self.run_ebench(os.path.join(tmp, "b"), False, gpus=True)
            b["job"]["node"] = "node 08 (rack 2)"  # not an id: made one
            self.assertValid(self.merge(tmp, [a, b]))
            for k in ("pue", "pue_assumed", "carbon_g_per_kwh", "carbon_source", "price_per_kwh"):
                a2 = copy.deepcopy(a)
                a2["accounting"].pop(k)
                self.assertValid(self.merge(tmp, [a2, b]))
            a2 = copy.deepcopy(a)
            a2.pop("accounting")
            a2["job"].pop("step")
            merged = self.merge(tmp, [a2, b])
            self.assertValid(merged)
            self.assertEqual(merged["accounting"]["pue"], b["accounting"]["pue"])
            a2 = copy.deepcopy(a)
            a2["domains"][0].pop("metrics")
            a2["domains"][0]["counter_tracking"] = {"state": 3}
            self.assertValid(self.merge(tmp, [a2, b]))
            # what the schema limits beyond types (a helper's review): made
            # valid where it can be, refused where it cannot
            for change in (
                    lambda r: [d.update(metrics={"gpu_utilization_avg": 5}) for d in r["domains"]],
                    lambda r: r.update(unavailable=[{"source": "x", "what": "y", "reason": "z",
                                                     "extra": 1}]),
                    lambda r: r.update(unavailable=[{"source": "x", "what": "y", "reason": ""}]),
                    lambda r: r["domains"][0].update(id="a b"),
                    lambda r: r.update(warnings=["\u00e9" * 600]),
                    lambda r: r.update(efficiency=[{"unit": "a" * 30 + "\u00e9", "amount": 1}])):
                a2 = copy.deepcopy(a)
                change(a2)
                merged = self.merge(tmp, [a2, b])
                self.assertValid(merged)
                self.assertEqual(len(merged["warnings"]),
                                 len(a2["warnings"]) + len(b["warnings"]))  # none dropped
            # refused, naming the file and the field
            for breakage, field in (
                    (lambda r: r.update(ticks=2**63 - 1), "'ticks'"),
                    (lambda r: r["domains"][0].update(energy_j="12 J"), "'energy_j'"),
                    (lambda r: r["domains"][0].update(kind="fpga"), "'kind'"),
                    (lambda r: r.update(warnings=[3]), "warnings[0]"),
                    (lambda r: r["unavailable"].append({"source": 1}), "'source'"),
                    (lambda r: r.update(command=["x", None]), "command[1]"),
                    (lambda r: r["domains"].append("nvidia9"), "domains[3]"),
                    (lambda r: r.update(interval_ms=-1), "'interval_ms'"),
                    (lambda r: r.update(command=[]), "'command' is empty"),
                    (lambda r: r.update(exit_status=1000), "'exit_status' above 255"),
                    (lambda r: r["domains"][0].update(energy_j=-5.0), "'energy_j'"),
                    (lambda r: r["total"].update(energy_j=-5.0), "'energy_j'"),
                    (lambda r: r.update(efficiency=[{"unit": "tok", "amount": 1.7e308}]),
                     "adds up beyond")):
                a2 = copy.deepcopy(a)
                breakage(a2)
                # twice the same report (merge --force): sums can overflow
                err = self.merge(tmp, [a2, a2 if "beyond" in field else b], expect=2)
                if "beyond" not in field:  # a sum names no single file
                    self.assertIn("n0.json", err)
                self.assertIn(field, err)

    def test_schema_rejects_broken_reports(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = self.run_ebench(tmp, True)
        breakages = [
            lambda r: r.pop("schema"),
            lambda r: r.update(schema="ebench-report/2"),
            lambda r: r["domains"][0].update(energy_j="12"),
            lambda r: r["domains"][0].update(method="guess"),
            lambda r: r["domains"][0].pop("avg_power_w"),
            lambda r: r["total"].update(energy_j=-1),
            lambda r: r.update(exit_status=300),
            lambda r: r["domains"][0].pop("simulated"),
            lambda r: r["domains"][0].update(lost_at_s="soon"),
        ]
        for i, breaking in enumerate(breakages):
            bad = copy.deepcopy(good)
            breaking(bad)
            self.assertFalse(self.validator.is_valid(bad), f"breakage {i} was accepted")


if __name__ == "__main__":
    unittest.main(verbosity=2)
