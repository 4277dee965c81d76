/*
 * helpers.h - fake sysfs/procfs trees and a hand-driven clock for the tests.
 * Each test builds its own tree in a fresh temporary folder.
 */
#ifndef EB_TEST_HELPERS_H
#define EB_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ebench.h"

typedef struct fake {
    char root[256];  /* the temporary folder */
    char sysfs[512]; /* root/sys */
    char procfs[512];
    double now; /* the clock the bench reads */
} fake;

static inline double fake_clock(void *ctx)
{
    return ((fake *)ctx)->now;
}

static inline void fake_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

/* Writes text to root/rel, creating folders. */
__attribute__((format(printf, 3, 4))) static inline void
fake_write(const char *root, const char *rel, const char *fmt, ...)
{
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    fake_mkdirs(dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
}

static inline void fake_init(fake *fk)
{
    memset(fk, 0, sizeof *fk);
    snprintf(fk->root, sizeof fk->root, "/tmp/ebench-test.XXXXXX");
    assert_non_null(mkdtemp(fk->root));
    chmod(fk->root, 0755); /* readable by the unprivileged child of the EACCES test */
    snprintf(fk->sysfs, sizeof fk->sysfs, "%s/sys", fk->root);
    snprintf(fk->procfs, sizeof fk->procfs, "%s/proc", fk->root);
    fake_mkdirs(fk->sysfs);
    fake_write(fk->procfs, "cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n");
    fake_write(fk->procfs, "stat", "cpu  100 0 100 800 0 0 0 0 0 0\n");
}

/* A RAPL zone: intel-rapl:N[:M] with its name, range and counter. */
static inline void fake_zone(fake *fk, const char *dir, const char *name,
                             unsigned long long range_uj, unsigned long long energy_uj)
{
    char rel[256];
    snprintf(rel, sizeof rel, "class/powercap/%s/name", dir);
    fake_write(fk->sysfs, rel, "%s\n", name);
    snprintf(rel, sizeof rel, "class/powercap/%s/max_energy_range_uj", dir);
    fake_write(fk->sysfs, rel, "%llu\n", range_uj);
    snprintf(rel, sizeof rel, "class/powercap/%s/energy_uj", dir);
    fake_write(fk->sysfs, rel, "%llu\n", energy_uj);
}

/* Sets a zone's counter (or any text) the way the kernel would present it. */
__attribute__((format(printf, 3, 4))) static inline void fake_set(fake *fk, const char *dir,
                                                                  const char *fmt, ...)
{
    char path[PATH_MAX], text[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/class/powercap/%s/energy_uj", fk->sysfs, dir);
    /* Rewrite in place: the bench keeps the file open and preads offset 0. */
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int fake_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void fake_free(fake *fk)
{
    nftw(fk->root, fake_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A manual bench's config on the fake tree, clock at fk->now. */
static inline void fake_config(fake *fk, unsigned sources, eb_config *cfg)
{
    eb_config_init(cfg);
    cfg->manual = 1;
    cfg->clock = fake_clock;
    cfg->clock_ctx = fk;
    cfg->sysfs_root = fk->sysfs;
    cfg->procfs_root = fk->procfs;
    /* GPUs only where a test asks: a real driver must not change results. */
    cfg->sources = sources ? sources : EB_SOURCE_POWERCAP | EB_SOURCE_CPUMODEL;
}

/* A manual bench on the fake tree, clock at fk->now. */
static inline eb_bench *fake_open(fake *fk, unsigned sources)
{
    eb_config cfg;
    eb_bench *b = NULL;
    fake_config(fk, sources, &cfg);
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    assert_non_null(b);
    return b;
}

/* A package and its DRAM whose counters the test moves with
 * fake_linear_advance(): the package at 10 W, the DRAM at 2 W since t = 0. */
static inline void fake_linear_zones(fake *fk)
{
    fake_init(fk);
    fake_zone(fk, "intel-rapl:0", "package-0", 1000000000000ull, 0);
    fake_zone(fk, "intel-rapl:0:0", "dram", 1000000000000ull, 0);
}

/* Moves the clock to t and both counters with it. */
static inline void fake_linear_advance(fake *fk, double t)
{
    fk->now = t;
    fake_set(fk, "intel-rapl:0", "%llu\n", (unsigned long long)llround(t * 10e6));
    fake_set(fk, "intel-rapl:0:0", "%llu\n", (unsigned long long)llround(t * 2e6));
}

/* Kernel-shaped hwmon and PCI trees (test_hwmon, test_amdsmi, test_prom,
 * test_cli): a link, a PCI function with its bus link, driver and DRM card,
 * a hwmonN under a parent with its class and device links, its files. */
static inline void fake_link(fake *fk, const char *target, const char *rel)
{
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fk->sysfs, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    fake_mkdirs(dir);
    assert_int_equal(symlink(target, path), 0);
}

/* A PCI function: devices/pci0000:00/<pci> with vendor, device and class,
 * bus/pci/devices/<pci> linking to it, its driver link and DRM card. */
static inline void fake_pci_fn(fake *fk, const char *pci, const char *vendor, const char *cls,
                               const char *driver, int card)
{
    char rel[512], target[512];
    snprintf(rel, sizeof rel, "devices/pci0000:00/%s/vendor", pci);
    fake_write(fk->sysfs, rel, "%s\n", vendor);
    snprintf(rel, sizeof rel, "devices/pci0000:00/%s/device", pci);
    fake_write(fk->sysfs, rel, "0x740c\n");
    snprintf(rel, sizeof rel, "devices/pci0000:00/%s/class", pci);
    fake_write(fk->sysfs, rel, "%s\n", cls);
    snprintf(rel, sizeof rel, "bus/pci/devices/%s", pci);
    snprintf(target, sizeof target, "../../../devices/pci0000:00/%s", pci);
    fake_link(fk, target, rel);
    if (driver) {
        snprintf(rel, sizeof rel, "bus/pci/drivers/%s/bind", driver);
        fake_write(fk->sysfs, rel, "\n");
        snprintf(rel, sizeof rel, "devices/pci0000:00/%s/driver", pci);
        snprintf(target, sizeof target, "../../../bus/pci/drivers/%s", driver);
        fake_link(fk, target, rel);
    }
    if (card >= 0) {
        snprintf(rel, sizeof rel, "devices/pci0000:00/%s/drm/card%d/dev", pci, card);
        fake_write(fk->sysfs, rel, "226:%d\n", card);
        snprintf(rel, sizeof rel, "class/drm/card%d", card);
        snprintf(target, sizeof target, "../../devices/pci0000:00/%s/drm/card%d", pci, card);
        fake_link(fk, target, rel);
    }
}

/* hwmonN under parent (relative to sys), with its name, the class link and
 * its device link, as the kernel makes them. */
static inline void fake_hwmon(fake *fk, int n, const char *parent, const char *name)
{
    char rel[512], target[512];
    snprintf(rel, sizeof rel, "%s/hwmon/hwmon%d/name", parent, n);
    fake_write(fk->sysfs, rel, "%s\n", name);
    snprintf(rel, sizeof rel, "class/hwmon/hwmon%d", n);
    snprintf(target, sizeof target, "../../%s/hwmon/hwmon%d", parent, n);
    fake_link(fk, target, rel);
    snprintf(rel, sizeof rel, "%s/hwmon/hwmon%d/device", parent, n);
    fake_link(fk, "../..", rel);
}

/* Writes hwmonN/file through the class link, as a driver presents it. */
__attribute__((format(printf, 4, 5))) static inline void fake_hw(fake *fk, int n, const char *file,
                                                                 const char *fmt, ...)
{
    char path[PATH_MAX], text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/class/hwmon/hwmon%d/%s", fk->sysfs, n, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Index of a domain by id, or -1. */
static inline int dom_index(eb_bench *b, const char *id)
{
    for (size_t i = 0; i < eb_domain_count(b); i++)
        if (strcmp(eb_domain_get(b, i)->id, id) == 0)
            return (int)i;
    return -1;
}

/* The reason recorded for an unavailable `what`, or NULL. */
static inline const char *unavailable_reason(eb_bench *b, const char *what)
{
    for (size_t i = 0; i < eb_unavailable_count(b); i++)
        if (strcmp(eb_unavailable_get(b, i)->what, what) == 0)
            return eb_unavailable_get(b, i)->reason;
    return NULL;
}

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                                               \
            fail_msg("%s = %.9g, expected %.9g (+- %g)", #a, a_, b_, (double)(tol));               \
    } while (0)

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay);                                                                    \
        if (!h_ || !strstr(h_, (needle)))                                                          \
            fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", (needle));                  \
    } while (0)

#endif
