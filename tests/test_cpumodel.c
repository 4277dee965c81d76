/* test_cpumodel.c - the labelled estimate from /proc/stat where no CPU
 * sensor can be read. */
#include <math.h>

#include "helpers.h"

static void test_estimate_exact(void **state)
{
    (void)state;
    fake fk;
    eb_config cfg;
    eb_bench *b;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    fake_init(&fk); /* no powercap tree */
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.clock = fake_clock;
    cfg.clock_ctx = &fk;
    cfg.sysfs_root = fk.sysfs;
    cfg.procfs_root = fk.procfs;
    cfg.cpu_tdp_w = 200;
    cfg.cpu_idle_w = 50;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    assert_int_equal(eb_domain_count(b), 1);
    const eb_domain_info *d = eb_domain_get(b, 0);
    assert_string_equal(d->id, "cpu");
    assert_int_equal(d->method, EB_METHOD_MODEL);
    assert_string_equal(d->vendor, "intel");
    assert_contains(d->note, "estimate, not a measurement: idle 50 W + CPU utilization x (TDP "
                             "200 W - idle)");
    assert_contains(unavailable_reason(b, "powercap"), "no ");

    assert_int_equal(eb_begin(b, "w"), EB_OK);
    /* +50 busy (user), +50 idle: 50% busy for 2 s at 50 + 0.5 x 150 W = 250 J */
    fk.now = 2.0;
    fake_write(fk.procfs, "stat", "cpu  150 0 100 850 0 0 0 0 0 0\n");
    assert_int_equal(eb_tick(b), EB_OK);
    /* +100 busy (system + irq), +0 idle for 1 s at 200 W: 200 J more */
    fk.now = 3.0;
    fake_write(fk.procfs, "stat", "cpu  150 0 180 850 0 20 0 0 0 0\n");
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[0].energy_j, 450.0, 1e-9);
    assert_int_equal(r.domains[0].method, EB_METHOD_MODEL);
    assert_near(r.domains[0].peak_power_w, 200.0, 1e-9);
    assert_near(r.total_energy_j, 450.0, 1e-9);
    /* at rest the model draws its idle power, not 0 W (issue 13) */
    assert_int_equal(eb_begin(b, "rest"), EB_OK);
    fk.now = 5.0;
    fake_write(fk.procfs, "stat", "cpu  150 0 180 1050 0 20 0 0 0 0\n");
    assert_int_equal(eb_end(b, "rest", &r), EB_OK);
    assert_near(r.domains[0].energy_j, 2 * 50.0, 1e-9);
    eb_close(b);
    fake_free(&fk);
}

/* An idle power above the TDP, or not a number, is refused. */
static void test_idle_above_tdp(void **state)
{
    (void)state;
    fake fk;
    eb_config cfg;
    eb_bench *b;
    fake_init(&fk);
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.sysfs_root = fk.sysfs;
    cfg.procfs_root = fk.procfs;
    cfg.cpu_tdp_w = 65;
    cfg.cpu_idle_w = 70;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    assert_null(b);
    cfg.cpu_idle_w = NAN;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    cfg.cpu_tdp_w = 0; /* the default 100 W */
    cfg.cpu_idle_w = 100;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    eb_close(b);
    fake_free(&fk);
}

static void test_default_tdp_is_stated(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    eb_bench *b = fake_open(&fk, 0);
    assert_contains(eb_domain_get(b, 0)->note,
                    "idle 20 W (default: a fifth of TDP; set --cpu-idle W) + CPU utilization x "
                    "(TDP 100 W (default; set --cpu-tdp W) - idle)");
    eb_close(b);
    fake_free(&fk);
}

static void test_bad_proc_stat(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    fake_write(fk.procfs, "stat", "intr 1 2 3\n");
    eb_bench *b = fake_open(&fk, 0);
    assert_int_equal(eb_domain_count(b), 0);
    assert_contains(unavailable_reason(b, "cpumodel"), "first line is not 'cpu user nice");
    eb_close(b);

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/stat", fk.procfs);
    unlink(path);
    b = fake_open(&fk, 0);
    assert_int_equal(eb_domain_count(b), 0);
    assert_contains(unavailable_reason(b, "cpumodel"), "No such file or directory");
    eb_close(b);
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimate_exact),
        cmocka_unit_test(test_idle_above_tdp),
        cmocka_unit_test(test_default_tdp_is_stated),
        cmocka_unit_test(test_bad_proc_stat),
    };
    return cmocka_run_group_tests_name("cpumodel", tests, NULL, NULL);
}
