/*
 * test_method.c - the methodology on known synthetic inputs: statistics,
 * outliers, steady-state detection, idle baselines, work and efficiency,
 * repetitions, carbon, and short windows flagged as unreliable.
 */
#include <jansson.h>
#include <math.h>

#include "analysis/analysis.h"
#include "helpers.h"

static void test_student_t(void **state)
{
    (void)state;
    assert_near(eb__t975(1), 12.706, 1e-9);
    assert_near(eb__t975(7), 2.365, 1e-9);
    assert_near(eb__t975(30), 2.042, 1e-9);
    assert_near(eb__t975(40), 2.021, 1e-9);
    assert_near(eb__t975(120), 1.980, 1e-9);
    assert_true(eb__t975(50) < 2.021 && eb__t975(50) > 2.000);
    assert_near(eb__t975(100000), 1.960, 1e-3);
    assert_true(isnan(eb__t975(0)));
}

static void test_stat_known_data(void **state)
{
    (void)state;
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    eb_stat st;
    eb__stat(x, 8, &st);
    assert_int_equal(st.n, 8);
    assert_near(st.mean, 5.0, 1e-12);
    assert_near(st.stddev, sqrt(32.0 / 7), 1e-12); /* sum of squares 32, n - 1 = 7 */
    assert_near(st.ci95, 2.365 * sqrt(32.0 / 7) / sqrt(8), 1e-12);
    assert_near(st.min, 2, 0);
    assert_near(st.max, 9, 0);

    const double one[] = {3.5, NAN};
    eb__stat(one, 2, &st);
    assert_int_equal(st.n, 1);
    assert_near(st.mean, 3.5, 0);
    assert_true(isnan(st.stddev) && isnan(st.ci95));
}

static void test_outliers(void **state)
{
    (void)state;
    const double x[] = {100, 101, 99, 100.5, 140, 99.5};
    size_t idx[4];
    assert_int_equal(eb__outliers(x, 6, idx, 4), 1);
    assert_int_equal(idx[0], 4);
    const double calm[] = {100, 101, 99, 100.5, 102, 99.5};
    assert_int_equal(eb__outliers(calm, 6, idx, 4), 0);
    assert_int_equal(eb__outliers(x, 2, idx, 4), 0); /* too few to judge */
    /* three runs 0.85% apart (a user's): within 2% of the median, no outlier */
    const double three[] = {474.57, 474.18, 470.16};
    assert_int_equal(eb__outliers(three, 3, idx, 4), 0);
}

static void trace(eb__sample *v, size_t n, double (*p)(double))
{
    for (size_t i = 0; i < n; i++) {
        v[i].t_s = (double)i * 0.1;
        v[i].power_w = p(v[i].t_s);
        v[i].span_s = 0;
        v[i].energy_j = i ? v[i - 1].energy_j + v[i].power_w * 0.1 : 0;
    }
}

static double warm_then_flat(double t)
{
    return t < 2.0 ? 100 + 100 * t : 300; /* ramps for 2 s, then 300 W */
}

static double saw(double t)
{
    return (long)(t * 10) % 2 ? 100 : 300; /* never settles */
}

static void test_steady_state(void **state)
{
    (void)state;
    eb__sample v[100];
    trace(v, 100, warm_then_flat);
    double from = eb__steady_start(v, 100, 0, 9.9, 1.0, 0.05);
    /* the ramp's last 0.4 s are within 5% (CV) of the flat part already */
    assert_true(from >= 1.5 && from <= 2.0);
    /* a kernel from 2.55 to 4.0 s after idle: steady from its start,
     * at the timeline's resolution (1 s slices from 0 said 3.0 s) */
    eb__sample k[41];
    for (size_t i = 0; i < 41; i++) {
        k[i].t_s = 0.1 * (double)i;
        k[i].power_w = k[i].t_s < 2.55 ? 50 : 400;
        k[i].span_s = 0;
        k[i].energy_j = i ? k[i - 1].energy_j + k[i].power_w * 0.1 : 0;
    }
    from = eb__steady_start(k, 41, 0, 4.0, 1.0, 0.05);
    if (!(fabs(from - 2.55) <= 0.2))
        fail_msg("kernel from 2.55 s: steady from %.3f s", from);
    trace(v, 100, saw);
    assert_true(isnan(eb__steady_start(v, 100, 0, 9.9, 1.0, 0.05)));
    assert_true(isinf(eb__steady_start(v, 2, 0, 0.1, 1.0, 0.05)));
}

/* A package at known power: 5 W at rest for 2 s, then 15 W. */
static eb_bench *open_rest_then_work(fake *fk)
{
    fake_init(fk);
    fake_zone(fk, "intel-rapl:0", "package-0", 1000000000000ull, 0);
    eb_bench *b = fake_open(fk, 0);
    assert_int_equal(eb_begin(b, "idle"), EB_OK);
    fk->now = 2.0;
    fake_set(fk, "intel-rapl:0", "10000000\n");
    assert_int_equal(eb_end(b, "idle", NULL), EB_OK);
    return b;
}

static void test_idle_baseline(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    eb_bench *b = open_rest_then_work(&fk);
    assert_int_equal(eb_set_idle_from_window(b, "idle"), EB_OK);
    assert_int_equal(eb_begin(b, "work"), EB_OK);
    fk.now = 6.0;
    fake_set(&fk, "intel-rapl:0", "%llu\n", 10000000ull + 60000000ull); /* 60 J in 4 s */
    assert_int_equal(eb_end(b, "work", &r), EB_OK);
    assert_near(r.domains[0].idle_power_w, 5.0, 1e-9);
    assert_near(r.domains[0].net_energy_j, 60.0 - 5.0 * 4, 1e-9);
    assert_near(r.total_net_energy_j, 40.0, 1e-9);
    assert_near(r.domains[0].uncertainty_j, 3.0, 1e-9); /* 5% of 60 J */

    assert_int_equal(eb_set_idle_power(b, "cpu0-package", 7.5), EB_OK);
    assert_int_equal(eb_end(b, "work", NULL), EB_ENOTOPEN);
    assert_int_equal(eb_set_idle_power(b, "nvidia9", 10), EB_EINVAL);
    assert_contains(eb_last_detail(b), "no domain 'nvidia9'");
    assert_int_equal(eb_set_idle_power(b, "cpu0-package", -1), EB_EINVAL);
    assert_int_equal(eb_set_idle_from_window(b, "nope"), EB_ENOTOPEN);
    eb_close(b);
    fake_free(&fk);
}

static json_t *report(eb_bench *b, const eb_run_meta *meta)
{
    char *text = NULL;
    size_t len = 0;
    json_error_t e;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(eb_write_json(b, f, meta), EB_OK);
    fclose(f);
    json_t *root = json_loads(text, 0, &e);
    free(text);
    assert_non_null(root);
    return root;
}

static double jnum(json_t *o, const char *path)
{
    char key[64];
    const char *p = path;
    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        o = (key[0] >= '0' && key[0] <= '9') ? json_array_get(o, (size_t)atoi(key))
                                             : json_object_get(o, key);
        p += n + (p[n] == '.');
    }
    return json_is_number(o) ? json_number_value(o) : NAN;
}

static void test_work_and_efficiency(void **state)
{
    (void)state;
    fake fk;
    eb_run_meta meta;
    eb_bench *b = open_rest_then_work(&fk);
    assert_int_equal(eb_begin(b, "run"), EB_OK);
    for (int k = 1; k <= 20; k++) { /* 100 J in 10 s, sampled every 0.5 s */
        fk.now = 2.0 + 0.5 * k;
        fake_set(&fk, "intel-rapl:0", "%llu\n", 10000000ull + 5000000ull * (unsigned)k);
        assert_int_equal(eb_tick(b), EB_OK);
    }
    assert_int_equal(eb_end(b, "run", NULL), EB_OK);
    assert_int_equal(eb_add_work(b, "run", 2e12, "flop"), EB_OK);
    assert_int_equal(eb_add_work(b, "run", 50, "sample"), EB_OK);
    assert_int_equal(eb_add_work(b, "run", 50, "sample"), EB_OK); /* adds up */
    assert_int_equal(eb_add_work(b, "run", -1, "token"), EB_EINVAL);
    assert_int_equal(eb_add_work(b, "run", 1, ""), EB_EINVAL);
    assert_int_equal(eb_add_work(b, "nope", 1, "token"), EB_ENOTOPEN);
    assert_int_equal(eb_stop(b), EB_OK);

    eb_run_meta_init(&meta);
    meta.span = "run";
    meta.carbon_g_per_kwh = 100;
    meta.carbon_source = "test";
    meta.pue = 1.5;
    meta.price_per_kwh = 0.3;
    meta.nodes = 4;
    json_t *r = report(b, &meta);
    assert_near(jnum(r, "domains.0.energy_j"), 100.0, 1e-9);
    assert_near(jnum(r, "efficiency.0.per_joule"), 0.02, 1e-12); /* 2 TFLOP / 100 J */
    assert_near(jnum(r, "efficiency.0.joules_per_unit"), 5e-11, 1e-20);
    assert_near(jnum(r, "efficiency.1.per_joule"), 1.0, 1e-12); /* 100 samples / 100 J */
    assert_near(jnum(r, "efficiency.1.uncertainty_rel"), 0.05, 1e-12);
    assert_true(json_is_null(
        json_object_get(json_array_get(json_object_get(r, "efficiency"), 0), "gpus_per_joule")));
    assert_near(jnum(r, "edp_j_s"), 100.0 * 10, 1e-9);
    assert_near(jnum(r, "accounting.energy_kwh"), 100 * 1.5 / 3.6e6, 1e-15);
    assert_near(jnum(r, "accounting.co2_g"), 100 * 1.5 / 3.6e6 * 100, 1e-12);
    assert_near(jnum(r, "accounting.cost"), 100 * 1.5 / 3.6e6 * 0.3, 1e-15);
    assert_near(jnum(r, "accounting.node_hours"), 10.0 * 4 / 3600, 1e-12);
    /* the span's steady state: a flat 10 W from its start */
    assert_near(jnum(r, "domains.0.steady_state.avg_power_w"), 10.0, 1e-9);
    json_decref(r);
    eb_close(b);
    fake_free(&fk);
}

static void test_work_without_energy_is_null(void **state)
{
    (void)state;
    fake fk;
    eb_run_meta meta;
    fake_init(&fk);
    eb_bench *b = fake_open(&fk, EB_SOURCE_POWERCAP); /* no zone: nothing measured */
    EB_MEASURE(b, "run")
    {
        fk.now = 1;
    }
    assert_int_equal(eb_add_work(b, "run", 1e12, "flop"), EB_OK);
    eb_run_meta_init(&meta);
    meta.span = "run";
    json_t *r = report(b, &meta);
    json_t *e = json_array_get(json_object_get(r, "efficiency"), 0);
    assert_true(json_is_null(json_object_get(e, "per_joule")));
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "no energy was measured");
    json_decref(r);
    eb_close(b);
    fake_free(&fk);
}

static fake *g_fk;
static double g_joules[8];
static int g_call;
static void rep(void *arg)
{
    (void)arg;
    static unsigned long long counter;
    if (g_call == 0)
        counter = 0;
    counter += (unsigned long long)(g_joules[g_call++] * 1e6);
    g_fk->now += 1.0;
    fake_set(g_fk, "intel-rapl:0", "%llu\n", counter);
}

static void test_repetitions(void **state)
{
    (void)state;
    fake fk;
    eb_stat st_d[EB_MAX_DOMAINS];
    eb_stats st = EB_STATS_INIT(st_d);
    const double joules[] = {9, 10, 10.5, 9.5, 10, 10, 30}; /* 2 warm-ups, then 5 runs */
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000000000ull, 0);
    eb_bench *b = fake_open(&fk, 0);
    g_fk = &fk;
    memcpy(g_joules, joules, sizeof joules);
    g_call = 0;
    assert_int_equal(eb_repeat(b, "k", rep, NULL, 5, 2, &st), EB_OK);
    assert_int_equal(st.n, 5);
    assert_near(st.total_energy_j.mean, 14.0, 1e-9); /* (10.5 + 9.5 + 10 + 10 + 30) / 5 */
    double ss = 3.5 * 3.5 + 4.5 * 4.5 + 4 * 4 + 4 * 4 + 16 * 16;
    assert_near(st.total_energy_j.stddev, sqrt(ss / 4), 1e-9);
    assert_near(st.total_energy_j.ci95, 2.776 * sqrt(ss / 4) / sqrt(5), 1e-9);
    assert_near(st.duration_s.mean, 1.0, 1e-12);
    assert_int_equal(st.n_outliers, 1);
    assert_int_equal(st.outliers[0], 4);
    eb_stat warm_d[EB_MAX_DOMAINS];
    eb_stats warm = EB_STATS_INIT(warm_d);
    assert_int_equal(eb_window_stats(b, "k (warmup)", &warm), EB_OK);
    assert_int_equal(warm.n, 2);
    assert_near(warm.total_energy_j.mean, 9.5, 1e-9);
    assert_int_equal(eb_repeat(b, "k", rep, NULL, 0, 0, NULL), EB_EINVAL);
    eb_close(b);
    fake_free(&fk);
}

/* A window shorter than two sensor updates is flagged, not trusted. */
static void test_short_window_unreliable(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000000000ull, 0);
    eb_bench *b = fake_open(&fk, 0);
    EB_MEASURE(b, "short")
    {
        fk.now += 0.0015;
    }
    assert_int_equal(eb_begin(b, "long"), EB_OK);
    fk.now += 0.5;
    assert_int_equal(eb_end(b, "long", &r), EB_OK);
    assert_false(r.domains[0].unreliable);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    eb_print_results(b, f);
    fclose(f);
    assert_contains(text, "UNRELIABLE: under 2 sensor updates of 1 ms in the window");
    free(text);
    eb_close(b);
    fake_free(&fk);
}

/* eb_measure_repeated: until min_seconds and min_reps, at least once, and the
 * energy per repetition. */
static void test_measure_repeated(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy per_d[EB_MAX_DOMAINS];
    eb_result per = EB_RESULT_INIT(per_d);
    eb_repeat_opts o;
    size_t reps;
    const double joules[] = {2, 2, 2, 2, 2, 2, 2, 2};
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000000000ull, 0);
    eb_bench *b = fake_open(&fk, 0);
    g_fk = &fk;
    memcpy(g_joules, joules, sizeof joules);
    g_call = 0;
    eb_repeat_opts_init(&o);
    o.min_seconds = 2.5; /* each call takes 1 s of the fake clock */
    o.min_reps = 2;
    assert_int_equal(eb_measure_repeated(b, "k", rep, NULL, &o, &per, &reps), EB_OK);
    assert_int_equal(reps, 3);
    assert_near(per.domains[0].energy_j, 2.0, 1e-9);
    assert_near(per.duration_s, 1.0, 1e-9);
    assert_near(per.domains[0].avg_power_w, 2.0, 1e-9);
    o.min_seconds = 0;
    o.min_reps = 0;
    assert_int_equal(eb_measure_repeated(b, "k", rep, NULL, &o, &per, &reps), EB_OK);
    assert_int_equal(reps, 1); /* at least once */
    assert_near(per.domains[0].energy_j, 2.0, 1e-9);
    o.max_reps = 0;
    assert_int_equal(eb_measure_repeated(b, "k", rep, NULL, &o, &per, &reps), EB_EINVAL);
    eb_close(b);
    fake_free(&fk);
}

static void test_regions(void **state)
{
    (void)state;
    double g;
    const char *src;
    char near[256];
    assert_int_equal(eb_region_carbon("fr", &g, &src, near, sizeof near), EB_OK);
    assert_near(g, 56, 0);
    assert_contains(src, "Ember");
    assert_int_equal(eb_region_carbon("Germany", &g, &src, near, sizeof near), EB_OK);
    assert_near(g, 381, 0);
    assert_int_equal(eb_region_carbon("UK", &g, &src, near, sizeof near), EB_OK);
    assert_near(g, 238, 0);
    assert_int_equal(eb_region_carbon("Frnace", &g, &src, near, sizeof near), EB_EINVAL);
    assert_contains(near, "FR (France)");
    assert_int_equal(eb_region_carbon("XQZW", &g, &src, near, sizeof near), EB_EINVAL);
    assert_contains(near, "NO, FR, GB, US, DE, CN, IN, WORLD");
}

/* The job variables: the first that is set wins; a rank that is not a
 * whole number counts as unknown rather than as rank 0. */
static void test_job_get(void **state)
{
    (void)state;
    static const char *const vars[] = {"SLURM_JOB_ID",    "PBS_JOBID",
                                       "LSB_JOBID",       "SLURM_STEP_ID",
                                       "SLURM_PROCID",    "OMPI_COMM_WORLD_RANK",
                                       "PMI_RANK",        "PMIX_RANK",
                                       "SLURM_LOCALID",   "OMPI_COMM_WORLD_LOCAL_RANK",
                                       "MPI_LOCALRANKID", "PMI_LOCAL_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    eb_job j;
    eb_job_get(&j);
    assert_null(j.id);
    assert_null(j.step);
    assert_int_equal(j.rank, -1);
    assert_int_equal(j.local_rank, -1);

    setenv("PBS_JOBID", "77.server", 1);
    setenv("OMPI_COMM_WORLD_RANK", "5", 1);
    setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);
    eb_job_get(&j);
    assert_string_equal(j.id, "77.server");
    assert_int_equal(j.rank, 5);
    assert_int_equal(j.local_rank, 1);

    setenv("SLURM_JOB_ID", "42", 1); /* Slurm's names come first */
    setenv("SLURM_STEP_ID", "0", 1);
    setenv("SLURM_PROCID", "12", 1);
    setenv("SLURM_LOCALID", "x3", 1);
    eb_job_get(&j);
    assert_string_equal(j.id, "42");
    assert_string_equal(j.step, "0");
    assert_int_equal(j.rank, 12);
    assert_int_equal(j.local_rank, -1);
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_student_t),
        cmocka_unit_test(test_job_get),
        cmocka_unit_test(test_stat_known_data),
        cmocka_unit_test(test_outliers),
        cmocka_unit_test(test_steady_state),
        cmocka_unit_test(test_idle_baseline),
        cmocka_unit_test(test_work_and_efficiency),
        cmocka_unit_test(test_work_without_energy_is_null),
        cmocka_unit_test(test_repetitions),
        cmocka_unit_test(test_short_window_unreliable),
        cmocka_unit_test(test_measure_repeated),
        cmocka_unit_test(test_regions),
    };
    return cmocka_run_group_tests_name("method", tests, NULL, NULL);
}
