/* test_hwmon.c - AMD and Intel GPUs, Grace, amd_energy and Jetson through
 * fake sysfs trees shaped like the kernel's (devices under
 * devices/pci0000:00, class/hwmon and bus/pci links to them), driven tick by
 * tick; and NVIDIA (the simulated driver) beside them in one bench. */
#include <dlfcn.h>
#include <jansson.h>
#include <sys/wait.h>

#include "helpers.h"

static const char *const vars[] = {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                   "HIP_VISIBLE_DEVICES",  "ZE_AFFINITY_MASK",
                                   "SLURM_STEP_GPUS",      "SLURM_JOB_GPUS"};

static int clean_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    unsetenv("EBENCH_SIM_CONFIG");
    unsetenv("EBENCH_NVML_LIBRARY");
    return 0;
}

static eb_bench *open_on(fake *fk, unsigned sources, const char *gpus)
{
    eb_config cfg;
    eb_bench *b = NULL;
    fake_config(fk, sources, &cfg);
    cfg.gpus = gpus;
    assert_int_equal(eb_open(&b, &cfg), EB_OK);
    return b;
}

static const eb_domain_info *dom(eb_bench *b, const char *id)
{
    int i = dom_index(b, id);
    if (i < 0)
        fail_msg("no domain '%s'", id);
    return eb_domain_get(b, (size_t)i);
}

#define AMD_C1 "devices/pci0000:00/0000:c1:00.0"
#define AMD_C2 "devices/pci0000:00/0000:c2:00.0"

/* Two amdgpu cards (listed out of PCI order) and one without a driver. */
static void amd_tree(fake *fk)
{
    fake_init(fk);
    fake_pci_fn(fk, "0000:c2:00.0", "0x1002", "0x038000", "amdgpu", 2);
    fake_pci_fn(fk, "0000:c1:00.0", "0x1002", "0x038000", "amdgpu", 1);
    fake_pci_fn(fk, "0000:e1:00.0", "0x1002", "0x038000", NULL, -1);
    fake_hwmon(fk, 3, AMD_C2, "amdgpu");
    fake_hw(fk, 3, "power1_input", "0\n"); /* a second GCD: 0 W */
    fake_hwmon(fk, 5, AMD_C1, "amdgpu");
    fake_hw(fk, 5, "power1_average", "100000000\n");
    fake_hw(fk, 5, "power1_label", "PPT\n");
    fake_write(fk->sysfs, AMD_C1 "/unique_id", "a1b2c3d4e5f60718\n");
}

static void test_amd_gpus(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    amd_tree(&fk);
    eb_bench *b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(eb_domain_count(b), 2);
    const eb_domain_info *a0 = dom(b, "amd0"), *a1 = dom(b, "amd1");
    assert_string_equal(a0->kind, "gpu");
    assert_string_equal(a0->vendor, "amd");
    assert_string_equal(a0->source, "hwmon");
    assert_int_equal(a0->vendor_index, 0);
    assert_int_equal(a1->vendor_index, 1);
    assert_string_equal(a0->pci_bus_id, "0000:c1:00.0"); /* PCI order, as ROCm numbers them */
    assert_string_equal(a1->pci_bus_id, "0000:c2:00.0");
    assert_string_equal(a0->uuid, "GPU-a1b2c3d4e5f60718");
    assert_null(a1->uuid);
    assert_string_equal(a0->name, "AMD GPU 0x740c");
    assert_string_equal(a0->scope, "device");
    assert_int_equal(a0->method, EB_METHOD_POWER);
    assert_true(a0->in_total && a1->in_total);
    assert_contains(a0->note, "power1_average: the GPU firmware's average power");
    assert_contains(a0->note, "selected: all GPUs (ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES "
                              "are not set)");
    assert_contains(a1->note, "power1_input: instant power");
    assert_contains(a1->note, "the second die (GCD) of a package reports 0 W");
    assert_contains(unavailable_reason(b, "AMD GPU 0000:e1:00.0"),
                    "no driver is bound to it: load amdgpu (sudo modprobe amdgpu)");

    /* power integrated between readings (trapezoids) */
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_tick(b), EB_OK);
    fake_hw(&fk, 5, "power1_average", "300000000\n");
    fake_hw(&fk, 3, "power1_input", "50000000\n");
    fk.now = 2;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[0].energy_j, 100 + 200, 1e-9);
    assert_near(r.domains[1].energy_j, 25, 1e-9);
    assert_near(r.total_energy_j, 325, 1e-9);
    eb_close(b);

    /* ROCr's index 1 is the second card in PCI order */
    setenv("ROCR_VISIBLE_DEVICES", "1", 1);
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(eb_domain_count(b), 1);
    a1 = dom(b, "amd1");
    assert_string_equal(a1->visible_var, "ROCR_VISIBLE_DEVICES");
    assert_string_equal(a1->visible_entry, "1");
    assert_null(a1->cuda_entry);
    assert_contains(unavailable_reason(b, "amd0"),
                    "not selected: ROCR_VISIBLE_DEVICES=1 does not name it");
    eb_close(b);
    unsetenv("ROCR_VISIBLE_DEVICES");

    /* Slurm by DRM card number; --gpus by vendor and index, or bare where
     * there is one vendor */
    setenv("SLURM_STEP_GPUS", "1", 1);
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(eb_domain_count(b), 1);
    assert_int_equal(dom_index(b, "amd0"), 0);
    eb_close(b);
    unsetenv("SLURM_STEP_GPUS");
    const char *opts[] = {"amd1", "1", "gpu1", "GPU-a1b2"};
    const char *want[] = {"amd1", "amd1", "amd1", "amd0"};
    for (size_t i = 0; i < 4; i++) {
        b = open_on(&fk, EB_SOURCE_HWMON, opts[i]);
        assert_int_equal(eb_domain_count(b), 1);
        assert_string_equal(eb_domain_get(b, 0)->id, want[i]);
        eb_close(b);
    }
    b = open_on(&fk, EB_SOURCE_HWMON, "nvidia0");
    assert_int_equal(eb_domain_count(b), 0);
    int code = 0;
    for (size_t i = 0; i < eb_unavailable_count(b); i++)
        if (eb_unavailable_get(b, i)->code)
            code = eb_unavailable_get(b, i)->code;
    assert_int_equal(code, EB_EGPUSEL);
    eb_close(b);
    fake_free(&fk);
}

#define XE "devices/pci0000:00/0000:03:00.0"
#define I915 "devices/pci0000:00/0000:4d:00.0"

static void intel_tree(fake *fk)
{
    fake_init(fk);
    fake_pci_fn(fk, "0000:03:00.0", "0x8086", "0x030000", "xe", 0);
    fake_hwmon(fk, 1, XE, "xe");
    fake_hw(fk, 1, "energy1_input", "1000000\n");
    fake_hw(fk, 1, "energy1_label", "card\n");
    fake_hw(fk, 1, "energy2_input", "500000\n");
    fake_hw(fk, 1, "energy2_label", "pkg\n");
    fake_pci_fn(fk, "0000:4d:00.0", "0x8086", "0x038000", "i915", 1);
    fake_hwmon(fk, 2, I915, "i915");
    fake_hw(fk, 2, "energy1_input", "0\n");
    fake_hwmon(fk, 6, I915, "i915_gt0");
    fake_hw(fk, 6, "energy1_input", "0\n");
    fake_hwmon(fk, 7, I915, "i915_gt1");
    fake_hw(fk, 7, "energy1_input", "0\n");
    fake_pci_fn(fk, "0000:00:02.0", "0x8086", "0x030000", "i915", 2); /* integrated: no hwmon */
}

static void test_intel_gpus(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    intel_tree(&fk);
    eb_bench *b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(eb_domain_count(b), 5);
    const eb_domain_info *c0 = dom(b, "intel0"), *pkg = dom(b, "intel0-pkg"),
                         *c1 = dom(b, "intel1"), *t0 = dom(b, "intel1-tile0"),
                         *t1 = dom(b, "intel1-tile1");
    assert_string_equal(c0->vendor, "intel");
    assert_string_equal(c0->pci_bus_id, "0000:03:00.0");
    assert_int_equal(c0->method, EB_METHOD_COUNTER);
    assert_true(c0->in_total && c1->in_total);
    assert_string_equal(pkg->kind, "gpu-part");
    assert_string_equal(pkg->part_of, "intel0");
    assert_false(pkg->in_total || t0->in_total || t1->in_total);
    assert_string_equal(t1->part_of, "intel1");
    assert_int_equal(pkg->vendor_index, -1);
    assert_contains(unavailable_reason(b, "Intel GPU 0000:00:02.0"), "an integrated GPU");

    int i0 = dom_index(b, "intel0"), ip = dom_index(b, "intel0-pkg"), i1 = dom_index(b, "intel1"),
        it0 = dom_index(b, "intel1-tile0");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fake_hw(&fk, 1, "energy1_input", "51000000\n");
    fake_hw(&fk, 1, "energy2_input", "30500000\n");
    fake_hw(&fk, 2, "energy1_input", "20000000\n");
    fake_hw(&fk, 6, "energy1_input", "8000000\n");
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[i0].energy_j, 50, 1e-9);
    assert_near(r.domains[ip].energy_j, 30, 1e-9);
    assert_near(r.domains[i1].energy_j, 20, 1e-9);
    assert_near(r.domains[it0].energy_j, 8, 1e-9);
    assert_near(r.total_energy_j, 70, 1e-9); /* cards only: package and tiles are parts */

    /* the driver reloads: the counter starts again from 0; the energy so far
     * stays and the interval across is bridged at the last rate (20 W) */
    assert_int_equal(eb_begin(b, "reload"), EB_OK);
    fake_hw(&fk, 2, "energy1_input", "1000\n");
    fk.now = 2;
    assert_int_equal(eb_tick(b), EB_OK);
    fake_hw(&fk, 2, "energy1_input", "5001000\n");
    fk.now = 3;
    assert_int_equal(eb_end(b, "reload", &r), EB_OK);
    assert_near(r.domains[i1].energy_j, 20 + 5, 1e-9);
    eb_close(b);

    /* Level Zero's card.tile entries choose the card */
    setenv("ZE_AFFINITY_MASK", "1.0", 1);
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(dom_index(b, "intel0"), -1);
    assert_int_equal(dom_index(b, "intel0-pkg"), -1);
    assert_true(dom_index(b, "intel1") >= 0 && dom_index(b, "intel1-tile1") >= 0);
    assert_contains(dom(b, "intel1")->note, "one tile of it (measured as the whole card)");
    eb_close(b);
    fake_free(&fk);
}

#define ACPI "devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:%02d"

/* A Jetson INA3221 channel: its rail's label, voltage (mV) and current
 * (mA, as text, so a test can give garbage). */
static void ina_rail(fake *fk, int hwmon, int ch, const char *label, int mv, const char *ma)
{
    char f[32];
    snprintf(f, sizeof f, "in%d_label", ch);
    fake_hw(fk, hwmon, f, "%s\n", label);
    snprintf(f, sizeof f, "in%d_input", ch);
    fake_hw(fk, hwmon, f, "%d\n", mv);
    snprintf(f, sizeof f, "curr%d_input", ch);
    fake_hw(fk, hwmon, f, "%s\n", ma);
}

static void grace_meter(fake *fk, int hwmon, const char *label, double watts)
{
    char parent[128], rel[256];
    snprintf(parent, sizeof parent, ACPI, hwmon);
    fake_hwmon(fk, hwmon, parent, "power_meter");
    snprintf(rel, sizeof rel, "%s/power1_oem_info", parent);
    fake_write(fk->sysfs, rel, "%s\n", label);
    fake_hw(fk, hwmon, "power1_average", "%.0f\n", watts * 1e6);
    fake_hw(fk, hwmon, "power1_average_interval", "50\n");
}

static void grace_tree(fake *fk)
{
    fake_init(fk);
    grace_meter(fk, 2, "Grace Power Socket 0", 120);
    grace_meter(fk, 3, "CPU Power Socket 0", 80);
    grace_meter(fk, 4, "Module Power Socket 0", 500); /* after the others: still found */
    grace_meter(fk, 5, "SysIO Power Socket 0", 10);
}

static void test_grace(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    grace_tree(&fk);
    eb_bench *b = open_on(&fk, EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    assert_int_equal(eb_domain_count(b), 4);
    const eb_domain_info *m = dom(b, "module0"), *g = dom(b, "grace0"), *c = dom(b, "grace0-cpu"),
                         *io = dom(b, "grace0-sysio");
    assert_string_equal(m->kind, "module");
    assert_true(m->in_total);
    assert_false(g->in_total || c->in_total || io->in_total);
    assert_string_equal(g->part_of, "module0");
    assert_string_equal(c->part_of, "module0");
    assert_string_equal(g->name, "Grace Power Socket 0");
    assert_near(m->sensor_window_s, 0.05, 1e-12);
    assert_contains(unavailable_reason(b, "cpumodel"), "not used"); /* the module covers it */
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 2;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.total_energy_j, 1000, 1e-9); /* the module, once */
    eb_close(b);
    fake_free(&fk);
}

/* A GH200: NVML's reading covers the module, which the total counts once. */
static void test_gh200(void **state)
{
    (void)state;
    fake fk;
    char path[600];
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    grace_tree(&fk);
    fake_write(fk.root, "gh200.json",
               "{\"gpus\": [{\"model\": \"GH200 480GB\", \"uuid\": \"GPU-1111\", \"pci_bus_id\": "
               "\"00000009:01:00.0\", \"idle_power_w\": 100, \"power_limit_w\": 900, \"sensor\": "
               "{\"energy_update_ms\": 10}}]}\n");
    snprintf(path, sizeof path, "%s/gh200.json", fk.root);
    setenv("EBENCH_SIM_CONFIG", path, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    setenv("EBENCH_NVML_LIBRARY", SIM_LIB, 1);
    eb_bench *b = open_on(&fk, EB_SOURCE_NVML | EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    const eb_domain_info *gpu = dom(b, "nvidia0"), *m = dom(b, "module0"), *g = dom(b, "grace0");
    assert_string_equal(gpu->scope, "module");
    assert_contains(gpu->note, "a GH200: NVML's reading covers the whole module");
    assert_true(gpu->in_total);
    assert_false(m->in_total || g->in_total);
    assert_string_equal(m->part_of, "nvidia0");
    assert_string_equal(g->part_of, "nvidia0");
    assert_contains(m->note, "a part of nvidia0, whose NVML reading covers the module and is the "
                             "one the total counts");
    assert_contains(unavailable_reason(b, "cpumodel"), "not used");
    int gi = dom_index(b, "nvidia0");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.total_energy_j, r.domains[gi].energy_j, 1e-9); /* the module once */
    void *lib = dlopen(SIM_LIB, RTLD_NOW | RTLD_NOLOAD);
    if (lib) {
        int (*forget)(const char *) = (int (*)(const char *))dlsym(lib, "ebsim_forget");
        if (forget)
            forget(path);
        dlclose(lib);
    }
    eb_close(b);
    unsetenv("EBENCH_SIM_CLOCK");
    fake_free(&fk);
}

#define AMD_ENERGY "devices/platform/amd_energy.0"

static void test_amd_energy(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    fake_init(&fk);
    fake_hwmon(&fk, 0, AMD_ENERGY, "amd_energy");
    fake_hw(&fk, 0, "energy1_label", "Ecore000\n");
    fake_hw(&fk, 0, "energy1_input", "100\n");
    fake_hw(&fk, 0, "energy2_label", "Ecore001\n");
    fake_hw(&fk, 0, "energy2_input", "200\n");
    fake_hw(&fk, 0, "energy3_label", "Esocket0\n");
    fake_hw(&fk, 0, "energy3_input", "5000000\n");
    eb_bench *b = open_on(&fk, EB_SOURCE_POWERCAP | EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    assert_int_equal(eb_domain_count(b), 1);
    const eb_domain_info *p = dom(b, "cpu0-package");
    assert_string_equal(p->source, "hwmon");
    assert_string_equal(p->vendor, "amd");
    assert_true(p->in_total);
    assert_contains(unavailable_reason(b, "amd_energy"), "its 2 per-core counters are not added");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fake_hw(&fk, 0, "energy3_input", "105000000\n");
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[0].energy_j, 100, 1e-9);
    eb_close(b);

    /* with RAPL's powercap, which reads the same registers: not used */
    fake_zone(&fk, "intel-rapl:0", "package-0", 262143328850ull, 0);
    b = open_on(&fk, EB_SOURCE_POWERCAP | EB_SOURCE_HWMON, NULL);
    assert_int_equal(eb_domain_count(b), 1);
    assert_string_equal(eb_domain_get(b, 0)->source, "powercap");
    assert_contains(unavailable_reason(b, "cpu0-package"), "not used: powercap's RAPL zones");
    eb_close(b);
    fake_free(&fk);

    /* readable by root only: the reason names the file and the fix; root
     * reads anything, so the probe runs in a child that drops to nobody */
    char path[PATH_MAX];
    fake_init(&fk);
    fake_hwmon(&fk, 0, AMD_ENERGY, "amd_energy");
    fake_hw(&fk, 0, "energy1_label", "Esocket0\n");
    fake_hw(&fk, 0, "energy1_input", "5\n");
    snprintf(path, sizeof path, "%s/class/hwmon/hwmon0/energy1_input", fk.sysfs);
    assert_int_equal(chmod(path, 0400), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        eb_config cfg;
        eb_bench *c;
        fake_config(&fk, EB_SOURCE_HWMON, &cfg);
        if (eb_open(&c, &cfg) != EB_OK)
            _exit(4);
        const char *why = unavailable_reason(c, "cpu0-package");
        int ok = eb_domain_count(c) == 0 && why && strstr(why, "permission denied") &&
                 strstr(why, "sudo chmod a+r") && strstr(why, path);
        if (!ok)
            fprintf(stderr, "reason: %s\n", why ? why : "(none)");
        eb_close(c);
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    fake_free(&fk);
}

#define JETSON "devices/platform/bus@0/c240000.i2c/i2c-1/1-0040"

static void test_jetson(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    fake_init(&fk);
    fake_hwmon(&fk, 1, JETSON, "ina3221");
    ina_rail(&fk, 1, 1, "VDD_CPU_GPU_CV", 5000, "600");
    ina_rail(&fk, 1, 2, "VDD_IN", 5000, "2000");
    ina_rail(&fk, 1, 3, "VDD_SOC", 5000, "400");
    eb_bench *b = open_on(&fk, EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    assert_int_equal(eb_domain_count(b), 3);
    const eb_domain_info *in = dom(b, "vdd_in"), *cv = dom(b, "vdd_cpu_gpu_cv");
    assert_string_equal(in->kind, "module");
    assert_true(in->in_total);
    assert_false(cv->in_total);
    assert_string_equal(cv->part_of, "vdd_in");
    assert_contains(unavailable_reason(b, "cpumodel"), "not used");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 2;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[dom_index(b, "vdd_in")].energy_j, 20, 1e-9); /* 5 V x 2 A x 2 s */
    assert_near(r.domains[dom_index(b, "vdd_cpu_gpu_cv")].energy_j, 6, 1e-9);
    assert_near(r.total_energy_j, 20, 1e-9);
    eb_close(b);
    fake_free(&fk);
}

/* Garbage, an unknown device, a card that goes away mid-run. */
static void test_bad_input(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    intel_tree(&fk);
    fake_hwmon(&fk, 9, "devices/platform/foo.0", "foo_sensor");
    fake_hw(&fk, 9, "energy1_input", "0\n");
    fake_hw(&fk, 9, "energy1_label", "weird\n");
    fake_hwmon(&fk, 10, "devices/virtual/thermal/thermal_zone0", "acpitz");
    fake_hw(&fk, 10, "temp1_input", "45000\n");
    fake_pci_fn(&fk, "0000:c1:00.0", "0x1002", "0x038000", "amdgpu", 4);
    fake_hwmon(&fk, 11, AMD_C1, "amdgpu");
    fake_hw(&fk, 11, "power1_average", "12 W\n");

    eb_bench *b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    const eb_domain_info *u = dom(b, "hwmon9-foo_sens-energy1");
    assert_string_equal(u->kind, "platform");
    assert_false(u->in_total);
    assert_contains(u->note, "hwmon device 'foo_sensor' label weird is not one ebench recognises");
    assert_contains(unavailable_reason(b, "amd0"), "'12 W' is not a non-negative integer");
    assert_int_equal(dom_index(b, "amd0"), -1);

    int i0 = dom_index(b, "intel0"), i1 = dom_index(b, "intel1");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fake_hw(&fk, 1, "energy1_input", "garbage\n");
    fk.now = 1;
    assert_int_equal(eb_tick(b), EB_OK); /* skipped, with a warning */
    fake_hw(&fk, 1, "energy1_input", "11000000\n");
    fake_hw(&fk, 2, "energy1_input", "4000000\n");
    fk.now = 2;
    assert_int_equal(eb_tick(b), EB_OK);
    /* the i915 card goes away (unbound): its hwmon directory disappears */
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/" I915 "/hwmon/hwmon2'", fk.sysfs);
    assert_int_equal(system(cmd), 0);
    fk.now = 3;
    assert_int_equal(eb_tick(b), EB_OK);
    fake_hw(&fk, 1, "energy1_input", "21000000\n");
    fk.now = 4;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[i0].energy_j, 20, 1e-9); /* the bad reading cost nothing */
    assert_near(r.domains[i1].lost_at_s, 3, 1e-9);
    assert_near(r.domains[i1].energy_j, 4, 1e-9); /* up to the last reading */
    assert_near(r.domains[i1].covered_s, 2, 1e-9);
    int warned = 0;
    for (size_t i = 0; i < eb_warning_count(b); i++)
        warned |= strstr(eb_warning_get(b, i), "is not a non-negative integer") != NULL;
    assert_true(warned);
    eb_close(b);
    fake_free(&fk);
}

/* NVIDIA (the simulated driver) and AMD on one node, in one report. */
static void test_mixed_report(void **state)
{
    (void)state;
    fake fk;
    char path[600], json_path[600];
    amd_tree(&fk);
    fake_write(
        fk.root, "two.json",
        "{\"gpus\": [{\"uuid\": \"GPU-aaaa\", \"pci_bus_id\": \"00000000:07:00.0\", "
        "\"idle_power_w\": 60}, {\"uuid\": \"GPU-bbbb\", \"pci_bus_id\": \"00000000:08:00.0\", "
        "\"idle_power_w\": 60}]}\n");
    snprintf(path, sizeof path, "%s/two.json", fk.root);
    setenv("EBENCH_SIM_CONFIG", path, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    setenv("EBENCH_NVML_LIBRARY", SIM_LIB, 1);
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    setenv("HIP_VISIBLE_DEVICES", "0", 1);
    eb_bench *b = open_on(&fk, EB_SOURCE_NVML | EB_SOURCE_HWMON, NULL);
    for (size_t i = 0; i < eb_unavailable_count(b) && eb_domain_count(b) != 2; i++)
        fprintf(stderr, "%s %s: %s\n", eb_unavailable_get(b, i)->source,
                eb_unavailable_get(b, i)->what, eb_unavailable_get(b, i)->reason);
    assert_int_equal(eb_domain_count(b), 2);
    assert_string_equal(dom(b, "nvidia1")->cuda_entry, "1");
    assert_string_equal(dom(b, "amd0")->visible_var, "HIP_VISIBLE_DEVICES");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", NULL), EB_OK);
    snprintf(json_path, sizeof json_path, "%s/r.json", fk.root);
    assert_int_equal(eb_save_json(b, json_path, NULL), EB_OK);
    eb_close(b);

    json_error_t e;
    json_t *root = json_load_file(json_path, 0, &e);
    assert_non_null(root);
    json_t *doms = json_object_get(root, "domains");
    assert_int_equal(json_array_size(doms), 2);
    json_t *n1 = json_array_get(doms, 0), *a0 = json_array_get(doms, 1);
    assert_string_equal(json_string_value(json_object_get(n1, "id")), "nvidia1");
    assert_string_equal(json_string_value(json_object_get(n1, "source")), "nvml");
    assert_int_equal(json_integer_value(json_object_get(n1, "vendor_index")), 1);
    assert_string_equal(json_string_value(json_object_get(n1, "visible_var")),
                        "CUDA_VISIBLE_DEVICES");
    assert_string_equal(json_string_value(json_object_get(a0, "id")), "amd0");
    assert_string_equal(json_string_value(json_object_get(a0, "vendor")), "amd");
    assert_string_equal(json_string_value(json_object_get(a0, "source")), "hwmon");
    assert_string_equal(json_string_value(json_object_get(a0, "visible_entry")), "0");
    assert_string_equal(json_string_value(json_object_get(a0, "scope")), "device");
    json_decref(root);

    /* a bare index is ambiguous on this node: refused with a code */
    unsetenv("CUDA_VISIBLE_DEVICES");
    unsetenv("HIP_VISIBLE_DEVICES");
    b = open_on(&fk, EB_SOURCE_NVML | EB_SOURCE_HWMON, "0");
    assert_int_equal(eb_domain_count(b), 0);
    const eb_unavailable *bad = NULL;
    for (size_t i = 0; i < eb_unavailable_count(b); i++)
        if (eb_unavailable_get(b, i)->code == EB_EGPUSEL)
            bad = eb_unavailable_get(b, i);
    assert_non_null(bad);
    assert_string_equal(bad->what, "GPUs");
    assert_contains(bad->reason, "'0' is ambiguous: this node has NVIDIA and AMD GPUs");
    eb_close(b);
    void *lib = dlopen(SIM_LIB, RTLD_NOW | RTLD_NOLOAD);
    if (lib) {
        int (*forget)(const char *) = (int (*)(const char *))dlsym(lib, "ebsim_forget");
        if (forget)
            forget(path);
        dlclose(lib);
    }
    unsetenv("EBENCH_SIM_CLOCK");
    fake_free(&fk);
}

/* What a hostile review found: meters that fail, rails on two chips, odd
 * intervals, hundreds of hwmon devices, a counter that leaps. */
static void test_review_regressions(void **state)
{
    (void)state;
    fake fk;
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);

    /* a Grace meter that cannot be read does not stop the CPU model */
    fake_init(&fk);
    grace_meter(&fk, 2, "Grace Power Socket 0", 120);
    fake_hw(&fk, 2, "power1_average", "garbage\n");
    eb_bench *b = open_on(&fk, EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    assert_int_equal(dom_index(b, "grace0"), -1);
    assert_true(dom_index(b, "cpu") >= 0);
    eb_close(b);
    fake_free(&fk);

    /* CPU and SysIO rails without a Grace or module meter: in the total */
    fake_init(&fk);
    grace_meter(&fk, 3, "CPU Power Socket 0", 90);
    grace_meter(&fk, 5, "SysIO Power Socket 0", 30);
    b = open_on(&fk, EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    assert_true(dom(b, "grace0-cpu")->in_total && dom(b, "grace0-sysio")->in_total);
    assert_null(dom(b, "grace0-cpu")->part_of);
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.total_energy_j, 120, 1e-9);
    eb_close(b);
    fake_free(&fk);

    /* Jetson: VDD_IN on one INA3221, a rail on another: a part of it */
    fake_init(&fk);
    fake_hwmon(&fk, 1, JETSON, "ina3221");
    ina_rail(&fk, 1, 1, "VDD_IN", 5000, "2000");
    fake_hwmon(&fk, 2, "devices/platform/bus@0/c240000.i2c/i2c-1/1-0041", "ina3221");
    ina_rail(&fk, 2, 1, "VDD_SOC", 5000, "600");
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_false(dom(b, "vdd_soc")->in_total);
    assert_string_equal(dom(b, "vdd_soc")->part_of, "vdd_in");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.total_energy_j, 10, 1e-9);
    eb_close(b);
    fake_free(&fk);

    /* an averaging interval that is not a number of ms is not believed */
    const char *intervals[] = {"inf", "1e300", "0x10", "nan", "0", "-5"};
    for (size_t i = 0; i < sizeof intervals / sizeof *intervals; i++) {
        fake_init(&fk);
        fake_hwmon(&fk, 4, "devices/LNXSYSTM:00/ACPI000D:00", "power_meter");
        fake_hw(&fk, 4, "power1_average", "300000000\n");
        fake_hw(&fk, 4, "power1_average_interval", "%s\n", intervals[i]);
        b = open_on(&fk, EB_SOURCE_HWMON, NULL);
        const eb_domain_info *m = dom(b, "node-meter");
        assert_near(m->sensor_window_s, 0, 0);
        assert_near(m->update_period_s, 0.05, 1e-12);
        eb_close(b);
        fake_free(&fk);
    }

    /* 300 hwmon devices: every one is looked at (the card is the last) */
    fake_init(&fk);
    for (int i = 0; i < 299; i++) {
        char parent[96];
        snprintf(parent, sizeof parent, "devices/virtual/thermal/thermal_zone%d", i);
        fake_hwmon(&fk, i, parent, "acpitz");
    }
    fake_pci_fn(&fk, "0000:c1:00.0", "0x1002", "0x038000", "amdgpu", 1);
    fake_hwmon(&fk, 299, AMD_C1, "amdgpu");
    fake_hw(&fk, 299, "power1_average", "100000000\n");
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_true(dom_index(b, "amd0") >= 0);
    assert_null(unavailable_reason(b, "AMD GPU 0000:c1:00.0"));
    eb_close(b);
    fake_free(&fk);

    /* an Intel card's counter leaps to 10^19 uJ (garbage from the driver):
     * not 18 million joules; with the card's power limit, and without */
    for (int limit = 0; limit < 2; limit++) {
        intel_tree(&fk);
        if (limit)
            fake_hw(&fk, 1, "power1_max", "300000000\n");
        b = open_on(&fk, EB_SOURCE_HWMON, NULL);
        int i0 = dom_index(b, "intel0");
        assert_int_equal(eb_begin(b, "w"), EB_OK);
        fake_hw(&fk, 1, "energy1_input", "101000000\n"); /* 100 W for 1 s */
        fk.now = 1;
        assert_int_equal(eb_tick(b), EB_OK);
        fake_hw(&fk, 1, "energy1_input", "10000000000000000000\n");
        fk.now = 2;
        assert_int_equal(eb_tick(b), EB_OK);
        fk.now = 3;
        fake_hw(&fk, 1, "energy1_input", "10000000000100000000\n"); /* +100 J from there */
        assert_int_equal(eb_end(b, "w", &r), EB_OK);
        assert_near(r.domains[i0].energy_j, 300, 1e-6); /* 100 + bridged 100 + 100 */
        eb_close(b);
        fake_free(&fk);
    }

    /* a node meter's counter at 2.5 kW, without a stated limit: measured */
    fake_init(&fk);
    fake_hwmon(&fk, 1, "devices/platform/psu.0", "nodepsu");
    fake_hw(&fk, 1, "energy1_input", "0\n");
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    for (int k = 1; k <= 10; k++) {
        fk.now = k;
        fake_hw(&fk, 1, "energy1_input", "%llu\n", (unsigned long long)k * 2500000000ull);
        assert_int_equal(eb_tick(b), EB_OK);
    }
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.domains[0].energy_j, 25000, 1e-6);
    eb_close(b);
    fake_free(&fk);

    /* Jetson's VDD_IN cannot be read: the other rails are not parts of it */
    fake_init(&fk);
    fake_hwmon(&fk, 1, JETSON, "ina3221");
    ina_rail(&fk, 1, 1, "VDD_IN", 5000, "bad");
    ina_rail(&fk, 1, 2, "VDD_SOC", 5000, "600");
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_int_equal(dom_index(b, "vdd_in"), -1);
    assert_true(dom(b, "vdd_soc")->in_total);
    assert_null(dom(b, "vdd_soc")->part_of);
    eb_close(b);
    fake_free(&fk);

    /* control characters from a sensor never reach the terminal */
    fake_init(&fk);
    fake_hwmon(&fk, 1, "devices/LNXSYSTM:00/ACPI000D:00", "power_meter");
    fake_hw(&fk, 1, "power1_average", "300000000\n");
    fake_write(fk.sysfs, "devices/LNXSYSTM:00/ACPI000D:00/power1_oem_info", "Node \033[31mred\n");
    b = open_on(&fk, EB_SOURCE_HWMON, NULL);
    assert_string_equal(dom(b, "node-meter")->name, "Node ?[31mred");
    fake_hw(&fk, 1, "power1_average", "\033]0;PWNED\007\n"); /* nor at run time */
    fk.now = 1;
    assert_int_equal(eb_tick(b), EB_OK);
    assert_true(eb_warning_count(b) >= 1);
    for (size_t i = 0; i < eb_warning_count(b); i++)
        for (const char *p = eb_warning_get(b, i); *p; p++)
            assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
    eb_close(b);
    fake_free(&fk);
}

/* Two GH200s; the run has the second only (one GPU per task): the first
 * module's meters are not this run's, the second's are parts of it. */
static void test_gh200_one_of_two(void **state)
{
    (void)state;
    fake fk;
    char path[600];
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(d);
    fake_init(&fk);
    grace_meter(&fk, 2, "Module Power Socket 0", 500);
    grace_meter(&fk, 3, "Module Power Socket 1", 600);
    grace_meter(&fk, 4, "Grace Power Socket 0", 100);
    grace_meter(&fk, 5, "Grace Power Socket 1", 110);
    fake_write(fk.root, "gh2.json",
               "{\"gpus\": [{\"model\": \"GH200 480GB\", \"pci_bus_id\": \"00000009:01:00.0\", "
               "\"power_limit_w\": 900, \"phases\": [{\"seconds\": 100, \"power_w\": 500}]}, "
               "{\"model\": \"GH200 480GB\", \"pci_bus_id\": \"00000019:01:00.0\", "
               "\"power_limit_w\": 900, \"phases\": [{\"seconds\": 100, \"power_w\": 600}]}]}\n");
    snprintf(path, sizeof path, "%s/gh2.json", fk.root);
    setenv("EBENCH_SIM_CONFIG", path, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    setenv("EBENCH_NVML_LIBRARY", SIM_LIB, 1);
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    eb_bench *b = open_on(&fk, EB_SOURCE_NVML | EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    /* socket 0's module holds another GPU: not this run's; its Grace CPU is */
    assert_int_equal(dom_index(b, "module0"), -1);
    assert_contains(unavailable_reason(b, "module0"),
                    "the module of socket 0 holds a GH200 that is not this run's");
    assert_true(dom(b, "grace0")->in_total);
    assert_null(dom(b, "grace0")->part_of);
    assert_string_equal(dom(b, "module1")->part_of, "nvidia1");
    assert_string_equal(dom(b, "grace1")->part_of, "nvidia1");
    assert_false(dom(b, "module1")->in_total || dom(b, "grace1")->in_total);
    int gi = dom_index(b, "nvidia1"), g0 = dom_index(b, "grace0");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 1;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.total_energy_j, r.domains[gi].energy_j + r.domains[g0].energy_j, 1e-9);
    assert_near(r.domains[g0].energy_j, 100, 1e-9);
    eb_close(b);

    /* inside a job's device cgroup NVML lists its GH200 only: the socket is
     * its PCI device's NUMA node, not its place in NVML's list */
    fake_write(fk.root, "gh1.json",
               "{\"gpus\": [{\"model\": \"GH200 480GB\", \"pci_bus_id\": \"00000019:01:00.0\", "
               "\"power_limit_w\": 900, \"phases\": [{\"seconds\": 100, \"power_w\": 600}]}]}\n");
    fake_write(fk.sysfs, "devices/pci0019:00/0019:01:00.0/numa_node", "1\n");
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/bus/pci/devices", fk.sysfs);
    fake_mkdirs(link);
    snprintf(link, sizeof link, "%s/bus/pci/devices/0019:01:00.0", fk.sysfs);
    assert_int_equal(symlink("../../../devices/pci0019:00/0019:01:00.0", link), 0);
    unsetenv("CUDA_VISIBLE_DEVICES");
    char path1[600];
    snprintf(path1, sizeof path1, "%s/gh1.json", fk.root);
    setenv("EBENCH_SIM_CONFIG", path1, 1);
    void *lib0 = dlopen(SIM_LIB, RTLD_NOW | RTLD_NOLOAD);
    if (lib0) { /* the simulator reads its scenario again */
        int (*forget)(const char *) = (int (*)(const char *))dlsym(lib0, "ebsim_forget");
        if (forget)
            forget(path);
        dlclose(lib0);
    }
    b = open_on(&fk, EB_SOURCE_NVML | EB_SOURCE_HWMON | EB_SOURCE_CPUMODEL, NULL);
    assert_string_equal(dom(b, "module1")->part_of, "nvidia0");
    assert_string_equal(dom(b, "grace1")->part_of, "nvidia0");
    assert_int_equal(dom_index(b, "module0"), -1);
    assert_contains(unavailable_reason(b, "module0"), "(not selected, or another job's)");
    assert_true(dom(b, "grace0")->in_total);
    gi = dom_index(b, "nvidia0");
    g0 = dom_index(b, "grace0");
    assert_int_equal(eb_begin(b, "w"), EB_OK);
    fk.now = 2;
    assert_int_equal(eb_end(b, "w", &r), EB_OK);
    assert_near(r.total_energy_j, r.domains[gi].energy_j + r.domains[g0].energy_j, 1e-9);
    snprintf(path, sizeof path, "%s", path1);
    void *lib = dlopen(SIM_LIB, RTLD_NOW | RTLD_NOLOAD);
    if (lib) {
        int (*forget)(const char *) = (int (*)(const char *))dlsym(lib, "ebsim_forget");
        if (forget)
            forget(path);
        dlclose(lib);
    }
    eb_close(b);
    unsetenv("EBENCH_SIM_CLOCK");
    fake_free(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_amd_gpus, clean_env),
        cmocka_unit_test_setup(test_intel_gpus, clean_env),
        cmocka_unit_test_setup(test_grace, clean_env),
        cmocka_unit_test_setup(test_gh200, clean_env),
        cmocka_unit_test_setup(test_amd_energy, clean_env),
        cmocka_unit_test_setup(test_jetson, clean_env),
        cmocka_unit_test_setup(test_bad_input, clean_env),
        cmocka_unit_test_setup(test_mixed_report, clean_env),
        cmocka_unit_test_setup(test_review_regressions, clean_env),
        cmocka_unit_test_setup(test_gh200_one_of_two, clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
