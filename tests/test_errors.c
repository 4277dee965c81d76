/* test_errors.c - the error list, its messages and names. */
#include <pthread.h>
#include <stdio.h>

#include "helpers.h"

static void test_messages(void **state)
{
    (void)state;
    assert_int_equal(EB_OK, 0);
    assert_true(EB_EINVAL < 0 && EB_ENOMEM < 0 && EB_EIO < 0);
    assert_string_equal(eb_strerror(EB_OK), "success");
    assert_string_equal(eb_strerror(EB_EINVAL), "invalid argument");
    assert_string_equal(eb_strerror(EB_ENOTOPEN), "no open window with that name");
    assert_string_equal(eb_err_name(EB_ETHREAD), "EB_ETHREAD");
    assert_string_equal(eb_strerror(-1000), "unknown error");
    assert_string_equal(eb_strerror(5), "unknown error");
    assert_string_equal(eb_err_name(-1000), "EB_UNKNOWN");
    /* every code has its own message */
    for (int e = 0; e > -EB__INDEX_COUNT; e--)
        for (int f = e - 1; f > -EB__INDEX_COUNT; f--)
            assert_string_not_equal(eb_strerror(e), eb_strerror(f));
    assert_string_equal(eb_method_name(EB_METHOD_COUNTER), "counter");
    assert_string_equal(eb_method_name(EB_METHOD_MODEL), "model");
}

static void test_bad_config(void **state)
{
    (void)state;
    eb_config cfg;
    eb_bench *b = (eb_bench *)&cfg;
    eb_config_init(&cfg);
    cfg.interval_ms = 0;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    assert_null(b);
    cfg.interval_ms = -3;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    cfg.interval_ms = 100;
    cfg.cpu_tdp_w = -1;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    assert_int_equal(eb_open(NULL, NULL), EB_EINVAL);
    assert_int_equal(eb_begin(NULL, "x"), EB_EINVAL);
    assert_int_equal(eb_end(NULL, "x", NULL), EB_EINVAL);
    eb_close(NULL);
}

static void *detail_elsewhere(void *arg)
{
    void **a = arg;
    snprintf(a[1], 512, "%s", eb_last_detail(a[0]));
    return NULL;
}

static void test_tick_needs_manual(void **state)
{
    (void)state;
    fake fk;
    eb_config cfg;
    eb_bench *b;
    fake_init(&fk);
    eb_config_init(&cfg);
    cfg.sysfs_root = fk.sysfs;
    cfg.procfs_root = fk.procfs;
    cfg.sources = EB_SOURCE_POWERCAP;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    assert_int_equal(eb_tick(b), EB_EMODE);
    assert_contains(eb_last_detail(b), "cfg.manual");
    /* the detail is the calling thread's: another thread's is its own */
    pthread_t th;
    char other[512] = "unset";
    assert_int_equal(pthread_create(&th, NULL, detail_elsewhere, (void *[]){b, other}), 0);
    pthread_join(th, NULL);
    assert_string_equal(other, "");
    assert_contains(eb_last_detail(b), "cfg.manual");
    eb_close(b);
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_tick_needs_manual),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
