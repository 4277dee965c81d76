/*
 * method.c - what turns joules into trustworthy figures: idle baselines,
 * work done, repetitions and their statistics.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/analysis.h"
#include "internal.h"

EB_EXPORT void eb_run_meta_init(eb_run_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->exit_status = -1;
    meta->elapsed_s = meta->user_s = meta->sys_s = NAN;
    meta->skip_s = meta->carbon_g_per_kwh = meta->pue = meta->price_per_kwh = meta->nodes = NAN;
}

EB_EXPORT int eb_region_carbon(const char *region, double *g_per_kwh, const char **source,
                               char *near, size_t near_len)
{
    char buf[256];
    if (!region || !g_per_kwh)
        return EB_EINVAL;
    const eb__region *r = eb__region_find(region, near ? near : buf, near ? near_len : sizeof buf);
    if (!r)
        return EB_EINVAL;
    *g_per_kwh = r->g_per_kwh;
    if (source)
        *source = eb__carbon_source;
    return EB_OK;
}

/* The last closed instance of a window; caller holds the lock. */
static eb__window *last_closed(eb_bench *b, const char *name)
{
    eb__window *w = b->closed_win.v;
    for (size_t i = b->closed_win.n; i > 0; i--)
        if (strcmp(w[i - 1].name, name) == 0)
            return &w[i - 1];
    return NULL;
}

EB_EXPORT int eb_set_idle_from_window(eb_bench *b, const char *window)
{
    eb_result r;
    if (!b || !window)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__window *w = last_closed(b, window);
    if (!w) {
        pthread_mutex_unlock(&b->lock);
        return eb__fail(b, EB_ENOTOPEN, "no closed window '%s' to take the idle baseline from",
                        window);
    }
    eb__result_locked(b, w->t0, w->t1, &r);
    for (size_t i = 0; i < b->n_dom; i++)
        b->dom[i].idle_power_w = r.domains[i].avg_power_w;
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}

EB_EXPORT int eb_set_idle_power(eb_bench *b, const char *domain_id, double power_w)
{
    if (!b || !domain_id || !(power_w >= 0) || isinf(power_w))
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->n_dom; i++) {
        if (strcmp(b->dom[i].desc.id, domain_id) == 0) {
            b->dom[i].idle_power_w = power_w;
            pthread_mutex_unlock(&b->lock);
            return EB_OK;
        }
    }
    pthread_mutex_unlock(&b->lock);
    return eb__fail(b, EB_EINVAL, "no domain '%s' (ebench info lists them)", domain_id);
}

EB_EXPORT int eb_add_work(eb_bench *b, const char *window, double amount, const char *unit)
{
    if (!b || !window || !unit || !(amount >= 0) || isinf(amount) || !*unit ||
        strlen(unit) >= sizeof((eb__work *)0)->unit)
        return b ? eb__fail(b, EB_EINVAL, "work needs an amount >= 0 and a unit word") : EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__window *w = last_closed(b, window);
    int rc = EB_OK;
    if (!w) {
        rc = eb__fail(b, EB_ENOTOPEN, "no closed window '%s' to add work to", window);
    } else if (!w->work && !(w->work = calloc(EB_MAX_WORK, sizeof *w->work))) {
        rc = eb__fail(b, EB_ENOMEM, "no memory for work");
    } else {
        size_t k = 0;
        while (k < w->n_work && strcmp(w->work[k].unit, unit) != 0)
            k++;
        if (k == EB_MAX_WORK) {
            rc = eb__fail(b, EB_ETOOMANY, "at most %d work units per window", EB_MAX_WORK);
        } else {
            if (k == w->n_work) {
                snprintf(w->work[k].unit, sizeof w->work[k].unit, "%s", unit);
                w->work[k].amount = 0;
                w->n_work++;
            }
            w->work[k].amount += amount;
        }
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int eb__window_stats_locked(eb_bench *b, const char *window, eb_stats *out)
{
    const eb__window *w = b->closed_win.v;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < b->closed_win.n; i++)
        n += strcmp(w[i].name, window) == 0;
    out->n = n;
    if (n == 0)
        return eb__fail(b, EB_ENOTOPEN, "no closed window '%s'", window);
    double *dur = malloc(n * sizeof *dur), *tot = malloc(n * sizeof *tot),
           *dom = malloc(n * (b->n_dom + 1) * sizeof *dom);
    if (!dur || !tot || !dom) {
        free(dur);
        free(tot);
        free(dom);
        return eb__fail(b, EB_ENOMEM, "no memory for statistics");
    }
    for (size_t i = 0, k = 0; i < b->closed_win.n; i++) {
        if (strcmp(w[i].name, window) != 0)
            continue;
        eb_result r;
        eb__result_locked(b, w[i].t0, w[i].t1, &r);
        dur[k] = r.duration_s;
        tot[k] = r.total_energy_j;
        for (size_t d = 0; d < b->n_dom; d++)
            dom[d * n + k] = r.domains[d].energy_j;
        k++;
    }
    eb__stat(dur, n, &out->duration_s);
    eb__stat(tot, n, &out->total_energy_j);
    for (size_t d = 0; d < b->n_dom; d++)
        eb__stat(dom + d * n, n, &out->energy_j[d]);
    out->n_outliers = eb__outliers(tot, n, out->outliers, EB_MAX_OUTLIERS);
    free(dur);
    free(tot);
    free(dom);
    return EB_OK;
}

EB_EXPORT int eb_window_stats(eb_bench *b, const char *window, eb_stats *out)
{
    if (!b || !window || !out)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    int rc = eb__window_stats_locked(b, window, out);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

EB_EXPORT int eb_repeat(eb_bench *b, const char *name, void (*fn)(void *), void *arg, size_t n,
                        size_t warmup, eb_stats *out)
{
    char warm[256];
    int rc;
    if (!b || !name || !fn || n == 0 || strlen(name) > 200)
        return EB_EINVAL;
    snprintf(warm, sizeof warm, "%s (warmup)", name);
    for (size_t i = 0; i < warmup; i++)
        if ((rc = eb_measure(b, warm, fn, arg, NULL)) < 0)
            return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = eb_measure(b, name, fn, arg, NULL)) < 0)
            return rc;
    return out ? eb_window_stats(b, name, out) : EB_OK;
}
