/*
 * marker_child.c - a program that uses libebench, for the phase-marker
 * tests: two windows, "prepare" (the simulated GPU idle) and "compute" (busy),
 * with work on "compute". Under `ebench run` its windows go to the parent,
 * which answers their figures; alone it measures them itself. Either way it
 * prints what eb_end() and eb_window_result() gave it, its table, and saves
 * its own report to $MARKER_CHILD_JSON when that is set.
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
    static eb_domain_energy r_d[EB_MAX_DOMAINS];
    static eb_result r = EB_RESULT_INIT(r_d);
    eb_begin(b, "compute");
    if (set)
        set(cfg, 0, 1.0);
    sleep_s(0.6);
    if (set)
        set(cfg, 0, 0.0);
    eb_end(b, "compute", &r);
    printf("eb_end: compute %.3f J over %zu domains\n", r.total_energy_j, r.n_domains);
    eb_add_work(b, "compute", 11.4e12, "flop");
    printf("marker mode: %d\n", eb_is_marker(b));
    eb_stop(b);
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "compute" : "prepare";
        if (eb_window_result(b, name, 0, &r) == EB_OK)
            printf("result: %s %.3f J, %s %.3f J, provisional %d\n", name, r.total_energy_j,
                   r.n_domains ? eb_domain_get(b, 0)->id : "-",
                   r.n_domains ? r.domains[0].energy_j : 0.0,
                   r.n_domains ? r.domains[0].provisional : 0);
    }
    eb_print_results(b, stdout);
    const char *json = getenv("MARKER_CHILD_JSON");
    if (json && eb_save_json(b, json, NULL) != EB_OK)
        return 1;
    eb_close(b);
    if (sim)
        dlclose(sim);
    return 0;
}
