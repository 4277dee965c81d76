"""energy_benchmark: ebench from Python, through ctypes over libebench.

No compiler needed. The quick start::

    from energy_benchmark import EnergyBenchmark

    bench = EnergyBenchmark()

    @bench.measure
    def my_workload():
        # Your GPU code
        pass

    my_workload()
    bench.print_results()

Also: ``with bench.window("name"):``, ``@bench.measure(name=..., work={"flop": 2e12})``,
``bench.add_work(name, amount, unit)``, ``bench.results``, ``bench.save_json(path)``.

libebench is looked for in $EBENCH_LIBRARY, then in the lib folder of the
install this module came with (`make install` writes it below), beside this
file and in the build folders of the source tree, then by the system's loader.
"""

import ctypes
import ctypes.util
import functools
import json
import os
import tempfile

__all__ = ["EnergyBenchmark", "EbenchError"]


class EbenchError(RuntimeError):
    """A libebench call failed; the message says why."""


# Set by `make install` to the installed library's folder.
_INSTALLED_LIBDIR = None


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    places = [os.path.join(_INSTALLED_LIBDIR, "libebench.so.2")] if _INSTALLED_LIBDIR else []
    places.append(os.path.join(here, "libebench.so.2"))
    for build in ("build", "build-release"):
        places.append(os.path.join(top, build, "libebench.so.2"))
    return places


def _load():
    tried = []
    env = os.environ.get("EBENCH_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env)
        except OSError as e:
            raise EbenchError(
                f"cannot load libebench from EBENCH_LIBRARY={env}: {e}") from None
    tried.append("EBENCH_LIBRARY (not set)")
    for path in _candidates():
        if os.path.exists(path):
            try:
                return ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{path} ({e})")
        else:
            tried.append(f"{path} (no such file)")
    for name in ("libebench.so.2", ctypes.util.find_library("ebench")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            tried.append(f"{name} via the system loader ({e})")
    raise EbenchError(
        "cannot find libebench; looked in: " + "; ".join(tried) +
        ". Build it with `make` in the ebench source tree, install it with "
        "`make install`, or set EBENCH_LIBRARY=/path/to/libebench.so.2")


_lib = None
_libc = None
_ABI_MAJOR = 2


def _api():
    global _lib, _libc
    if _lib is None:
        lib = _load()
        vp, cp, i, d = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_double
        sigs = {
            "eb_open": (i, [ctypes.POINTER(vp), vp]),
            "eb_close": (None, [vp]),
            "eb_stop": (i, [vp]),
            "eb_begin": (i, [vp, cp]),
            "eb_end": (i, [vp, cp, vp]),
            "eb_add_work": (i, [vp, cp, d, cp]),
            "eb_print_results": (i, [vp, vp]),
            "eb_save_json": (i, [vp, cp, vp]),
            "eb_strerror": (cp, [i]),
            "eb_last_detail": (cp, [vp]),
        }
        # the ABI this module was written for: libebench 2.x (docs/API.md)
        ver = getattr(lib, "eb_version_number", None)
        if ver is None:
            raise ImportError("energy_benchmark: the libebench it loaded is older than 2.0 "
                              "(no eb_version_number); install libebench.so.2 or set "
                              "EBENCH_LIBRARY")
        ver.restype = ctypes.c_uint
        if ver() >> 16 != _ABI_MAJOR:
            raise ImportError(f"energy_benchmark: libebench {ver() >> 16}.x loaded, this module "
                              f"needs {_ABI_MAJOR}.x")
        for name, (res, args) in sigs.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        libc = ctypes.CDLL(None)
        libc.fopen.restype, libc.fopen.argtypes = vp, [cp, cp]
        libc.fclose.argtypes = [vp]
        _lib, _libc = lib, libc
    return _lib


class _Window:
    def __init__(self, bench, name, work):
        self._bench, self._name, self._work = bench, name, work or {}

    def __enter__(self):
        self._bench._call("eb_begin", self._name.encode())
        return self

    def __exit__(self, exc_type, exc, tb):
        self._bench._call("eb_end", self._name.encode(), None)
        # a call that raised did not do its work: its energy is counted, its
        # work is not (efficiency would otherwise count failed calls' work)
        if exc_type is None:
            for unit, amount in self._work.items():
                self._bench.add_work(self._name, amount, unit)
        return False


class EnergyBenchmark:
    """A bench: samples every energy source ebench can read on its own thread
    (GPUs through NVML, CPU packages and DRAM through RAPL, a labelled model
    estimate where nothing can be read) and measures named windows."""

    def __init__(self):
        lib = _api()
        handle = ctypes.c_void_p()
        rc = lib.eb_open(ctypes.byref(handle), None)
        if rc != 0:
            raise EbenchError(f"eb_open: {lib.eb_strerror(rc).decode()}")
        self._b = handle

    def _call(self, name, *args):
        if not self._b:
            raise EbenchError("this EnergyBenchmark is closed")
        rc = getattr(_lib, name)(self._b, *args)
        if rc != 0:
            detail = _lib.eb_last_detail(self._b).decode()
            raise EbenchError(f"{name}: {detail or _lib.eb_strerror(rc).decode()}")

    def window(self, name, work=None):
        """``with bench.window("step", work={"sample": 64}):`` measures the block."""
        return _Window(self, name, work)

    def measure(self, fn=None, *, name=None, work=None):
        """Decorator: every call of the function is a window named after it.
        Use bare (``@bench.measure``) or with options
        (``@bench.measure(name="gemm", work={"flop": 2 * n**3})``)."""
        def wrap(f):
            label = name or f.__name__

            @functools.wraps(f)
            def inner(*args, **kwargs):
                with self.window(label, work):
                    return f(*args, **kwargs)
            return inner
        return wrap(fn) if fn is not None else wrap

    def add_work(self, name, amount, unit):
        """Work done in the last closed window `name` (flop, sample, token, ...)."""
        self._call("eb_add_work", name.encode(), float(amount), unit.encode())

    def print_results(self):
        """Prints every window: calls, time, energy per device, efficiency."""
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as tmp:
            f = _libc.fopen(tmp.name.encode(), b"w")
            if not f:
                raise EbenchError(f"cannot write {tmp.name}")
            try:
                self._call("eb_print_results", f)
            finally:
                _libc.fclose(f)
            print(tmp.read(), end="")

    def save_json(self, path):
        """The JSON report (schema ebench-report/1), written whole."""
        self._call("eb_save_json", os.fsencode(path), None)

    @property
    def report(self):
        """The whole JSON report as a dict."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "report.json")
            self.save_json(path)
            with open(path) as fh:
                return json.load(fh)

    @property
    def results(self):
        """{window name: {"calls", "duration_s", "energy_j", "domains": {id: J},
        "simulated": [ids], "estimated": [ids]}}: the last two name the domains
        whose joules are not a measurement (the simulated driver, the CPU model)."""
        report = self.report
        sim = [d["id"] for d in report["domains"] if d.get("simulated")]
        est = [d["id"] for d in report["domains"] if d.get("estimate")]
        return {
            w["name"]: {
                "calls": w["calls"],
                "duration_s": w["duration_s"],
                "energy_j": w["energy_j"],
                "domains": {d["id"]: d["energy_j"] for d in w["domains"]},
                "simulated": sim,
                "estimated": est,
            }
            for w in report["windows"]
        }

    def close(self):
        if self._b:
            _lib.eb_close(self._b)
            self._b = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
