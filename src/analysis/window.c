/*
 * window.c - energy, average and peak power of a window over a domain's
 * samples. Pure functions: no I/O, no state.
 */
#include <math.h>

#include "analysis.h"

/* Index of the first sample with t > t_s (n if none). */
static size_t upper(const eb__sample *v, size_t n, double t_s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].t_s <= t_s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first sample with t >= t_s (n if none). */
static size_t lower(const eb__sample *v, size_t n, double t_s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].t_s < t_s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double eb__energy_at(const eb__sample *v, size_t n, double t_s)
{
    if (n == 0)
        return NAN;
    size_t i = upper(v, n, t_s);
    if (i == 0)
        return v[0].energy_j;
    if (i == n)
        return v[n - 1].energy_j;
    const eb__sample *a = &v[i - 1], *b = &v[i];
    double span = b->t_s - a->t_s;
    if (span <= 0)
        return b->energy_j;
    return a->energy_j + (b->energy_j - a->energy_j) * (t_s - a->t_s) / span;
}

/* Whether sample i's power is a measured mean over its own interval. */
static int resolved(const eb__sample *v, size_t i)
{
    return !(isnan(v[i].span_s) || isnan(v[i].power_w) || (v[i].span_s <= 0 && i == 0));
}

/* Where sample i's interval begins. */
static double start_of(const eb__sample *v, size_t i)
{
    return v[i].span_s > 0 ? v[i].t_s - v[i].span_s : v[i - 1].t_s;
}

void eb__window_energy(const eb__sample *v, size_t n, double t0, double t1, double min_span_s,
                       eb_domain_energy *out)
{
    out->energy_j = out->avg_power_w = out->peak_power_w = out->peak_span_s = NAN;
    out->samples = 0;
    out->covered_s = 0;
    if (n == 0 || t1 < t0)
        return;
    /* Only the part of the window between the first and last sample is
     * known; outside it the domain said nothing, which is not 0 J. */
    double a = t0 > v[0].t_s ? t0 : v[0].t_s;
    double b = t1 < v[n - 1].t_s ? t1 : v[n - 1].t_s;
    if (b < a || (b == a && t1 > t0))
        return;
    out->covered_s = b - a;
    out->energy_j = eb__energy_at(v, n, b) - eb__energy_at(v, n, a);
    if (b > a)
        out->avg_power_w = out->energy_j / (b - a);
    out->samples = upper(v, n, t1) - lower(v, n, t0);

    /* The peak: the highest mean power over an interval the sensor resolves
     * (at least min_span_s: for each measured interval's end, the shortest
     * run of intervals ending there that spans that long, sliding) and that
     * lies inside the window. Points on the line between two measured
     * instants (span NaN) resolve nothing finer than that line; a hole as
     * long as min_span_s (a lost device, a gap in sampling) starts a new run,
     * a shorter one (moves placed by prediction) does not: the energy across
     * it is in the cumulative figures, so a run's mean stays exact. */
    const double eps = 1e-9;
    size_t j = (size_t)-1; /* the run's first interval */
    double last_end = NAN;
    for (size_t i = upper(v, n, t0); i < n && v[i].t_s <= t1 + eps; i++) {
        if (!resolved(v, i) || start_of(v, i) < t0 - eps)
            continue;
        if (j == (size_t)-1 || start_of(v, i) > last_end + fmax(eps, min_span_s))
            j = i;
        last_end = v[i].t_s;
        for (size_t k = j + 1; k <= i; k++) { /* slide the start while it still spans */
            if (!resolved(v, k) || start_of(v, k) < t0 - eps)
                continue;
            if (v[i].t_s - start_of(v, k) < min_span_s - eps)
                break;
            j = k;
        }
        double from = start_of(v, j), len = v[i].t_s - from;
        if (len < min_span_s - eps || len <= 0)
            continue;
        /* one interval: its own figure (the instant reading for trapezoid
         * domains); several: their mean */
        double p = j == i ? v[i].power_w : (v[i].energy_j - eb__energy_at(v, n, from)) / len;
        if (!(p <= out->peak_power_w)) {
            out->peak_power_w = p;
            out->peak_span_s = len;
        }
    }
    /* the window as a whole is one such interval too: a peak is never below
     * the window's own mean power (blocks cut across a step could miss it) */
    if (out->covered_s >= min_span_s - eps && out->covered_s > 0 &&
        !(out->avg_power_w <= out->peak_power_w) && !isnan(out->avg_power_w) &&
        !isnan(out->peak_power_w)) {
        out->peak_power_w = out->avg_power_w;
        out->peak_span_s = out->covered_s;
    }
}
