/*
 * nvml_probe.c - what the real NVML does, for the H100 validation:
 *   - the latency of each call ebench's sampler makes (mean of 2000 calls);
 *   - how often the energy counter, the instant power (field 186) and
 *     nvmlDeviceGetPowerUsage really change (polled every 0.5 ms for 3 s:
 *     the median time between changes);
 *   - the driver version.
 * Uses ebench's own NVML declarations (src/sources/nvml_abi.h), no nvml.h.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/sources/nvml_abi.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *lib;
static void *sym(const char *name)
{
    void *p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "nvml_probe: no %s\n", name);
        exit(1);
    }
    return p;
}

static nvmlDevice_t dev;
static nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
static nvmlReturn_t (*fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
static nvmlReturn_t (*usage)(nvmlDevice_t, unsigned *);
static nvmlReturn_t (*util)(nvmlDevice_t, nvmlUtilization_t *);
static nvmlReturn_t (*clock_)(nvmlDevice_t, int, unsigned *);
static nvmlReturn_t (*temp)(nvmlDevice_t, int, unsigned *);
static nvmlReturn_t (*limit)(nvmlDevice_t, unsigned *);

static double read_one(int which)
{
    unsigned long long mj = 0;
    unsigned v = 0;
    nvmlUtilization_t u;
    nvmlFieldValue_t f;
    memset(&f, 0, sizeof f);
    f.fieldId = NVML_FI_DEV_POWER_INSTANT;
    switch (which) {
    case 0:
        energy(dev, &mj);
        return (double)mj;
    case 1:
        fields(dev, 1, &f);
        return f.nvmlReturn == NVML_SUCCESS ? (double)f.value.uiVal : -1.0;
    case 2:
        usage(dev, &v);
        return v;
    case 3:
        util(dev, &u);
        return u.gpu;
    case 4:
        clock_(dev, NVML_CLOCK_SM, &v);
        return v;
    case 5:
        temp(dev, NVML_TEMPERATURE_GPU, &v);
        return v;
    default:
        limit(dev, &v);
        return v;
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static const char *names[] = {"nvmlDeviceGetTotalEnergyConsumption",
                                  "nvmlDeviceGetFieldValues(186)",
                                  "nvmlDeviceGetPowerUsage",
                                  "nvmlDeviceGetUtilizationRates",
                                  "nvmlDeviceGetClockInfo(SM)",
                                  "nvmlDeviceGetTemperature",
                                  "nvmlDeviceGetEnforcedPowerLimit"};
    char driver[96] = "?";
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "nvml_probe: %s\n", dlerror());
        return 1;
    }
    ((nvmlReturn_t(*)(void))sym("nvmlInit_v2"))();
    ((nvmlReturn_t(*)(unsigned, nvmlDevice_t *))sym("nvmlDeviceGetHandleByIndex_v2"))(0, &dev);
    nvmlReturn_t (*ver)(char *, unsigned) =
        (nvmlReturn_t(*)(char *, unsigned))dlsym(lib, "nvmlSystemGetDriverVersion");
    if (ver)
        ver(driver, sizeof driver);
    *(void **)&energy = sym("nvmlDeviceGetTotalEnergyConsumption");
    *(void **)&fields = sym("nvmlDeviceGetFieldValues");
    *(void **)&usage = sym("nvmlDeviceGetPowerUsage");
    *(void **)&util = sym("nvmlDeviceGetUtilizationRates");
    *(void **)&clock_ = sym("nvmlDeviceGetClockInfo");
    *(void **)&temp = sym("nvmlDeviceGetTemperature");
    *(void **)&limit = sym("nvmlDeviceGetEnforcedPowerLimit");
    printf("driver %s\n\n| NVML call | mean latency (us) |\n|---|---|\n", driver);
    for (int w = 0; w < 7; w++) {
        double t0 = now_s();
        for (int i = 0; i < 2000; i++)
            read_one(w);
        printf("| %s | %.1f |\n", names[w], (now_s() - t0) / 2000 * 1e6);
    }
    printf("\n| reading | median time between changes (ms) | changes in 3 s |\n|---|---|---|\n");
    for (int w = 0; w < 3; w++) {
        double gaps[20000], last_t = now_s(), start = last_t, last_v = read_one(w);
        int n = 0;
        while (now_s() - start < 3.0 && n < 20000) {
            struct timespec ts = {0, 500000};
            nanosleep(&ts, NULL);
            double v = read_one(w);
            if (v != last_v) {
                double t = now_s();
                if (n >= 0)
                    gaps[n++] = (t - last_t) * 1e3;
                last_t = t;
                last_v = v;
            }
        }
        if (n > 1) {
            qsort(gaps + 1, (size_t)(n - 1), sizeof *gaps, cmp); /* the first gap is partial */
            printf("| %s | %.1f | %d |\n", names[w], gaps[1 + (n - 1) / 2], n);
        } else {
            printf("| %s | (did not change) | %d |\n", names[w], n);
        }
    }
    return 0;
}
