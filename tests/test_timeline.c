/* test_timeline.c - integration of counters and power, and window analysis. */
#include <math.h>

#include "analysis/analysis.h"
#include "helpers.h"
#include "lib/timeline.h"

static eb__domain_desc power_desc(int interval_mean)
{
    eb__domain_desc d;
    memset(&d, 0, sizeof d);
    d.method = EB_METHOD_POWER;
    d.power_is_interval_mean = interval_mean;
    return d;
}

static void add_power(eb__series *s, const eb__domain_desc *d, double t, double p)
{
    eb__reading r = {.counter = 0, .power_w = p};
    assert_int_equal(eb__series_add(s, d, t, &r), 0);
}

/* Instant power: trapezoids. 0 W -> 10 W over 1 s, then 10 W for 2 s = 25 J. */
static void test_trapezoids(void **state)
{
    (void)state;
    eb__series s = {0};
    eb__domain_desc d = power_desc(0);
    add_power(&s, &d, 0.0, 0.0);
    add_power(&s, &d, 1.0, 10.0);
    add_power(&s, &d, 3.0, 10.0);
    assert_near(s.v[2].energy_j, 25.0, 1e-12);
    assert_near(eb__energy_at(s.v, s.n, 0.5), 2.5, 1e-12); /* linear between samples */
    assert_near(eb__energy_at(s.v, s.n, -1), 0.0, 1e-12);  /* clamped */
    assert_near(eb__energy_at(s.v, s.n, 9), 25.0, 1e-12);
    eb__reading back = {.power_w = 1.0};
    assert_int_equal(eb__series_add(&s, &d, 2.0, &back), EB_EINVAL); /* time went back */
    eb__series_free(&s);
}

/* Interval means: each reading is the mean since the last, so P x dt. */
static void test_interval_means(void **state)
{
    (void)state;
    eb__series s = {0};
    eb__domain_desc d = power_desc(1);
    add_power(&s, &d, 0.0, 99.0); /* describes time before the timeline */
    add_power(&s, &d, 2.0, 10.0);
    add_power(&s, &d, 3.0, 40.0);
    assert_true(isnan(s.v[0].power_w));
    assert_near(s.v[2].energy_j, 60.0, 1e-12);
    eb__series_free(&s);
}

static void test_counter_without_wrap_range(void **state)
{
    (void)state;
    eb__series s = {0};
    eb__domain_desc d;
    memset(&d, 0, sizeof d);
    d.method = EB_METHOD_COUNTER;
    d.counter_unit_j = 1e-3; /* mJ, as NVML's counter */
    eb__reading r = {.counter = 5000, .power_w = NAN};
    assert_int_equal(eb__series_add(&s, &d, 0.0, &r), 0);
    r.counter = 7000;
    assert_int_equal(eb__series_add(&s, &d, 1.0, &r), 0);
    r.counter = 100; /* a counter that cannot wrap went back: a reset, not energy */
    assert_int_equal(eb__series_add(&s, &d, 2.0, &r), 0);
    /* the interval across the reset is bridged at the last rate (2 W), as a
     * RAPL reset is; counting resumes from the new value */
    assert_near(s.v[2].energy_j, 4.0, 1e-12);
    assert_near(s.v[1].power_w, 2.0, 1e-12);
    assert_int_equal(s.wraps, 0);
    assert_int_equal(s.resets, 1);
    r.counter = 1100;
    assert_int_equal(eb__series_add(&s, &d, 3.0, &r), 0);
    assert_near(s.v[3].energy_j, 5.0, 1e-12);
    eb__series_free(&s);
}

/* A step from 150 to 400 W, sampled every 0.1 s, every fourth move placed by
 * prediction (a point on the line: no interval of its own), peaks over at
 * least 0.6 s: the peak is the 400 W after the step (a user saw 148 W
 * peak for a 269 W average: blocks cut at the holes never spanned 0.6 s). */
static void test_peak_across_holes(void **state)
{
    (void)state;
    eb__sample v[21];
    double e = 0;
    for (int i = 0; i <= 20; i++) {
        double p = i <= 10 ? 150.0 : 400.0;
        e += i ? p * 0.1 : 0;
        v[i] = (eb__sample){0.1 * i, e, i ? p : NAN, i % 4 == 2 ? NAN : 0.1};
    }
    eb_domain_energy r;
    eb__window_energy(v, 21, 0.0, 2.0, 0.6, &r);
    assert_near(r.avg_power_w, 275.0, 1e-9);
    assert_near(r.peak_power_w, 400.0, 1e-9);
    assert_true(r.peak_span_s >= 0.6 - 1e-9 && r.peak_span_s < 0.8);
    /* and never below the window's own mean */
    eb__window_energy(v, 21, 0.0, 2.0, 1.9, &r);
    assert_true(r.peak_power_w >= r.avg_power_w - 1e-9);
}

/* Window: energy difference, average, peak of the intervals that overlap,
 * and the samples inside. */
static void test_window(void **state)
{
    (void)state;
    eb__sample v[] = {
        {0.0, 0.0, NAN, 0},  {1.0, 5.0, 5.0, 0},  {2.0, 25.0, 20.0, 0},
        {3.0, 28.0, 3.0, 0}, {4.0, 30.0, 2.0, 0},
    };
    eb_domain_energy e;
    eb__window_energy(v, 5, 1.0, 3.0, 0.5, &e);
    assert_near(e.energy_j, 23.0, 1e-12);
    assert_near(e.avg_power_w, 11.5, 1e-12);
    assert_near(e.peak_power_w, 20.0, 1e-12);
    assert_int_equal(e.samples, 3);

    assert_near(e.peak_span_s, 1.0, 1e-12);

    /* Between samples: interpolated; no interval the sensor resolves lies
     * inside, so no peak (the interval (2,3] is mostly outside). */
    eb__window_energy(v, 5, 2.5, 2.75, 0.5, &e);
    assert_near(e.energy_j, 0.75, 1e-12);
    assert_true(isnan(e.peak_power_w) && isnan(e.peak_span_s));
    assert_int_equal(e.samples, 0);

    /* The interval before t0 does not count for the peak. */
    eb__window_energy(v, 5, 2.0, 4.0, 0.5, &e);
    assert_near(e.peak_power_w, 3.0, 1e-12);

    /* Intervals shorter than the sensor resolves are merged, sliding: over
     * 2 s, (0,2] at 12.5 W, (1,3] at 11.5 W, (2,4] at 2.5 W. */
    eb__window_energy(v, 5, 0.0, 4.0, 2.0, &e);
    assert_near(e.peak_power_w, 12.5, 1e-12);
    assert_near(e.peak_span_s, 2.0, 1e-12);

    eb__window_energy(v, 0, 0, 1, 0.5, &e);
    assert_true(isnan(e.energy_j) && isnan(e.avg_power_w) && isnan(e.peak_power_w));
}

/* Memory stays bounded: past max_samples the older half is thinned, and the
 * cumulative energy at every kept sample is still exact. */
static void test_bounded_memory(void **state)
{
    (void)state;
    eb__series s = {0};
    eb__domain_desc d = power_desc(0);
    s.max_samples = 64;
    for (int i = 0; i <= 1000; i++)
        add_power(&s, &d, i * 0.1, 10.0 + (i % 7)); /* a varying power */
    assert_true(s.n < 64);
    assert_near(s.v[0].t_s, 0.0, 0);
    assert_near(s.v[s.n - 1].t_s, 100.0, 1e-9);
    /* trapezoids of the original samples, recomputed */
    double e = 0;
    for (int i = 1; i <= 1000; i++)
        e += 0.5 * (10.0 + ((i - 1) % 7) + 10.0 + (i % 7)) * 0.1;
    assert_near(s.v[s.n - 1].energy_j, e, 1e-9);
    for (size_t i = 1; i < s.n; i++) {
        assert_true(s.v[i].t_s > s.v[i - 1].t_s);
        /* a kept sample's energy is the original cumulative energy at its time */
        int k = (int)llround(s.v[i].t_s / 0.1);
        double ek = 0;
        for (int j = 1; j <= k; j++)
            ek += 0.5 * (10.0 + ((j - 1) % 7) + 10.0 + (j % 7)) * 0.1;
        assert_near(s.v[i].energy_j, ek, 1e-9);
    }
    eb__series_free(&s);
}

/* A stepping counter (100 ms, alternating 100 and 400 W) in a 64-sample
 * history, read just before and just after each move and otherwise sampled
 * every 1 ms without a read (eb__series_add_unread, as ticks that read
 * nothing between moves): ~100 estimates wait for each move, more than half
 * the history. They must stay estimates until the move comes, so the line
 * never bends back: before, they were made final at the last rate, and a
 * 100 W period after a 400 W one gave a window of -1118 J (test_realtime). */
static void test_unread_backlog(void **state)
{
    (void)state;
    eb__series s = {0};
    eb__domain_desc d;
    memset(&d, 0, sizeof d);
    d.method = EB_METHOD_COUNTER;
    d.counter_holds = 1;
    d.counter_unit_j = 1e-3; /* mJ, as NVML's counter */
    d.update_period_s = 0.1;
    s.max_samples = 64;
    unsigned long long c = 1000000;
    eb__reading r = {.counter = c, .power_w = NAN};
    assert_int_equal(eb__series_add_read(&s, &d, 0.0, 0.0, 0.0005, &r), 0);
    double t = 0.001;
    for (int k = 1; k <= 40; k++) {
        double u = 0.1 * k - 0.063; /* the move; the period before it drew p */
        double p = k % 2 ? 100 : 400;
        for (; t < u - 0.004; t += 0.001)
            assert_int_equal(eb__series_add_unread(&s, &d, t), 0);
        r.counter = c; /* just before: not yet */
        assert_int_equal(eb__series_add_read(&s, &d, u - 0.003, u - 0.003, u - 0.0025, &r), 0);
        c += (unsigned long long)(p * 100); /* p W x 0.1 s in mJ */
        r.counter = c;                      /* just after: moved */
        assert_int_equal(eb__series_add_read(&s, &d, u + 0.001, u + 0.001, u + 0.0015, &r), 0);
        t = u + 0.002;
    }
    for (size_t i = 1; i < s.n; i++)
        if (s.v[i].energy_j < s.v[i - 1].energy_j - 1e-9)
            fail_msg("the energy went back at t = %.4f s: %.3f J after %.3f J", s.v[i].t_s,
                     s.v[i].energy_j, s.v[i - 1].energy_j);
    /* and it adds up: 20 periods at 100 W and 20 at 400 W after the first
     * move, within one period's energy for the start */
    assert_near(s.v[s.n - 1].energy_j, 20 * 10.0 + 20 * 40.0, 40.0);
    eb__series_free(&s);
}

/* A 50 ms counter at 400 W pauses (no move, no power readings to
 * integrate instead) and resumes at 100 W: the waiting estimates, made final
 * once overdue, ran on at 400 W past what the counter then says. The line
 * must not go back (a window of -24.8 J against +18.2 J, a review found), and
 * the total stays the counter's. */
static void pause_then_lower(double pause)
{
    eb__series s = {0};
    eb__domain_desc d;
    memset(&d, 0, sizeof d);
    d.method = EB_METHOD_COUNTER;
    d.counter_holds = 1;
    d.counter_unit_j = 1e-3;
    d.update_period_s = 0.05;
    s.max_samples = 64;
    unsigned long long c = 1000000;
    eb__reading r = {.counter = c, .power_w = NAN};
    assert_int_equal(eb__series_add_read(&s, &d, 0.0, 0.0, 0.0005, &r), 0);
    double t = 0.001, last_u = 0;
    for (int k = 1; k <= 60; k++) {
        double u = 0.05 * k - 0.013;
        if (k > 40)
            u += pause; /* the pause: moves 41.. come late */
        double p = k <= 40 ? 400 : 100;
        for (; t < u - 0.004; t += 0.001)
            assert_int_equal(eb__series_add_unread(&s, &d, t), 0);
        r.counter = c;
        assert_int_equal(eb__series_add_read(&s, &d, u - 0.003, u - 0.003, u - 0.0025, &r), 0);
        c += (unsigned long long)(p * 1000 * (u - last_u)); /* p W since the last move, mJ */
        last_u = u;
        r.counter = c;
        assert_int_equal(eb__series_add_read(&s, &d, u + 0.001, u + 0.001, u + 0.0015, &r), 0);
        t = u + 0.002;
        /* after each move (the history thins old samples away, so not only
         * at the end) */
        for (size_t i = 1; i < s.n; i++)
            if (s.v[i].energy_j < s.v[i - 1].energy_j - 1e-9)
                fail_msg("pause %.1f s: the energy went back at t = %.4f s: %.3f J after %.3f J",
                         pause, s.v[i].t_s, s.v[i].energy_j, s.v[i - 1].energy_j);
    }
    /* the counter's total since its first move */
    double truth = (double)(c - 1000000) * 1e-3 - 400 * (0.05 - 0.013);
    assert_near(s.v[s.n - 1].energy_j, truth, 0.05 * 400);
    eb__series_free(&s);
}

static void test_pause_then_lower(void **state)
{
    (void)state;
    pause_then_lower(0.3); /* shorter than stuck detection's wait: estimates wait */
    pause_then_lower(0.8); /* longer: made final, and the line holds when it resumes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trapezoids),
        cmocka_unit_test(test_interval_means),
        cmocka_unit_test(test_counter_without_wrap_range),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_peak_across_holes),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_unread_backlog),
        cmocka_unit_test(test_pause_then_lower),
    };
    return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
