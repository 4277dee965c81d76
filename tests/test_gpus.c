/* test_gpus.c - the GPU selection across vendors (gpu_select.c): --gpus,
 * Slurm and each vendor's visible-device variables, on known lists. */
#include "helpers.h"

#include "sources/gpu_select.h"

typedef struct said {
    char text[8][700];
    int code[8], vendor[8];
    int n;
} said;

static void collect(void *ctx, int vendor, int code, const char *text)
{
    said *s = ctx;
    if (s->n < 8) {
        snprintf(s->text[s->n], sizeof s->text[s->n], "%s", text);
        s->code[s->n] = code;
        s->vendor[s->n++] = vendor;
    }
}

static const char *const vars[] = {
    "CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ZE_AFFINITY_MASK",
    "SLURM_STEP_GPUS",      "SLURM_JOB_GPUS",       "CUDA_DEVICE_ORDER"};

static int clean_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    return 0;
}

static eb__gpu_info gpu(int vendor, unsigned index, const char *uuid, const char *pci, long minor,
                        int backend)
{
    eb__gpu_info g;
    memset(&g, 0, sizeof g);
    g.vendor = vendor;
    g.index = index;
    snprintf(g.uuid, sizeof g.uuid, "%s", uuid);
    snprintf(g.pci, sizeof g.pci, "%s", pci);
    g.minor = minor;
    g.backend = backend;
    return g;
}

/* Two NVIDIA, two AMD (listed out of PCI order), one Intel. */
static unsigned mixed(eb__gpu_info *g)
{
    g[0] = gpu(EB__GPU_NVIDIA, 0, "GPU-aaaa1111", "00000000:07:00.0", 0, 0);
    g[1] = gpu(EB__GPU_NVIDIA, 1, "GPU-bbbb2222", "00000000:08:00.0", 1, 0);
    g[2] = gpu(EB__GPU_AMD, 0, "GPU-cc0c", "0000:c2:00.0", 2, 1); /* PCI order: second */
    g[3] = gpu(EB__GPU_AMD, 1, "GPU-dd1d", "0000:c1:00.0", 1, 1);
    g[4] = gpu(EB__GPU_INTEL, 0, "", "0000:3a:00.0", 3, 2);
    return 5;
}

static unsigned selected(const eb__gpu_choice *c, unsigned n, char *ids, const eb__gpu_info *g)
{
    unsigned k = 0;
    ids[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        if (c[i].selected) {
            sprintf(ids + strlen(ids), "%s%s%u", k++ ? "," : "", eb__gpu_vendors[g[i].vendor].name,
                    g[i].index);
        }
    return k;
}

static void test_defaults_every_vendor(void **state)
{
    (void)state;
    eb__gpu_info g[8];
    eb__gpu_choice c[8];
    said s = {0};
    char ids[128];
    unsigned n = mixed(g);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_int_equal(selected(c, n, ids, g), 5);
    assert_string_equal(c[0].rule, "all GPUs (CUDA_VISIBLE_DEVICES is not set)");
    assert_string_equal(c[2].rule,
                        "all GPUs (ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES are not set)");
    assert_string_equal(c[4].rule, "all GPUs (ZE_AFFINITY_MASK is not set)");
    assert_null(c[0].var);
    assert_int_equal(s.n, 0);

    /* one vendor's variable leaves the others alone */
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia1,amd0,amd1,intel0");
    assert_string_equal(c[1].rule, "CUDA_VISIBLE_DEVICES=1, entry '1' (the program's cuda:0); "
                                   "indices taken in PCI bus order, as "
                                   "CUDA_DEVICE_ORDER=PCI_BUS_ID numbers them");
    assert_string_equal(c[1].var, "CUDA_VISIBLE_DEVICES");
    assert_string_equal(c[1].entry, "1");
    assert_string_equal(c[0].rule, "CUDA_VISIBLE_DEVICES=1 does not name it");
    assert_int_equal(s.n, 0);
}

static void test_amd_rocr_then_hip(void **state)
{
    (void)state;
    eb__gpu_info g[8];
    eb__gpu_choice c[8];
    said s = {0};
    char ids[128];
    unsigned n = mixed(g);

    /* ROCm numbers in PCI bus order: 0 is amd1 (c1), 1 is amd0 (c2) */
    setenv("ROCR_VISIBLE_DEVICES", "1", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia0,nvidia1,amd0,intel0");
    assert_string_equal(c[2].rule, "ROCR_VISIBLE_DEVICES=1, entry '1' (the program's hip:0)");

    /* HIP numbers what ROCr left */
    setenv("ROCR_VISIBLE_DEVICES", "0,1", 1);
    setenv("HIP_VISIBLE_DEVICES", "1", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia0,nvidia1,amd0,intel0");
    assert_string_equal(c[2].rule, "ROCR_VISIBLE_DEVICES=0,1, entry '1'; then "
                                   "HIP_VISIBLE_DEVICES=1, entry '1' (the program's hip:0)");
    assert_string_equal(c[2].var, "HIP_VISIBLE_DEVICES");
    assert_string_equal(c[3].rule, "HIP_VISIBLE_DEVICES=1 does not name it");

    /* by UUID, and a bad entry ends the list as HIP does */
    unsetenv("ROCR_VISIBLE_DEVICES");
    setenv("HIP_VISIBLE_DEVICES", "GPU-dd1,7,0", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia0,nvidia1,amd1,intel0");
    assert_int_equal(s.n, 1);
    assert_int_equal(s.code[0], 0);
    assert_int_equal(s.vendor[0], EB__GPU_AMD);
    assert_string_equal(s.text[0], "HIP_VISIBLE_DEVICES=GPU-dd1,7,0: '7' matches no GPU; HIP "
                                   "ignores it and every entry after it");

    s.n = 0;
    setenv("HIP_VISIBLE_DEVICES", "", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia0,nvidia1,intel0");
    assert_string_equal(s.text[0], "HIP_VISIBLE_DEVICES is empty: HIP sees no GPU, so none is "
                                   "measured");

    /* a node without AMD GPUs ignores AMD's variables, silently */
    s.n = 0;
    eb__gpu_select(g, 2, NULL, NULL, c, collect, &s);
    assert_int_equal(selected(c, 2, ids, g), 2);
    assert_int_equal(s.n, 0);
}

static void test_intel_affinity_mask(void **state)
{
    (void)state;
    eb__gpu_info g[8];
    eb__gpu_choice c[8];
    said s = {0};
    char ids[128];
    unsigned n = mixed(g);
    g[5] = gpu(EB__GPU_INTEL, 1, "", "0000:9a:00.0", 4, 2);
    n++;
    setenv("ZE_AFFINITY_MASK", "1.1", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia0,nvidia1,amd0,amd1,intel1");
    assert_string_equal(c[5].rule, "ZE_AFFINITY_MASK=1.1, entry '1.1', one tile of it (measured "
                                   "as the whole card) (the program's ze:0)");
    assert_string_equal(c[4].rule, "ZE_AFFINITY_MASK=1.1 does not name it");
    assert_int_equal(s.n, 0);
}

static void test_gpus_option(void **state)
{
    (void)state;
    eb__gpu_info g[8];
    eb__gpu_choice c[8];
    said s = {0};
    char ids[128];
    unsigned n = mixed(g);
    setenv("CUDA_VISIBLE_DEVICES", "0", 1); /* --gpus overrides every variable */

    eb__gpu_select(g, n, "nvidia1,amd0,intel0", NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia1,amd0,intel0");
    assert_string_equal(c[1].rule, "--gpus nvidia1,amd0,intel0");
    assert_string_equal(c[0].rule, "--gpus=nvidia1,amd0,intel0 does not name it");
    assert_null(c[1].var);
    assert_int_equal(s.n, 0);

    eb__gpu_select(g, n, "GPU-dd", NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "amd1");

    /* a bare index is ambiguous where there are several vendors */
    eb__gpu_select(g, n, "0", NULL, c, collect, &s);
    assert_int_equal(selected(c, n, ids, g), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.code[0], EB_EGPUSEL);
    assert_string_equal(s.text[0],
                        "--gpus=0: '0' is ambiguous: this node has NVIDIA and AMD and Intel GPUs; "
                        "name each by vendor and index (nvidia0, amd0, intel0) or by UUID");
    /* ... and is the vendor's index where there is one vendor (gpuN alike) */
    s.n = 0;
    eb__gpu_select(g + 2, 2, "1", NULL, c, collect, &s);
    assert_true(!c[0].selected && c[1].selected);
    eb__gpu_select(g, 2, "gpu1", NULL, c, collect, &s);
    assert_true(!c[0].selected && c[1].selected);
    assert_int_equal(s.n, 0);

    /* the legacy MIG form names its GPU; in CUDA_VISIBLE_DEVICES too */
    s.n = 0;
    eb__gpu_select(g, n, "MIG-GPU-bbbb2222/1/0", NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia1");
    assert_string_equal(c[1].mig, "MIG-GPU-bbbb2222/1/0");
    assert_int_equal(s.n, 0);
    unsetenv("CUDA_VISIBLE_DEVICES");
    setenv("CUDA_VISIBLE_DEVICES", "MIG-GPU-aaaa1111/2/0", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_true(c[0].selected && !c[1].selected);
    assert_contains(c[0].rule, "a MIG instance of it");
    setenv("CUDA_VISIBLE_DEVICES", "0", 1);

    const struct {
        const char *opt, *said;
    } bad[] = {
        {"amd5", "--gpus=amd5: 'amd5' matches no GPU"},
        {"GPU-", "--gpus=GPU-: 'GPU-' matches several GPUs"},
        {"nvidia0,foo", "--gpus=nvidia0,foo: 'foo' is not a GPU: expected 'all', indices"},
        {"ati0", "--gpus=ati0: 'ati0' is not a GPU"},
        {"MIG-1234", "--gpus=MIG-1234: 'MIG-1234' matches no GPU"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s.n = 0;
        eb__gpu_select(g, n, bad[i].opt, NULL, c, collect, &s);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.code[0], EB_EGPUSEL);
        assert_contains(s.text[0], bad[i].said);
    }
    /* no GPU listed at all: the backends say why, and asking for one is an
     * error (as it is where there are GPUs); "all" is not */
    s.n = 0;
    eb__gpu_select(g, 0, "nvidia3", NULL, c, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.code[0], EB_EGPUSEL);
    assert_string_equal(s.text[0], "--gpus=nvidia3: no GPU was found here (ebench info says why)");
    s.n = 0;
    eb__gpu_select(g, 0, "all", NULL, c, collect, &s);
    assert_int_equal(s.n, 0);
    /* "g1" is not "gpu1" */
    eb__gpu_select(g + 2, 2, "g1", NULL, c, collect, &s);
    assert_int_equal(s.code[0], EB_EGPUSEL);
}

static void test_slurm_by_minor(void **state)
{
    (void)state;
    eb__gpu_info g[8];
    eb__gpu_choice c[8];
    said s = {0};
    char ids[128];
    unsigned n = mixed(g);
    setenv("SLURM_JOB_GPUS", "2,3", 1);
    setenv("HIP_VISIBLE_DEVICES", "0", 1); /* Slurm's list wins */
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "amd0,intel0");
    assert_string_equal(c[2].rule, "SLURM_JOB_GPUS=2,3 (by device minor number)");
    assert_string_equal(c[0].rule, "SLURM_JOB_GPUS=2,3 (by device minor number) does not name it");
    /* a number that is two vendors' device minor: both, said; junk ignored */
    s.n = 0;
    setenv("SLURM_JOB_GPUS", "1,1abc, 2", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "nvidia1,amd1");
    assert_int_equal(s.n, 3);
    assert_contains(s.text[0],
                    "1 is the device number of nvidia1 and amd1 (GPUs of several vendors)");
    assert_contains(s.text[1], "'1abc' is not a device number; ignored");
    assert_contains(s.text[2], "' 2' is not a device number; ignored");
    /* AMD and Intel by their render node too: renderD(128+N) */
    s.n = 0;
    setenv("SLURM_JOB_GPUS", "131", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_string_equal((selected(c, n, ids, g), ids), "intel0");
    s.n = 0;
    setenv("SLURM_STEP_GPUS", "9", 1);
    eb__gpu_select(g, n, NULL, NULL, c, collect, &s);
    assert_int_equal(selected(c, n, ids, g), 0);
    assert_int_equal(s.n, 1);
    assert_contains(s.text[0], "SLURM_STEP_GPUS=9: no GPU here has device minor number 9");
}

static void test_same_gpu_two_backends(void **state)
{
    (void)state;
    eb__gpu_info g[8];
    eb__gpu_choice c[8];
    said s = {0};

    /* AMD SMI and the amdgpu hwmon see the same card: the first backend
     * measures it, whatever the width of the PCI domain each writes; the
     * second's listing takes the first's index and choice */
    g[0] = gpu(EB__GPU_AMD, 0, "GPU-1", "00000000:C1:00.0", -1, 0);
    g[1] = gpu(EB__GPU_AMD, 5, "", "0000:c1:00.0", 1, 1);
    g[2] = gpu(EB__GPU_AMD, 1, "", "0000:c2:00.0", 2, 1); /* only the second sees it */
    eb__gpu_select(g, 3, NULL, NULL, c, collect, &s);
    assert_true(c[0].selected && !c[1].selected && !c[2].selected);
    assert_true(g[1].covered && g[1].primary == 0 && g[1].index == 0);
    assert_string_equal(c[1].rule, c[0].rule);
    /* a card the first source of AMD GPUs does not list is not this
     * process's (AMD SMI sees the job's cgroup; sysfs shows every card) */
    assert_true(g[2].excluded && !g[2].covered);
    assert_contains(c[2].rule, "the first source of AMD GPUs does not list it");
    setenv("ROCR_VISIBLE_DEVICES", "0", 1);
    eb__gpu_select(g, 3, NULL, NULL, c, collect, &s);
    assert_true(c[0].selected && !c[1].selected && !c[2].selected);
    assert_string_equal(c[1].entry, "0");
    /* no first source's GPUs left (the library listed none): the second's count */
    g[0] = gpu(EB__GPU_AMD, 0, "", "0000:c1:00.0", 1, 1);
    g[1] = gpu(EB__GPU_AMD, 1, "", "0000:c2:00.0", 2, 1);
    eb__gpu_select(g, 2, NULL, NULL, c, collect, &s);
    assert_true(c[0].selected && !c[1].selected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults_every_vendor, clean_env),
        cmocka_unit_test_setup(test_amd_rocr_then_hip, clean_env),
        cmocka_unit_test_setup(test_intel_affinity_mask, clean_env),
        cmocka_unit_test_setup(test_gpus_option, clean_env),
        cmocka_unit_test_setup(test_slurm_by_minor, clean_env),
        cmocka_unit_test_setup(test_same_gpu_two_backends, clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
