/*
 * fuzz_scenario.c - the simulator's scenario files (sim/nvml_sim.c): every
 * test and the demo write them, and users write their own to try ebench
 * without a GPU. Each input is a scenario; the driver starts on it, and
 * every device it describes is asked what ebench asks. Counter reads are
 * left out: the simulator makes them take milliseconds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../sim/ebsim.h"
#include "../sim/nvml_api.h"
#include "fuzz_common.h"

static char dir[4096], path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_dir("scenario", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.json", dir);
    setenv("EBENCH_SIM_CONFIG", path, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    if (nvmlInit_v2() != NVML_SUCCESS)
        return 0;
    unsigned n = 0;
    nvmlDeviceGetCount_v2(&n);
    for (unsigned i = 0; i < n && i < 8; i++) {
        nvmlDevice_t dev;
        char name[96], desc[1024];
        unsigned mw, c;
        nvmlUtilization_t u;
        nvmlFieldValue_t v[2] = {{.fieldId = 186}, {.fieldId = 185}};
        if (nvmlDeviceGetHandleByIndex_v2(i, &dev) != NVML_SUCCESS)
            continue;
        nvmlDeviceGetName(dev, name, sizeof name);
        for (int k = 0; k < 3; k++) {
            ebsim_set_time(0.37 * k);
            nvmlDeviceGetPowerUsage(dev, &mw);
            nvmlDeviceGetFieldValues(dev, 2, v);
            nvmlDeviceGetUtilizationRates(dev, &u);
            nvmlDeviceGetTemperature(dev, 0, &c);
            ebsim_true_energy_j(i, 0, 0.37 * k);
        }
        ebsim_describe(i, desc, sizeof desc);
    }
    nvmlShutdown();
    ebsim_forget(path);
    return 0;
}
