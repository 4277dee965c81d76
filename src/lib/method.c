/*
 * method.c - what turns joules into trustworthy figures: idle baselines,
 * work done, repetitions and their statistics.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../analysis/analysis.h"
#include "internal.h"

EB_EXPORT void eb_run_meta_init_size(eb_run_meta *meta, size_t size)
{
    eb_run_meta m;
    memset(&m, 0, sizeof m);
    m.size = size;
    m.exit_status = -1;
    m.elapsed_s = m.user_s = m.sys_s = NAN;
    m.skip_s = m.carbon_g_per_kwh = m.pue = m.price_per_kwh = m.nodes = NAN;
    m.machine_cpu_s = NAN;
    /* a caller built against an older header gets the fields it knows */
    if (meta && size >= sizeof(size_t))
        memcpy(meta, &m, size < sizeof m ? size : sizeof m);
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
    eb__result r;
    if (!b || !window)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__window *w = last_closed(b, window);
    const eb__fold *f = eb__fold_find(&b->folded, b, window, 0);
    if (w) {
        eb__window_result_locked(b, w, &r);
    } else if (f && f->last_cached) { /* the last, no longer kept one by one */
        eb__fold_result(f->last, b, &r);
    } else {
        pthread_mutex_unlock(&b->lock);
        if (f && f->calls)
            return eb__fail(b, EB_ENOTOPEN,
                            "the last window '%s' is no longer kept (more than "
                            "eb_config.window_records closed since): take the baseline "
                            "right after it closes",
                            window);
        return eb__fail(b, EB_ENOTOPEN, "no closed window '%s' to take the idle baseline from",
                        window);
    }
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

int eb__work_add(eb__work *list, size_t *n, const char *unit, double amount)
{
    size_t k = 0;
    while (k < *n && strcmp(list[k].unit, unit) != 0)
        k++;
    if (k == EB_MAX_WORK)
        return -1;
    if (k == *n) {
        snprintf(list[k].unit, sizeof list[k].unit, "%s", unit);
        list[k].amount = 0;
        (*n)++;
    }
    list[k].amount += amount;
    return 0;
}

EB_EXPORT int eb_add_work(eb_bench *b, const char *window, double amount, const char *unit)
{
    if (!b || !window || !unit || !(amount >= 0) || isinf(amount) || !*unit ||
        strlen(unit) >= sizeof((eb__work *)0)->unit)
        return b ? eb__fail(b, EB_EINVAL, "work needs an amount >= 0 and a unit word") : EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    size_t *n_work = NULL;
    eb__work *work = eb__window_work_locked(b, window, &n_work);
    int rc = EB_OK;
    if (!work) {
        rc = eb__window_calls_locked(b, window) > 0
                 ? eb__fail(b, EB_ENOMEM, "no memory for work")
                 : eb__fail(b, EB_ENOTOPEN, "no closed window '%s' to add work to", window);
    } else if (eb__work_add(work, n_work, unit, amount) < 0) {
        rc = eb__fail(b, EB_ETOOMANY, "at most %d work units per window", EB_MAX_WORK);
    } else {
        eb__marker_send(b, 'W', window, amount, unit, NAN);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int eb__window_stats_locked(eb_bench *b, const char *window, eb__stats *out)
{
    const eb__window *w = b->closed_win.v;
    const eb__fold *f = eb__fold_find(&b->folded, b, window, 0);
    size_t kept = 0, pending = 0;
    memset(out, 0, sizeof *out);
    out->n_domains = b->n_dom;
    for (size_t i = 0; i < b->closed_win.n; i++) {
        if (strcmp(w[i].name, window) != 0)
            continue;
        kept++;
        pending += w[i].state == EB__WIN_PENDING;
    }
    out->n = eb__window_calls_locked(b, window);
    if (out->n == 0)
        return eb__fail(b, EB_ENOTOPEN, "no closed window '%s'", window);
    /* the kept instances' totals, for outliers; the figures of the pending */
    double *tot = malloc((kept + 1) * sizeof *tot), *dur = malloc((pending + 1) * sizeof *dur),
           *ptot = malloc((pending + 1) * sizeof *ptot),
           *dom = malloc((pending + 1) * (b->n_dom + 1) * sizeof *dom);
    if (!dur || !tot || !ptot || !dom) {
        free(dur);
        free(tot);
        free(ptot);
        free(dom);
        return eb__fail(b, EB_ENOMEM, "no memory for statistics");
    }
    for (size_t i = 0, k = 0, p = 0; i < b->closed_win.n; i++) {
        if (strcmp(w[i].name, window) != 0)
            continue;
        eb__result r;
        eb__window_result_locked(b, &w[i], &r);
        tot[k++] = r.total_energy_j;
        if (w[i].state != EB__WIN_PENDING)
            continue;
        dur[p] = r.duration_s;
        ptot[p] = r.total_energy_j;
        for (size_t d = 0; d < b->n_dom; d++)
            dom[d * pending + p] = r.domains[d].energy_j;
        p++;
    }
    eb__stat(dur, pending, &out->duration_s);
    eb__stat(ptot, pending, &out->total_energy_j);
    for (size_t d = 0; d < b->n_dom; d++)
        eb__stat(dom + d * pending, pending, &out->energy_j[d]);
    /* with the final ones: the totals, and the last apart */
    const eb__fold *parts[2] = {f, f && f->last_cached ? f->last : NULL};
    for (int k = 0; k < 2; k++) {
        if (!parts[k])
            continue;
        eb__stat_merge(&out->duration_s, &parts[k]->dur);
        eb__stat_merge(&out->total_energy_j, &parts[k]->tot);
        for (size_t d = 0; d < b->n_dom; d++)
            eb__stat_merge(&out->energy_j[d], &parts[k]->energy[d]);
    }
    /* outliers among the instances kept one by one, numbered from the first */
    out->n_outliers = eb__outliers(tot, kept, out->outliers, EB_MAX_OUTLIERS);
    for (size_t k = 0; f && k < out->n_outliers; k++)
        out->outliers[k] += f->evicted;
    free(dur);
    free(tot);
    free(ptot);
    free(dom);
    return EB_OK;
}

EB_EXPORT int eb_window_stats(eb_bench *b, const char *window, eb_stats *out)
{
    if (!b || !window || !out)
        return EB_EINVAL;
    int rc = eb__stats_check(b, out);
    if (rc < 0)
        return rc;
    eb__stats full;
    pthread_mutex_lock(&b->lock);
    rc = eb__window_stats_locked(b, window, &full);
    pthread_mutex_unlock(&b->lock);
    eb__stats_out(&full, out); /* n = 0 when there is no such window */
    return rc;
}

EB_EXPORT int eb_repeat(eb_bench *b, const char *name, void (*fn)(void *), void *arg, size_t n,
                        size_t warmup, eb_stats *out)
{
    char warm[256];
    int rc;
    if (!b || !name || !fn || n == 0 || strlen(name) > 200)
        return EB_EINVAL;
    if ((rc = eb__stats_check(b, out)) < 0)
        return rc;
    snprintf(warm, sizeof warm, "%s (warmup)", name);
    for (size_t i = 0; i < warmup; i++)
        if ((rc = eb_measure(b, warm, fn, arg, NULL)) < 0)
            return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = eb_measure(b, name, fn, arg, NULL)) < 0)
            return rc;
    return out ? eb_window_stats(b, name, out) : EB_OK;
}

EB_EXPORT void eb_repeat_opts_init_size(eb_repeat_opts *o, size_t size)
{
    eb_repeat_opts d;
    memset(&d, 0, sizeof d);
    d.size = size;
    d.min_seconds = 5.0;
    d.min_reps = 32;
    d.max_reps = 1000000;
    d.phase_shift = -1;
    /* a caller built against an older header gets the fields it knows */
    if (o && size >= sizeof(size_t))
        memcpy(o, &d, size < sizeof d ? size : sizeof d);
}

static void sleep_delay(void *ctx, double seconds)
{
    (void)ctx;
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The longest update period among duty-cycled power sensors, and their
 * shortest window; 0 if there are none. */
static double duty_cycle(const eb_bench *b, double *window_s)
{
    double period = 0;
    *window_s = INFINITY;
    for (size_t i = 0; i < b->n_dom; i++) {
        const eb__domain_desc *d = &b->dom[i].desc;
        if (d->method == EB_METHOD_COUNTER || !(d->sensor_window_s > 0) ||
            d->sensor_window_s >= d->update_period_s)
            continue;
        if (d->update_period_s > period)
            period = d->update_period_s;
        if (d->sensor_window_s < *window_s)
            *window_s = d->sensor_window_s;
    }
    return period;
}

/* Idle baselines for domains that have none, measured at rest. */
static int idle_where_missing(eb_bench *b, const char *name, const eb_repeat_opts *o, double period)
{
    char idle[256];
    eb__result r;
    int missing = 0;
    for (size_t i = 0; i < b->n_dom; i++)
        missing |= isnan(b->dom[i].idle_power_w);
    if (!missing)
        return EB_OK;
    snprintf(idle, sizeof idle, "%.200s (idle)", name);
    int rc = eb_begin(b, idle);
    if (rc < 0)
        return rc;
    o->delay(o->delay_ctx, period * 5 > 0.5 ? period * 5 : 0.5);
    if ((rc = eb__end(b, idle, &r)) < 0)
        return rc;
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->n_dom; i++)
        if (isnan(b->dom[i].idle_power_w))
            b->dom[i].idle_power_w = r.domains[i].avg_power_w;
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}

EB_EXPORT int eb_measure_repeated(eb_bench *b, const char *name, void (*fn)(void *), void *arg,
                                  const eb_repeat_opts *opts, eb_result *per_rep, size_t *reps_out)
{
    eb_repeat_opts o;
    eb__result r;
    double window_s;
    int rc;

    if (!b || !name || !fn || strlen(name) > 200)
        return EB_EINVAL;
    eb_repeat_opts_init(&o);
    if (opts && (rc = eb__repeat_opts_in(b, &o, opts)) < 0)
        return rc;
    if ((rc = eb__result_check(b, per_rep)) < 0)
        return rc;
    if (!o.delay)
        o.delay = sleep_delay;
    if (o.max_reps == 0 || o.max_reps < o.min_reps)
        return eb__fail(b, EB_EINVAL, "max_reps must be at least min_reps and above 0");

    double period = duty_cycle(b, &window_s);
    int shift = o.phase_shift < 0 ? period > 0 : o.phase_shift;
    if (shift && period == 0) {
        period = 0.1; /* forced on: the common 100 ms update */
        window_s = 0.025;
    }
    /* Each block of repetitions (at least one update period long) is padded
     * to a whole number of periods plus one step of half the sensor's window,
     * so block after block the sensor's windows start one step later in the
     * kernel's pattern: over `steps` blocks they tile it exactly twice. */
    size_t steps = shift ? (size_t)ceil(2 * period / window_s) : 1;
    double step = period / (double)steps;
    if (shift && (rc = idle_where_missing(b, name, &o, period)) < 0)
        return rc;

    if ((rc = eb_begin(b, name)) < 0)
        return rc;
    double start = eb_now(b), block = start, delayed = 0;
    size_t reps = 0, blocks = 0;
    while (reps == 0 ||
           (reps < o.max_reps && (reps < o.min_reps || eb_now(b) - start < o.min_seconds ||
                                  (shift && blocks % steps != 0)))) {
        fn(arg);
        reps++;
        double len = eb_now(b) - block;
        if (shift && len >= period) {
            double pad = ceil(len / period - 1e-9) * period - len + step;
            o.delay(o.delay_ctx, pad);
            delayed += pad;
            block = eb_now(b);
            blocks++;
        }
    }
    if ((rc = eb__end(b, name, &r)) < 0)
        return rc;

    /* per repetition, without the delays and the idle energy spent in them */
    r.duration_s = (r.duration_s - delayed) / (double)reps;
    r.total_energy_j = r.total_net_energy_j = 0;
    for (size_t i = 0; i < r.n_domains; i++) {
        eb_domain_energy *e = &r.domains[i];
        double idle = shift ? e->idle_power_w * delayed : 0;
        e->energy_j = (e->energy_j - idle) / (double)reps;
        e->net_energy_j = e->energy_j - e->idle_power_w * r.duration_s;
        e->uncertainty_j /= (double)reps;
        e->avg_power_w = r.duration_s > 0 ? e->energy_j / r.duration_s : NAN;
        e->samples /= reps;
        e->covered_s = r.duration_s * (e->covered_s > 0);
        if (b->dom[i].desc.in_total && !isnan(e->energy_j)) {
            r.total_energy_j += e->energy_j;
            r.total_net_energy_j += e->net_energy_j;
        }
    }
    r.total_uncertainty_j /= (double)reps;
    eb__result_out(&r, per_rep);
    if (reps_out)
        *reps_out = reps;
    return EB_OK;
}
