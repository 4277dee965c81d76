/*
 * nvml_timing.c - how the real driver's energy readings behave in time, for
 * the counter tracker (issue 11). Two phases, each SECONDS/2 long:
 *   1. the energy counter (nvmlDeviceGetTotalEnergyConsumption) read back to
 *      back by this thread alone: each call's start, end, thread CPU time and
 *      value;
 *   2. nvmlDeviceGetFieldValues for fields 83 (total energy), 185 (average
 *      power) and 186 (instant power) every 0.5 ms: each call's start and
 *      end, each field's value and the driver's own timestamp (converted to
 *      this clock) and latency.
 * Before them, 100 timed calls of each kind (wall and CPU time).
 *
 *   nvml_timing LABEL SECONDS DIR      writes DIR/LABEL-counter.csv,
 *                                       DIR/LABEL-fields.csv; a summary on stdout
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/sources/nvml_abi.h"

static double clk(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
#define MONO() clk(CLOCK_MONOTONIC)
#define CPU() clk(CLOCK_THREAD_CPUTIME_ID)

static nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
static nvmlReturn_t (*fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
static nvmlDevice_t dev;

static void read_fields(nvmlFieldValue_t f[3])
{
    memset(f, 0, 3 * sizeof *f);
    f[0].fieldId = 83;
    f[1].fieldId = 185;
    f[2].fieldId = 186;
    fields(dev, 3, f);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stats(const char *label, const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    printf("%s: %s: min %.1f median %.1f p90 %.1f max %.1f us\n", label, what, v[0] * 1e6,
           v[n / 2] * 1e6, v[n * 9 / 10] * 1e6, v[n - 1] * 1e6);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    const char *label = argv[1], *dir = argv[3];
    double seconds = atof(argv[2]);
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    if (!lib)
        return 1;
    ((nvmlReturn_t(*)(void))dlsym(lib, "nvmlInit_v2"))();
    ((nvmlReturn_t(*)(unsigned, nvmlDevice_t *))dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"))(0,
                                                                                             &dev);
    *(void **)&energy = dlsym(lib, "nvmlDeviceGetTotalEnergyConsumption");
    *(void **)&fields = dlsym(lib, "nvmlDeviceGetFieldValues");
    /* realtime - monotonic, for the drivers' timestamps */
    double off = clk(CLOCK_REALTIME) - MONO();

    static double wall[100], cpu[100];
    unsigned long long mj;
    for (int i = 0; i < 100; i++) {
        double c0 = CPU(), t0 = MONO();
        energy(dev, &mj);
        wall[i] = MONO() - t0;
        cpu[i] = CPU() - c0;
    }
    stats(label, "energy counter call wall", wall, 100);
    stats(label, "energy counter call cpu", cpu, 100);
    nvmlFieldValue_t f[3];
    for (int i = 0; i < 100; i++) {
        double c0 = CPU(), t0 = MONO();
        read_fields(f);
        wall[i] = MONO() - t0;
        cpu[i] = CPU() - c0;
    }
    stats(label, "fields 83+185+186 call wall", wall, 100);
    stats(label, "fields 83+185+186 call cpu", cpu, 100);
    printf("%s: field results %d %d %d, field 83 %llu mJ vs counter %llu mJ\n", label,
           f[0].nvmlReturn, f[1].nvmlReturn, f[2].nvmlReturn, f[0].value.ullVal, mj);

    char path[512];
    snprintf(path, sizeof path, "%s/%s-counter.csv", dir, label);
    FILE *fc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s-fields.csv", dir, label);
    FILE *ff = fopen(path, "w");
    if (!fc || !ff)
        return 1;
    fprintf(fc, "t0_s,t1_s,cpu_s,energy_mj\n");
    double end = MONO() + seconds / 2;
    while (MONO() < end) {
        double c0 = CPU(), t0 = MONO();
        energy(dev, &mj);
        double t1 = MONO();
        fprintf(fc, "%.7f,%.7f,%.7f,%llu\n", t0, t1, CPU() - c0, mj);
    }
    fprintf(ff, "t0_s,t1_s,e83_mj,ts83_s,lat83_us,p185_mw,ts185_s,p186_mw,ts186_s,lat186_us\n");
    end = MONO() + seconds / 2;
    while (MONO() < end) {
        double t0 = MONO();
        read_fields(f);
        double t1 = MONO();
        fprintf(ff, "%.7f,%.7f,%llu,%.7f,%lld,%u,%.7f,%u,%.7f,%lld\n", t0, t1, f[0].value.ullVal,
                (double)f[0].timestamp * 1e-6 - off, f[0].latencyUsec, f[1].value.uiVal,
                (double)f[1].timestamp * 1e-6 - off, f[2].value.uiVal,
                (double)f[2].timestamp * 1e-6 - off, f[2].latencyUsec);
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
    fclose(fc);
    fclose(ff);
    return 0;
}
