/*
 * nvml_sim.c - a simulated NVIDIA driver: a shared library named
 * libnvidia-ml.so.1 that implements the NVML subset ebench uses, with a
 * physical sensor model. ebench loads it exactly as it loads the real one.
 *
 * Each GPU has a true power over time (phases from the scenario file, or a
 * utilization that a workload sets live through shared memory) and sensors
 * that see it the way real ones do:
 *   - power: a new value every update period, the mean of the last window
 *     (A100/H100: every 100 ms, the last 25 ms; V100: 20/10 ms; Turing 100/100)
 *   - nvmlDeviceGetPowerUsage: that value, or a 1 s average (Ampere and later)
 *   - energy counter: mJ since "driver load", updated every energy period
 * Faults can be injected: a GPU lost or timing out at time t, NO_PERMISSION
 * on a reading, field values or the energy counter not supported.
 * Every device name starts with "Simulated ".
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ebsim.h"
#include "nvml_api.h"
#include "shm.h"

#define API __attribute__((visibility("default")))
/* The same model is built twice: libnvidia-ml.so.1 (NVML exported) and, with
 * EBSIM_AMD, libamd_smi.so (sim/amdsmi_sim.c exports AMD SMI on top of the
 * NVML functions, hidden there). Each takes the scenario's GPUs of its
 * vendor ("vendor": "amd"; NVIDIA by default). */
#ifdef EBSIM_AMD
#define NVAPI __attribute__((visibility("hidden")))
#define EBSIM_VENDOR "amd"
#else
#define NVAPI API
#define EBSIM_VENDOR "nvidia"
#endif
#define MAX_PHASES 64
#define MAX_MIG 7

enum { NOPERM_ENERGY = 1, NOPERM_POWER = 2, NOPERM_FIELDS = 4, NOPERM_UTIL = 8 };

typedef struct phase {
    double seconds, power_w, tflops;
} phase;

struct nvmlDevice_st {
    unsigned index;
    int is_mig;
    unsigned parent;
};

typedef struct gpu {
    struct nvmlDevice_st handle;
    struct nvmlDevice_st mig[MAX_MIG];
    char mig_uuid[MAX_MIG][NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    int n_mig;
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE], uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    char pci[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
    int arch;
    unsigned minor;
    double idle_w, limit_w, peak_tflops, sm_clock_mhz;
    double upd_s, win_s, energy_upd_s;
    /* update instants: u_k = phase + k x period + drift x sin(2 pi k period /
     * drift_cycle) + jitter x a number in [-1, 1] drawn from (seed, gpu, k):
     * [0] the energy counter, [1] the power sensor */
    double phase_s[2], jitter_s[2], drift_s[2];
    int usage_avg_1s, energy_counter, fields;
    double reset_at, stuck_at; /* counter faults: back to near 0, or frozen */
    double jump_at, jump_j;    /* the counter leaps forward by jump_j */
    unsigned long long energy_offset_mj;
    /* what a counter read costs: counter_read_ms at least, a longer tail now and then (an
     * H200 under driver 580 took 2.2 ms at least, 2.3-3.8 median, 5-12 p90, up to 28 ms, all
     * of it CPU time, reads of other threads queued behind); the value is taken at a random
     * instant inside the call. read_busy: spin instead of sleeping */
    double read_s;
    int read_busy;
    phase ph[MAX_PHASES];
    int n_ph, repeat;
    double cycle_s, cycle_j;
    int live;
    double lost_at, timeout_at, timeout_s;
    unsigned no_perm;
    int package;   /* AMD: GCDs with one package (MI250X) share its sensor */
    int secondary; /* AMD: a package's second die, which reports 0 W */
} gpu;

static struct {
    int inited;
    gpu g[EBSIM_MAX_GPUS];
    unsigned n;
    double t_init;
    unsigned long long seed;
    int manual;
    double manual_t;
    char config[4096];
    ebsim_shm *shm;
} S;

/* ---- true power and its integral -------------------------------------- */

static double util_power(const gpu *g, double util)
{
    return g->idle_w + util * (g->limit_w - g->idle_w);
}

/* TFLOPS at a utilization, on the A100-80GB reference curve (0, 8, 15, 19
 * TFLOPS at 50, 150, 250, 400 W) scaled to the GPU's peak. */
static double util_tflops(const gpu *g, double util)
{
    static const double u[] = {0, 100.0 / 350, 200.0 / 350, 1}, tf[] = {0, 8, 15, 19};
    for (int i = 1; i < 4; i++)
        if (util <= u[i])
            return g->peak_tflops / 19 *
                   (tf[i - 1] + (tf[i] - tf[i - 1]) * (util - u[i - 1]) / (u[i] - u[i - 1]));
    return g->peak_tflops;
}

/* The live utilization events as (sim time, util) segments. */
/* The shared segment, mapped once whichever thread gets there first (reads
 * of several GPUs overlap now that a counter read takes milliseconds). */
static ebsim_shm *shm_get(int create)
{
    ebsim_shm *m = __atomic_load_n(&S.shm, __ATOMIC_ACQUIRE);
    if (m)
        return m;
    m = ebsim_shm_map(S.config, create);
    if (!m)
        return NULL;
    ebsim_shm *none = NULL;
    if (!__atomic_compare_exchange_n(&S.shm, &none, m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        munmap(m, sizeof *m); /* another thread mapped it first */
        return none;
    }
    return m;
}

static unsigned live_events(const gpu *g, const ebsim_event **ev)
{
    ebsim_shm *m = shm_get(0);
    if (!m)
        return 0;
    *ev = m->gpu[g->handle.index].ev;
    return __atomic_load_n(&m->gpu[g->handle.index].n, __ATOMIC_ACQUIRE);
}

/* Integral over [0, t] of power (what = 0) or of TFLOPS (what = 1). */
static double integral(const gpu *g, double t, int what)
{
    if (g->live) {
        const ebsim_event *ev = NULL;
        unsigned n = live_events(g, &ev);
        double acc = 0, prev_t = 0, util = 0;
        for (unsigned i = 0; i < n; i++) {
            double te = ev[i].t_mono_s - S.t_init;
            if (te > t)
                break;
            if (te > prev_t) {
                acc += (what ? util_tflops(g, util) : util_power(g, util)) * (te - prev_t);
                prev_t = te;
            }
            util = ev[i].util;
        }
        if (t > prev_t)
            acc += (what ? util_tflops(g, util) : util_power(g, util)) * (t - prev_t);
        return t < 0 ? (what ? 0 : g->idle_w * t) : acc;
    }
    if (g->n_ph == 0)
        return what ? 0 : g->idle_w * t;
    if (t <= 0) /* before sim time 0 the GPU was in its first phase */
        return what ? 0 : g->ph[0].power_w * t;
    double acc = 0, rest = t;
    if (g->repeat && g->cycle_s > 0) {
        double k = floor(t / g->cycle_s);
        if (what == 0)
            acc = k * g->cycle_j;
        else
            for (int i = 0; i < g->n_ph; i++)
                acc += k * g->ph[i].tflops * g->ph[i].seconds;
        rest = t - k * g->cycle_s;
    }
    for (int i = 0; i < g->n_ph && rest > 0; i++) {
        double d = rest < g->ph[i].seconds ? rest : g->ph[i].seconds;
        acc += (what ? g->ph[i].tflops : g->ph[i].power_w) * d;
        rest -= d;
    }
    if (rest > 0 && what == 0) /* after the last phase: idle */
        acc += g->idle_w * rest;
    return acc;
}

static double mean_power(const gpu *g, double a, double b)
{
    return b > a ? (integral(g, b, 0) - integral(g, a, 0)) / (b - a)
                 : ebsim_true_power_w(g->handle.index, a);
}

/* ---- update instants ---------------------------------------------------- */

#define DRIFT_CYCLE_S 20.0

static unsigned long long mix64(unsigned long long x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A number in [-1, 1] fixed by (seed, gpu, sensor, k). */
static double draw(unsigned gpu_i, int which, long k, unsigned salt)
{
    unsigned long long h =
        mix64(S.seed ^ mix64(((unsigned long long)gpu_i << 40) ^ ((unsigned long long)which << 36) ^
                             ((unsigned long long)salt << 32) ^ (unsigned long long)(unsigned)k));
    return (double)(h >> 11) / (double)(1ULL << 52) - 1.0;
}

static double period_of(const gpu *g, int which)
{
    return which ? g->upd_s : g->energy_upd_s;
}

/* The k-th update instant of a sensor (0: energy counter, 1: power). */
static double instant(const gpu *g, int which, long k)
{
    double p = period_of(g, which);
    return g->phase_s[which] + (double)k * p +
           g->drift_s[which] * sin(2 * M_PI * (double)k * p / DRIFT_CYCLE_S) +
           g->jitter_s[which] * draw(g->handle.index, which, k, 0);
}

/* The latest update instant at or before t. Jitter and drift stay under half
 * a period (load_gpu), so the instants keep their order. */
static double last_update(const gpu *g, int which, double t)
{
    double p = period_of(g, which);
    long k = (long)floor((t - g->phase_s[which]) / p + 1e-9) + 2;
    while (instant(g, which, k) > t + 1e-12)
        k--;
    return instant(g, which, k);
}

/* ---- the simulator's own API ------------------------------------------ */

API const char *ebsim_version(void)
{
    return "ebench-sim 1";
}

API double ebsim_now(void)
{
    return S.manual ? S.manual_t : ebsim_mono() - S.t_init;
}

API int ebsim_describe(unsigned gpu_i, char *buf, unsigned len)
{
    if (!S.inited || gpu_i >= S.n || !buf || len == 0)
        return -1;
    const gpu *g = &S.g[gpu_i];
    snprintf(
        buf, len,
        "sim seed %llu (repeat with EBENCH_SIM_SEED): energy counter every %.3f ms, phase %.2f ms, "
        "jitter +-%.2f ms, drift +-%.2f ms; power sensor every %.3f ms over the last "
        "%.1f ms, phase %.2f ms; a counter read takes %.1f ms or more",
        S.seed, g->energy_upd_s * 1e3, g->phase_s[0] * 1e3, g->jitter_s[0] * 1e3,
        g->drift_s[0] * 1e3, g->upd_s * 1e3, g->win_s * 1e3, g->phase_s[1] * 1e3, g->read_s * 1e3);
    return 0;
}

API int ebsim_update_instants(unsigned gpu_i, int power, double t0, double t1, double *out, int max)
{
    if (!S.inited || gpu_i >= S.n || !out || max < 0)
        return -1;
    const gpu *g = &S.g[gpu_i];
    int which = power ? 1 : 0, n = 0;
    double p = period_of(g, which);
    for (long k = (long)floor((t0 - g->phase_s[which]) / p) - 1; n < max; k++) {
        double u = instant(g, which, k);
        if (u > t1)
            break;
        if (u >= t0)
            out[n++] = u;
    }
    return n;
}

API void ebsim_set_time(double t_s)
{
    S.manual_t = t_s;
}

API int ebsim_set_utilization_at(unsigned gpu_i, double t_s, double util)
{
    if (!S.inited || gpu_i >= S.n || !(util >= 0 && util <= 1))
        return -1;
    if (!shm_get(1))
        return -1;
    uint32_t n = __atomic_load_n(&S.shm->gpu[gpu_i].n, __ATOMIC_ACQUIRE);
    if (n >= EBSIM_SHM_EVENTS)
        return -1;
    S.shm->gpu[gpu_i].ev[n] = (ebsim_event){S.t_init + t_s, util};
    __atomic_store_n(&S.shm->gpu[gpu_i].n, n + 1, __ATOMIC_RELEASE);
    return 0;
}

API double ebsim_true_energy_j(unsigned gpu_i, double t0, double t1)
{
    if (gpu_i >= S.n)
        return NAN;
    return integral(&S.g[gpu_i], t1, 0) - integral(&S.g[gpu_i], t0, 0);
}

API double ebsim_true_power_w(unsigned gpu_i, double t)
{
    if (gpu_i >= S.n)
        return NAN;
    const double h = 1e-9;
    return (integral(&S.g[gpu_i], t + h, 0) - integral(&S.g[gpu_i], t, 0)) / h;
}

API double ebsim_flop(unsigned gpu_i, double t0, double t1)
{
    if (gpu_i >= S.n)
        return NAN;
    return (integral(&S.g[gpu_i], t1, 1) - integral(&S.g[gpu_i], t0, 1)) * 1e12;
}

/* ---- scenario --------------------------------------------------------- */

static void preset(gpu *g, const char *arch)
{
    g->upd_s = 0.1;
    g->win_s = 0.025;
    g->energy_upd_s = 0.1;
    g->energy_counter = 1;
    g->fields = 1;
    g->usage_avg_1s = 1;
    g->arch = NVML_DEVICE_ARCH_HOPPER;
    if (strcmp(arch, "ampere") == 0) {
        g->arch = NVML_DEVICE_ARCH_AMPERE;
        g->usage_avg_1s = strstr(g->name, "A100") == NULL; /* GA100 is the exception */
    } else if (strcmp(arch, "volta") == 0) {
        g->arch = NVML_DEVICE_ARCH_VOLTA;
        g->upd_s = 0.02;
        g->win_s = 0.01;
        g->usage_avg_1s = 0;
        g->fields = 0; /* field 186 needs driver 530+ and a newer GPU here */
    } else if (strcmp(arch, "turing") == 0) {
        g->arch = NVML_DEVICE_ARCH_TURING;
        g->win_s = 0.1;
        g->usage_avg_1s = 0;
    } else if (strcmp(arch, "pascal") == 0) {
        g->arch = NVML_DEVICE_ARCH_PASCAL;
        g->upd_s = 0.02;
        g->win_s = 0.01;
        g->usage_avg_1s = 0;
        g->energy_counter = 0; /* the counter exists from Volta on */
        g->fields = 0;
    }
}

static double num(json_t *o, const char *key, double dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *str(json_t *o, const char *key, const char *dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* When each sensor updates. The manual clock is for deterministic tests:
 * there each sensor updates on its nominal period at 0.55 of a period after
 * sim time 0 (55 ms: mid-way between the 10 ms ticks tests use), without
 * jitter or drift. In real
 * time the defaults are what a device's own clock gives: the period a little
 * off nominal (+-1%), a phase drawn per GPU from the seed, 0.5 ms of jitter
 * and a slow wander of 1 ms; all of it can be set under "sensor". */
static void sensor_timing(gpu *g, json_t *sensor)
{
    static const char *const key[2][4] = {
        {"energy_update_ms", "energy_phase_ms", "energy_jitter_ms", "energy_drift_ms"},
        {"update_ms", "power_phase_ms", "power_jitter_ms", "power_drift_ms"}};
    unsigned i = g->handle.index;
    for (int w = 0; w < 2; w++) {
        double *period = w ? &g->upd_s : &g->energy_upd_s;
        int given = json_is_number(json_object_get(sensor, key[w][0]));
        if (!S.manual && !given)
            *period *= 1 + 0.01 * draw(i, w, -1, 1);
        double p = *period;
        double first = S.manual ? 0.55 * p : p * (0.5 + 0.5 * draw(i, w, -1, 2));
        g->phase_s[w] = num(sensor, key[w][1], first * 1e3) / 1e3;
        g->jitter_s[w] = num(sensor, key[w][2], S.manual ? 0 : 0.5) / 1e3;
        g->drift_s[w] = num(sensor, key[w][3], S.manual ? 0 : 1.0) / 1e3;
        /* the instants must keep their order */
        if (g->jitter_s[w] < 0)
            g->jitter_s[w] = 0;
        if (g->drift_s[w] < 0)
            g->drift_s[w] = 0;
        if (g->jitter_s[w] + g->drift_s[w] > 0.45 * p) {
            double f = 0.45 * p / (g->jitter_s[w] + g->drift_s[w]);
            g->jitter_s[w] *= f;
            g->drift_s[w] *= f;
        }
    }
}

static int load_gpu(gpu *g, unsigned i, json_t *o)
{
    json_t *sensor = json_object_get(o, "sensor"), *faults = json_object_get(o, "faults");
    g->handle.index = i;
    snprintf(
        g->name, sizeof g->name, "Simulated %s",
        str(o, "model", strcmp(EBSIM_VENDOR, "amd") == 0 ? "Instinct MI300X" : "H100 80GB HBM3"));
    g->package = (int)num(o, "package", -1);
    g->secondary = json_is_true(json_object_get(o, "secondary"));
    snprintf(g->uuid, sizeof g->uuid, "%s",
             str(o, "uuid", "GPU-00000000-0000-0000-0000-000000000000"));
    snprintf(g->pci, sizeof g->pci, "%s", str(o, "pci_bus_id", "00000000:00:00.0"));
    preset(g, str(o, "arch", "hopper"));
    g->minor = (unsigned)num(o, "minor", i);
    g->idle_w = num(o, "idle_power_w", 50);
    g->limit_w = num(o, "power_limit_w", 400);
    g->peak_tflops = num(o, "peak_tflops", 19);
    g->sm_clock_mhz = num(o, "sm_clock_mhz", 1980);
    g->energy_offset_mj = (unsigned long long)num(o, "energy_offset_mj", 123456789);
    g->live = json_is_true(json_object_get(o, "live"));
    g->read_s = S.manual ? 0 : 0.0022; /* the manual clock's reads take no time */
    g->repeat = json_is_true(json_object_get(o, "repeat"));
    if (sensor) {
        g->upd_s = num(sensor, "update_ms", g->upd_s * 1e3) / 1e3;
        g->win_s = num(sensor, "window_ms", g->win_s * 1e3) / 1e3;
        g->energy_upd_s = num(sensor, "energy_update_ms", g->energy_upd_s * 1e3) / 1e3;
        /* periods must be positive: a bad one is refused, with a message */
        if (!(g->upd_s > 0) || !(g->energy_upd_s > 0) || !(g->win_s > 0)) {
            fprintf(stderr,
                    "ebench-sim: GPU %u: update_ms, window_ms and energy_update_ms must be > 0; "
                    "using 100, 25 and 100\n",
                    i);
            g->upd_s = g->upd_s > 0 ? g->upd_s : 0.1;
            g->win_s = g->win_s > 0 ? g->win_s : 0.025;
            g->energy_upd_s = g->energy_upd_s > 0 ? g->energy_upd_s : 0.1;
        }
        const char *usage = str(sensor, "power_usage", NULL);
        if (usage)
            g->usage_avg_1s = strcmp(usage, "average_1s") == 0;
        g->read_s = num(sensor, "counter_read_ms", g->read_s * 1e3) / 1e3;
        if (!(g->read_s >= 0) || g->read_s > 0.1) {
            fprintf(stderr, "ebench-sim: GPU %u: counter_read_ms must be 0..100; using 2.2\n", i);
            g->read_s = 0.0022;
        }
        g->read_busy = json_is_true(json_object_get(sensor, "read_busy"));
        json_t *ec = json_object_get(sensor, "energy_counter");
        if (json_is_boolean(ec))
            g->energy_counter = json_is_true(ec);
        json_t *fv = json_object_get(sensor, "fields");
        if (json_is_boolean(fv))
            g->fields = json_is_true(fv);
    }
    sensor_timing(g, sensor);
    g->lost_at = num(faults, "lost_at_s", INFINITY);
    g->reset_at = num(faults, "counter_reset_at_s", INFINITY);
    g->stuck_at = num(faults, "counter_stuck_at_s", INFINITY);
    g->jump_at = num(faults, "counter_jump_at_s", INFINITY);
    g->jump_j = num(faults, "counter_jump_j", 1e6);
    g->timeout_at = num(faults, "timeout_at_s", INFINITY);
    g->timeout_s = num(faults, "timeout_s", INFINITY); /* how long it lasts */
    json_t *np = json_object_get(faults, "no_permission"), *v;
    size_t k;
    json_array_foreach(np, k, v)
    {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        g->no_perm |= strcmp(s, "energy") == 0        ? NOPERM_ENERGY
                      : strcmp(s, "power") == 0       ? NOPERM_POWER
                      : strcmp(s, "fields") == 0      ? NOPERM_FIELDS
                      : strcmp(s, "utilization") == 0 ? NOPERM_UTIL
                                                      : 0;
    }
    json_t *mig = json_object_get(o, "mig_uuids");
    json_array_foreach(mig, k, v)
    {
        if (g->n_mig < MAX_MIG && json_string_value(v)) {
            snprintf(g->mig_uuid[g->n_mig], sizeof g->mig_uuid[0], "%s", json_string_value(v));
            g->mig[g->n_mig] = (struct nvmlDevice_st){i, 1, i};
            g->n_mig++;
        }
    }
    json_t *phases = json_object_get(o, "phases");
    json_array_foreach(phases, k, v)
    {
        if (g->n_ph >= MAX_PHASES)
            break;
        phase *p = &g->ph[g->n_ph++];
        p->seconds = num(v, "seconds", 1);
        double util = num(v, "util", NAN);
        p->power_w = num(v, "power_w", isnan(util) ? g->idle_w : util_power(g, util));
        if (isnan(util))
            util = (p->power_w - g->idle_w) / (g->limit_w - g->idle_w);
        p->tflops = num(v, "tflops", util_tflops(g, util < 0 ? 0 : util));
        g->cycle_s += p->seconds;
        g->cycle_j += p->seconds * p->power_w;
    }
    return 0;
}

static nvmlReturn_t load_config(void)
{
    const char *path = getenv("EBENCH_SIM_CONFIG");
    json_error_t err;
    if (!path || !*path) {
        fprintf(stderr, "ebench-sim: EBENCH_SIM_CONFIG is not set (a scenario JSON file)\n");
        return NVML_ERROR_DRIVER_NOT_LOADED;
    }
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "ebench-sim: %s:%d: %s\n", path, err.line, err.text);
        return NVML_ERROR_DRIVER_NOT_LOADED;
    }
    snprintf(S.config, sizeof S.config, "%s", path);
    const char *seed = getenv("EBENCH_SIM_SEED");
    if (seed && *seed)
        S.seed = strtoull(seed, NULL, 0);
    else if (json_is_integer(json_object_get(root, "seed")))
        S.seed = (unsigned long long)json_integer_value(json_object_get(root, "seed"));
    else /* printed by ebsim_describe, so a run can be repeated */
        S.seed = (mix64((unsigned long long)(ebsim_mono() * 1e9)) ^ (unsigned long long)getpid()) %
                 1000000000ULL;
    json_t *gpus = json_object_get(root, "gpus"), *v;
    size_t i;
    memset(S.g, 0, sizeof S.g);
    S.n = 0;
    json_array_foreach(gpus, i, v)
    {
        const char *vendor = str(v, "vendor", "nvidia");
        if (S.n < EBSIM_MAX_GPUS && strcmp(vendor, EBSIM_VENDOR) == 0)
            load_gpu(&S.g[S.n], S.n, v), S.n++;
    }
    json_decref(root);
    return NVML_SUCCESS;
}

/* ---- NVML ------------------------------------------------------------- */

NVAPI nvmlReturn_t nvmlInit_v2(void)
{
    if (S.inited++)
        return NVML_SUCCESS;
    const char *clock = getenv("EBENCH_SIM_CLOCK");
    S.manual = clock && strcmp(clock, "manual") == 0;
    nvmlReturn_t rc = load_config();
    if (rc != NVML_SUCCESS) {
        S.inited = 0;
        return rc;
    }
    S.manual_t = 0;
    S.t_init = ebsim_mono();
    /* Only the utilization in force now matters: drop older events, so the
     * segment never fills up across runs. */
#ifdef EBSIM_AMD
    S.shm = NULL; /* live utilization drives the NVIDIA GPUs only */
#else
    S.shm = ebsim_shm_map(S.config, 0);
#endif
    for (unsigned g = 0; S.shm && g < EBSIM_MAX_GPUS; g++) {
        uint32_t n = __atomic_load_n(&S.shm->gpu[g].n, __ATOMIC_ACQUIRE);
        if (n > 1) {
            S.shm->gpu[g].ev[0] = S.shm->gpu[g].ev[n - 1];
            __atomic_store_n(&S.shm->gpu[g].n, 1, __ATOMIC_RELEASE);
        }
    }
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlInit(void)
{
    return nvmlInit_v2();
}

NVAPI nvmlReturn_t nvmlShutdown(void)
{
    if (!S.inited)
        return NVML_ERROR_UNINITIALIZED;
    if (--S.inited == 0 && S.shm) {
        munmap(S.shm, sizeof *S.shm);
        S.shm = NULL;
    }
    return NVML_SUCCESS;
}

NVAPI const char *nvmlErrorString(nvmlReturn_t r)
{
    switch (r) {
    case NVML_SUCCESS:
        return "Success";
    case NVML_ERROR_UNINITIALIZED:
        return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
        return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
        return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
        return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND:
        return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE:
        return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT:
        return "Timeout";
    case NVML_ERROR_GPU_IS_LOST:
        return "GPU is lost";
    default:
        return "Unknown Error";
    }
}

NVAPI nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *count)
{
    if (!S.inited)
        return NVML_ERROR_UNINITIALIZED;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = S.n;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *dev)
{
    if (!S.inited)
        return NVML_ERROR_UNINITIALIZED;
    if (i >= S.n || !dev)
        return NVML_ERROR_INVALID_ARGUMENT;
    *dev = &S.g[i].handle;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *dev)
{
    if (!S.inited)
        return NVML_ERROR_UNINITIALIZED;
    for (unsigned i = 0; i < S.n; i++) {
        if (strcmp(S.g[i].uuid, uuid) == 0) {
            *dev = &S.g[i].handle;
            return NVML_SUCCESS;
        }
        for (int m = 0; m < S.g[i].n_mig; m++)
            if (strcmp(S.g[i].mig_uuid[m], uuid) == 0) {
                *dev = &S.g[i].mig[m];
                return NVML_SUCCESS;
            }
    }
    return NVML_ERROR_NOT_FOUND;
}

NVAPI nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig, nvmlDevice_t *dev)
{
    if (!mig || !mig->is_mig)
        return NVML_ERROR_INVALID_ARGUMENT;
    *dev = &S.g[mig->parent].handle;
    return NVML_SUCCESS;
}

/* The GPU behind a handle, and whether it still answers at sim time t. */
static nvmlReturn_t gpu_at(nvmlDevice_t dev, gpu **g, double *t)
{
    if (!S.inited)
        return NVML_ERROR_UNINITIALIZED;
    if (!dev || dev->is_mig || dev->index >= S.n)
        return NVML_ERROR_INVALID_ARGUMENT;
    *g = &S.g[dev->index];
    *t = ebsim_now();
    if (*t >= (*g)->lost_at)
        return NVML_ERROR_GPU_IS_LOST;
    if (*t >= (*g)->timeout_at && *t < (*g)->timeout_at + (*g)->timeout_s)
        return NVML_ERROR_TIMEOUT;
    return NVML_SUCCESS;
}

#define GPU_OR_RETURN()                                                                            \
    gpu *g;                                                                                        \
    double t;                                                                                      \
    nvmlReturn_t rc_ = gpu_at(dev, &g, &t);                                                        \
    if (rc_ != NVML_SUCCESS)                                                                       \
        return rc_;

static nvmlReturn_t copy_str(char *out, unsigned len, const char *s)
{
    if (!out || strlen(s) + 1 > len)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(out, s);
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned len)
{
    GPU_OR_RETURN();
    (void)t;
    return copy_str(name, len, g->name);
}

NVAPI nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *uuid, unsigned len)
{
    GPU_OR_RETURN();
    (void)t;
    return copy_str(uuid, len, g->uuid);
}

NVAPI nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t dev, nvmlPciInfo_t *pci)
{
    GPU_OR_RETURN();
    (void)t;
    memset(pci, 0, sizeof *pci);
    snprintf(pci->busId, sizeof pci->busId, "%s", g->pci);
    sscanf(g->pci, "%x:%x:%x", &pci->domain, &pci->bus, &pci->device);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04x:%02x:%02x.0", pci->domain & 0xffff,
             pci->bus & 0xff, pci->device & 0xff);
    pci->pciDeviceId = 0x233010de;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t dev, unsigned *arch)
{
    GPU_OR_RETURN();
    (void)t;
    *arch = (unsigned)g->arch;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t dev, unsigned *minor)
{
    GPU_OR_RETURN();
    (void)t;
    *minor = g->minor;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t dev, unsigned *current, unsigned *pending)
{
    GPU_OR_RETURN();
    (void)t;
    *current = *pending = g->n_mig > 0;
    return NVML_SUCCESS;
}

/* What the power sensor shows at time t: the mean of the last window before
 * its latest update. */
static double sensor_power(const gpu *g, double t, double window)
{
    double tk = last_update(g, 1, t);
    return mean_power(g, tk - window, tk);
}

static nvmlReturn_t energy_now(nvmlDevice_t dev, unsigned long long *mj);

#define TEMP_TAU_S 8.0 /* see nvmlDeviceGetTemperature */

static void wait_s(double s, int busy)
{
    if (s <= 0)
        return;
    if (busy) {
        double end = ebsim_mono() + s;
        while (ebsim_mono() < end)
            ;
        return;
    }
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A counter read's cost (see gpu.read_s): the part before the value is taken
 * is waited first, the rest after; one read at a time, as the driver does. */
static pthread_mutex_t read_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long read_calls;

static double read_cost(const gpu *g, double *before)
{
    unsigned long n = __atomic_fetch_add(&read_calls, 1, __ATOMIC_RELAXED);
    double u1 = 0.5 + 0.5 * draw(g->handle.index, 3, (long)n, 1),
           u2 = 0.5 + 0.5 * draw(g->handle.index, 3, (long)n, 2),
           u3 = 0.5 + 0.5 * draw(g->handle.index, 3, (long)n, 3);
    double cost =
        u1 < 0.85 ? g->read_s * (1 + 0.35 * u2) : g->read_s * fmin(12, 1 - 3 * log(fmax(u2, 1e-9)));
    *before = cost * u3;
    return cost;
}

NVAPI nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t dev, unsigned long long *mj)
{
    double before = 0, cost = 0;
    int busy = 0;
    if (!S.manual && S.inited && dev && !dev->is_mig && dev->index < S.n &&
        S.g[dev->index].read_s > 0) {
        cost = read_cost(&S.g[dev->index], &before);
        busy = S.g[dev->index].read_busy;
        pthread_mutex_lock(&read_lock);
        wait_s(before, busy);
    }
    nvmlReturn_t rc = energy_now(dev, mj);
    if (cost > 0) {
        wait_s(cost - before, busy);
        pthread_mutex_unlock(&read_lock);
    }
    return rc;
}

static nvmlReturn_t energy_now(nvmlDevice_t dev, unsigned long long *mj)
{
    GPU_OR_RETURN();
    if (!g->energy_counter)
        return NVML_ERROR_NOT_SUPPORTED;
    if (g->no_perm & NOPERM_ENERGY)
        return NVML_ERROR_NO_PERMISSION;
    if (t >= g->stuck_at)
        t = g->stuck_at;
    double tk = last_update(g, 0, t);
    double j = integral(g, tk, 0);
    if (tk >= g->reset_at) /* the driver reloaded: counting starts again */
        j -= integral(g, g->reset_at, 0) + g->energy_offset_mj * 1e-3 - 1.0;
    if (tk >= g->jump_at)
        j += g->jump_j;
    double total = (double)g->energy_offset_mj + floor(j * 1e3); /* j < 0 before time 0 */
    *mj = total > 0 ? (unsigned long long)total : 0;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned *mw)
{
    GPU_OR_RETURN();
    if (g->no_perm & NOPERM_POWER)
        return NVML_ERROR_NO_PERMISSION;
    *mw = (unsigned)lround(sensor_power(g, t, g->usage_avg_1s ? 1.0 : g->win_s) * 1e3);
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t dev, int count, nvmlFieldValue_t *v)
{
    GPU_OR_RETURN();
    if (count < 0 || !v)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < count; i++) {
        v[i].timestamp = (long long)(t * 1e6);
        v[i].latencyUsec = 0;
        v[i].valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        if (!g->fields) {
            v[i].nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        } else if (g->no_perm & NOPERM_FIELDS) {
            v[i].nvmlReturn = NVML_ERROR_NO_PERMISSION;
        } else if (v[i].fieldId == NVML_FI_DEV_POWER_INSTANT) {
            v[i].nvmlReturn = NVML_SUCCESS;
            v[i].value.uiVal = (unsigned)lround(sensor_power(g, t, g->win_s) * 1e3);
        } else if (v[i].fieldId == NVML_FI_DEV_POWER_AVERAGE) {
            v[i].nvmlReturn = NVML_SUCCESS;
            v[i].value.uiVal = (unsigned)lround(sensor_power(g, t, 1.0) * 1e3);
        } else {
            v[i].nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        }
    }
    return NVML_SUCCESS;
}

static double util_at(const gpu *g, double t)
{
    double p = sensor_power(g, t, g->upd_s);
    double u = (p - g->idle_w) / (g->limit_w - g->idle_w);
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

NVAPI nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *u)
{
    GPU_OR_RETURN();
    if (g->no_perm & NOPERM_UTIL)
        return NVML_ERROR_NO_PERMISSION;
    double util = util_at(g, t);
    u->gpu = (unsigned)lround(util * 100);
    u->memory = (unsigned)lround(util * 60);
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t dev, int type, unsigned *mhz)
{
    GPU_OR_RETURN();
    if (type != NVML_CLOCK_SM && type != NVML_CLOCK_GRAPHICS)
        return NVML_ERROR_NOT_SUPPORTED;
    *mhz = util_at(g, t) > 0.01 ? (unsigned)g->sm_clock_mhz : 345;
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t dev, int sensor, unsigned *c)
{
    GPU_OR_RETURN();
    if (sensor != NVML_TEMPERATURE_GPU)
        return NVML_ERROR_NOT_SUPPORTED;
    /* the die warms and cools with a thermal time constant of seconds, not
     * within one sensor update: 28 C plus 0.12 C/W of the power averaged over
     * the last TEMP_TAU_S */
    *c = (unsigned)lround(28 + 0.12 * mean_power(g, t - TEMP_TAU_S, t));
    return NVML_SUCCESS;
}

NVAPI nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t dev, unsigned *mw)
{
    GPU_OR_RETURN();
    (void)t;
    *mw = (unsigned)lround(g->limit_w * 1e3);
    return NVML_SUCCESS;
}

#ifdef EBSIM_AMD
/* For amdsmi_sim.c: what NVML does not say. */
__attribute__((visibility("hidden"))) int ebsim__amd_gpu(unsigned i, int *package, int *secondary,
                                                         unsigned *minor)
{
    if (!S.inited || i >= S.n)
        return -1;
    *package = S.g[i].package;
    *secondary = S.g[i].secondary;
    *minor = S.g[i].minor;
    return 0;
}
#endif
