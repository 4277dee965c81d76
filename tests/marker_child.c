/*
 * marker_child.c - a program that uses libebench, for the phase-marker
 * tests: two windows, "prepare" (the simulated GPU idle) and "compute" (busy),
 * with work on "compute". Under `ebench run` its windows go to the parent;
 * alone it measures them itself.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ebench.h"

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(void)
{
    const char *lib = getenv("EBENCH_NVML_LIBRARY"), *cfg = getenv("EBENCH_SIM_CONFIG");
    void *sim = lib ? dlopen(lib, RTLD_NOW) : NULL;
    int (*set)(const char *, unsigned, double) =
        sim ? (int (*)(const char *, unsigned, double))dlsym(sim, "ebsim_set_utilization") : NULL;
    eb_bench *b;
    if (eb_open(&b, NULL) != EB_OK)
        return 1;
    EB_MEASURE(b, "prepare")
    {
        sleep_s(0.3);
    }
    EB_MEASURE(b, "compute")
    {
        if (set)
            set(cfg, 0, 1.0);
        sleep_s(0.6);
        if (set)
            set(cfg, 0, 0.0);
    }
    eb_add_work(b, "compute", 11.4e12, "flop");
    printf("marker mode: %d\n", eb_is_marker(b));
    eb_print_results(b, stdout);
    eb_close(b);
    if (sim)
        dlclose(sim);
    return 0;
}
