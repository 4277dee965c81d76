/*
 * steady.c - where a power trace settles after warm-up.
 *
 * EB__STEADY_RULE states the rule, and every output quotes it. A slice of
 * `window_s` seconds (default 1 s, widened to hold 3 samples on average;
 * fewer than 3 samples in all: -INFINITY, too few to tell) starts at each
 * sample in turn, so the start is found at the timeline's own resolution. The
 * steady state starts at (the interval ending at) the first sample whose slice's power varies
 * little (coefficient of variation <= `max_cv`, default 5%) and whose slice mean stays within
 * `max_cv` x 2 of the mean of everything from it on, so a quiet moment inside a ramp does not
 * count. If none qualifies, the trace never settles. Prefix sums keep it O(n) for the longest runs.
 */
#include <math.h>
#include <stdlib.h>

#include "analysis.h"

double eb__steady_start(const eb__sample *v, size_t n, double t0, double t1, double window_s,
                        double max_cv)
{
    if (window_s <= 0)
        window_s = 1.0;
    if (max_cv <= 0)
        max_cv = 0.05;
    /* the samples with a power inside the span */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += v[i].t_s > t0 && v[i].t_s <= t1 && !isnan(v[i].power_w);
    if (m < 3)
        return -INFINITY;
    double gap = (t1 - t0) / (double)m;
    if (window_s < 3 * gap) /* sparse samples: a slice must hold at least 3 */
        window_s = 3 * gap;
    double *t = malloc(m * sizeof *t), *s1 = malloc((m + 1) * sizeof *s1),
           *s2 = malloc((m + 1) * sizeof *s2);
    if (!t || !s1 || !s2) {
        free(t);
        free(s1);
        free(s2);
        return NAN;
    }
    /* sums of (p - ref), ref the first power: no cancellation at high power */
    double ref = NAN;
    size_t k = 0;
    s1[0] = s2[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i].t_s > t0 && v[i].t_s <= t1 && !isnan(v[i].power_w)))
            continue;
        if (isnan(ref))
            ref = v[i].power_w;
        double d = v[i].power_w - ref;
        t[k] = v[i].t_s;
        s1[k + 1] = s1[k] + d;
        s2[k + 1] = s2[k] + d * d;
        k++;
    }
    double found = NAN;
    size_t end = 0; /* one past the slice's last sample */
    for (size_t j = 0; j < m && t[j] + window_s <= t1 + 1e-9; j++) {
        if (end < j)
            end = j;
        while (end < m && t[end] <= t[j] + window_s + 1e-12)
            end++;
        double cnt = (double)(end - j);
        if (cnt < 3)
            continue;
        double mean_d = (s1[end] - s1[j]) / cnt, mean = ref + mean_d;
        double var = fmax(0, (s2[end] - s2[j]) / cnt - mean_d * mean_d) * cnt / (cnt - 1);
        double cv = mean > 0 ? sqrt(var) / mean : var == 0 ? 0 : INFINITY; /* flat 0 W: steady */
        if (cv > max_cv)
            continue;
        double rest = ref + (s1[m] - s1[j]) / (double)(m - j);
        if (fabs(mean - rest) <= 2 * max_cv * rest) {
            /* a sample's power is over the interval that ends at it: the
             * steady state starts where that interval does */
            found = j == 0 ? t0 : t[j - 1];
            break;
        }
    }
    free(t);
    free(s1);
    free(s2);
    return found;
}
