/* timeline.c - see timeline.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

static int grow(eb__series *s, int aux)
{
    if (s->n < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 256;
    size_t lim = s->max_samples ? s->max_samples : EB__SERIES_MAX;
    if (s->cap < lim && cap > lim)
        cap = lim; /* the history exactly; past it only what pins hold back */
    eb__sample *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return EB_ENOMEM;
    s->v = v;
    if (aux) {
        float(*a)[EB__AUX_N] = realloc(s->aux, cap * sizeof *a);
        if (!a)
            return EB_ENOMEM;
        s->aux = a;
    }
    s->cap = cap;
    return 0;
}

/* Joules the counter moved since the last reading. */
static double counter_delta(eb__series *s, const eb__domain_desc *d, unsigned long long c)
{
    unsigned long long delta;
    if (c >= s->last_counter) {
        delta = c - s->last_counter;
    } else if (d->counter_range > 0) {
        /* Wrapped once: RAPL counts up to its range, then restarts at 0. */
        delta = d->counter_range - s->last_counter + c;
        s->wraps++;
    } else {
        delta = 0; /* a counter that never wraps went back: a reset, not energy */
    }
    return (double)delta * d->counter_unit_j;
}

/* Whether thinning must keep sample i (0 < i < n - 1): a pinned time lies
 * within its two neighbours' span, so the interpolation at that time uses it.
 * *j walks the sorted pins along with i. */
static int pinned(const eb__series *s, size_t i, const double *pt, size_t pn, size_t *j)
{
    while (*j < pn && pt[*j] <= s->v[i - 1].t_s)
        (*j)++;
    return *j < pn && pt[*j] <= s->v[i + 1].t_s;
}

/* Keeps memory bounded on long runs: the older half of the samples is
 * thinned to every other one. A kept sample's cumulative energy is exact, so
 * any window's energy stays exact at kept samples and is interpolated between
 * them; its power becomes the mean over the merged interval (peaks older than
 * half the run are smoothed). Kept as they are: estimates not yet settled
 * (counter_holds), the samples around every pinned time (the edges of open
 * windows and of the closed ones whose figures are still read from the
 * timeline), so that thinning never changes a window's energy, and samples
 * not yet written to the timeline file unless its writer lags by more than
 * EB__STREAM_BACKLOG samples or half the history (then they are counted in
 * stream_thinned). Returns how
 * many samples it removed. */
static size_t thin(eb__series *s, int holds, size_t cap)
{
    size_t half = s->n / 2;
    if (holds && half > s->prov_idx)
        half = s->prov_idx;
    if (s->streaming && half > s->stream_idx &&
        s->n - s->stream_idx <= (cap / 2 > EB__STREAM_BACKLOG ? cap / 2 : EB__STREAM_BACKLOG))
        half = s->stream_idx;
    if (half < 4)
        return 0;
    const double *pt = NULL;
    size_t pn = 0, j = 0;
    if (s->before_thin)
        s->before_thin(s->pins_ctx, s, half - 1);
    if (s->pins)
        s->pins(s->pins_ctx, &pt, &pn);
    size_t k = 1; /* sample 0 stays: the start of the timeline */
    size_t written_dropped = 0, unwritten_dropped = 0;
    int drop = 1, merged = 0, measured = 1;
    for (size_t i = 1; i < half; i++) {
        if (drop && !pinned(s, i, pt, pn, &j)) {
            /* merged into the next kept sample */
            measured &= !isnan(s->v[i].span_s);
            merged = 1;
            drop = 0;
            if (s->streaming)
                *(i < s->stream_idx ? &written_dropped : &unwritten_dropped) += 1;
            continue;
        }
        double dt = s->v[i].t_s - s->v[k - 1].t_s;
        s->v[k] = s->v[i];
        if (merged && dt > 0 && !isnan(s->v[i].power_w)) {
            /* the merged interval is a measured mean only if all its parts were */
            s->v[k].power_w = (s->v[i].energy_j - s->v[k - 1].energy_j) / dt;
            s->v[k].span_s = measured && !isnan(s->v[i].span_s) ? dt : NAN;
        }
        if (s->aux)
            memcpy(s->aux[k], s->aux[i], sizeof s->aux[0]);
        k++;
        drop = 1;
        merged = 0;
        measured = 1;
    }
    if (merged) { /* the last one before half was dropped: keep it after all */
        s->v[k] = s->v[half - 1];
        if (s->aux)
            memcpy(s->aux[k], s->aux[half - 1], sizeof s->aux[0]);
        k++;
        if (s->streaming)
            *(half - 1 < s->stream_idx ? &written_dropped : &unwritten_dropped) -= 1;
    }
    size_t removed = half - k;
    if (removed == 0)
        return 0;
    memmove(&s->v[k], &s->v[half], (s->n - half) * sizeof *s->v);
    if (s->aux)
        memmove(&s->aux[k], &s->aux[half], (s->n - half) * sizeof *s->aux);
    s->n -= removed;
    if (holds)
        s->prov_idx -= removed;
    if (s->streaming) { /* those not written yet reach the file merged */
        s->stream_thinned += unwritten_dropped;
        s->stream_idx =
            s->stream_idx >= half ? s->stream_idx - removed : s->stream_idx - written_dropped;
    }
    return removed;
}

/* How long a stepping counter may go without a move before it counts as
 * stopped: five periods once the period is known; before that a counter may
 * just be slow: five of its longest gaps once four moves tell (slow reads
 * can keep the lock off for a while), slower than the accepted 1 s while
 * fewer do. At least 0.5 s. */
static double stuck_wait(const eb__series *s)
{
    return isfinite(s->trk.period_s) ? fmax(EB__TRK_QUIET_PERIODS * s->trk.period_s, 0.5)
           : s->trk.moves >= 4       ? fmax(EB__TRK_QUIET_PERIODS * s->gap_max_s, 0.5)
           : s->trk.moves >= 2       ? fmax(1.2 * EB__TRK_MAX_PERIOD_S, 3 * s->gap_max_s)
                                     : 2.5 * EB__TRK_MAX_PERIOD_S;
}

static void push(eb__series *s, const eb__domain_desc *d, double t, double e, double p,
                 const eb__reading *r)
{
    s->v[s->n] = (eb__sample){t, e, p, 0};
    if (d->has_aux)
        for (int i = 0; i < EB__AUX_N; i++)
            s->aux[s->n][i] = (float)r->aux[i];
    s->n++;
    size_t cap = s->max_samples ? s->max_samples : EB__SERIES_MAX;
    int holds = d->method == EB_METHOD_COUNTER && d->counter_holds && !s->stuck;
    /* a counter that stopped moving with no power to fall back on: its
     * estimates stand, so memory stays bounded. Only once it is overdue by
     * several periods: a moving counter's period can hold more samples than
     * half a small history (1 ms ticks that read nothing between moves, a
     * 64-sample history), and an estimate made final before the move it
     * waits for would bend the line back (a window of -1118 J). Overdue as
     * check_stuck counts it, so a pause that stuck detection would cover is
     * not made final first */
    int overdue = !s->have_move || t - s->move_t > stuck_wait(s);
    if (holds && s->n - s->prov_idx > cap / 2 && overdue) {
        /* the counter has said nothing since its last move: the estimates
         * made final hold at its energy (power unknown), not at the last
         * rate, which would run past what it says when it moves again and
         * bend the line back; its next move's energy is spread from here */
        for (size_t i = s->prov_idx; s->have_move && i < s->n; i++)
            s->v[i] = (eb__sample){s->v[i].t_s, s->move_j, NAN, NAN};
        s->prov_idx = s->n;
    }
    if (s->n >= cap && s->n >= s->next_thin) {
        /* pins can hold samples back: past the cap by what they hold, and
         * not thinned again until a quarter of the cap has come in */
        thin(s, holds, cap);
        s->next_thin = s->n + (s->n >= cap ? cap / 4 : 0);
    }
}

/* ---- counters that move in steps ---------------------------------------- */

/* The power the device showed at a read: the instant reading where there is
 * one (for a counter that stops moving), NaN otherwise. */
static double read_power(const eb__reading *r)
{
    if (r->power_w >= 0 && isfinite(r->power_w))
        return r->power_w;
    double p = r->aux[EB__AUX_POWER_INSTANT_W];
    return p >= 0 && isfinite(p) ? p : NAN;
}

/* Samples from prov_idx on, after the last placed move: on the line from it
 * at the last rate (0 before the first move). */
static double estimate_at(const eb__series *s, double t)
{
    if (!s->have_move)
        return 0;
    double rate = isnan(s->rate_w) ? 0 : s->rate_w;
    return s->move_j + rate * (t - s->move_t);
}

/* The energy before the first move: the counter's value at the first read is
 * the energy up to its previous move, one period before the first move seen,
 * so only the part of that period after the timeline's start is ours. */
static double first_fraction(const eb__series *s, double period)
{
    double f = (s->first_u - s->v[0].t_s) / period;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* The counter energy before the timeline's start, with the period known now. */
static double start_base(const eb__series *s)
{
    return s->first_j * (1 - first_fraction(s, eb__tracker_period(&s->trk)));
}

/* The index of the sample at exactly t (a placed move), or n. */
static size_t sample_at(const eb__series *s, double t)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].t_s == t)
            return i;
    return s->n;
}

/* At the first lock: the run's first move was placed in its bracket alone
 * (the middle of what a slow first read can make tens of ms wide); the fit of
 * the moves since says where in it the move was. The move's point is moved
 * there (between its neighbouring samples, inside its bracket) and the line to
 * the second move re-drawn; rebase() then re-draws the start. Moves are
 * numbered from 0 by the tracker, so the first is predicted at its phase. */
static void refine_first(eb__series *s)
{
    const eb__tracker *k = &s->trk;
    double p = k->phase_s, u1 = s->first_u, u2 = NAN;
    for (size_t i = 0; i < k->mv_n; i++)
        if (k->mv_k[i] == 1)
            u2 = k->mv_t[i];
    size_t i1 = sample_at(s, u1), i2 = isnan(u2) ? s->n : sample_at(s, u2);
    if (!isfinite(p) || i1 == 0 || i1 >= s->n || i2 >= s->n || i2 <= i1)
        return;
    /* inside the bracket, and strictly between the neighbouring samples */
    p = fmax(p, s->first_lo);
    p = fmin(p, s->first_hi);
    p = fmax(p, s->v[i1 - 1].t_s + 1e-6);
    p = fmin(p, s->v[i1 + 1].t_s - 1e-6);
    if (!(p > s->v[i1 - 1].t_s && p < s->v[i1 + 1].t_s) || p == u1)
        return;
    s->v[i1].t_s = p;
    s->v[i1].power_w = (s->v[i1].energy_j - s->v[i1 - 1].energy_j) / (p - s->v[i1 - 1].t_s);
    s->first_u = p;
    double e1 = s->v[i1].energy_j, e2 = s->v[i2].energy_j, rate = (e2 - e1) / (u2 - p);
    for (size_t i = i1 + 1; i < i2; i++)
        s->v[i] = (eb__sample){s->v[i].t_s, e1 + rate * (s->v[i].t_s - p), rate, NAN};
    s->v[i2].power_w = rate;
    if (!isnan(s->v[i2].span_s))
        s->v[i2].span_s = u2 - p;
    if (s->prov_idx == i2 + 1 && s->have_move && s->move_t == u2)
        s->rate_w = rate;
}

/* Once the period is known, the start is refined with it. */
static void rebase(eb__series *s)
{
    double base = start_base(s);
    double shift = s->base_j - base;
    s->base_j = base;
    if (shift == 0)
        return;
    double e1 = s->first_j - base, t0 = s->v[0].t_s, span = s->first_u - t0;
    for (size_t i = 1; i < s->n; i++) {
        if (s->v[i].t_s <= s->first_u && span > 0) {
            s->v[i].energy_j = e1 * (s->v[i].t_s - t0) / span;
            s->v[i].power_w = e1 / span;
        } else {
            s->v[i].energy_j += shift;
        }
    }
    s->move_j += shift;
}

/* The most the device can draw: its power limit as last read (it can be
 * changed while running), else as probed; 0 if unknown. */
static double limit_w(const eb__series *s, const eb__domain_desc *d)
{
    return s->limit_w > 0 ? s->limit_w : d->max_power_w;
}

/* Places a move of the counter at u: a point of the energy line. Samples
 * between the last placed move and u fall on the line to it; samples after u
 * are estimates at the new rate until the next move. */
static int place_move(eb__series *s, const eb__domain_desc *d, double u, double dj)
{
    if (grow(s, d->has_aux) < 0)
        return EB_ENOMEM;
    if (!s->have_move) {
        s->first_u = u;
        s->first_j = dj;
        s->base_j = start_base(s);
        s->rebased = s->trk.state == EB__TRK_LOCKED;
    }
    double e = s->counter_j - s->base_j;
    const eb__sample *prev = &s->v[s->prov_idx - 1];
    double tp = prev->t_s, ep = prev->energy_j;
    /* a move placed no later than the last one (two reads at one instant,
     * in fallback): a step on the line, with no rate of its own */
    int step = u <= tp + 1e-6;
    if (step)
        u = tp + 1e-6;
    double rate = step ? s->rate_w : (e - ep) / (u - tp);

    size_t pos = s->prov_idx;
    while (pos < s->n && s->v[pos].t_s < u)
        pos++;
    if (pos < s->n && s->v[pos].t_s == u) {
        /* placed at a sample's own time (at the read, in fallback): that
         * sample becomes the move */
    } else {
        memmove(&s->v[pos + 1], &s->v[pos], (s->n - pos) * sizeof *s->v);
        if (s->aux) {
            memmove(&s->aux[pos + 1], &s->aux[pos], (s->n - pos) * sizeof *s->aux);
            /* the readings of the nearest read */
            memcpy(s->aux[pos], s->aux[pos - 1], sizeof s->aux[0]);
        }
        s->n++;
    }
    /* a power over (tp, u] is as good as both ends' placements: a peak may use
     * it only if both are within EB__PEAK_PLACEMENT of the truth */
    double unc = s->trk.state == EB__TRK_FALLBACK ? 0 : s->trk.last_unc_s;
    int reliable =
        unc <= fmax(eb__tracker_place_bound(&s->trk), 0.02 * eb__tracker_period(&s->trk));
    /* The power over (tp, u] lies between e / (span + both uncertainties) and
     * e / (span - both). Where the device's limit falls inside that range, the
     * limit is the estimate: the highest of many such intervals must not read
     * above what the device can draw just because one was placed 1 ms short. */
    double shown = rate, lowest = (e - ep) / (u - tp + unc + s->prev_unc_s);
    double limit = limit_w(s, d);
    if (limit > 0 && rate > limit && lowest <= limit)
        shown = limit;
    s->v[pos] = (eb__sample){u, e, shown, reliable && s->prev_reliable && !step ? u - tp : NAN};
    s->prev_reliable = reliable;
    s->prev_unc_s = unc;
    double slope = step ? 0 : rate; /* samples before a step stay where they were */
    for (size_t i = s->prov_idx; i < pos; i++)
        s->v[i] = (eb__sample){s->v[i].t_s, ep + slope * (s->v[i].t_s - tp), rate, NAN};
    double ahead = isnan(rate) ? 0 : rate;
    for (size_t i = pos + 1; i < s->n; i++)
        s->v[i] = (eb__sample){s->v[i].t_s, e + ahead * (s->v[i].t_s - u), rate, NAN};
    s->prov_idx = pos + 1;
    s->have_move = 1;
    s->move_t = u;
    s->move_j = e;
    s->rate_w = rate;
    return 0;
}

/* A counter that went back, or moved by more than the device can draw in the
 * time its move can cover: the driver was reloaded. */
static int is_reset(const eb__series *s, const eb__domain_desc *d, double ta, unsigned long long c)
{
    if (c < s->last_counter)
        return d->counter_range == 0; /* else it wrapped */
    double limit = limit_w(s, d);
    if (!(limit > 0))
        return 0;
    double dj = (double)(c - s->last_counter) * d->counter_unit_j;
    /* a move carries at least one period's energy, whatever the reads'
     * timing says */
    double until = eb__tracker_latest_move(&s->trk, ta);
    double span = fmax(until - s->prev_lo, eb__tracker_period(&s->trk));
    return dj > 1.5 * limit * span + 1.0;
}

static int stepping_read(eb__series *s, const eb__domain_desc *d, double tb, double ta,
                         unsigned long long c, double t_sample)
{
    if (is_reset(s, d, ta, c)) {
        /* The energy up to then stays; counting resumes from the new value. */
        s->resets++;
        s->reset_at_s = tb;
        s->last_counter = c;
        s->bridge = 1;
        eb__tracker_rebase(&s->trk, tb, c);
        return 0;
    }
    double u, w, lo = s->trk.quiet_t;
    if (!eb__tracker_feed(&s->trk, tb, ta, c, &u, &w))
        return 0;
    if (!s->have_move) {
        s->first_lo = lo;
        s->first_hi = ta;
    }
    if (s->trk.at_read && !isnan(t_sample))
        u = t_sample;                   /* at the read that saw it */
    double dj = counter_delta(s, d, c); /* wraps too, for counters that have a range */
    if (s->bridge && s->have_move && !isnan(s->rate_w)) {
        /* the first move after a reset counts only from the reset: the whole
         * interval is bridged at the rate before it */
        dj = fmax(dj, s->rate_w * (u - s->move_t));
        s->bridge = 0;
    }
    s->last_counter = c;
    s->counter_j += dj;
    /* the earliest this move's energy can have started: this move, less how
     * far it may be from the truth (bounds the jump check) */
    s->prev_lo = u - fmax(fmin(s->trk.last_unc_s, w), 1e-3);
    if (s->have_move && u - s->move_t > s->gap_max_s)
        s->gap_max_s = u - s->move_t;
    int rc = place_move(s, d, u, dj);
    /* the start is refined once the period is known: locked, or told by two
     * narrow moves (then again when it locks) */
    if (rc == 0 && !s->rebased &&
        (s->trk.state == EB__TRK_LOCKED || eb__tracker_period(&s->trk) != s->trk.nominal_s)) {
        if (s->trk.state == EB__TRK_LOCKED)
            refine_first(s);
        rebase(s);
        s->rebased = s->trk.state == EB__TRK_LOCKED;
    }
    return rc;
}

static void go_stuck(eb__series *s, double ta);

/* No move for several periods while the device draws power: the counter has
 * stopped; energy from then on integrates the power readings. */
static void check_stuck(eb__series *s, double ta)
{
    double since = s->have_move ? s->move_t : s->v[0].t_s;
    if (s->stuck || ta - since < stuck_wait(s) || !(s->last_power_w > 1))
        return;
    go_stuck(s, ta);
}

int eb__series_no_move(eb__series *s, double ta)
{
    if (s->n == 0 || s->stuck || s->lost || s->have_move || !(s->last_power_w > 1))
        return 0;
    go_stuck(s, ta);
    return 1;
}

static void go_stuck(eb__series *s, double ta)
{
    s->stuck = 1;
    s->stuck_at_s = ta;
    s->trk.state = EB__TRK_FALLBACK;
    snprintf(s->trk.why, sizeof s->trk.why, "the counter stopped moving");
    /* since the last move the samples were estimates at the last rate: where
     * they kept the instant power, integrate it instead */
    for (size_t i = s->prov_idx; s->aux && i < s->n; i++) {
        double p0 = s->aux[i - 1][EB__AUX_POWER_INSTANT_W];
        double p1 = s->aux[i][EB__AUX_POWER_INSTANT_W];
        if (isnan(p0) || isnan(p1))
            break;
        s->v[i].energy_j = s->v[i - 1].energy_j + 0.5 * (p0 + p1) * (s->v[i].t_s - s->v[i - 1].t_s);
        s->v[i].power_w = p1;
        s->v[i].span_s = 0;
    }
    s->prov_idx = s->n;
}

static int add_stepping_counter(eb__series *s, const eb__domain_desc *d, double t, double tb,
                                double ta, const eb__reading *r)
{
    double p = read_power(r);
    if (r->aux[EB__AUX_POWER_LIMIT_W] > 0)
        s->limit_w = r->aux[EB__AUX_POWER_LIMIT_W];
    if (s->n == 0) {
        eb__tracker_init(&s->trk, d->update_period_s);
        s->trk.tick_s = s->tick_s;
        if (s->track_off) {
            s->trk.state = EB__TRK_FALLBACK;
            snprintf(s->trk.why, sizeof s->trk.why, "tracking is off (EBENCH_TRACK=off)");
        }
        double u, w;
        eb__tracker_feed(&s->trk, tb, ta, r->counter, &u, &w);
        s->last_counter = r->counter;
        s->prev_lo = tb - fmax(EB__TRK_MAX_PERIOD_S, 2 * d->update_period_s);
        s->rate_w = NAN;
        s->prov_idx = 1;
        s->last_power_w = p;
        s->prev_reliable = 0; /* the start is extrapolated */
        push(s, d, t, 0, NAN, r);
        return 0;
    }
    if (s->stuck) { /* trapezoids of the power readings */
        const eb__sample *prev = &s->v[s->n - 1];
        double e = prev->energy_j;
        if (!isnan(p) && !isnan(s->last_power_w))
            e += 0.5 * (p + s->last_power_w) * (t - prev->t_s);
        if (!isnan(p))
            s->last_power_w = p;
        push(s, d, t, e, p, r);
        return 0;
    }
    if (!isnan(p))
        s->last_power_w = p;
    /* the sample first, so a move placed after it puts it on the line */
    push(s, d, t, estimate_at(s, t), s->rate_w, r);
    s->v[s->n - 1].span_s = NAN;
    int rc = stepping_read(s, d, tb, ta, r->counter, t);
    check_stuck(s, ta);
    return rc;
}

int eb__series_track(eb__series *s, const eb__domain_desc *d, double tb, double ta,
                     unsigned long long counter)
{
    if (s->n == 0 || s->stuck || s->lost)
        return 0;
    int rc = stepping_read(s, d, tb, ta, counter, NAN);
    check_stuck(s, ta);
    return rc;
}

int eb__series_add_unread(eb__series *s, const eb__domain_desc *d, double t)
{
    if (s->n == 0 || s->stuck || s->lost || t <= s->v[s->n - 1].t_s)
        return 0;
    if (grow(s, d->has_aux) < 0)
        return EB_ENOMEM;
    eb__reading r = {0};
    if (d->has_aux) /* the sensors as last read (they update with the counter) */
        for (int i = 0; i < EB__AUX_N; i++)
            r.aux[i] = s->aux[s->n - 1][i];
    push(s, d, t, estimate_at(s, t), s->rate_w, &r);
    s->v[s->n - 1].span_s = NAN;
    return 0;
}

int eb__series_settled(const eb__series *s, const eb__domain_desc *d, double t)
{
    if (!(d->method == EB_METHOD_COUNTER && d->counter_holds))
        return 1;
    return s->lost || s->stuck || s->n == 0 || (s->have_move && s->move_t >= t);
}

/* ---- every domain -------------------------------------------------------- */

/* A counter with a range (RAPL) that went back: would the wrap it implies
 * take more power than the device can draw (its limit, else four times the
 * highest power seen and at least 2 kW)? A reset then, not a wrap: one RAPL
 * reset counted as a wrap made 262,144 J and a 5 MW peak. */
static int wrap_implausible(const eb__series *s, const eb__domain_desc *d, double t_s,
                            unsigned long long c)
{
    double dt = t_s - s->v[s->n - 1].t_s;
    double wrap_j = (double)(d->counter_range - s->last_counter + c) * d->counter_unit_j;
    double seen = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].power_w > seen)
            seen = s->v[i].power_w;
    double limit = d->max_power_w > 0 ? 1.5 * d->max_power_w : fmax(2000.0, 4 * seen);
    return !(dt > 0) || wrap_j > limit * dt;
}

/* A counter without a range (hwmon's microjoules) that moved forward by more
 * than the device can draw: 1.5 x its enforced limit where the source knows
 * it (AMD SMI), else 1 MW (no node draws that: garbage, or a reload to
 * another base), over the interval plus one update of the counter (two
 * reads close together can straddle a move). */
static int jump_implausible(const eb__series *s, const eb__domain_desc *d, double t_s,
                            unsigned long long c)
{
    double dt = t_s - s->v[s->n - 1].t_s + d->update_period_s;
    double j = (double)(c - s->last_counter) * d->counter_unit_j;
    double limit_w = d->max_power_w > 0 ? 1.5 * d->max_power_w : 1e6;
    return dt > 0 && j > limit_w * dt;
}

int eb__series_add(eb__series *s, const eb__domain_desc *d, double t_s, const eb__reading *r)
{
    return eb__series_add_read(s, d, t_s, t_s, t_s, r);
}

int eb__series_add_read(eb__series *s, const eb__domain_desc *d, double t_s, double tb, double ta,
                        const eb__reading *r)
{
    const int counter = d->method == EB_METHOD_COUNTER;
    const int stepping = counter && d->counter_holds;

    if (s->n > 0 && t_s < s->v[s->n - 1].t_s)
        return EB_EINVAL;
    if (stepping && s->n > 0 && t_s == s->v[s->n - 1].t_s)
        /* Two reads at one instant (a window boundary on a tick): one sample. */
        return s->stuck ? 0 : stepping_read(s, d, tb, ta, r->counter, t_s);
    if (grow(s, d->has_aux) < 0)
        return EB_ENOMEM;
    if (stepping)
        return add_stepping_counter(s, d, t_s, tb, ta, r);

    double e = 0;
    if (counter && s->n > 0 && r->counter < s->last_counter &&
        (d->counter_range == 0 || wrap_implausible(s, d, t_s, r->counter))) {
        /* it went back, and it never wraps (hwmon's 64-bit microjoules) or
         * no wrap at the power seen could take it there: a reset (a driver
         * reload); the energy up to it stays, the interval across it is
         * bridged at the last rate */
        const eb__sample *prev = &s->v[s->n - 1];
        e = isnan(prev->power_w) ? 0 : prev->power_w * (t_s - prev->t_s);
        s->resets++;
        s->reset_at_s = t_s;
    } else if (counter && s->n > 0 && d->counter_range == 0 && r->counter > s->last_counter &&
               jump_implausible(s, d, t_s, r->counter)) {
        /* a counter that never wraps leapt further than the device can draw
         * (a driver's garbage, a reload to another base): the same as a
         * reset, bridged at the last rate */
        const eb__sample *prev = &s->v[s->n - 1];
        e = isnan(prev->power_w) ? 0 : prev->power_w * (t_s - prev->t_s);
        s->resets++;
        s->reset_at_s = t_s;
    } else if (counter && s->n > 0) {
        e = counter_delta(s, d, r->counter);
    }
    s->counter_j += e;
    s->last_counter = r->counter;
    if (s->n > 0 && t_s == s->v[s->n - 1].t_s) {
        s->v[s->n - 1].energy_j += e;
        return 0;
    }
    double energy = 0, power = NAN;
    if (s->n > 0) {
        const eb__sample *prev = &s->v[s->n - 1];
        double dt = t_s - prev->t_s;
        if (counter)
            power = e / dt;
        else if (d->power_is_interval_mean)
            e = r->power_w * dt;
        else
            e = 0.5 * (s->last_power_w + r->power_w) * dt;
        energy = prev->energy_j + e;
    }
    /* An interval mean at the first sample describes time before the timeline. */
    if (!counter && (s->n > 0 || !d->power_is_interval_mean))
        power = r->power_w;
    s->last_power_w = r->power_w;
    push(s, d, t_s, energy, power, r);
    return 0;
}

void eb__series_free(eb__series *s)
{
    free(s->v);
    free(s->aux);
    s->v = NULL;
    s->aux = NULL;
    s->n = s->cap = 0;
}
