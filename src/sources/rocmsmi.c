/*
 * rocmsmi.c - AMD GPUs through ROCm SMI (librocm_smi64.so.1), where AMD SMI
 * is not installed or was refused: loaded with dlopen, declarations in
 * rocmsmi_abi.h (checked against Debian's rocm_smi.h by
 * tests/check_rocmsmi_abi.c). Tried only where the amdgpu driver's compute
 * interface exists (<sysfs>/class/kfd) or EBENCH_ROCMSMI_LIBRARY names a
 * library: without a GPU, rsmi_init prints to standard error on its own.
 *
 * Energy per GPU: rsmi_dev_energy_count_get (accumulator x resolution uJ,
 * moving in steps: tracked like NVML's counter), else rsmi_dev_power_ave_get
 * (uW). ROCm SMI does not say which dies share a package (an MI250X's
 * second die reports 0 W here); AMD SMI does (amdsmi.c).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rocmsmi_abi.h"
#include "source.h"

#define RSMI_MAX 64

typedef struct fns {
    eb_rsmi_init_fn init;
    eb_rsmi_shut_down_fn shut_down;
    eb_rsmi_num_devices_fn num;
    eb_rsmi_pci_id_fn pci;
    /* optional */
    eb_rsmi_unique_id_fn unique_id;
    eb_rsmi_name_fn name;
    eb_rsmi_energy_count_fn energy;
    eb_rsmi_power_ave_fn power;
    eb_rsmi_status_string_fn status_string;
    const char *(*sim_version)(void);
    int (*sim_describe)(unsigned, char *, unsigned);
} fns;

typedef struct dom {
    uint32_t dv;
    int energy; /* 1: the accumulator; 0: average power */
} dom;

typedef struct rocmsmi {
    void *lib;
    fns f;
    int inited;
    uint32_t n_dev;
    dom d[EB_MAX_DOMAINS];
    size_t n;
} rocmsmi;

static const char *status_text(const rocmsmi *r, eb_rsmi_status s, char *buf, size_t len)
{
    const char *text = NULL;
    if (r->f.status_string && r->f.status_string(s, &text) == EB_RSMI_STATUS_SUCCESS && text)
        snprintf(buf, len, "%s", text);
    else
        snprintf(buf, len, "ROCm SMI status %u", s);
    return buf;
}

#define RESOLVE(field, name) (*(void **)&r->f.field = dlsym(r->lib, name))

static int load(rocmsmi *r, eb__probe_ctx *ctx, char *why, size_t len)
{
    const char *env = getenv("EBENCH_ROCMSMI_LIBRARY");
    char kfd[4096];
    if (env && *env) {
        r->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (!r->lib) {
            snprintf(why, len, "cannot load EBENCH_ROCMSMI_LIBRARY=%s: %s", env, dlerror());
            return -1;
        }
    } else {
        if (eb__pathf(kfd, sizeof kfd, "%s/class/kfd", ctx->sysfs_root) < 0 ||
            access(kfd, F_OK) != 0) {
            snprintf(why, len,
                     "not tried: no %.300s (the amdgpu driver's compute interface): no AMD GPU "
                     "driven here",
                     kfd);
            return -1;
        }
        r->lib = dlopen("librocm_smi64.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!r->lib)
            r->lib = dlopen("/opt/rocm/lib/librocm_smi64.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!r->lib) {
            snprintf(why, len,
                     "librocm_smi64.so.1 not found (ROCm SMI: ROCm, or Debian's "
                     "librocm-smi64-1)");
            return -1;
        }
    }
    static const char *const required[] = {"rsmi_init", "rsmi_shut_down",
                                           "rsmi_num_monitor_devices", "rsmi_dev_pci_id_get"};
    RESOLVE(init, required[0]);
    RESOLVE(shut_down, required[1]);
    RESOLVE(num, required[2]);
    RESOLVE(pci, required[3]);
    void *got[] = {(void *)r->f.init, (void *)r->f.shut_down, (void *)r->f.num, (void *)r->f.pci};
    for (size_t i = 0; i < sizeof got / sizeof *got; i++)
        if (!got[i]) {
            snprintf(why, len, "%s does not export %s (not ROCm SMI)",
                     env && *env ? env : "librocm_smi64.so.1", required[i]);
            dlclose(r->lib);
            r->lib = NULL;
            return -1;
        }
    RESOLVE(unique_id, "rsmi_dev_unique_id_get");
    RESOLVE(name, "rsmi_dev_name_get");
    RESOLVE(energy, "rsmi_dev_energy_count_get");
    RESOLVE(power, "rsmi_dev_power_ave_get");
    RESOLVE(status_string, "rsmi_status_string");
    RESOLVE(sim_version, "ebsim_version");
    RESOLVE(sim_describe, "ebsim_describe");
    return 0;
}

static unsigned rsmi_list(void *priv, eb__probe_ctx *ctx, eb__gpu_info *info, unsigned max)
{
    rocmsmi *r = priv;
    char why[EB__TEXT_LEN], st[160];
    eb_rsmi_status rc;
    if (load(r, ctx, why, sizeof why) < 0) {
        ctx->unavailable(ctx, "ROCm SMI", "%s", why);
        return 0;
    }
    if ((rc = r->f.init(0)) != EB_RSMI_STATUS_SUCCESS) {
        ctx->unavailable(ctx, "ROCm SMI", "rsmi_init failed: %s%s",
                         status_text(r, rc, st, sizeof st),
                         r->f.sim_version ? " (the simulated ROCm SMI: set EBENCH_SIM_CONFIG to a "
                                            "scenario with \"vendor\": \"amd\" GPUs)"
                         : rc == EB_RSMI_STATUS_PERMISSION ? " (check access to /dev/kfd)"
                                                           : "");
        return 0;
    }
    r->inited = 1;
    uint32_t n = 0;
    if ((rc = r->f.num(&n)) != EB_RSMI_STATUS_SUCCESS || n == 0) {
        ctx->unavailable(ctx, "ROCm SMI", "%s",
                         rc != EB_RSMI_STATUS_SUCCESS ? status_text(r, rc, st, sizeof st)
                                                      : "ROCm SMI reports no GPU");
        return 0;
    }
    if (n > RSMI_MAX)
        n = RSMI_MAX;
    if (n > max)
        n = max;
    r->n_dev = n;
    for (uint32_t i = 0; i < n; i++) {
        eb__gpu_info *g = &info[i];
        uint64_t bdf, uid;
        memset(g, 0, sizeof *g);
        g->vendor = EB__GPU_AMD;
        g->index = i; /* rocm-smi's numbering */
        g->minor = -1;
        if (r->f.pci(i, &bdf) == EB_RSMI_STATUS_SUCCESS) {
            /* domain [63:32], bus [15:8], device [7:3], function [2:0] */
            snprintf(g->pci, sizeof g->pci, "%04x:%02x:%02x.%x", (unsigned)(bdf >> 32),
                     (unsigned)(bdf >> 8) & 0xffu, (unsigned)(bdf >> 3) & 0x1fu,
                     (unsigned)bdf & 7u);
            g->minor = eb__drm_card(ctx->sysfs_root, g->pci);
        }
        if (r->f.unique_id && r->f.unique_id(i, &uid) == EB_RSMI_STATUS_SUCCESS)
            snprintf(g->uuid, sizeof g->uuid, "GPU-%016llx", (unsigned long long)uid);
    }
    return n;
}

static void probe_gpu(rocmsmi *r, eb__probe_ctx *ctx, unsigned k)
{
    const eb__gpu_info *info = &ctx->gpu_info[k];
    eb__gpu_choice *choice = &ctx->gpu_choice[k];
    eb__domain_desc d;
    char st[2][160];
    uint64_t acc, ts, uw;
    float res = 0;
    memset(&d, 0, sizeof d);
    eb__gpu_desc(&d, info, choice);
    if (!r->f.name || r->f.name(info->index, d.name, sizeof d.name) != EB_RSMI_STATUS_SUCCESS)
        snprintf(d.name, sizeof d.name, "AMD GPU");
    d.simulated = r->f.sim_version != NULL;
    d.in_total = 1;
    d.uncertainty_rel = 0.05; /* AMD publishes none: NVIDIA's round figure */
    dom *m = &r->d[r->n];
    m->dv = info->index;
    eb_rsmi_status rc =
        r->f.energy ? r->f.energy(m->dv, &acc, &res, &ts) : EB_RSMI_STATUS_NOT_SUPPORTED;
    size_t used = 0;
    if (d.simulated) {
        char timing[256] = "";
        if (r->f.sim_describe)
            r->f.sim_describe(info->index, timing, sizeof timing);
        used = (size_t)snprintf(d.note, sizeof d.note,
                                "SIMULATED GPU (ebench-sim), not a measurement%s%s",
                                timing[0] ? "; " : "", timing);
    }
    if (rc == EB_RSMI_STATUS_SUCCESS && res > 0) {
        m->energy = 1;
        d.method = EB_METHOD_COUNTER;
        d.counter_unit_j = res * 1e-6;
        d.counter_range = 0;
        d.counter_holds = 1;
        d.update_period_s = 0.1; /* nominal: the tracker learns the counter's own */
        snprintf(d.readings, sizeof d.readings, "energy accumulator");
    } else {
        eb_rsmi_status prc = r->f.power ? r->f.power(m->dv, 0, &uw) : EB_RSMI_STATUS_NOT_SUPPORTED;
        if (prc != EB_RSMI_STATUS_SUCCESS) {
            ctx->unavailable(ctx, d.id,
                             "neither the energy counter (%s) nor the average power (%s) can be "
                             "read",
                             status_text(r, rc, st[0], sizeof st[0]),
                             status_text(r, prc, st[1], sizeof st[1]));
            return;
        }
        d.method = EB_METHOD_POWER;
        d.update_period_s = 1e-3;
        snprintf(d.readings, sizeof d.readings, "average power");
    }
    if (used < sizeof d.note)
        used += (size_t)snprintf(
            d.note + used, sizeof d.note - used,
            "%sthrough ROCm SMI: %s; accuracy not published by AMD (+-5%% assumed)",
            used ? "; " : "",
            m->energy ? "energy accumulator" : "average power (the energy counter cannot be read)");
    if (used < sizeof d.note)
        snprintf(d.note + used, sizeof d.note - used, "; selected: %s", choice->rule);
    snprintf(d.location, sizeof d.location, "rocm-smi index %u, PCI %s", info->index,
             info->pci[0] ? info->pci : "?");
    if (ctx->add_domain(ctx, &d, r->n) >= 0) {
        r->n++;
        choice->measured = 1;
    }
}

static void rsmi_probe(void *priv, eb__probe_ctx *ctx)
{
    rocmsmi *r = priv;
    for (unsigned k = 0; k < ctx->n_gpu && k < r->n_dev && r->n < EB_MAX_DOMAINS; k++)
        if (ctx->gpu_choice[k].selected)
            probe_gpu(r, ctx, k);
}

static int failed(eb_rsmi_status rc)
{
    return rc == EB_RSMI_STATUS_NOT_FOUND ? EB__READ_LOST : EB__READ_BAD;
}

static int rsmi_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    rocmsmi *r = priv;
    dom *m = &r->d[local];
    eb_rsmi_status rc;
    if (m->energy) {
        uint64_t acc = 0, ts;
        float res;
        rc = r->f.energy(m->dv, &acc, &res, &ts);
        out->counter = acc;
    } else {
        uint64_t uw = 0;
        rc = r->f.power(m->dv, 0, &uw);
        out->power_w = (double)uw / 1e6;
    }
    if (rc != EB_RSMI_STATUS_SUCCESS) {
        status_text(r, rc, why, why_len);
        return failed(rc);
    }
    return 0;
}

static int rsmi_read_counter(void *priv, size_t local, unsigned long long *out)
{
    rocmsmi *r = priv;
    dom *m = &r->d[local];
    uint64_t acc, ts;
    float res;
    if (!m->energy)
        return EB__READ_BAD;
    eb_rsmi_status rc = r->f.energy(m->dv, &acc, &res, &ts);
    if (rc != EB_RSMI_STATUS_SUCCESS)
        return failed(rc);
    *out = acc;
    return 0;
}

static void rsmi_close(void *priv)
{
    rocmsmi *r = priv;
    if (r->inited)
        r->f.shut_down();
    if (r->lib)
        dlclose(r->lib);
    memset(r, 0, sizeof *r);
}

const eb__source_ops eb__rocmsmi_ops = {
    .name = "rocmsmi",
    .flag = EB_SOURCE_ROCMSMI,
    .priv_size = sizeof(rocmsmi),
    .probe = rsmi_probe,
    .gpu_list = rsmi_list,
    .read = rsmi_read,
    .read_counter = rsmi_read_counter,
    .close = rsmi_close,
};
