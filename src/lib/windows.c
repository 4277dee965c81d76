/*
 * windows.c - named windows and their figures: begin and end, the energy of
 * every domain over any interval of the timeline (eb__result_locked), the
 * whole run, a closed window's settled result, the stepping counters'
 * tracking, and the latest reading for live displays.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/analysis.h"
#include "internal.h"

double eb__peak_min_span(const eb__domain *d)
{
    if (d->desc.method == EB_METHOD_COUNTER && d->desc.counter_holds && !d->series.stuck) {
        double p = eb__tracker_period(&d->series.trk);
        /* moves placed at the reads that see them are off by up to a read
         * interval: peaks over a second or ten periods at least */
        if (d->series.trk.state == EB__TRK_FALLBACK)
            return fmax(1.0, 10 * p);
        /* each interval between two moves; a fast counter's merged up to
         * ~0.1 s, so the two ends' placements (~1 ms) stay a small part, and
         * longer where slow reads place moves less well */
        double bound = eb__tracker_place_bound(&d->series.trk);
        return fmax(0.5 * p, 0.09 * bound / EB__PEAK_PLACEMENT_S);
    }
    return d->desc.update_period_s;
}

void eb__result_locked(eb_bench *b, double t0, double t1, eb__result *r)
{
    if (eb__marker_mirror(b)) {
        eb__marker_result_locked(b, t0, t1, r);
        return;
    }
    memset(r, 0, sizeof *r);
    r->t_begin_s = t0;
    r->t_end_s = t1;
    r->duration_s = t1 - t0;
    r->n_domains = b->n_dom;
    r->total_energy_j = NAN;
    r->total_net_energy_j = 0;
    double var = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        const eb__series *s = &b->dom[i].series;
        eb_domain_energy *e = &r->domains[i];
        eb__window_energy(s->v, s->n, t0, t1, eb__peak_min_span(&b->dom[i]), e);
        e->provisional = !eb__series_settled(s, &b->dom[i].desc, t1);
        e->method = b->dom[i].desc.method;
        e->lost_at_s = s->lost ? s->lost_at_s : NAN;
        e->uncertainty_j = e->energy_j * b->dom[i].desc.uncertainty_rel;
        e->idle_power_w = b->dom[i].idle_power_w;
        e->net_energy_j = e->energy_j - e->idle_power_w * e->covered_s;
        /* fewer than 2 sensor updates: the figure is mostly the sensor's timing */
        e->unreliable = r->duration_s < 2 * b->dom[i].desc.update_period_s;
        /* the peak in what thinning merged, for a window from the start */
        if (s->n > 0 && t0 <= s->v[0].t_s && t1 >= b->dom[i].thin_until_s &&
            !(b->dom[i].thin_peak_w <= e->peak_power_w)) {
            e->peak_power_w = b->dom[i].thin_peak_w;
            e->peak_span_s = b->dom[i].thin_peak_span_s;
        }
        if (!b->dom[i].desc.in_total)
            continue;
        if (isnan(e->energy_j) || e->covered_s < r->duration_s - 1e-9)
            r->total_incomplete++;
        if (!isnan(e->energy_j)) {
            r->total_energy_j = (isnan(r->total_energy_j) ? 0 : r->total_energy_j) + e->energy_j;
            var += e->uncertainty_j * e->uncertainty_j;
        }
        r->total_net_energy_j += e->net_energy_j; /* NaN if any baseline is missing */
    }
    r->total_uncertainty_j = isnan(r->total_energy_j) ? NAN : sqrt(var);
    if (isnan(r->total_energy_j))
        r->total_net_energy_j = NAN;
}

/* A sample at a window's boundary, unless sampling has stopped. */
static double boundary_locked(eb_bench *b)
{
    return b->stopped || b->stopping ? b->t_stop : eb__tick_edge_locked(b);
}

/* A marker's time: the window's own edge where the parent answers (its
 * figures are then for exactly this window), else the moment it is sent. */
static double marker_time(const eb_bench *b, double t)
{
    return eb__marker_mirror(b) ? t + b->t0_abs : NAN;
}

EB_EXPORT int eb_begin(eb_bench *b, const char *name)
{
    if (!b || !name)
        return EB_EINVAL;
    if (eb__forked(b))
        return EB_EMODE;
    if (b->cfg.sync) /* the GPU's queued work, before the edge's sample */
        b->cfg.sync(b->cfg.sync_ctx, name, 0);
    eb__window w = {.name = strdup(name)};
    if (!w.name)
        return eb__fail(b, EB_ENOMEM, "no memory for window '%s'", name);
    pthread_mutex_lock(&b->lock);
    w.t0 = boundary_locked(b);
    eb__marker_send(b, 'B', name, 0, NULL, marker_time(b, w.t0));
    int rc = eb__list_push(&b->open_win, &w, sizeof w);
    b->edges++;
    b->win_gen++;
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        free(w.name);
        return eb__fail(b, rc, "no memory for window '%s'", name);
    }
    return EB_OK;
}

EB_EXPORT int eb_end(eb_bench *b, const char *name, eb_result *result)
{
    if (!b || !name)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0)
        return rc; /* nothing closed: the program can fix its struct and retry */
    eb__result full;
    if ((rc = eb__end(b, name, result ? &full : NULL)) == EB_OK)
        eb__result_out(&full, result);
    return rc;
}

int eb__end(eb_bench *b, const char *name, eb__result *result)
{
    int rc;
    if (eb__forked(b))
        return EB_EMODE;
    if (b->cfg.sync) /* the window's queued GPU work, before its end is sampled */
        b->cfg.sync(b->cfg.sync_ctx, name, 1);
    pthread_mutex_lock(&b->lock);
    eb__window *open = b->open_win.v;
    size_t i = b->open_win.n;
    while (i > 0 && strcmp(open[i - 1].name, name) != 0)
        i--;
    if (i == 0) {
        pthread_mutex_unlock(&b->lock);
        return eb__fail(b, EB_ENOTOPEN, "eb_end(\"%s\"): no window of that name is open", name);
    }
    eb__window w = open[i - 1];
    memmove(&open[i - 1], &open[i], (b->open_win.n - i) * sizeof *open);
    b->open_win.n--;
    w.t1 = boundary_locked(b);
    if (w.t1 < w.t0)
        w.t1 = w.t0;
    eb__marker_send(b, 'E', name, 0, NULL, marker_time(b, w.t1));
    if (result)
        eb__window_result_locked(b, &w, result);
    w.edge = ++b->edges;
    b->win_gen++;
    rc = eb__list_push(&b->closed_win, &w, sizeof w);
    if (rc == 0 && (rc = eb__window_closed_locked(b)) < 0)
        b->closed_win.n--; /* not kept: no memory for its name */
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        eb__window_free(&w);
        return eb__fail(b, rc, "no memory to keep window '%s'", name);
    }
    return EB_OK;
}

EB_EXPORT int eb_measure(eb_bench *b, const char *name, void (*fn)(void *), void *arg,
                         eb_result *result)
{
    if (!b || !name || !fn)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0 || (rc = eb_begin(b, name)) < 0)
        return rc;
    fn(arg);
    return eb_end(b, name, result);
}
EB_EXPORT int eb_total(eb_bench *b, eb_result *result)
{
    if (!b || !result)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0)
        return rc;
    eb__result full;
    pthread_mutex_lock(&b->lock);
    double t1 = boundary_locked(b);
    eb__result_locked(b, 0.0, t1, &full);
    pthread_mutex_unlock(&b->lock);
    eb__result_out(&full, result);
    return EB_OK;
}

EB_EXPORT int eb_domain_tracking(eb_bench *b, size_t i, eb_tracking *out)
{
    if (!b || !out || i >= b->n_dom)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__tracking_locked(&b->dom[i], out);
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}

void eb__tracking_locked(const eb__domain *d, eb_tracking *out)
{
    const eb__tracker *k = &d->series.trk;
    memset(out, 0, sizeof *out);
    out->period_s = out->jitter_s = out->bracket_mean_s = out->bracket_max_s = NAN;
    out->uncertainty_mean_s = out->uncertainty_max_s = NAN;
    out->stopped_at_s = d->series.stuck ? d->series.stuck_at_s : NAN;
    out->state = "none";
    if (d->desc.method == EB_METHOD_COUNTER && d->desc.counter_holds) {
        out->state = eb__tracker_state_name(k->state);
        snprintf(out->why, sizeof out->why, "%s", k->why);
        if (k->state == EB__TRK_LOCKED || isfinite(k->period_s)) {
            out->period_s = k->period_s;
            out->jitter_s = k->jit_s; /* the counter's own: bracket widths taken out */
        }
        out->reads = k->reads;
        out->extra_reads = d->track_reads;
        out->moves = k->moves;
        out->missed = k->misses;
        out->relocks = k->relocks;
        if (k->moves > 0) {
            out->bracket_mean_s = k->width_sum_s / (double)k->moves;
            out->bracket_max_s = k->width_max_s;
            out->uncertainty_mean_s = k->unc_sum_s / (double)k->moves;
            out->uncertainty_max_s = k->unc_max_s;
        }
        out->resets = d->series.resets;
    }
}

EB_EXPORT int eb_window_result(eb_bench *b, const char *name, size_t i, eb_result *result)
{
    if (!b || !name || !result)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&b->lock);
    const eb__window *w = b->closed_win.v;
    const eb__fold *f = eb__fold_find(&b->folded, b, name, 0);
    if (f && i < f->evicted) {
        pthread_mutex_unlock(&b->lock);
        return eb__fail(b, EB_ENOTOPEN,
                        "window '%s' number %zu is no longer kept: the last %zu closed windows "
                        "are (eb_config.window_records); older ones are in the totals per name "
                        "and, with eb_config.calls_csv, in that file",
                        name, i, eb__window_limit(b));
    }
    for (size_t k = 0, seen = f ? f->evicted : 0; k < b->closed_win.n; k++) {
        if (strcmp(w[k].name, name) != 0 || seen++ != i)
            continue;
        eb__result full;
        eb__window_result_locked(b, &w[k], &full);
        pthread_mutex_unlock(&b->lock);
        eb__result_out(&full, result);
        return EB_OK;
    }
    pthread_mutex_unlock(&b->lock);
    return eb__fail(b, EB_ENOTOPEN, "no closed window '%s' number %zu", name, i);
}

EB_EXPORT int eb_latest(eb_bench *b, size_t i, eb_reading *out)
{
    if (!b || !out || i >= b->n_dom)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    const eb__series *s = &b->dom[i].series;
    *out = (eb_reading){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 0};
    out->up = s->n > 0 && !s->lost;
    if (s->n > 0) {
        const eb__sample *v = &s->v[s->n - 1];
        out->t_s = v->t_s;
        out->power_w = v->power_w;
        out->energy_j = v->energy_j;
        /* a stepping counter's rate between two moves is only as good as
         * their brackets (+-1 ms of 100): shown over the last 0.5 s of moves */
        double span = s->have_move ? fmin(0.5, s->move_t - s->v[0].t_s) : 0;
        if (b->dom[i].desc.counter_holds && !s->stuck && span >= 0.15)
            out->power_w = (s->move_j - eb__energy_at(s->v, s->n, s->move_t - span)) / span;
        if (s->aux) {
            const float *a = s->aux[s->n - 1];
            out->instant_power_w = a[EB__AUX_POWER_INSTANT_W];
            out->gpu_util = a[EB__AUX_GPU_UTIL];
            out->mem_util = a[EB__AUX_MEM_UTIL];
            out->sm_clock_mhz = a[EB__AUX_SM_CLOCK_MHZ];
            out->temperature_c = a[EB__AUX_TEMP_C];
            out->power_limit_w = a[EB__AUX_POWER_LIMIT_W];
        }
    }
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}
