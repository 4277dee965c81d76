/*
 * timeline.h - per-domain samples, with energy integrated as they arrive.
 *
 * Counter domains: the delta of the raw counter, corrected for wraparound
 * at the counter's range, times the counter unit. Power domains: trapezoids
 * between instant readings, or power x dt where the reading is already the
 * mean since the previous one. Each sample keeps the cumulative energy since
 * the first sample, so any window is a difference of two (interpolated)
 * cumulative values.
 */
#ifndef EB_TIMELINE_H
#define EB_TIMELINE_H

#include <stddef.h>

#include "../sources/source.h"

typedef struct eb__sample {
    double t_s;      /* bench clock */
    double energy_j; /* cumulative since the first sample */
    double power_w;  /* mean since the previous sample (counters, interval
                        means) or the instant reading; NaN if unknown */
} eb__sample;

typedef struct eb__series {
    eb__sample *v;
    float (*aux)[EB__AUX_N]; /* per sample, for domains with has_aux */
    size_t n, cap;
    unsigned long long last_counter;
    double counter_j; /* energy the counter has shown since the first sample */
    double last_power_w;
    /* counter_holds: when the counter last moved (change_t, change_j), the
     * rate before that, and the first sample after it (an estimate) */
    size_t prov_idx;
    /* memory stays bounded: past this many samples the older half is thinned
     * to every other sample (0: EB__SERIES_MAX) */
    size_t max_samples;
    double change_t, change_j, change_rate_w;
    size_t wraps;
    size_t bad_reads;
    int lost;
    double lost_at_s;
} eb__series;

#define EB__SERIES_MAX ((size_t)1 << 20) /* 24 MiB a domain: 29 h at 10 Hz */

/* Appends one reading at time t_s. Returns 0, EB_ENOMEM, or EB_EINVAL when t_s
 * is earlier than the last sample. */
int eb__series_add(eb__series *s, const eb__domain_desc *d, double t_s, const eb__reading *r);
void eb__series_free(eb__series *s);

#endif
