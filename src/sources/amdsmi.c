/*
 * amdsmi.c - AMD GPUs through AMD SMI (libamd_smi.so, ROCm), loaded with
 * dlopen as NVML is; declarations in amdsmi_abi.h, checked against the real
 * header for library versions 24.1 to 24.7. A library of another version is
 * refused with its version named, before amdsmi_init: its structs may differ
 * (the amdgpu hwmon then measures the GPUs, hwmon.c).
 *
 * Energy per GPU, best source first: the energy accumulator
 * (amdsmi_get_energy_count: accumulator x resolution uJ; it moves in steps,
 * tracked like NVML's counter), else the socket power
 * (amdsmi_get_power_info: average, else current). An MI250X's two dies
 * (GCDs) share one package and one sensor (the same OAM id): the first die
 * reports the package, the second 0 W; the package is one domain, read
 * through the first die, and says which dies it holds.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdsmi_abi.h"
#include "source.h"

#define AMD_MAX 64

typedef struct fns {
    __typeof__(amdsmi_init) *init;
    __typeof__(amdsmi_shut_down) *shut_down;
    __typeof__(amdsmi_get_lib_version) *version;
    __typeof__(amdsmi_get_socket_handles) *sockets;
    __typeof__(amdsmi_get_processor_handles) *processors;
    __typeof__(amdsmi_get_gpu_device_bdf) *bdf;
    __typeof__(amdsmi_get_energy_count) *energy;
    /* optional */
    __typeof__(amdsmi_status_code_to_string) *status_string;
    __typeof__(amdsmi_get_processor_type) *type;
    __typeof__(amdsmi_get_gpu_device_uuid) *uuid;
    __typeof__(amdsmi_get_gpu_asic_info) *asic_info;
    __typeof__(amdsmi_get_power_info) *power_info;
    const char *(*sim_version)(void);
    int (*sim_describe)(unsigned, char *, unsigned);
} fns;

enum { SRC_ENERGY, SRC_POWER };

typedef struct amd_gpu {
    amdsmi_processor_handle h;
    char market[96];
    long oam; /* package id; -1: none */
} amd_gpu;

typedef struct dom {
    amdsmi_processor_handle h;
    int source;
} dom;

typedef struct amdsmi {
    void *lib;
    fns f;
    int inited;
    unsigned major; /* the library's version: which asic_info layout */
    amd_gpu g[AMD_MAX];
    unsigned n_gpu;
    dom d[EB_MAX_DOMAINS];
    size_t n;
} amdsmi;

static const char *status_text(const amdsmi *a, amdsmi_status_t s, char *buf, size_t len)
{
    const char *text = NULL;
    if (a->f.status_string && a->f.status_string(s, &text) == AMDSMI_STATUS_SUCCESS && text)
        snprintf(buf, len, "%s", text);
    else
        snprintf(buf, len, "AMD SMI status %d", s);
    return buf;
}

#define RESOLVE(field, name) (*(void **)&a->f.field = dlsym(a->lib, name))

static int load(amdsmi *a, char *why, size_t len)
{
    const char *env = getenv("EBENCH_AMDSMI_LIBRARY");
    const char *tried = env && *env ? env : "libamd_smi.so";
    if (env && *env) {
        a->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (!a->lib) {
            snprintf(why, len, "cannot load EBENCH_AMDSMI_LIBRARY=%s: %s", env, dlerror());
            return -1;
        }
    } else {
        a->lib = dlopen("libamd_smi.so", RTLD_NOW | RTLD_LOCAL);
        if (!a->lib)
            a->lib = dlopen("/opt/rocm/lib/libamd_smi.so", RTLD_NOW | RTLD_LOCAL);
        if (!a->lib) {
            snprintf(why, len,
                     "libamd_smi.so not found (AMD SMI, part of ROCm 6; on a ROCm node add "
                     "/opt/rocm/lib to LD_LIBRARY_PATH or set EBENCH_AMDSMI_LIBRARY)");
            return -1;
        }
    }
    static const char *const required[] = {"amdsmi_init",
                                           "amdsmi_shut_down",
                                           "amdsmi_get_lib_version",
                                           "amdsmi_get_socket_handles",
                                           "amdsmi_get_processor_handles",
                                           "amdsmi_get_gpu_device_bdf",
                                           "amdsmi_get_energy_count"};
    RESOLVE(init, required[0]);
    RESOLVE(shut_down, required[1]);
    RESOLVE(version, required[2]);
    RESOLVE(sockets, required[3]);
    RESOLVE(processors, required[4]);
    RESOLVE(bdf, required[5]);
    RESOLVE(energy, required[6]);
    void *got[] = {(void *)a->f.init,    (void *)a->f.shut_down,  (void *)a->f.version,
                   (void *)a->f.sockets, (void *)a->f.processors, (void *)a->f.bdf,
                   (void *)a->f.energy};
    for (size_t i = 0; i < sizeof got / sizeof *got; i++)
        if (!got[i]) {
            snprintf(why, len, "%s does not export %s (not AMD SMI, or too old)", tried,
                     required[i]);
            dlclose(a->lib);
            a->lib = NULL;
            return -1;
        }
    RESOLVE(status_string, "amdsmi_status_code_to_string");
    RESOLVE(type, "amdsmi_get_processor_type");
    RESOLVE(uuid, "amdsmi_get_gpu_device_uuid");
    RESOLVE(asic_info, "amdsmi_get_gpu_asic_info");
    RESOLVE(power_info, "amdsmi_get_power_info");
    RESOLVE(sim_version, "ebsim_version");
    RESOLVE(sim_describe, "ebsim_describe");
    return 0;
}

/* The library's version, from a buffer larger than any layout of
 * amdsmi_version_t: year and major first in the layouts we know; the build
 * string (at 16 in every layout seen) names it either way. */
static int version_known(amdsmi *a, char *why, size_t len)
{
    union {
        amdsmi_version_t v;
        unsigned char raw[128];
    } u;
    memset(&u, 0, sizeof u);
    if (a->f.version(&u.v) != AMDSMI_STATUS_SUCCESS) {
        snprintf(why, len, "amdsmi_get_lib_version failed: its ABI cannot be checked; not used");
        return 0;
    }
    if (u.v.year == EB_AMDSMI_YEAR && u.v.major >= EB_AMDSMI_MAJOR_MIN &&
        u.v.major <= EB_AMDSMI_MAJOR_MAX) {
        a->major = u.v.major;
        return 1;
    }
    snprintf(why, len,
             "libamd_smi.so is version %u.%u.%u%s%.60s%s, an ABI this ebench was not checked "
             "against (it knows %d.%d to %d.%d): not used; the amdgpu hwmon measures the GPUs "
             "instead where it can",
             u.v.year, u.v.major, u.v.minor, u.v.build ? " (" : "", u.v.build ? u.v.build : "",
             u.v.build ? ")" : "", EB_AMDSMI_YEAR, EB_AMDSMI_MAJOR_MIN, EB_AMDSMI_YEAR,
             EB_AMDSMI_MAJOR_MAX);
    return 0;
}

static unsigned amd_list(void *priv, eb__probe_ctx *ctx, eb__gpu_info *info, unsigned max)
{
    amdsmi *a = priv;
    char why[EB__TEXT_LEN], st[160];
    amdsmi_status_t rc;

    if (load(a, why, sizeof why) < 0) {
        ctx->unavailable(ctx, "AMD SMI", "%s", why);
        return 0;
    }
    if (!version_known(a, why, sizeof why)) {
        ctx->unavailable(ctx, "AMD SMI", "%s", why);
        return 0;
    }
    if ((rc = a->f.init(AMDSMI_INIT_AMD_GPUS)) != AMDSMI_STATUS_SUCCESS) {
        int sim = a->f.sim_version != NULL;
        ctx->unavailable(ctx, "AMD SMI", "amdsmi_init failed: %s%s",
                         status_text(a, rc, st, sizeof st),
                         sim ? " (the simulated AMD SMI: set EBENCH_SIM_CONFIG to a scenario with "
                               "\"vendor\": \"amd\" GPUs; docs/SIMULATOR.md)"
                         : rc == AMDSMI_STATUS_DRIVER_NOT_LOADED
                             ? " (is the amdgpu kernel driver loaded? sudo modprobe amdgpu)"
                         : rc == AMDSMI_STATUS_NO_PERM ? " (check access to /dev/kfd and /dev/dri)"
                                                       : "");
        return 0;
    }
    a->inited = 1;
    uint32_t n_sockets = 0;
    amdsmi_socket_handle sockets[AMD_MAX];
    if ((rc = a->f.sockets(&n_sockets, NULL)) != AMDSMI_STATUS_SUCCESS) {
        ctx->unavailable(ctx, "AMD SMI", "amdsmi_get_socket_handles failed: %s",
                         status_text(a, rc, st, sizeof st));
        return 0;
    }
    if (n_sockets > AMD_MAX)
        n_sockets = AMD_MAX;
    if (n_sockets && a->f.sockets(&n_sockets, sockets) != AMDSMI_STATUS_SUCCESS)
        n_sockets = 0;
    for (uint32_t s = 0; s < n_sockets && a->n_gpu < AMD_MAX; s++) {
        amdsmi_processor_handle procs[AMD_MAX];
        uint32_t n_procs = AMD_MAX;
        if (a->f.processors(sockets[s], &n_procs, procs) != AMDSMI_STATUS_SUCCESS)
            continue;
        for (uint32_t p = 0; p < n_procs && p < AMD_MAX && a->n_gpu < AMD_MAX; p++) {
            int type = AMDSMI_PROCESSOR_TYPE_AMD_GPU;
            if (a->f.type && (a->f.type(procs[p], &type) != AMDSMI_STATUS_SUCCESS ||
                              type != AMDSMI_PROCESSOR_TYPE_AMD_GPU))
                continue;
            a->g[a->n_gpu].h = procs[p];
            a->g[a->n_gpu].oam = -1;
            a->n_gpu++;
        }
    }
    if (a->n_gpu == 0) {
        ctx->unavailable(ctx, "AMD SMI", "AMD SMI reports no GPU");
        return 0;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < a->n_gpu && k < max; i++, k++) {
        amd_gpu *g = &a->g[i];
        eb__gpu_info *o = &info[k];
        memset(o, 0, sizeof *o);
        o->vendor = EB__GPU_AMD;
        o->index = i; /* amd-smi's numbering: its enumeration order */
        amdsmi_bdf_t bdf;
        if (a->f.bdf(g->h, &bdf) == AMDSMI_STATUS_SUCCESS)
            snprintf(o->pci, sizeof o->pci, "%04llx:%02x:%02x.%x",
                     (unsigned long long)bdf.f.domain_number, (unsigned)bdf.f.bus_number,
                     (unsigned)bdf.f.device_number, (unsigned)bdf.f.function_number);
        unsigned len = sizeof o->uuid;
        if (!a->f.uuid || a->f.uuid(g->h, &len, o->uuid) != AMDSMI_STATUS_SUCCESS)
            o->uuid[0] = '\0';
        o->uuid[sizeof o->uuid - 1] = '\0';
        o->minor = o->pci[0] ? eb__drm_card(ctx->sysfs_root, o->pci) : -1;
        /* the market name and the package (OAM id), as this version lays them out */
        unsigned char buf[EB_AMDSMI_ASIC_INFO_MAX];
        memset(buf, 0, sizeof buf);
        snprintf(g->market, sizeof g->market, "AMD GPU");
        if (a->f.asic_info && a->f.asic_info(g->h, buf) == AMDSMI_STATUS_SUCCESS) {
            size_t name_len = a->major >= 6 ? 256 : 64;
            buf[name_len - 1] = '\0';
            if (buf[0])
                snprintf(g->market, sizeof g->market, "%.95s", (const char *)buf);
            if (a->major >= 7) {
                uint32_t oam;
                memcpy(&oam, buf + offsetof(eb_amdsmi_asic_info_24_7, oam_id), sizeof oam);
                g->oam = oam == 0xffffffffu ? -1 : (long)oam;
            } else {
                uint16_t oam;
                memcpy(&oam,
                       buf + (a->major == 6 ? offsetof(eb_amdsmi_asic_info_24_6, oam_id)
                                            : offsetof(eb_amdsmi_asic_info_24_1, oam_id)),
                       sizeof oam);
                g->oam = oam == 0xffffu ? -1 : (long)oam;
            }
        }
    }
    a->n_gpu = k;
    return k;
}

/* The most dies one package holds (an MI300X in CPX mode: 8 partitions);
 * a library that puts more under one OAM id is not telling packages apart. */
#define PACKAGE_MAX 8

/* Dies of GPU i's package (same OAM id), in order; returns how many (1: it
 * is alone, or the OAM ids do not tell packages apart). */
static unsigned package_of(const amdsmi *a, unsigned i, unsigned *dies)
{
    unsigned n = 0;
    for (unsigned j = 0; j < a->n_gpu; j++)
        if (j == i || (a->g[i].oam >= 0 && a->g[j].oam == a->g[i].oam))
            dies[n++] = j;
    if (n > PACKAGE_MAX) {
        dies[0] = i;
        n = 1;
    }
    return n;
}

/* Socket power from amdsmi_power_info_t, W: the average, else the current
 * one; NaN if neither (AMD SMI marks one it lacks with 0xFFFF or all ones). */
static double socket_power(const amdsmi_power_info_t *p)
{
    uint32_t v[2] = {p->average_socket_power, p->current_socket_power};
    for (int i = 0; i < 2; i++)
        if (v[i] != 0xffffu && v[i] != 0xffffffffu && v[i] < 100000u)
            return v[i];
    return NAN;
}

static void probe_gpu(amdsmi *a, eb__probe_ctx *ctx, unsigned k)
{
    const eb__gpu_info *info = &ctx->gpu_info[k];
    eb__gpu_choice *choice = &ctx->gpu_choice[k];
    unsigned dies[AMD_MAX];
    unsigned n_dies = package_of(a, k, dies);
    eb__domain_desc d;
    char st[160], st2[160], shares[160] = "";

    /* a package of several dies is one domain: the first selected die's */
    for (unsigned j = 0; j < n_dies; j++)
        if (dies[j] < k && ctx->gpu_choice[dies[j]].selected) {
            char what[32];
            int ok = ctx->gpu_choice[dies[j]].measured;
            snprintf(what, sizeof what, "amd%u", info->index);
            ctx->unavailable(ctx, what,
                             ok ? "measured with amd%u: the two are one package (OAM %ld) with "
                                  "one power sensor"
                                : "not measured: its package's sensor, on amd%u (OAM %ld), "
                                  "cannot be read",
                             ctx->gpu_info[dies[j]].index, a->g[k].oam);
            choice->measured = ok;
            return;
        }
    memset(&d, 0, sizeof d);
    eb__gpu_desc(&d, info, choice);
    snprintf(d.name, sizeof d.name, "%.63s", a->g[k].market);
    d.simulated = a->f.sim_version != NULL;
    d.in_total = 1;
    /* +-5%: AMD publishes no accuracy for it; the same round figure as NVIDIA's */
    d.uncertainty_rel = 0.05;
    amdsmi_processor_handle h = a->g[dies[0]].h; /* the die with the package's sensor */
    if (n_dies > 1) {
        size_t used = 0;
        for (unsigned j = 0; j < n_dies; j++)
            if (used < sizeof shares)
                used += (size_t)snprintf(shares + used, sizeof shares - used, "%samd%u",
                                         j ? (j + 1 == n_dies ? " and " : ", ") : "",
                                         ctx->gpu_info[dies[j]].index);
        snprintf(d.scope, sizeof d.scope, "package");
    }
    uint64_t acc, ts;
    float res = 0;
    amdsmi_status_t rc = a->f.energy(h, &acc, &res, &ts);
    dom *m = &a->d[a->n];
    m->h = h;
    size_t used = 0;
    if (d.simulated) {
        char timing[256] = "";
        if (a->f.sim_describe)
            a->f.sim_describe(info->index, timing, sizeof timing);
        used = (size_t)snprintf(d.note, sizeof d.note,
                                "SIMULATED GPU (ebench-sim), not a measurement%s%s",
                                timing[0] ? "; " : "", timing);
    }
    if (rc == AMDSMI_STATUS_SUCCESS && res > 0) {
        m->source = SRC_ENERGY;
        d.method = EB_METHOD_COUNTER;
        d.counter_unit_j = res * 1e-6;
        d.counter_range = 0; /* a 64-bit accumulator: going back is a reset */
        d.counter_holds = 1; /* it moves in steps: tracked as NVML's counter */
        d.update_period_s = 0.1;
        snprintf(d.readings, sizeof d.readings, "energy accumulator");
    } else {
        amdsmi_power_info_t p;
        memset(&p, 0, sizeof p);
        amdsmi_status_t prc =
            a->f.power_info ? a->f.power_info(h, &p) : AMDSMI_STATUS_NOT_SUPPORTED;
        if (prc != AMDSMI_STATUS_SUCCESS || isnan(socket_power(&p))) {
            ctx->unavailable(ctx, d.id,
                             "neither the energy counter (%s) nor the socket power (%s) can be "
                             "read",
                             status_text(a, rc, st, sizeof st),
                             prc != AMDSMI_STATUS_SUCCESS ? status_text(a, prc, st2, sizeof st2)
                                                          : "not available");
            return;
        }
        m->source = SRC_POWER;
        d.method = EB_METHOD_POWER;
        d.update_period_s = 1e-3;
        snprintf(d.readings, sizeof d.readings, "socket power");
    }
    used += (size_t)snprintf(
        d.note + used, sizeof d.note - used, "%s%s; accuracy not published by AMD (+-5%% assumed)",
        used ? "; " : "",
        m->source == SRC_ENERGY ? "energy accumulator (amdsmi_get_energy_count)"
                                : "socket power (amdsmi_get_power_info; the energy counter "
                                  "cannot be read)");
    if (n_dies > 1 && used < sizeof d.note)
        used += (size_t)snprintf(d.note + used, sizeof d.note - used,
                                 "; one package of %s (OAM %ld): its dies share one power sensor, "
                                 "read on amd%u (the others report 0 W), so the package is "
                                 "measured whole",
                                 shares, a->g[k].oam, ctx->gpu_info[dies[0]].index);
    if (used < sizeof d.note)
        snprintf(d.note + used, sizeof d.note - used, "; selected: %s", choice->rule);
    snprintf(d.location, sizeof d.location, "amd-smi index %u, PCI %s", info->index,
             info->pci[0] ? info->pci : "?");
    /* the power limit: a counter that leaps past what it allows was reset */
    amdsmi_power_info_t lim;
    memset(&lim, 0, sizeof lim);
    if (a->f.power_info && a->f.power_info(h, &lim) == AMDSMI_STATUS_SUCCESS &&
        lim.power_limit > 0 && lim.power_limit != 0xffffu && lim.power_limit < 100000)
        d.max_power_w = lim.power_limit;
    if (ctx->add_domain(ctx, &d, a->n) >= 0) {
        a->n++;
        for (unsigned j = 0; j < n_dies; j++)
            if (ctx->gpu_choice[dies[j]].selected)
                ctx->gpu_choice[dies[j]].measured = 1;
    }
}

static void amd_probe(void *priv, eb__probe_ctx *ctx)
{
    amdsmi *a = priv;
    for (unsigned k = 0; k < ctx->n_gpu && k < a->n_gpu && a->n < EB_MAX_DOMAINS; k++)
        if (ctx->gpu_choice[k].selected)
            probe_gpu(a, ctx, k);
}

static int failed(amdsmi_status_t rc)
{
    return rc == AMDSMI_STATUS_NOT_FOUND || rc == AMDSMI_STATUS_DRIVER_NOT_LOADED ? EB__READ_LOST
                                                                                  : EB__READ_BAD;
}

static int amd_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    amdsmi *a = priv;
    dom *m = &a->d[local];
    amdsmi_status_t rc;
    if (m->source == SRC_ENERGY) {
        uint64_t acc, ts;
        float res;
        rc = a->f.energy(m->h, &acc, &res, &ts);
        out->counter = acc;
    } else {
        amdsmi_power_info_t p;
        memset(&p, 0, sizeof p);
        rc = a->f.power_info(m->h, &p);
        out->power_w = socket_power(&p);
        if (rc == AMDSMI_STATUS_SUCCESS && isnan(out->power_w)) {
            snprintf(why, why_len, "the socket power is not available");
            return EB__READ_BAD;
        }
    }
    if (rc != AMDSMI_STATUS_SUCCESS) {
        status_text(a, rc, why, why_len);
        return failed(rc);
    }
    return 0;
}

static int amd_read_counter(void *priv, size_t local, unsigned long long *out)
{
    amdsmi *a = priv;
    dom *m = &a->d[local];
    uint64_t acc, ts;
    float res;
    if (m->source != SRC_ENERGY)
        return EB__READ_BAD;
    amdsmi_status_t rc = a->f.energy(m->h, &acc, &res, &ts);
    if (rc != AMDSMI_STATUS_SUCCESS)
        return failed(rc);
    *out = acc;
    return 0;
}

static void amd_close(void *priv)
{
    amdsmi *a = priv;
    if (a->inited)
        a->f.shut_down();
    if (a->lib)
        dlclose(a->lib);
    memset(a, 0, sizeof *a);
}

const eb__source_ops eb__amdsmi_ops = {
    .name = "amdsmi",
    .flag = EB_SOURCE_AMDSMI,
    .priv_size = sizeof(amdsmi),
    .probe = amd_probe,
    .gpu_list = amd_list,
    .read = amd_read,
    .read_counter = amd_read_counter,
    .close = amd_close,
};
