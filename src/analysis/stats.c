/*
 * stats.c - statistics over repetitions: mean, sample standard deviation,
 * 95% confidence interval of the mean with Student's t, and outliers by the
 * modified z-score of Iglewicz and Hoaglin (|0.6745 (x - median) / MAD| > 3.5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom
 * (standard tables), then 40, 60, 120 and infinity. */
static const double t30[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                             2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                             2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

double eb__t975(size_t df)
{
    static const double dfs[] = {30, 40, 60, 120, INFINITY},
                        ts[] = {2.042, 2.021, 2.000, 1.980, 1.960};
    if (df == 0)
        return NAN;
    if (df <= 30)
        return t30[df - 1];
    /* between table rows, linear in 1/df (the usual interpolation) */
    for (int i = 1; i < 5; i++) {
        if ((double)df <= dfs[i]) {
            double a = 1 / dfs[i - 1], b = isinf(dfs[i]) ? 0 : 1 / dfs[i], x = 1 / (double)df;
            return ts[i - 1] + (ts[i] - ts[i - 1]) * (a - x) / (a - b);
        }
    }
    return 1.960;
}

void eb__stat(const double *x, size_t n, eb_stat *out)
{
    memset(out, 0, sizeof *out);
    out->mean = out->stddev = out->ci95 = out->min = out->max = NAN;
    size_t k = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        sum += x[i];
        k++;
        if (!(x[i] >= out->min))
            out->min = x[i];
        if (!(x[i] <= out->max))
            out->max = x[i];
    }
    out->n = k;
    if (k == 0)
        return;
    out->mean = sum / (double)k;
    if (k < 2)
        return;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - out->mean) * (x[i] - out->mean);
    out->stddev = sqrt(ss / (double)(k - 1));
    out->ci95 = eb__t975(k - 1) * out->stddev / sqrt((double)k);
}

void eb__run_add(eb__run *r, double x)
{
    if (isnan(x))
        return;
    if (r->n == 0 || x < r->min)
        r->min = x;
    if (r->n == 0 || x > r->max)
        r->max = x;
    r->n++;
    double d = x - r->mean;
    r->mean += d / (double)r->n;
    r->m2 += d * (x - r->mean);
}

void eb__run_merge(eb__run *a, const eb__run *c)
{
    if (c->n == 0)
        return;
    if (a->n == 0) {
        *a = *c;
        return;
    }
    size_t n = a->n + c->n;
    double d = c->mean - a->mean;
    a->m2 += c->m2 + d * d * (double)a->n * (double)c->n / (double)n;
    a->mean += d * (double)c->n / (double)n;
    a->min = fmin(a->min, c->min);
    a->max = fmax(a->max, c->max);
    a->n = n;
}

void eb__stat_merge(eb_stat *out, const eb__run *r)
{
    if (r->n == 0)
        return;
    size_t na = out->n;
    eb__run a = {na, na ? out->mean : 0, na >= 2 ? out->stddev * out->stddev * (double)(na - 1) : 0,
                 out->min, out->max};
    eb__run_merge(&a, r);
    out->n = a.n;
    out->mean = a.mean;
    out->min = a.min;
    out->max = a.max;
    out->stddev = out->ci95 = NAN;
    if (a.n >= 2) {
        out->stddev = sqrt(a.m2 / (double)(a.n - 1));
        out->ci95 = eb__t975(a.n - 1) * out->stddev / sqrt((double)a.n);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

size_t eb__outliers(const double *x, size_t n, size_t *idx, size_t max_idx)
{
    if (n < 3)
        return 0;
    double *v = malloc(n * sizeof *v);
    if (!v)
        return 0;
    memcpy(v, x, n * sizeof *v);
    double med = median(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(x[i] - med);
    double mad = median(v, n);
    free(v);
    size_t k = 0;
    for (size_t i = 0; i < n && k < max_idx; i++) {
        /* with MAD 0 (most values equal), any value off the median stands out;
         * but never one within 2% of the median: with three runs the MAD is
         * tiny, and a 0.85% difference was called an outlier */
        int out = mad > 0 ? fabs(0.6745 * (x[i] - med) / mad) > 3.5 : x[i] != med;
        out = out && fabs(x[i] - med) > 0.02 * fabs(med);
        if (out)
            idx[k++] = i;
    }
    return k;
}
