/*
 * ebsim_load.c - ebench-sim-load: a workload for simulated GPUs. It steps the
 * utilization of the chosen simulated GPUs through the given steps (through
 * shared memory, see ebsim.h), optionally keeping one CPU core busy too, so
 * `ebench run -- ebench-sim-load ...` measures GPUs and CPU at work.
 *
 *   ebench-sim-load [--gpus 0,1] [--cpu] STEP...
 *   ebench-sim-load --forget     removes the scenario's shared memory
 *   STEP = NAME:SECONDS or UTIL:SECONDS, NAME one of the A100-80GB reference
 *          table: idle (50 W), light (150 W, 8 TFLOPS), medium (250 W,
 *          15 TFLOPS), heavy (400 W, 19 TFLOPS), tdp (400 W)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ebsim.h"
#include "shm.h"

static const struct {
    const char *name;
    double util, tflops;
} table[] = {
    {"idle", 0, 0}, {"light", 100.0 / 350, 8}, {"medium", 200.0 / 350, 15}, {"heavy", 1, 19},
    {"tdp", 1, 19},
};

static int usage(void)
{
    fprintf(stderr, "usage: ebench-sim-load [--gpus 0,1] [--cpu] STEP... | --forget\n"
                    "  STEP = idle|light|medium|heavy|tdp:SECONDS or UTIL:SECONDS (UTIL 0..1)\n"
                    "  EBENCH_SIM_CONFIG names the scenario of the simulated GPUs\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *config = getenv("EBENCH_SIM_CONFIG");
    unsigned gpus[EBSIM_MAX_GPUS] = {0};
    int n_gpus = 1, cpu = 0, i = 1;
    double flop = 0;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--cpu") == 0) {
            cpu = 1;
        } else if (strcmp(argv[i], "--forget") == 0) {
            return config && ebsim_forget(config) == 0 ? 0 : 1;
        } else if (strcmp(argv[i], "--gpus") == 0 && i + 1 < argc) {
            char *p = argv[++i];
            for (n_gpus = 0; *p && n_gpus < EBSIM_MAX_GPUS;) {
                gpus[n_gpus++] = (unsigned)strtoul(p, &p, 10);
                if (*p == ',')
                    p++;
                else if (*p)
                    return usage();
            }
        } else {
            return usage();
        }
    }
    if (i >= argc || !config)
        return usage();
    for (; i < argc; i++) {
        char name[32];
        double util = -1, seconds = 0, tflops = NAN;
        if (sscanf(argv[i], "%31[^:]:%lf", name, &seconds) != 2 || !(seconds >= 0))
            return usage();
        for (size_t k = 0; k < sizeof table / sizeof *table; k++)
            if (strcmp(name, table[k].name) == 0)
                util = table[k].util, tflops = table[k].tflops;
        if (util < 0) {
            char *end;
            util = strtod(name, &end);
            if (*end || !(util >= 0 && util <= 1))
                return usage();
        }
        for (int g = 0; g < n_gpus; g++)
            if (ebsim_set_utilization(config, gpus[g], util) != 0) {
                fprintf(stderr, "ebench-sim-load: cannot drive simulated GPU %u\n", gpus[g]);
                return 1;
            }
        double end = ebsim_mono() + seconds;
        if (cpu) {
            double x = 0;
            while (ebsim_mono() < end)
                for (int k = 1; k < 10000; k++)
                    x += sin((double)k);
            if (x == 42.0) /* keeps the loop from being optimised away */
                putchar('\n');
        } else {
            struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
            while (nanosleep(&ts, &ts) != 0)
                ;
        }
        if (!isnan(tflops))
            flop += tflops * 1e12 * seconds * n_gpus;
        printf("ebench-sim-load: %s for %.1f s on %d simulated GPU%s\n", name, seconds, n_gpus,
               n_gpus == 1 ? "" : "s");
    }
    for (int g = 0; g < n_gpus; g++)
        ebsim_set_utilization(config, gpus[g], 0);
    if (flop > 0)
        printf("ebench-sim-load: %.1f TFLOP done (simulated, A100-80GB reference table)\n",
               flop / 1e12);
    return 0;
}
