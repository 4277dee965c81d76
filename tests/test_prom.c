/* test_prom.c - the Prometheus exposition: escaping, and the exact text for
 * known readings. */
#include "cli/prom.h"
#include "helpers.h"

static char *render(void (*fn)(FILE *, void *), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void escape_one(FILE *f, void *arg)
{
    eb_prom_escape(f, arg);
}

static void test_escaping(void **state)
{
    (void)state;
    char *s = render(escape_one, "a \"quoted\" back\\slash\nnew line");
    assert_string_equal(s, "a \\\"quoted\\\" back\\\\slash\\nnew line");
    free(s);
    s = render(escape_one, "");
    assert_string_equal(s, "");
    free(s);
    /* the page is UTF-8: invalid bytes become '?', valid ones stay (issue 14) */
    s = render(escape_one, "caf\xc3\xa9 \xff\xfe x\xc3\x28 \xe2\x82");
    assert_string_equal(s, "caf\xc3\xa9 ?? x?( ??");
    free(s);
}

typedef struct ctx {
    eb_bench *b;
    eb_prom_opts o;
} ctx;

static void write_all(FILE *f, void *arg)
{
    ctx *c = arg;
    assert_int_equal(eb_prom_write(f, c->b, &c->o), 0);
}

static void test_exposition(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    fake_zone(&fk, "intel-rapl:0", "package-0", 1000000, 900000);
    ctx c = {fake_open(&fk, 0), {0, NULL, "node\"7"}};
    fk.now = 2.0;
    fake_set(&fk, "intel-rapl:0", "100000\n"); /* wrapped: +0.2 J in 2 s */
    assert_int_equal(eb_tick(c.b), EB_OK);
    char *s = render(write_all, &c);
    const char *labels = "{domain=\"cpu0-package\",kind=\"cpu\",vendor=\"intel\","
                         "device=\"package-0\",uuid=\"\",pci_bus_id=\"\",hostname=\"node\\\"7\","
                         "method=\"counter\",in_total=\"true\"}";
    char expect[2048];
    snprintf(expect, sizeof expect,
             "# HELP ebench_energy_joules_total Energy used since the exporter started, in "
             "joules; monotonic across hardware counter wraps.\n"
             "# TYPE ebench_energy_joules_total counter\n"
             "ebench_energy_joules_total%s 0.2\n"
             "# HELP ebench_power_watts Power draw in watts.\n"
             "# TYPE ebench_power_watts gauge\n"
             "ebench_power_watts%s 0.1\n"
             "# HELP ebench_domain_up 1 while the domain answers, 0 once it is lost (e.g. the GPU "
             "fell off the bus).\n"
             "# TYPE ebench_domain_up gauge\n"
             "ebench_domain_up%s 1\n"
             "# HELP ebench_build_info ebench's version and this exporter's host.\n"
             "# TYPE ebench_build_info gauge\n"
             "ebench_build_info{version=\"" EB_VERSION_STRING "\",hostname=\"node\\\"7\"} 1\n",
             labels, labels, labels);
    assert_string_equal(s, expect); /* GPU-only metrics are absent, not 0 */
    free(s);
    eb_close(c.b);
    fake_free(&fk);
}

/* dcgm-exporter's names and hpc_job labels, on a simulated GPU. */
static void test_dcgm_and_jobs(void **state)
{
    (void)state;
    fake fk;
    char scenario[600], jobs[600];
    eb_config cfg;
    fake_init(&fk);
    fake_write(fk.root, "gpu.json",
               "{\"gpus\": [{\"uuid\": \"GPU-abc\", \"pci_bus_id\": \"00000000:07:00.0\", "
               "\"phases\": [{\"seconds\": 100, \"power_w\": 300}]}]}\n");
    /* a 300-character line is one job id (its first 63 bytes), not two; a
     * line that is not UTF-8 is one id with '?' for its bad bytes */
    char mapping[400] = "1234\n5678\n";
    memset(mapping + strlen(mapping), 'j', 300);
    strcat(mapping, "\n\xff"
                    "42\n");
    fake_write(fk.root, "jobs/0", "%s", mapping);
    snprintf(scenario, sizeof scenario, "%s/gpu.json", fk.root);
    snprintf(jobs, sizeof jobs, "%s/jobs", fk.root);
    setenv("EBENCH_SIM_CONFIG", scenario, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    setenv("EBENCH_NVML_LIBRARY", SIM_LIB, 1);
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.clock = fake_clock;
    cfg.clock_ctx = &fk;
    cfg.sources = EB_SOURCE_NVML;
    ctx c = {NULL, {1, jobs, "n1"}};
    assert_int_equal(eb_open(&c.b, &cfg), EB_OK);
    char *s = render(write_all, &c);
    assert_contains(s, "# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n");
    assert_contains(
        s, "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-abc\",pci_bus_id=\"00000000:07:00.0\","
           "device=\"nvidia0\",modelName=\"Simulated H100 80GB HBM3\",Hostname=\"n1\","
           "hpc_job=\"1234\",simulated=\"true\"} ");
    assert_contains(s, ",hpc_job=\"5678\",simulated=\"true\"} ");
    assert_contains(s,
                    ",hpc_job=\"jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj\","
                    "simulated=\"true\"} ");
    assert_contains(s, ",hpc_job=\"?42\",simulated=\"true\"} ");
    /* four lines, four ids: the long one is not split into a second */
    size_t series = 0;
    for (const char *p = s; (p = strstr(p, "DCGM_FI_DEV_POWER_USAGE{")); p++)
        series++;
    assert_int_equal(series, 4);
    assert_contains(s, "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n");
    assert_contains(s, "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\"");
    assert_contains(s, "ebench_power_watts{domain=\"nvidia0\"");
    assert_contains(s, "in_total=\"true\",hpc_job=\"1234\",simulated=\"true\"}");
    free(s);
    eb_close(c.b);
    unsetenv("EBENCH_SIM_CLOCK");
    fake_free(&fk);
}

/* One NVIDIA (simulated) and one AMD GPU (a fake amdgpu hwmon): labels
 * from each domain's vendor and index; dcgm-exporter's names for NVIDIA's
 * only; a job-mapping file per GPU, by vendor and index. */
static void test_vendors(void **state)
{
    (void)state;
    fake fk;
    char scenario[600], jobs[600];
    eb_config cfg;
    fake_init(&fk);
    fake_write(fk.root, "gpu.json",
               "{\"gpus\": [{\"uuid\": \"GPU-abc\", \"pci_bus_id\": \"00000000:07:00.0\"}]}\n");
    fake_hwmon(&fk, 2, "devices/pci0000:00/0000:c1:00.0", "amdgpu");
    fake_hw(&fk, 2, "power1_average", "250000000\n");
    fake_write(fk.sysfs, "devices/pci0000:00/0000:c1:00.0/unique_id", "77\n");
    /* and an Intel card (xe) */
    fake_hwmon(&fk, 3, "devices/pci0000:00/0000:03:00.0", "xe");
    fake_hw(&fk, 3, "energy1_input", "5\n");
    fake_write(fk.root, "jobs/intel0", "88\n");
    fake_write(fk.root, "jobs/amd0", "77\n");
    fake_write(fk.root, "jobs/nvidia0", "66\n");
    snprintf(scenario, sizeof scenario, "%s/gpu.json", fk.root);
    snprintf(jobs, sizeof jobs, "%s/jobs", fk.root);
    setenv("EBENCH_SIM_CONFIG", scenario, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    setenv("EBENCH_NVML_LIBRARY", SIM_LIB, 1);
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.clock = fake_clock;
    cfg.clock_ctx = &fk;
    cfg.sysfs_root = fk.sysfs;
    cfg.sources = EB_SOURCE_NVML | EB_SOURCE_HWMON;
    ctx c = {NULL, {1, jobs, "n1"}};
    assert_int_equal(eb_open(&c.b, &cfg), EB_OK);
    assert_int_equal(eb_domain_count(c.b), 3);
    char *s = render(write_all, &c);
    assert_contains(s, "ebench_power_watts{domain=\"amd0\",kind=\"gpu\",vendor=\"amd\","
                       "device=\"AMD GPU ?\",uuid=\"GPU-77\",pci_bus_id=\"0000:c1:00.0\","
                       "hostname=\"n1\",method=\"power\",in_total=\"true\",hpc_job=\"77\"} 250\n");
    assert_contains(s, "ebench_power_watts{domain=\"nvidia0\",kind=\"gpu\",vendor=\"nvidia\"");
    assert_contains(s, "hpc_job=\"66\",simulated=\"true\"}");
    assert_contains(s,
                    "ebench_energy_joules_total{domain=\"intel0\",kind=\"gpu\",vendor=\"intel\","
                    "device=\"Intel GPU ?\",uuid=\"\",pci_bus_id=\"0000:03:00.0\",hostname=\"n1\","
                    "method=\"counter\",in_total=\"true\",hpc_job=\"88\"} 0\n");
    /* dcgm-exporter's series: the NVIDIA GPU's alone */
    size_t series = 0;
    for (const char *p = s; (p = strstr(p, "DCGM_FI_DEV_POWER_USAGE{")); p++)
        series++;
    assert_int_equal(series, 1);
    assert_contains(s, "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-abc\"");
    assert_null(strstr(s, "GPU-77\",pci_bus_id=\"0000:c1:00.0\",device=\"nvidia"));
    free(s);
    eb_close(c.b);
    unsetenv("EBENCH_SIM_CLOCK");
    unsetenv("EBENCH_SIM_CONFIG");
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_exposition),
        cmocka_unit_test(test_dcgm_and_jobs),
        cmocka_unit_test(test_vendors),
    };
    return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
