/*
 * hwmon.c - energy and power meters under <sysfs>/class/hwmon, recognised by
 * the name the driver gives its hwmon device and by each channel's label:
 *
 *   amdgpu       AMD GPUs: power1_average (the firmware's average), else
 *                power1_input; ids amdN (the GPU layer, gpu_select.c)
 *   xe, i915     Intel GPUs: energy1_input (uJ counter; xe labels its
 *                channels "card" and "pkg"), i915_gtN / xe_gtN: one per tile;
 *                ids intelN, intelN-pkg, intelN-tileM
 *   power_meter  ACPI power meters: NVIDIA Grace's (power1_oem_info
 *                "Module Power Socket 0", "Grace Power Socket 0", "CPU Power
 *                Socket 0", "SysIO Power Socket 0"), else a node meter
 *   amd_energy   AMD CPUs: Esocket counters (where RAPL's powercap is absent)
 *   ina3221      Jetson: rails (VDD_IN the module's input) as voltage x current
 *   anything else with energyN_input or powerN_input/average: shown, never in
 *                the total, with its name and label said.
 *
 * sysfs is read directly, not through libsensors: libsensors knows
 * temperatures and voltages by chip configuration, and it has neither the
 * energy channels' meaning (which channel is the card, which the module) nor
 * the device links (PCI bus id, DRM card) the GPU layer needs; each reading
 * here is one small file, opened per read so that a file that disappears
 * (card unplugged, driver reloaded) marks the domain lost.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"

#define HW_PATH 512
#define HW_MAX_DIRS 100000 /* a guard, not a limit a machine reaches */
#define HW_MAX_CARDS 32

enum { R_ENERGY, R_POWER, R_VI };

typedef struct chan {
    char path[HW_PATH];  /* energyN_input, powerN_average/input, inN_input */
    char path2[HW_PATH]; /* currN_input for voltage x current */
    int type;
} chan;

typedef struct card {
    char dir[HW_PATH]; /* the hwmon directory */
    char drv[16];      /* "amdgpu", "xe", "i915" */
    char pci[32];
    char product[64];
    int vendor; /* EB__GPU_* */
} card;

typedef struct hwmon {
    chan c[EB_MAX_DOMAINS];
    size_t n;
    card cards[HW_MAX_CARDS];
    unsigned n_cards;
    unsigned skipped; /* meters left out on purpose (another job's module) */
} hwmon;

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* A small attribute as text, trailing newline removed; -errno on failure. */
static int attr(const char *dir, const char *name, char *buf, size_t len)
{
    char path[HW_PATH + 64];
    if (eb__pathf(path, sizeof path, "%s/%s", dir, name) < 0)
        return -ENAMETOOLONG;
    int rc = eb__read_text(path, buf, len);
    if (rc == 0)
        chomp(buf);
    return rc;
}

static int exists(const char *dir, const char *name)
{
    char path[HW_PATH + 64];
    return eb__pathf(path, sizeof path, "%s/%s", dir, name) == 0 && access(path, F_OK) == 0;
}

static int hwmon_cmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    long i = strtol(x + 5, NULL, 10), j = strtol(y + 5, NULL, 10);
    return (i > j) - (i < j);
}

/* <sysfs>/class/hwmon/hwmonN, in numeric order, every one of them. Returns
 * how many (*out and each name malloc'ed: free_dirs), or -1 with the reason
 * said. */
static int list_dirs(eb__probe_ctx *ctx, const char *base, char ***names, int quiet)
{
    char **out = NULL;
    *names = NULL;
    DIR *dir = opendir(base);
    if (!dir) {
        if (!quiet && errno == ENOENT)
            ctx->unavailable(ctx, "hwmon",
                             "no %s: no hardware monitor here (amdgpu, xe, i915, "
                             "acpi_power_meter, amd_energy and ina3221 create them)",
                             base);
        else if (!quiet)
            ctx->unavailable(ctx, "hwmon", "cannot open %s: %s", base, strerror(errno));
        return -1;
    }
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < HW_MAX_DIRS) {
        size_t digits = strlen(e->d_name) > 5 ? strspn(e->d_name + 5, "0123456789") : 0;
        if (strncmp(e->d_name, "hwmon", 5) != 0 || !digits || e->d_name[5 + digits] || digits > 9)
            continue;
        if (n == cap) {
            char **more = realloc(out, (size_t)(cap = cap ? 2 * cap : 32) * sizeof *out);
            if (!more)
                break;
            out = more;
        }
        if ((out[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(dir);
    if (out)
        qsort(out, (size_t)n, sizeof *out, hwmon_cmp);
    *names = out;
    return n;
}

static void free_dirs(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The PCI bus id of a hwmon device's parent ("0000:c1:00.0"), "" if its
 * parent is not a PCI function. */
static void pci_of(const char *hw, char *pci, size_t len)
{
    char path[HW_PATH + 16], real[PATH_MAX];
    unsigned a, b, c, d;
    char end;
    pci[0] = '\0';
    if (eb__pathf(path, sizeof path, "%s/device", hw) < 0 || !realpath(path, real))
        return;
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    if (sscanf(base, "%x:%x:%x.%x%c", &a, &b, &c, &d, &end) == 4)
        snprintf(pci, len, "%.31s", base);
}

static int gpu_driver(const char *name)
{
    return strcmp(name, "amdgpu") == 0                            ? EB__GPU_AMD
           : strcmp(name, "xe") == 0 || strcmp(name, "i915") == 0 ? EB__GPU_INTEL
                                                                  : -1;
}

/* ---- the GPU layer's list ------------------------------------------------ */

static unsigned hwmon_list(void *priv, eb__probe_ctx *ctx, eb__gpu_info *info, unsigned max)
{
    hwmon *h = priv;
    char base[HW_PATH], **names;
    if (eb__pathf(base, sizeof base, "%s/class/hwmon", ctx->sysfs_root) < 0)
        return 0;
    int n = list_dirs(ctx, base, &names, 1);
    for (int i = 0; i < n; i++) {
        card c;
        char name[64];
        memset(&c, 0, sizeof c);
        if (eb__pathf(c.dir, sizeof c.dir, "%s/%s", base, names[i]) == 0 &&
            attr(c.dir, "name", name, sizeof name) == 0 && (c.vendor = gpu_driver(name)) >= 0 &&
            h->n_cards < HW_MAX_CARDS) {
            snprintf(c.drv, sizeof c.drv, "%.15s", name);
            pci_of(c.dir, c.pci, sizeof c.pci);
            h->cards[h->n_cards++] = c;
        }
    }
    free_dirs(names, n);
    /* each vendor's cards numbered in PCI bus order, as its runtime does,
     * and listed in that order */
    for (unsigned i = 1; i < h->n_cards; i++)
        for (unsigned j = i; j > 0; j--) {
            card *x = &h->cards[j - 1], *y = &h->cards[j];
            if (x->vendor < y->vendor || (x->vendor == y->vendor && strcmp(x->pci, y->pci) <= 0))
                break;
            card t = *x;
            *x = *y;
            *y = t;
        }
    unsigned k = 0;
    for (unsigned i = 0; i < h->n_cards && k < max; i++, k++) {
        card *c = &h->cards[i];
        eb__gpu_info *g = &info[k];
        memset(g, 0, sizeof *g);
        g->vendor = c->vendor;
        for (unsigned j = 0; j < i; j++) /* its place among the vendor's, sorted */
            g->index += h->cards[j].vendor == c->vendor;
        snprintf(g->pci, sizeof g->pci, "%s", c->pci);
        g->minor = c->pci[0] ? eb__drm_card(ctx->sysfs_root, c->pci) : -1;
        char uid[64];
        /* amdgpu's unique_id is what ROCm's UUIDs are made of: GPU-<id> */
        if (attr(c->dir, "device/unique_id", uid, sizeof uid) == 0 && uid[0])
            snprintf(g->uuid, sizeof g->uuid, "GPU-%.60s", uid);
        if (attr(c->dir, "device/product_name", c->product, sizeof c->product) < 0 ||
            !c->product[0]) {
            char dev[32] = "?";
            attr(c->dir, "device/device", dev, sizeof dev);
            snprintf(c->product, sizeof c->product, "%s GPU %.20s",
                     c->vendor == EB__GPU_AMD ? "AMD" : "Intel", dev);
        }
    }
    h->n_cards = k;
    return k;
}

/* ---- adding domains ------------------------------------------------------ */

/* A channel's files, whole or not at all. */
static int set_paths(chan *c, const char *path, const char *path2)
{
    size_t n = strlen(path), n2 = path2 ? strlen(path2) : 0;
    if (n >= sizeof c->path || n2 >= sizeof c->path2)
        return -1;
    memcpy(c->path, path, n + 1);
    memcpy(c->path2, path2 ? path2 : "", n2 + 1);
    return 0;
}

static int add(hwmon *h, eb__probe_ctx *ctx, eb__domain_desc *d, const char *path,
               const char *path2, int type)
{
    if (h->n >= EB_MAX_DOMAINS)
        return -1;
    chan *c = &h->c[h->n];
    if (set_paths(c, path, path2) < 0)
        return -1;
    c->type = type;
    if (type == R_ENERGY) {
        d->method = EB_METHOD_COUNTER;
        d->counter_unit_j = 1e-6;
        d->counter_range = 0; /* 64-bit microjoules: it does not wrap; going back is a reset */
    } else {
        d->method = EB_METHOD_POWER;
    }
    if (ctx->add_domain(ctx, d, h->n) < 0)
        return -1;
    h->n++;
    return 0;
}

/* Checks that a reading can be made now; returns 0 or -1 with the reason. */
static int read_chan(const chan *c, eb__reading *out, char *why, size_t len, int *lost);

static int try_read(eb__probe_ctx *ctx, const char *what, const char *path, const char *path2,
                    int type, eb__reading *r)
{
    chan c;
    char why[EB__TEXT_LEN];
    int lost;
    if (set_paths(&c, path, path2) < 0) {
        ctx->unavailable(ctx, what, "the path of %.200s is too long", path);
        return -1;
    }
    c.type = type;
    memset(r, 0, sizeof *r);
    if (read_chan(&c, r, why, sizeof why, &lost) < 0) {
        ctx->unavailable(ctx, what, "%s", why);
        return -1;
    }
    return 0;
}

static void gpu_card(hwmon *h, eb__probe_ctx *ctx, unsigned k)
{
    const card *c = &h->cards[k];
    const eb__gpu_info *g = &ctx->gpu_info[k];
    const eb__gpu_choice *ch = &ctx->gpu_choice[k];
    eb__domain_desc d;
    char path[HW_PATH + 32], file[32] = "", label[64];
    const char *hw = strrchr(c->dir, '/') + 1;
    eb__reading r;

    memset(&d, 0, sizeof d);
    eb__gpu_desc(&d, g, ch);
    snprintf(d.name, sizeof d.name, "%s", c->product);
    d.in_total = 1;
    if (c->vendor == EB__GPU_AMD) {
        /* the firmware's average first (what amd-smi and rocm-smi show),
         * else the instant reading newer kernels give */
        snprintf(file, sizeof file,
                 exists(c->dir, "power1_average") ? "power1_average"
                 : exists(c->dir, "power1_input") ? "power1_input"
                                                  : "");
        if (!file[0]) {
            ctx->unavailable(ctx, d.id,
                             "%s (amdgpu, PCI %s) has neither power1_average nor power1_input: "
                             "this GPU or kernel does not report power through hwmon; AMD SMI "
                             "(libamd_smi.so) may",
                             hw, c->pci);
            return;
        }
        eb__pathf(path, sizeof path, "%s/%s", c->dir, file);
        if (try_read(ctx, d.id, path, NULL, R_POWER, &r) < 0)
            return;
        d.update_period_s = 1e-3;
        /* AMD publishes no accuracy for it: the same round figure as NVIDIA's */
        d.uncertainty_rel = 0.05;
        snprintf(d.note, sizeof d.note,
                 "%s: %s; accuracy not published by AMD (+-5%% assumed)%s; selected: %.200s", file,
                 strcmp(file, "power1_average") == 0 ? "the GPU firmware's average power"
                                                     : "instant power",
                 r.power_w == 0 ? "; read 0 W at start: on an MI250X the second die (GCD) of "
                                  "a package reports 0 W and the first its package's power"
                                : "",
                 ch->rule);
        snprintf(d.location, sizeof d.location, "hwmon %s (amdgpu), PCI %s", hw, c->pci);
        snprintf(d.readings, sizeof d.readings, "%s", file);
        if (add(h, ctx, &d, path, NULL, R_POWER) == 0)
            ctx->gpu_choice[k].measured = 1;
        return;
    }
    /* Intel: the card's energy counter (xe labels it "card"), its package
     * channel a part of it */
    int card_ch = 0, pkg_ch = 0;
    for (int i = 1; i <= 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "energy%d_input", i);
        if (!exists(c->dir, name))
            continue;
        snprintf(name, sizeof name, "energy%d_label", i);
        if (attr(c->dir, name, label, sizeof label) < 0)
            label[0] = '\0';
        if (strcmp(label, "pkg") == 0)
            pkg_ch = pkg_ch ? pkg_ch : i;
        else if (!card_ch && (strcmp(label, "card") == 0 || !label[0]))
            card_ch = i;
    }
    if (!card_ch && pkg_ch) {
        card_ch = pkg_ch;
        pkg_ch = 0;
    }
    if (!card_ch) {
        ctx->unavailable(ctx, d.id,
                         "%s (%s, PCI %s) has no energy1_input: the %s driver reports GPU energy "
                         "from Linux 6.2 (i915, discrete cards) or 6.6 (xe)",
                         hw, c->drv, c->pci, c->drv);
        return;
    }
    eb__pathf(path, sizeof path, "%s/energy%d_input", c->dir, card_ch);
    if (try_read(ctx, d.id, path, NULL, R_ENERGY, &r) < 0)
        return;
    d.update_period_s = 1e-3;
    d.uncertainty_rel = 0.05;
    snprintf(d.location, sizeof d.location, "hwmon %s (%s), PCI %s, energy%d_input", hw, c->drv,
             c->pci, card_ch);
    snprintf(d.note, sizeof d.note,
             "energy counter of the whole card; accuracy not published by Intel (+-5%% "
             "assumed); selected: %s",
             ch->rule);
    char card_id[EB__ID_LEN];
    snprintf(card_id, sizeof card_id, "%s", d.id);
    /* no max_power_w: hwmon's power1_max is a sustained limit (PL1) that
     * bursts exceed; a leap past any plausible power is still a reset */
    if (add(h, ctx, &d, path, NULL, R_ENERGY) < 0)
        return;
    ctx->gpu_choice[k].measured = 1;
    if (pkg_ch) {
        eb__domain_desc p = d;
        snprintf(p.id, sizeof p.id, "%.20s-pkg", card_id);
        snprintf(p.kind, sizeof p.kind, "gpu-part");
        snprintf(p.part_of, sizeof p.part_of, "%s", card_id);
        p.in_total = 0;
        p.vendor_index = -1;
        snprintf(p.note, sizeof p.note, "the GPU package, a part of %s", card_id);
        eb__pathf(path, sizeof path, "%s/energy%d_input", c->dir, pkg_ch);
        snprintf(p.location, sizeof p.location, "hwmon %s (%s), PCI %s, energy%d_input", hw, c->drv,
                 c->pci, pkg_ch);
        if (try_read(ctx, p.id, path, NULL, R_ENERGY, &r) == 0)
            add(h, ctx, &p, path, NULL, R_ENERGY);
    }
}

/* Intel's per-tile hwmon devices (i915_gt0, xe_gt1 ...) beside the card's. */
static void intel_tile(hwmon *h, eb__probe_ctx *ctx, const char *dir, const char *name)
{
    char pci[32], path[HW_PATH + 32];
    const char *gt = strstr(name, "_gt");
    int tile = gt ? (int)strtol(gt + 3, NULL, 10) : 0;
    eb__reading r;
    pci_of(dir, pci, sizeof pci);
    for (unsigned k = 0; k < h->n_cards; k++) {
        if (h->cards[k].vendor != EB__GPU_INTEL || strcmp(h->cards[k].pci, pci) != 0 ||
            !ctx->gpu_choice[k].selected)
            continue;
        eb__domain_desc d;
        memset(&d, 0, sizeof d);
        eb__gpu_desc(&d, &ctx->gpu_info[k], &ctx->gpu_choice[k]);
        char card_id[EB__ID_LEN];
        snprintf(card_id, sizeof card_id, "%s", d.id);
        snprintf(d.id, sizeof d.id, "%.20s-tile%d", card_id, tile);
        snprintf(d.kind, sizeof d.kind, "gpu-part");
        snprintf(d.part_of, sizeof d.part_of, "%s", card_id);
        snprintf(d.name, sizeof d.name, "%.50s tile %d", h->cards[k].product, tile);
        d.vendor_index = -1;
        d.visible_var[0] = d.visible_entry[0] = '\0';
        d.update_period_s = 1e-3;
        d.uncertainty_rel = 0.05;
        snprintf(d.note, sizeof d.note, "one tile of %s", card_id);
        snprintf(d.location, sizeof d.location, "hwmon %s (%s), PCI %s", strrchr(dir, '/') + 1,
                 name, pci);
        eb__pathf(path, sizeof path, "%s/energy1_input", dir);
        if (exists(dir, "energy1_input") && try_read(ctx, d.id, path, NULL, R_ENERGY, &r) == 0)
            add(h, ctx, &d, path, NULL, R_ENERGY);
    }
}

/* Whether a domain of this id was added. */
static int has_domain(eb__probe_ctx *ctx, const char *id)
{
    for (size_t i = 0; i < ctx->n_domains(ctx); i++)
        if (strcmp(ctx->domain(ctx, i)->id, id) == 0)
            return 1;
    return 0;
}

/* The GH200 of socket N (a GH200's NVML reading covers its module):
 *   1: it is measured, as domain `id`;
 *   2: the node has GH200s, and this socket's is not this run's (not
 *      selected, or not visible to this process: another job's);
 *   0: no GH200 here (a Grace CPU superchip), or it could not be read. */
static int socket_gpu(eb__probe_ctx *ctx, int socket, char *id, size_t len)
{
    int any = 0;
    for (unsigned k = 0; k < ctx->n_all_gpu; k++) {
        const eb__gpu_info *g = &ctx->all_gpu_info[k];
        if (!g->module)
            continue;
        any = 1;
        if (g->socket != socket)
            continue;
        if (!ctx->all_gpu_choice[k].selected)
            return 2;
        char want[32], have[32];
        eb__pci_key(g->pci, want, sizeof want);
        for (size_t i = 0; want[0] && i < ctx->n_domains(ctx); i++) {
            const eb__domain_desc *d = ctx->domain(ctx, i);
            eb__pci_key(d->pci_bus_id, have, sizeof have);
            if (strcmp(d->scope, "module") == 0 && strcmp(want, have) == 0) {
                snprintf(id, len, "%s", d->id);
                return 1;
            }
        }
        return 0;
    }
    return any ? 2 : 0;
}

/* An ACPI power meter: NVIDIA Grace's by its OEM label, else the node's.
 * Pass 0 takes the module meters, 1 the Grace sockets, 2 the rest: the
 * later ones name the earlier ones as what they are parts of. */
static void power_meter(hwmon *h, eb__probe_ctx *ctx, const char *dir, const char *hw, int pass)
{
    char label[128] = "", kind[32] = "", path[HW_PATH + 32], text[32], why[128];
    int socket = 0;
    eb__domain_desc d;
    eb__reading r;
    unsigned long long ms;
    const char *file = exists(dir, "power1_average") ? "power1_average"
                       : exists(dir, "power1_input") ? "power1_input"
                                                     : NULL;
    if (!file)
        return;
    if (attr(dir, "power1_oem_info", label, sizeof label) < 0)
        attr(dir, "device/power1_oem_info", label, sizeof label);
    int grace =
        sscanf(label, "%31s Power Socket %d", kind, &socket) == 2 && socket >= 0 && socket < 1000;
    int want = grace && strcmp(kind, "Module") == 0  ? 0
               : grace && strcmp(kind, "Grace") == 0 ? 1
                                                     : 2;
    if (want != pass)
        return;
    memset(&d, 0, sizeof d);
    eb__pathf(path, sizeof path, "%s/%s", dir, file);
    snprintf(d.location, sizeof d.location, "hwmon %s (power_meter), %s", hw, file);
    d.update_period_s = 0.05;
    /* the averaging interval in ms, as the ACPI meter states it (1 ms - 60 s) */
    if (attr(dir, "power1_average_interval", text, sizeof text) == 0 &&
        eb__parse_u64(text, &ms, why, sizeof why) == 0 && ms >= 1 && ms <= 60000)
        d.sensor_window_s = d.update_period_s = (double)ms / 1e3;
    /* +-5%: NVIDIA states no accuracy for Grace's meters either */
    d.uncertainty_rel = 0.05;
    snprintf(d.name, sizeof d.name, "%.63s", label[0] ? label : "ACPI power meter");
    if (grace) {
        char gpu_id[EB__ID_LEN] = "", module_id[EB__ID_LEN], grace_id[EB__ID_LEN];
        int gpu = socket_gpu(ctx, socket, gpu_id, sizeof gpu_id);
        snprintf(d.vendor, sizeof d.vendor, "nvidia");
        snprintf(module_id, sizeof module_id, "module%d", socket);
        snprintf(grace_id, sizeof grace_id, "grace%d", socket);
        if (strcmp(kind, "Module") == 0) {
            snprintf(d.id, sizeof d.id, "%s", module_id);
            snprintf(d.kind, sizeof d.kind, "module");
        } else if (strcmp(kind, "Grace") == 0) {
            snprintf(d.id, sizeof d.id, "%s", grace_id);
            snprintf(d.kind, sizeof d.kind, "cpu");
        } else if (strcmp(kind, "CPU") == 0 || strcmp(kind, "SysIO") == 0) {
            snprintf(d.id, sizeof d.id, "grace%d-%s", socket,
                     strcmp(kind, "CPU") == 0 ? "cpu" : "sysio");
            snprintf(d.kind, sizeof d.kind, "cpu");
        } else {
            snprintf(d.id, sizeof d.id, "grace%d-%.12s", socket, kind);
            snprintf(d.kind, sizeof d.kind, "platform");
        }
        int is_module = strcmp(kind, "Module") == 0, is_grace = strcmp(kind, "Grace") == 0;
        if (gpu == 2 && is_module) {
            /* the module holds a GH200 that is not this run's */
            ctx->unavailable(ctx, d.id,
                             "not measured: the module of socket %d holds a GH200 that is not "
                             "this run's (not selected, or another job's); its Grace CPU is "
                             "measured on its own",
                             socket);
            h->skipped++;
            return;
        }
        /* what it is a part of: the GH200 reading that covers the module,
         * the module meter, or (CPU, SysIO) the Grace socket */
        const char *parent = gpu == 1                                               ? gpu_id
                             : gpu == 0 && !is_module && has_domain(ctx, module_id) ? module_id
                             : want == 2 && has_domain(ctx, grace_id)               ? grace_id
                                                                                    : "";
        if (strcmp(d.kind, "platform") == 0) {
            snprintf(d.note, sizeof d.note,
                     "Grace meter '%s' not recognised: shown, not added to the total", label);
        } else {
            snprintf(d.part_of, sizeof d.part_of, "%s", parent);
            d.in_total = !parent[0];
            snprintf(d.note, sizeof d.note, "%s%s%s%s%s",
                     is_module  ? "the whole superchip module (Grace CPU, its memory and any GPU "
                                  "on it)"
                     : is_grace ? "the Grace CPU socket with its memory"
                     : strcmp(kind, "CPU") == 0 ? "the Grace CPU cores' rail"
                                                : "the socket's I/O",
                     parent[0] ? "; a part of " : "", parent,
                     gpu == 1 ? ", whose NVML reading covers the module and is the one the total "
                                "counts"
                              : "",
                     gpu == 2 ? "; its module's GH200 is not this run's, so the socket is "
                                "measured on its own"
                              : "");
        }
    } else {
        snprintf(d.id, sizeof d.id, "node-meter");
        snprintf(d.kind, sizeof d.kind, "platform");
        snprintf(d.vendor, sizeof d.vendor, "unknown");
        snprintf(d.note, sizeof d.note,
                 "an ACPI power meter%s%s: it overlaps the other domains; not added to the total",
                 label[0] ? " labelled " : "", label);
    }
    if (try_read(ctx, d.id, path, NULL, R_POWER, &r) == 0 &&
        add(h, ctx, &d, path, NULL, R_POWER) == 0 &&
        (strcmp(d.kind, "module") == 0 || strcmp(d.kind, "cpu") == 0))
        ctx->cpu_domains++; /* the CPU is measured: no model on top */
}

/* amd_energy: the socket counters (per-core ones are parts of them, and
 * there can be hundreds: not added). Only where RAPL's powercap did not give
 * the CPU: it reads the same registers. */
static void amd_energy(hwmon *h, eb__probe_ctx *ctx, const char *dir, const char *hw)
{
    char label[64], name[32], path[HW_PATH + 32];
    eb__reading r;
    int cores = 0, sockets = 0;
    for (int i = 1; i <= 1024; i++) {
        snprintf(name, sizeof name, "energy%d_label", i);
        if (attr(dir, name, label, sizeof label) < 0)
            break;
        int socket;
        if (sscanf(label, "Esocket%d", &socket) != 1) {
            cores++;
            continue;
        }
        char what[EB__ID_LEN];
        sockets++;
        snprintf(what, sizeof what, "cpu%d-package", socket);
        if (ctx->cpu_domains > 0) {
            ctx->unavailable(ctx, what,
                             "amd_energy %s: not used: powercap's RAPL zones read the same "
                             "counters",
                             hw);
            continue;
        }
        eb__domain_desc d;
        memset(&d, 0, sizeof d);
        snprintf(d.id, sizeof d.id, "%s", what);
        snprintf(d.kind, sizeof d.kind, "cpu");
        snprintf(d.vendor, sizeof d.vendor, "amd");
        snprintf(d.name, sizeof d.name, "%s", label);
        snprintf(d.location, sizeof d.location, "hwmon %s (amd_energy), energy%d_input", hw, i);
        snprintf(d.note, sizeof d.note,
                 "AMD's RAPL socket counter through the amd_energy driver (+-5%%)");
        d.update_period_s = 1e-3;
        d.uncertainty_rel = 0.05;
        d.in_total = 1;
        eb__pathf(path, sizeof path, "%s/energy%d_input", dir, i);
        if (try_read(ctx, d.id, path, NULL, R_ENERGY, &r) == 0 &&
            add(h, ctx, &d, path, NULL, R_ENERGY) == 0)
            ctx->cpu_domains++;
    }
    if (cores && sockets)
        ctx->unavailable(ctx, "amd_energy",
                         "%s: its %d per-core counters are not added: parts of the socket "
                         "counters",
                         hw, cores);
}

/* Jetson's INA3221 rails: power = voltage x current. VDD_IN is the module's
 * input; the other rails are parts of it. */
/* Pass 0 adds VDD_IN (the module's input) from whichever INA3221 has it;
 * pass 1 the other rails, parts of VDD_IN where it was added. */
static void ina3221(hwmon *h, eb__probe_ctx *ctx, const char *dir, const char *hw, int pass)
{
    char label[64], name[32], path[HW_PATH + 32], path2[HW_PATH + 32];
    int has_in = has_domain(ctx, "vdd_in");
    for (int i = 1; i <= 3; i++) {
        snprintf(name, sizeof name, "in%d_label", i);
        if (attr(dir, name, label, sizeof label) < 0 || !label[0])
            continue;
        int is_in = strcmp(label, "VDD_IN") == 0;
        if (is_in != (pass == 0))
            continue; /* VDD_IN first: the others name it */
        snprintf(name, sizeof name, "in%d_input", i);
        eb__pathf(path, sizeof path, "%s/%s", dir, name);
        snprintf(name, sizeof name, "curr%d_input", i);
        eb__pathf(path2, sizeof path2, "%s/%s", dir, name);
        eb__domain_desc d;
        eb__reading r;
        memset(&d, 0, sizeof d);
        snprintf(d.id, sizeof d.id, "%.24s", label);
        for (char *p = d.id; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        snprintf(d.kind, sizeof d.kind, is_in ? "module" : "platform");
        snprintf(d.vendor, sizeof d.vendor, "nvidia");
        snprintf(d.name, sizeof d.name, "Jetson rail %.40s", label);
        snprintf(d.location, sizeof d.location, "hwmon %s (ina3221), channel %d", hw, i);
        d.update_period_s = 0.01;
        /* INA3221: 0.25% gain error at full scale, +-5% over the shunt's
         * tolerance and the conversion's averaging: a round figure */
        d.uncertainty_rel = 0.05;
        d.in_total = is_in || !has_in;
        if (!is_in && has_in)
            snprintf(d.part_of, sizeof d.part_of, "vdd_in");
        snprintf(d.note, sizeof d.note, "%s",
                 is_in    ? "the Jetson module's input power"
                 : has_in ? "a rail inside VDD_IN"
                          : "one rail (no VDD_IN channel)");
        if (try_read(ctx, d.id, path, path2, R_VI, &r) == 0 &&
            add(h, ctx, &d, path, path2, R_VI) == 0 && is_in)
            ctx->cpu_domains++; /* the module covers the CPU */
    }
}

/* Any other hwmon device with energy or power: shown, never in the total. */
static void other(hwmon *h, eb__probe_ctx *ctx, const char *dir, const char *hw, const char *name)
{
    static const char *const kinds[] = {"energy", "power"};
    for (int t = 0; t < 2; t++)
        for (int i = 0; i <= 8; i++) {
            char file[48], label[64] = "", path[HW_PATH + 48];
            snprintf(file, sizeof file, "%s%d_input", kinds[t], i);
            if (t == 1 && !exists(dir, file))
                snprintf(file, sizeof file, "power%d_average", i);
            if (!exists(dir, file))
                continue;
            char lfile[48];
            snprintf(lfile, sizeof lfile, "%s%d_label", kinds[t], i);
            attr(dir, lfile, label, sizeof label);
            eb__domain_desc d;
            eb__reading r;
            memset(&d, 0, sizeof d);
            snprintf(d.id, sizeof d.id, "%.12s-%.8s-%.6s%d", hw, name, kinds[t], i);
            snprintf(d.kind, sizeof d.kind, "platform");
            snprintf(d.vendor, sizeof d.vendor, "unknown");
            snprintf(d.name, sizeof d.name, "%.30s %.30s", name, label[0] ? label : file);
            snprintf(d.location, sizeof d.location, "hwmon %s (%s), %s", hw, name, file);
            snprintf(d.note, sizeof d.note,
                     "hwmon device '%s'%s%s is not one ebench recognises: shown, not added to "
                     "the total (what it covers is unknown)",
                     name, label[0] ? " label " : "", label);
            d.update_period_s = 0.1;
            d.uncertainty_rel = 0.1;
            eb__pathf(path, sizeof path, "%s/%s", dir, file);
            if (try_read(ctx, d.id, path, NULL, t == 0 ? R_ENERGY : R_POWER, &r) == 0)
                add(h, ctx, &d, path, NULL, t == 0 ? R_ENERGY : R_POWER);
        }
}

/* AMD and Intel display devices on the PCI bus that no hwmon device of
 * theirs measures: why, and the fix. */
static void missing_cards(hwmon *h, eb__probe_ctx *ctx)
{
    char base[HW_PATH];
    if (eb__pathf(base, sizeof base, "%s/bus/pci/devices", ctx->sysfs_root) < 0)
        return;
    DIR *dir = opendir(base);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char dev[HW_PATH + 300], vendor[16], cls[16], link[HW_PATH + 320], real[PATH_MAX];
        if (e->d_name[0] == '.' || eb__pathf(dev, sizeof dev, "%s/%.255s", base, e->d_name) < 0 ||
            attr(dev, "vendor", vendor, sizeof vendor) < 0 ||
            attr(dev, "class", cls, sizeof cls) < 0)
            continue;
        unsigned long c = strtoul(cls, NULL, 16);
        int v = strcmp(vendor, "0x1002") == 0   ? EB__GPU_AMD
                : strcmp(vendor, "0x8086") == 0 ? EB__GPU_INTEL
                                                : -1;
        /* display controllers: VGA (0x0300) and 3D (0x0302, MI-series) */
        if (v < 0 || ((c >> 8) != 0x0300 && (c >> 8) != 0x0302 && (c >> 8) != 0x0380))
            continue;
        /* one that a GPU source lists (measured, or said why not) is not missing */
        int found = 0;
        char key[32], other_key[32];
        eb__pci_key(e->d_name, key, sizeof key);
        for (unsigned k = 0; k < h->n_cards; k++)
            found |= strcmp(h->cards[k].pci, e->d_name) == 0;
        for (unsigned k = 0; key[0] && k < ctx->n_all_gpu && !found; k++) {
            eb__pci_key(ctx->all_gpu_info[k].pci, other_key, sizeof other_key);
            found = strcmp(key, other_key) == 0;
        }
        if (found)
            continue;
        const char *driver = NULL;
        if (eb__pathf(link, sizeof link, "%s/driver", dev) == 0 && realpath(link, real))
            driver = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
        char what[64];
        snprintf(what, sizeof what, "%s GPU %.40s", eb__gpu_vendors[v].display, e->d_name);
        if (!driver)
            ctx->unavailable(ctx, what,
                             "no driver is bound to it: load %s (sudo modprobe %s), then it "
                             "reports power through hwmon",
                             v == EB__GPU_AMD ? "amdgpu" : "xe or i915",
                             v == EB__GPU_AMD ? "amdgpu" : "xe");
        else if (v == EB__GPU_INTEL && strcmp(driver, "i915") == 0)
            ctx->unavailable(ctx, what,
                             "i915 gives it no hwmon device: an integrated GPU, whose energy is "
                             "in its CPU package's RAPL counter");
        else
            ctx->unavailable(
                ctx, what, "its driver (%s) gives it no hwmon device with power or energy", driver);
    }
    closedir(dir);
}

static void hwmon_probe(void *priv, eb__probe_ctx *ctx)
{
    hwmon *h = priv;
    char base[HW_PATH], **names;
    if (eb__pathf(base, sizeof base, "%s/class/hwmon", ctx->sysfs_root) < 0) {
        ctx->unavailable(ctx, "hwmon", "sysfs root path is too long");
        return;
    }
    unsigned handled = 0; /* cards measured here or by an earlier source */
    for (unsigned k = 0; k < ctx->n_gpu && k < h->n_cards; k++) {
        handled += ctx->gpu_info[k].covered || ctx->gpu_info[k].excluded;
        if (ctx->gpu_choice[k].selected && !ctx->gpu_info[k].covered)
            gpu_card(h, ctx, k);
    }
    int n = list_dirs(ctx, base, &names, 0);
    if (n < 0)
        return;
    /* Grace's module meters, then its sockets, which name them; a Jetson's
     * VDD_IN, which its rails on any INA3221 are parts of */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            char dir[HW_PATH], name[64];
            if (eb__pathf(dir, sizeof dir, "%s/%s", base, names[i]) < 0 ||
                attr(dir, "name", name, sizeof name) < 0)
                continue;
            if (strcmp(name, "power_meter") == 0)
                power_meter(h, ctx, dir, names[i], pass);
            if (pass == 0 && strcmp(name, "ina3221") == 0)
                ina3221(h, ctx, dir, names[i], 0);
        }
    for (int i = 0; i < n; i++) {
        char dir[HW_PATH], name[64];
        if (eb__pathf(dir, sizeof dir, "%s/%s", base, names[i]) < 0 ||
            attr(dir, "name", name, sizeof name) < 0)
            continue;
        if (gpu_driver(name) >= 0) {
            /* the cards: above */
        } else if ((strncmp(name, "i915_gt", 7) == 0 || strncmp(name, "xe_gt", 5) == 0)) {
            intel_tile(h, ctx, dir, name);
        } else if (strcmp(name, "power_meter") == 0) {
            power_meter(h, ctx, dir, names[i], 2);
        } else if (strcmp(name, "amd_energy") == 0) {
            amd_energy(h, ctx, dir, names[i]);
        } else if (strcmp(name, "ina3221") == 0) {
            ina3221(h, ctx, dir, names[i], 1);
        } else {
            other(h, ctx, dir, names[i], name);
        }
    }
    free_dirs(names, n);
    missing_cards(h, ctx);
    if (h->n == 0 && n > 0 && !handled && !h->skipped)
        ctx->unavailable(ctx, "hwmon",
                         "none of the %d hwmon devices in %s reports energy or power that "
                         "ebench can read",
                         n, base);
}

/* ---- reading -------------------------------------------------------------- */

static int read_num(const char *path, unsigned long long *v, char *why, size_t len, int *lost)
{
    char buf[64];
    int rc = eb__read_text(path, buf, sizeof buf);
    if (rc < 0) {
        *lost = rc == -ENOENT || rc == -ENODEV || rc == -ENXIO;
        if (rc == -EACCES || rc == -EPERM)
            snprintf(why, len,
                     "cannot read %.200s: permission denied (readable by root only; run as root "
                     "or grant read access: sudo chmod a+r %.200s)",
                     path, path);
        else
            snprintf(why, len, "cannot read %.300s: %.60s%s", path, strerror(-rc),
                     *lost ? " (the device is gone: unplugged, or its driver was reloaded)" : "");
        return -1;
    }
    if (eb__parse_u64(buf, v, why, len) < 0) {
        char inner[EB__TEXT_LEN];
        snprintf(inner, sizeof inner, "%s", why);
        snprintf(why, len, "%.300s: %.180s", path, inner);
        return -1;
    }
    return 0;
}

static int read_chan(const chan *c, eb__reading *out, char *why, size_t len, int *lost)
{
    unsigned long long a, b;
    *lost = 0;
    if (read_num(c->path, &a, why, len, lost) < 0)
        return -1;
    switch (c->type) {
    case R_ENERGY:
        out->counter = a;
        break;
    case R_POWER:
        out->power_w = (double)a / 1e6; /* microwatts */
        break;
    default:
        if (read_num(c->path2, &b, why, len, lost) < 0)
            return -1;
        out->power_w = (double)a * (double)b / 1e6; /* mV x mA */
        break;
    }
    return 0;
}

static int hwmon_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    hwmon *h = priv;
    int lost;
    if (local >= h->n)
        return EB__READ_BAD;
    if (read_chan(&h->c[local], out, why, why_len, &lost) < 0)
        return lost ? EB__READ_LOST : EB__READ_BAD;
    return 0;
}

static void hwmon_close(void *priv)
{
    hwmon *h = priv;
    h->n = 0;
    h->n_cards = 0;
}

const eb__source_ops eb__hwmon_ops = {
    .name = "hwmon",
    .flag = EB_SOURCE_HWMON,
    .priv_size = sizeof(hwmon),
    .probe = hwmon_probe,
    .gpu_list = hwmon_list,
    .read = hwmon_read,
    .close = hwmon_close,
};
