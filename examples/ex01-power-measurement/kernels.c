/*
 * kernels.c - exercise 1: measure power during kernels.
 *
 * Runs three "kernels" of different intensity on the GPU (here the simulated
 * one, driven through its workload interface; on a real machine, replace
 * launch() with your CUDA/HIP kernels) and measures each as a window. ebench
 * samples every device meanwhile; `ebench run` around this program gets the
 * windows as phase markers and the whole power trace.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ebench.h"

static int (*set_util)(const char *, unsigned, double);

/* A kernel that keeps the GPU `util` busy for `seconds`. */
static void launch(double util, double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    if (set_util)
        set_util(getenv("EBENCH_SIM_CONFIG"), 0, util);
    while (nanosleep(&ts, &ts) != 0)
        ;
    if (set_util)
        set_util(getenv("EBENCH_SIM_CONFIG"), 0, 0.0);
}

int main(void)
{
    const char *lib = getenv("EBENCH_NVML_LIBRARY");
    void *sim = lib ? dlopen(lib, RTLD_NOW) : NULL;
    if (sim)
        *(void **)&set_util = dlsym(sim, "ebsim_set_utilization");
    eb_bench *b;
    if (eb_open(&b, NULL) != EB_OK) {
        fprintf(stderr, "kernels: cannot open a bench\n");
        return 1;
    }
    EB_MEASURE(b, "light kernel")
    {
        launch(100.0 / 350, 1.0);
    } /* 150 W on the sim */
    EB_MEASURE(b, "medium kernel")
    {
        launch(200.0 / 350, 1.0);
    } /* 250 W */
    EB_MEASURE(b, "heavy kernel")
    {
        launch(1.0, 2.0);
    } /* 400 W */
    eb_add_work(b, "heavy kernel", 38e12, "flop");
    eb_print_results(b, stdout);
    eb_close(b);
    return 0;
}
