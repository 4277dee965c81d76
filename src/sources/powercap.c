/*
 * powercap.c - CPU package, core, uncore, DRAM and platform energy from the
 * Linux powercap RAPL driver: <sysfs>/class/powercap/intel-rapl:N[:M]/.
 *
 * Every energy_uj is opened once at probe and read with pread(fd, ..., 0) per
 * sample (as PAPI's linux-powercap component does). The counters wrap at
 * max_energy_range_uj; the timeline turns the raw values into a 64-bit total.
 * AMD Zen machines use the same driver and expose package and core only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"

#define POWERCAP_MAX_ZONES 64

typedef struct zone {
    char dir[64]; /* "intel-rapl:0:1" */
    int pkg, sub; /* 0 and 1 in the example; sub is -1 for a top-level zone */
} zone;

typedef struct powercap {
    int fd[EB_MAX_DOMAINS];
    unsigned long long range[EB_MAX_DOMAINS];
    size_t n;
} powercap;

static int zone_cmp(const void *a, const void *b)
{
    const zone *x = a, *y = b;
    if (x->pkg != y->pkg)
        return x->pkg < y->pkg ? -1 : 1;
    return (x->sub > y->sub) - (x->sub < y->sub);
}

/* "intel-rapl:3" or "intel-rapl:3:1"; anything else (intel-rapl-mmio, the
 * control type directory itself) is not a zone we read. */
static int parse_zone(const char *name, zone *z)
{
    int pkg, sub, used = 0;
    if (strlen(name) >= sizeof z->dir)
        return -1;
    if (sscanf(name, "intel-rapl:%d:%d%n", &pkg, &sub, &used) == 2 && name[used] == '\0') {
        z->pkg = pkg;
        z->sub = sub;
    } else if (sscanf(name, "intel-rapl:%d%n", &pkg, &used) == 1 && name[used] == '\0') {
        z->pkg = pkg;
        z->sub = -1;
    } else {
        return -1;
    }
    if (z->pkg < 0 || (z->sub < -1))
        return -1;
    strcpy(z->dir, name);
    return 0;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Fills the identity of a zone from its name and position. */
static void describe(const zone *z, const char *zname, const char *parent_id, const char *vendor,
                     eb__domain_desc *d)
{
    int socket = z->pkg;

    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", zname);
    snprintf(d->vendor, sizeof d->vendor, "%s", vendor);
    d->method = EB_METHOD_COUNTER;
    d->update_period_s = 1e-3; /* RAPL updates about every millisecond */
    d->counter_unit_j = 1e-6;
    /* +-5%: RAPL is a model-based estimate on older parts and measured on
     * newer ones; validations against wall-plug and DIMM power found it
     * within a few percent (Khan et al., "RAPL in Action", ACM TOMPECS 2018;
     * Desrochers et al., MEMSYS 2016). A conservative, round figure. */
    d->uncertainty_rel = 0.05;
    sscanf(zname, "package-%d", &socket);

    if (strcmp(zname, "psys") == 0) {
        snprintf(d->id, sizeof d->id, "psys");
        snprintf(d->kind, sizeof d->kind, "platform");
        snprintf(d->note, sizeof d->note,
                 "platform energy overlaps package and DRAM; not added to the total");
        d->in_total = 0;
    } else if (strcmp(zname, "dram") == 0) {
        /* DRAM is a subzone in sysfs but not a part of the package's energy. */
        snprintf(d->id, sizeof d->id, "cpu%d-dram", socket);
        snprintf(d->kind, sizeof d->kind, "dram");
        d->in_total = 1;
    } else if (z->sub < 0) {
        snprintf(d->id, sizeof d->id, "cpu%d-%.16s", socket,
                 strncmp(zname, "package", 7) == 0 ? "package" : zname);
        snprintf(d->kind, sizeof d->kind, "cpu");
        d->in_total = 1;
    } else {
        /* core (PP0) and uncore (PP1) are parts of their package. */
        snprintf(d->id, sizeof d->id, "cpu%d-%.16s", socket, zname);
        snprintf(d->kind, sizeof d->kind, "cpu");
        snprintf(d->part_of, sizeof d->part_of, "%s", parent_id);
        d->in_total = 0;
    }
}

static const char eacces_fix[] =
    "energy_uj is readable by root only (kernel >= 5.10, CVE-2020-8694); run as root "
    "or grant read access: sudo chmod a+r %s";

/* Opens and checks one zone; on success returns the fd and its range. */
static int open_zone(eb__probe_ctx *ctx, const char *base, const zone *z, unsigned long long *range,
                     char *zname, size_t zname_len)
{
    char path[4096], buf[128], why[EB__TEXT_LEN] = "";
    unsigned long long value;
    int rc, fd;

    eb__pathf(path, sizeof path, "%s/%s/name", base, z->dir);
    if ((rc = eb__read_text(path, zname, zname_len)) < 0) {
        ctx->unavailable(ctx, z->dir, "cannot read %s: %s", path, strerror(-rc));
        return -1;
    }
    chomp(zname);

    eb__pathf(path, sizeof path, "%s/%s/max_energy_range_uj", base, z->dir);
    if ((rc = eb__read_text(path, buf, sizeof buf)) < 0) {
        ctx->unavailable(ctx, z->dir,
                         "cannot read %s (%s): without the counter's range its wraps "
                         "cannot be corrected",
                         path, strerror(-rc));
        return -1;
    }
    if (eb__parse_u64(buf, range, why, sizeof why) < 0 || *range == 0) {
        ctx->unavailable(ctx, z->dir, "%s: %s", path, *range == 0 && !why[0] ? "range is 0" : why);
        return -1;
    }

    eb__pathf(path, sizeof path, "%s/%s/energy_uj", base, z->dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EACCES || errno == EPERM)
            ctx->unavailable(ctx, z->dir, eacces_fix, path);
        else
            ctx->unavailable(ctx, z->dir, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n < 0) {
        ctx->unavailable(ctx, z->dir, errno == EACCES ? eacces_fix : "cannot read %s", path);
        close(fd);
        return -1;
    }
    buf[n] = '\0';
    why[0] = '\0';
    if (eb__parse_u64(buf, &value, why, sizeof why) < 0 || value > *range) {
        if (!why[0])
            snprintf(why, sizeof why, "counter %llu is larger than its range %llu", value, *range);
        ctx->unavailable(ctx, z->dir, "%s: %s", path, why);
        close(fd);
        return -1;
    }
    return fd;
}

static int list_zones(eb__probe_ctx *ctx, const char *base, zone *zones, size_t *n)
{
    DIR *dir = opendir(base);
    if (!dir) {
        if (errno == ENOENT)
            ctx->unavailable(ctx, "powercap",
                             "no %s: the RAPL powercap driver is not loaded (modprobe "
                             "intel_rapl_msr) or this machine has no RAPL",
                             base);
        else
            ctx->unavailable(ctx, "powercap", "cannot open %s: %s", base, strerror(errno));
        return -1;
    }
    struct dirent *e;
    *n = 0;
    while ((e = readdir(dir)) != NULL && *n < POWERCAP_MAX_ZONES)
        if (parse_zone(e->d_name, &zones[*n]) == 0)
            (*n)++;
    closedir(dir);
    if (*n == 0) {
        ctx->unavailable(ctx, "powercap",
                         "%s has no intel-rapl:N zones (RAPL driver not loaded: modprobe "
                         "intel_rapl_msr)",
                         base);
        return -1;
    }
    qsort(zones, *n, sizeof *zones, zone_cmp);
    return 0;
}

static void powercap_probe(void *priv, eb__probe_ctx *ctx)
{
    powercap *pc = priv;
    char base[4096];
    zone zones[POWERCAP_MAX_ZONES];
    size_t nz;
    char parent_id[EB__ID_LEN] = "";
    int parent_pkg = -1;
    const char *vendor = eb__cpu_vendor(ctx->procfs_root);

    if (eb__pathf(base, sizeof base, "%s/class/powercap", ctx->sysfs_root) < 0) {
        ctx->unavailable(ctx, "powercap", "sysfs root path is too long");
        return;
    }
    if (list_zones(ctx, base, zones, &nz) < 0)
        return;

    for (size_t i = 0; i < nz && pc->n < EB_MAX_DOMAINS; i++) {
        char zname[64];
        unsigned long long range = 0;
        eb__domain_desc d;
        int fd = open_zone(ctx, base, &zones[i], &range, zname, sizeof zname);

        if (zones[i].sub < 0)
            parent_id[0] = '\0';
        if (fd < 0)
            continue;
        describe(&zones[i], zname, zones[i].pkg == parent_pkg && zones[i].sub >= 0 ? parent_id : "",
                 vendor, &d);
        snprintf(d.location, sizeof d.location, "powercap %.64s", zones[i].dir);
        d.counter_range = range;
        if (d.part_of[0] == '\0' && zones[i].sub >= 0 && d.in_total == 0)
            d.in_total = 1; /* a subzone whose package we could not read */
        if (ctx->add_domain(ctx, &d, pc->n) < 0) {
            close(fd);
            continue;
        }
        if (zones[i].sub < 0) {
            snprintf(parent_id, sizeof parent_id, "%s", d.id);
            parent_pkg = zones[i].pkg;
        }
        if (strcmp(d.kind, "cpu") == 0)
            ctx->cpu_domains++;
        pc->fd[pc->n] = fd;
        pc->range[pc->n] = range;
        pc->n++;
    }
}

static int powercap_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    powercap *pc = priv;
    char buf[64];
    ssize_t n = pread(pc->fd[local], buf, sizeof buf - 1, 0);

    if (n < 0) {
        snprintf(why, why_len, "read failed: %s", strerror(errno));
        return -1;
    }
    buf[n] = '\0';
    if (eb__parse_u64(buf, &out->counter, why, why_len) < 0)
        return -1;
    if (out->counter > pc->range[local]) {
        snprintf(why, why_len, "counter %llu is larger than its range %llu", out->counter,
                 pc->range[local]);
        return -1;
    }
    return 0;
}

static void powercap_close(void *priv)
{
    powercap *pc = priv;
    for (size_t i = 0; i < pc->n; i++)
        close(pc->fd[i]);
    pc->n = 0;
}

const eb__source_ops eb__powercap_ops = {
    .name = "powercap",
    .flag = EB_SOURCE_POWERCAP,
    .priv_size = sizeof(powercap),
    .probe = powercap_probe,
    .read = powercap_read,
    .close = powercap_close,
};
