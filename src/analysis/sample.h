/*
 * sample.h - one point of a domain's timeline, what the analysis layer reads:
 * the library's timeline (src/lib/timeline.h) is made of these, and the pure
 * functions in analysis.h take arrays of them, so analysis depends on this
 * file and the public header only.
 */
#ifndef EB_SAMPLE_H
#define EB_SAMPLE_H

typedef struct eb__sample {
    double t_s;      /* bench clock */
    double energy_j; /* cumulative since the first sample */
    double power_w;  /* mean since the previous sample (counters, interval
                        means) or the instant reading; NaN if unknown */
    double span_s;   /* power_w is the mean over (t_s - span_s, t_s]; 0: since the
                        previous sample; NaN: a point on the line between two
                        measured instants, whose power says nothing finer */
} eb__sample;

#endif
