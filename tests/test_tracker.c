/*
 * test_tracker.c - the update-instant tracker against counters whose true
 * move instants are known: periods that are not round numbers, a phase drawn
 * at random, jitter, drift, reads that take time and land where the tracker
 * asks (plus regular ticks on a grid of their own). Virtual time, so each
 * case runs in microseconds and many seeds are tried; the real-time tests
 * with the simulated driver are in test_nvml.c.
 */
#include <math.h>

#include "helpers.h"
#include "lib/tracker.h"

typedef struct counter {
    double period, phase, jitter, drift_per_s; /* drift: relative change of the period per s */
    double stop_at;                            /* the counter freezes from then on */
    unsigned long long seed;
    long early_k; /* this move (0: none) comes early_by seconds early */
    double early_by;
} counter;

static double unit(unsigned long long *s) /* [0, 1) */
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 53);
}

static double jitter_of(const counter *c, long k)
{
    unsigned long long s = c->seed ^ (unsigned long long)(k * 2654435761LL);
    unit(&s);
    return c->jitter * (2 * unit(&s) - 1);
}

/* The k-th true instant; the period drifts linearly. */
static double instant(const counter *c, long k)
{
    double t = c->phase + (double)k * c->period;
    return t + c->drift_per_s * t * t / 2 + jitter_of(c, k) - (k == c->early_k ? c->early_by : 0);
}

/* How many moves happened by t (the counter's value). */
static unsigned long long value_at(const counter *c, double t)
{
    if (t > c->stop_at)
        t = c->stop_at;
    long k = (long)floor((t - c->phase) / c->period) + 3;
    while (k >= 0 && instant(c, k) > t)
        k--;
    return (unsigned long long)(k + 1);
}

static double slow_tail; /* see drive() */

typedef struct run {
    size_t moves, narrow, reads, bad_place;
    double worst_err; /* |placed - true| over moves, s */
    double sum_err;   /* and their sum */
    size_t n_err;
} run;

/* Reads where the tracker asks and every `tick` seconds, for `seconds`; a
 * read takes `lat` and sees the counter at a random instant inside it. From
 * `stall_at` for `stall` seconds, no read happens at all (a descheduled
 * thread). */
static run drive(eb__tracker *k, const counter *c, double tick, double seconds, double lat,
                 double stall_at, double stall)
{
    run r = {0};
    unsigned long long rng = c->seed * 7 + 1;
    double now = 0, next_tick = tick;
    int at_tick = 0; /* now is a tick's, not a read the tracker asked for */
    eb__tracker_init(k, 0.1);
    k->tick_s = tick;
    while (now < seconds) {
        /* as the sampler does: a tick at which no move is due reads nothing */
        if (at_tick && k->started && eb__tracker_can_skip(k, now)) {
            double want = eb__tracker_next(k);
            double t = want < next_tick ? want : next_tick;
            at_tick = !(want < next_tick);
            if (t <= now)
                t = now + 1e-6;
            while (next_tick <= t)
                next_tick += tick;
            now = t;
            continue;
        }
        /* slow_tail: that share of reads takes 5 times as long (a driver
         * whose reads queue behind others', as an H200's under load) */
        double l = slow_tail > 0 && unit(&rng) < slow_tail ? 5 * lat : lat;
        double tb = now, ta = now + l, at = tb + l * unit(&rng);
        unsigned long long v = value_at(c, at), before = k->value;
        double u, w;
        r.reads++;
        if (getenv("TRK_TRACE") && tb > 1.36 && tb < 1.41 && c->period < 0.008)
            printf("read %.5f v %llu state %s next-before %.5f\n", tb, v,
                   eb__tracker_state_name(k->state), eb__tracker_next(k));
        if (eb__tracker_feed(k, tb, ta, v, &u, &w)) {
            r.moves++;
            /* the true instant of the newest move the read saw */
            double truth = instant(c, (long)v - 1);
            double err = fabs(u - truth);
            if (v == before + 1 && err > r.worst_err)
                r.worst_err = err;
            if (v == before + 1) {
                r.sum_err += err;
                r.n_err++;
            }
            if (getenv("TRK_DEBUG") && v == before + 1 && err > 0.0025)
                printf("t %.4f placed %.5f truth %.5f w %.2f ms state %s P %.5f\n", tb, u, truth,
                       w * 1e3, eb__tracker_state_name(k->state), k->period_s);
            if (k->last_unc_s <= fmax(0.003, 2 * c->jitter + 0.001))
                r.narrow++;
            else if (getenv("TRK_DEBUG"))
                printf("t %.4f w %.2f ms unc %.2f ms state %s sparse %d resid %.3f ms boost %.3f\n",
                       tb, w * 1e3, k->last_unc_s * 1e3, eb__tracker_state_name(k->state),
                       eb__tracker_sparse(k), k->resid_s * 1e3, k->boost_s * 1e3);
            /* never further from the truth than it says (a narrow bracket's
             * middle: half the bracket; a prediction: the fit's margin) */
            if (v == before + 1 && k->state != EB__TRK_FALLBACK && err > k->last_unc_s + 1e-4) {
                r.bad_place++;
                if (getenv("TRK_DEBUG"))
                    printf("BAD t %.4f err %.3f ms unc %.3f w %.2f resid %.3f boost %.3f sparse %d "
                           "band %.3f P %.5f\n",
                           tb, err * 1e3, k->last_unc_s * 1e3, w * 1e3, k->resid_s * 1e3,
                           k->boost_s * 1e3, eb__tracker_sparse(k), k->band_s * 1e3, k->period_s);
            }
        }
        double want = eb__tracker_next(k);
        double t = want < next_tick ? want : next_tick;
        at_tick = !(want < next_tick);
        if (t < ta)
            t = ta;
        if (t >= stall_at && t < stall_at + stall)
            t = stall_at + stall;
        while (next_tick <= t)
            next_tick += tick;
        now = t;
    }
    return r;
}

/* Periods from 7 ms to 0.9 s, none round, random phases, jitter and drift. */
static void test_locks_and_brackets(void **state)
{
    (void)state;
    static const double periods[] = {0.0071, 0.0203, 0.0507, 0.0974, 0.1037, 0.2513, 0.9011};
    unsigned long long seed = 12345;
    for (size_t p = 0; p < sizeof periods / sizeof *periods; p++)
        for (int rep = 0; rep < 8; rep++) {
            counter c = {.period = periods[p], .stop_at = INFINITY, .seed = seed};
            seed++;
            unsigned long long s = c.seed;
            c.phase = c.period * unit(&s);
            c.jitter = fmin(0.003, 0.05 * c.period) * unit(&s);
            c.drift_per_s = (unit(&s) - 0.5) * 1e-4;
            double tick = 0.0137 + 0.2 * unit(&s); /* the sampler's own grid */
            eb__tracker k;
            double seconds = fmax(3.0, 40 * c.period);
            run r = drive(&k, &c, tick, seconds, 50e-6, INFINITY, 0);
            if (k.state != EB__TRK_LOCKED)
                fail_msg("period %.4f s seed %llu: state %s (%s)", c.period, c.seed,
                         eb__tracker_state_name(k.state), k.why);
            double slope_err =
                fabs(k.period_s - c.period * (1 + c.drift_per_s * seconds)) / c.period;
            if (slope_err > 0.01)
                fail_msg("period %.4f s: fitted %.6f", c.period, k.period_s);
            /* nearly every move placed within 3 ms (a narrow bracket: ~1 ms),
             * or twice the jitter where that is more */
            if ((double)r.narrow < 0.9 * (double)r.moves)
                fail_msg("period %.4f s jitter %.4f: %zu of %zu moves placed within 3 ms", c.period,
                         c.jitter, r.narrow, r.moves);
            if (r.bad_place > 0)
                fail_msg("period %.4f s jitter %.4f: %zu moves further than stated", c.period,
                         c.jitter, r.bad_place);
            if (r.worst_err > 0.0025)
                fail_msg("period %.4f s: a move placed %.2f ms off", c.period, r.worst_err * 1e3);
            /* reads: a few per period besides the ticks, acquisition included */
            double per_period = (double)r.reads / (seconds / c.period);
            double ticks_per_period = c.period / tick;
            double acquisition = 3 * c.period / EB__TRK_FAST_S + 100; /* 2 + 2 x 0.3 periods */
            if (per_period > ticks_per_period + 4 + acquisition / (seconds / c.period))
                fail_msg("period %.4f s: %.1f reads per period (tick %.4f s, %zu relocks, %zu "
                         "misses, %zu moves)",
                         c.period, per_period, tick, k.relocks, k.misses, r.moves);
        }
}

/* Reads as slow as an H200's (2.2-4 ms, a quarter of them 5 times longer):
 * no bracket is narrow enough for the usual fit, so the tracker locks on the
 * line all brackets hold (the band fit). Every placement within what it
 * states, the period right, and after the lock about one read per period
 * besides the ticks' (sparse). */
static void test_slow_reads(void **state)
{
    (void)state;
    static const double periods[] = {0.1000, 0.1037, 0.0503, 0.2513};
    /* an H200 at rest: 2.2-3.8 ms median; longer base reads (8 ms with 40 ms
     * tails, a busy GPU with readers queued) can still mis-number moves in
     * the acquisition: docs/METHODOLOGY.md */
    static const double lats[] = {0.0025, 0.004};
    /* the share of reads 5 times slower: a quarter, or most (an H200 busy
     * with bursts: brackets of 20-60 ms, none narrow, the band fit's case) */
    static const double tails[] = {0.25, 0.6};
    unsigned long long seed = 777;
    for (size_t p = 0; p < sizeof periods / sizeof *periods; p++)
        for (size_t l = 0; l < sizeof lats / sizeof *lats; l++)
            for (int rep = 0; rep < 6; rep++) {
                counter c = {.period = periods[p], .stop_at = INFINITY, .seed = seed};
                seed++;
                unsigned long long s = c.seed;
                c.phase = c.period * unit(&s);
                c.jitter = 0.0003 * unit(&s);
                eb__tracker k;
                /* most reads slow only at the 2.5 ms base: 4 ms with 60% of
                 * reads at 20 ms keeps relocking (docs/METHODOLOGY.md) */
                slow_tail = lats[l] < 0.003 ? tails[rep % 2] : tails[0];
                /* reads that take more than 10% of a period on average are
                 * beyond what the tracker is tested for (an H200's 100 ms
                 * counter read in 2.2-3.8 ms: 2-4%; docs/METHODOLOGY.md) */
                if (lats[l] * (1 + 4 * slow_tail) > 0.10 * periods[p])
                    continue;
                if (getenv("TRK_DEBUG"))
                    printf("CASE period %.4f lat %.4f seed %llu\n", c.period, lats[l], c.seed);
                double seconds = fmax(60.0, 240 * c.period);
                run r = drive(&k, &c, 0.1, seconds, lats[l], INFINITY, 0);
                double slow_tail_used = slow_tail;
                slow_tail = 0;
                if (k.state != EB__TRK_LOCKED)
                    fail_msg("period %.4f s, reads %.1f ms: state %s (%s)", c.period, lats[l] * 1e3,
                             eb__tracker_state_name(k.state), k.why);
                if (fabs(k.period_s / c.period - 1) > 0.002)
                    fail_msg("period %.4f s, reads %.1f ms: fitted %.6f", c.period, lats[l] * 1e3,
                             k.period_s);
                if (r.bad_place > 0)
                    fail_msg("period %.4f s, reads %.1f ms: %zu of %zu moves further than stated",
                             c.period, lats[l] * 1e3, r.bad_place, r.moves);
                /* with most reads slow no bracket is narrow: the band fit must
                 * have done the fitting */
                if (slow_tail_used > 0.5 && k.band_fits == 0)
                    fail_msg(
                        "period %.4f s, reads %.1f ms, %.0f%% slow: the band fit was never used",
                        c.period, lats[l] * 1e3, 100 * slow_tail_used);
                /* on average within half a mean read and 1 ms: the fit does
                 * better than the brackets; a move a slow read brackets alone
                 * can be further off, by no more than it states (above) */
                double mean_err = r.sum_err / (double)r.n_err;
                double mean_read = lats[l] * (1 + 4 * slow_tail_used);
                if (mean_err > 0.5 * mean_read + 0.001)
                    fail_msg("period %.4f s, reads %.1f ms: moves placed %.2f ms off on average",
                             c.period, lats[l] * 1e3, mean_err * 1e3);
                double per_period = (double)r.reads / (seconds / c.period);
                /* a locked tracker's own reads bracket each move, and the
                 * ticks between moves read nothing (they were a third of the
                 * reads, 3.0-3.4 a period at 100 ms) */
                if (c.period < 0.11 && per_period > 3.0)
                    fail_msg("period %.4f s, reads %.1f ms: %.1f reads per period", c.period,
                             lats[l] * 1e3, per_period);
                if (per_period > c.period / 0.1 + 10)
                    fail_msg("period %.4f s, reads %.1f ms: %.1f reads per period", c.period,
                             lats[l] * 1e3, per_period);
                print_message(
                    "period %.4f s, reads %.1f ms (%.0f%% x5): band %.2f ms, %.1f reads per "
                    "period, placement mean %.2f ms worst %.2f ms, %s\n",
                    c.period, lats[l] * 1e3, 100 * slow_tail_used, k.band_s * 1e3, per_period,
                    mean_err * 1e3, r.worst_err * 1e3, eb__tracker_sparse(&k) ? "sparse" : "dense");
            }
}

/* A lock that holds reads only around each predicted move, the ticks between
 * moves reading nothing: a move that comes 10 ms early (before the read meant
 * to precede it) is seen only by that read, at the end of a bracket about a
 * period wide, with the prediction just after it. It must be stated as
 * uncertain as that bracket, not as the prediction's reach (placed 25 ms off
 * with 7.65 ms stated, a review found; a move far more early is placed in the
 * bracket's middle, as before). */
static void test_early_move(void **state)
{
    (void)state;
    for (unsigned long long seed = 1; seed <= 12; seed++) {
        counter c = {.period = 0.1, .stop_at = INFINITY, .seed = seed, .early_by = 0.01};
        unsigned long long s = seed * 31 + 7;
        c.phase = c.period * unit(&s);
        c.jitter = 0.002; /* above the sparse mode's 0.5 ms: the dense lock */
        c.early_k = 60 + (long)(seed % 5);
        eb__tracker k;
        /* reads of 0.2 ms: with slow ones (2.5 ms, 60% five times longer)
         * the read that sees an early move can straddle the prediction, and
         * the move is still placed by it (docs/METHODOLOGY.md) */
        run r = drive(&k, &c, 0.001, 10.0, 0.0002, INFINITY, 0);
        if (r.bad_place > 0)
            fail_msg("seed %llu: %zu of %zu moves further than stated", seed, r.bad_place, r.moves);
        assert_int_equal(k.state, EB__TRK_LOCKED);
    }
}

/* A stalled reader misses moves: they are counted, and the lock comes back. */
static void test_stall_relocks(void **state)
{
    (void)state;
    counter c = {
        .period = 0.1013, .phase = 0.037, .jitter = 0.0005, .stop_at = INFINITY, .seed = 9};
    eb__tracker k;
    run r = drive(&k, &c, 0.1, 6.0, 50e-6, 2.0, 0.35);
    assert_int_equal(k.state, EB__TRK_LOCKED);
    assert_true(k.misses >= 1);
    assert_true(r.narrow >= r.moves - 4);
    assert_int_equal(r.bad_place, 0);
    assert_near(k.period_s, 0.1013, 0.0005);
}

/* Periods outside 5 ms .. 1 s, or no regular period: fall back, saying why. */
static void test_fallbacks(void **state)
{
    (void)state;
    eb__tracker k;
    counter fast = {.period = 0.002, .phase = 0.0003, .stop_at = INFINITY, .seed = 1};
    drive(&k, &fast, 0.1, 1.0, 20e-6, INFINITY, 0);
    assert_int_equal(k.state, EB__TRK_FALLBACK);
    assert_contains(k.why, "faster than");
    assert_true(isinf(eb__tracker_next(&k))); /* no extra reads */

    counter slow = {.period = 1.5, .phase = 0.3, .stop_at = INFINITY, .seed = 2};
    drive(&k, &slow, 0.1, 8.0, 20e-6, INFINITY, 0);
    assert_int_equal(k.state, EB__TRK_FALLBACK);
    assert_contains(k.why, "slower than the accepted 1 s");

    /* jitter of 45% of the period: spacings anywhere from 0.1 to 1.9 periods */
    counter wild = {.period = 0.1, .phase = 0.05, .jitter = 0.045, .stop_at = INFINITY, .seed = 3};
    drive(&k, &wild, 0.1, 6.0, 20e-6, INFINITY, 0);
    assert_int_equal(k.state, EB__TRK_FALLBACK);
    assert_contains(k.why, "not regular");
}

/* A counter that stops: after a few periods the tracker stops asking for
 * fast reads; regular reads still watch it. */
static void test_quiet(void **state)
{
    (void)state;
    eb__tracker k;
    counter c = {.period = 0.0993, .phase = 0.021, .stop_at = 1.5, .seed = 4};
    run r = drive(&k, &c, 0.1, 4.0, 20e-6, INFINITY, 0);
    assert_int_equal(k.state, EB__TRK_QUIET);
    assert_true(isinf(eb__tracker_next(&k)));
    assert_true(r.reads < 1500); /* not a read every millisecond since it stopped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locks_and_brackets), cmocka_unit_test(test_stall_relocks),
        cmocka_unit_test(test_slow_reads),         cmocka_unit_test(test_early_move),
        cmocka_unit_test(test_fallbacks),          cmocka_unit_test(test_quiet),
    };
    return cmocka_run_group_tests_name("tracker", tests, NULL, NULL);
}
