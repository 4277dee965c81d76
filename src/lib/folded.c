/*
 * folded.c - closed windows past eb_config.window_records, folded into
 * totals per name, so that memory does not grow with the number of windows
 * (a training loop closes millions): calls, energy and the report's other
 * sums, and running statistics for eb_window_stats. Reports put the folded
 * totals and the windows still kept one by one together (eb__fold_merge).
 *
 * Also the pins: the times whose neighbouring samples the timeline keeps
 * when it thins (timeline.c), the edges of every window whose figures are
 * still read from it, so that thinning never changes a window's energy.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/analysis.h"
#include "internal.h"

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void eb__fold_reset(eb__fold *f)
{
    free(f->name);
    free(f->dom);
    free(f->energy);
    if (f->last) {
        eb__fold_reset(f->last);
        free(f->last);
    }
    memset(f, 0, sizeof *f);
}

void eb__fold_set_free(eb__fold_set *g)
{
    for (size_t k = 0; k < g->n; k++)
        eb__fold_reset(&g->a[k]);
    free(g->a);
    free(g->slot);
    memset(g, 0, sizeof *g);
}

/* Back to no instances, keeping the name and arrays. */
static void fold_zero(eb__fold *f, const eb_bench *b)
{
    f->calls = f->total_incomplete = f->n_work = 0;
    f->duration_s = 0;
    f->total_energy_j = NAN;
    memset(&f->dur, 0, sizeof f->dur);
    memset(&f->tot, 0, sizeof f->tot);
    for (size_t d = 0; d < b->n_dom; d++) {
        memset(&f->dom[d], 0, sizeof f->dom[d]);
        memset(&f->energy[d], 0, sizeof f->energy[d]);
        f->dom[d].energy_j = f->dom[d].peak_power_w = f->dom[d].peak_span_s = NAN;
        f->dom[d].lost_at_s = NAN;
        f->dom[d].method = b->dom[d].desc.method;
    }
}

int eb__fold_init(eb__fold *f, const eb_bench *b, const char *name)
{
    memset(f, 0, sizeof *f);
    f->name = name ? strdup(name) : NULL;
    f->dom = calloc(b->n_dom ? b->n_dom : 1, sizeof *f->dom);
    f->energy = calloc(b->n_dom ? b->n_dom : 1, sizeof *f->energy);
    if ((name && !f->name) || !f->dom || !f->energy) {
        eb__fold_reset(f);
        return EB_ENOMEM;
    }
    fold_zero(f, b);
    return EB_OK;
}

eb__fold *eb__fold_find(eb__fold_set *g, const eb_bench *b, const char *name, int add)
{
    if (g->nslot) {
        size_t i = name_hash(name) & (g->nslot - 1);
        for (; g->slot[i]; i = (i + 1) & (g->nslot - 1))
            if (strcmp(g->a[g->slot[i] - 1].name, name) == 0)
                return &g->a[g->slot[i] - 1];
    }
    if (!add)
        return NULL;
    if (2 * (g->n + 1) > g->nslot) { /* grow the table, and re-place every name */
        size_t nslot = g->nslot ? 2 * g->nslot : 64;
        size_t *slot = calloc(nslot, sizeof *slot);
        if (!slot)
            return NULL;
        for (size_t k = 0; k < g->n; k++) {
            size_t i = name_hash(g->a[k].name) & (nslot - 1);
            while (slot[i])
                i = (i + 1) & (nslot - 1);
            slot[i] = k + 1;
        }
        free(g->slot);
        g->slot = slot;
        g->nslot = nslot;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 8;
        eb__fold *a = realloc(g->a, cap * sizeof *a);
        if (!a)
            return NULL;
        g->a = a;
        g->cap = cap;
    }
    if (eb__fold_init(&g->a[g->n], b, name) < 0)
        return NULL;
    size_t i = name_hash(name) & (g->nslot - 1);
    while (g->slot[i])
        i = (i + 1) & (g->nslot - 1);
    g->slot[i] = ++g->n;
    return &g->a[g->n - 1];
}

static void add_energy(double *acc, double v)
{
    if (!isnan(v))
        *acc = isnan(*acc) ? v : *acc + v;
}

static void add_peak(eb_domain_energy *s, const eb_domain_energy *e)
{
    if (!(e->peak_power_w <= s->peak_power_w) && !isnan(e->peak_power_w)) {
        s->peak_power_w = e->peak_power_w;
        s->peak_span_s = e->peak_span_s;
    }
}

/* One window's (or one sum's) figures of a domain into a sum. */
static void add_domain(eb_domain_energy *s, const eb_domain_energy *e)
{
    add_energy(&s->energy_j, e->energy_j);
    add_peak(s, e);
    s->samples += e->samples;
    s->covered_s += e->covered_s;
    if (!isnan(e->lost_at_s))
        s->lost_at_s = e->lost_at_s;
    s->unreliable |= e->unreliable;
    s->provisional |= e->provisional;
}

void eb__fold_add(eb__fold *f, const eb_bench *b, const eb__result *r, const eb__window *w)
{
    f->calls++;
    f->duration_s += r->duration_s;
    add_energy(&f->total_energy_j, r->total_energy_j);
    f->total_incomplete += r->total_incomplete;
    eb__run_add(&f->dur, r->duration_s);
    eb__run_add(&f->tot, r->total_energy_j);
    for (size_t u = 0; w && u < w->n_work; u++)
        eb__work_add(f->work, &f->n_work, w->work[u].unit, w->work[u].amount);
    for (size_t d = 0; d < b->n_dom; d++) {
        add_domain(&f->dom[d], &r->domains[d]);
        eb__run_add(&f->energy[d], r->domains[d].energy_j);
    }
}

void eb__fold_merge(eb__fold *into, const eb__fold *from, const eb_bench *b)
{
    into->calls += from->calls;
    into->duration_s += from->duration_s;
    add_energy(&into->total_energy_j, from->total_energy_j);
    into->total_incomplete += from->total_incomplete;
    eb__run_merge(&into->dur, &from->dur);
    eb__run_merge(&into->tot, &from->tot);
    for (size_t u = 0; u < from->n_work; u++)
        eb__work_add(into->work, &into->n_work, from->work[u].unit, from->work[u].amount);
    for (size_t d = 0; d < b->n_dom; d++) {
        add_domain(&into->dom[d], &from->dom[d]);
        eb__run_merge(&into->energy[d], &from->energy[d]);
    }
}

void eb__fold_result(const eb__fold *f, const eb_bench *b, eb__result *r)
{
    double var = 0;
    memset(r, 0, sizeof *r);
    r->n_domains = b->n_dom;
    r->duration_s = f->duration_s;
    r->total_energy_j = f->total_energy_j;
    r->total_incomplete = f->total_incomplete;
    for (size_t d = 0; d < b->n_dom; d++) {
        eb_domain_energy *s = &r->domains[d];
        *s = f->dom[d];
        s->avg_power_w = s->covered_s > 0 ? s->energy_j / s->covered_s : NAN;
        s->uncertainty_j = s->energy_j * b->dom[d].desc.uncertainty_rel;
        if (b->dom[d].desc.in_total && !isnan(s->uncertainty_j))
            var += s->uncertainty_j * s->uncertainty_j;
    }
    r->total_uncertainty_j = sqrt(var);
}

/* ---- records and what becomes of them -------------------------------------- */

size_t eb__window_limit(const eb_bench *b)
{
    return b->cfg.window_records ? b->cfg.window_records : EB_DEFAULT_WINDOW_RECORDS;
}

/* The index of the first kept record closed at edge e or later. */
static size_t first_at_edge(const eb_bench *b, unsigned long long e)
{
    const eb__window *w = b->closed_win.v;
    size_t lo = 0, hi = b->closed_win.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w[mid].edge < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The kept record closed at edge e (records are in the order they closed),
 * or NULL when it is no longer kept. */
static eb__window *record_at_edge(eb_bench *b, unsigned long long e)
{
    size_t i = first_at_edge(b, e);
    eb__window *w = b->closed_win.v;
    return i < b->closed_win.n && w[i].edge == e ? &w[i] : NULL;
}

int eb__start_final(const eb_bench *b, const eb__domain *d)
{
    const eb__series *s = &d->series;
    if (b->stopped || d->desc.method != EB_METHOD_COUNTER || !d->desc.counter_holds || s->stuck ||
        s->lost || s->rebased)
        return 1;
    /* a tracker that has not locked in this long (a counter it cannot
     * follow): its start stands as it is */
    return s->n > 0 && s->v[s->n - 1].t_s - s->v[0].t_s > EB__START_FINAL_S;
}

/* Whether some domain has no sample from t1 on yet (a window taken in with
 * eb_add_window may end ahead of the timeline). */
static int ends_ahead(const eb_bench *b, double t1)
{
    for (size_t d = 0; d < b->n_dom && !b->stopped; d++) {
        const eb__series *s = &b->dom[d].series;
        if (!s->lost && (s->n == 0 || s->v[s->n - 1].t_s < t1))
            return 1;
    }
    return 0;
}

/* The newest sample's time (what ends_ahead compares with). */
static double newest_sample(const eb_bench *b)
{
    double t = -INFINITY;
    for (size_t d = 0; d < b->n_dom; d++)
        if (b->dom[d].series.n > 0)
            t = fmax(t, b->dom[d].series.v[b->dom[d].series.n - 1].t_s);
    return t;
}

int eb__final_locked(const eb_bench *b, double t1)
{
    /* a window taken in from its times (eb_add_window) may end after the
     * last sample: its figures wait for one; after eb_stop all are final */
    for (size_t d = 0; d < b->n_dom && !b->stopped; d++) {
        const eb__series *s = &b->dom[d].series;
        if (!s->lost && (s->n == 0 || s->v[s->n - 1].t_s < t1))
            return 0;
        /* a stepping counter re-draws the start of the timeline when its
         * tracker first locks (timeline.c, rebase) */
        if (!eb__start_final(b, &b->dom[d]))
            return 0;
    }
    return eb__settled_locked(b, t1);
}

/* A cached last window joins its name's totals (a later one of the name
 * closed); its work comes from its record, or came with it when evicted. */
static void fold_cached(eb_bench *b, eb__fold *e, eb__window *w)
{
    eb__fold_merge(e, e->last, b);
    for (size_t u = 0; w && u < w->n_work; u++)
        eb__work_add(e->work, &e->n_work, w->work[u].unit, w->work[u].amount);
    if (w)
        w->state = EB__WIN_FOLDED;
    e->last_cached = 0;
}

/* Record w's figures are final: taken now, before thinning can reach inside
 * the window; folded into its name's totals, or kept as the name's last
 * until another of the name closes (eb_drop_last_window, eb_add_work and the
 * idle baseline work on the last). */
static int take_figures(eb_bench *b, eb__window *w)
{
    eb__fold *e = eb__fold_find(&b->folded, b, w->name, 1);
    if (!e)
        return EB_ENOMEM;
    eb__result r;
    eb__window_result_locked(b, w, &r);
    if (w->superseded) {
        eb__fold_add(e, b, &r, w);
        w->state = EB__WIN_FOLDED;
        return EB_OK;
    }
    if (e->last_cached && e->cached_edge != w->edge) /* the one before, superseded */
        fold_cached(b, e, record_at_edge(b, e->cached_edge));
    if (!e->last) {
        eb__fold *l = malloc(sizeof *l);
        if (!l || eb__fold_init(l, b, NULL) < 0) {
            free(l);
            return EB_ENOMEM;
        }
        e->last = l;
    }
    fold_zero(e->last, b);
    eb__fold_add(e->last, b, &r, NULL);
    e->last_cached = 1;
    e->cached_edge = w->edge;
    w->state = EB__WIN_CACHED;
    return EB_OK;
}

int eb__window_closed_locked(eb_bench *b)
{
    eb__window *w = (eb__window *)b->closed_win.v + b->closed_win.n - 1;
    eb__fold *e = eb__fold_find(&b->folded, b, w->name, 1);
    if (!e)
        return EB_ENOMEM;
    if (e->last_edge) {
        eb__window *prev = record_at_edge(b, e->last_edge);
        if (prev)
            prev->superseded = 1;
        /* while a report walks the records, the next figures taken do it */
        if (e->last_cached && e->cached_edge == e->last_edge && !b->agg_busy)
            fold_cached(b, e, prev);
    }
    e->last_edge = w->edge;
    eb__fold_old_locked(b);
    return EB_OK;
}

void eb__fold_old_locked(eb_bench *b)
{
    eb__window *w = b->closed_win.v;
    size_t n = b->closed_win.n;
    if (b->agg_busy)
        return; /* a report is going through the records, the lock let go */
    /* a program under ebench run: every figure is a question to the parent,
     * asked only when a report or the limit needs it */
    if (!eb__marker_mirror(b)) {
        /* those set aside as ending ahead of the timeline: looked at again
         * once the samples reach the earliest of their ends */
        if (b->n_ahead && newest_sample(b) >= b->ahead_min_t1) {
            b->n_ahead = 0;
            b->ahead_min_t1 = INFINITY;
            for (size_t i = 0; i < n; i++) {
                if (w[i].state != EB__WIN_PENDING || !w[i].ahead)
                    continue;
                if (ends_ahead(b, w[i].t1)) {
                    b->ahead_min_t1 = b->n_ahead ? fmin(b->ahead_min_t1, w[i].t1) : w[i].t1;
                    b->n_ahead++;
                } else {
                    w[i].ahead = 0;
                    if (i < b->fold_next)
                        b->fold_next = i;
                }
            }
        }
        for (size_t i = b->fold_next; i < n; i++) {
            if (w[i].state != EB__WIN_PENDING || w[i].ahead)
                continue;
            if (ends_ahead(b, w[i].t1)) { /* set aside: the rest do not wait for it */
                w[i].ahead = 1;
                b->ahead_min_t1 = b->n_ahead ? fmin(b->ahead_min_t1, w[i].t1) : w[i].t1;
                b->n_ahead++;
                continue;
            }
            if (!eb__final_locked(b, w[i].t1) || take_figures(b, &w[i]) < 0)
                break; /* the stepping counters have not moved since: nor after */
        }
        while (b->fold_next < n &&
               (w[b->fold_next].state != EB__WIN_PENDING || w[b->fold_next].ahead))
            b->fold_next++;
    }
    /* past the limit, the oldest records go, a batch at a time: those whose
     * figures are taken (and row written); one not final yet stays */
    size_t limit = eb__window_limit(b);
    size_t slack = limit / 8 > 64 ? limit / 8 : 64;
    if (n < limit + slack || b->agg_busy)
        return;
    size_t j = 0, gone = 0;
    for (size_t i = 0; i < n; i++) {
        int go =
            i < n - limit && w[i].state != EB__WIN_PENDING && (!b->cfg.calls_csv || w[i].written);
        if (!go) {
            w[j++] = w[i];
            continue;
        }
        eb__fold *e = eb__fold_find(&b->folded, b, w[i].name, 0);
        if (w[i].state == EB__WIN_CACHED) /* its work goes with its figures */
            for (size_t u = 0; u < w[i].n_work; u++)
                eb__work_add(e->last->work, &e->last->n_work, w[i].work[u].unit,
                             w[i].work[u].amount);
        e->evicted++;
        eb__window_free(&w[i]);
        gone++;
    }
    if (gone == 0)
        return;
    b->closed_win.n = j;
    b->fold_next = 0;
    while (b->fold_next < j && (w[b->fold_next].state != EB__WIN_PENDING || w[b->fold_next].ahead))
        b->fold_next++;
    b->win_gen++;
}

int eb__window_drop_locked(eb_bench *b, const char *name)
{
    eb__window *w = b->closed_win.v;
    eb__fold *e = eb__fold_find(&b->folded, b, name, 0);
    size_t i = b->closed_win.n;
    while (i > 0 && strcmp(w[i - 1].name, name) != 0)
        i--;
    if (i > 0 && w[i - 1].state != EB__WIN_FOLDED) {
        if (w[i - 1].state == EB__WIN_CACHED)
            e->last_cached = 0;
        if (w[i - 1].state == EB__WIN_PENDING && w[i - 1].ahead && b->n_ahead)
            b->n_ahead--;
        e->last_edge = 0;
        eb__window_free(&w[i - 1]);
        memmove(&w[i - 1], &w[i], (b->closed_win.n - i) * sizeof *w);
        b->closed_win.n--;
        if (b->fold_next >= i)
            b->fold_next--;
        b->win_gen++;
        return EB_OK;
    }
    if (i == 0 && e && e->last_cached) { /* the last, no longer kept one by one */
        e->last_cached = 0;
        e->last_edge = 0;
        e->evicted--;
        return EB_OK;
    }
    if (e && (e->calls || i > 0))
        return eb__fail(b, EB_ENOTOPEN,
                        "the last window '%s' is already in the totals (another of that name "
                        "closed after it): only the last one can be dropped",
                        name);
    return eb__fail(b, EB_ENOTOPEN, "no closed window '%s' to drop", name);
}

eb__work *eb__window_work_locked(eb_bench *b, const char *name, size_t **n_work)
{
    eb__window *w = b->closed_win.v;
    for (size_t i = b->closed_win.n; i > 0; i--) {
        if (strcmp(w[i - 1].name, name) != 0)
            continue;
        if (w[i - 1].state == EB__WIN_FOLDED)
            break; /* its figures are in the totals: so goes its work */
        if (!w[i - 1].work && !(w[i - 1].work = calloc(EB_MAX_WORK, sizeof *w[i - 1].work)))
            return NULL;
        *n_work = &w[i - 1].n_work;
        return w[i - 1].work;
    }
    eb__fold *e = eb__fold_find(&b->folded, b, name, 0);
    if (!e || (!e->calls && !e->last_cached))
        return NULL;
    eb__fold *to = e->last_cached ? e->last : e;
    *n_work = &to->n_work;
    return to->work;
}

static int fold_all(eb_bench *b, const char *only, eb__fold_set *g, size_t *windows);

int eb__window_fold_locked(eb_bench *b, const char *only, eb__fold_set *g, size_t *windows)
{
    /* records keep their places and states while the lock is let go */
    b->agg_busy++;
    int rc = fold_all(b, only, g, windows);
    b->agg_busy--;
    return rc;
}

static int fold_all(eb_bench *b, const char *only, eb__fold_set *g, size_t *windows)
{
    memset(g, 0, sizeof *g);
    if (windows)
        *windows = 0;
    /* names in the order they first closed: the totals and cached lasts */
    for (size_t k = 0; k < b->folded.n; k++) {
        const eb__fold *f = &b->folded.a[k];
        if ((only && strcmp(f->name, only) != 0) || (!f->calls && !f->last_cached))
            continue;
        eb__fold *a = eb__fold_find(g, b, f->name, 1);
        if (!a)
            goto nomem;
        eb__fold_merge(a, f, b);
        if (f->last_cached)
            eb__fold_merge(a, f->last, b);
    }
    /* then the kept records: the work of cached ones, and the figures of
     * those not final yet (their names first closed after the rest) */
    unsigned long long until = b->edges; /* the windows closed before the call */
    for (size_t i = 0, seen = 0; i < b->closed_win.n; i++, seen++) {
        const eb__window *w = (const eb__window *)b->closed_win.v + i;
        if (!only && seen > 0 && seen % EB__FOLD_CHUNK == 0) {
            /* a drop meanwhile moves the records: on from the next edge */
            unsigned long long next = w->edge;
            pthread_mutex_unlock(&b->lock);
            pthread_mutex_lock(&b->lock);
            i = first_at_edge(b, next);
            if (i >= b->closed_win.n)
                break;
            w = (const eb__window *)b->closed_win.v + i;
        }
        if (w->edge > until)
            break;
        if (w->state == EB__WIN_FOLDED || (only && strcmp(w->name, only) != 0))
            continue;
        eb__fold *a = eb__fold_find(g, b, w->name, 1);
        if (!a)
            goto nomem;
        if (w->state == EB__WIN_CACHED) {
            for (size_t u = 0; u < w->n_work; u++)
                eb__work_add(a->work, &a->n_work, w->work[u].unit, w->work[u].amount);
            continue;
        }
        eb__result r;
        eb__window_result_locked(b, w, &r);
        eb__fold_add(a, b, &r, w);
    }
    if (windows) /* every instance counted: folded, cached and pending */
        for (size_t k = 0; k < g->n; k++)
            *windows += g->a[k].calls;
    return EB_OK;
nomem:
    eb__fold_set_free(g);
    return EB_ENOMEM;
}

size_t eb__window_calls_locked(eb_bench *b, const char *name)
{
    const eb__fold *f = eb__fold_find(&b->folded, b, name, 0);
    const eb__window *w = b->closed_win.v;
    size_t n = f ? f->calls + (size_t)f->last_cached : 0;
    for (size_t i = 0; i < b->closed_win.n; i++)
        n += w[i].state == EB__WIN_PENDING && strcmp(w[i].name, name) == 0;
    return n;
}

/* ---- pins ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *c)
{
    double x = *(const double *)a, y = *(const double *)c;
    return (x > y) - (x < y);
}

void eb__pins(void *ctx, const double **t, size_t *n)
{
    eb_bench *b = ctx;
    *t = b->pin_t;
    *n = b->pin_n;
    if (b->pin_gen == b->win_gen && b->pin_t)
        return;
    size_t want = b->open_win.n + 2 * b->closed_win.n;
    if (want > b->pin_cap) {
        double *p = realloc(b->pin_t, want * sizeof *p);
        if (!p)
            return; /* the last pins stand: samples kept are never wrong */
        b->pin_t = p;
        b->pin_cap = want;
    }
    size_t k = 0;
    const eb__window *o = b->open_win.v, *c = b->closed_win.v;
    for (size_t i = 0; i < b->open_win.n; i++)
        b->pin_t[k++] = o[i].t0;
    for (size_t i = 0; i < b->closed_win.n; i++) {
        b->pin_t[k++] = c[i].t0;
        b->pin_t[k++] = c[i].t1;
    }
    if (k > 1)
        qsort(b->pin_t, k, sizeof *b->pin_t, cmp_double);
    b->pin_n = k;
    b->pin_gen = b->win_gen;
    *t = b->pin_t;
    *n = b->pin_n;
}

/* ---- peaks that thinning would smooth -------------------------------------- */

static void keep_peak(double *peak, double *span, const eb_domain_energy *e)
{
    if (!isnan(e->peak_power_w) && !(e->peak_power_w <= *peak)) {
        *peak = e->peak_power_w;
        *span = e->peak_span_s;
    }
}

/* w's peak over [w->t0, until] of domain d, before thinning (until: the
 * thinned part's end, or w's own end if earlier). */
static void window_peak(eb_bench *b, eb__window *w, size_t d, const eb__series *s, double until)
{
    if (!(w->t0 < until))
        return;
    if (!w->peak) {
        w->peak = malloc(b->n_dom * sizeof *w->peak);
        w->peak_span = malloc(b->n_dom * sizeof *w->peak_span);
        if (!w->peak || !w->peak_span) {
            free(w->peak);
            free(w->peak_span);
            w->peak = w->peak_span = NULL;
            return; /* the peak stays what the thinned timeline says */
        }
        for (size_t k = 0; k < b->n_dom; k++)
            w->peak[k] = w->peak_span[k] = NAN;
    }
    eb_domain_energy e;
    eb__window_energy(s->v, s->n, w->t0, until, eb__peak_min_span(&b->dom[d]), &e);
    keep_peak(&w->peak[d], &w->peak_span[d], &e);
}

void eb__before_thin(void *ctx, const eb__series *s, size_t upto)
{
    eb_bench *b = ctx;
    size_t d = (size_t)((const char *)s - (const char *)&b->dom[0].series) / sizeof b->dom[0];
    if (d >= b->n_dom || &b->dom[d].series != s || upto == 0)
        return;
    double until = s->v[upto].t_s;
    eb__domain *dom = &b->dom[d];
    eb_domain_energy e;
    eb__window_energy(s->v, s->n, s->v[0].t_s, until, eb__peak_min_span(dom), &e);
    keep_peak(&dom->thin_peak_w, &dom->thin_peak_span_s, &e);
    dom->thin_until_s = until;
    eb__window *o = b->open_win.v, *c = b->closed_win.v;
    for (size_t i = 0; i < b->open_win.n; i++) {
        window_peak(b, &o[i], d, s, until); /* open: to the end */
    }
    for (size_t i = b->n_ahead ? 0 : b->fold_next; i < b->closed_win.n; i++)
        if (c[i].state == EB__WIN_PENDING)
            window_peak(b, &c[i], d, s, fmin(c[i].t1, until));
}

void eb__window_result_locked(eb_bench *b, const eb__window *w, eb__result *r)
{
    eb__result_locked(b, w->t0, w->t1, r);
    for (size_t d = 0; w->peak && d < b->n_dom; d++)
        keep_peak(&r->domains[d].peak_power_w, &r->domains[d].peak_span_s,
                  &(eb_domain_energy){.peak_power_w = w->peak[d], .peak_span_s = w->peak_span[d]});
}

void eb__window_free(eb__window *w)
{
    free(w->name);
    free(w->work);
    free(w->peak);
    free(w->peak_span);
}
