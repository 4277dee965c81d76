/* test_windows.c - named windows (nested, overlapping, by function, by block)
 * and the exact text of what the bench prints and saves. */
#include <math.h>

#include "helpers.h"

/* The package at 10 W and the DRAM at 2 W (helpers.h). */
static eb_bench *open_linear(fake *fk)
{
    fake_linear_zones(fk);
    return fake_open(fk, 0);
}

static void advance(fake *fk, double t)
{
    fake_linear_advance(fk, t);
}

static void test_nested_and_overlapping(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy outer_d[EB_MAX_DOMAINS];
    eb_result outer = EB_RESULT_INIT(outer_d);
    eb_domain_energy inner_d[EB_MAX_DOMAINS];
    eb_result inner = EB_RESULT_INIT(inner_d);
    eb_domain_energy a_d[EB_MAX_DOMAINS];
    eb_result a = EB_RESULT_INIT(a_d);
    eb_domain_energy bb_d[EB_MAX_DOMAINS];
    eb_result bb = EB_RESULT_INIT(bb_d);
    eb_bench *b = open_linear(&fk);

    assert_int_equal(eb_begin(b, "outer"), EB_OK);
    advance(&fk, 1);
    assert_int_equal(eb_begin(b, "inner"), EB_OK);
    assert_int_equal(eb_begin(b, "A"), EB_OK);
    advance(&fk, 2);
    assert_int_equal(eb_end(b, "inner", &inner), EB_OK);
    assert_int_equal(eb_begin(b, "B"), EB_OK);
    advance(&fk, 3);
    assert_int_equal(eb_end(b, "A", &a), EB_OK); /* A and B overlap */
    advance(&fk, 5);
    assert_int_equal(eb_end(b, "B", &bb), EB_OK);
    assert_int_equal(eb_end(b, "outer", &outer), EB_OK);

    assert_near(outer.domains[0].energy_j, 50.0, 1e-9);
    assert_near(outer.total_energy_j, 60.0, 1e-9);
    assert_near(inner.domains[0].energy_j, 10.0, 1e-9);
    assert_near(inner.duration_s, 1.0, 1e-12);
    assert_near(a.domains[1].energy_j, 4.0, 1e-9);
    assert_near(bb.domains[0].energy_j, 30.0, 1e-9);
    assert_near(bb.t_begin_s, 2.0, 1e-12);

    assert_int_equal(eb_end(b, "outer", NULL), EB_ENOTOPEN);
    assert_contains(eb_last_detail(b), "eb_end(\"outer\"): no window of that name is open");
    eb_close(b);
    fake_free(&fk);
}

/* Same name twice: eb_end closes the most recent one. */
static void test_same_name_nested(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r1_d[EB_MAX_DOMAINS];
    eb_result r1 = EB_RESULT_INIT(r1_d);
    eb_domain_energy r2_d[EB_MAX_DOMAINS];
    eb_result r2 = EB_RESULT_INIT(r2_d);
    eb_bench *b = open_linear(&fk);
    assert_int_equal(eb_begin(b, "step"), EB_OK);
    advance(&fk, 1);
    assert_int_equal(eb_begin(b, "step"), EB_OK);
    advance(&fk, 3);
    assert_int_equal(eb_end(b, "step", &r1), EB_OK);
    assert_int_equal(eb_end(b, "step", &r2), EB_OK);
    assert_near(r1.duration_s, 2.0, 1e-12);
    assert_near(r2.duration_s, 3.0, 1e-12);
    eb_close(b);
    fake_free(&fk);
}

static fake *g_fake;
static void workload(void *arg)
{
    advance(g_fake, g_fake->now + *(double *)arg);
}

static void test_measure_and_macro(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    double seconds = 2.5;
    eb_bench *b = open_linear(&fk);
    g_fake = &fk;

    assert_int_equal(eb_measure(b, "fn", workload, &seconds, &r), EB_OK);
    assert_near(r.domains[0].energy_j, 25.0, 1e-9);
    assert_near(r.domains[0].avg_power_w, 10.0, 1e-9);

    int ran = 0;
    EB_MEASURE(b, "block")
    {
        advance(&fk, fk.now + 1.5);
        ran++;
    }
    assert_int_equal(ran, 1);
    assert_int_equal(eb_end(b, "block", NULL), EB_ENOTOPEN); /* the macro closed it */
    assert_int_equal(eb_measure(b, "fn", NULL, NULL, NULL), EB_EINVAL);
    eb_close(b);
    fake_free(&fk);
}

static char *capture(eb_bench *b, int what)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    eb_run_meta meta;
    eb_run_meta_init(&meta);
    meta.argv = (const char *const[]){"./app", "--n", "3", NULL};
    meta.exit_status = 0;
    meta.elapsed_s = 4.0;
    meta.user_s = 3.5;
    meta.sys_s = 0.25;
    if (what == 0)
        assert_int_equal(eb_print_results(b, f), EB_OK);
    else if (what == 1)
        assert_int_equal(eb_print_report(b, f, &meta), EB_OK);
    else
        assert_int_equal(eb_write_csv(b, f), EB_OK);
    fclose(f);
    return buf;
}

static void test_printed_text(void **state)
{
    (void)state;
    fake fk;
    eb_bench *b = open_linear(&fk);

    for (int i = 0; i < 2; i++) {
        EB_MEASURE(b, "step")
        {
            advance(&fk, fk.now + 1);
        }
    }
    EB_MEASURE(b, "io")
    {
        advance(&fk, fk.now + 0.5);
    }
    advance(&fk, 4);
    assert_int_equal(eb_stop(b), EB_OK);

    char *text = capture(b, 0);
    assert_string_equal(text,
                        "\n"
                        " ebench results (3 windows measured)\n"
                        "\n"
                        " step: 2 calls, 2.000000 s\n"
                        "           20.000 J +-  5%  cpu0-package   #     10.00 W avg     10.00 W "
                        "peak/1.0s    counter\n"
                        "            4.000 J +-  5%  cpu0-dram      #      2.00 W avg      2.00 W "
                        "peak/1.0s    counter\n"
                        "           24.000 J +-  4%  total          #     12.00 W avg\n"
                        "\n"
                        " io: 1 call, 0.500000 s\n"
                        "            5.000 J +-  5%  cpu0-package   #     10.00 W avg     10.00 W "
                        "peak/500ms   counter\n"
                        "            1.000 J +-  5%  cpu0-dram      #      2.00 W avg      2.00 W "
                        "peak/500ms   counter\n"
                        "            6.000 J +-  4%  total          #     12.00 W avg\n"
                        "\n"
                        " cpumodel: not available: not used: CPU energy is measured by a sensor\n"
                        "\n");
    free(text);

    text = capture(b, 1);
    assert_string_equal(
        text,
        "\n"
        " Energy stats for './app --n 3':\n"
        "\n"
        "           40.000 J +-  5%  cpu0-package   #     10.00 W avg     10.00 W peak/1.0s    "
        "counter\n"
        "            8.000 J +-  5%  cpu0-dram      #      2.00 W avg      2.00 W peak/1.0s    "
        "counter\n"
        "           48.000 J +-  4%  total          #     12.00 W avg\n"
        "\n"
        "        4.000000000 seconds time elapsed\n"
        "        3.500000000 seconds user\n"
        "        0.250000000 seconds sys\n"
        "\n"
        " phases (the program's windows):\n"
        "   step                          2 calls     2.000000 s         24.000 J      12.00 W "
        "avg\n"
        "     cpu0-package                                              20.000 J      10.00 W "
        "avg\n"
        "     cpu0-dram                                                  4.000 J       2.00 W "
        "avg\n"
        "   io                            1 call      0.500000 s          6.000 J      12.00 W "
        "avg\n"
        "     cpu0-package                                               5.000 J      10.00 W "
        "avg\n"
        "     cpu0-dram                                                  1.000 J       2.00 W "
        "avg\n"
        "\n"
        " idle baseline: not measured (--idle SECONDS or --idle-power DOMAIN=W)\n"
        "\n"
        " steady state (from the first sample on which 1 s of power varies by at most 5% (CV) "
        "and stays within 10% of the mean of the rest):\n"
        "   cpu0-package     from 0.000 s: 10.00 W (40.000 J in 4.000 s)\n"
        "   cpu0-dram        from 0.000 s: 2.00 W (8.000 J in 4.000 s)\n"
        "\n"
        " energy-delay product: 192 J*s\n"
        "\n"
        " energy: 1.33333e-05 kWh x PUE 1.00 (assumed; --pue) -> 0.006413 gCO2e at 481 "
        "g/kWh (world average (default; set --region or --carbon-intensity)); cost: --price "
        "not given\n"
        " allocation: 0.001111 node-hours (1 node), 0 GPU-hours (0 GPUs)\n"
        "\n"
        " cpumodel: not available: not used: CPU energy is measured by a sensor\n"
        "\n");
    free(text);

    text = capture(b, 2);
    /* One row per sample and domain; reads at one instant make one sample. */
    assert_string_equal(text, "t_s,domain,power_w,energy_j\n"
                              "0.000000,cpu0-package,,0.000000\n"
                              "0.000000,cpu0-dram,,0.000000\n"
                              "1.000000,cpu0-package,10.000,10.000000\n"
                              "1.000000,cpu0-dram,2.000,2.000000\n"
                              "2.000000,cpu0-package,10.000,20.000000\n"
                              "2.000000,cpu0-dram,2.000,4.000000\n"
                              "2.500000,cpu0-package,10.000,25.000000\n"
                              "2.500000,cpu0-dram,2.000,5.000000\n"
                              "4.000000,cpu0-package,10.000,40.000000\n"
                              "4.000000,cpu0-dram,2.000,8.000000\n");
    free(text);
    /* the work added to each window: per joule and per second, over its calls */
    text = capture(b, 0);
    assert_null(strstr(text, " work ")); /* no work added: none shown */
    free(text);
    assert_int_equal(eb_add_work(b, "step", 4e12, "flop"), EB_OK);
    assert_int_equal(eb_add_work(b, "io", 1000, "samples"), EB_OK);
    text = capture(b, 0);
    assert_non_null(strstr(text, "           24.000 J +-  4%  total          #     12.00 W avg\n"
                                 "   work 4e+12 flop: 0.1667 TFLOP/J (= TFLOPS/W), 2 TFLOP/s\n"));
    assert_non_null(strstr(text, "            6.000 J +-  4%  total          #     12.00 W avg\n"
                                 "   work 1000 samples: 166.7 samples/J, 2000 samples/s\n"));
    free(text);
    eb_close(b);
    fake_free(&fk);
}

static void test_unknown_value_is_not_zero(void **state)
{
    (void)state;
    fake fk;
    eb_bench *b = open_linear(&fk);
    /* The dram counter turns to garbage for the whole window. */
    fake_set(&fk, "intel-rapl:0:0", "garbage\n");
    fk.now = 1;
    EB_MEASURE(b, "w")
    {
        fk.now = 2;
    }
    char *text = capture(b, 0);
    assert_contains(text, "  <not supported>    cpu0-dram          no valid sample in this window");
    assert_contains(text, "incomplete: a domain above is missing or partial");
    assert_contains(text, "warning: cpu0-dram: unreadable sample at t=1.000 s");
    free(text);
    eb_close(b);
    fake_free(&fk);
}

/* A work unit that is not UTF-8 is written with '?' for its bad bytes, in
 * the window's work and in the efficiency, not dropped (issue 14's review). */
static void test_work_unit_not_utf8(void **state)
{
    (void)state;
    fake fk;
    eb_bench *b = open_linear(&fk);
    fk.now = 1;
    EB_MEASURE(b, "w")
    {
        fk.now = 2;
    }
    assert_int_equal(eb_add_work(b, "w", 10,
                                 "tok\xff"
                                 "en"),
                     EB_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    eb_run_meta meta;
    eb_run_meta_init(&meta);
    meta.span = "w";
    assert_int_equal(eb_write_json(b, f, &meta), EB_OK);
    fclose(f);
    assert_contains(buf, "\"unit\": \"tok?en\"");
    assert_contains(buf, "\"per_joule_unit\": \"tok?en/J\"");
    free(buf);
    eb_close(b);
    fake_free(&fk);
}

/* Many windows and many names: each name once, in order of first
 * appearance, its calls and energy summed, past the table's growth and the
 * chunks in which the aggregation lets the sampler in. */
static void test_many_names_and_windows(void **state)
{
    (void)state;
    fake fk;
    eb_bench *b = open_linear(&fk);
    char name[32];
    double t = 0;
    for (int i = 0; i < 5000; i++) { /* 300 names, "n0" .. "n299", interleaved */
        snprintf(name, sizeof name, "n%d", i % 300);
        assert_int_equal(eb_begin(b, name), EB_OK);
        advance(&fk, t += 0.5);
        assert_int_equal(eb_end(b, name, NULL), EB_OK);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(eb_print_results(b, f), EB_OK);
    fclose(f);
    assert_contains(buf, "ebench results (5000 windows measured)");
    /* n0..n199 ran 17 times (0..4999 covers 16 full rounds of 300 and 200
     * more), n200..n299 16 times; each call 0.5 s at 12 W: 6 J */
    assert_contains(buf, "\n n0: 17 calls, 8.500000 s\n");
    assert_contains(buf, "\n n199: 17 calls, 8.500000 s\n");
    assert_contains(buf, "\n n200: 16 calls, 8.000000 s\n");
    assert_contains(buf, "\n n299: 16 calls, 8.000000 s\n");
    assert_true(strstr(buf, "\n n0: ") < strstr(buf, "\n n1: "));
    assert_true(strstr(buf, "\n n298: ") < strstr(buf, "\n n299: "));
    assert_null(strstr(buf, "\n n300: "));
    /* each name once */
    const char *first = strstr(buf, "\n n42: ");
    assert_non_null(first);
    assert_null(strstr(first + 1, "\n n42: "));
    free(buf);
    eb_close(b);
    fake_free(&fk);
}

/* Lines of eb_write_csv's output. */
static size_t csv_rows(eb_bench *b)
{
    char *buf = NULL;
    size_t len = 0, rows = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(eb_write_csv(b, f), EB_OK);
    fclose(f);
    for (const char *p = buf; (p = strchr(p, '\n')); p++)
        rows++;
    free(buf);
    return rows;
}

/* A short history (eb_config.history_samples): the timeline thins its older
 * half, memory stays at the cap, and energies over the whole run and over an
 * early window (in the thinned part) stay exact on a linear counter. */
static void test_short_history(void **state)
{
    (void)state;
    fake fk;
    fake_linear_zones(&fk);
    eb_config cfg;
    fake_config(&fk, EB_SOURCE_POWERCAP, &cfg);
    eb_bench *b = NULL;
    cfg.history_samples = 10;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL); /* below 64 */
    cfg.history_samples = 64;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    for (int k = 1; k <= 10000; k++) {
        advance(&fk, k * 0.01);
        if (k == 100)
            assert_int_equal(eb_begin(b, "early"), EB_OK);
        if (k == 200)
            assert_int_equal(eb_end(b, "early", NULL), EB_OK);
        assert_int_equal(eb_tick(b), EB_OK);
    }
    eb_domain_energy d[4];
    eb_result r = EB_RESULT_INIT(d);
    assert_int_equal(eb_total(b, &r), EB_OK);
    assert_near(r.total_energy_j, 12.0 * 100.0, 1e-6);
    assert_int_equal(eb_window_result(b, "early", 0, &r), EB_OK);
    assert_near(r.domains[0].energy_j, 10.0, 1e-6);
    assert_near(r.domains[1].energy_j, 2.0, 1e-6);
    /* the CSV has a row per kept sample and domain: at most the cap each */
    size_t rows = csv_rows(b);
    assert_true(rows >= 2 * 32 && rows <= 2 * 64 + 1);
    eb_close(b);
    fake_free(&fk);
}

/* Power that varies (a 30 W package with a 20 W swing of period 0.37 s,
 * DRAM rising from 2 W), integrated into the counters at t. */
static void vary_advance(fake *fk, double t)
{
    const double pi = 3.14159265358979323846, T = 0.37;
    fk->now = t;
    double pkg = 30 * t + 20 * T / (2 * pi) * (1 - cos(2 * pi * t / T));
    double dram = 2 * t + 0.05 * t * t;
    fake_set(fk, "intel-rapl:0", "%llu\n", (unsigned long long)llround(pkg * 1e6));
    fake_set(fk, "intel-rapl:0:0", "%llu\n", (unsigned long long)llround(dram * 1e6));
}

static eb_bench *open_cfg(fake *fk, size_t history, size_t records)
{
    eb_config cfg;
    eb_bench *b = NULL;
    fake_config(fk, EB_SOURCE_POWERCAP, &cfg);
    cfg.history_samples = history;
    cfg.window_records = records;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    return b;
}

static void assert_same_stat(const eb_stat *a, const eb_stat *b)
{
    assert_int_equal(a->n, b->n);
    /* the same values: min and max exactly, the rest summed in another order */
    assert_true(a->min == b->min);
    assert_true(a->max == b->max);
    assert_near(a->mean, b->mean, 1e-12 * fabs(b->mean));
    assert_int_equal(isnan(a->stddev), isnan(b->stddev)); /* NaN for one value */
    if (!isnan(b->stddev)) {
        assert_near(a->stddev, b->stddev, 1e-9 * fabs(b->stddev) + 1e-15);
        assert_near(a->ci95, b->ci95, 1e-9 * fabs(b->ci95) + 1e-15);
    }
}

/* A tiny history (64 samples) and few window records (8) against the
 * defaults, over the same readings at uneven instants with varying power:
 * thinning never moves a window's energy (its edges are pinned while its
 * figures come from the timeline), folded windows give the statistics the
 * kept ones do, and memory stays at the caps. */
static void test_tiny_history_same_windows(void **state)
{
    (void)state;
    fake fk;
    fake_linear_zones(&fk);
    eb_bench *small = open_cfg(&fk, 64, 8), *full = open_cfg(&fk, 0, 0);
    eb_bench *both[2] = {small, full};
    const char *names[] = {"a", "b", "c"};
    double t = 0;
    int open = -1, len = 0, closed = 0;
    for (int i = 0; i < 2; i++)
        assert_int_equal(eb_begin(both[i], "run"), EB_OK);
    for (int k = 1; k <= 6000; k++) {
        t += 0.004 + 0.006 * fmod(k * 0.6180339887, 1.0); /* uneven steps */
        vary_advance(&fk, t);
        for (int i = 0; i < 2; i++)
            assert_int_equal(eb_tick(both[i]), EB_OK);
        if (open < 0 && k % 7 != 0) {
            open = k % 3;
            len = 1 + (k * 37) % 60; /* 1 to 60 ticks */
            for (int i = 0; i < 2; i++)
                assert_int_equal(eb_begin(both[i], names[open]), EB_OK);
        } else if (open >= 0 && --len == 0) {
            for (int i = 0; i < 2; i++) {
                assert_int_equal(eb_end(both[i], names[open], NULL), EB_OK);
                assert_int_equal(eb_add_work(both[i], names[open], 100, "sample"), EB_OK);
            }
            closed++;
            open = -1;
        }
    }
    if (open >= 0)
        for (int i = 0; i < 2; i++)
            assert_int_equal(eb_end(both[i], names[open], NULL), EB_OK), closed += i;
    for (int i = 0; i < 2; i++)
        assert_int_equal(eb_end(both[i], "run", NULL), EB_OK);
    assert_true(closed > 100);

    /* the window open all along, and the last ones, exactly */
    eb_domain_energy da[4], db[4];
    eb_result ra = EB_RESULT_INIT(da), rb = EB_RESULT_INIT(db);
    assert_int_equal(eb_window_result(small, "run", 0, &ra), EB_OK);
    assert_int_equal(eb_window_result(full, "run", 0, &rb), EB_OK);
    assert_true(ra.total_energy_j == rb.total_energy_j);
    assert_true(ra.domains[0].energy_j == rb.domains[0].energy_j &&
                ra.domains[1].energy_j == rb.domains[1].energy_j);
    assert_true(ra.total_energy_j > 30 * t * 0.9);
    for (int n = 0; n < 3; n++) {
        eb_stat sa_d[4], sb_d[4];
        eb_stats sa = EB_STATS_INIT(sa_d), sb = EB_STATS_INIT(sb_d);
        assert_int_equal(eb_window_stats(small, names[n], &sa), EB_OK);
        assert_int_equal(eb_window_stats(full, names[n], &sb), EB_OK);
        assert_int_equal(sa.n, sb.n);
        assert_same_stat(&sa.duration_s, &sb.duration_s);
        assert_same_stat(&sa.total_energy_j, &sb.total_energy_j);
        assert_same_stat(&sa_d[0], &sb_d[0]);
        assert_same_stat(&sa_d[1], &sb_d[1]);
        /* the last instance is kept in both */
        assert_int_equal(eb_window_result(small, names[n], sa.n - 1, &ra), EB_OK);
        assert_int_equal(eb_window_result(full, names[n], sb.n - 1, &rb), EB_OK);
        assert_true(ra.total_energy_j == rb.total_energy_j);
        assert_true(ra.t_begin_s == rb.t_begin_s && ra.t_end_s == rb.t_end_s);
        /* the first is folded in the small one, and it says so */
        assert_int_equal(eb_window_result(small, names[n], 0, &ra), EB_ENOTOPEN);
        assert_contains(eb_last_detail(small), "no longer kept");
        assert_int_equal(eb_window_result(full, names[n], 0, &rb), EB_OK);
    }
    /* the printed work and calls are the same */
    char *pa = NULL, *pb = NULL;
    size_t la = 0, lb = 0;
    FILE *f = open_memstream(&pa, &la);
    assert_int_equal(eb_print_results(small, f), EB_OK);
    fclose(f);
    f = open_memstream(&pb, &lb);
    assert_int_equal(eb_print_results(full, f), EB_OK);
    fclose(f);
    /* the same text, peaks included: every window's figures were taken
     * before thinning reached its inside */

    assert_string_equal(pa, pb);
    free(pa);
    free(pb);
    /* memory: the small timeline holds a few hundred samples, the full one all */
    size_t rows_small = csv_rows(small), rows_full = csv_rows(full);
    assert_true(rows_full > 2 * 6000);
    assert_true(rows_small < rows_full / 10);
    eb_close(small);
    eb_close(full);
    fake_free(&fk);
}

/* Every window in the calls file, once, in the order they closed, with the
 * figures eb_window_result gives and the work added after eb_end; the
 * timeline file is eb_write_csv's output. Manual: both written at eb_stop. */
static void test_calls_and_timeline_files(void **state)
{
    (void)state;
    fake fk;
    fake_linear_zones(&fk);
    char *cb = NULL, *tb = NULL;
    size_t cl = 0, tl = 0;
    FILE *calls = open_memstream(&cb, &cl), *timeline = open_memstream(&tb, &tl);
    eb_config cfg;
    eb_bench *b = NULL;
    fake_config(&fk, EB_SOURCE_POWERCAP, &cfg);
    cfg.calls_csv = calls;
    cfg.timeline_csv = timeline;
    cfg.window_records = 4;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    double t = 0;
    for (int k = 0; k < 200; k++) {
        const char *name = k % 2 ? "odd, \"quoted\"" : "even";
        assert_int_equal(eb_begin(b, name), EB_OK);
        vary_advance(&fk, t += 0.01);
        assert_int_equal(eb_tick(b), EB_OK);
        vary_advance(&fk, t += 0.02);
        assert_int_equal(eb_end(b, name, NULL), EB_OK);
        if (k == 199)
            assert_int_equal(eb_add_work(b, name, 5e12, "flop"), EB_OK);
    }
    eb_domain_energy d[4];
    eb_result r = EB_RESULT_INIT(d);
    assert_int_equal(eb_window_result(b, "odd, \"quoted\"", 99, &r), EB_OK);
    char *csv = NULL;
    size_t csvl = 0;
    FILE *f = open_memstream(&csv, &csvl);
    assert_int_equal(eb_write_csv(b, f), EB_OK);
    fclose(f);
    assert_int_equal(eb_stop(b), EB_OK);
    fclose(calls);
    fclose(timeline);
    assert_string_equal(tb, csv); /* no thinning at the default history */
    assert_contains(cb,
                    "name,t_begin_s,t_end_s,duration_s,energy_j,cpu0-package_j,cpu0-dram_j,work\n");
    size_t rows = 0;
    for (const char *p = cb; (p = strchr(p, '\n')); p++)
        rows++;
    assert_int_equal(rows, 1 + 200);
    /* the last row: quoted name, its times and energies as eb_window_result */
    char want[256];
    snprintf(want, sizeof want,
             "\"odd, \"\"quoted\"\"\",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,5000000000000 flop\n",
             r.t_begin_s, r.t_end_s, r.duration_s, r.total_energy_j, r.domains[0].energy_j,
             r.domains[1].energy_j);
    assert_true(cl >= strlen(want));
    assert_string_equal(cb + cl - strlen(want), want);
    assert_true(strstr(cb, "\neven,0.000000,") != NULL);
    free(cb);
    free(tb);
    free(csv);
    eb_close(b);
    fake_free(&fk);
}

/* Past the records' limit, a window whose end is still ahead of the samples
 * (taken in with eb_add_window) is not folded with a figure cut at the last
 * sample: it waits, and ends as a bench that kept everything has it. With a
 * calls file on a manual bench, rows are written at each tick, so records
 * still go (memory stays flat), and a work unit with a comma stays one
 * field. */
static void test_limit_waits_for_final(void **state)
{
    (void)state;
    fake fk;
    fake_linear_zones(&fk);
    char *cb = NULL;
    size_t cl = 0;
    FILE *calls = open_memstream(&cb, &cl);
    eb_bench *small = open_cfg(&fk, 0, 1), *full = open_cfg(&fk, 0, 0);
    eb_bench *both[2] = {small, full};
    double t = 0;
    for (int k = 1; k <= 100; k++) {
        vary_advance(&fk, t += 0.01);
        for (int i = 0; i < 2; i++)
            assert_int_equal(eb_tick(both[i]), EB_OK);
    }
    for (int i = 0; i < 2; i++) { /* ends 1 s after the last sample */
        assert_int_equal(eb_add_window(both[i], "x", 0.5, 2.0), EB_OK);
        for (int k = 0; k < 200; k++)
            assert_int_equal(eb_add_window(both[i], "y", 0.1, 0.2), EB_OK);
    }
    /* the y windows do not wait for x: their records go, x's stays */
    eb_domain_energy yd[4];
    eb_result yr = EB_RESULT_INIT(yd);
    assert_int_equal(eb_window_result(small, "y", 0, &yr), EB_ENOTOPEN);
    assert_int_equal(eb_window_result(small, "x", 0, &yr), EB_OK);
    for (int k = 1; k <= 150; k++) {
        vary_advance(&fk, t += 0.01);
        for (int i = 0; i < 2; i++)
            assert_int_equal(eb_tick(both[i]), EB_OK);
    }
    eb_stat sa_d[4], sb_d[4];
    eb_stats sa = EB_STATS_INIT(sa_d), sb = EB_STATS_INIT(sb_d);
    assert_int_equal(eb_window_stats(small, "x", &sa), EB_OK);
    assert_int_equal(eb_window_stats(full, "x", &sb), EB_OK);
    assert_same_stat(&sa.total_energy_j, &sb.total_energy_j);
    assert_true(sb.total_energy_j.mean > 40); /* 1.5 s at 30 W and more */
    eb_close(small);
    eb_close(full);

    eb_config cfg;
    fake_config(&fk, EB_SOURCE_POWERCAP, &cfg);
    cfg.window_records = 1;
    cfg.history_samples = 64;
    cfg.calls_csv = calls;
    eb_bench *b = NULL;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    for (int k = 0; k < 2000; k++) {
        assert_int_equal(eb_begin(b, "w"), EB_OK);
        vary_advance(&fk, t += 0.01);
        assert_int_equal(eb_tick(b), EB_OK);
        assert_int_equal(eb_end(b, "w", NULL), EB_OK);
        assert_int_equal(eb_add_work(b, "w", 2, "a,b"), EB_OK);
    }
    eb_domain_energy d[4];
    eb_result r = EB_RESULT_INIT(d);
    assert_int_equal(eb_window_result(b, "w", 0, &r), EB_ENOTOPEN); /* gone from memory */
    assert_true(csv_rows(b) < 2 * 500);                             /* the timeline thinned */
    assert_int_equal(eb_stop(b), EB_OK);
    fclose(calls);
    size_t rows = 0;
    for (const char *p = cb; (p = strstr(p, "\nw,")); p++)
        rows++;
    assert_int_equal(rows, 2000);
    assert_non_null(strstr(cb, ",\"2 a,b\"\n"));
    free(cb);
    eb_close(b);
    fake_free(&fk);
}

/* A zone whose first read fails has no samples: windows and totals still
 * work (its energy unknown, not a crash). */
static void test_domain_without_samples(void **state)
{
    (void)state;
    fake fk;
    fake_linear_zones(&fk);
    fake_set(&fk, "intel-rapl:0:0", "garbage\n");
    eb_bench *b = open_cfg(&fk, 64, 0);
    for (int k = 1; k <= 300; k++) {
        if (k % 10 == 1)
            assert_int_equal(eb_begin(b, "w"), EB_OK);
        fk.now = k * 0.01;
        fake_set(&fk, "intel-rapl:0", "%llu\n", (unsigned long long)llround(fk.now * 10e6));
        eb_tick(b);
        if (k % 10 == 5)
            assert_int_equal(eb_end(b, "w", NULL), EB_OK);
    }
    eb_domain_energy d[4];
    eb_result r = EB_RESULT_INIT(d);
    assert_int_equal(eb_total(b, &r), EB_OK);
    assert_near(r.domains[0].energy_j, 30, 1e-6);
    FILE *f = fopen("/dev/null", "w");
    assert_int_equal(eb_print_results(b, f), EB_OK);
    fclose(f);
    eb_close(b);
    fake_free(&fk);
}

/* The sync hook runs at both edges, in order, before each edge's sample: the
 * GPU work it waits for at the end is in the window, what it waits for at
 * the start is not. */
typedef struct sync_log {
    fake *fk;
    char calls[8][24];
    int n;
    unsigned long long pkg_uj;
} sync_log;

static void on_sync(void *ctx, const char *window, int at_end)
{
    sync_log *s = ctx;
    if (s->n < 8)
        snprintf(s->calls[s->n++], sizeof s->calls[0], "%s:%s", window, at_end ? "end" : "begin");
    /* the queued work finishes while we wait: 5 J on the package */
    s->pkg_uj += 5000000;
    fake_set(s->fk, "intel-rapl:0", "%llu\n", s->pkg_uj);
}

static void test_sync_hook(void **state)
{
    (void)state;
    fake fk;
    eb_config cfg;
    eb_bench *b;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    sync_log s = {.fk = &fk};
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 262143328850ull, 0);
    fake_config(&fk, 0, &cfg);
    cfg.sync = on_sync;
    cfg.sync_ctx = &s;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_begin(b, "step"), EB_OK); /* +5 J before the start: not in it */
    fk.now = 2;
    s.pkg_uj += 10000000; /* 10 J of work inside */
    fake_set(&fk, "intel-rapl:0", "%llu\n", s.pkg_uj);
    assert_int_equal(eb_end(b, "step", &r), EB_OK); /* +5 J finishing: in it */
    assert_near(r.domains[0].energy_j, 15, 1e-9);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.calls[0], "step:begin");
    assert_string_equal(s.calls[1], "step:end");
    /* EB_MEASURE and eb_end of a window never begun (the hook runs, nothing
     * is lost) */
    EB_MEASURE(b, "block")
    {
        fk.now = 3;
    }
    assert_int_equal(s.n, 4);
    assert_string_equal(s.calls[2], "block:begin");
    assert_string_equal(s.calls[3], "block:end");
    eb_close(b);
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_and_overlapping),
        cmocka_unit_test(test_same_name_nested),
        cmocka_unit_test(test_measure_and_macro),
        cmocka_unit_test(test_printed_text),
        cmocka_unit_test(test_unknown_value_is_not_zero),
        cmocka_unit_test(test_work_unit_not_utf8),
        cmocka_unit_test(test_many_names_and_windows),
        cmocka_unit_test(test_short_history),
        cmocka_unit_test(test_tiny_history_same_windows),
        cmocka_unit_test(test_calls_and_timeline_files),
        cmocka_unit_test(test_limit_waits_for_final),
        cmocka_unit_test(test_domain_without_samples),
        cmocka_unit_test(test_sync_hook),
    };
    return cmocka_run_group_tests_name("windows", tests, NULL, NULL);
}
