/*
 * nvml.c - NVIDIA GPUs through NVML, loaded with dlopen (no nvml.h: our own
 * declarations are in nvml_abi.h), as nvtop does.
 *
 * Energy per GPU, best source first: the energy counter
 * (nvmlDeviceGetTotalEnergyConsumption, mJ, Volta and later: method counter);
 * else instant power from field NVML_FI_DEV_POWER_INSTANT (186), each entry's
 * own return code checked; else nvmlDeviceGetPowerUsage, a 1 s average on
 * Ampere and later except GA100 (A100), which the output says. Each tick also
 * records instant power, utilization, SM clock, temperature and the enforced
 * power limit where the GPU reports them. nvml_list gives the GPUs; which
 * of them are measured is chosen for every vendor at once (gpu_select.c).
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mono.h"
#include "gpu_select.h"
#include "nvml_abi.h"
#include "source.h"

typedef struct fns {
    /* required */
    nvmlReturn_t (*init)(void);
    nvmlReturn_t (*shutdown)(void);
    nvmlReturn_t (*count)(unsigned *);
    nvmlReturn_t (*handle)(unsigned, nvmlDevice_t *);
    nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned);
    nvmlReturn_t (*uuid)(nvmlDevice_t, char *, unsigned);
    const char *(*error_string)(nvmlReturn_t);
    /* optional, NULL when the driver lacks them */
    nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
    nvmlReturn_t (*fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
    nvmlReturn_t (*power_usage)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t *);
    nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned *);
    nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned *);
    nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t *);
    nvmlReturn_t (*mig_mode)(nvmlDevice_t, unsigned *, unsigned *);
    nvmlReturn_t (*by_uuid)(const char *, nvmlDevice_t *);
    nvmlReturn_t (*mig_parent)(nvmlDevice_t, nvmlDevice_t *);
    nvmlReturn_t (*architecture)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*minor)(nvmlDevice_t, unsigned *);
    const char *(*sim_version)(void);
    int (*sim_describe)(unsigned, char *, unsigned);
} fns;

enum { SRC_COUNTER, SRC_FIELD, SRC_USAGE };
enum { HAS_FIELD = 1, HAS_UTIL = 2, HAS_CLOCK = 4, HAS_TEMP = 8, HAS_LIMIT = 16 };

typedef struct gpu {
    nvmlDevice_t dev;
    int source;
    unsigned has;
    double timeout_since; /* CLOCK_MONOTONIC of the first of a run of timeouts; NaN: none */
} gpu;

typedef struct nvml {
    void *lib;
    fns f;
    int inited;
    gpu g[EB_MAX_DOMAINS];
    size_t n;
    nvmlDevice_t dev[EB_MAX_DOMAINS]; /* by NVML index, as listed */
    unsigned count;
} nvml;

/* The first of the names that the library exports. */
static void *sym(void *lib, const char *const *names)
{
    for (; *names; names++) {
        void *p = dlsym(lib, *names);
        if (p)
            return p;
    }
    return NULL;
}

#define RESOLVE(field, ...)                                                                        \
    (*(void **)&n->f.field = sym(n->lib, (const char *const[]){__VA_ARGS__, NULL}))

static const char *load(nvml *n, eb__probe_ctx *ctx, char *why, size_t len)
{
    const char *env = getenv("EBENCH_NVML_LIBRARY");
    const char *tried = env && *env ? env : "libnvidia-ml.so.1";

    if (env && *env) {
        n->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (!n->lib) {
            snprintf(why, len, "cannot load EBENCH_NVML_LIBRARY=%s: %s", env, dlerror());
            return NULL;
        }
    } else {
        n->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!n->lib)
            n->lib = dlopen("libnvidia-ml.so", RTLD_NOW | RTLD_LOCAL);
        if (!n->lib) {
            snprintf(why, len, "libnvidia-ml.so.1 not found (is the NVIDIA driver installed?)");
            return NULL;
        }
    }
    (void)ctx;
    RESOLVE(init, "nvmlInit_v2", "nvmlInit");
    RESOLVE(shutdown, "nvmlShutdown");
    RESOLVE(count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    RESOLVE(handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    RESOLVE(name, "nvmlDeviceGetName");
    RESOLVE(uuid, "nvmlDeviceGetUUID");
    RESOLVE(error_string, "nvmlErrorString");
    static const char *const required[] = {"nvmlInit_v2",           "nvmlShutdown",
                                           "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2",
                                           "nvmlDeviceGetName",     "nvmlDeviceGetUUID",
                                           "nvmlErrorString"};
    void *got[] = {(void *)n->f.init,        (void *)n->f.shutdown, (void *)n->f.count,
                   (void *)n->f.handle,      (void *)n->f.name,     (void *)n->f.uuid,
                   (void *)n->f.error_string};
    for (size_t i = 0; i < sizeof got / sizeof *got; i++) {
        if (!got[i]) {
            snprintf(why, len, "%s does not export %s (not an NVML library, or too old)", tried,
                     required[i]);
            dlclose(n->lib);
            n->lib = NULL;
            return NULL;
        }
    }
    RESOLVE(energy, "nvmlDeviceGetTotalEnergyConsumption");
    RESOLVE(fields, "nvmlDeviceGetFieldValues");
    RESOLVE(power_usage, "nvmlDeviceGetPowerUsage");
    RESOLVE(utilization, "nvmlDeviceGetUtilizationRates");
    RESOLVE(clock, "nvmlDeviceGetClockInfo");
    RESOLVE(temperature, "nvmlDeviceGetTemperature");
    RESOLVE(power_limit, "nvmlDeviceGetEnforcedPowerLimit");
    RESOLVE(pci, "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2");
    RESOLVE(mig_mode, "nvmlDeviceGetMigMode");
    RESOLVE(by_uuid, "nvmlDeviceGetHandleByUUID");
    RESOLVE(mig_parent, "nvmlDeviceGetDeviceHandleFromMigDeviceHandle");
    RESOLVE(architecture, "nvmlDeviceGetArchitecture");
    RESOLVE(minor, "nvmlDeviceGetMinorNumber");
    RESOLVE(sim_version, "ebsim_version");
    RESOLVE(sim_describe, "ebsim_describe");
    return tried;
}

static const char *err(const nvml *n, nvmlReturn_t rc)
{
    const char *s = n->f.error_string ? n->f.error_string(rc) : NULL;
    return s ? s : "unknown NVML error";
}

/* Instant power in W from field 186, or NaN with the entry's own code. */
static double field_power(const nvml *n, nvmlDevice_t dev, nvmlReturn_t *rc)
{
    nvmlFieldValue_t v;
    memset(&v, 0, sizeof v);
    v.fieldId = NVML_FI_DEV_POWER_INSTANT;
    if (!n->f.fields) {
        *rc = NVML_ERROR_NOT_SUPPORTED;
        return NAN;
    }
    *rc = n->f.fields(dev, 1, &v);
    if (*rc == NVML_SUCCESS)
        *rc = v.nvmlReturn;
    if (*rc != NVML_SUCCESS)
        return NAN;
    switch (v.valueType) {
    case NVML_VALUE_TYPE_DOUBLE:
        return v.value.dVal / 1e3;
    case NVML_VALUE_TYPE_UNSIGNED_LONG:
    case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
        return (double)v.value.ullVal / 1e3;
    case NVML_VALUE_TYPE_SIGNED_LONG_LONG:
        return (double)v.value.sllVal / 1e3;
    default:
        return (double)v.value.uiVal / 1e3;
    }
}

/* NVML_ERROR_TIMEOUT is transient (a busy driver): a GPU is lost on
 * GPU_IS_LOST, or after this long of nothing but timeouts. */
#define EB__NVML_TIMEOUT_LOST_S 2.0

/* What a failed read means for GPU g: lost, or a bad sample to skip. A
 * success clears its run of timeouts (read_ok). */
static int failed(gpu *g, nvmlReturn_t rc)
{
    if (rc == NVML_ERROR_GPU_IS_LOST)
        return EB__READ_LOST;
    if (rc != NVML_ERROR_TIMEOUT)
        return EB__READ_BAD;
    double now = eb__mono_s();
    if (isnan(g->timeout_since))
        g->timeout_since = now;
    return now - g->timeout_since >= EB__NVML_TIMEOUT_LOST_S ? EB__READ_LOST : EB__READ_BAD;
}

/* Chooses the energy source of one GPU and what else it reports. Returns 0,
 * or -1 with every attempt's result in why. */
static int choose_source(nvml *n, gpu *g, unsigned arch, const char *name, eb__domain_desc *d,
                         char *why, size_t len)
{
    unsigned long long mj;
    unsigned mw, u;
    nvmlReturn_t rc_e = NVML_ERROR_NOT_SUPPORTED, rc_f, rc_u = NVML_ERROR_NOT_SUPPORTED;
    nvmlUtilization_t ut;

    field_power(n, g->dev, &rc_f);
    if (rc_f == NVML_SUCCESS)
        g->has |= HAS_FIELD;
    if (n->f.utilization && n->f.utilization(g->dev, &ut) == NVML_SUCCESS)
        g->has |= HAS_UTIL;
    if (n->f.clock && n->f.clock(g->dev, NVML_CLOCK_SM, &u) == NVML_SUCCESS)
        g->has |= HAS_CLOCK;
    if (n->f.temperature && n->f.temperature(g->dev, NVML_TEMPERATURE_GPU, &u) == NVML_SUCCESS)
        g->has |= HAS_TEMP;
    if (n->f.power_limit && n->f.power_limit(g->dev, &u) == NVML_SUCCESS)
        g->has |= HAS_LIMIT;

    if (n->f.energy && (rc_e = n->f.energy(g->dev, &mj)) == NVML_SUCCESS) {
        g->source = SRC_COUNTER;
        d->method = EB_METHOD_COUNTER;
        d->counter_unit_j = 1e-3;
        d->counter_range = 0; /* 64-bit mJ: does not wrap */
        d->counter_holds = 1;
        d->update_period_s = 0.1; /* about every 100 ms (20-100 ms) */
    } else if (rc_f == NVML_SUCCESS) {
        g->source = SRC_FIELD;
        d->method = EB_METHOD_POWER;
        d->update_period_s = arch == NVML_DEVICE_ARCH_VOLTA ? 0.02 : 0.1;
        /* A100/H100: the last 25 ms of every 100 ms; V100 10 of 20; Turing
         * all 100 (Yang, Adamek and Armour, SC24) */
        d->sensor_window_s = arch == NVML_DEVICE_ARCH_VOLTA    ? 0.01
                             : arch == NVML_DEVICE_ARCH_TURING ? 0.1
                                                               : 0.025;
        snprintf(d->note, sizeof d->note,
                 "no energy counter: instant power (field 186) integrated; the A100/H100 sensor "
                 "sees 25 ms of every 100 ms");
    } else if (n->f.power_usage && (rc_u = n->f.power_usage(g->dev, &mw)) == NVML_SUCCESS) {
        g->source = SRC_USAGE;
        d->method = EB_METHOD_POWER;
        d->update_period_s = 0.1;
        int avg = arch >= NVML_DEVICE_ARCH_AMPERE && !strstr(name, "A100");
        d->sensor_window_s = avg ? 1.0 : arch == NVML_DEVICE_ARCH_VOLTA ? 0.01 : 0.025;
        snprintf(d->note, sizeof d->note,
                 "no energy counter nor instant power: nvmlDeviceGetPowerUsage integrated%s",
                 avg ? "; it is a 1 s average on Ampere and later, so short phases blur" : "");
    } else {
        snprintf(why, len,
                 "no energy reading: energy counter: %s; instant power (field 186): %s; power "
                 "usage: %s",
                 n->f.energy ? err(n, rc_e) : "not exported", err(n, rc_f),
                 n->f.power_usage ? err(n, rc_u) : "not exported");
        return -1;
    }
    d->has_aux = 1;
    snprintf(d->readings, sizeof d->readings, "%s%s%s%s%s%s",
             g->source == SRC_COUNTER ? "energy counter, " : "",
             g->has & HAS_FIELD ? "instant power, " : "power usage (1 s avg), ",
             g->has & HAS_UTIL ? "utilization, " : "", g->has & HAS_CLOCK ? "SM clock, " : "",
             g->has & HAS_TEMP ? "temperature, " : "", g->has & HAS_LIMIT ? "power limit, " : "");
    d->readings[strlen(d->readings) - 2] = '\0';
    return 0;
}

static void probe_gpu(nvml *n, eb__probe_ctx *ctx, const eb__gpu_info *info, eb__gpu_choice *choice)
{
    const unsigned i = info->index;
    nvmlDevice_t dev = n->dev[i];
    eb__domain_desc d;
    gpu *g = &n->g[n->n];
    unsigned arch = 0, limit_mw = 0, cur = 0, pend = 0;
    char why[EB__TEXT_LEN * 2], what[EB__ID_LEN];

    memset(&d, 0, sizeof d);
    memset(g, 0, sizeof *g);
    g->dev = dev;
    g->timeout_since = NAN;
    eb__gpu_desc(&d, info, choice);
    snprintf(what, sizeof what, "%s", d.id);
    n->f.name(dev, d.name, sizeof d.name);
    if (n->f.architecture)
        n->f.architecture(dev, &arch);
    d.simulated = n->f.sim_version != NULL;
    /* +-5% of reading: NVIDIA's stated accuracy of the on-board power sensor
     * (nvidia-smi documentation, power.draw), which the energy counter sums. */
    d.uncertainty_rel = 0.05;
    d.in_total = 1;
    if (choose_source(n, g, arch, d.name, &d, why, sizeof why) < 0) {
        ctx->unavailable(ctx, what, "%s (%s)", why, d.name);
        return;
    }
    if (n->f.power_limit && n->f.power_limit(dev, &limit_mw) == NVML_SUCCESS)
        d.max_power_w = limit_mw / 1e3;
    if (d.max_power_w > 0)
        snprintf(d.location, sizeof d.location, "nvml index %u, PCI %s, limit %.0f W", i,
                 d.pci_bus_id[0] ? d.pci_bus_id : "?", limit_mw / 1e3);
    else
        snprintf(d.location, sizeof d.location, "nvml index %u, PCI %s", i,
                 d.pci_bus_id[0] ? d.pci_bus_id : "?");
    /* On a Grace Hopper superchip NVML's power and energy cover the whole
     * module (Grace CPU, its memory and the GPU): the total counts the
     * module once, and a Grace meter of the socket is a part of it. */
    if (info->module) {
        snprintf(d.scope, sizeof d.scope, "module");
        size_t at = strlen(d.note);
        snprintf(d.note + at, sizeof d.note - at,
                 "%sa GH200: NVML's reading covers the whole module (Grace CPU, its memory and "
                 "the GPU)",
                 at ? "; " : "");
    }
    /* What chose this GPU, and whether it is really a MIG slice of it. */
    size_t used = strlen(d.note);
    if (d.simulated) {
        /* Said first, so no one takes a simulated figure for a measured one. */
        char rest[sizeof d.note];
        snprintf(rest, sizeof rest, "%s", d.note);
        char timing[256] = "";
        if (n->f.sim_describe)
            n->f.sim_describe(i, timing, sizeof timing);
        used = (size_t)snprintf(d.note, sizeof d.note,
                                "SIMULATED GPU (ebench-sim), not a "
                                "measurement%s%s%s%s",
                                timing[0] ? "; " : "", timing, rest[0] ? "; " : "", rest);
        if (used >= sizeof d.note)
            used = sizeof d.note - 1;
    }
    used += (size_t)snprintf(d.note + used, sizeof d.note - used, "%sselected: %s",
                             used ? "; " : "", choice->rule);
    if (choice->mig[0] || (n->f.mig_mode && n->f.mig_mode(dev, &cur, &pend) == NVML_SUCCESS &&
                           cur && used < sizeof d.note))
        snprintf(d.note + used, sizeof d.note - used,
                 "; MIG enabled: measured as the whole GPU (all its instances)");
    if (ctx->add_domain(ctx, &d, n->n) >= 0) {
        n->n++;
        choice->measured = 1;
        if (info->module)
            ctx->cpu_domains++; /* the module's CPU is measured: no model on top */
    }
}

/* Resolves a MIG-... UUID to the NVML index of its GPU (its place in the list). */
static int nvml_mig(void *priv, const char *mig_uuid)
{
    nvml *n = priv;
    nvmlDevice_t mig, parent;
    char uuid[96], other[96];
    if (!n->inited || !n->f.by_uuid || !n->f.mig_parent ||
        n->f.by_uuid(mig_uuid, &mig) != NVML_SUCCESS ||
        n->f.mig_parent(mig, &parent) != NVML_SUCCESS ||
        n->f.uuid(parent, uuid, sizeof uuid) != NVML_SUCCESS)
        return -1;
    for (unsigned i = 0; i < n->count; i++)
        if (n->dev[i] && n->f.uuid(n->dev[i], other, sizeof other) == NVML_SUCCESS &&
            strcmp(other, uuid) == 0)
            return (int)i;
    return -1;
}

/* Loads NVML and lists the GPUs it sees, in NVML index order. */
static unsigned nvml_list(void *priv, eb__probe_ctx *ctx, eb__gpu_info *info, unsigned max)
{
    nvml *n = priv;
    char why[EB__TEXT_LEN];
    unsigned count = 0;
    nvmlReturn_t rc;

    if (!load(n, ctx, why, sizeof why)) {
        ctx->unavailable(ctx, "NVIDIA", "%s", why);
        return 0;
    }
    if ((rc = n->f.init()) != NVML_SUCCESS) {
        /* the project's simulated driver (sim/) fails to start without its
         * scenario: say that, not "is the kernel driver loaded?" */
        int sim = dlsym(n->lib, "ebsim_version") != NULL;
        ctx->unavailable(ctx, "NVIDIA", "nvmlInit failed: %s%s", err(n, rc),
                         sim ? " (the simulated driver: set EBENCH_SIM_CONFIG to a scenario, "
                               "e.g. sim/scenarios/demo.json; docs/SIMULATOR.md)"
                         : rc == NVML_ERROR_DRIVER_NOT_LOADED
                             ? " (is the NVIDIA kernel driver loaded?)"
                         : rc == NVML_ERROR_NO_PERMISSION ? " (check access to /dev/nvidia*)"
                                                          : "");
        return 0;
    }
    n->inited = 1;
    if ((rc = n->f.count(&count)) != NVML_SUCCESS || count == 0) {
        ctx->unavailable(ctx, "NVIDIA", "%s",
                         rc != NVML_SUCCESS ? err(n, rc) : "the driver reports no GPU");
        return 0;
    }
    if (count > EB_MAX_DOMAINS)
        count = EB_MAX_DOMAINS;
    if (count > max)
        count = max;
    n->count = count;
    int sockets = 0;
    for (unsigned i = 0; i < count; i++) {
        memset(&info[i], 0, sizeof info[i]);
        info[i].vendor = EB__GPU_NVIDIA;
        info[i].index = i;
        info[i].minor = -1;
        if ((rc = n->f.handle(i, &n->dev[i])) != NVML_SUCCESS) {
            info[i].broken = 1;
            n->dev[i] = NULL;
            char what[32];
            snprintf(what, sizeof what, "nvidia%u", i);
            ctx->unavailable(ctx, what, "nvmlDeviceGetHandleByIndex failed: %s", err(n, rc));
            continue;
        }
        n->f.uuid(n->dev[i], info[i].uuid, sizeof info[i].uuid);
        nvmlPciInfo_t pci;
        if (n->f.pci && n->f.pci(n->dev[i], &pci) == NVML_SUCCESS)
            snprintf(info[i].pci, sizeof info[i].pci, "%.31s", pci.busId);
        /* Slurm names the step's GPUs by device minor number (/dev/nvidiaN),
         * the same on every process of the node, unlike CUDA's indices. */
        unsigned minor;
        if (n->f.minor && n->f.minor(n->dev[i], &minor) == NVML_SUCCESS)
            info[i].minor = minor;
        /* a GH200 reads its whole module: which socket's (Grace's meters say
         * "Socket N") is the NUMA node of its PCI device, the CPU's it hangs
         * off; where sysfs does not say, the order of the GH200s NVML lists */
        char name[96] = "";
        if (n->f.name(n->dev[i], name, sizeof name) == NVML_SUCCESS && strstr(name, "GH200")) {
            info[i].module = 1;
            info[i].socket = sockets++;
            char key[32], path[4096], text[32], bad[64];
            unsigned long long node;
            eb__pci_key(info[i].pci, key, sizeof key);
            if (key[0] &&
                eb__pathf(path, sizeof path, "%s/bus/pci/devices/%s/numa_node", ctx->sysfs_root,
                          key) == 0 &&
                eb__read_text(path, text, sizeof text) == 0 &&
                eb__parse_u64(text, &node, bad, sizeof bad) == 0 && node < 1024)
                info[i].socket = (int)node;
        }
    }
    return count;
}

static void nvml_probe(void *priv, eb__probe_ctx *ctx)
{
    nvml *n = priv;
    for (unsigned k = 0; k < ctx->n_gpu; k++)
        if (ctx->gpu_choice[k].selected && ctx->gpu_info[k].index < n->count &&
            !ctx->gpu_info[k].broken)
            probe_gpu(n, ctx, &ctx->gpu_info[k], &ctx->gpu_choice[k]);
}

static int nvml_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    nvml *n = priv;
    gpu *g = &n->g[local];
    nvmlReturn_t rc;
    unsigned long long mj;
    unsigned v;

    switch (g->source) {
    case SRC_COUNTER:
        rc = n->f.energy(g->dev, &mj);
        out->counter = mj;
        break;
    case SRC_FIELD:
        out->power_w = field_power(n, g->dev, &rc);
        break;
    default:
        rc = n->f.power_usage(g->dev, &v);
        out->power_w = v / 1e3;
        break;
    }
    if (rc != NVML_SUCCESS) {
        snprintf(why, why_len, "%s", err(n, rc));
        return failed(g, rc);
    }
    g->timeout_since = NAN;
    if (g->has & HAS_FIELD) {
        double p = g->source == SRC_FIELD ? out->power_w : field_power(n, g->dev, &rc);
        out->aux[EB__AUX_POWER_INSTANT_W] = p;
    } else if (g->source == SRC_COUNTER && n->f.power_usage &&
               n->f.power_usage(g->dev, &v) == NVML_SUCCESS) {
        out->power_w = v / 1e3; /* for a counter that stops moving */
    }
    nvmlUtilization_t ut;
    if (g->has & HAS_UTIL && (rc = n->f.utilization(g->dev, &ut)) == NVML_SUCCESS) {
        out->aux[EB__AUX_GPU_UTIL] = ut.gpu / 100.0;
        out->aux[EB__AUX_MEM_UTIL] = ut.memory / 100.0;
    }
    if (g->has & HAS_CLOCK && n->f.clock(g->dev, NVML_CLOCK_SM, &v) == NVML_SUCCESS)
        out->aux[EB__AUX_SM_CLOCK_MHZ] = v;
    if (g->has & HAS_TEMP && n->f.temperature(g->dev, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS)
        out->aux[EB__AUX_TEMP_C] = v;
    if (g->has & HAS_LIMIT && n->f.power_limit(g->dev, &v) == NVML_SUCCESS)
        out->aux[EB__AUX_POWER_LIMIT_W] = v / 1e3;
    return 0;
}

static int nvml_read_counter(void *priv, size_t local, unsigned long long *out)
{
    nvml *n = priv;
    gpu *g = &n->g[local];
    if (g->source != SRC_COUNTER)
        return EB__READ_BAD;
    nvmlReturn_t rc = n->f.energy(g->dev, out);
    if (rc == NVML_SUCCESS) {
        g->timeout_since = NAN;
        return 0;
    }
    return failed(g, rc);
}

static void nvml_close(void *priv)
{
    nvml *n = priv;
    if (n->inited)
        n->f.shutdown();
    if (n->lib)
        dlclose(n->lib);
    memset(n, 0, sizeof *n);
}

const eb__source_ops eb__nvml_ops = {
    .name = "nvml",
    .flag = EB_SOURCE_NVML,
    .priv_size = sizeof(nvml),
    .probe = nvml_probe,
    .gpu_list = nvml_list,
    .gpu_mig = nvml_mig,
    .read = nvml_read,
    .read_counter = nvml_read_counter,
    .close = nvml_close,
};
