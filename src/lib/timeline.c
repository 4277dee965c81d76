/* timeline.c - see timeline.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

static int grow(eb__series *s, int aux)
{
    if (s->n < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 256;
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

/* Keeps memory bounded on long runs: the older half of the samples is
 * thinned to every other one. A kept sample's cumulative energy is exact, so
 * any window's energy stays exact at kept samples and is interpolated between
 * them; its power becomes the mean over the merged interval (peaks older than
 * half the run are smoothed). Estimates not yet settled (counter_holds) are
 * left alone. */
static void thin(eb__series *s, int holds)
{
    size_t half = s->n / 2;
    if (holds && half > s->prov_idx)
        half = s->prov_idx;
    half &= ~(size_t)1; /* pairs */
    if (half < 4)
        return;
    size_t k = 1; /* sample 0 stays: the start of the timeline */
    for (size_t i = 2; i < half; i += 2, k++) {
        double dt = s->v[i].t_s - s->v[k - 1].t_s;
        s->v[k] = s->v[i];
        if (dt > 0 && !isnan(s->v[i].power_w))
            s->v[k].power_w = (s->v[i].energy_j - s->v[k - 1].energy_j) / dt;
        if (s->aux)
            memcpy(s->aux[k], s->aux[i], sizeof s->aux[0]);
    }
    size_t removed = half - k;
    memmove(&s->v[k], &s->v[half], (s->n - half) * sizeof *s->v);
    if (s->aux)
        memmove(&s->aux[k], &s->aux[half], (s->n - half) * sizeof *s->aux);
    s->n -= removed;
    if (holds)
        s->prov_idx -= removed;
}

static void push(eb__series *s, const eb__domain_desc *d, double t, double e, double p,
                 const eb__reading *r)
{
    s->v[s->n] = (eb__sample){t, e, p};
    if (d->has_aux)
        for (int i = 0; i < EB__AUX_N; i++)
            s->aux[s->n][i] = (float)r->aux[i];
    s->n++;
    if (s->n >= (s->max_samples ? s->max_samples : EB__SERIES_MAX))
        thin(s, d->method == EB_METHOD_COUNTER && d->counter_holds);
}

/* A counter that moves only every update period (NVML). A move is placed at
 * the read that sees it: with periodic sampling that lags the true move by a
 * nearly constant time, which cancels in differences (placing it at the
 * midpoint of the two reads was tried: biased, because the sampler and the
 * sensor run at related periods). Samples after the last move are estimates
 * at the last rate; when the counter moves again they are replaced by the
 * straight line between the two moves, which is exact for constant power. */
static void add_holding_counter(eb__series *s, const eb__domain_desc *d, double t,
                                const eb__reading *r)
{
    if (s->n == 0) {
        s->prov_idx = 1;
        s->change_t = t;
        s->change_j = 0;
        s->change_rate_w = NAN;
        push(s, d, t, 0, NAN, r);
        return;
    }
    int moved = s->counter_j > s->change_j;
    if (moved || t - s->change_t >= 2 * d->update_period_s) {
        double tc = t;
        double rate = (s->counter_j - s->change_j) / (tc - s->change_t);
        for (size_t i = s->prov_idx; i < s->n; i++) {
            s->v[i].energy_j = s->change_j + rate * (s->v[i].t_s - s->change_t);
            s->v[i].power_w = rate;
        }
        s->change_t = tc;
        s->change_j = s->counter_j;
        s->change_rate_w = rate;
        s->prov_idx = s->n + 1;
        push(s, d, t, s->change_j, rate, r);
        return;
    }
    double rate = isnan(s->change_rate_w) ? 0 : s->change_rate_w;
    push(s, d, t, s->change_j + rate * (t - s->change_t), s->change_rate_w, r);
}

int eb__series_add(eb__series *s, const eb__domain_desc *d, double t_s, const eb__reading *r)
{
    const int counter = d->method == EB_METHOD_COUNTER;
    double e = counter && s->n > 0 ? counter_delta(s, d, r->counter) : 0;

    if (s->n > 0 && t_s < s->v[s->n - 1].t_s)
        return EB_EINVAL;
    if (s->n > 0 && t_s == s->v[s->n - 1].t_s) {
        /* Two reads at one instant (a window boundary on a tick): one sample. */
        s->counter_j += e;
        s->last_counter = r->counter;
        if (!d->counter_holds)
            s->v[s->n - 1].energy_j += e;
        return 0;
    }
    if (grow(s, d->has_aux) < 0)
        return EB_ENOMEM;
    s->counter_j += e;
    s->last_counter = r->counter;
    if (counter && d->counter_holds) {
        add_holding_counter(s, d, t_s, r);
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
