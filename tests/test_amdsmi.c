/* test_amdsmi.c - AMD GPUs through the simulated AMD SMI (sim/amdsmi_sim.c:
 * the simulated NVIDIA driver's model, AMD's API), on the manual clock,
 * against the simulator's exact ground truth. */
#include <dlfcn.h>
#include <math.h>

#include "helpers.h"

typedef struct sim {
    fake fk;
    eb_bench *b;
    void *lib;
    void (*set_time)(double);
    double (*truth)(unsigned, double, double);
} sim;

static int clean(void **state)
{
    (void)state;
    unsetenv("EBENCH_SIM_AMDSMI_VERSION");
    unsetenv("HIP_VISIBLE_DEVICES");
    unsetenv("ROCR_VISIBLE_DEVICES");
    return 0;
}

static void sim_open(sim *s, const char *gpus_json, unsigned sources)
{
    char path[600];
    memset(s, 0, sizeof *s);
    fake_init(&s->fk);
    fake_write(s->fk.root, "scenario.json", "{\"gpus\": [%s]}\n", gpus_json);
    snprintf(path, sizeof path, "%s/scenario.json", s->fk.root);
    setenv("EBENCH_SIM_CONFIG", path, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    setenv("EBENCH_AMDSMI_LIBRARY", AMD_SIM_LIB, 1);
    eb_config cfg;
    fake_config(&s->fk, sources ? sources : EB_SOURCE_AMDSMI, &cfg);
    assert_int_equal(eb_open(&s->b, &cfg), EB_OK);
    s->lib = dlopen(AMD_SIM_LIB, RTLD_NOW | RTLD_NOLOAD);
    if (s->lib) {
        *(void **)&s->set_time = dlsym(s->lib, "ebsim_set_time");
        *(void **)&s->truth = dlsym(s->lib, "ebsim_true_energy_j");
    }
}

static void sim_close(sim *s)
{
    if (s->lib)
        dlclose(s->lib);
    eb_close(s->b);
    fake_free(&s->fk);
    unsetenv("EBENCH_SIM_CLOCK");
    unsetenv("EBENCH_SIM_CONFIG");
    unsetenv("EBENCH_AMDSMI_LIBRARY");
}

static void step(sim *s, double t)
{
    s->fk.now = t;
    s->set_time(t);
    assert_int_equal(eb_tick(s->b), EB_OK);
}

static const eb_domain_info *dom(eb_bench *b, const char *id)
{
    int i = dom_index(b, id);
    if (i < 0)
        fail_msg("no domain '%s'", id);
    return eb_domain_get(b, (size_t)i);
}

/* Two MI300X whose counters move every 100 ms, 5 ms after the phases'
 * edges; 10 ms ticks bracket each move. */
#define TWO_AMD                                                                                    \
    "{\"vendor\": \"amd\", \"uuid\": \"GPU-5aa1\", \"pci_bus_id\": \"0000:c1:00.0\", "             \
    "\"power_limit_w\": 750, \"repeat\": true, \"phases\": [{\"seconds\": 0.7, \"power_w\": "      \
    "140}, "                                                                                       \
    "{\"seconds\": 1.2, \"power_w\": 520}, {\"seconds\": 0.8, \"power_w\": 700}], \"sensor\": "    \
    "{\"energy_phase_ms\": 5}},"                                                                   \
    "{\"vendor\": \"amd\", \"uuid\": \"GPU-5bb2\", \"pci_bus_id\": \"0000:c2:00.0\", "             \
    "\"power_limit_w\": 750, \"repeat\": true, \"phases\": [{\"seconds\": 0.5, \"power_w\": "      \
    "600}, "                                                                                       \
    "{\"seconds\": 0.9, \"power_w\": 150}], \"sensor\": {\"energy_phase_ms\": 5}},"                \
    "{\"uuid\": \"GPU-nvidia-not-amd\"}"

static void test_counter_against_truth(void **state)
{
    (void)state;
    sim s;
    sim_open(&s, TWO_AMD, 0);
    assert_int_equal(eb_domain_count(s.b), 2); /* the NVIDIA GPU is NVML's */
    const eb_domain_info *d = dom(s.b, "amd0");
    assert_string_equal(d->vendor, "amd");
    assert_string_equal(d->source, "amdsmi");
    assert_int_equal(d->vendor_index, 0);
    assert_int_equal(d->method, EB_METHOD_COUNTER);
    assert_true(d->simulated);
    assert_string_equal(d->name, "Simulated Instinct MI300X");
    assert_string_equal(d->uuid, "GPU-5aa1");
    assert_string_equal(d->pci_bus_id, "0000:c1:00.0");
    assert_string_equal(d->scope, "device");
    assert_contains(d->note, "SIMULATED GPU (ebench-sim), not a measurement");
    assert_contains(d->note, "energy accumulator (amdsmi_get_energy_count)");
    assert_contains(d->note, "selected: all GPUs (ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES");

    static const double windows[][2] = {{0.13, 1.13}, {0.37, 2.07}, {1.01, 4.21}};
    eb_domain_energy r_d[3][EB_MAX_DOMAINS];
    eb_result r[3];
    for (int w = 0; w < 3; w++)
        eb_result_init(&r[w], r_d[w], EB_MAX_DOMAINS);
    size_t next_open = 0, next_close = 0;
    for (int k = 1; k <= 500; k++) {
        double t = k * 0.01;
        step(&s, t);
        while (next_open < 3 && fabs(windows[next_open][0] - t) < 1e-9) {
            char name[24];
            snprintf(name, sizeof name, "w%zu", next_open++);
            assert_int_equal(eb_begin(s.b, name), EB_OK);
        }
        while (next_close < next_open && fabs(windows[next_close][1] - t) < 1e-9) {
            char name[24];
            snprintf(name, sizeof name, "w%zu", next_close);
            assert_int_equal(eb_end(s.b, name, &r[next_close]), EB_OK);
            next_close++;
        }
    }
    assert_int_equal(eb_stop(s.b), EB_OK);
    for (int w = 0; w < 3; w++) {
        char name[24];
        snprintf(name, sizeof name, "w%d", w);
        eb_domain_energy settled_d[EB_MAX_DOMAINS];
        eb_result settled = EB_RESULT_INIT(settled_d);
        assert_int_equal(eb_window_result(s.b, name, 0, &settled), EB_OK);
        for (unsigned g = 0; g < 2; g++) {
            double truth = s.truth(g, windows[w][0], windows[w][1]);
            assert_near(r[w].domains[g].energy_j, truth, 0.02 * truth);
            assert_near(settled.domains[g].energy_j, truth, 0.001 * truth);
        }
    }
    sim_close(&s);
}

/* An MI250X: two dies, one package and one sensor (the second reads 0 W). */
#define MI250X                                                                                     \
    "{\"vendor\": \"amd\", \"model\": \"Instinct MI250X\", \"package\": 0, \"uuid\": \"GPU-d0\", " \
    "\"pci_bus_id\": \"0000:c1:00.0\", \"power_limit_w\": 560, \"phases\": [{\"seconds\": 100, "   \
    "\"power_w\": 480}], \"sensor\": {\"energy_phase_ms\": 5}},"                                   \
    "{\"vendor\": \"amd\", \"model\": \"Instinct MI250X\", \"package\": 0, \"secondary\": true, "  \
    "\"uuid\": \"GPU-d1\", \"pci_bus_id\": \"0000:c6:00.0\", \"power_limit_w\": 560, \"phases\": " \
    "[{\"seconds\": 100, \"power_w\": 0}]}"

static void test_mi250x_package(void **state)
{
    (void)state;
    sim s;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    sim_open(&s, MI250X, 0);
    assert_int_equal(eb_domain_count(s.b), 1);
    const eb_domain_info *p = dom(s.b, "amd0");
    assert_string_equal(p->scope, "package");
    assert_contains(p->note, "one package of amd0 and amd1 (OAM 0): its dies share one power "
                             "sensor, read on amd0");
    assert_contains(unavailable_reason(s.b, "amd1"), "measured with amd0: the two are one package");
    assert_int_equal(eb_begin(s.b, "w"), EB_OK);
    for (int k = 1; k <= 200; k++)
        step(&s, k * 0.01);
    assert_int_equal(eb_end(s.b, "w", NULL), EB_OK);
    assert_int_equal(eb_stop(s.b), EB_OK);
    assert_int_equal(eb_window_result(s.b, "w", 0, &r), EB_OK);
    assert_near(r.domains[0].energy_j, s.truth(0, 0, 2), 0.001 * s.truth(0, 0, 2));
    sim_close(&s);

    /* the program sees the second die only: the package is measured whole,
     * under that die's name, through the first die's sensor */
    setenv("HIP_VISIBLE_DEVICES", "1", 1);
    sim_open(&s, MI250X, 0);
    assert_int_equal(eb_domain_count(s.b), 1);
    p = dom(s.b, "amd1");
    assert_string_equal(p->scope, "package");
    assert_string_equal(p->visible_var, "HIP_VISIBLE_DEVICES");
    assert_int_equal(eb_begin(s.b, "w"), EB_OK);
    for (int k = 1; k <= 200; k++)
        step(&s, k * 0.01);
    assert_int_equal(eb_end(s.b, "w", NULL), EB_OK);
    assert_int_equal(eb_stop(s.b), EB_OK);
    assert_int_equal(eb_window_result(s.b, "w", 0, &r), EB_OK);
    assert_near(r.domains[0].energy_j, s.truth(0, 0, 2), 0.001 * s.truth(0, 0, 2));
    sim_close(&s);
}

/* A library of a version whose structs were not checked: refused, named;
 * the amdgpu hwmon measures the card instead. A known older version works. */
static void test_versions(void **state)
{
    (void)state;
    sim s;
    setenv("EBENCH_SIM_AMDSMI_VERSION", "25.0.1", 1);
    sim_open(&s, TWO_AMD, 0);
    assert_int_equal(eb_domain_count(s.b), 0);
    const char *why = unavailable_reason(s.b, "AMD SMI");
    assert_contains(why, "libamd_smi.so is version 25.0.1 (25.0.1.0 (ebench-sim)), an ABI this "
                         "ebench was not checked against (it knows 24.1 to 24.7): not used");
    sim_close(&s);

    /* the same, with the card's amdgpu hwmon: it measures it */
    sim_open(&s, TWO_AMD, EB_SOURCE_AMDSMI | EB_SOURCE_HWMON);
    eb_close(s.b);
    fake_hwmon(&s.fk, 0, "devices/pci0000:00/0000:c1:00.0", "amdgpu");
    fake_hw(&s.fk, 0, "power1_average", "300000000\n");
    eb_config cfg;
    fake_config(&s.fk, EB_SOURCE_AMDSMI | EB_SOURCE_HWMON, &cfg);
    assert_int_equal(eb_open(&s.b, &cfg), EB_OK);
    assert_int_equal(eb_domain_count(s.b), 1);
    assert_string_equal(dom(s.b, "amd0")->source, "hwmon");
    eb_close(s.b);

    /* a known version: AMD SMI measures it, and the hwmon's is the same card */
    setenv("EBENCH_SIM_AMDSMI_VERSION", "24.5.0", 1);
    assert_int_equal(eb_open(&s.b, &cfg), EB_OK);
    assert_int_equal(eb_domain_count(s.b), 2);
    assert_string_equal(dom(s.b, "amd0")->source, "amdsmi");
    assert_string_equal(dom(s.b, "amd0")->name, "Simulated Instinct MI300X"); /* 24.1 layout */
    assert_string_equal(dom(s.b, "amd1")->source, "amdsmi");
    sim_close(&s);
}

/* No energy counter: socket power; a GPU lost mid-run; no scenario. */
static void test_faults(void **state)
{
    (void)state;
    sim s;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    sim_open(&s,
             "{\"vendor\": \"amd\", \"pci_bus_id\": \"0000:c1:00.0\", \"phases\": [{\"seconds\": "
             "100, \"power_w\": 300}], \"sensor\": {\"energy_counter\": false, \"power_usage\": "
             "\"instant\"}},"
             "{\"vendor\": \"amd\", \"pci_bus_id\": \"0000:c2:00.0\", \"phases\": [{\"seconds\": "
             "100, \"power_w\": 200}], \"faults\": {\"lost_at_s\": 0.5}}",
             0);
    assert_int_equal(eb_domain_count(s.b), 2);
    assert_int_equal(dom(s.b, "amd0")->method, EB_METHOD_POWER);
    assert_contains(dom(s.b, "amd0")->note, "socket power (amdsmi_get_power_info");
    assert_int_equal(eb_begin(s.b, "w"), EB_OK);
    for (int k = 1; k <= 100; k++)
        step(&s, k * 0.01);
    assert_int_equal(eb_end(s.b, "w", &r), EB_OK);
    assert_near(r.domains[0].energy_j, 300, 300 * 0.01);
    assert_true(r.domains[1].lost_at_s >= 0.5 && r.domains[1].lost_at_s < 0.52);
    assert_near(r.domains[1].energy_j, 200 * 0.5, 200 * 0.5 * 0.25);
    sim_close(&s);

    /* the driver reloads: the accumulator restarts near 0 at 1.03 s; the
     * energy up to then is kept and the run stays within 1% of the truth */
    sim_open(&s,
             "{\"vendor\": \"amd\", \"pci_bus_id\": \"0000:c1:00.0\", \"phases\": "
             "[{\"seconds\": 100, \"power_w\": 350}], \"sensor\": {\"energy_phase_ms\": 5}, "
             "\"faults\": {\"counter_reset_at_s\": 1.03}}",
             0);
    assert_int_equal(eb_begin(s.b, "w"), EB_OK);
    for (int k = 1; k <= 200; k++)
        step(&s, k * 0.01);
    assert_int_equal(eb_end(s.b, "w", NULL), EB_OK);
    assert_int_equal(eb_stop(s.b), EB_OK);
    assert_int_equal(eb_window_result(s.b, "w", 0, &r), EB_OK);
    assert_near(r.domains[0].energy_j, s.truth(0, 0, 2), 0.01 * s.truth(0, 0, 2));
    eb_tracking tr;
    assert_int_equal(eb_domain_tracking(s.b, 0, &tr), EB_OK);
    assert_int_equal(tr.resets, 1);
    sim_close(&s);

    fake fk;
    fake_init(&fk);
    unsetenv("EBENCH_SIM_CONFIG");
    setenv("EBENCH_AMDSMI_LIBRARY", AMD_SIM_LIB, 1);
    eb_bench *b = fake_open(&fk, EB_SOURCE_AMDSMI);
    assert_int_equal(eb_domain_count(b), 0);
    assert_contains(unavailable_reason(b, "AMD SMI"),
                    "amdsmi_init failed: AMDSMI_STATUS_DRIVER_NOT_LOADED: Processor driver not "
                    "loaded (the simulated AMD SMI: set EBENCH_SIM_CONFIG");
    eb_close(b);
    setenv("EBENCH_AMDSMI_LIBRARY", "/nonexistent/libamd_smi.so", 1);
    b = fake_open(&fk, EB_SOURCE_AMDSMI);
    assert_contains(unavailable_reason(b, "AMD SMI"),
                    "cannot load EBENCH_AMDSMI_LIBRARY=/nonexistent/libamd_smi.so");
    eb_close(b);
    unsetenv("EBENCH_AMDSMI_LIBRARY");
    fake_free(&fk);
}

/* ROCm SMI, where AMD SMI is missing or refused: the same GPUs, the same
 * truth; a GPU AMD SMI measures is not measured again. */
static void test_rocmsmi(void **state)
{
    (void)state;
    sim s;
    setenv("EBENCH_ROCMSMI_LIBRARY", ROCM_SIM_LIB, 1);
    setenv("EBENCH_SIM_AMDSMI_VERSION", "26.1.0", 1); /* AMD SMI refused */
    sim_open(&s, TWO_AMD, EB_SOURCE_AMDSMI | EB_SOURCE_ROCMSMI);
    assert_int_equal(eb_domain_count(s.b), 2);
    const eb_domain_info *d = dom(s.b, "amd1");
    assert_string_equal(d->source, "rocmsmi");
    assert_string_equal(d->pci_bus_id, "0000:c2:00.0");
    assert_string_equal(d->uuid, "GPU-0000000000005bb2");
    assert_int_equal(d->method, EB_METHOD_COUNTER);
    assert_contains(d->note, "through ROCm SMI: energy accumulator");
    void *lib = dlopen(ROCM_SIM_LIB, RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(lib);
    void (*set_time)(double) = (void (*)(double))dlsym(lib, "ebsim_set_time");
    double (*truth)(unsigned, double, double) =
        (double (*)(unsigned, double, double))dlsym(lib, "ebsim_true_energy_j");
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    for (int k = 1; k <= 300; k++) {
        s.fk.now = k * 0.01;
        set_time(k * 0.01);
        if (k == 37)
            assert_int_equal(eb_begin(s.b, "w"), EB_OK);
        assert_int_equal(eb_tick(s.b), EB_OK);
        if (k == 251)
            assert_int_equal(eb_end(s.b, "w", NULL), EB_OK);
    }
    assert_int_equal(eb_stop(s.b), EB_OK);
    assert_int_equal(eb_window_result(s.b, "w", 0, &r), EB_OK);
    for (unsigned g = 0; g < 2; g++)
        assert_near(r.domains[g].energy_j, truth(g, 0.37, 2.51), 0.001 * truth(g, 0.37, 2.51));
    dlclose(lib);
    sim_close(&s);

    /* AMD SMI known: it measures them, ROCm SMI's are the same cards */
    unsetenv("EBENCH_SIM_AMDSMI_VERSION");
    sim_open(&s, TWO_AMD, EB_SOURCE_AMDSMI | EB_SOURCE_ROCMSMI);
    assert_int_equal(eb_domain_count(s.b), 2);
    assert_string_equal(dom(s.b, "amd0")->source, "amdsmi");
    assert_string_equal(dom(s.b, "amd1")->source, "amdsmi");
    sim_close(&s);
    unsetenv("EBENCH_ROCMSMI_LIBRARY");
}

/* The real ROCm SMI (Debian's librocm-smi64-1) on this machine, which has no
 * AMD GPU: not even tried without the amdgpu compute interface; tried where
 * the tree has one, and its failure said. */
static void test_rocmsmi_real_library(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    unsetenv("EBENCH_ROCMSMI_LIBRARY");
    eb_bench *b = fake_open(&fk, EB_SOURCE_ROCMSMI);
    assert_int_equal(eb_domain_count(b), 0);
    assert_contains(unavailable_reason(b, "ROCm SMI"), "not tried: no ");
    assert_contains(unavailable_reason(b, "ROCm SMI"), "/class/kfd (the amdgpu driver's compute");
    eb_close(b);
    /* under AddressSanitizer a C program cannot host that C++ library's
     * exceptions (ASan's __cxa_throw interceptor finds no libstdc++ at
     * start-up and aborts): checked in the plain build */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    const int sanitized = 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    const int sanitized = 1;
#else
    const int sanitized = 0;
#endif
#else
    const int sanitized = 0;
#endif
    void *real = sanitized ? NULL : dlopen("librocm_smi64.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!real) {
        fake_free(&fk);
        skip(); /* sanitized, or not installed (scripts/install-deps installs it) */
    }
    dlclose(real);
    fake_write(fk.sysfs, "class/kfd/kfd/topology/generation_id", "1\n");
    b = fake_open(&fk, EB_SOURCE_ROCMSMI);
    assert_int_equal(eb_domain_count(b), 0);
    const char *why = unavailable_reason(b, "ROCm SMI");
    assert_non_null(why);
    if (!strstr(why, "rsmi_init failed") && !strstr(why, "reports no GPU"))
        fail_msg("reason: %s", why);
    eb_close(b);
    fake_free(&fk);
}

/* A GPU AMD SMI lists but cannot read: the amdgpu hwmon measures it, under
 * the same id; a card AMD SMI measures is not called missing. Ten dies
 * under one OAM id are not one package. */
static void test_fallback_and_packages(void **state)
{
    (void)state;
    sim s;
    sim_open(&s,
             "{\"vendor\": \"amd\", \"pci_bus_id\": \"0000:c1:00.0\", \"faults\": "
             "{\"no_permission\": [\"energy\", \"power\"]}},"
             "{\"vendor\": \"amd\", \"pci_bus_id\": \"0000:c2:00.0\"}",
             EB_SOURCE_AMDSMI);
    eb_close(s.b);
    const char *pcis[] = {"0000:c1:00.0", "0000:c2:00.0"};
    for (int i = 0; i < 2; i++) {
        char parent[64];
        snprintf(parent, sizeof parent, "devices/pci0000:00/%s", pcis[i]);
        fake_pci_fn(&s.fk, pcis[i], "0x1002", "0x038000", "amdgpu", -1);
        fake_hwmon(&s.fk, i, parent, "amdgpu");
        fake_hw(&s.fk, i, "power1_average", "150000000\n");
    }
    eb_config cfg;
    fake_config(&s.fk, EB_SOURCE_AMDSMI | EB_SOURCE_HWMON, &cfg);
    assert_int_equal(eb_open(&s.b, &cfg), EB_OK);
    assert_int_equal(eb_domain_count(s.b), 2);
    assert_string_equal(dom(s.b, "amd0")->source, "hwmon"); /* AMD SMI could not read it */
    assert_string_equal(dom(s.b, "amd0")->pci_bus_id, "0000:c1:00.0");
    assert_string_equal(dom(s.b, "amd1")->source, "amdsmi");
    assert_contains(unavailable_reason(s.b, "amd0"), "neither the energy counter");
    assert_null(unavailable_reason(s.b, "hwmon"));
    assert_null(unavailable_reason(s.b, "AMD GPU 0000:c2:00.0"));
    sim_close(&s);

    /* an MI250X whose first die cannot be read: the second is not "measured
     * with" it */
    sim_open(&s,
             "{\"vendor\": \"amd\", \"package\": 0, \"pci_bus_id\": \"0000:c1:00.0\", "
             "\"faults\": {\"no_permission\": [\"energy\", \"power\"]}},"
             "{\"vendor\": \"amd\", \"package\": 0, \"secondary\": true, \"pci_bus_id\": "
             "\"0000:c6:00.0\"}",
             0);
    assert_int_equal(eb_domain_count(s.b), 0);
    assert_contains(unavailable_reason(s.b, "amd1"),
                    "not measured: its package's sensor, on amd0 (OAM 0), cannot be read");
    sim_close(&s);

    char many[4096] = "";
    size_t used = 0;
    for (int i = 0; i < 10; i++)
        used += (size_t)snprintf(many + used, sizeof many - used,
                                 "%s{\"vendor\": \"amd\", \"package\": 0, \"pci_bus_id\": "
                                 "\"0000:%02x:00.0\"}",
                                 i ? "," : "", 0x10 + i);
    sim_open(&s, many, 0);
    assert_int_equal(eb_domain_count(s.b), 10);
    assert_string_equal(dom(s.b, "amd9")->scope, "device");
    sim_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counter_against_truth, clean),
        cmocka_unit_test_setup(test_mi250x_package, clean),
        cmocka_unit_test_setup(test_versions, clean),
        cmocka_unit_test_setup(test_faults, clean),
        cmocka_unit_test_setup(test_rocmsmi, clean),
        cmocka_unit_test_setup(test_rocmsmi_real_library, clean),
        cmocka_unit_test_setup(test_fallback_and_packages, clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
