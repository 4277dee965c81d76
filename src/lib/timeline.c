/* timeline.c - see timeline.h. */
#include <math.h>
#include <stdlib.h>

#include "timeline.h"

static int grow(eb__series *s)
{
    if (s->n < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 256;
    eb__sample *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return EB_ENOMEM;
    s->v = v;
    s->cap = cap;
    return 0;
}

/* Energy since the previous sample, in joules. */
static double step_energy(eb__series *s, const eb__domain_desc *d, double dt, const eb__reading *r)
{
    if (d->method == EB_METHOD_COUNTER) {
        unsigned long long delta;
        if (r->counter >= s->last_counter) {
            delta = r->counter - s->last_counter;
        } else if (d->counter_range > 0) {
            /* Wrapped once: RAPL counts up to its range, then restarts at 0. */
            delta = d->counter_range - s->last_counter + r->counter;
            s->wraps++;
        } else {
            delta = 0; /* a counter that never wraps went back: reset, not energy */
        }
        return (double)delta * d->counter_unit_j;
    }
    if (d->power_is_interval_mean)
        return r->power_w * dt;
    return 0.5 * (s->last_power_w + r->power_w) * dt;
}

int eb__series_add(eb__series *s, const eb__domain_desc *d, double t_s, const eb__reading *r)
{
    eb__sample sm = {t_s, 0.0, NAN};

    if (s->n > 0 && t_s == s->v[s->n - 1].t_s) {
        /* Two reads at one instant (a window boundary on a tick): one sample. */
        s->v[s->n - 1].energy_j += step_energy(s, d, 0.0, r);
        s->last_counter = r->counter;
        return 0;
    }
    if (grow(s) < 0)
        return EB_ENOMEM;
    if (s->n > 0) {
        const eb__sample *prev = &s->v[s->n - 1];
        double dt = t_s - prev->t_s;
        if (dt < 0)
            return EB_EINVAL;
        double e = step_energy(s, d, dt, r);
        sm.energy_j = prev->energy_j + e;
        if (d->method == EB_METHOD_COUNTER)
            sm.power_w = dt > 0 ? e / dt : prev->power_w;
        if (dt > s->max_gap_s)
            s->max_gap_s = dt;
    }
    /* An interval mean at the first sample describes time before the timeline. */
    if (d->method != EB_METHOD_COUNTER && (s->n > 0 || !d->power_is_interval_mean))
        sm.power_w = r->power_w;
    s->last_counter = r->counter;
    s->last_power_w = r->power_w;
    s->v[s->n++] = sm;
    return 0;
}

void eb__series_free(eb__series *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
