/*
 * cpumodel.c - the last resort for CPUs: where no CPU energy counter can be
 * read, estimate power as idle + (TDP - idle) x (busy share of all CPUs since
 * the last read, from <procfs>/stat). A machine at rest draws its idle
 * power, not 0 W; `ebench run` charges a command only its share (by CPU
 * time) of the energy above that (the report's "attribution"), so one that
 * only waits is charged almost nothing. A model, not a measurement: method "model", and
 * every output says so with its two assumptions. It ignores turbo, the
 * workload's mix and the memory system: an order of magnitude.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util/procstat.h"
#include "source.h"

typedef struct cpumodel {
    char path[4096];
    double tdp_w, idle_w;
    unsigned long long busy, total; /* jiffies at the last read */
    double last_power_w;
    int fd; /* <procfs>/stat kept open; -1: opened at each read */
} cpumodel;

static void cpumodel_probe(void *priv, eb__probe_ctx *ctx)
{
    cpumodel *m = priv;
    char why[EB__TEXT_LEN];
    eb__domain_desc d;

    m->fd = -1; /* close() follows every probe */
    if (ctx->cpu_domains > 0) {
        ctx->unavailable(ctx, "cpumodel", "not used: CPU energy is measured by a sensor");
        return;
    }
    if (eb__pathf(m->path, sizeof m->path, "%s/stat", ctx->procfs_root) < 0) {
        ctx->unavailable(ctx, "cpumodel", "procfs root path is too long");
        return;
    }
    if (eb__procstat_read(m->path, &m->busy, &m->total, why, sizeof why) < 0) {
        ctx->unavailable(ctx, "cpumodel", "%s", why);
        return;
    }
    m->fd = open(m->path, O_RDONLY | O_CLOEXEC); /* -1: opened at each read, as before */
    m->tdp_w = ctx->cpu_tdp_w;
    m->idle_w = ctx->cpu_idle_w;
    m->last_power_w = m->idle_w;

    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "cpu");
    snprintf(d.kind, sizeof d.kind, "cpu");
    snprintf(d.vendor, sizeof d.vendor, "%s", eb__cpu_vendor(ctx->procfs_root));
    snprintf(d.name, sizeof d.name, "all CPUs (model)");
    snprintf(d.location, sizeof d.location, "cpumodel %.200s", m->path);
    snprintf(d.note, sizeof d.note,
             "estimate, not a measurement: idle %g W%s + CPU utilization x (TDP %g W%s - idle)",
             m->idle_w, ctx->cpu_idle_given ? "" : " (default: a fifth of TDP; set --cpu-idle W)",
             m->tdp_w, ctx->cpu_tdp_given ? "" : " (default; set --cpu-tdp W)");
    d.method = EB_METHOD_MODEL;
    d.model_idle_w = m->idle_w;
    d.update_period_s = 0.01; /* /proc/stat counts in USER_HZ = 100 ticks/s */
    d.in_total = 1;
    d.power_is_interval_mean = 1;
    /* +-50%: two assumed powers and a straight line between them ignore
     * frequency and the workload's mix; an order of magnitude, said to be one. */
    d.uncertainty_rel = 0.5;
    if (ctx->add_domain(ctx, &d, 0) >= 0)
        ctx->cpu_domains++;
}

static int cpumodel_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    cpumodel *m = priv;
    unsigned long long busy, total;
    (void)local;

    if ((m->fd >= 0 ? eb__procstat_read_fd(m->fd, m->path, &busy, &total, why, why_len)
                    : eb__procstat_read(m->path, &busy, &total, why, why_len)) < 0)
        return -1;
    if (total < m->total) {
        snprintf(why, why_len, "%s went backwards", m->path);
        m->busy = busy;
        m->total = total;
        return -1;
    }
    /* Reads closer together than a jiffy see no change: keep the last power. */
    if (total > m->total) {
        /* iowait may step back on Linux, so busy can too: clamp at 0. */
        double dbusy = busy > m->busy ? (double)(busy - m->busy) : 0.0;
        double util = dbusy / (double)(total - m->total);
        if (util > 1.0)
            util = 1.0;
        m->last_power_w = m->idle_w + util * (m->tdp_w - m->idle_w);
    }
    m->busy = busy;
    m->total = total;
    out->power_w = m->last_power_w;
    return 0;
}

static void cpumodel_close(void *priv)
{
    cpumodel *m = priv;
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

const eb__source_ops eb__cpumodel_ops = {
    .name = "cpumodel",
    .flag = EB_SOURCE_CPUMODEL,
    .priv_size = sizeof(cpumodel),
    .probe = cpumodel_probe,
    .read = cpumodel_read,
    .close = cpumodel_close,
};
