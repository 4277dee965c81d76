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

Also: ``EnergyBenchmark(gpus="nvidia0,amd1", interval_ms=100, cpu_tdp_w=250)``;
``with bench.window("step", work={"sample": 64}) as m:`` (``m`` is a
:class:`Measurement` once the block ends: ``m.energy_j``, ``m.duration_s``,
``m.domains``, ``m.avg_power_w``, ``m.efficiency``, ``m.final``);
``m = bench.end_window("step")`` after ``bench.begin_window("step")``;
``@bench.measure(name=..., work={"flop": 2e12})`` (the wrapper keeps
``.last``, the last call's measurement); ``bench.add_work(name, amount, unit)``,
``bench.results``, ``bench.save_json(path)``.

libebench is looked for in $EBENCH_LIBRARY, then in the lib folder of the
install this module came with (`make install` writes it below), beside this
file and in the build folders of the source tree, then by the system's loader.
"""

import ctypes
import ctypes.util
import functools
import inspect
import json
import os
import math
import sys
import tempfile
import threading

__all__ = ["EnergyBenchmark", "EbenchError", "Measurement"]


class EbenchError(RuntimeError):
    """A libebench call failed; the message says why."""


def _text(what, s):
    """A window name or unit as the library takes it: a str without NUL."""
    if not isinstance(s, str):
        raise TypeError(f"{what} must be a str, not {type(s).__name__}: {s!r}")
    if "\0" in s:
        raise ValueError(f"{what} {s!r} holds a NUL character")
    return s.encode()


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

_d, _sz, _vp = ctypes.c_double, ctypes.c_size_t, ctypes.c_void_p


class _Config(ctypes.Structure):
    """eb_config as ebench.h 2.2 and later lays it out."""
    _fields_ = [("size", _sz), ("interval_ms", _d), ("sources", ctypes.c_uint),
                ("manual", ctypes.c_int), ("clock", _vp), ("clock_ctx", _vp),
                ("cpu_tdp_w", _d), ("sysfs_root", ctypes.c_char_p),
                ("procfs_root", ctypes.c_char_p), ("gpus", ctypes.c_char_p),
                ("cpu_idle_w", _d), ("history_samples", _sz), ("window_records", _sz),
                ("timeline_csv", _vp), ("calls_csv", _vp)]


class _DomainEnergy(ctypes.Structure):
    _fields_ = [("energy_j", _d), ("avg_power_w", _d), ("peak_power_w", _d), ("samples", _sz),
                ("covered_s", _d), ("method", ctypes.c_int), ("lost_at_s", _d),
                ("uncertainty_j", _d), ("idle_power_w", _d), ("net_energy_j", _d),
                ("unreliable", ctypes.c_int), ("peak_span_s", _d), ("provisional", ctypes.c_int)]


class _Result(ctypes.Structure):
    _fields_ = [("size", _sz), ("t_begin_s", _d), ("t_end_s", _d), ("duration_s", _d),
                ("total_energy_j", _d), ("total_incomplete", _sz), ("total_uncertainty_j", _d),
                ("total_net_energy_j", _d), ("n_domains", _sz),
                ("domains", ctypes.POINTER(_DomainEnergy)), ("capacity", _sz),
                ("domain_size", _sz)]


class _DomainInfo(ctypes.Structure):
    """The start of eb_domain_info (the library owns it; fields only grow at its end)."""
    _fields_ = [("id", ctypes.c_char_p), ("kind", ctypes.c_char_p), ("vendor", ctypes.c_char_p),
                ("name", ctypes.c_char_p), ("source", ctypes.c_char_p),
                ("location", ctypes.c_char_p), ("method", ctypes.c_int),
                ("update_period_s", _d), ("in_total", ctypes.c_int),
                ("part_of", ctypes.c_char_p), ("note", ctypes.c_char_p),
                ("uuid", ctypes.c_char_p), ("pci_bus_id", ctypes.c_char_p),
                ("cuda_entry", ctypes.c_char_p), ("readings", ctypes.c_char_p),
                ("simulated", ctypes.c_int)]


class _Stat(ctypes.Structure):
    _fields_ = [("n", _sz), ("mean", _d), ("stddev", _d), ("ci95", _d), ("min", _d), ("max", _d)]


class _Stats(ctypes.Structure):
    _fields_ = [("size", _sz), ("n", _sz), ("duration_s", _Stat), ("total_energy_j", _Stat),
                ("n_outliers", _sz), ("outliers", _sz * 16), ("n_domains", _sz),
                ("energy_j", ctypes.POINTER(_Stat)), ("capacity", _sz), ("stat_size", _sz)]


class _Unavailable(ctypes.Structure):
    _fields_ = [("source", ctypes.c_char_p), ("what", ctypes.c_char_p),
                ("reason", ctypes.c_char_p), ("code", ctypes.c_int)]


_EB_MAX_DOMAINS = 64
_EB_EGPUSEL = -8  # ebench.h: EB_EGPUSEL


def _framework_sync(name):
    """The wait for a framework's queued GPU work, or None if it has none here."""
    if name == "torch":
        import torch
        if not torch.cuda.is_available():
            return None
        return torch.cuda.synchronize
    if name == "cupy":
        import cupy
        return cupy.cuda.runtime.deviceSynchronize
    if name == "jax":
        import jax
        if hasattr(jax, "effects_barrier"):
            return jax.effects_barrier
        return lambda: jax.numpy.zeros(()).block_until_ready()
    raise ValueError(f"EnergyBenchmark(sync={name!r}): expected 'torch', 'cupy', 'jax', a "
                     f"callable, None or 'auto'")


class Measurement:
    """One window's figures, from the library as it closed the window.

    ``energy_j`` (the total over the domains that add up, NaN if none),
    ``duration_s``, ``avg_power_w``, ``uncertainty_j``; per domain
    ``domains`` {id: J}, ``power_w`` {id: average W}, ``peak_power_w``
    {id: W}; ``work`` {unit: amount} and ``efficiency`` {unit: per joule}
    when work was given; ``final``: False while a counter that moves in steps
    (NVML, AMD SMI) has not moved past the window's end, so the figure is an
    estimate at the last rate (``bench.window_result(name)`` later gives the
    settled one); ``estimated`` and ``simulated`` name the domains whose
    joules are not a measurement."""

    def __init__(self, name):
        self.name = name
        self.energy_j = self.duration_s = self.avg_power_w = self.uncertainty_j = float("nan")
        self.t_begin_s = self.t_end_s = float("nan")
        self.domains, self.power_w, self.peak_power_w = {}, {}, {}
        self.work, self.efficiency = {}, {}
        self.final = False
        self.estimated, self.simulated = [], []
        self.sync = None  # what the edges waited for: "torch", "cupy", "jax", "callable"

    def _fill(self, bench, r, d):
        self.sync = bench.sync
        self.t_begin_s, self.t_end_s, self.duration_s = r.t_begin_s, r.t_end_s, r.duration_s
        self.energy_j, self.uncertainty_j = r.total_energy_j, r.total_uncertainty_j
        self.avg_power_w = self.energy_j / self.duration_s if self.duration_s > 0 else float("nan")
        final = True
        for i in range(min(r.n_domains, _EB_MAX_DOMAINS)):
            info = bench._domain(i)
            self.domains[info["id"]] = d[i].energy_j
            self.power_w[info["id"]] = d[i].avg_power_w
            self.peak_power_w[info["id"]] = d[i].peak_power_w
            final &= not d[i].provisional
            if info["estimate"]:
                self.estimated.append(info["id"])
            if info["simulated"]:
                self.simulated.append(info["id"])
        self.final = final
        return self

    def _add_work(self, unit, amount):
        self.work[unit] = self.work.get(unit, 0.0) + amount
        if self.energy_j > 0:
            self.efficiency[unit] = self.work[unit] / self.energy_j

    def __repr__(self):
        return (f"Measurement({self.name!r}: {self.energy_j:.3f} J in {self.duration_s:.6f} s, "
                f"{self.avg_power_w:.2f} W{'' if self.final else ', provisional'})")


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
            "eb_config_init_size": (None, [vp, _sz]),
            "eb_window_result": (i, [vp, cp, _sz, vp]),
            "eb_domain_count": (_sz, [vp]),
            "eb_domain_get": (vp, [vp, _sz]),
            "eb_unavailable_count": (_sz, [vp]),
            "eb_unavailable_get": (ctypes.POINTER(_Unavailable), [vp, _sz]),
            "eb_window_stats": (i, [vp, cp, vp]),
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
        self._m = Measurement(name)

    def __enter__(self):
        self._bench.begin_window(self._name)
        return self._m

    def __exit__(self, exc_type, exc, tb):
        self._bench._end(self._name, self._m)
        # a call that raised did not do its work: its energy is counted, its
        # work is not (efficiency would otherwise count failed calls' work)
        if exc_type is None:
            for unit, amount in self._work.items():
                self._bench.add_work(self._name, amount, unit)
                self._m._add_work(unit, float(amount))
        return False


class EnergyBenchmark:
    """A bench: samples every energy source ebench can read on its own thread
    (GPUs through NVML, CPU packages and DRAM through RAPL, a labelled model
    estimate where nothing can be read) and measures named windows."""

    def __init__(self, gpus=None, interval_ms=100, cpu_tdp_w=None, cpu_idle_w=None, sync="auto"):
        """gpus: "all", "nvidia0,amd1", UUIDs, indices where the GPUs are of one
        vendor, or a list of those; None: Slurm's, else CUDA_VISIBLE_DEVICES,
        HIP_VISIBLE_DEVICES ... as each vendor's runtime reads them.
        interval_ms: how often the sensors are read. cpu_tdp_w, cpu_idle_w:
        the CPU model's figures, used only where no CPU sensor can be read.
        sync: what every window's two edges wait for, so GPU work launched
        asynchronously in a window is counted in it: "torch", "cupy", "jax",
        a callable, or None; "auto" (the default): the first of torch, cupy
        and jax that the program has imported, else nothing. ``bench.sync``
        and each measurement's ``.sync`` say which."""
        self._b = None
        self._lock = threading.RLock()  # one C call at a time against close()
        if callable(sync):
            self._sync_fn, self.sync = sync, "callable"
        elif sync is None:
            self._sync_fn, self.sync = None, None
        elif sync == "auto":
            self._sync_fn, self.sync = None, None
            for fw in ("torch", "cupy", "jax"):
                if fw in sys.modules:
                    fn = _framework_sync(fw)
                    if fn is not None:  # torch without a CUDA device: nothing to wait for
                        self._sync_fn, self.sync = fn, fw
                        break
        else:
            self._sync_fn = _framework_sync(sync)
            self.sync = sync if self._sync_fn is not None else None
        lib = _api()
        if isinstance(gpus, (list, tuple)):
            gpus = ",".join(str(g) for g in gpus)
        if gpus is not None and (not isinstance(gpus, str) or not gpus or "\0" in gpus):
            raise ValueError(f"EnergyBenchmark(gpus={gpus!r}): expected 'all', a string such "
                             f"as 'nvidia0,amd1', or a list of GPUs")

        def number(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if not (number(interval_ms) and 1 <= interval_ms <= 3600000):
            raise ValueError(f"EnergyBenchmark(interval_ms={interval_ms!r}): expected a number "
                             f"of milliseconds from 1 to 3600000")
        for nm, v in (("cpu_tdp_w", cpu_tdp_w), ("cpu_idle_w", cpu_idle_w)):
            if v is not None and not (number(v) and v >= 0):
                raise ValueError(f"EnergyBenchmark({nm}={v!r}): expected a finite number of "
                                 f"watts >= 0")
        tdp = cpu_tdp_w if cpu_tdp_w else 100.0  # EB_DEFAULT_CPU_TDP_W
        if cpu_idle_w is not None and cpu_idle_w > tdp:
            raise ValueError(f"EnergyBenchmark(cpu_idle_w={cpu_idle_w!r}): above the TDP the "
                             f"CPU model assumes ({tdp:g} W{'' if cpu_tdp_w else ', the default'}"
                             f"): give cpu_tdp_w too")
        cfg = _Config()
        lib.eb_config_init_size(ctypes.byref(cfg), ctypes.sizeof(cfg))
        cfg.interval_ms = float(interval_ms)
        if gpus is not None:
            cfg.gpus = gpus.encode()
        if cpu_tdp_w is not None:
            cfg.cpu_tdp_w = float(cpu_tdp_w)
        if cpu_idle_w is not None:
            cfg.cpu_idle_w = float(cpu_idle_w)
        handle = ctypes.c_void_p()
        rc = lib.eb_open(ctypes.byref(handle), ctypes.byref(cfg))
        if rc != 0:
            raise EbenchError(f"eb_open: {lib.eb_strerror(rc).decode()}")
        self._b = handle
        self._calls = {}  # windows closed, by name, in the order first closed
        # a GPU selection that names no GPU here is the caller's mistake
        for k in range(lib.eb_unavailable_count(handle)):
            u = lib.eb_unavailable_get(handle, k).contents
            if u.code == _EB_EGPUSEL:
                why = u.reason.decode(errors="replace")
                self.close()
                raise ValueError(f"EnergyBenchmark(gpus={gpus!r}): {why}")

    def _domain(self, i):
        info = ctypes.cast(_lib.eb_domain_get(self._b, i), ctypes.POINTER(_DomainInfo)).contents
        return {"id": info.id.decode(), "estimate": info.method == 2,  # EB_METHOD_MODEL
                "simulated": bool(info.simulated)}

    def _sync(self, name, edge):
        if self._sync_fn is None:
            return None
        try:
            self._sync_fn()
        except Exception as e:  # the window's figures must not go unsaid
            return EbenchError(f"window {name!r}: the {self.sync} sync at its {edge} "
                               f"raised {type(e).__name__}: {e}")
        return None

    def _end(self, name, m):
        key = _text("window name", name)
        d = (_DomainEnergy * _EB_MAX_DOMAINS)()
        r = _Result(size=ctypes.sizeof(_Result), domains=d, capacity=_EB_MAX_DOMAINS,
                    domain_size=ctypes.sizeof(_DomainEnergy))
        if not self._b:
            raise EbenchError(f"window {name!r}: this EnergyBenchmark is closed")
        failed = None
        try:
            failed = self._sync(name, "end")
        finally:  # the window is closed even so, even on Ctrl-C
            with self._lock:
                self._call("eb_end", key, ctypes.byref(r))
                self._calls[name] = self._calls.get(name, 0) + 1
                m._fill(self, r, d)
        if failed:
            raise failed
        return m

    def begin_window(self, name):
        """Opens window `name` (for code that cannot use ``with``)."""
        key = _text("window name", name)
        if not self._b:
            raise EbenchError(f"window {name!r}: this EnergyBenchmark is closed")
        failed = self._sync(name, "start")
        if failed:
            raise failed  # not begun: what it would measure is not known
        self._call("eb_begin", key)

    def end_window(self, name):
        """Closes window `name`; returns its :class:`Measurement`."""
        return self._end(name, Measurement(name))

    def window_result(self, name, i=-1):
        """Window `name`'s figures now (its i-th call; -1: the last), settled
        if the counters have moved since it closed."""
        d = (_DomainEnergy * _EB_MAX_DOMAINS)()
        r = _Result(size=ctypes.sizeof(_Result), domains=d, capacity=_EB_MAX_DOMAINS,
                    domain_size=ctypes.sizeof(_DomainEnergy))
        key = _text("window name", name)
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"window_result({name!r}, {i!r}): the call's number is an int")
        with self._lock:
            calls = self._calls.get(name, 0)
            if not -calls <= i < calls:
                raise IndexError(f"window_result({name!r}, {i}): the window closed {calls} "
                                 f"time{'' if calls == 1 else 's'}")
            self._call("eb_window_result", key, i % calls, ctypes.byref(r))
            return Measurement(name)._fill(self, r, d)

    def _call(self, name, *args):
        with self._lock:  # close() cannot free the bench under a call
            if not self._b:
                raise EbenchError("this EnergyBenchmark is closed")
            rc = getattr(_lib, name)(self._b, *args)
            if rc != 0:
                detail = _lib.eb_last_detail(self._b).decode(errors="replace")
                raise EbenchError(f"{name}: {detail or _lib.eb_strerror(rc).decode()}")

    def window(self, name, work=None):
        """``with bench.window("step", work={"sample": 64}):`` measures the block."""
        return _Window(self, name, work)

    def measure(self, fn=None, *, name=None, work=None):
        """Decorator: every call of the function is a window named after it;
        the call returns the function's value, and the wrapper keeps the last
        call's :class:`Measurement` as ``.last``. Use bare (``@bench.measure``)
        or with options (``@bench.measure(name="gemm", work={"flop": 2 * n**3})``)."""
        def wrap(f):
            label = name or f.__name__
            if inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f) or \
                    inspect.isgeneratorfunction(f):
                raise TypeError(f"@measure on {f.__name__}: a coroutine or generator function "
                                f"returns before its work runs; measure inside it with "
                                f"`with bench.window({label!r}):` instead")

            @functools.wraps(f)
            def inner(*args, **kwargs):
                w = self.window(label, work)
                inner.last = w._m
                with w:
                    return f(*args, **kwargs)
            inner.last = None
            return inner
        return wrap(fn) if fn is not None else wrap

    def add_work(self, name, amount, unit):
        """Work done in the last closed window `name` (flop, sample, token, ...)."""
        self._call("eb_add_work", _text("window name", name), float(amount),
                   _text("unit", unit))

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
        "simulated": [ids], "estimated": [ids], "sync"}}, summed over the
        window's calls, read from the library (eb_window_stats); "simulated" and
        "estimated" name the domains whose joules are not a measurement (the
        simulated driver, the CPU model), "sync" what the edges waited for."""
        with self._lock:
            if not self._b:
                raise EbenchError("this EnergyBenchmark is closed")
            return self._results()

    def _results(self):
        names = list(self._calls)
        infos = [self._domain(i) for i in range(_lib.eb_domain_count(self._b))]
        sim = [d["id"] for d in infos if d["simulated"]]
        est = [d["id"] for d in infos if d["estimate"]]

        def total(s):
            v = s.mean * s.n
            return None if math.isnan(v) else v
        out = {}
        for name in names:
            e = (_Stat * _EB_MAX_DOMAINS)()
            st = _Stats(size=ctypes.sizeof(_Stats), energy_j=e, capacity=_EB_MAX_DOMAINS,
                        stat_size=ctypes.sizeof(_Stat))
            self._call("eb_window_stats", _text("window name", name), ctypes.byref(st))
            out[name] = {
                "calls": st.n,
                "duration_s": total(st.duration_s),
                "energy_j": total(st.total_energy_j),
                "domains": {infos[i]["id"]: total(e[i])
                            for i in range(min(st.n_domains, _EB_MAX_DOMAINS))},
                "simulated": sim,
                "estimated": est,
                "sync": self.sync,
            }
        return out

    def close(self):
        with self._lock:  # after any call in progress in another thread
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
