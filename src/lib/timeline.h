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

#include "../analysis/sample.h"
#include "../sources/source.h"
#include "tracker.h"

typedef struct eb__series {
    eb__sample *v;
    float (*aux)[EB__AUX_N]; /* per sample, for domains with has_aux */
    size_t n, cap;
    unsigned long long last_counter;
    double counter_j; /* energy the counter has shown since the first sample */
    double last_power_w;
    /* memory stays bounded: past this many samples the older half is thinned
     * to every other sample (0: EB__SERIES_MAX) */
    size_t max_samples;
    size_t next_thin; /* pins held samples back: thinned again from this n */
    /* The sorted times whose neighbouring samples thinning keeps (window
     * edges), given by the bench when it thins; NULL: none. */
    void (*pins)(void *ctx, const double **t, size_t *n);
    void *pins_ctx;
    /* Called (with pins_ctx) before samples up to index `upto` are thinned:
     * the bench takes the peaks there of the windows that reach back so far. */
    void (*before_thin)(void *ctx, const struct eb__series *s, size_t upto);
    /* The timeline file (eb_config.timeline_csv): samples from stream_idx on
     * are not written yet; those thinned before the writer came to them. */
    int streaming;
    size_t stream_idx;
    size_t stream_thinned;
    size_t wraps;
    size_t bad_reads;
    int lost;
    double lost_at_s;

    /* Counters that move in steps (counter_holds): each move is placed where
     * the tracker says it happened; samples from prov_idx on come after the
     * last placed move and are estimates at the last rate until the next
     * move is placed. */
    eb__tracker trk;
    int track_off; /* no tracking: moves placed at their reads */
    double tick_s; /* the sampler's interval, for the tracker */
    size_t prov_idx;
    int have_move;
    double move_t, move_j, rate_w; /* the last placed move and the rate before it */
    double prev_lo;                /* the earliest its energy can have started */
    double base_j;                 /* counter energy before the timeline's start */
    double first_u, first_j;       /* the first move, kept to refine base_j */
    double first_lo, first_hi;     /* its bracket: the fit places it better once locked */
    int rebased;
    int prev_reliable; /* the last move was placed well enough for a peak */
    double prev_unc_s; /* how far it may be from the truth */
    size_t resets;     /* the counter went back or jumped: a driver reload */
    double reset_at_s; /* the last one */
    double gap_max_s;  /* the longest time between two moves */
    int bridge;        /* a reset: the next move is bridged at the last rate */
    double limit_w;    /* the device's power limit as last read; 0: not read */
    int stuck;         /* stopped moving while the device drew power */
    double stuck_at_s; /* from then on energy integrates the power readings */
} eb__series;

/* A move placed further than this from the truth (or 2% of a period) bounds
 * no peak: a peak's two ends could make it up to 4% wrong. */

/* Samples not yet written to the timeline file that thinning leaves alone
 * (a slow disk, or a stepping counter whose figures are not final until its
 * tracker locks), beyond the history if that is shorter. */
#define EB__STREAM_BACKLOG ((size_t)16384)

#define EB__SERIES_MAX EB_DEFAULT_HISTORY_SAMPLES

/* Appends one reading at time t_s. Returns 0, EB_ENOMEM, or EB_EINVAL when t_s
 * is earlier than the last sample. */
int eb__series_add(eb__series *s, const eb__domain_desc *d, double t_s, const eb__reading *r);
/* The same, for a read that took place between tb and ta (t_s <= tb): stepping
 * counters bracket their moves with the read's own times. */
int eb__series_add_read(eb__series *s, const eb__domain_desc *d, double t_s, double tb, double ta,
                        const eb__reading *r);
/* A read of a stepping counter alone, made for the tracker between two
 * samples: it places a move if it sees one, and adds no sample. */
/* A sample at t of a stepping counter that was not read (no move was due):
 * on the line from its last move at the last rate, like any sample after it;
 * the tracker learns nothing from it. */
int eb__series_add_unread(eb__series *s, const eb__domain_desc *d, double t);

int eb__series_track(eb__series *s, const eb__domain_desc *d, double tb, double ta,
                     unsigned long long counter);
/* At the end of a run: a counter that never moved while the device drew
 * power is integrated from its power readings instead. Returns 1 if so. */
int eb__series_no_move(eb__series *s, double ta);
/* Whether the counter's figure at t is final: a move was placed after t. */
int eb__series_settled(const eb__series *s, const eb__domain_desc *d, double t);
void eb__series_free(eb__series *s);

#endif
