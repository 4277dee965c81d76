/*
 * steady.c - where a power trace settles after warm-up.
 *
 * The trace is split into consecutive slices of `window_s` seconds (default
 * 1 s, widened to hold 3 samples on average; fewer than 3 samples in all:
 * -INFINITY, too few to tell). The steady state starts at the first slice whose
 * power varies little (coefficient of variation of its samples' power <=
 * `max_cv`, default 5%) and whose mean stays within `max_cv` x 2 of the mean
 * of everything after it, so a quiet moment inside a ramp does not count. If
 * no slice qualifies, the trace never settles.
 */
#include <math.h>

#include "analysis.h"

static void slice_stats(const eb__sample *v, size_t n, double a, double b, double *mean, double *cv,
                        size_t *k)
{
    double sum = 0, ss = 0;
    *k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].t_s > a && v[i].t_s <= b && !isnan(v[i].power_w)) {
            sum += v[i].power_w;
            (*k)++;
        }
    *mean = *k ? sum / (double)*k : NAN;
    for (size_t i = 0; i < n; i++)
        if (v[i].t_s > a && v[i].t_s <= b && !isnan(v[i].power_w))
            ss += (v[i].power_w - *mean) * (v[i].power_w - *mean);
    if (*k < 2)
        *cv = INFINITY;
    else if (*mean > 0)
        *cv = sqrt(ss / (double)(*k - 1)) / *mean;
    else
        *cv = ss == 0 ? 0 : INFINITY; /* a flat 0 W is steady too */
}

double eb__steady_start(const eb__sample *v, size_t n, double t0, double t1, double window_s,
                        double max_cv)
{
    if (window_s <= 0)
        window_s = 1.0;
    if (max_cv <= 0)
        max_cv = 0.05;
    /* Sparse samples (long intervals): a slice must hold at least 3 of them. */
    size_t in_span = 0;
    for (size_t i = 0; i < n; i++)
        in_span += v[i].t_s > t0 && v[i].t_s <= t1 && !isnan(v[i].power_w);
    if (in_span < 3)
        return -INFINITY;
    double gap = (t1 - t0) / (double)in_span;
    if (window_s < 3 * gap)
        window_s = 3 * gap;
    for (double a = t0; a + window_s <= t1 + 1e-9; a += window_s) {
        double mean, cv, rest_mean, rest_cv;
        size_t k, rest_k;
        slice_stats(v, n, a, a + window_s, &mean, &cv, &k);
        if (k < 3 || cv > max_cv)
            continue;
        slice_stats(v, n, a, t1, &rest_mean, &rest_cv, &rest_k);
        if (fabs(mean - rest_mean) <= 2 * max_cv * rest_mean)
            return a;
    }
    return NAN;
}
