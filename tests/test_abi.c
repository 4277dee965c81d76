/* test_abi.c - what keeps programs built against an older ebench.h working
 * (docs/API.md, "ABI rules"): the version, option structs read as far as
 * the caller's size goes, results written into the caller's arrays as far
 * as their capacity and element size go, and sizes no library knows refused
 * before anything changes. */
#include <math.h>
#include <stddef.h>
#include <sys/stat.h>

#include <stdint.h>

#include "helpers.h"

/* The package at 10 W and the DRAM at 2 W (helpers.h). */
static eb_bench *open_two(fake *fk)
{
    fake_linear_zones(fk);
    return fake_open(fk, 0);
}

static void advance(fake *fk, double t)
{
    fake_linear_advance(fk, t);
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(eb_version(), EB_VERSION_STRING);
    assert_int_equal(eb_version_number(), EB_VERSION_NUMBER);
    assert_int_equal(EB_VERSION_NUMBER >> 16, EB_VERSION_MAJOR);
    char s[32];
    snprintf(s, sizeof s, "%d.%d.%d", EB_VERSION_MAJOR, EB_VERSION_MINOR, EB_VERSION_PATCH);
    assert_string_equal(eb_version(), s);
}

/* eb_config as a program built against 2.0 has it: up to history_samples
 * (2.1), which it has no room for. */
typedef struct config_2_0 {
    unsigned char bytes[offsetof(eb_config, history_samples)];
} config_2_0;

static void test_config_sizes(void **state)
{
    (void)state;
    eb_bench *b = NULL;
    config_2_0 old[2]; /* the second: what the library must not write */
    memset(old, 0x5a, sizeof old);
    eb_config_init_size((eb_config *)&old[0], sizeof old[0]);
    eb_config *o = (eb_config *)&old[0];
    assert_int_equal(o->size, sizeof old[0]);
    assert_near(o->interval_ms, EB_DEFAULT_INTERVAL_MS, 0);
    assert_int_equal(o->sources, EB_SOURCE_ALL);
    assert_int_equal(old[1].bytes[0], 0x5a);
    o->sources = EB_SOURCE_CPUMODEL;
    o->manual = 1;
    assert_int_equal(eb_open(&b, o), EB_OK);
    assert_int_equal(eb_domain_count(b), 1);
    assert_contains(eb_domain_get(b, 0)->note, "100 W"); /* the default TDP */
    eb_close(b);

    eb_config cfg;
    eb_config_init(&cfg);
    assert_int_equal(cfg.size, sizeof cfg);
    cfg.manual = 1;
    cfg.sources = EB_SOURCE_CPUMODEL;
    cfg.size = sizeof cfg + 8; /* from a newer header */
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    assert_null(b);
    assert_contains(eb_last_detail(NULL), "built against a newer ebench.h");
    cfg.size = 0; /* never initialised */
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    assert_contains(eb_last_detail(NULL), "eb_config.size is 0");
    /* a size no release had, ending inside a pointer: half of it the
     * caller's, half the default's, would be called as the clock */
    cfg.clock = NULL;
    cfg.size = offsetof(eb_config, clock) + 4;
    assert_int_equal(eb_open(&b, &cfg), EB_EINVAL);
    assert_contains(eb_last_detail(NULL), "no release of ebench.h has that size");
    cfg.size = sizeof cfg;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    eb_close(b);
    /* a program built against 2.0, before history_samples: the default */
    cfg.size = offsetof(eb_config, history_samples);
    cfg.history_samples = 1; /* past its size: never read */
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    eb_close(b);
    /* one built against 2.1, before window_records and the files: a bad
     * value and a wild pointer past its size are never read */
    cfg.size = offsetof(eb_config, window_records);
    cfg.history_samples = 64;
    cfg.timeline_csv = (FILE *)(uintptr_t)0x10;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    assert_int_equal(eb_stop(b), EB_OK);
    eb_close(b);
}

static void test_result_capacity_and_sizes(void **state)
{
    (void)state;
    fake fk;
    eb_bench *b = open_two(&fk);
    assert_int_equal(eb_domain_count(b), 2);

    /* room for one domain: the second is not written, the count says 2 */
    eb_domain_energy one[2];
    memset(one, 0xab, sizeof one);
    eb_result r;
    eb_result_init(&r, one, 1);
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    advance(&fk, 2);
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_int_equal(r.n_domains, 2);
    assert_near(r.total_energy_j, 24.0, 1e-9);
    assert_near(one[0].energy_j, 20.0, 1e-9);
    unsigned char pattern[sizeof one[1]];
    memset(pattern, 0xab, sizeof pattern);
    assert_memory_equal(&one[1], pattern, sizeof pattern);

    /* totals only */
    eb_result totals = EB_RESULT_TOTALS;
    assert_int_equal(eb_window_result(b, "w", 0, &totals), EB_OK);
    assert_near(totals.total_energy_j, 24.0, 1e-9);
    assert_null(totals.domains);

    /* element and struct sizes no release had (half of energy_j, the struct
     * cut short inside its pointer): refused, nothing written */
    unsigned char buf[2 * sizeof(eb_domain_energy)];
    memset(buf, 0xcd, sizeof buf);
    eb_result o;
    eb_result_init(&o, (eb_domain_energy *)buf, 2);
    o.domain_size = 4;
    assert_int_equal(eb_window_result(b, "w", 0, &o), EB_EINVAL);
    assert_contains(eb_last_detail(b), "eb_result.domain_size of 4 bytes");
    assert_int_equal(buf[0], 0xcd);
    eb_result_init(&o, (eb_domain_energy *)buf, 2);
    o.size = offsetof(eb_result, capacity);
    assert_int_equal(eb_window_result(b, "w", 0, &o), EB_EINVAL);
    assert_int_equal(buf[0], 0xcd);
    eb_result_init(&o, NULL, 0);
    o.capacity = 2; /* room at NULL */
    assert_int_equal(eb_window_result(b, "w", 0, &o), EB_EINVAL);
    assert_contains(eb_last_detail(b), "at NULL");

    /* sizes this library does not know: refused, the window stays open */
    eb_domain_energy d[4];
    eb_result bad = EB_RESULT_INIT(d);
    bad.domain_size = sizeof(eb_domain_energy) + 8;
    assert_int_equal(eb_begin(b, "v"), EB_OK);
    assert_int_equal(eb_end(b, "v", &bad), EB_EINVAL);
    assert_contains(eb_last_detail(b), "newer ebench.h");
    bad = (eb_result)EB_RESULT_INIT(d);
    bad.size = sizeof bad + 16;
    assert_int_equal(eb_end(b, "v", &bad), EB_EINVAL);
    assert_contains(eb_last_detail(b), "built against a newer ebench.h");
    eb_result zero = {0};
    assert_int_equal(eb_total(b, &zero), EB_EINVAL);
    assert_contains(eb_last_detail(b), "eb_result.size is 0");
    advance(&fk, 3);
    eb_result good = EB_RESULT_INIT(d);
    assert_int_equal(eb_end(b, "v", &good), EB_OK);
    assert_near(good.domains[1].energy_j, 2.0, 1e-9);
    assert_int_equal(eb_end(b, "v", NULL), EB_ENOTOPEN);

    eb_close(b);
    fake_free(&fk);
}

static void inc(void *arg)
{
    ++*(int *)arg;
}

static void test_stats_and_options(void **state)
{
    (void)state;
    fake fk;
    eb_bench *b = open_two(&fk);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(eb_begin(b, "rep"), EB_OK);
        advance(&fk, fk.now + 1 + i);
        assert_int_equal(eb_end(b, "rep", NULL), EB_OK);
    }
    eb_stat one[1];
    eb_stats st;
    eb_stats_init(&st, one, 1);
    assert_int_equal(eb_window_stats(b, "rep", &st), EB_OK);
    assert_int_equal(st.n, 3);
    assert_int_equal(st.n_domains, 2);
    assert_near(st.energy_j[0].mean, 20.0, 1e-9);
    assert_near(st.total_energy_j.mean, 24.0, 1e-9);
    eb_stats none = EB_STATS_TOTALS;
    assert_int_equal(eb_window_stats(b, "nothing", &none), EB_ENOTOPEN);
    assert_int_equal(none.n, 0);
    eb_stats bad = EB_STATS_TOTALS;
    bad.size = 3;
    assert_int_equal(eb_window_stats(b, "rep", &bad), EB_EINVAL);
    int calls = 0;
    assert_int_equal(eb_repeat(b, "never", inc, &calls, 2, 0, &bad), EB_EINVAL);
    assert_int_equal(calls, 0); /* refused before running anything */

    eb_repeat_opts o;
    eb_repeat_opts_init(&o);
    assert_int_equal(o.size, sizeof o);
    o.size = sizeof o + 8;
    assert_int_equal(eb_measure_repeated(b, "k", inc, &calls, &o, NULL, NULL), EB_EINVAL);
    assert_int_equal(calls, 0);
    assert_contains(eb_last_detail(b), "eb_repeat_opts of");

    /* a report's meta of an unknown size: refused, no file made */
    eb_run_meta m;
    eb_run_meta_init(&m);
    assert_int_equal(m.size, sizeof m);
    m.size = 1;
    char path[600];
    snprintf(path, sizeof path, "%s/r.json", fk.root);
    assert_int_equal(eb_save_json(b, path, &m), EB_EINVAL);
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
    m.size = sizeof m;
    assert_int_equal(eb_save_json(b, path, &m), EB_OK);
    assert_int_equal(stat(path, &sb), 0);
    eb_close(b);
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_config_sizes),
        cmocka_unit_test(test_result_capacity_and_sizes),
        cmocka_unit_test(test_stats_and_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
