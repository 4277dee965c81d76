#!/usr/bin/python3
"""ebench run under a real single-node Slurm (Debian's slurm-wlm with munge).

Run by ctest as: test_slurm.py EBENCH SIM_LIB. Starts munged, slurmctld and
slurmd from a minimal slurm.conf in a temporary folder (own ports, own munge
socket), then:
  - srun -n 2 ebench run: only local rank 0 measures, one report, with the job id;
  - srun -n 2 with two pretended nodes (EBENCH_HOSTNAME per task, --all-ranks):
    ebench merge of the two reports sums them, one row per node;
and stops the daemons.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from eb_skip import skip_unless

EBENCH, SIM_LIB = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
skip_unless(all(shutil.which(p) for p in ("munged", "slurmctld", "slurmd", "srun")),
            "no Slurm here (apt-get install slurm-wlm munge)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slurm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ebench-slurm.")
        t = cls.tmp
        host = socket.gethostname().split(".")[0]
        os.makedirs(os.path.join(t, "state"))
        os.makedirs(os.path.join(t, "spool"))
        key = os.path.join(t, "munge.key")
        with open(key, "wb") as fh:
            fh.write(os.urandom(1024))
        os.chmod(key, 0o400)
        sock = os.path.join(t, "munge.sock")
        if subprocess.run(["munged", f"--socket={sock}", f"--key-file={key}",
                           f"--pid-file={t}/munged.pid", f"--log-file={t}/munged.log",
                           f"--seed-file={t}/munge.seed", "--force"]).returncode != 0:
            cls.tearDownClass()
            raise AssertionError("munged did not start")
        conf = os.path.join(t, "slurm.conf")
        with open(conf, "w") as fh:
            fh.write(f"""ClusterName=ebench
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
StateSaveLocation={t}/state
SlurmdSpoolDir={t}/spool
SlurmctldPidFile={t}/slurmctld.pid
SlurmdPidFile={t}/slurmd.pid
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmctldLogFile={t}/slurmctld.log
SlurmdLogFile={t}/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={host} CPUs=2 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        cls.env = dict(os.environ, SLURM_CONF=conf)
        scenario = os.path.join(t, "gpus.json")
        with open(scenario, "w") as fh:
            # reads as fast as a bare-metal driver's: this test is about Slurm,
            # not about slow counter reads (test_realtime)
            json.dump({"gpus": [{"pci_bus_id": "00000000:07:00.0",
                                 "phases": [{"seconds": 3600, "power_w": 250}],
                                 "sensor": {"counter_read_ms": 0}}]}, fh)
        cls.env.update(EBENCH_NVML_LIBRARY=SIM_LIB, EBENCH_SIM_CONFIG=scenario,
                       EBENCH_SYSFS_ROOT=os.path.join(t, "sys"))
        for d in ("slurmctld", "slurmd"):
            # a daemon that fails to start (slurmd without /sys/fs/cgroup in a
            # chroot) must not leave the others running: every path stops them
            if subprocess.run([d, "-f", conf], env=cls.env).returncode != 0:
                cls.tearDownClass()
                raise AssertionError(f"{d} did not start: " + cls.logs())
        end = time.time() + 60
        while time.time() < end:
            p = subprocess.run(["sinfo", "-h", "-o", "%T"], env=cls.env, capture_output=True,
                               text=True)
            if p.stdout.strip() == "idle":
                return
            time.sleep(0.5)
        cls.tearDownClass()
        raise AssertionError("Slurm did not come up: " + cls.logs())

    @classmethod
    def logs(cls):
        out = ""
        for f in ("slurmctld.log", "slurmd.log"):
            path = os.path.join(cls.tmp, f)
            if os.path.exists(path):
                with open(path) as fh:
                    out += f"\n--- {f}\n" + "".join(fh.readlines()[-15:])
        return out

    @classmethod
    def tearDownClass(cls):
        for d in ("slurmd", "slurmctld", "munged"):
            try:
                with open(os.path.join(cls.tmp, f"{d}.pid")) as fh:
                    os.kill(int(fh.read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        time.sleep(0.5)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def srun(self, *cmd):
        p = subprocess.run(["srun", "-n", "2", *cmd], env=self.env, capture_output=True,
                           text=True, timeout=120, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr + self.logs())
        return p

    def test_one_process_per_node_measures(self):
        out = os.path.join(self.tmp, "one")
        os.makedirs(out)
        p = self.srun(EBENCH, "run", "-q", "-o", f"{out}/run.%j.%n.%r.json", "--",
                      "sh", "-c", "echo task $SLURM_PROCID; sleep 0.5")
        self.assertEqual(sorted(p.stdout.split("\n")), ["", "task 0", "task 1"])
        files = glob.glob(f"{out}/run.*.json")
        self.assertEqual(len(files), 1, files)  # local rank 1 only ran the command
        with open(files[0]) as fh:
            r = json.load(fh)
        self.assertIsNotNone(r["job"]["id"])
        self.assertEqual(r["job"]["rank"], 0)
        self.assertTrue(files[0].endswith(f"run.{r['job']['id']}.{r['job']['node']}.0.json"))
        gpu = [d for d in r["domains"] if d["id"] == "nvidia0"][0]
        self.assertAlmostEqual(gpu["energy_j"], 250 * r["duration_s"], delta=0.02 * 250 * r["duration_s"])

    def test_pretended_nodes_merge(self):
        out = os.path.join(self.tmp, "two")
        os.makedirs(out)
        self.srun("sh", "-c", f'EBENCH_HOSTNAME=node$SLURM_PROCID exec {EBENCH} run -q '
                              f'--all-ranks -w 1e12:flop -o {out}/run.%j.%n.json -- sleep 0.5')
        files = sorted(glob.glob(f"{out}/run.*.json"))
        self.assertEqual(len(files), 2, files)
        job = os.path.join(out, "job.json")
        p = subprocess.run([EBENCH, "merge", *files, "-o", job], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        reports = []
        for f in files:
            with open(f) as fh:
                reports.append(json.load(fh))
        with open(job) as fh:
            merged = json.load(fh)
        self.assertEqual([n["node"] for n in merged["nodes"]], ["node0", "node1"])
        self.assertAlmostEqual(merged["total"]["energy_j"],
                               sum(r["total"]["energy_j"] for r in reports), delta=1e-6)
        self.assertEqual(merged["job"]["id"], reports[0]["job"]["id"])
        self.assertEqual(merged["efficiency"][0]["amount"], 2e12)


if __name__ == "__main__":
    unittest.main(verbosity=2)
