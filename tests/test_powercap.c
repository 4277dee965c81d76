/* test_powercap.c - RAPL through fake powercap trees, driven tick by tick. */
#include <math.h>
#include <sys/wait.h>

#include "helpers.h"

/* A two-socket-like tree: package-0 with core and dram, and psys. */
static void standard_tree(fake *fk)
{
    fake_zone(fk, "intel-rapl:0", "package-0", 262143328850ull, 1000000);
    fake_zone(fk, "intel-rapl:0:0", "core", 262143328850ull, 500000);
    fake_zone(fk, "intel-rapl:0:1", "dram", 65712999613ull, 0);
    fake_zone(fk, "intel-rapl:1", "psys", 262143328850ull, 7);
}

static void test_domains_identity(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    standard_tree(&fk);
    eb_bench *b = fake_open(&fk, 0);

    assert_int_equal(eb_domain_count(b), 4);
    const eb_domain_info *pkg = eb_domain_get(b, 0), *core = eb_domain_get(b, 1),
                         *dram = eb_domain_get(b, 2), *psys = eb_domain_get(b, 3);
    assert_string_equal(pkg->id, "cpu0-package");
    assert_string_equal(pkg->kind, "cpu");
    assert_string_equal(pkg->vendor, "intel");
    assert_string_equal(pkg->location, "powercap intel-rapl:0");
    assert_int_equal(pkg->method, EB_METHOD_COUNTER);
    assert_true(pkg->in_total);
    assert_null(pkg->part_of);
    assert_string_equal(core->id, "cpu0-core");
    assert_false(core->in_total);
    assert_string_equal(core->part_of, "cpu0-package");
    assert_string_equal(dram->id, "cpu0-dram");
    assert_string_equal(dram->kind, "dram");
    assert_true(dram->in_total); /* DRAM is not inside the package's energy */
    assert_string_equal(psys->id, "psys");
    assert_false(psys->in_total);
    assert_near(pkg->update_period_s, 1e-3, 1e-12);
    /* A CPU sensor exists, so the model stays out, and says so. */
    assert_contains(unavailable_reason(b, "cpumodel"), "not used");
    eb_close(b);
    fake_free(&fk);
}

/* Known counter values at known times give exactly the energy between them. */
static void test_energy_exact(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    fake_init(&fk);
    standard_tree(&fk);
    eb_bench *b = fake_open(&fk, 0);
    int pkg = dom_index(b, "cpu0-package"), dram = dom_index(b, "cpu0-dram");

    assert_int_equal(eb_begin(b, "all"), EB_OK); /* samples at t = 0 */
    fk.now = 1.0;
    fake_set(&fk, "intel-rapl:0", "%llu\n", 1000000ull + 2500000ull); /* +2.5 J */
    fake_set(&fk, "intel-rapl:0:1", "%llu\n", 400000ull);             /* +0.4 J */
    assert_int_equal(eb_tick(b), EB_OK);
    fk.now = 3.0;
    fake_set(&fk, "intel-rapl:0", "%llu\n", 1000000ull + 6500000ull); /* +4.0 J */
    fake_set(&fk, "intel-rapl:0:1", "%llu\n", 1000000ull);            /* +0.6 J */
    assert_int_equal(eb_end(b, "all", &r), EB_OK);

    assert_near(r.duration_s, 3.0, 1e-12);
    assert_near(r.domains[pkg].energy_j, 6.5, 1e-9);
    assert_near(r.domains[dram].energy_j, 1.0, 1e-9);
    assert_near(r.domains[pkg].avg_power_w, 6.5 / 3.0, 1e-9);
    assert_near(r.domains[pkg].peak_power_w, 2.5, 1e-9); /* 2.5 J in 1 s vs 4 J in 2 s */
    assert_int_equal(r.domains[pkg].samples, 3);
    /* total = package + dram; core and psys are parts or overlaps */
    assert_near(r.total_energy_j, 7.5, 1e-9);
    eb_close(b);
    fake_free(&fk);
}

/* The counter wraps several times; not one joule is lost. */
static void test_several_wraps(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    const unsigned long long range = 1000000; /* 1 J, so 0.4 J steps wrap often */
    unsigned long long counter = 900000, expected_uj = 0;
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", range, counter);
    eb_bench *b = fake_open(&fk, 0);

    assert_int_equal(eb_begin(b, "w"), EB_OK);
    for (int i = 1; i <= 10; i++) {
        counter = (counter + 400000) % range;
        expected_uj += 400000;
        fk.now = i * 0.1;
        fake_set(&fk, "intel-rapl:0", "%llu\n", counter);
        assert_int_equal(eb_tick(b), EB_OK);
    }
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[0].energy_j, expected_uj * 1e-6, 1e-9);
    assert_near(r.domains[0].avg_power_w, 4.0, 1e-6);
    assert_int_equal(eb_warning_count(b), 0); /* 0.1 s steps, a wrap every 0.25 s */
    eb_close(b);
    fake_free(&fk);
}

/* A counter that goes back where no wrap at the power seen could take it
 * was reset (issue 14: one reset counted as a wrap gave 262,144 J and a
 * 5.24 MW peak): the energy up to it stays, the interval across it is
 * bridged at the last power, a warning says when. */
static void test_reset_is_not_a_wrap(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    const unsigned long long range = 262143999938ull; /* a real package's max_energy_range_uj */
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", range, 100000000000ull);
    eb_bench *b = fake_open(&fk, 0);
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    unsigned long long c = 100000000000ull;
    for (int i = 1; i <= 10; i++) { /* 50 W for 1 s */
        c += 5000000;
        fk.now = i * 0.1;
        fake_set(&fk, "intel-rapl:0", "%llu\n", c);
        assert_int_equal(eb_tick(b), EB_OK);
    }
    fk.now = 1.1; /* reset: back to a small value */
    c = 1234567;
    fake_set(&fk, "intel-rapl:0", "%llu\n", c);
    assert_int_equal(eb_tick(b), EB_OK);
    for (int i = 12; i <= 20; i++) { /* 50 W on from the new value */
        c += 5000000;
        fk.now = i * 0.1;
        fake_set(&fk, "intel-rapl:0", "%llu\n", c);
        assert_int_equal(eb_tick(b), EB_OK);
    }
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    /* 2 s at 50 W: the reset's interval bridged at 50 W */
    assert_near(r.domains[0].energy_j, 100.0, 1e-6);
    assert_near(r.domains[0].peak_power_w, 50.0, 1e-6);
    assert_int_equal(eb_warning_count(b), 1);
    assert_contains(eb_warning_get(b, 0), "cpu0-package: the energy counter went back or jumped at "
                                          "t=1.100 s");
    eb_close(b);
    fake_free(&fk);
}

/* Samples farther apart than half a wrap period earn a warning. */
static void test_wrap_risk_warning(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000, 0);
    eb_bench *b = fake_open(&fk, 0);
    fk.now = 1.0;
    fake_set(&fk, "intel-rapl:0", "900000\n"); /* 0.9 W: wraps every 1.1 s */
    assert_int_equal(eb_tick(b), EB_OK);
    assert_int_equal(eb_warning_count(b), 1);
    assert_contains(eb_warning_get(b, 0), "cpu0-package: at 0.9 W the counter wraps every 1.1 s");
    assert_contains(eb_warning_get(b, 0), "sample at least every 556 ms");
    eb_close(b);
    fake_free(&fk);
}

/* Multi-die parts name two zones alike; ids stay unique. */
static void test_unique_ids(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000, 0);
    fake_zone(&fk, "intel-rapl:1", "package-0", 1000000, 0);
    fake_zone(&fk, "intel-rapl:10", "package-1", 1000000, 0);
    eb_bench *b = fake_open(&fk, 0);
    assert_int_equal(eb_domain_count(b), 3);
    assert_string_equal(eb_domain_get(b, 0)->id, "cpu0-package");
    assert_string_equal(eb_domain_get(b, 1)->id, "cpu0-package-2");
    assert_string_equal(eb_domain_get(b, 2)->id, "cpu1-package"); /* 10 sorts after 1 */
    eb_close(b);
    fake_free(&fk);
}

static void test_no_powercap(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    eb_bench *b = fake_open(&fk, EB_SOURCE_POWERCAP);
    assert_int_equal(eb_domain_count(b), 0);
    assert_contains(unavailable_reason(b, "powercap"), "/class/powercap: the RAPL powercap");
    eb_close(b);

    /* The folder exists but holds no zone. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/class/powercap/intel-rapl", fk.sysfs);
    fake_mkdirs(dir);
    b = fake_open(&fk, EB_SOURCE_POWERCAP);
    assert_int_equal(eb_domain_count(b), 0);
    assert_contains(unavailable_reason(b, "powercap"), "has no intel-rapl:N zones");
    eb_close(b);
    fake_free(&fk);
}

static void test_zone_without_range(void **state)
{
    (void)state;
    fake fk;
    char path[PATH_MAX];
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000000, 5);
    fake_zone(&fk, "intel-rapl:1", "package-1", 1000000000, 5);
    snprintf(path, sizeof path, "%s/class/powercap/intel-rapl:0/max_energy_range_uj", fk.sysfs);
    assert_int_equal(unlink(path), 0);
    eb_bench *b = fake_open(&fk, 0);
    assert_int_equal(eb_domain_count(b), 1);
    assert_string_equal(eb_domain_get(b, 0)->id, "cpu1-package");
    assert_contains(unavailable_reason(b, "intel-rapl:0"), "wraps cannot be corrected");
    eb_close(b);
    fake_free(&fk);
}

/* Each kind of garbage makes its zone unavailable, with the reason; the
 * healthy zone beside it still measures exactly. */
static void test_garbage_at_probe(void **state)
{
    (void)state;
    static const struct {
        const char *energy, *range, *expect;
    } cases[] = {
        {"abc\n", "1000000", "'abc' is not a non-negative integer"},
        {"", "1000000", "'' is not a non-negative integer"},
        {"-5\n", "1000000", "'-5' is not a non-negative integer"},
        {"123456789012345678901234567890\n", "1000000", "too large for a 64-bit counter"},
        {"2000000\n", "1000000", "counter 2000000 is larger than its range 1000000"},
        {"5\n", "xyz", "max_energy_range_uj: 'xyz' is not a non-negative integer"},
        {"5\n", "0", "range is 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fake fk;
        eb_domain_energy r_d[EB_MAX_DOMAINS];
        eb_result r = EB_RESULT_INIT(r_d);
        char rel[128];
        fake_init(&fk);
        fake_zone(&fk, "intel-rapl:0", "package-0", 1000000, 0);
        fake_zone(&fk, "intel-rapl:1", "package-1", 1000000000, 0);
        fake_set(&fk, "intel-rapl:0", "%s", cases[i].energy);
        snprintf(rel, sizeof rel, "class/powercap/intel-rapl:0/max_energy_range_uj");
        fake_write(fk.sysfs, rel, "%s", cases[i].range);

        eb_bench *b = fake_open(&fk, 0);
        assert_int_equal(eb_domain_count(b), 1);
        assert_contains(unavailable_reason(b, "intel-rapl:0"), cases[i].expect);
        assert_int_equal(eb_begin(b, "x"), EB_OK);
        fk.now = 2.0;
        fake_set(&fk, "intel-rapl:1", "3000000\n");
        assert_int_equal(eb_end(b, "x", &r), EB_OK);
        assert_near(r.domains[0].energy_j, 3.0, 1e-9);
        eb_close(b);
        fake_free(&fk);
    }
}

/* Garbage in the middle of a run: the sample is skipped with a warning, the
 * energy across it is still counted from the next good reading. */
static void test_garbage_mid_run(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000000, 0);
    fake_zone(&fk, "intel-rapl:0:0", "dram", 1000000000, 0);
    eb_bench *b = fake_open(&fk, 0);

    assert_int_equal(eb_begin(b, "x"), EB_OK);
    fk.now = 1.0;
    fake_set(&fk, "intel-rapl:0", "1000000\n");
    fake_set(&fk, "intel-rapl:0:0", "abc\n");
    assert_int_equal(eb_tick(b), EB_OK);
    fk.now = 2.0;
    fake_set(&fk, "intel-rapl:0", "2000000\n");
    fake_set(&fk, "intel-rapl:0:0", "99999999999\n"); /* above the range */
    assert_int_equal(eb_tick(b), EB_OK);
    fk.now = 3.0;
    fake_set(&fk, "intel-rapl:0", "3000000\n");
    fake_set(&fk, "intel-rapl:0:0", "600000\n");
    assert_int_equal(eb_end(b, "x", &r), EB_OK);

    assert_near(r.domains[0].energy_j, 3.0, 1e-9);
    assert_near(r.domains[1].energy_j, 0.6, 1e-9);
    assert_int_equal(r.domains[1].samples, 2);
    assert_int_equal(eb_warning_count(b), 1); /* one warning per domain, not per sample */
    assert_contains(eb_warning_get(b, 0), "cpu0-dram: unreadable sample at t=1.000 s");
    assert_contains(eb_warning_get(b, 0), "'abc' is not a non-negative integer");
    eb_close(b);
    fake_free(&fk);
}

/* energy_uj readable by root only (kernel >= 5.10): unavailable with the fix.
 * Root reads anything, so the probe runs in a child that drops to nobody. */
static void test_eacces(void **state)
{
    (void)state;
    fake fk;
    char path[PATH_MAX];
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000, 0);
    snprintf(path, sizeof path, "%s/class/powercap/intel-rapl:0/energy_uj", fk.sysfs);
    assert_int_equal(chmod(path, 0400), 0);
    chmod(fk.sysfs, 0755);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        eb_config cfg;
        eb_bench *b;
        eb_config_init(&cfg);
        cfg.manual = 1;
        cfg.sysfs_root = fk.sysfs;
        cfg.procfs_root = fk.procfs;
        cfg.sources = EB_SOURCE_POWERCAP;
        if (eb_open(&b, &cfg) != EB_OK)
            _exit(4);
        const char *why = unavailable_reason(b, "intel-rapl:0");
        int ok = eb_domain_count(b) == 0 && why && strstr(why, "readable by root only") &&
                 strstr(why, "run as root or grant read access: sudo chmod a+r") &&
                 strstr(why, path);
        if (!ok)
            fprintf(stderr, "reason: %s\n", why ? why : "(none)");
        eb_close(b);
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domains_identity),    cmocka_unit_test(test_energy_exact),
        cmocka_unit_test(test_several_wraps),       cmocka_unit_test(test_wrap_risk_warning),
        cmocka_unit_test(test_reset_is_not_a_wrap), cmocka_unit_test(test_unique_ids),
        cmocka_unit_test(test_unique_ids),          cmocka_unit_test(test_no_powercap),
        cmocka_unit_test(test_zone_without_range),  cmocka_unit_test(test_garbage_at_probe),
        cmocka_unit_test(test_garbage_mid_run),     cmocka_unit_test(test_eacces),
    };
    return cmocka_run_group_tests_name("powercap", tests, NULL, NULL);
}
