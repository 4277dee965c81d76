/* tracker.c - see tracker.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracker.h"

#define MARGIN_MIN_S 0.001 /* the read before a predicted move, at least this early */

void eb__tracker_init(eb__tracker *k, double nominal_period_s)
{
    memset(k, 0, sizeof *k);
    k->state = EB__TRK_ACQUIRE;
    k->nominal_s = nominal_period_s > 0 ? nominal_period_s : 0.1;
    k->last_move_t = NAN;
    k->period_s = k->phase_s = NAN;
}

const char *eb__tracker_state_name(eb__trk_state s)
{
    static const char *const names[] = {"acquiring", "locked", "quiet", "fallback"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

double eb__tracker_narrow(const eb__tracker *k)
{
    return fmax(EB__TRK_NARROW_S, 2.5 * k->read_s + EB__TRK_FAST_S);
}

double eb__tracker_place_bound(const eb__tracker *k)
{
    /* slow reads: what most moves state (half a bracket of two or three
     * reads, or the fit's reach: ~1.5 narrow brackets); peaks then merge
     * intervals in proportion, so the ends stay as small a part */
    double narrow = eb__tracker_narrow(k);
    return narrow > EB__TRK_NARROW_S ? fmax(EB__PEAK_PLACEMENT_S, 1.5 * narrow)
                                     : EB__PEAK_PLACEMENT_S;
}

static size_t slot(const eb__tracker *k, size_t i) /* i-th oldest */
{
    return k->mv_n < EB__TRK_RING ? i : (k->mv_head + i) % EB__TRK_RING;
}

/* The spacing of the last two moves if both were bracketed narrowly enough to
 * tell it (0 otherwise). */
static double last_spacing(const eb__tracker *k)
{
    if (k->mv_n < 2)
        return 0;
    size_t a = slot(k, k->mv_n - 2), b = slot(k, k->mv_n - 1);
    double d = k->mv_t[b] - k->mv_t[a];
    return d > 0 && fmax(k->mv_w[a], k->mv_w[b]) <= 0.15 * d ? d : 0;
}

double eb__tracker_period(const eb__tracker *k)
{
    if (isfinite(k->period_s))
        return k->period_s;
    /* acquiring: a slow counter is told by its moves, not by the prior */
    double d = last_spacing(k);
    return d > 0 ? d : k->nominal_s;
}

static void push_move(eb__tracker *k, double u, double w, long idx, double lo, double hi)
{
    size_t at = k->mv_n < EB__TRK_RING ? k->mv_n++ : k->mv_head;
    if (k->mv_n == EB__TRK_RING && at == k->mv_head)
        k->mv_head = (k->mv_head + 1) % EB__TRK_RING;
    k->mv_t[at] = u;
    k->mv_w[at] = w;
    k->mv_k[at] = idx;
    k->mv_lo[at] = lo;
    k->mv_hi[at] = hi;
}

/* The band fit: the strictly periodic line u_k = phase + k x period that
 * every recent bracket [lo, hi] holds. For each period on a grid over
 * p0 x (1 +- span) the phases allowed by all brackets form an interval; the
 * widest wins, then the grid is refined around it. Returns the band's width
 * (negative: no line holds them all) and the line through its middle. */
static double band_fit(const eb__tracker *k, double p0, double span, double since, double *period,
                       double *phase, double *spread)
{
    double best = -INFINITY, best_p = p0, best_c = 0, next_lo = INFINITY, next_hi = -INFINITY;
    long k0 = k->last_k;
    for (int pass = 0; pass < 2; pass++) {
        double centre = pass ? best_p : p0, half = pass ? 2 * span * p0 / 200 : span * p0;
        for (int j = 0; j <= 200; j++) {
            double p = centre + half * (j / 100.0 - 1);
            double a = -INFINITY, b = INFINITY;
            size_t used = 0;
            for (size_t i = 0; i < k->mv_n; i++) {
                size_t s = slot(k, i);
                if (k->mv_t[s] < since || !isfinite(k->mv_lo[s]))
                    continue;
                double kk = (double)(k->mv_k[s] - k0);
                a = fmax(a, k->mv_lo[s] - p * kk);
                b = fmin(b, k->mv_hi[s] - p * kk);
                used++;
            }
            if (used >= 2 && b - a > best) {
                best = b - a;
                best_p = p;
                best_c = 0.5 * (a + b);
            }
            /* where every line the brackets allow puts the next move */
            if (used >= 2 && b >= a) {
                next_lo = fmin(next_lo, a + p);
                next_hi = fmax(next_hi, b + p);
            }
        }
    }
    *period = best_p;
    *phase = best_c - best_p * (double)k0;
    *spread = next_hi - next_lo;
    return best;
}

/* Takes the band fit's line; how far apart the lines the brackets allow put
 * the next move stands for the fit's scatter. */
static void use_band(eb__tracker *k, double band, double spread, double period, double phase)
{
    k->period_s = period;
    k->phase_s = phase;
    k->band_s = band;
    k->band_fits++;
    k->resid_s = fmax(band, spread) / 3; /* 3 sigma: the whole spread */
    k->pred_sd_s = k->resid_s;
    k->jit_s = 0;                    /* every bracket held one line: no jitter beyond the band */
    k->fit_kbar = (double)k->last_k; /* the spread is the next move's: refitted every move */
    k->period_sd_s = 0;
}

static void start_acquire(eb__tracker *k, double t)
{
    k->state = EB__TRK_ACQUIRE;
    k->early_run = 0;
    k->narrow_since_lock = 0;
    k->narrow_run = 0;
    k->acquire_since = t;
    k->mv_n = k->mv_head = 0;
}

__attribute__((format(printf, 2, 3))) static void fall_back(eb__tracker *k, const char *fmt, ...)
{
    va_list ap;
    k->state = EB__TRK_FALLBACK;
    va_start(ap, fmt);
    vsnprintf(k->why, sizeof k->why, fmt, ap);
    va_end(ap);
}

/* Whether the move in slot s takes part in the fit. */
static int in_fit(const eb__tracker *k, size_t s, double limit, double since)
{
    return k->mv_w[s] <= limit && k->mv_t[s] >= since;
}

/* Least squares u = phase + k x period over the recent moves with a usable
 * bracket; k is centred so large indices lose no precision. */
static void fit(eb__tracker *k)
{
    /* narrow brackets only, where there are enough (moves placed by the
     * prediction must not confirm it) */
    /* the last 10 s (at least 8 periods): a drifting period is followed */
    double since = k->last_move_t - fmax(10.0, 8 * eb__tracker_period(k));
    size_t narrow = 0, recent = 0;
    for (size_t i = 0; i < k->mv_n; i++) {
        size_t s = slot(k, i);
        if (k->mv_t[s] >= since) {
            narrow += k->mv_w[s] <= eb__tracker_narrow(k);
            recent++;
        }
    }
    double sk = 0, su = 0, n = 0;
    if (narrow < 4 && recent >= 8) {
        /* slow reads: the line every bracket holds, near the period known */
        double period, phase, spread;
        double band = band_fit(k, eb__tracker_period(k), 0.01, since, &period, &phase, &spread);
        if (band > 0 && spread <= 0.25 * period) {
            use_band(k, band, spread, period, phase);
            return;
        }
    }
    k->band_s = 0;
    double limit = narrow >= 4 ? eb__tracker_narrow(k)
                               : fmax(eb__tracker_narrow(k), 0.1 * eb__tracker_period(k));
    long k0 = k->last_k;
    for (size_t i = 0; i < k->mv_n; i++) {
        size_t s = slot(k, i);
        if (!in_fit(k, s, limit, since))
            continue;
        sk += (double)(k->mv_k[s] - k0);
        su += k->mv_t[s];
        n++;
    }
    if (n < 4) /* too few to tell the line from its scatter: the fit stands */
        return;
    double mk = sk / n, mu = su / n, skk = 0, sku = 0;
    for (size_t i = 0; i < k->mv_n; i++) {
        size_t s = slot(k, i);
        if (!in_fit(k, s, limit, since))
            continue;
        double dk = (double)(k->mv_k[s] - k0) - mk;
        skk += dk * dk;
        sku += dk * (k->mv_t[s] - mu);
    }
    if (skk <= 0)
        return;
    double period = sku / skk;
    if (!(period >= EB__TRK_MIN_PERIOD_S && period <= EB__TRK_MAX_PERIOD_S))
        return;
    k->period_s = period;
    k->phase_s = mu - period * mk - period * (double)k0; /* u_k = phase + k x period */
    double ss = 0, ww = 0;
    for (size_t i = 0; i < k->mv_n; i++) {
        size_t s = slot(k, i);
        if (!in_fit(k, s, limit, since))
            continue;
        double r = k->mv_t[s] - (k->phase_s + period * (double)k->mv_k[s]);
        ss += r * r;
        ww += k->mv_w[s] * k->mv_w[s];
    }
    /* no less than the brackets' own scatter: a few middles can line up
     * better than their brackets allow by chance */
    k->resid_s = fmax(sqrt(ss / (n - 2)), sqrt(ww / n / 12));
    /* a bracket's middle is uniform within it (w^2/12): what is left is the
     * counter's own jitter; the prediction's error adds the fit's */
    double jit2 = fmax(0, k->resid_s * k->resid_s - ww / n / 12);
    k->jit_s = sqrt(jit2);
    k->pred_sd_s = sqrt(jit2 + k->resid_s * k->resid_s / n);
    /* the period's own error, which a prediction far from the fitted moves
     * multiplies (sparse mode places moves by it for several periods) */
    k->fit_kbar = (double)k0 + mk;
    k->period_sd_s = k->resid_s / sqrt(skk);
    if (n >= 8 && k->resid_s > 0.1 * period) {
        snprintf(k->why, sizeof k->why,
                 "the counter's moves are not regular (they scatter %.1f ms around a %.1f ms "
                 "period)",
                 k->resid_s * 1e3, period * 1e3);
        k->state = EB__TRK_FALLBACK;
    }
}

static double predicted(const eb__tracker *k, long idx)
{
    return k->phase_s + k->period_s * (double)idx;
}

/* How far the prediction of move idx may be off (1 sigma): the counter's
 * jitter, the fit's scatter and its period's error times the distance from
 * the fitted moves. */
static double pred_sd_at(const eb__tracker *k, long idx)
{
    double dk = (double)idx - k->fit_kbar;
    return sqrt(k->pred_sd_s * k->pred_sd_s + dk * dk * k->period_sd_s * k->period_sd_s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The acquisition's moves came from fast reads, so none was missed: their
 * spacing is the period if it is regular. */
static void try_lock(eb__tracker *k)
{
    if (k->mv_n < 4)
        return;
    double d[EB__TRK_RING], med;
    size_t n = 0;
    for (size_t i = 1; i < k->mv_n && n < EB__TRK_RING; i++)
        d[n++] = k->mv_t[slot(k, i)] - k->mv_t[slot(k, i - 1)];
    if (n < 3) /* cannot happen with 4 moves; said so the analysers see it */
        return;
    /* median of the last three spacings */
    double a = d[n - 1], b = d[n - 2], c = d[n - 3];
    med = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
    /* the spacings of bracket middles are off by up to a bracket */
    double wmax = 0;
    for (size_t i = k->mv_n - 4; i < k->mv_n; i++)
        wmax = fmax(wmax, k->mv_w[slot(k, i)]);
    if (wmax > fmax(0.15 * med, fmax(2.5 * EB__TRK_FAST_S, eb__tracker_narrow(k)))) {
        /* too wide to judge by three spacings (slow reads): once eight moves
         * are in, the line all their brackets hold, if one does and it pins
         * the moves to a quarter period */
        double d8[EB__TRK_RING], period, phase, spread;
        if (k->mv_n < 8)
            return;
        for (size_t i = 0; i < n; i++)
            d8[i] = d[i];
        qsort(d8, n, sizeof *d8, cmp_double);
        double p0 = d8[n / 2];
        double band = band_fit(k, p0, 0.05, -INFINITY, &period, &phase, &spread);
        if (!(band > 0 && spread <= 0.25 * period && period >= EB__TRK_MIN_PERIOD_S &&
              period <= EB__TRK_MAX_PERIOD_S))
            return;
        use_band(k, band, spread, period, phase);
        k->state = EB__TRK_LOCKED;
        return;
    }
    double tol = 0.2 * med + wmax;
    int regular = fabs(a - med) <= tol && fabs(b - med) <= tol && fabs(c - med) <= tol;
    if (regular && med < EB__TRK_MIN_PERIOD_S) {
        fall_back(k, "the counter moves every %.1f ms, faster than ebench can bracket (5 ms)",
                  med * 1e3);
        return;
    }
    if (regular && med > 1.1 * EB__TRK_MAX_PERIOD_S) { /* about 1 s is accepted */
        fall_back(k, "the counter moves every %.0f ms, slower than the accepted 1 s", med * 1e3);
        return;
    }
    if (!regular) {
        if (k->mv_n >= 12)
            fall_back(
                k, "the counter's moves are not regular (spacing %.1f ms give or take over 20%%)",
                med * 1e3);
        return;
    }
    /* renumber the acquisition's moves 0, 1, 2, ... and fit them */
    for (size_t i = 0; i < k->mv_n; i++)
        k->mv_k[slot(k, i)] = k->last_k - (long)(k->mv_n - 1 - i);
    k->period_s = med;
    k->phase_s = k->last_move_t - med * (double)k->last_k;
    k->state = EB__TRK_LOCKED;
    fit(k); /* may find the moves irregular after all: fallback */
}

/* A wide bracket is expected in a period the prediction places alone. */
static int sparse_check(const eb__tracker *k)
{
    return eb__tracker_sparse(k) && (k->last_k + 1) % EB__TRK_SPARSE_EVERY != 0;
}

static double margin(const eb__tracker *k)
{
    double g = fmax(fmax(MARGIN_MIN_S, 3 * k->resid_s), k->boost_s);
    /* a young lock (under 8 narrow moves) knows little of the jitter yet */
    if (k->narrow_since_lock < 8)
        g = fmax(g, 0.05 * k->period_s);
    return fmin(g, 0.25 * k->period_s);
}

/* A move placed at u: numbers it and refits. */
static void learn(eb__tracker *k, double u, double w, double lo, double hi)
{
    long idx = 0;
    if (isfinite(k->last_move_t)) {
        idx = k->last_k + 1;
        if (k->state == EB__TRK_LOCKED) {
            long r = lround((u - k->last_move_t) / k->period_s);
            idx = k->last_k + (r < 1 ? 1 : r);
            if (r > 1)
                k->misses += (size_t)(r - 1); /* moves no read saw */
            if ((fabs(u - predicted(k, idx)) > 0.25 * k->period_s && w <= eb__tracker_narrow(k)) ||
                k->wide_run >= 3) {
                /* the predictions no longer hold: learn the period again */
                k->misses++;
                k->relocks++;
                k->wide_run = 0;
                if (k->relocks >= 5 && (double)k->relocks > 0.1 * (double)k->moves) {
                    fall_back(k, "the counter's moves are not regular (lost the lock %zu times)",
                              k->relocks);
                    return;
                }
                start_acquire(k, u);
            }
        }
    }
    k->last_move_t = u;
    k->last_k = idx;
    /* a move placed by the prediction (w infinite) stays out of the least
     * squares, but its bracket still bounds the band fit */
    push_move(k, u, w, idx, lo, hi);
    if (k->state == EB__TRK_ACQUIRE)
        try_lock(k);
    else if (k->state == EB__TRK_LOCKED)
        fit(k);
}

int eb__tracker_feed(eb__tracker *k, double tb, double ta, unsigned long long value, double *u,
                     double *width)
{
    k->reads++;
    /* the read's duration, biased to the fast ones (a read delayed by
     * another thread's must not widen what counts as narrow) */
    double dur = ta - tb;
    if (dur >= 0)
        k->read_s = k->reads == 1     ? dur
                    : dur < k->read_s ? 0.7 * k->read_s + 0.3 * dur
                                      : 0.98 * k->read_s + 0.02 * dur;
    if (!k->started) {
        k->started = 1;
        k->value = value;
        k->quiet_t = tb;
        k->quiet_end = ta;
        k->last_read_t = ta;
        k->acquire_since = tb;
        return 0;
    }
    if (value == k->value) {
        k->quiet_t = tb;
        k->quiet_end = ta;
        k->last_read_t = ta;
        if (k->state == EB__TRK_LOCKED &&
            ta > predicted(k, k->last_k + 1) + 0.5 * k->period_s) { /* lock lost */
            k->misses++;
            k->relocks++;
            start_acquire(k, ta);
        } else if (k->state == EB__TRK_ACQUIRE && k->mv_n > 0 &&
                   ta - k->last_move_t > 1.2 * EB__TRK_MAX_PERIOD_S) {
            fall_back(k,
                      "the counter's moves are more than %.0f ms apart, slower than the "
                      "accepted 1 s",
                      (ta - k->last_move_t) * 1e3);
        } else if (k->state == EB__TRK_ACQUIRE && k->mv_n == 0 &&
                   ta - k->acquire_since >
                       fmax(EB__TRK_QUIET_PERIODS * k->nominal_s, 1.2 * EB__TRK_MAX_PERIOD_S)) {
            k->state = EB__TRK_QUIET; /* a stopped counter is not read every ms */
        }
        return 0;
    }
    /* Each read saw the counter somewhere inside it: the move lies between
     * the two reads' sample instants, whose best guesses are the reads'
     * middles. Between those middles, not in the middle of the bracket: a
     * slow read on one side would pull that toward it. */
    double lo = k->quiet_t, hi = ta, w = hi - lo;
    double at = 0.25 * (lo + k->quiet_end + tb + ta);
    double observed = at;                /* what the fit learns from: never the prediction */
    double unc = fmax(at - lo, hi - at); /* how far the placed move may be from the truth */
    k->at_read = 0;
    if (k->state == EB__TRK_FALLBACK ||
        (k->state != EB__TRK_LOCKED && w > 0.5 * eb__tracker_period(k))) {
        /* no period to place it by, and a bracket that may hold several
         * moves (reads seconds apart: ebench monitor): the newest is nearer
         * the read that saw it than the middle */
        at = hi;
        unc = w;
        k->at_read = 1;
    } else if (k->state == EB__TRK_LOCKED) {
        /* the newest predicted move at or before the read that saw it */
        long idx = k->last_k + (long)floor((hi - k->last_move_t) / k->period_s + 0.5);
        while (idx > k->last_k + 1 && predicted(k, idx) > hi + 3 * k->resid_s + 1e-4)
            idx--;
        /* predicted just after the read: did that move happen already, or
         * only the ones before it? The counter's change says how many */
        if (idx > k->last_k + 1 && predicted(k, idx) > hi && k->per_move > 0) {
            double n = (double)(value - k->value) / k->per_move;
            if (n < (double)(idx - k->last_k) - 0.5)
                idx--;
        }
        /* the bracket holds more than one predicted move (reads a period
         * apart, a read landing on a move): which it saw, only the counter's
         * change can tell */
        if (idx > k->last_k + 1 && k->per_move > 0 &&
            predicted(k, k->last_k + 1) >= lo - 3 * k->resid_s - 5e-4) {
            long n = lround((double)(value - k->value) / k->per_move);
            if (k->last_k + (n < 1 ? 1 : n) < idx)
                idx = k->last_k + (n < 1 ? 1 : n);
        }
        double p = predicted(k, idx), m = 3 * k->resid_s + 5e-4;
        /* a bracket that does not hold the prediction: it no longer holds */
        k->wide_run = p >= lo - m && p <= hi + m ? 0 : k->wide_run + 1;
        if (w > eb__tracker_narrow(k)) {
            at = p < lo ? lo : p > hi ? hi : p;
            /* the fit's scatter, no less than a 1 ms bracket's own (its
             * middle is uniform within +-0.5 ms: 0.29 ms rms) */
            double sigma = fmax(fmax(k->resid_s, pred_sd_at(k, idx)), EB__TRK_FAST_S / sqrt(12.0));
            /* a young lock (under 8 narrow moves) learnt from slow reads'
             * wide brackets knows little of its fit yet: as wide as its
             * margin (below) */
            if (k->narrow_since_lock < 8 && eb__tracker_narrow(k) > EB__TRK_NARROW_S)
                sigma = fmax(sigma, 0.05 * k->period_s / 3);
            /* slow reads of varying length make brackets lopsided, so the
             * middles the fit learns from can lean: half of what slow
             * reads add to a narrow bracket (nothing where reads are fast) */
            double lean = 0.5 * fmax(0, eb__tracker_narrow(k) - EB__TRK_NARROW_S);
            double reach = 3 * sigma + k->boost_s + EB__TRK_FAST_S / 2 + lean;
            /* inside the bracket, the move is no further than its far end */
            unc = fmax(at - lo, hi - at);
            /* the prediction narrows that, unless the lock is young and came
             * from slow reads' wide brackets: its period may be off by a
             * percent, which a few periods turn into more than any margin */
            int young_slow = k->narrow_since_lock < 8 && eb__tracker_narrow(k) > EB__TRK_NARROW_S &&
                             k->band_s == 0;
            /* a move before the read meant to precede it (predicted after the
             * bracket): the prediction did not hold for it, so it may lie
             * anywhere in the bracket; placed at the end nearest the
             * prediction, stated as uncertain as the bracket */
            int early = p > hi + 1e-4;
            if (!young_slow && !early)
                unc = fmin(unc, reach);
            /* a prediction just outside the bracket still bounds the move
             * (it is within reach of the prediction and inside the bracket);
             * one far outside says nothing: only the bracket is known, and
             * its middle is the best guess */
            int far = fabs(p - at) > reach;
            if (far) {
                at = 0.5 * (lo + hi);
                unc = 0.5 * w;
            }
            /* a wide bracket that holds the prediction (a slow read, or a
             * period the prediction places alone) keeps the run; one that
             * does not, ends it */
            k->narrow_run = far ? 0 : k->narrow_run;
            if (k->band_s > 0 && p >= lo && p <= hi) {
                /* fitted by the band (no read is fast enough for a narrow
                 * bracket): a bracket holding the prediction is as good as
                 * it gets. It does not count toward sparse mode: the band
                 * needs a bracket around every move to stay narrow */
                k->early_run = 0;
                k->boost_s *= 0.7;
            } else if (!sparse_check(k) && p > hi - 1e-4) {
                /* it moved before the read meant to precede it: read earlier;
                 * still too late with the widest margin, the fit has drifted
                 * off: learn it again */
                k->boost_s = fmin(2 * fmax(k->boost_s, MARGIN_MIN_S), 0.25 * k->period_s);
                if (++k->early_run >= 3 && k->boost_s >= 0.25 * k->period_s)
                    k->wide_run = 3; /* even the widest margin came too late */
            }
        } else {
            /* the bracket's middle (sd w/sqrt(12)) and the prediction, each
             * weighed by how well it knows the move; still inside the bracket
             * (with reads of 2-6 ms the prediction of a steady counter is the
             * better of the two) */
            double vm = w * w / 12, vp = k->pred_sd_s * k->pred_sd_s;
            if (k->narrow_since_lock >= 8 && vm > 0 && vp > 0 && p >= lo && p <= hi) {
                at = (at * vp + p * vm) / (vm + vp);
                unc = fmax(at - lo, hi - at); /* still bounded by the bracket alone */
            }
            k->early_run = 0;
            k->boost_s *= 0.7; /* forgets an early move in ~9 narrow ones */
            k->narrow_run++;
            k->narrow_since_lock++;
        }
    }
    if (k->state == EB__TRK_QUIET)
        start_acquire(k, ta);
    /* how much the counter moves per update, for telling merged moves apart */
    if (k->state == EB__TRK_LOCKED && isfinite(k->last_move_t)) {
        double moves = fmax(1, floor((at - k->last_move_t) / k->period_s + 0.5));
        double per = (double)(value - k->value) / moves;
        k->per_move = k->per_move > 0 ? 0.7 * k->per_move + 0.3 * per : per;
    }
    k->value = value;
    k->quiet_t = tb;
    k->quiet_end = ta;
    k->last_read_t = ta;
    k->moves++;
    k->width_sum_s += w;
    if (w > k->width_max_s)
        k->width_max_s = w;
    k->last_unc_s = unc;
    k->unc_sum_s += unc;
    if (unc > k->unc_max_s)
        k->unc_max_s = unc;
    if (k->state != EB__TRK_FALLBACK) {
        /* the fit learns from observations only: a move placed by the
         * prediction (locked, wide bracket) is kept out of it, or the fit
         * would confirm itself */
        int by_prediction = k->state == EB__TRK_LOCKED && w > eb__tracker_narrow(k);
        learn(k, by_prediction ? at : observed, by_prediction ? INFINITY : w, lo, hi);
    } else
        k->last_move_t = at;
    *u = at;
    *width = w;
    return 1;
}

void eb__tracker_rebase(eb__tracker *k, double tb, unsigned long long value)
{
    k->value = value;
    k->quiet_t = tb;
    k->quiet_end = tb;
}

double eb__tracker_latest_move(const eb__tracker *k, double t)
{
    if (k->state != EB__TRK_LOCKED)
        return t;
    double slack = 3 * k->resid_s + k->boost_s + EB__TRK_FAST_S;
    long idx = k->last_k + (long)floor((t + slack - k->last_move_t) / k->period_s);
    if (idx <= k->last_k)
        return t;
    return fmin(t, predicted(k, idx) + slack);
}

/* A lock that holds, whose own reads bracket every move (dense: the read
 * before each predicted move, then reads until it shows): a tick's read
 * between moves adds nothing to any bracket. Where a read costs milliseconds
 * of CPU (2.2-28 ms on an H100 or H200), those tick reads were half the cost.
 * A young lock, or one whose moves came early or outside their brackets
 * lately, keeps them: then the samples may be what brackets a move. */
static int dense_holds(const eb__tracker *k)
{
    return k->state == EB__TRK_LOCKED && k->early_run == 0 && k->wide_run == 0 &&
           k->boost_s <= MARGIN_MIN_S && (k->narrow_since_lock >= 8 || k->band_s > 0);
}

int eb__tracker_can_skip(const eb__tracker *k, double t)
{
    /* a young lock's predictions are not trusted with it: the samples go on
     * bracketing every move until the fit is steady (sparse), or until the
     * tracker's own reads bracket every move and the lock holds */
    return (eb__tracker_sparse(k) || dense_holds(k)) && t - k->last_read_t < 0.9 * k->period_s &&
           t < predicted(k, k->last_k + 1) - margin(k) - k->read_s;
}

int eb__tracker_sparse(const eb__tracker *k)
{
    /* long periods cost few reads anyway; there a drifting period would
     * outrun a fit refreshed every 8 periods */
    return k->state == EB__TRK_LOCKED && k->narrow_run >= 6 && k->jit_s <= EB__TRK_SPARSE_MAX_S &&
           k->pred_sd_s <= EB__TRK_SPARSE_MAX_S && k->boost_s <= 0.1 * MARGIN_MIN_S &&
           k->period_s <= 0.25;
}

double eb__tracker_next(const eb__tracker *k)
{
    switch (k->state) {
    case EB__TRK_ACQUIRE: {
        /* two moves seen by fast reads: their spacing is a true one, so no
         * read is needed until most of it has passed again */
        double d = last_spacing(k);
        if (d > 0 && k->last_read_t < k->last_move_t + 0.7 * d)
            return k->last_move_t + 0.7 * d;
        return k->last_read_t + EB__TRK_FAST_S;
    }
    case EB__TRK_LOCKED: {
        double next = predicted(k, k->last_k + 1);
        if (eb__tracker_sparse(k) && (k->last_k + 1) % EB__TRK_SPARSE_EVERY != 0) {
            /* the prediction places this move; the samples see it, or one
             * read just after it does where they are far apart */
            double post = next + margin(k);
            if (k->tick_s > 0 && k->tick_s <= 1.5 * k->period_s)
                return INFINITY;
            /* no move by then: the prediction is late, read on until it shows */
            return k->last_read_t < post ? post : k->last_read_t + EB__TRK_FAST_S;
        }
        /* a read sees the counter somewhere inside it: a slow one starts
         * its length earlier */
        double pre = next - margin(k) - k->read_s;
        return k->last_read_t < pre ? pre : k->last_read_t + EB__TRK_FAST_S;
    }
    default:
        return INFINITY;
    }
}
