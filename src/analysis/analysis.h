/*
 * analysis.h - pure functions of a timeline (no I/O, no globals).
 */
#ifndef EB_ANALYSIS_H
#define EB_ANALYSIS_H

#include <stddef.h>

#include "ebench.h"
#include "sample.h"

/* Cumulative energy at time t, interpolated linearly between samples and
 * clamped to the first and last sample. NaN for an empty series. */
double eb__energy_at(const eb__sample *v, size_t n, double t_s);

/* Energy, average and peak power and sample count over [t0, t1], for the
 * part of it the samples cover (covered_s). NaN where they cover none. The
 * peak is a mean over at least min_span_s (the sensor's resolution) inside
 * the window; NaN when no such interval fits in it. */
void eb__window_energy(const eb__sample *v, size_t n, double t0, double t1, double min_span_s,
                       eb_domain_energy *out);

/* Student's t, two-sided 95% (the 0.975 quantile), for df degrees of freedom. */
double eb__t975(size_t df);
/* n values (NaN skipped) -> mean, stddev, 95% CI half-width, min, max. */
void eb__stat(const double *x, size_t n, eb_stat *out);
/* Running statistics of values folded one at a time (Welford): what is
 * kept of window instances no longer held one by one. */
typedef struct eb__run {
    size_t n;
    double mean, m2, min, max;
} eb__run;
void eb__run_add(eb__run *r, double x); /* NaN is skipped */
/* c's values into a's, as if a had seen them (Chan et al.'s pairwise update). */
void eb__run_merge(eb__run *a, const eb__run *c);
/* out (eb__stat over other values) combined with r: as if eb__stat had seen
 * both sets. */
void eb__stat_merge(eb_stat *out, const eb__run *r);
/* Indices of outliers (modified z-score > 3.5); returns how many (<= max_idx). */
size_t eb__outliers(const double *x, size_t n, size_t *idx, size_t max_idx);

/* The steady-state rule as every output quotes it (docs/METHODOLOGY.md too). */
#define EB__STEADY_RULE                                                                            \
    "from the first sample on which 1 s of power varies by at most 5% (CV) and stays within "      \
    "10% of the mean of the rest"

/* Start of the steady state of a power trace within [t0, t1], NaN if it
 * never settles, -INFINITY if it has too few samples to tell (steady.c says
 * how). window_s <= 0: 1 s; max_cv <= 0: 5%. */
double eb__steady_start(const eb__sample *v, size_t n, double t0, double t1, double window_s,
                        double max_cv);

/* Carbon intensity of electricity by region (carbon.c): gCO2/kWh, or NaN if
 * the code is unknown, with up to 3 close matches written to near. */
typedef struct eb__region {
    const char *code, *name;
    double g_per_kwh;
} eb__region;
extern const char eb__carbon_source[];
extern const eb__region eb__world;
const eb__region *eb__region_find(const char *code, char *near, size_t near_len);

#endif
