/*
 * tracker.h - where an energy counter that moves in steps really moved.
 *
 * A counter such as NVML's total energy holds its value between update
 * instants u_k ~ phase + k x period that the device keeps on a clock of its
 * own (../shared/COUNTERS.md states the model). A read only says that the
 * last move happened at or before it, so a move is known to lie between the
 * last read that did not show it and the first that did: its bracket. The
 * tracker keeps that bracket narrow and cheap:
 *   - acquire: read every EB__TRK_FAST_S until three moves are seen, then fit
 *     the period from their spacing (accepted: 5 ms .. 1 s, regular);
 *   - locked: fit u_k = phase + k x period by least squares over the recent
 *     moves (follows drift), read once a little before the next predicted
 *     move, then every EB__TRK_FAST_S until it shows (2-3 reads per period
 *     on a steady counter);
 *   - a prediction missed by more than half a period: lock lost, acquire
 *     again; no move for EB__TRK_QUIET_PERIODS periods: stop fast reads until
 *     a regular read sees one;
 *   - reads too slow for any narrow bracket (an H200's counter read takes
 *     2-28 ms, longer while the GPU is busy): the line u_k = phase + k x
 *     period that every recent bracket holds, however wide each is (the
 *     band fit); a counter as regular as the H200's (160 brackets of 20-60
 *     ms held one line to 4-6 ms) is locked that way;
 *   - no acceptable period: fallback, moves are placed at the reads that see
 *     them (edges uncertain by one period), and no extra reads are made.
 * Each move is placed at the middle of its bracket; a wide bracket (a read
 * came late) while locked takes the prediction, kept inside the bracket.
 *
 * Pure state machine: no clock, no I/O. Times are seconds on the bench clock.
 */
#ifndef EB_TRACKER_H
#define EB_TRACKER_H

#include <stddef.h>

#define EB__TRK_RING 128 /* recent moves: 12.8 s of a 100 ms counter, more than the fit's 10 s */
#define EB__TRK_FAST_S 0.001       /* read spacing while looking for a move */
#define EB__TRK_MIN_PERIOD_S 0.005 /* accepted update periods */
#define EB__TRK_MAX_PERIOD_S 1.0
#define EB__TRK_NARROW_S                                                                           \
    0.003 /* a bracket this narrow is placed at its middle (no less than                           \
             what two reads take: a driver whose counter read costs 2-6 ms,                        \
             as on an H200, brackets no move narrower) */
#define EB__TRK_QUIET_PERIODS 5
/* Locked with a steady fit (moves scatter at most EB__TRK_SPARSE_MAX_S rms
 * around it, as little as a narrow bracket's middle would): the reads around a move are made every
 * EB__TRK_SPARSE_EVERY-th period only, which keeps the fit; the other moves are placed at their
 * prediction inside the bracket the samples give. */
#define EB__TRK_SPARSE_EVERY 8
#define EB__TRK_SPARSE_MAX_S 0.0005

typedef enum {
    EB__TRK_ACQUIRE = 0, /* learning the period: fast reads */
    EB__TRK_LOCKED,      /* reads just around each predicted move */
    EB__TRK_QUIET,       /* no move for a while: regular reads only */
    EB__TRK_FALLBACK     /* no usable period: moves placed at their reads */
} eb__trk_state;

typedef struct eb__tracker {
    eb__trk_state state;
    int started;
    unsigned long long value; /* the counter at the last read */
    double quiet_t;           /* start of the last read that showed `value` before a move */
    double quiet_end;         /* and its end */
    double last_read_t;       /* end of the last read */
    double nominal_s;         /* the backend's stated period (a prior only) */
    /* recent placed moves, oldest first once full (ring) */
    double mv_t[EB__TRK_RING];
    double mv_w[EB__TRK_RING];
    double mv_lo[EB__TRK_RING], mv_hi[EB__TRK_RING]; /* the brackets themselves */
    long mv_k[EB__TRK_RING];
    size_t mv_n, mv_head;
    double last_move_t; /* the newest placed move; NaN before the first */
    long last_k;
    double acquire_since;
    /* the fit: u_k = phase + k x period */
    double period_s, phase_s, resid_s;
    size_t narrow_since_lock; /* moves bracketed narrowly since the lock */
    int wide_run;             /* moves in a row whose bracket did not hold the prediction */
    int narrow_run;           /* moves in a row placed within the fit's margin */
    int early_run;            /* moves in a row that came before the read meant to precede them */
    double tick_s;            /* the sampler's interval (0: unknown) */
    double boost_s;           /* extra margin after moves that came before the early read */
    /* what it cost and how well it did */
    size_t reads, moves, misses, relocks;
    double width_sum_s, width_max_s;
    double unc_sum_s, unc_max_s; /* how far placed moves may be from the truth */
    double last_unc_s;           /* that of the newest move */
    int at_read;                 /* the newest move was placed at the read that saw it */
    double per_move;             /* counter units per move, recent (0: unknown) */
    double read_s;               /* a typical read's duration (biased to the fast ones) */
    double jit_s;                /* the moves' own scatter around the fit, bracket widths
                                    taken out (resid_s includes them) */
    double pred_sd_s;            /* how far a predicted move may be: jitter and fit error */
    double fit_kbar;             /* the fitted moves' mean index */
    double period_sd_s;          /* the fitted period's own error */
    size_t band_fits;            /* fits made by the band */
    double band_s;               /* fitted by the brackets' band (slow reads: no narrow
                                    bracket to fit by): the band's width; 0 otherwise */
    char why[160];               /* why it fell back; "" otherwise */
} eb__tracker;

void eb__tracker_init(eb__tracker *k, double nominal_period_s);

/* Feeds one read taken between tb and ta (bench clock) that returned value.
 * Returns 1 when the counter moved since the previous read, with the placed
 * instant in *u and the bracket width in *width; 0 otherwise. */
int eb__tracker_feed(eb__tracker *k, double tb, double ta, unsigned long long value, double *u,
                     double *width);

/* The counter was reset (went back): value is the new base; the next move is
 * bracketed from this read on. */
void eb__tracker_rebase(eb__tracker *k, double tb, unsigned long long value);

/* The latest instant at which a move seen by a read ending at t can have
 * happened: the newest predicted move before t, plus its margin, when
 * locked; t otherwise. */
double eb__tracker_latest_move(const eb__tracker *k, double t);

/* The widest bracket that counts as narrow: EB__TRK_NARROW_S, or what two
 * reads and a fast-read gap take where reads are slow. */
double eb__tracker_narrow(const eb__tracker *k);

/* How far a well-placed move may be from the truth: EB__PEAK_PLACEMENT_S
 * (2 ms) where reads are fast, 1.5 narrow brackets where they are slow.
 * Peaks use intervals between such moves only. */
#define EB__PEAK_PLACEMENT_S 0.002
double eb__tracker_place_bound(const eb__tracker *k);

/* Whether a regular read at t can be left out: locked with a steady fit
 * (sparse), the last read less than a period ago and no move predicted
 * before t (the read would show
 * nothing new and cost a slow driver call). */
int eb__tracker_can_skip(const eb__tracker *k, double t);

/* Whether it is locked well enough to place most moves by prediction. */
int eb__tracker_sparse(const eb__tracker *k);

/* When the tracker wants its next read (INFINITY: no extra read). */
double eb__tracker_next(const eb__tracker *k);

/* The period it works with: the fit when locked, else the stated one. */
double eb__tracker_period(const eb__tracker *k);

const char *eb__tracker_state_name(eb__trk_state s);

#endif
