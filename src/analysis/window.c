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

void eb__window_energy(const eb__sample *v, size_t n, double t0, double t1, eb_domain_energy *out)
{
    out->energy_j = out->avg_power_w = out->peak_power_w = NAN;
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

    /* Sample i's power covers (t[i-1], t[i]]: the peak looks at every such
     * interval that overlaps (t0, t1). */
    size_t lo = lower(v, n, t0), hi = upper(v, n, t1);
    out->samples = hi - lo;
    size_t i_end = lower(v, n, t1) + 1;
    if (i_end > n)
        i_end = n;
    for (size_t i = upper(v, n, t0); i < i_end; i++)
        if (!isnan(v[i].power_w) && !(v[i].power_w <= out->peak_power_w))
            out->peak_power_w = v[i].power_w;
}
